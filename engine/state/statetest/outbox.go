package statetest

import (
	"context"
	"errors"
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

// DropStore is the part of a store hearth campaign stop -drop uses, with
// what the check needs to settle and claim actions.
type DropStore interface {
	state.PendingDropper
	DueActions(ctx context.Context, now time.Time, limit int) ([]state.OutboxEntry, error)
	MarkSent(ctx context.Context, key string, attempts int, at time.Time) error
	ListOutbox(ctx context.Context, status string, limit int) ([]state.OutboxEntry, error)
}

// RunDropPending checks that DropPending removes a pending action and
// nothing else: a sent one keeps its record, an unknown key is no error,
// and, in a store whose replicas lease what they send (leases), one
// claimed by DueActions stays until its lease runs out.
func RunDropPending(t *testing.T, open Open, leases bool) {
	ctx := context.Background()
	s := open(t)
	ds, ok := s.(DropStore)
	if !ok {
		t.Fatalf("%T cannot drop pending actions", s)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Enqueue([]state.Action{
		{Key: "sent", Kind: "send.dm", Member: "ann", At: t0, Target: "ann", Text: "hi"},
		{Key: "claimed", Kind: "send.dm", Member: "ann", At: t0.Add(time.Minute), Target: "ann", Text: "hi"},
		{Key: "later", Kind: "send.dm", Member: "ann", At: t0.Add(time.Hour), Target: "ann", Text: "hi"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	// Claims "sent" and "claimed" ("later" is not due yet).
	due, err := ds.DueActions(ctx, t0.Add(time.Minute), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due: %d actions, %v; want 2", len(due), err)
	}
	if err := ds.MarkSent(ctx, "sent", 1, t0); err != nil {
		t.Fatal(err)
	}
	wall := time.Now()
	for _, c := range []struct {
		key  string
		want bool
	}{{"sent", false}, {"claimed", !leases}, {"later", true}, {"later", false}, {"nothing", false}} {
		got, err := ds.DropPending(ctx, c.key, wall)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("DropPending(%s) = %v, want %v", c.key, got, c.want)
		}
	}
	sent, err := ds.ListOutbox(ctx, state.OutboxSent, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || sent[0].Key != "sent" {
		t.Errorf("sent records after the drops: %v, want the one sent", sent)
	}
	if leases {
		// Nor does hearth outbox drop's DropAction, which says why.
		if got, err := s.(state.ActionDropper).DropAction(ctx, "claimed"); got || !errors.Is(err, state.ErrBeingSent) {
			t.Errorf("DropAction(claimed) while leased = %v, %v; want false, %v", got, err, state.ErrBeingSent)
		}
		// Once the lease has run out (its claimer died), it can go.
		if got, err := ds.DropPending(ctx, "claimed", wall.Add(24*time.Hour)); err != nil || !got {
			t.Errorf("DropPending(claimed) after its lease = %v, %v; want true", got, err)
		}
	}
}
