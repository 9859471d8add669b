package statetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// OutboxPruneStore is the part of a store outbox retention uses.
type OutboxPruneStore interface {
	state.OutboxPruner
	OutboxPager
	MarkSent(ctx context.Context, key string, attempts int, at time.Time) error
	MarkRetry(ctx context.Context, key string, attempts int, next time.Time, reason string) error
	MarkSkipped(ctx context.Context, key string, attempts int, at time.Time, reason string) error
}

// RunOutboxPrune checks outbox retention: sent, dead and skipped entries
// that finished before the cut go, a pending one stays however old it
// is, an entry that finished since the cut stays however long before it
// was due (a dead letter is kept the retention after it died), a dry run
// changes nothing, and a removed key can be enqueued again as a new
// pending entry.
func RunOutboxPrune(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	ob, ok := s.(OutboxPruneStore)
	if !ok {
		t.Fatalf("%T prunes no outbox", s)
	}
	day := func(n int) time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
	enqueue := func(as ...state.Action) {
		t.Helper()
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Enqueue(as); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	act := func(key string, at time.Time) state.Action {
		return state.Action{Key: key, Kind: "send.dm", Member: "ann", At: at, Target: "ann", Text: "Hello, Ann"}
	}
	enqueue(act("old-sent", day(0)), act("old-dead", day(0)), act("old-skipped", day(1)), act("old-pending", day(0)),
		act("late-sent", day(0)), act("late-dead", day(0)), act("late-skipped", day(1)), act("new-sent", day(20)), act("new-dead", day(20)))
	// Read first, as the dispatcher does before it marks an entry.
	if _, err := ob.ListOutbox(ctx, "", 1); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ob.MarkSent(ctx, "old-sent", 1, day(0)))
	must(ob.MarkDead(ctx, "old-dead", 3, day(0).Add(time.Minute), "gone"))
	must(ob.MarkSkipped(ctx, "old-skipped", 1, day(1), "left"))
	must(ob.MarkRetry(ctx, "old-pending", 2, day(2), "rate limited")) // still pending, long overdue
	must(ob.MarkSent(ctx, "late-sent", 4, day(15)))                   // due early, sent after the cut
	// Due early, finished after the cut: the daemon was down, or the
	// action was queued by a replay of old events.
	must(ob.MarkDead(ctx, "late-dead", 1, day(15), "403"))
	must(ob.MarkSkipped(ctx, "late-skipped", 0, day(12), "left"))
	must(ob.MarkSent(ctx, "new-sent", 1, day(20)))
	must(ob.MarkDead(ctx, "new-dead", 3, day(20), "gone"))

	keys := func() string {
		t.Helper()
		es, err := ob.ListOutbox(ctx, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var ks []string
		for _, e := range es {
			ks = append(ks, e.Key+"="+e.Status)
		}
		return strings.Join(ks, " ")
	}
	all := keys()
	cut := day(10)
	if n, err := ob.PruneOutbox(ctx, cut, true); err != nil || n != 3 {
		t.Fatalf("dry run = %d, %v; want 3", n, err)
	}
	if got := keys(); got != all {
		t.Fatalf("a dry run changed the outbox:\n%s\nwas\n%s", got, all)
	}
	if n, err := ob.PruneOutbox(ctx, cut, false); err != nil || n != 3 {
		t.Fatalf("prune = %d, %v; want 3", n, err)
	}
	want := "late-dead=dead late-sent=sent late-skipped=skipped old-pending=pending new-dead=dead new-sent=sent"
	if got := keys(); got != want {
		t.Fatalf("after the prune the outbox holds\n%s\nwant\n%s", got, want)
	}
	if n, err := ob.PruneOutbox(ctx, cut, false); err != nil || n != 0 {
		t.Fatalf("second prune = %d, %v; want 0", n, err)
	}
	// The key of a removed entry is free: the same key enqueued again is
	// a new message, so whoever makes keys must not repeat one that may
	// have been sent (campaign runs number theirs past dropped runs).
	enqueue(act("old-sent", day(30)))
	es, err := ob.ListOutbox(ctx, state.OutboxPending, 100)
	if err != nil {
		t.Fatal(err)
	}
	var pending []string
	for _, e := range es {
		pending = append(pending, e.Key)
	}
	if got := strings.Join(pending, " "); got != "old-pending old-sent" {
		t.Errorf("pending after enqueuing a removed key again: %s; want old-pending old-sent", got)
	}
}
