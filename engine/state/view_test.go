package state

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// A member's view has its per-day counts keyed by date, everything else
// as stored, and no tally.
func TestMemberView(t *testing.T) {
	day := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	m := NewMember("ann", day)
	m.Record("message.posted", day, true)
	m.Record("message.posted", day.Add(2*time.Hour), true)
	m.Record("message.posted", day.Add(24*time.Hour), true)
	m.AddPoints(5, day)
	m.GrantLog("posting").Record(day, 5, nil, true)
	m.Tally.Cohort = DayOf(day)
	data, err := m.View()
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		ID     string                    `json:"id"`
		Points int                       `json:"points"`
		Active map[string]int            `json:"active"`
		Earned map[string]int            `json:"earned"`
		Totals map[string]int            `json:"totals"`
		Counts map[string]map[string]int `json:"counts"`
		Grants map[string]struct {
			Count  int            `json:"count"`
			Points map[string]int `json:"points"`
		} `json:"grants"`
		Tally *json.RawMessage `json:"tally"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if v.ID != "ann" || v.Points != 5 || v.Totals["message.posted"] != 3 {
		t.Errorf("stored fields changed: %s", data)
	}
	if c := v.Counts["message.posted"]; c["2026-11-20"] != 2 || c["2026-11-21"] != 1 || len(c) != 2 {
		t.Errorf("counts by date: %v", v.Counts)
	}
	if v.Active["2026-11-20"] != 2 || v.Earned["2026-11-20"] != 5 {
		t.Errorf("active %v, earned %v", v.Active, v.Earned)
	}
	if g := v.Grants["posting"]; g.Count != 1 || g.Points["2026-11-20"] != 5 {
		t.Errorf("grants: %+v", v.Grants)
	}
	if !bytes.HasPrefix(data, []byte("{\n  \"id\": \"ann\",")) {
		t.Errorf("the view does not keep the stored order, id first:\n%s", data)
	}
	if v.Tally != nil {
		t.Errorf("the view shows the tally: %s", *v.Tally)
	}
}
