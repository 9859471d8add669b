package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// hearth template render shows what a send queues: PreviewSend, with the
// event a run keeps (KeptEvent, or the stored run's), gives the text the
// send put in the outbox, and fails as the send fails.
func TestPreviewSendIsTheSend(t *testing.T) {
	cfg := load(t, `
event "meetup.invited" {
  attributes = {
    meetup    = "string"
    starts_at = "time"
    seats     = "int"
  }
}
campaign "invite" {
  community = community.c
  enter_on  = "meetup.invited"
  step "hello" {
    send {
      channel  = "dm"
      template = template.invite
    }
  }
  step "later" {
    wait = "7d"
    send {
      channel  = "dm"
      template = template.invite
    }
  }
}
template "invite" {
  text = {
    en = "Hi ${member.name}: ${event.meetup} at ${formatdate("hh:mm", event.starts_at)}, ${event.seats} seats."
    de = "Hallo ${member.attrs.first_name}"
  }
}
`)
	line := `{"id":"j","type":"member.joined","member":{"id":"ann","name":"Ann"},"at":"2026-01-01T09:00:00Z"}` + "\n" +
		`{"id":"i","type":"meetup.invited","member":"ann","at":"2026-01-02T09:00:00Z","attrs":{"meetup":"Go Night","starts_at":"2026-01-09T19:00:00Z","seats":12}}` + "\n"
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(line), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := sum.Store.(*state.Memory).Outbox()
	if len(out) != 1 {
		t.Fatalf("outbox %+v", out)
	}
	sent := out[0].Text
	b, err := sum.Store.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.Member("ann")
	_ = b.Rollback()
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Campaigns[0]
	rt := runtime.New(cfg, nil)
	at := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)

	// The event the stored run keeps.
	p, err := rt.PreviewSend(m, c, c.Steps[0], m.Campaigns["invite"].Event, at)
	if err != nil || p.Message.Text != sent || p.Community != "c" || p.Platform == nil || p.Platform.Addr() != "platform.local.main" {
		t.Errorf("from the run: %+v, %v; the send queued %q", p, err, sent)
	}
	// The same event given anew, attributes as JSON gives them.
	e, err := events.Parse([]byte(`{"id":"x","type":"meetup.invited","member":"ann","at":"2026-01-02T09:00:00Z","attrs":{"meetup":"Go Night","starts_at":"2026-01-09T19:00:00Z","seats":12}}`))
	if err != nil {
		t.Fatal(err)
	}
	kept, err := rt.KeptEvent(&e)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := rt.PreviewSend(m, c, c.Steps[0], kept, at); err != nil || p.Message.Text != sent {
		t.Errorf("from KeptEvent: %q, %v; the send queued %q", p.Message.Text, err, sent)
	}
	// An attribute of the wrong type is refused, as when it comes in.
	bad, _ := events.Parse([]byte(`{"id":"y","type":"meetup.invited","member":"ann","at":"2026-01-02T09:00:00Z","attrs":{"seats":"many"}}`))
	if _, err := rt.KeptEvent(&bad); err == nil {
		t.Error("KeptEvent took seats = \"many\" for an int")
	}
	// A message that cannot be made fails, as the send does.
	m.Locale = "de"
	if _, err := rt.PreviewSend(m, c, c.Steps[0], kept, at); err == nil || !strings.Contains(err.Error(), "first_name") {
		t.Errorf("de without first_name: err = %v", err)
	}
}
