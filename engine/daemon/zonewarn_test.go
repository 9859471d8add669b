package daemon_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
)

// A member.joined or member.profile_updated whose timezone is not an
// IANA zone name is taken and applied, with a 202 warning naming the
// event, the attribute and the value, and the zone it looks like when
// one is close; the member gets no time zone from it. Such events are
// counted and logged, one line per type every ten minutes. A valid zone,
// and a locale (free-form), get no word.
func TestBadTimezoneWarned(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var logs syncBuffer
	f := start(t, ``, "", func(o *daemon.Options) {
		o.Now = clock
		o.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	body := `{"id":"j1","type":"member.joined","member":"mars","at":"2026-01-01T10:00:00Z","attrs":{"timezone":"Mars/Olympus","locale":"klingon"}}
{"id":"j2","type":"member.joined","member":"ann","at":"2026-01-01T10:01:00Z","attrs":{"timezone":"Europe/Berlin"}}
{"id":"j3","type":"member.joined","member":"bob","at":"2026-01-01T10:02:00Z","attrs":{"timezone":"Europe/Berln"}}
{"id":"p1","type":"member.profile_updated","member":"ann","at":"2026-01-01T10:03:00Z","attrs":{"timezone":"Europe/Berln"}}
{"id":"j4","type":"member.joined","member":"cy","at":"2026-01-01T10:04:00Z","attrs":{"timezone":"Mars/Olympus"}}
`
	code, out := post(t, f, "/v1/events", body, "")
	if code != http.StatusAccepted || out["accepted"] != float64(5) {
		t.Fatalf("events: %d %v", code, out)
	}
	got, _ := json.Marshal(out["warnings"])
	want := `[{"attribute":"timezone","event_id":"j1","event_type":"member.joined","events":2,"index":0,"line":1,"value":"Mars/Olympus",` +
		`"warning":"member.joined: timezone \"Mars/Olympus\" is not an IANA time zone name, so it does not set the member's time zone: their quiet hours go by the zone they had, or the community's (taken all the same)"},` +
		`{"attribute":"timezone","event_id":"j3","event_type":"member.joined","events":1,"index":2,"line":3,"suggestion":"Europe/Berlin","value":"Europe/Berln",` +
		`"warning":"member.joined: timezone \"Europe/Berln\" is not an IANA time zone name, so it does not set the member's time zone: their quiet hours go by the zone they had, or the community's (taken all the same); did you mean \"Europe/Berlin\"?"},` +
		`{"attribute":"timezone","event_id":"p1","event_type":"member.profile_updated","events":1,"index":3,"line":4,"suggestion":"Europe/Berlin","value":"Europe/Berln",` +
		`"warning":"member.profile_updated: timezone \"Europe/Berln\" is not an IANA time zone name, so it does not set the member's time zone: their quiet hours go by the zone they had, or the community's (taken all the same); did you mean \"Europe/Berlin\"?"}]`
	if string(got) != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
	var ws []daemon.ZoneWarning
	if err := json.Unmarshal(got, &ws); err != nil || len(ws) != 3 || ws[0].Value != "Mars/Olympus" {
		t.Errorf("as ZoneWarnings: %+v (%v)", ws, err)
	}

	// Applied all the same: the member joined, with no time zone; ann
	// kept hers.
	for id, zone := range map[string]string{"mars": "", "ann": "Europe/Berlin"} {
		code, m := get(t, f, "/v1/members/"+id)
		if code != http.StatusOK {
			t.Fatalf("member %s: %d %v", id, code, m)
		}
		if got, _ := m["timezone"].(string); got != zone {
			t.Errorf("member %s: timezone %q; want %q", id, got, zone)
		}
	}

	// A number is refused at the door, as both types declare timezone
	// a string.
	code, out = post(t, f, "/v1/events", `{"id":"j5","type":"member.profile_updated","member":"dee","at":"2026-01-01T10:05:00Z","attrs":{"timezone":2}}`, "")
	if code != http.StatusBadRequest {
		t.Errorf("a number: %d %v; want 400", code, out)
	}
	// Valid zones and an empty one, which clears it, get no word.
	code, out = post(t, f, "/v1/events", `{"id":"p2","type":"member.profile_updated","member":"dee","at":"2026-01-01T10:06:00Z","attrs":{"timezone":"Asia/Tokyo"}}
{"id":"p3","type":"member.profile_updated","member":"dee","at":"2026-01-01T10:07:00Z","attrs":{"timezone":""}}`, "")
	if code != http.StatusAccepted || out["warnings"] != nil {
		t.Errorf("valid zones: %d %v", code, out)
	}

	if got := sampleValue(t, metricsText(t, f), `hearth_events_timezone_warnings_total`); got != 4 {
		t.Errorf("hearth_events_timezone_warnings_total = %v; want 4", got)
	}
	lines := logs.String()
	if n := strings.Count(lines, "not an IANA time zone name"); n != 2 ||
		!strings.Contains(lines, `"type":"member.joined","timezone":"Mars/Olympus","events":2,"id":"j1"`) ||
		!strings.Contains(lines, `"type":"member.profile_updated","timezone":"Europe/Berln","events":1,"id":"p1","hint":"Did you mean \"Europe/Berlin\"?"`) {
		t.Errorf("want one log line per event type in ten minutes; got %d:\n%s", n, lines)
	}
}
