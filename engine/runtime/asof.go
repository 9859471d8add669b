package runtime

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
)

// AsOfNote is an input of a rule that a member's stored state cannot give
// as of an earlier time than the state is of, and why: hearth member eval
// and member why -at such a time print them as warnings.
type AsOfNote struct {
	Input string `json:"input"` // member.points, total('post.voted'), or what the address keeps (campaign runs)
	Note  string `json:"note"`
}

// AsOf is a member as its stored state tells of a time before the one the
// state is of (its latest event or evaluation). A member document keeps
// what the rules need now, not its history, so it is worked out input by
// input: counts from the per-day counts (exact inside the horizon, or
// all the way when nothing was trimmed), the tier from its history,
// points, badges and segments from the member's outcomes when they add
// up to what the member holds now, the rest from the times the member
// keeps (since when in a segment, first award of a badge, last leaving).
// What cannot be worked out is left as it stands and noted for every
// input that reads it.
type AsOf struct {
	At     time.Time
	Latest time.Time // the time the stored member is of
	// Member is a copy of the member as of At, as far as it is known:
	// evaluate rules on it at At.
	Member *state.Member

	orig      *state.Member
	today     state.Day // At's day
	through   state.Day // the last day counted: the day before At's when At is midnight
	fields    map[string]string
	badges    map[string]string // a note by badge name, for those not known
	segments  map[string]string // the same by segment
	revocable map[string]bool
	history   bool // the outcomes tell badges and segments as of At
	tiers     []*config.Tier
	notes     []AsOfNote
	seen      map[string]bool
}

// MemberAsOf is m as of at, or nil when at is not before the time m's
// state is of: then m is as of at already (time-based rules see at).
// outcomes are the member's outcomes, oldest first, and read says they
// were read from a store that keeps them: they give points, badges and
// segments as of at when they account for what the member holds now.
func (r *Runtime) MemberAsOf(m *state.Member, at time.Time, outcomes []state.Outcome, read bool) (*AsOf, error) {
	latest := StateTime(m)
	if !at.Before(latest) {
		return nil, nil
	}
	b, err := m.AppendBinary(nil)
	if err != nil {
		return nil, err
	}
	c := new(state.Member)
	if err := state.DecodeMember(b, c); err != nil {
		return nil, err
	}
	a := &AsOf{At: at, Latest: latest, Member: c, orig: m, today: state.DayOf(at),
		fields: map[string]string{}, badges: map[string]string{}, segments: map[string]string{},
		revocable: map[string]bool{}, seen: map[string]bool{}, tiers: r.cfg.Tiers}
	a.through = a.today
	if at.Equal(a.today.Time()) {
		// Midnight: nothing of the day had happened yet.
		a.through--
	}
	for _, x := range r.revocable {
		a.revocable[x.Name] = true
	}
	// The outcomes tell the member's history of badges and segments
	// from at on when none were pruned (no outcome_retention), or at is
	// after the oldest kept: pruning takes the oldest first.
	a.history = read && r.cfg.Settings.State.OutcomeRetention <= 0
	if !a.history && len(outcomes) > 0 {
		oldest := outcomes[0].At
		for _, o := range outcomes[1:] {
			if o.At.Before(oldest) {
				oldest = o.At // a late event's
			}
		}
		a.history = !at.Before(oldest)
	}
	a.counts()
	a.profile()
	if a.changedSince("email.unsubscribed", "email.resubscribed") {
		note := "as it stands now: the member unsubscribed or resubscribed on or after " + dayText(a.today)
		a.field("unsubscribed", note)
		a.field("unsubscribed_from", note)
	}
	if a.changedSince("email.bounced", "email.resubscribed") {
		note := "as it stands now: an address of the member bounced, or a bounce was lifted, on or after " + dayText(a.today)
		a.field("bounced", note)
		a.field("bounced_from", note)
	}
	a.joined()
	a.active()
	a.left()
	a.points(outcomes)
	a.referrals()
	if m.Strikes > 0 || m.Moderation != nil {
		a.field("strikes", "the live strikes now: strikes decay with time, and those of an earlier time are not kept")
	}
	a.tier(r.ranks)
	a.badgesAsOf(outcomes)
	a.segmentsAsOf(outcomes)
	return a, nil
}

// StateTime is the time a stored member is of: its latest event or
// evaluation, whichever is later. An -at before it is in the member's
// past (MemberAsOf).
func StateTime(m *state.Member) time.Time {
	if m.LastEventAt.After(m.EvaluatedAt) {
		return m.LastEventAt
	}
	return m.EvaluatedAt
}

// dayText writes a day as people read it.
func dayText(d state.Day) string { return d.Time().Format(time.DateOnly) }

func (a *AsOf) when() string { return a.At.UTC().Format("2006-01-02 15:04") }

func (a *AsOf) field(name, note string) { a.fields[name] = note }

// counts cuts the copy's per-day counts at the last day counted, so its
// totals and windows are those of At; whether they are exact is told per
// input (seriesNote).
func (a *AsOf) counts() {
	c := a.Member
	for i := range c.Types {
		t := &c.Types[i]
		var cut int
		t.Days, cut = cutAfter(t.Days, a.through)
		t.Total -= cut
	}
	c.Active, _ = cutAfter(c.Active, a.through)
	c.Earned, _ = cutAfter(c.Earned, a.through)
}

// cutAfter is s without the days after through, and what they counted.
func cutAfter(s state.Series, through state.Day) (state.Series, int) {
	n := len(s)
	for n > 0 && s[n-1].Day > through {
		n--
	}
	cut := 0
	for _, b := range s[n:] {
		cut += b.Count
	}
	return s[:n:n], cut
}

// changedSince reports whether the member had events of any of the types
// on or after At's day: what they set may have changed since At.
func (a *AsOf) changedSince(types ...string) bool {
	for _, t := range types {
		if s := a.orig.Daily(t); len(s) > 0 && s[len(s)-1].Day >= a.today {
			return true
		}
	}
	return false
}

func (a *AsOf) profile() {
	if !a.changedSince("member.profile_updated", "member.joined") {
		return
	}
	note := "the profile as it stands now: the member joined or updated it on or after " + dayText(a.today) + ", and earlier versions are not kept"
	for _, f := range []string{"name", "locale", "timezone", "attrs"} {
		a.field(f, note)
	}
}

func (a *AsOf) joined() {
	if a.orig.JoinedAt.After(a.At) {
		note := fmt.Sprintf("the member joined at %s, after %s: not a member yet then", a.orig.JoinedAt.UTC().Format("2006-01-02 15:04"), a.when())
		a.field("joined_at", note)
		a.field("days_since_joined", note)
	}
}

// active works out the latest activity by At from the per-day activity:
// its day is known, not its time.
func (a *AsOf) active() {
	m, c := a.orig, a.Member
	if !m.LastActiveAt.After(a.At) {
		return
	}
	var note string
	switch n := len(c.Active); {
	case n > 0 && c.Active[n-1].Day == a.today:
		c.LastActiveAt = a.At
		note = "active on " + dayText(a.today) + ", but the time of day is not kept: taken as " + a.when()
	case n > 0:
		c.LastActiveAt = c.Active[n-1].Day.Time()
		note = "last active on " + dayText(c.Active[n-1].Day) + " by then, but the time of day is not kept: taken as its start"
	case activeKept(m, math.MinInt32):
		c.LastActiveAt = time.Time{} // never active by then
		return
	default:
		c.LastActiveAt = time.Time{}
		note = keptNote(m.Active[len(m.Active)-1].Day, "the latest activity by then")
	}
	a.field("last_active_at", note)
	a.field("days_since_active", note)
}

// left works out whether the member was away at At, from their latest
// leaving and the per-day counts of member.left and member.joined: known
// when they had not left by then, when they left before At and came
// back on a later day (or not at all), or when nothing about leaving
// happened since.
func (a *AsOf) left() {
	m, c := a.orig, a.Member
	if m.LeftAt.IsZero() && !m.Left || !a.changedSince("member.left", "member.joined") {
		return
	}
	leaves := m.Daily("member.left")
	if seriesNote(leaves, a.through+1, m.Total("member.left"), "") == "" && c.Total("member.left") == 0 {
		c.Left, c.LeftAt = false, time.Time{} // had not left yet
		return
	}
	if !m.LeftAt.After(a.At) {
		// Left before At, for the last time: away at At unless they came
		// back by then, on the first day after leaving with a join.
		back, ok := firstDayAfter(m.Daily("member.joined"), state.DayOf(m.LeftAt))
		switch {
		case !m.Left && !ok:
			// Came back, on a day no longer kept or the day they left.
		case !ok || back > a.through:
			c.Left = true
			return
		case back < a.today:
			c.Left = false
			return
		}
	}
	if m.LeftAt.After(a.At) {
		c.Left, c.LeftAt = false, time.Time{}
	}
	note := fmt.Sprintf("whether the member was away at %s is not known: only their latest leaving (%s) is kept", a.when(), m.LeftAt.UTC().Format("2006-01-02 15:04"))
	for _, f := range []string{"left", "left_at", "days_since_left"} {
		a.field(f, note)
	}
}

// firstDayAfter is the first day after d the series counted something
// on; ok is false for none, or when the day d itself counted something
// (which came first that day is not kept).
func firstDayAfter(s state.Series, d state.Day) (state.Day, bool) {
	for _, b := range s {
		switch {
		case b.Day == d && b.Count > 0:
			return 0, false
		case b.Day > d && b.Count > 0:
			return b.Day, true
		}
	}
	return 0, false
}

// points works the balance and the points earned out from the member's
// points outcomes, when they add up to what the member has now: nothing
// was pruned. Otherwise points earned come from the per-day grants.
func (a *AsOf) points(outcomes []state.Outcome) {
	m, c := a.orig, a.Member
	var balance, earned, balanceAt, earnedAt int
	for _, o := range outcomes {
		if o.Kind != state.KindPoints {
			continue
		}
		by := !o.At.After(a.At)
		balance += o.Points
		if by {
			balanceAt += o.Points
		}
		if o.Points > 0 {
			earned += o.Points
			if by {
				earnedAt += o.Points
			}
		}
	}
	if balance == m.Points && earned == m.PointsEarned {
		c.Points, c.PointsEarned = balanceAt, earnedAt
		return
	}
	a.field("points", "the balance now: the member's points outcomes do not add up to it (some were pruned, or the store keeps none), so the balance then is not known")
	c.PointsEarned = m.PointsEarned - m.Earned.After(a.through)
	if note := seriesNote(m.Earned, a.through+1, m.PointsEarned, "the points earned"); note != "" {
		a.field("points_earned", note)
	}
}

// referrals counts the referral.converted events by At, when the member
// counted them all: each named a new referee (a repeat or a self-referral
// counts none, and older stores counted referrals apart).
func (a *AsOf) referrals() {
	m, c := a.orig, a.Member
	if m.Referrals == 0 && m.Total("referral.converted") == 0 {
		return
	}
	if m.Total("referral.converted") != m.Referrals {
		a.field("referrals", "the count now: the member's referral.converted events do not account for it (a referee converting again, or the member themselves, counts once or not at all), so the count then is not known")
		return
	}
	c.Referrals = c.Total("referral.converted")
	if note := seriesNote(m.Daily("referral.converted"), a.through+1, m.Referrals, "the count"); note != "" {
		a.field("referrals", note)
	}
}

// tier puts back the tier held at At, from the tier's history. The
// qualification and keep bookkeeping of that time is not kept: what
// began after At is dropped, and why's verdict says the rest is now's.
func (a *AsOf) tier(ranks map[string]int) {
	m, c := a.orig, a.Member
	h := m.Tier.History
	if len(h) == 0 {
		if m.Tier.Name != "" && m.Tier.Since.After(a.At) {
			note := "the tier now: it was reached at " + m.Tier.Since.UTC().Format("2006-01-02 15:04") + " and the history before is not kept"
			a.field("tier", note)
			a.field("tier_rank", note)
		}
		return
	}
	if h[0].From != "" && h[0].At.After(a.At) {
		// A history begun after the member held a tier (an older store):
		// what they held before it is not kept.
		note := "the tier's history begins at " + h[0].At.UTC().Format("2006-01-02 15:04") + ", after " + a.when() + ", on " + h[0].From + ": the tier before is not kept"
		a.field("tier", note)
		a.field("tier_rank", note)
	}
	name, since, n := h[0].From, time.Time{}, 0
	for i := len(h) - 1; i >= 0; i-- {
		if !h[i].At.After(a.At) {
			name, since, n = h[i].To, h[i].At, i+1
			break
		}
	}
	c.Tier.Name, c.Tier.Rank, c.Tier.Since, c.Tier.History = name, ranks[name], since, c.Tier.History[:n]
	c.Tier.Qualifying = slices.DeleteFunc(c.Tier.Qualifying, func(q state.Qualification) bool { return q.Since.After(a.At) })
	if c.Tier.FailingSince.After(a.At) {
		c.Tier.FailingSince = time.Time{}
	}
}

// badgesAsOf works out the awards held at At: from the badge outcomes
// when they account for what is held now, else from the first and latest
// award the member keeps.
func (a *AsOf) badgesAsOf(outcomes []state.Outcome) {
	m, c := a.orig, a.Member
	for name, h := range m.Badges {
		if n, ok := replayBadge(outcomes, name, h.Count, a.At); ok && a.history {
			c.Badges[name].Count = n
			continue
		}
		held, exact := 0, true
		switch {
		case h.Count > 0 && !h.First.After(a.At):
			held = h.Count
			if h.Last.After(a.At) {
				held, exact = 1, false // repeated awards, some after At
			}
		case h.First.After(a.At) && h.Count > 0:
			exact = !a.revocable[name] // else it may have been held, then revoked
		default: // revoked since
			exact = false
			if !h.First.After(a.At) && !a.At.After(h.Last) {
				held = 1 // between awards of the hold revoked since
			}
		}
		c.Badges[name].Count = held
		if !exact {
			a.badges[name] = fmt.Sprintf("awards of %s are kept as a count (%d now, first %s, latest %s) and the outcomes do not account for them, so how many were held at %s is not known",
				name, h.Count, h.First.UTC().Format(time.DateOnly), h.Last.UTC().Format(time.DateOnly), a.when())
		}
	}
}

// replayBadge counts a badge's awards held at at from the outcomes: an
// award adds one, a revocation takes all back. ok is false when the
// outcomes do not lead to the count held now, or revoke what they never
// awarded: some were pruned.
func replayBadge(outcomes []state.Outcome, name string, now int, at time.Time) (int, bool) {
	n, nAt, seen := 0, 0, false
	for _, o := range outcomes {
		if o.Kind != state.KindBadge || o.Name != name {
			continue
		}
		seen = true
		switch o.Change {
		case "award", "import": // an imported badge is held as an awarded one
			n++
		case "revoke":
			if n == 0 {
				return 0, false
			}
			n = 0
		}
		if !o.At.After(at) {
			nAt = n
		}
	}
	// A badge the member has a record of was awarded: outcomes with none
	// of it lost them.
	return nAt, seen && n == now
}

// segmentsAsOf works out the segments the member was in at At: a segment
// entered before At and not left since is known from the member; others
// from the segment outcomes, when they lead to the segments of now.
func (a *AsOf) segmentsAsOf(outcomes []state.Outcome) {
	m, c := a.orig, a.Member
	in := map[string]bool{}
	names := map[string]bool{}
	for s := range m.Segments {
		names[s] = true
	}
	for _, o := range outcomes {
		if o.Kind == state.KindSegment {
			names[o.Name] = true
		}
	}
	for s := range names {
		entered, now := m.Segments[s]
		if now && !entered.After(a.At) {
			in[s] = true
			continue
		}
		if was, ok := replaySegment(outcomes, s, now, entered, a.At); ok && a.history {
			in[s] = was
			continue
		}
		if now {
			a.segments[s] = fmt.Sprintf("the member entered %s at %s, after %s, and the outcomes do not tell whether they were in it before", s, entered.UTC().Format("2006-01-02 15:04"), a.when())
		} else {
			a.segments[s] = fmt.Sprintf("the member is not in %s now, and the outcomes do not tell whether they were at %s", s, a.when())
		}
	}
	if !a.history {
		// Of a segment the member is in neither now nor in the outcomes
		// kept, nothing is known as of At either.
		a.segments[""] = "the member's outcomes before " + a.when() + " are not all kept (outcome_retention), so the segments they were in then are not known, past those entered before and still held"
	}
	c.Segments = map[string]time.Time{}
	for s, was := range in {
		if was {
			c.Segments[s] = m.Segments[s]
		}
	}
	// A segment left since At: its time of entering is that of the
	// outcome that entered it.
	for _, o := range outcomes {
		if o.Kind == state.KindSegment && o.Change == "enter" && in[o.Name] && !o.At.After(a.At) {
			if _, now := m.Segments[o.Name]; !now || m.Segments[o.Name].After(a.At) {
				c.Segments[o.Name] = o.At
			}
		}
	}
}

// replaySegment tells from the outcomes whether the member was in a
// segment at at. ok is false when they do not lead to where the member
// is now, or enter a segment twice or leave one never entered: some
// were pruned. A member's first outcomes find them in no segment.
func replaySegment(outcomes []state.Outcome, name string, now bool, entered, at time.Time) (bool, bool) {
	in, inAt, last := false, false, time.Time{}
	for _, o := range outcomes {
		if o.Kind != state.KindSegment || o.Name != name {
			continue
		}
		switch o.Change {
		case "enter":
			if in {
				return false, false
			}
			in, last = true, o.At
		case "leave":
			if !in {
				return false, false
			}
			in = false
		}
		if !o.At.After(at) {
			inAt = in
		}
	}
	if in != now || now && !last.Equal(entered) {
		return false, false
	}
	return inAt, true
}

// activeKept reports whether the per-day activity holds every day from
// from on: the days within the horizon of the latest, or all of them for
// a member who joined within it (and so had no activity before it).
func activeKept(m *state.Member, from state.Day) bool {
	s := m.Active
	if len(s) == 0 {
		return true
	}
	last := s[len(s)-1].Day
	return from > last-state.Horizon || state.DayOf(m.JoinedAt) > last-state.Horizon
}

// seriesNote says why a per-day count from day from on is not known, or
// "": a series keeps every day within the horizon of its latest, and all
// of them when its days add up to total (nothing was trimmed). what
// names the figure in the note.
func seriesNote(s state.Series, from state.Day, total int, what string) string {
	if len(s) == 0 {
		if total == 0 {
			return ""
		}
		return what + " is not known then: the per-day counts are gone"
	}
	last := s[len(s)-1].Day
	if from > last-state.Horizon {
		return ""
	}
	sum := 0
	for _, b := range s {
		sum += b.Count
	}
	if sum == total {
		return ""
	}
	return keptNote(last, what)
}

// keptNote says that what needs per-day counts from before the horizon
// of a series whose latest day is last.
func keptNote(last state.Day, what string) string {
	return fmt.Sprintf("per-day counts are kept for the %d days to the latest (%s to %s); %s needs days before, which are not kept, so it is not known as of then", state.Horizon, dayText(last-state.Horizon+1), dayText(last), what)
}

// Notes are what the rules explained or evaluated so far read that is
// not known as of At, in the order they were read.
func (a *AsOf) Notes() []AsOfNote { return a.notes }

func (a *AsOf) add(input, note string) {
	if note == "" || a.seen[input] {
		return
	}
	a.seen[input] = true
	a.notes = append(a.notes, AsOfNote{Input: input, Note: note})
}

// Known reports whether an input read of the member is known as of At
// (its name as explanations give it: member.points, count('x', '7d')).
func (a *AsOf) Known(input string) bool { return !a.seen[input] }

// read notes what p reads that is not known as of At.
func (a *AsOf) read(p *rules.Program) {
	for _, f := range p.Reads.Member {
		switch f {
		case "messages":
			a.add("member."+f, a.typeNote("message.posted", a.through+1, "member.messages"))
		case "posts":
			a.add("member."+f, a.typeNote("post.created", a.through+1, "member.posts"))
		case "reactions":
			a.add("member."+f, a.typeNote("reaction.added", a.through+1, "member.reactions"))
		case "badges":
			for _, name := range sortedKeys(a.badges) {
				a.add("member.badges", a.badges[name])
			}
		default:
			a.add("member."+f, a.fields[f])
		}
	}
	for _, c := range p.Reads.Calls {
		a.add(c.String(), a.callNote(c))
	}
}

// callNote is why a hearth function's value is not known as of At, or "".
func (a *AsOf) callNote(c rules.Call) string {
	arg := func(i int) string {
		if i < len(c.Args) {
			return c.Args[i]
		}
		return ""
	}
	// from is the first day a window of the argument at i reads; a
	// computed window may reach any day.
	from := func(i int) state.Day {
		d, err := durations.Parse(arg(i))
		if err != nil || d%durations.Day != 0 {
			return math.MinInt32
		}
		return a.today - state.Day(d/durations.Day) + 1
	}
	types := func() []string {
		if t := arg(0); t != "" {
			return []string{t}
		}
		var all []string
		for _, t := range a.orig.Types {
			all = append(all, t.Type)
		}
		slices.Sort(all)
		return all
	}
	switch c.Func {
	case "total":
		for _, t := range types() {
			if note := a.typeNote(t, a.through+1, "the total"); note != "" {
				return note
			}
		}
	case "count", "days":
		for _, t := range types() {
			if note := a.typeNote(t, from(1), "the window"); note != "" {
				return note
			}
		}
	case "streak":
		for _, t := range types() {
			n := a.Member.Daily(t).Streak(a.today)
			if note := a.typeNote(t, a.today-state.Day(n)-1, "the streak"); note != "" {
				return note
			}
		}
	case "active_days":
		if f := from(0); !activeKept(a.orig, f) {
			return keptNote(a.orig.Active[len(a.orig.Active)-1].Day, "the window")
		}
		return a.sameDay(a.orig.Active)
	case "points_in":
		if note := seriesNote(a.orig.Earned, from(0), a.orig.PointsEarned, "the window"); note != "" {
			return note
		}
		return a.sameDay(a.orig.Earned)
	case "in_segment":
		if t, in := a.Member.Segments[arg(0)]; in && !t.After(a.At) && a.segments[arg(0)] == "" {
			if e, now := a.orig.Segments[arg(0)]; now && e.Equal(t) {
				return "" // entered before At and in it since
			}
		}
		return pick(a.segments, arg(0))
	case "has_badge", "badge_count":
		return pick(a.badges, arg(0))
	case "tier_rank":
		return a.fields["tier"]
	}
	return ""
}

// pick is the note of a name, else the note of any name ("", when
// set); for a computed name, the first note of any.
func pick(notes map[string]string, name string) string {
	if name != "" {
		if n, ok := notes[name]; ok {
			return n
		}
		return notes[""]
	}
	if keys := sortedKeys(notes); len(keys) > 0 {
		return notes[keys[0]]
	}
	return ""
}

// typeNote is why a count of typ from day from on is not known as of
// At, or "".
func (a *AsOf) typeNote(typ string, from state.Day, what string) string {
	s := a.orig.Daily(typ)
	if note := seriesNote(s, from, a.orig.Total(typ), what); note != "" {
		return note
	}
	return a.sameDay(s)
}

// sameDay says that counts are by day when At is inside a day the series
// counted something on: all of the day counts, also after At.
func (a *AsOf) sameDay(s state.Series) string {
	if a.through != a.today {
		return "" // midnight: the day is left out
	}
	for i := len(s) - 1; i >= 0 && s[i].Day >= a.today; i-- {
		if s[i].Day == a.today && s[i].Count > 0 {
			return fmt.Sprintf("counts are kept by day: all of %s counts, also what came after %s", dayText(a.today), a.At.UTC().Format("15:04"))
		}
	}
	return ""
}

// whyNotes adds what an address's explanation reads of the member's
// bookkeeping beyond its rules, which is as it stands.
func (a *AsOf) whyNotes(addr string) {
	kind, name, _ := strings.Cut(addr, ".")
	switch {
	case kind == "badge":
		h := a.orig.Badges[name]
		if h == nil || !h.First.After(a.At) && !h.Last.After(a.At) && h.Count > 0 {
			break // held as now, or never
		}
		if note, unknown := a.badges[name]; unknown {
			a.add("stored", "the awards held now; "+note)
		} else {
			a.add("stored", fmt.Sprintf("the awards held now; at %s the member held %d", a.when(), a.Member.Badges[name].Count))
		}
	case kind == "tier":
		// The verdict reads the qualification windows and keep failing
		// since only where a tier has a window, grace or demote_after.
		for _, t := range a.tiers {
			if t.Window > 0 || t.Grace > 0 || t.DemoteAfter > 0 {
				a.add("verdict", "the tier held then comes from its history, but its qualification windows and keep failing since are kept only as they stand now: the verdict may not be the one of then")
				break
			}
		}
	case kind == "incentive":
		a.add("incentive", "the member's grants of it (once, cooldown, limit, points_cap) are as they stand now")
	case kind == "campaign":
		a.add("campaign runs", "the member's runs, held and skipped sends are as they stand now")
	case addr == "moderation" || strings.HasPrefix(addr, "moderation.") || strings.Contains(addr, ".moderation."):
		a.add("moderation", "the member's strikes and moderation decisions are as they stand now")
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// EvalAsOf is Eval of the member as of a.At, with what the expression
// reads that is not known then added to a's notes.
func (r *Runtime) EvalAsOf(a *AsOf, p *rules.Program, ev *events.Event) (Explanation, error) {
	r.asOf = a
	defer func() { r.asOf = nil }()
	return r.Eval(a.Member, p, ev, a.At)
}

// WhyAsOf is WhyOn of the member as of a.At, with what the rules
// explained read that is not known then, and what the address keeps
// beyond its rules, added to a's notes. by, the member of an event of
// another, is read as they stand.
func (r *Runtime) WhyAsOf(a *AsOf, addr string, ev *events.Event, by *state.Member) ([]Explanation, error) {
	r.asOf = a
	defer func() { r.asOf = nil }()
	ex, err := r.WhyOn(a.Member, addr, ev, by, a.At)
	if err != nil {
		return nil, err
	}
	a.whyNotes(addr)
	if by != nil {
		a.add("event member", "the event's member, "+by.ID+", is read as they stand now")
	}
	return ex, nil
}
