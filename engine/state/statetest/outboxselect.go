package statetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// OutboxSelectStore is the part of a store hearth outbox list's filters
// and hearth outbox retry -status use, with what the dispatcher finishes
// entries with.
type OutboxSelectStore interface {
	state.OutboxSelector
	state.QueueClock
	OutboxFinishStore
	MarkRetry(ctx context.Context, key string, attempts int, next time.Time, reason string) error
}

// RunOutboxSelect checks that SelectOutbox selects by status, member,
// campaign, platform (an address, or a type alone) and since (when an
// entry finished, or was queued while pending), alone and combined, as
// state.OutboxFilter.Match says; that its pages, followed from Next, list
// every entry selected once in next_at and key order; and that
// RetryActions makes due exactly the keys given that still have the
// status given, across more keys than one statement takes.
func RunOutboxSelect(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	ob, ok := s.(OutboxSelectStore)
	if !ok {
		t.Fatalf("%T does not select outbox entries", s)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	type spec struct {
		key, member, campaign, platform string
		at                              time.Duration // decided at t0 plus this, queued a day later
	}
	specs := []spec{
		{"a1", "ann", "welcome", "platform.discord.main", 0},
		{"a2", "ann", "welcome", "platform.discord.main", time.Minute},
		{"a3", "ann", "winback", "platform.discord.alt", time.Minute},
		{"b1", "bob", "welcome", "platform.discord.main", 2 * time.Minute},
		{"b2", "bob", "", "platform.slack.main", 2 * time.Minute},
		{"b3", "bob", "welcome", "platform.my_chat.main", 3 * time.Minute},
		{"c1", "cyd", "welcome", "platform.myxchat.main", 3 * time.Minute},
		{"c2", "cyd", "", "", 4 * time.Minute},
		{"c3", "cyd", "welcome", "platform.discordia.main", 4 * time.Minute},
	}
	var as []state.Action
	for _, sp := range specs {
		as = append(as, state.Action{Key: sp.key, Kind: "send.dm", Member: sp.member, At: t0.Add(sp.at), Campaign: sp.campaign, Platform: sp.platform, Target: sp.member, Text: "hi"})
	}
	// Each queued a day after its time, in a batch of its own; dan's
	// below in one more.
	var queued time.Time
	ob.SetQueueClock(func() time.Time { return queued })
	for i, sp := range specs {
		queued = t0.Add(24*time.Hour + sp.at)
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Enqueue(as[i : i+1]); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	queued = t0.Add(48 * time.Hour)
	// Enough more dead letters of dan's that one RetryActions names more
	// keys than a statement takes.
	var many []string
	for i := range state.RetryChunk + 20 {
		k := fmt.Sprintf("d%04d", i)
		many = append(many, k)
		as = append(as, state.Action{Key: k, Kind: "send.dm", Member: "dan", At: t0.Add(time.Hour), Campaign: "bulk", Platform: "platform.discord.main", Target: "dan", Text: "hi"})
	}
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Enqueue(as[len(specs):]); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	// Claimed first, as the dispatcher does before it marks an entry.
	if _, err := ob.DueActions(ctx, t0.Add(2*time.Hour), len(as)); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Finished at their own times, none alike.
	must(ob.MarkDead(ctx, "a1", 16, t0.Add(10*time.Hour), "503"))
	must(ob.MarkDead(ctx, "a3", 16, t0.Add(12*time.Hour), "503"))
	must(ob.MarkDead(ctx, "b1", 16, t0.Add(11*time.Hour), "503"))
	must(ob.MarkDead(ctx, "c3", 16, t0.Add(13*time.Hour), "503"))
	must(ob.MarkSent(ctx, "a2", 1, t0.Add(5*time.Hour)))
	must(ob.MarkSkipped(ctx, "b2", 0, t0.Add(6*time.Hour), state.OutboxSkippedLeft))
	for _, k := range many {
		must(ob.MarkDead(ctx, k, 16, t0.Add(20*time.Hour), "503"))
	}
	// The pending ones (b3, c1, c2) are made due at times of their own,
	// so the list's order is not the order they were queued in.
	must(ob.MarkRetry(ctx, "b3", 1, t0.Add(30*time.Minute), "timeout"))
	must(ob.MarkRetry(ctx, "c1", 1, t0.Add(-time.Hour), "timeout"))
	must(ob.MarkRetry(ctx, "c2", 1, t0.Add(30*time.Minute), "timeout"))

	all, err := ob.SelectOutbox(ctx, state.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(as) {
		t.Fatalf("the empty filter selects %d entries; want all %d", len(all), len(as))
	}
	keys := func(es []state.OutboxEntry) string {
		var ks []string
		for _, e := range es {
			if !strings.HasPrefix(e.Key, "d") {
				ks = append(ks, e.Key)
			}
		}
		return strings.Join(ks, " ")
	}
	dead := []string{state.OutboxDead}
	for _, c := range []struct {
		name string
		f    state.OutboxFilter
		want string // the keys selected, in list order, dan's left out
	}{
		{"all", state.OutboxFilter{}, "c1 a1 a2 a3 b1 b2 c3 b3 c2"},
		{"dead", state.OutboxFilter{Statuses: dead}, "a1 a3 b1 c3"},
		{"pending and skipped", state.OutboxFilter{Statuses: []string{state.OutboxPending, state.OutboxSkipped}}, "c1 b2 b3 c2"},
		{"member", state.OutboxFilter{Member: "ann"}, "a1 a2 a3"},
		{"campaign", state.OutboxFilter{Campaign: "welcome"}, "c1 a1 a2 b1 c3 b3"},
		{"platform address", state.OutboxFilter{Platform: "platform.discord.main"}, "a1 a2 b1"},
		{"platform type", state.OutboxFilter{Platform: "platform.discord"}, "a1 a2 a3 b1"},
		{"a type's _ is no wildcard", state.OutboxFilter{Platform: "platform.my_chat"}, "b3"},
		{"a type is not a prefix of another", state.OutboxFilter{Platform: "platform.my"}, ""},
		// Dead at 10h (a1), 11h (b1), 12h (a3), 13h (c3); sent at 5h,
		// skipped at 6h; pending ones by when they were queued (a day and
		// 3m, 3m, 4m), not by their actions' times.
		{"since, finished", state.OutboxFilter{Statuses: dead, Since: t0.Add(11 * time.Hour)}, "a3 b1 c3"},
		{"since, to the nanosecond", state.OutboxFilter{Statuses: dead, Since: t0.Add(11*time.Hour + 1)}, "a3 c3"},
		{"since, pending by when queued", state.OutboxFilter{Statuses: []string{state.OutboxPending}, Since: t0.Add(24*time.Hour + 3*time.Minute + 1)}, "c2"},
		{"since, every status", state.OutboxFilter{Since: t0.Add(5 * time.Hour)}, "c1 a1 a2 a3 b1 b2 c3 b3 c2"},
		{"since, every status, later", state.OutboxFilter{Since: t0.Add(12 * time.Hour)}, "c1 a3 c3 b3 c2"},
		{"combined", state.OutboxFilter{Statuses: dead, Member: "ann", Campaign: "winback", Platform: "platform.discord", Since: t0}, "a3"},
		{"nothing", state.OutboxFilter{Member: "nobody"}, ""},
	} {
		got, err := ob.SelectOutbox(ctx, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if keys(got) != c.want {
			t.Errorf("%s: selects %q; want %q", c.name, keys(got), c.want)
		}
		// What the store selects is what Match says, so the in-memory
		// store and the SQL ones agree.
		var matched []state.OutboxEntry
		for i := range all {
			if c.f.Match(&all[i]) {
				matched = append(matched, all[i])
			}
		}
		if len(matched) != len(got) || keys(matched) != keys(got) {
			t.Errorf("%s: selects %d entries (%q), Match %d (%q)", c.name, len(got), keys(got), len(matched), keys(matched))
		}
	}

	// Pages of 2, followed from the last entry, list each once in order.
	f := state.OutboxFilter{Statuses: dead}
	whole, err := ob.SelectOutbox(ctx, f)
	must(err)
	f.Limit = 2
	var paged []state.OutboxEntry
	for range 1000 {
		page, err := ob.SelectOutbox(ctx, f)
		must(err)
		paged = append(paged, page...)
		if len(page) < f.Limit {
			break
		}
		f.After = state.CursorOf(&page[len(page)-1])
		back, err := state.ParseOutboxCursor(f.After.String())
		if err != nil || !back.At.Equal(f.After.At) || back.Key != f.After.Key {
			t.Fatalf("cursor %q reads back as %v, %v", f.After.String(), back, err)
		}
	}
	var w, g []string
	for _, e := range whole {
		w = append(w, e.Key)
	}
	for _, e := range paged {
		g = append(g, e.Key)
	}
	if !slices.Equal(w, g) || len(whole) != 4+len(many) {
		t.Errorf("pages of 2 list %d entries, one page with no limit %d; want the same %d", len(g), len(w), 4+len(many))
	}

	// Retry: the dead letters asked for, not a1 (not named), a2 (sent),
	// c1 (pending), or a key the outbox does not have.
	now := t0.Add(24 * time.Hour)
	n, err := ob.RetryActions(ctx, append([]string{"a3", "b1", "a2", "c1", "nope"}, many...), state.OutboxDead, now)
	must(err)
	if n != 2+len(many) {
		t.Errorf("RetryActions made %d due; want %d", n, 2+len(many))
	}
	after, err := ob.SelectOutbox(ctx, state.OutboxFilter{})
	must(err)
	for _, e := range after {
		retried := e.Key == "a3" || e.Key == "b1" || strings.HasPrefix(e.Key, "d")
		switch {
		case retried && (e.Status != state.OutboxPending || !e.NextAt.Equal(now) || !e.FinishedAt.IsZero()):
			t.Errorf("%s after retry: %s due %v finished %v; want pending, due %v, not finished", e.Key, e.Status, e.NextAt, e.FinishedAt, now)
		case !retried && e.NextAt.Equal(now):
			t.Errorf("%s (%s) was made due, though not retried", e.Key, e.Status)
		}
	}
	// Pending ones may be made due now too; a dead status check keeps a
	// pending one from being retried as dead, and back.
	n, err = ob.RetryActions(ctx, []string{"c1", "c3"}, state.OutboxPending, now)
	must(err)
	if n != 1 {
		t.Errorf("RetryActions of pending c1 and dead c3 as pending made %d due; want 1", n)
	}
	if _, err := ob.RetryActions(ctx, []string{"a2"}, state.OutboxSent, now); err == nil {
		t.Error("RetryActions of sent actions: no error")
	}
	if n, err := ob.RetryActions(ctx, nil, state.OutboxDead, now); n != 0 || err != nil {
		t.Errorf("RetryActions of no keys: %d, %v", n, err)
	}
}
