package events

import (
	"encoding/json"
	"time"
)

// ParseAsked reads an event a question is asked about, which hearth
// member why and member eval take as -event and POST /v1/members/ID/why
// as its "event": an event as in an events file, whose id, member and at
// may be left out, filled in with "eval", member and at. What is wrong
// with it is said as Parse says it of an events file's line.
func ParseAsked(raw []byte, member string, at time.Time) (*Event, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		// Not an object, or not JSON: Parse tells which, and where.
		if _, err := Parse(raw); err != nil {
			return nil, err
		}
		return nil, invalid("an event is a JSON object")
	}
	fill := func(k string, v any) {
		if _, ok := fields[k]; !ok {
			b, _ := json.Marshal(v)
			fields[k] = b
		}
	}
	fill("id", "eval")
	fill("member", member)
	fill("at", at.Format(time.RFC3339Nano))
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	ev, err := Parse(b)
	if err != nil {
		return nil, err
	}
	return &ev, nil
}
