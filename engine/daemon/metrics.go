package daemon

import (
	goruntime "runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearth-community/hearth/engine/config"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the daemon's Prometheus metrics, on their own registry so
// tests and several daemons in one process never collide.
type Metrics struct {
	Registry     *prometheus.Registry
	ingested     *prometheus.CounterVec
	processedVec *prometheus.CounterVec
	rejected     *prometheus.CounterVec
	// requestsRefused counts whole requests refused before their events
	// are judged one by one (refusalMetric says which counter a reason is).
	requestsRefused *prometheus.CounterVec
	// idReused counts duplicates that reused an id with other content.
	idReused prometheus.Counter
	// attrWarnings counts attributes that look like typos, by event
	// type: standard or declared ones alone, a bounded set.
	attrWarnings *prometheus.CounterVec
	// zoneWarnings counts events whose timezone the runtime drops.
	zoneWarnings  prometheus.Counter
	latency       prometheus.Histogram
	timersDue     prometheus.Counter
	reloadSuccess prometheus.Gauge
	reloads       *prometheus.CounterVec
	reloadSeconds prometheus.Histogram
	reloadHeldG   prometheus.Gauge
	deliveries    *prometheus.CounterVec
	pruned        *prometheus.CounterVec
	runsRefused   *prometheus.CounterVec
	// The sweep that brings stored members to changed rules.
	reevaluated       prometheus.Counter
	reevaluatePending prometheus.Gauge
	// Set by the sampler, so they are as fresh as the dashboard's charts.
	members       prometheus.Gauge
	membersLeft   prometheus.Gauge
	segmentSizes  sizes
	tierSizes     sizes
	outboxEntries *prometheus.GaugeVec
	outboxOldest  prometheus.Gauge
	// queued counts the events handed to the processor and not yet
	// committed (or failed), for hearth_ingest_queue_events and status.
	queued      atomic.Int64
	queueEvents prometheus.GaugeFunc
	// The HTTP API, by route pattern (routes.go), never by raw path.
	httpRequests    *prometheus.CounterVec
	httpDuration    *prometheus.HistogramVec
	unauthorized    *prometheus.CounterVec
	reloadSuccessAt prometheus.Gauge
	// What the rules did: campaigns, segments, moderation, alerts.
	domain *domainMetrics
	// registered is every collector on Registry, so a test can describe
	// them all: gathering misses a labelled metric with no series yet.
	registered []prometheus.Collector
}

// register puts collectors on the registry and keeps them in registered.
// Every registration goes through it (metrics_doc_test.go checks).
func (m *Metrics) register(cs ...prometheus.Collector) {
	m.Registry.MustRegister(cs...)
	m.registered = append(m.registered, cs...)
}

// NewMetrics registers the metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_events_ingested_total",
			Help: "Events accepted: applied and committed, duplicates by id, events too old and those of suppressed members not counted (as accepted in GET /v1/status), by type."}, []string{"type"}),
		processedVec: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_events_processed_total",
			Help: "Events applied through the rules, by type; duplicates by id are counted with duplicate=\"true\"."}, []string{"type", "duplicate"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_events_rejected_total",
			Help: "Events refused, each one counted, by reason (invalid, future, too_old, suppressed: their member asked to be forgotten). Whole requests refused are hearth_requests_refused_total."}, []string{"reason"}),
		requestsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_requests_refused_total",
			Help: "Requests refused as a whole before their events were judged one by one, each counted once, by reason (host, cross_site, method, content_type, content_encoding, too_large, unverified, ...)."}, []string{"reason"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hearth_batch_commit_seconds",
			Help: "Time from the start of a batch to its durable commit.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		timersDue: prometheus.NewCounter(prometheus.CounterOpts{Name: "hearth_timers_due_total",
			Help: "Members whose timers (campaign steps, time-based rules) came due."}),
		reloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hearth_config_reload_success",
			Help: "1 if the last configuration reload succeeded, 0 if it failed and the previous configuration stays."}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_config_reloads_total",
			Help: "Configuration reload attempts by result: success (the new configuration took effect), unchanged (it is the one in force), failure."}, []string{"result"}),
		reloadSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hearth_config_reload_seconds",
			Help: "Time to load and validate the configuration.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 10)}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_outbox_deliveries_total",
			Help: "Outbox delivery attempts by platform and result (sent, retry, wait, held: by a campaign's quiet hours when it was to go out, dead, skipped: for the member's sake, expired: past its campaign's expire_after)."}, []string{"platform", "result"}),
		pruned: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_state_pruned_total",
			Help: "Rows forgotten under the state's retention settings, by kind (event_ids, outcomes, outbox)."}, []string{"kind"}),
	}
	m.runsRefused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_campaign_runs_refused_total",
		Help: "Entries into a campaign with run_key turned away because the member had max_runs runs under way, by campaign."}, []string{"campaign"})
	m.register(m.runsRefused)
	m.reevaluated = prometheus.NewCounter(prometheus.CounterOpts{Name: "hearth_members_reevaluated_total",
		Help: "Stored members evaluated again after the segment, tier or badge rules changed."})
	m.reevaluatePending = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hearth_members_reevaluation_pending",
		Help: "Stored members still to be evaluated against the segment, tier and badge rules in force after they changed."})
	m.register(m.reevaluated, m.reevaluatePending)
	m.idReused = prometheus.NewCounter(prometheus.CounterOpts{Name: "hearth_events_id_reused_total",
		Help: "Events not applied because their id was given before to an event with different content, in the same request or applied earlier: a sender reusing ids. Also counted as duplicates."})
	m.attrWarnings = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_events_attr_warnings_total",
		Help: "Attributes of events taken that their standard or declared type does not declare and that look like a typo of one it does, which the event lacks (so no rule reads the value), by event type."}, []string{"type"})
	m.zoneWarnings = prometheus.NewCounter(prometheus.CounterOpts{Name: "hearth_events_timezone_warnings_total",
		Help: "Events taken (member.joined, member.profile_updated) whose timezone is not an IANA time zone name the runtime loads, so it does not set the member's time zone."})
	m.register(m.idReused, m.attrWarnings, m.zoneWarnings)
	m.members = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hearth_members",
		Help: "Members in the state store, counted at most once a minute."})
	m.membersLeft = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hearth_members_left",
		Help: "Members in the state store who have left the community, counted at most once a minute."})
	m.segmentSizes.vec = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hearth_segment_members",
		Help: "Members per segment of the configuration in force, not counting members who left, counted at start and at most once a minute."}, []string{"segment"})
	m.tierSizes.vec = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hearth_tier_members",
		Help: "Members per tier (tier=\"" + noTier + "\" for none), not counting members who left, counted at start and at most once a minute."}, []string{"tier"})
	m.outboxEntries = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hearth_outbox_entries",
		Help: "Outbox entries by status (pending, sent, dead, skipped)."}, []string{"status"})
	m.outboxOldest = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hearth_outbox_oldest_pending_seconds",
		Help: "How long the oldest pending outbox entry has waited since it was queued (by the wall clock, not its event time), 0 when none is pending, as of the last sample."})
	m.register(m.members, m.membersLeft, m.segmentSizes.vec, m.tierSizes.vec, m.outboxEntries, m.outboxOldest)
	m.queueEvents = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hearth_ingest_queue_events",
		Help: "Events accepted and handed to the processor, not yet committed."}, func() float64 { return float64(m.queued.Load()) })
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_http_requests_total",
		Help: "HTTP requests answered, by route pattern (a method the route does not take, 405, under the route; route=\"unmatched\" for paths no route takes) and status code."}, []string{"route", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hearth_http_request_duration_seconds",
		Help: "Time to answer an HTTP request, by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.unauthorized = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_http_unauthorized_total",
		Help: "Requests refused with 401 for their bearer token, by route pattern and reason (missing, wrong)."}, []string{"route", "reason"})
	m.reloadSuccessAt = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hearth_config_last_reload_success_timestamp_seconds",
		Help: "When the configuration was last loaded successfully (at start, or a reload, unchanged or not), in Unix seconds."})
	m.domain = newDomainMetrics()
	m.register(m.domain.collectors()...)
	m.reloadHeldG = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hearth_config_reload_held",
		Help: "1 while the watcher holds back a change to the files because a file that had blocks in force has none left (a save under way, or emptied: applied after -reload-grace), 0 otherwise."})
	m.register(m.queueEvents, m.httpRequests, m.httpDuration, m.unauthorized, m.reloadSuccessAt, m.reloadHeldG)
	m.register(m.pruned, m.deliveries, m.ingested, m.processedVec, m.rejected, m.requestsRefused, m.latency, m.timersDue, m.reloadSuccess, m.reloads, m.reloadSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Label values every daemon can count, set to 0 from the start: a series
// that first appears at 1 has no earlier sample to rise from, so
// increase() and rate() miss its first count, and an alert such as
// increase(hearth_outbox_deliveries_total{result="dead"}[1h]) > 0 would
// never fire for the first dead letter.
var (
	deliveryResults = []string{"sent", "retry", "wait", "held", "dead", "skipped", "expired"}
	// Events judged and refused one by one: hearth_events_rejected_total.
	rejectReasons = []string{"invalid", "future", "too_old", "suppressed"}
	// Requests refused as a whole, before or instead of judging their
	// events (the request's form, where it comes from, its signature, an
	// answer of the platform's own refusing it): hearth_requests_refused_total.
	refuseReasons = []string{"too_large", "too_many", "empty", "content_type", "content_encoding",
		"unverified", "unreadable", "bad_parameter", "no_receiver", "method", "refused", "cross_site", "host"}
	reloadResults = []string{"success", "unchanged", "failure"}
	pruneKinds    = []string{"event_ids", "outcomes", "outbox"}
)

// initLabels starts at 0 the series of the labels known before anything
// is counted: the fixed reasons and results, and what the configuration
// cfg names (its platforms, event types, campaigns, segments, moderated
// communities and alerts; domainMetrics.load).
// After a reload, old is the configuration before it: the series of event
// types and campaigns it had and cfg has not are deleted, since nothing
// counts them any more (events of a type no longer declared count as
// "other"), and so are those of its removed segments; segments and tiers
// cfg adds start at 0, which is what the stored members hold of a new
// one until the sampler counts them again.
func (m *Metrics) initLabels(old, cfg *config.Config) {
	for _, r := range rejectReasons {
		m.rejected.WithLabelValues(r)
	}
	for _, r := range refuseReasons {
		m.requestsRefused.WithLabelValues(r)
	}
	for _, r := range reloadResults {
		m.reloads.WithLabelValues(r)
	}
	for _, k := range pruneKinds {
		m.pruned.WithLabelValues(k)
	}
	if cfg == nil {
		return
	}
	m.domain.load(old, cfg)
	for _, p := range cfg.Platforms {
		for _, r := range deliveryResults {
			m.deliveries.WithLabelValues(p.Addr(), r)
		}
	}
	// Platforms a reload removes keep their series: entries for them
	// still in the outbox are still attempted and counted.
	m.eventType(otherType)
	for typ := range cfg.EventTypes {
		m.eventType(typ)
	}
	for _, c := range cfg.Campaigns {
		if c.Keyed() {
			m.runsRefused.WithLabelValues(c.Name)
		}
	}
	if old == nil {
		// The population gauges wait for New's first count: 0 before it
		// would be a wrong value, not a missing one.
		return
	}
	for typ := range old.EventTypes {
		if _, still := cfg.EventTypes[typ]; !still {
			m.ingested.DeleteLabelValues(typ)
			m.processedVec.DeletePartialMatch(prometheus.Labels{"type": typ})
			m.attrWarnings.DeleteLabelValues(typ)
		}
	}
	for _, c := range old.Campaigns {
		if c.Keyed() && !keyedCampaign(cfg, c.Name) {
			m.runsRefused.DeleteLabelValues(c.Name)
		}
	}
	m.segmentSizes.keep(segmentNames(cfg), nil)
	m.tierSizes.add(tierNames(cfg))
}

// eventType starts the event counters of typ at 0.
func (m *Metrics) eventType(typ string) {
	m.ingested.WithLabelValues(typ)
	m.processedVec.WithLabelValues(typ, "false")
	m.processedVec.WithLabelValues(typ, "true")
	if typ != otherType && typ != config.ProfileEventType { // attributes never typos
		m.attrWarnings.WithLabelValues(typ)
	}
}

func keyedCampaign(cfg *config.Config, name string) bool {
	for _, c := range cfg.Campaigns {
		if c.Name == name {
			return c.Keyed()
		}
	}
	return false
}

func segmentNames(cfg *config.Config) []string {
	out := make([]string, 0, len(cfg.Segments))
	for _, s := range cfg.Segments {
		out = append(out, s.Name)
	}
	return out
}

// noTier is the tier label of members on no tier: an empty label value
// is the same as no label to Prometheus, so {tier=""} would also match
// series without one. Validation refuses a tier of this name
// (config.NoTier).
const noTier = config.NoTier

// tierNames are the tier labels: cfg's tiers and noTier.
func tierNames(cfg *config.Config) []string {
	out := []string{noTier}
	for _, t := range cfg.Tiers {
		out = append(out, t.Name)
	}
	return out
}

// tierLabels are counts of members by tier, "" for none, by tier label.
// Members stored on a tier named "none" before validation refused the
// name count with those on none until their next evaluation moves them.
func tierLabels(counts map[string]int) map[string]int {
	n, ok := counts[""]
	if !ok {
		return counts
	}
	out := make(map[string]int, len(counts))
	for name, c := range counts {
		out[name] = c
	}
	delete(out, "")
	out[noTier] += n
	return out
}

// sizes is a gauge per name, such as members per segment, whose names
// come and go with the configuration.
type sizes struct {
	vec  *prometheus.GaugeVec
	mu   sync.Mutex
	have map[string]bool
}

// keep serves a series for each of names and deletes the others: at
// counts[name], or where counts lacks the name, the last value (0 for a
// new series). Series are changed one by one, never all reset, so a
// scrape in between finds none missing.
func (g *sizes) keep(names []string, counts map[string]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.keepLocked(names, counts)
}

// keepLocked is keep, with g.mu held.
func (g *sizes) keepLocked(names []string, counts map[string]int) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
		if c, ok := counts[n]; ok {
			g.vec.WithLabelValues(n).Set(float64(c))
		} else if !g.have[n] {
			g.vec.WithLabelValues(n).Set(0)
		}
	}
	for n := range g.have {
		if !want[n] {
			g.vec.DeleteLabelValues(n)
		}
	}
	g.have = want
}

// add serves a series for each of names, at 0 for a new one, and leaves
// the others as they are.
func (g *sizes) add(names []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.have == nil {
		g.have = map[string]bool{}
	}
	for _, n := range names {
		if !g.have[n] {
			g.vec.WithLabelValues(n).Set(0)
			g.have[n] = true
		}
	}
}

// eventReason says whether reason is an event's (rejectReasons), counted
// per event, rather than a whole request's (refuseReasons), counted once.
func eventReason(reason string) bool {
	for _, r := range rejectReasons {
		if r == reason {
			return true
		}
	}
	return false
}

// refusal counts something refused for reason: n events rejected, or one
// request refused, by which kind reason is.
func (m *Metrics) refusal(reason string, n int) {
	if eventReason(reason) {
		m.rejected.WithLabelValues(reason).Add(float64(n))
		return
	}
	m.requestsRefused.WithLabelValues(reason).Inc()
}

// refused counts runs max_runs turned away in a committed batch.
func (m *Metrics) refused(by map[string]int) {
	for campaign, n := range by {
		m.runsRefused.WithLabelValues(campaign).Add(float64(n))
	}
}

// reload counts one reload: result "unchanged" for files that give the
// configuration in force (a revert, an editor's save of the same text),
// which swaps nothing, so that success counts changes that took effect.
// The gauges treat it as a success: the configuration in force is valid.
func (m *Metrics) reload(ok, unchanged bool, at time.Time, took time.Duration) {
	result := "success"
	if ok && unchanged {
		result = "unchanged"
	}
	if ok {
		m.reloadSuccess.Set(1)
		m.reloadSuccessAt.Set(float64(at.UnixNano()) / 1e9)
	} else {
		result = "failure"
		m.reloadSuccess.Set(0)
	}
	m.reloads.WithLabelValues(result).Inc()
	m.reloadSeconds.Observe(took.Seconds())
}

func (m *Metrics) reloadHeld(held bool) {
	if held {
		m.reloadHeldG.Set(1)
	} else {
		m.reloadHeldG.Set(0)
	}
}

func (m *Metrics) processed(typ string, dup bool, n int) {
	d := "false"
	if dup {
		d = "true"
	}
	m.processedVec.WithLabelValues(typ, d).Add(float64(n))
}

// ruleCollector reports evaluations and errors per rule: the runtime in
// force's counts plus what the runtimes before it counted for the same
// rule, so a counter only goes up across reloads (a reload that leaves
// a rule as it was must not look like a restart to rate()).
type ruleCollector struct {
	d     *Daemon
	evals *prometheus.Desc
	errs  *prometheus.Desc
}

func newRuleCollector(d *Daemon) *ruleCollector {
	return &ruleCollector{d: d,
		evals: prometheus.NewDesc("hearth_rule_evaluations_total", "Rule evaluations by rule, since the daemon started.", []string{"rule"}, nil),
		errs:  prometheus.NewDesc("hearth_rule_errors_total", "Rules that failed at run time (counted as false), by rule.", []string{"rule"}, nil),
	}
}

func (c *ruleCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.evals
	ch <- c.errs
}

func (c *ruleCollector) Collect(ch chan<- prometheus.Metric) {
	c.d.ruleMu.Lock()
	defer c.d.ruleMu.Unlock()
	rt := c.d.rt.Load()
	if rt == nil {
		// Run has not built a runtime yet: the rules in force, at what
		// was counted before (nothing, at a start).
		if snap := c.d.snap.Load(); snap != nil {
			for _, r := range snap.Config.Rules {
				b := c.d.ruleBase[r.Address]
				ch <- prometheus.MustNewConstMetric(c.evals, prometheus.CounterValue, float64(b.Evaluations), r.Address)
				ch <- prometheus.MustNewConstMetric(c.errs, prometheus.CounterValue, float64(b.Errors), r.Address)
			}
		}
		return
	}
	for _, rc := range rt.RuleCounts() {
		b := c.d.ruleBase[rc.Rule]
		ch <- prometheus.MustNewConstMetric(c.evals, prometheus.CounterValue, float64(b.Evaluations+rc.Evaluations), rc.Rule)
		ch <- prometheus.MustNewConstMetric(c.errs, prometheus.CounterValue, float64(b.Errors+rc.Errors), rc.Rule)
	}
}

// infoCollector serves what runs: hearth's version, and the hash of the
// configuration in force, read from the snapshot at each scrape so the
// label cannot lag behind a reload, nor two reloads at once leave the
// wrong one.
type infoCollector struct {
	d      *Daemon
	build  *prometheus.Desc
	config *prometheus.Desc
}

// buildRevision is the VCS commit the binary was built from (go build in
// a git checkout records it), with "-dirty" when the tree had changes;
// "" when the build recorded none (go test, go install of a module).
func buildRevision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "-dirty"
	}
	return rev
}

func newInfoCollector(d *Daemon) *infoCollector {
	return &infoCollector{d: d,
		build: prometheus.NewDesc("hearth_build_info", "1, labelled with hearth's version, the Go version it was built with and the commit it was built from (revision, \"\" when the build did not record one).",
			[]string{"version", "goversion", "revision"}, nil),
		config: prometheus.NewDesc("hearth_config_info", "1, labelled with the first 12 characters of the hash of the configuration in force (GET /v1/status config.hash).",
			[]string{"hash"}, nil),
	}
}

func (c *infoCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.build
	ch <- c.config
}

func (c *infoCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.build, prometheus.GaugeValue, 1, c.d.version(), goruntime.Version(), buildRevision())
	if snap := c.d.snap.Load(); snap != nil {
		ch <- prometheus.MustNewConstMetric(c.config, prometheus.GaugeValue, 1, shortHash(snap.Config.Fingerprint))
	}
}

// population sets the gauges from a scan, the scan-th (runGauge.scanStarts,
// called as it began). cfg is the configuration in
// force now, which a reload may have changed during the scan: segments
// are exactly its segments, and tiers its tiers and any a member is still
// on (a removed tier's members move at their next evaluation), so those a
// reload removed disappear instead of keeping their last value.
func (m *Metrics) population(p Population, cfg *config.Config, scan uint64) {
	m.members.Set(float64(p.Members))
	m.membersLeft.Set(float64(p.Left))
	m.segmentSizes.keep(segmentNames(cfg), p.Segments)
	counts := tierLabels(p.Tiers)
	tiers := tierNames(cfg)
	for name := range counts {
		tiers = append(tiers, name)
	}
	m.tierSizes.keep(tiers, counts)
	active := make(map[string]int, len(p.Campaigns))
	for name, byStatus := range p.Campaigns {
		active[name] = byStatus["active"]
	}
	m.domain.activeRuns.settle(scan, campaignNames(cfg), active)
}

// shortHash is how a configuration's hash is written in logs and labels.
func shortHash(h string) string { return h[:min(12, len(h))] }

func (m *Metrics) outbox(counts map[string]int) {
	for status, n := range counts {
		m.outboxEntries.WithLabelValues(status).Set(float64(n))
	}
}

// registerDaemon registers what a daemon serves besides NewMetrics' own:
// the rule and info collectors, which read the daemon, and the bus's
// figures (partitions, lag, leases) when it has one that collects.
func (m *Metrics) registerDaemon(d *Daemon, b Publisher) {
	m.register(newRuleCollector(d), newInfoCollector(d))
	// Read from the store at each scrape: a failure and its recovery
	// show at once, and 0 from the start for every store.
	m.register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hearth_state_store_failing",
		Help: "1 while the state store refuses writes: a SQLite state after a write failed (a full disk), a PostgreSQL state while the database is out of reach; until it recovers by itself (or, when it cannot, the daemon stops); 0 otherwise."},
		func() float64 {
			if h, ok := d.storeHealth(); ok && h.Err != nil {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hearth_state_store_failures_total",
			Help: "Times the state store began failing (a write failed, the database was out of reach) since the daemon started."},
			func() float64 {
				h, _ := d.storeHealth()
				return float64(h.Failures)
			}))
	if c, ok := b.(prometheus.Collector); ok {
		m.register(c)
	}
}
