package simulate

import (
	"sort"

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
	by map[[2]string]*BadTimezone // type, value
}

// Add counts n events of type typ with the timezone value, a slip of
// suggestion ("" when it looks like no zone).
func (z *BadTimezones) Add(typ, value, suggestion string, n int) {
	k := [2]string{typ, value}
	if t := z.by[k]; t != nil {
		t.Events += n
		return
	}
	if len(z.by) >= MaxAttrChecks {
		return
	}
	if z.by == nil {
		z.by = map[[2]string]*BadTimezone{}
	}
	z.by[k] = &BadTimezone{Type: typ, Value: value, Suggestion: suggestion, Events: n}
}

// List is the time zones counted, the one with the most events first,
// then by type and value.
func (z *BadTimezones) List() []BadTimezone {
	out := make([]BadTimezone, 0, len(z.by))
	for _, t := range z.by {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Events != out[j].Events {
			return out[i].Events > out[j].Events
		}
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Value < out[j].Value
	})
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
	if t := z.by[[2]string{typ, v}]; t != nil {
		t.Events++
		return
	}
	if zones.Valid(v) {
		return
	}
	z.Add(typ, v, zones.Closest(v), 1)
}
