package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// OutboxAgeStore is a store that tells its oldest pending entry, and
// finishes and retries entries as the dispatcher does.
type OutboxAgeStore interface {
	state.OutboxAger
	OutboxFinishStore
	MarkRetry(ctx context.Context, key string, attempts int, next time.Time, reason string) error
}

// RunOutboxOldestPending checks that OldestPending is when the oldest
// pending entry was decided: not moved by a retry's later next try,
// passing to the next one as entries are sent, die or are skipped, back
// to a dead letter retried, and zero when none is pending.
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
	oldest(time.Time{}, "an empty outbox")
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	b, err := s.Begin(ctx)
	must(err)
	var as []state.Action
	for i, k := range []string{"c", "a", "b", "d"} { // not in key order
		as = append(as, state.Action{Key: k, Kind: "send.dm", Member: "ann", At: t0.Add(time.Duration(i)*time.Minute + 7), Target: "ann", Text: "Hello"})
	}
	must(b.Enqueue(as))
	must(b.Commit())
	oldest(t0.Add(7), "four pending")
	_, err = ob.DueActions(ctx, t0.Add(time.Hour), 10)
	must(err)
	// A failed try puts the next one later; the entry is as old as ever.
	must(ob.MarkRetry(ctx, "c", 1, t0.Add(2*time.Hour), "503"))
	oldest(t0.Add(7), "after a retry")
	must(ob.MarkSent(ctx, "c", 2, t0.Add(2*time.Hour)))
	oldest(t0.Add(time.Minute+7), "the oldest sent")
	must(ob.MarkDead(ctx, "a", 16, t0.Add(2*time.Hour), "403"))
	must(ob.MarkSkipped(ctx, "b", 0, t0.Add(2*time.Hour), "member left"))
	oldest(t0.Add(3*time.Minute+7), "one left")
	if ok, err := ob.RetryAction(ctx, "a", t0.Add(3*time.Hour)); err != nil || !ok {
		t.Fatalf("retry of the dead letter: %v, %v", ok, err)
	}
	oldest(t0.Add(time.Minute+7), "a dead letter retried")
	_, err = ob.DueActions(ctx, t0.Add(3*time.Hour), 10)
	must(err)
	must(ob.MarkSent(ctx, "a", 17, t0.Add(3*time.Hour)))
	must(ob.MarkSent(ctx, "d", 1, t0.Add(3*time.Hour)))
	oldest(time.Time{}, "none pending")
}
