package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/campaignstats"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/termsafe"
	"github.com/hearth-community/hearth/engine/textwidth"
)

const campaignUsage = `Usage: hearth campaign show [-json] NAME [DIR]
       hearth campaign stop [-member ID] [-key KEY] [-keep-pending | -drop] [-dry-run] [-auto-approve] [-url URL] NAME [DIR]

show: how a campaign is doing, from the stored members: how many entered,
where the running ones wait (and how many of them have their step's send
held back by quiet hours or a frequency cap: the held column, "held" in
-json; 'hearth member why ID campaign.NAME' says until when), how the
runs ended (goal: exit_when held; exited: stop_when held, no success;
finished; left; stopped), the messages those runs queued and what the
outbox made of them: delivered, pending, skipped at delivery (expired,
unsubscribed meanwhile, run stopped ...), dead, or no longer kept (queued is not
delivered; -json keeps the count of queued ones as "sends", with
"delivered", "pending", "skipped_at_delivery" and "dead" beside it).
Goal rates are of every run entered, those still running counted as not
converted yet (they may reach the goal later), so a campaign written as
a loop (a digest: goto back to an earlier step after a wait), whose runs
end only at the goal, is not read as 100%; a "Loops:" line ("loop" in
-json: from, back_to, finishes) says where such a campaign goes round.
With an A/B split, each variant's queued and delivered, and its goal rate
(of every run it was given) against the
control's (split { control = "NAME" }, else the first variant), with the
p-value of a two-proportion z-test: below 0.05, the difference is
unlikely to be chance. With more than two variants the p-values are not
corrected for multiple comparisons: a difference is called significant
below Bonferroni's 0.05 divided by the comparisons, and a line says so.
A "(before split)" row holds the runs the split gave no variant (the
goal reached during a wait before it, say), so the rows add up to the
total ("before_split" in -json). Each member counts with its
latest run. In a campaign with run_key, where a member has a run per
key, it counts runs (each key's latest) and says how many members they
belong to; ended runs retention kept as their key alone (reentry =
"never") are not in the counts, and it says how many there are. -json
lists them in "variants", each with goal_rate and, but for the control
("control": true), lift (the difference in goal rate, absolute),
relative_lift, lift_ci_low and lift_ci_high (its 95% Newcombe interval),
p, significant (against "alpha") and small_sample: the names
hearth simulate -json gives each variant's funnel under "arms". Runs on a step the configuration no longer has are listed
at it, marked removed with the step they go on to (as member show says),
with the moved block that would keep them if the step was renamed.
While the files fail validation, show reads the state with the
configuration hearth run records there (the one it runs), and says so.
A scheduled campaign (a broadcast: a schedule block) starts with its
schedule, how many stored members are in its audience now (those the next
occurrence would start a run for) and its next three occurrences, by the
clock ("schedule" in -json: text, every, day, at, time_zone, starts,
ends, late_by, audience, next); each occurrence is a run keyed by its
date, counted as runs of a campaign with run_key are.

Then what became of each step's message, from the campaign's outcomes
and outbox entries (one pass over each): reached (runs whose step came
due: sent, skipped, held, failed or timed out; a run that reached the
goal while it waited for the step did not), messages queued ("sends" in
-json), delivered,
pending in the outbox, skipped (at the step, or by the outbox at
delivery; why: unsubscribed, left, came back, past its until, a
frequency cap, expired: not delivered within the campaign's
expire_after of its time, stopped: its run was stopped by campaign stop
while it waited), held back at least once by quiet hours or a frequency
cap (at the step, or by the outbox at delivery, quiet hours decided
again when the send is due: those still waiting "held_at_delivery" in
-json, those delivered after it "delivered_after_hold", as their sent
outbox entry keeps the hold under outbox_retention), failed (the message could not be made, or the outbox gave up: dead
letters), and the goal reached after the step's send, with its rate of
the runs given it (its sends, not the runs that reached it; running ones
not converted yet). Every run the outcomes tell of counts, earlier
runs of members who entered again too, as long as outcome_retention
keeps them; delivered, pending, dead and skipped at delivery count the
outbox entries outbox_retention keeps (90d after they finish, unless
set). -json has them in "steps", and what retention leaves in
"step_records". It reads the state while 'hearth run' serves it
(GET /v1/campaigns/NAME gives the same through the daemon).

stop: ends a campaign for one member, or for every member in it: their
runs end with the reason "stopped" (the outcome's event is "operator")
and nothing more is sent. To end runs
on a condition instead, such as an unsubscribe, give the campaign a
stop_when rule (hearth explain campaign). In a
campaign with run_key that is every run of the member; -key ends only
the run with that key (-key 'Go Night #43'), and without -member every
member's run with that key: a meetup cancelled, in one command.
The stopped runs' sends still pending in the outbox (those queued for
the member, campaign and run key since the run entered: a reminder
waiting for its evening, one held by quiet hours) do not go out either:
the stop marks them skipped, with the reason "its campaign run was
stopped (hearth campaign stop) before it was sent", and says how many
(campaign show counts them as skipped, stopped). -keep-pending leaves
them to go out as queued (keep_pending=true through the daemon); -drop
removes them instead, leaving no record (drop=true). Sent, dead and
skipped entries stay as they are, and so does a send being delivered at
that moment: it goes out and is kept as sent (the count of those is
said too).
-dry-run lists the runs the stop would end (member, key, step, entered)
and how many of their sends are pending in the outbox, and changes
nothing. A stop of every member's runs (no -member) lists them too, the
first 20, and asks for 'yes' first; -auto-approve skips the question,
for scripts. While 'hearth run' serves the state, the stop goes through
it (POST /v1/campaigns/NAME/stop, and GET on it for the list, with
"pending_sends"; HEARTH_API_TOKEN is sent when set): it finds a daemon
on this machine by itself, and -url names one anywhere (another host,
or replicas sharing PostgreSQL behind one address).
A stop ends runs and holds nothing: members who trigger the campaign
afterwards still enter it (one who joins a second later gets the
welcome), and those stopped enter it again as its reentry allows
("never", the default, keeps them out); the stop's output says which,
and "paused" and "reentry" in the daemon's answer.

To hold a campaign instead, with the daemon running, set paused = true in
its block: at the reload nobody enters, members stay at their step and
its messages already in the outbox wait; paused = false goes on from
there (hearth explain campaign). A member who triggers a paused campaign
(its enter_on event, or entering its audience) does not enter it at the
resume: the trigger is not kept, and hearth run logs so at the reload
that pauses it ("paused_campaigns" in the reload's answer and in GET
/v1/status).

Examples:
  hearth campaign show onboarding examples/quickstart
  hearth campaign show -json winback . | jq '.variants'
  hearth campaign stop -member u07 onboarding examples/quickstart
  hearth campaign stop -keep-pending -member u07 onboarding examples/quickstart   # its queued message still goes
  hearth campaign stop -auto-approve winback .
  hearth campaign stop -dry-run -key 'Go Night #43' rsvp examples/meetup-invitations
  hearth campaign stop -key 'Go Night #43' rsvp examples/meetup-invitations
  hearth campaign stop -url https://hearth.example.org -member u07 winback
`

func runCampaign(ctx context.Context, s *stdio, args []string) int {
	if len(args) > 0 && args[0] == "show" {
		return runCampaignShow(ctx, s, args[1:])
	}
	if len(args) == 0 || isHelp(args[0]) {
		return groupUsage(s, args, campaignUsage)
	}
	if args[0] != "stop" {
		return unknownVerb(s, "campaign", args[0], []string{"show", "stop"}, campaignUsage)
	}
	fs := newFlags(s, "campaign stop", campaignUsage)
	member := fs.String("member", "", "Stop only this member's run.")
	key := fs.String("key", "", "Stop only the runs with this key, in a campaign with run_key.")
	drop := fs.Bool("drop", false, "Drop the stopped runs' sends still pending in the outbox, leaving no record of them, rather than mark them skipped.")
	keep := fs.Bool("keep-pending", false, "Leave the stopped runs' sends still pending in the outbox to go out as queued, rather than mark them skipped.")
	daemonURL := fs.String("url", "", "Ask a running daemon at this address instead of writing the store.")
	dryRun := fs.Bool("dry-run", false, "List the runs the stop would end (member, key, step, entered), and change nothing.")
	auto := autoApprove(fs, "Without -member: stop every member's runs without asking for confirmation (else the answer is read from standard input, a terminal or a pipe).")
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args[1:])
	if !ok {
		return code
	}
	name, dir, ok := campaignArgs(s, "campaign stop", pos)
	if !ok {
		return 1
	}
	if *drop && *keep {
		return argError(s, "campaign stop", "-drop and -keep-pending ask for opposite things: give one")
	}
	ask := stopAsk{member: *member, key: *key, dryRun: *dryRun, auto: *auto, pending: skipPending}
	switch {
	case *drop:
		ask.pending = dropPending
	case *keep:
		ask.pending = keepPending
	}
	if *daemonURL != "" {
		// The daemon knows its campaigns; the directory, if given, is
		// not read (it may be on another machine).
		return stopViaDaemon(ctx, s, *daemonURL, nil, name, ask)
	}
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return 1
	}
	// A campaign taken out of the configuration needs no stopping: the
	// daemon ends its runs the next time it looks at them.
	c, ok := lookupCampaign(s, "campaign stop", cfg, name)
	if !ok {
		return 1
	}
	// Nothing runs without state; stopping must not create it.
	if err := missingForWrite(cfg, hintRun); err != nil {
		fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
		return 1
	}
	lock, a, ok := lockForWrite(s, cfg, "campaign stop")
	if !ok {
		return 1
	}
	if lock == nil {
		fmt.Fprintf(s.err, "hearth run (pid %d) serves this state: the stop goes through its API at %s.\n", a.PID, a.URL)
		return stopViaDaemon(ctx, s, a.URL, c, name, ask)
	}
	defer lock.release()
	store, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
		return 1
	}
	defer store.Close()
	if ask.needsList() {
		runs, err := state.RunsToStopIn(ctx, store, name, *member, *key)
		if errors.Is(err, state.ErrNotFound) {
			fmt.Fprintf(s.err, "hearth campaign stop: no member %q in the state.\n", *member)
			return 1
		}
		if err != nil {
			fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
			return 1
		}
		pending := -1 // not known: a store that keeps no outbox
		if sel, ok := store.(state.OutboxSelector); ok {
			if pending, err = state.CountRunSends(ctx, sel, runs); err != nil {
				fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
				return 1
			}
		}
		if code, goOn := ask.settle(ctx, s, name, runs, pending); !goOn {
			return code
		}
	}
	var ids []string
	if *member != "" {
		ids = []string{*member}
	} else {
		err = store.Members(ctx, func(m *state.Member) error {
			if m.HasActiveRun(name, *key) {
				ids = append(ids, m.ID)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
			return 1
		}
	}
	rt := runtime.New(cfg, nil)
	b, err := store.Begin(ctx)
	if err != nil {
		fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
		return 1
	}
	now := time.Now().UTC()
	stopped := 0
	var outs []state.Outcome
	var runs []state.StoppedRun
	for _, id := range ids {
		m, err := b.Member(id)
		if errors.Is(err, state.ErrNotFound) && *member != "" {
			_ = b.Rollback()
			fmt.Fprintf(s.err, "hearth campaign stop: no member %q in the state.\n", id)
			return 1
		}
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			_ = b.Rollback()
			fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
			return 1
		}
		ending := m.RunsToStop(name, *key)
		if os := rt.StopCampaign(m, name, *key, now); len(os) > 0 {
			outs = append(outs, os...)
			runs = append(runs, ending...)
			stopped++
			if err := b.SaveMember(m); err != nil {
				_ = b.Rollback()
				fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
				return 1
			}
		}
	}
	err = b.AppendOutcomes(outs)
	if err == nil {
		err = b.Commit()
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
		return 1
	}
	printStopped(s, stopAfterOf(c), name, *member, *key, stopped, len(outs))
	// After the commit: the runs have ended, so nothing queues a send of
	// theirs again, and a failure here leaves them stopped all the same.
	res, err := settleRunSends(ctx, store, runs, ask.pending)
	if err != nil {
		fmt.Fprintf(s.err, "hearth campaign stop: the runs are stopped, but %s their sends: %v\n", ask.pending.doing(), err)
		return 1
	}
	printSettled(s, res)
	return 0
}

// pendingMode is what a stop does with the stopped runs' sends still
// pending in the outbox. A stopped campaign sends nothing more, as a
// marketer expects of a stop: by default they are skipped, kept as
// skipped entries with the reason, so campaign show and the outbox
// still tell of them.
type pendingMode int

const (
	skipPending pendingMode = iota // marked skipped (state.OutboxSkippedStopped)
	keepPending                    // -keep-pending: left to go out
	dropPending                    // -drop: removed, no record left
)

// preview says what the stop would do with the runs' n pending sends.
func (m pendingMode) preview(n int) string {
	sends := plural(n, "send", "sends")
	is := map[bool]string{true: "is", false: "are"}[n == 1]
	switch {
	case n == 0:
		return "None of their sends is pending in the outbox."
	case m == keepPending:
		return fmt.Sprintf("%s of these runs %s pending in the outbox: -keep-pending leaves them to go out.", sends, is)
	case m == dropPending:
		return fmt.Sprintf("%s of these runs %s pending in the outbox: -drop would drop them, leaving no record.", sends, is)
	}
	return fmt.Sprintf("%s of these runs %s pending in the outbox: the stop would mark them skipped, so they do not go out (-keep-pending leaves them to go out).", sends, is)
}

// doing names what the mode does to the sends, for an error.
func (m pendingMode) doing() string {
	switch m {
	case keepPending:
		return "counting"
	case dropPending:
		return "dropping"
	}
	return "skipping"
}

// settled is what a stop did with the stopped runs' pending sends:
// skipped, kept or dropped (by its mode), and those going out at that
// moment, which are sent and kept as sent.
type settled struct {
	mode     pendingMode
	n        int
	goingOut int
}

// settleRunSends does what mode says with the stopped runs' pending
// sends in the store's outbox. A store that keeps no outbox has none to
// skip or keep; -drop there is an error, as it asks for what cannot be.
func settleRunSends(ctx context.Context, store state.Store, runs []state.StoppedRun, mode pendingMode) (settled, error) {
	out := settled{mode: mode}
	sel, hasOutbox := store.(state.OutboxSelector)
	switch mode {
	case dropPending:
		dr, ok := store.(state.PendingDropper)
		if !hasOutbox || !ok {
			return out, errors.New("this state store keeps no outbox")
		}
		n, err := state.DropRunSends(ctx, sel, dr, runs, time.Now())
		out.n, out.goingOut = n.Dropped, n.GoingOut
		return out, err
	case keepPending:
		if !hasOutbox {
			return out, nil
		}
		n, err := state.CountRunSends(ctx, sel, runs)
		out.n = n
		return out, err
	}
	sk, ok := store.(state.PendingSkipper)
	if !hasOutbox || !ok {
		return out, nil
	}
	n, err := state.SkipRunSends(ctx, sel, sk, runs, time.Now())
	out.n, out.goingOut = n.Skipped, n.GoingOut
	return out, err
}

// printSettled says what the stop did with the stopped runs' pending
// sends, and how many it left because they were going out at that
// moment.
func printSettled(s *stdio, r settled) {
	sends := plural(r.n, "send", "sends")
	switch r.mode {
	case keepPending:
		fmt.Fprintf(s.out, "Kept %s pending in the outbox: %s out as queued (-keep-pending).\n", sends, map[bool]string{true: "it goes", false: "they go"}[r.n == 1])
	case dropPending:
		fmt.Fprintf(s.out, "Dropped %s pending in the outbox.\n", sends)
	default:
		fmt.Fprintf(s.out, "Skipped %s pending in the outbox: nothing more goes out for the stopped runs (-keep-pending would have left them to go out).\n", sends)
	}
	if r.goingOut > 0 {
		fmt.Fprintf(s.out, "%s going out at that moment %s sent and kept as sent.\n", plural(r.goingOut, "send", "sends"), map[bool]string{true: "was", false: "were"}[r.goingOut == 1])
	}
}

func runCampaignShow(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "campaign show", campaignUsage)
	asJSON := fs.Bool("json", false, "Print the figures as JSON.")
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	name, dir, ok := campaignArgs(s, "campaign show", pos)
	if !ok {
		return 1
	}
	cfg, ok := loadReadConfig(ctx, s, dir, vf, *asJSON, "campaign show")
	if !ok {
		return 1
	}
	store, _, ok := readStore(ctx, s, cfg, "campaign show", hintRun)
	if !ok {
		return 1
	}
	defer store.Close()
	c, ok := lookupCampaign(s, "campaign show", cfg, name)
	if !ok {
		return 1
	}
	rep, err := campaignstats.Read(ctx, c, stepOrdersIn(ctx, store, cfg)[c.Name], store, campaignstats.RetentionOf(cfg))
	if err != nil {
		fmt.Fprintf(s.err, "hearth campaign show: %v\n", err)
		return 1
	}
	rep.NextAt(c, s.clock(), cfg.Settings.Timezone)
	if *asJSON {
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return 0
	}
	printSchedule(s.out, rep.Schedule, cfg.Settings.Timezone)
	printCampaign(s.out, rep)
	return 0
}

// printSchedule says when a scheduled campaign sends, to how many, and
// its next occurrences; nothing for another campaign.
func printSchedule(w io.Writer, sc *campaignstats.Schedule, def *time.Location) {
	if sc == nil {
		return
	}
	fmt.Fprintf(w, "Schedule: %s; a send of an occurrence goes out at most %s late (late_by).\n", sc.Text, sc.LateBy)
	fmt.Fprintf(w, "Audience: %s in the audience now would get the next occurrence.\n", plural(sc.Audience, "member", "members"))
	if len(sc.Next) == 0 {
		fmt.Fprintln(w, "Next occurrences: none (past the schedule's ends).")
		return
	}
	loc, where := def, ""
	if sc.TimeZone != config.TimeZoneMember {
		if l, err := time.LoadLocation(sc.TimeZone); err == nil {
			loc = l
		}
	} else {
		where = fmt.Sprintf(" (in %s, the hearth block's zone; each member gets it at %s on their own clock)", def, sc.At)
	}
	var next []string
	for _, t := range sc.Next {
		next = append(next, fmt.Sprintf("%s (%s)", t.In(loc).Format("2006-01-02 15:04 MST"), t.UTC().Format("15:04 UTC")))
	}
	fmt.Fprintf(w, "Next occurrences%s: %s.\n", where, strings.Join(next, ", "))
}

func printCampaign(w io.Writer, rep *campaignstats.Report) {
	t := rep.Total
	if rep.Members == 0 {
		fmt.Fprintf(w, "Campaign %s: no members are stored yet (hearth replay or hearth run stores them).\n", rep.Campaign)
		return
	}
	again := ""
	keyed := t.Entered > t.Members
	switch {
	case keyed && t.Runs > t.Entered:
		again = fmt.Sprintf(" (%d runs in all: a key entered again counts with its latest run below)", t.Runs)
	case t.Runs > t.Entered:
		again = fmt.Sprintf(" (%d runs in all: members who entered again count with their latest run below)", t.Runs)
	}
	if keyed {
		// run_key: a member has a run per key, and each counts.
		fmt.Fprintf(w, "Campaign %s: %s of %s entered of %s%s, %d running.\n", rep.Campaign, plural(t.Entered, "run", "runs"), plural(t.Members, "member", "members"), plural(rep.Members, "stored", "stored"), again, t.Active)
	} else {
		fmt.Fprintf(w, "Campaign %s: %s entered of %s%s, %d running.\n", rep.Campaign, plural(t.Entered, "member", "members"), plural(rep.Members, "stored", "stored"), again, t.Active)
	}
	if rep.Paused {
		fmt.Fprintln(w, "Paused (paused = true): nobody enters (members who trigger it meanwhile do not enter it at the resume either), the running members wait at their step, and its messages wait in the outbox.")
	}
	if rep.KeysKept > 0 {
		// Else a meetup campaign a season old reads "0 members entered".
		fmt.Fprintf(w, "Not counted here: %s retention kept as the key alone (reentry = \"never\" refuses those keys; hearth member show counts them per member).\n", plural(rep.KeysKept, "ended run", "ended runs"))
	}
	if t.Entered == 0 {
		return
	}
	// Runs stop_when ended are shown only where there can be some, so
	// the line of a campaign without one stays as it was.
	exits := rep.HasStopWhen || t.Exited > 0
	exited := ""
	if exits {
		exited = fmt.Sprintf("%d exited (stop_when), ", t.Exited)
	}
	switch {
	case t.Ended() == 0:
	case rep.HasGoal || t.Goal > 0:
		// The rate is of every run entered: of the ended ones alone, a
		// campaign whose runs end only at the goal (a loop) reads 100%.
		running := ""
		if t.Active > 0 {
			running = fmt.Sprintf(", %d still running", t.Active)
		}
		fmt.Fprintf(w, "Ended runs: %d reached the goal (%.1f%% of the %d entered%s), %s%d finished, %d left, %d stopped. %s\n",
			t.Goal, 100*t.GoalRate(), t.Entered, running, exited, t.Finished, t.Left, t.Stopped, queuedLine(t, rep.StepRecords != nil))
	default:
		// A share of 0% reaching a goal that does not exist would read
		// as a campaign that fails.
		fmt.Fprintf(w, "Ended runs (no goal: the campaign has no exit_when): %s%d finished, %d left, %d stopped. %s\n",
			exited, t.Finished, t.Left, t.Stopped, queuedLine(t, rep.StepRecords != nil))
	}
	if rep.ConversionWindow != "" {
		// Finished runs may still convert: the goal rate of a campaign
		// whose runs finished lately may rise.
		of := "its entry"
		if rep.ConversionFrom == config.ConversionFromLastSend {
			of = "its last message (conversion_from = \"last_send\"; a run that sent nothing never converts)"
		}
		fmt.Fprintf(w, "Conversion window %s: a run that finished counts as goal when the goal holds within %s of %s; %s did so after the last step (counted in goal, from the outcomes kept).\n",
			rep.ConversionWindow, rep.ConversionWindow, of, plural(rep.Converted, "run", "runs"))
	}
	if l := rep.Loop; l != nil {
		fmt.Fprintln(w, loopLine(l))
	}
	tw := textwidth.NewTabWriter(w, 2, 0)
	if len(rep.Waiting) > 0 {
		// A held column only when something is held: most campaigns
		// have neither quiet hours nor caps.
		held := ""
		for _, wt := range rep.Waiting {
			if heldCounts(wt.Held) != "" {
				held = "\theld"
			}
		}
		if keyed {
			fmt.Fprintf(tw, "\nWaiting at\truns%s\n", held)
		} else {
			fmt.Fprintf(tw, "\nWaiting at\tmembers%s\n", held)
		}
		for _, wt := range rep.Waiting {
			step := wt.Step
			switch {
			case wt.Removed && wt.GoesOn != "":
				step += " (removed from the campaign: goes on to " + wt.GoesOn + ")"
			case wt.Removed:
				step += " (removed from the campaign: the run finishes)"
			}
			fmt.Fprintf(tw, "  %s\t%d", step, wt.Members)
			if h := heldCounts(wt.Held); h != "" {
				fmt.Fprintf(tw, "\t%s", h)
			}
			fmt.Fprintln(tw)
		}
		for _, wt := range rep.Waiting {
			if wt.Removed {
				fmt.Fprintf(tw, "A step renamed, not removed, keeps its runs with a moved block: moved { from = campaign.%s.step.%s  to = campaign.%s.step.NEW }.\n", rep.Campaign, wt.Step, rep.Campaign)
				break
			}
		}
	}
	printSteps(tw, rep)
	if len(rep.Variants) > 0 {
		first, ctl := rep.Control, controlOf(rep.Variants)
		exitedCol := ""
		if exits {
			exitedCol = "exited\t"
		}
		// Delivered only where the outbox entries were read: a store
		// without records cannot tell it, and 0 would read as nothing
		// delivered.
		deliveredCol := ""
		if rep.StepRecords != nil {
			deliveredCol = "delivered\t"
		}
		fmt.Fprintf(tw, "\nVariant\tentered\trunning\tgoal\t%sfinished\tleft\tstopped\tqueued\t%sgoal rate\tagainst %s\n", exitedCol, deliveredCol, first)
		rows := rep.Variants
		if b := rep.BeforeSplit; b != nil && b.Entered > 0 {
			// Not a variant, and compared with none: the runs the split
			// never reached, so that the rows add up to the total.
			rows = append(rows[:len(rows):len(rows)], campaignstats.Variant{Name: beforeSplitRow, Counts: *b})
		}
		for _, v := range rows {
			// The control's cell is a dash, not empty: a row that ends
			// before the column would break its alignment.
			against := "–"
			if v.Lift != nil && v.P != nil {
				against = againstControl(*v.Lift, *v.P, v.Comparison, v.Entered, ctl.Entered, rep.Alpha)
			}
			rate := "–"
			if v.Entered > 0 {
				rate = fmt.Sprintf("%.1f%%", 100*v.GoalRate())
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t", v.Name, v.Entered, v.Active, v.Goal)
			if exits {
				fmt.Fprintf(tw, "%d\t", v.Exited)
			}
			fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t", v.Finished, v.Left, v.Stopped, v.Sends)
			if rep.StepRecords != nil {
				fmt.Fprintf(tw, "%d\t", v.Delivered)
			}
			fmt.Fprintf(tw, "%s\t%s\n", rate, against)
		}
		_ = tw.Flush()
		small := false
		for _, v := range rep.Variants {
			small = small || v.SmallSample
		}
		running := 0
		for _, v := range rep.Variants {
			running += v.Active
		}
		variantNotes(w, rep.BeforeSplit, len(rep.Variants), first, rep.Alpha, small, running)
	}
	_ = tw.Flush()
}

// queuedLine says how many messages the latest runs queued, and with
// records (the outbox entries read) what became of them: queued is not
// delivered, and a campaign whose messages all expired in the outbox
// must not read as one that reached its members.
func queuedLine(t campaignstats.Counts, records bool) string {
	line := plural(t.Sends, "message", "messages") + " queued in these runs"
	if !records || t.Sends == 0 {
		return line + "."
	}
	parts := []string{fmt.Sprintf("%d delivered", t.Delivered)}
	if t.Pending > 0 {
		parts = append(parts, fmt.Sprintf("%d pending", t.Pending))
	}
	if t.SkippedAtDelivery > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped at delivery", t.SkippedAtDelivery))
	}
	if t.Dead > 0 {
		parts = append(parts, fmt.Sprintf("%d dead", t.Dead))
	}
	if n := t.Unaccounted(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d no longer in the outbox (dropped, or removed by outbox_retention)", n))
	}
	return line + ": " + strings.Join(parts, ", ") + "."
}

// loopLine says that a campaign goes round (a digest written as a goto
// back to an earlier step), so that most of its runs running, and none
// finishing, read as what the campaign is made to do.
func loopLine(l *campaignstats.Loop) string {
	back := "back to step " + l.BackTo
	if l.BackTo == l.From {
		back = "back to itself"
	}
	if l.Finishes {
		return fmt.Sprintf("Loops: step %s goes %s, so runs may go round many times before they finish; goal rates count running runs as not converted yet.", l.From, back)
	}
	return fmt.Sprintf("Loops: step %s goes %s, and no step finishes the run: runs end only at the goal, stop_when, leaving or hearth campaign stop, so most stay running; goal rates count them as not converted yet.", l.From, back)
}

// beforeSplitRow names the row of the runs no variant holds.
const beforeSplitRow = "(before split)"

// controlOf is the variant marked the control (the first when none is).
func controlOf(vs []campaignstats.Variant) campaignstats.Variant {
	for _, v := range vs {
		if v.Control {
			return v
		}
	}
	return vs[0]
}

// variantNotes says under a variant table what its figures are of: the
// rate's denominator, the before-split row, and with more than one
// comparison, that the p-values are not corrected and which threshold
// the verdicts use.
func variantNotes(w io.Writer, before *campaignstats.Counts, variants int, control string, alpha float64, small bool, running int) {
	of := "of every run each row entered (none is still running)"
	if running > 0 {
		of = fmt.Sprintf("of every run each row entered, the %d still running counted as not converted yet (they may reach the goal later, so the rates can rise)", running)
	}
	fmt.Fprintf(w, "Goal rate: %s; against %s: the difference in goal rate in points, in parentheses relative to %s's rate, its 95%% confidence interval (Newcombe) and the p-value of a two-proportion z-test (split { control = \"NAME\" } names the variant compared with).\n", of, control, control)
	if small {
		fmt.Fprintf(w, "Small sample: a variant or %s has fewer than %d runs, or fewer than 5 expected goals or non-goals, too few for the z-test's p-value to be trusted; read the interval, and wait for more runs.\n", control, campaignstats.MinArmRuns)
	}
	if before != nil && before.Entered > 0 {
		fmt.Fprintf(w, "%s: %s that ended, or still wait, before the split gave them a variant (the goal reached during a wait before it, say): with them the rows add up to the total.\n", beforeSplitRow, plural(before.Entered, "run", "runs"))
	}
	if variants > 2 {
		fmt.Fprintf(w, "%d variants compared with %s: the p-values are not corrected for multiple comparisons; a difference is called significant below %s (Bonferroni: 0.05 / %d).\n", variants, control, strconv.FormatFloat(alpha, 'g', 4, 64), variants-1)
	}
}

// printSteps writes what became of each step's message, from the
// campaign's outcomes and outbox entries, with what retention leaves of
// them; nothing when the store keeps none to read.
func printSteps(tw *textwidth.TabWriter, rep *campaignstats.Report) {
	if len(rep.Steps) == 0 || rep.StepRecords == nil {
		return
	}
	goal := rep.HasGoal
	for _, st := range rep.Steps {
		goal = goal || st.Goal > 0
	}
	goalCols := ""
	if goal {
		goalCols = "\tgoal\tgoal rate"
	}
	fmt.Fprintf(tw, "\nStep\treached\tqueued\tdelivered\tpending\tskipped\theld\tfailed%s\n", goalCols)
	var skipped, held, timedOut []string
	for _, st := range rep.Steps {
		name := st.Step
		if st.Removed {
			name += " (removed)"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%d\t%d", name, st.Reached, st.Sends, st.Delivered, st.Pending, st.Skipped, st.Held, st.Failed+st.Dead)
		if goal {
			rate := "–"
			if st.RunsSent > 0 {
				rate = fmt.Sprintf("%.1f%%", 100*st.GoalRate())
			}
			fmt.Fprintf(tw, "\t%d\t%s", st.Goal, rate)
		}
		fmt.Fprintln(tw)
		if why := skipReasons(st.SkippedBy); why != "" {
			skipped = append(skipped, st.Step+" "+why)
		}
		if h := heldCounts(st.HeldBy); h != "" {
			// Of them, those the outbox held at delivery: waiting still,
			// or gone out since (their sent entry keeps the hold).
			var at []string
			if st.HeldAtDelivery > 0 {
				at = append(at, fmt.Sprintf("%d still waiting", st.HeldAtDelivery))
			}
			if st.DeliveredAfterHold > 0 {
				at = append(at, fmt.Sprintf("%d delivered after it", st.DeliveredAfterHold))
			}
			if len(at) > 0 {
				h += fmt.Sprintf(" (by the outbox at delivery: %s)", strings.Join(at, ", "))
			}
			held = append(held, st.Step+" "+h)
		}
		if st.TimedOut > 0 {
			timedOut = append(timedOut, fmt.Sprintf("%s %d", st.Step, st.TimedOut))
		}
	}
	// The lines below have no tab: they end the table's columns.
	if len(skipped) > 0 {
		fmt.Fprintf(tw, "Skipped: %s.\n", strings.Join(skipped, "; "))
	}
	if len(held) > 0 {
		fmt.Fprintf(tw, "Held back at least once: %s.\n", strings.Join(held, "; "))
	}
	if len(timedOut) > 0 {
		fmt.Fprintf(tw, "Timed out waiting (wait_until): %s.\n", strings.Join(timedOut, "; "))
	}
	if goal {
		fmt.Fprintln(tw, "Goal rate: of the runs given the step's send (its sends, not the runs that reached it), running ones counted as not converted yet.")
	}
	rec := rep.StepRecords
	if rec.FailedNoStep > 0 {
		fmt.Fprintf(tw, "In no step: %s an older hearth recorded without its step.\n", plural(rec.FailedNoStep, "failed send", "failed sends"))
	}
	kept := "outcomes are kept for good (no outcome_retention)"
	if rec.OutcomeRetention != "" {
		kept = "outcome_retention forgets outcomes after " + rec.OutcomeRetention
		if !rec.OutcomesSince.IsZero() {
			kept += " (the oldest kept is from " + rec.OutcomesSince.UTC().Format(time.DateOnly) + ")"
		}
	}
	fmt.Fprintf(tw, "Steps count every run the campaign's outcomes tell of, earlier runs of members who entered again too; %s.\n", kept)
	outbox := "all are kept (outbox_retention = \"0s\")"
	if rec.OutboxRetention != "" {
		outbox = "outbox_retention removes finished ones after " + rec.OutboxRetention
	}
	fmt.Fprintf(tw, "Delivered, pending, dead (counted in failed) and skipped at delivery count its outbox entries; %s.\n", outbox)
}

// skipReasons says why a step's sends were skipped: "1 unsubscribed, 2
// left"; "" for none.
func skipReasons(by map[string]int) string {
	var parts []string
	for _, r := range []struct{ key, text string }{
		{runtime.SkipUnsubscribed, "unsubscribed"},
		{runtime.SkipBounced, "bounced"},
		{runtime.SkipLeft, "left"},
		{runtime.SkipBack, "came back"},
		{runtime.SkipUntil, "past its until"},
		{runtime.SkipCapped, "frequency cap (on_cap = \"skip\")"},
		{runtime.SkipNotAfter, "past its not_after"},
		{runtime.SkipExpired, "expired (expire_after)"},
		{runtime.SkipForgotten, "run of a forgotten member"},
		{runtime.SkipStopped, "run stopped (campaign stop)"},
		{runtime.SkipOther, "other"},
	} {
		if n := by[r.key]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, r.text))
		}
	}
	return strings.Join(parts, ", ")
}

// againstControl compares an A/B variant with the split's control: the
// difference in goal rate (in points, absolute), that difference relative
// to the control's rate, its 95% confidence interval and the p-value of
// the z-test, read out so that a lucky week is not taken for a winner.
// runs and controlRuns are the runs each was given, which the rates are
// of; alpha is the threshold (campaignstats.Alpha), below 0.05 with more
// than one comparison.
func againstControl(lift, p float64, c campaignstats.Comparison, runs, controlRuns int, alpha float64) string {
	if runs == 0 || controlRuns == 0 {
		return "no runs to compare"
	}
	if alpha <= 0 {
		alpha = campaignstats.SignificanceLevel
	}
	verdict := "could be chance"
	if p < alpha {
		verdict = "significant at " + strconv.FormatFloat(alpha, 'g', 4, 64)
	}
	if c.SmallSample {
		verdict += "; small sample"
	}
	out := fmt.Sprintf("%+.1f points", 100*lift)
	if c.RelativeLift != nil {
		out += fmt.Sprintf(" (%+.1f%%)", 100**c.RelativeLift)
	}
	if c.LiftLow != nil && c.LiftHigh != nil {
		out += fmt.Sprintf(", 95%% CI %+.1f to %+.1f", 100**c.LiftLow, 100**c.LiftHigh)
	}
	return out + fmt.Sprintf(", p = %.3f (%s)", p, verdict)
}

// heldCounts says how many sends at a step are held, by what: "2 by
// quiet hours, 1 by a frequency cap"; "" for none.
func heldCounts(held map[string]int) string {
	var parts []string
	if n := held[state.HoldQuietHours]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d by quiet hours", n))
	}
	if n := held[state.HoldFrequencyCap]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d by a frequency cap", n))
	}
	return strings.Join(parts, ", ")
}

// campaignArgs splits the NAME [DIR] the campaign commands take.
func campaignArgs(s *stdio, verb string, pos []string) (name, dir string, ok bool) {
	pos, dir, ok = leadArgs(s, verb, pos, "NAME", "the campaign's name")
	if !ok {
		return "", "", false
	}
	return pos[0], dir, true
}

// lookupCampaign finds the named campaign, or says there is none and
// which there are.
func lookupCampaign(s *stdio, verb string, cfg *config.Config, name string) (*config.Campaign, bool) {
	return lookupNamed(s, verb, "campaign", "campaigns", cfg.Campaigns, func(c *config.Campaign) string { return c.Name }, name)
}

// lookupNamed finds the block called name among a configuration's blocks
// of one kind ("campaign", plural "campaigns"), or says on s.err that
// there is none, with a near name or the names there are: every lookup
// of a NAME argument answers a typo the same way.
func lookupNamed[T any](s *stdio, verb, kind, plural string, blocks []T, nameOf func(T) string, name string) (T, bool) {
	names := make([]string, 0, len(blocks))
	for _, b := range blocks {
		if nameOf(b) == name {
			return b, true
		}
		names = append(names, nameOf(b))
	}
	fmt.Fprintf(s.err, "hearth %s: there is no %s named %q in the configuration.%s\n", verb, kind, name, suggestOrList(name, names, plural))
	var none T
	return none, false
}

// suggestOrList is didYouMean, or when no name is close, the names there
// are ("The campaigns are: a, b.").
func suggestOrList(name string, names []string, what string) string {
	if s := didYouMean(name, names); s != "" {
		return s
	}
	if len(names) == 0 {
		return " There are no " + what + "."
	}
	return " The " + what + " are: " + strings.Join(names, ", ") + "."
}

// stopAsk is what a stop is asked to do before it stops: list the runs
// and stop there (-dry-run), or, for every member's runs (no -member),
// list them and ask for 'yes' unless -auto-approve.
type stopAsk struct {
	member, key  string
	dryRun, auto bool
	pending      pendingMode
}

// needsList reports whether the runs are listed before the stop.
func (a stopAsk) needsList() bool { return a.dryRun || (a.member == "" && !a.auto) }

// stopSample is how many runs the question shows; -dry-run lists all.
const stopSample = 20

// settle lists runs, the runs the stop would end, with what it would do
// with their pending sends (pending of them; -1 when not known), and
// with -dry-run stops there; otherwise it asks. goOn is false when the
// stop must not happen, with code the exit code.
func (a stopAsk) settle(ctx context.Context, s *stdio, name string, runs []state.StoppedRun, pending int) (code int, goOn bool) {
	if len(runs) == 0 {
		if a.dryRun {
			what := name
			if a.key != "" {
				what = fmt.Sprintf("%s with key %q", name, a.key)
			}
			if a.member != "" {
				what += " of " + termsafe.Field(a.member)
			}
			fmt.Fprintf(s.out, "No run of %s is under way; nothing to stop. -dry-run: nothing was changed.\n", what)
			return 0, false
		}
		return 0, true // the stop says it stopped nobody
	}
	members := map[string]bool{}
	for _, r := range runs {
		members[r.Member] = true
	}
	shown := runs
	if !a.dryRun {
		shown = runs[:min(stopSample, len(runs))]
	}
	fmt.Fprintf(s.out, "hearth campaign stop would end %s of %s (stopped by operator):\n\n", plural(len(runs), "run", "runs"), plural(len(members), "member", "members"))
	tw := textwidth.NewTabWriter(s.out, 2, 0)
	fmt.Fprint(tw, "member\tkey\tstep\tentered\n")
	for _, r := range shown {
		key := r.Key
		if key == "" {
			key = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", termsafe.Field(r.Member), termsafe.Field(key), orNone(r.Step), r.EnteredAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	tw.Flush()
	if n := len(runs) - len(shown); n > 0 {
		fmt.Fprintf(s.out, "... and %d more (-dry-run lists them all).\n", n)
	}
	if pending >= 0 {
		fmt.Fprintf(s.out, "\n%s\n", a.pending.preview(pending))
	}
	if a.dryRun {
		fmt.Fprintln(s.out, "\n-dry-run: nothing was changed.")
		return 0, false
	}
	question := "Do you want to stop these runs? Nothing more is sent for them. Only 'yes' will be accepted."
	if a.pending == keepPending {
		question = "Do you want to stop these runs? Their sends already in the outbox still go out. Only 'yes' will be accepted."
	}
	if !confirm(ctx, s, "campaign stop", question, "nothing was stopped", " (or -dry-run to list what it would stop)") {
		return 1, false
	}
	fmt.Fprintln(s.out)
	return 0, true
}

// stopViaDaemon asks the running daemon to stop the campaign, between
// its batches, as it would write over a change made to the store; the
// runs it would stop come first from GET on the same route when they
// are listed (-dry-run, or to ask).
func stopViaDaemon(ctx context.Context, s *stdio, base string, c *config.Campaign, name string, ask stopAsk) int {
	member, key := ask.member, ask.key
	endpoint := strings.TrimRight(base, "/") + "/v1/campaigns/" + url.PathEscape(name) + "/stop"
	q := url.Values{}
	if member != "" {
		q.Set("member", member)
	}
	if key != "" {
		q.Set("key", key)
	}
	if ask.needsList() {
		// GET: a daemon too old to answer it refuses the method, and
		// stops nothing.
		preview := endpoint
		if len(q) > 0 {
			preview += "?" + q.Encode()
		}
		var body struct {
			Runs []struct {
				Member    string    `json:"member"`
				Key       string    `json:"key"`
				Step      string    `json:"step"`
				EnteredAt time.Time `json:"entered_at"`
			} `json:"runs"`
			PendingSends *int `json:"pending_sends"` // nil from a daemon that predates it
		}
		if !callDaemon(ctx, s, "campaign stop", "GET", preview, &body) {
			return 1
		}
		runs := make([]state.StoppedRun, 0, len(body.Runs))
		for _, r := range body.Runs {
			runs = append(runs, state.StoppedRun{Member: r.Member, Campaign: name, Key: r.Key, Step: r.Step, EnteredAt: r.EnteredAt})
		}
		pending := -1
		if body.PendingSends != nil {
			pending = *body.PendingSends
		}
		if code, goOn := ask.settle(ctx, s, name, runs, pending); !goOn {
			return code
		}
	}
	switch ask.pending {
	case dropPending:
		q.Set("drop", "true")
	case keepPending:
		q.Set("keep_pending", "true")
	}
	if len(q) > 0 {
		endpoint += "?" + q.Encode()
	}
	var body struct {
		Stopped      int    `json:"stopped"`
		Runs         int    `json:"runs"`
		Skipped      *int   `json:"skipped"`
		Kept         *int   `json:"kept"`
		Dropped      *int   `json:"dropped"`
		GoingOut     int    `json:"going_out"`
		Paused       bool   `json:"paused"`
		Reentry      string `json:"reentry"`
		ReentryAfter string `json:"reentry_after"`
	}
	if !postToDaemon(ctx, s, "campaign stop", endpoint, &body) {
		return 1
	}
	// The daemon's configuration is the one in force: what it says of
	// the campaign, with where the block is when this one has it too.
	after := stopAfter{paused: body.Paused, reentry: body.Reentry, reentryAfter: body.ReentryAfter}
	if c != nil {
		local := stopAfterOf(c)
		after.enter, after.block = local.enter, local.block
		if local.reentry == "schedule" {
			after.reentry = local.reentry // a broadcast's reentry decides nothing
		}
	}
	printStopped(s, after, name, member, key, body.Stopped, body.Runs)
	// An older daemon ignores what it does not know: say so rather than
	// claim 0.
	n := map[pendingMode]*int{skipPending: body.Skipped, keepPending: body.Kept, dropPending: body.Dropped}[ask.pending]
	switch {
	case n == nil && ask.pending == dropPending:
		fmt.Fprintln(s.err, "hearth campaign stop: the daemon did not drop the sends (it predates drop=true); drop them with 'hearth outbox drop'.")
		return 1
	case n == nil && ask.pending == skipPending:
		fmt.Fprintln(s.err, "hearth campaign stop: the daemon did not skip the stopped runs' pending sends (it predates skipping them), so they still go out; drop them with 'hearth outbox drop' ('hearth outbox list -status pending' lists them).")
		return 1
	case n == nil:
		return 0 // kept, as an older daemon keeps them
	}
	printSettled(s, settled{mode: ask.pending, n: *n, goingOut: body.GoingOut})
	return 0
}

// printStopped says what a stop did, and what it does not: a campaign
// that is not paused takes members in still.
func printStopped(s *stdio, after stopAfter, name, member, key string, stopped, runs int) {
	what := name
	if key != "" {
		what = fmt.Sprintf("%s's run with key %q", name, key)
	}
	if member != "" && stopped == 0 {
		fmt.Fprintf(s.out, "%s is not in %s now; nothing to stop.\n", member, what)
		return
	}
	more := ""
	if runs > stopped {
		more = fmt.Sprintf(" (%s)", plural(runs, "run", "runs"))
	}
	fmt.Fprintf(s.out, "Stopped %s for %s%s.\n", what, plural(stopped, "member", "members"), more)
	fmt.Fprintln(s.out, after.text(name))
}

// stopAfter is what follows a stop: whether the campaign is paused, and
// how members enter it and enter it again.
type stopAfter struct {
	paused       bool
	reentry      string // never, always, after; schedule for a broadcast
	reentryAfter string // with after: 30d
	enter        string // "member.joined", "entering segment.new"; "" when not known
	block        string // where the campaign block is, main.hcl:12; "" when not known
}

// stopAfterOf is stopAfter of a campaign block.
func stopAfterOf(c *config.Campaign) stopAfter {
	a := stopAfter{paused: c.Paused, reentry: c.Reentry, block: fmt.Sprintf("%s:%d", filepath.Base(c.DeclRange.Filename), c.DeclRange.Start.Line)}
	if c.Reentry == "after" {
		a.reentryAfter = durations.Format(c.ReentryAfter)
	}
	var ways []string
	if len(c.EnterOn) > 0 {
		ways = append(ways, strings.Join(c.EnterOn, " or "))
	}
	switch {
	case c.Schedule != nil && c.Audience != nil:
		// A broadcast: the stopped run's occurrence is over, and the
		// next one is a run of its own.
		ways = append(ways, "each occurrence of its schedule, "+c.Schedule.String()+", in segment."+c.Audience.Name)
		a.reentry = "schedule"
	case c.Audience != nil:
		ways = append(ways, "entering segment."+c.Audience.Name)
	}
	a.enter = strings.Join(ways, ", or ")
	return a
}

// text says that a stop holds nothing: who may enter the campaign after
// it, and how to hold it instead.
func (a stopAfter) text(name string) string {
	if a.paused {
		return fmt.Sprintf("%s is paused (paused = true): nobody enters it until paused = false.", name)
	}
	how := ""
	if a.enter != "" {
		how = " (on " + a.enter + ")"
	}
	var again string
	switch a.reentry {
	case "always":
		again = "enter it again the same way (reentry = \"always\")"
	case "after":
		again = fmt.Sprintf("enter it again the same way once reentry_after (%s) has passed since the stop (reentry = \"after\")", orNone(a.reentryAfter))
	case "schedule":
		again = "get the next occurrence, a run of its own, if they are in the audience then"
	default:
		again = "do not enter it again (reentry = \"never\")"
	}
	block := "its campaign block"
	if a.block != "" {
		block = "its block (" + a.block + ")"
	}
	return fmt.Sprintf("A stop ends runs and holds nothing: members still enter %s%s, and those stopped %s. To hold the campaign, set paused = true in %s; hearth run takes it at the reload, nobody enters it while it is paused, and paused = false goes on from where each member was.", name, how, again, block)
}
