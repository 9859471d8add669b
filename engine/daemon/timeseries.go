package daemon

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hearth-community/hearth/engine/campaignstats"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// The dashboard draws "over time" from samples the daemon keeps in
// memory: counters every SampleEvery, and the population (a store scan)
// at most every PopulationEvery. Nothing is persisted: after a restart
// the charts start again, which is what an operator watching live wants
// and keeps the state store free of monitoring data.

// Sample is one point of the time series. Population fields are set
// only on samples that scanned the store.
type Sample struct {
	At            time.Time      `json:"at"`
	Accepted      int64          `json:"accepted"`
	Rejected      int64          `json:"rejected"`
	Duplicates    int64          `json:"duplicates"`
	OutboxPending *int           `json:"outbox_pending,omitempty"`
	OutboxDead    *int           `json:"outbox_dead,omitempty"`
	Members       *int           `json:"members,omitempty"`
	Left          *int           `json:"left,omitempty"`
	Segments      map[string]int `json:"segments,omitempty"`
	Tiers         map[string]int `json:"tiers,omitempty"`
	// Campaigns are counted by the same scan; with them a dashboard can
	// draw everything from samples, so open pages add no scans.
	Campaigns map[string]map[string]int `json:"campaigns,omitempty"`
	// Splits are the A/B variants compared, from the same scan, and
	// BeforeSplit the runs of those campaigns no variant holds.
	Splits      map[string][]campaignstats.Variant `json:"splits,omitempty"`
	BeforeSplit map[string]campaignstats.Counts    `json:"before_split,omitempty"`
	// Held are the running campaign sends held back, from the same scan.
	Held map[string]map[string]int `json:"held,omitempty"`
	// KeysKept are the ended runs kept as their key alone, from the
	// same scan.
	KeysKept map[string]int `json:"keys_kept,omitempty"`
	// CommitP50Ms and CommitP99Ms are the median and 99th percentile of
	// the time batches took from their start to their durable commit,
	// over the batches since the sample before (none: omitted).
	CommitP50Ms *float64 `json:"commit_p50_ms,omitempty"`
	CommitP99Ms *float64 `json:"commit_p99_ms,omitempty"`
}

// commitTimes collects batch commit times between two samples.
type commitTimes struct {
	mu  sync.Mutex
	ms  []float64
	cap int
}

// add records one batch; past cap the rest of the interval is left out,
// which keeps the memory bounded and the quantiles of a busy interval.
func (c *commitTimes) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ms) < c.cap {
		c.ms = append(c.ms, float64(d.Microseconds())/1000)
	}
}

// take returns the median and 99th percentile of what was added since the
// last take, and how many there were.
func (c *commitTimes) take() (p50, p99 float64, n int) {
	c.mu.Lock()
	ms := c.ms
	c.ms = nil
	c.mu.Unlock()
	if len(ms) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ms)
	at := func(q float64) float64 { return ms[min(len(ms)-1, int(q*float64(len(ms))))] }
	return at(0.5), at(0.99), len(ms)
}

// runner runs fn where it may read the store: on the processor goroutine
// with the runtime in force once Run has started (Daemon.Query), at once
// and with no runtime before that (direct).
type runner func(ctx context.Context, fn func(context.Context, *runtime.Runtime) error) error

func direct(ctx context.Context, fn func(context.Context, *runtime.Runtime) error) error {
	return fn(ctx, nil)
}

// outboxCounter is implemented by stores that count their outbox cheaply;
// others get no outbox series rather than a full listing every sample.
type outboxCounter interface {
	CountOutbox(ctx context.Context) (map[string]int, error)
}

// outboxCounts counts outbox entries by status, or is nil when the store
// cannot count cheaply or the count failed (logged: it is only for display).
// Like every outbox read it runs on the processor goroutine: the SQLite
// store first waits for its background commits, and that wait must not
// overlap the processor starting a new one.
func (d *Daemon) outboxCounts(ctx context.Context, run runner) map[string]int {
	oc, ok := d.opt.Store.(outboxCounter)
	if !ok {
		return nil
	}
	var n map[string]int
	err := run(ctx, func(ctx context.Context, _ *runtime.Runtime) error {
		var err error
		n, err = oc.CountOutbox(ctx)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			d.logFailure(ctx, slog.LevelWarn, "counting the outbox failed", "err", err)
		}
		return nil
	}
	for _, k := range []string{"pending", "sent", "dead", "skipped"} {
		n[k] += 0 // present even when zero, so clients need no default
	}
	return n
}

// oldestPending is how long the oldest pending outbox entry has waited
// since it was queued, by the daemon's clock (which stamps the entries,
// New): not since its action was decided, which is event time and days
// back after a backfill of old events. 0 when none is pending; false
// when the store cannot tell or the read failed (logged). It runs on
// the processor goroutine, as outboxCounts does.
func (d *Daemon) oldestPending(ctx context.Context, run runner) (time.Duration, bool) {
	oa, ok := d.opt.Store.(state.OutboxAger)
	if !ok {
		return 0, false
	}
	var at time.Time
	err := run(ctx, func(ctx context.Context, _ *runtime.Runtime) error {
		var err error
		at, err = oa.OldestPending(ctx)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			d.logFailure(ctx, slog.LevelWarn, "reading the oldest pending outbox entry failed", "err", err)
		}
		return 0, false
	}
	if at.IsZero() {
		return 0, true
	}
	return max(0, d.opt.Now().Sub(at)), true
}

// countAlerts sets hearth_alerts_firing from the community documents,
// which are few and small, at every sample: an alert is checked at most
// once a minute, and the gauge should not lag that by the population's
// interval. A store that keeps no community documents fires no alerts.
func (d *Daemon) countAlerts(ctx context.Context, run runner) {
	cr, ok := d.opt.Store.(state.CommunityReader)
	cfg := d.snap.Load().Config
	if !ok || len(cfg.Alerts) == 0 {
		return
	}
	var docs []*state.Community
	err := run(ctx, func(context.Context, *runtime.Runtime) error {
		var err error
		docs, err = cr.Communities()
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			d.logFailure(ctx, slog.LevelWarn, "counting the alerts firing failed", "err", err)
		}
		return
	}
	d.opt.Metrics.domain.alertsFiring.keep(cfg, alertsFiring(cfg, docs))
}

// ring keeps the last len(buf) samples.
type ring struct {
	buf  []Sample
	next int
	full bool
}

func (r *ring) add(s Sample) {
	r.buf[r.next] = s
	r.next = (r.next + 1) % len(r.buf)
	if r.next == 0 {
		r.full = true
	}
}

func (r *ring) list() []Sample {
	if !r.full {
		return append([]Sample(nil), r.buf[:r.next]...)
	}
	return append(append([]Sample(nil), r.buf[r.next:]...), r.buf[:r.next]...)
}

// Population is the count of members per segment and tier, and of
// campaign runs per status (active) or end reason (goal, finished, ...).
// Members is every member stored; Left of them have left the community
// and count on no tier and in no segment, as in the health report.
type Population struct {
	Members   int                       `json:"members"`
	Left      int                       `json:"left"`
	Segments  map[string]int            `json:"segments"`
	Tiers     map[string]int            `json:"tiers"`
	Campaigns map[string]map[string]int `json:"campaigns"`
	// Splits are, for each campaign with an A/B split, its variants
	// compared (hearth campaign show), counted by the same scan.
	Splits map[string][]campaignstats.Variant `json:"splits,omitempty"`
	// BeforeSplit is, for the same campaigns, the runs no variant holds
	// (ended or waiting before the split gave them one), so that the
	// variants and it add up to the campaign's runs.
	BeforeSplit map[string]campaignstats.Counts `json:"before_split,omitempty"`
	// Held is, for each campaign, how many of its running runs have
	// their send held back, by what holds it (quiet_hours,
	// frequency_cap; both always present), as hearth campaign show
	// counts them per step. Not in Campaigns: those add up to the runs
	// entered, and a held run is also active.
	Held map[string]map[string]int `json:"held"`
	// KeysKept is, for each campaign with any, how many ended runs
	// retention kept as their key alone (reentry = "never" refuses the
	// key still), as hearth campaign show counts them. Not in
	// Campaigns: no run is left to count by status.
	KeysKept map[string]int `json:"keys_kept,omitempty"`
}

// countPopulation scans the store; call it on the processor goroutine,
// with the runtime in force, which the same scan finds the campaign steps
// the recorded step orders may forget for (pruneStepOrders).
func (d *Daemon) countPopulation(ctx context.Context, rt *runtime.Runtime) (Population, error) {
	cfg := d.snap.Load().Config
	out := Population{Segments: map[string]int{}, Tiers: map[string]int{"": 0}, Campaigns: map[string]map[string]int{}, Held: map[string]map[string]int{}}
	for _, s := range cfg.Segments {
		out.Segments[s.Name] = 0
	}
	for _, t := range cfg.Tiers {
		out.Tiers[t.Name] = 0
	}
	var splits []*campaignstats.Tally
	var orders config.StepOrders // where runs on a removed step go on to
	if rt := d.rt.Load(); rt != nil {
		orders = rt.StepOrders()
	} else {
		orders = d.storedStepOrders(ctx, cfg)
	}
	for _, c := range cfg.Campaigns {
		out.Campaigns[c.Name] = map[string]int{}
		out.Held[c.Name] = map[string]int{state.HoldQuietHours: 0, state.HoldFrequencyCap: 0}
		if slices.ContainsFunc(c.Steps, func(st *config.Step) bool { return len(st.Split) > 0 }) {
			splits = append(splits, campaignstats.NewTally(c, orders[c.Name]))
		}
	}
	onRemoved := map[string]map[string]bool{}
	forLeft := config.SegmentsForLeft(cfg.Segments)
	err := d.opt.Store.Members(ctx, func(m *state.Member) error {
		out.Members++
		if rt != nil {
			rt.OnRemovedSteps(m, onRemoved)
		}
		for _, t := range splits {
			t.Add(m)
		}
		if m.Left {
			// Gone from the community: a member of no tier, and of no
			// segment but those written for members who left.
			out.Left++
			for s := range m.Segments {
				if n, ok := out.Segments[s]; ok && forLeft[s] {
					out.Segments[s] = n + 1
				}
			}
		} else {
			out.Tiers[m.Tier.Name]++
			for s := range m.Segments {
				// Only segments configured: a member keeps a removed
				// segment's name, which nothing moves it out of.
				if n, ok := out.Segments[s]; ok {
					out.Segments[s] = n + 1
				}
			}
		}
		for id, run := range m.Campaigns {
			// Runs, several per member in a campaign with run_key.
			if c := out.Campaigns[state.RunCampaign(id)]; c != nil && run != nil {
				key := run.Status
				if run.Status == "done" {
					key = run.Reason
				}
				c[key]++
				if run.Active() && run.Hold != nil {
					out.Held[state.RunCampaign(id)][run.Hold.Reason]++
				}
			}
		}
		for name, keys := range m.KeysEnded {
			if _, ok := out.Campaigns[name]; ok && len(keys) > 0 {
				if out.KeysKept == nil {
					out.KeysKept = map[string]int{}
				}
				out.KeysKept[name] += len(keys)
			}
		}
		return nil
	})
	for _, t := range splits {
		if out.Splits == nil {
			out.Splits = map[string][]campaignstats.Variant{}
		}
		rep := t.Report()
		out.Splits[rep.Campaign] = rep.Variants
		if rep.BeforeSplit != nil {
			if out.BeforeSplit == nil {
				out.BeforeSplit = map[string]campaignstats.Counts{}
			}
			out.BeforeSplit[rep.Campaign] = *rep.BeforeSplit
		}
	}
	if err == nil {
		d.pruneStepOrders(ctx, rt, onRemoved)
	}
	return out, err
}

// sampleLoop adds the sample New took, then takes one every SampleEvery
// until ctx ends, and counts the population at once when a reload asks.
func (d *Daemon) sampleLoop(ctx context.Context) {
	t := time.NewTicker(d.opt.SampleEvery)
	defer t.Stop()
	var lastScan time.Time
	first := d.first
	d.first = nil
	for {
		var s Sample
		if first != nil {
			s, first = *first, nil
			if s.Members != nil {
				lastScan = s.At
			}
		} else {
			s = d.sample(ctx, &lastScan, d.Query)
		}
		if ctx.Err() != nil {
			return
		}
		d.mu.Lock()
		d.series.add(s)
		d.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.rescan:
			lastScan = time.Time{}
		}
	}
}

// sample takes a sample, counting the population too if the last count
// (lastScan) is PopulationEvery old; run reads the store.
func (d *Daemon) sample(ctx context.Context, lastScan *time.Time, run runner) Sample {
	now := time.Now()
	s := Sample{At: now.UTC(), Accepted: d.stats.Accepted.Load(), Rejected: d.stats.Rejected.Load(), Duplicates: d.stats.Duplicates.Load()}
	if p50, p99, n := d.commits.take(); n > 0 {
		s.CommitP50Ms, s.CommitP99Ms = &p50, &p99
	}
	if n := d.outboxCounts(ctx, run); n != nil {
		d.opt.Metrics.outbox(n)
		pending, dead := n["pending"], n["dead"]
		s.OutboxPending, s.OutboxDead = &pending, &dead
		if age, ok := d.oldestPending(ctx, run); ok {
			d.opt.Metrics.outboxOldest.Set(age.Seconds())
		}
	}
	d.countAlerts(ctx, run)
	if now.Sub(*lastScan) < d.opt.PopulationEvery {
		return s
	}
	// The scan runs between batches, like the admin API's reads, so it
	// counts committed state that nothing is changing.
	var pop Population
	var scan uint64
	err := run(ctx, func(ctx context.Context, rt *runtime.Runtime) error {
		// Between batches: every batch built before counts in the scan,
		// every one after moves the active runs from its result on.
		scan = d.opt.Metrics.domain.activeRuns.scanStarts()
		var err error
		pop, err = d.countPopulation(ctx, rt)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			d.logFailure(ctx, slog.LevelWarn, "sampling the population failed", "err", err)
		}
		return s
	}
	*lastScan = now
	d.opt.Metrics.population(pop, d.snap.Load().Config, scan)
	s.Members, s.Left, s.Segments, s.Tiers, s.Campaigns, s.Splits, s.Held, s.KeysKept = &pop.Members, &pop.Left, pop.Segments, pop.Tiers, pop.Campaigns, pop.Splits, pop.Held, pop.KeysKept
	s.BeforeSplit = pop.BeforeSplit
	return s
}

// Series returns the samples kept, oldest first.
func (d *Daemon) Series() []Sample {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.series.list()
}

func (d *Daemon) timeseries(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"sample_seconds":     d.opt.SampleEvery.Seconds(),
		"population_seconds": d.opt.PopulationEvery.Seconds(),
		"samples":            d.Series(),
	})
}
