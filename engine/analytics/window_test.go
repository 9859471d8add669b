package analytics_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/state"
)

// TestWindowsAnyOrder: activity arriving in any order gives the same
// rolling 7- and 30-day counts as counting each window by brute force.
func TestWindowsAnyOrder(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	tr := analytics.NewTracker(cfg)
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := state.Tallies{}
	active := map[string]map[int]bool{}
	for i := range 40 {
		id := string(rune('a'+i%26)) + string(rune('a'+i/26))
		m := state.NewMember(id, start)
		tr.Event(d, m, &events.Event{ID: id, Type: "member.joined", Member: events.Member{ID: id}, At: start}, analytics.Kind{})
		days := rng.Perm(80)[:rng.IntN(12)]
		active[id] = map[int]bool{}
		for _, day := range days {
			for range 1 + rng.IntN(2) { // some days twice
				at := start.Add(time.Duration(day)*24*time.Hour + time.Hour)
				m.Record("message.posted", at, true)
				tr.Event(d, m, &events.Event{ID: "x", Type: "message.posted", Member: events.Member{ID: id}, At: at}, analytics.Kind{Activity: true})
			}
			active[id][day] = true
		}
		tr.Member(d, m)
	}
	r := analytics.Build(cfg, d, start.Add(85*24*time.Hour))
	for i, p := range r.Daily {
		day := 85 - (len(r.Daily) - 1 - i)
		count := func(n int) int64 {
			var c int64
			for _, days := range active {
				for x := day - n + 1; x <= day; x++ {
					if days[x] {
						c++
						break
					}
				}
			}
			return c
		}
		if p.Active != count(1) || p.Active7 != count(7) || p.Active30 != count(30) {
			t.Fatalf("%s: %d/%d/%d; want %d/%d/%d", p.Date, p.Active, p.Active7, p.Active30, count(1), count(7), count(30))
		}
	}
}

// TestMonthOf: the arithmetic month agrees with the calendar's across
// leap years, centuries and the years before 1970.
func TestMonthOf(t *testing.T) {
	for d := state.DayOf(time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)); d < state.DayOf(time.Date(2400, 12, 31, 0, 0, 0, 0, time.UTC)); d++ {
		y, m, _ := d.Time().Date()
		if got, want := analytics.MonthOf(d), y*12+int(m)-1; got != want {
			t.Fatalf("MonthOf(%s) = %d, want %d", d.Time().Format(time.DateOnly), got, want)
		}
	}
}
