package rules

import (
	"time"

	"github.com/hearth-community/hearth/engine/durations"
)

// State answers the questions rule functions ask about the member being
// evaluated. The runtime implements it over its member state; tests and
// `hearth simulate` implement it in memory.
type State interface {
	Now() time.Time
	Count(eventType string, days int) int
	Total(eventType string) int
	ActiveDays(days int) int
	// EventDays is the number of days in the window with at least one
	// event of the type.
	EventDays(eventType string, days int) int
	PointsIn(days int) int
	InSegment(name string) bool
	HasBadge(name string) bool
	BadgeCount(name string) int
	TierRank() int
	RankOf(tier string) int
	Streak(eventType string) int
	// Location is the member's time zone: their timezone, else the
	// configuration's, else UTC. weekday and hour read times in it.
	Location() *time.Location
}

// ArgKind says what a function argument must be; literal arguments are
// checked at validate time so a typo never waits for run time.
type ArgKind int

const (
	ArgEventType ArgKind = iota // a string literal naming a known event type
	ArgWindow                   // a string literal duration in whole days: "30d"
	ArgSegment                  // a string literal naming a segment
	ArgBadge                    // a string literal naming a badge
	ArgTier                     // a string literal naming a tier
	ArgTime                     // any time value
	// ArgChannel is a channel's name (event.channel): a literal naming
	// no channel block is only a warning, as the platform may have
	// channels hearth does not manage.
	ArgChannel
	ArgInt // any whole number
)

// Function is one entry of the rule function library.
type Function struct {
	Name      string
	Signature string
	Doc       string
	Example   string
	Args      []ArgKind
	// TimeDependent functions can change value with no event, only because
	// time passes; rules using them are re-checked on a schedule.
	TimeDependent bool
	call          func(s State, args []any) any
	sig           any // a nil func value whose type expr checks calls against
}

func days(a any) int { return a.(int) }

// Functions is the rule function library, in the order explain prints it.
func Functions() []Function {
	return []Function{
		{
			Name: "count", Signature: "count(type string, window string) int",
			Doc:     "Number of events of the type the member caused in the window, counted in per-day buckets ending today (the window is whole days).",
			Example: `count('message.posted', '30d') >= 10`,
			Args:    []ArgKind{ArgEventType, ArgWindow}, TimeDependent: true,
			call: func(s State, a []any) any { return s.Count(a[0].(string), days(a[1])) },
			sig:  new(func(stateBox, string, int) int),
		},
		{
			Name: "total", Signature: "total(type string) int",
			Doc:     "Number of events of the type the member caused, all time.",
			Example: `total('post.created') >= 1`,
			Args:    []ArgKind{ArgEventType},
			call:    func(s State, a []any) any { return s.Total(a[0].(string)) },
			sig:     new(func(stateBox, string) int),
		},
		{
			Name: "active_days", Signature: "active_days(window string) int",
			Doc:     "Days within the window on which the member did anything that counts as activity (the event types `hearth explain events` marks so, and custom ones declared with activity = true).",
			Example: `active_days('30d') >= 10`,
			Args:    []ArgKind{ArgWindow}, TimeDependent: true,
			call: func(s State, a []any) any { return s.ActiveDays(days(a[0])) },
			sig:  new(func(stateBox, int) int),
		},
		{
			Name: "days", Signature: "days(type string, window string) int",
			Doc:     "Distinct days within the window on which the member had at least one event of the type, however many that day (Discourse's days visited), from the same per-day buckets as count.",
			Example: `days('forum.visited', '100d') >= 50`,
			Args:    []ArgKind{ArgEventType, ArgWindow}, TimeDependent: true,
			call: func(s State, a []any) any { return s.EventDays(a[0].(string), days(a[1])) },
			sig:  new(func(stateBox, string, int) int),
		},
		{
			Name: "days_since", Signature: "days_since(t time) int",
			Doc:     "Whole days from t to now; a zero time (never) gives 1000000.",
			Example: `days_since(member.last_active_at) >= 14`,
			Args:    []ArgKind{ArgTime}, TimeDependent: true,
			call: func(s State, a []any) any { return DaysBetween(a[0].(time.Time), s.Now()) },
			sig:  new(func(stateBox, time.Time) int),
		},
		{
			Name: "add_days", Signature: "add_days(t time, n int) time",
			Doc:     "t moved n calendar days (back for a negative n) in the member's time zone (member.timezone, else the hearth block's timezone, else UTC), at the same time on their clock: add_days(event.starts_at, -1) is the same time the day before, also across a daylight-saving change, where event.starts_at - duration('24h') is 24 hours and so an hour off on the clock. A time the clocks skip on that day moves on by the hour they skip.",
			Example: `add_days(event.starts_at, -1)`,
			Args:    []ArgKind{ArgTime, ArgInt},
			call:    func(s State, a []any) any { return AddDays(a[0].(time.Time), a[1].(int), s.Location()) },
			sig:     new(func(stateBox, time.Time, int) time.Time),
		},
		{
			Name: "weekday", Signature: "weekday(t time) int",
			Doc:     "The day of the week of t in the member's time zone (member.timezone, else the hearth block's timezone, else UTC), as ISO 8601 numbers it: 1 is Monday, 7 is Sunday. weekday(now) >= 6 is the weekend on the member's clock. In a segment's, tier's or badge's rule, weekday(now) is re-checked at each member's midnight, so a member leaves a weekend segment on Monday with no event.",
			Example: `weekday(now) >= 6`,
			Args:    []ArgKind{ArgTime},
			call:    func(s State, a []any) any { return ISOWeekday(a[0].(time.Time).In(s.Location())) },
			sig:     new(func(stateBox, time.Time) int),
		},
		{
			Name: "hour", Signature: "hour(t time) int",
			Doc:     "The hour of t, 0 to 23, on the member's clock (member.timezone, else the hearth block's timezone, else UTC). hour(now) >= 18 is the evening where the member is. In a segment's, tier's or badge's rule, hour(now) is re-checked at the start of each of the member's hours, for every member active within the last 400 days: mind the cost on a large community.",
			Example: `hour(now) >= 9 && hour(now) < 17`,
			Args:    []ArgKind{ArgTime},
			call:    func(s State, a []any) any { return a[0].(time.Time).In(s.Location()).Hour() },
			sig:     new(func(stateBox, time.Time) int),
		},
		{
			Name: "in_segment", Signature: "in_segment(name string) bool",
			Doc:     "Whether the member is in the named segment now.",
			Example: `in_segment('active') && !in_segment('newcomers')`,
			Args:    []ArgKind{ArgSegment},
			call:    func(s State, a []any) any { return s.InSegment(a[0].(string)) },
			sig:     new(func(stateBox, string) bool),
		},
		{
			Name: "has_badge", Signature: "has_badge(name string) bool",
			Doc:     "Whether the member holds the badge.",
			Example: `has_badge('first_post')`,
			Args:    []ArgKind{ArgBadge},
			call:    func(s State, a []any) any { return s.HasBadge(a[0].(string)) },
			sig:     new(func(stateBox, string) bool),
		},
		{
			Name: "badge_count", Signature: "badge_count(name string) int",
			Doc:     "How many times the member was awarded the badge (badges with repeat = true).",
			Example: `badge_count('nice_answer') >= 3`,
			Args:    []ArgKind{ArgBadge},
			call:    func(s State, a []any) any { return s.BadgeCount(a[0].(string)) },
			sig:     new(func(stateBox, string) int),
		},
		{
			Name: "tier_rank", Signature: "tier_rank() int",
			Doc:     "Rank of the member's current tier; 0 when on no tier.",
			Example: `tier_rank() >= 2`,
			call:    func(s State, _ []any) any { return s.TierRank() },
			sig:     new(func(stateBox) int),
		},
		{
			Name: "rank_of", Signature: "rank_of(tier string) int",
			Doc:     "Rank of the named tier, for comparisons that survive renumbering.",
			Example: `tier_rank() >= rank_of('core')`,
			Args:    []ArgKind{ArgTier},
			call:    func(s State, a []any) any { return s.RankOf(a[0].(string)) },
			sig:     new(func(stateBox, string) int),
		},
		{
			Name: "points_in", Signature: "points_in(window string) int",
			Doc:     "Points granted to the member within the window.",
			Example: `points_in('7d') >= 50`,
			Args:    []ArgKind{ArgWindow}, TimeDependent: true,
			call: func(s State, a []any) any { return s.PointsIn(days(a[0])) },
			sig:  new(func(stateBox, int) int),
		},
		{
			Name: "streak", Signature: "streak(type string) int",
			Doc:     "Consecutive days, ending today or yesterday, with at least one event of the type.",
			Example: `streak('checkin') >= 7`,
			Args:    []ArgKind{ArgEventType}, TimeDependent: true,
			call: func(s State, a []any) any { return s.Streak(a[0].(string)) },
			sig:  new(func(stateBox, string) int),
		},
	}
}

// ISOWeekday numbers t's day of the week as ISO 8601 does: Monday 1 to
// Sunday 7 (Go's time.Weekday has Sunday 0).
func ISOWeekday(t time.Time) int {
	if d := t.Weekday(); d != time.Sunday {
		return int(d)
	}
	return 7
}

// Never is what days_since answers for a zero time.
const Never = 1000000

// DaysBetween is the number of whole days from t to now; Never when t is zero.
func DaysBetween(t, now time.Time) int {
	if t.IsZero() {
		return Never
	}
	d := now.Sub(t)
	if d < 0 {
		return 0
	}
	return int(d / (24 * time.Hour))
}

// CallValue evaluates one recorded call against a member's state, for
// explaining a rule's result. Calls with computed arguments give nil.
func CallValue(c Call, s State) any {
	arg := func(i int) string {
		if i < len(c.Args) {
			return c.Args[i]
		}
		return ""
	}
	window := func(i int) (int, bool) {
		d, err := durations.Parse(arg(i))
		if err != nil || d%durations.Day != 0 {
			return 0, false
		}
		return int(d / durations.Day), true
	}
	switch c.Func {
	case "count":
		if n, ok := window(1); ok {
			return s.Count(arg(0), n)
		}
	case "days":
		if n, ok := window(1); ok {
			return s.EventDays(arg(0), n)
		}
	case "total":
		return s.Total(arg(0))
	case "active_days":
		if n, ok := window(0); ok {
			return s.ActiveDays(n)
		}
	case "points_in":
		if n, ok := window(0); ok {
			return s.PointsIn(n)
		}
	case "in_segment":
		return s.InSegment(arg(0))
	case "has_badge":
		return s.HasBadge(arg(0))
	case "badge_count":
		return s.BadgeCount(arg(0))
	case "tier_rank":
		return s.TierRank()
	case "rank_of":
		return s.RankOf(arg(0))
	case "streak":
		return s.Streak(arg(0))
	case "weekday":
		if c.Now {
			return ISOWeekday(s.Now().In(s.Location()))
		}
	case "hour":
		if c.Now {
			return s.Now().In(s.Location()).Hour()
		}
	case "days_since":
		if c.Now {
			return 0
		}
	}
	return nil
}

// AddDays is t moved n calendar days in loc, at the same clock time
// there: a day across a daylight-saving change is 23 or 25 hours.
func AddDays(t time.Time, n int, loc *time.Location) time.Time {
	lt := t.In(loc)
	return time.Date(lt.Year(), lt.Month(), lt.Day()+n, lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), loc)
}
