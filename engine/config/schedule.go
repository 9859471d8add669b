package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/engine/durations"
)

// Schedule is a campaign's schedule block: a broadcast on fixed calendar
// dates. At each occurrence every member then in the campaign's audience
// starts a run keyed by the occurrence's date, once.
type Schedule struct {
	Every   string       // ScheduleDay, ScheduleWeek or ScheduleMonth
	Day     int          // ScheduleMonth: day of month 1..28, or LastDay
	Weekday time.Weekday // ScheduleWeek
	At      durations.ClockTime
	// Zone is the zone the dates and At are in; nil with Member (each
	// member's own zone, as a step's at), else the hearth block's zone
	// when time_zone is not written (set once the files are read).
	Zone   *time.Location
	Member bool
	// Starts and Ends bound the occurrences (zero: unbounded); an
	// occurrence at Starts or at Ends counts.
	Starts, Ends time.Time
	// LateBy is how long after its time a send of an occurrence may
	// still go out: the campaign's expire_after.
	LateBy    time.Duration
	DeclRange hcl.Range
}

// What schedule.every may say.
const (
	ScheduleDay   = "day"
	ScheduleWeek  = "week"
	ScheduleMonth = "month"
)

// LastDay is schedule.day = -1: the last day of each month.
const LastDay = -1

// DefaultLateBy is schedule.late_by when not set: an occurrence a
// daemon stopped overnight missed still goes out the next morning, and
// one missed over a long weekend does not.
const DefaultLateBy = 24 * time.Hour

// TimeZoneMember is how time_zone says each member's own zone.
const TimeZoneMember = "member"

// zone is the zone occurrences are worked out in: the schedule's, or the
// member's (member) with Member.
func (s *Schedule) zone(member *time.Location) *time.Location {
	if s.Member || s.Zone == nil {
		if member != nil {
			return member
		}
		return time.UTC
	}
	return s.Zone
}

// Next is the first occurrence strictly after t, with member the
// member's zone (read only with time_zone = "member"). ok is false when
// none is left before Ends.
func (s *Schedule) Next(t time.Time, member *time.Location) (time.Time, bool) {
	loc := s.zone(member)
	if !s.Starts.IsZero() && t.Before(s.Starts) {
		t = s.Starts.Add(-time.Nanosecond)
	}
	lt := t.In(loc)
	// A candidate a period at a time: a day, a week or a month on from
	// t's own. Daylight-saving changes can put one at or before t, so a
	// few are tried.
	for i := range 3 {
		var c time.Time
		switch s.Every {
		case ScheduleDay:
			c = s.on(lt.Year(), lt.Month(), lt.Day()+i, loc)
		case ScheduleWeek:
			ahead := (int(s.Weekday) - int(lt.Weekday()) + 7) % 7
			c = s.on(lt.Year(), lt.Month(), lt.Day()+ahead+7*i, loc)
		case ScheduleMonth:
			first := time.Date(lt.Year(), lt.Month()+time.Month(i), 1, 0, 0, 0, 0, loc)
			day := s.Day
			if day == LastDay {
				day = first.AddDate(0, 1, -1).Day()
			}
			c = s.on(first.Year(), first.Month(), day, loc)
		default:
			return time.Time{}, false
		}
		if c.After(t) {
			if !s.Ends.IsZero() && c.After(s.Ends) {
				return time.Time{}, false
			}
			return c, true
		}
	}
	return time.Time{}, false
}

// on is the occurrence on a calendar day in loc, in UTC as the runtime
// keeps times.
func (s *Schedule) on(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, s.At.Hour(), s.At.Minute(), 0, 0, loc).UTC()
}

// Is reports whether t is an occurrence (for the member's zone member).
func (s *Schedule) Is(t time.Time, member *time.Location) bool {
	n, ok := s.Next(t.Add(-time.Nanosecond), member)
	return ok && n.Equal(t)
}

// Key is the run key of the occurrence at t: its date in the schedule's
// zone (or the member's), such as "2026-12-01".
func (s *Schedule) Key(t time.Time, member *time.Location) string {
	return t.In(s.zone(member)).Format(time.DateOnly)
}

// Upcoming is the next n occurrences after t.
func (s *Schedule) Upcoming(t time.Time, member *time.Location, n int) []time.Time {
	var out []time.Time
	for range n {
		next, ok := s.Next(t, member)
		if !ok {
			break
		}
		out = append(out, next)
		t = next
	}
	return out
}

// ZoneName is what time_zone says: "member", or the zone's name.
func (s *Schedule) ZoneName() string {
	if s.Member {
		return TimeZoneMember
	}
	if s.Zone == nil {
		return "UTC"
	}
	return s.Zone.String()
}

// String writes the schedule as a person reads it: "every month on day
// 1 at 10:00 Europe/Berlin".
func (s *Schedule) String() string {
	var b strings.Builder
	b.WriteString("every " + s.Every)
	switch s.Every {
	case ScheduleWeek:
		b.WriteString(" on " + strings.ToLower(s.Weekday.String()))
	case ScheduleMonth:
		if s.Day == LastDay {
			b.WriteString(" on the last day")
		} else {
			fmt.Fprintf(&b, " on day %d", s.Day)
		}
	}
	fmt.Fprintf(&b, " at %s", s.At)
	if s.Member {
		b.WriteString(" in each member's zone")
	} else {
		b.WriteString(" " + s.ZoneName())
	}
	if !s.Starts.IsZero() {
		b.WriteString(", from " + s.Starts.UTC().Format(time.RFC3339))
	}
	if !s.Ends.IsZero() {
		b.WriteString(", until " + s.Ends.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// parseWeekday reads a weekday's English name, any case.
func parseWeekday(s string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(strings.TrimSpace(s), d.String()) {
			return d, true
		}
	}
	return 0, false
}

// parseBound reads starts or ends: RFC 3339, or a date ("2026-01-01"),
// the start of that day in loc.
func parseBound(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (\"2026-01-01\") nor an RFC 3339 time (\"2026-01-01T09:00:00Z\")", s)
	}
	return t.UTC(), nil
}

// decodeSchedule reads a campaign's schedule block into c.Schedule and
// refuses what a broadcast cannot have: an entry other than its
// occurrences (enter_on, and with it enter_when and run_key), reentry
// (each occurrence is its own run, once), expire_after (late_by says
// it), and no audience to send to.
func (l *loader) decodeSchedule(c *Campaign, b *body, hb *hcl.Block) {
	blocks := b.blocks("schedule")
	if len(blocks) == 0 {
		return
	}
	sb := blocks[0]
	spec := Root.block("campaign").block("schedule")
	s := l.open(sb, spec)
	sc := &Schedule{Every: s.enum("every"), LateBy: DefaultLateBy, DeclRange: sb.DefRange}
	if at := s.clock("at"); at != nil {
		sc.At = *at
	}
	day := s.attr("day")
	switch {
	case s.reported("every"):
	case sc.Every == ScheduleDay && day != nil:
		l.errorf(day.Expr.Range().Ptr(), "day with every = \"day\"", "A daily schedule runs every day at its at; day picks the weekday of a weekly one or the day of a monthly one. Remove day.")
	case sc.Every == ScheduleWeek:
		if day == nil {
			l.errorf(&sb.DefRange, "Missing day", "A weekly schedule needs day, the weekday, such as day = \"monday\".")
			break
		}
		name := s.str("day")
		wd, ok := parseWeekday(name)
		if !ok && !s.reported("day") {
			l.errorf(day.Expr.Range().Ptr(), "Invalid day", "With every = \"week\", day is a weekday's name, such as \"monday\"; got %q.", name)
		}
		sc.Weekday = wd
	case sc.Every == ScheduleMonth:
		if day == nil {
			l.errorf(&sb.DefRange, "Missing day", "A monthly schedule needs day, the day of the month: 1 to 28, or -1 for the last day.")
			break
		}
		n, ok := s.numOK("day")
		if ok && (n < 1 || n > 28) && n != LastDay {
			l.errorf(day.Expr.Range().Ptr(), "Invalid day", "With every = \"month\", day is 1 to 28 (every month has them) or -1 for the last day of the month; got %d.%s", n, map[bool]string{true: " For the end of the month, write -1."}[n > 28 && n <= 31])
		}
		sc.Day = n
	}
	if a := s.attr("late_by"); a != nil {
		if d := s.dur("late_by"); !s.reported("late_by") {
			if d < MinExpireAfter {
				l.errorf(a.Expr.Range().Ptr(), "Invalid late_by", "late_by must be at least %s: the outbox delivers in rounds a second or so apart.", durations.Format(MinExpireAfter))
			} else {
				sc.LateBy = d
			}
		}
	}
	if a := s.attr("time_zone"); a != nil {
		switch tz := s.str("time_zone"); {
		case s.reported("time_zone"):
		case tz == TimeZoneMember:
			sc.Member = true
		default:
			loc, err := time.LoadLocation(tz)
			if err != nil || tz == "" || tz == "Local" {
				l.errorf(a.Expr.Range().Ptr(), "Unknown time zone", "%q is not an IANA time zone name (such as \"Europe/Berlin\"), nor %q for each member's own zone.", tz, TimeZoneMember)
			} else {
				sc.Zone = loc
			}
		}
	}
	starts, ends := s.attr("starts"), s.attr("ends")
	startsText, endsText := s.str("starts"), s.str("ends")
	l.later = append(l.later, func() {
		// The hearth block's zone is known once every file is read.
		zone := sc.Zone
		if zone == nil {
			zone = l.cfg.Settings.Timezone
			if !sc.Member {
				sc.Zone = zone
			}
		}
		bound := func(a *hcl.Attribute, text string) time.Time {
			if a == nil || text == "" {
				return time.Time{}
			}
			t, err := parseBound(text, zone)
			if err != nil {
				l.errorf(a.Expr.Range().Ptr(), "Invalid "+a.Name, "%s: %v.", a.Name, err)
			}
			return t
		}
		sc.Starts, sc.Ends = bound(starts, startsText), bound(ends, endsText)
		if !sc.Starts.IsZero() && !sc.Ends.IsZero() && !sc.Ends.After(sc.Starts) {
			l.errorf(ends.Expr.Range().Ptr(), "Schedule ends before it starts", "ends (%s) must be after starts (%s).", endsText, startsText)
		}
	})
	name := c.Name
	refuse := func(attr, why string) {
		if a := b.attr(attr); a != nil {
			l.errorf(a.NameRange.Ptr(), attr+" with schedule", "campaign %q is scheduled: %s", name, why)
		}
	}
	refuse("enter_on", "members enter at its occurrences, in its audience, not on an event. Remove enter_on, or make it two campaigns.")
	refuse("enter_when", "members enter at its occurrences; to send to some of the audience only, narrow the audience segment's rule, or give the step a when.")
	refuse("run_key", "each occurrence is already a run of its own, keyed by its date (\"2026-12-01\").")
	refuse("reentry", "each occurrence is a run of its own, started once for each member in the audience then, so reentry has nothing to decide. Remove it.")
	refuse("reentry_after", "each occurrence is a run of its own, started once for each member in the audience then. Remove it.")
	refuse("expire_after", "late_by in its schedule block says how late a send of an occurrence may still go out (1d by default). Write late_by there instead.")
	if b.attr("audience") == nil {
		l.errorf(&sb.DefRange, "Scheduled campaign without audience", "campaign %q has a schedule but no audience to send to. Set audience = segment.NAME; for everyone, a segment with when = \"true\".", name)
	}
	c.Schedule = sc
	c.ExpireAfter = sc.LateBy
}
