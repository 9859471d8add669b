package config_test

import (
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
)

// End is the end of the window for a time inside it, in the window's
// zone or the member's, across midnight and a daylight-saving change;
// outside it there is none.
func TestQuietHoursEnd(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	night := &config.QuietHours{From: durations.ClockTime(22 * 60), To: durations.ClockTime(8 * 60)}
	day := &config.QuietHours{From: durations.ClockTime(9 * 60), To: durations.ClockTime(17 * 60), Timezone: paris}
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		name   string
		q      *config.QuietHours
		at     string
		member *time.Location
		want   string // "" outside the window
	}{
		{"before midnight", night, "2026-11-24T23:10:00Z", nil, "2026-11-25T08:00:00Z"},
		{"after midnight", night, "2026-11-25T00:10:00Z", nil, "2026-11-25T08:00:00Z"},
		{"at its start", night, "2026-11-24T22:00:00Z", nil, "2026-11-25T08:00:00Z"},
		{"at its end", night, "2026-11-25T08:00:00Z", nil, ""},
		{"in the day", night, "2026-11-25T12:00:00Z", nil, ""},
		{"member's zone", night, "2026-11-24T21:30:00Z", paris, "2026-11-25T07:00:00Z"}, // 22:30 there, ending at 08:00 there
		{"member's zone, day", night, "2026-11-25T07:30:00Z", paris, ""},                // 08:30 there
		{"campaign's zone wins", day, "2026-11-25T09:00:00Z", time.UTC, "2026-11-25T16:00:00Z"},
		{"clocks go back overnight", night, "2026-10-24T21:00:00Z", paris, "2026-10-25T07:00:00Z"},
	} {
		end, ok := c.q.End(utc(c.at), c.member)
		got := ""
		if ok {
			got = end.Format(time.RFC3339)
		}
		if got != c.want {
			t.Errorf("%s: End(%s) = %q; want %q", c.name, c.at, got, c.want)
		}
	}
}
