package simulate

import (
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/zones"
)

// BadTimezone is a member's timezone that events of a type came in with
// and that is not an IANA time zone name the runtime loads: the runtime
// drops it, so their members' quiet hours go by the zone they had or the
// community's, as hearth run's 202 warns.
type BadTimezone struct {
	Type  string `json:"type"`
	Value string `json:"value"`
	// Suggestion is the zone name it looks like a slip of, if any.
	Suggestion string `json:"suggestion,omitempty"`
	Events     int    `json:"events"`
}

// BadTimezones counts events by dropped time zone, the first
// MaxAttrChecks type and value pairs: a file making up a zone per event
// could have millions.
type BadTimezones struct {
	pairs pairCounts // type, value
}

// Add counts n events of type typ with the timezone value, a slip of
// suggestion ("" when it looks like no zone).
func (z *BadTimezones) Add(typ, value, suggestion string, n int) {
	z.pairs.add(typ, value, suggestion, n, MaxAttrChecks)
}

// List is the time zones counted, the one with the most events first,
// then by type and value.
func (z *BadTimezones) List() []BadTimezone {
	pairs := z.pairs.sorted()
	out := make([]BadTimezone, 0, len(pairs))
	for _, c := range pairs {
		out = append(out, BadTimezone{Type: c.typ, Value: c.name, Suggestion: c.suggestion, Events: c.events})
	}
	return out
}

// see counts the timezone of an event of type typ if the runtime would
// drop it: member.joined and member.profile_updated set the member's
// zone from it.
func (z *BadTimezones) see(typ string, attrs map[string]any) {
	if typ != "member.joined" && typ != config.ProfileEventType {
		return
	}
	v, ok := attrs["timezone"].(string)
	if !ok {
		return
	}
	if z.pairs.seen(typ, v) {
		return
	}
	if zones.Valid(v) {
		return
	}
	z.Add(typ, v, zones.Closest(v), 1)
}
