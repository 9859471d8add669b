package analytics

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// BadgeCount is one badge as of the report's day: the members holding
// it, its awards (all, and in the 7 and 30 days ending on the day), its
// revocations, and the days of its first and latest award.
type BadgeCount struct {
	Name    string `json:"name"`
	Title   string `json:"title"` // the badge's title, its name when it has none
	Class   string `json:"class,omitempty"`
	Holders int64  `json:"holders"`
	Awarded int64  `json:"awarded"`
	// Awarded7 and Awarded30 are the awards in the 7 and 30 days ending
	// on the report's day.
	Awarded7  int64 `json:"awarded_7d"`
	Awarded30 int64 `json:"awarded_30d"`
	Revoked   int64 `json:"revoked"`
	// Imported is how many members brought the badge with hearth import
	// members: held before hearth, so not counted in Awarded (they are
	// in Holders). Absent when none did.
	Imported int64 `json:"imported,omitempty"`
	// Revocable says the badge has a revoke_when rule.
	Revocable bool   `json:"revocable"`
	First     string `json:"first_award,omitempty"` // YYYY-MM-DD
	Last      string `json:"last_award,omitempty"`  // YYYY-MM-DD
}

// namedDays reads a by-day tally of a badge, segment, campaign or tier
// correction into p, and
// reports whether k was one.
func (p *parsed) namedDays(k string, n int64) bool {
	for _, x := range [...]struct {
		prefix string
		into   map[string]map[state.Day]int64
	}{{keyBadgeAward, p.awarded}, {keyBadgeRevoke, p.revoked}, {keyBadgeHeld, p.holders}, {keyBadgeImport, p.badgesImported}, {keySegEnter, p.entered}, {keySegLeave, p.exited}, {state.TallySegmentFix, p.segFix}, {state.TallyTierFix, p.onTier},
		{keyCampEnter, p.campIn}, {keyCampEnd, p.campEnd}, {keyCampGoal, p.campGoal}, {keyCampConv, p.campConv}} {
		rest, ok := strings.CutPrefix(k, x.prefix)
		if !ok {
			continue
		}
		i := strings.LastIndexByte(rest, '/')
		if i < 0 {
			return true
		}
		d, err := strconv.Atoi(rest[i+1:])
		if err != nil {
			return true
		}
		name := rest[:i]
		if x.into[name] == nil {
			x.into[name] = map[state.Day]int64{}
		}
		x.into[name][state.Day(d)] += n
		return true
	}
	return false
}

// badgesFrom is the day badges and segment moves are counted from, when
// that is after the store's start: some members were counted by a
// version of hearth that did not count them (fewer marks than joins).
// It is the earliest mark's day (the upgrade's, but for a join dated
// back), or with none the day after the latest (events applied from now
// on count). "" when every member was counted with the badges.
func (p *parsed) badgesFrom() string {
	return p.countedFrom(p.marked, p.hasSince, p.since)
}

// countedFrom is badgesFrom of any figure whose counting version marks
// the members it counts first: marked of them, the earliest on since.
func (p *parsed) countedFrom(marked int64, hasSince bool, since state.Day) string {
	var joined int64
	for _, n := range p.join {
		joined += n
	}
	switch {
	case marked == joined:
		return ""
	case !hasSince:
		return (p.latest + 1).Time().Format(time.DateOnly)
	}
	return since.Time().Format(time.DateOnly)
}

// badges lists the configured badges in order, then those with tallies
// no longer configured, by name.
func (p *parsed) badges(cfg *config.Config, day state.Day) []BadgeCount {
	out := []BadgeCount{}
	done := map[string]bool{}
	for _, b := range cfg.Badges {
		done[b.Name] = true
		title := b.Title
		if title == "" {
			title = b.Name
		}
		out = append(out, p.badge(BadgeCount{Name: b.Name, Title: title, Class: b.Class, Revocable: b.RevokeWhen != nil}, day))
	}
	var gone []string
	for _, m := range []map[string]map[state.Day]int64{p.awarded, p.revoked, p.holders, p.badgesImported} {
		for name := range m {
			if !done[name] {
				done[name] = true
				gone = append(gone, name)
			}
		}
	}
	sort.Strings(gone)
	for _, name := range gone {
		out = append(out, p.badge(BadgeCount{Name: name, Title: name}, day))
	}
	return out
}

func (p *parsed) badge(c BadgeCount, day state.Day) BadgeCount {
	var first, last state.Day
	for d, n := range p.awarded[c.Name] {
		if d > day || n == 0 {
			continue
		}
		c.Awarded += n
		if d > day-7 {
			c.Awarded7 += n
		}
		if d > day-30 {
			c.Awarded30 += n
		}
		if first == 0 || d < first {
			first = d
		}
		last = max(last, d)
	}
	if first != 0 {
		c.First, c.Last = first.Time().Format(time.DateOnly), last.Time().Format(time.DateOnly)
	}
	c.Revoked = sumIn(p.revoked[c.Name], 0, day, false)
	c.Imported = sumIn(p.badgesImported[c.Name], 0, day, false)
	c.Holders = sumIn(p.holders[c.Name], 0, day, false)
	return c
}

// sumIn sums a by-day count over the days from..to, or over every day
// up to to when bounded is false.
func sumIn(byDay map[state.Day]int64, from, to state.Day, bounded bool) int64 {
	var n int64
	for d, k := range byDay {
		if d <= to && (!bounded || d >= from) {
			n += k
		}
	}
	return n
}
