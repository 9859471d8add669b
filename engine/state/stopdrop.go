package state

import (
	"context"
	"time"
)

// StoppedRun is a campaign run an operator stopped, as hearth campaign
// stop -drop needs it to find the run's sends still in the outbox.
type StoppedRun struct {
	Member    string
	Campaign  string
	Key       string // run_key's key; "" in a campaign without one
	EnteredAt time.Time
}

// RunsToStop lists the member's active runs of the campaign that a stop
// with key ("" for every run) ends: what StopCampaign is about to stop,
// read before it does.
func (m *Member) RunsToStop(campaign, key string) []StoppedRun {
	ids := []string{RunID(campaign, key)}
	if key == "" {
		ids = m.RunIDs(campaign, nil)
	}
	var out []StoppedRun
	for _, id := range ids {
		if run := m.Campaigns[id]; run.Active() {
			out = append(out, StoppedRun{Member: m.ID, Campaign: campaign, Key: run.Key, EnteredAt: run.EnteredAt})
		}
	}
	return out
}

// ActionDropper removes an outbox action by its key: hearth outbox
// drop's store.
type ActionDropper interface {
	DropAction(ctx context.Context, key string) (bool, error)
}

// DropRunSends removes the pending outbox actions of the runs given and
// returns how many it removed. An action is a run's when it names the
// run's member, campaign and key and was queued since the run entered:
// a send an earlier run of the member left pending is not this run's.
// Only pending actions are read, so a sent, dead or skipped one stays as
// the record it is.
func DropRunSends(ctx context.Context, sel OutboxSelector, drop ActionDropper, runs []StoppedRun) (int, error) {
	n := 0
	for _, run := range runs {
		var keys []string
		f := OutboxFilter{Statuses: []string{OutboxPending}, Member: run.Member, Campaign: run.Campaign}
		err := SelectAll(ctx, sel, f, func(page []OutboxEntry) {
			for i := range page {
				if e := &page[i]; e.RunKey == run.Key && !e.At.Before(run.EnteredAt) {
					keys = append(keys, e.Key)
				}
			}
		})
		if err != nil {
			return n, err
		}
		for _, k := range keys {
			ok, err := drop.DropAction(ctx, k)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
	}
	return n, nil
}
