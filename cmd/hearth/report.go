package main

import (
	"context"
	"fmt"
	"io"
	"os"
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
month that started with no members); points granted, spent and expired;
lifetime value from events with an amount, with revenue by month of
payment and by join cohort; and survey answers,
with the NPS of score questions per tier, segment and month.

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

-json prints the report as JSON whose "schema" field is
"hearth.report/v1": fields may be added within a version, never renamed
or removed. The daemon serves the same JSON at GET /v1/report, and
hearth simulate -report-json FILE writes it for a replay.

Examples:
  hearth replay -events examples/health-report/events.jsonl examples/health-report
  hearth report examples/health-report
  hearth report -json examples/health-report | jq .surveys
  hearth report -html /tmp/health.html -at 2026-03-31 examples/health-report
  hearth report -json -at 2026-02-28 examples/health-report | jq .not_as_of
`

func runReport(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "report", reportUsage)
	asJSON := fs.Bool("json", false, "Print the report as JSON (schema hearth.report/v1).")
	htmlPath := fs.String("html", "", "Also write the report as a self-contained HTML page with charts to this `FILE`.")
	atFlag := fs.String("at", "", "The report's day (YYYY-MM-DD); default the latest day with events.")
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
	r := analytics.Build(cfg, tallies, at)
	if *htmlPath != "" {
		if err := writeReportFile(*htmlPath, r, analytics.WriteHTML); err != nil {
			fmt.Fprintf(s.err, "hearth report: %v\n", err)
			return 1
		}
	}
	if *asJSON {
		err = analytics.WriteJSON(s.out, r)
	} else {
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

// writeReportFile writes a report to path with one of the writers.
func writeReportFile(path string, r *analytics.Report, write func(w io.Writer, r *analytics.Report) error) error {
	f, err := os.Create(path)
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
func simulationReport(ctx context.Context, cfg *config.Config, store state.Store, to time.Time, path string) error {
	tr, ok := store.(state.TallyReader)
	if !ok {
		return fmt.Errorf("the simulation store keeps no tallies")
	}
	tallies, err := tr.Tallies(ctx)
	if err != nil {
		return err
	}
	return writeReportFile(path, analytics.Build(cfg, tallies, to), analytics.WriteJSON)
}
