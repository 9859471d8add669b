package daemon_test

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
)

const sizeRules = rulesA + `
tier "regular" {
  rank = 1
  when = "member.points >= 2"
}
segment "posters" {
  when = "member.messages >= 1"
}
segment "chatty" {
  when = "member.messages >= 2"
}
segment "gone" {
  when = "member.left"
}
`

// TestSegmentSizesAgreeWithPopulation applies a few days of events,
// members posting, leaving, coming back and being forgotten, and after
// each day holds the report's size of every segment and tier at the end
// of the day (GET /v1/report?by=day) to what GET /v1/population counts
// by scanning the members, which the gauges show.
func TestSegmentSizesAgreeWithPopulation(t *testing.T) {
	f := start(t, sizeRules, "tok")
	ev := func(id, typ, member string, day, minute int) string {
		return fmt.Sprintf(`{"id":%q,"type":%q,"member":%q,"at":"2026-01-%02dT10:%02d:00Z"}`, id, typ, member, day, minute) + "\n"
	}
	days := []string{
		ev("1a", "message.posted", "m0", 1, 0) + ev("1b", "message.posted", "m1", 1, 1) + ev("1c", "message.posted", "m2", 1, 2) +
			ev("1d", "message.posted", "m3", 1, 3) + ev("1e", "member.joined", "m4", 1, 4),
		ev("2a", "message.posted", "m0", 2, 0) + ev("2b", "message.posted", "m1", 2, 1) + ev("2c", "member.left", "m2", 2, 2),
		ev("3a", "message.posted", "m3", 3, 0) + ev("3b", "member.left", "m1", 3, 1) + ev("3c", "member.joined", "m2", 3, 2) +
			ev("3d", "message.posted", "m4", 3, 3),
		"forget m0",
		ev("5a", "member.left", "m3", 5, 0) + ev("5b", "message.posted", "m2", 5, 1),
	}
	type population struct {
		Segments map[string]int64 `json:"segments"`
		Tiers    map[string]int64 `json:"tiers"`
	}
	type report struct {
		Series struct {
			SizesFrom string `json:"segment_sizes_kept_since"`
			Periods   []struct {
				End      string `json:"end"`
				Segments []struct {
					Name  string `json:"name"`
					Count int64  `json:"count"`
				} `json:"segments"`
				Tiers []struct {
					Name  string `json:"name"`
					Count int64  `json:"count"`
				} `json:"tiers"`
			} `json:"periods"`
		} `json:"series"`
	}
	var sizes []map[string]int64 // by day, as the last report gives them
	for i, batch := range days {
		if id, ok := strings.CutPrefix(batch, "forget "); ok {
			if code, body := post(t, f, "/v1/members/"+id+"/forget", "", "tok"); code != http.StatusOK {
				t.Fatalf("forget %s: %d %v", id, code, body)
			}
		} else if code, body := post(t, f, "/v1/events", batch, "tok"); code != http.StatusAccepted {
			t.Fatalf("day %d: %d %v", i+1, code, body)
		}
		var pop population
		req, _ := http.NewRequest("GET", f.srv.URL+"/v1/population", nil)
		req.Header.Set("Authorization", "Bearer tok")
		getJSONReq(t, req, &pop)
		var rep report
		req, _ = http.NewRequest("GET", f.srv.URL+"/v1/report?by=day&periods=10", nil)
		req.Header.Set("Authorization", "Bearer tok")
		getJSONReq(t, req, &rep)
		if rep.Series.SizesFrom != "" {
			t.Errorf("day %d: sizes kept since %s in a store new with this version", i+1, rep.Series.SizesFrom)
		}
		ps := rep.Series.Periods
		if len(ps) == 0 {
			t.Fatalf("day %d: no periods", i+1)
		}
		last := ps[len(ps)-1]
		got := map[string]int64{}
		for _, s := range last.Segments {
			got[s.Name] = s.Count
		}
		if !maps.Equal(got, pop.Segments) {
			t.Errorf("day %d (%s): report's segment sizes %v; population %v", i+1, last.End, got, pop.Segments)
		}
		for _, x := range last.Tiers {
			if x.Count != pop.Tiers[x.Name] {
				t.Errorf("day %d: report's tier %s %d; population %d", i+1, x.Name, x.Count, pop.Tiers[x.Name])
			}
		}
		sizes = append(sizes, got)
	}
	// What each day ended with stays as it was in later reports: the
	// history, not today's sizes written back. (From the forget on, the
	// latest day is the forget's, by the clock.)
	var rep report
	req, _ := http.NewRequest("GET", f.srv.URL+"/v1/report?by=day&periods=10&at=2026-01-03", nil)
	req.Header.Set("Authorization", "Bearer tok")
	getJSONReq(t, req, &rep)
	byEnd := map[string]map[string]int64{}
	for _, p := range rep.Series.Periods {
		m := map[string]int64{}
		for _, s := range p.Segments {
			m[s.Name] = s.Count
		}
		byEnd[p.End] = m
	}
	for i, want := range sizes[:3] {
		day := fmt.Sprintf("2026-01-%02d", i+1)
		if !maps.Equal(byEnd[day], want) {
			t.Errorf("%s: %v in the last report; %v on the day", day, byEnd[day], want)
		}
	}
	if want := map[string]int64{"posters": 3, "chatty": 2, "gone": 1}; !maps.Equal(sizes[1], want) {
		t.Errorf("day 2: %v; want %v (m2 left: in gone, out of posters)", sizes[1], want)
	}
	// m0 (chatty) was forgotten: out of the sizes, though no move.
	if want := map[string]int64{"posters": 3, "chatty": 1, "gone": 1}; !maps.Equal(sizes[3], want) {
		t.Errorf("after the forget: %v; want %v", sizes[3], want)
	}
}
