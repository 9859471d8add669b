package runtime_test

import (
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
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
	for _, who := range []string{"night", "eve"} {
		hs := rt.Holds(members[who], "campaign.q", at)
		if len(hs) != 1 || hs[0].Reason != "quiet_hours" || hs[0].QuietHours != "22:00–08:00" || hs[0].TimeZone != "member" || !hs[0].Until.Equal(end) || hs[0].Run != "q" {
			t.Errorf("%s: holds %+v; want quiet hours until %s", who, hs, end)
		}
	}
	if hs := rt.Holds(members["dawn"], "campaign.morning", at); len(hs) != 0 {
		t.Errorf("dawn, due at 08:00 by the step's own time: holds %+v", hs)
	}
	if hs := rt.Holds(members["night"], "segment.x", at); hs != nil {
		t.Errorf("a segment: holds %+v", hs)
	}
}
