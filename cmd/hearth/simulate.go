package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/campaignstats"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/textwidth"
)

const simulateUsage = `Usage: hearth simulate -events FILE.jsonl [options] [DIR]
       hearth simulate -events FILE.jsonl (-baseline BASEDIR | -baseline-ref REF) [options] [DIR]

Replays member events through the rules of DIR in a sandbox: an in-memory
store, no platform contacted, nothing sent. Prints what the rules did:
firings per incentive, points (granted, deducted by negative grants,
expired, and net), badge holders and awards, the tier distribution,
segment sizes, campaign funnels and the sends that would happen. Every
incentive, badge, tier, segment, campaign, moderation rule and alert
configured is listed, with 0 where it did nothing. Use it to ask "what
would this rule have done last quarter?" before merging it:
  hearth simulate -events history.jsonl -from 2026-07-01 -to 2026-09-30 .

A campaign's funnel counts the runs entered, the runs that ended by each
reason apart, as 'hearth campaign show' counts them: goal (exit_when
held), exited (stop_when held; a column only where some campaign has a
stop_when), finished (past the last step), left (the audience or the
community) and stopped (the campaign was removed from the files); then
the runs still active, and the messages queued (the queued column,
"sends" in -json: nothing is sent; those the sandbox's outbox would skip
at delivery count as skipped instead), deferred and skipped. The
deferred ones are then split by what held them back: quiet hours or a
frequency cap. -json has them per campaign under "campaigns" (deferred,
and "deferred_by" with quiet_hours and frequency_cap), with each A/B
variant's funnel under "arms", and under "before_split" the runs the
split gave no variant (the goal reached, or the run ended, before it;
or still waiting for it), so that the rows add up. A split in a campaign
with a goal is then compared as 'hearth campaign show' compares it: each
variant's goal rate (of every run it was given: running ones count as
not converted yet, so a campaign written as a loop, whose runs end only
at the goal, is not 100%; the runs and running columns say how many),
the messages its runs queued (its cost beside its goals) and, against the split's control (split { control = "NAME" },
else its first variant), the difference in points with, in parentheses,
the relative lift, its 95% confidence interval (Newcombe) and the p-value
of a two-proportion z-test; below 0.05 it is unlikely to be chance, and
"small sample" marks arms too small to trust it. With more
than two variants the p-values are not corrected for multiple
comparisons, and a difference is called significant below Bonferroni's
0.05 divided by the comparisons (goal_rate, control, lift (absolute),
relative_lift, lift_ci_low, lift_ci_high, p, significant and
small_sample in each arm, alpha on the campaign).

The tier table counts the members on each tier at the end, those who
left not counted (they keep their tier for when they come back, but are
on none while away, as they are in no segment but those written for
them): a "(left, not counted above)" line counts them, "left" in -json,
and "tiers" leaves them out, as hearth report and GET /v1/population do.

Members who moved back and forth on a tier (promoted to it, demoted from
it and promoted to it again) are reported per tier, with how often and
the member who came back most ("flapping" in -json), and what makes them
flap: a keep stricter than when, with no grace or demote_after, demotes
a member the next evaluation promotes again, each flip queueing a
role.remove and a role.add. Hysteresis stops it: a lower keep
threshold, grace or demote_after. A tier with no keep follows its when
both ways, which may be meant (a privilege recomputed from a score): the
hint says so. 'hearth member why ID tier.NAME' on the replayed state
lists that member's moves on and off the tier (promoted and demoted,
when, by which event) and what its rules give now.

The sandbox delivers each send when it is queued, after every event of
that instant, as hearth run's outbox would: an email to a member who
unsubscribed from its platform (unless transactional), a message to one
who left, or a win-back's to one who came back, by then, is skipped. It
is not among the sends that would happen, counts in its campaign's
skipped column, is listed under "Skipped at delivery"
("skipped_at_delivery" in -json), and is an outcome with "kind":"action",
"change":"skip", its detail the action's key and why. A send queued at
a time the sandbox had passed (a late event's: see below) is delivered
at the time the sandbox stands at, as hearth run's outbox delivers it
late: older than its campaign's expire_after, it is skipped as expired
("expired_at_delivery" in -json); inside its campaign's quiet hours, it
waits for their end ("Held at delivery", "held_at_delivery", and a
"change":"defer" outcome).

hearth replay of the same events leaves their sends in the state's
outbox instead, which hearth run delivers at the wall clock: those older
by then than their campaign's expire_after (7d unless set, and 7d for a
community's welcome) are skipped as expired. The summary lists, of the
sends that would happen, those a replay now would see skipped so ("Of
the sends, skipped as expired if replayed now"; "expired_if_replayed",
by action, with "replayed_at" in -json), for the reason the outbox
stores ("expired: not sent within 1w of its time ..."): hearth replay's
summary warns about the same messages. History from before hearth ran is
best replayed with -history, which sends nothing: with -history here too,
the summary is of what hearth replay -history would do (state only: no
points, badges, campaign entries, moderation, alerts or sends; see
'hearth replay -h').

Events dated more than 5m past this machine's clock are rejected lines,
each with its line and why ("events.jsonl line 8: event at
2027-03-01T00:00:00Z is 95d 12h in the future; the clock says ...; at
most 5m ahead is accepted, as POST /v1/events accepts"), as the daemon
refuses them; -allow-future replays them, for a synthetic workload
dated ahead.

-outcomes FILE writes everything the rules did, one JSON line each, as
GET /v1/members/ID/history gives a member's:
  {"kind":"tier","member":"57","name":"comment_everywhere","change":"demote","at":"2018-02-06T22:07:52.777000000Z","rule":"tier.comment_everywhere","event":"se:vote:85:voted","from":"comment_everywhere","to":"vote_up"}
'hearth explain outcomes' is their reference: each kind (points, badge,
tier, segment, campaign, action, moderation, alert), its changes and
what each field holds. name is a block's name: a badge's is its block
name (nice_answer) where the summary shows its title (Nice Answer), so
badge and tier lines add the title the files give it as "title". A
tier line names the tier whose rule decided the move, in name and rule
alike: the tier entered on a promotion, the tier left (its keep failed)
on a demotion, not the lower one landed on; from and to give both ends.
-outcomes - writes the lines to standard output (hearth simulate -outcomes
- -events e.jsonl . | jq), and the summary, -json's too, to standard
error; -report-json - does the same with the report, and only one of
them can be -.

Events are JSON lines, one event per line:
  {"id":"e1","type":"message.posted","member":"u1","at":"2026-11-02T10:00:00Z","attrs":{"channel":"help"}}
(see 'hearth explain events'). Bad lines are reported with the file and
their line (and column, for malformed JSON: "events.jsonl line 2, column
7: invalid event: malformed JSON: ...", in the words POST /v1/events
uses) and skipped, the first ten on stderr; the exit status stays 0
unless -strict is given. With -json none is printed: the summary lists
the first 100 under "rejected_lines", each {"line", "column" (malformed
JSON only), "error"}, and "rejected" counts them all.

Events are replayed in the order of the file. One dated before an event
above it is applied at its own time, as hearth run applies a late event,
but time-based rules and campaign timers have by then run to the later
time: a nudge can go to a member whose post, further down the file,
would have reached the campaign's goal before it. The summary ends with
a warning counting such events, naming the first and the line and time
of the latest event above it ("out_of_order" in -json: count,
first_line, first_at, latest_line, latest_at). -sort reads the whole
file into memory, sorts its events stably by "at" (those of one time
keep their order) and replays them so; lines that are not events are
reported first, by their line in the file, and the summary notes how
many events were out of order ("sorted": true). -strict exits 1 for
events out of order too, unless -sort put them in order. 'hearth import
stackexchange' writes its events in time order.
Events of a type that is neither standard nor declared, and that no rule
reads, are replayed but heard by nothing: the summary warns about them,
those with the most events first, with a suggestion where the type looks
like a known one mistyped ("unknown_types" and
"unknown_type_suggestions" in -json). So are attributes a type does not
declare that look like a typo of one it does, which the event lacks
("chanel" on a message.posted without "channel": no rule reads it),
with the attribute each looks like ("attr_typos" in -json), and time
zones of member.joined and member.profile_updated events that are not
IANA names ("Mars/Olympus", "Europe/Berln"): they do not set the
member's time zone, so quiet hours go by the zone the member had or the
community's; each is listed with the zone it looks like, if one is
close ("bad_timezones" in -json).

-from and -to bound the window the summary and -outcomes cover. Events
before -from are a warm-up: applied first, through the same rules, so
members enter the window with the points, badges, tier, counts and
campaign runs their history gave them, but counted nowhere
("warmup_events" in -json). Events after -to are skipped, and time-based
rules (segments, tiers, campaign waits) run up to -to even after the
last event. Counts (events, grants, points, awards, runs entered and
ended, sends) are of the window; states (members, badge holders, tiers,
segments, active runs) are at its end; a campaign's runs under way at
-from are its "carried in". -cold skips the events before -from instead,
so every member starts from nothing at it (what -from did before this
version). A date is a UTC day, as hearth report's days are: -from
2026-07-01 is its start, -to 2026-09-30 the whole day; give a time with
an offset for another zone's. The window is echoed in UTC.

-json prints the summary with "schema": "hearth.simulate/v1" (fields may
be added within a version, never renamed or removed; README lists them):
events, warmup_events, skipped_out_of_range, members, rechecks, from,
to, firings, points_imported (opening balances of hearth import members;
absent when none), points_granted (positive grants), points_deducted (negative
grants: penalties, rewards that cost points), points_expired, points_net
(imported + granted - deducted - expired), badge_holders, badge_awards, tiers,
segments, campaigns, moderation, alerts, sends and the warnings. Its
times, and the "at" of -outcomes lines, are RFC 3339 in UTC with exactly
nine fractional digits (2018-02-06T22:07:52.777000000Z): one width, so
they sort as text in time order. What reads times (an event's "at", -from,
-to) takes any RFC 3339 time, with as many fractional digits as it has
or none (2018-02-06T22:07:52.777Z, 2018-02-06T23:07:52+01:00).

Problems while applying events (rules that fail at run time, attributes
that do not match their declared types) are logged to stderr as text
lines, or as JSON lines with -json.

The sandbox reaches no platform, so sensitive variables (tokens,
passwords) may go unset.

On a terminal, a progress line counts the events replayed and their
rate; reading a file (not standard input) it also gives the percent of
the file read and the time left at the rate so far.

Comparing two rule sets: -baseline BASEDIR replays the same events a
second time, through the rules of BASEDIR (the baseline: the rules before
a change), each replay in a sandbox of its own, and prints how the
rules of DIR change what they do, in place of the summary: what differs
of the grants and net points per incentive, the points granted,
deducted, expired and net, the badge holders, the
members per tier, the tier moves (members who end on another tier,
from -> to, how many), the segment sizes, the messages queued per
campaign and the sends per action kind, each campaign's outcomes (runs entered, reaching the
goal during the run, converted after the last step within
conversion_window, exited, finished, left, stopped, still active; the
goal rate of the runs, running ones not converted yet, and each A/B variant's: a shorter
conversion_window or wait is a difference); then how many members end in another state (tier,
points, badges held, segments), and per badge and segment how many
gain it and lose it. A tier members flap on with the new rules more
than with the baseline's is told of as above. -baseline-ref REF takes
the baseline from git instead: the files of DIR as they are at REF (a
branch, tag or commit), copied with git archive into a temporary
directory; the working tree is left as it is. -members names the
members of each change, by id in natural order (numeric ids by value:
2, 145, 263, 2609): up to 20 per change in the text, then
"and N more", and up to 1000 with -json, which prints
  {"baseline": {"dir", "ref", "commit", "summary"}, "new": {"dir", "summary"},
   "differs", "replay", "incentives", "points", "points_granted",
   "points_deducted", "points_expired", "points_by_rule",
   "badge_holders", "tiers", "tier_moves", "segments", "campaign_sends",
   "sends", "campaign_outcomes", "members", "members_changed",
   "member_shifts", "list_cap"}
each figure as {"name", "baseline", "new", "change"}, each campaign's
outcomes as {"name", "runs" (figures named entered, goal_during_run,
converted, exited, finished, left, stopped, active), "goal_rate" and
"arms" ({"variant", "baseline", "new", "change"}, a rate null where no
run ended)}, each tier move as
{"from", "to", "members", "member_ids"} ("" is no tier) and each member
shift as hearth plan's member moves: {"kind", "name", "enter", "leave",
"enter_members", "leave_members"}. The exit status is 0, 1 on an error
(or with -strict, for the new rules' replay), and with
-detailed-exitcode 2 when the replays differ, as 'hearth plan
-detailed-exitcode' exits 2 for changes: a CI job can fail a rules
change that moves members nobody meant to move. -from, -to and -cold
window both replays alike. The bad lines are
reported once; -outcomes and -report-json, of one replay, are refused.

Examples:
  hearth simulate -events examples/quickstart/events.jsonl examples/quickstart
  hearth simulate -events history.jsonl -from 2026-07-01 -to 2026-09-30 -json .
  hearth import stackexchange dump/ > se.jsonl
  hearth simulate -events se.jsonl -outcomes /tmp/awards.jsonl examples/stackexchange
  hearth simulate -events examples/health-report/events.jsonl -report-json /tmp/health.json examples/health-report
  hearth simulate -strict -events history.jsonl .   # exit 1 if a line was rejected or out of order
  hearth simulate -sort -events unsorted.jsonl .     # sort by time in memory first
  hearth simulate -history -events last-year.jsonl . # what hearth replay -history would leave
  hearth simulate -events history.jsonl -baseline-ref main .   # what this branch's rules change
  hearth simulate -events history.jsonl -baseline ../rules-before -members -detailed-exitcode .
`

func runSimulate(ctx context.Context, s *stdio, args []string) (code int) {
	fs := newFlags(s, "simulate", simulateUsage)
	eventsPath := fs.String("events", "", "JSON lines `FILE` of events to replay (\"-\" for standard input). Required.")
	from := fs.String("from", "", "Count from this `TIME` (RFC 3339, YYYY-MM-DD: that day's start in UTC, or \"now\"): events before it only build the members' state (a warm-up), unless -cold.")
	to := fs.String("to", "", "Skip events after this `TIME` (RFC 3339, YYYY-MM-DD: that whole day in UTC, or \"now\"); time-based rules run up to it.")
	cold := fs.Bool("cold", false, "With -from: skip the events before it instead of warming up on them, as if the community started empty at -from.")
	asJSON := fs.Bool("json", false, "Print the summary as JSON, with the rejected lines in it (rejected_lines) rather than on stderr.")
	outcomes := fs.String("outcomes", "", "Write every outcome as a JSON line to this `FILE`, mode 0600 (the fields, kinds and changes: hearth explain outcomes); \"-\" for standard output, the summary then on standard error.")
	reportJSON := fs.String("report-json", "", "Write the community health report of the replay (as hearth report -json) to this `FILE` (mode 0600); \"-\" for standard output, the summary then on standard error.")
	strict := fs.Bool("strict", false, "Exit 1 when any line was rejected (bad lines are still reported and skipped), or an event is out of time order without -sort.")
	sortEvents := fs.Bool("sort", false, "Read the whole file into memory and replay its events sorted by time (stably).")
	history := fs.Bool("history", false, "Apply the events to member state only, as hearth replay -history does: no points, badges, campaign entries, moderation, alerts or sends; tiers and segments settle silently.")
	allowFuture := fs.Bool("allow-future", false, "Replay events dated more than 5m past this machine's clock (a synthetic workload); without it they are rejected lines, as POST /v1/events refuses them.")
	var cf compareFlags
	cf.register(fs)
	s.registerNoColor(fs)
	// The sandbox reaches no platform: no production tokens needed.
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	dir, ok := dirArg(pos, s, "simulate")
	if !ok {
		return 1
	}
	if *eventsPath == "" {
		fmt.Fprintln(s.err, "hearth simulate: -events FILE is required; see 'hearth simulate -h'.")
		return 1
	}
	var opt simulate.Options
	var err error
	// "now" is the command's clock, as replay -until takes it.
	nowOr := func(v string) (time.Time, error) {
		if v == "now" {
			return s.clock().UTC(), nil
		}
		return parseTimeFlag(v)
	}
	if opt.From, err = nowOr(*from); err != nil {
		fmt.Fprintf(s.err, "hearth simulate: -from: %v, or now\n", err)
		return 1
	}
	if opt.To, err = nowOr(*to); err != nil {
		fmt.Fprintf(s.err, "hearth simulate: -to: %v, or now\n", err)
		return 1
	}
	if !opt.To.IsZero() && len(*to) == len("2006-01-02") {
		opt.To = opt.To.Add(24*time.Hour - time.Nanosecond) // the whole day
	}
	if *cold && opt.From.IsZero() {
		return argError(s, "simulate", "-cold skips the events before -from: give -from too")
	}
	opt.Cold = *cold
	opt.History = *history
	if opt.History && opt.To.IsZero() {
		// As hearth replay -history: settled up to now.
		opt.RecheckUntil = s.clock().UTC()
	}
	if !*allowFuture {
		opt.Now, opt.MaxAhead = s.clock(), daemon.DefaultMaxAhead
	}
	if !opt.From.IsZero() && !opt.To.IsZero() && opt.From.After(opt.To) {
		fmt.Fprintf(s.err, "hearth simulate: -from %s is after -to %s: the window would hold no events.\n", *from, *to)
		return 1
	}
	if cf.comparing() || cf.detailed || cf.members {
		if msg := cf.mistake(*outcomes, *reportJSON); msg != "" {
			return argError(s, "simulate", msg)
		}
		opt.Sort = *sortEvents
		return runSimulateCompare(ctx, s, dir, *eventsPath, vf, opt, cf, *asJSON, *strict)
	}
	// -outcomes - and -report-json - write to stdout; the summary then
	// goes to stderr.
	s, stdout, code, ok := stdoutFlags(s, "simulate", [2]string{"-outcomes", *outcomes}, [2]string{"-report-json", *reportJSON})
	if !ok {
		return code
	}
	cfg, ok := loadConfigAs(s, dir, vf, *asJSON)
	if !ok {
		return 1
	}
	// The sends a replay of these events today would leave to hearth
	// run's outbox, which delivers them today (not in a comparison, which
	// compares what the rules do).
	opt.ReplayedAt = s.clock()
	in, closeIn, ok := openEvents(s, "simulate", *eventsPath)
	if !ok {
		return 1
	}
	defer closeIn()
	if *outcomes != "" {
		write, done, ok := outcomesFile(s, "simulate", *outcomes, stdout, cfg)
		if !ok {
			return 1
		}
		defer func() {
			if !done() && code == 0 {
				code = 1
			}
		}()
		opt.Outcome = write
	}
	bad := &skips{s: s, cmd: "simulate", asJSON: *asJSON}
	opt.BadEvent = func(e *events.Error) { bad.skip(e.In(eventsName(*eventsPath))) }
	lines := 0 // with -sort, the lines of the file, once read
	if opt.Sort = *sortEvents; opt.Sort {
		opt.Loading = sortProgress(s, in, &lines)
	}
	start := time.Now()
	opt.Progress = eventsProgress(s, in, "replayed %d events", &lines)
	log, logCap := sandboxLogger(s, *asJSON)
	opt.Log = log
	sum, err := simulate.Run(ctx, cfg, in, opt)
	if s.errTTY {
		fmt.Fprint(s.err, "\r\033[K")
	}
	logCap.report(s.err, "simulate")
	if err != nil {
		fmt.Fprintf(s.err, "hearth simulate: %v\n", err)
		return 1
	}
	bad.done()
	if *reportJSON != "" {
		if err := simulationReport(ctx, cfg, sum.Store, opt.To, *reportJSON, stdout); err != nil {
			fmt.Fprintf(s.err, "hearth simulate: -report-json: %v\n", err)
			return 1
		}
	}
	code = 0
	if *strict && strictFails(s, "simulate", bad.n, sum.OutOfOrder) {
		code = 1
	}
	if *asJSON {
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(sum)
		return code
	}
	printSummary(s.out, cfg, sum, time.Since(start), false)
	printOutOfOrder(s.out, eventsName(*eventsPath), sum.OutOfOrder, false)
	return code
}

// outcomesFile creates path for -outcomes ("-": stdout, from
// stdoutFlags): write puts an outcome in it as a line; done flushes and
// closes it, saying so on s.err when that fails (a full disk), and
// reports whether all went well.
func outcomesFile(s *stdio, cmd, path string, stdout io.Writer, cfg *config.Config) (write func(state.Outcome) error, done func() bool, ok bool) {
	f, err := createOutput(path, stdout)
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: -outcomes: %v\n", cmd, err)
		return nil, nil, false
	}
	bw := bufio.NewWriter(f)
	enc := jsonEncoder(bw)
	titles := outcomeTitles(cfg)
	write = func(o state.Outcome) error { return enc.Encode(newOutcomeLine(o, titles)) }
	done = func() bool {
		err := bw.Flush()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintf(s.err, "hearth %s: -outcomes: %v\n", cmd, err)
			return false
		}
		return true
	}
	return write, done, true
}

// badgeLabel names a badge in simulate's tables by its block name, as
// the other tables, hearth test and member show name things, with its
// title beside it when it has another: first_post (First post).
func badgeLabel(name, title string) string {
	if title == "" || title == name {
		return name
	}
	return name + " (" + title + ")"
}

// outcomeTitles are the titles of cfg's badges and tiers (their names
// when they set none), by kind and block name.
func outcomeTitles(cfg *config.Config) map[[2]string]string {
	titles := map[[2]string]string{}
	for _, b := range cfg.Badges {
		titles[[2]string{state.KindBadge, b.Name}] = b.Title
	}
	for _, t := range cfg.Tiers {
		titles[[2]string{state.KindTier, t.Name}] = t.Title
	}
	return titles
}

// newOutcomeLine is o as an -outcomes line: with the title of the badge or
// tier it names, which the summary shows where the outcome has the block
// name.
func newOutcomeLine(o state.Outcome, titles map[[2]string]string) state.OutcomeLine {
	return o.Line(titles[[2]string{o.Kind, o.Name}])
}

// maxUnknownTypesShown bounds the unknown types a summary lists: a file
// making up a type per event would otherwise bury the rest of it.
const maxUnknownTypesShown = 20

// printUnknownTypes warns about events of types nothing hears: not
// standard, not declared, read by no rule (often a typo of a known type,
// which suggested gives), those with the most events first.
func printUnknownTypes(w io.Writer, unknown map[string]int, suggested map[string]string) {
	if len(unknown) == 0 {
		return
	}
	fmt.Fprintf(w, "Warning: events of %s that nothing hears (neither standard nor declared with an event block, and read by no rule):\n",
		plural(len(unknown), "type", "types"))
	tw := textwidth.NewTabWriter(w, 2, 0)
	types := simulate.ByCount(unknown)
	for _, t := range types[:min(len(types), maxUnknownTypesShown)] {
		hint := "" // none ends the line at the count, not in spaces
		if s := suggested[t]; s != "" {
			hint = fmt.Sprintf("\tDid you mean %q?", s)
		}
		fmt.Fprintf(tw, "  %s\t%s%s\n", t, plural(unknown[t], "event", "events"), hint)
	}
	_ = tw.Flush()
	if more := len(types) - maxUnknownTypesShown; more > 0 {
		fmt.Fprintf(w, "  and %s more\n", plural(more, "type", "types"))
	}
}

// printAttrTypos warns about attributes no rule reads that look like a
// typo of one their event type declares, the most events first.
func printAttrTypos(w io.Writer, typos []simulate.AttrTypo) {
	if len(typos) == 0 {
		return
	}
	if len(typos) == 1 {
		fmt.Fprintln(w, "Warning: events with 1 attribute that looks like a typo: their type does not declare it, so no rule reads it:")
	} else {
		fmt.Fprintf(w, "Warning: events with %d attributes that look like typos: their types do not declare them, so no rule reads them:\n", len(typos))
	}
	tw := textwidth.NewTabWriter(w, 2, 0)
	for _, t := range typos[:min(len(typos), maxUnknownTypesShown)] {
		fmt.Fprintf(tw, "  %s\t%s\t%s\tDid you mean %q?\n", t.Type, t.Attribute, plural(t.Events, "event", "events"), t.Suggestion)
	}
	_ = tw.Flush()
	if more := len(typos) - maxUnknownTypesShown; more > 0 {
		fmt.Fprintf(w, "  and %s more\n", plural(more, "attribute", "attributes"))
	}
}

// windowEdge is how the text gives an end of the window, in UTC: a date
// for a bound on a day's edge (the start of a -from day, the end of a -to
// day) or for one the events gave, else the time.
func windowEdge(t time.Time, given, end bool) string {
	t = t.UTC()
	day := t.Truncate(24 * time.Hour)
	if !given || !end && t.Equal(day) || end && t.Equal(day.Add(24*time.Hour-time.Nanosecond)) {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}

// eventsName is how messages name the events file path.
func eventsName(path string) string {
	if path == "-" {
		return "standard input"
	}
	return path
}

// parseTimeFlag reads -from and -to: RFC 3339, or a date, the start of
// that day in UTC, as hearth report's days are UTC days (the settings'
// timezone is the members' clock, for quiet hours and localdate).
func parseTimeFlag(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2026-11-22T10:00:00Z) nor a date (2026-11-22)", v)
	}
	return t, nil
}

// printBadTimezones warns about member time zones the runtime dropped,
// the most events first.
func printBadTimezones(w io.Writer, bad []simulate.BadTimezone) {
	if len(bad) == 0 {
		return
	}
	if len(bad) == 1 {
		fmt.Fprintln(w, "Warning: events with 1 timezone that is not an IANA time zone name: it does not set the member's time zone, so their quiet hours go by the zone they had or the community's:")
	} else {
		fmt.Fprintf(w, "Warning: events with %d timezones that are not IANA time zone names: they do not set the member's time zone, so their quiet hours go by the zone they had or the community's:\n", len(bad))
	}
	tw := textwidth.NewTabWriter(w, 2, 0)
	for _, b := range bad[:min(len(bad), maxUnknownTypesShown)] {
		hint := "" // a last cell, so a line without one ends unpadded
		if b.Suggestion != "" {
			hint = fmt.Sprintf("\tDid you mean %q?", b.Suggestion)
		}
		fmt.Fprintf(tw, "  %s\t%q\t%s%s\n", b.Type, b.Value, plural(b.Events, "event", "events"), hint)
	}
	_ = tw.Flush()
	if more := len(bad) - maxUnknownTypesShown; more > 0 {
		fmt.Fprintf(w, "  and %s more\n", plural(more, "time zone", "time zones"))
	}
}

// printSummary writes what a simulation or a replay did; stored is for a
// replay, whose sends are queued in the outbox rather than imagined.
func printSummary(w io.Writer, cfg *config.Config, sum *simulate.Summary, took time.Duration, stored bool) {
	span := ""
	if !sum.From.IsZero() {
		span = " from " + windowEdge(sum.From.Time, sum.FromGiven, false)
	}
	if !sum.To.IsZero() {
		span += " to " + windowEdge(sum.To.Time, sum.ToGiven, true)
	}
	if span != "" {
		span += " UTC"
	}
	fmt.Fprintf(w, "Replayed %s%s for %s in %s (%s, %d rejected, %d out of range).\n",
		plural(sum.Events, "event", "events"), span, plural(sum.Members, "member", "members"), took.Round(time.Millisecond),
		plural(sum.Duplicates, "duplicate", "duplicates"), sum.Rejected, sum.Skipped)
	if sum.History {
		fmt.Fprintln(w, "History (-history): member state only. No points, badges, campaign entries, moderation, alerts or actions; tiers and segments settled silently.")
	}
	switch {
	case sum.Warmup > 0:
		fmt.Fprintf(w, "Warm-up: %s before %s built the members' state first and count nowhere below; badge holders, tiers and segments are as they stand at the end (-cold skips them instead).\n",
			plural(sum.Warmup, "event", "events"), windowEdge(sum.From.Time, true, false))
	case sum.Cold:
		fmt.Fprintf(w, "Cold start (-cold): events before %s were skipped, so every member starts from nothing at it.\n", windowEdge(sum.From.Time, true, false))
	}
	printUnknownTypes(w, sum.UnknownTypes, sum.UnknownTypeSuggestions)
	printAttrTypos(w, sum.AttrTypos)
	printBadTimezones(w, sum.BadTimezones)
	if sum.TooOld > 0 {
		fmt.Fprintf(w, "%s older than the event ids the state remembers (event_id_retention) and not applied: hearth could not tell them apart from events already applied.\n", plural(sum.TooOld, "event was", "events were"))
	}
	if sum.Suppressed > 0 {
		fmt.Fprintf(w, "%s refused: their member asked to be forgotten and is suppressed (hearth member unsuppress lifts it).\n", plural(sum.Suppressed, "event was", "events were"))
	}
	if sum.Linked > 0 {
		fmt.Fprintf(w, "%s applied to the member holding one of their identities (one person, several platforms).\n", plural(sum.Linked, "event was", "events were"))
	}
	if sum.IdentityConflicts > 0 {
		fmt.Fprintf(w, "%s: an identity another member holds was not given, or an event's identities named several members (see the log; README \"One person, several platforms\" says how to fix it).\n", plural(sum.IdentityConflicts, "identity conflict", "identity conflicts"))
	}
	if sum.RuleErrors > 0 {
		// Events whose attributes do not match their declared types are
		// rejected as they are read, so what is left here is rules.
		fmt.Fprintf(w, "%s failed at run time and counted as false (see the log).\n", plural(sum.RuleErrors, "rule evaluation", "rule evaluations"))
	}
	if sum.SendErrors > 0 {
		fmt.Fprintf(w, "%s not made: the message could not be made from its template, or was longer than its platform takes (see the log).\n", plural(sum.SendErrors, "campaign send was", "campaign sends were"))
	}
	if stored && sum.Events == 0 && sum.Duplicates > 0 {
		if sum.Duplicates == 1 {
			fmt.Fprintln(w, "Nothing new: the event was applied before.")
		} else {
			fmt.Fprintf(w, "Nothing new: all %d events were applied before.\n", sum.Duplicates)
		}
		return
	}
	tw := textwidth.NewTabWriter(w, 2, 0)
	section := func(title, col string) { fmt.Fprintf(tw, "\n%s\t%s\n", title, col) }
	// Like the other sections, incentives show only when configured
	// (moderation-only configurations have none).
	if len(cfg.Incentives) > 0 {
		section("Incentives", "grants")
		for _, in := range cfg.Incentives {
			fmt.Fprintf(tw, "  %s\t%d\n", in.Name, sum.Firings[in.Name])
		}
	}
	if len(cfg.Incentives) > 0 || sum.Imported != 0 || sum.Granted != 0 || sum.Deducted != 0 || sum.Expired != 0 {
		// As hearth report names them: a negative grant (a penalty, a
		// reward that costs points) is deducted.
		section("Points", "points")
		net := "net (granted - deducted - expired)"
		if sum.Imported != 0 {
			fmt.Fprintf(tw, "  imported (opening balances)\t%d\n", sum.Imported)
			net = "net (imported + granted - deducted - expired)"
		}
		fmt.Fprintf(tw, "  granted (positive grants)\t%d\n", sum.Granted)
		fmt.Fprintf(tw, "  deducted (negative grants)\t%d\n", sum.Deducted)
		fmt.Fprintf(tw, "  expired\t%d\n", sum.Expired)
		fmt.Fprintf(tw, "  %s\t%d\n", net, sum.Points)
	}
	if len(cfg.Badges) > 0 {
		section("Badges", "holders\tawards")
		for _, b := range cfg.Badges {
			fmt.Fprintf(tw, "  %s\t%d\t%d\n", badgeLabel(b.Name, b.Title), sum.Badges[b.Name], sum.Awards[b.Name])
		}
	}
	if len(cfg.Tiers) > 0 {
		section("Tiers", "members")
		for i := len(cfg.Tiers) - 1; i >= 0; i-- {
			t := cfg.Tiers[i]
			fmt.Fprintf(tw, "  %d %s\t%d\n", t.Rank, t.Name, sum.Tiers[t.Name])
		}
		fmt.Fprintf(tw, "  (no tier)\t%d\n", sum.Tiers[""])
		// Members who left keep their tier for when they come back, but
		// are on none while away, as they are in no segment.
		if sum.Left > 0 {
			fmt.Fprintf(tw, "  (left, not counted above)\t%d\n", sum.Left)
		}
	}
	if len(cfg.Segments) > 0 {
		section("Segments", "members")
		for _, s := range cfg.Segments {
			fmt.Fprintf(tw, "  %s\t%d\n", s.Name, sum.Segments[s.Name])
		}
	}
	// Campaigns removed from the files whose runs a replay stopped.
	var removed []string
	for name, f := range sum.Campaigns {
		if f.Removed {
			removed = append(removed, name)
		}
	}
	sort.Strings(removed)
	if len(cfg.Campaigns) > 0 || len(removed) > 0 {
		// Runs that ended are counted by reason, as hearth campaign show
		// counts them. The exited column (runs stop_when ended) only when
		// some campaign has a stop_when, as there.
		exits := false
		for _, c := range cfg.Campaigns {
			exits = exits || c.StopWhen != nil || sum.Campaigns[c.Name].Exited > 0
		}
		// Runs under way when a -from window began, where there are any.
		carried := false
		for _, f := range sum.Campaigns {
			carried = carried || f.CarriedIn > 0
		}
		row := func(name string, f *simulate.Funnel) {
			fmt.Fprintf(tw, "%s\t", name)
			if carried {
				fmt.Fprintf(tw, "%d\t", f.CarriedIn)
			}
			fmt.Fprintf(tw, "%d\t%d\t", f.Entered, f.Goal)
			if exits {
				fmt.Fprintf(tw, "%d\t", f.Exited)
			}
			fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%d\n", f.Finished, f.Left, f.Stopped, f.Active, f.Sends, f.Deferred, f.Skipped)
		}
		cols := "entered\tgoal\t"
		if carried {
			cols = "carried in\t" + cols
		}
		if exits {
			cols += "exited\t"
		}
		section("Campaigns", cols+"finished\tleft\tstopped\tactive\tqueued\tdeferred\tskipped")
		for _, c := range cfg.Campaigns {
			f := sum.Campaigns[c.Name]
			row("  "+c.Name, f)
			// Full rows, so the columns stay aligned for the next campaign.
			for _, v := range simulate.Names(f.Variants) {
				a := f.Arms[v]
				if a == nil {
					a = &simulate.Funnel{Entered: f.Variants[v]}
				}
				row("    variant "+v, a)
			}
			if b := f.BeforeSplit; b != nil && b.Entered > 0 {
				row("    "+beforeSplitRow, b)
			}
		}
		for _, name := range removed {
			row("  "+name+" (removed)", sum.Campaigns[name])
		}
		// What held the deferred sends back: the night, or a cap.
		deferred := false
		for _, f := range sum.Campaigns {
			deferred = deferred || f.Deferred > 0
		}
		if deferred {
			section("Deferred sends by what held them", "quiet hours\tfrequency cap")
			for _, c := range cfg.Campaigns {
				if f := sum.Campaigns[c.Name]; f != nil && f.Deferred > 0 {
					fmt.Fprintf(tw, "  %s\t%d\t%d\n", c.Name, f.DeferredBy[state.HoldQuietHours], f.DeferredBy[state.HoldFrequencyCap])
				}
			}
		}
		// Runs that finished and then reached the goal within their
		// campaign's conversion window: in goal above, said apart here.
		windows := false
		for _, c := range cfg.Campaigns {
			windows = windows || c.ConversionWindow > 0
		}
		if windows {
			section("Goal after the last step (conversion_window)", "window\tconverted")
			for _, c := range cfg.Campaigns {
				f := sum.Campaigns[c.Name]
				if f == nil || c.ConversionWindow <= 0 {
					continue
				}
				window := durations.Format(c.ConversionWindow)
				if c.ConversionFrom == config.ConversionFromLastSend {
					window += " from the last message"
				}
				fmt.Fprintf(tw, "  %s\t%s\t%d\n", c.Name, window, f.Converted)
				for _, name := range simulate.ArmOrder(c, f) {
					fmt.Fprintf(tw, "    variant %s\t\t%d\n", name, f.Arms[name].Converted)
				}
			}
		}
		// Each split's variants compared on the goal, as hearth campaign
		// show compares them: the rate of every run entered (running
		// ones not converted yet), and the p-value.
		for _, c := range cfg.Campaigns {
			f := sum.Campaigns[c.Name]
			if f == nil || len(f.Arms) == 0 || !c.HasGoal() {
				continue
			}
			order := simulate.ArmOrder(c, f)
			ctl := order[campaignstats.ControlIndex(c, order)]
			// queued beside the goals: each arm's messages, which
			// its goals cost (every send of its runs, as above).
			section("A/B split of "+c.Name, "runs\trunning\tgoal\tgoal rate\tqueued\tagainst "+ctl)
			rows := order
			if b := f.BeforeSplit; b != nil && b.Entered > 0 {
				rows = append(rows[:len(rows):len(rows)], beforeSplitRow)
			}
			small, running := false, 0
			for _, name := range rows {
				a := f.Arms[name]
				if name == beforeSplitRow {
					a = f.BeforeSplit
				}
				rate := "–"
				if a.Runs() > 0 {
					rate = fmt.Sprintf("%.1f%%", 100*float64(a.Goal)/float64(a.Runs()))
				}
				against := "–" // a cell, so the column stays aligned
				if a.Lift != nil && a.P != nil {
					against = againstControl(*a.Lift, *a.P, a.Comparison, a.Runs(), f.Arms[ctl].Runs(), f.Alpha)
					small = small || a.SmallSample
				}
				if name != beforeSplitRow {
					running += a.Active
				}
				fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\t%d\t%s\n", name, a.Runs(), a.Active, a.Goal, rate, a.Sends, against)
			}
			_ = tw.Flush()
			var before *campaignstats.Counts
			if b := f.BeforeSplit; b != nil {
				before = &campaignstats.Counts{Entered: b.Entered}
			}
			variantNotes(w, before, len(order), ctl, f.Alpha, small, running)
			if l := campaignstats.LoopOf(c); l != nil {
				fmt.Fprintln(w, loopLine(l))
			}
		}
	}
	printGovernance(tw, cfg, sum)
	if stored {
		section("Actions queued in the outbox", "count")
	} else {
		section("Sends that would happen", "count")
	}
	if len(sum.Sends) == 0 {
		fmt.Fprintf(tw, "  none\t\n")
	}
	for _, name := range simulate.Names(sum.Sends) {
		fmt.Fprintf(tw, "  %s\t%d\n", strings.TrimSpace(name), sum.Sends[name])
	}
	if len(sum.SkippedAtDelivery) > 0 {
		// Queued, then skipped when due, as hearth run's outbox skips them.
		title := "Skipped at delivery (the member unsubscribed, left or came back first)"
		if len(sum.ExpiredAtDelivery) > 0 {
			title = "Skipped at delivery (the member unsubscribed, left or came back first, or it expired)"
		}
		section(title, "count")
		for _, name := range simulate.Names(sum.SkippedAtDelivery) {
			fmt.Fprintf(tw, "  %s\t%d\n", strings.TrimSpace(name), sum.SkippedAtDelivery[name])
		}
	}
	if len(sum.ExpiredAtDelivery) > 0 {
		section("Of them expired (delivered later than the campaign's expire_after)", "count")
		for _, name := range simulate.Names(sum.ExpiredAtDelivery) {
			fmt.Fprintf(tw, "  %s\t%d\n", strings.TrimSpace(name), sum.ExpiredAtDelivery[name])
		}
	}
	if len(sum.HeldAtDelivery) > 0 {
		// Delivered late, inside the campaign's quiet hours: they waited.
		section("Held at delivery by quiet hours (delivered late, they waited for the end)", "count")
		for _, name := range simulate.Names(sum.HeldAtDelivery) {
			fmt.Fprintf(tw, "  %s\t%d\n", strings.TrimSpace(name), sum.HeldAtDelivery[name])
		}
	}
	if len(sum.ExpiredIfReplayed) > 0 {
		// The sandbox delivers at event time; hearth run delivers what
		// a replay queues at the wall clock, too late for these.
		section("Of them, skipped as expired if replayed now", "count")
		for _, name := range simulate.Names(sum.ExpiredIfReplayed) {
			fmt.Fprintf(tw, "  %s\t%d\n", strings.TrimSpace(name), sum.ExpiredIfReplayed[name])
		}
	}
	_ = tw.Flush()
	for _, c := range cfg.Campaigns {
		if f := sum.Campaigns[c.Name]; f != nil && f.Refused > 0 {
			fmt.Fprintf(w, "\nCampaign %s turned away %s with a new key: the member had max_runs (%d) runs under way.\n", c.Name, plural(f.Refused, "entry", "entries"), c.MaxRuns)
		}
	}
	printFlapping(w, cfg, sum.Flapping, stored)
	if n := total(sum.ExpiredIfReplayed); n > 0 {
		fmt.Fprintf(w, "\nThe sandbox sends at event time; hearth replay of these events leaves them to hearth run, which sends at %s at the earliest: %s then older than their campaign's expire_after (7d unless set; 7d for a community's welcome) and skipped as expired. History from before hearth ran: hearth replay -history applies it to member state and sends nothing.\n",
			utcMinute(sum.ReplayedAt.Time), plural(n, "send is", "sends are"))
	}
	if stored && len(sum.Sends) > 0 {
		fmt.Fprintln(w, "\nhearth run delivers them (hearth outbox list shows them; hearth outbox send sends them now).")
	}
}

// printFlapping tells of the tiers members moved back and forth on, the
// ladder's order from the top, with what makes them flap and a member
// whose moves member why lists (in the store a replay, not a simulation,
// leaves): each flip is a role taken and given back.
func printFlapping(w io.Writer, cfg *config.Config, flapping map[string]*simulate.Flapping, stored bool) {
	var names []string
	for i := len(cfg.Tiers) - 1; i >= 0; i-- {
		if flapping[cfg.Tiers[i].Name] != nil {
			names = append(names, cfg.Tiers[i].Name)
		}
	}
	var gone []string // tiers the files no longer have
	for name := range flapping {
		if !slices.Contains(names, name) {
			gone = append(gone, name)
		}
	}
	sort.Strings(gone)
	names = append(names, gone...)
	for _, name := range names {
		f := flapping[name]
		tell := "after hearth replay, "
		if stored {
			tell = ""
		}
		// member why lists the member's moves on a tier the files have;
		// of one they dropped, member show's history is what is left.
		if slices.Contains(gone, name) {
			tell += fmt.Sprintf("hearth member show %s lists that member's tier history", f.Example)
		} else {
			tell += fmt.Sprintf("hearth member why %s tier.%s lists that member's moves on and off the tier, with what its rules give now", f.Example, name)
		}
		fmt.Fprintf(w, "\nTier %s flapped: %s promoted to it again after a demotion from it, %s in all (most returns: member %s, %s).\n  %s; %s.\n",
			name, plural(f.Members, "member was", "members were"), plural(f.Returns, "time", "times"), f.Example, plural(f.ExampleReturns, "time", "times"), f.Hint, tell)
	}
}

// total adds up the counts of a summary's table.
func total(counts map[string]int) int {
	n := 0
	for _, v := range counts {
		n += v
	}
	return n
}
