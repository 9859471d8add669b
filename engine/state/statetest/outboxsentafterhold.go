package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// RunOutboxSentAfterHold checks that a send finished with
// MarkSentAfterHold is sent, when it was sent, and keeps the hold as its
// reason, in the listing and in the campaign's send statuses; one
// finished with MarkSent keeps none.
func RunOutboxSentAfterHold(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	ob, ok := s.(interface {
		OutboxFinishStore
		MarkRetry(ctx context.Context, key string, attempts int, next time.Time, reason string) error
	})
	if !ok {
		t.Fatalf("%T does not finish outbox entries", s)
	}
	hk, ok := s.(state.SentAfterHoldMarker)
	if !ok {
		t.Fatalf("%T cannot keep a hold on a sent entry", s)
	}
	t0 := time.Date(2026, 3, 1, 22, 30, 0, 0, time.UTC)
	key := func(step string) string { return "campaign/welcome/ann/1/1/" + step }
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var as []state.Action
	for _, step := range []string{"held", "plain"} {
		as = append(as, state.Action{Key: key(step), Kind: "send.dm", Member: "ann", Campaign: "welcome", Step: step, At: t0, Target: "ann", Text: "Hello, Ann"})
	}
	if err := b.Enqueue(as); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	hold := state.OutboxHeldQuietHours("22:00–08:00", "member")
	morning := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	if _, err := ob.DueActions(ctx, t0, 10); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ob.MarkRetry(ctx, key("held"), 0, morning, hold))
	must(ob.MarkRetry(ctx, key("plain"), 0, morning, "503 Service Unavailable"))
	if _, err := ob.DueActions(ctx, morning, 10); err != nil {
		t.Fatal(err)
	}
	sentAt := morning.Add(3)
	must(hk.MarkSentAfterHold(ctx, key("held"), 1, sentAt, hold))
	must(ob.MarkSent(ctx, key("plain"), 1, sentAt))
	want := map[string]string{key("held"): hold, key("plain"): ""}
	sent, err := ob.ListOutbox(ctx, state.OutboxSent, 10)
	must(err)
	if len(sent) != 2 {
		t.Fatalf("sent: %+v; want both", sent)
	}
	for _, e := range sent {
		if e.LastError != want[e.Key] || !e.SentAt.Equal(sentAt) || !e.FinishedAt.Equal(sentAt) || e.Attempts != 1 {
			t.Errorf("%s: reason %q, sent %v, finished %v, %d tries; want %q, sent and finished %v, 1 try", e.Key, e.LastError, e.SentAt, e.FinishedAt, e.Attempts, want[e.Key], sentAt)
		}
	}
	cr, ok := s.(state.CampaignRecords)
	if !ok {
		return
	}
	n := 0
	must(cr.CampaignSends(ctx, "welcome", func(st state.SendStatus) error {
		n++
		if st.Status != state.OutboxSent || st.Reason != want[st.Key] {
			t.Errorf("campaign send %+v; want sent with reason %q", st, want[st.Key])
		}
		return nil
	}))
	if n != 2 {
		t.Errorf("campaign sends: %d; want 2", n)
	}
}
