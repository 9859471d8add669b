package state

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// View is a member as the admin API and `hearth member show -json` show
// it: the stored document, in its order, with per-day counts as objects
// keyed by date ("2026-11-20": 3) instead of the store's flat
// [day, count ...] arrays, and without the bookkeeping of reports (tally)
// and of rule changes (rules), which says what the engine has counted or
// evaluated of the member rather than anything about the member.
func (m *Member) View() ([]byte, error) {
	stored, err := m.Encode()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(stored))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		switch key {
		case "tally", "rules":
			continue
		case "active", "earned":
			raw, err = seriesByDate(raw)
		case "counts":
			raw, err = eachValue(raw, seriesByDate)
		case "grants":
			raw, err = eachValue(raw, func(log json.RawMessage) (json.RawMessage, error) {
				var fields map[string]json.RawMessage
				if err := json.Unmarshal(log, &fields); err != nil {
					return nil, err
				}
				if points, ok := fields["points"]; ok {
					byDate, err := seriesByDate(points)
					if err != nil {
						return nil, err
					}
					fields["points"] = byDate
				}
				return json.Marshal(fields)
			})
		}
		if err != nil {
			return nil, fmt.Errorf("member %s: %s: %w", m.ID, key, err)
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		out.Write(k)
		out.WriteByte(':')
		out.Write(raw)
	}
	out.WriteByte('}')
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	return unescapeHTML(pretty.Bytes()), nil
}

// unescapeHTML turns the escapes json.Marshal writes for &, < and >
// (\u0026, \u003c, \u003e) back into the characters, in place, as
// hearth's other JSON output prints them: a member named "A&B <x>" reads
// so in member show -json and GET /v1/members/ID. The store's documents
// keep the escapes (Encode is on the hot path); only what is shown is
// rewritten. A backslash in valid JSON always starts an escape, so
// stepping over each escape whole never mistakes an escaped backslash
// followed by "u0026" for one.
func unescapeHTML(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u00`)) {
		return b
	}
	w := 0
	for r := 0; r < len(b); {
		c := b[r]
		if c != '\\' || r+1 >= len(b) {
			b[w] = c
			w, r = w+1, r+1
			continue
		}
		if b[r+1] == 'u' && r+6 <= len(b) && string(b[r+2:r+4]) == "00" {
			var plain byte
			switch string(b[r+4 : r+6]) {
			case "26":
				plain = '&'
			case "3c", "3C":
				plain = '<'
			case "3e", "3E":
				plain = '>'
			}
			if plain != 0 {
				b[w] = plain
				w, r = w+1, r+6
				continue
			}
		}
		// Any other escape, \\ included: copied as it is.
		b[w], b[w+1] = c, b[r+1]
		w, r = w+2, r+2
	}
	return b[:w]
}

// eachValue rewrites every value of a JSON object with fn; the keys keep
// their (sorted) order, as encoding/json writes maps.
func eachValue(obj json.RawMessage, fn func(json.RawMessage) (json.RawMessage, error)) (json.RawMessage, error) {
	var values map[string]json.RawMessage
	if err := json.Unmarshal(obj, &values); err != nil {
		return nil, err
	}
	for k, v := range values {
		nv, err := fn(v)
		if err != nil {
			return nil, err
		}
		values[k] = nv
	}
	return json.Marshal(values)
}

// seriesByDate rewrites a series in its flat stored form as an object of
// counts keyed by date.
func seriesByDate(raw json.RawMessage) (json.RawMessage, error) {
	var s Series
	if err := s.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	out := make(map[string]int, len(s))
	for _, b := range s {
		out[b.Day.Time().Format("2006-01-02")] = b.Count
	}
	return json.Marshal(out)
}
