package daemon

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// domainMetrics count what the rules did, from the outcomes of committed
// work: campaign entries, sends, goals and exits, segment moves,
// moderation decisions and alerts. Their labels are names from the
// configuration only, never a member's id, so the series are bounded by
// what the configuration declares.
type domainMetrics struct {
	campaignEntries *prometheus.CounterVec
	campaignSends   *prometheus.CounterVec
	campaignGoals   *prometheus.CounterVec
	campaignExits   *prometheus.CounterVec
	// variantEntries counts runs a split gave a variant: a run enters
	// the campaign before any split, so the entries have no variant.
	variantEntries *prometheus.CounterVec
	segmentEntries *prometheus.CounterVec
	segmentExits   *prometheus.CounterVec
	moderation     *prometheus.CounterVec
	alertsFired    *prometheus.CounterVec
	// Set by the sampler, as hearth_segment_members is; the active runs
	// also move with each committed entry and end in between.
	activeRuns   runGauge
	alertsFiring alertGauge
	// counters is the configuration in force's counters, each series
	// looked up once when the configuration is loaded, so counting an
	// outcome is a map lookup by name and never formats a label.
	counters atomic.Pointer[domainCounters]
}

// campaignExitReasons are the reasons a run ends with (its exit
// outcome's detail): exit_when held (goal), stop_when held (exited), it
// went past its last step or to exit (finished), its member left the
// community (left), or an operator or a reload removing the campaign
// stopped it (stopped).
var campaignExitReasons = []string{"goal", "exited", "finished", "left", "stopped"}

// moderationActions are the actions a moderation decision takes.
var moderationActions = []string{"flag", "warn", "mute", "remove", "kick", "ban"}

func newDomainMetrics() *domainMetrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	d := &domainMetrics{
		campaignEntries: counter("hearth_campaign_entries_total", "Runs started in a campaign (members entering it), by campaign.", "campaign"),
		campaignSends: counter("hearth_campaign_sends_total",
			"Messages a campaign's steps queued in the outbox, by campaign, step and the run's A/B variant (\"\" for runs without one, and for sends before the split gave one).", "campaign", "step", "variant"),
		campaignGoals: counter("hearth_campaign_goals_total",
			"Campaign runs that reached their goal (exit_when held, also after finishing within conversion_window), by campaign and A/B variant (\"\" for runs without one).", "campaign", "variant"),
		campaignExits: counter("hearth_campaign_exits_total",
			"Campaign runs that ended, by campaign, reason (goal, exited: stop_when held, finished, left, stopped) and A/B variant (\"\" for runs without one).", "campaign", "reason", "variant"),
		variantEntries: counter("hearth_campaign_variant_entries_total",
			"Campaign runs an A/B split gave a variant, by campaign and variant: each arm's entries, which its goals are of.", "campaign", "variant"),
		segmentEntries: counter("hearth_segment_entries_total", "Members entering a segment, by segment.", "segment"),
		segmentExits:   counter("hearth_segment_exits_total", "Members leaving a segment, by segment.", "segment"),
		moderation: counter("hearth_moderation_actions_total",
			"Decisions of the moderation rules, by community and action (flag, warn, mute, remove, kick, ban).", "community", "action"),
		alertsFired: counter("hearth_alerts_fired_total", "Times an alert fired (not those its cool-down held back), by alert.", "alert"),
	}
	d.activeRuns.vec = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hearth_campaign_active_runs",
		Help: "Campaign runs under way, by campaign of the configuration in force: counted at start and at most once a minute, and moved by each run entered or ended in between."}, []string{"campaign"})
	d.alertsFiring.vec = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hearth_alerts_firing",
		Help: "Communities in which the alert's rule held at its last check (it fired, or its cool-down held it back), by alert and its severity (info, warning, critical), as of the last sample."}, []string{"alert", "severity"})
	d.counters.Store(&domainCounters{})
	return d
}

func (d *domainMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{d.campaignEntries, d.campaignSends, d.campaignGoals, d.campaignExits, d.variantEntries,
		d.segmentEntries, d.segmentExits, d.moderation, d.alertsFired, d.activeRuns.vec, d.alertsFiring.vec}
}

// domainCounters are the series of one configuration, by name.
type domainCounters struct {
	campaigns map[string]*campaignCounters
	segments  map[string]*segmentCounters
	// moderation is by rule address (the decision's outcome's rule),
	// then action: the address names the community.
	moderation map[string]map[string]prometheus.Counter
	alerts     map[string]prometheus.Counter
}

type campaignCounters struct {
	entries prometheus.Counter
	sends   map[string]map[string]prometheus.Counter // by step, then variant as arms are
	// arms is by variant: "" for runs without one, and the variants the
	// campaign's splits declare, so the series are bounded by the files.
	arms map[string]*armCounters
}

// armCounters are the series of one variant of a campaign ("" for none).
type armCounters struct {
	entries prometheus.Counter // nil for ""
	goals   prometheus.Counter
	exits   map[string]prometheus.Counter // by reason
}

// arm is the counters of variant; those of "" for a variant the files no
// longer declare (its runs still end), so the campaign's sums stay whole.
func (c *campaignCounters) arm(variant string) *armCounters {
	if a := c.arms[variant]; a != nil {
		return a
	}
	return c.arms[""]
}

// send is the counter of step's sends in variant's runs; those of "" for
// a variant the files no longer declare, as arm; nil for a step with no
// send.
func (c *campaignCounters) send(step, variant string) prometheus.Counter {
	byVariant := c.sends[step]
	if s := byVariant[variant]; s != nil {
		return s
	}
	return byVariant[""]
}

// variantNames are the variants c's splits declare, in step order.
func variantNames(c *config.Campaign) []string {
	var out []string
	for _, st := range c.Steps {
		for _, v := range st.Split {
			if !slices.Contains(out, v.Name) {
				out = append(out, v.Name)
			}
		}
	}
	return out
}

type segmentCounters struct {
	entries, exits prometheus.Counter
}

// load starts at 0 the series of what cfg names and puts its counters in
// force. After a reload, old is the configuration before it: the series
// of its campaigns, steps, segments, moderated communities and alerts
// that cfg no longer has are deleted, since nothing counts them any more.
func (d *domainMetrics) load(old, cfg *config.Config) {
	dc := &domainCounters{campaigns: map[string]*campaignCounters{}, segments: map[string]*segmentCounters{},
		moderation: map[string]map[string]prometheus.Counter{}, alerts: map[string]prometheus.Counter{}}
	for _, c := range cfg.Campaigns {
		cc := &campaignCounters{entries: d.campaignEntries.WithLabelValues(c.Name),
			sends: map[string]map[string]prometheus.Counter{}, arms: map[string]*armCounters{}}
		variants := append([]string{""}, variantNames(c)...)
		for _, st := range c.Steps {
			if st.Send == nil {
				continue
			}
			// Every variant at every step: a goto can take a run back to
			// a step before its split, and the series stay bounded by
			// the files.
			byVariant := map[string]prometheus.Counter{}
			for _, v := range variants {
				byVariant[v] = d.campaignSends.WithLabelValues(c.Name, st.Name, v)
			}
			cc.sends[st.Name] = byVariant
		}
		for _, v := range variants {
			a := &armCounters{goals: d.campaignGoals.WithLabelValues(c.Name, v), exits: map[string]prometheus.Counter{}}
			if v != "" {
				a.entries = d.variantEntries.WithLabelValues(c.Name, v)
			}
			for _, r := range campaignExitReasons {
				a.exits[r] = d.campaignExits.WithLabelValues(c.Name, r, v)
			}
			cc.arms[v] = a
		}
		dc.campaigns[c.Name] = cc
	}
	for _, s := range cfg.Segments {
		dc.segments[s.Name] = &segmentCounters{entries: d.segmentEntries.WithLabelValues(s.Name), exits: d.segmentExits.WithLabelValues(s.Name)}
	}
	for _, c := range cfg.Communities {
		for _, m := range c.Moderation {
			byAction := map[string]prometheus.Counter{}
			for _, a := range moderationActions {
				byAction[a] = d.moderation.WithLabelValues(c.Name, a)
			}
			dc.moderation[moderationAddress(c, m)] = byAction
		}
	}
	for _, a := range cfg.Alerts {
		dc.alerts[a.Name] = d.alertsFired.WithLabelValues(a.Name)
	}
	d.counters.Store(dc)
	if old == nil {
		// The gauges wait for New's first count: 0 before it would be a
		// wrong value, not a missing one.
		return
	}
	for _, c := range old.Campaigns {
		cc := dc.campaigns[c.Name]
		if cc == nil {
			for _, v := range []*prometheus.CounterVec{d.campaignEntries, d.campaignSends, d.campaignGoals, d.campaignExits, d.variantEntries} {
				v.DeletePartialMatch(prometheus.Labels{"campaign": c.Name})
			}
			continue
		}
		for _, v := range variantNames(c) {
			if cc.arms[v] == nil {
				for _, vec := range []*prometheus.CounterVec{d.campaignSends, d.campaignGoals, d.campaignExits, d.variantEntries} {
					vec.DeletePartialMatch(prometheus.Labels{"campaign": c.Name, "variant": v})
				}
			}
		}
		for _, st := range c.Steps {
			if _, still := cc.sends[st.Name]; !still && st.Send != nil {
				d.campaignSends.DeletePartialMatch(prometheus.Labels{"campaign": c.Name, "step": st.Name})
			}
		}
	}
	for _, s := range old.Segments {
		if dc.segments[s.Name] == nil {
			d.segmentEntries.DeleteLabelValues(s.Name)
			d.segmentExits.DeleteLabelValues(s.Name)
		}
	}
	for _, c := range old.Communities {
		if len(c.Moderation) > 0 && !moderated(cfg, c.Name) {
			d.moderation.DeletePartialMatch(prometheus.Labels{"community": c.Name})
		}
	}
	for _, a := range old.Alerts {
		if dc.alerts[a.Name] == nil {
			d.alertsFired.DeleteLabelValues(a.Name)
		}
	}
	d.activeRuns.keep(campaignNames(cfg), nil)
	d.alertsFiring.keep(cfg, nil)
}

// alertGauge is hearth_alerts_firing: a series per alert of the
// configuration in force, labelled with the alert's severity, so that
// Alertmanager can route a critical one apart. A reload that changes an
// alert's severity moves its series to the new label at once.
type alertGauge struct {
	vec  *prometheus.GaugeVec
	mu   sync.Mutex
	have map[string]string // the severity of each alert's series, by alert
}

// keep serves a series for each alert of cfg and deletes the others: at
// counts[name], or where counts lacks the name, the last value (0 for a
// new series or one whose severity changed).
func (g *alertGauge) keep(cfg *config.Config, counts map[string]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	want := make(map[string]string, len(cfg.Alerts))
	for _, a := range cfg.Alerts {
		want[a.Name] = a.Severity
		old, had := g.have[a.Name]
		if had && old != a.Severity {
			g.vec.DeleteLabelValues(a.Name, old)
			had = false
		}
		if c, ok := counts[a.Name]; ok {
			g.vec.WithLabelValues(a.Name, a.Severity).Set(float64(c))
		} else if !had {
			g.vec.WithLabelValues(a.Name, a.Severity).Set(0)
		}
	}
	for name, sev := range g.have {
		if _, ok := want[name]; !ok {
			g.vec.DeleteLabelValues(name, sev)
		}
	}
	g.have = want
}

// moderationAddress is the rule address a decision of moderation rule m
// of community c carries (governance.Rule.Address).
func moderationAddress(c *config.Community, m *config.Moderation) string {
	return "community." + c.Name + ".moderation." + m.Name
}

func moderated(cfg *config.Config, community string) bool {
	for _, c := range cfg.Communities {
		if c.Name == community {
			return len(c.Moderation) > 0
		}
	}
	return false
}

func campaignNames(cfg *config.Config) []string {
	out := make([]string, 0, len(cfg.Campaigns))
	for _, c := range cfg.Campaigns {
		out = append(out, c.Name)
	}
	return out
}

// tally is what a unit of work counted, one counter per count, added to
// the metrics once the work is committed (add): a batch rolled back
// counts nothing, and its events are applied, and counted, again.
type tally struct {
	c   *domainCounters
	inc []prometheus.Counter
	// runs moves the active runs by campaign (entered minus ended), as
	// of the scan the work began after (epoch).
	runs  map[string]int
	g     *runGauge
	epoch uint64
}

// tally starts a tally under the configuration in force. Call it on the
// processor goroutine, before the work reads the store: the population
// scan runs there too, between units of work.
func (d *domainMetrics) tally() tally {
	return tally{c: d.counters.Load(), g: &d.activeRuns, epoch: d.activeRuns.current()}
}

// outcomes counts what outs did. Outcomes of names the configuration
// does not have (a campaign a reload removed, whose runs stop) count
// nowhere.
func (t *tally) outcomes(outs []state.Outcome) {
	for i := range outs {
		t.outcome(&outs[i])
	}
}

func (t *tally) outcome(o *state.Outcome) {
	switch o.Kind {
	case state.KindCampaign:
		c := t.c.campaigns[o.Name]
		if c == nil {
			return
		}
		switch o.Change {
		case "enter":
			t.inc = append(t.inc, c.entries)
			t.moveRuns(o.Name, 1)
		case "exit":
			// to is the run's variant (absent without one).
			t.moveRuns(o.Name, -1)
			a := c.arm(o.To)
			reason := state.DetailReason(o.Detail)
			if e := a.exits[reason]; e != nil {
				t.inc = append(t.inc, e)
			}
			if reason == "goal" {
				t.inc = append(t.inc, a.goals)
			}
		case "convert":
			// A finished run reached the goal within its conversion
			// window: a goal, though its exit was counted as finished.
			t.inc = append(t.inc, c.arm(o.To).goals)
		case "variant":
			if a := c.arms[state.DetailReason(o.Detail)]; a != nil && a.entries != nil {
				t.inc = append(t.inc, a.entries)
			}
		}
	case state.KindAction:
		// A campaign's send: its rule is the campaign's, its detail the
		// outbox key, which ends with the step (state.SendKey), and from
		// the run's variant (absent without one).
		name, ok := strings.CutPrefix(o.Rule, "campaign.")
		if !ok || o.Change != "queue" {
			return
		}
		if c := t.c.campaigns[name]; c != nil {
			if s := c.send(o.Detail[strings.LastIndexByte(o.Detail, '/')+1:], o.From); s != nil {
				t.inc = append(t.inc, s)
			}
		}
	case state.KindSegment:
		s := t.c.segments[o.Name]
		if s == nil {
			return
		}
		switch o.Change {
		case "enter":
			t.inc = append(t.inc, s.entries)
		case "leave":
			t.inc = append(t.inc, s.exits)
		}
	case state.KindModeration:
		// A pardon's rule is what the operator named, no address: not
		// a decision of the rules, and not counted.
		if a := t.c.moderation[o.Rule][o.Change]; a != nil {
			t.inc = append(t.inc, a)
		}
	case state.KindAlert:
		if a := t.c.alerts[o.Name]; a != nil && o.Change == "fire" {
			t.inc = append(t.inc, a)
		}
	}
}

func (t *tally) moveRuns(campaign string, by int) {
	if t.runs == nil {
		t.runs = map[string]int{}
	}
	t.runs[campaign] += by
}

// add counts the tally in the metrics; call it once the work is
// committed.
func (t *tally) add() {
	for _, c := range t.inc {
		c.Inc()
	}
	t.inc = t.inc[:0]
	if len(t.runs) > 0 && t.g != nil {
		t.g.move(t.epoch, t.runs)
	}
	clear(t.runs)
}

// runGauge is hearth_campaign_active_runs. A scan of the members sets it
// (at start, then at most once a minute), and each committed unit of
// work moves it by the runs it entered and ended, so it is right from
// the first scrape, and stays right between scans: after a start on an
// empty state fed events at once, it does not read 0 for a minute.
//
// A scan and the moves must not count a run twice, nor miss one. Scans
// start on the processor goroutine, between units of work, and read what
// every earlier unit committed; each tally notes the scan it began after
// (its epoch). A unit from before the latest scan moves the gauge only
// until that scan's result is in (which counts it); a unit from after is
// kept in since, added to the scan's result when it comes.
type runGauge struct {
	sizes
	epoch uint64         // the latest scan started; 0 before any
	set   bool           // whether that scan's result is in
	since map[string]int // moves of units from after the latest scan
}

// current is the latest scan started, for a tally beginning now.
func (g *runGauge) current() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.epoch
}

// scanStarts notes a scan beginning, and returns its epoch for settle.
func (g *runGauge) scanStarts() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.epoch++
	g.set = false
	g.since = map[string]int{}
	return g.epoch
}

// move adds the runs a committed unit of work that began after scan
// epoch entered (positive) and ended (negative), by campaign. Only the
// series served move: a campaign a reload removed has none.
func (g *runGauge) move(epoch uint64, runs map[string]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if epoch < g.epoch && g.set {
		return // the latest scan counted them
	}
	for name, n := range runs {
		if n == 0 || !g.have[name] {
			continue
		}
		g.vec.WithLabelValues(name).Add(float64(n))
		if epoch == g.epoch && g.since != nil {
			g.since[name] += n
		}
	}
}

// settle sets the gauge from the result of scan epoch: counts by
// campaign, plus what units begun since moved, for each of names (the
// campaigns of the configuration in force); other series are deleted.
// The result of a scan a later one has overtaken only sets the names.
func (g *runGauge) settle(epoch uint64, names []string, counts map[string]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if epoch != g.epoch {
		g.keepLocked(names, nil)
		return
	}
	now := make(map[string]int, len(counts))
	for name, n := range counts {
		now[name] = n + g.since[name]
	}
	g.keepLocked(names, now)
	g.set = true
}

// alertsFiring counts, per alert of cfg, the communities in docs where
// its rule held at the last check.
func alertsFiring(cfg *config.Config, docs []*state.Community) map[string]int {
	out := make(map[string]int, len(cfg.Alerts))
	for _, a := range cfg.Alerts {
		out[a.Name] = 0
		for _, doc := range docs {
			if st := doc.Alerts[a.Name]; st != nil && st.Holding && (a.Community == nil || a.Community.Name == doc.Name) {
				out[a.Name]++
			}
		}
	}
	return out
}
