package daemon

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// rulesSweep brings the stored members to the segment, tier and badge
// rules in force after they change (a reload, or a start with edited
// files), so members move as the plan's member impact said without
// waiting for an event of their own. Members that have an event first
// are evaluated then (runtime.MemberRules); the sweep skips them.
//
// A cursor in the store ("hearth.rules", or one per partition when
// replicas share the store) records the rules every member was brought
// to, so a restart under the same rules sweeps nothing. The sweep runs on
// the processor goroutine, a chunk per round between event batches.
type rulesSweep struct {
	rules   uint64
	owned   []int    // the partitions owned when it started; nil alone
	marks   []string // cursors to set when done
	ids     []string // members still to evaluate
	total   int
	done    int
	changes int
	started time.Time
}

// sweepChunk is how many members one round evaluates: small enough that
// events wait for it no longer than for a batch.
const sweepChunk = 500

// rulesCursor names the cursor of a partition's sweep; -1 for a store
// no other process shares.
func rulesCursor(partition int) string {
	if partition < 0 {
		return "hearth.rules"
	}
	return "hearth.rules/" + strconv.Itoa(partition)
}

// reevaluate runs one round of the sweep, starting one when the rules or
// the partitions owned changed.
func (d *Daemon) reevaluate(ctx context.Context, rt *runtime.Runtime) {
	po, shared := d.opt.Bus.(PartitionOwner)
	var owned []int
	if shared {
		owned = po.Owned()
	}
	if s := &d.sweep; s.rules != rt.MemberRules() || !slices.Equal(s.owned, owned) {
		if err := d.startSweep(ctx, rt, owned); err != nil {
			d.failed(ctx, "re-evaluating members under the new rules: listing them failed; they move at their next event", "err", err)
			d.sweep = rulesSweep{rules: rt.MemberRules(), owned: owned}
		}
	}
	s := &d.sweep
	if len(s.ids) == 0 {
		return
	}
	chunk := s.ids[:min(sweepChunk, len(s.ids))]
	b, err := d.opt.Store.Begin(ctx)
	if err != nil {
		d.failed(ctx, "re-evaluating members: begin failed", "err", err)
		return
	}
	n, outs, err := rt.Reevaluate(ctx, b, chunk, d.opt.Now())
	rt.PublishCounts()
	if err != nil {
		_ = b.Rollback()
		d.failed(ctx, "re-evaluating members failed; retried next round", "err", err)
		return
	}
	if err := b.Commit(); err != nil {
		d.failed(ctx, "re-evaluating members: commit failed; retried next round", "err", err)
		return
	}
	did := d.opt.Metrics.domain.tally()
	did.outcomes(outs)
	did.add()
	s.ids = s.ids[len(chunk):]
	s.done += n
	s.changes += len(outs)
	d.opt.Metrics.reevaluated.Add(float64(n))
	d.opt.Metrics.reevaluatePending.Set(float64(len(s.ids)))
	d.reevaluating.Store(int64(len(s.ids)))
	if len(s.ids) > 0 {
		select { // go on at once, after any events waiting
		case d.wake <- struct{}{}:
		default:
		}
		return
	}
	d.log.Info("stored members are under the rules in force", "checked", s.total, "reevaluated", s.done, "changes", s.changes, "took", time.Since(s.started).Round(time.Millisecond).String())
	d.markSwept(ctx)
}

// startSweep lists the members to bring to rt's rules: those of the
// partitions (or the store) whose cursor names other rules.
func (d *Daemon) startSweep(ctx context.Context, rt *runtime.Runtime, owned []int) error {
	rules := rt.MemberRules()
	d.sweep = rulesSweep{rules: rules, owned: owned, started: time.Now()}
	want := strconv.FormatUint(rules, 16)
	cs, _ := d.opt.Store.(CursorStore)
	swept := func(key string) (bool, error) {
		if cs == nil {
			return false, nil
		}
		got, err := cs.Cursor(ctx, key)
		return got == want, err
	}
	partitions := 0
	todo := map[int]bool{}
	if po, ok := d.opt.Bus.(PartitionOwner); ok {
		partitions = po.Partitions()
		for _, p := range owned {
			done, err := swept(rulesCursor(p))
			if err != nil {
				return err
			}
			if !done {
				todo[p] = true
				d.sweep.marks = append(d.sweep.marks, rulesCursor(p))
			}
		}
		if len(todo) == 0 {
			return nil
		}
	} else {
		done, err := swept(rulesCursor(-1))
		if err != nil || done {
			return err
		}
		d.sweep.marks = []string{rulesCursor(-1)}
	}
	mine := func(id string) bool {
		return partitions == 0 || todo[int(state.MemberHash(id)%uint32(partitions))]
	}
	var ids []string
	var err error
	if l, ok := d.opt.Store.(state.MemberLister); ok {
		// Ids alone: each member is read in its round anyway, and those
		// already under these rules are skipped there.
		all, lerr := l.MemberIDs(ctx)
		err = lerr
		for _, id := range all {
			if mine(id) {
				ids = append(ids, id)
			}
		}
	} else {
		err = d.opt.Store.Members(ctx, func(m *state.Member) error {
			if m.Rules != rules && mine(m.ID) {
				ids = append(ids, m.ID)
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("listing members: %w", err)
	}
	d.sweep.ids, d.sweep.total = ids, len(ids)
	d.opt.Metrics.reevaluatePending.Set(float64(len(ids)))
	d.reevaluating.Store(int64(len(ids)))
	if len(ids) == 0 {
		d.markSwept(ctx)
		return nil
	}
	// Members evaluated under other rules (or before the store recorded
	// any) are evaluated again; the others are skipped as they come.
	d.log.Info("checking stored members against the segment, tier, badge and campaign rules in force", "members", len(ids))
	return nil
}

// markSwept records that the sweep's partitions are at its rules.
func (d *Daemon) markSwept(ctx context.Context) {
	cs, ok := d.opt.Store.(CursorStore)
	if !ok {
		return
	}
	want := strconv.FormatUint(d.sweep.rules, 16)
	for _, key := range d.sweep.marks {
		if err := cs.SetCursor(ctx, key, want); err != nil {
			d.failed(ctx, "re-evaluating members: recording the rules failed; the next start checks again", "err", err)
			return
		}
	}
	d.sweep.marks = nil
}
