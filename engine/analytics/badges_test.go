package analytics_test

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/state"
)

const badgeConfig = `
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
}
segment "chatty" {
  when = "member.messages >= 2"
}
tier "regular" {
  rank  = 1
  title = "Regular member"
  when  = "member.messages >= 2"
}
badge "poster" {
  title = "Poster"
  class = "bronze"
}
badge "fan" {
  repeat      = true
  revoke_when = "member.messages >= 3"
}
incentive "first" {
  on   = "message.posted"
  when = "member.messages == 1"
  once = true
  grant {
    badge = badge.poster
  }
}
incentive "react" {
  on = "reaction.added"
  grant {
    badge = badge.fan
  }
}
`

// badgeEvents: a and b post and react; a's third post takes the fan
// badge back. 2026-01-05 and 2026-01-12 are Mondays.
func badgeEvents() string {
	var b strings.Builder
	w := func(typ, member string, t time.Time) { b.WriteString(line(typ, member, t, "")) }
	w("member.joined", "a", at(1, 5, 9))
	w("message.posted", "a", at(1, 5, 10)) // poster
	w("reaction.added", "a", at(1, 6, 10)) // fan: a new holder
	w("reaction.added", "a", at(1, 7, 10)) // fan again: the same holder
	w("message.posted", "a", at(1, 8, 10)) // chatty, regular
	w("member.joined", "b", at(1, 12, 9))
	w("message.posted", "b", at(1, 12, 10)) // poster
	w("message.posted", "a", at(1, 13, 10)) // fan revoked
	w("reaction.added", "b", at(1, 14, 10)) // fan
	return b.String()
}

func TestBadgesInTheReport(t *testing.T) {
	cfg := loadConfig(t, badgeConfig)
	stream := badgeEvents()
	// Sent twice: duplicates change nothing.
	tallies := simulateTallies(t, cfg, stream+stream)
	r := analytics.Build(cfg, tallies, time.Time{})
	want := []analytics.BadgeCount{
		{Name: "poster", Title: "Poster", Class: "bronze", Holders: 2, Awarded: 2, Awarded7: 1, Awarded30: 2, First: "2026-01-05", Last: "2026-01-12"},
		{Name: "fan", Title: "fan", Class: "bronze", Holders: 1, Awarded: 3, Awarded7: 1, Awarded30: 3, Revoked: 1, Revocable: true, First: "2026-01-06", Last: "2026-01-14"},
	}
	if !reflect.DeepEqual(r.Badges, want) {
		t.Errorf("badges =\n%+v\nwant\n%+v", r.Badges, want)
	}
	if r.BadgesFrom != "" {
		t.Errorf("badges counted from %q; want from the start", r.BadgesFrom)
	}
	// As of an earlier day: a holds fan, awarded twice.
	jan7 := analytics.Build(cfg, tallies, at(1, 7, 0))
	if got := jan7.Badges[1]; got.Holders != 1 || got.Awarded != 2 || got.Revoked != 0 || got.Last != "2026-01-07" {
		t.Errorf("fan on Jan 7 = %+v", got)
	}
	if got := jan7.Badges[0]; got.Holders != 1 || got.Awarded != 1 {
		t.Errorf("poster on Jan 7 = %+v", got)
	}
	if r.Tiers[0].Title != "Regular member" || r.Funnel[2].Title != "Regular member" {
		t.Errorf("tier titles: %+v, funnel %+v", r.Tiers, r.Funnel)
	}

	var text bytes.Buffer
	if err := analytics.WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"on each tier now: Regular member 1",
		"tier Regular member",
		"\n    Poster        2        2       1        2        –  2026-01-05  2026-01-12\n",
		"\n       fan        1        3       1        3        1  2026-01-06  2026-01-14\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text lacks %q:\n%s", want, text.String())
		}
	}
}

// A store that applied events before badges were counted says from when
// they are: the earliest mark, or with none, the day after its latest.
func TestBadgesCountedFrom(t *testing.T) {
	cfg := loadConfig(t, badgeConfig)
	tallies := simulateTallies(t, cfg, badgeEvents())
	old := state.Tallies{}
	for k, v := range tallies {
		if !strings.HasPrefix(k, "b/") && !strings.HasPrefix(k, "s/") {
			old[k] = v
		}
	}
	r := analytics.BuildWith(cfg, old, time.Time{}, analytics.Options{By: "week"})
	if r.BadgesFrom != "2026-01-15" {
		t.Errorf("a store with no marks counts badges from %q; want 2026-01-15", r.BadgesFrom)
	}
	var text bytes.Buffer
	if err := analytics.WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "Badges\n  counted from 2026-01-15: the state store has events from before hearth counted badges") ||
		!strings.Contains(text.String(), "badges and segment moves counted from 2026-01-15") {
		t.Errorf("the text does not say from when badges are counted:\n%s", text.String())
	}
	old[analytics.KeySince+strconv.Itoa(int(state.DayOf(at(1, 12, 0))))] = 1
	if r := analytics.Build(cfg, old, time.Time{}); r.BadgesFrom != "2026-01-12" {
		t.Errorf("counted from %q; want 2026-01-12, the earliest mark", r.BadgesFrom)
	}
}

func TestSeries(t *testing.T) {
	cfg := loadConfig(t, badgeConfig)
	tallies := simulateTallies(t, cfg, badgeEvents())
	r := analytics.BuildWith(cfg, tallies, time.Time{}, analytics.Options{By: "week"})
	s := r.Series
	if s == nil || s.By != "week" || len(s.Periods) != 2 {
		t.Fatalf("series = %+v; want the two weeks since the first event", s)
	}
	named := func(cs ...int64) []analytics.NamedCount {
		names := []string{"poster", "fan"}
		var out []analytics.NamedCount
		for i, c := range cs {
			out = append(out, analytics.NamedCount{Name: names[i], Count: c})
		}
		return out
	}
	chatty := func(n int64) []analytics.NamedCount { return []analytics.NamedCount{{Name: "chatty", Count: n}} }
	want := []analytics.Period{
		{Start: "2026-01-05", End: "2026-01-11", Joined: 1, Active: 1, Contributed: 1, Members: 1,
			Tiers: []analytics.NamedCount{{Name: "regular", Count: 1}}, Segments: chatty(1), Badges: named(1, 2), Entered: chatty(1), Exited: chatty(0), Campaigns: []analytics.CampaignPeriod{}},
		// The week under way ends on the report's day.
		{Start: "2026-01-12", End: "2026-01-14", Joined: 1, Active: 2, Contributed: 1, Members: 2,
			Tiers: []analytics.NamedCount{{Name: "regular", Count: 1}}, Segments: chatty(1), Badges: named(1, 1), Entered: chatty(0), Exited: chatty(0), Campaigns: []analytics.CampaignPeriod{}},
	}
	if !reflect.DeepEqual(s.Periods, want) {
		t.Errorf("weeks =\n%+v\nwant\n%+v", s.Periods, want)
	}
	// Points are counted by month: a week has none. Segment sizes are
	// kept from the store's start.
	if !reflect.DeepEqual(s.NotKept, []string{"points"}) || s.SizesFrom != "" || s.TiersFrom != "" {
		t.Errorf("not kept = %v, sizes from %q, tiers from %q", s.NotKept, s.SizesFrom, s.TiersFrom)
	}

	// By day, the days before the first event are left out; the days add
	// up to the weeks.
	days := analytics.BuildWith(cfg, tallies, time.Time{}, analytics.Options{By: "day"}).Series
	if len(days.Periods) != 10 || days.Periods[0].Start != "2026-01-05" {
		t.Fatalf("days: %d from %s; want 10 from 2026-01-05", len(days.Periods), days.Periods[0].Start)
	}
	var fan, joined int64
	for _, p := range days.Periods {
		fan += p.Badges[1].Count
		joined += p.Joined
	}
	if fan != 3 || joined != 2 {
		t.Errorf("by day: %d fan awards, %d joins; want 3 and 2", fan, joined)
	}
	months := analytics.BuildWith(cfg, tallies, time.Time{}, analytics.Options{By: "month", Periods: 2}).Series
	if len(months.Periods) != 1 || months.Periods[0].Active != 2 || months.Periods[0].End != "2026-01-14" {
		t.Errorf("by month: %+v", months.Periods)
	}
	if err := analytics.CheckSeries("fortnight", 0); err == nil {
		t.Error("a series by fortnight was accepted")
	}
	if err := analytics.CheckSeries("day", analytics.MaxPeriods+1); err == nil {
		t.Error("too many periods were accepted")
	}

	var text bytes.Buffer
	if err := analytics.WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"By week, the last 2 weeks (the week holding 2026-01-14 counts whole)\n",
		"\n       week of  joined  left  active  first contributions  members  Regular member\n    2026-01-05       1     0       1                    1        1               1\n",
		"  badges awarded\n       week of  Poster  fan\n    2026-01-05       1    2\n",
		"  segments: members at the end, in and out\n       week of     chatty\n    2026-01-05  1 (+1 -0)\n    2026-01-12  1 (+0 -0)\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text lacks %q:\n%s", want, text.String())
		}
	}
}

func TestCSV(t *testing.T) {
	cfg := loadConfig(t, badgeConfig)
	tallies := simulateTallies(t, cfg, badgeEvents())
	r := analytics.BuildWith(cfg, tallies, time.Time{}, analytics.Options{By: "week"})
	var b bytes.Buffer
	if err := analytics.WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows[0], []string{"section", "period", "name", "value"}) {
		t.Errorf("header = %v", rows[0])
	}
	got := map[string]string{}
	for _, row := range rows[1:] {
		key := strings.Join(row[:3], ",")
		if _, dup := got[key]; dup {
			t.Errorf("two rows for %s", key)
		}
		got[key] = row[3]
	}
	for key, want := range map[string]string{
		"members,2026-01-14,joined":                    "2",
		"tiers,2026-01-14,tier/regular/members":        "1",
		"funnel,2026-01-14,tier/regular/rate":          "0.5",
		"funnel,2026-01-14,first_contribution/members": "2",
		"badges,2026-01-14,badge/fan/holders":          "1",
		"badges,2026-01-14,badge/fan/revoked":          "1",
		"badges,2026-01-14,badge/poster/first_award":   "2026-01-05",
		"by_week,2026-01-05,badge/fan/awarded":         "2",
		"by_week,2026-01-12,active":                    "2",
		"by_week,2026-01-05,segment/chatty/entered":    "1",
		"by_week,2026-01-05,tier/regular/members":      "1",
		"monthly_cohorts,2026-01,size":                 "2",
		"weekly_cohorts,2026-01-05,retained/1":         "1",
		"daily,2026-01-14,active":                      "1",
		"referrals,2026-01,k_factor":                   "",
		"points,2026-01-14,granted":                    "0",
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %q (present %v); want %q", key, v, ok, want)
		}
	}
	// One naming scheme in every section: snake_case segments joined by
	// "/", no spaces, no "kind:name".
	segment := regexp.MustCompile(`^[a-z0-9_]+$`)
	for key := range got {
		name := strings.SplitN(key, ",", 3)[2]
		for _, seg := range strings.Split(name, "/") {
			if !segment.MatchString(seg) {
				t.Errorf("%s: segment %q of the name is not snake_case", key, seg)
			}
		}
	}
}

// An erased member holds no badge any more, counted out once.
func TestForgetBadges(t *testing.T) {
	m := &state.Member{ID: "a", Badges: map[string]*state.BadgeHold{"poster": {Count: 1}, "fan": {Count: 0}}}
	day := state.DayOf(at(1, 20, 0))
	d := state.Tallies{}
	analytics.Forget(d, m, day)
	if got := d[analytics.KeyBadgeHeld+"poster/"+strconv.Itoa(int(day))]; got != -1 || len(d) != 1 {
		t.Errorf("tallies = %v; want poster's holders down one on 2026-01-20", d)
	}
	again := state.Tallies{}
	analytics.Forget(again, m, day)
	if len(again) != 0 {
		t.Errorf("forgetting again counted %v", again)
	}
}
