package analytics

import (
	"fmt"
	"sort"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// Series is the report's figures period by period, the last period
// holding the report's day. Periods over before the state store's first
// event are left out.
type Series struct {
	By      string   `json:"by"` // day, week (Monday to Sunday) or month
	Periods []Period `json:"periods"`
	// NotKept names the figures the state store cannot give for past
	// periods, so the periods leave them out: "tiers" (a store that did
	// not count the tiers by day from its start, and was not anchored),
	// "points" (counted by month: in a series by day or week). Earlier
	// versions named "segment_sizes" here, now kept (SizesFrom).
	NotKept []string `json:"not_kept"`
	// SizesFrom is set when the segment sizes are kept only from that
	// day, YYYY-MM-DD: the store held members from before hearth kept
	// them, and was anchored on them that day (or counted segment moves
	// from then). Periods that ended before it have no "segments".
	// Absent when they are kept from the store's start.
	SizesFrom string `json:"segment_sizes_kept_since,omitempty"`
	// TiersFrom is SizesFrom for the members on each tier: a store that
	// counted tiers by day only since an upgrade, anchored that day.
	TiersFrom string `json:"tiers_kept_since,omitempty"`
}

// Period is one day, week or month.
type Period struct {
	Start string `json:"start"` // its first day, YYYY-MM-DD
	// End is its last day, or the report's day for the period holding it.
	End    string `json:"end"`
	Joined int64  `json:"joined"`
	Left   int64  `json:"left"`
	// Active is the distinct members active in the period. The week and
	// month holding the report's day count whole, as the cohorts do.
	Active int64 `json:"active"`
	// Contributed is the members who made their first contribution.
	Contributed int64 `json:"first_contributions"`
	Members     int64 `json:"members"` // joined and not gone at the end
	// Tiers is the members on each tier at the end, in rank order;
	// absent when the store cannot give it (Series.NotKept, TiersFrom).
	Tiers []NamedCount `json:"tiers,omitempty"`
	// Segments is the members in each segment at the end (its size, as
	// GET /v1/population counts it: members who left only in segments
	// written for them), in the order of Entered; absent for a period
	// that ended before Series.SizesFrom.
	Segments []NamedCount `json:"segments,omitempty"`
	// Badges is each badge's awards in the period.
	Badges []NamedCount `json:"badges_awarded"`
	// Entered and Exited are the members who entered and left each
	// segment in the period.
	Entered []NamedCount `json:"segments_entered"`
	Exited  []NamedCount `json:"segments_left"`
	// Campaigns is each campaign's runs in the period: entered, and
	// reaching the goal (Goal, converted runs included; Converted those
	// that did after the last step, within conversion_window).
	Campaigns []CampaignPeriod `json:"campaigns"`
	// Points is the month's points economy, as Points.Monthly gives it;
	// in a series by month only: points are counted by month, so a day
	// or week has none (Series.NotKept names "points").
	Points *PointsMonth `json:"points,omitempty"`
}

// CampaignPeriod is one campaign's runs in a period.
type CampaignPeriod struct {
	Name      string `json:"name"`
	Entered   int64  `json:"entered"`
	Goal      int64  `json:"goal"`
	Converted int64  `json:"converted"`
}

// NamedCount is a count of one tier, badge or segment.
type NamedCount struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// DefaultPeriods is how many periods a series by day, week or month
// shows unless told: 30 days, 12 weeks, 12 months; 0 for another unit.
func DefaultPeriods(by string) int {
	switch by {
	case "day":
		return 30
	case "week", "month":
		return 12
	}
	return 0
}

// MaxPeriods bounds a series: a report stays a report.
const MaxPeriods = 1000

// CheckSeries says what is wrong with a period unit and count, if
// anything.
func CheckSeries(by string, periods int) error {
	if DefaultPeriods(by) == 0 {
		return fmt.Errorf("a series is by day, week or month, not %q", by)
	}
	if periods < 0 || periods > MaxPeriods {
		return fmt.Errorf("a series has 1 to %d periods, not %d", MaxPeriods, periods)
	}
	return nil
}

// series builds the periods ending on day. tiersByDay says the store
// counted the tiers by day from its start.
func (p *parsed) series(cfg *config.Config, t state.Tallies, day state.Day, opt Options, tiersByDay bool) *Series {
	n := opt.Periods
	if n <= 0 {
		n = DefaultPeriods(opt.By)
	}
	s := &Series{By: opt.By, NotKept: []string{}}
	// Sizes are the moves summed with the anchor's corrections, right
	// from the anchor's day on; without one, from the day the moves are
	// counted from (badgesFrom), which for a new store is its start.
	sizesFrom := p.sizesAnchor
	if sizesFrom == 0 {
		if from := p.badgesFrom(); from != "" {
			if t, err := time.Parse(time.DateOnly, from); err == nil {
				sizesFrom = state.DayOf(t)
			}
		}
	}
	if sizesFrom != 0 {
		s.SizesFrom = sizesFrom.Time().Format(time.DateOnly)
	}
	var tiersFrom state.Day
	switch {
	case !tiersByDay && len(cfg.Tiers) > 0:
		s.NotKept = append(s.NotKept, "tiers")
	case tiersByDay && p.tiersAnchor != 0:
		tiersFrom = p.tiersAnchor
		s.TiersFrom = tiersFrom.Time().Format(time.DateOnly)
	}
	if opt.By != "month" {
		s.NotKept = append(s.NotKept, "points")
	}
	// The periods, oldest first: [start, end] with end at most day.
	type span struct{ start, end state.Day }
	var spans []span
	switch opt.By {
	case "day":
		for d := day - state.Day(n) + 1; d <= day; d++ {
			spans = append(spans, span{d, d})
		}
	case "week":
		for w := WeekOf(day) - state.Day(7*(n-1)); w <= WeekOf(day); w += 7 {
			spans = append(spans, span{w, min(w+6, day)})
		}
	default:
		for mo := MonthOf(day) - n + 1; mo <= MonthOf(day); mo++ {
			start := state.DayOf(monthTime(mo))
			spans = append(spans, span{start, min(state.DayOf(monthTime(mo+1))-1, day)})
		}
	}
	// Periods over before the store's first event would be rows of
	// zeros that say nothing: left out.
	for len(spans) > 1 && p.first != 0 && spans[0].end < p.first {
		spans = spans[1:]
	}
	w7 := p.rolling(p.window7, spans[0].start-1)
	badges, segments, campaigns := p.badgeNames(cfg), p.segmentNames(cfg), p.campaignNames(cfg)
	for _, x := range spans {
		per := Period{Start: x.start.Time().Format(time.DateOnly), End: x.end.Time().Format(time.DateOnly),
			Joined: sumIn(p.join, x.start, x.end, true), Left: sumIn(p.left, x.start, x.end, true),
			Contributed: sumIn(p.contrib, x.start, x.end, true),
			Members:     sumIn(p.join, 0, x.end, false) - sumIn(p.left, 0, x.end, false),
			Badges:      []NamedCount{}, Entered: []NamedCount{}, Exited: []NamedCount{}, Campaigns: []CampaignPeriod{}}
		switch {
		case opt.By == "day":
			per.Active = p.activeDay[x.start]
		case opt.By == "week" && x.end == x.start+6:
			// A whole week: the 7 days ending on its Sunday.
			per.Active = w7(x.end)
		case opt.By == "week":
			// The week under way: its cohorts' retention cells.
			for k := 0; k < 64; k++ {
				per.Active += p.weeks[int(x.start)-7*k][k]
			}
		default:
			mo := MonthOf(x.start)
			for k := 0; k < 64; k++ {
				per.Active += p.months[mo-k][k]
			}
			per.Points = &PointsMonth{Month: monthTime(mo).Format("2006-01"), Granted: p.granted[mo], Deducted: p.spent[mo],
				Spent: p.spent[mo], Expired: p.expired[mo], Outstanding: p.outstanding(mo)}
		}
		if tiersByDay && x.end >= tiersFrom {
			for _, tr := range cfg.Tiers {
				c, _ := upTo(p.onTier[tr.Name], t[keyTier+tr.Name], x.end)
				per.Tiers = append(per.Tiers, NamedCount{Name: tr.Name, Count: c})
			}
		}
		for _, b := range badges {
			per.Badges = append(per.Badges, NamedCount{Name: b, Count: sumIn(p.awarded[b], x.start, x.end, true)})
		}
		for _, sg := range segments {
			per.Entered = append(per.Entered, NamedCount{Name: sg, Count: sumIn(p.entered[sg], x.start, x.end, true)})
			per.Exited = append(per.Exited, NamedCount{Name: sg, Count: sumIn(p.exited[sg], x.start, x.end, true)})
			if x.end >= sizesFrom {
				per.Segments = append(per.Segments, NamedCount{Name: sg, Count: p.segmentSize(sg, x.end)})
			}
		}
		for _, c := range campaigns {
			conv := sumIn(p.campConv[c], x.start, x.end, true)
			per.Campaigns = append(per.Campaigns, CampaignPeriod{Name: c, Entered: sumIn(p.campIn[c], x.start, x.end, true),
				Goal: sumIn(p.campGoal[c], x.start, x.end, true) + conv, Converted: conv})
		}
		s.Periods = append(s.Periods, per)
	}
	return s
}

// segmentSize is the members in segment sg at the end of day: those who
// entered less those who left, with the anchor's and erasures'
// corrections.
func (p *parsed) segmentSize(sg string, day state.Day) int64 {
	return sumIn(p.entered[sg], 0, day, false) - sumIn(p.exited[sg], 0, day, false) + sumIn(p.segFix[sg], 0, day, false)
}

// badgeNames are the configured badges in order, then badges awarded
// that are no longer configured, by name.
func (p *parsed) badgeNames(cfg *config.Config) []string {
	var names []string
	for _, b := range cfg.Badges {
		names = append(names, b.Name)
	}
	return append(names, extraNames(names, p.awarded)...)
}

// segmentNames are the configured segments in order, then segments
// entered or left that are no longer configured, by name.
func (p *parsed) segmentNames(cfg *config.Config) []string {
	var names []string
	for _, s := range cfg.Segments {
		names = append(names, s.Name)
	}
	extra := extraNames(names, p.entered)
	extra = append(extra, extraNames(append(names, extra...), p.exited)...)
	extra = append(extra, extraNames(append(names, extra...), p.segFix)...)
	sort.Strings(extra)
	return append(names, extra...)
}

// extraNames are the keys of m not in names, sorted.
func extraNames(names []string, m map[string]map[state.Day]int64) []string {
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	var out []string
	for n := range m {
		if !known[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
