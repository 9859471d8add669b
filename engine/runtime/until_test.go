package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// rsvpConfig is a meetup RSVP campaign: the answer picks the branch, the
// reminder waits for a day before the time the RSVP carries, and the
// seat count (an int) decides a step's when.
const rsvpConfig = `
event "meetup.rsvp" {
  attributes = {
    meetup    = "string"
    answer    = "string"
    starts_at = "time"
    seats     = "int"
  }
}
template "see_you" {
  text = { en = "See you at ${event.meetup}, ${formatdate("D MMM hh:mm", event.starts_at)}" }
}
campaign "rsvp" {
  enter_on  = "meetup.rsvp"
  reentry   = "always"
  exit_when = "total('checkin') > 0 && now >= event.starts_at - duration('6h')"
  step "route" {
    branch {
      when = "event.answer != 'yes'"
      goto = "exit"
    }
  }
  step "confirm" {
    when = "event.seats >= 1"
    send {
      channel  = "dm"
      template = template.see_you
    }
  }
  step "reminder" {
    until = "event.starts_at - duration('1d')"
    send {
      channel  = "dm"
      template = template.see_you
    }
  }
  step "late" {
    until   = "event.starts_at - duration('2h')"
    if_past = "send"
    send {
      channel  = "dm"
      template = template.see_you
    }
  }
}
`

// The reminder waits for a day before the meetup; an RSVP after that
// skips it (if_past's default) and goes on to the next step; "no" gets
// nothing. Each member's RSVP is replayed in one run and the rest of the
// days in another, so with SQLite the run's event is read back from JSON
// (a time as a string, the int as float64) and must still work.
func TestCampaignUntilFromTheEnteringEvent(t *testing.T) {
	cfg := load(t, rsvpConfig)
	// The meetup starts on day 5 at 18:00.
	rsvp := func(id, member string, day, hour int, answer string) string {
		return ev(id, "meetup.rsvp", member, day, hour, `{"meetup":"Go night","answer":"`+answer+`","starts_at":"2026-01-06T18:00:00Z","seats":1}`)
	}
	first := rsvp("r1", "ann", 0, 9, "yes") + // in time for both
		rsvp("r2", "bob", 5, 10, "yes") + // a day before has passed
		rsvp("r3", "cat", 1, 9, "no") +
		rsvp("r4", "dan", 5, 17, "yes") // both have passed: late is sent anyway
	rest := ev("x", "checkin", "zed", 9, 9, "")
	want := map[string][]string{
		"ann": {
			"01-01T09:00 enter run 1",
			"01-01T09:00 queue campaign/rsvp/ann/1/1/confirm",
			"01-05T18:00 queue campaign/rsvp/ann/1/2/reminder",
			"01-06T16:00 queue campaign/rsvp/ann/1/3/late",
			"01-06T16:00 exit finished",
		},
		"bob": {
			"01-06T10:00 enter run 1",
			"01-06T10:00 queue campaign/rsvp/bob/1/1/confirm",
			"01-06T10:00 skip reminder: until 2026-01-05T18:00:00Z had passed",
			"01-06T16:00 queue campaign/rsvp/bob/1/2/late",
			"01-06T16:00 exit finished",
		},
		"cat": {
			"01-02T09:00 enter run 1",
			"01-02T09:00 exit finished",
		},
		"dan": {
			"01-06T17:00 enter run 1",
			"01-06T17:00 queue campaign/rsvp/dan/1/1/confirm",
			"01-06T17:00 skip reminder: until 2026-01-05T18:00:00Z had passed",
			"01-06T17:00 queue campaign/rsvp/dan/1/2/late",
			"01-06T17:00 exit finished",
		},
	}
	ctx := context.Background()
	// Each replay opens the store afresh, as a restart does: SQLite
	// then decodes the member document.
	for name, stores := range reopenableStores() {
		t.Run(name, func(t *testing.T) {
			open := stores(t)
			var outs []state.Outcome
			var store state.Store
			replay := func(stream string) {
				store = open()
				opt := simulate.Options{Store: store, Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil }}
				if _, err := simulate.Run(ctx, cfg, strings.NewReader(stream), opt); err != nil {
					t.Fatal(err)
				}
			}
			for _, member := range []string{"ann", "bob", "cat", "dan"} {
				for _, l := range strings.SplitAfter(first, "\n") {
					if strings.Contains(l, `"member":"`+member+`"`) {
						replay(l)
					}
				}
			}
			replay(rest)
			for member, w := range want {
				if got := campaignOutcomes(outs, member); strings.Join(got, "\n") != strings.Join(w, "\n") {
					t.Errorf("%s:\n%s\nwant\n%s", member, strings.Join(got, "\n"), strings.Join(w, "\n"))
				}
			}
			// The template reads the time too, after the round trip.
			pending, err := store.(interface {
				DueActions(context.Context, time.Time, int) ([]state.OutboxEntry, error)
			}).DueActions(ctx, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 100)
			if err != nil {
				t.Fatal(err)
			}
			var texts []string
			for _, e := range pending {
				texts = append(texts, e.Action.Member+" "+e.Action.Step+": "+e.Action.Text)
			}
			if !strings.Contains(strings.Join(texts, "\n"), "ann reminder: See you at Go night, 6 Jan 18:00") {
				t.Errorf("texts:\n%s", strings.Join(texts, "\n"))
			}
		})
	}
}

// The goal reads the entering event too: a check-in from six hours
// before the meetup ends the run before the last reminder.
func TestCampaignGoalReadsTheEnteringEvent(t *testing.T) {
	cfg := load(t, rsvpConfig)
	stream := ev("r1", "meetup.rsvp", "ann", 0, 9, `{"meetup":"Go night","answer":"yes","starts_at":"2026-01-06T18:00:00Z","seats":1}`) +
		ev("c0", "checkin", "ann", 2, 9, "") + // too early to count
		ev("c1", "checkin", "ann", 5, 13, "") +
		ev("x", "checkin", "zed", 9, 9, "")
	_, outs, _ := run(t, cfg, stream)
	got := campaignOutcomes(outs, "ann")
	want := []string{
		"01-01T09:00 enter run 1",
		"01-01T09:00 queue campaign/rsvp/ann/1/1/confirm",
		"01-05T18:00 queue campaign/rsvp/ann/1/2/reminder",
		"01-06T13:00 exit goal",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ann:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// until's time passes validate's type check; a run whose rule fails
// (here: the attribute is missing, the zero time) counts it as passed.
func TestCampaignUntilMissingTimeSkips(t *testing.T) {
	cfg := load(t, rsvpConfig)
	_, outs, _ := run(t, cfg, ev("r1", "meetup.rsvp", "ann", 0, 9, `{"meetup":"Go night","answer":"yes","seats":1}`)+ev("x", "checkin", "zed", 9, 9, ""))
	got := strings.Join(campaignOutcomes(outs, "ann"), "\n")
	if !strings.Contains(got, "skip reminder: until") || strings.Contains(got, "/reminder") {
		t.Errorf("ann:\n%s", got)
	}
}

// until sets when a send is due; quiet hours and the frequency cap still
// decide whether it goes then, for a late one sent with if_past = "send"
// too.
func TestCampaignUntilKeepsQuietHoursAndCaps(t *testing.T) {
	cfg := load(t, templates+`
event "meetup.rsvp" {
  attributes = {
    starts_at = "time"
  }
}
campaign "c" {
  enter_on      = "meetup.rsvp"
  frequency_cap = "1/24h"
  on_cap        = "skip"
  quiet_hours {
    from     = "22:00"
    to       = "08:00"
    timezone = "UTC"
  }
  step "confirm" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "reminder" {
    until   = "event.starts_at - duration('1d')"
    if_past = "send"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	stream := ev("r1", "meetup.rsvp", "ann", 0, 9, `{"starts_at":"2026-01-05T23:30:00Z"}`) + // reminder at 23:30: quiet
		ev("r2", "meetup.rsvp", "bob", 4, 12, `{"starts_at":"2026-01-05T23:30:00Z"}`) + // late: sent at once, but capped
		ev("x", "checkin", "zed", 9, 9, "")
	_, outs, _ := run(t, cfg, stream)
	want := map[string][]string{
		"ann": {
			"01-01T09:00 enter run 1",
			"01-01T09:00 queue campaign/c/ann/1/1/confirm",
			"01-04T23:30 defer reminder: quiet hours until 2026-01-05T08:00:00Z",
			"01-05T08:00 queue campaign/c/ann/1/2/reminder",
			"01-05T08:00 exit finished",
		},
		"bob": {
			"01-05T12:00 enter run 1",
			"01-05T12:00 queue campaign/c/bob/1/1/confirm",
			"01-05T12:00 skip reminder: frequency cap",
			"01-05T12:00 exit finished",
		},
	}
	for member, w := range want {
		if got := campaignOutcomes(outs, member); strings.Join(got, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s:\n%s\nwant\n%s", member, strings.Join(got, "\n"), strings.Join(w, "\n"))
		}
	}
}
