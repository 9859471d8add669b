package runtime_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
)

const calendarIncentives = `
hearth {
  timezone = "Europe/Berlin"
}
event "visit" {}
event "login" {}
event "answer" {}
incentive "monthly" {
  on    = "checkin"
  limit = "2/month"
  grant { points = 1 }
}
incentive "weekly" {
  on    = "visit"
  limit = "1/week"
  grant { points = 1 }
}
incentive "daily" {
  on    = "login"
  limit = "1/day"
  grant { points = 1 }
}
incentive "capped" {
  on         = "answer"
  points_cap = "6/month"
  grant { points = 5 }
}
`

// at is an event line of type typ for member u at the RFC 3339 time ts.
func at(id, typ, ts string) string {
	return fmt.Sprintf(`{"id":%q,"type":%q,"member":"u","at":%q,"attrs":{}}`, id, typ, ts) + "\n"
}

// A calendar limit counts the grants since its period started at
// midnight in hearth.timezone: 23:59:59 on the last day is in the period,
// 00:00 on the first of the next starts a new one, across a change of
// summer time too, and weeks start on Monday.
func TestCalendarLimitBoundaries(t *testing.T) {
	cfg := load(t, calendarIncentives)
	for _, tc := range []struct {
		name, incentive string
		stream          []string
		want            int
	}{
		{"month", "monthly", []string{
			at("a", "checkin", "2026-11-03T10:00:00+01:00"), at("b", "checkin", "2026-11-15T10:00:00+01:00"),
			at("c", "checkin", "2026-11-30T23:59:59+01:00"), // refused: 2 this month
			at("d", "checkin", "2026-12-01T00:00:00+01:00"), // November 30 in UTC, December in Berlin
		}, 3},
		// October starts in summer time (+02:00) and ends in winter time.
		{"month across the end of summer time", "monthly", []string{
			at("a", "checkin", "2026-10-01T00:00:00+02:00"), // 2026-09-30 22:00 UTC: October already
			at("b", "checkin", "2026-10-25T12:00:00+01:00"),
			at("c", "checkin", "2026-10-31T23:59:59+01:00"), // refused
			at("d", "checkin", "2026-11-01T00:00:00+01:00"),
		}, 3},
		{"month before its start", "monthly", []string{
			at("a", "checkin", "2026-09-30T23:59:59+02:00"), at("b", "checkin", "2026-09-30T23:00:00+02:00"),
			at("c", "checkin", "2026-10-01T00:00:00+02:00"), at("d", "checkin", "2026-10-01T00:00:01+02:00"),
			at("e", "checkin", "2026-10-02T00:00:00+02:00"), // refused
		}, 4},
		// 2026-10-19 is a Monday; the week holds the change.
		{"week", "weekly", []string{
			at("a", "visit", "2026-10-19T00:00:00+02:00"),
			at("b", "visit", "2026-10-25T23:59:59+01:00"), // Sunday: refused
			at("c", "visit", "2026-10-26T00:00:00+01:00"), // Monday
		}, 2},
		// 2026-03-29 is 23 hours long in Berlin.
		{"day of the start of summer time", "daily", []string{
			at("a", "login", "2026-03-29T00:30:00+01:00"),
			at("b", "login", "2026-03-29T23:59:59+02:00"), // refused
			at("c", "login", "2026-03-30T00:00:00+02:00"),
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sum, _, _ := run(t, cfg, strings.Join(tc.stream, ""))
			if got := sum.Firings[tc.incentive]; got != tc.want {
				t.Errorf("%s grants %d; want %d", tc.incentive, got, tc.want)
			}
		})
	}
}

// A calendar points_cap counts UTC days: the month's points start again
// at 00:00 UTC on the 1st.
func TestCalendarPointsCap(t *testing.T) {
	cfg := load(t, calendarIncentives)
	_, _, m := run(t, cfg, at("a", "answer", "2026-11-30T23:00:00Z")+at("b", "answer", "2026-11-30T23:59:59Z")+
		at("c", "answer", "2026-11-30T23:59:59.5Z")+at("d", "answer", "2026-12-01T00:00:00Z"))
	if got := m["u"].Points; got != 5+1+0+5 {
		t.Errorf("points %d; want 11 (5, cut to 1, 0, then 5 in December)", got)
	}
}

// member why on an incentive a calendar limit holds back says so, with
// when the limit resets in its zone, and the runtime grants from then.
func TestCalendarLimitVerdict(t *testing.T) {
	cfg := load(t, calendarIncentives)
	rt := runtime.New(cfg, nil)
	_, _, m := run(t, cfg, at("a", "checkin", "2026-11-03T10:00:00+01:00")+at("b", "checkin", "2026-11-15T10:00:00+01:00"))
	u := m["u"]
	berlin, _ := time.LoadLocation("Europe/Berlin")

	v, c := verdictOf(t, rt, u, "incentive.monthly", nil, nil, time.Date(2026, 11, 30, 23, 59, 59, 0, berlin))
	wantVerdict(t, v, runtime.VerdictLimit, "no grant on a checkin event now: limit 2/month reached, 2 grants this month; resets 2026-12-01 00:00 Europe/Berlin")
	if reset := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC); !v.Until.Equal(reset) || !c.LimitUntil.Equal(reset) || c.LimitPeriod != "month" || c.GrantsInWindow != 2 {
		t.Errorf("until %s, check %+v; want the limit to free at %s", v.Until, *c, reset)
	}
	v, c = verdictOf(t, rt, u, "incentive.monthly", nil, nil, time.Date(2026, 12, 1, 0, 0, 0, 0, berlin))
	wantVerdict(t, v, runtime.VerdictGrant)
	if c.GrantsInWindow != 0 || c.LimitResets != "2027-01-01 00:00 Europe/Berlin" || !c.LimitUntil.IsZero() {
		t.Errorf("in December: %+v", *c)
	}
}
