// Package daemon is `hearth run`: it takes member events over HTTP,
// applies them through the current configuration snapshot in order,
// commits them durably before acknowledging, runs time-based rechecks
// and campaign timers, and swaps in a new snapshot when the files change,
// between batches, so no event is evaluated half by old and half by new
// rules and none is dropped.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/lograte"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// Options configure a daemon.
type Options struct {
	Dir     string
	Load    config.Options
	Store   state.Store
	Log     *slog.Logger
	Metrics *Metrics
	// MaxBatch is how many events are applied per transaction at most.
	MaxBatch int
	// Now is the clock for timers, and for when outbox entries are
	// queued (state.QueueClock); nil is time.Now.
	Now func() time.Time
	// Sender delivers the outbox; nil leaves actions in the outbox.
	Sender outbox.Sender
	// DeliverEvery is how often the outbox is checked (default 1s).
	DeliverEvery time.Duration
	// SampleEvery is how often counters are sampled for the dashboard's
	// charts (10s when zero); PopulationEvery bounds how often a sample
	// also counts segments and tiers, which scans every member (1m when
	// zero). Samples keeps that many (360 when zero: an hour at 10s).
	SampleEvery     time.Duration
	PopulationEvery time.Duration
	Samples         int
	// PruneEvery is how often event ids and outcomes past the state's
	// retention settings are forgotten (1h when zero).
	PruneEvery time.Duration
	// MaxAhead is how far past the clock (Now) an event's time may be;
	// later events are refused wherever they come in. DefaultMaxAhead
	// when zero.
	MaxAhead time.Duration
	// Bus, when set, takes ingested events instead of the processor:
	// Submit publishes them, and the bus hands them back through Apply on
	// whichever replica owns the member's partition.
	Bus Publisher
}

// Publisher stores events on an event bus durably. Backfill marks them
// as history, so the replica that applies them holds its timers as this
// daemon does for a backfill it applies itself (HoldTimers). An error
// with a ConfirmedIDs() []string method (bus.PublishError) says the bus
// cannot take events for now and which it stored before failing: the
// request is answered 503 with Retry-After and those ids, not 500.
type Publisher interface {
	Publish(ctx context.Context, evs []events.Event, backfill bool) error
}

// PartitionOwner is a bus that splits members between replicas by
// partition (state.MemberHash(id) % Partitions()).
type PartitionOwner interface {
	Partitions() int
	Owned() []int
}

// ownedDue hands out only the due timers of owned partitions.
type ownedDue struct {
	state.Batch
	pd         state.PartitionedDue
	partitions int
	owned      []int
}

func (o ownedDue) Due(t time.Time, limit int) ([]string, error) {
	return o.pd.DueIn(t, limit, o.partitions, o.owned)
}

// Preload passes on to the batch, which the wrapper would otherwise hide.
func (o ownedDue) Preload(eventIDs, memberIDs []string) error {
	if pl, ok := o.Batch.(state.Preloader); ok {
		return pl.Preload(eventIDs, memberIDs)
	}
	return nil
}

// BusStatus is a bus that can say how it is doing, for GET /v1/status.
type BusStatus interface {
	Status() any
}

// ReplicaSet is a bus that knows the live replicas, for GET /v1/status:
// the list, and whether their configurations differ.
type ReplicaSet interface {
	ReplicaStatus() (replicas any, configMismatch bool)
}

// Snapshot is one loaded configuration and the runtime built for it.
type Snapshot struct {
	Config   *config.Config
	LoadedAt time.Time
	// redactor takes the configuration's sensitive values out of texts.
	redactor *config.Redactor
}

func newSnapshot(cfg *config.Config, at time.Time) *Snapshot {
	return &Snapshot{Config: cfg, LoadedAt: at, redactor: cfg.Redactor()}
}

// Reload is the result of one reload attempt.
type Reload struct {
	At      time.Time `json:"at"`
	Trigger string    `json:"trigger"` // start, files, signal, api
	OK      bool      `json:"ok"`
	// Unchanged says the files were read again and mean the same
	// configuration as the one in force, which stays (same hash).
	Unchanged   bool                  `json:"unchanged,omitempty"`
	Hash        string                `json:"hash,omitempty"`
	Duration    string                `json:"duration"`
	Diagnostics config.JSONValidation `json:"diagnostics"`

	// RestartNeeded lists what the configuration in force changed that
	// is read only at start (state settings, platform blocks), so it is
	// not in effect until hearth run restarts (restartNeeded).
	RestartNeeded []string `json:"restart_needed,omitempty"`

	// RemovedCampaigns are the campaigns the reload took out of force,
	// with the runs they had under way: each ends as stopped at its
	// member's next event or timer.
	RemovedCampaigns []RemovedCampaign `json:"removed_campaigns,omitempty"`

	// RemovedSteps are the steps of campaigns kept that the reload took
	// out, with no moved block renaming them, and the runs waiting at
	// each: those go on past the step, without its send, when their wait
	// is over.
	RemovedSteps []RemovedStep `json:"removed_steps,omitempty"`

	// PausedCampaigns are the campaigns this reload paused (paused =
	// true; at start, every paused one), and ResumedCampaigns those it
	// set going again. While a campaign is paused nobody enters it, and
	// a member who triggers it meanwhile does not enter it at the resume
	// either: the trigger is not kept.
	PausedCampaigns  []string `json:"paused_campaigns,omitempty"`
	ResumedCampaigns []string `json:"resumed_campaigns,omitempty"`
}

// RemovedCampaign is a campaign a reload removed.
type RemovedCampaign struct {
	Name string `json:"name"`
	// ActiveRuns is how many runs it had under way when it was removed;
	// absent when they could not be counted.
	ActiveRuns *int `json:"active_runs,omitempty"`
}

// RemovedStep is a step of a campaign a reload removed (and no moved
// block renamed).
type RemovedStep struct {
	Campaign string `json:"campaign"`
	Step     string `json:"step"`
	// GoesOn is the step its runs go on to; "" when they finish.
	GoesOn string `json:"goes_on,omitempty"`
	// ActiveRuns is how many runs waited at it; absent when they could
	// not be counted.
	ActiveRuns *int `json:"active_runs,omitempty"`
}

// removals are what a reload removed that runs were on.
type removals struct {
	campaigns []RemovedCampaign
	steps     []RemovedStep
}

// Daemon runs the engine.
type Daemon struct {
	opt Options
	log *slog.Logger
	// processorDone says event processing has stopped for good: the
	// store is then read directly (ReadStore).
	processorDone atomic.Bool
	// platComms lists the communities on the platforms, for the
	// runtime's moves into sub-communities; made with the first runtime.
	platComms *platformCommunities
	snap      atomic.Pointer[Snapshot]
	submit    chan *request
	queries   chan *query
	wake      chan struct{}
	// swapped tells Watch that a configuration came into force (by any
	// trigger), so it watches the files that one read with file().
	swapped chan struct{}
	// sweep is the processor's re-evaluation of stored members after the
	// rules changed; reevaluating is how many it has left, for status.
	sweep        rulesSweep
	reevaluating atomic.Int64
	mu           sync.Mutex
	reloads      []Reload
	sources      config.Sources
	stopping     atomic.Bool
	draining     atomic.Bool // /readyz says 503 while events are still taken
	backingUp    atomic.Bool // a state backup is being made (backup.go)

	// held is the reload the watcher holds back (watch.go); guarded by mu.
	held *HeldReload
	// reloadMu makes reloads one at a time: two loads swapping in the
	// order they finish could leave older files' configuration in force.
	reloadMu sync.Mutex
	// processing is whether Run's loop takes queries (Query).
	processing atomic.Bool
	// exited is closed when Run has returned (once, exitOnce): a request
	// handed over after its last look at submit is never answered.
	exited   chan struct{}
	exitOnce sync.Once

	// feeding counts events files being applied (Feed): timers wait for
	// them, since a recheck at the wall clock between two of a file's
	// batches would take members past events the file has still to give.
	feeding atomic.Int32
	// heldUntil is when timers held for a backfill may run again, in
	// Unix nanoseconds of the wall clock (HoldTimers).
	heldUntil atomic.Int64
	rt        atomic.Pointer[runtime.Runtime] // in force, for metrics
	// disp is the outbox dispatcher while Run delivers (nil otherwise):
	// drops go through it, so none removes the send going out.
	disp atomic.Pointer[outbox.Dispatcher]
	// ruleBase holds what the runtimes a reload retired counted per rule,
	// so the rule counters go on from there instead of starting again;
	// ruleMu makes a swap and a scrape exclude each other.
	ruleMu   sync.Mutex
	ruleBase map[string]runtime.RuleCount
	stats    Counters
	series   ring // guarded by mu
	commits  commitTimes
	// first is the sample New took before the daemon served, which the
	// sampler starts from; rescan asks the sampler to count the
	// population at once (after a reload), not at its next minute.
	first  *Sample
	rescan chan struct{}
	// receivers take inbound events, by "TYPE/NAME"; guarded by mu.
	receivers map[string]platform.Conn // Receivers and platform.Responders
	// horizon is the store's id horizon in Unix nanoseconds, as of the
	// last prune: events before it are refused at the door.
	horizon atomic.Int64
	// unheard are the event types warned about as heard by nothing.
	unheard unheardTypes
	// attrTypos are the attributes warned about as likely typos.
	attrTypos attrTypos
	// zoneLogs keeps the lines about time zones the runtime drops to
	// one per event type every zoneLogEvery.
	zoneLogs *lograte.Limiter

	// started is the configuration the daemon started with: its state
	// settings and platform blocks stay in force until a restart.
	started *config.Config
	// startedAt is when New ran, by the wall clock, for the uptime.
	startedAt time.Time
	// unauthorizedLog keeps the warnings of refused bearer tokens to
	// one a minute (http.go).
	unauthorizedLog *lograte.Limiter
	// refusedLog keeps the log lines of refused requests to one a minute
	// per reason (the metrics count them all).
	refusedLog *lograte.Limiter
	// storeLogs keeps the lines about work a failing state store
	// refused to one a minute per message (storehealth.go).
	storeLogs *lograte.Limiter
}

// Counters are running totals, for status.
type Counters struct {
	Accepted   atomic.Int64
	Duplicates atomic.Int64
	Rejected   atomic.Int64 // events refused one by one
	Refused    atomic.Int64 // requests refused as a whole
	Batches    atomic.Int64
	Rechecks   atomic.Int64
	TooOld     atomic.Int64 // refused: from before the id horizon
	Suppressed atomic.Int64 // refused: their member asked to be forgotten
}

// request is a group of events waiting to be applied; done receives the
// commit result.
type request struct {
	events []events.Event
	// digests are the events' content digests (events.Digest), which
	// the store keeps with their ids.
	digests []uint64
	done    chan error
	dups    int
	tooOld  int
	// suppressed are events of members on the suppression list.
	suppressed int
	// reused are the duplicates whose id was applied to an event with
	// other content, in order.
	reused []reusedEvent
}

// reusedEvent is an event not applied because an event with different
// content was applied under its id before: a sender reusing ids.
type reusedEvent struct {
	index   int // in the request's events
	earlier state.Claimed
}

// applied is what applying a group of events found.
type applied struct {
	// skipped are the events not applied: duplicates, events from
	// before the id horizon, events of suppressed members.
	skipped int
	// reused are the duplicates whose id an event with other content
	// has, from before the group: those under an id reused within the
	// group are left out (reusedIDs tells them, by their places).
	reused []reusedEvent
}

// New loads the configuration; a daemon never starts on a broken one.
func New(opt Options) (*Daemon, hcl.Diagnostics, config.Sources) {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 1000
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	// The outbox's entries are stamped with when they were queued by
	// the clock their wait (hearth_outbox_oldest_pending_seconds) is
	// measured against.
	if qc, ok := opt.Store.(state.QueueClock); ok {
		qc.SetQueueClock(opt.Now)
	}
	if opt.Metrics == nil {
		opt.Metrics = NewMetrics()
	}
	if opt.MaxAhead <= 0 {
		opt.MaxAhead = DefaultMaxAhead
	}
	if opt.SampleEvery <= 0 {
		opt.SampleEvery = 10 * time.Second
	}
	if opt.PopulationEvery <= 0 {
		opt.PopulationEvery = time.Minute
	}
	if opt.Samples <= 0 {
		opt.Samples = 360
	}
	d := &Daemon{opt: opt, submit: make(chan *request, 256), queries: make(chan *query), wake: make(chan struct{}, 1), swapped: make(chan struct{}, 1), exited: make(chan struct{}),
		series: ring{buf: make([]Sample, opt.Samples)}, commits: commitTimes{cap: 100000}, rescan: make(chan struct{}, 1),
		startedAt: time.Now(), unauthorizedLog: lograte.New(unauthorizedLogEvery), refusedLog: lograte.New(unauthorizedLogEvery),
		zoneLogs: lograte.New(zoneLogEvery), storeLogs: lograte.New(storeLogEvery)}
	d.log = slog.New(redactHandler{next: opt.Log.Handler(), redact: d.Redact})
	d.opt.Log = d.log
	start := time.Now()
	cfg, src, diags := config.Load(opt.Dir, opt.Load)
	started := d.record("start", cfg, src, diags, false, removals{}, time.Since(start))
	if diags.HasErrors() {
		return nil, diags, src
	}
	d.logPauses(started, "start")
	d.snap.Store(newSnapshot(cfg, opt.Now()))
	d.started = cfg
	if rc, ok := opt.Store.(state.Recoverer); ok {
		// Nothing was lost, but the operator should know the last stop
		// was no clean one, and how much the start had to finish.
		if r := rc.Recovered(); r.Batches > 0 {
			d.log.Warn("folded journaled batches left by an unclean stop", "batches", r.Batches, "events", r.Events)
		}
	}
	opt.Metrics.initLabels(nil, cfg)
	opt.Metrics.registerDaemon(d, opt.Bus)
	// The first sample is taken before anything is served, reading the
	// store directly since nothing else runs yet: the first scrape of
	// /metrics has every segment's and tier's size and the member and
	// outbox counts, not 0 or no series until the sampler's first round.
	// Run's sampler starts from it rather than reading every member twice.
	first := d.sample(context.Background(), new(time.Time), direct)
	d.first = &first
	return d, diags, src
}

// askRescan asks the sampler for a sample with the population counted
// now rather than at its next minute: after a reload, and after an
// events file is applied, which may have made thousands of members.
func (d *Daemon) askRescan() {
	select {
	case d.rescan <- struct{}{}:
	default: // one is asked for already
	}
}

// Snapshot is the configuration in force.
func (d *Daemon) Snapshot() *Snapshot { return d.snap.Load() }

// version is hearth's version, which the configuration is loaded
// against (config.Options.Version), or "unknown" when none was given.
func (d *Daemon) version() string {
	if v := d.opt.Load.Version; v != "" {
		return v
	}
	return "unknown"
}

// Uptime is how long since the daemon was made (New).
func (d *Daemon) Uptime() time.Duration { return time.Since(d.startedAt) }

// Reloads lists recent reload attempts, newest last.
func (d *Daemon) Reloads() []Reload {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Reload(nil), d.reloads...)
}

func (d *Daemon) record(trigger string, cfg *config.Config, src config.Sources, diags hcl.Diagnostics, unchanged bool, removed removals, took time.Duration) Reload {
	r := Reload{At: d.opt.Now().UTC(), Trigger: trigger, OK: !diags.HasErrors(), Unchanged: unchanged, Duration: took.String(),
		Diagnostics: config.ToJSON(src, diags, d.opt.Dir), RemovedCampaigns: removed.campaigns, RemovedSteps: removed.steps}
	if r.OK && cfg != nil {
		r.RestartNeeded = restartNeeded(d.started, cfg)
	}
	// The new files' secrets, and those in force (a failed load may not
	// have got as far as its own).
	if cfg != nil {
		r.Diagnostics.Redact(cfg.Redactor())
	}
	if old := d.snap.Load(); old != nil {
		r.Diagnostics.Redact(old.redactor)
	}
	if r.OK && cfg != nil {
		r.Hash = cfg.Fingerprint
		var was *config.Config
		if old := d.snap.Load(); old != nil {
			was = old.Config
		}
		r.PausedCampaigns, r.ResumedCampaigns = pauseChanges(was, cfg)
	}
	d.mu.Lock()
	d.reloads = append(d.reloads, r)
	if len(d.reloads) > 20 {
		d.reloads = d.reloads[len(d.reloads)-20:]
	}
	d.sources = src
	d.mu.Unlock()
	d.opt.Metrics.reload(r.OK, r.Unchanged, r.At, took)
	return r
}

// pauseChanges are the campaigns cfg pauses that old did not (all that
// cfg pauses, without old), and those old paused that cfg runs.
func pauseChanges(old, cfg *config.Config) (paused, resumed []string) {
	was := map[string]bool{}
	if old != nil {
		for _, c := range old.Campaigns {
			was[c.Name] = c.Paused
		}
	}
	for _, c := range cfg.Campaigns {
		switch {
		case c.Paused && !was[c.Name]:
			paused = append(paused, c.Name)
		case !c.Paused && was[c.Name]:
			resumed = append(resumed, c.Name)
		}
	}
	return paused, resumed
}

// logPauses says what pausing and resuming campaigns does to members
// who trigger them meanwhile, which nothing else would tell: they are
// not kept for the resume.
func (d *Daemon) logPauses(r Reload, trigger string) {
	for _, name := range r.PausedCampaigns {
		d.log.Warn("campaign paused: nobody enters it until paused = false, and members who trigger it meanwhile (its enter_on events, entering its audience) do not enter it at the resume; runs under way wait at their step, and its queued messages wait in the outbox",
			"trigger", trigger, "campaign", name)
	}
	for _, name := range r.ResumedCampaigns {
		d.log.Info("campaign resumed: runs carry on from their step, and members enter it again from now on (those who triggered it while it was paused did not enter it)",
			"trigger", trigger, "campaign", name)
	}
}

// Held is the reload the watcher holds back, or nil (see HeldReload).
func (d *Daemon) Held() *HeldReload {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.held
}

func (d *Daemon) setHeld(h *HeldReload) {
	d.mu.Lock()
	d.held = h
	d.mu.Unlock()
	d.opt.Metrics.reloadHeld(h != nil)
}

// Reload builds a new snapshot with the same code as validate and swaps
// it in; on any error the running one stays and the diagnostics are kept.
// It reads the files as they are: SIGHUP and POST /v1/reload come after
// a write, unlike the watcher's reloads, which wait for one to finish.
func (d *Daemon) Reload(trigger string) Reload {
	r, _ := d.reload(trigger, nil)
	return r
}

// reload is Reload, where hold, when given, sees the configuration
// loaded (valid or not) beside the one in force and may hold it back:
// then nothing is recorded or swapped, and held is true.
func (d *Daemon) reload(trigger string, hold func(old, cfg *config.Config) bool) (r Reload, held bool) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	start := time.Now()
	d.log.Debug("reloading the configuration", "trigger", trigger, "dir", d.opt.Dir)
	cfg, src, diags := config.Load(d.opt.Dir, d.opt.Load)
	old := d.snap.Load()
	if hold != nil && old != nil && hold(old.Config, cfg) {
		return Reload{}, true
	}
	d.setHeld(nil)
	unchanged := !diags.HasErrors() && old != nil && old.Config.Hash == cfg.Hash
	var removed removals
	if !diags.HasErrors() && !unchanged && old != nil {
		removed = d.removed(old.Config, cfg)
	}
	r = d.record(trigger, cfg, src, diags, unchanged, removed, time.Since(start))
	if !r.OK {
		args := []any{"trigger", trigger, "errors", r.Diagnostics.ErrorCount, "warnings", r.Diagnostics.WarningCount}
		if list, more := reloadProblems(r); len(list) > 0 {
			// first, as before; diagnostics has them all, up to a bound,
			// the hint ("Did you mean ...") of another one included.
			args = append(args, "first", list[0], "diagnostics", list)
			if more > 0 {
				args = append(args, "more_diagnostics", more)
			}
		}
		d.log.Error("reload failed; the running configuration stays", args...)
		return r, false
	}
	if unchanged {
		d.log.Info("reload: configuration unchanged", "trigger", trigger)
		return r, false
	}
	d.snap.Store(newSnapshot(cfg, d.opt.Now()))
	var was *config.Config
	if old != nil {
		was = old.Config
	}
	d.opt.Metrics.initLabels(was, cfg)
	d.askRescan()
	select {
	case d.swapped <- struct{}{}:
	default:
	}
	// The processor takes the new rules at once, so the members they
	// move are listed (hearth_members_reevaluation_pending) now, not at
	// its next tick.
	select {
	case d.wake <- struct{}{}:
	default:
	}
	d.log.Info("configuration reloaded", "trigger", trigger, "hash", shortHash(cfg.Fingerprint), "took", time.Since(start).Round(time.Microsecond).String(),
		"warnings", r.Diagnostics.WarningCount)
	d.logPauses(r, trigger)
	for _, c := range removed.campaigns {
		switch {
		case c.ActiveRuns == nil:
			d.log.Warn("the reload removed a campaign; its runs under way (not counted) end as stopped at their members' next event or timer",
				"trigger", trigger, "campaign", c.Name)
		case *c.ActiveRuns > 0:
			d.log.Warn("the reload removed a campaign with active runs: each ends as stopped at its member's next event or timer, and does not resume if the campaign comes back later",
				"trigger", trigger, "campaign", c.Name, "active_runs", *c.ActiveRuns)
		default:
			d.log.Info("the reload removed a campaign, which had no active runs", "trigger", trigger, "campaign", c.Name)
		}
	}
	d.logRemovedSteps(removed.steps, trigger)
	if len(r.RestartNeeded) > 0 {
		d.log.Warn("some changes take effect only when hearth run restarts: it keeps the state store and platform connections it started with",
			"trigger", trigger, "restart_needed", r.RestartNeeded)
	}
	// What the new files do that has no effect, or holds a credential in
	// plain text, is said once, when they come into force.
	r.Diagnostics.Log(context.Background(), d.log)
	return r, false
}

// removed are the campaigns of old that cfg does not have, and the
// steps of campaigns both have that cfg removed (no moved block renaming
// them), each with its runs under way, counted between batches by one
// scan of the members (only when a reload removes either, which is rare).
func (d *Daemon) removed(old, cfg *config.Config) removals {
	var out removals
	var names []string
	kept := map[string]*config.Campaign{}
	for _, c := range cfg.Campaigns {
		kept[c.Name] = c
	}
	orders := config.StepOrders{}
	orders.Merge(old) // where a removed step's runs go: the step after it in old
	for _, c := range old.Campaigns {
		nc := kept[c.Name]
		if nc == nil {
			names = append(names, c.Name)
			continue
		}
		for i, st := range c.Steps {
			if !nc.StepRemoved(st.Name) {
				continue
			}
			rs := RemovedStep{Campaign: c.Name, Step: st.Name}
			if j := nc.StepIndex(i, st.Name, orders[c.Name]); j >= 0 && j < len(nc.Steps) {
				rs.GoesOn = nc.Steps[j].Name
			}
			out.steps = append(out.steps, rs)
		}
	}
	if len(names) == 0 && len(out.steps) == 0 {
		return out
	}
	out.campaigns = make([]RemovedCampaign, len(names))
	for i, n := range names {
		out.campaigns[i].Name = n
	}
	run := runner(direct)
	switch {
	case d.stopping.Load():
		return out // the loop takes no more queries; the count is not worth the wait
	case d.processing.Load():
		run = d.Query
	}
	counts := make([]int, len(names))
	stepCounts := make([]int, len(out.steps))
	ctx, cancel := context.WithTimeout(context.Background(), activeRunsTimeout)
	defer cancel()
	err := run(ctx, func(ctx context.Context, _ *runtime.Runtime) error {
		return d.opt.Store.Members(ctx, func(m *state.Member) error {
			if len(m.Campaigns) == 0 {
				return nil
			}
			for i, n := range names {
				counts[i] += m.ActiveRuns(n)
			}
			for i, rs := range out.steps {
				for _, run := range m.Runs(rs.Campaign) {
					if run.Active() && run.StepName == rs.Step {
						stepCounts[i]++
					}
				}
			}
			return nil
		})
	})
	if err != nil {
		d.log.Warn("counting the active runs of the campaigns and steps a reload removes", "campaigns", names, "err", err)
		return out
	}
	for i := range out.campaigns {
		out.campaigns[i].ActiveRuns = &counts[i]
	}
	for i := range out.steps {
		out.steps[i].ActiveRuns = &stepCounts[i]
	}
	return out
}

// logRemovedSteps says what becomes of the runs waiting at the steps a
// reload removed: nothing else would tell that a step renamed without a
// moved block sends its runs on past it, its message never sent.
func (d *Daemon) logRemovedSteps(steps []RemovedStep, trigger string) {
	for _, s := range steps {
		then := "finish"
		if s.GoesOn != "" {
			then = "go on to step " + s.GoesOn
		}
		hint := fmt.Sprintf("if it was renamed, add moved { from = campaign.%s.step.%s  to = campaign.%s.step.NEW } to keep them on it", s.Campaign, s.Step, s.Campaign)
		args := []any{"trigger", trigger, "campaign", s.Campaign, "step", s.Step}
		switch {
		case s.ActiveRuns == nil:
			d.log.Warn("the reload removed a step of a campaign; the runs waiting at it (not counted) move on (then) when their wait is over, without its send", append(args, "then", then, "hint", hint)...)
		case *s.ActiveRuns > 0:
			d.log.Warn("the reload removed a step of a campaign with runs waiting at it: each moves on (then) when its wait is over, without the step's send", append(args, "active_runs", *s.ActiveRuns, "then", then, "hint", hint)...)
		default:
			d.log.Info("the reload removed a step of a campaign, at which no run waited", args...)
		}
	}
}

// activeRunsTimeout bounds the count of a removed campaign's runs, which
// waits for the batch under way.
const activeRunsTimeout = 30 * time.Second

// reloadProblems are a failed reload's errors as the log says them,
// each with where it is (file:line:col), its summary and its detail,
// which holds the hint; more counts those past the bound.
func reloadProblems(r Reload) (list []string, more int) {
	for _, dg := range r.Diagnostics.Diagnostics {
		if dg.Severity != "error" {
			continue
		}
		if len(list) == maxLoggedDiagnostics {
			more++
			continue
		}
		msg := dg.Summary
		if dg.Detail != "" {
			msg += ": " + dg.Detail
		}
		if dg.Range != nil {
			msg = fmt.Sprintf("%s:%d:%d: %s", dg.Range.Filename, dg.Range.Start.Line, dg.Range.Start.Column, msg)
		}
		if len(msg) > maxLoggedDiagnostic {
			msg = strings.ToValidUTF8(msg[:maxLoggedDiagnostic], "") + " ..."
		}
		list = append(list, msg)
	}
	return list, more
}

// A failed reload's line lists at most maxLoggedDiagnostics errors, each
// cut at maxLoggedDiagnostic bytes: one line stays readable however
// broken the files, and hearth validate lists them all.
const (
	maxLoggedDiagnostics = 10
	maxLoggedDiagnostic  = 400
)

// ErrStopping refuses events once shutdown began.
var ErrStopping = errors.New("hearth is shutting down")

// Submit takes ingested events. Without a bus it is Apply. With one, it
// returns once the bus holds the events durably; duplicates are then
// found when they are applied, so it reports none.
func (d *Daemon) Submit(ctx context.Context, evs []events.Event) (int, error) {
	a, err := d.submitEvents(ctx, evs, false)
	return a.skipped, err
}

// SubmitBackfill is Submit for events of a backfill of history: timers
// are held while it goes on (HoldTimers), here or on the replica that
// applies them.
func (d *Daemon) SubmitBackfill(ctx context.Context, evs []events.Event) (int, error) {
	a, err := d.submitBackfill(ctx, evs)
	return a.skipped, err
}

func (d *Daemon) submitBackfill(ctx context.Context, evs []events.Event) (applied, error) {
	if d.opt.Bus == nil {
		d.HoldTimers(BackfillHold)
		defer d.HoldTimers(BackfillHold) // from the commit on
	}
	return d.submitEvents(ctx, evs, true)
}

// submitEvents applies events, or publishes them to the bus, marked as a
// backfill or not.
func (d *Daemon) submitEvents(ctx context.Context, evs []events.Event, backfill bool) (applied, error) {
	if d.opt.Bus == nil {
		return d.applyEvents(ctx, evs, false)
	}
	if d.stopping.Load() {
		return applied{}, ErrStopping
	}
	if err := d.linkIdentities(ctx, evs); err != nil {
		return applied{}, err
	}
	return applied{}, d.opt.Bus.Publish(ctx, evs, backfill)
}

// linkIdentities points events at the member their identities belong
// to before they are published (runtime.LinkIdentities): the bus
// partitions by member id, so alice's Telegram events go to the replica
// applying hers. Only events with identities cost a look-up, of the
// shared store, in a batch that writes nothing.
func (d *Daemon) linkIdentities(ctx context.Context, evs []events.Event) error {
	if !slices.ContainsFunc(evs, func(ev events.Event) bool { return len(ev.Member.Identities) > 0 }) {
		return nil
	}
	b, err := d.opt.Store.Begin(ctx)
	if err != nil {
		return err
	}
	defer b.Rollback()
	if pl, ok := b.(state.Preloader); ok {
		// The members in one query: only the new ones cost more.
		ids := make([]string, len(evs))
		for i := range evs {
			ids[i] = evs[i].Member.ID
		}
		if err := pl.Preload(nil, ids); err != nil {
			return err
		}
	}
	return runtime.LinkIdentities(b, evs)
}

// BackfillHold is how long timers wait after a backfill's last batch.
// A backfill sends its batches one after another; should it stop, timers
// go on after this long.
const BackfillHold = 10 * time.Second

// HoldTimers keeps timers from running for the next d. Events of a
// backfill come in time order, each member's own rechecks up to each
// event running as it is applied; a timer round between two batches
// would take members to the present before their older events arrive,
// and they would leave segments and enter them again (with what
// campaigns do on that) as the backfill goes on.
func (d *Daemon) HoldTimers(hold time.Duration) {
	until := time.Now().Add(hold).UnixNano()
	for {
		cur := d.heldUntil.Load()
		if cur >= until || d.heldUntil.CompareAndSwap(cur, until) {
			return
		}
	}
}

// timersHeld reports whether timers wait: for an events file being fed,
// or for a backfill (HoldTimers).
func (d *Daemon) timersHeld() bool {
	return d.feeding.Load() > 0 || time.Now().UnixNano() < d.heldUntil.Load()
}

// Apply hands events to the processor and waits until they are
// committed (or failed). It reports how many were not applied: duplicates
// of events applied before, (rarely: the door refuses them first)
// events from before the id horizon, and events of members who asked to
// be forgotten with suppression; the last two are logged and counted
// apart.
func (d *Daemon) Apply(ctx context.Context, evs []events.Event) (int, error) {
	a, err := d.applyEvents(ctx, evs, false)
	return a.skipped, err
}

// applyEvents is Apply saying which duplicates reused an id applied
// before with other content, which it logs (once for the group) and
// counts. Their content digests are computed here, on the caller's
// goroutine, not the processor's.
//
// When ctx ends once the processor has the events, it returns at once
// (they will be applied; a client may send them again, ids make that
// safe), unless settle is set: then it waits for their commit, or their
// failure, or the processor's end without them, so that the caller
// counts what was committed (an events file stopped halfway).
func (d *Daemon) applyEvents(ctx context.Context, evs []events.Event, settle bool) (applied, error) {
	if d.stopping.Load() {
		return applied{}, ErrStopping
	}
	req := &request{events: evs, digests: make([]uint64, len(evs)), done: make(chan error, 1)}
	var dg events.Digester
	for i := range evs {
		req.digests[i] = dg.Digest(&evs[i])
	}
	// Counted before the processor can take it, so the count never
	// dips below what is waiting; finish takes it off.
	d.opt.Metrics.queued.Add(int64(len(evs)))
	select {
	case d.submit <- req:
	case <-ctx.Done():
		d.opt.Metrics.queued.Add(-int64(len(evs)))
		return applied{}, ctx.Err()
	}
	select {
	case err := <-req.done:
		return d.answered(req, err)
	case <-ctx.Done():
		if settle {
			return d.settle(req, ctx.Err())
		}
		// The events are queued and will be applied; the caller may
		// resend them safely, since ids make that idempotent.
		return applied{}, ctx.Err()
	}
}

// answered is what the processor's answer err to req comes to.
func (d *Daemon) answered(req *request, err error) (applied, error) {
	if err != nil {
		return applied{}, err
	}
	evs := req.events
	a := applied{skipped: req.dups + req.tooOld + req.suppressed, reused: reusedBefore(evs, req.reused)}
	if n := len(a.reused); n > 0 {
		d.opt.Metrics.idReused.Add(float64(n))
		first := a.reused[0]
		// Once per group: a sender with the bug has it in every batch.
		d.log.Warn("events came under ids applied earlier to events with different content; they were not applied (counted as duplicates)",
			"events", n, "id", evs[first.index].ID, "index", first.index, "first_at", first.earlier.At)
	}
	return a, nil
}

// settle waits, once the caller's context ended (err), for the outcome
// of a request the processor has: applied (a stop applies what was
// accepted before it, applyWaiting), failed, or left unapplied when the
// processor ended without taking it (handed over as Run stopped).
func (d *Daemon) settle(req *request, err error) (applied, error) {
	select {
	case rerr := <-req.done:
		return d.answered(req, rerr)
	case <-d.exited:
	}
	select {
	case rerr := <-req.done:
		return d.answered(req, rerr)
	default:
		return applied{}, err
	}
}

// reusedBefore keeps the events of reused whose id no earlier event of
// evs has: the others are either the same event again, or one that
// reusedIDs warns of with the place of the first.
func reusedBefore(evs []events.Event, reused []reusedEvent) []reusedEvent {
	if len(reused) == 0 {
		return nil
	}
	first := make(map[string]int, len(evs))
	for i := range evs {
		if _, ok := first[evs[i].ID]; !ok {
			first[evs[i].ID] = i
		}
	}
	out := reused[:0]
	for _, r := range reused {
		if first[evs[r.index].ID] == r.index {
			out = append(out, r)
		}
	}
	return out
}

// Run processes events and timers until ctx ends, then finishes what was
// accepted and returns.
func (d *Daemon) Run(ctx context.Context) error {
	if ob, ok := d.opt.Store.(outbox.Store); ok && d.opt.Sender != nil {
		every := d.opt.DeliverEvery
		if every <= 0 {
			every = time.Second
		}
		// Which members left or unsubscribed is read on the processor
		// goroutine, whose batches share member documents with the
		// store; once it has stopped, for the last round, directly.
		recipients := func(ctx context.Context, ids []string) (map[string]state.Recipient, error) {
			var out map[string]state.Recipient
			err := d.ReadStore(ctx, func(ctx context.Context) error {
				var err error
				out, err = state.Recipients(ctx, d.opt.Store, ids)
				return err
			})
			return out, err
		}
		disp := outbox.New(ob, d.opt.Sender, outbox.Options{Log: d.log, Now: d.opt.Now, Redact: d.Redact, Recipients: recipients,
			Config: func() *config.Config { return d.snap.Load().Config },
			// A hard bounce is recorded on the member as any event is.
			Ingest: func(ctx context.Context, evs []events.Event) error {
				_, err := d.Submit(ctx, evs)
				return err
			},
			Observe: func(e outbox.Entry, result string) {
				d.opt.Metrics.deliveries.WithLabelValues(e.Platform, result).Inc()
			}})
		d.disp.Store(disp)
		delivered := make(chan struct{})
		dctx, stopDelivery := context.WithCancel(context.Background())
		go func() { _ = disp.Run(dctx, every); close(delivered) }()
		// Delivery outlives event processing by one last round, so
		// actions committed during shutdown are attempted too. The loop
		// stops first: a dispatcher is not for two goroutines at once.
		defer func() {
			stopDelivery()
			<-delivered
			d.processorDone.Store(true)
			last, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, _ = disp.RunOnce(last)
		}()
	}
	d.processing.Store(true)
	defer d.processing.Store(false)
	defer d.exitOnce.Do(func() { close(d.exited) })
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var sampling sync.WaitGroup
	sampling.Go(func() { d.sampleLoop(sampleCtx) })
	sampling.Go(func() { d.pruneLoop(sampleCtx) })
	// The sampler queries through this loop, so it stops before the loop.
	defer sampling.Wait()
	defer stopSampling()
	var rt *runtime.Runtime
	var rtFor *Snapshot
	// current is the runtime for the snapshot in force, built anew after
	// a reload. It is called once per batch, so a reload takes effect
	// between batches, never inside one.
	current := func() *runtime.Runtime {
		if snap := d.snap.Load(); rtFor != snap {
			next := runtime.New(snap.Config, d.log)
			d.giveStepOrders(ctx, snap.Config, rt, next)
			d.recordIncentives(ctx, snap.Config)
			d.recordRunning(ctx, snap)
			d.givePlatformCommunities(next)
			d.swapRuntime(rt, next)
			rt, rtFor = next, snap
		}
		return rt
	}
	// The first round is at once: a start under edited rules lists the
	// members to re-evaluate before the first second is out.
	timer := time.NewTimer(0)
	defer timer.Stop()
	var watch storeWatch
	for {
		if err := d.watchStore(&watch); err != nil {
			// Nothing more can be written: what is waiting is refused
			// by the store, and the daemon stops for a restart.
			d.stopping.Store(true)
			d.applyWaiting(context.Background(), current())
			return err
		}
		var reqs []*request
		select {
		case r := <-d.submit:
			reqs = append(reqs, r)
		case q := <-d.queries:
			rt = current()
			q.done <- q.fn(ctx, rt)
			continue
		case <-timer.C:
		case <-d.wake:
		case <-ctx.Done():
			d.stopping.Store(true)
			// Apply what was accepted before the stop.
			d.applyWaiting(context.Background(), current())
			if f, ok := d.opt.Store.(state.Flusher); ok {
				return f.Flush(context.Background())
			}
			return nil
		}
		// Take everything waiting, up to a batch: group commit.
		n := 0
		for _, r := range reqs {
			n += len(r.events)
		}
	more:
		for n < d.opt.MaxBatch {
			select {
			case r := <-d.submit:
				reqs = append(reqs, r)
				n += len(r.events)
			default:
				break more
			}
		}
		rt = current()
		if len(reqs) > 0 {
			d.apply(ctx, rt, reqs)
		}
		if !d.timersHeld() {
			d.recheck(ctx, rt)
			d.reevaluate(ctx, rt)
		}
		timer.Reset(time.Second)
	}
}

// applyWaiting applies the requests waiting for the processor once
// stopping is set (no more are added): at a stop, what was accepted;
// after the store failed for good, it refuses them.
func (d *Daemon) applyWaiting(ctx context.Context, rt *runtime.Runtime) {
	var reqs []*request
	for {
		select {
		case r := <-d.submit:
			reqs = append(reqs, r)
			continue
		default:
		}
		break
	}
	if len(reqs) > 0 {
		d.apply(ctx, rt, reqs)
	}
}

// swapRuntime puts next in force for the metrics, adding what old
// counted to the rule counters' base. It runs on the processor
// goroutine, the only one that evaluates rules.
func (d *Daemon) swapRuntime(old, next *runtime.Runtime) {
	d.ruleMu.Lock()
	defer d.ruleMu.Unlock()
	if old != nil {
		old.PublishCounts()
		if d.ruleBase == nil {
			d.ruleBase = make(map[string]runtime.RuleCount)
		}
		for _, rc := range old.RuleCounts() {
			b := d.ruleBase[rc.Rule]
			b.Evaluations += rc.Evaluations
			b.Errors += rc.Errors
			d.ruleBase[rc.Rule] = b
		}
	}
	d.rt.Store(next)
}

// apply applies requests in one batch and reports to each when durable.
func (d *Daemon) apply(ctx context.Context, rt *runtime.Runtime, reqs []*request) {
	start := time.Now()
	b, err := d.opt.Store.Begin(ctx)
	if err != nil {
		d.fail(reqs, err)
		return
	}
	if pl, ok := b.(state.Preloader); ok {
		var ids, members []string
		for _, r := range reqs {
			for _, ev := range r.events {
				ids, members = append(ids, ev.ID), append(members, ev.Member.ID)
			}
		}
		if err := pl.Preload(ids, members); err != nil {
			_ = b.Rollback()
			d.fail(reqs, err)
			return
		}
	}
	cfg := d.snap.Load().Config // for metric labels only
	// Counted once the batch is committed: a batch that fails is sent
	// again (by its client, or by the bus after a conflict), and its
	// events are applied then.
	processed := make(map[processedLabels]int)
	// Accepted: applied, not a duplicate, too old or suppressed, as
	// stats.Accepted counts them, so the metric and GET /v1/status agree.
	accepted := make(map[string]int)
	did := d.opt.Metrics.domain.tally()
	tooOld, suppressed := 0, 0
	for _, r := range reqs {
		for i := range r.events {
			ev := &r.events[i]
			var digest uint64
			if i < len(r.digests) {
				digest = r.digests[i]
			}
			res, err := rt.ApplyDigest(ctx, b, ev, digest)
			if err != nil {
				_ = b.Rollback()
				d.failed(ctx, "applying events failed; the batch is rolled back", "event", ev.ID, "err", err)
				d.fail(reqs, err)
				return
			}
			if res.Duplicate {
				r.dups++
			}
			if res.Reused {
				r.reused = append(r.reused, reusedEvent{index: i, earlier: res.Earlier})
			}
			if res.TooOld {
				// Only an event that slipped past the door's check gets
				// here (a horizon moved by another replica or process).
				r.tooOld++
				tooOld++
				d.log.Warn("event refused: older than the event ids the state remembers; it was not applied", "event", ev.ID, "at", ev.At)
			}
			if res.Suppressed {
				// The member's id stays out of the log: they asked to be
				// forgotten.
				r.suppressed++
				suppressed++
				d.log.Warn("event refused: its member asked to be forgotten and is suppressed (hearth member forget -suppress); it was not applied", "type", ev.Type, "source", ev.Source)
				continue
			}
			processed[processedLabels{metricType(cfg, ev.Type), res.Duplicate}]++
			if !res.Duplicate && !res.TooOld {
				accepted[metricType(cfg, ev.Type)]++
			}
			did.outcomes(res.Outcomes)
		}
	}
	d.stats.Batches.Add(1)
	rt.PublishCounts()
	refused := rt.TakeRefused()
	done := func(err error) {
		if err == nil {
			for l, n := range processed {
				d.opt.Metrics.processed(l.typ, l.dup, n)
			}
			for typ, n := range accepted {
				d.opt.Metrics.ingested.WithLabelValues(typ).Add(float64(n))
			}
			d.opt.Metrics.refused(refused)
			did.add()
			if tooOld > 0 {
				d.opt.Metrics.rejected.WithLabelValues("too_old").Add(float64(tooOld))
			}
			if suppressed > 0 {
				d.opt.Metrics.rejected.WithLabelValues("suppressed").Add(float64(suppressed))
				d.stats.Rejected.Add(int64(suppressed))
				d.stats.Suppressed.Add(int64(suppressed))
			}
		}
		for _, r := range reqs {
			if err == nil {
				d.stats.Accepted.Add(int64(len(r.events) - r.dups - r.tooOld - r.suppressed))
				d.stats.Duplicates.Add(int64(r.dups))
				d.stats.TooOld.Add(int64(r.tooOld))
			}
			d.finish(r, err)
		}
		took := time.Since(start)
		d.opt.Metrics.latency.Observe(took.Seconds())
		d.commits.add(took)
		if d.log.Enabled(ctx, slog.LevelDebug) {
			n, dups := 0, 0
			for _, r := range reqs {
				n, dups = n+len(r.events), dups+r.dups
			}
			if err != nil {
				d.log.Debug("batch commit failed", "events", n, "took", took, "err", err)
			} else {
				d.log.Debug("batch committed", "events", n, "duplicates", dups, "requests", len(reqs), "took", took)
			}
		}
	}
	if ab, ok := b.(state.AsyncBatch); ok {
		ab.CommitAsync(done)
		return
	}
	done(b.Commit())
}

// processedLabels are the labels of hearth_events_processed_total.
type processedLabels struct {
	typ string
	dup bool
}

func (d *Daemon) fail(reqs []*request, err error) {
	for _, r := range reqs {
		d.finish(r, err)
	}
}

// finish reports to a request that its events are committed, or failed.
func (d *Daemon) finish(r *request, err error) {
	d.opt.Metrics.queued.Add(-int64(len(r.events)))
	r.done <- err
}

// recheck runs timers that came due: campaign steps, time-based rules,
// and alerts.
func (d *Daemon) recheck(ctx context.Context, rt *runtime.Runtime) {
	d.checkAlerts(ctx, rt)
	for range 100 { // bounded per round; the next round continues
		b, err := d.opt.Store.Begin(ctx)
		if err != nil {
			d.failed(ctx, "recheck: begin failed", "err", err)
			return
		}
		var rb state.Batch = b
		po, shared := d.opt.Bus.(PartitionOwner)
		if pd, ok := b.(state.PartitionedDue); ok && shared {
			// Only the timers of this replica's members: another
			// replica's event batches would collide with them. (A store
			// that cannot tell is not shared: all timers are ours.)
			rb = ownedDue{Batch: b, pd: pd, partitions: po.Partitions(), owned: po.Owned()}
		}
		n, outs, err := rt.Recheck(ctx, rb, d.opt.Now(), 500)
		did := d.opt.Metrics.domain.tally()
		did.outcomes(outs)
		rt.PublishCounts()
		refused := rt.TakeRefused() // a timer's segment.entered may enter a campaign
		if err != nil {
			_ = b.Rollback()
			d.failed(ctx, "recheck failed", "err", err)
			return
		}
		if n == 0 {
			_ = b.Rollback()
			return
		}
		d.stats.Rechecks.Add(int64(n))
		d.opt.Metrics.timersDue.Add(float64(n))
		if err := b.Commit(); err != nil {
			d.failed(ctx, "recheck commit failed", "err", err)
			return
		}
		d.opt.Metrics.refused(refused)
		did.add()
	}
}

// query runs on the processor goroutine between batches, so it reads
// member state that nothing is changing.
type query struct {
	fn   func(context.Context, *runtime.Runtime) error
	done chan error
}

// Query runs fn between batches with the runtime of the snapshot in force.
func (d *Daemon) Query(ctx context.Context, fn func(context.Context, *runtime.Runtime) error) error {
	q := &query{fn: fn, done: make(chan error, 1)}
	select {
	case d.queries <- q:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-q.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ReadStore runs fn where it may read the state store while Run runs
// (the outbox's sender does, for instance): on the processor goroutine
// while it processes, since its batches share member documents with the
// store, and directly once it has stopped, for the last delivery round.
// What fn keeps of what it reads, it copies.
func (d *Daemon) ReadStore(ctx context.Context, fn func(context.Context) error) error {
	if d.processorDone.Load() {
		return fn(ctx)
	}
	return d.Query(ctx, func(ctx context.Context, _ *runtime.Runtime) error { return fn(ctx) })
}

// Stats returns the running totals.
func (d *Daemon) Stats() map[string]int64 {
	return map[string]int64{
		"accepted": d.stats.Accepted.Load(), "duplicates": d.stats.Duplicates.Load(), "too_old": d.stats.TooOld.Load(),
		"rejected": d.stats.Rejected.Load(), "refused_requests": d.stats.Refused.Load(), "suppressed": d.stats.Suppressed.Load(), "batches": d.stats.Batches.Load(), "rechecks": d.stats.Rechecks.Load(),
	}
}

// failed logs work that failed as an error, unless the daemon is
// stopping: then the context cancelled it, nothing was committed, and the
// work is done again at the next start, so it is no error to page about.
// Work a failing state store refused is logged at a limited rate
// (logFailure): the store's failure itself is logged once (watchStore).
func (d *Daemon) failed(ctx context.Context, msg string, args ...any) {
	d.logFailure(ctx, slog.LevelError, msg, args...)
}
