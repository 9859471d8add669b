package analytics_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

const healthConfig = `
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
}
event "reward.redeemed" {
  attributes = { reward = "string" }
}
incentive "post" {
  on = "message.posted"
  grant {
    points = 10
  }
}
incentive "redeem" {
  on = "reward.redeemed"
  grant {
    points = -15
  }
}
tier "regular" {
  rank = 1
  when = "member.points >= 20"
}
tier "core" {
  rank = 2
  when = "member.points >= 50"
}
badge "welcome" {
  title = "Welcome"
}
incentive "welcome" {
  on   = "member.joined"
  once = true
  grant {
    badge = badge.welcome
  }
}
segment "engaged" {
  when = "member.messages >= 2"
}
campaign "first_post" {
  community         = community.c
  enter_on          = "member.joined"
  exit_when         = "member.messages > 0"
  conversion_window = "8d"
  # Finished at once: a goal reached within the window converts. (No
  # wait: TestSQLiteMatchesMemory applies the events alone, running no
  # timer past the last.)
  step "done" {
    goto = "exit"
  }
}
survey "pulse" {
  question "recommend" {
    text  = { en = "Would you recommend us?" }
    score = true
  }
  question "more_of" {
    text    = { en = "More of what?" }
    choices = ["events", "tutorials"]
  }
}
`

func loadConfig(t testing.TB, src string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatalf("config: %s", diags.Error())
	}
	return cfg
}

// at is a time in 2026: month, day, hour.
func at(month time.Month, day, hour int) time.Time {
	return time.Date(2026, month, day, hour, 0, 0, 0, time.UTC)
}

var n int

func line(typ, member string, t time.Time, attrs string) string {
	n++
	if attrs == "" {
		attrs = "{}"
	}
	return fmt.Sprintf(`{"id":"e%d","type":%q,"member":%q,"at":%q,"attrs":%s}`, n, typ, member, t.Format(time.RFC3339), attrs) + "\n"
}

// healthEvents is a small community whose figures are worked out by hand
// in TestReportByHand. 2026-01-05 and 2026-02-02 are Mondays.
func healthEvents() string {
	n = 0
	var b strings.Builder
	w := func(typ, member string, t time.Time, attrs string) { b.WriteString(line(typ, member, t, attrs)) }
	w("member.joined", "a", at(1, 5, 9), "")
	w("message.posted", "a", at(1, 5, 10), "")
	w("message.posted", "a", at(1, 6, 10), "")
	w("invite.sent", "a", at(1, 6, 11), `{"to":"b@example.org"}`)
	w("invite.sent", "a", at(1, 6, 12), `{"to":"x@example.org"}`)
	w("member.joined", "b", at(1, 7, 9), `{"referrer":"a"}`)
	w("member.joined", "c", at(1, 12, 9), "")
	w("message.posted", "a", at(1, 13, 10), "")
	w("feedback.submitted", "c", at(1, 13, 11), `{"survey":"pulse","question":"recommend","score":3}`)
	w("message.posted", "b", at(1, 14, 10), "")
	// A survey reply in chat: a message, and two answers.
	w("message.posted", "b", at(1, 15, 10), `{"text":"pulse recommend 6 more_of=events"}`)
	w("member.left", "c", at(1, 20, 9), "")
	w("feedback.submitted", "a", at(2, 1, 10), `{"survey":"pulse","question":"recommend","score":9}`)
	w("feedback.submitted", "a", at(2, 1, 11), `{"survey":"pulse","question":"more_of","choice":"tutorials"}`)
	w("message.posted", "a", at(2, 2, 10), "")
	// a answers again: the later answer replaces the first.
	w("feedback.submitted", "a", at(2, 2, 12), `{"survey":"pulse","question":"recommend","score":10}`)
	// Answers that do not fit the survey are not counted.
	w("feedback.submitted", "a", at(2, 2, 13), `{"survey":"pulse","question":"recommend","score":11}`)
	w("feedback.submitted", "a", at(2, 2, 14), `{"survey":"nope","question":"recommend","score":5}`)
	w("member.joined", "d", at(2, 3, 9), "")
	for h := 10; h < 14; h++ {
		w("message.posted", "d", at(2, 3, h), "")
	}
	w("reward.redeemed", "a", at(2, 3, 15), `{"reward":"mug"}`)
	w("purchase.made", "d", at(2, 3, 16), `{"amount":12.5,"currency":"EUR"}`)
	w("invite.sent", "d", at(2, 3, 17), "")
	w("member.joined", "e", at(2, 4, 9), `{"referrer":"d"}`)
	w("purchase.made", "d", at(2, 4, 9), `{"amount":7.5,"currency":"EUR"}`)
	w("message.posted", "d", at(2, 4, 10), "")
	w("feedback.submitted", "d", at(2, 4, 12), `{"survey":"pulse","question":"recommend","score":7}`)
	// A late, older answer of a's changes nothing overall (her February
	// answer is later) and is her January answer by month.
	w("feedback.submitted", "a", at(1, 30, 12), `{"survey":"pulse","question":"recommend","score":0}`)
	return b.String()
}

func simulateTallies(t *testing.T, cfg *config.Config, stream string) state.Tallies {
	t.Helper()
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(stream), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tl, err := sum.Store.(state.TallyReader).Tallies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

func TestReportByHand(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	stream := healthEvents()
	// Sent twice: duplicates change nothing.
	tallies := simulateTallies(t, cfg, stream+stream)
	r := analytics.Build(cfg, tallies, time.Time{})

	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v; want %v", what, got, want)
		}
	}
	check("schema", r.Schema, "hearth.report/v1")
	check("as of", r.AsOf, "2026-02-04")
	// a, b, c, d, e joined; c left.
	check("members", r.Members, analytics.Members{Joined: 5, Left: 1, Current: 4})
	// Last active: a Feb 2, b Jan 15, d Feb 4; c and e never.
	// 1 day: d; 7 days (Jan 29-Feb 4): a, d; 30 days (Jan 6-Feb 4): a, b, d.
	// The shares are of the members there in the window: c left on
	// Jan 20, inside the 30 days, so the 30-day base is 5.
	check("active", r.Active, analytics.Active{D1: 1, D7: 2, D30: 3, Of1: 4, Of7: 4, Of30: 5, Ratio1: 0.25, Ratio7: 0.5, Ratio30: 0.6})

	// Active counts are exact on any day, not only the latest: as of
	// January 15 a (13th) and b (14th, 15th) were active in the week, b
	// that day; a, b and c were members.
	jan15 := analytics.Build(cfg, tallies, at(1, 15, 0))
	check("active on Jan 15", jan15.Active, analytics.Active{D1: 1, D7: 2, D30: 2, Of1: 3, Of7: 3, Of30: 3, Ratio1: 0.3333, Ratio7: 0.6667, Ratio30: 0.6667})
	check("members on Jan 15", jan15.Members, analytics.Members{Joined: 3, Current: 3})
	// The daily series: a rolling count per day. On Feb 4: 7 days a and
	// d, 30 days a, b and d. In the 7 days to Jan 19: a (13th) and b
	// (14th, 15th); to Jan 20 and 21 only b; to Jan 22 nobody.
	feb4 := r.Daily[len(r.Daily)-1]
	check("Feb 4", feb4, analytics.DayPoint{Date: "2026-02-04", Active: 1, Active7: 2, Active30: 3, Joined: 1})
	want7 := map[string]int64{"2026-01-19": 2, "2026-01-20": 1, "2026-01-21": 1, "2026-01-22": 0}
	for _, p := range r.Daily {
		if n, ok := want7[p.Date]; ok && p.Active7 != n {
			t.Errorf("%s: %d active in 7 days; want %d", p.Date, p.Active7, n)
		}
	}

	weekly := map[string]analytics.Cohort{}
	for _, c := range r.Weekly {
		weekly[c.Start] = c
	}
	// Week of Jan 5: a and b. Active in it: a; the next week: a (13th)
	// and b (14th); weeks 2 and 3 nobody; week 4 (Feb 2): a.
	check("week 2026-01-05", weekly["2026-01-05"].Retained, []int64{1, 2, 0, 0, 1})
	check("week 2026-01-05 size", weekly["2026-01-05"].Size, int64(2))
	check("week 2026-01-05 rates", weekly["2026-01-05"].Rate, []float64{0.5, 1, 0, 0, 0.5})
	check("week 2026-01-12", weekly["2026-01-12"].Retained, []int64{0, 0, 0, 0})
	check("week 2026-02-02", weekly["2026-02-02"].Retained, []int64{1})
	check("week 2026-02-02 size", weekly["2026-02-02"].Size, int64(2))
	// Of the last 12 weeks, those over before the first event (a joined
	// on Jan 5) are left out: five from the week of Jan 5.
	check("weeks shown", len(r.Weekly), 5)
	check("first week", r.Weekly[0].Start, "2026-01-05")
	monthly := map[string]analytics.Cohort{}
	for _, c := range r.Monthly {
		monthly[c.Start] = c
	}
	// January: a, b, c; active in January a and b, in February a.
	check("month 2026-01", monthly["2026-01-01"], analytics.Cohort{Start: "2026-01-01", Size: 3, Retained: []int64{2, 1}, Rate: []float64{0.6667, 0.3333}})
	check("month 2026-02", monthly["2026-02-01"], analytics.Cohort{Start: "2026-02-01", Size: 2, Retained: []int64{1}, Rate: []float64{0.5}})
	check("months shown", len(r.Monthly), 2)
	check("first day shown", r.Daily[0].Date, "2026-01-05")
	check("months of referrals, points and revenue", []int{len(r.Referrals.Monthly), len(r.Points.Monthly), len(r.Revenue.Monthly), len(r.Revenue.Cohorts)}, []int{2, 2, 2, 2})

	// Contributions: a, b, d. Regular (20 points): a, b, d. Core (50): d.
	check("funnel", r.Funnel, []analytics.Stage{
		{Name: "joined", Members: 5, Rate: 1, Step: 1},
		{Name: "first contribution", Members: 3, Rate: 0.6, Step: 0.6},
		{Name: "tier regular", Title: "regular", Members: 3, Rate: 0.6, Step: 1},
		{Name: "tier core", Title: "core", Members: 1, Rate: 0.2, Step: 0.3333},
	})
	check("tiers", r.Tiers, []analytics.TierCount{{Name: "regular", Title: "regular", Rank: 1, Members: 2}, {Name: "core", Title: "core", Rank: 2, Members: 1}})
	check("nothing as it stands on the latest day", r.NotAsOf, []string{})
	// The funnel and the tiers are as of the report's day too, the
	// funnel's shares of the members who had joined by then. On January
	// 15: a, b and c had joined; a and b had posted, and had 20 points
	// (a on the 6th, b that day).
	check("funnel on Jan 15", jan15.Funnel, []analytics.Stage{
		{Name: "joined", Members: 3, Rate: 1, Step: 1},
		{Name: "first contribution", Members: 2, Rate: 0.6667, Step: 0.6667},
		{Name: "tier regular", Title: "regular", Members: 2, Rate: 0.6667, Step: 1},
		{Name: "tier core", Title: "core", Members: 0, Rate: 0, Step: 0},
	})
	check("tiers on Jan 15", jan15.Tiers, []analytics.TierCount{{Name: "regular", Title: "regular", Rank: 1, Members: 2}, {Name: "core", Title: "core", Rank: 2, Members: 0}})
	// On February 3 d had 40 points (regular) and reached core on the
	// 4th: the members on each tier are counted by day, both ways.
	feb3 := analytics.Build(cfg, tallies, at(2, 3, 0))
	check("tiers on Feb 3", feb3.Tiers, []analytics.TierCount{{Name: "regular", Title: "regular", Rank: 1, Members: 3}, {Name: "core", Title: "core", Rank: 2, Members: 0}})
	check("funnel on Feb 3", feb3.Funnel[3].Members, int64(0))
	// What is kept only as it stands is named: the survey answers (a
	// later one replaces the one before) and the paying members by
	// cohort, d's payments being in February.
	check("as it stands on Jan 15", jan15.NotAsOf, []string{"surveys", "revenue.payers", "revenue.cohorts"})
	check("latest", jan15.Latest, "2026-02-04")

	// Invites: a 2, d 1. Referred joins: b, e. K = 2 referred / 3 organic.
	ref := r.Referrals
	check("referrals", []any{ref.Invites, ref.Conversions, ref.ConvRate, ref.KFactor}, []any{int64(3), int64(1 + 1), 0.6667, 0.6667})
	last := ref.Monthly[len(ref.Monthly)-2:]
	// January starts with nobody; February with a and b (c left).
	check("referrals by month", last, []analytics.RefMonth{
		{Month: "2026-01", Base: 0, Invites: 2, Conversions: 1, ReferredJoins: 1, KFactor: nil}, // no base: no K
		{Month: "2026-02", Base: 2, Invites: 1, Conversions: 1, ReferredJoins: 1, KFactor: ptr(0.5)},
	})

	// Points: January a 30, b 20; February a 10, d 50; a spent 15.
	check("points", []int64{r.Points.Granted, r.Points.Deducted, r.Points.Spent, r.Points.Expired, r.Points.Outstanding}, []int64{110, 15, 15, 0, 95})
	pm := r.Points.Monthly[len(r.Points.Monthly)-2:]
	check("points by month", pm, []analytics.PointsMonth{{Month: "2026-01", Granted: 50, Outstanding: 50}, {Month: "2026-02", Granted: 60, Deducted: 15, Spent: 15, Outstanding: 95}})

	// A series by month longer than a year has the points of every month
	// it asks for: as of June 2027, 40 months reach back to January
	// 2026 (the months before the first event left out), where 12 stop
	// at July 2026. Each month of the series has them too.
	later := analytics.BuildWith(cfg, tallies, time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC), analytics.Options{By: "month", Periods: 40})
	lp := later.Points.Monthly
	check("points months over 40 periods", []string{lp[0].Month, lp[len(lp)-1].Month, fmt.Sprint(len(lp))}, []string{"2026-01", "2027-06", "18"})
	check("January 2026's points", lp[0], analytics.PointsMonth{Month: "2026-01", Granted: 50, Outstanding: 50})
	check("June 2027's outstanding", lp[len(lp)-1].Outstanding, int64(95))
	if n := len(analytics.BuildWith(cfg, tallies, time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC), analytics.Options{}).Points.Monthly); n != 12 {
		t.Errorf("points months without a series = %d; want 12", n)
	}
	var febSeries *analytics.PointsMonth
	for _, per := range later.Series.Periods {
		if per.Start == "2026-02-01" {
			febSeries = per.Points
		}
	}
	check("February 2026 in the series", febSeries, &analytics.PointsMonth{Month: "2026-02", Granted: 60, Deducted: 15, Spent: 15, Outstanding: 95})

	// Revenue: d paid 12.50 and 7.50; five members, one payer.
	check("revenue", []float64{r.Revenue.Total, float64(r.Revenue.Payers), r.Revenue.LTV, r.Revenue.ARPPU}, []float64{20, 1, 4, 20})
	rc := r.Revenue.Cohorts[len(r.Revenue.Cohorts)-1]
	check("february cohort value", rc, analytics.RevenueCohort{Month: "2026-02", Members: 2, Payers: 1, Revenue: 20, LTV: 10})

	// Latest answers: a 10 (regular, engaged, Feb), b 6 (regular,
	// engaged, Jan), c 3 (no tier, Jan), d 7 (core, engaged, Feb).
	// NPS = (1 promoter - 2 detractors) / 4 = -25.
	if len(r.Surveys) != 2 {
		t.Fatalf("surveys: %+v", r.Surveys)
	}
	rec := r.Surveys[0]
	check("question", rec.Question, "recommend")
	check("nps", *rec.NPS, analytics.NPS{Promoters: 1, Passives: 1, Detractors: 2, Score: -25})
	check("scores", rec.Scores, []int64{0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1})
	check("nps by tier", rec.ByTier, []analytics.NPSGroup{
		{Name: "(no tier)", NPS: analytics.NPS{Detractors: 1, Score: -100}},
		{Name: "core", NPS: analytics.NPS{Passives: 1, Score: 0}},
		{Name: "regular", NPS: analytics.NPS{Promoters: 1, Detractors: 1, Score: 0}},
	})
	check("nps by segment", rec.BySegment, []analytics.NPSGroup{{Name: "engaged", NPS: analytics.NPS{Promoters: 1, Passives: 1, Detractors: 1, Score: 0}}})
	// By month, each member's latest answer of the month: b and c in
	// January, with a's late 0; a's 10 and d in February.
	check("nps by month", rec.ByMonth, []analytics.NPSGroup{
		{Name: "2026-01", NPS: analytics.NPS{Detractors: 3, Score: -100}},
		{Name: "2026-02", NPS: analytics.NPS{Promoters: 1, Passives: 1, Score: 50}},
	})
	more := r.Surveys[1]
	check("choices", more.Choices, []analytics.ChoiceRate{{Choice: "events", Count: 1, Share: 0.5}, {Choice: "tutorials", Count: 1, Share: 0.5}})
}

// The CSV and JSON reports leave out the periods over before the
// store's first event (a joined on 2026-01-05), as the text report does:
// no cohort of size 0 and rate 0 from the months before, no day of
// zeros; the report's own day dates the figures as of it.
func TestNothingBeforeTheFirstEvent(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	tallies := simulateTallies(t, cfg, healthEvents())
	r := analytics.BuildWith(cfg, tallies, time.Time{}, analytics.Options{By: "day", Periods: 60})
	var b bytes.Buffer
	if err := analytics.WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	periods := map[string]bool{}
	for _, row := range rows[1:] {
		period := row[1]
		if len(period) == 7 && period < "2026-01" || len(period) == 10 && period < "2026-01-05" {
			t.Errorf("row before the first event: %v", row)
		}
		periods[row[0]+" "+period] = true
	}
	for _, want := range []string{"daily 2026-01-05", "weekly_cohorts 2026-01-05", "monthly_cohorts 2026-01", "referrals 2026-01", "points 2026-01", "by_day 2026-01-05"} {
		if !periods[want] {
			t.Errorf("no %s rows", want)
		}
	}
	b.Reset()
	if err := analytics.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Daily   []analytics.DayPoint `json:"daily"`
		Monthly []analytics.Cohort   `json:"monthly_cohorts"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Monthly) != 2 || doc.Monthly[0].Start != "2026-01-01" || doc.Daily[0].Date != "2026-01-05" {
		t.Errorf("JSON monthly cohorts %+v, first day %+v; want from January, from 2026-01-05", doc.Monthly, doc.Daily[0])
	}
}

// TestSQLiteMatchesMemory applies the same events to the durable store,
// one batch per event, reopening it halfway: the tallies are the same.
func TestSQLiteMatchesMemory(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	stream := healthEvents()
	want := simulateTallies(t, cfg, stream)

	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	rd := events.NewReader(strings.NewReader(stream))
	var evs []events.Event
	for {
		ev, err := rd.Next()
		if err != nil {
			break
		}
		evs = append(evs, ev)
	}
	apply := func(evs []events.Event) state.Tallies {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		rt := runtime.New(cfg, nil)
		for i := range evs {
			b, err := s.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rt.Apply(ctx, b, &evs[i]); err != nil {
				t.Fatal(err)
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Tallies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	apply(evs[:len(evs)/2])
	got := apply(evs) // the first half again: duplicates
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SQLite tallies differ from memory:\n got %v\nwant %v", got, want)
	}
}

// TestLateJoin: a member.joined that arrives after the member's first
// events moves what was counted to the real join week.
func TestLateJoin(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	n = 0
	stream := line("message.posted", "z", at(1, 20, 10), "") +
		line("member.joined", "z", at(1, 6, 9), `{"referrer":"y"}`) +
		line("message.posted", "z", at(1, 21, 10), "")
	r := analytics.Build(cfg, simulateTallies(t, cfg, stream), time.Time{})
	weekly := map[string]analytics.Cohort{}
	for _, c := range r.Weekly {
		weekly[c.Start] = c
	}
	// Joined in the week of Jan 5, active only in the week of Jan 19.
	if c := weekly["2026-01-05"]; c.Size != 1 || !reflect.DeepEqual(c.Retained, []int64{0, 0, 1}) {
		t.Errorf("week of Jan 5: %+v", c)
	}
	if c := weekly["2026-01-19"]; c.Size != 0 || len(c.Retained) != 1 || c.Retained[0] != 0 {
		t.Errorf("week of Jan 19 (where the first event was): %+v", c)
	}
	if r.Members.Joined != 1 || r.Referrals.Conversions != 1 {
		t.Errorf("members %+v, referred %d", r.Members, r.Referrals.Conversions)
	}
	for _, d := range r.Daily {
		if d.Joined != 0 && d.Date != "2026-01-06" {
			t.Errorf("a join counted on %s", d.Date)
		}
	}
}

// TestReferralFigures: activated referees count each referred member who
// converted once, never the referrer themselves nor an event naming no
// one; a member joining again through another link while still a member
// is no referred join, and one back after leaving keeps their referrer.
func TestReferralFigures(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	n = 0
	stream := line("member.joined", "a", at(1, 5, 9), "") +
		line("member.joined", "b", at(1, 6, 9), `{"referrer":"a"}`) +
		line("member.joined", "c", at(1, 6, 10), "") +
		// c, already a member, through a's link: no referred join.
		line("member.joined", "c", at(1, 6, 11), `{"referrer":"a"}`) +
		// b again through c's link: a stays b's referrer.
		line("member.joined", "b", at(1, 6, 12), `{"referrer":"c"}`) +
		line("member.left", "b", at(1, 7, 9), "") +
		line("member.joined", "b", at(1, 8, 9), `{"referrer":"c"}`)
	for h := 10; h < 15; h++ { // b converting five times counts once
		stream += line("referral.converted", "a", at(1, 9, h), `{"referee":"b"}`)
	}
	stream += line("referral.converted", "a", at(1, 9, 16), `{"referee":"a"}`) + // a self-referral
		line("referral.converted", "a", at(1, 9, 17), `{}`) + // naming no one
		line("referral.converted", "c", at(1, 10, 9), `{"referee":"d"}`)
	r := analytics.Build(cfg, simulateTallies(t, cfg, stream), time.Time{})
	ref := r.Referrals
	if ref.Conversions != 1 || ref.ReferredJoins != 1 {
		t.Errorf("referred joins %d (referred_joins %d), want 1: b alone", ref.Conversions, ref.ReferredJoins)
	}
	if ref.Activated != 2 || ref.ActivatedReferees != 2 {
		t.Errorf("activated %d (activated_referees %d), want 2: b for a, d for c", ref.Activated, ref.ActivatedReferees)
	}
	js, err := json.Marshal(ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"conversions":1`, `"referred_joins":1`, `"activated":2`, `"activated_referees":2`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("report JSON lacks %s: %s", want, js)
		}
	}
}

// TestRevenueFromTypesThatCarryAmounts: lifetime value counts the amount
// of events whose type declares one (purchase.made, a declared custom
// type) or is not declared at all; a declared type without an amount
// attribute does not become revenue because an event of it has one.
func TestRevenueFromTypesThatCarryAmounts(t *testing.T) {
	cfg := loadConfig(t, healthConfig+`
event "donation.made" {
  attributes = {
    amount = "float"
  }
}
`)
	var b strings.Builder
	w := func(typ, member string, t time.Time, attrs string) { b.WriteString(line(typ, member, t, attrs)) }
	for _, m := range []string{"a", "b", "c", "d"} {
		w("member.joined", m, at(3, 1, 9), "")
	}
	w("purchase.made", "a", at(3, 2, 9), `{"amount":10}`)
	w("donation.made", "b", at(3, 2, 10), `{"amount":5}`)
	w("tip.sent", "c", at(3, 2, 11), `{"amount":2.5}`)      // undeclared type
	w("message.posted", "d", at(3, 2, 12), `{"amount":99}`) // declared, no amount
	r := analytics.Build(cfg, simulateTallies(t, cfg, b.String()), time.Time{})
	if r.Revenue.Total != 17.5 || r.Revenue.Payers != 3 {
		t.Errorf("revenue %v from %d payers; want 17.5 from 3 (a, b, c)", r.Revenue.Total, r.Revenue.Payers)
	}
}

// TestFunnelOfAnOlderStore: a store written before the funnel and the
// tiers were counted by day has them only as they stand; a report of an
// earlier day gives them so and says so, rather than mix the day's
// members with today's funnel.
func TestFunnelOfAnOlderStore(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	tallies := simulateTallies(t, cfg, healthEvents())
	// Counting by day began on February 1: the keys of the days before
	// are missing, as in a store upgraded then.
	for k := range tallies {
		for _, prefix := range []string{"f/cday/", "f/rday/", "t/day/"} {
			if rest, ok := strings.CutPrefix(k, prefix); ok {
				day := rest[strings.LastIndexByte(rest, '/')+1:]
				if d, err := strconv.Atoi(day); err == nil && state.Day(d) < state.DayOf(at(2, 1, 0)) {
					delete(tallies, k)
				}
			}
		}
	}
	now := analytics.Build(cfg, tallies, time.Time{})
	jan15 := analytics.Build(cfg, tallies, at(1, 15, 0))
	if !reflect.DeepEqual(jan15.Funnel, now.Funnel) || !reflect.DeepEqual(jan15.Tiers, now.Tiers) {
		t.Errorf("the funnel and tiers of Jan 15 should be as they stand:\n%+v %+v\nwant\n%+v %+v", jan15.Funnel, jan15.Tiers, now.Funnel, now.Tiers)
	}
	if jan15.Funnel[0].Members != 5 {
		t.Errorf("the funnel's first step counts every join, as its other steps do: %+v", jan15.Funnel[0])
	}
	if want := []string{"funnel", "tiers", "surveys", "revenue.payers", "revenue.cohorts"}; !reflect.DeepEqual(jan15.NotAsOf, want) {
		t.Errorf("not as of Jan 15: %q; want %q", jan15.NotAsOf, want)
	}
	if len(now.NotAsOf) != 0 {
		t.Errorf("a report of the latest day is as of it: %q", now.NotAsOf)
	}
	var text, page bytes.Buffer
	if err := analytics.WriteText(&text, jan15); err != nil {
		t.Fatal(err)
	}
	if err := analytics.WriteHTML(&page, jan15); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Funnel\n  as it stands on 2026-02-04, the latest day, not on 2026-01-15",
		"on each tier on 2026-02-04, the latest day (not on 2026-01-15",
		"Surveys\n  the answers as they stand on 2026-02-04",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text: want %q in\n%s", want, text.String())
		}
	}
	for _, want := range []string{"The funnel is as it stands on 2026-02-04", "On each tier on 2026-02-04, the latest day", "These are the answers as they stand on 2026-02-04"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("html: want %q", want)
		}
	}
	// With the days kept from the start, the same report is as of its day.
	full := analytics.Build(cfg, simulateTallies(t, cfg, healthEvents()), at(1, 15, 0))
	text.Reset()
	if err := analytics.WriteText(&text, full); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "on each tier on 2026-01-15: regular 2, core 0") || strings.Contains(text.String(), "as it stands on") {
		t.Errorf("a report of Jan 15 from a store with every day:\n%s", text.String())
	}
}

func ptr[T any](v T) *T { return &v }

// TestTiersByDay: the members on each tier are counted by day as they
// move: onto a tier, off it when they leave, back on it when they come
// back, so a report of any day has the members on it then.
func TestTiersByDay(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	n = 0
	stream := line("member.joined", "x", at(1, 1, 9), "") +
		line("message.posted", "x", at(1, 2, 10), "") +
		line("message.posted", "x", at(1, 3, 10), "") + // 20 points: regular
		line("member.left", "x", at(1, 10, 9), "") +
		line("member.joined", "x", at(1, 20, 9), "") +
		line("message.posted", "x", at(1, 21, 10), "")
	tallies := simulateTallies(t, cfg, stream)
	for _, c := range []struct {
		day     time.Time
		members int64
		reached int64
	}{{at(1, 2, 0), 0, 0}, {at(1, 5, 0), 1, 1}, {at(1, 12, 0), 0, 1}, {at(1, 20, 0), 1, 1}, {at(1, 21, 0), 1, 1}} {
		r := analytics.Build(cfg, tallies, c.day)
		if got := r.Tiers[0].Members; got != c.members {
			t.Errorf("%s: %d on regular; want %d", r.AsOf, got, c.members)
		}
		if got := r.Funnel[2].Members; got != c.reached {
			t.Errorf("%s: %d reached regular; want %d", r.AsOf, got, c.reached)
		}
		if len(r.NotAsOf) != 0 {
			t.Errorf("%s: not as of the day: %q", r.AsOf, r.NotAsOf)
		}
	}
}
