package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// View is a member as the admin API and `hearth member show -json` show
// it: the stored document, in its order, with per-day counts as objects
// keyed by date ("2026-11-20": 3) instead of the store's flat
// [day, count ...] arrays, and without the bookkeeping of reports (tally)
// and of rule changes (rules), which says what the engine has counted or
// evaluated of the member rather than anything about the member.
//
// configured says whether the configuration has a campaign: the runs of
// one it no longer has, which the document keeps, carry
// "campaign_removed": true, and "removed_campaigns" lists, sorted, every
// such campaign the document holds runs, kept keys or dropped runs of, so
// that nobody reads them as runs of a campaign still in force. nil marks
// none.
func (m *Member) View(configured func(campaign string) bool) ([]byte, error) {
	return m.ViewNoted(configured, nil)
}

// RunNote gives what to add to a run in View as "waiting" (what a run on
// a wait_until step waits for, worked out from the configuration, which
// this package does not read); nil adds nothing.
type RunNote func(id string) any

// ViewNoted is View, with each run note gives something for carrying it
// as "waiting". note may be nil.
func (m *Member) ViewNoted(configured func(campaign string) bool, note RunNote) ([]byte, error) {
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
		case "campaigns":
			raw, err = eachKeyValue(raw, dropEndedDue)
			if configured != nil && err == nil {
				raw, err = markRemovedRuns(raw, configured)
			}
			if note != nil && err == nil {
				raw, err = noteRuns(raw, note)
			}
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
	if removed := m.RemovedCampaigns(configured); len(removed) > 0 {
		list, err := json.Marshal(removed)
		if err != nil {
			return nil, err
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		out.WriteString(`"removed_campaigns":`)
		out.Write(list)
	}
	out.WriteByte('}')
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	return unescapeHTML(pretty.Bytes()), nil
}

// RemovedCampaigns are the campaigns, sorted, the member's document holds
// runs, kept keys or dropped runs of that configured says are no longer
// configured; nil when configured is.
func (m *Member) RemovedCampaigns(configured func(string) bool) []string {
	if configured == nil {
		return nil
	}
	var out []string
	add := func(name string) {
		if !configured(name) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for id := range m.Campaigns {
		add(RunCampaign(id))
	}
	for name := range m.KeysEnded {
		add(name)
	}
	for name := range m.RunsDropped {
		add(name)
	}
	slices.Sort(out)
	return out
}

// markRemovedRuns adds "campaign_removed": true to each run, in the
// campaigns object of a member's document, of a campaign configured says
// is no longer configured. The run's own fields keep their order.
func markRemovedRuns(campaigns json.RawMessage, configured func(string) bool) (json.RawMessage, error) {
	return eachKeyValue(campaigns, func(id string, run json.RawMessage) (json.RawMessage, error) {
		if configured(RunCampaign(id)) {
			return run, nil
		}
		run = bytes.TrimSpace(run)
		if len(run) < 2 || run[0] != '{' || run[len(run)-1] != '}' {
			return nil, fmt.Errorf("run %s is not an object", id)
		}
		out := append([]byte{}, run[:len(run)-1]...)
		if len(bytes.TrimSpace(run[1:len(run)-1])) > 0 {
			out = append(out, ',')
		}
		return append(out, `"campaign_removed":true}`...), nil
	})
}

// dropEndedDue leaves "due" out of a run that ended: the store keeps
// the time its last step was due, or none (0001-01-01), and either would
// read as a step still to come. The run's other fields keep their order.
func dropEndedDue(id string, run json.RawMessage) (json.RawMessage, error) {
	var probe struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(run, &probe); err != nil {
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	if probe.Status != "done" {
		return run, nil
	}
	dec := json.NewDecoder(bytes.NewReader(run))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	out := []byte{'{'}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if key, _ := tok.(string); key == "due" {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(tok)
		out = append(append(append(out, k...), ':'), v...)
	}
	return append(out, '}'), nil
}

// noteRuns adds "waiting" to each run, in the campaigns object of a
// member's document, that note gives something for.
func noteRuns(campaigns json.RawMessage, note RunNote) (json.RawMessage, error) {
	return eachKeyValue(campaigns, func(id string, run json.RawMessage) (json.RawMessage, error) {
		v := note(id)
		if v == nil {
			return run, nil
		}
		w, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		// Appended, so the run's own fields keep their order.
		run = bytes.TrimSpace(run)
		if len(run) < 2 || run[0] != '{' || run[len(run)-1] != '}' {
			return nil, fmt.Errorf("run %s is not an object", id)
		}
		out := append([]byte{}, run[:len(run)-1]...)
		if len(bytes.TrimSpace(run[1:len(run)-1])) > 0 {
			out = append(out, ',')
		}
		out = append(out, `"waiting":`...)
		return append(append(out, w...), '}'), nil
	})
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
	return eachKeyValue(obj, func(_ string, v json.RawMessage) (json.RawMessage, error) { return fn(v) })
}

// eachKeyValue is eachValue with fn told each value's key.
func eachKeyValue(obj json.RawMessage, fn func(string, json.RawMessage) (json.RawMessage, error)) (json.RawMessage, error) {
	var values map[string]json.RawMessage
	if err := json.Unmarshal(obj, &values); err != nil {
		return nil, err
	}
	for k, v := range values {
		nv, err := fn(k, v)
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
