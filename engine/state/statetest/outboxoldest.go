package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// OutboxAgeStore is a store that tells its oldest pending entry, stamps
// entries with when they were queued by a clock that can be set, and
// finishes and retries entries as the dispatcher does.
type OutboxAgeStore interface {
	state.OutboxAger
	state.QueueClock
	OutboxFinishStore
	MarkRetry(ctx context.Context, key string, attempts int, next time.Time, reason string) error
}

// RunOutboxOldestPending checks that OldestPending is when the oldest
// pending entry was queued, by the store's queue clock, and not when its
// action was decided (event time, which a backfill puts days back): an
// entry queued later for an older event is not the oldest. The time is
// not moved by a retry's later next try, passes to the next entry as
// entries are sent, die or are skipped, is the retry's for a dead letter
// retried (queued again) but not for a pending entry made due now, and
// is zero when none is pending. Entries read back carry the same
// QueuedAt.
func RunOutboxOldestPending(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	ob, ok := s.(OutboxAgeStore)
	if !ok {
		t.Fatalf("%T does not tell its oldest pending outbox entry", s)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	oldest := func(want time.Time, how string) {
		t.Helper()
		got, err := ob.OldestPending(ctx)
		must(err)
		if !got.Equal(want) {
			t.Errorf("%s: oldest pending %v; want %v", how, got, want)
		}
	}
	// Events of March, applied (a backfill) in May.
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	wall := time.Date(2026, 5, 1, 9, 0, 0, 7, time.UTC)
	clock := wall
	ob.SetQueueClock(func() time.Time { return clock })
	oldest(time.Time{}, "an empty outbox")
	enqueue := func(keys []string, at time.Time) {
		t.Helper()
		b, err := s.Begin(ctx)
		must(err)
		var as []state.Action
		for i, k := range keys {
			as = append(as, state.Action{Key: k, Kind: "send.dm", Member: "ann", At: at.Add(time.Duration(i) * time.Minute), Target: "ann", Text: "Hello"})
		}
		must(b.Enqueue(as))
		must(b.Commit())
	}
	enqueue([]string{"c", "a"}, t0.Add(time.Hour)) // not in key order
	clock = wall.Add(time.Minute)
	// Queued after c and a, for earlier events.
	enqueue([]string{"b", "d"}, t0)
	oldest(wall, "four pending")
	_, err := ob.DueActions(ctx, t0.Add(2*time.Hour), 10)
	must(err)
	// A failed try puts the next one later; the entry is as old as ever.
	must(ob.MarkRetry(ctx, "c", 1, wall.Add(time.Hour), "503"))
	oldest(wall, "after a retry")
	must(ob.MarkSent(ctx, "c", 2, wall.Add(time.Hour)))
	must(ob.MarkDead(ctx, "a", 16, wall.Add(time.Hour), "403"))
	oldest(wall.Add(time.Minute), "the first batch finished")
	must(ob.MarkSent(ctx, "b", 1, wall.Add(time.Hour)))
	must(ob.MarkSkipped(ctx, "d", 0, wall.Add(time.Hour), "member left"))
	oldest(time.Time{}, "none pending")
	retried := wall.Add(3 * time.Hour)
	if ok, err := ob.RetryAction(ctx, "a", retried); err != nil || !ok {
		t.Fatalf("retry of the dead letter: %v, %v", ok, err)
	}
	oldest(retried, "a dead letter retried")
	// Made due again while pending, it never left the queue.
	if ok, err := ob.RetryAction(ctx, "a", retried.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("retry of the pending entry: %v, %v", ok, err)
	}
	oldest(retried, "a pending entry retried")
	es, err := ob.ListOutbox(ctx, "", 10)
	must(err)
	want := map[string]time.Time{"a": retried, "b": wall.Add(time.Minute), "c": wall, "d": wall.Add(time.Minute)}
	for _, e := range es {
		if !e.QueuedAt.Equal(want[e.Key]) {
			t.Errorf("%s queued at %v; want %v", e.Key, e.QueuedAt, want[e.Key])
		}
		delete(want, e.Key)
	}
	if len(want) > 0 {
		t.Errorf("entries not listed: %v", want)
	}
	_, err = ob.DueActions(ctx, retried.Add(2*time.Hour), 10)
	must(err)
	must(ob.MarkSent(ctx, "a", 17, retried.Add(2*time.Hour)))
	oldest(time.Time{}, "none pending again")
}
