package analytics_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/state"
)

// A survey asked after each monthly meetup: a member's later answer
// replaces the earlier one overall, and every month keeps its own.
func TestSurveyAnswersKeptByMonth(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	var b strings.Builder
	w := func(member string, month int, attrs string) {
		b.WriteString(line("feedback.submitted", member, at(3, 10, 12).AddDate(0, month, 0), attrs))
	}
	b.WriteString(line("member.joined", "a", at(3, 1, 9), ""))
	b.WriteString(line("member.joined", "b", at(3, 1, 9), ""))
	w("a", 0, `{"survey":"pulse","question":"recommend","score":3}`)
	w("b", 0, `{"survey":"pulse","question":"recommend","score":9}`)
	w("a", 0, `{"survey":"pulse","question":"more_of","choice":"events"}`)
	w("a", 1, `{"survey":"pulse","question":"recommend","score":7}`)
	w("a", 1, `{"survey":"pulse","question":"more_of","choice":"tutorials"}`)
	w("a", 2, `{"survey":"pulse","question":"recommend","score":10}`)
	w("a", 2, `{"survey":"pulse","question":"more_of","choice":"events"}`)
	tallies := simulateTallies(t, cfg, b.String())
	r := analytics.BuildWith(cfg, tallies, at(5, 31, 0), analytics.Options{By: "month"})

	rec, more := r.Surveys[0], r.Surveys[1]
	if want := (analytics.NPS{Promoters: 2, Score: 100}); *rec.NPS != want {
		t.Errorf("overall: %+v; want the latest answers of a and b, %+v", *rec.NPS, want)
	}
	wantMonths := []analytics.NPSGroup{
		{Name: "2026-03", NPS: analytics.NPS{Promoters: 1, Detractors: 1, Score: 0}},
		{Name: "2026-04", NPS: analytics.NPS{Passives: 1, Score: 0}},
		{Name: "2026-05", NPS: analytics.NPS{Promoters: 1, Score: 100}},
	}
	if !reflect.DeepEqual(rec.ByMonth, wantMonths) {
		t.Errorf("by month: %+v; want %+v", rec.ByMonth, wantMonths)
	}
	wantChoices := []analytics.MonthChoices{
		{Month: "2026-03", Responses: 1, Choices: []analytics.ChoiceRate{{Choice: "events", Count: 1, Share: 1}}},
		{Month: "2026-04", Responses: 1, Choices: []analytics.ChoiceRate{{Choice: "tutorials", Count: 1, Share: 1}}},
		{Month: "2026-05", Responses: 1, Choices: []analytics.ChoiceRate{{Choice: "events", Count: 1, Share: 1}}},
	}
	if !reflect.DeepEqual(more.ChoicesByMonth, wantChoices) || more.Responses != 1 {
		t.Errorf("choices by month: %+v (%d answers); want %+v", more.ChoicesByMonth, more.Responses, wantChoices)
	}
	if r.SurveyMonthsFrom != "" {
		t.Errorf("kept since %q; want every month whole", r.SurveyMonthsFrom)
	}
	var txt strings.Builder
	if err := analytics.WriteText(&txt, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"    by month: 2026-03 +0.0 (2), 2026-04 +0.0 (1), 2026-05 +100.0 (1)\n", "    by month: 2026-03 events 1, 2026-04 tutorials 1, 2026-05 events 1\n"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, txt.String())
		}
	}
}

// A member whose answer was counted before months were kept (its month
// key held with the latest answer's): a later month's answer keeps the
// earlier month's, and the report says from when the months are whole.
func TestSurveyMonthsOfAnUpgradedStore(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	tr := analytics.NewTracker(cfg)
	tallies := state.Tallies{}
	joined := at(3, 1, 9)
	m := &state.Member{ID: "a", JoinedAt: joined, LastEventAt: joined}
	tr.Event(tallies, m, &events.Event{ID: "j", Type: "member.joined", Member: events.Member{ID: "a"}, At: joined}, analytics.Kind{})
	march := strconv.Itoa(analytics.MonthOf(state.DayOf(at(3, 10, 12))))
	// As the earlier version counted a 3 in March.
	legacy := []string{"sc/pulse/recommend/3", analytics.KeyNPS + "pulse/recommend/all/d", analytics.KeyNPS + "pulse/recommend/t:-/d", analytics.KeyNPS + "pulse/recommend/mo:" + march + "/d"}
	for _, k := range legacy {
		tallies.Add(k, 1)
	}
	m.Tally.Answers = map[string]*state.Answer{"pulse/recommend": {Score: 3, At: at(3, 10, 12), Keys: legacy}}

	tr.Event(tallies, m, &events.Event{ID: "e", Type: "feedback.submitted", Member: events.Member{ID: "a"}, At: at(4, 10, 12),
		Attrs: map[string]any{"survey": "pulse", "question": "recommend", "score": 10}}, analytics.Kind{})
	r := analytics.Build(cfg, tallies, at(4, 30, 0))
	rec := r.Surveys[0]
	want := []analytics.NPSGroup{
		{Name: "2026-03", NPS: analytics.NPS{Detractors: 1, Score: -100}},
		{Name: "2026-04", NPS: analytics.NPS{Promoters: 1, Score: 100}},
	}
	if !reflect.DeepEqual(rec.ByMonth, want) || rec.Responses != 1 {
		t.Errorf("by month: %+v (%d answers); want March kept, %+v", rec.ByMonth, rec.Responses, want)
	}
	if r.SurveyMonthsFrom != "2026-04" {
		t.Errorf("kept since %q; want 2026-04", r.SurveyMonthsFrom)
	}
	var txt strings.Builder
	if err := analytics.WriteText(&txt, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "  answers by month kept since 2026-04: ") {
		t.Errorf("text does not say since when:\n%s", txt.String())
	}
}
