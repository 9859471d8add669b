package state

import (
	"context"
	"errors"
	"time"
)

// ErrBeingSent is returned by a drop of an action that is being
// delivered at that moment (a replica holds its lease, or the daemon's
// dispatcher is sending it): it goes out and is recorded as sent, or is
// retried, and can be dropped afterwards if it is still there.
var ErrBeingSent = errors.New("being sent at this moment")

// StoppedRun is a campaign run an operator stopped, as hearth campaign
// stop -drop needs it to find the run's sends still in the outbox.
type StoppedRun struct {
	Member    string
	Campaign  string
	Key       string // run_key's key; "" in a campaign without one
	EnteredAt time.Time
	Step      string // the step the run is at, as stored
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
			out = append(out, StoppedRun{Member: m.ID, Campaign: campaign, Key: run.Key, EnteredAt: run.EnteredAt, Step: run.StepName})
		}
	}
	return out
}

// RunsToStopIn lists the runs a stop would end in the store: member's
// (ErrNotFound when the store has no such member), or every member's
// when member is "", with key as RunsToStop takes it. It writes nothing:
// what hearth campaign stop -dry-run lists and asks about.
func RunsToStopIn(ctx context.Context, store Store, campaign, member, key string) ([]StoppedRun, error) {
	if member != "" {
		b, err := store.Begin(ctx)
		if err != nil {
			return nil, err
		}
		defer func() { _ = b.Rollback() }()
		m, err := b.Member(member)
		if err != nil {
			return nil, err
		}
		return m.RunsToStop(campaign, key), nil
	}
	var out []StoppedRun
	err := store.Members(ctx, func(m *Member) error {
		if m.HasActiveRun(campaign, key) {
			out = append(out, m.RunsToStop(campaign, key)...)
		}
		return nil
	})
	return out, err
}

// ActionDropper removes an outbox action by its key, whatever its
// status: hearth outbox drop's store. A store whose replicas lease what
// they send answers ErrBeingSent for a leased one.
type ActionDropper interface {
	DropAction(ctx context.Context, key string) (bool, error)
}

// PendingDropper removes an outbox action only while it is pending and
// nobody is sending it: a send that went out keeps its "sent" record.
// A store whose replicas lease the actions they send (PostgreSQL) also
// leaves a leased one, as it may be going out at that moment; now is
// the wall clock leases are read against.
type PendingDropper interface {
	DropPending(ctx context.Context, key string, now time.Time) (bool, error)
}

// Dropped is what DropRunSends did: the pending sends it removed, and
// those it found pending but could not remove because they were going
// out at that moment (they are sent, and recorded as sent).
type Dropped struct {
	Dropped  int
	GoingOut int
}

// DropRunSends removes the pending outbox actions of the runs given. An
// action is a run's when it names the run's member, campaign and key and
// was queued since the run entered: a send an earlier run of the member
// left pending is not this run's. Only pending actions are read, and
// only pending ones nobody is sending are removed, so a sent, dead or
// skipped one stays as the record it is.
func DropRunSends(ctx context.Context, sel OutboxSelector, drop PendingDropper, runs []StoppedRun, now time.Time) (Dropped, error) {
	var out Dropped
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
			return out, err
		}
		for _, k := range keys {
			ok, err := drop.DropPending(ctx, k, now)
			if err != nil {
				return out, err
			}
			if ok {
				out.Dropped++
			} else {
				out.GoingOut++
			}
		}
	}
	return out, nil
}
