package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/state"
)

// pruneLoop forgets event ids and outcomes past the retention settings,
// and removes finished outbox entries past outbox_retention, once at
// start and then every PruneEvery, following reloads.
func (d *Daemon) pruneLoop(ctx context.Context) {
	p, _ := d.opt.Store.(state.Pruner)
	op, _ := d.opt.Store.(state.OutboxPruner)
	if p == nil && op == nil {
		return
	}
	if p != nil {
		if h, err := p.IDHorizon(ctx); err == nil && !h.IsZero() {
			d.horizon.Store(h.UnixNano())
		}
	}
	every := d.opt.PruneEvery
	if every <= 0 {
		every = time.Hour
	}
	for {
		if p != nil {
			d.pruneOnce(ctx, p)
		}
		if op != nil {
			d.pruneOutbox(ctx, op)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// pruneOnce runs one round; a failure is logged and tried again next
// round, since nothing is lost by keeping rows longer.
func (d *Daemon) pruneOnce(ctx context.Context, p state.Pruner) {
	st := d.snap.Load().Config.Settings.State
	if st.EventIDRetention <= 0 && st.OutcomeRetention <= 0 {
		return
	}
	req := state.PruneFor(d.opt.Now(), st.EventIDRetention, st.OutcomeRetention)
	start := time.Now()
	res, err := p.Prune(ctx, req)
	if !res.IDHorizon.IsZero() {
		d.horizon.Store(res.IDHorizon.UnixNano())
	}
	d.opt.Metrics.pruned.WithLabelValues("event_ids").Add(float64(res.EventIDs))
	d.opt.Metrics.pruned.WithLabelValues("outcomes").Add(float64(res.Outcomes))
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("pruning state failed; it is tried again later", "err", err, "event_ids", res.EventIDs, "outcomes", res.Outcomes)
		}
		return
	}
	if res.EventIDs > 0 || res.Outcomes > 0 {
		d.log.Info("state pruned", "event_ids", res.EventIDs, "outcomes", res.Outcomes, "id_horizon", res.IDHorizon, "took", time.Since(start).Round(time.Millisecond).String())
	}
}

// pruneOutbox removes the finished outbox entries outbox_retention no
// longer keeps; like pruneOnce, a failure waits for the next round.
func (d *Daemon) pruneOutbox(ctx context.Context, op state.OutboxPruner) {
	r := d.snap.Load().Config.Settings.State.OutboxRetention
	if r <= 0 {
		return
	}
	start := time.Now()
	n, err := op.PruneOutbox(ctx, d.opt.Now().Add(-r), false)
	d.opt.Metrics.pruned.WithLabelValues("outbox").Add(float64(n))
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("pruning the outbox failed; it is tried again later", "err", err, "outbox", n)
		}
		return
	}
	if n > 0 {
		d.log.Info("outbox pruned", "outbox", n, "took", time.Since(start).Round(time.Millisecond).String())
	}
}

// tooOld lists the events the state could not tell apart from ones
// already applied: older than event_id_retention, or than the id
// horizon. They are refused before anything is applied.
func (d *Daemon) tooOld(evs []events.Event) []EventError {
	var cut time.Time
	if h := d.horizon.Load(); h != 0 {
		cut = time.Unix(0, h)
	}
	if r := d.snap.Load().Config.Settings.State.EventIDRetention; r > 0 {
		if c := d.opt.Now().Add(-r); c.After(cut) {
			cut = c
		}
	}
	if cut.IsZero() {
		return nil
	}
	var bad []EventError
	for i, ev := range evs {
		if ev.At.Before(cut) {
			bad = append(bad, EventError{Index: i, ID: ev.ID, Error: fmt.Sprintf("event at %s is older than %s, the oldest event hearth can still tell apart from one already applied (hearth { state { event_id_retention } })",
				ev.At.UTC().Format(time.RFC3339), cut.UTC().Format(time.RFC3339))})
		}
	}
	return bad
}
