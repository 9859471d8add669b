package statetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// SkipStore is the part of a store hearth campaign stop uses to skip
// the stopped runs' pending sends, with what the check needs to select,
// settle and claim actions.
type SkipStore interface {
	state.PendingSkipper
	state.OutboxSelector
	DueActions(ctx context.Context, now time.Time, limit int) ([]state.OutboxEntry, error)
	MarkSent(ctx context.Context, key string, attempts int, at time.Time) error
	ListOutbox(ctx context.Context, status string, limit int) ([]state.OutboxEntry, error)
}

// RunSkipPending checks that SkipPending marks a pending action skipped,
// with its reason and time, and nothing else: a sent one keeps its
// record, one skipped already its first reason, an unknown key is no
// error, and, in a store whose replicas lease what they send (leases),
// one claimed by DueActions stays until its lease runs out. Then that
// SkipRunSends skips the sends of the runs given alone: the run's
// member, campaign and key, queued since the run entered, as
// CountRunSends counts them.
func RunSkipPending(t *testing.T, open Open, leases bool) {
	ctx := context.Background()
	s := open(t)
	ss, ok := s.(SkipStore)
	if !ok {
		t.Fatalf("%T cannot skip pending actions", s)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
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
	enqueue(
		state.Action{Key: "sent", Kind: "send.dm", Member: "ann", At: t0, Target: "ann", Text: "hi"},
		state.Action{Key: "claimed", Kind: "send.dm", Member: "ann", At: t0.Add(time.Minute), Target: "ann", Text: "hi"},
		state.Action{Key: "later", Kind: "send.dm", Member: "ann", At: t0.Add(time.Hour), Target: "ann", Text: "hi"},
	)
	due, err := ss.DueActions(ctx, t0.Add(time.Minute), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due: %d actions, %v; want 2", len(due), err)
	}
	if err := ss.MarkSent(ctx, "sent", 1, t0); err != nil {
		t.Fatal(err)
	}
	wall := time.Now()
	for _, c := range []struct {
		key  string
		want bool
	}{{"sent", false}, {"claimed", !leases}, {"later", true}, {"later", false}, {"nothing", false}} {
		got, err := ss.SkipPending(ctx, c.key, "stopped", wall)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("SkipPending(%s) = %v, want %v", c.key, got, c.want)
		}
	}
	skipped, err := ss.ListOutbox(ctx, state.OutboxSkipped, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantSkipped := "later"
	if !leases {
		wantSkipped = "claimed later"
	}
	var got []string
	for _, e := range skipped {
		got = append(got, e.Key)
		if e.LastError != "stopped" || e.FinishedAt.UnixNano() != wall.UnixNano() {
			t.Errorf("skipped %s: reason %q at %v; want %q at %v", e.Key, e.LastError, e.FinishedAt, "stopped", wall)
		}
	}
	slices.Sort(got)
	if strings.Join(got, " ") != wantSkipped {
		t.Errorf("skipped: %v; want %s", got, wantSkipped)
	}
	sent, err := ss.ListOutbox(ctx, state.OutboxSent, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || sent[0].Key != "sent" {
		t.Errorf("sent records after the skips: %v, want the one sent", sent)
	}
	if leases {
		// Once the lease has run out (its claimer died), it can go.
		if got, err := ss.SkipPending(ctx, "claimed", "stopped", wall.Add(24*time.Hour)); err != nil || !got {
			t.Errorf("SkipPending(claimed) after its lease = %v, %v; want true", got, err)
		}
	}

	// The runs' sends: bob's welcome run (entered at t1) and his tips
	// run keyed "x". Not his earlier welcome run's send, nor another
	// key's, another campaign's or another member's.
	t1 := t0.Add(2 * time.Hour)
	send := func(key, member, campaign, runKey string, at time.Time) state.Action {
		return state.Action{Key: key, Kind: "send.dm", Member: member, Campaign: campaign, RunKey: runKey, At: at, Target: member, Text: "hi"}
	}
	enqueue(
		send("w-old", "bob", "welcome", "", t1.Add(-time.Minute)),
		send("w-1", "bob", "welcome", "", t1),
		send("w-2", "bob", "welcome", "", t1.Add(time.Hour)),
		send("w-cat", "cat", "welcome", "", t1),
		send("t-x", "bob", "tips", "x", t1),
		send("t-y", "bob", "tips", "y", t1),
		send("n-1", "bob", "news", "", t1),
	)
	runs := []state.StoppedRun{
		{Member: "bob", Campaign: "welcome", EnteredAt: t1},
		{Member: "bob", Campaign: "tips", Key: "x", EnteredAt: t0},
	}
	if n, err := state.CountRunSends(ctx, ss, runs); err != nil || n != 3 {
		t.Errorf("CountRunSends = %d, %v; want 3", n, err)
	}
	res, err := state.SkipRunSends(ctx, ss, ss, runs, wall)
	if err != nil || res != (state.Skipped{Skipped: 3}) {
		t.Errorf("SkipRunSends = %+v, %v; want 3 skipped", res, err)
	}
	if n, err := state.CountRunSends(ctx, ss, runs); err != nil || n != 0 {
		t.Errorf("CountRunSends after the skip = %d, %v; want 0", n, err)
	}
	all, err := ss.ListOutbox(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, e := range all {
		status[e.Key] = e.Status
		if e.Status == state.OutboxSkipped && (strings.HasPrefix(e.Key, "w-") || e.Key == "t-x") {
			if e.LastError != state.OutboxSkippedStopped {
				t.Errorf("%s skipped as %q; want %q", e.Key, e.LastError, state.OutboxSkippedStopped)
			}
		}
	}
	for k, want := range map[string]string{
		"w-old": state.OutboxPending, "w-1": state.OutboxSkipped, "w-2": state.OutboxSkipped, "w-cat": state.OutboxPending,
		"t-x": state.OutboxSkipped, "t-y": state.OutboxPending, "n-1": state.OutboxPending,
	} {
		if status[k] != want {
			t.Errorf("%s is %q after SkipRunSends; want %q", k, status[k], want)
		}
	}
}
