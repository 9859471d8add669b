package runtime_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// member why says when quiet hours hold a step's send back: a send they
// deferred, one coming due inside them; not a step whose own time is the
// end of the quiet hours.
func TestHoldsQuietHours(t *testing.T) {
	cfg := load(t, templates+`
campaign "q" {
  enter_on = "checkin"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "first" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "second" {
    wait = "12h"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "morning" {
  enter_on = "member.joined"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "a" {
    wait = "1d"
    at   = "08:00"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	_, _, members := run(t, cfg, ev("e", "checkin", "eve", 0, 12, "")+ev("d", "member.joined", "dawn", 0, 12, "")+ev("n", "checkin", "night", 0, 23, ""))
	rt := runtime.New(cfg, nil)
	at := time.Date(2026, 1, 1, 23, 30, 0, 0, time.UTC)
	end := time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC)
	// night's send was deferred (recorded); eve's comes due at midnight,
	// inside the quiet hours (expected).
	for who, expected := range map[string]bool{"night": false, "eve": true} {
		hs := rt.Holds(members[who], "campaign.q", at)
		if len(hs) != 1 || hs[0].Reason != "quiet_hours" || hs[0].QuietHours != "22:00–08:00" || hs[0].TimeZone != "member" || !hs[0].Until.Equal(end) || hs[0].Run != "q" || hs[0].Expected != expected {
			t.Errorf("%s: holds %+v; want quiet hours until %s, expected %v", who, hs, end, expected)
		}
	}
	if hs := rt.Holds(members["dawn"], "campaign.morning", at); len(hs) != 0 {
		t.Errorf("dawn, due at 08:00 by the step's own time: holds %+v", hs)
	}
	if hs := rt.Holds(members["night"], "segment.x", at); hs != nil {
		t.Errorf("a segment: holds %+v", hs)
	}
}

// heldCampaigns are campaigns whose sends quiet hours or a cap defer,
// and one whose step's own time is the end of the quiet hours.
const heldCampaigns = `
event "meetup.rsvp" {
  attributes = {
    starts_at = "time"
  }
}

event "ping" {}

campaign "q" {
  enter_on = "checkin"
  quiet_hours {
    from = "%s"
    to   = "%s"
  }
  step "first" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "remind" {
  enter_on = "meetup.rsvp"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "morning_of" {
    until = "event.starts_at"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "capped" {
  enter_on      = "ping"
  frequency_cap = "1/1d"
  step "one" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "two" {
    wait = "1h"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`

// member why reads what held a send from the run, through a SQLite
// round trip: a send deferred by quiet hours or a full cap is held, and
// stays so after a reload that moves or removes the quiet hours; a step
// whose until is exactly the end of the quiet hours is not held, nor
// shown so by member show's record. The hold goes once the send does.
func TestHoldsRecorded(t *testing.T) {
	ctx := context.Background()
	cfg := load(t, templates+strings.ReplaceAll(strings.Replace(heldCampaigns, "%s", "22:00", 1), "%s", "08:00"))
	path := filepath.Join(t.TempDir(), "state.db")
	stage := func(stream string) map[string]*state.Member {
		t.Helper()
		store, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		if _, err := simulate.Run(ctx, cfg, strings.NewReader(stream), simulate.Options{Store: store}); err != nil {
			t.Fatal(err)
		}
		store.Close()
		// Read back from a store opened afresh: the document, not memory.
		store, err = sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		members := map[string]*state.Member{}
		if err := store.Members(ctx, func(m *state.Member) error { members[m.ID] = m; return nil }); err != nil {
			t.Fatal(err)
		}
		return members
	}
	members := stage(ev("p", "ping", "cap", 0, 12, "") +
		ev("r", "meetup.rsvp", "dawn", 0, 12, `{"starts_at":"2026-01-02T08:00:00Z"}`) +
		ev("n", "checkin", "night", 0, 23, ""))
	end := time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC)
	capFree := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)

	if h := members["night"].Campaigns["q"].Hold; h == nil || h.Reason != state.HoldQuietHours || !h.Until.Equal(end) || h.QuietHours != "22:00–08:00" || h.TimeZone != "member" {
		t.Fatalf("night's deferred send: hold %+v; want quiet hours 22:00–08:00 until %s", h, end)
	}
	if h := members["cap"].Campaigns["capped"].Hold; h == nil || h.Reason != state.HoldFrequencyCap || !h.Until.Equal(capFree) || len(h.Caps) != 1 || h.Caps[0] != (state.HoldCap{Scope: "campaign", Rate: "1/1d"}) {
		t.Fatalf("cap's deferred send: hold %+v; want the campaign's cap 1/1d until %s", h, capFree)
	}
	if run := members["dawn"].Campaigns["remind"]; run.Hold != nil || !run.Due.Equal(end) {
		t.Fatalf("dawn's step until the end of the quiet hours: %+v, hold %+v; want due at %s, no hold", run, run.Hold, end)
	}

	// A reload that moves the quiet hours, or one that drops them: the
	// sends deferred are still held, by what deferred them.
	for name, c := range map[string]string{
		"moved":   strings.ReplaceAll(strings.Replace(heldCampaigns, "%s", "23:00", 1), "%s", "07:00"),
		"dropped": strings.Replace(heldCampaigns, "quiet_hours {\n    from = \"%s\"\n    to   = \"%s\"\n  }\n", "", 1),
		"same":    strings.ReplaceAll(strings.Replace(heldCampaigns, "%s", "22:00", 1), "%s", "08:00"),
	} {
		if name == "dropped" && strings.Count(c, "quiet_hours") != 1 {
			t.Fatal("the quiet hours of campaign q were not dropped")
		}
		rt := runtime.New(load(t, templates+c), nil)
		for _, at := range []time.Time{time.Date(2026, 1, 1, 23, 30, 0, 0, time.UTC), time.Date(2026, 1, 2, 7, 0, 0, 0, time.UTC)} {
			hs := rt.Holds(members["night"], "campaign.q", at)
			if len(hs) != 1 || hs[0].Expected || hs[0].Reason != "quiet_hours" || hs[0].QuietHours != "22:00–08:00" || !hs[0].Until.Equal(end) {
				t.Errorf("%s, at %s: night's holds %+v; want the recorded quiet hours 22:00–08:00 until %s", name, at.Format(time.Kitchen), hs, end)
			}
			hs = rt.Holds(members["cap"], "campaign.capped", at)
			if len(hs) != 1 || hs[0].Expected || hs[0].Reason != "frequency_cap" || len(hs[0].Caps) != 1 || hs[0].Caps[0] != (runtime.Cap{Scope: "campaign", Rate: "1/1d"}) || !hs[0].Until.Equal(capFree) {
				t.Errorf("%s, at %s: cap's holds %+v; want the recorded cap until %s", name, at.Format(time.Kitchen), hs, capFree)
			}
			if hs := rt.Holds(members["dawn"], "campaign.remind", at); len(hs) != 0 {
				t.Errorf("%s, at %s: dawn, due at 08:00 by the step's until: holds %+v; want none", name, at.Format(time.Kitchen), hs)
			}
		}
	}

	// Asked after the hold's end, with the store not brought to then
	// (nothing ran since): the recorded hold is over.
	rt := runtime.New(cfg, nil)
	if hs := rt.Holds(members["night"], "campaign.q", end.Add(time.Hour)); len(hs) != 0 {
		t.Errorf("night, asked after 08:00: holds %+v; want none", hs)
	}

	// The sends go out at the hold's end: the holds go with them.
	members = stage(ev("x", "message.posted", "night", 1, 9, "") + ev("y", "message.posted", "cap", 1, 13, "") + ev("z", "message.posted", "dawn", 1, 9, ""))
	if run := members["night"].Campaigns["q"]; run.Seq != 1 || run.Hold != nil {
		t.Errorf("night after 08:00: %+v, hold %+v; want the send made and no hold", run, run.Hold)
	}
	if run := members["cap"].Campaigns["capped"]; run.Seq != 2 || run.Hold != nil {
		t.Errorf("cap after the cap freed: %+v, hold %+v; want both sends made and no hold", run, run.Hold)
	}
	if run := members["dawn"].Campaigns["remind"]; run.Seq != 1 || run.Hold != nil {
		t.Errorf("dawn after 08:00: %+v, hold %+v; want the send made and no hold", run, run.Hold)
	}
}
