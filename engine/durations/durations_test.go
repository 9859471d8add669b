package durations

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	good := map[string]time.Duration{
		"0s":      0,
		"90s":     90 * time.Second,
		"15m":     15 * time.Minute,
		"72h":     72 * time.Hour,
		"14d":     14 * Day,
		"2w":      14 * Day,
		"1d12h":   36 * time.Hour,
		" 3d ":    3 * Day,
		"150ms":   150 * time.Millisecond,
		"1s500ms": 1500 * time.Millisecond,
		"1m30s":   90 * time.Second,
		"2m5ms":   2*time.Minute + 5*time.Millisecond,
	}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "14", "d", "14x", "-3d", "1.5d", "14 d", "99999999999d", "ms", "5mss"} {
		if _, err := Parse(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error = %v; want ErrSyntax", in, err)
		}
	}
}

func TestParseMessages(t *testing.T) {
	for in, want := range map[string]string{
		"2 weeks":      `no space between, such as "2w"`,
		"3 days":       `such as "3d"`,
		"two weeks":    `such as "2w"`,
		"90 minutes":   `such as "90m"`,
		"2 Hours":      `such as "2h"`,
		"500 ms":       `such as "500ms"`,
		"6 months":     `such as "180d" (months vary in length, so write days)`,
		"1 year":       `such as "365d" (years vary in length, so write days)`,
		"some days":    `such as "30m", "72h" or "14d"`,
		"2 fortnights": `such as "30m", "72h" or "14d"`,
		"1 d 12 h":     `such as "30m", "72h" or "14d"`,
		"-1d":          "cannot be negative",
		"14x":          `unknown unit "x"`,
		"86400":        `a duration needs a unit (s, m, h, d or w); if 86400 is seconds, write "1d" (or "86400s")`,
		"90":           `if 90 is seconds, write "90s"`,
		"7200":         `write "2h" (or "7200s")`,
		"1209600":      `write "2w" (or "1209600s")`,
		"0":            `write "0s"`,
		"1d12":         "missing unit after 12; every number needs a unit",
		// Units written out without a space, or misspelt.
		"3days":    `units are one letter (s, m, h, d or w): write "3d"`,
		"2weeks":   `write "2w"`,
		"1year":    `write "365d" (years vary in length, so write days)`,
		"3 dayz":   `such as "3d"`,
		"5 minuts": `such as "5m"`,
		"10mins":   `write "10m"`,
		"14xyz":    `unknown unit "x"`,
	} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v; want %q", in, err, want)
		}
	}
}

func TestFormatRoundTrip(t *testing.T) {
	for _, in := range []string{"0s", "90s", "1h30m", "14d", "2w", "1w3d", "36h", "1s250ms"} {
		d, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(Format(d))
		if err != nil || back != d {
			t.Errorf("round trip %q -> %q -> %v", in, Format(d), back)
		}
	}
	if got := Format(14 * Day); got != "2w" {
		t.Errorf("Format(14d) = %q", got)
	}
}

func TestParseRate(t *testing.T) {
	r, err := ParseRate("5/30d", Long)
	if err != nil || r.Count != 5 || r.Window != 30*Day {
		t.Fatalf("ParseRate = %+v, %v", r, err)
	}
	// Shown as written: "1/24h" is not "1/1d", though it allows the same.
	for in, want := range map[string]string{"1/24h": "1/24h", " 2 / 7d ": "2/7d", "3/1w": "3/1w"} {
		r, err := ParseRate(in, Long)
		if err != nil || r.String() != want {
			t.Errorf("ParseRate(%q) = %q, %v; want %q", in, r, err, want)
		}
	}
	if r, _ := ParseRate("1/24h", Long); !r.Same(Rate{Count: 1, Window: Day}) || (Rate{Count: 1, Window: Day}).String() != "1/1d" {
		t.Errorf("1/24h: Same %v, built in code %q; want true, 1/1d", r.Same(Rate{Count: 1, Window: Day}), Rate{Count: 1, Window: Day})
	}
	for _, in := range []string{"5", "0/1d", "x/1d", "5/", "5/0s", "/1d", "+5/30d"} {
		if _, err := ParseRate(in, Long); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseRate(%q) error = %v", in, err)
		}
	}
}

// TestRateWindowWithoutUnit: a bare number after the "/" is suggested in
// the units the setting is counted in, with the rate written in full, not
// in seconds as a bare duration is.
func TestRateWindowWithoutUnit(t *testing.T) {
	for _, tc := range []struct {
		in    string
		scale Scale
		want  string
	}{
		{"2/24", Long, `"2/24": the window after "/" needs a unit: write "2/24h" for 24 hours, or "2/24d" for 24 days`},
		{" 3 / 48 ", Long, `write "3/48h" for 48 hours, or "3/48d" for 48 days`},
		{"1/7", Long, `write "1/7d" for 7 days, or "1/7h" for 7 hours`},
		{"5/10", Short, `write "5/10s" for 10 seconds, or "5/10m" for 10 minutes`},
	} {
		_, err := ParseRate(tc.in, tc.scale)
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseRate(%q) error = %v; want %s", tc.in, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "seconds, write") {
			t.Errorf("ParseRate(%q) suggests a bare duration's seconds: %v", tc.in, err)
		}
	}
}

func TestParseClock(t *testing.T) {
	c, err := ParseClock("22:05")
	if err != nil || c.Hour() != 22 || c.Minute() != 5 || c.String() != "22:05" {
		t.Fatalf("ParseClock = %v, %v", c, err)
	}
	for _, in := range []string{"24:00", "7", "7:5", "aa:bb", "12:60", "08:+5", "+8:05", "-0:00", "008:05"} {
		if _, err := ParseClock(in); err == nil {
			t.Errorf("ParseClock(%q) accepted", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"14d", "1d12h", "5/30d", "", "9999999999w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// What is accepted is written back in a form that reads the same,
		// as plans, diagnostics and `hearth fmt` write these values.
		if d, err := Parse(s); err == nil {
			if d < 0 {
				t.Fatalf("Parse(%q) = %v: negative", s, d)
			}
			if back, err := Parse(Format(d)); err != nil || back != d {
				t.Fatalf("Parse(%q) = %v, written %q, reads back as %v, %v", s, d, Format(d), back, err)
			}
			if back, err := Parse(FormatDays(d)); err != nil || back != d {
				t.Fatalf("Parse(%q) = %v, written %q, reads back as %v, %v", s, d, FormatDays(d), back, err)
			}
		}
		if r, err := ParseRate(s, Long); err == nil {
			if back, err := ParseRate(r.String(), Long); err != nil || back != r {
				t.Fatalf("ParseRate(%q) = %+v, written %q, reads back as %+v, %v", s, r, r, back, err)
			}
			if count, _, _ := strings.Cut(strings.TrimSpace(s), "/"); strings.Trim(strings.TrimSpace(count), "0123456789") != "" {
				t.Fatalf("ParseRate(%q) accepted a count that is not a whole number", s)
			}
		}
		if c, err := ParseClock(s); err == nil {
			if back, err := ParseClock(c.String()); err != nil || back != c {
				t.Fatalf("ParseClock(%q) = %v, reads back as %v, %v", s, c, back, err)
			}
			if strings.Trim(strings.TrimSpace(s), "0123456789") != ":" {
				t.Fatalf("ParseClock(%q) accepted something other than digits and a colon", s)
			}
		}
	})
}

func TestFormatDays(t *testing.T) {
	for d, want := range map[time.Duration]string{30 * Day: "30d", 7 * Day: "7d", 36 * time.Hour: "1d12h", 0: "0s"} {
		if got := FormatDays(d); got != want {
			t.Errorf("FormatDays(%v) = %q; want %q", d, got, want)
		}
	}
}

// Roughly keeps a duration's two largest units, for how far an event is
// ahead of the clock in a refusal.
func TestRoughly(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{9*365*day + 39*day + 5*time.Hour, "9y 39d"},
		{95*day + 12*time.Hour, "95d 12h"},
		{365 * day, "1y"},
		{2*time.Hour + 5*time.Minute + 7*time.Second, "2h 5m"},
		{6*time.Minute + 30*time.Second, "6m 30s"},
		{5 * time.Minute, "5m"},
		{300 * time.Millisecond, "300ms"},
	} {
		if got := Roughly(c.d); got != c.want {
			t.Errorf("Roughly(%s) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour:                     "1 hour",
		90 * time.Minute:              "1 hour 30 minutes",
		7 * Day:                       "1 week",
		15 * Day:                      "2 weeks 1 day",
		30 * time.Second:              "30 seconds",
		0:                             "less than a second",
		time.Minute + time.Nanosecond: "1 minute",
	} {
		if got := Words(d); got != want {
			t.Errorf("Words(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestParseLimit: a limit takes a calendar period besides a rolling
// window, and its errors name both forms.
func TestParseLimit(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	for in, want := range map[string]Period{"5/day": PeriodDay, "5/week": PeriodWeek, " 5 / month ": PeriodMonth, "5/Month": PeriodMonth} {
		r, err := ParseLimit(in, Long, berlin)
		if err != nil || r.Period != want || r.Count != 5 || r.Window != 0 || r.Zone != berlin || r.String() != "5/"+want.String() {
			t.Errorf("ParseLimit(%q) = %+v, %v; want 5 per %s", in, r, err, want)
		}
	}
	if r, err := ParseLimit("5/30d", Long, berlin); err != nil || r.Period != PeriodNone || r.Window != 30*Day {
		t.Errorf("ParseLimit(5/30d) = %+v, %v; want a rolling window", r, err)
	}
	if (Rate{Count: 2, Period: PeriodWeek}).String() != "2/week" {
		t.Errorf("built in code: %q", Rate{Count: 2, Period: PeriodWeek})
	}
	for in, want := range map[string]string{
		"5/months":    `write "5/month" for the calendar month`,
		"5/fortnight": `"5/day", "5/week" (weeks from Monday) or "5/month"`,
		"5/year":      `a number and a unit, such as "5/30d" or "3/24h" (rolling), or a calendar period`,
		"5/1month":    `write "5/month" for the calendar month, from its start, or a rolling window such as "5/30d"`,
		"5/1 week":    `write "5/week" for the calendar week`,
		"0/month":     "at least 1",
		"5":           `"5/month"`,
		"5/calendar":  `"5/month"`,
	} {
		_, err := ParseLimit(in, Long, berlin)
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseLimit(%q) error = %v; want it to say %s", in, err, want)
		}
	}
	// Elsewhere a calendar period is refused, saying where it belongs.
	if _, err := ParseRate("5/month", Long); err == nil || !strings.Contains(err.Error(), "incentive's limit and points_cap only") {
		t.Errorf("ParseRate(5/month) error = %v", err)
	}
}

// TestPeriodBounds: periods start at midnight in their zone, weeks on
// Monday, exactly: 23:59:59 on the last day is in the period, midnight
// starts the next, across a daylight-saving change too.
func TestPeriodBounds(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Skip(err)
		}
		return loc
	}
	berlin, santiago := load("Europe/Berlin"), load("America/Santiago")
	at := func(loc *time.Location, s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		p           Period
		loc         *time.Location
		at          time.Time
		start, next string // in UTC
	}{
		{PeriodMonth, berlin, at(berlin, "2026-11-30 23:59:59"), "2026-10-31T23:00:00Z", "2026-11-30T23:00:00Z"},
		{PeriodMonth, berlin, at(berlin, "2026-12-01 00:00:00"), "2026-11-30T23:00:00Z", "2026-12-31T23:00:00Z"},
		// October holds the end of summer time: it starts at +02:00 and
		// ends at +01:00.
		{PeriodMonth, berlin, at(berlin, "2026-10-31 23:59:59"), "2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z"},
		{PeriodMonth, berlin, at(berlin, "2026-11-01 00:00:00"), "2026-10-31T23:00:00Z", "2026-11-30T23:00:00Z"},
		// March holds its start.
		{PeriodMonth, berlin, at(berlin, "2026-03-31 23:59:59"), "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z"},
		{PeriodMonth, nil, time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		// The day summer time ends is 25 hours long.
		{PeriodDay, berlin, at(berlin, "2026-10-25 23:59:59"), "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"},
		// 2026-10-19 is a Monday; the week spans the change.
		{PeriodWeek, berlin, at(berlin, "2026-10-25 23:59:59"), "2026-10-18T22:00:00Z", "2026-10-25T23:00:00Z"},
		{PeriodWeek, berlin, at(berlin, "2026-10-26 00:00:00"), "2026-10-25T23:00:00Z", "2026-11-01T23:00:00Z"},
		{PeriodWeek, berlin, at(berlin, "2026-10-19 00:00:00"), "2026-10-18T22:00:00Z", "2026-10-25T23:00:00Z"},
		// Chile's summer time starts at midnight: 2026-09-06 00:00 does not
		// exist there, and the day starts at 01:00 (-03:00).
		{PeriodDay, santiago, time.Date(2026, 9, 6, 4, 0, 0, 0, time.UTC), "2026-09-06T04:00:00Z", "2026-09-07T03:00:00Z"},
		{PeriodDay, santiago, time.Date(2026, 9, 6, 3, 59, 59, 0, time.UTC), "2026-09-05T04:00:00Z", "2026-09-06T04:00:00Z"},
	} {
		start, next := tc.p.Bounds(tc.at, tc.loc)
		if got := start.UTC().Format(time.RFC3339); got != tc.start {
			t.Errorf("%s of %s in %s starts %s; want %s", tc.p, tc.at, tc.loc, got, tc.start)
		}
		if got := next.UTC().Format(time.RFC3339); got != tc.next {
			t.Errorf("%s of %s in %s: next starts %s; want %s", tc.p, tc.at, tc.loc, got, tc.next)
		}
		r := Rate{Count: 1, Period: tc.p, Zone: tc.loc}
		if !r.Since(tc.at).Equal(start) {
			t.Errorf("Since = %s; want %s", r.Since(tc.at), start)
		}
	}
	// A rolling window's Since leaves out the instant one window back.
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if s := (Rate{Count: 1, Window: Day}).Since(now); !s.After(now.Add(-Day)) || s.After(now.Add(-Day+time.Nanosecond)) {
		t.Errorf("rolling Since = %s", s)
	}
}
