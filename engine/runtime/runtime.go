// Package runtime applies member events to member state through the
// compiled rules of one configuration snapshot: counters, incentives
// (points, badges, roles, attributes), badge revocation, the tier ladder
// and segment memberships. Entering a segment, changing tier and earning a
// badge are events themselves, which incentives can react to.
//
// A Runtime is used by one goroutine: it owns one rule evaluator. The
// results depend only on the events and their times, never on the wall
// clock, so a replay gives the same state as the live run.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/lograte"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/templates"
)

// maxDerivedDepth bounds chains of derived events (a segment entry that
// grants a badge that enters another segment ...), so a configuration can
// never loop forever.
const maxDerivedDepth = 4

// Runtime evaluates one configuration snapshot.
type Runtime struct {
	cfg *config.Config
	log *slog.Logger
	// noAddress holds back repeats of the warning for an email.bounced
	// of a member without an address, once a minute per platform.
	noAddress *lograte.Limiter
	eval      *rules.Evaluator
	byType    map[string][]*config.Incentive
	segOrder  []*config.Segment
	// scheduled are the campaigns with a schedule (broadcasts); none in
	// most configurations, so the hot path pays nothing for them.
	scheduled []*config.Campaign
	forLeft   map[string]bool // segments members who left can be in (config.SegmentsForLeft)
	ranks     map[string]int
	zones     *zones // the members' time zones, for weekday and hour
	runs      map[*config.Incentive]*incentiveRun
	locked    map[string]*config.Tier
	keyIdx    *keyIndex
	masks     map[*rules.Program][]uint64 // the change keys each member rule reads
	maskOf    [][]uint64                  // the same by config.Rule.ID, for the hot path
	tierMask  []uint64                    // the keys some tier rule reads
	badges    map[string]*config.Badge
	revocable []*config.Badge // badges with a revoke_when rule
	timing    timing          // what member rules say about time passing
	rm        rules.Member
	render    *templates.Renderer
	enters    map[string]bool // event types some campaign reacts to
	campaigns map[string]*config.Campaign
	// stepOrders is the campaigns' step order as last run, so a run on a
	// removed step goes on to the step that followed it (SetStepOrders).
	stepOrders config.StepOrders
	sendKeep   time.Duration // how long send times matter to frequency caps
	ms         memberState   // reused by every bind: no allocation per rule
	fields     memberFields  // derived member fields some rule reads
	// eventFields are the event fields the rules on each event type read;
	// a type missing here gets the whole view.
	eventFields map[string]map[string]bool
	types       map[string]*typeInfo        // by event type, made on first use
	plans       map[string]*events.ViewPlan // by event type, made on first use
	wholePlans  map[string]*events.ViewPlan // the same keeping every field
	bound       bindKey
	work        work
	spare       []*changes     // cleared change sets for reuse
	noAttrs     map[string]any // shared, empty: rules never write to attrs
	preview     previewScratch
	gov         govern // moderation, community figures and alerts
	stats       Stats
	counts      []ruleCount // by config.Rule.ID; read concurrently by metrics
	pending     []uint64    // evaluations by config.Rule.ID not yet in counts
	// refused counts runs max_runs turned away, by campaign, since the
	// last TakeRefused.
	refused map[string]int
	// timeRules measures each rule evaluation, for the engine overhead
	// figure of hearth bench; off in normal runs.
	timeRules bool
	clockBase time.Time          // the start rule timings are read against
	clockCost time.Duration      // what an empty measurement reads
	pairCost  time.Duration      // what a measurement costs the run
	sample    uint64             // xorshift state picking the evaluations timed
	tracker   *analytics.Tracker // community tallies for reports
	// memberRules is MemberRules of cfg.
	memberRules uint64
	shared      shared // strings and attributes derived events share

	// heard is which moves send an event something listens to: the
	// preview settles a member with such a move as the runtime does.
	heard heard
	// pins are the variants rule tests give members in place of the
	// split's hash: member id -> campaign -> variant (PinVariants).
	pins map[string]map[string]string
	// asOf, while member eval or why explains a member as of an earlier
	// time (EvalAsOf, WhyAsOf), collects what the rules read that the
	// member's state cannot tell as of then.
	asOf *AsOf
	// onPlatform lists the communities on the platforms, for moves into
	// a capacity family's sub-communities (SetPlatformCommunities).
	onPlatform PlatformCommunities
	// history applies events to member state only (SetHistory): a
	// backfill of what happened before hearth ran.
	history bool
}

// SetHistory turns history mode on or off: events (and the rechecks
// between them) then change member state only, as a backfill of what
// happened before hearth ran must. Identities, join and activity times,
// counts and their windows, points expiring, community figures, tiers
// and segments are kept up to date, tiers and segments silently; no
// incentive grants (so no points or badges), no campaign is entered, no
// moderation rule or alert runs, and nothing is queued for a platform
// (no welcome, role, trust level, move or message). Campaign runs
// already under way still advance as their timers fall due: they are
// live, not history. Moves between tiers and segments are still
// recorded as outcomes at their times, for the member's history.
func (r *Runtime) SetHistory(on bool) { r.history = on }

// History reports whether history mode is on (SetHistory).
func (r *Runtime) History() bool { return r.history }

// TimeRules turns on timing of rule evaluations (Stats.EvalNanos over
// Stats.TimedEvals), so the cost of the rules can be set against the
// engine's in one run.
//
// Reading the clock costs a fifth of a typical rule, so it is read around
// one evaluation in ruleSample, picked at random, and what an empty
// measurement reads (calibrated here) is taken off each one: the rules'
// cost is neither inflated by the clock nor the engine's by timing every
// rule. What the measurements themselves cost the run is in
// Stats.TimingNanos, for the engine's side.
func (r *Runtime) TimeRules(on bool) {
	r.timeRules = on
	r.clockBase = time.Now()
	r.sample = 0x9e3779b97f4a7c15
	r.clockCost = clockCost(r.clockBase)
	r.pairCost = pairCost(r.clockBase)
}

// ruleSample is how many evaluations there are for each one timed.
const ruleSample = 8

// clockCost is the median of what an empty measurement reads: the part
// of the clock's own cost that falls inside a measured window.
func clockCost(base time.Time) time.Duration {
	var d [1001]time.Duration
	for i := range d {
		start := time.Since(base)
		d[i] = time.Since(base) - start
	}
	slices.Sort(d[:])
	return d[len(d)/2]
}

// pairCost is what one measurement costs the run: both of its clock
// reads, timed over many.
func pairCost(base time.Time) time.Duration {
	const n = 10000
	var sink time.Duration
	start := time.Now()
	for range n {
		t := time.Since(base)
		sink += time.Since(base) - t
	}
	elapsed := time.Since(start)
	_ = sink
	return elapsed / n
}

// sampled reports whether the next evaluation is to be timed: one in
// ruleSample, picked at random, when TimeRules is on. It is small enough
// to be inlined, so an evaluation that is not timed costs no call.
func (r *Runtime) sampled() bool {
	if !r.timeRules {
		return false
	}
	r.sample ^= r.sample << 13
	r.sample ^= r.sample >> 7
	r.sample ^= r.sample << 17
	return r.sample%ruleSample == 0
}

// interrupted is how long a timed evaluation must take to be taken for
// one the scheduler or the collector stopped: a thousand times a typical
// rule. Such a sample is dropped; weighted by ruleSample it would count
// the pause as rule time many times over.
const interrupted = 100 * time.Microsecond

// timedBool is eval.Bool, timed.
func (r *Runtime) timedBool(p *rules.Program) (bool, error) {
	start := time.Since(r.clockBase)
	ok, err := r.eval.Bool(p)
	r.timed(start)
	return ok, err
}

// timedString is eval.String, timed.
func (r *Runtime) timedString(p *rules.Program) (string, error) {
	start := time.Since(r.clockBase)
	s, err := r.eval.String(p)
	r.timed(start)
	return s, err
}

// timed ends a measurement that began at start.
func (r *Runtime) timed(start time.Duration) {
	r.stats.TimingNanos += int64(r.pairCost)
	if d := time.Since(r.clockBase) - start - r.clockCost; d < interrupted {
		r.stats.EvalNanos += int64(max(0, d))
		r.stats.TimedEvals++
	}
}

// Stats counts what the runtime did.
type Stats struct {
	Events     int
	Duplicates int
	TooOld     int // events from before the id horizon, not applied
	Suppressed int // events of suppressed members, not applied
	Rejected   int
	Derived    int
	Rechecks   int
	RuleErrors int
	// SendErrors counts campaign sends not made because their message
	// could not be made (a template reading what the event lacks).
	SendErrors int
	// RunsRefused counts entries into a campaign with run_key that a
	// member's max_runs runs under way turned away.
	RunsRefused int
	// Linked counts events applied to the member one of their identities
	// belongs to rather than to a member of their own id (a Telegram
	// event of an imported member); IdentityConflicts the identities
	// refused because another member holds them, and events whose
	// identities belong to several members.
	Linked            int
	IdentityConflicts int
	// Evaluations counts rules run, for the engine overhead figure.
	Evaluations int
	// EvalNanos is the time spent in the TimedEvals evaluations that were
	// timed, when TimeRules is on.
	EvalNanos  int64
	TimedEvals int
	// TimingNanos is what taking those measurements cost the run (two
	// clock reads each), which is not the engine's.
	TimingNanos int64
	Firings     map[string]int // incentive name -> grants
}

// New prepares a runtime for a validated configuration.
func New(cfg *config.Config, log *slog.Logger) *Runtime {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Runtime{
		cfg: cfg, log: log, eval: rules.NewEvaluator(), noAddress: lograte.New(time.Minute),
		byType: map[string][]*config.Incentive{}, ranks: map[string]int{}, zones: newZones(cfg.Settings.Timezone),
		locked: map[string]*config.Tier{}, runs: map[*config.Incentive]*incentiveRun{}, keyIdx: newKeyIndex(), masks: map[*rules.Program][]uint64{},
		badges:  map[string]*config.Badge{},
		noAttrs: map[string]any{},
		tracker: analytics.NewTracker(cfg),
	}
	for _, in := range cfg.Incentives {
		for _, t := range in.On {
			r.byType[t] = append(r.byType[t], in)
		}
	}
	for _, t := range cfg.Tiers {
		r.ranks[t.Name] = t.Rank
		for _, id := range t.Locked {
			r.locked[id] = t
		}
	}
	for _, b := range cfg.Badges {
		r.badges[b.Name] = b
		if b.RevokeWhen != nil {
			r.revocable = append(r.revocable, b)
		}
	}
	r.counts = make([]ruleCount, len(cfg.Rules))
	r.pending = make([]uint64, len(cfg.Rules))
	r.gov = newGovern(cfg)
	r.segOrder = segmentOrder(cfg.Segments)
	r.forLeft = config.SegmentsForLeft(cfg.Segments)
	r.render = templates.New(cfg)
	r.enters = map[string]bool{}
	r.campaigns = map[string]*config.Campaign{}
	for _, c := range cfg.Campaigns {
		r.campaigns[c.Name] = c
		if c.Schedule != nil {
			r.scheduled = append(r.scheduled, c)
		}
		for _, t := range c.EnterOn {
			r.enters[t] = true
		}
		if c.Audience != nil {
			r.enters["segment.entered"], r.enters["segment.left"] = true, true
		}
		if c.FrequencyCap != nil {
			r.sendKeep = max(r.sendKeep, c.FrequencyCap.Window)
		}
	}
	if g := cfg.Settings.FrequencyCap; g != nil {
		r.sendKeep = max(r.sendKeep, g.Window)
	}
	programs := make([]*rules.Program, 0, len(cfg.Rules))
	for _, rule := range cfg.Rules {
		programs = append(programs, rule.Program)
	}
	r.fields = fieldsRead(programs)
	r.eventFields = eventFieldsRead(r.byType, r.enters)
	ruleKeys := map[*rules.Program][]string{}
	memberRules := func(rs ...*config.Rule) {
		for _, rule := range rs {
			if rule != nil && rule.Program != nil {
				ruleKeys[rule.Program] = r.keyIdx.registerKeys(rule.Program)
				r.timing.add(rule.Program)
			}
		}
	}
	for _, s := range cfg.Segments {
		memberRules(s.When)
	}
	if len(cfg.Segments) > 0 {
		// Leaving and coming back move a member out of and into every
		// segment (segmentDue), whatever its rule reads.
		r.keyIdx.add("left")
	}
	if slices.ContainsFunc(cfg.Segments, func(s *config.Segment) bool { return s.Community != nil }) {
		// Joining and leaving a community move a member into and out of
		// the segments limited to it (segmentDue).
		r.keyIdx.add("community")
	}
	for _, t := range cfg.Tiers {
		memberRules(t.When, t.Keep)
	}
	for _, b := range cfg.Badges {
		memberRules(b.RevokeWhen)
	}
	for _, c := range cfg.Campaigns {
		memberRules(c.ExitWhen, c.StopWhen)
		for _, st := range c.Steps {
			memberRules(st.WaitUntil, st.When)
			for _, b := range st.Branches {
				memberRules(b.When)
			}
		}
	}
	for _, t := range cfg.Tiers {
		r.timing.tiers = r.timing.tiers || t.Grace > 0 || t.DemoteAfter > 0
	}
	r.keyIdx.fix(cfg)
	// Masks last, when every key has its number.
	for p, keys := range ruleKeys {
		r.masks[p] = r.keyIdx.mask(keys)
	}
	r.tierMask = make([]uint64, r.keyIdx.words)
	for _, t := range cfg.Tiers {
		for _, rule := range []*config.Rule{t.When, t.Keep} {
			if rule != nil && rule.Program != nil {
				for i, w := range r.masks[rule.Program] {
					r.tierMask[i] |= w
				}
			}
		}
	}
	r.maskOf = make([][]uint64, len(cfg.Rules))
	for _, rule := range cfg.Rules {
		if rule.Program != nil && rule.ID >= 0 && rule.ID < len(r.maskOf) {
			r.maskOf[rule.ID] = r.masks[rule.Program]
		}
	}
	r.memberRules = MemberRules(cfg)
	r.heard = r.movesHeard()
	return r
}

// Configured reports whether the configuration has the campaign named
// name: a member's document keeps the runs of one removed since.
func (r *Runtime) Configured(name string) bool { return r.campaigns[name] != nil }

// MemberRules is the fingerprint of what decides a member's standing
// without an event: segment rules, the tier ladder, badge revocation and
// which campaigns are paused.
// A member last evaluated under another fingerprint (or none: a new
// member) has all of them evaluated at its next event or recheck, not
// only those its latest changes feed, so a rule edited, added, or true
// from the start (points == 0) takes hold. It is stable across processes
// and versions, and never zero.
func MemberRules(cfg *config.Config) uint64 {
	h := fnv.New64a()
	field := func(parts ...string) {
		for _, p := range parts {
			_, _ = io.WriteString(h, p)
			_, _ = h.Write([]byte{0})
		}
	}
	src := func(rule *config.Rule) string {
		if rule == nil {
			return "-"
		}
		return rule.Source
	}
	for _, s := range cfg.Segments {
		field("segment", s.Name, src(s.When))
	}
	if len(cfg.Segments) > 0 {
		// Since members who left are in no segment but those written
		// for them: a store of an earlier hearth is swept once, so the
		// segments it kept for them go.
		field("segments", "left out")
	}
	for _, t := range cfg.Tiers {
		field("tier", t.Name, strconv.Itoa(t.Rank), src(t.When), src(t.Keep), t.Grace.String(), t.DemoteAfter.String(), t.Window.String())
		field(t.Locked...)
	}
	// A tier renamed by a moved block: the sweep writes the new name
	// into the members stored on the old one.
	for _, from := range slices.Sorted(maps.Keys(cfg.TierMoves)) {
		field("moved tier", from, cfg.TierMoves[from])
	}
	for _, b := range cfg.Badges {
		field("badge", b.Name, strconv.FormatBool(b.Repeat), src(b.RevokeWhen))
	}
	// Pausing or resuming a campaign moves its members: on resuming,
	// steps that came due while it was paused go on at once, which only
	// a sweep brings about (the paused runs have no recheck set). A
	// campaign added or removed needs none, so only the paused ones
	// count: a new campaign takes members in as their events come, and
	// the runs of a removed one stop at their next event or recheck,
	// with nothing sent meanwhile.
	for _, c := range cfg.Campaigns {
		if c.Paused {
			field("paused campaign", c.Name)
		}
		// A schedule added, changed or removed: the sweep sets (or
		// clears) the next occurrence of every member in its audience,
		// which no event of theirs may come to do before it.
		if s := c.Schedule; s != nil && c.Audience != nil {
			field("schedule", c.Name, c.Audience.Name, s.String(), c.Members)
		}
		// A step renamed by a moved block: the sweep carries the runs
		// stored on the old name over to the new one, so the block can
		// go once it is done, instead of at each run's next timer.
		for _, from := range slices.Sorted(maps.Keys(c.StepMoves)) {
			field("moved step", c.Name, from, c.StepMoves[from])
		}
	}
	return max(h.Sum64(), 1)
}

// SetStepOrders gives the runtime the step orders its campaigns ran with
// before (config.StepOrders, merged with its own): without them, a run
// on a removed step goes on to the step now at its index. Set it before
// the runtime handles anything; it keeps o.
func (r *Runtime) SetStepOrders(o config.StepOrders) { r.stepOrders = o }

// StepOrders is what SetStepOrders gave.
func (r *Runtime) StepOrders() config.StepOrders { return r.stepOrders }

// PinVariants has each campaign's split give the members named the
// variant named (member id -> campaign -> variant) in place of its
// hash's choice, so a rule test can run each arm of an A/B test with the
// members it likes. A campaign with run_key may be pinned per run too,
// by its run id (campaign[key], state.RunID), which wins over the
// campaign's pin for that run: the hash gives all of a member's runs
// one variant, but a run keeps the one it was given when the weights
// change, so a member's runs can differ. The run then goes on exactly as if the split had
// chosen it: the variant is recorded, with its outcome, and the run
// takes its goto. A pin naming no variant of the split is ignored. Only
// hearth test pins: the daemon, simulate and replay leave the choice to
// the hash. Set it before the runtime handles anything; it keeps pins.
func (r *Runtime) PinVariants(pins map[string]map[string]string) { r.pins = pins }

// MemberRules is the fingerprint of the runtime's configuration; see the
// function of the same name.
func (r *Runtime) MemberRules() uint64 { return r.memberRules }

type ruleCount struct {
	evals, errors atomic.Uint64
}

// PublishCounts makes the evaluations counted since the last call visible
// to RuleCounts. Counting is kept off atomics on the hot path (an atomic
// add per evaluation costs as much as a small rule's work), so the
// caller publishes, as the daemon does after each batch.
func (r *Runtime) PublishCounts() {
	for i, n := range r.pending {
		if n != 0 {
			r.counts[i].evals.Add(n)
			r.pending[i] = 0
		}
	}
}

// TakeRefused returns the runs max_runs turned away since the last call,
// by campaign, and starts counting afresh: the daemon adds them to its
// metric once the batch that refused them is committed, and drops them
// when it is not (its events are applied again).
func (r *Runtime) TakeRefused() map[string]int {
	out := r.refused
	r.refused = nil
	return out
}

// RuleCount is how often one rule ran and failed.
type RuleCount struct {
	Rule        string
	Evaluations uint64
	Errors      uint64
}

// RuleCounts reports evaluations and run-time errors per rule, as of the
// last PublishCounts. It is safe to call from another goroutine while the
// runtime works.
func (r *Runtime) RuleCounts() []RuleCount {
	out := make([]RuleCount, len(r.counts))
	for i := range r.counts {
		out[i] = RuleCount{Rule: r.cfg.Rules[i].Address, Evaluations: r.counts[i].evals.Load(), Errors: r.counts[i].errors.Load()}
	}
	return out
}

// Stats returns counts so far.
func (r *Runtime) Stats() Stats {
	st := r.stats
	st.Firings = make(map[string]int, len(r.runs))
	for _, run := range r.runs {
		if run.fired > 0 {
			st.Firings[run.in.Name] = run.fired
		}
	}
	return st
}

// segmentOrder sorts segments so that a segment comes after those its
// rule reads with in_segment (validate refuses cycles).
func segmentOrder(segs []*config.Segment) []*config.Segment {
	byName := map[string]*config.Segment{}
	for _, s := range segs {
		byName[s.Name] = s
	}
	var out []*config.Segment
	done := map[string]bool{}
	var visit func(s *config.Segment)
	visit = func(s *config.Segment) {
		if done[s.Name] {
			return
		}
		done[s.Name] = true
		if s.When != nil && s.When.Program != nil {
			for _, dep := range s.When.Program.Reads.Segments {
				if d := byName[dep]; d != nil {
					visit(d)
				}
			}
		}
		out = append(out, s)
	}
	for _, s := range segs {
		visit(s)
	}
	return out
}

type bindKey struct {
	w   *work
	m   *state.Member
	ev  *events.Event
	now time.Time
	gen int
}

// work is the state of one event's processing inside a batch.
type work struct {
	ctx context.Context
	b   state.Batch
	// touched are the members the event loaded or changed, in the order
	// it reached them; most events touch one or two, so they are found
	// by a scan, with byID to help when a recheck loads many.
	touched  []touched
	byID     map[string]int
	order    []int // settle's scratch
	keys     *keyIndex
	outcomes []state.Outcome
	gen      int // bumped on every state change, so bind knows to redo
	spare    *[]*changes
	extra    []*events.Event // derived events queued during the event
	quiet    []quietEvent    // derived events nothing reads or listens to
	actions  []state.Action  // outbox entries caused by the event
	tallies  state.Tallies   // community tally changes of the event
	// moved is the member the event brought back to the community or
	// took out of it, for the audience campaigns that now take them in
	// (audiencesOnMove), once their segments are settled.
	moved *state.Member
}

// touched is one member of the work: loaded (m), changed (ch), or both.
type touched struct {
	id string
	m  *state.Member
	ch *changes
	// due is when the member must be looked at again at the latest, set
	// when a late event took its rules back in time; zero for none.
	due time.Time
}

// quietEvent is a derived event of a type no rule reads and no incentive
// or campaign listens to: applying it only counts it on the member, so no
// events.Event is built for it.
type quietEvent struct {
	m   *state.Member
	typ string
	at  time.Time
}

// scanLimit is how many members are found by a scan before byID is kept.
const scanLimit = 8

// find is id's place in touched, or -1.
func (w *work) find(id string) int {
	if w.byID != nil {
		if i, ok := w.byID[id]; ok {
			return i
		}
		return -1
	}
	for i := range w.touched {
		if w.touched[i].id == id {
			return i
		}
	}
	return -1
}

// entry is id's place in touched, added when new.
func (w *work) entry(id string) int {
	if i := w.find(id); i >= 0 {
		return i
	}
	w.touched = append(w.touched, touched{id: id})
	i := len(w.touched) - 1
	if w.byID != nil {
		w.byID[id] = i
	} else if len(w.touched) > scanLimit {
		w.byID = make(map[string]int, 2*len(w.touched))
		for j, t := range w.touched {
			w.byID[t.id] = j
		}
	}
	return i
}

func (w *work) member(id string, at time.Time) (*state.Member, bool, error) {
	i := w.find(id)
	if i >= 0 && w.touched[i].m != nil {
		return w.touched[i].m, false, nil
	}
	m, err := w.b.Member(id)
	created := false
	if errors.Is(err, state.ErrNotFound) {
		// A member who asked to be forgotten with suppression is not
		// made again by the next event that names them.
		if sb, ok := w.b.(state.SuppressionBatch); ok {
			on, serr := sb.Suppressed(id)
			if serr != nil {
				return nil, false, serr
			}
			if on {
				return nil, false, state.ErrSuppressed
			}
		}
		m, created, err = state.NewMember(id, at), true, nil
	}
	if err != nil {
		return nil, false, err
	}
	if i < 0 {
		i = w.entry(id)
	}
	w.touched[i].m = m
	return m, created, nil
}

// late notes that a late event applied to member id, which had been
// evaluated at at: the member is due again then.
func (w *work) late(id string, at time.Time) {
	i := w.entry(id)
	if at.After(w.touched[i].due) {
		w.touched[i].due = at
	}
}

// changes returns id's change set, making it on first use.
func (w *work) changes(id string) *changes {
	w.gen++
	i := w.entry(id)
	c := w.touched[i].ch
	if c == nil {
		if n := len(*w.spare); n > 0 {
			c = (*w.spare)[n-1]
			*w.spare = (*w.spare)[:n-1]
		} else {
			c = &changes{bits: make([]uint64, w.keys.words)}
		}
		w.touched[i].ch = c
	}
	return c
}

// mark records that keys of member id changed, by their numbers
// (keyIndex); -1, a key no rule reads, only touches the member.
func (w *work) mark(id string, keys ...int) {
	w.changes(id).mark(keys...)
}

// newWork readies the runtime's one work value for an event: its maps
// are cleared, not reallocated, so steady processing allocates little.
func (r *Runtime) newWork(ctx context.Context, b state.Batch) *work {
	w := &r.work
	w.keys = r.keyIdx
	for _, t := range w.touched {
		if t.ch != nil {
			t.ch.reset()
			r.spare = append(r.spare, t.ch)
		}
	}
	clear(w.touched) // drop the members, for the collector
	w.touched, w.byID = w.touched[:0], nil
	clear(w.tallies)
	// The outcome list is reused: Result.Outcomes is only good until the
	// next call, and the stores copy what they are given.
	w.ctx, w.b, w.outcomes, w.extra, w.actions = ctx, b, w.outcomes[:0], nil, nil
	clear(w.quiet)
	w.quiet = w.quiet[:0]
	w.spare = &r.spare
	w.gen++
	return w
}

// Result says what happened to one event.
type Result struct {
	Duplicate bool
	// Reused says the duplicate is another event under an id applied
	// before: the store kept a digest of that event (ApplyDigest), and
	// it differs. Earlier is what the store kept.
	Reused  bool
	Earlier state.Claimed
	// TooOld says the event is from before the store's id horizon
	// (state.ErrTooOld) and was not applied.
	TooOld bool
	// Suppressed says the event's member asked to be forgotten and is on
	// the suppression list (state.ErrSuppressed): it was not applied.
	Suppressed bool
	// Outcomes are what the event caused. The slice is reused by the
	// next Apply or Recheck: copy what must outlive it.
	Outcomes []state.Outcome
}

// Apply processes one event in a batch: it is skipped when its id was seen
// before; otherwise the id is claimed and every effect is written to the
// same batch, so committing makes both durable together, and a failure
// (the caller rolls the batch back) keeps neither. After an error the
// batch must be rolled back.
func (r *Runtime) Apply(ctx context.Context, b state.Batch, ev *events.Event) (Result, error) {
	return r.ApplyDigest(ctx, b, ev, 0)
}

// ApplyDigest is Apply for an event whose content digest
// (events.Digest) is known, 0 for unknown. A store that keeps digests
// (state.DigestClaimer) keeps it with the id, and a duplicate whose
// digest differs from the one kept is Reused: the sender gave one id to
// two events. The first event under an id wins all the same.
func (r *Runtime) ApplyDigest(ctx context.Context, b state.Batch, ev *events.Event, digest uint64) (Result, error) {
	var fresh bool
	var earlier state.Claimed
	var err error
	if dc, ok := b.(state.DigestClaimer); ok && digest != 0 {
		fresh, earlier, err = dc.ClaimDigest(ev.ID, ev.At, digest)
	} else {
		fresh, err = b.Claim(ev.ID, ev.At)
	}
	if errors.Is(err, state.ErrTooOld) {
		r.stats.TooOld++
		return Result{TooOld: true}, nil
	}
	if err != nil {
		return Result{}, err
	}
	if !fresh {
		r.stats.Duplicates++
		reused := earlier.Digest != 0 && earlier.Digest != digest
		return Result{Duplicate: true, Reused: reused, Earlier: earlier}, nil
	}
	w := r.newWork(ctx, b)
	if err := r.applyEvent(w, ev, 0); err != nil {
		if errors.Is(err, state.ErrSuppressed) {
			// Refused before anything changed: the member is looked up
			// first.
			r.stats.Suppressed++
			return Result{Suppressed: true}, nil
		}
		return Result{}, err
	}
	if err := r.finish(w, ev.At); err != nil {
		return Result{}, err
	}
	r.stats.Events++
	return Result{Outcomes: w.outcomes}, nil
}

// Recheck re-evaluates time-dependent rules for members due at or before
// t, with no event. It returns how many members it re-checked and the
// outcomes, good until the next Apply or Recheck.
func (r *Runtime) Recheck(ctx context.Context, b state.Batch, t time.Time, limit int) (int, []state.Outcome, error) {
	ids, err := b.Due(t, limit)
	if err != nil || len(ids) == 0 {
		return 0, nil, err
	}
	// Members come due because time passed, not because they were active:
	// most are not in memory, so they are read at once.
	if pl, ok := b.(state.Preloader); ok {
		if err := pl.Preload(nil, ids); err != nil {
			return 0, nil, err
		}
	}
	w := r.newWork(ctx, b)
	rechecked := 0
	for _, id := range ids {
		m, _, err := w.member(id, t)
		if err != nil {
			return 0, nil, err
		}
		if m.RecheckAt.IsZero() || m.RecheckAt.After(t) {
			continue // caught up already, by an event of its own
		}
		if err := r.recheckMember(w, m); err != nil {
			return 0, nil, err
		}
		rechecked++
	}
	if err := r.finish(w, t); err != nil {
		return 0, nil, err
	}
	return rechecked, w.outcomes, nil
}

// Reevaluate evaluates every segment, tier and badge rule again for
// those of the members ids last evaluated under other rules (see
// MemberRules), at time at (or the member's own evaluation time, if
// later), as if time alone had moved: after the rules change, members
// move as the plan's member impact said, without waiting for their next
// event. Members already evaluated under these rules, and ids with no
// stored member, are left alone; so is one that an incentive on an
// earlier member's moves granted something (grant.to), settled then, at
// that member's time. It returns how many members it evaluated and the
// outcomes, good until the next Apply, Recheck or Reevaluate.
func (r *Runtime) Reevaluate(ctx context.Context, b state.Batch, ids []string, at time.Time) (int, []state.Outcome, error) {
	if len(ids) == 0 {
		return 0, nil, nil
	}
	if pl, ok := b.(state.Preloader); ok {
		if err := pl.Preload(nil, ids); err != nil {
			return 0, nil, err
		}
	}
	w := r.newWork(ctx, b)
	n := 0
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
		var m *state.Member
		if i := w.find(id); i >= 0 && w.touched[i].m != nil {
			// Listed twice, or reached by a grant of a member before
			// (grant.to): settled already if the grant gave them
			// anything, and not if it gave nothing (once, limit).
			m = w.touched[i].m
		} else {
			var err error
			m, err = b.Member(id)
			if errors.Is(err, state.ErrNotFound) {
				continue
			}
			if err != nil {
				return 0, nil, err
			}
		}
		if m.Rules == r.memberRules {
			continue // an event of its own, or a grant, got there first
		}
		w.touched[w.entry(id)].m = m
		when := at
		if m.EvaluatedAt.After(when) {
			when = m.EvaluatedAt
		}
		if err := r.catchUp(w, m, when); err != nil {
			return 0, nil, err
		}
		w.mark(m.ID, r.keyIdx.time)
		r.refreshStrikes(w, m, when)
		ev := &events.Event{ID: fmt.Sprintf("rules:%x:%s", r.memberRules, m.ID), Type: "hearth.rules_changed", Member: events.Member{ID: m.ID}, At: when}
		if err := r.settle(w, m, ev, 0); err != nil {
			return 0, nil, err
		}
		n++
	}
	if err := r.finish(w, at); err != nil {
		return 0, nil, err
	}
	return n, w.outcomes, nil
}

// recheckMember re-evaluates a member's time-dependent rules at its
// recheck time, as if time alone had moved.
func (r *Runtime) recheckMember(w *work, m *state.Member) error {
	at := m.RecheckAt
	w.mark(m.ID, r.keyIdx.time)
	if at.Equal(m.EvaluatedAt) {
		// Due at the time it was evaluated at: a late event's recheck
		// (applyEvent), whose rules saw counts as of the late event's
		// day. Every rule looks again now, not only those time moves:
		// one that reads only member.messages saw it lower back then.
		w.changes(m.ID).all = true
	}
	r.refreshStrikes(w, m, at)
	r.endMute(w, m, at)
	late := at.Equal(m.EvaluatedAt)
	ev := &events.Event{ID: fmt.Sprintf("recheck:%s:%d", m.ID, at.Unix()), Type: "hearth.recheck", Member: events.Member{ID: m.ID}, At: at}
	if err := r.settle(w, m, ev, 0); err != nil {
		return err
	}
	if len(r.scheduled) > 0 {
		// After settling: the audience is the one at the occurrence.
		r.broadcast(w, m, ev, late)
	}
	r.stats.Rechecks++
	return nil
}

// maxCatchUp bounds the rechecks run before one event; a member idle
// past the horizon has no recheck scheduled, so this is rarely reached.
const maxCatchUp = 1000

// catchUp runs the member's rechecks that fell due at or before the
// event's time and were not run yet. Whether the recheck loop reached a
// member before its next event depends on timing (commits in flight, the
// daemon's tick); running them here makes the event see the same state
// either way.
func (r *Runtime) catchUp(w *work, m *state.Member, at time.Time) error {
	for range maxCatchUp {
		if m.RecheckAt.IsZero() || m.RecheckAt.After(at) {
			return nil
		}
		if err := r.recheckMember(w, m); err != nil {
			return err
		}
		r.schedule(m)
	}
	return nil
}

func (r *Runtime) finish(w *work, at time.Time) error {
	if err := r.trackFinish(w); err != nil {
		return err
	}
	for _, t := range w.touched {
		if t.m == nil {
			continue
		}
		// A member the work only read, still under other rules (a grant
		// of a member before gave them nothing: once, limit), keeps the
		// recheck time those rules gave: the re-evaluation after a
		// reload runs it first (catchUp) at the member's turn, whether
		// or not the member it reached them from was in the same batch.
		if t.m.Rules == r.memberRules || t.m.EvaluatedAt.IsZero() {
			r.schedule(t.m)
		}
		t.m.RecheckAt = state.Earlier(t.m.RecheckAt, t.due)
		if err := w.b.SaveMember(t.m); err != nil {
			return err
		}
	}
	if len(w.actions) > 0 {
		if err := w.b.Enqueue(w.actions); err != nil {
			return err
		}
	}
	if len(w.outcomes) > 0 {
		return w.b.AppendOutcomes(w.outcomes)
	}
	return nil
}

// schedule sets when time alone can next change the member's rules, from
// what the compiled rules say about time: a day's count leaving a window,
// a day count crossing a constant (days_since_joined >= 14), a grant of
// points expiring, a grace period or qualification window ending. Rules
// that use time unpredictably are re-checked daily. Members idle longer
// than the horizon are left alone until their next event.
func (r *Runtime) schedule(m *state.Member) {
	now := m.EvaluatedAt
	if now.IsZero() {
		now = m.LastEventAt
	}
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if len(m.Expiring) > 0 {
		consider(m.Expiring[0].ExpiresAt)
	}
	last := m.LastEventAt
	if last.IsZero() {
		last = m.JoinedAt
	}
	idle := now.Sub(last) > state.Horizon*24*time.Hour
	if r.timing.daily && !idle {
		consider(state.DayOf(now).Time().Add(24 * time.Hour))
	}
	// weekday(now) and hour(now) turn on the member's clock: at their
	// midnight, at the start of each of their hours.
	if (r.timing.localDaily || r.timing.hourly) && !idle {
		t := now.In(r.zones.of(m.Timezone))
		if r.timing.hourly {
			consider(nextHour(t))
		} else {
			consider(time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location()))
		}
	}
	if len(r.timing.windows) > 0 && !idle {
		today := state.DayOf(now)
		widest := state.Day(slices.Max(r.timing.windows))
		visit := func(s state.Series) {
			// Days are in order: only the last widest days can still
			// leave a window, so the walk stops at the first older one.
			for i := len(s) - 1; i >= 0 && s[i].Day+widest > today; i-- {
				for _, w := range r.timing.windows {
					if s[i].Day+state.Day(w) > today {
						consider((s[i].Day + state.Day(w)).Time())
					}
				}
			}
		}
		for _, c := range m.Types {
			visit(c.Days)
		}
		visit(m.Active)
		visit(m.Earned)
	}
	for _, a := range r.timing.anchors {
		base := m.JoinedAt
		switch a.Base {
		case "active":
			base = m.LastActiveAt
		case "left":
			base = m.LeftAt
		}
		if base.IsZero() {
			continue
		}
		// The count is whole days, so it reaches Days at base + Days and
		// leaves it a day later: either can flip the comparison.
		consider(base.Add(time.Duration(a.Days) * 24 * time.Hour))
		consider(base.Add(time.Duration(a.Days+1) * 24 * time.Hour))
	}
	if (r.timing.tiers || tierImported(m)) && m.Tier.Name != "" {
		for _, t := range r.cfg.Tiers {
			if t.Name == m.Tier.Name && graceOf(t, m) > 0 {
				consider(m.Tier.Since.Add(graceOf(t, m)))
			}
			if t.Name == m.Tier.Name && t.DemoteAfter > 0 && !m.Tier.FailingSince.IsZero() {
				consider(m.Tier.FailingSince.Add(t.DemoteAfter))
			}
		}
	}
	for id, run := range m.Campaigns {
		if !run.Active() {
			continue
		}
		if c := r.campaigns[state.RunCampaign(id)]; c == nil || !c.Paused {
			consider(run.Due)
			consider(run.Deadline)
		}
	}
	if len(r.scheduled) > 0 {
		// A broadcast reaches idle members too: not behind the horizon.
		consider(r.nextOccurrence(m, now))
	}
	consider(r.nextDecay(m, now))
	consider(r.muteEnd(m))
	// Every tier the member qualifies for: each window ends on its own.
	for _, q := range m.Tier.Qualifying {
		if t := r.tierNamed(q.Tier); t != nil && t.Window > 0 {
			consider(q.Since.Add(t.Window))
		}
	}
	m.RecheckAt = next
}

// nextHour is the start of the hour after t's on t's clock: the next
// local o'clock, which in a zone offset by a half hour is not UTC's.
func nextHour(t time.Time) time.Time {
	next := time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, t.Location())
	if !next.After(t) {
		// Never, but an hour on is safe if a zone's rules say otherwise.
		next = t.Add(time.Hour)
	}
	return next
}

// timing is what the member rules of a configuration say about time.
type timing struct {
	daily bool
	// localDaily and hourly: some rule reads weekday(now), hour(now).
	localDaily, hourly bool
	windows            []int
	anchors            []rules.Anchor
	tiers              bool // some tier has a grace period or demote_after
}

func (t *timing) add(p *rules.Program) {
	if p == nil || !p.Reads.TimeDependent {
		return
	}
	t.daily = t.daily || p.Reads.Daily
	t.localDaily = t.localDaily || p.Reads.LocalDaily
	t.hourly = t.hourly || p.Reads.Hourly
	for _, w := range p.Reads.Windows {
		if !slices.Contains(t.windows, w) {
			t.windows = append(t.windows, w)
		}
	}
	for _, a := range p.Reads.Anchors {
		if !slices.Contains(t.anchors, a) {
			t.anchors = append(t.anchors, a)
		}
	}
}

func (r *Runtime) applyEvent(w *work, ev *events.Event, depth int) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if depth == 0 {
		if err := r.resolveMember(w, ev); err != nil {
			return err
		}
	}
	m, created, err := w.member(ev.Member.ID, ev.At)
	if errors.Is(err, state.ErrSuppressed) && depth > 0 {
		return nil // what an event derives for a suppressed member (a reaction received) is dropped
	}
	if err != nil {
		return err
	}
	ti := r.typeOf(ev.Type)
	et, known := ti.et, ti.known
	// A member already evaluated past the event's time has had rechecks
	// this event came too late for (a delayed delivery, or a backfill fed
	// to a running daemon).
	evaluated := m.EvaluatedAt
	// A platform announcing a member an import brought fires nothing.
	announced := depth == 0 && importedAnnounced(m, ev, created, m.Total("member.joined"))
	heard := true
	if depth == 0 {
		if !created {
			if err := r.catchUp(w, m, ev.At); err != nil {
				return err
			}
		}
		var was before
		if r.gov.track || len(r.gov.sets) > 0 {
			was = snapshot(m) // only governance compares before and after
		}
		if err := r.updateBase(w, m, ev, ti, created); err != nil {
			return err
		}
		r.track(w, m, ev, ti.kind)
		if ev.Type == events.MemberImported {
			r.importMember(w, m, ev, created)
		}
		r.replies(w, m, ev)
		removed, err := r.governEvent(w, m, ev, was, known && et.Activity)
		if err != nil {
			return err
		}
		// A message moderation removes earns nothing: it is counted (the
		// member did post it) but no incentive or campaign hears it, so
		// spam neither earns points nor reaches a goal.
		heard = !removed
		if ev.Type == "reaction.added" {
			// The member reacted to is credited too, so rules can count
			// what a member receives: total('reaction.received').
			target, _ := ev.Attrs["target_member"].(string)
			if target != "" {
				if target, err = r.resolveTarget(w, ev, target); err != nil {
					return err
				}
			}
			if target != "" && target != m.ID {
				attrs := map[string]any{"from": m.ID}
				for _, k := range []string{"emoji", "channel", "channel_id", "target"} {
					if v, ok := ev.Attrs[k].(string); ok {
						attrs[k] = v
					}
				}
				w.extra = append(w.extra, &events.Event{ID: ev.ID + "/reaction.received", Type: "reaction.received",
					Member: events.Member{ID: target}, At: ev.At, Source: "hearth", Attrs: attrs})
			}
		}
	} else {
		// Derived events are counted, so rules can read total('badge.awarded').
		m.Record(ti.name, ev.At, false)
		r.track(w, m, ev, analytics.Kind{Amount: ti.kind.Amount})
		w.mark(m.ID, ti.count)
	}
	ins := ti.incentives
	if heard && (len(ins) > 0 || ti.enters) && !announced && !r.history {
		// One view of the event serves every rule listening to it.
		if ti.views[depth] == nil {
			ti.views[depth] = make(map[string]any, 8)
		}
		if ti.plan == nil {
			ti.plan = r.viewPlan(ev.Type, &et, false)
		}
		view, err := ti.plan.Fill(ti.views[depth], ev)
		if err != nil {
			r.stats.RuleErrors++
			r.log.Warn("event attributes do not match their declared types; rules on it skipped", "event", ev.ID, "type", ev.Type, "err", err)
		} else {
			for _, in := range ins {
				if err := r.incentive(w, in, m, ev, view); err != nil {
					return err
				}
			}
			r.campaignEvent(w, m, ev, view)
		}
	}
	if depth == 0 && evaluated.After(ev.At) {
		// The event is applied at its own time; its member is due again
		// at the time it had been evaluated at (finish), so rules that
		// time moves (windows, days since) are not left as of the late
		// event when no recheck of theirs is still to come. One recheck
		// covers all the late events of a member until it runs.
		w.late(m.ID, evaluated)
	}
	return r.settle(w, m, ev, depth)
}

// viewPlan is how rules on events of type typ see them: with the fields
// the type's incentives read, or every field when whole is set (for the
// rules outside incentives: moderation's when).
func (r *Runtime) viewPlan(typ string, et *rules.EventType, whole bool) *events.ViewPlan {
	plans := &r.plans
	if whole {
		plans = &r.wholePlans
	}
	p := (*plans)[typ]
	if p == nil {
		if *plans == nil {
			*plans = map[string]*events.ViewPlan{}
		}
		var want map[string]bool // nil: every field
		if !whole {
			want = r.eventFields[typ]
		}
		p = events.PlanView(et, want)
		(*plans)[typ] = p
	}
	return p
}

// updateBase applies what every event does regardless of rules.
func (r *Runtime) updateBase(w *work, m *state.Member, ev *events.Event, ti *typeInfo, created bool) error {
	activity := ti.activity
	id := m.ID
	if created {
		w.mark(id, r.keyIdx.joined, r.keyIdx.community)
	}
	if ev.Member.Name != "" && ev.Member.Name != m.Name {
		m.Name = ev.Member.Name
		w.mark(id, r.keyIdx.profile)
	}
	if err := r.claimIdentities(w, m, ev); err != nil {
		return err
	}
	if m.Platform == "" && ev.Source != "" {
		m.Platform = ev.Source
	}
	m.Record(ti.name, ev.At, activity)
	w.mark(id, ti.count)
	if activity {
		w.mark(id, r.keyIdx.active)
	}
	switch ev.Type {
	case "member.joined":
		in, err := r.joinFamily(w, m, ev)
		if err != nil {
			return err
		}
		imported := importedAnnounced(m, ev, created, m.Total("member.joined")-1) // counted above
		if !imported {
			r.welcome(w, m, ev, in)
		}
		if !imported && !m.JoinedAt.Equal(ev.At) && (m.Total("member.joined") == 1 || created) {
			m.JoinedAt = ev.At
			w.mark(id, r.keyIdx.joined)
		}
		back := m.Left
		if m.Left {
			m.Left, w.moved = false, m
			w.mark(id, r.keyIdx.left)
		}
		// First attribution wins: a join names the member's referrer
		// only when they have none and are joining (their first join, or
		// back after member.left), not when a member joins again through
		// another link while still a member, nor names themselves.
		if ref, ok := ev.Attrs["referrer"].(string); ok && ref != "" && ref != id && m.Referrer == "" &&
			(back || created || m.Total("member.joined") == 1) {
			m.Referrer = ref
			w.mark(id, r.keyIdx.referrals)
		}
		r.profile(w, m, ev.Attrs, "name", "locale", "timezone")
		w.mark(id, r.keyIdx.community)
	case "member.left":
		if err := r.leaveFamily(w, m, ev, !m.Left); err != nil {
			return err
		}
		if !m.Left || m.LeftAt.IsZero() {
			// A second member.left while away (a platform telling it
			// twice) does not move the time they left.
			if !m.Left {
				w.moved = m
			}
			m.Left, m.LeftAt = true, ev.At
			w.mark(id, r.keyIdx.left)
		}
		w.mark(id, r.keyIdx.community)
	case "member.profile_updated":
		r.profile(w, m, ev.Attrs)
	case "referral.converted":
		// Each referred member counts once, and never the member
		// themselves: a friend converting again, or an event naming no
		// referee, adds nothing.
		if ref, _ := ev.Attrs["referee"].(string); ref != "" && ref != id && m.AddReferee(ref) {
			w.mark(id, r.keyIdx.referrals)
			if d := w.talliesOf(); d != nil {
				r.tracker.Converted(d, ev.At) // the report's activated referrals
			}
		}
	case "email.unsubscribed", "email.resubscribed":
		r.subscription(w, m, ev)
	case "email.bounced":
		r.bounce(w, m, ev)
	}
	return nil
}

// subscription records an email.unsubscribed or email.resubscribed on the
// member, for the platform the event names or, naming none, for every
// email platform: the outbox reads it before every email it sends.
func (r *Runtime) subscription(w *work, m *state.Member, ev *events.Event) {
	p, _ := ev.Attrs["platform"].(string)
	key := state.SubscriptionKey(p)
	var changed bool
	if ev.Type == "email.unsubscribed" {
		changed = m.Unsubscribe(key, ev.At)
	} else {
		var emails []string
		for _, pl := range r.cfg.Platforms {
			if pl.Type == state.UnsubscribedAll {
				emails = append(emails, pl.Type+"."+pl.Name)
			}
		}
		changed = m.Resubscribe(key, ev.At, emails)
	}
	if ev.Type == "email.resubscribed" && m.LiftBounces(key, ev.At, "") {
		changed = true
	}
	if changed {
		w.mark(m.ID, r.keyIdx.unsubscribed)
	}
}

// emailIdentity is the identity that holds a member's email address,
// the type of every email platform.
const emailIdentity = "email"

// NoAddressBounce is what is said of an email.bounced that records
// nothing, its member having no email identity to stop sending to.
const NoAddressBounce = "email.bounced recorded nothing: the member has no email address (member.identities.email)"

// bounce records an email.bounced on the member: the outbox sent
// through the platform it names to their address, and the server
// refused the address for good. Email but transactional email through
// that platform is not sent to that address again.
func (r *Runtime) bounce(w *work, m *state.Member, ev *events.Event) {
	p, _ := ev.Attrs["platform"].(string)
	addr := m.Identities[emailIdentity]
	if addr == "" {
		// No address to stop sending to: the outbox records a bounce only
		// of an address it sent to, so this one came from elsewhere (a
		// posted event, a replay) without member.identities.email.
		key := state.SubscriptionKey(p)
		if ok, held := r.noAddress.Allow(key, time.Now()); ok {
			args := []any{"event", ev.ID, "member", m.ID, "platform", key, "fix", "give the event the member's address, as member.identities." + emailIdentity}
			if held > 0 {
				args = append(args, "held_back", held)
			}
			r.log.Warn(NoAddressBounce, args...)
		}
		return
	}
	code, _ := ev.Attrs["code"].(string)
	reply, _ := ev.Attrs["reply"].(string)
	if m.RecordBounce(state.SubscriptionKey(p), state.Bounce{At: ev.At, Address: addr, Code: code, Reply: reply}) {
		w.mark(m.ID, r.keyIdx.unsubscribed)
	}
}

// profile merges attributes into the member's profile; with only, just
// those keys.
func (r *Runtime) profile(w *work, m *state.Member, attrs map[string]any, only ...string) {
	for k, v := range attrs {
		if len(only) > 0 && !slices.Contains(only, k) {
			continue
		}
		s, isString := v.(string)
		switch k {
		case "name":
			if isString && s != "" {
				m.Name = s
			}
		case "locale":
			if isString {
				m.Locale = s
			}
		case "timezone":
			if isString {
				if _, err := time.LoadLocation(s); err == nil {
					m.Timezone = s
				}
			}
		}
		if m.Attrs == nil {
			m.Attrs = map[string]any{}
		}
		m.Attrs[k] = v
	}
	w.mark(m.ID, r.keyIdx.profile)
}

// bind makes m, the event's view and now what rules see. Binding is
// skipped when nothing changed since the last bind of the same things.
func (r *Runtime) bind(w *work, m *state.Member, event map[string]any, ev *events.Event, now time.Time) {
	// Field by field, the most changeable first: comparing the structs
	// whole costs a call to compare bytes.
	if b := &r.bound; b.gen == w.gen && b.m == m && b.ev == ev && b.w == w && b.now == now {
		return
	}
	r.bound = bindKey{w: w, m: m, ev: ev, now: now, gen: w.gen}
	fillMemberFields(&r.rm, m, now, r.noAttrs, r.fields)
	r.ms = memberState{m: m, now: now, today: state.DayOf(now), ranks: r.ranks, zones: r.zones}
	r.eval.Bind(&r.rm, event, r.figures(w, ev, now), now, &r.ms)
}

// ruleBool evaluates a bound rule; a run-time failure counts as false.
// The block address is only built on failure, off the hot path.
func (r *Runtime) ruleBool(p *config.Rule, kind, name, attr string) bool {
	if p == nil || p.Program == nil {
		return true
	}
	r.stats.Evaluations++
	r.pending[p.ID]++
	var ok bool
	var err error
	if r.sampled() {
		ok, err = r.timedBool(p.Program)
	} else {
		ok, err = r.eval.Bool(p.Program)
	}
	if err != nil {
		r.ruleFailed(p, kind, name, attr, err)
		return false
	}
	return ok
}

// ruleFailed counts and logs a rule that failed to run. It is its own
// function so that ruleBool, run for every rule, keeps a small frame.
//
//go:noinline
func (r *Runtime) ruleFailed(p *config.Rule, kind, name, attr string, err error) {
	r.stats.RuleErrors++
	r.counts[p.ID].errors.Add(1)
	r.log.Warn("rule failed; treated as false", "rule", kind+"."+name+"."+attr, "at", fmt.Sprintf("%s:%d", p.Range.Filename, p.Range.Start.Line), "err", err)
}

func (r *Runtime) incentive(w *work, run *incentiveRun, m *state.Member, ev *events.Event, view map[string]any) error {
	in := run.in
	if in.Community != nil && ev.Community != "" && !r.inFamily(ev.Community, in.Community) {
		return nil
	}
	r.bind(w, m, view, ev, ev.At)
	if in.When != nil && !r.ruleBool(in.When, "incentive", in.Name, "when") {
		return nil
	}
	// once_per's key, read before grant.to loads another member. Without
	// once_per nothing is evaluated or allocated here.
	var key string
	if in.OncePer != nil {
		var ok bool
		if key, ok = r.oncePerKey(in); !ok {
			return nil
		}
	}
	to := m
	if in.Grant.To != nil {
		r.stats.Evaluations++
		r.pending[in.Grant.To.ID]++
		var id string
		var err error
		if r.sampled() {
			id, err = r.timedString(in.Grant.To.Program)
		} else {
			id, err = r.eval.String(in.Grant.To.Program)
		}
		if err != nil {
			r.stats.RuleErrors++
			r.log.Warn("grant.to failed", "incentive", in.Name, "err", err)
			return nil
		}
		if id == "" {
			return nil
		}
		to, _, err = w.member(id, ev.At)
		if errors.Is(err, state.ErrSuppressed) {
			return nil // no grant to a member who asked to be forgotten
		}
		if err != nil {
			return err
		}
	}
	log := to.Log(in.Name)
	if grantGate(in, to, log, ev.At, key) != gateOpen {
		return nil
	}
	points, _ := grantPoints(in, log, ev.At)
	granted := false
	rule := run.rule
	if points != 0 {
		to.AddPoints(points, ev.At)
		if in.Expires > 0 && points > 0 {
			to.Expiring = append(to.Expiring, state.Lot{Points: points, ExpiresAt: ev.At.Add(in.Expires), Reason: in.Grant.Reason, Event: ev.ID})
			sort.SliceStable(to.Expiring, func(i, j int) bool { return to.Expiring[i].ExpiresAt.Before(to.Expiring[j].ExpiresAt) })
		}
		w.mark(to.ID, r.keyIdx.points)
		w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindPoints, Member: to.ID, Name: in.Grant.Reason, Change: "grant", At: ev.At, Rule: rule, Event: ev.ID, Points: points})
		granted = true
	}
	if b := in.Grant.Badge; b != nil {
		if r.award(w, to, b, ev, rule) {
			granted = true
		}
	}
	if role := in.Grant.Role; role != nil {
		r.roleAction(w, to, role, "role.add", ev, rule)
		granted = true
	}
	if len(in.Grant.Set) > 0 {
		if to.Attrs == nil {
			to.Attrs = map[string]any{}
		}
		for k, v := range in.Grant.Set {
			to.Attrs[k] = v
		}
		w.mark(to.ID, r.keyIdx.profile)
		granted = true
	}
	if granted {
		if log == nil {
			log = to.NewGrantLog(in.Name) // Log found none above
		}
		log.Record(ev.At, points, in.Limit, in.PointsCap != nil)
		if in.OncePer != nil {
			log.AddKey(key)
		}
		run.fired++
	}
	return nil
}

// oncePerKey evaluates a bound incentive's once_per: the key, and false
// when it failed or is empty, which grants nothing (an event naming no
// referee must not pay once for all of them).
//
//go:noinline
func (r *Runtime) oncePerKey(in *config.Incentive) (string, bool) {
	p := in.OncePer
	r.stats.Evaluations++
	r.pending[p.ID]++
	var key string
	var err error
	if r.sampled() {
		key, err = r.timedString(p.Program)
	} else {
		key, err = r.eval.String(p.Program)
	}
	if err != nil {
		r.ruleFailed(p, "incentive", in.Name, "once_per", err)
		return "", false
	}
	return key, key != ""
}

// gate is what keeps an incentive from granting to a member.
type gate uint8

const (
	gateOpen     gate = iota
	gateOnce          // once, and granted before
	gateCooldown      // the cooldown since the last grant runs
	gateLimit         // limit's grants in its window are made
	gateOncePer       // once_per, and granted for this key before
)

// grantGate is what keeps incentive in from granting to the member to,
// whose bookkeeping for it is log (nil: none), on an event at at whose
// once_per key is key: the runtime's check before a grant, and member
// why's.
func grantGate(in *config.Incentive, to *state.Member, log *state.IncentiveLog, at time.Time, key string) gate {
	switch {
	case in.Once && log != nil && log.Count > 0:
		return gateOnce
	case in.OncePer != nil && log.HasKey(key):
		return gateOncePer
	case in.Cooldown > 0 && log != nil && at.Sub(log.Last) < in.Cooldown:
		return gateCooldown
	case in.Limit != nil && to.GrantsSince(in.Name, in.Limit.Since(at)) >= in.Limit.Count:
		return gateLimit
	}
	return gateOpen
}

// grantPoints is the points a grant of in gives at at, points_cap
// applied, and the points already granted in the cap's window (got).
func grantPoints(in *config.Incentive, log *state.IncentiveLog, at time.Time) (points, got int) {
	points = in.Grant.Points
	if in.PointsCap != nil && points > 0 {
		if log != nil {
			got = log.Points.Sum(state.DayOf(at), capDays(*in.PointsCap, at))
		}
		points = min(points, max(0, in.PointsCap.Count-got))
	}
	return points, got
}

// capDays is the days a points_cap window spans at at: it counts whole
// UTC days, so a calendar period ("100/month") is the UTC one, from its
// first day to at's.
func capDays(r durations.Rate, at time.Time) int {
	if r.Period != durations.PeriodNone {
		return int(state.DayOf(at)-state.DayOf(r.Since(at))) + 1
	}
	return int((r.Window + 24*time.Hour - 1) / (24 * time.Hour))
}

// welcome posts the community's welcome message in its first channel when
// a member joins, through the outbox like every other message: in the
// community they are in, in, which for a member of a sub-community, or
// moved to one, is that sub-community's copy of the channel.
func (r *Runtime) welcome(w *work, m *state.Member, ev *events.Event, in string) {
	if r.history {
		return // the member joined long ago: nobody welcomes them now
	}
	for _, c := range r.cfg.Communities {
		if c.WelcomeMessage == "" || len(c.Channels) == 0 || c.Platform == nil {
			continue
		}
		if ev.Community != "" && !r.inFamily(ev.Community, c) || ev.Community == "" && len(r.cfg.Communities) > 1 {
			continue
		}
		where := in
		if where == "" {
			where = c.Name
		}
		first := c.Channels[0]
		for _, ch := range c.Channels {
			if ch.Position < first.Position {
				first = ch
			}
		}
		key := state.WelcomeKeyPrefix + where + "/" + ev.ID
		w.actions = append(w.actions, state.Action{Key: key, Kind: "send.channel", Member: m.ID, At: ev.At,
			Platform: c.Platform.Addr(), Community: where, Target: first.Name, Text: c.WelcomeMessage, Event: ev.ID})
		w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAction, Member: m.ID, Name: "send.channel", Change: "queue",
			At: ev.At, Rule: "community." + c.Name + ".welcome_message", Event: ev.ID, To: first.Name, Detail: key})
	}
}

// roleAction puts a role change in the outbox, keyed by event, member and
// role, so it is applied once however often it is sent.
func (r *Runtime) roleAction(w *work, m *state.Member, role *config.Role, kind string, ev *events.Event, rule string) {
	if r.history {
		return // history changes hearth's state, not the platform
	}
	c := role.Community
	target := m.ID
	platformAddr := ""
	if c.Platform != nil {
		platformAddr = c.Platform.Addr()
		if id := m.Identities[c.Platform.Type]; id != "" {
			target = id
		}
	}
	// In a sub-community, its copy of the role.
	key := fmt.Sprintf("%s/%s/%s/%s", kind, ev.ID, m.ID, role.Addr())
	w.actions = append(w.actions, state.Action{Key: key, Kind: kind, Member: m.ID, At: ev.At, Platform: platformAddr,
		Community: m.Place(c.Name), Target: target, Role: role.Title, Event: ev.ID})
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAction, Member: m.ID, Name: kind, Change: "queue", At: ev.At, Rule: rule, Event: ev.ID, To: role.Addr(), Detail: key})
}

// award gives a badge unless it is held and not repeatable.
func (r *Runtime) award(w *work, m *state.Member, b *config.Badge, ev *events.Event, rule string) bool {
	h := m.Badges[b.Name]
	if h != nil && h.Count > 0 && !b.Repeat {
		return false
	}
	if m.Badges == nil {
		m.Badges = map[string]*state.BadgeHold{}
	}
	if h == nil {
		h = &state.BadgeHold{First: ev.At}
		m.Badges[b.Name] = h
	}
	if h.Count == 0 {
		h.First = ev.At
		if d := w.talliesOf(); d != nil {
			analytics.BadgeHolders(d, b.Name, ev.At, 1)
		}
	}
	h.Count++
	h.Last = ev.At
	h.Event = ev.ID
	w.mark(m.ID, named(r.keyIdx.badge, b.Name), r.keyIdx.anyBadge)
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindBadge, Member: m.ID, Name: b.Name, Change: "award", At: ev.At, Rule: rule, Event: ev.ID, Detail: b.Class})
	if !r.quietly(w, m, "badge.awarded", ev.At) {
		w.extra = append(w.extra, derivedEvent(ev, m, "badge.awarded", b.Name+"/"+strconv.Itoa(h.Count), r.shared.attrs([4]string{"badge", b.Name, "class", b.Class}, "", "")))
	}
	if b.Platform != nil {
		r.platformAction(w, m, b.Platform, "badge.grant", b.PlatformBadge, ev, rule, b.Name, strconv.Itoa(h.Count))
	}
	return true
}

// platformAction puts an action on the member's account of a platform
// in the outbox, in the first community on that platform: a badge's
// platform badge granted or revoked, a trust level set. what is the
// platform's badge name or the level (in the action's Role); the key is
// the kind, the event, the member and then keyed, or what.
func (r *Runtime) platformAction(w *work, m *state.Member, p *config.Platform, kind, what string, ev *events.Event, rule string, keyed ...string) {
	if r.history {
		return // history changes hearth's state, not the platform
	}
	var community string
	for _, c := range r.cfg.Communities {
		if c.Platform == p {
			community = c.Name
			break
		}
	}
	if community == "" {
		return // no community on that platform to act in
	}
	target := m.ID
	if id := m.Identities[p.Type]; id != "" {
		target = id
	}
	if len(keyed) == 0 {
		keyed = []string{what}
	}
	key := kind + "/" + ev.ID + "/" + m.ID + "/" + strings.Join(keyed, "/")
	w.actions = append(w.actions, state.Action{Key: key, Kind: kind, Member: m.ID, At: ev.At, Platform: p.Addr(),
		Community: community, Target: target, Role: what, Event: ev.ID})
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAction, Member: m.ID, Name: kind, Change: "queue", At: ev.At, Rule: rule, Event: ev.ID, To: p.Addr(), Detail: key})
}

// settle brings every touched member's badges, tier and segments up to
// date with the event, then processes the events that produced.
func (r *Runtime) settle(w *work, first *state.Member, ev *events.Event, depth int) error {
	// The event's own member first, then the others by id.
	order := w.order[:0]
	if i := w.find(first.ID); i >= 0 && w.touched[i].ch != nil {
		order = append(order, i)
	}
	others := len(order)
	for i, t := range w.touched {
		if t.ch != nil && t.id != first.ID {
			order = append(order, i)
		}
	}
	if len(order)-others > 1 {
		slices.SortFunc(order[others:], func(a, b int) int { return strings.Compare(w.touched[a].id, w.touched[b].id) })
	}
	w.order = order[:0]
	for _, i := range order {
		m := w.touched[i].m
		if m == nil {
			continue
		}
		// Settling marks what it changed (a new tier, a segment entered, a
		// badge revoked) in a new change set: another pass evaluates what
		// reads those, such as a segment over member.tier or a tier rule
		// over in_segment, before the event is done. Rules that feed each
		// other in a circle stop after a few passes.
		for pass := 0; pass <= maxDerivedDepth; pass++ {
			ch := w.touched[i].ch
			if ch == nil || !ch.touched {
				break
			}
			if pass == maxDerivedDepth {
				r.log.Warn("rules keep changing each other: settling stopped", "member", m.ID, "event", ev.ID)
				// What the last pass changed goes unread: left in the
				// batch, it would be settled on with the next member
				// settled there, so where the member stops would hang on
				// who else the batch holds (and hearth plan could not
				// say).
				w.touched[i].ch = nil
				ch.reset()
				r.spare = append(r.spare, ch)
				break
			}
			w.touched[i].ch = nil
			if m.Rules != r.memberRules {
				// New to these rules: every one of them, whatever changed.
				m.Rules = r.memberRules
				ch.all = true
			}
			if m.EvaluatedAt.IsZero() || state.DayOf(ev.At) != state.DayOf(m.EvaluatedAt) {
				ch.set(r.keyIdx.time) // a new day may have moved windows and day counts
			}
			if ev.At.After(m.EvaluatedAt) {
				m.EvaluatedAt = ev.At
			}
			// hearth plan's preview (settlePreview) takes these steps in
			// this order too: a change here is one there.
			r.expirePoints(w, m, ev)
			r.revokeBadges(w, m, ch, ev)
			r.tier(w, m, ch, ev)
			r.segments(w, m, ch, ev)
			if w.moved == m {
				w.moved = nil
				if !r.history { // history enters no campaign
					r.audiencesOnMove(w, m, ev)
				}
			}
			r.advanceCampaigns(w, m, ev.At, ev.ID)
			ch.reset()
			r.spare = append(r.spare, ch)
		}
	}
	// What the event and settling it derived, in the order it happened.
	derived, quiet := w.extra, w.quiet
	w.extra = nil
	if depth >= maxDerivedDepth {
		if n := len(derived) + len(quiet); n > 0 {
			r.log.Warn("derived events dropped: chain too deep", "event", ev.ID, "dropped", n)
		}
		clear(quiet)
		w.quiet = quiet[:0]
		return nil
	}
	for _, q := range quiet {
		r.stats.Derived++
		q.m.Record(q.typ, q.at, false)
	}
	if ev.Type == events.MemberImported && depth == 0 {
		// What settling an import derived (a segment entered) is
		// counted on the member as a quiet event is, and fires nothing:
		// an import is opening state, not news for incentives and
		// campaigns.
		for _, d := range derived {
			r.stats.Derived++
			dm, _, err := w.member(d.Member.ID, d.At)
			if err != nil {
				return err
			}
			dm.Record(d.Type, d.At, false)
		}
		derived = nil
	}
	clear(quiet)
	w.quiet = quiet[:0]
	for _, d := range derived {
		r.stats.Derived++
		if err := r.applyEvent(w, d, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runtime) needs(p *config.Rule, ch *changes) bool {
	if p == nil || p.Program == nil {
		return false
	}
	if ch.all || p.Program.Reads.TimeDependent && ch.has(r.keyIdx.time) {
		return true
	}
	if p.ID >= 0 && p.ID < len(r.maskOf) && r.cfg.Rules[p.ID] == p {
		return ch.any(r.maskOf[p.ID])
	}
	return ch.any(r.masks[p.Program])
}

// quietly queues a derived event of type typ as a quiet one and says so
// when nothing reads or listens to the type; otherwise the caller builds
// the event.
func (r *Runtime) quietly(w *work, m *state.Member, typ string, at time.Time) bool {
	ti := r.typeOf(typ)
	if len(ti.incentives) > 0 || ti.enters || ti.count >= 0 {
		return false
	}
	w.quiet = append(w.quiet, quietEvent{m: m, typ: typ, at: at})
	return true
}

func derivedEvent(cause *events.Event, m *state.Member, typ, name string, attrs map[string]any) *events.Event {
	return &events.Event{ID: cause.ID + "/" + typ + "/" + name + "/" + m.ID, Type: typ, Member: events.Member{ID: m.ID}, At: cause.At, Source: "hearth", Attrs: attrs}
}

// expirePoints takes back expired grants. Points already spent are not
// taken twice: a lot takes back at most the current positive balance.
func (r *Runtime) expirePoints(w *work, m *state.Member, ev *events.Event) {
	n := 0
	for n < len(m.Expiring) && !m.Expiring[n].ExpiresAt.After(ev.At) {
		lot := m.Expiring[n]
		take := min(lot.Points, max(m.Points, 0))
		if take > 0 {
			m.Points -= take
			w.mark(m.ID, r.keyIdx.points)
			w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindPoints, Member: m.ID, Name: lot.Reason, Change: "expire", At: lot.ExpiresAt, Rule: "points.expiry", Event: lot.Event, Points: -take})
		}
		n++
	}
	if n > 0 {
		m.Expiring = m.Expiring[n:]
	}
}

func (r *Runtime) revokeBadges(w *work, m *state.Member, ch *changes, ev *events.Event) {
	for _, b := range r.revocable {
		if !r.needs(b.RevokeWhen, ch) {
			continue
		}
		h := m.Badges[b.Name]
		if h == nil || h.Count == 0 {
			continue
		}
		r.bind(w, m, nil, nil, ev.At)
		if r.ruleBool(b.RevokeWhen, "badge", b.Name, "revoke_when") {
			h.Count = 0
			if d := w.talliesOf(); d != nil {
				analytics.BadgeHolders(d, b.Name, ev.At, -1)
			}
			w.mark(m.ID, named(r.keyIdx.badge, b.Name), r.keyIdx.anyBadge)
			w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindBadge, Member: m.ID, Name: b.Name, Change: "revoke", At: ev.At, Rule: r.shared.rule("badge.", b.Name), Event: ev.ID})
			if b.Platform != nil {
				// The forum's badge goes with hearth's.
				r.platformAction(w, m, b.Platform, "badge.revoke", b.PlatformBadge, ev, r.shared.rule("badge.", b.Name), b.Name)
			}
		}
	}
}

// tier moves the member on the ladder: up to the highest tier whose when
// holds (after its qualification window), down only when the current
// tier's keep fails past its grace period and demote_after.
func (r *Runtime) tier(w *work, m *state.Member, ch *changes, ev *events.Event) {
	if len(r.cfg.Tiers) == 0 {
		return
	}
	// Time passing can move any tier (needs); otherwise only a change
	// some tier rule reads.
	if !ch.all && !ch.has(r.keyIdx.time) && !ch.any(r.tierMask) {
		return
	}
	d := r.decideTier(w, m, ev.At, true)
	m.Tier.Qualifying, m.Tier.FailingSince = d.state.Qualifying, d.state.FailingSince
	if d.renamed != nil {
		// A moved block renamed the tier: the member stays on it, under
		// its new name, with no move.
		m.Tier.Name, m.Tier.Rank = d.renamed.Name, d.renamed.Rank
		w.mark(m.ID, r.keyIdx.tier)
	}
	if d.move != "" {
		r.moveTier(w, m, d.to, ev, d.move, d.reason)
	}
}

// tierDecision is what the tier rules decide for a member at a time:
// tier carries it out, and member why tells it (Verdict), so the two
// never disagree.
type tierDecision struct {
	move string       // "" (stays), "promote", "demote" or "lock"
	to   *config.Tier // where a move goes; nil: off the ladder
	// cur is the tier held, as configured, once the decision is about
	// keeping it; nil before, or for a tier the configuration no longer
	// has.
	cur  *config.Tier
	lock *config.Tier // the tier the member is locked on, if any
	// renamed is the tier a moved block renamed the member's stored tier
	// to (config.TierMoves), which the member stays on; nil for none.
	renamed *config.Tier
	// reason is the move's TierChange.Reason: state.TierLocked for a
	// lock, state.TierRemoved or state.TierUnlocked for a member placed
	// by the promotion rules (place); "" for a move the rules made.
	reason string
	// keep is what decided about cur, when the member is on a tier that
	// no promotion or lock moved them off.
	keep keepState
	// state is the member's tier bookkeeping after the decision, before
	// a move (which clears what the new tier makes moot): the tiers
	// qualifying for their windows and since when, and since when keep
	// fails (demote_after). Its Qualifying is the member's own unless the
	// decision changed it, then a copy.
	state state.TierState
}

// keepState is how the tier held fares at a decision.
type keepState uint8

const (
	keepUnknown keepState = iota // not asked: promoted, locked, on no tier
	keepHolds
	keepGrace   // keep fails; the grace period after the promotion holds the tier
	keepFailing // keep fails; demote_after has not passed
	keepFails   // keep fails past grace and demote_after: demoted
)

// decideTier is the tier decision for m at at, which tier applies and
// member why explains. It changes nothing of m; count says whether its
// rule evaluations count in the runtime's figures (not for why).
func (r *Runtime) decideTier(w *work, m *state.Member, at time.Time, count bool) tierDecision {
	tiers := r.cfg.Tiers
	d := tierDecision{state: m.Tier}
	st := &d.state
	now := struct {
		Name string
		Rank int
	}{m.Tier.Name, m.Tier.Rank}
	if len(r.cfg.TierMoves) > 0 {
		// A tier renamed by a moved block: the member stays on it, under
		// its new name (and its windows go on counting under theirs).
		if to, ok := r.cfg.TierMoves[now.Name]; ok {
			if t := r.cfg.TierNamed(to); t != nil {
				d.renamed = t
				now.Name, now.Rank = t.Name, t.Rank
			}
		}
	}
	if lock, ok := r.locked[m.ID]; ok {
		d.lock = lock
		if now.Name != lock.Name {
			d.move, d.to, d.reason = "lock", lock, state.TierLocked
		}
		// No rule of a locked member is evaluated, so no when can be
		// said to hold without a break: windows count again from the
		// unlock.
		st.Qualifying = nil
		return d
	}
	q := qualifying{list: st.Qualifying}
	if len(r.cfg.TierMoves) > 0 {
		q.rename(r.cfg)
	}
	r.bind(w, m, nil, nil, at)
	// Promotion: the highest tier above the current one whose when
	// holds, and has held for its window. Every tier above the one
	// promoted to is evaluated on the way down, so each qualification
	// the member keeps is one whose when held at this evaluation: a tier
	// whose when fails loses its own, not the others'.
	for i := len(tiers) - 1; i >= 0; i-- {
		t := tiers[i]
		if t.Rank <= now.Rank {
			break
		}
		if !r.tierRule(t.When, t.Name, "when", count) {
			q.drop(t.Name)
			continue
		}
		if t.Window > 0 && at.Sub(q.since(t.Name, at)) < t.Window {
			continue
		}
		d.move, d.to = "promote", t
		break
	}
	// Qualifications the configuration makes moot: a tier removed, its
	// window removed, or at or below the tier held.
	for i := len(q.list) - 1; i >= 0; i-- {
		if t := r.tierNamed(q.list[i].Tier); t == nil || t.Window == 0 || t.Rank <= now.Rank {
			q.remove(i)
		}
	}
	st.Qualifying = q.list
	if d.move != "" {
		return d
	}
	if now.Rank == 0 {
		return d
	}
	var cur *config.Tier
	for _, t := range tiers {
		if t.Name == now.Name {
			cur = t
		}
	}
	d.cur = cur
	if cur == nil {
		// The tier was removed from the configuration (or renamed with
		// no moved block): the member is placed as the promotion rules
		// put them, at most at the rank they held (a higher tier would
		// have promoted them above).
		d.move, d.to, d.reason = "demote", r.place(w, m, at, now.Rank, count), state.TierRemoved
		return d
	}
	keep := cur.Keep
	if keep == nil {
		keep = cur.When
	}
	if r.tierRule(keep, cur.Name, "keep", count) {
		st.FailingSince = time.Time{}
		d.keep = keepHolds
		return d
	}
	if at.Before(m.Tier.Since) {
		// Asked of a time before the member reached the tier (a grant,
		// grant.to, settling a member at an earlier time): no time
		// before reaching a tier demotes from it.
		d.keep = keepGrace
		return d
	}
	if lockEnded(m) {
		// Held by a lock the files no longer have (a partner's contract
		// ended): the member never reached the tier by its rules, so no
		// grace or demote_after holds it, and they land where the
		// promotion rules put them below it.
		d.keep = keepFails
		d.move, d.to, d.reason = "demote", r.place(w, m, at, cur.Rank-1, count), state.TierUnlocked
		return d
	}
	// demote_after counts from the first evaluation keep fails at, grace
	// period or not: the two overlap, and the member is demoted once
	// both are over. An imported tier's hold is the exception: keep is
	// not judged during it, since it reads activity hearth never saw.
	inGrace := at.Sub(m.Tier.Since) < graceOf(cur, m)
	if inGrace && tierImported(m) {
		d.keep = keepGrace
		return d
	}
	if cur.DemoteAfter > 0 && st.FailingSince.IsZero() {
		st.FailingSince = at
	}
	switch {
	case inGrace:
		d.keep = keepGrace
		return d
	case cur.DemoteAfter > 0 && at.Sub(st.FailingSince) < cur.DemoteAfter:
		d.keep = keepFailing
		return d
	}
	d.keep = keepFails
	d.move, d.to = "demote", r.holding(w, m, at, cur.Rank, count)
	return d
}

// lockEnded reports whether m, locked on no tier, holds its tier by a
// lock: its last move is the lock that put it there.
func lockEnded(m *state.Member) bool {
	h := m.Tier.History
	if len(h) == 0 {
		return false
	}
	last := h[len(h)-1]
	return last.Reason == state.TierLocked && last.To == m.Tier.Name && last.At.Equal(m.Tier.Since)
}

// placedOn reports whether m holds its tier by a placement (place): the
// last move put it there when its tier was removed or its lock ended.
func placedOn(m *state.Member) bool {
	h := m.Tier.History
	if len(h) == 0 {
		return false
	}
	last := h[len(h)-1]
	return (last.Reason == state.TierRemoved || last.Reason == state.TierUnlocked) && last.To == m.Tier.Name && last.At.Equal(m.Tier.Since)
}

// place is where the promotion rules put a member whose tier was removed
// or whose lock ended: the highest tier ranked at most rank whose when
// holds, windows aside (the member comes down from a tier at least that
// high, not up to it); nil for none.
func (r *Runtime) place(w *work, m *state.Member, now time.Time, rank int, count bool) *config.Tier {
	r.bind(w, m, nil, nil, now)
	for i := len(r.cfg.Tiers) - 1; i >= 0; i-- {
		t := r.cfg.Tiers[i]
		if t.Rank <= rank && r.tierRule(t.When, t.Name, "when", count) {
			return t
		}
	}
	return nil
}

// qualifying is the member's tier qualifications as decideTier works on
// them: the member's own list until the first change, then a copy of
// it, so a decision changes nothing of the member (member why takes
// one), and a member whose qualifications stay as they were, or who has
// none, costs no allocation.
type qualifying struct {
	list  []state.Qualification
	owned bool
}

// since is since when the member qualifies for tier, at from now on if
// they did not.
func (q *qualifying) since(tier string, at time.Time) time.Time {
	for _, x := range q.list {
		if x.Tier == tier {
			return x.Since
		}
	}
	q.own(1)
	q.list = append(q.list, state.Qualification{Tier: tier, Since: at})
	return at
}

// rename puts the qualifications for tiers renamed by moved blocks under
// the new names.
func (q *qualifying) rename(cfg *config.Config) {
	for i, x := range q.list {
		if _, ok := cfg.TierMoves[x.Tier]; !ok {
			continue
		}
		if t := cfg.TierNamed(x.Tier); t != nil {
			q.own(0)
			q.list[i].Tier = t.Name
		}
	}
}

// drop ends the member's qualification for tier, if any.
func (q *qualifying) drop(tier string) {
	for i := range q.list {
		if q.list[i].Tier == tier {
			q.remove(i)
			return
		}
	}
}

// remove removes the i-th qualification; none left is nil.
func (q *qualifying) remove(i int) {
	q.own(0)
	q.list = slices.Delete(q.list, i, i+1)
	if len(q.list) == 0 {
		q.list = nil
	}
}

// own makes the list a copy with room for more, once.
func (q *qualifying) own(more int) {
	if !q.owned {
		q.list = append(make([]state.Qualification, 0, len(q.list)+more), q.list...)
		q.owned = true
	}
}

// tierNamed is the configured tier of that name, or nil.
func (r *Runtime) tierNamed(name string) *config.Tier {
	for _, t := range r.cfg.Tiers {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// tierRule evaluates a bound tier rule as ruleBool does, counted in the
// runtime's figures or (for why) not: a failure is false either way.
func (r *Runtime) tierRule(p *config.Rule, name, attr string, count bool) bool {
	if count {
		return r.ruleBool(p, "tier", name, attr)
	}
	if p == nil || p.Program == nil {
		return true
	}
	ok, err := r.eval.Bool(p.Program)
	return err == nil && ok
}

// holding is the highest tier below rank whose keep (or when) holds, nil
// for none: where a demotion lands. Its evaluations are counted or not
// (tierRule).
func (r *Runtime) holding(w *work, m *state.Member, now time.Time, below int, count bool) *config.Tier {
	r.bind(w, m, nil, nil, now)
	for i := len(r.cfg.Tiers) - 1; i >= 0; i-- {
		t := r.cfg.Tiers[i]
		if t.Rank >= below {
			continue
		}
		rule := t.Keep
		if rule == nil {
			rule = t.When
		}
		if r.tierRule(rule, t.Name, "keep", count) {
			return t
		}
	}
	return nil
}

func (r *Runtime) moveTier(w *work, m *state.Member, t *config.Tier, ev *events.Event, change, reason string) {
	from := m.Tier.Name
	to, rank := "", 0
	if t != nil {
		to, rank = t.Name, t.Rank
	}
	if from == to {
		return
	}
	m.Tier.History = append(m.Tier.History, state.TierChange{From: from, To: to, At: ev.At, Event: ev.ID, Reason: reason})
	m.Tier.Name, m.Tier.Rank, m.Tier.Since = to, rank, ev.At
	m.Tier.FailingSince = time.Time{}
	// The qualifications for tiers above the new one go on counting:
	// their when held at this evaluation (decideTier). Those at or below
	// it are moot.
	if len(m.Tier.Qualifying) > 0 {
		m.Tier.Qualifying = slices.DeleteFunc(m.Tier.Qualifying, func(x state.Qualification) bool {
			t := r.tierNamed(x.Tier)
			return t == nil || t.Rank <= rank
		})
		if len(m.Tier.Qualifying) == 0 {
			m.Tier.Qualifying = nil
		}
	}
	w.mark(m.ID, r.keyIdx.tier)
	// The outcome names the tier whose rule decided the move, and its
	// rule is that tier's block: the tier entered on a promotion (its
	// when) or a lock (its locked), the tier left on a demotion (its
	// keep, or when without one, failed; or the files dropped it), not
	// the one landed on. from and to give both ends.
	decided := to
	if change == "demote" {
		decided = from
	}
	rule := r.shared.rule("tier.", decided)
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindTier, Member: m.ID, Name: decided, Change: change, At: ev.At, Rule: rule, Event: ev.ID, From: from, To: to})
	r.tierRoles(w, m, from, t, ev, rule)
	r.tierTrust(w, m, from, t, ev, rule, change)
	direction := "up"
	if change == "demote" {
		direction = "down"
	}
	if !r.quietly(w, m, "tier.changed", ev.At) {
		w.extra = append(w.extra, derivedEvent(ev, m, "tier.changed", to, r.shared.attrs([4]string{"from", from, "to", to}, "direction", direction)))
	}
}

// tierRoles gives the new tier's role and takes the old one's, through
// the outbox, as the member moves: promoted, a member holds the rung's
// role at once rather than at the next hearth apply.
func (r *Runtime) tierRoles(w *work, m *state.Member, from string, to *config.Tier, ev *events.Event, rule string) {
	var old, next *config.Role
	for _, t := range r.cfg.Tiers {
		if t.Name == from {
			old = t.Role
		}
	}
	if to != nil {
		next = to.Role
	}
	if old == next {
		return
	}
	if old != nil && !r.holdsRole(m, old, true, "") {
		r.roleAction(w, m, old, "role.remove", ev, rule)
	}
	if next != nil && !r.holdsRole(m, next, true, "") {
		r.roleAction(w, m, next, "role.add", ev, rule)
	}
}

// tierTrust sets the member's trust level on the forum of the new tier's
// discourse block as they move, locked there when the tier says lock or
// the member is held on it by locked (change "lock"). Unlocked, a
// promotion only raises the level (the forum's own promotions may have
// gone further) and a demotion sets it. A move to a tier that sets none
// on the forum of the tier left lifts a lock, so the forum's own rules
// take the level back.
func (r *Runtime) tierTrust(w *work, m *state.Member, from string, to *config.Tier, ev *events.Event, rule, change string) {
	var old, next *config.TierTrust
	for _, t := range r.cfg.Tiers {
		if t.Name == from {
			old = t.Trust
		}
	}
	if to != nil {
		next = to.Trust
	}
	if next != nil && next.Platform != nil {
		kind := "trust_level.set"
		switch {
		case next.Lock || change == "lock":
			kind = "trust_level.lock"
		case change == "promote":
			kind = "trust_level.raise"
		}
		level := strconv.Itoa(next.Level)
		r.platformAction(w, m, next.Platform, kind, level, ev, rule, next.Platform.Addr(), level)
	}
	if old != nil && old.Platform != nil && (next == nil || next.Platform != old.Platform) {
		r.platformAction(w, m, old.Platform, "trust_level.unlock", "", ev, rule, old.Platform.Addr())
	}
}

// holdsRole reports whether the member's tier or segments give it role,
// leaving out the tier (skipTier) or one segment: the source that is
// changing, so a role two sources give is neither given twice nor taken
// while the other still gives it.
func (r *Runtime) holdsRole(m *state.Member, role *config.Role, skipTier bool, skipSegment string) bool {
	if !skipTier {
		for _, t := range r.cfg.Tiers {
			if t.Name == m.Tier.Name && t.Role == role {
				return true
			}
		}
	}
	for _, s := range r.cfg.Segments {
		if s.Role != role || s.Name == skipSegment {
			continue
		}
		if _, in := m.Segments[s.Name]; in {
			return true
		}
	}
	return false
}

// segments moves the member in and out of segments, queueing the events
// that caused.
// segmentDue reports whether the segment's rule is to be evaluated for
// the changes: those it reads, and leaving or coming back, which take a
// member out of (or back into) every segment not written for members
// who left.
func (r *Runtime) segmentDue(s *config.Segment, ch *changes) bool {
	if s.When == nil || s.When.Program == nil {
		return false
	}
	return r.needs(s.When, ch) || r.keyIdx.left >= 0 && ch.has(r.keyIdx.left) ||
		s.Community != nil && r.keyIdx.community >= 0 && ch.has(r.keyIdx.community)
}

// inSegment evaluates the segment's rule for the member bound: a member
// who left is in none but the segments written for them (forLeft), and
// one not in the segment's community in none limited to it, as README
// says, so counts, lists and the member's stored segments agree.
func (r *Runtime) inSegment(s *config.Segment, m *state.Member) bool {
	if m.Left && !r.forLeft[s.Name] {
		return false
	}
	if s.Community != nil && !r.InCommunity(m, s.Community) {
		return false // before the rule: the cheaper test
	}
	return r.ruleBool(s.When, "segment", s.Name, "when")
}

func (r *Runtime) segments(w *work, m *state.Member, ch *changes, ev *events.Event) {
	bound := false
	for _, s := range r.segOrder {
		if !r.segmentDue(s, ch) {
			continue
		}
		if !bound {
			r.bind(w, m, nil, nil, ev.At)
			bound = true
		}
		in := r.inSegment(s, m)
		_, was := m.Segments[s.Name]
		if in == was {
			continue
		}
		if m.Segments == nil {
			m.Segments = map[string]time.Time{}
		}
		change, typ := "enter", "segment.entered"
		if in {
			m.Segments[s.Name] = ev.At
		} else {
			delete(m.Segments, s.Name)
			change, typ = "leave", "segment.left"
		}
		if i := named(r.keyIdx.segment, s.Name); i >= 0 {
			ch.set(i) // later segments reading this one
		}
		w.mark(m.ID, named(r.keyIdx.segment, s.Name))
		w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindSegment, Member: m.ID, Name: s.Name, Change: change, At: ev.At, Rule: r.shared.rule("segment.", s.Name), Event: ev.ID})
		if s.Role != nil && !m.Left && !r.holdsRole(m, s.Role, false, s.Name) {
			// The segment's role comes and goes with the member, unless
			// the tier or another segment gives it too.
			kind := "role.add"
			if !in {
				kind = "role.remove"
			}
			r.roleAction(w, m, s.Role, kind, ev, r.shared.rule("segment.", s.Name))
		}
		if !r.quietly(w, m, typ, ev.At) {
			w.extra = append(w.extra, derivedEvent(ev, m, typ, s.Name, r.shared.attrs([4]string{"segment", s.Name}, "", "")))
		}
	}
}
