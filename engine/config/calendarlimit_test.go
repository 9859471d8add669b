package config_test

import (
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
)

// A calendar limit ("5/month") counts in hearth.timezone, UTC unless
// set; a calendar points_cap in UTC, its days being UTC days; and the
// incentives' digest moves with the zone, which moves when a limit
// resets.
func TestCalendarLimitZone(t *testing.T) {
	const incentive = `
incentive "referral" {
  on         = "member.joined"
  limit      = "5/month"
  points_cap = "250/week"
  grant {
    points = 50
  }
}
`
	load := func(src string) *config.Config {
		t.Helper()
		cfg, diags := loadSrc(t, src, testOptions(nil))
		if len(diags) > 0 {
			t.Fatal(describe(diags))
		}
		return cfg
	}
	berlin, diags := loadSrc(t, "hearth {\n  timezone = \"Europe/Berlin\"\n}\n"+incentive, testOptions(nil))
	if diags.HasErrors() || len(diags) != 1 || diags[0].Summary != "points_cap counts UTC weeks" ||
		!strings.Contains(diags[0].Detail, `"250/week" is the UTC week: it starts again at 00:00 UTC, not at midnight in hearth.timezone (Europe/Berlin)`) {
		t.Fatalf("want one warning that points_cap counts UTC weeks:\n%s", describe(diags))
	}
	in := berlin.Incentives[0]
	if in.Limit == nil || in.Limit.Period != durations.PeriodMonth || in.Limit.Count != 5 || in.Limit.Zone.String() != "Europe/Berlin" || in.Limit.String() != "5/month" {
		t.Fatalf("limit = %+v; want 5 per calendar month in Europe/Berlin", in.Limit)
	}
	if in.PointsCap == nil || in.PointsCap.Period != durations.PeriodWeek || in.PointsCap.Zone.String() != "UTC" {
		t.Fatalf("points_cap = %+v; want 250 per UTC week", in.PointsCap)
	}
	utc := load(incentive) // no warning in UTC: load fails on any diagnostic
	if z := utc.Incentives[0].Limit.Zone.String(); z != "UTC" {
		t.Errorf("limit zone with no hearth.timezone = %s; want UTC", z)
	}
	if changed, _, _ := config.DigestIncentives(berlin).IncentiveChanges(config.DigestIncentives(utc)); len(changed) != 1 {
		t.Errorf("a new hearth.timezone changes no calendar limit's digest: %v", changed)
	}
}
