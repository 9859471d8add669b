package daemon

import (
	"fmt"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/zones"
)

// maxZoneChecks bounds the distinct time zone values of one request (or
// batch) looked up, each a scan of every zone name when it is not one.
const maxZoneChecks = 100

// setsZone says whether the runtime keeps the timezone of events of
// type typ as their member's zone, when time.LoadLocation takes it.
func setsZone(typ string) bool {
	return typ == "member.joined" || typ == config.ProfileEventType
}

// A member's timezone the runtime cannot load is dropped without a word:
// the member keeps the zone they had, or has none, and their quiet hours
// and times of day run in the community's zone (settings' timezone,
// UTC unless set). The event is taken all the same, as a profile is
// open; the daemon warns in the 202, counts such events
// (hearth_events_timezone_warnings_total) and logs them, one line per
// event type every ten minutes. hearth simulate and replay list them in
// their summary. A locale is kept as it comes, so it gets no warning.

// zoneSlip is a timezone of a batch's events that the runtime drops:
// the events of type typ with it, and the first of them.
type zoneSlip struct {
	typ, value, suggestion string
	events                 int
	first                  int // index in the batch of the first event
}

// findZoneSlips finds the timezones of evs the runtime would drop, in
// the order their first events come, at most maxZoneChecks distinct
// values looked up.
func findZoneSlips(evs []events.Event) []zoneSlip {
	var out []zoneSlip
	var at map[[2]string]int // type, value -> its slip in out, or -1: valid
	for i := range evs {
		if !setsZone(evs[i].Type) {
			continue
		}
		// Both types declare timezone a string: the door refused any
		// other.
		s, ok := evs[i].Attrs["timezone"].(string)
		if !ok {
			continue
		}
		k := [2]string{evs[i].Type, s}
		if j, seen := at[k]; seen {
			if j >= 0 {
				out[j].events++
			}
			continue
		}
		if len(at) >= maxZoneChecks {
			continue
		}
		if at == nil {
			at = map[[2]string]int{}
		}
		if zones.Valid(s) {
			at[k] = -1
			continue
		}
		at[k] = len(out)
		out = append(out, zoneSlip{typ: k[0], value: s, suggestion: zones.Closest(s), events: 1, first: i})
	}
	return out
}

// warnZones finds the timezones of evs the runtime would drop, and
// counts and logs them.
func (d *Daemon) warnZones(evs []events.Event) []zoneSlip {
	slips := findZoneSlips(evs)
	if len(slips) == 0 {
		return nil
	}
	now := d.opt.Now()
	for _, s := range slips {
		d.opt.Metrics.zoneWarnings.Add(float64(s.events))
		ok, held := d.zoneLogs.Allow(s.typ, now)
		if !ok {
			continue
		}
		args := []any{"type", s.typ, "timezone", s.value, "events", s.events, "id", evs[s.first].ID}
		if s.suggestion != "" {
			args = append(args, "hint", fmt.Sprintf("Did you mean %q?", s.suggestion))
		}
		if held > 0 {
			args = append(args, "not_logged", held)
		}
		d.log.Warn("events with a timezone that is not an IANA time zone name: taken, but it does not set the member's time zone (quiet hours go by the zone they had, or the community's)", args...)
	}
	return slips
}

// ZoneWarning is a member's timezone in events of a request that is not
// an IANA time zone name the runtime loads, so the member's zone is not
// set from it: one of the "warnings" of a 202. It is told apart from the
// other warnings by its value key; its fields are named as
// AttrWarning's.
type ZoneWarning struct {
	Type      string `json:"event_type"`
	Attribute string `json:"attribute"` // timezone
	Value     string `json:"value"`
	// Events counts the request's events of the type with the value;
	// ID, Index and Line are the first of them's.
	Events     int    `json:"events"`
	ID         string `json:"event_id"`
	Index      int    `json:"index"`
	Line       int    `json:"line,omitempty"`
	Suggestion string `json:"suggestion,omitempty"`
	Warning    string `json:"warning"`
}

// zoneWarnings are the warnings for slips, found in evs, taken from a
// request body whose places they have.
func zoneWarnings(evs []events.Event, places []place, slips []zoneSlip) []ZoneWarning {
	out := make([]ZoneWarning, 0, len(slips))
	for _, s := range slips {
		w := ZoneWarning{Type: s.typ, Attribute: "timezone", Value: s.value, Events: s.events, ID: evs[s.first].ID, Index: s.first, Suggestion: s.suggestion}
		if s.first < len(places) {
			w.Index, w.Line = places[s.first].index, places[s.first].line
		}
		w.Warning = zoneWarning(s.typ, s.value, s.suggestion)
		out = append(out, w)
	}
	return out
}

// zoneWarning says what became of a timezone the runtime drops.
func zoneWarning(typ, value, suggestion string) string {
	msg := fmt.Sprintf("%s: timezone %q is not an IANA time zone name, so it does not set the member's time zone: their quiet hours go by the zone they had, or the community's (taken all the same)", typ, value)
	if suggestion != "" {
		msg += fmt.Sprintf("; did you mean %q?", suggestion)
	}
	return msg
}

// zoneLogEvery is how often one event type's dropped time zones are
// logged: values come from senders, a type is a bounded key.
const zoneLogEvery = 10 * time.Minute
