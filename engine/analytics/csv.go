package analytics

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// WriteCSV writes the report as one tidy table, a row per figure:
// section, period, name, value. The period is the report's day for the
// figures as of it, a day (YYYY-MM-DD, a week by its Monday) or a month
// (YYYY-MM) for figures of one period, all UTC. The name is one scheme
// in every section: a path of snake_case segments joined by "/", a
// figure of a named thing as KIND/NAME/FIGURE with KIND singular
// ("tier/core/members", "campaign/onboarding/goal",
// "survey/pulse/recommend/tier/core/nps"), names as the files write
// them. Values are numbers, but for badges' first_award and last_award,
// which are days, and empty where a figure has none (a month's K-factor
// with no base).
func WriteCSV(w io.Writer, r *Report) error {
	c := csv.NewWriter(w)
	row := func(section, period, name, value string) {
		_ = c.Write([]string{section, period, name, value}) // the error is kept by c, read at the end
	}
	i := func(section, period, name string, n int64) { row(section, period, name, strconv.FormatInt(n, 10)) }
	f := func(section, period, name string, x float64) {
		row(section, period, name, strconv.FormatFloat(x, 'f', -1, 64))
	}
	at := r.AsOf
	row("section", "period", "name", "value")

	i("members", at, "joined", r.Members.Joined)
	i("members", at, "left", r.Members.Left)
	i("members", at, "current", r.Members.Current)
	a := r.Active
	for _, x := range []struct {
		days  string
		n, of int64
		ratio float64
	}{{"1d", a.D1, a.Of1, a.Ratio1}, {"7d", a.D7, a.Of7, a.Ratio7}, {"30d", a.D30, a.Of30, a.Ratio30}} {
		i("active", at, x.days, x.n)
		i("active", at, x.days+"/of", x.of)
		f("active", at, x.days+"/ratio", x.ratio)
	}
	for _, d := range r.Daily {
		i("daily", d.Date, "active", d.Active)
		i("daily", d.Date, "active_7d", d.Active7)
		i("daily", d.Date, "active_30d", d.Active30)
		i("daily", d.Date, "joined", d.Joined)
	}
	cohorts := func(section string, cs []Cohort, month bool) {
		for _, x := range cs {
			period := x.Start
			if month {
				period = period[:7]
			}
			i(section, period, "size", x.Size)
			for k, n := range x.Retained {
				i(section, period, "retained/"+strconv.Itoa(k), n)
				f(section, period, "rate/"+strconv.Itoa(k), x.Rate[k])
			}
		}
	}
	cohorts("weekly_cohorts", r.Weekly, false)
	cohorts("monthly_cohorts", r.Monthly, true)
	for _, s := range r.Funnel {
		stage := funnelPath(s.Name)
		i("funnel", at, stage+"/members", s.Members)
		f("funnel", at, stage+"/rate", s.Rate)
		f("funnel", at, stage+"/step_rate", s.Step)
	}
	for _, t := range r.Tiers {
		i("tiers", at, "tier/"+t.Name+"/members", t.Members)
	}
	for _, x := range r.Badges {
		b := "badge/" + x.Name
		i("badges", at, b+"/holders", x.Holders)
		i("badges", at, b+"/awarded", x.Awarded)
		i("badges", at, b+"/awarded_7d", x.Awarded7)
		i("badges", at, b+"/awarded_30d", x.Awarded30)
		i("badges", at, b+"/revoked", x.Revoked)
		if x.Imported != 0 {
			i("badges", at, b+"/imported", x.Imported)
		}
		if x.First != "" {
			row("badges", at, b+"/first_award", x.First)
			row("badges", at, b+"/last_award", x.Last)
		}
	}
	for _, x := range r.Campaigns {
		c := "campaign/" + x.Name
		i("campaigns", at, c+"/entered", x.Entered)
		i("campaigns", at, c+"/ended", x.Ended)
		i("campaigns", at, c+"/goal", x.Goal)
		i("campaigns", at, c+"/converted", x.Converted)
		if x.GoalRate != nil {
			f("campaigns", at, c+"/goal_rate", *x.GoalRate)
		}
		i("campaigns", at, c+"/entered_30d", x.Entered30)
		i("campaigns", at, c+"/goal_30d", x.Goal30)
		i("campaigns", at, c+"/converted_30d", x.Converted30)
	}
	rf := r.Referrals
	i("referrals", at, "invites", rf.Invites)
	i("referrals", at, "conversions", rf.Conversions)
	i("referrals", at, "activated", rf.Activated)
	f("referrals", at, "conversion_rate", rf.ConvRate)
	f("referrals", at, "k_factor", rf.KFactor)
	for _, m := range rf.Monthly {
		i("referrals", m.Month, "base", m.Base)
		i("referrals", m.Month, "invites", m.Invites)
		i("referrals", m.Month, "conversions", m.Conversions)
		if m.KFactor != nil {
			f("referrals", m.Month, "k_factor", *m.KFactor)
		} else {
			row("referrals", m.Month, "k_factor", "")
		}
	}
	p := r.Points
	i("points", at, "granted", p.Granted)
	i("points", at, "deducted", p.Deducted)
	i("points", at, "spent", p.Spent) // deducted's first name, kept for existing readers
	i("points", at, "expired", p.Expired)
	i("points", at, "outstanding", p.Outstanding)
	if p.Imported != 0 {
		i("points", at, "imported", p.Imported)
	}
	for _, m := range p.Monthly {
		i("points", m.Month, "granted", m.Granted)
		i("points", m.Month, "deducted", m.Deducted)
		i("points", m.Month, "spent", m.Spent)
		i("points", m.Month, "expired", m.Expired)
		i("points", m.Month, "outstanding", m.Outstanding)
		if m.Imported != 0 {
			i("points", m.Month, "imported", m.Imported)
		}
	}
	v := r.Revenue
	f("revenue", at, "total", v.Total)
	i("revenue", at, "payers", v.Payers)
	f("revenue", at, "ltv", v.LTV)
	f("revenue", at, "arppu", v.ARPPU)
	for _, m := range v.Monthly {
		f("revenue", m.Month, "amount", m.Amount)
	}
	for _, x := range v.Cohorts {
		i("revenue", x.Month, "cohort/members", x.Members)
		i("revenue", x.Month, "cohort/payers", x.Payers)
		f("revenue", x.Month, "cohort/revenue", x.Revenue)
		f("revenue", x.Month, "cohort/ltv", x.LTV)
	}
	for _, s := range r.Surveys {
		q := "survey/" + s.Survey + "/" + s.Question + "/"
		i("surveys", at, q+"responses", s.Responses)
		nps := func(prefix string, n NPS) {
			f("surveys", at, q+prefix+"nps", n.Score)
			i("surveys", at, q+prefix+"promoters", n.Promoters)
			i("surveys", at, q+prefix+"passives", n.Passives)
			i("surveys", at, q+prefix+"detractors", n.Detractors)
		}
		if s.NPS != nil {
			nps("", *s.NPS)
			for score, n := range s.Scores {
				i("surveys", at, q+"score/"+strconv.Itoa(score), n)
			}
		}
		for _, g := range s.ByTier {
			if g.Name == noTier {
				nps("no_tier/", g.NPS) // not tier/NAME: no tier has that name
				continue
			}
			nps("tier/"+g.Name+"/", g.NPS)
		}
		for _, g := range s.BySegment {
			nps("segment/"+g.Name+"/", g.NPS)
		}
		for _, g := range s.ByMonth {
			nps("month/"+g.Name+"/", g.NPS)
		}
		for _, ch := range s.Choices {
			i("surveys", at, q+"choice/"+ch.Choice, ch.Count)
		}
		for _, m := range s.ChoicesByMonth {
			for _, ch := range m.Choices {
				i("surveys", at, q+"month/"+m.Month+"/choice/"+ch.Choice, ch.Count)
			}
		}
	}
	if s := r.Series; s != nil {
		section := "by_" + s.By
		for _, per := range s.Periods {
			period := per.Start
			if s.By == "month" {
				period = period[:7]
			}
			i(section, period, "joined", per.Joined)
			i(section, period, "left", per.Left)
			i(section, period, "active", per.Active)
			i(section, period, "first_contributions", per.Contributed)
			i(section, period, "members", per.Members)
			for _, x := range per.Tiers {
				i(section, period, "tier/"+x.Name+"/members", x.Count)
			}
			for _, x := range per.Badges {
				i(section, period, "badge/"+x.Name+"/awarded", x.Count)
			}
			for k, x := range per.Entered {
				if k < len(per.Segments) {
					i(section, period, "segment/"+x.Name+"/members", per.Segments[k].Count)
				}
				i(section, period, "segment/"+x.Name+"/entered", x.Count)
				i(section, period, "segment/"+x.Name+"/left", per.Exited[k].Count)
			}
			for _, x := range per.Campaigns {
				i(section, period, "campaign/"+x.Name+"/entered", x.Entered)
				i(section, period, "campaign/"+x.Name+"/goal", x.Goal)
				i(section, period, "campaign/"+x.Name+"/converted", x.Converted)
			}
			if pt := per.Points; pt != nil {
				i(section, period, "points/granted", pt.Granted)
				i(section, period, "points/deducted", pt.Deducted)
				i(section, period, "points/expired", pt.Expired)
				i(section, period, "points/outstanding", pt.Outstanding)
			}
		}
	}
	c.Flush()
	return c.Error()
}

// funnelPath is a funnel stage's name as a CSV path: "joined",
// "first_contribution", "tier/NAME" (the JSON's "first contribution" and
// "tier NAME", kept there for its readers).
func funnelPath(stage string) string {
	if name, ok := strings.CutPrefix(stage, "tier "); ok {
		return "tier/" + name
	}
	return strings.ReplaceAll(stage, " ", "_")
}
