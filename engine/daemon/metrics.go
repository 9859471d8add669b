package daemon

import (
	"time"

	"github.com/hearth-community/hearth/engine/config"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the daemon's Prometheus metrics, on their own registry so
// tests and several daemons in one process never collide.
type Metrics struct {
	Registry      *prometheus.Registry
	ingested      *prometheus.CounterVec
	processedVec  *prometheus.CounterVec
	rejected      *prometheus.CounterVec
	latency       prometheus.Histogram
	timersDue     prometheus.Counter
	reloadSuccess prometheus.Gauge
	reloads       *prometheus.CounterVec
	reloadSeconds prometheus.Histogram
	deliveries    *prometheus.CounterVec
	pruned        *prometheus.CounterVec
	runsRefused   *prometheus.CounterVec
	// The sweep that brings stored members to changed rules.
	reevaluated       prometheus.Counter
	reevaluatePending prometheus.Gauge
	// Set by the sampler, so they are as fresh as the dashboard's charts.
	members       prometheus.Gauge
	membersLeft   prometheus.Gauge
	segmentSizes  *prometheus.GaugeVec
	tierSizes     *prometheus.GaugeVec
	outboxEntries *prometheus.GaugeVec
}

// NewMetrics registers the metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_events_ingested_total",
			Help: "Events accepted over HTTP and other sources, by type."}, []string{"type"}),
		processedVec: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_events_processed_total",
			Help: "Events applied through the rules, by type; duplicates by id are counted with duplicate=\"true\"."}, []string{"type", "duplicate"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_events_rejected_total",
			Help: "Events refused, by reason (invalid, too_old, suppressed: their member asked to be forgotten, ...)."}, []string{"reason"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hearth_batch_commit_seconds",
			Help: "Time from the start of a batch to its durable commit.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		timersDue: prometheus.NewCounter(prometheus.CounterOpts{Name: "hearth_timers_due_total",
			Help: "Members whose timers (campaign steps, time-based rules) came due."}),
		reloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hearth_config_reload_success",
			Help: "1 if the last configuration reload succeeded, 0 if it failed and the previous configuration stays."}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_config_reloads_total",
			Help: "Configuration reload attempts by result."}, []string{"result"}),
		reloadSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hearth_config_reload_seconds",
			Help: "Time to load and validate the configuration.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 10)}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_outbox_deliveries_total",
			Help: "Outbox delivery attempts by platform and result (sent, retry, wait, dead, skipped)."}, []string{"platform", "result"}),
		pruned: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_state_pruned_total",
			Help: "Rows forgotten under the state's retention settings, by kind (event_ids, outcomes, outbox)."}, []string{"kind"}),
	}
	m.runsRefused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_campaign_runs_refused_total",
		Help: "Entries into a campaign with run_key turned away because the member had max_runs runs under way, by campaign."}, []string{"campaign"})
	m.Registry.MustRegister(m.runsRefused)
	m.reevaluated = prometheus.NewCounter(prometheus.CounterOpts{Name: "hearth_members_reevaluated_total",
		Help: "Stored members evaluated again after the segment, tier or badge rules changed."})
	m.reevaluatePending = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hearth_members_reevaluation_pending",
		Help: "Stored members still to be evaluated against the segment, tier and badge rules in force after they changed."})
	m.Registry.MustRegister(m.reevaluated, m.reevaluatePending)
	m.members = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hearth_members",
		Help: "Members in the state store, counted at most once a minute."})
	m.membersLeft = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hearth_members_left",
		Help: "Members in the state store who have left the community, counted at most once a minute."})
	m.segmentSizes = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hearth_segment_members",
		Help: "Members per segment, not counting members who left, counted at most once a minute."}, []string{"segment"})
	m.tierSizes = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hearth_tier_members",
		Help: "Members per tier (tier=\"\" for none), not counting members who left, counted at most once a minute."}, []string{"tier"})
	m.outboxEntries = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hearth_outbox_entries",
		Help: "Outbox entries by status (pending, sent, dead, skipped)."}, []string{"status"})
	m.Registry.MustRegister(m.members, m.membersLeft, m.segmentSizes, m.tierSizes, m.outboxEntries)
	m.Registry.MustRegister(m.pruned, m.deliveries, m.ingested, m.processedVec, m.rejected, m.latency, m.timersDue, m.reloadSuccess, m.reloads, m.reloadSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Label values every daemon can count, set to 0 from the start: a series
// that first appears at 1 has no earlier sample to rise from, so
// increase() and rate() miss its first count, and an alert such as
// increase(hearth_outbox_deliveries_total{result="dead"}[1h]) > 0 would
// never fire for the first dead letter.
var (
	deliveryResults = []string{"sent", "retry", "wait", "dead", "skipped"}
	rejectReasons   = []string{"invalid", "future", "too_old", "too_large", "too_many", "empty", "content_type",
		"unverified", "unreadable", "bad_parameter", "no_receiver", "method", "refused", "cross_site", "host", "suppressed"}
	reloadResults = []string{"success", "failure"}
	pruneKinds    = []string{"event_ids", "outcomes", "outbox"}
)

// initLabels starts at 0 the series of the labels known before anything
// is counted: the fixed reasons and results, and each platform of the
// configuration (called again after a reload, for platforms it adds).
func (m *Metrics) initLabels(cfg *config.Config) {
	for _, r := range rejectReasons {
		m.rejected.WithLabelValues(r)
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
	for _, p := range cfg.Platforms {
		for _, r := range deliveryResults {
			m.deliveries.WithLabelValues(p.Addr(), r)
		}
	}
	for _, c := range cfg.Campaigns {
		if c.RunKey != nil {
			m.runsRefused.WithLabelValues(c.Name)
		}
	}
}

// refused counts runs max_runs turned away in a committed batch.
func (m *Metrics) refused(by map[string]int) {
	for campaign, n := range by {
		m.runsRefused.WithLabelValues(campaign).Add(float64(n))
	}
}

func (m *Metrics) reload(ok bool, took time.Duration) {
	result := "success"
	if ok {
		m.reloadSuccess.Set(1)
	} else {
		result = "failure"
		m.reloadSuccess.Set(0)
	}
	m.reloads.WithLabelValues(result).Inc()
	m.reloadSeconds.Observe(took.Seconds())
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
		return
	}
	for _, rc := range rt.RuleCounts() {
		b := c.d.ruleBase[rc.Rule]
		ch <- prometheus.MustNewConstMetric(c.evals, prometheus.CounterValue, float64(b.Evaluations+rc.Evaluations), rc.Rule)
		ch <- prometheus.MustNewConstMetric(c.errs, prometheus.CounterValue, float64(b.Errors+rc.Errors), rc.Rule)
	}
}

// population sets the gauges from a scan; segments and tiers a reload
// removed disappear instead of keeping their last value.
func (m *Metrics) population(p Population) {
	m.members.Set(float64(p.Members))
	m.membersLeft.Set(float64(p.Left))
	m.segmentSizes.Reset()
	for name, n := range p.Segments {
		m.segmentSizes.WithLabelValues(name).Set(float64(n))
	}
	m.tierSizes.Reset()
	for name, n := range p.Tiers {
		m.tierSizes.WithLabelValues(name).Set(float64(n))
	}
}

func (m *Metrics) outbox(counts map[string]int) {
	for status, n := range counts {
		m.outboxEntries.WithLabelValues(status).Set(float64(n))
	}
}
