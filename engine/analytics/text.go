package analytics

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/hearth-community/hearth/engine/textwidth"
)

// WriteJSON writes the report as indented JSON (schema hearth.report/v1).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // names such as "Q&A" read as written
	return enc.Encode(r)
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

// notAsOf reports whether a section of the report is as it stands on
// the latest day rather than as of the report's.
func (r *Report) notAsOf(section string) bool { return slices.Contains(r.NotAsOf, section) }

// funnelNote says, for a report of an earlier day, that its funnel is
// as it stands; "" when it is as of the report's day.
func (r *Report) funnelNote() string {
	if !r.notAsOf("funnel") {
		return ""
	}
	return fmt.Sprintf("as it stands on %s, the latest day, not on %s: the state store has it by day only since an upgrade (hearth simulate -to %s -report-json FILE replays the events to that day)", r.Latest, r.AsOf, r.AsOf)
}

// tiersWhen is the day the members on each tier are counted on: "now"
// in a report of the latest day.
func (r *Report) tiersWhen() string {
	switch {
	case r.Latest == "" || r.AsOf >= r.Latest:
		return "now"
	case r.notAsOf("tiers"):
		return fmt.Sprintf("on %s, the latest day (not on %s: kept by day only since an upgrade)", r.Latest, r.AsOf)
	}
	return "on " + r.AsOf
}

// surveysNote says, for a report of an earlier day, that the answers
// are as they stand.
func (r *Report) surveysNote() string {
	if !r.notAsOf("surveys") {
		return ""
	}
	return fmt.Sprintf("the answers as they stand on %s, the latest day, not on %s: a member's later answer replaces the one before", r.Latest, r.AsOf)
}

// WriteText writes the report for people: periods with no members and
// months with nothing counted are left out.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s as of %s\n\n", title(r), r.AsOf)

	fmt.Fprintf(&b, "Members\n  joined %d, left %d, current %d\n", r.Members.Joined, r.Members.Left, r.Members.Current)
	fmt.Fprintf(&b, "  active in 1 day %d (%s of %d), 7 days %d (%s of %d), 30 days %d (%s of %d)\n\n",
		r.Active.D1, pct(r.Active.Ratio1), r.Active.Of1, r.Active.D7, pct(r.Active.Ratio7), r.Active.Of7,
		r.Active.D30, pct(r.Active.Ratio30), r.Active.Of30)

	cohorts := func(title, period string, cs []Cohort) {
		fmt.Fprintf(&b, "%s (share of the cohort active in its %s and each %s after)\n", title, period, period)
		tw := textwidth.NewTabWriter(&b, 2, textwidth.AlignRight)
		width := 0
		for _, c := range cs {
			if c.Size > 0 {
				width = max(width, len(c.Rate))
			}
		}
		// Every rate column is as wide as "100.0%" and every row has
		// every column, so the younger cohorts' shorter rows line up
		// under the older ones.
		fmt.Fprint(tw, "  start\tsize\t")
		for k := range width {
			fmt.Fprintf(tw, "%6s\t", fmt.Sprintf("%s%d", period[:1], k))
		}
		fmt.Fprintln(tw)
		shown := 0
		for _, c := range cs {
			if c.Size == 0 {
				continue
			}
			shown++
			fmt.Fprintf(tw, "  %s\t%d\t", c.Start, c.Size)
			for k := range width {
				cell := ""
				if k < len(c.Rate) {
					cell = pct(c.Rate[k])
				}
				fmt.Fprintf(tw, "%6s\t", cell)
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
		if shown == 0 {
			b.WriteString("  nobody joined in these periods\n")
		}
		b.WriteString("\n")
	}
	cohorts("Weekly cohorts, the last 12 weeks", "week", r.Weekly)
	cohorts("Monthly cohorts, the last 12 months", "month", r.Monthly)

	b.WriteString("Funnel\n")
	if note := r.funnelNote(); note != "" {
		fmt.Fprintf(&b, "  %s\n", note)
	}
	tw := textwidth.NewTabWriter(&b, 2, 0)
	for _, s := range r.Funnel {
		name := s.Name
		if s.Title != "" {
			name = "tier " + s.Title
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s of joined\t%s of the step before\n", name, s.Members, pct(s.Rate), pct(s.Step))
	}
	tw.Flush()
	if len(r.Tiers) > 0 {
		var parts []string
		for _, t := range r.Tiers {
			parts = append(parts, fmt.Sprintf("%s %d", t.shown(), t.Members))
		}
		fmt.Fprintf(&b, "  on each tier %s: %s\n", r.tiersWhen(), strings.Join(parts, ", "))
	}
	b.WriteString("\n")

	rf := r.Referrals
	// With no invite.sent events (members share links hearth does not
	// see), a conversion rate would read as a failure: say so instead.
	conv := "no invites counted"
	if rf.Invites > 0 {
		conv = pct(rf.ConvRate) + " of invites"
	}
	fmt.Fprintf(&b, "Referrals\n  invites %d, referred joins %d (%s), activated referees %d (referral.converted, each referred member once), K-factor %.2f\n",
		rf.Invites, rf.Conversions, conv, rf.Activated, rf.KFactor)
	tw = textwidth.NewTabWriter(&b, 2, textwidth.AlignRight)
	head := "  month\tbase\tinvites\tjoins\tK\t\n"
	for _, m := range rf.Monthly {
		if m.Invites == 0 && m.Conversions == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s  %s\t%d\t%d\t%d\t%s\t\n", head, m.Month, m.Base, m.Invites, m.Conversions, kFactor(m.KFactor))
		head = "" // a header over no row says nothing
	}
	tw.Flush()
	b.WriteString("\n")

	p := r.Points
	fmt.Fprintf(&b, "Points\n  granted %d, deducted %d (negative grants), expired %d, outstanding %d\n", p.Granted, p.Deducted, p.Expired, p.Outstanding)
	if p.Imported != 0 {
		fmt.Fprintf(&b, "  imported %d: opening balances of imported members, in outstanding, not in granted\n", p.Imported)
	}
	tw = textwidth.NewTabWriter(&b, 2, textwidth.AlignRight)
	head = "  month\tgranted\tdeducted\texpired\toutstanding\t\n"
	for _, m := range p.Monthly {
		if m.Granted == 0 && m.Imported == 0 && m.Deducted == 0 && m.Expired == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s  %s\t%d\t%d\t%d\t%d\t\n", head, m.Month, m.Granted, m.Deducted, m.Expired, m.Outstanding)
		head = ""
	}
	tw.Flush()
	b.WriteString("\n")

	writeBadges(&b, r)
	writeCampaigns(&b, r)

	v := r.Revenue
	b.WriteString("Lifetime value\n")
	if v.Payers == 0 && v.Total == 0 {
		// A community that sells nothing gets one line, not a table of zeros.
		b.WriteString("  " + noRevenue + "\n\n")
	} else {
		if v.ToDate {
			fmt.Fprintf(&b, "  revenue %.2f by %s; %.2f per member\n", v.Total, r.AsOf, v.LTV)
			fmt.Fprintf(&b, "  %s and the cohorts below count to the latest day: they are kept by cohort, not by month of payment\n", payingMembers(v.Payers))
		} else {
			fmt.Fprintf(&b, "  revenue %.2f from %s; %.2f per member, %.2f per paying member\n", v.Total, payingMembers(v.Payers), v.LTV, v.ARPPU)
		}
		writeRevenueMonths(&b, v.Monthly)
		writeRevenueCohorts(&b, v.Cohorts)
	}

	b.WriteString("Surveys\n")
	if note := r.surveysNote(); note != "" {
		fmt.Fprintf(&b, "  %s\n", note)
	}
	if len(r.Surveys) == 0 {
		b.WriteString("  none configured\n")
	}
	for _, s := range r.Surveys {
		if s.Kind == "choice" {
			var parts []string
			for _, c := range s.Choices {
				parts = append(parts, fmt.Sprintf("%s %d (%s)", c.Choice, c.Count, pct(c.Share)))
			}
			fmt.Fprintf(&b, "  %s.%s: %s", s.Survey, s.Question, count(s.Responses, "answer", "answers"))
			if len(parts) > 0 {
				fmt.Fprintf(&b, ": %s", strings.Join(parts, ", "))
			}
			b.WriteString("\n")
			if len(s.ChoicesByMonth) > 0 {
				var months []string
				for _, m := range s.ChoicesByMonth {
					var cs []string
					for _, c := range m.Choices {
						cs = append(cs, fmt.Sprintf("%s %d", c.Choice, c.Count))
					}
					months = append(months, fmt.Sprintf("%s %s", m.Month, strings.Join(cs, " ")))
				}
				fmt.Fprintf(&b, "    by month: %s\n", strings.Join(months, ", "))
			}
			continue
		}
		n := s.NPS
		fmt.Fprintf(&b, "  %s.%s: NPS %+.1f from %s (%s, %s, %s)\n", s.Survey, s.Question, n.Score, count(s.Responses, "answer", "answers"),
			count(n.Promoters, "promoter", "promoters"), count(n.Passives, "passive", "passives"), count(n.Detractors, "detractor", "detractors"))
		groups := func(label string, gs []NPSGroup) {
			if len(gs) == 0 {
				return
			}
			var parts []string
			for _, g := range gs {
				parts = append(parts, fmt.Sprintf("%s %+.1f (%d)", g.Name, g.Score, g.total()))
			}
			fmt.Fprintf(&b, "    by %s: %s\n", label, strings.Join(parts, ", "))
		}
		groups("tier", s.ByTier)
		groups("segment", s.BySegment)
		groups("month", s.ByMonth)
	}
	if r.SurveyMonthsFrom != "" {
		fmt.Fprintf(&b, "  answers by month kept since %s: before, the state store kept a member's latest answer only, so a later answer took the earlier month's away\n", r.SurveyMonthsFrom)
	}
	if r.Series != nil {
		b.WriteString("\n")
		writeSeries(&b, r)
	}
	// Tables pad their last cells; no line ends in spaces.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// noRevenue is what the report says when no event carried an amount.
const noRevenue = "no purchases counted (events with an amount attribute, such as purchase.made)"

// writeRevenueMonths is the revenue by month of payment, the months with
// none left out.
func writeRevenueMonths(b *strings.Builder, months []MonthAmount) {
	tw := textwidth.NewTabWriter(b, 2, textwidth.AlignRight)
	head := "  paid in\trevenue\t\n"
	for _, m := range months {
		if m.Amount == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s  %s\t%.2f\t\n", head, m.Month, m.Amount)
		head = ""
	}
	tw.Flush()
	if head == "" {
		b.WriteString("\n") // apart from the cohorts' table, which counts by join month
	}
}

// title is what the report is of: "Community health", with the
// communities' names when the report has them.
func title(r *Report) string {
	if r.Community == "" {
		return "Community health"
	}
	return "Community health of " + r.Community
}

// kFactor writes a month's K-factor, "–" for a month with no base.
func kFactor(k *float64) string {
	if k == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f", *k)
}

// writeRevenueCohorts is the lifetime value table by join month.
func writeRevenueCohorts(b *strings.Builder, cohorts []RevenueCohort) {
	tw := textwidth.NewTabWriter(b, 2, textwidth.AlignRight)
	head := "  cohort\tmembers\tpayers\trevenue\tLTV\t\n"
	for _, c := range cohorts {
		if c.Members == 0 && c.Revenue == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s  %s\t%d\t%d\t%.2f\t%.2f\t\n", head, c.Month, c.Members, c.Payers, c.Revenue, c.LTV)
		head = ""
	}
	tw.Flush()
	b.WriteString("\n")
}

// count is "1 answer" or "n answers".
func count[N int | int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// payingMembers is "1 paying member" or "n paying members".
func payingMembers(n int64) string {
	if n == 1 {
		return "1 paying member"
	}
	return fmt.Sprintf("%d paying members", n)
}

// shown is the tier's title, or its name for a report without titles.
func (t TierCount) shown() string {
	if t.Title != "" {
		return t.Title
	}
	return t.Name
}

// badgesNote says from when badges are counted, when not from the
// state store's first event; "" when they are.
func (r *Report) badgesNote() string {
	if r.BadgesFrom == "" {
		return ""
	}
	return fmt.Sprintf("counted from %s: the state store has events from before hearth counted badges, whose awards are not in these figures", r.BadgesFrom)
}

// writeBadges is each badge's holders and awards.
func writeBadges(b *strings.Builder, r *Report) {
	b.WriteString("Badges\n")
	if note := r.badgesNote(); note != "" {
		fmt.Fprintf(b, "  %s\n", note)
	}
	if len(r.Badges) == 0 {
		b.WriteString("  none configured\n\n")
		return
	}
	tw := textwidth.NewTabWriter(b, 2, textwidth.AlignRight)
	fmt.Fprint(tw, "  badge\tholders\tawarded\t7 days\t30 days\trevoked\tfirst\tlatest\t\n")
	for _, x := range r.Badges {
		revoked := "–" // no rule takes it back, and nothing did
		if x.Revocable || x.Revoked != 0 {
			revoked = fmt.Sprint(x.Revoked)
		}
		first, last := x.First, x.Last
		if first == "" {
			first, last = "–", "–"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", x.Title, x.Holders, x.Awarded, x.Awarded7, x.Awarded30, revoked, first, last)
	}
	tw.Flush()
	var imported []string
	for _, x := range r.Badges {
		if x.Imported != 0 {
			imported = append(imported, fmt.Sprintf("%s %d", x.Title, x.Imported))
		}
	}
	if len(imported) > 0 {
		fmt.Fprintf(b, "  imported (held before hearth; in holders, not in awarded): %s\n", strings.Join(imported, ", "))
	}
	b.WriteString("\n")
}

// campaignsNote says from when campaign runs are counted, when not from
// the store's first event.
func (r *Report) campaignsNote() string {
	if r.CampaignsFrom == "" {
		return ""
	}
	return fmt.Sprintf("counted from %s: the state store has events from before hearth counted campaign runs, whose runs are not in these figures", r.CampaignsFrom)
}

// writeCampaigns is each campaign's runs: entered, ended, the goal
// reached and its rate, and the last 30 days.
func writeCampaigns(b *strings.Builder, r *Report) {
	if len(r.Campaigns) == 0 {
		return // no campaign configured nor counted: no section
	}
	b.WriteString("Campaigns (runs)\n")
	if note := r.campaignsNote(); note != "" {
		fmt.Fprintf(b, "  %s\n", note)
	}
	tw := textwidth.NewTabWriter(b, 2, textwidth.AlignRight)
	fmt.Fprint(tw, "  campaign\tentered\tended\tgoal\tconverted\tgoal rate\tentered 30 days\tgoal 30 days\t\n")
	for _, x := range r.Campaigns {
		rate := "–"
		switch {
		case x.NoGoal:
			rate = "no goal"
		case x.GoalRate != nil:
			rate = pct(*x.GoalRate)
		}
		name := x.Name
		if x.Removed {
			name += " (removed)"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t\n", name, x.Entered, x.Ended, x.Goal, x.Converted, rate, x.Entered30, x.Goal30)
	}
	tw.Flush()
	b.WriteString("  goal: runs that reached the goal, converted ones (after the last step, within conversion_window) included; goal rate: of the ended runs\n\n")
}

// writeSeries is the figures period by period: members, then the awards
// of each badge, then each segment's size and moves in and out.
func writeSeries(b *strings.Builder, r *Report) {
	s := r.Series
	head := map[string]string{"day": "day", "week": "week of", "month": "month"}[s.By]
	label := func(p Period) string {
		if s.By == "month" {
			return p.Start[:7]
		}
		return p.Start
	}
	fmt.Fprintf(b, "By %s, the last %s", s.By, count(len(s.Periods), s.By, s.By+"s"))
	if s.By != "day" {
		fmt.Fprintf(b, " (the %s holding %s counts whole)", s.By, r.AsOf)
	}
	b.WriteString("\n")
	if len(s.Periods) == 0 {
		return
	}
	tw := textwidth.NewTabWriter(b, 2, textwidth.AlignRight)
	fmt.Fprintf(tw, "  %s\tjoined\tleft\tactive\tfirst contributions\tmembers\t", head)
	// Tier columns when any period has them: one that ended before the
	// tiers were kept (TiersFrom) shows a dash.
	tiers := slices.ContainsFunc(s.Periods, func(p Period) bool { return len(p.Tiers) > 0 })
	if tiers {
		for _, t := range r.Tiers {
			fmt.Fprintf(tw, "%s\t", t.shown())
		}
	}
	fmt.Fprintln(tw)
	for _, p := range s.Periods {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t", label(p), p.Joined, p.Left, p.Active, p.Contributed, p.Members)
		for i := range r.Tiers {
			switch {
			case !tiers:
			case i < len(p.Tiers):
				fmt.Fprintf(tw, "%d\t", p.Tiers[i].Count)
			default:
				fmt.Fprintf(tw, "–\t")
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if slices.Contains(s.NotKept, "tiers") {
		fmt.Fprintf(b, "  members on each tier by %s: not kept, the state store counts tiers by day only since an upgrade\n", s.By)
	}
	if s.TiersFrom != "" && tiers && len(s.Periods[0].Tiers) == 0 {
		fmt.Fprintf(b, "  members on each tier kept since %s: the state store counted tiers by day only since an upgrade (–: not kept)\n", s.TiersFrom)
	}
	if len(s.Periods[0].Badges) > 0 {
		if note := r.badgesNote(); note != "" {
			fmt.Fprintf(b, "  badges and segment moves %s\n", note)
		}
		fmt.Fprintf(b, "  badges awarded\n")
		names := make([]string, len(s.Periods[0].Badges))
		for i, x := range s.Periods[0].Badges {
			names[i] = badgeTitle(r, x.Name)
		}
		writePeriodTable(b, s.Periods, head, label, names, func(p Period, i int) string {
			return fmt.Sprintf("%d", p.Badges[i].Count)
		})
	}
	if len(s.Periods[0].Entered) > 0 {
		if note := r.badgesNote(); note != "" && len(s.Periods[0].Badges) == 0 {
			fmt.Fprintf(b, "  segment moves %s\n", note)
		}
		fmt.Fprintf(b, "  segments: members at the end, in and out\n")
		writePeriodTable(b, s.Periods, head, label, countNames(s.Periods[0].Entered), func(p Period, i int) string {
			size := "–"
			if i < len(p.Segments) {
				size = strconv.FormatInt(p.Segments[i].Count, 10)
			}
			return fmt.Sprintf("%s (+%d -%d)", size, p.Entered[i].Count, p.Exited[i].Count)
		})
		if s.SizesFrom != "" && len(s.Periods[0].Segments) == 0 {
			fmt.Fprintf(b, "  segment sizes kept since %s: the state store holds members from before hearth kept them (–: not kept)\n", s.SizesFrom)
		}
	}
	if len(s.Periods[0].Campaigns) > 0 {
		if note := r.campaignsNote(); note != "" {
			fmt.Fprintf(b, "  campaign runs %s\n", note)
		}
		fmt.Fprintf(b, "  campaigns: runs entered, at the goal (of them converted)\n")
		names := make([]string, len(s.Periods[0].Campaigns))
		for i, x := range s.Periods[0].Campaigns {
			names[i] = x.Name
		}
		writePeriodTable(b, s.Periods, head, label, names, func(p Period, i int) string {
			x := p.Campaigns[i]
			return fmt.Sprintf("%d %d (%d)", x.Entered, x.Goal, x.Converted)
		})
	}
	if slices.Contains(s.NotKept, "points") {
		fmt.Fprintf(b, "  points by %s: not kept, points are counted by month (the Points section above; -by month adds them to each month)\n", s.By)
	}
}

// writePeriodTable writes one table of the series: a column for each of
// names, a row for each period, cell(p, i) giving the figure under the
// i-th name. The periods all hold the same names in the same order.
func writePeriodTable(b *strings.Builder, periods []Period, head string, label func(Period) string, names []string, cell func(p Period, i int) string) {
	tw := textwidth.NewTabWriter(b, 2, textwidth.AlignRight)
	fmt.Fprintf(tw, "  %s\t", head)
	for _, name := range names {
		fmt.Fprintf(tw, "%s\t", name)
	}
	fmt.Fprintln(tw)
	for _, p := range periods {
		fmt.Fprintf(tw, "  %s\t", label(p))
		for i := range names {
			fmt.Fprintf(tw, "%s\t", cell(p, i))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// countNames is the names of counts, in their order.
func countNames(counts []NamedCount) []string {
	names := make([]string, len(counts))
	for i, x := range counts {
		names[i] = x.Name
	}
	return names
}

// badgeTitle is a badge's title in the report, else its name.
func badgeTitle(r *Report, name string) string {
	for _, x := range r.Badges {
		if x.Name == name {
			return x.Title
		}
	}
	return name
}
