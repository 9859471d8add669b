package config

import "sort"

// AttrSlips finds, in events' attributes, likely slips of the names
// their types declare (LikelyEventAttr) whose declared counterpart the
// event lacks: an event with both "chanel" and "channel" has its
// channel, and the other is one more attribute no rule reads, as
// attributes are open. It remembers what it worked out per type and
// name, for up to max of them; past that, names not met before are not
// looked at, so a sender making up a name per event costs no more than
// a map lookup each. Not safe for concurrent use.
type AttrSlips struct {
	cfg  *Config
	max  int
	memo map[typeAttr]string // -> LikelyEventAttr
}

type typeAttr struct{ typ, attr string }

// NewAttrSlips finds slips against cfg's event types, looking at most
// max type and name pairs.
func NewAttrSlips(cfg *Config, max int) *AttrSlips {
	return &AttrSlips{cfg: cfg, max: max}
}

// AttrSlip is an attribute of an event that looks like a slip of one
// its type declares, Suggestion, which the event does not have.
type AttrSlip struct {
	Attr, Suggestion string
}

// Find appends to out the slips among attrs, the attributes of an event
// of type typ, in name order, and returns it.
func (s *AttrSlips) Find(out []AttrSlip, typ string, attrs map[string]any) []AttrSlip {
	et, known := s.cfg.EventTypes[typ]
	if !known || typ == ProfileEventType {
		return out
	}
	start := len(out)
	for k := range attrs {
		if _, declared := et.Attrs[k]; declared {
			continue
		}
		key := typeAttr{typ, k}
		sug, seen := s.memo[key]
		if !seen {
			if len(s.memo) >= s.max {
				continue
			}
			if s.memo == nil {
				s.memo = map[typeAttr]string{}
			}
			sug = s.cfg.LikelyEventAttr(typ, k)
			s.memo[key] = sug
		}
		if sug == "" {
			continue
		}
		if _, has := attrs[sug]; has {
			continue
		}
		out = append(out, AttrSlip{Attr: k, Suggestion: sug})
	}
	if mine := out[start:]; len(mine) > 1 {
		sort.Slice(mine, func(i, j int) bool { return mine[i].Attr < mine[j].Attr })
	}
	return out
}
