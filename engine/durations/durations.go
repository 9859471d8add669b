// Package durations parses the human durations and rates used in hearth
// files: "90s", "15m", "72h", "14d", "2w", and rates such as "5/30d".
//
// Go's time.ParseDuration has no days or weeks, which are the natural units
// of community rules, so hearth has its own small grammar: one or more
// number-unit pairs ("1d12h"), units ms, s, m, h, d (24h) and w (7d).
package durations

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Day is 24 hours. Windows count calendar days in UTC buckets, so a day
// here is always exactly 24h.
const Day = 24 * time.Hour

// ErrSyntax is wrapped by every parse error, so callers can tell a bad
// literal from other failures.
var ErrSyntax = errors.New("invalid duration")

// maxDuration keeps sums far from int64 overflow: about 290 years.
const maxDuration = time.Duration(1<<63 - 1)

var units = map[byte]time.Duration{
	's': time.Second,
	'm': time.Minute,
	'h': time.Hour,
	'd': Day,
	'w': 7 * Day,
}

// Parse reads a duration such as "14d" or "1d12h". Zero ("0s") is allowed;
// negative durations are not.
func Parse(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("%w: empty; write a number and a unit, such as \"30m\", \"72h\" or \"14d\"", ErrSyntax)
	}
	if strings.HasPrefix(in, "-") {
		return 0, fmt.Errorf("%w %q: durations cannot be negative", ErrSyntax, s)
	}
	if strings.ContainsAny(in, " \t") {
		if hint, ok := compact(in); ok {
			return 0, fmt.Errorf("%w %q: write a number and a unit with no space between, such as %s", ErrSyntax, s, hint)
		}
		return 0, fmt.Errorf("%w %q: write a number and a unit with no space between, such as \"30m\", \"72h\" or \"14d\" (units s, m, h, d, w and ms)", ErrSyntax, s)
	}
	if hint, ok := spelledOut(in); ok {
		return 0, fmt.Errorf("%w %q: units are one letter (s, m, h, d or w): write %s", ErrSyntax, s, hint)
	}
	var total time.Duration
	for i := 0; i < len(in); {
		j := i
		for j < len(in) && in[j] >= '0' && in[j] <= '9' {
			j++
		}
		if j == i {
			return 0, fmt.Errorf("%w %q: expected a number at %q; write a number and a unit, such as \"30m\", \"72h\" or \"14d\"", ErrSyntax, s, in[i:])
		}
		n, err := strconv.ParseInt(in[i:j], 10, 64)
		if err != nil || n > 1<<31 {
			return 0, fmt.Errorf("%w %q: number too large", ErrSyntax, s)
		}
		if j == len(in) {
			if i == 0 {
				// A bare number, often written as seconds ("86400"):
				// suggest those seconds, in the largest exact unit.
				return 0, fmt.Errorf("%w %q: a duration needs a unit (s, m, h, d or w); if %d is seconds, write %s", ErrSyntax, s, n, secondsHint(n))
			}
			return 0, fmt.Errorf("%w %q: missing unit after %d; every number needs a unit: s, m, h, d or w", ErrSyntax, s, n)
		}
		if in[j] == '.' || in[j] == ',' {
			return 0, fmt.Errorf("%w %q: use whole numbers with a smaller unit, such as \"36h\" for a day and a half", ErrSyntax, s)
		}
		unit, ok := units[in[j]]
		width := 1
		if in[j] == 'm' && j+1 < len(in) && in[j+1] == 's' {
			// Milliseconds, for network timeouts; "1m" followed by
			// "s" would otherwise be a unit with no number anyway.
			unit, width = time.Millisecond, 2
		}
		if !ok {
			return 0, fmt.Errorf("%w %q: unknown unit %q; use s, m, h, d or w", ErrSyntax, s, string(in[j]))
		}
		if time.Duration(n) > (maxDuration-total)/unit {
			return 0, fmt.Errorf("%w %q: too long", ErrSyntax, s)
		}
		total += time.Duration(n) * unit
		i = j + width
	}
	return total, nil
}

// secondsHint spells n seconds in the largest unit that holds it exactly:
// 86400 is "1d" (or "86400s"), 90 is "90s".
func secondsHint(n int64) string {
	secs := fmt.Sprintf("%q", strconv.FormatInt(n, 10)+"s")
	for _, u := range []struct {
		c string
		n int64
	}{{"w", 7 * 86400}, {"d", 86400}, {"h", 3600}, {"m", 60}} {
		if n > 0 && n%u.n == 0 {
			return fmt.Sprintf("%q (or %s)", strconv.FormatInt(n/u.n, 10)+u.c, secs)
		}
	}
	return secs
}

// compact spells "2 weeks", "90 minutes" or "three days" as hearth
// writes them ("2w", "90m", "3d"), quoted, and says false when the text
// is not a number and a unit it knows: a suggestion glued together from
// whatever was written ("twow", "1y") would be wrong. Months and years
// have no unit, since their length varies: they are suggested in days.
func compact(s string) (string, bool) {
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) != 2 {
		return "", false
	}
	n, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		var ok bool
		if n, ok = numberWords[fields[0]]; !ok {
			return "", false
		}
	}
	if n < 0 || n > 1<<31 {
		return "", false
	}
	word := fields[1]
	for unit, names := range unitWords {
		if slices.Contains(names, word) {
			return strconv.Quote(strconv.FormatInt(n, 10) + unit), true
		}
	}
	// A unit word misspelt ("dayz", "minuts", "hourss"): the unit whose
	// spelled-out name it starts like.
	for _, u := range []struct{ stem, unit string }{{"milli", "ms"}, {"sec", "s"}, {"min", "m"}, {"hour", "h"}, {"day", "d"}, {"week", "w"}} {
		if len(word) > len(u.stem) && strings.HasPrefix(word, u.stem) {
			return strconv.Quote(strconv.FormatInt(n, 10) + u.unit), true
		}
	}
	for _, about := range []struct {
		names []string
		days  int64
		what  string
	}{
		{[]string{"mo", "mon", "month", "months"}, 30, "months"},
		{[]string{"y", "yr", "yrs", "year", "years"}, 365, "years"},
	} {
		if slices.Contains(about.names, word) {
			return fmt.Sprintf("%q (%s vary in length, so write days)", strconv.FormatInt(n*about.days, 10)+"d", about.what), true
		}
	}
	return "", false
}

// spelledOut suggests the short form of a number followed by a unit
// written out ("3days", "2weeks", "1year"); ok is false for anything
// else, a valid duration included.
func spelledOut(in string) (string, bool) {
	i := 0
	for i < len(in) && in[i] >= '0' && in[i] <= '9' {
		i++
	}
	word := in[i:]
	if i == 0 || len(word) < 2 || word == "ms" || strings.TrimLeft(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return "", false
	}
	return compact(in[:i] + " " + word)
}

// unitWords are the ways people write hearth's units out.
var unitWords = map[string][]string{
	"ms": {"ms", "msec", "msecs", "millisecond", "milliseconds"},
	"s":  {"s", "sec", "secs", "second", "seconds"},
	"m":  {"m", "min", "mins", "minute", "minutes"},
	"h":  {"h", "hr", "hrs", "hour", "hours"},
	"d":  {"d", "day", "days"},
	"w":  {"w", "wk", "wks", "week", "weeks"},
}

// numberWords are the small numbers written as words ("two weeks").
var numberWords = map[string]int64{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
	"seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}

// Format writes d in the largest whole units, the inverse of Parse for
// values Parse produces: 336h becomes "2w", 90m becomes "1h30m".
func Format(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	for _, u := range []struct {
		c byte
		d time.Duration
	}{{'w', 7 * Day}, {'d', Day}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}} {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteByte(u.c)
			d -= n * u.d
		}
	}
	if d > 0 { // sub-second remainder: fall back to Go's notation
		b.WriteString(d.String())
	}
	return b.String()
}

// Words writes d in whole units spelled out in English, for a message a
// member reads: 336h becomes "2 weeks", 90m "1 hour 30 minutes". Parts
// below a second are left out.
func Words(d time.Duration) string {
	var parts []string
	for _, u := range []struct {
		name string
		d    time.Duration
	}{{"week", 7 * Day}, {"day", Day}, {"hour", time.Hour}, {"minute", time.Minute}, {"second", time.Second}} {
		if n := d / u.d; n > 0 {
			name := u.name
			if n > 1 {
				name += "s"
			}
			parts = append(parts, strconv.FormatInt(int64(n), 10)+" "+name)
			d -= n * u.d
		}
	}
	if len(parts) == 0 {
		return "less than a second"
	}
	return strings.Join(parts, " ")
}

// Roughly writes a duration in its two largest units, years and days
// down to seconds: "10y 3d", "2h 5m", "5m", "6m 30s": how far an event's time is ahead, in a refusal.
func Roughly(d time.Duration) string {
	const day = 24 * time.Hour
	units := []struct {
		name string
		d    time.Duration
	}{{"y", 365 * day}, {"d", day}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}}
	var parts []string
	for _, u := range units {
		if n := d / u.d; n > 0 || len(parts) > 0 {
			if n > 0 {
				parts = append(parts, fmt.Sprintf("%d%s", n, u.name))
			}
			d -= n * u.d
			if len(parts) == 2 || (len(parts) == 1 && n == 0) {
				break
			}
		}
	}
	if len(parts) == 0 {
		return d.String()
	}
	return strings.Join(parts, " ")
}

// Rate is "at most Count per Window", written "5/30d", or per calendar
// Period, written "5/month".
type Rate struct {
	Count  int
	Window time.Duration // zero for a calendar period
	// Period is the calendar period of a rate such as "5/month", counted
	// from the start of the current one in Zone (nil: UTC); PeriodNone for
	// a rolling window. Only ParseLimit reads one.
	Period Period
	Zone   *time.Location
	// Written is the rate as the file wrote it ("1/24h"), set by
	// ParseRate, so output shows the unit its author chose: "1/1d"
	// for "1/24h" reads as another setting. Empty for a Rate built in
	// code.
	Written string
}

// String is the rate as written, else with its window in the largest
// units that divide it ("5/30d").
func (r Rate) String() string {
	if r.Written != "" {
		return r.Written
	}
	if r.Period != PeriodNone {
		return strconv.Itoa(r.Count) + "/" + r.Period.String()
	}
	return strconv.Itoa(r.Count) + "/" + Format(r.Window)
}

// Same reports whether r and o allow the same sends, however each was
// written.
func (r Rate) Same(o Rate) bool {
	return r.Count == o.Count && r.Window == o.Window && r.Period == o.Period && r.Zone.String() == o.Zone.String()
}

// Since is the first instant of r's window ending at at: the start of the
// calendar period at is in, which counts, or for a rolling window the
// instant after at less the window, since a grant exactly one window ago
// has left it.
func (r Rate) Since(at time.Time) time.Time {
	if r.Period != PeriodNone {
		return r.Period.start(at, r.Zone) // a grant's check: no need of the next
	}
	return at.Add(-r.Window + 1)
}

// Period is a calendar period: a day, a week from Monday or a month,
// starting at midnight in a time zone.
type Period uint8

const (
	PeriodNone Period = iota
	PeriodDay
	PeriodWeek
	PeriodMonth
)

var periodNames = [...]string{PeriodDay: "day", PeriodWeek: "week", PeriodMonth: "month"}

func (p Period) String() string {
	if int(p) < len(periodNames) {
		return periodNames[p]
	}
	return ""
}

// Bounds are the start of the period at is in, in zone loc (nil: UTC),
// and the start of the next: midnight of the day, of the week's Monday or
// of the month's 1st, the first instant of that date where a
// daylight-saving change skips midnight.
func (p Period) Bounds(at time.Time, loc *time.Location) (start, next time.Time) {
	y, m, d, loc := p.first(at, loc)
	switch p {
	case PeriodWeek:
		return midnight(y, m, d, loc), midnight(y, m, d+7, loc)
	case PeriodMonth:
		return midnight(y, m, d, loc), midnight(y, m+1, d, loc)
	}
	return midnight(y, m, d, loc), midnight(y, m, d+1, loc)
}

func (p Period) start(at time.Time, loc *time.Location) time.Time {
	y, m, d, loc := p.first(at, loc)
	return midnight(y, m, d, loc)
}

// first is the first date of the period at is in, in loc (nil: UTC),
// and the zone.
func (p Period) first(at time.Time, loc *time.Location) (int, time.Month, int, *time.Location) {
	if loc == nil {
		loc = time.UTC
	}
	local := at.In(loc)
	y, m, d := local.Date()
	switch p {
	case PeriodWeek:
		d -= (int(local.Weekday()) + 6) % 7 // days since Monday
	case PeriodMonth:
		d = 1
	}
	return y, m, d, loc
}

// midnight is the first instant of the date y-m-d (normalised, as
// time.Date does) in loc. Where a change of offset skips midnight
// (clocks going from 23:59:59 to 01:00), time.Date may give an instant of
// the day before: the day then starts when the offset changes.
func midnight(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	wy, wm, wd := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Date()
	if ty, tm, td := t.Date(); ty != wy || tm != wm || td != wd {
		if _, end := t.ZoneBounds(); !end.IsZero() {
			return end
		}
	}
	return t
}

// Scale is the range of windows a rate is usually set in: a window
// written without a unit ("2/24") is refused with a suggestion in the
// units that fit the setting, not in seconds as a bare duration is.
type Scale int

const (
	// Short windows, seconds to minutes: a message rate ("5/10s").
	Short Scale = iota
	// Long windows, hours to days: a frequency cap or a limit ("2/24h").
	Long
)

// ParseRate reads a rate such as "5/30d" or "2/24h"; scale is what its
// window is usually counted in, for the suggestion when it has no unit.
func ParseRate(s string, scale Scale) (Rate, error) {
	return parseRate(s, scale, false)
}

// parseRate is ParseRate; calendar says whether calendar periods are
// allowed (ParseLimit), so its errors name them.
func parseRate(s string, scale Scale, calendar bool) (Rate, error) {
	forms := "such as \"5/30d\""
	if calendar {
		forms = "a rolling one, such as \"5/30d\" or \"3/24h\", or a calendar period: \"5/day\", \"5/week\" (weeks from Monday) or \"5/month\""
	}
	count, window, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("%w %q: a rate is a count and a window, %s", ErrSyntax, s, forms)
	}
	if w := strings.TrimSpace(window); w != "" && strings.Trim(strings.ToLower(w), "abcdefghijklmnopqrstuvwxyz ") == "" {
		// A word for a window ("month", "weeks", "calendar month"): a
		// calendar period where one is allowed, which it is not here.
		if _, ok := calendarPeriod(w); ok && !calendar {
			return Rate{}, fmt.Errorf("%w %q: a calendar period is for an incentive's limit and points_cap only; write a window, such as \"5/30d\"", ErrSyntax, s)
		}
		if calendar {
			return Rate{}, fmt.Errorf("%w %q: the window after \"/\" is a number and a unit, such as \"5/30d\" or \"3/24h\" (rolling), or a calendar period: \"5/day\", \"5/week\" (weeks from Monday) or \"5/month\"", ErrSyntax, s)
		}
		return Rate{}, fmt.Errorf("%w %q: the window after \"/\" is a number and a unit, %s", ErrSyntax, s, forms)
	}
	count = strings.TrimSpace(count)
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 || !digits(count) {
		return Rate{}, fmt.Errorf("%w %q: the count before \"/\" must be a whole number of at least 1", ErrSyntax, s)
	}
	if bare := strings.TrimSpace(window); bare != "" && digits(bare) {
		return Rate{}, fmt.Errorf("%w %q: the window after \"/\" needs a unit: %s", ErrSyntax, s, windowHint(count, bare, scale))
	}
	w, err := Parse(window)
	if err != nil {
		return Rate{}, err
	}
	if w <= 0 {
		return Rate{}, fmt.Errorf("%w %q: the window after \"/\" must be longer than zero", ErrSyntax, s)
	}
	return Rate{Count: n, Window: w, Written: strconv.Itoa(n) + "/" + strings.TrimSpace(window)}, nil
}

// ParseLimit reads a rate as ParseRate does, or per calendar period:
// "5/day", "5/week" (from Monday) or "5/month", counted in zone loc
// (nil: UTC), as an incentive's limit is.
func ParseLimit(s string, scale Scale, loc *time.Location) (Rate, error) {
	if count, window, ok := strings.Cut(strings.TrimSpace(s), "/"); ok {
		if p, ok := calendarPeriod(window); ok {
			r, err := ParseRate(count+"/1d", scale)
			if err != nil {
				return Rate{}, err
			}
			return Rate{Count: r.Count, Period: p, Zone: loc, Written: strconv.Itoa(r.Count) + "/" + p.String()}, nil
		}
	}
	if _, window, ok := strings.Cut(s, "/"); ok {
		w := strings.ToLower(strings.TrimSpace(window))
		if p, ok := calendarPeriod(strings.TrimSuffix(strings.TrimPrefix(w, "1"), "s")); ok && w != p.String() {
			// "1month", "1 week": a unit Parse would take as days
			// ("30d"), where the calendar period may be meant.
			count, _, _ := strings.Cut(strings.TrimSpace(s), "/")
			return Rate{}, fmt.Errorf("%w %q: write \"%s/%s\" for the calendar %s, from its start, or a rolling window such as \"%s/%s\"", ErrSyntax, s, strings.TrimSpace(count), p, p, strings.TrimSpace(count), map[Period]string{PeriodDay: "24h", PeriodWeek: "7d", PeriodMonth: "30d"}[p])
		}
	}
	return parseRate(s, scale, true)
}

// calendarPeriod reads "day", "week" or "month" (any case, spaces
// around).
func calendarPeriod(s string) (Period, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "day":
		return PeriodDay, true
	case "week":
		return PeriodWeek, true
	case "month":
		return PeriodMonth, true
	}
	return PeriodNone, false
}

// windowHint suggests units for a rate's window written as a bare number,
// the likelier first: for a long window, hours where the number is a
// round number of them (12, 24, 48, 72), else days; for a short one,
// seconds, then minutes.
func windowHint(count, window string, scale Scale) string {
	type unit struct{ c, word string }
	first, second := unit{"s", "seconds"}, unit{"m", "minutes"}
	if scale == Long {
		first, second = unit{"d", "days"}, unit{"h", "hours"}
		if n, err := strconv.Atoi(window); err == nil && n > 0 && n%12 == 0 {
			first, second = second, first
		}
	}
	return fmt.Sprintf("write \"%s/%s%s\" for %s %s, or \"%s/%s%s\" for %s %s", count, window, first.c, window, first.word, count, window, second.c, window, second.word)
}

// ClockTime is a time of day, "22:00", in minutes after midnight.
type ClockTime int

func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Hour and Minute split the clock time.
func (c ClockTime) Hour() int   { return int(c) / 60 }
func (c ClockTime) Minute() int { return int(c) % 60 }

// ParseClock reads "HH:MM" on a 24-hour clock.
func ParseClock(s string) (ClockTime, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || !digits(h) || !digits(m) || len(h) > 2 || len(m) != 2 || hh > 23 || mm > 59 {
		return 0, fmt.Errorf("%w %q: a time of day is \"HH:MM\" on a 24-hour clock, such as \"08:00\" or \"22:30\"", ErrSyntax, s)
	}
	return ClockTime(hh*60 + mm), nil
}

// digits says whether s is only ASCII digits: strconv.Atoi also takes a
// sign ("+5", "-0"), which these values never have.
func digits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

// FormatDays writes a whole number of days as days ("30d", where Format
// writes "4w2d"), the way retentions are usually set; anything else as
// Format does.
func FormatDays(d time.Duration) string {
	if d > 0 && d%Day == 0 {
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	}
	return Format(d)
}
