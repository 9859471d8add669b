package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// reminderConfig has the same "two hours before" reminder in two
// campaigns with quiet hours in the member's zone: one relies on
// expire_after, the other drops the send with not_after.
const reminderConfig = templates + `
event "meetup.rsvp" {
  attributes = {
    meetup    = "string"
    starts_at = "time"
  }
}
campaign "expiring" {
  enter_on     = "meetup.rsvp"
  expire_after = "2h"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "reminder" {
    until = "event.starts_at - duration('2h')"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
campaign "bounded" {
  enter_on = "meetup.rsvp"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "reminder" {
    until = "event.starts_at - duration('2h')"
    send {
      channel   = "dm"
      template  = template.hi
      not_after = "event.starts_at"
    }
  }
}
`

// A meetup at 18:00 UTC is at 03:00 in Tokyo: its reminder, due at 01:00
// there, is held by the quiet hours until 08:00, five hours after the
// start. expire_after counts from when the step came due (16:00 UTC), so
// the "2h" campaign's send, queued at 23:00, expires; not_after drops the
// other at once. A London member gets both at 17:00 local.
func TestReminderHeldPastTheMeetup(t *testing.T) {
	cfg := load(t, reminderConfig)
	lines := `{"id":"p1","type":"member.profile_updated","member":"taro","at":"2026-05-01T10:00:00Z","attrs":{"timezone":"Asia/Tokyo"}}
{"id":"p2","type":"member.profile_updated","member":"lucy","at":"2026-05-01T10:00:00Z","attrs":{"timezone":"Europe/London"}}
{"id":"r1","type":"meetup.rsvp","member":"taro","at":"2026-05-10T10:00:00Z","attrs":{"meetup":"Go night","starts_at":"2026-05-20T18:00:00Z"}}
{"id":"r2","type":"meetup.rsvp","member":"lucy","at":"2026-05-10T10:00:00Z","attrs":{"meetup":"Go night","starts_at":"2026-05-20T18:00:00Z"}}
{"id":"x","type":"checkin","member":"zed","at":"2026-05-22T00:00:00Z"}
`
	var outs []state.Outcome
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(lines), simulate.Options{
		Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range outs {
		if o.Member == "taro" && o.Kind == state.KindCampaign && o.Change != "enter" {
			got = append(got, o.Name+" "+o.At.UTC().Format("01-02T15:04")+" "+o.Change+" "+o.Detail)
		}
	}
	want := []string{
		"expiring 05-20T16:00 defer reminder: quiet hours until 2026-05-20T23:00:00Z",
		"bounded 05-20T16:00 skip reminder: quiet hours until 2026-05-20T23:00:00Z, past not_after 2026-05-20T18:00:00Z",
		"bounded 05-20T16:00 exit finished",
		"expiring 05-20T23:00 exit finished",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("taro's runs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var queued []string
	for _, a := range sum.Store.(*state.Memory).Outbox() {
		queued = append(queued, a.Member+" "+a.Campaign+" "+a.At.UTC().Format("01-02T15:04")+" due "+a.DueAt().UTC().Format("01-02T15:04"))
	}
	wantQueued := "lucy expiring 05-20T16:00 due 05-20T16:00 lucy bounded 05-20T16:00 due 05-20T16:00 taro expiring 05-20T23:00 due 05-20T16:00"
	if strings.Join(queued, " ") != wantQueued {
		t.Errorf("queued %q; want %q", strings.Join(queued, " "), wantQueued)
	}
	if n := sum.ExpiredAtDelivery["send.dm"]; n != 1 {
		t.Errorf("expired at delivery %v; want taro's held reminder alone", sum.ExpiredAtDelivery)
	}
}

// member why of a finished keyed run, whose entering event is no longer
// kept: its rules that read event are not run on none (a Go type error
// is no answer), and say why; those that read only the member still run.
func TestWhyEndedRunWithoutItsEvent(t *testing.T) {
	cfg := load(t, templates+`
event "meetup.rsvp" {
  attributes = {
    meetup    = "string"
    answer    = "string"
    starts_at = "time"
  }
}
campaign "rsvp" {
  enter_on  = "meetup.rsvp"
  run_key   = "event.meetup"
  stop_when = "event.answer != 'yes'"
  exit_when = "total('checkin') > 0 && now >= event.starts_at - duration('6h')"
  step "reminder" {
    until = "event.starts_at - duration('2h')"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	stream := `{"id":"r1","type":"meetup.rsvp","member":"ann","at":"2026-05-10T10:00:00Z","attrs":{"meetup":"Go night","answer":"yes","starts_at":"2026-05-20T18:00:00Z"}}
{"id":"x","type":"checkin","member":"zed","at":"2026-05-22T00:00:00Z"}
`
	_, _, members := run(t, cfg, stream)
	ann := members["ann"]
	if run := ann.Campaigns["rsvp[Go night]"]; run == nil || run.Active() || run.Event != nil {
		t.Fatalf("ann's run %+v; want it finished, its event dropped", run)
	}
	rt := runtime.New(cfg, nil)
	ex, err := rt.Why(ann, "campaign.rsvp[Go night]", time.Date(2026, 5, 22, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 2 {
		t.Fatalf("explanations %+v; want stop_when and exit_when", ex)
	}
	for _, e := range ex {
		if e.Error != runtime.RunEventGone {
			t.Errorf("%s: error %q, result %v; want %q", e.Rule, e.Error, e.Result, runtime.RunEventGone)
		}
	}
	if vs := ex[1].Values; len(vs) == 0 || vs[0].Name != "total('checkin')" {
		t.Errorf("exit_when's member values %+v; want total('checkin') shown", vs)
	}
}
