package daemon

import (
	"context"
	"maps"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/runtime"
)

// giveStepOrders gives a new runtime the step orders its campaigns ran
// with before, from the store and from the runtime it replaces, and
// records its own: a member on a step this configuration removed goes on
// to the step that followed it, after a reload and after a restart alike.
// Every name is kept, so replicas merging at their own reloads lose
// nothing another recorded. A store that cannot be read or written costs
// only that: members on a removed step then go on to the step at its
// index.
func (d *Daemon) giveStepOrders(ctx context.Context, cfg *config.Config, prev, next *runtime.Runtime) {
	ctx = context.WithoutCancel(ctx)
	o := config.StepOrders{}
	cs, _ := d.opt.Store.(CursorStore)
	stored, was := false, ""
	if cs != nil {
		s, err := cs.Cursor(ctx, config.StepOrdersRecord)
		was = s
		if err == nil {
			if o, err = config.ParseStepOrders(s); err != nil {
				d.log.Warn("the campaigns' recorded step order is unreadable; it is recorded afresh", "err", err)
			}
			stored = true
		} else {
			d.failed(ctx, "reading the campaigns' recorded step order failed; members on a removed step go on to the step now at its index", "err", err)
		}
	}
	if prev != nil {
		// What this process ran with wins over what the store had.
		for name, after := range prev.StepOrders() {
			if o[name] == nil {
				o[name] = map[string]string{}
			}
			maps.Copy(o[name], after)
		}
	}
	o.Merge(cfg)
	next.SetStepOrders(o)
	if cs == nil || !stored || o.String() == was {
		return
	}
	if err := cs.SetCursor(ctx, config.StepOrdersRecord, o.String()); err != nil {
		d.failed(ctx, "recording the campaigns' step order failed; after a restart, members on a step removed now go on to the step at its index", "err", err)
	}
}

// storedStepOrders is the step order the store recorded with cfg's
// merged in, as Run's first runtime will have it: for the count New
// makes before there is one. A record that cannot be read leaves a run
// on a removed step at the step now at its index, as the runtime would,
// rather than failing the count (Run logs it).
func (d *Daemon) storedStepOrders(ctx context.Context, cfg *config.Config) config.StepOrders {
	o := config.StepOrders{}
	if cs, ok := d.opt.Store.(CursorStore); ok {
		if s, err := cs.Cursor(ctx, config.StepOrdersRecord); err == nil {
			if stored, err := config.ParseStepOrders(s); err == nil {
				o = stored
			}
		}
	}
	o.Merge(cfg)
	return o
}

// pruneStepOrders forgets the removed steps' names the recorded step
// orders no longer need, in the runtime and in the store: those of steps
// rt's configuration does not have that no active run is on or goes on
// through (config.StepOrders.Prune). onRemoved comes from the population
// scan (countPopulation), which reads every member anyway, so knowing
// which names runs are on costs no scan of its own. It is safe because
// nothing happens between that scan and this: both run on the processor
// goroutine between batches (and SQLite's scan first writes the batches
// committed in the background), and a run only ever arrives at a step the
// configuration in force has, so no run can be on a name rt lacks that
// the scan did not see. A reload that brings a name back records it
// again (giveStepOrders). Replicas each prune on their own scan; one
// whose configuration still has a name another forgot keeps it in its
// own runtime, and records it again at its next reload.
func (d *Daemon) pruneStepOrders(ctx context.Context, rt *runtime.Runtime, onRemoved map[string]map[string]bool) {
	if rt == nil {
		return
	}
	cs, _ := d.opt.Store.(CursorStore)
	if cs == nil {
		rt.PruneStepOrders(nil, onRemoved)
		return
	}
	was, err := cs.Cursor(ctx, config.StepOrdersRecord)
	if err != nil {
		d.failed(ctx, "reading the campaigns' recorded step order to forget removed steps failed; it is tried again at the next population scan", "err", err)
		return
	}
	o, err := config.ParseStepOrders(was)
	if err != nil {
		o = nil // unreadable: giveStepOrders records it afresh at the next reload
	}
	if !rt.PruneStepOrders(o, onRemoved) {
		return
	}
	if err := cs.SetCursor(ctx, config.StepOrdersRecord, o.String()); err != nil {
		d.failed(ctx, "recording the campaigns' step order without removed steps failed; it is tried again at the next population scan", "err", err)
		return
	}
	d.log.Info("the campaigns' recorded step order forgot steps that are removed and that no member's run is on")
}
