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
// stop needs it to find the run's sends still in the outbox.
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

// PendingSkipper marks an outbox action skipped, with reason, only
// while it is pending and nobody is sending it, as PendingDropper
// removes one: the entry stays, as the record of a send that did not go
// out and why. now is when it was skipped, and the wall clock leases
// are read against.
type PendingSkipper interface {
	SkipPending(ctx context.Context, key, reason string, now time.Time) (bool, error)
}

// Skipped is what SkipRunSends did: the pending sends it marked
// skipped, and those it found pending but left because they were going
// out at that moment (they are sent, and recorded as sent).
type Skipped struct {
	Skipped  int
	GoingOut int
}

// DropRunSends removes the pending outbox actions of the runs given
// (RunSendKeys). Only pending ones nobody is sending are removed, so a
// sent, dead or skipped one stays as the record it is.
func DropRunSends(ctx context.Context, sel OutboxSelector, drop PendingDropper, runs []StoppedRun, now time.Time) (Dropped, error) {
	done, out, err := settleRunSends(ctx, sel, runs, func(key string) (bool, error) { return drop.DropPending(ctx, key, now) })
	return Dropped{Dropped: done, GoingOut: out}, err
}

// SkipRunSends marks the pending outbox actions of the runs given
// (RunSendKeys) skipped, with OutboxSkippedStopped: what hearth campaign
// stop does with them unless told to keep or drop them, so that a
// stopped campaign sends nothing more. Only pending ones nobody is
// sending are skipped.
func SkipRunSends(ctx context.Context, sel OutboxSelector, skip PendingSkipper, runs []StoppedRun, now time.Time) (Skipped, error) {
	done, out, err := settleRunSends(ctx, sel, runs, func(key string) (bool, error) {
		return skip.SkipPending(ctx, key, OutboxSkippedStopped, now)
	})
	return Skipped{Skipped: done, GoingOut: out}, err
}

// CountRunSends counts the pending outbox actions of the runs given
// (RunSendKeys): what a stop would skip or drop, for its preview.
func CountRunSends(ctx context.Context, sel OutboxSelector, runs []StoppedRun) (int, error) {
	n := 0
	for _, run := range runs {
		keys, err := RunSendKeys(ctx, sel, run)
		if err != nil {
			return n, err
		}
		n += len(keys)
	}
	return n, nil
}

// RunSendKeys lists the keys of the run's pending outbox actions. An
// action is a run's when it names the run's member, campaign and key and
// was queued since the run entered: a send an earlier run of the member
// left pending is not this run's.
func RunSendKeys(ctx context.Context, sel OutboxSelector, run StoppedRun) ([]string, error) {
	var keys []string
	f := OutboxFilter{Statuses: []string{OutboxPending}, Member: run.Member, Campaign: run.Campaign}
	err := SelectAll(ctx, sel, f, func(page []OutboxEntry) {
		for i := range page {
			if e := &page[i]; e.RunKey == run.Key && !e.At.Before(run.EnteredAt) {
				keys = append(keys, e.Key)
			}
		}
	})
	return keys, err
}

// settleRunSends calls settle on each pending action of the runs, and
// counts those it settled (done) and those it left (going out).
func settleRunSends(ctx context.Context, sel OutboxSelector, runs []StoppedRun, settle func(key string) (bool, error)) (done, goingOut int, err error) {
	for _, run := range runs {
		keys, err := RunSendKeys(ctx, sel, run)
		if err != nil {
			return done, goingOut, err
		}
		for _, k := range keys {
			ok, err := settle(k)
			if err != nil {
				return done, goingOut, err
			}
			if ok {
				done++
			} else {
				goingOut++
			}
		}
	}
	return done, goingOut, nil
}
