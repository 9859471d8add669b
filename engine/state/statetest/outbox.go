package statetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// OutboxPager is the part of a store that lists the outbox a page at a
// time (the dashboard's outbox list and GET /v1/outbox?after=).
type OutboxPager interface {
	ListOutbox(ctx context.Context, status string, limit int) ([]state.OutboxEntry, error)
	ListOutboxAfter(ctx context.Context, status string, at time.Time, key string, limit int) ([]state.OutboxEntry, error)
	MarkDead(ctx context.Context, key string, attempts int, at time.Time, reason string) error
}

// RunOutboxPages checks that following ListOutboxAfter from the last
// entry of each page lists every entry once, in next_at and key order,
// entries due at the same time included, with a status or without.
func RunOutboxPages(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	ob, ok := s.(OutboxPager)
	if !ok {
		t.Fatalf("%T lists no outbox pages", s)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var as []state.Action
	var want []string
	for i := range 23 {
		// Three due at each time, so a page boundary falls inside a tie.
		as = append(as, state.Action{Key: fmt.Sprintf("k%02d", i), Kind: "send.dm", Member: "ann", At: t0.Add(time.Duration(i/3) * time.Minute), Target: "ann", Text: "hi"})
		want = append(want, fmt.Sprintf("k%02d", i))
	}
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
	// Read first, as the dispatcher does before it marks an entry: a
	// store may still be writing the batch.
	if _, err := ob.ListOutbox(ctx, "", 1); err != nil {
		t.Fatal(err)
	}
	if err := ob.MarkDead(ctx, "k04", 3, t0.Add(time.Hour), "gone"); err != nil {
		t.Fatal(err)
	}
	pages := func(status string, size int) []string {
		t.Helper()
		es, err := ob.ListOutbox(ctx, status, size)
		var keys []string
		for range 100 {
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				keys = append(keys, e.Key)
			}
			if len(es) < size {
				return keys
			}
			last := es[len(es)-1]
			es, err = ob.ListOutboxAfter(ctx, status, last.NextAt, last.Key, size)
		}
		t.Fatal("pages never end")
		return nil
	}
	if got := strings.Join(pages("", 4), " "); got != strings.Join(want, " ") {
		t.Errorf("pages of 4 list\n%s\nwant\n%s", got, strings.Join(want, " "))
	}
	pending := strings.Replace(strings.Join(want, " "), "k04 ", "", 1)
	if got := strings.Join(pages(state.OutboxPending, 5), " "); got != pending {
		t.Errorf("pending pages of 5 list\n%s\nwant\n%s", got, pending)
	}
	if got := strings.Join(pages(state.OutboxDead, 5), " "); got != "k04" {
		t.Errorf("dead pages list %s; want k04", got)
	}
}
