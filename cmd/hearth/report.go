package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

const reportUsage = `Usage: hearth report [options] [DIR]

Prints the community health report from the configuration's state store
(while the files fail validation, with the configuration hearth run
records there, saying so):
members and the share active over 1, 7 and 30 days; join cohorts by week
and month with the share of each still active in every period after;
the funnel from joining to a first contribution and up each tier; referral
growth (invites, referred joins, K-factor; "–", null in -json, for a
month that started with no members); points granted, deducted (negative
grants: penalties and rewards that cost points; "spent" too in -json and
-csv, the name version 1 first gave it), expired and outstanding;
lifetime value from events with an amount, with revenue by month of
payment and by join cohort; badges (members holding each, awards in all
and in the last 7 and 30 days, revocations, first and latest award);
campaigns (runs entered, ended, at the goal, converted after the last
step within conversion_window, the goal rate of the ended runs: "no
goal", and no goal_rate but "no_goal": true in -json, for a campaign
without exit_when, as hearth campaign show says; and the runs entered
and at the goal in the last 30 days); and survey answers, with the NPS of score questions per tier, segment and
month, and choices overall and per month: a member's latest answer
counts, and by month their latest of each month, so monthly surveys keep
every month's answers (a store written before that kept only the
answers no later one replaced, and the report says "answers by month
kept since" the month it keeps them whole from). Tiers are shown by their title, in rank order.

The figures are kept up to date as events are applied (hearth run,
hearth replay), in counters stored next to member state, so the report
reads no member and no event and takes the same time for a million
members as for ten. It is as of the latest day with events, or -at: the
members, the active counts, cohorts, the funnel, the members on each
tier, referrals, points and revenue are then as they were on that day
(months and weeks count whole). A few figures are kept only as they
stand on the latest day, and a report of an earlier day says so under
each (in -json, "not_as_of" names them): the survey answers (a member's
later answer replaces the one before), the paying members and each
cohort's revenue, and the funnel and tiers of a state store written
before hearth counted them by day. For those as of an earlier day,
replay the events to it: hearth simulate -events FILE -to DAY
-report-json OUT DIR.

Figures move when the rules run: on events, and on the daemon's timers
(a count leaving its window, a grace period ending). Where no daemon ran
while timers came due (a state written by hearth replay, which runs them
up to its last event), members are counted as stored: when such a
recheck fell due by the report's day, the report says on stderr how
many members have them and since when. hearth run, or hearth replay
-events /dev/null -until now DIR, runs them; the report's day stays the
latest day with events, so the tiers after them are in -at TODAY.

-by day|week|month adds the figures period by period, the last period
holding the report's day (-periods N of them; default 30 days, 12 weeks,
12 months): members who joined, left, were active (distinct members;
a week and a month count whole) and made a first contribution, the
members at the end of each period and on each tier, each badge's
awards, each segment's members at the end (its size, as GET
/v1/population counts it) and the members who entered and left it, and
each campaign's runs entered and at the goal (of them converted). A
state store written before hearth kept segment sizes, or counted tiers
by day, has them from the day it was upgraded on ("kept since DAY";
"segment_sizes_kept_since" and "tiers_kept_since" in -json), and the
periods before show a dash. Badges and segment moves are counted from
the version of hearth that added them, and so are campaign runs; a
store with events from before says from when ("badges_counted_from"
and "campaigns_counted_from" in -json).

-json prints the report as JSON whose "schema" field is
"hearth.report/v1": fields may be added within a version, never renamed
or removed. The daemon serves the same JSON at GET /v1/report, and
hearth simulate -report-json FILE writes it for a replay.

-csv prints the report as one tidy CSV table, a row per figure with the
columns section, period, name, value: section is the part of the report
(members, active, daily, weekly_cohorts, monthly_cohorts, funnel, tiers,
badges, campaigns, referrals, points, revenue, surveys, and by_day,
by_week or by_month with -by); period the report's day for figures as of
it, else the day, week (its Monday) or month (YYYY-MM) the figure is of,
all UTC dates; name the figure, one scheme in every section: snake_case
segments joined by "/", a figure of a named tier, badge, campaign,
segment or survey question as KIND/NAME/FIGURE (tier/core/members,
campaign/onboarding/goal_rate, badge/first_post/awarded,
funnel's first_contribution/members, survey/pulse/recommend/tier/core/nps;
a segment's size at the end of a period is segment/NAME/members).
Points are kept by month for as long as the store holds them: -by month
-periods N gives N months of them, each with outstanding (by_month's
points/granted, points/deducted, points/expired, points/outstanding);
a series by day or week has none ("points" in "not_kept").
Values are numbers, but a badge's first_award and last_award (days) and
an empty K-factor for a month with no base.

Days, weeks and months over before the state store's first event with
nothing counted in them are left out of every form (text, -json, -csv,
-html): the cohorts, daily series and monthly figures start with the
community. Empty periods after it are kept in -json and -csv.

-html FILE writes the report as an HTML page too; -html - writes the page
to standard output, and the report printed otherwise to standard error.

Examples:
  hearth replay -events examples/health-report/events.jsonl examples/health-report
  hearth report examples/health-report
  hearth report -json examples/health-report | jq .surveys
  hearth report -html /tmp/health.html -at 2026-03-31 examples/health-report
  hearth report -json -at 2026-02-28 examples/health-report | jq .not_as_of
  hearth report -by week examples/health-report
  hearth report -csv -by month examples/health-report > health.csv
`

func runReport(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "report", reportUsage)
	asJSON := fs.Bool("json", false, "Print the report as JSON (schema hearth.report/v1).")
	htmlPath := fs.String("html", "", "Also write the report as a self-contained HTML page with charts to this `FILE` (mode 0600); \"-\" for standard output, the report printed otherwise then on standard error.")
	asCSV := fs.Bool("csv", false, "Print the report as one tidy CSV table: section, period, name, value.")
	atFlag := fs.String("at", "", "The report's day (YYYY-MM-DD); default the latest day with events.")
	by := fs.String("by", "", "Add the figures period by period: `day`, week or month.")
	periods := fs.Int("periods", 0, "With -by, how many periods (default 30 days, 12 weeks, 12 months).")
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	dir, ok := dirArg(pos, s, "report")
	if !ok {
		return 1
	}
	// -html - writes the page to stdout; the report printed otherwise
	// then goes to stderr.
	s, stdout, code, ok := stdoutFlags(s, "report", [2]string{"-html", *htmlPath})
	if !ok {
		return code
	}
	if *asJSON && *asCSV {
		fmt.Fprintln(s.err, "hearth report: -json and -csv print the report two ways: give one")
		return 1
	}
	if *by != "" {
		if err := analytics.CheckSeries(*by, *periods); err != nil {
			hint := ""
			if analytics.DefaultPeriods(*by) == 0 {
				hint = didYouMean(*by, []string{"day", "week", "month"})
			}
			fmt.Fprintf(s.err, "hearth report: -by, -periods: %v.%s\n", err, hint)
			return 1
		}
	} else if *periods != 0 {
		fmt.Fprintln(s.err, "hearth report: -periods counts the periods of -by day, week or month: give -by too")
		return 1
	}
	var at time.Time
	if *atFlag != "" {
		var err error
		if at, err = time.Parse(time.DateOnly, *atFlag); err != nil {
			fmt.Fprintf(s.err, "hearth report: -at must be a day such as 2026-03-31, not %q\n", *atFlag)
			return 1
		}
	}
	cfg, ok := loadReadConfig(ctx, s, dir, vf, *asJSON, "report")
	if !ok {
		return 1
	}
	store, noState, ok := readStore(ctx, s, cfg, "report", hintRun)
	if !ok {
		return 1
	}
	defer store.Close()
	tr, ok := store.(state.TallyReader)
	if !ok {
		fmt.Fprintf(s.err, "hearth report: the %s state store keeps no tallies for reports\n", cfg.Settings.State.Backend)
		return 1
	}
	tallies, err := tr.Tallies(ctx)
	if err != nil {
		fmt.Fprintf(s.err, "hearth report: %v\n", err)
		return 1
	}
	if len(tallies) == 0 {
		if !noState {
			fmt.Fprintf(s.err, "hearth report: the state store%s has no figures yet: run hearth run or hearth replay to apply events first\n", storeAt(cfg))
		}
		if at.IsZero() {
			// No event gives the day: the report is of today.
			at = time.Now().UTC().Truncate(24 * time.Hour)
		}
	}
	r := analytics.BuildWith(cfg, tallies, at, analytics.Options{By: *by, Periods: *periods})
	if n, since := staleMembers(ctx, store, s.clock()); n > 0 && !noState {
		// Tiers counted are as stored: a demotion by time that no daemon
		// ran is not in them, if it was due by the report's day.
		if day, err := time.Parse(time.DateOnly, r.AsOf); err == nil && since.Before(day.Add(24*time.Hour)) {
			fmt.Fprintf(s.err, "hearth report: %s due since %s that have not run (no daemon ran then): the tiers counted here are of before them; hearth run brings members up to date (with no daemon, hearth replay -events /dev/null -until now DIR).\n",
				staleCount(n, "member has rechecks", "members have rechecks"), utcMinute(since))
		}
	}
	if *htmlPath != "" {
		if err := writeReportFile(*htmlPath, stdout, r, analytics.WriteHTML); err != nil {
			fmt.Fprintf(s.err, "hearth report: %v\n", err)
			return 1
		}
	}
	switch {
	case *asJSON:
		err = analytics.WriteJSON(s.out, r)
	case *asCSV:
		err = analytics.WriteCSV(s.out, r)
	default:
		err = analytics.WriteText(s.out, r)
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth report: %v\n", err)
		return 1
	}
	return 0
}

func storeAt(cfg *config.Config) string {
	if where := storeWhere(cfg); where != "" {
		return " at " + where
	}
	return ""
}

// writeReportFile writes a report to path ("-": stdout, from
// stdoutFlags) with one of the writers.
func writeReportFile(path string, stdout io.Writer, r *analytics.Report, write func(w io.Writer, r *analytics.Report) error) error {
	f, err := createOutput(path, stdout)
	if err != nil {
		return err
	}
	if err := write(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// simulationReport writes the report of a replay's sandbox store.
func simulationReport(ctx context.Context, cfg *config.Config, store state.Store, to time.Time, path string, stdout io.Writer) error {
	tr, ok := store.(state.TallyReader)
	if !ok {
		return fmt.Errorf("the simulation store keeps no tallies")
	}
	tallies, err := tr.Tallies(ctx)
	if err != nil {
		return err
	}
	return writeReportFile(path, stdout, analytics.Build(cfg, tallies, to), analytics.WriteJSON)
}
