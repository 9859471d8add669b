package analytics

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// Schema names the report's JSON form. It changes only when a field
// changes meaning or goes away; new fields may be added within a version.
const Schema = "hearth.report/v1"

// Report is the community health report.
type Report struct {
	Schema string `json:"schema"`
	// Community names what the report is of: the communities' titles
	// (else names) in the configuration, joined by ", ".
	Community string         `json:"community,omitempty"`
	AsOf      string         `json:"as_of"` // the report's day, YYYY-MM-DD
	Members   Members        `json:"members"`
	Active    Active         `json:"active"`
	Daily     []DayPoint     `json:"daily"`
	Weekly    []Cohort       `json:"weekly_cohorts"`
	Monthly   []Cohort       `json:"monthly_cohorts"`
	Funnel    []Stage        `json:"funnel"`
	Tiers     []TierCount    `json:"tiers"`
	Referrals Referrals      `json:"referrals"`
	Points    Points         `json:"points"`
	Revenue   Revenue        `json:"revenue"`
	Surveys   []SurveyResult `json:"surveys"`
	// SurveyMonthsFrom is set when the surveys' answers by month are
	// whole only from that month, YYYY-MM: the state store counted
	// answers before the version that keeps each month's, when a
	// member's later answer replaced their earlier month's. Absent when
	// every month shown is whole.
	SurveyMonthsFrom string `json:"survey_months_kept_since,omitempty"`
	// Badges are each badge's holders and awards, configured badges in
	// order, then badges no longer configured, by name.
	Badges []BadgeCount `json:"badges"`
	// BadgesFrom is set when the badges (and the segment moves of
	// Series) are counted only from that day: the state store applied
	// events before the version of hearth that counts them did. Absent
	// when they are counted from the store's first event.
	BadgesFrom string `json:"badges_counted_from,omitempty"`
	// Campaigns are each campaign's runs as of the report's day,
	// configured campaigns in order, then those no longer configured,
	// by name; CampaignsFrom is as BadgesFrom for them.
	Campaigns     []CampaignCount `json:"campaigns"`
	CampaignsFrom string          `json:"campaigns_counted_from,omitempty"`
	// Series is the figures period by period (hearth report -by),
	// absent unless asked for.
	Series *Series `json:"series,omitempty"`
	// Latest is the latest day with events, YYYY-MM-DD; absent before
	// any.
	Latest string `json:"latest,omitempty"`
	// NotAsOf names the sections of a report of a day before Latest
	// whose figures are as they stand on Latest, not on AsOf: "funnel"
	// and "tiers" from a store that did not count them by day from its
	// start (written by an earlier version), "surveys" (a later answer
	// replaces the one before), "revenue.payers" and "revenue.cohorts"
	// (kept by cohort, not by month of payment; Revenue.ToDate). Empty
	// when every figure is as of AsOf.
	NotAsOf []string `json:"not_as_of"`
}

// Members counts the population.
type Members struct {
	Joined  int64 `json:"joined"`  // ever joined
	Left    int64 `json:"left"`    // left and not back
	Current int64 `json:"current"` // joined - left
}

// Active is how many members were active in the 1, 7 and 30 days ending
// on the report's day, and their share of the members who were in the
// community at some time in those days: the current members and those
// who left in the window and are still gone (Of1, Of7, Of30). A member
// active in the window who left before its end counts on both sides, so
// a share never passes 100%. The counts are exact for any day, not only
// the latest.
type Active struct {
	D1      int64   `json:"d1"`
	D7      int64   `json:"d7"`
	D30     int64   `json:"d30"`
	Of1     int64   `json:"of_1d"`
	Of7     int64   `json:"of_7d"`
	Of30    int64   `json:"of_30d"`
	Ratio1  float64 `json:"ratio_1d"`
	Ratio7  float64 `json:"ratio_7d"`
	Ratio30 float64 `json:"ratio_30d"`
}

// DayPoint is one day of the last 90: members active that day and in
// the 7 and 30 days ending on it, and members who joined.
type DayPoint struct {
	Date     string `json:"date"`
	Active   int64  `json:"active"`
	Active7  int64  `json:"active_7d"`
	Active30 int64  `json:"active_30d"`
	Joined   int64  `json:"joined"`
}

// Cohort is the members who joined in one week or month, and how many of
// them were active in that period (offset 0) and each one after, up to
// the report's day.
type Cohort struct {
	Start    string    `json:"start"` // first day, YYYY-MM-DD
	Size     int64     `json:"size"`
	Retained []int64   `json:"retained"`
	Rate     []float64 `json:"rate"` // retained / size
}

// Stage is one step of the funnel joined → first contribution → tiers.
type Stage struct {
	Name string `json:"name"`
	// Title is a tier stage's tier title (its name when it has none).
	Title   string  `json:"title,omitempty"`
	Members int64   `json:"members"`
	Rate    float64 `json:"rate"`      // of those who joined
	Step    float64 `json:"step_rate"` // of the stage before
}

// TierCount is a tier and the members on it on the report's day.
type TierCount struct {
	Name    string `json:"name"`
	Title   string `json:"title"` // the tier's title, its name when it has none
	Rank    int    `json:"rank"`
	Members int64  `json:"members"`
}

// Referrals is referral growth. The K-factor is invites per member times
// the share of invites that convert, which comes to referred joins per
// member of the base: for a month, the members at its start; overall,
// every member who joined without a referrer.
//
// Conversions and Activated keep their JSON names of v1 and are written
// under clearer ones too (ReferredJoins, ActivatedReferees), the same
// numbers: "conversions" reads like referral.converted, which it is not.
type Referrals struct {
	Invites     int64 `json:"invites"`
	Conversions int64 `json:"conversions"` // members who joined with a referrer
	// ReferredJoins is Conversions, by a name that says what it counts.
	ReferredJoins int64 `json:"referred_joins"`
	// Activated are the referred members who converted: a referral.converted
	// naming a referee new to its member (not the member themselves, not a
	// referee again), as member.referrals counts them.
	Activated int64 `json:"activated"`
	// ActivatedReferees is Activated, by a name that says what it counts.
	ActivatedReferees int64      `json:"activated_referees"`
	ConvRate          float64    `json:"conversion_rate"`
	KFactor           float64    `json:"k_factor"`
	Monthly           []RefMonth `json:"monthly"`
}

// RefMonth is referral growth in one month.
type RefMonth struct {
	Month       string `json:"month"` // YYYY-MM
	Base        int64  `json:"base"`  // members at the start of the month
	Invites     int64  `json:"invites"`
	Conversions int64  `json:"conversions"`
	// ReferredJoins is Conversions, by a name that says what it counts.
	ReferredJoins int64 `json:"referred_joins"`
	// KFactor is joins over base; nil (null) for a month that started
	// with no members, where there is no base to grow from: 0 would read
	// as no growth.
	KFactor *float64 `json:"k_factor"`
}

// Points is the points economy. Deducted are the points negative grants
// took: a penalty, or a reward that costs points, alike (hearth has no
// spending apart from them). Spent is the same figure under the name
// version 1 of the JSON first gave it, kept so that no field is removed.
type Points struct {
	Granted int64 `json:"granted"`
	// Imported is the opening balances members brought with hearth
	// import members: points they held before hearth, not granted by
	// it, so no month's grants count them. Outstanding includes them.
	// Absent when none were imported.
	Imported    int64         `json:"imported,omitempty"`
	Deducted    int64         `json:"deducted"`
	Spent       int64         `json:"spent"` // = Deducted
	Expired     int64         `json:"expired"`
	Outstanding int64         `json:"outstanding"` // imported + granted - deducted - expired
	Monthly     []PointsMonth `json:"monthly"`
}

// PointsMonth is one month of the points economy.
type PointsMonth struct {
	Month   string `json:"month"`
	Granted int64  `json:"granted"`
	// Imported is the opening balances imported in the month (Points.Imported).
	Imported int64 `json:"imported,omitempty"`
	Deducted int64 `json:"deducted"`
	Spent    int64 `json:"spent"` // = Deducted
	Expired  int64 `json:"expired"`
	// Outstanding is the points held at the month's end (the report's
	// day for the month holding it): granted less deducted and expired,
	// from the first month on, not only this one's.
	Outstanding int64 `json:"outstanding"`
}

// Revenue is lifetime value from events that carry an amount.
type Revenue struct {
	Total   float64         `json:"total"`
	Payers  int64           `json:"payers"`
	LTV     float64         `json:"ltv"`   // total / members who joined
	ARPPU   float64         `json:"arppu"` // total / paying members
	Cohorts []RevenueCohort `json:"cohorts"`
	Monthly []MonthAmount   `json:"monthly"`
	// ToDate is set when the report's day is before some payment: the
	// total and LTV are as of the day, but payers and each cohort's
	// revenue are kept per cohort, not by month of payment, so they
	// count to the latest day; ARPPU, which would mix the two, is 0.
	ToDate bool `json:"payers_and_cohorts_to_date,omitempty"`
}

// RevenueCohort is the lifetime value of one month's joiners.
type RevenueCohort struct {
	Month   string  `json:"month"`
	Members int64   `json:"members"`
	Payers  int64   `json:"payers"`
	Revenue float64 `json:"revenue"`
	LTV     float64 `json:"ltv"`
}

// MonthAmount is the amounts of one month.
type MonthAmount struct {
	Month  string  `json:"month"`
	Amount float64 `json:"amount"`
}

// SurveyResult is the answers to one question: for a score question the
// NPS overall and per tier, segment and month; for a choice question the
// count of each choice, overall and per month. Overall and by tier and
// segment a member's latest answer counts; by month, their latest answer
// of each month, so a survey asked monthly keeps every month's answers.
type SurveyResult struct {
	Survey    string       `json:"survey"`
	Question  string       `json:"question"`
	Kind      string       `json:"kind"` // score, choice
	Responses int64        `json:"responses"`
	NPS       *NPS         `json:"nps,omitempty"`
	Scores    []int64      `json:"scores,omitempty"` // answers per score 0..10
	ByTier    []NPSGroup   `json:"by_tier,omitempty"`
	BySegment []NPSGroup   `json:"by_segment,omitempty"`
	ByMonth   []NPSGroup   `json:"by_month,omitempty"`
	Choices   []ChoiceRate `json:"choices,omitempty"`
	// ChoicesByMonth is a choice question's answers of each month.
	ChoicesByMonth []MonthChoices `json:"choices_by_month,omitempty"`
}

// MonthChoices is the answers to a choice question of one month.
type MonthChoices struct {
	Month     string       `json:"month"` // YYYY-MM
	Responses int64        `json:"responses"`
	Choices   []ChoiceRate `json:"choices"`
}

// NPS is a net promoter score: the share of promoters (9-10) minus the
// share of detractors (0-6), from -100 to 100.
type NPS struct {
	Promoters  int64   `json:"promoters"`
	Passives   int64   `json:"passives"`
	Detractors int64   `json:"detractors"`
	Score      float64 `json:"score"`
}

// NPSGroup is the NPS of one tier, segment or month.
type NPSGroup struct {
	Name string `json:"name"`
	NPS
}

// ChoiceRate is how many picked one choice.
type ChoiceRate struct {
	Choice string  `json:"choice"`
	Count  int64   `json:"count"`
	Share  float64 `json:"share"`
}

func (n *NPS) add(bucket string, v int64) {
	switch bucket {
	case "p":
		n.Promoters += v
	case "s":
		n.Passives += v
	case "d":
		n.Detractors += v
	}
}

func (n *NPS) total() int64 { return n.Promoters + n.Passives + n.Detractors }

func (n *NPS) finish() {
	if t := n.total(); t > 0 {
		n.Score = round1(float64(n.Promoters-n.Detractors) * 100 / float64(t))
	}
}

// Shown periods.
const (
	dailyDays    = 90
	weeklyShown  = 12
	monthlyShown = 12
)

// Build makes the report from tallies as of a day; a zero asOf means the
// latest day any event was counted on.
func Build(cfg *config.Config, t state.Tallies, asOf time.Time) *Report {
	return BuildWith(cfg, t, asOf, Options{})
}

// Options are what a report holds beyond its sections.
type Options struct {
	// By adds the figures period by period (Series): "day", "week" or
	// "month"; "" for none.
	By string
	// Periods is how many periods, the last ending on the report's day;
	// 0 for the default of each (DefaultPeriods).
	Periods int
}

// BuildWith makes the report with options; Build is BuildWith with none.
func BuildWith(cfg *config.Config, t state.Tallies, asOf time.Time, opt Options) *Report {
	p := parse(t)
	day := p.latest
	if !asOf.IsZero() {
		day = state.DayOf(asOf)
	}
	r := &Report{Schema: Schema, Community: communityNames(cfg), AsOf: day.Time().Format(time.DateOnly), NotAsOf: []string{}}
	if p.latest != 0 {
		r.Latest = p.latest.Time().Format(time.DateOnly)
	}

	// Members and activity.
	for d, n := range p.join {
		if d <= day {
			r.Members.Joined += n
		}
	}
	for d, n := range p.left {
		if d <= day {
			r.Members.Left += n
		}
	}
	r.Members.Current = r.Members.Joined - r.Members.Left
	r.Active.D1 = p.activeDay[day]
	w7, w30 := p.rolling(p.window7, day-dailyDays), p.rolling(p.window30, day-dailyDays)
	r.Active.D7, r.Active.D30 = w7(day), w30(day)
	// The base of each share: the members now and those who left in the
	// window (members who left earlier were not there to be active).
	leftSince := func(days int) int64 {
		var n int64
		for d, k := range p.left {
			if d <= day && d > day-state.Day(days) {
				n += k
			}
		}
		return n
	}
	r.Active.Of1 = r.Members.Current + leftSince(1)
	r.Active.Of7 = r.Members.Current + leftSince(7)
	r.Active.Of30 = r.Members.Current + leftSince(30)
	r.Active.Ratio1 = ratio(r.Active.D1, r.Active.Of1)
	r.Active.Ratio7 = ratio(r.Active.D7, r.Active.Of7)
	r.Active.Ratio30 = ratio(r.Active.D30, r.Active.Of30)
	for d := day - dailyDays + 1; d <= day; d++ {
		r.Daily = append(r.Daily, DayPoint{Date: d.Time().Format(time.DateOnly), Active: p.activeDay[d], Active7: w7(d), Active30: w30(d), Joined: p.join[d]})
	}

	// Cohorts.
	week := WeekOf(day)
	for w := week - 7*(weeklyShown-1); w <= week; w += 7 {
		var size int64
		for d := w; d < w+7; d++ {
			size += p.join[d]
		}
		c := Cohort{Start: w.Time().Format(time.DateOnly), Size: size}
		for k := 0; w+state.Day(7*k) <= week; k++ {
			n := p.weeks[int(w)][k]
			c.Retained = append(c.Retained, n)
			c.Rate = append(c.Rate, ratio(n, size))
		}
		r.Weekly = append(r.Weekly, c)
	}
	month := MonthOf(day)
	joinByMonth := map[int]int64{}
	for d, n := range p.join {
		if d <= day {
			joinByMonth[MonthOf(d)] += n
		}
	}
	for mo := month - monthlyShown + 1; mo <= month; mo++ {
		c := Cohort{Start: monthTime(mo).Format(time.DateOnly), Size: joinByMonth[mo]}
		for k := 0; mo+k <= month; k++ {
			n := p.months[mo][k]
			c.Retained = append(c.Retained, n)
			c.Rate = append(c.Rate, ratio(n, c.Size))
		}
		r.Monthly = append(r.Monthly, c)
	}

	// Funnel and tiers, as of the day where the store counted them by day
	// from its start (the days add up to the totals); a store written
	// before they were counted by day has them only as they stand, and
	// the report says so (NotAsOf). The funnel's first step counts the
	// joins by the same day as the steps after it, so those are shares
	// of the same members.
	current := day >= p.latest // nothing was counted after the day
	funnelAsOf := true
	contrib, ok := upTo(p.contrib, t[keyContrib], day)
	funnelAsOf = funnelAsOf && ok
	reached := make([]int64, len(cfg.Tiers))
	for i, x := range cfg.Tiers {
		reached[i], ok = upTo(p.reached[x.Name], t[keyReached+x.Name], day)
		funnelAsOf = funnelAsOf && ok
	}
	joined := r.Members.Joined
	if !funnelAsOf {
		contrib, joined = t[keyContrib], 0
		for _, n := range p.join {
			joined += n
		}
		for i, x := range cfg.Tiers {
			reached[i] = t[keyReached+x.Name]
		}
		if !current {
			r.NotAsOf = append(r.NotAsOf, "funnel")
		}
	}
	stage := func(name string, n int64) {
		s := Stage{Name: name, Members: n, Rate: ratio(n, joined), Step: 1}
		if len(r.Funnel) > 0 {
			s.Step = ratio(n, r.Funnel[len(r.Funnel)-1].Members)
		}
		r.Funnel = append(r.Funnel, s)
	}
	stage("joined", joined)
	stage("first contribution", contrib)
	tiersAsOf := true
	for i, x := range cfg.Tiers {
		stage("tier "+x.Name, reached[i])
		r.Funnel[len(r.Funnel)-1].Title = x.Title
		n, ok := upTo(p.onTier[x.Name], t[keyTier+x.Name], day)
		tiersAsOf = tiersAsOf && ok
		r.Tiers = append(r.Tiers, TierCount{Name: x.Name, Title: tierTitle(x), Rank: x.Rank, Members: n})
	}
	tiersByDay := tiersAsOf // for the series, which knows the anchor
	if p.tiersAnchor != 0 && day < p.tiersAnchor {
		// Anchored later: the days before add up to the total only
		// through the anchor's correction.
		tiersAsOf = false
	}
	if !tiersAsOf {
		for i, x := range cfg.Tiers {
			r.Tiers[i].Members = t[keyTier+x.Name]
		}
		if !current {
			r.NotAsOf = append(r.NotAsOf, "tiers")
		}
	}

	// Referrals.
	refMonths := map[int]*RefMonth{}
	rm := func(mo int) *RefMonth {
		if refMonths[mo] == nil {
			refMonths[mo] = &RefMonth{Month: monthTime(mo).Format("2006-01")}
		}
		return refMonths[mo]
	}
	for d, n := range p.invites {
		if d <= day {
			r.Referrals.Invites += n
			rm(MonthOf(d)).Invites += n
		}
	}
	for d, n := range p.referred {
		if d <= day {
			r.Referrals.Conversions += n
			rm(MonthOf(d)).Conversions += n
		}
	}
	for d, n := range p.activated {
		if d <= day {
			r.Referrals.Activated += n
		}
	}
	r.Referrals.ReferredJoins, r.Referrals.ActivatedReferees = r.Referrals.Conversions, r.Referrals.Activated
	r.Referrals.ConvRate = ratio(r.Referrals.Conversions, r.Referrals.Invites)
	r.Referrals.KFactor = ratio(r.Referrals.Conversions, r.Members.Joined-r.Referrals.Conversions)
	for mo := month - monthlyShown + 1; mo <= month; mo++ {
		x := rm(mo)
		x.ReferredJoins = x.Conversions
		x.Base = p.membersBefore(monthTime(mo))
		if x.Base > 0 {
			k := ratio(x.Conversions, x.Base)
			x.KFactor = &k
		}
		r.Referrals.Monthly = append(r.Referrals.Monthly, *x)
	}

	// Points: every month is kept, so a longer series by month (-by
	// month -periods N) gets as many months of them.
	pointMonths := monthlyShown
	if opt.By == "month" && opt.Periods > pointMonths {
		pointMonths = opt.Periods
	}
	for mo := month - pointMonths + 1; mo <= month; mo++ {
		r.Points.Monthly = append(r.Points.Monthly, PointsMonth{Month: monthTime(mo).Format("2006-01"),
			Granted: p.granted[mo], Imported: p.imported[mo], Deducted: p.spent[mo], Spent: p.spent[mo], Expired: p.expired[mo], Outstanding: p.outstanding(mo)})
	}
	for mo, n := range p.granted {
		if mo <= month {
			r.Points.Granted += n
		}
	}
	for mo, n := range p.spent {
		if mo <= month {
			r.Points.Deducted += n
		}
	}
	for mo, n := range p.imported {
		if mo <= month {
			r.Points.Imported += n
		}
	}
	for mo, n := range p.expired {
		if mo <= month {
			r.Points.Expired += n
		}
	}
	r.Points.Spent = r.Points.Deducted
	r.Points.Outstanding = r.Points.Imported + r.Points.Granted - r.Points.Deducted - r.Points.Expired

	// Revenue.
	var total int64
	for mo, n := range p.revenue {
		if mo <= month {
			total += n
		} else if n != 0 {
			r.Revenue.ToDate = true
		}
	}
	for _, n := range p.payers {
		r.Revenue.Payers += n
	}
	r.Revenue.Total = money(total)
	if r.Members.Joined > 0 {
		r.Revenue.LTV = round2(money(total) / float64(r.Members.Joined))
	}
	if r.Revenue.Payers > 0 && !r.Revenue.ToDate {
		r.Revenue.ARPPU = round2(money(total) / float64(r.Revenue.Payers))
	}
	for mo := month - monthlyShown + 1; mo <= month; mo++ {
		c := RevenueCohort{Month: monthTime(mo).Format("2006-01"), Members: joinByMonth[mo], Payers: p.payers[mo], Revenue: money(p.cohortRev[mo])}
		if c.Members > 0 {
			c.LTV = round2(c.Revenue / float64(c.Members))
		}
		r.Revenue.Cohorts = append(r.Revenue.Cohorts, c)
		r.Revenue.Monthly = append(r.Revenue.Monthly, MonthAmount{Month: c.Month, Amount: money(p.revenue[mo])})
	}

	r.Surveys = p.surveys(cfg)
	r.SurveyMonthsFrom = p.surveyMonthsKeptSince(r.Surveys)
	if !current {
		// A member's later answer replaces the one before it, which is
		// not kept: the answers are as they stand.
		for _, x := range r.Surveys {
			if x.Responses > 0 {
				r.NotAsOf = append(r.NotAsOf, "surveys")
				break
			}
		}
	}
	if r.Revenue.ToDate {
		r.NotAsOf = append(r.NotAsOf, "revenue.payers", "revenue.cohorts")
	}

	r.BadgesFrom = p.badgesFrom()
	r.Badges = p.badges(cfg, day)
	r.CampaignsFrom = p.countedFrom(p.campMarked, p.hasCampSince, p.campSince)
	r.Campaigns = p.campaigns(cfg, day)
	if opt.By != "" && CheckSeries(opt.By, opt.Periods) == nil {
		r.Series = p.series(cfg, t, day, opt, tiersByDay)
	}
	p.dropBeforeFirst(r)
	return r
}

// dropBeforeFirst leaves out of r the days, weeks and months over before
// the state store's first event that hold nothing, as the series does:
// rows of zeros for a community that did not exist yet say nothing, and
// the text report shows none of them, so -json, -csv and -html do not
// either. One period is always kept, so a list is never empty. Periods
// with nothing in them after the first event are kept: a month nobody
// joined in is a figure.
func (p *parsed) dropBeforeFirst(r *Report) {
	if p.first == 0 {
		return
	}
	day := func(s string) state.Day {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return p.first // unreadable: never dropped
		}
		return state.DayOf(t)
	}
	// monthEnd is the last day of the month "YYYY-MM" or of the month a
	// day "YYYY-MM-DD" starts.
	monthEnd := func(s string) state.Day {
		t, err := time.Parse("2006-01", s[:min(len(s), 7)])
		if err != nil {
			return p.first
		}
		return state.DayOf(t.AddDate(0, 1, 0)) - 1
	}
	r.Daily = dropLeading(r.Daily, func(x DayPoint) bool {
		return day(x.Date) < p.first && x.Active == 0 && x.Active7 == 0 && x.Active30 == 0 && x.Joined == 0
	})
	r.Weekly = dropLeading(r.Weekly, func(x Cohort) bool { return day(x.Start)+6 < p.first && x.Size == 0 })
	r.Monthly = dropLeading(r.Monthly, func(x Cohort) bool { return monthEnd(x.Start) < p.first && x.Size == 0 })
	r.Referrals.Monthly = dropLeading(r.Referrals.Monthly, func(x RefMonth) bool {
		return monthEnd(x.Month) < p.first && x.Base == 0 && x.Invites == 0 && x.Conversions == 0
	})
	r.Points.Monthly = dropLeading(r.Points.Monthly, func(x PointsMonth) bool {
		return monthEnd(x.Month) < p.first && x.Granted == 0 && x.Imported == 0 && x.Deducted == 0 && x.Expired == 0
	})
	r.Revenue.Monthly = dropLeading(r.Revenue.Monthly, func(x MonthAmount) bool { return monthEnd(x.Month) < p.first && x.Amount == 0 })
	r.Revenue.Cohorts = dropLeading(r.Revenue.Cohorts, func(x RevenueCohort) bool {
		return monthEnd(x.Month) < p.first && x.Members == 0 && x.Payers == 0 && x.Revenue == 0
	})
}

// outstanding is the points imported and granted less deducted and
// expired in the months up to mo.
func (p *parsed) outstanding(mo int) int64 {
	var n int64
	for m, x := range p.imported {
		if m <= mo {
			n += x
		}
	}
	for m, x := range p.granted {
		if m <= mo {
			n += x
		}
	}
	for _, by := range []map[int]int64{p.spent, p.expired} {
		for m, x := range by {
			if m <= mo {
				n -= x
			}
		}
	}
	return n
}

// noTier is the NPS group of the members on no tier.
const noTier = "(no tier)"

// dropLeading is xs without the leading elements before says to drop,
// keeping the last element whatever it says.
func dropLeading[T any](xs []T, before func(T) bool) []T {
	i := 0
	for i < len(xs)-1 && before(xs[i]) {
		i++
	}
	return xs[i:]
}

// tierTitle is what a tier is shown as: its title, else its name.
func tierTitle(x *config.Tier) string {
	if x.Title != "" {
		return x.Title
	}
	return x.Name
}

// upTo sums a by-day count up to day, when its days add up to total: the
// store counted it by day from its start. Otherwise it is total, and ok
// is false.
func upTo(byDay map[state.Day]int64, total int64, day state.Day) (n int64, ok bool) {
	var sum int64
	for d, k := range byDay {
		sum += k
		if d <= day {
			n += k
		}
	}
	if sum != total {
		return total, false
	}
	return n, true
}

// parsed is the tallies read into maps by figure.
type parsed struct {
	latest                                   state.Day
	join, left, activeDay, window7, window30 map[state.Day]int64
	invites, referred, activated, contrib    map[state.Day]int64
	reached, onTier                          map[string]map[state.Day]int64 // tier -> day -> members reached, change on it
	awarded, revoked, holders                map[string]map[state.Day]int64 // badge -> day -> awards, revocations, change of holders
	badgesImported                           map[string]map[state.Day]int64 // badge -> day -> badges imported members brought
	entered, exited                          map[string]map[state.Day]int64 // segment -> day -> members in, out
	segFix                                   map[string]map[state.Day]int64 // segment -> day -> correction of its size (state.SizeAnchor, erasures)
	// sizesAnchor and tiersAnchor are the latest days the segment and
	// tier sizes were anchored on (state.TallySizesAnchor), 0 for never:
	// the sizes are kept from then on.
	sizesAnchor, tiersAnchor            state.Day
	campIn, campEnd, campGoal, campConv map[string]map[state.Day]int64 // campaign -> day -> runs entered, ended, at the goal, converted
	campSince                           state.Day
	hasCampSince                        bool
	campMarked                          int64
	// first is the earliest day with a join or activity; since the
	// earliest day of members counted with the badges (hasSince), and
	// marked how many they are.
	first, since               state.Day
	hasSince                   bool
	marked                     int64
	weeks, months              map[int]map[int]int64
	granted, spent, expired    map[int]int64
	imported                   map[int]int64 // month -> opening balances imported
	revenue, cohortRev, payers map[int]int64
	nps                        map[[2]string]map[string]*NPS // survey/question -> dim -> counts
	scores                     map[[2]string][]int64
	choices                    map[[2]string]map[string]int64
	choicesByMonth             map[[2]string]map[int]map[string]int64 // survey/question -> month -> choice -> answers
	// surveyMonthsFrom is the first month with answers counted by a
	// tracker that keeps them by month; 0 for none.
	surveyMonthsFrom int
}

func parse(t state.Tallies) *parsed {
	p := &parsed{
		join: map[state.Day]int64{}, left: map[state.Day]int64{}, activeDay: map[state.Day]int64{}, window7: map[state.Day]int64{}, window30: map[state.Day]int64{},
		invites: map[state.Day]int64{}, referred: map[state.Day]int64{}, activated: map[state.Day]int64{}, contrib: map[state.Day]int64{},
		reached: map[string]map[state.Day]int64{}, onTier: map[string]map[state.Day]int64{},
		awarded: map[string]map[state.Day]int64{}, revoked: map[string]map[state.Day]int64{}, holders: map[string]map[state.Day]int64{},
		badgesImported: map[string]map[state.Day]int64{},
		entered:        map[string]map[state.Day]int64{}, exited: map[string]map[state.Day]int64{}, segFix: map[string]map[state.Day]int64{},
		campIn: map[string]map[state.Day]int64{}, campEnd: map[string]map[state.Day]int64{},
		campGoal: map[string]map[state.Day]int64{}, campConv: map[string]map[state.Day]int64{},
		weeks: map[int]map[int]int64{}, months: map[int]map[int]int64{},
		granted: map[int]int64{}, spent: map[int]int64{}, expired: map[int]int64{}, imported: map[int]int64{},
		revenue: map[int]int64{}, cohortRev: map[int]int64{}, payers: map[int]int64{},
		nps: map[[2]string]map[string]*NPS{}, scores: map[[2]string][]int64{}, choices: map[[2]string]map[string]int64{},
		choicesByMonth: map[[2]string]map[int]map[string]int64{},
	}
	days := []struct {
		prefix string
		m      map[state.Day]int64
	}{{keyJoin, p.join}, {keyLeft, p.left}, {keyActiveDay, p.activeDay}, {keyWindow7, p.window7}, {keyWindow30, p.window30},
		{keyInvite, p.invites}, {keyReferred, p.referred}, {keyActivated, p.activated}, {keyContribDay, p.contrib}}
	months := []struct {
		prefix string
		m      map[int]int64
	}{{keyGranted, p.granted}, {keySpent, p.spent}, {keyExpired, p.expired}, {keyImported, p.imported},
		{keyRevenue, p.revenue}, {keyCohortRev, p.cohortRev}, {keyPayers, p.payers}}
next:
	for k, n := range t {
		for _, x := range days {
			if rest, ok := strings.CutPrefix(k, x.prefix); ok {
				if d, err := strconv.Atoi(rest); err == nil {
					x.m[state.Day(d)] += n
					if x.prefix != keyWindow7 && x.prefix != keyWindow30 {
						// Window changes run ahead of the events.
						p.latest = max(p.latest, state.Day(d))
					}
					if (x.prefix == keyJoin || x.prefix == keyActiveDay) && (p.first == 0 || state.Day(d) < p.first) {
						p.first = state.Day(d)
					}
				}
				continue next
			}
		}
		for _, x := range months {
			if rest, ok := strings.CutPrefix(k, x.prefix); ok {
				if mo, err := strconv.Atoi(rest); err == nil {
					x.m[mo] += n
				}
				continue next
			}
		}
		if rest, ok := strings.CutPrefix(k, keySince); ok {
			if d, err := strconv.Atoi(rest); err == nil {
				p.marked += n
				if n != 0 && (!p.hasSince || state.Day(d) < p.since) {
					p.since, p.hasSince = state.Day(d), true
				}
			}
			continue
		}
		if rest, ok := strings.CutPrefix(k, keyCampSince); ok {
			if d, err := strconv.Atoi(rest); err == nil {
				p.campMarked += n
				if n != 0 && (!p.hasCampSince || state.Day(d) < p.campSince) {
					p.campSince, p.hasCampSince = state.Day(d), true
				}
			}
			continue
		}
		if rest, ok := strings.CutPrefix(k, state.TallySizesAnchor); ok {
			if d, err := strconv.Atoi(rest); err == nil && n != 0 {
				p.sizesAnchor = max(p.sizesAnchor, state.Day(d))
			}
			continue
		}
		if rest, ok := strings.CutPrefix(k, state.TallyTiersAnchor); ok {
			if d, err := strconv.Atoi(rest); err == nil && n != 0 {
				p.tiersAnchor = max(p.tiersAnchor, state.Day(d))
			}
			continue
		}
		if p.namedDays(k, n) {
			continue
		}
		switch {
		case strings.HasPrefix(k, keyReachedDay), strings.HasPrefix(k, keyTierDay):
			into, rest := p.reached, k[len(keyReachedDay):]
			if strings.HasPrefix(k, keyTierDay) {
				into, rest = p.onTier, k[len(keyTierDay):]
			}
			i := strings.LastIndexByte(rest, '/')
			if i < 0 {
				continue
			}
			d, err := strconv.Atoi(rest[i+1:])
			if err != nil {
				continue
			}
			tier := rest[:i]
			if into[tier] == nil {
				into[tier] = map[state.Day]int64{}
			}
			into[tier][state.Day(d)] += n
		case strings.HasPrefix(k, keyWeek), strings.HasPrefix(k, keyMonth):
			into := p.weeks
			if strings.HasPrefix(k, keyMonth) {
				into = p.months
			}
			a, b, ok := strings.Cut(k[len(keyWeek):], "/")
			c, errC := strconv.Atoi(a)
			off, errO := strconv.Atoi(b)
			if ok && errC == nil && errO == nil {
				if into[c] == nil {
					into[c] = map[int]int64{}
				}
				into[c][off] += n
			}
		case strings.HasPrefix(k, keyNPS):
			parts := strings.Split(k[len(keyNPS):], "/")
			if len(parts) != 4 {
				continue
			}
			q := [2]string{parts[0], parts[1]}
			if p.nps[q] == nil {
				p.nps[q] = map[string]*NPS{}
			}
			g := p.nps[q][parts[2]]
			if g == nil {
				g = &NPS{}
				p.nps[q][parts[2]] = g
			}
			g.add(parts[3], n)
		case strings.HasPrefix(k, keyScore):
			parts := strings.Split(k[len(keyScore):], "/")
			if len(parts) != 3 {
				continue
			}
			s, err := strconv.Atoi(parts[2])
			if err != nil || s < 0 || s > 10 {
				continue
			}
			q := [2]string{parts[0], parts[1]}
			if p.scores[q] == nil {
				p.scores[q] = make([]int64, 11)
			}
			p.scores[q][s] += n
		case strings.HasPrefix(k, keyChoiceMonth):
			parts := strings.Split(k[len(keyChoiceMonth):], "/")
			if len(parts) != 4 {
				continue
			}
			mo, err := strconv.Atoi(parts[2])
			if err != nil {
				continue
			}
			q := [2]string{parts[0], parts[1]}
			if p.choicesByMonth[q] == nil {
				p.choicesByMonth[q] = map[int]map[string]int64{}
			}
			if p.choicesByMonth[q][mo] == nil {
				p.choicesByMonth[q][mo] = map[string]int64{}
			}
			p.choicesByMonth[q][mo][parts[3]] += n
		case strings.HasPrefix(k, keySurveyMonths):
			if mo, err := strconv.Atoi(k[len(keySurveyMonths):]); err == nil && n > 0 && (p.surveyMonthsFrom == 0 || mo < p.surveyMonthsFrom) {
				p.surveyMonthsFrom = mo
			}
		case strings.HasPrefix(k, keyChoice):
			parts := strings.Split(k[len(keyChoice):], "/")
			if len(parts) != 3 {
				continue
			}
			q := [2]string{parts[0], parts[1]}
			if p.choices[q] == nil {
				p.choices[q] = map[string]int64{}
			}
			p.choices[q][parts[2]] += n
		}
	}
	return p
}

// rolling reads a difference array of window counts: the count at day d
// is the sum of the changes up to d. Changes up to from are summed once.
func (p *parsed) rolling(changes map[state.Day]int64, from state.Day) func(state.Day) int64 {
	var base int64
	for d, n := range changes {
		if d <= from {
			base += n
		}
	}
	return func(day state.Day) int64 {
		n := base
		for d := from + 1; d <= day; d++ {
			n += changes[d]
		}
		return n
	}
}

// membersBefore counts members who joined before t and had not left.
func (p *parsed) membersBefore(t time.Time) int64 {
	cut := state.DayOf(t)
	var n int64
	for d, x := range p.join {
		if d < cut {
			n += x
		}
	}
	for d, x := range p.left {
		if d < cut {
			n -= x
		}
	}
	return n
}

// surveys lists every question of the configured surveys, in order, then
// answers to questions no longer configured, by name.
func (p *parsed) surveys(cfg *config.Config) []SurveyResult {
	out := []SurveyResult{}
	done := map[[2]string]bool{}
	for _, s := range cfg.Surveys {
		for _, q := range s.Questions {
			key := [2]string{s.Name, q.ID}
			done[key] = true
			out = append(out, p.result(key, q.Score))
		}
	}
	var gone [][2]string
	for q := range p.nps {
		if !done[q] {
			done[q] = true
			gone = append(gone, q)
		}
	}
	for q := range p.choices {
		if !done[q] {
			done[q] = true
			gone = append(gone, q)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i][0]+"/"+gone[i][1] < gone[j][0]+"/"+gone[j][1] })
	for _, q := range gone {
		out = append(out, p.result(q, p.nps[q] != nil))
	}
	return out
}

func (p *parsed) result(q [2]string, score bool) SurveyResult {
	res := SurveyResult{Survey: q[0], Question: q[1], Kind: "choice"}
	if !score {
		counts := p.choices[q]
		for _, c := range sortedKeys(counts) {
			res.Responses += counts[c]
		}
		for _, c := range sortedKeys(counts) {
			res.Choices = append(res.Choices, ChoiceRate{Choice: c, Count: counts[c], Share: ratio(counts[c], res.Responses)})
		}
		byMonth := p.choicesByMonth[q]
		months := make([]int, 0, len(byMonth))
		for mo := range byMonth {
			months = append(months, mo)
		}
		sort.Ints(months)
		for _, mo := range months {
			mc := MonthChoices{Month: monthTime(mo).Format("2006-01"), Choices: []ChoiceRate{}}
			for _, c := range sortedKeys(byMonth[mo]) {
				mc.Responses += byMonth[mo][c]
			}
			if mc.Responses == 0 {
				continue
			}
			for _, c := range sortedKeys(byMonth[mo]) {
				if n := byMonth[mo][c]; n != 0 {
					mc.Choices = append(mc.Choices, ChoiceRate{Choice: c, Count: n, Share: ratio(n, mc.Responses)})
				}
			}
			res.ChoicesByMonth = append(res.ChoicesByMonth, mc)
		}
		return res
	}
	res.Kind = "score"
	groups := p.nps[q]
	all := NPS{}
	if g := groups["all"]; g != nil {
		all = *g
	}
	all.finish()
	res.NPS = &all
	res.Responses = all.total()
	res.Scores = p.scores[q]
	if res.Scores == nil {
		res.Scores = make([]int64, 11)
	}
	for _, name := range sortedKeys(groups) {
		g := *groups[name]
		g.finish()
		switch {
		case strings.HasPrefix(name, "t:"):
			label := name[2:]
			if label == "-" {
				label = noTier
			}
			res.ByTier = append(res.ByTier, NPSGroup{Name: label, NPS: g})
		case strings.HasPrefix(name, "s:"):
			res.BySegment = append(res.BySegment, NPSGroup{Name: name[2:], NPS: g})
		case strings.HasPrefix(name, "mo:"):
			if mo, err := strconv.Atoi(name[3:]); err == nil {
				res.ByMonth = append(res.ByMonth, NPSGroup{Name: monthTime(mo).Format("2006-01"), NPS: g})
			}
		}
	}
	sort.Slice(res.ByMonth, func(i, j int) bool { return res.ByMonth[i].Name < res.ByMonth[j].Name })
	return res
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// communityNames is what a report of cfg is of: each community's title,
// or its name where it has none.
func communityNames(cfg *config.Config) string {
	if cfg == nil {
		return ""
	}
	var names []string
	for _, c := range cfg.Communities {
		if c.Title != "" {
			names = append(names, c.Title)
		} else {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, ", ")
}

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return math.Round(float64(a)/float64(b)*10000) / 10000
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
func round2(f float64) float64 { return math.Round(f*100) / 100 }
func money(n int64) float64    { return round2(float64(n) / micro) }

// surveyMonthsKeptSince is the month, YYYY-MM, from which the answers by
// month are whole, when the surveys show an earlier month: a store that
// counted answers before they were kept by month kept, of those months,
// only the answers no later one replaced. "" when every month is whole.
func (p *parsed) surveyMonthsKeptSince(surveys []SurveyResult) string {
	if p.surveyMonthsFrom == 0 {
		// No answer counted since the upgrade: every month shown is as
		// the earlier version left it, and the next one is whole.
		last := ""
		for _, s := range surveys {
			for _, g := range s.ByMonth {
				last = max(last, g.Name)
			}
		}
		if last == "" {
			return ""
		}
		t, err := time.Parse("2006-01", last)
		if err != nil {
			return ""
		}
		return t.AddDate(0, 1, 0).Format("2006-01")
	}
	from := monthTime(p.surveyMonthsFrom).Format("2006-01")
	for _, s := range surveys {
		for _, g := range s.ByMonth {
			if g.Name < from {
				return from
			}
		}
	}
	return ""
}
