package outbox_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/state"
)

// flaky fails the keys in fail once each, then sends; it records what it
// sent.
type flaky struct {
	fail map[string]bool
	sent []string
}

func (f *flaky) Send(_ context.Context, a state.Action) error {
	if f.fail[a.Key] {
		delete(f.fail, a.Key)
		return errors.New("relay down")
	}
	f.sent = append(f.sent, a.Key)
	return nil
}

// Emails queued before their member unsubscribed are skipped at delivery,
// with the reason, even one already tried and waiting for a retry; a
// transactional email, an email through another platform, a direct
// message and a webhook message to the same member still go. An
// unsubscribe from all email skips email through every email platform.
func TestEmailsToUnsubscribedMembersAreSkipped(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open()
			at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
			save := func(ms ...*state.Member) {
				t.Helper()
				b, err := s.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					if err := b.SaveMember(m); err != nil {
						t.Fatal(err)
					}
				}
				if err := b.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			ann, cy := state.NewMember("ann", at), state.NewMember("cy", at)
			save(ann, cy)
			mail := func(key, member, platform string) state.Action {
				return state.Action{Key: key, Kind: "send.email", Member: member, At: at, Platform: platform, Target: member + "@example.org", Subject: "News", Text: "hi"}
			}
			receipt := mail("receipt-ann", "ann", "platform.email.news")
			receipt.Transactional = true
			b, err := s.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Enqueue([]state.Action{
				mail("news-ann", "ann", "platform.email.news"), mail("retry-ann", "ann", "platform.email.news"),
				mail("digest-ann", "ann", "platform.email.digest"), receipt,
				{Key: "dm-ann", Kind: "send.dm", Member: "ann", At: at, Target: "ann", Text: "hi"},
				{Key: "hook-ann", Kind: "send.webhook", Member: "ann", At: at, Target: "ann", Text: "hi"},
				mail("news-cy", "cy", "platform.email.news"), mail("digest-cy", "cy", "platform.email.digest"),
				mail("news-bo", "bo", "platform.email.news"),
			}); err != nil {
				t.Fatal(err)
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
			f := &flaky{fail: map[string]bool{"news-ann": true, "retry-ann": true, "news-cy": true, "digest-cy": true, "news-bo": true}}
			now := at
			d := outbox.New(s, f, outbox.Options{Now: func() time.Time { return now }, BaseDelay: time.Minute, MaxDelay: time.Minute,
				Recipients: recipientsIn(s)})
			// Tried once while everyone is subscribed: the relay is down
			// for some of them, so those wait for a retry.
			if rep, err := d.RunOnce(ctx); err != nil || rep.Retried != 5 || rep.Skipped != 0 {
				t.Fatalf("first round: %+v, %v; want 5 to retry, none skipped", rep, err)
			}
			f.sent = nil

			// Then ann unsubscribes from email.news, and cy from all email.
			ann.Unsubscribe("email.news", at.Add(time.Second))
			cy.Unsubscribe(state.UnsubscribedAll, at.Add(time.Second))
			save(ann, cy)
			now = at.Add(time.Hour)
			rep, err := d.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Skipped != 4 || rep.Sent != 1 || !slices.Equal(f.sent, []string{"news-bo"}) {
				t.Errorf("after the unsubscribes: %+v, sent %q; want news-ann, retry-ann, news-cy and digest-cy skipped, news-bo sent", rep, f.sent)
			}
			skipped, err := s.ListOutbox(ctx, outbox.Skipped, 10)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"news-ann":  "member unsubscribed from email.news before it was sent",
				"retry-ann": "member unsubscribed from email.news before it was sent",
				"news-cy":   "member unsubscribed from all email before it was sent",
				"digest-cy": "member unsubscribed from all email before it was sent",
			}
			if len(skipped) != len(want) {
				t.Errorf("skipped %d entries; want %d", len(skipped), len(want))
			}
			for _, e := range skipped {
				if want[e.Key] != e.LastError || e.Attempts != 1 || !e.FinishedAt.Equal(now) {
					t.Errorf("skipped %s: %q after %d tries at %v; want %q after its 1 try, at %v", e.Key, e.LastError, e.Attempts, e.FinishedAt, want[e.Key], now)
				}
			}
			sent, err := s.ListOutbox(ctx, outbox.Sent, 10)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, e := range sent {
				keys = append(keys, e.Key)
			}
			slices.Sort(keys)
			if want := []string{"digest-ann", "dm-ann", "hook-ann", "news-bo", "receipt-ann"}; !slices.Equal(keys, want) {
				t.Errorf("sent %q; want %q", keys, want)
			}
			// Retried by hand, a skipped email stays unsent.
			if ok, _ := s.RetryAction(ctx, "news-ann", now); ok {
				t.Error("a skipped email was made due again")
			}
		})
	}
}
