package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// bouncer refuses every email as a hard bounce, or as another permanent
// failure for the keys in other.
type bouncer struct{ other map[string]bool }

func (b bouncer) Send(_ context.Context, a state.Action) error {
	if b.other[a.Key] {
		return platform.Permanent(fmt.Errorf("the server refused for good: 552 5.2.2 mailbox full"))
	}
	return fmt.Errorf("the server refused the recipient: %w", &platform.Bounce{Code: "550 5.1.1", Reply: "550 5.1.1 no such user"})
}

// An email dead-lettered on a hard bounce hands Ingest one email.bounced
// for its member, with its platform, code and reply; another permanent
// failure, or a bounce of what is no email, hands it nothing.
func TestHardBounceIsIngested(t *testing.T) {
	ctx := context.Background()
	s := state.NewMemory()
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Enqueue([]state.Action{
		{Key: "invite-ada", Kind: "send.email", Member: "ada", At: at, Platform: "platform.email.news", Target: "ada@example.org", Subject: "Hi", Text: "hi"},
		{Key: "invite-bo", Kind: "send.email", Member: "bo", At: at, Platform: "platform.email.news", Target: "bo@example.org", Subject: "Hi", Text: "hi"},
		{Key: "hook-cy", Kind: "send.webhook", Member: "cy", At: at, Target: "cy", Text: "hi"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	var got []events.Event
	now := at.Add(time.Minute)
	rep, err := outbox.New(s, bouncer{other: map[string]bool{"invite-bo": true}}, outbox.Options{Now: func() time.Time { return now },
		Ingest: func(_ context.Context, evs []events.Event) error { got = append(got, evs...); return nil }}).RunOnce(ctx)
	if err != nil || rep.Dead != 3 {
		t.Fatalf("RunOnce: %+v, %v; want three dead letters", rep, err)
	}
	if len(got) != 1 {
		t.Fatalf("ingested %+v; want one email.bounced", got)
	}
	ev := got[0]
	if ev.ID != outbox.BouncedEventID("invite-ada") || ev.Type != "email.bounced" || ev.Member.ID != "ada" || !ev.At.Equal(now) ||
		ev.Attrs["platform"] != "email.news" || ev.Attrs["code"] != "550 5.1.1" || ev.Attrs["reply"] != "550 5.1.1 no such user" {
		t.Errorf("email.bounced %+v", ev)
	}
	if id := outbox.BouncedEventID(strings.Repeat("k", events.MaxIDLen)); len(id) > events.MaxIDLen || id == outbox.BouncedEventID(strings.Repeat("k", events.MaxIDLen+1)) {
		t.Errorf("a long key's event id %q is too long or not the key's own", id)
	}
}
