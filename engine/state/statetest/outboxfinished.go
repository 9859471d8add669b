package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// OutboxFinishStore is the part of a store the dispatcher finishes
// entries with, and an operator retries them with.
type OutboxFinishStore interface {
	OutboxPager
	DueActions(ctx context.Context, now time.Time, limit int) ([]state.OutboxEntry, error)
	MarkSent(ctx context.Context, key string, attempts int, at time.Time) error
	MarkSkipped(ctx context.Context, key string, attempts int, at time.Time, reason string) error
	RetryAction(ctx context.Context, key string, now time.Time) (bool, error)
}

// RunOutboxFinished checks that every finished entry keeps when it
// finished: a sent one when it was sent, a dead one when it died, a
// skipped one when it was skipped, to the nanosecond, in every listing;
// a pending one has no such time, a dead letter retried has none until
// it finishes again, and a sent or skipped entry is not retried.
func RunOutboxFinished(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	ob, ok := s.(OutboxFinishStore)
	if !ok {
		t.Fatalf("%T does not finish outbox entries", s)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var as []state.Action
	for _, k := range []string{"sent", "dead", "skipped", "pending"} {
		as = append(as, state.Action{Key: k, Kind: "send.dm", Member: "ann", At: t0, Target: "ann", Text: "Hello, Ann"})
	}
	if err := b.Enqueue(as); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	// Claimed first, as the dispatcher does before it marks an entry.
	if due, err := ob.DueActions(ctx, t0, 10); err != nil || len(due) != 4 {
		t.Fatalf("due: %d entries, %v; want 4", len(due), err)
	}
	// Finished well after they were due, at times no two alike and not
	// whole seconds, so a store that rounds or swaps them is caught.
	sentAt := t0.Add(2*time.Hour + 1)
	deadAt := t0.Add(3*time.Hour + 123456789)
	skippedAt := t0.Add(4*time.Hour + 7)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ob.MarkSent(ctx, "sent", 1, sentAt))
	must(ob.MarkDead(ctx, "dead", 16, deadAt, "403 Forbidden"))
	must(ob.MarkSkipped(ctx, "skipped", 0, skippedAt, "member left"))

	want := map[string]time.Time{"sent": sentAt, "dead": deadAt, "skipped": skippedAt, "pending": {}}
	check := func(how string, es []state.OutboxEntry) {
		t.Helper()
		for _, e := range es {
			w, known := want[e.Key]
			if !known {
				continue
			}
			if !e.FinishedAt.Equal(w) {
				t.Errorf("%s: %s entry finished at %v; want %v", how, e.Key, e.FinishedAt, w)
			}
		}
	}
	all, err := ob.ListOutbox(ctx, "", 10)
	must(err)
	if len(all) != 4 {
		t.Fatalf("listed %d entries; want 4", len(all))
	}
	check("list", all)
	for _, e := range all {
		// Finishing leaves when the entry was due, and a sent one's
		// sent_at.
		if !e.NextAt.Equal(t0) {
			t.Errorf("%s entry due at %v after it finished; want %v", e.Key, e.NextAt, t0)
		}
		if e.Key == "sent" && !e.SentAt.Equal(sentAt) {
			t.Errorf("sent entry sent at %v; want %v", e.SentAt, sentAt)
		}
	}
	for _, status := range []string{state.OutboxSent, state.OutboxDead, state.OutboxSkipped, state.OutboxPending} {
		es, err := ob.ListOutbox(ctx, status, 10)
		must(err)
		if len(es) != 1 || es[0].Status != status {
			t.Fatalf("listed %+v for status %s; want the one entry", es, status)
		}
		check("list -status "+status, es)
	}
	after, err := ob.ListOutboxAfter(ctx, "", t0, "a", 10)
	must(err)
	check("next page", after)

	// Retried, a dead letter is pending again and no longer finished;
	// when it dies again, it keeps the new time.
	if ok, err := ob.RetryAction(ctx, "dead", t0.Add(5*time.Hour)); err != nil || !ok {
		t.Fatalf("retry of the dead letter: %v, %v", ok, err)
	}
	pending, err := ob.ListOutbox(ctx, state.OutboxPending, 10)
	must(err)
	for _, e := range pending {
		if e.Key == "dead" && !e.FinishedAt.IsZero() {
			t.Errorf("a retried dead letter still says it finished at %v", e.FinishedAt)
		}
	}
	if len(pending) != 2 {
		t.Errorf("pending after the retry: %d entries; want the retried one and the one never tried", len(pending))
	}
	_, err = ob.DueActions(ctx, t0.Add(5*time.Hour), 10)
	must(err)
	diedAgain := t0.Add(6 * time.Hour)
	must(ob.MarkDead(ctx, "dead", 17, diedAgain, "403 Forbidden"))
	want["dead"] = diedAgain
	delete(want, "pending")
	all, err = ob.ListOutbox(ctx, "", 10)
	must(err)
	check("list after dying again", all)

	// A sent action is not sent again, and keeps when it was sent.
	if ok, err := ob.RetryAction(ctx, "sent", t0.Add(7*time.Hour)); err != nil || ok {
		t.Errorf("retry of a sent action = %v, %v; want false: it was sent", ok, err)
	}
	// Nor is a skipped one: it was dropped on purpose.
	if ok, err := ob.RetryAction(ctx, "skipped", t0.Add(7*time.Hour)); err != nil || ok {
		t.Errorf("retry of a skipped action = %v, %v; want false: it was dropped on purpose", ok, err)
	}
	sent, err := ob.ListOutbox(ctx, state.OutboxSent, 10)
	must(err)
	check("list after refusing to retry a sent action", sent)
}
