package analytics_test

import (
	"bytes"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/analytics"
)

const campaignConfig = `
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
}
campaign "welcome" {
  community         = community.c
  enter_on          = "member.joined"
  exit_when         = "member.messages > 0"
  conversion_window = "7d"
  step "wait" {
    wait = "1d"
  }
}
`

// campaignEvents: 2026-01-05 and 2026-01-12 are Mondays. a posts during
// her run (goal), b after it finished, within the window (converted), c
// after the window (finished), d joins the next week and posts during
// her run; e joins last and is still running.
func campaignEvents() string {
	var b strings.Builder
	w := func(typ, member string, t time.Time) { b.WriteString(line(typ, member, t, "")) }
	w("member.joined", "a", at(1, 5, 9))
	w("member.joined", "b", at(1, 5, 9))
	w("member.joined", "c", at(1, 5, 9))
	w("message.posted", "a", at(1, 5, 10)) // goal, during the run
	w("message.posted", "b", at(1, 8, 10)) // converted: finished on the 6th, within 7d
	w("member.joined", "d", at(1, 13, 9))
	w("message.posted", "d", at(1, 13, 10)) // goal
	w("message.posted", "c", at(1, 13, 11)) // past c's window: still finished
	w("member.joined", "e", at(1, 14, 9))
	return b.String()
}

func TestCampaignsInTheReport(t *testing.T) {
	cfg := loadConfig(t, campaignConfig)
	stream := campaignEvents()
	// Sent twice: duplicates change nothing.
	tallies := simulateTallies(t, cfg, stream+stream)
	r := analytics.BuildWith(cfg, tallies, at(1, 14, 12), analytics.Options{By: "week"})
	if len(r.Campaigns) != 1 || r.CampaignsFrom != "" {
		t.Fatalf("campaigns %+v, counted from %q", r.Campaigns, r.CampaignsFrom)
	}
	c := r.Campaigns[0]
	if c.Name != "welcome" || c.Entered != 5 || c.Ended != 4 || c.Goal != 3 || c.Converted != 1 || c.GoalRate == nil || *c.GoalRate != 0.75 {
		t.Errorf("welcome: %+v", c)
	}
	// Per week: a, b, c entered in the first (a's goal, b's conversion),
	// d and e in the second (d's goal).
	s := r.Series
	if s == nil || len(s.Periods) != 2 {
		t.Fatalf("series %+v", s)
	}
	want := []analytics.CampaignPeriod{{Name: "welcome", Entered: 3, Goal: 2, Converted: 1}, {Name: "welcome", Entered: 2, Goal: 1}}
	for i, p := range s.Periods {
		if len(p.Campaigns) != 1 || p.Campaigns[0] != want[i] {
			t.Errorf("week %s: %+v; want %+v", p.Start, p.Campaigns, want[i])
		}
	}
	// As of the 7th: a's goal, and b not yet converted.
	if e := analytics.Build(cfg, tallies, at(1, 7, 12)).Campaigns[0]; e.Entered != 3 || e.Ended != 3 || e.Goal != 1 || e.Converted != 0 {
		t.Errorf("as of 2026-01-07: %+v", e)
	}

	var txt, csv bytes.Buffer
	if err := analytics.WriteText(&txt, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Campaigns (runs)\n", "welcome        5      4     3          1      75.0%", "campaigns: runs entered, at the goal (of them converted)", "2026-01-05  3 2 (1)"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, txt.String())
		}
	}
	if err := analytics.WriteCSV(&csv, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"campaigns,2026-01-14,campaign/welcome/entered,5\n", "campaigns,2026-01-14,campaign/welcome/goal,3\n", "campaigns,2026-01-14,campaign/welcome/converted,1\n",
		"campaigns,2026-01-14,campaign/welcome/goal_rate,0.75\n", "by_week,2026-01-05,campaign/welcome/converted,1\n", "by_week,2026-01-12,campaign/welcome/entered,2\n"} {
		if !strings.Contains(csv.String(), want) {
			t.Errorf("CSV lacks %q:\n%s", want, csv.String())
		}
	}

	// A store upgraded from before campaigns were counted (no marks): the
	// report says from when, as for badges.
	old := maps.Clone(tallies)
	maps.DeleteFunc(old, func(k string, _ int64) bool { return strings.HasPrefix(k, "c/since/") })
	if r := analytics.Build(cfg, old, time.Time{}); r.CampaignsFrom != "2026-01-15" || r.BadgesFrom != "" {
		t.Errorf("counted from %q (badges %q); want 2026-01-15, the day after the latest", r.CampaignsFrom, r.BadgesFrom)
	}
}

// A campaign without exit_when has no goal: the report says "no goal"
// and gives no rate, where a rate of 0% would read as a failing goal.
func TestCampaignWithoutGoalHasNoRate(t *testing.T) {
	noGoal := strings.NewReplacer(`  exit_when         = "member.messages > 0"
`, "", `  conversion_window = "7d"
`, "").Replace(campaignConfig)
	cfg := loadConfig(t, noGoal)
	r := analytics.BuildWith(cfg, simulateTallies(t, cfg, campaignEvents()), at(1, 14, 12), analytics.Options{By: "week"})
	c := r.Campaigns[0]
	if !c.NoGoal || c.GoalRate != nil || c.Ended != 4 {
		t.Fatalf("welcome: %+v; want no goal, no rate, 4 ended", c)
	}
	var txt, csv, js bytes.Buffer
	if err := analytics.WriteText(&txt, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "welcome        5      4     0          0    no goal") {
		t.Errorf("text: want \"no goal\" for the rate:\n%s", txt.String())
	}
	if err := analytics.WriteCSV(&csv, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(csv.String(), "goal_rate") {
		t.Errorf("CSV has a goal rate:\n%s", csv.String())
	}
	if err := analytics.WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"no_goal": true`) || strings.Contains(js.String(), "goal_rate") {
		t.Errorf("JSON: want no_goal and no goal_rate:\n%s", js.String())
	}
}
