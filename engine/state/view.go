package state

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// View is a member as the admin API and `hearth member show -json` show
// it: the stored document, with per-day counts as objects keyed by date
// ("2026-11-20": 3) instead of the store's flat [day, count ...] arrays,
// and without the report's bookkeeping (tally), which says what the
// community tallies have counted of the member rather than anything about
// the member.
func (m *Member) View() ([]byte, error) {
	stored, err := m.Encode()
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(stored))
	dec.UseNumber() // points and ids stay as written
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	delete(doc, "tally")
	for _, k := range []string{"active", "earned"} {
		if err := byDate(doc, k); err != nil {
			return nil, err
		}
	}
	if counts, ok := doc["counts"].(map[string]any); ok {
		for typ := range counts {
			if err := byDate(counts, typ); err != nil {
				return nil, err
			}
		}
	}
	if grants, ok := doc["grants"].(map[string]any); ok {
		for _, g := range grants {
			if g, ok := g.(map[string]any); ok {
				if err := byDate(g, "points"); err != nil {
					return nil, err
				}
			}
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

// byDate rewrites doc[key], a series in its flat stored form, as an
// object of counts keyed by date.
func byDate(doc map[string]any, key string) error {
	flat, ok := doc[key].([]any)
	if !ok {
		return nil
	}
	if len(flat)%2 != 0 {
		return fmt.Errorf("%s: a series has an odd number of values", key)
	}
	out := make(map[string]any, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		n, _ := flat[i].(json.Number)
		day, err := n.Int64()
		if err != nil {
			return fmt.Errorf("%s: day %v is no number", key, flat[i])
		}
		out[Day(day).Time().Format("2006-01-02")] = flat[i+1]
	}
	doc[key] = out
	return nil
}
