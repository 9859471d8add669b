package runtime

import (
	"sync"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
)

// memberState answers rule functions from a member's state at a time:
// counts as of today, the day rules are evaluated on, leaving out days
// after it that a late event, or another replica's partition ahead of
// this member's, applied first. Points are a running balance and read
// as they stand.
type memberState struct {
	m     *state.Member
	now   time.Time
	today state.Day
	ranks map[string]int
	zones *zones
}

var _ rules.State = (*memberState)(nil)

func (s *memberState) Now() time.Time { return s.now }

// Location is the member's zone, as campaigns' quiet hours take it.
func (s *memberState) Location() *time.Location {
	if s.zones == nil {
		return time.UTC
	}
	return s.zones.of(s.m.Timezone)
}

// zones loads time zones by name once each: time.LoadLocation reads the
// zone database every time.
type zones struct {
	def    *time.Location // the configuration's timezone, for no zone or a bad one
	loaded sync.Map       // name -> *time.Location
}

func newZones(def *time.Location) *zones {
	if def == nil {
		def = time.UTC
	}
	return &zones{def: def}
}

func (z *zones) of(name string) *time.Location {
	if name == "" {
		return z.def
	}
	if loc, ok := z.loaded.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = z.def
	}
	z.loaded.Store(name, loc)
	return loc
}
func (s *memberState) Count(t string, days int) int {
	return s.m.Count(t, s.today, days)
}
func (s *memberState) Total(t string) int      { return s.m.TotalAsOf(t, s.today) }
func (s *memberState) ActiveDays(days int) int { return s.m.Active.Days(s.today, days) }
func (s *memberState) EventDays(t string, days int) int {
	return s.m.Daily(t).Days(s.today, days)
}
func (s *memberState) PointsIn(days int) int      { return s.m.Earned.Sum(s.today, days) }
func (s *memberState) Streak(t string) int        { return s.m.Daily(t).Streak(s.today) }
func (s *memberState) TierRank() int              { return s.m.Tier.Rank }
func (s *memberState) RankOf(t string) int        { return s.ranks[t] }
func (s *memberState) InSegment(name string) bool { _, ok := s.m.Segments[name]; return ok }
func (s *memberState) HasBadge(name string) bool  { return s.BadgeCount(name) > 0 }
func (s *memberState) BadgeCount(name string) int {
	if h := s.m.Badges[name]; h != nil {
		return h.Count
	}
	return 0
}

// fillMember writes the rules' whole view of m at now into out, for
// templates, which may read anything.
func fillMember(out *rules.Member, m *state.Member, now time.Time, noAttrs map[string]any) {
	all := memberFields{messages: true, posts: true, reactions: true, badges: true, days: true, unsubscribedFrom: true, bouncedFrom: true}
	fillMemberFields(out, m, now, noAttrs, all)
}

// memberFields says which of the member view's derived fields some rule
// reads: those cost a map lookup or a loop each, on every bind.
type memberFields struct {
	messages, posts, reactions, badges, days, unsubscribedFrom, bouncedFrom bool
}

// or is the fields either reads.
func (f memberFields) or(g memberFields) memberFields {
	return memberFields{messages: f.messages || g.messages, posts: f.posts || g.posts, reactions: f.reactions || g.reactions,
		badges: f.badges || g.badges, days: f.days || g.days, unsubscribedFrom: f.unsubscribedFrom || g.unsubscribedFrom,
		bouncedFrom: f.bouncedFrom || g.bouncedFrom}
}

// fieldsRead are the derived member fields the programs read.
func fieldsRead(ps []*rules.Program) memberFields {
	var f memberFields
	for _, p := range ps {
		if p == nil {
			continue
		}
		for _, name := range p.Reads.Member {
			switch name {
			case "messages":
				f.messages = true
			case "posts":
				f.posts = true
			case "reactions":
				f.reactions = true
			case "badges":
				f.badges = true
			case "days_since_joined", "days_since_active", "days_since_left":
				f.days = true
			case "unsubscribed_from":
				f.unsubscribedFrom = true
			case "bounced_from":
				f.bouncedFrom = true
			}
		}
		// Functions such as count() read the member state, not the view.
	}
	return f
}

// fillMemberFields is fillMember with the derived fields no rule reads
// left at zero.
func fillMemberFields(out *rules.Member, m *state.Member, now time.Time, noAttrs map[string]any, f memberFields) {
	*out = rules.Member{
		ID: m.ID, Name: m.Name, Platform: m.Platform, Locale: m.Locale, Timezone: m.Timezone,
		JoinedAt: m.JoinedAt, LastActiveAt: m.LastActiveAt, Left: m.Left, LeftAt: m.LeftAt,
		Points: m.Points, PointsEarned: m.PointsEarned,
		Referrals: m.Referrals, Referrer: m.Referrer, Tier: m.Tier.Name, TierRank: m.Tier.Rank, Strikes: m.Strikes,
		Attrs: m.Attrs, Unsubscribed: len(m.Unsubscribed) > 0, Bounced: len(m.Bounced) > 0,
	}
	if f.unsubscribedFrom {
		out.UnsubscribedFrom = m.UnsubscribedList()
	}
	if f.bouncedFrom {
		out.BouncedFrom = m.BouncedList()
	}
	if f.days {
		out.DaysSinceJoined, out.DaysSinceActive = rules.DaysBetween(m.JoinedAt, now), rules.DaysBetween(m.LastActiveAt, now)
		out.DaysSinceLeft = rules.DaysBetween(m.LeftAt, now)
	}
	// Totals as of now's day, as total() reads them (memberState).
	today := state.DayOf(now)
	if f.messages {
		out.Messages = m.TotalAsOf("message.posted", today)
	}
	if f.posts {
		out.Posts = m.TotalAsOf("post.created", today)
	}
	if f.reactions {
		out.Reactions = m.TotalAsOf("reaction.added", today)
	}
	if f.badges {
		for _, h := range m.Badges {
			out.Badges += h.Count
		}
	}
	if out.Attrs == nil {
		out.Attrs = noAttrs
	}
}

// changeKeys are what a rule depends on, in the vocabulary of changes:
// "points", "count:TYPE", "active", "segment:NAME", "badge:NAME", "tier",
// "profile", "referrals", "strikes", "joined", "left", "unsubscribed". A rule runs again only when
// one of its keys changed, or when time passed for time-dependent rules.
func changeKeys(p *rules.Program) []string {
	if p == nil {
		return nil
	}
	var keys []string
	for _, f := range p.Reads.Member {
		switch f {
		case "points", "points_earned":
			keys = append(keys, "points")
		case "messages":
			keys = append(keys, "count:message.posted")
		case "posts":
			keys = append(keys, "count:post.created")
		case "reactions":
			keys = append(keys, "count:reaction.added")
		case "badges":
			keys = append(keys, "badge:*")
		case "tier", "tier_rank":
			keys = append(keys, "tier")
		case "last_active_at", "days_since_active":
			keys = append(keys, "active")
		case "joined_at", "days_since_joined":
			keys = append(keys, "joined")
		case "left", "left_at", "days_since_left":
			keys = append(keys, "left")
		case "unsubscribed", "unsubscribed_from", "bounced", "bounced_from":
			// A bounce, and what lifts one, mark the same key.
			keys = append(keys, "unsubscribed")
		case "referrals", "strikes":
			keys = append(keys, f)
		case "referrer":
			keys = append(keys, "referrals") // set as the join's referrals are kept
		default:
			keys = append(keys, "profile")
		}
	}
	for _, t := range p.Reads.EventTypes {
		keys = append(keys, "count:"+t)
	}
	for _, s := range p.Reads.Segments {
		keys = append(keys, "segment:"+s)
	}
	for _, b := range p.Reads.Badges {
		keys = append(keys, "badge:"+b)
	}
	for _, f := range p.Reads.Functions {
		switch f {
		case "active_days":
			keys = append(keys, "active")
		case "points_in":
			keys = append(keys, "points")
		case "tier_rank":
			keys = append(keys, "tier")
		}
	}
	if p.Reads.Community {
		keys = append(keys, "community")
	}
	return keys
}

// eventFieldsRead lists, per event type, the event fields its incentives'
// rules read. Types a campaign enters on are left out (they keep the whole
// view, which the run keeps for its templates), and so are types with a
// rule that reads the event as a whole.
func eventFieldsRead(byType map[string][]*config.Incentive, enters map[string]bool) map[string]map[string]bool {
	out := map[string]map[string]bool{}
types:
	for t, ins := range byType {
		if enters[t] {
			continue
		}
		want := map[string]bool{}
		for _, in := range ins {
			for _, rule := range []*config.Rule{in.When, in.Grant.To, in.OncePer} {
				if rule == nil || rule.Program == nil {
					continue
				}
				if rule.Program.Reads.EventWhole {
					continue types
				}
				for _, f := range rule.Program.Reads.EventFields {
					want[f] = true
				}
			}
		}
		out[t] = want
	}
	return out
}
