// Package analytics keeps community health figures up to date as events
// are applied and builds reports from them: join cohorts and their
// retention by week and month, active members over 1, 7 and 30 days, the
// funnel from joining to each tier, referral growth, the points economy,
// lifetime value and survey answers (NPS per segment and tier).
//
// The Tracker turns each applied event into changes of a few counters
// (state.Tallies) written in the same batch as the event, and remembers
// on the member (state.Tally) what it has counted, so that counting is
// exact and idempotent: a member active twice in a week counts once in
// that week. A report reads the counters only, never members or events,
// so it costs the same for a thousand members as for a million.
package analytics

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/survey"
)

// Tally keys. Days are state.Day numbers, weeks the Day of their Monday,
// months year*12+month-1.
const (
	keyJoin      = "m/join/"          // DAY: members who joined that day
	keyLeft      = "m/left/"          // DAY: members who left that day (and are still gone)
	keyActiveDay = "a/day/"           // DAY: distinct members active that day
	keyWindow7   = "a/w7/"            // DAY: change of the members active in the 7 days ending that day
	keyWindow30  = "a/w30/"           // DAY: the same for 30 days
	keyWeek      = "r/w/"             // WEEK/K: members of the week's cohort active K weeks later
	keyMonth     = "r/m/"             // MONTH/K: the same by month
	keyContrib   = "f/contrib"        // members who made a first contribution
	keyReached   = "f/tier/"          // TIER: members who ever reached the tier or a higher one
	keyTier      = state.TallyTierNow // TIER: current members on the tier now
	keyInvite    = "ref/inv/"         // DAY: invites sent
	keyReferred  = "ref/conv/"        // DAY: members who joined with a referrer
	keyActivated = "ref/act/"         // DAY: referees who converted (Tracker.Converted)
	keyGranted   = "p/grant/"         // MONTH: points granted
	keySpent     = "p/spend/"         // MONTH: points deducted (negative grants; the key predates the name)
	keyExpired   = "p/expire/"        // MONTH: points expired
	keyImported  = "p/import/"        // MONTH: opening balances of imported members (hearth import members), not grants
	keyRevenue   = "v/month/"         // MONTH: amounts, in millionths
	keyCohortRev = "v/cohort/"        // MONTH: amounts from members of the month's cohort, in millionths
	keyPayers    = "v/payers/"        // MONTH: paying members of the month's cohort
	keyNPS       = "n/"               // SURVEY/QUESTION/DIM/p|s|d: score answers by group
	keyScore     = "sc/"              // SURVEY/QUESTION/SCORE
	keyChoice    = "ch/"              // SURVEY/QUESTION/CHOICE

	// Survey answers by month: each member's latest answer of the month
	// (score answers by month are keyNPS's "mo:MONTH" group, read as
	// before). Stores written before keep, for their past months, only
	// the answers no later answer replaced; keySurveyMonths tells the
	// report from which month they are whole (SurveyMonthsFrom).
	keyChoiceMonth  = "chm/"      // SURVEY/QUESTION/MONTH/CHOICE
	keySurveyMonths = "sv/month/" // MONTH: answers counted by a tracker that keeps them by month

	// The funnel and the tiers by day, so a report can give them as of
	// an earlier day. Stores written before these keys lack them for
	// their past, which the report sees as sums short of the totals.
	keyContribDay = "f/cday/"          // DAY: first contributions made that day
	keyReachedDay = "f/rday/"          // TIER/DAY: members who reached the tier (or a higher one) that day
	keyTierDay    = state.TallyTierDay // TIER/DAY: change of the members on the tier that day

	// Badges and segment moves by day, counted from the version that
	// added them: a store written before has none for its past, which
	// keySince tells the report (BadgesFrom).
	keyBadgeAward  = "b/aw/"                 // BADGE/DAY: awards that day
	keyBadgeRevoke = "b/rv/"                 // BADGE/DAY: revocations that day
	keyBadgeHeld   = "b/held/"               // BADGE/DAY: change of the members holding the badge that day
	keyBadgeImport = "b/im/"                 // BADGE/DAY: badges imported members brought that day (hearth import members), not awards
	keySegEnter    = state.TallySegmentEnter // SEGMENT/DAY: members who entered the segment that day
	keySegLeave    = state.TallySegmentLeave // SEGMENT/DAY: members who left the segment that day
	keySince       = "b/since/"              // DAY: members of that day's joins first counted by a tracker that counts badges

	// Campaign runs by day, from their outcomes, counted from the
	// version that added them: keyCampSince marks as keySince does, so
	// the report can tell from when (CampaignsFrom).
	keyCampEnter = "c/in/"    // CAMPAIGN/DAY: runs entered that day
	keyCampEnd   = "c/end/"   // CAMPAIGN/DAY: runs ended that day, for any reason
	keyCampGoal  = "c/goal/"  // CAMPAIGN/DAY: runs that reached the goal that day while under way
	keyCampConv  = "c/conv/"  // CAMPAIGN/DAY: finished runs that reached the goal that day, within conversion_window
	keyCampSince = "c/since/" // DAY: members of that day's joins first counted by a tracker that counts campaigns
)

// micro is the scale amounts are summed at: exact to a millionth.
const micro = 1_000_000

// Tracker computes the tally changes of applied events. It reads the
// configuration (tier ranks, surveys) and is not safe for concurrent use
// with itself, like the runtime that calls it.
type Tracker struct {
	cfg   *config.Config
	tiers []*config.Tier // by rank
	ranks map[string]int
	// lastTier and lastRank are rankOf's last answer.
	lastTier string
	lastRank int
	// The tally keys built so far, by prefix: the same few hundred keys
	// (a day's, a month's) come up again on most events, and building
	// each anew would cost a conversion and an allocation.
	join, left, activeDay, w7, w30, invite, referred, activated keyCache // by day
	contrib                                                     keyCache // by day
	week, month                                                 keyCache // by period and offset
	cohortRev, payers, revenue, expired, granted, spent         keyCache // by the month of a day
	imported                                                    keyCache // by the month of a day
	since, campSince                                            keyCache // by day
}

// keyCache builds and remembers the tally keys of one prefix.
type keyCache struct {
	prefix  string
	byMonth bool // keys name the month of the day asked for
	keys    map[int64]string
	recent  [2]dayKey // the last days asked for
	next    int       // where the next one goes in recent
}

type dayKey struct {
	day state.Day
	key string // "" while unused
}

func newKeyCache(prefix string) keyCache {
	return keyCache{prefix: prefix, keys: map[int64]string{}}
}

func newMonthCache(prefix string) keyCache {
	c := newKeyCache(prefix)
	c.byMonth = true
	return c
}

// of is the prefix followed by the number of day d, or of its month.
// Events come in time order, so the days asked for are most often the
// two asked for last (a window's first day and the day after its last),
// which are kept aside from the map.
func (c *keyCache) of(d state.Day) string {
	for i := range c.recent {
		if r := &c.recent[i]; r.key != "" && r.day == d {
			return r.key
		}
	}
	s, ok := c.keys[int64(d)]
	if !ok {
		n := int(d)
		if c.byMonth {
			n = MonthOf(d)
		}
		s = c.prefix + strconv.Itoa(n)
		c.keys[int64(d)] = s
	}
	c.recent[c.next] = dayKey{d, s}
	c.next = (c.next + 1) % len(c.recent)
	return s
}

// pair is the prefix followed by n, a slash and k (0 <= k < 64).
func (c *keyCache) pair(n, k int) string {
	id := int64(n)<<6 | int64(k)
	s, ok := c.keys[id]
	if !ok {
		s = c.prefix + strconv.Itoa(n) + "/" + strconv.Itoa(k)
		c.keys[id] = s
	}
	return s
}

// NewTracker returns a tracker for a configuration.
func NewTracker(cfg *config.Config) *Tracker {
	t := &Tracker{cfg: cfg, tiers: cfg.Tiers, ranks: map[string]int{},
		join: newKeyCache(keyJoin), left: newKeyCache(keyLeft), activeDay: newKeyCache(keyActiveDay),
		w7: newKeyCache(keyWindow7), w30: newKeyCache(keyWindow30), invite: newKeyCache(keyInvite),
		referred: newKeyCache(keyReferred), activated: newKeyCache(keyActivated), contrib: newKeyCache(keyContribDay),
		week: newKeyCache(keyWeek), month: newKeyCache(keyMonth),
		cohortRev: newMonthCache(keyCohortRev), payers: newMonthCache(keyPayers), revenue: newMonthCache(keyRevenue),
		expired: newMonthCache(keyExpired), granted: newMonthCache(keyGranted), spent: newMonthCache(keySpent),
		imported: newMonthCache(keyImported),
		since:    newKeyCache(keySince), campSince: newKeyCache(keyCampSince),
	}
	for _, x := range cfg.Tiers {
		t.ranks[x.Name] = x.Rank
	}
	return t
}

// WeekOf is the Monday of d's week.
func WeekOf(d state.Day) state.Day { return d - (d+3)%7 }

// MonthOf numbers d's month: year*12 + month - 1. It works the civil
// date out by arithmetic on 400-year cycles, without time.Time, since
// every active event asks it.
func MonthOf(d state.Day) int {
	// Days from 0000-03-01: counting years from March puts the leap day
	// at the end of the year.
	z := int(d) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097                                  // day of the 400-year cycle
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // year of the cycle
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // day of the March-based year
	mp := (5*doy + 2) / 153                                // month from March, 0..11
	y, m := yoe+era*400, mp+3
	if mp >= 10 {
		y, m = y+1, mp-9
	}
	return y*12 + m - 1
}

func monthTime(mo int) time.Time {
	return time.Date(mo/12, time.Month(mo%12+1), 1, 0, 0, 0, 0, time.UTC)
}

func tally(m *state.Member) *state.Tally { return &m.Tally }

// cohort counts the member's join and keeps what was counted against the
// join period; when the join time moves (member.joined arriving after
// the member's first events), what was counted moves with it.
func (t *Tracker) cohort(d state.Tallies, m *state.Member) *state.Tally {
	tl := tally(m)
	join := state.DayOf(m.JoinedAt)
	if tl.Counted && tl.Cohort == join {
		return tl
	}
	if tl.Counted {
		old := tl.Cohort
		d.Add(t.join.of(old), -1)
		t.periods(d, tl, old, -1)
		d.Add(t.cohortRev.of(old), -tl.Revenue)
		if tl.Paid {
			d.Add(t.payers.of(old), -1)
		}
		if tl.Referred {
			d.Add(t.referred.of(old), -1)
			tl.Referred = false
		}
	}
	if !tl.Counted {
		// Counted since badges are: when every member is, the badges
		// and segment moves are counted from the store's start. Only
		// the first count marks, so a member counted by an earlier
		// version is never marked, even if their join moves later.
		d.Add(t.since.of(join), 1)
		d.Add(t.campSince.of(join), 1)
	}
	tl.Counted, tl.Cohort = true, join
	d.Add(t.join.of(join), 1)
	// Recount the active periods from the member's per-day activity.
	tl.Weeks, tl.Months = 0, 0
	for _, b := range m.Active {
		if b.Count > 0 {
			setPeriods(tl, join, b.Day)
		}
	}
	t.periods(d, tl, join, 1)
	d.Add(t.cohortRev.of(join), tl.Revenue)
	if tl.Paid {
		d.Add(t.payers.of(join), 1)
	}
	return tl
}

// setPeriods sets the week and month bits of an active day.
func setPeriods(tl *state.Tally, join, day state.Day) {
	if k := int(WeekOf(day)-WeekOf(join)) / 7; k >= 0 && k < 64 {
		tl.Weeks |= 1 << k
	}
	if k := MonthOf(day) - MonthOf(join); k >= 0 && k < 64 {
		tl.Months |= 1 << k
	}
}

// periods adds sign to the retention cells of every set bit.
func (t *Tracker) periods(d state.Tallies, tl *state.Tally, join state.Day, sign int64) {
	week, month := int(WeekOf(join)), MonthOf(join)
	for k := 0; k < 64; k++ {
		if tl.Weeks&(1<<k) != 0 {
			d.Add(t.week.pair(week, k), sign)
		}
	}
	for k := 0; k < 64; k++ {
		if tl.Months&(1<<k) != 0 {
			d.Add(t.month.pair(month, k), sign)
		}
	}
}

// Kind is what the tracker needs to know of an event's type, worked out
// once per type (KindOf) rather than on every event.
type Kind struct {
	Activity bool // the type counts as the member being active
	// Amount says events of the type may carry an amount (lifetime
	// value): the type declares an amount attribute, as purchase.made
	// does, or is not declared at all.
	Amount bool
}

// KindOf is the kind of events of type typ under cfg.
func KindOf(cfg *config.Config, typ string) Kind {
	et, known := cfg.EventTypes[typ]
	if !known {
		return Kind{Amount: true}
	}
	_, amount := et.Attrs["amount"]
	return Kind{Activity: et.Activity, Amount: amount}
}

// Event counts one applied event of m, after the member's counters took
// it (state.Member.Record).
func (t *Tracker) Event(d state.Tallies, m *state.Member, ev *events.Event, kind Kind) {
	activity := kind.Activity
	tl := t.cohort(d, m)
	day := state.DayOf(ev.At)
	if activity {
		if m.Active.Sum(day, 1) == 1 {
			d.Add(t.activeDay.of(day), 1)
			t.windows(d, m.Active, day)
		}
		weeks, months := tl.Weeks, tl.Months
		setPeriods(tl, tl.Cohort, day)
		if nw := tl.Weeks &^ weeks; nw != 0 {
			d.Add(t.week.pair(int(WeekOf(tl.Cohort)), bitIndex(nw)), 1)
		}
		if nm := tl.Months &^ months; nm != 0 {
			d.Add(t.month.pair(MonthOf(tl.Cohort), bitIndex(nm)), 1)
		}
		if !tl.Contributed {
			tl.Contributed = true
			d.Add(keyContrib, 1)
			d.Add(t.contrib.of(day), 1)
		}
	}
	switch ev.Type {
	case "invite.sent":
		d.Add(t.invite.of(day), 1)
	case survey.EventType:
		t.answer(d, m, tl, ev)
	}
	if !kind.Amount {
		return
	}
	if amount, ok := amountOf(ev); ok {
		d.Add(t.revenue.of(day), amount)
		d.Add(t.cohortRev.of(tl.Cohort), amount)
		tl.Revenue += amount
		if !tl.Paid && amount > 0 {
			tl.Paid = true
			d.Add(t.payers.of(tl.Cohort), 1)
		}
	}
}

func bitIndex(x uint64) int {
	for k := 0; k < 64; k++ {
		if x&(1<<k) != 0 {
			return k
		}
	}
	return -1
}

// amountOf reads an event's amount attribute, in millionths.
func amountOf(ev *events.Event) (int64, bool) {
	var f float64
	switch v := ev.Attrs["amount"].(type) {
	case int:
		f = float64(v)
	case float64:
		f = v
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return 0, false
	}
	return int64(math.Round(f * micro)), f != 0
}

// answer counts a survey answer twice over: a member's latest answer to
// the question (overall, by tier, by segment), which a later answer
// replaces, and their latest answer of each month (by month), which only
// a later answer in the same month replaces, so that a survey asked
// every month keeps every month's answers. Answers that do not fit the
// survey are not counted.
func (t *Tracker) answer(d state.Tallies, m *state.Member, tl *state.Tally, ev *events.Event) {
	a, ok := survey.FromEvent(ev)
	if !ok || survey.Check(t.cfg, a) != nil {
		return
	}
	if tl.Answers == nil {
		tl.Answers = map[string]*state.Answer{}
	}
	id := a.Survey + "/" + a.Question
	base := id + "/"
	month := strconv.Itoa(MonthOf(state.DayOf(ev.At)))
	splitLegacyMonth(tl, id)
	bucket := ""
	if a.Score >= 0 {
		bucket = "s"
		switch {
		case a.Score >= 9:
			bucket = "p"
		case a.Score <= 6:
			bucket = "d"
		}
	}
	var latest, monthly []string
	if a.Score >= 0 {
		tier := m.Tier.Name
		if tier == "" {
			tier = "-"
		}
		latest = append(latest, keyScore+base+strconv.Itoa(a.Score),
			keyNPS+base+"all/"+bucket,
			keyNPS+base+"t:"+tier+"/"+bucket)
		for s := range m.Segments {
			latest = append(latest, keyNPS+base+"s:"+s+"/"+bucket)
		}
		monthly = []string{keyNPS + base + "mo:" + month + "/" + bucket}
	} else {
		latest = []string{keyChoice + base + a.Choice}
		monthly = []string{keyChoiceMonth + base + month + "/" + a.Choice}
	}
	// Both, always: a late answer can still be its month's latest.
	asLatest := replaceAnswer(d, tl, id, a, ev.At, latest)
	asMonths := replaceAnswer(d, tl, id+monthSep+month, a, ev.At, monthly)
	if asLatest || asMonths {
		d.Add(keySurveyMonths+month, 1)
	}
}

// monthSep joins a question's id and a month in the key of a member's
// answer of that month (Tally.Answers["survey/q@24315"]): neither a
// survey's name nor a question's id holds it.
const monthSep = "@"

// replaceAnswer counts keys for the answer stored under id, in place of
// the one counted there before, unless that one is later; it reports
// whether it counted.
func replaceAnswer(d state.Tallies, tl *state.Tally, id string, a survey.Answer, at time.Time, keys []string) bool {
	if prev := tl.Answers[id]; prev != nil {
		if at.Before(prev.At) {
			return false // an older answer arriving late changes nothing
		}
		for _, k := range prev.Keys {
			d.Add(k, -1)
		}
	}
	for _, k := range keys {
		d.Add(k, 1)
	}
	tl.Answers[id] = &state.Answer{Score: a.Score, Choice: a.Choice, At: at, Keys: keys}
	return true
}

// splitLegacyMonth moves the month key out of an answer counted before
// answers were kept by month (one record held the latest answer's
// "mo:" key with the others), into that month's record: the next answer
// replaces the latest, and leaves that month's answer counted.
func splitLegacyMonth(tl *state.Tally, id string) {
	prev := tl.Answers[id]
	if prev == nil {
		return
	}
	marker := keyNPS + id + "/mo:"
	for i, k := range prev.Keys {
		rest, ok := strings.CutPrefix(k, marker)
		if !ok {
			continue
		}
		month, _, _ := strings.Cut(rest, "/")
		if tl.Answers[id+monthSep+month] == nil {
			tl.Answers[id+monthSep+month] = &state.Answer{Score: prev.Score, Choice: prev.Choice, At: prev.At, Keys: []string{k}}
		}
		prev.Keys = append(prev.Keys[:i:i], prev.Keys[i+1:]...)
		return
	}
}

// Converted counts a referred member who converted, at at: the runtime
// calls it for a referral.converted naming a referee new to the member
// (state.Member.AddReferee), so a friend converting again, or a member
// naming themselves, is not counted, as member.referrals does not count
// them.
func (t *Tracker) Converted(d state.Tallies, at time.Time) {
	d.Add(t.activated.of(state.DayOf(at)), 1)
}

// Member settles what depends on where the member ended up after an
// event's rules ran: leaving, the latest activity, the tier, a referral.
func (t *Tracker) Member(d state.Tallies, m *state.Member) {
	tl := t.cohort(d, m)
	back := false
	if m.Left && tl.Left == 0 {
		tl.Left = state.DayOf(m.LastEventAt)
		d.Add(t.left.of(tl.Left), 1)
	} else if !m.Left && tl.Left != 0 {
		d.Add(t.left.of(tl.Left), -1)
		tl.Left, back = 0, true
	}
	tier := m.Tier.Name
	if m.Left {
		tier = ""
	}
	if tier != tl.Tier {
		// The day the distribution changed: the member left, came back,
		// or moved on the ladder.
		day := tierDay(m)
		switch {
		case m.Left:
			day = tl.Left
		case back:
			day = state.DayOf(m.LastEventAt)
		}
		if tl.Tier != "" {
			d.Add(keyTier+tl.Tier, -1)
			d.Add(tierDayKey(keyTierDay, tl.Tier, day), -1)
		}
		if tier != "" {
			d.Add(keyTier+tier, 1)
			d.Add(tierDayKey(keyTierDay, tier, day), 1)
		}
		tl.Tier = tier
	}
	if rank := t.rankOf(m.Tier.Name); rank > tl.MaxRank {
		day := tierDay(m)
		for _, x := range t.tiers {
			if x.Rank > tl.MaxRank && x.Rank <= rank {
				d.Add(keyReached+x.Name, 1)
				d.Add(tierDayKey(keyReachedDay, x.Name, day), 1)
			}
		}
		tl.MaxRank = rank
	}
	if m.Referrer != "" && !tl.Referred {
		tl.Referred = true
		d.Add(t.referred.of(tl.Cohort), 1)
	}
}

// tierDay is the day the member's tier last changed: when it moved, or,
// for a member stored before tier changes were timed, their latest event.
func tierDay(m *state.Member) state.Day {
	if m.Tier.Since.IsZero() {
		return state.DayOf(m.LastEventAt)
	}
	return state.DayOf(m.Tier.Since)
}

// tierDayKey is a by-day key of a tier: prefix, tier, "/", day. Tiers
// change seldom, so these are built when needed rather than cached.
func tierDayKey(prefix, tier string, day state.Day) string {
	return nameDayKey(prefix, tier, day)
}

// nameDayKey is a by-day key of a named thing (tier, badge, segment):
// prefix, name, "/", day.
func nameDayKey(prefix, name string, day state.Day) string {
	return prefix + name + "/" + strconv.Itoa(int(day))
}

// BadgeHolders counts a member starting (n = 1) or ceasing (n = -1) to
// hold a badge at t. The runtime calls it where it knows: an award of a
// repeatable badge already held, or a revocation, is not a new holder.
func BadgeHolders(d state.Tallies, badge string, t time.Time, n int64) {
	d.Add(nameDayKey(keyBadgeHeld, badge, state.DayOf(t)), n)
}

// rankOf is the configured rank of tier name, 0 for none or a tier no
// longer configured. The last answer is kept aside: most members asked
// about in a row are on no tier or on the same one.
func (t *Tracker) rankOf(name string) int {
	if name == "" {
		return 0
	}
	if name != t.lastTier {
		t.lastTier, t.lastRank = name, t.ranks[name]
	}
	return t.lastRank
}

// Outcomes counts the points economy (grants, spending, which is
// negative grants, and expiry, by month), badge awards and revocations,
// what imported members brought (opening balances and badges, apart
// from grants and awards, so an import is not a month's activity),
// members entering and leaving segments, and campaign runs entered,
// ended, reaching the goal and converting, by day.
func (t *Tracker) Outcomes(d state.Tallies, os []state.Outcome) {
	for _, o := range os {
		switch o.Kind {
		case state.KindCampaign:
			day := state.DayOf(o.At)
			switch o.Change {
			case "enter":
				d.Add(nameDayKey(keyCampEnter, o.Name, day), 1)
			case "exit":
				d.Add(nameDayKey(keyCampEnd, o.Name, day), 1)
				if state.DetailReason(o.Detail) == "goal" {
					d.Add(nameDayKey(keyCampGoal, o.Name, day), 1)
				}
			case "convert":
				// The run ended (finished) before: counted then, not again.
				d.Add(nameDayKey(keyCampConv, o.Name, day), 1)
			}
			continue
		case state.KindBadge:
			switch o.Change {
			case "award":
				d.Add(nameDayKey(keyBadgeAward, o.Name, state.DayOf(o.At)), 1)
			case "revoke":
				d.Add(nameDayKey(keyBadgeRevoke, o.Name, state.DayOf(o.At)), 1)
			case state.ChangeImport:
				d.Add(nameDayKey(keyBadgeImport, o.Name, state.DayOf(o.At)), 1)
			}
			continue
		case state.KindSegment:
			switch o.Change {
			case "enter":
				d.Add(nameDayKey(keySegEnter, o.Name, state.DayOf(o.At)), 1)
			case "leave":
				d.Add(nameDayKey(keySegLeave, o.Name, state.DayOf(o.At)), 1)
			}
			continue
		}
		if o.Kind != state.KindPoints || o.Points == 0 {
			continue
		}
		day := state.DayOf(o.At)
		switch {
		case o.Change == "expire":
			d.Add(t.expired.of(day), int64(-o.Points))
		case o.Change == state.ChangeImport:
			d.Add(t.imported.of(day), int64(o.Points))
		case o.Points > 0:
			d.Add(t.granted.of(day), int64(o.Points))
		default:
			d.Add(t.spent.of(day), int64(-o.Points))
		}
	}
}

// windows counts a member's new active day in the rolling 7- and 30-day
// active counts. Those are kept as changes by day (a difference array):
// the member adds one to every window ending from day on that held none
// of their other active days, and those windows are one run of days, so
// two counters per window size record it, whatever order days come in.
func (t *Tracker) windows(d state.Tallies, active state.Series, day state.Day) {
	var prev, next state.Day
	hasPrev, hasNext := false, false
	// The series is sorted by day and day is nearly always its last, so
	// where day sits is found by a walk back from the end: one step, where
	// a binary search would touch the series all over.
	at := len(active)
	for at > 0 && active[at-1].Day >= day {
		at--
	}
	for i := at - 1; i >= 0; i-- {
		if active[i].Count > 0 {
			prev, hasPrev = active[i].Day, true
			break
		}
	}
	for i := at; i < len(active); i++ {
		if active[i].Count > 0 && active[i].Day != day {
			next, hasNext = active[i].Day, true
			break
		}
	}
	for _, w := range [...]struct {
		keys *keyCache
		days state.Day
	}{{&t.w7, 7}, {&t.w30, 30}} {
		from, to := day, day+w.days-1
		if hasPrev {
			from = max(from, prev+w.days)
		}
		if hasNext {
			to = min(to, next-1)
		}
		if from <= to {
			d.Add(w.keys.of(from), 1)
			d.Add(w.keys.of(to+1), -1)
		}
	}
}

// Forget changes the tallies for a member about to be erased, as of day:
// from then on they count as gone (left that day, unless they had left
// already) and on no tier, so the figures of members now agree with the
// members stored. What was counted before stays, since those are counts
// of people, not people: joins and cohorts, activity and retention, the
// tier funnel, referrals, points, revenue, survey answers, badge awards
// (only the badge's holders lose them) and segment moves (only the
// segments' sizes lose them). The
// member's own record of what it counted is updated too, so forgetting
// again after an interruption changes nothing twice.
func Forget(d state.Tallies, m *state.Member, day state.Day) {
	tl := tally(m)
	if tl.Counted && tl.Left == 0 {
		tl.Left = day
		d.Add(keyLeft+strconv.Itoa(int(day)), 1)
	}
	if tl.Tier != "" {
		d.Add(keyTier+tl.Tier, -1)
		d.Add(tierDayKey(keyTierDay, tl.Tier, day), -1)
		tl.Tier = ""
	}
	// An erased member holds no badge: the holders are of the members
	// stored. The awards stay counted, like the other counts of people.
	// The holds are emptied with it, so a second run counts none out.
	for name, h := range m.Badges {
		if h != nil && h.Count > 0 {
			BadgeHolders(d, name, day.Time(), -1)
			h.Count = 0
		}
	}
	// Nor is the member in any segment: the sizes (the moves in and out
	// summed) are corrected, not the moves, since an erasure is not one.
	// Emptied too, for the same reason as the holds.
	for name := range m.Segments {
		d.Add(nameDayKey(state.TallySegmentFix, name, day), -1)
	}
	m.Segments = nil
}
