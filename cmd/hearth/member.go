package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/termsafe"
)

const memberUsage = `Usage: hearth member list [options] [DIR]
       hearth member show [options] ID [DIR]
       hearth member why [options] ID ADDRESS [DIR]
       hearth member eval [options] ID EXPRESSION [DIR]
       hearth member pardon [-rule NAME] [-url URL] ID [DIR]
       hearth member export [-url URL] ID [DIR]
       hearth member forget [-suppress] [-auto-approve] [-url URL] ID [DIR]
       hearth member unsuppress [-url URL] ID [DIR]

list prints the members, in id order, a page at a time (-limit, 100;
-after ID for the next page, as the last line says): on a terminal a
table, elsewhere a header row (ID, NAME, TIER, POINTS, LAST ACTIVE,
LEFT; -no-header leaves it out) and one tab-separated line per member
(id, name, tier, points, last active, "left"); -json has no header. Last
active is in UTC: the table's header says so, the lines give RFC 3339
(2026-11-15T05:16:03Z). -segment NAME
and -tier NAME keep a segment's or tier's members (members who left are
in none, but a segment whose rule reads member.left), -left those who left (-left=false those who did not), -q TEXT
those whose id or name holds TEXT, -referrer ID those ID referred (their
member.referrer); -json prints the page as GET
/v1/members answers. Through 'hearth run' when it serves the state, from
the store otherwise.

show, why, eval and list read the state with the configuration hearth
run records there (the one it runs) while the files fail validation,
and say so.

show prints what hearth knows about one member, from the configuration's
state store (through 'hearth run' when it serves the state, so an event
it has just accepted shows at once): profile, identities (the platform
accounts that are this member), the email platforms they
unsubscribed from (email.unsubscribed; email.resubscribed lifts it) and
those whose mail to them bounced for good (email.bounced),
points, who referred them (member.referrer) and how many members they
referred converted (member.referrals: each once, never themselves) with
those members' ids, tier and its history, the tiers above whose when holds through
their qualification windows (each since when, and until when),
segments, badges,
campaign runs (step, variant, why they ended, and "held by" what deferred
a send; for a run on a wait_until step, the rule it waits for, when it
is next checked and when it times out, "waiting" in -json; those of a
campaign removed from the configuration marked so, and
"campaign_removed": true in -json) and the next time-based recheck.
Its times are in UTC, and say so; -json prints them in RFC 3339.

why explains a segment, tier, badge, campaign or incentive for the
member: each rule that decides it, where it is, what it gives now, and
the value of every input it reads ("why is she in lurkers?"); a rule
of parts joined by && or || is split into them, each run alone with
what it read, → marking those that alone gave the rule its value
("clauses" in -json), as hearth test's failures show them. For a tier
and an incentive, a "verdict:" line says what the runtime would do, by
its own decision ("verdict" in -json): for a tier, at the next
evaluation: holds it (keep holds), held by grace until a time though
keep fails, demote_after (keep failing since a time, demoted at a later
one unless it holds again), would be demoted (and why: the grace period
ended, demote_after passed, or no grace or demote_after to hold the
member), would be promoted (when holds, and a qualifying window until a
time), with a warning when a keep stricter than when would make the
member flap. For a tier it also lists the member's moves onto and off
it from their tier history, each promoted or demoted, when and by which
event, with how often they were promoted back to it after a demotion
from it (the latest 10; member show has them all; "tier_moves" in
-json): the case simulate and replay name a member for when a tier
flaps. For a tier and an incentive, "forecast:" lines say what time
alone will do with no more events from the member ("forecast" in
-json): the points their grants' expiry takes back, when and leaving
what balance, and for a tier they are on when they would lose it, within
90 days (looked at each day and at each expiry, as the rules will read
the member then, a grace period or demote_after running then included),
with the verdict from when keep first fails and which of keep's parts
fails then, on what values ("keep fails: member.points >= 90 is false
(member.points = 60)"; "tier_keep" in -json, the rule explained).
For an incentive ("why no points from it?"), the member's
grants and where once, cooldown, limit and points_cap stand, with the
next grant possible, and for a calendar limit ("5/month") when it resets
in its zone ("incentive" in -json). Its rules read the member as
an event of its first type now would, that event counted as the runtime
counts it; a when reading the event's attributes, which member state
does not keep, shows what it reads of the member, and -event '{"type":
..., "attrs": {...}}' gives an event, of the member or of another
("member": ID; with grant.to, the grant goes to the member it names);
POST /v1/members/ID/why takes it as "event" in its body.
With moderation (or moderation.NAME) it lists the member's live strikes
and each moderation decision with its rule and evidence. For a campaign
it says where each run is (on a wait_until step: the rule it waits for,
checked at every event of the member, the next check by time, and the
timeout with the step it goes on to then; "waiting" in -json) and, on a
"held:" line, what deferred its
send (quiet hours or a full frequency cap, as recorded when it was
deferred) and until when
(in UTC, and on the clock of the quiet hours' zone when that is another);
"will be held:" when the step comes due inside the quiet hours or with a
cap full. A "held: step NAME's send, queued, at delivery:" line says the
outbox holds a send it was to deliver inside the quiet hours (late:
after a restart, a retry or an event posted after its time) until they
end. A "skipped:" line says the run's latest send was not made
because the member unsubscribed from its email platform, left, or came
back before a win-back's message went (at its step, or at delivery when
queued before), or because it expired: not delivered within the
campaign's expire_after of its time; "will be skipped:" that the step's send, or a send
queued and not yet delivered, will not be. campaign.NAME[KEY] is one run
of a campaign with run_key; of a run retention dropped, it says how and
when the run ended, as far as the member's outcomes still tell. A
campaign removed from the configuration has no rules left to explain,
but of one the member has runs of, why says where they are. Of a run it
also gives the A/B variant it was assigned, the sends made in it (step,
when decided, then delivered, queued, failed or skipped at delivery and
why, or skipped at the step), and its conversion_window: closing when,
open or closed, or not for a run that ended other than finished (with
conversion_from = "last_send", from its last message). The
rules of an ended run are evaluated as of its window, not the clock: a
finished run's as of its conversion window's close (or now, while it is
open), another's as of when it ended; -at asks of another time.
campaign.NAME.STEP asks of one step: besides the run, why the member
did or did not get its message (never entered, the run was assigned
another variant than the step's, not reached yet or never reached, at
it, held, or each send of it with what became of it); a step the
campaign does not have is an error listing the forms and the steps.
-json has all this in "runs" (variant, sends, conversion_window, step)
and "at_reason" (why "at" is the window's close or the run's end).
For a segment, a member who left is out of it, whatever its rule gives
(members who left are in no segment but those whose rule reads
member.left), and so is a member not in the segment's community (its
community = community.NAME: with several communities, the member's
member.joined events name the communities they are in); why says so.

eval runs any rule expression for the member, as a segment's or tier's
rule would see it, and prints what it gives and the value of every input
it reads, and each && or || part alone, as why does: try a rule on real
members before writing it into a block.
With -event '{"type": ..., "attrs": {...}}' the expression may read
'event' too, as an incentive's when does.

-at TIME (why and eval; a date is its midnight, UTC) evaluates at another
time. At or after the member's stored state (its latest event or
evaluation, in show's "as of" line) it is what time-based rules will see:
days_since_*, windows emptying. Before it, the rules read the member as
of then where the state still tells: counts from the per-day counts
(kept for 400 days; all of them when none were trimmed), the tier from
its history, points, badges and segments from the member's outcomes when
they add up to what the member holds now, leaving from the joins and
leaves counted. What it cannot give as of then (a window or total that
reaches past the days kept, a balance whose outcomes were pruned, a
profile updated since, the time of day of the latest activity, a day's
counts when TIME is inside it) stays as it stands and is named in a
warning on stderr, marked "(not as of -at)" in the output and listed
under "warnings" in -json; why also says when a tier's verdict or a
campaign's runs are of the member now. For the member's history, replay
the events up to the time in a sandbox: hearth simulate -events FILE -to
TIME -outcomes OUT DIR.

ID is a member id, or PLATFORM:ID for the member holding that identity
(telegram:333, matrix:@alice:example.org), in show, why and eval. Given
a member's name instead, they say the id of the member by that name
('hearth member list -q NAME' lists members by id or name).

pardon clears the member's moderation strikes (see hearth member pardon -h).

export prints everything hearth keeps about the member as JSON, and
forget erases it, for data-protection requests; unsuppress lifts the
suppression forget -suppress puts on an id (see hearth member export -h
and hearth member forget -h).

Examples:
  hearth replay -events examples/quickstart/events.jsonl examples/quickstart
  hearth member list -segment lurkers examples/quickstart
  hearth member list -tier core -json examples/quickstart | jq -r '.members[].id'
  hearth member show u07 examples/quickstart
  hearth member show -json u07 examples/quickstart | jq .campaigns
  hearth member show telegram:333 .   # the member holding Telegram user 333
  hearth member why u07 segment.lurkers examples/quickstart
  hearth member why -at 2026-12-01 u07 tier.core examples/quickstart
  hearth member why u07 campaign.onboarding examples/quickstart
  hearth member why u07 moderation examples/moderated-community
  hearth member why u07 incentive.posting examples/quickstart
  hearth member why -event '{"type":"member.joined","member":"u99","attrs":{"referrer":"u07"}}' u07 incentive.referral examples/quickstart
  hearth member eval u07 "count('message.posted', '30d')" examples/quickstart
  hearth member eval u07 "member.points >= 100 && in_segment('active')" examples/quickstart
  hearth member eval -event '{"type":"message.posted","attrs":{"channel":"introductions"}}' u07 "event.channel == 'introductions'" examples/quickstart
  hearth member eval -at 2026-11-01 u07 "member.points" examples/quickstart   # before u07's state: as of then, or a warning
  hearth member pardon -rule ads u07 examples/moderated-community
`

func runMember(ctx context.Context, s *stdio, args []string) int {
	if len(args) > 0 && args[0] == "pardon" {
		return runPardon(ctx, s, args[1:])
	}
	if len(args) > 0 {
		switch args[0] {
		case "export":
			return runMemberExport(ctx, s, args[1:])
		case "forget":
			return runMemberForget(ctx, s, args[1:])
		case "unsuppress":
			return runMemberUnsuppress(ctx, s, args[1:])
		}
	}
	if len(args) > 0 && args[0] == "eval" {
		return runMemberEval(ctx, s, args[1:])
	}
	if len(args) > 0 && args[0] == "list" {
		return runMemberList(ctx, s, args[1:])
	}
	if len(args) == 0 || isHelp(args[0]) {
		return groupUsage(s, args, memberUsage)
	}
	if args[0] != "show" && args[0] != "why" {
		return unknownVerb(s, "member", args[0], []string{"list", "show", "why", "eval", "pardon", "export", "forget", "unsuppress"}, memberUsage)
	}
	verb := args[0]
	fs := newFlags(s, "member "+verb, memberUsage)
	asJSON := fs.Bool("json", false, "Print JSON.")
	atFlag := fs.String("at", "", "With why: evaluate at this `TIME` (RFC 3339 or YYYY-MM-DD, its midnight UTC); default now. Before the member's stored state: as of then where the state tells, with a warning for the rest.")
	eventFlag := fs.String("event", "", "With why of an incentive: the event (`JSON` with type and attrs; id, member and at are filled in) it is asked about, for its when.")
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args[1:])
	if !ok {
		return code
	}
	form, what := "ID", "the member ID"
	if verb == "why" {
		form, what = "ID ADDRESS", "the member ID and an address such as segment.lurkers"
	}
	pos, dir, ok := leadArgs(s, "member "+verb, pos, form, what)
	if !ok {
		return 1
	}
	at := time.Now().UTC()
	if *atFlag != "" {
		var err error
		if at, err = parseTimeFlag(*atFlag); err != nil {
			fmt.Fprintf(s.err, "hearth member why: -at: %v\n", err)
			return 1
		}
	}
	var ev *events.Event
	if *eventFlag != "" {
		if verb != "why" || !strings.HasPrefix(pos[1], "incentive.") {
			fmt.Fprintf(s.err, "hearth member %s: -event is for why of an incentive (incentive.NAME), whose rules read the event it fires on\n", verb)
			return 1
		}
		var err error
		if ev, err = events.ParseAsked([]byte(*eventFlag), pos[0], at); err != nil {
			fmt.Fprintf(s.err, "hearth member why: -event: %v\n", err)
			return 1
		}
	}
	cfg, ok := loadReadConfig(ctx, s, dir, vf, *asJSON, "member "+verb)
	if !ok {
		return 1
	}
	m, ok := lookupMember(ctx, s, cfg, pos[0], "member "+verb)
	if !ok {
		return 1
	}
	steps := storedStepOrders(ctx, cfg)
	if verb == "why" {
		// campaign.NAME.STEP asks of one step: the run's rules, and what
		// became of that step's message.
		addr, step, err := stepAddress(cfg, pos[1])
		if err != nil {
			fmt.Fprintf(s.err, "hearth member why: %v\n", err)
			return 1
		}
		pos[1] = addr
		// An ended run's rules are asked as of its window, not the wall
		// clock, unless -at says when.
		evalAt, asked := "", at
		if *atFlag == "" {
			at, evalAt = runEvalTime(cfg, m, pos[1], at)
		}
		// An event of another member (one who joined naming this one as
		// referrer, for a grant.to) is seen with its own member's state.
		var by *state.Member
		if ev != nil && ev.Member.ID != m.ID {
			var ok bool
			if by, ok = eventMember(ctx, s, cfg, ev); !ok {
				return 1
			}
		}
		rt := runtime.New(cfg, nil)
		rt.SetStepOrders(steps)
		// An -at before the member's stored state: the rules read the
		// member as of then, as far as the state tells (warned about).
		past, ok := memberAsOf(ctx, s, cfg, rt, m, at, "member why")
		if !ok {
			return 1
		}
		ruled := m // the member the rules read
		if past != nil {
			ruled = past.Member
		}
		// A campaign with run_key: each of the member's runs is explained
		// with its own entering event, campaign.NAME[KEY] one of them.
		addrs := []string{pos[1]}
		if kind, name, _ := strings.Cut(pos[1], "."); kind == "campaign" && m.HasKeyedRuns() {
			if _, _, keyed := state.SplitRunID(name); !keyed {
				if ids := m.RunIDs(name, nil); len(ids) > 0 {
					addrs = addrs[:0]
					for _, id := range ids {
						addrs = append(addrs, "campaign."+id)
					}
				}
			}
		}
		// A run with a key the member no longer has may have been dropped
		// under retention: the member's outcomes may still tell of it.
		// The member's outcomes and outbox entries, read once and only
		// for a campaign: they tell of dropped runs and skipped sends.
		var outs []state.Outcome
		var sends []state.OutboxEntry
		var readErr error
		read := false
		records := func() ([]state.Outcome, error) {
			if !read {
				read = true
				outs, sends, readErr = storedRecords(ctx, cfg, m.ID)
			}
			return outs, readErr
		}
		dropped, err := runtime.DroppedRun(m, pos[1], records)
		if err != nil {
			fmt.Fprintf(s.err, "hearth member why: the member's outcomes could not be read, so a dropped run is told of by its number only: %v\n", err)
		}
		if strings.HasPrefix(pos[1], "campaign.") && len(m.Campaigns) > 0 {
			if _, err := records(); err != nil && dropped == nil {
				fmt.Fprintf(s.err, "hearth member why: the member's outcomes and outbox could not be read, so sends skipped before are not told of: %v\n", err)
			}
		}
		var ex []runtime.Explanation
		var each [][]runtime.Explanation
		for _, addr := range addrs {
			var e []runtime.Explanation
			var err error
			if past != nil {
				e, err = rt.WhyAsOf(past, addr, ev, by)
			} else {
				e, err = rt.WhyOn(m, addr, ev, by, at)
			}
			if err != nil {
				fmt.Fprintf(s.err, "hearth member why: %v\n", err)
				return 1
			}
			ex = append(ex, e...)
			each = append(each, e)
		}
		if evalAt != "" {
			warnRunAsOf(s.err, past, evalAt)
		} else {
			warnAsOf(s.err, "member why", past, dir)
		}
		// Rechecks due that no daemon ran: the stored tier and segments
		// are of before them.
		stale := runtime.StaleSince(m, s.clock())
		if len(addrs) > 1 && !*asJSON {
			for i, addr := range addrs {
				if i > 0 {
					fmt.Fprintln(s.out)
				}
				printWhy(s.out, cfg, rt, m, addr, at, each[i], nil, rt.Skips(m, addr, outs, sends), runtime.DeliveryHolds(m, addr, sends, at), nil, nil, past, nil, stale, runLines(rt, m, addr, step, at, asked, evalAt, outs, sends))
			}
			return 0
		}
		verdict, check, err := rt.Verdict(ruled, pos[1], ev, by, at)
		if err != nil {
			fmt.Fprintf(s.err, "hearth member why: %v\n", err)
			return 1
		}
		// What time alone will do, for the tiers and incentives points
		// bear on; not of a member read as of an earlier time.
		var forecast *runtime.Forecast
		if past == nil {
			forecast = rt.Forecast(m, pos[1], at)
		}
		if *asJSON {
			if ex == nil {
				ex = []runtime.Explanation{} // a badge without revoke_when has no rule: [], not null
			}
			enc := jsonEncoder(s.out)
			enc.SetIndent("", "  ")
			_ = enc.Encode(runtime.WhyView{Member: m.ID, Rule: pos[1], At: at.UTC(), AtReason: evalAt, Runs: rt.RunInfos(m, pos[1], step, asked, outs, sends), Explanations: ex, Verdict: verdict, Incentive: check, Held: append(rt.Holds(m, pos[1], at), runtime.DeliveryHolds(m, pos[1], sends, at)...), Waiting: rt.Waits(m, pos[1], at), Dropped: dropped, EndedRuns: runtime.EndedRunsOf(m, pos[1]), Skipped: rt.Skips(m, pos[1], outs, sends), CampaignRemoved: rt.CampaignRemoved(pos[1]), TierMoves: rt.TierMoves(m, pos[1]), Forecast: forecast, Stale: stale, Warnings: asOfNotes(past)})
			return 0
		}
		// A member with one keyed run: explained under that run's
		// address, whose stored run is the one printed.
		printWhy(s.out, cfg, rt, m, addrs[0], at, ex, dropped, rt.Skips(m, addrs[0], outs, sends), runtime.DeliveryHolds(m, addrs[0], sends, at), verdict, check, past, forecast, stale, runLines(rt, m, addrs[0], step, at, asked, evalAt, outs, sends))
		return 0
	}
	if *asJSON {
		rt := runtime.New(cfg, nil)
		rt.SetStepOrders(steps)
		view, err := m.ViewNoted(configuredIn(cfg), rt.WaitNote(m, time.Now()))
		if err != nil {
			fmt.Fprintf(s.err, "hearth member show: %v\n", err)
			return 1
		}
		fmt.Fprintf(s.out, "%s\n", view)
		return 0
	}
	printMember(s.out, cfg, steps, m, s.clock())
	return 0
}

// lookupMember reads a member through the running daemon, or else from
// the state store; it says on stderr why it could not.
func lookupMember(ctx context.Context, s *stdio, cfg *config.Config, id, cmd string) (*state.Member, bool) {
	m, viaDaemon, err := memberFromDaemon(ctx, s, cfg, id)
	if !viaDaemon {
		m, err = storedMember(ctx, cfg, id)
	}
	if errors.Is(err, state.ErrNotFound) {
		// No member of that id: telegram:333 names the member holding
		// that Telegram id.
		if canonical, ok, lerr := memberByIdentity(ctx, cfg, id); lerr != nil {
			err = lerr
		} else if ok {
			m, viaDaemon, err = memberFromDaemon(ctx, s, cfg, canonical)
			if !viaDaemon {
				m, err = storedMember(ctx, cfg, canonical)
			}
		}
	}
	if errors.Is(err, state.ErrNotFound) {
		fmt.Fprintf(s.err, "hearth %s: no member %q in %s.%s\n", cmd, id, storeWhere(cfg), memberNameHint(ctx, s, cfg, id))
		return nil, false
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", cmd, err)
		return nil, false
	}
	return m, true
}

// memberNameHint is what to say after "no member ID" when ID may be a
// name, as newcomers give one: the ids of the members of that name, or
// where to look members up by name.
func memberNameHint(ctx context.Context, s *stdio, cfg *config.Config, name string) string {
	f := state.MemberFilter{Query: name, Limit: 20, Sort: "id"}
	page, viaDaemon, err := membersFromDaemon(ctx, s, cfg, f)
	if !viaDaemon && err == nil {
		page, err = storedMembers(ctx, cfg, f)
	}
	var ids []string
	if err == nil {
		for _, h := range page.Members {
			if strings.EqualFold(h.Name, name) {
				ids = append(ids, h.ID)
			}
		}
	}
	switch len(ids) {
	case 0:
		return fmt.Sprintf(" Commands take a member's id; 'hearth member list -q %s' finds members by name.", name)
	case 1:
		return fmt.Sprintf(" %s is the name of %s; pass %s instead.", name, ids[0], ids[0])
	default:
		return fmt.Sprintf(" %s is the name of %s; give the id of the one you mean.", name, strings.Join(ids, ", "))
	}
}

// eventMember is the member of an event -event gives for another member
// than the one asked about, as the runtime would see them: stored, or
// new when the store has none (the event would make them).
func eventMember(ctx context.Context, s *stdio, cfg *config.Config, ev *events.Event) (*state.Member, bool) {
	m, viaDaemon, err := memberFromDaemon(ctx, s, cfg, ev.Member.ID)
	if !viaDaemon {
		m, err = storedMember(ctx, cfg, ev.Member.ID)
	}
	if errors.Is(err, state.ErrNotFound) {
		return state.NewMember(ev.Member.ID, ev.At), true
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth member why: -event: member %s: %v\n", ev.Member.ID, err)
		return nil, false
	}
	return m, true
}

// memberByIdentity is the member holding the identity ref names
// (telegram:333, matrix:@alice:example.org), read from the state store's
// identity index; ok is false when ref is no such reference or nobody
// holds it.
func memberByIdentity(ctx context.Context, cfg *config.Config, ref string) (string, bool, error) {
	platform, identity, ok := state.IdentityRef(ref)
	if !ok {
		return "", false, nil
	}
	store, err := openExistingStore(ctx, cfg, hintRun)
	if err != nil {
		return "", false, err
	}
	defer store.Close()
	l, ok := store.(state.IdentityLookup)
	if !ok {
		return "", false, nil
	}
	id, err := l.MemberByIdentity(ctx, platform, identity)
	return id, id != "", err
}

// storedMember reads a member from the configuration's state store.
func storedMember(ctx context.Context, cfg *config.Config, id string) (*state.Member, error) {
	store, err := openExistingStore(ctx, cfg, hintRun)
	if err != nil {
		if len(cfg.MissingSecrets) > 0 && !errors.As(err, new(*noStateError)) {
			err = fmt.Errorf("%w (these sensitive variables have no value, which may be why: %s)", err, strings.Join(cfg.MissingSecrets, ", "))
		}
		return nil, err
	}
	defer store.Close()
	b, err := store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = b.Rollback() }()
	return b.Member(id)
}

// storedRecords reads the member's outcomes and outbox entries, oldest
// first, from the configuration's state store (which readers may open
// while a daemon runs).
func storedRecords(ctx context.Context, cfg *config.Config, id string) ([]state.Outcome, []state.OutboxEntry, error) {
	store, err := openExistingStore(ctx, cfg, hintRun)
	if err != nil {
		return nil, nil, err
	}
	defer store.Close()
	e, ok := store.(state.Eraser)
	if !ok {
		return nil, nil, nil
	}
	outs, err := e.MemberOutcomes(ctx, id, math.MaxInt32)
	if err != nil {
		return nil, nil, err
	}
	sends, err := e.MemberOutbox(ctx, id)
	return outs, sends, err
}

func printWhy(w io.Writer, cfg *config.Config, rt *runtime.Runtime, m *state.Member, addr string, at time.Time, ex []runtime.Explanation, dropped *runtime.Dropped, skips []runtime.Skip, delivery []runtime.Hold, verdict *runtime.Verdict, check *runtime.IncentiveCheck, past *runtime.AsOf, forecast *runtime.Forecast, stale time.Time, runInfo []string) {
	kind, name, _ := strings.Cut(addr, ".")
	fmt.Fprintf(w, "Member %s, %s, at %s:\n", m.ID, addr, at.Format("2006-01-02 15:04"))
	if !stale.IsZero() {
		fmt.Fprintf(w, "  %s\n", staleText(stale))
	}
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }
	switch kind {
	case "badge":
		// A badge has no rule of its own for earning it: incentives award
		// it, on events, so they are listed rather than evaluated.
		if h := m.Badges[name]; h != nil && h.Count > 0 {
			fmt.Fprintf(w, "  stored: held x%d (first %s, latest %s)\n", h.Count, day(h.First), day(h.Last))
		} else {
			fmt.Fprintln(w, "  stored: not held")
		}
		awarded := false
		for _, in := range cfg.Incentives {
			if in.Grant.Badge == nil || in.Grant.Badge.Name != name {
				continue
			}
			awarded = true
			fmt.Fprintf(w, "  awarded by incentive.%s at %s:%d, on %s", in.Name, filepath.Base(in.DeclRange.Filename), in.DeclRange.Start.Line, strings.Join(in.On, ", "))
			if in.When != nil {
				fmt.Fprintf(w, " when %s", in.When.Source)
			}
			n := 0
			if log := m.Log(in.Name); log != nil {
				n = log.Count
			}
			fmt.Fprintf(w, " (%s to this member)\n", plural(n, "grant", "grants"))
		}
		if !awarded {
			fmt.Fprintln(w, "  no incentive awards it")
		}
		if len(ex) == 0 {
			fmt.Fprintln(w, "  no revoke_when: once awarded, it is kept")
		}
	case "segment":
		if since, ok := m.Segments[name]; ok {
			fmt.Fprintf(w, "  stored: in the segment since %s\n", since.UTC().Format("2006-01-02 15:04"))
		} else {
			fmt.Fprintln(w, "  stored: not in the segment")
		}
		if m.Left && !config.SegmentsForLeft(cfg.Segments)[name] {
			// The rule below may well hold: leaving, not the rule, keeps
			// the member out.
			fmt.Fprintf(w, "  the member left the community (%s): members who left are in no segment but those whose rule reads member.left, whatever this rule gives\n", utcMinute(m.LeftAt))
		}
		for _, sg := range cfg.Segments {
			if sg.Name == name && sg.Community != nil && !rt.InCommunity(m, sg.Community) {
				// As with leaving: the limit, not the rule, keeps them out.
				fmt.Fprintf(w, "  the member is not in community %s (the segment's community): no member.joined of theirs named it, so they are in no segment limited to it, whatever this rule gives\n", sg.Community.Name)
			}
		}
	case "tier":
		if past != nil && past.Member.Tier.Name != m.Tier.Name {
			// From the tier's history: the stored tier is of now.
			fmt.Fprintf(w, "  at -at: tier %s (from its history); stored now: tier %s\n", orNone(past.Member.Tier.Name), orNone(m.Tier.Name))
		} else {
			fmt.Fprintf(w, "  stored: tier %s\n", orNone(m.Tier.Name))
		}
		printTierMoves(w, m, name, rt.TierMoves(m, addr))
	case "incentive":
		if check != nil {
			printIncentiveCheck(w, check)
		}
	case "campaign":
		run := m.Campaigns[name]
		campaign, key, _ := state.SplitRunID(name)
		removed := campaignBlock(cfg, campaign) == nil
		if removed {
			// Why answers of a removed campaign only for a member whose
			// document still holds its runs: say whose rules are gone.
			fmt.Fprintf(w, "  campaign %s is removed from the configuration: no rules to explain; the member's document keeps its runs\n", campaign)
		}
		switch {
		case run == nil && dropped != nil:
			fmt.Fprintf(w, "  stored: %s\n", droppedText(dropped, campaignBlock(cfg, campaign), campaign, key))
		case run == nil && key != "":
			fmt.Fprintf(w, "  stored: never entered with key %q\n", key)
		case run == nil:
			fmt.Fprintf(w, "  stored: %s\n", noRunText(campaignBlock(cfg, campaign), m, campaign))
		case run.Active() && removed:
			// The runtime stops it, and a hold recorded on it holds
			// nothing any more.
			fmt.Fprintf(w, "  stored: run %d at step %s since %s; %s\n", run.Runs, orNone(run.StepName), day(run.StepAt), removedRunEnds)
		case run.Active():
			step := "(end)"
			for _, c := range cfg.Campaigns {
				if c.Name == campaign {
					step = stepText(c, run, rt.StepOrders()[c.Name])
				}
			}
			next := "next " + day(run.Due)
			if wait, ok := rt.WaitOf(m, name, at); ok {
				// Past its due time a wait_until's run waits for the
				// rule: the due time is no next time.
				next = waitText(wait, day)
			}
			fmt.Fprintf(w, "  stored: run %d at step %s since %s, %s\n", run.Runs, step, day(run.StepAt), next)
			// The next time is the hold's, not the step's, when quiet
			// hours or a full cap held the send: say so, or it reads as
			// a step that should have run. A hold to come is said too.
			for _, h := range rt.Holds(m, addr, at) {
				if h.Expected {
					fmt.Fprintf(w, "  will be held: %s\n", holdText(h, holdZone(cfg, m, h.TimeZone)))
				} else {
					fmt.Fprintf(w, "  held: %s\n", holdText(h, holdZone(cfg, m, h.TimeZone)))
				}
			}
		default:
			fmt.Fprintf(w, "  stored: run %d ended (%s) %s\n", run.Runs, run.Reason, day(run.EndedAt))
		}
		// A send queued and held by quiet hours when it was to go out:
		// the run went on (or ended) while it waits in the outbox.
		for _, h := range delivery {
			fmt.Fprintf(w, "  held: step %s's send, queued, at delivery: %s\n", h.Step, holdText(h, holdZone(cfg, m, h.TimeZone)))
		}
		// A send not made because the member unsubscribed, left or came
		// back, or that expired: the run went on (or had ended) without
		// it, and nothing else would say so.
		for _, sk := range skips {
			if sk.Expected {
				fmt.Fprintf(w, "  will be skipped: %s\n", skipText(sk))
			} else {
				fmt.Fprintf(w, "  skipped: %s\n", skipText(sk))
			}
		}
		// The variant, the sends made, the conversion window and a
		// step's fate (runLines).
		for _, line := range runInfo {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	if verdict != nil {
		// What the runtime would do, by its own decision: the rules'
		// values below do not say it alone (a grace period, a window, a
		// cooldown).
		fmt.Fprintf(w, "  verdict: %s\n", verdict.Text)
	}
	printForecast(w, forecast)
	switch {
	case len(ex) == 0 && kind == "incentive":
		fmt.Fprintf(w, "  %s has no when: every event it fires on passes it\n", addr)
	case len(ex) == 0 && (kind != "campaign" || campaignBlock(cfg, state.RunCampaign(name)) != nil):
		fmt.Fprintf(w, "  %s has no rule over member state to evaluate\n", addr)
	}
	for _, e := range ex {
		result := fmt.Sprint(e.Result)
		switch {
		case e.Error == runtime.RunEventGone:
			result = "not evaluated: " + e.Error
			if len(e.Values) > 0 {
				result += "; what it reads of the member:"
			}
		case e.Error != "":
			result = "error: " + e.Error
		case len(e.EventReads) > 0:
			result = "not evaluated: it reads " + strings.Join(e.EventReads, ", ") + ", and member state keeps no event (give one with -event)"
			if len(e.Values) > 0 {
				result += "; what it reads of the member:"
			}
		}
		// A heredoc's lines are indented as in the file, relative to the
		// first.
		fmt.Fprintf(w, "\n  %s = %s\n    %s\n    at %s\n", e.Rule, result, strings.Join(rules.SourceLines(e.Source), "\n    "), e.At)
		for _, v := range e.Values {
			fmt.Fprintf(w, "      %-36s %s%s\n", v.Name, inputText(v.Value), notAsOfMark(past, v.Name))
		}
		if len(e.Clauses) > 0 {
			// Each part alone, as hearth test's failures show them.
			fmt.Fprintf(w, "    %s:\n", opWords(e.Op))
			for _, line := range clauseLines(e.Clauses) {
				fmt.Fprintf(w, "      %s\n", line)
			}
		}
	}
}

// maxLotsShown bounds the expiring grants a forecast line lists.
const maxLotsShown = 3

// printForecast writes member why's forecast lines: what time alone
// will do to the member, points expiring and a tier lost.
func printForecast(w io.Writer, f *runtime.Forecast) {
	if f.Empty() {
		return
	}
	if n := len(f.Expiring); n > 0 {
		var parts []string
		for _, l := range f.Expiring[:min(n, maxLotsShown)] {
			parts = append(parts, fmt.Sprintf("%d on %s (leaving %d)", l.Takes, utcMinute(l.ExpiresAt), l.Balance))
		}
		if n > maxLotsShown {
			rest := 0
			for _, l := range f.Expiring[maxLotsShown:] {
				rest += l.Takes
			}
			last := f.Expiring[n-1]
			parts = append(parts, fmt.Sprintf("%d more by %s (leaving %d)", rest, utcMinute(last.ExpiresAt), last.Balance))
		}
		fmt.Fprintf(w, "  forecast: points expire with no more events: %s\n", strings.Join(parts, ", "))
	}
	switch {
	case f.Overdue:
		// The demotion is the stored member's own recheck, due already:
		// the verdict at -at and the forecast tell of the same move.
		fmt.Fprintf(w, "  forecast: with no more events, the member loses the tier at %s, at the runtime's recheck due then, which has not run on the stored member (hearth run runs it); the verdict at %s: %s%s\n", utcMinute(f.TierLost), utcMinute(f.TierFrom), f.TierText, keepFailText(f.TierKeep))
	case !f.TierLost.IsZero():
		fmt.Fprintf(w, "  forecast: with no more events, the member loses the tier at %s; the verdict at %s: %s%s\n", utcMinute(f.TierLost), utcMinute(f.TierFrom), f.TierText, keepFailText(f.TierKeep))
	}
}

// keepFailText is what a forecast adds to its verdict about the rule
// that fails then: "; keep fails: member.points >= 90 is false
// (member.points = 60)", each part that fails it for a rule of && parts
// (the others held), with the value of each input it read; "" without
// one.
func keepFailText(e *runtime.Explanation) string {
	if e == nil {
		return ""
	}
	attr := e.Rule[strings.LastIndexByte(e.Rule, '.')+1:]
	if e.Error != "" {
		return fmt.Sprintf("; %s fails to run: %s", attr, termsafe.Field(e.Error))
	}
	part := func(src string, result any, values []runtime.Value) string {
		s := termsafe.Field(strings.Join(strings.Fields(src), " ")) + " is " + inputText(result)
		var inputs []string
		for _, v := range values {
			inputs = append(inputs, v.Name+" = "+inputText(v.Value))
		}
		if len(inputs) > 0 {
			s += " (" + strings.Join(inputs, ", ") + ")"
		}
		return s
	}
	var parts []string
	var walk func(cs []runtime.Clause)
	walk = func(cs []runtime.Clause) {
		for _, c := range cs {
			switch {
			case !c.Decided:
			case c.Op != "":
				walk(c.Clauses)
			default:
				parts = append(parts, part(c.Source, c.Result, c.Values))
			}
		}
	}
	walk(e.Clauses)
	if len(parts) == 0 {
		parts = []string{part(e.Source, e.Result, e.Values)}
	}
	return fmt.Sprintf("; %s fails: %s", attr, strings.Join(parts, ", "))
}

// staleText is the line member show and why write for a stored member
// whose rechecks due since since have not run (runtime.StaleSince).
func staleText(since time.Time) string {
	return fmt.Sprintf("stale: rechecks due since %s have not run (no daemon ran then), so the stored tier, segments and campaign steps are of before them; hearth run brings members up to date (hearth replay -until now runs them with no daemon)", utcMinute(since))
}

// maxTierMovesShown bounds the moves member why lists: the latest tell
// how a member comes and goes, and member show has them all.
const maxTierMovesShown = 10

// printTierMoves writes member why's lines on the member's moves onto
// and off tier, the latest last, with how often they were promoted back
// to it after a demotion from it, as simulate's flapping report counts:
// the case that report names a member for, which the verdict at one
// time cannot show.
func printTierMoves(w io.Writer, m *state.Member, tier string, moves []runtime.TierMove) {
	if len(moves) == 0 {
		fmt.Fprintf(w, "  moves on %s: none in the member's tier history\n", tier)
		return
	}
	returns, demoted := 0, false
	for _, mv := range moves {
		switch {
		case mv.Change == "demote" && mv.From == tier:
			demoted = true
		case mv.Change == "promote" && mv.To == tier && demoted:
			returns++
			demoted = false
		}
	}
	head := plural(len(moves), "move", "moves")
	if returns > 0 {
		head += fmt.Sprintf(", promoted back to it %s after a demotion from it", plural(returns, "time", "times"))
	}
	shown := moves[max(0, len(moves)-maxTierMovesShown):]
	if len(shown) < len(moves) {
		head += fmt.Sprintf("; the latest %d here, hearth member show %s lists them all", len(shown), m.ID)
	}
	fmt.Fprintf(w, "  moves on %s (%s):\n", tier, head)
	end := func(t string) string { // as member show writes them
		if t == "" {
			return "(none)"
		}
		return t
	}
	for _, mv := range shown {
		what := map[string]string{"promote": "promoted", "demote": "demoted"}[mv.Change]
		switch {
		case mv.Reason != "":
			what = mv.Reason // imported: set by hearth import members, not by the rules
		case what == "":
			what = "moved"
		}
		fmt.Fprintf(w, "    %s UTC  %-8s  %s -> %s  (event %s)\n", mv.At.UTC().Format("2006-01-02 15:04"), what, end(mv.From), end(mv.To), mv.Event)
	}
}

// utcMinute is a time as member show prints it: to the minute, in UTC,
// and saying so (as backup and restore do), since a member with a time
// zone of their own is shown beside it.
func utcMinute(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04") + " UTC"
}

func printMember(w io.Writer, cfg *config.Config, steps config.StepOrders, m *state.Member, now time.Time) {
	rt := runtime.New(cfg, nil)
	rt.SetStepOrders(steps)
	day := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return utcMinute(t)
	}
	if m.Name == "" {
		fmt.Fprintf(w, "Member %s (no name)\n", m.ID)
	} else {
		fmt.Fprintf(w, "Member %s, %s\n", m.ID, termsafe.Field(m.Name))
	}
	if !m.EvaluatedAt.IsZero() && time.Since(m.EvaluatedAt) > 24*time.Hour {
		// Stored state is as of the last event or recheck; a replay with no
		// daemon leaves members at their history's end.
		fmt.Fprintf(w, "  as of %s, when the rules last looked at the member (hearth run brings members to now; member why and eval -at a later time evaluate as the rules will then, an earlier one as far as the state tells, with a warning for the rest)\n", day(m.EvaluatedAt))
	}
	stale := runtime.StaleSince(m, now)
	if !stale.IsZero() {
		fmt.Fprintf(w, "  %s\n", staleText(stale))
	}
	fmt.Fprintf(w, "  joined %s, last active %s", day(m.JoinedAt), day(m.LastActiveAt))
	if m.Left {
		// Kept in the store for a return; counted by no tier or segment.
		fmt.Fprint(w, "; has left the community")
		if !m.LeftAt.IsZero() {
			fmt.Fprintf(w, " (%s)", day(m.LeftAt))
		}
	}
	fmt.Fprintln(w)
	// On a line of its own and named: "10:00 UTC (Asia/Tokyo)" would read
	// as a time in Tokyo.
	var profile []string
	if m.Locale != "" {
		profile = append(profile, "locale "+termsafe.Field(m.Locale))
	}
	if m.Timezone != "" {
		profile = append(profile, "time zone "+termsafe.Field(m.Timezone))
	}
	if len(profile) > 0 {
		fmt.Fprintf(w, "  %s\n", strings.Join(profile, ", "))
	}
	if len(m.Identities) > 0 {
		// The platform accounts that are this member: their events
		// apply here, and hearth member show PLATFORM:ID finds it.
		var ids []string
		for _, p := range slices.Sorted(maps.Keys(m.Identities)) {
			ids = append(ids, termsafe.Field(p)+":"+termsafe.Field(m.Identities[p]))
		}
		fmt.Fprintf(w, "  identities %s\n", strings.Join(ids, ", "))
	}
	if len(m.Unsubscribed) > 0 {
		var from []string
		for _, k := range m.UnsubscribedList() {
			what := k
			if k == state.UnsubscribedAll {
				what = "all email"
			}
			from = append(from, fmt.Sprintf("%s (%s)", what, day(m.Unsubscribed[k])))
		}
		// What the outbox does about it, so nobody wonders why the
		// campaign's emails stopped.
		fmt.Fprintf(w, "  unsubscribed from %s: only transactional sends go there\n", strings.Join(from, ", "))
	}
	for _, k := range slices.Sorted(maps.Keys(m.Bounced)) {
		b := m.Bounced[k]
		if cur := m.Identities["email"]; cur != "" && !strings.EqualFold(cur, b.Address) {
			continue // an old address's: the new one gets email
		}
		what := b.Code
		if b.Reply != "" {
			what = b.Reply
		}
		fmt.Fprintf(w, "  bounced at %s (%s): %s; only transactional sends go to the address there until email.resubscribed or a new address\n",
			k, day(b.At), termsafe.Field(what))
	}
	if len(m.Places) > 0 {
		// Where the member's welcome, roles and messages go in each
		// capacity family.
		var in []string
		for _, block := range slices.Sorted(maps.Keys(m.Places)) {
			if p := m.Places[block]; p == block {
				in = append(in, block)
			} else {
				in = append(in, fmt.Sprintf("%s (sub-community of %s)", p, block))
			}
		}
		fmt.Fprintf(w, "  in community %s\n", strings.Join(in, ", "))
	}
	fmt.Fprintf(w, "  points %d (earned %d), referrals %d\n", m.Points, m.PointsEarned, m.Referrals)
	if m.Referrer != "" {
		fmt.Fprintf(w, "  referred by %s\n", termsafe.Field(m.Referrer))
	}
	if len(m.Referees) > 0 {
		// The members behind referrals; hearth member list -referrer
		// lists all they referred, converted or not.
		const shown = 20 // a busy partner has hundreds: -json has them all
		var ids []string
		for _, id := range m.Referees[:min(len(m.Referees), shown)] {
			ids = append(ids, termsafe.Field(id))
		}
		more := ""
		if n := len(m.Referees) - shown; n > 0 {
			more = fmt.Sprintf(" and %d more (-json lists them all)", n)
		}
		fmt.Fprintf(w, "  referees who converted: %s%s\n", strings.Join(ids, ", "), more)
	}
	if m.Tier.Name != "" {
		fmt.Fprintf(w, "  tier %s since %s\n", m.Tier.Name, day(m.Tier.Since))
	} else {
		fmt.Fprintln(w, "  no tier")
	}
	// Each tier above whose when holds counts its own window.
	for _, q := range m.Tier.Qualifying {
		fmt.Fprintf(w, "  qualifying for %s since %s", q.Tier, day(q.Since))
		for _, t := range cfg.Tiers {
			if t.Name == q.Tier && t.Window > 0 {
				fmt.Fprintf(w, " (window %s: promoted from %s if its when holds until then)", durations.FormatDays(t.Window), day(q.Since.Add(t.Window)))
			}
		}
		fmt.Fprintln(w)
	}
	for _, h := range m.Tier.History {
		from := h.From
		if from == "" {
			from = "(none)"
		}
		to := h.To
		if to == "" {
			to = "(none)"
		}
		why := ""
		if h.Reason != "" {
			why = ", " + h.Reason // the tier an import set
		}
		fmt.Fprintf(w, "    %s  %s -> %s  (event %s%s)\n", day(h.At), from, to, h.Event, why)
	}
	var segs []string
	for s, at := range m.Segments {
		segs = append(segs, fmt.Sprintf("%s (since %s)", s, day(at)))
	}
	sort.Strings(segs)
	fmt.Fprintf(w, "  segments: %s\n", orNone(strings.Join(segs, ", ")))
	var badges []string
	for name, h := range m.Badges {
		if h.Count > 0 {
			badges = append(badges, fmt.Sprintf("%s x%d (first %s)", name, h.Count, day(h.First)))
		}
	}
	sort.Strings(badges)
	fmt.Fprintf(w, "  badges: %s\n", orNone(strings.Join(badges, ", ")))
	printRuns := func(c *config.Campaign, name string) {
		label := name
		if c == nil {
			label = name + " (removed from the configuration)"
		}
		// A campaign with run_key has a run per key: each on its line.
		for _, run := range m.Runs(name) {
			what := label
			if run.Key != "" {
				what = fmt.Sprintf("%s, key %q", name, run.Key)
				if c == nil {
					what += " (removed from the configuration)"
				}
			}
			switch {
			case run.Active() && c == nil:
				fmt.Fprintf(w, "  campaign %s: at step %s since %s; %s", what, orNone(run.StepName), day(run.StepAt), removedRunEnds)
			case run.Active():
				step := stepText(c, run, steps[c.Name])
				next := "next " + day(run.Due)
				if wait, ok := rt.WaitOf(m, state.RunID(name, run.Key), now); ok {
					next = waitText(wait, day)
				}
				fmt.Fprintf(w, "  campaign %s: at step %s since %s, %s", what, step, day(run.StepAt), next)
				if run.Hold != nil {
					// The next time is the hold's, not the step's.
					fmt.Fprintf(w, " (held by %s%s)", holdCause(run.Hold), localClock(run.Due, run.Hold, holdZone(cfg, m, run.Hold.TimeZone)))
				}
			default:
				fmt.Fprintf(w, "  campaign %s: ended (%s) %s", what, run.Reason, day(run.EndedAt))
				if c != nil && run.Reason == "finished" && c.Converts(run.EnteredAt, run.LastSent, run.Seq, m.EvaluatedAt) {
					// The goal may still make it a conversion: the window
					// is open as of the state (event time), not the clock.
					end, _ := c.ConversionEnds(run.EnteredAt, run.LastSent, run.Seq)
					from := ""
					if c.ConversionFrom == config.ConversionFromLastSend {
						from = " from the last message"
					}
					fmt.Fprintf(w, " (counts as goal if the goal holds by %s: conversion_window %s%s)", day(end), durations.Format(c.ConversionWindow), from)
				}
			}
			if run.Variant != "" {
				fmt.Fprintf(w, ", variant %s", run.Variant)
			}
			fmt.Fprintf(w, ", run %d, %s\n", run.Runs, plural(run.Seq, "send", "sends"))
		}
		// Thousands, for a member entering once per meetup for years:
		// counted, and the latest named.
		if keys := m.KeysEnded[name]; len(keys) > 0 {
			fmt.Fprintf(w, "  campaign %s: %s\n", label, keptKeysText(c, name, keys, utcMinute))
		}
	}
	for _, c := range cfg.Campaigns {
		printRuns(c, c.Name)
	}
	// The document keeps the runs of a campaign removed since: listed
	// after the others, marked, rather than left out as if they never
	// were.
	for _, name := range m.RemovedCampaigns(configuredIn(cfg)) {
		printRuns(nil, name)
	}
	printModeration(w, m, now)
	switch {
	case !stale.IsZero():
		fmt.Fprintf(w, "  next recheck %s (overdue: not run)\n", day(m.RecheckAt))
	case !m.RecheckAt.IsZero():
		fmt.Fprintf(w, "  next recheck %s\n", day(m.RecheckAt))
	}
}

// waitText says what a run on a wait_until step waits for, in place of
// its next time: "next 2026-01-02 09:00, then waiting until RULE" while
// the step's own wait runs, "waiting until RULE (checked at every event
// of the member, next by time ...)" after, each with the timeout.
func waitText(wt runtime.Wait, day func(time.Time) string) string {
	var b strings.Builder
	if !wt.Checking {
		fmt.Fprintf(&b, "next %s, then waiting until: %s", day(wt.From), wt.Rule)
	} else {
		fmt.Fprintf(&b, "waiting until: %s", wt.Rule)
		switch {
		case wt.Paused:
			b.WriteString(" (the campaign is paused: checked again when it goes on)")
		case !wt.NextCheck.IsZero():
			fmt.Fprintf(&b, " (checked at every event of the member, next by time %s)", day(wt.NextCheck))
		default:
			b.WriteString(" (checked at every event of the member)")
		}
	}
	switch {
	case wt.Deadline.IsZero():
		b.WriteString("; no timeout: it waits until that holds")
	case wt.OnTimeout == config.Exit:
		fmt.Fprintf(&b, "; times out %s, and the run ends", day(wt.Deadline))
	default:
		fmt.Fprintf(&b, "; times out %s, then step %s", day(wt.Deadline), wt.OnTimeout)
	}
	return b.String()
}

// holdCause names what a run's recorded hold is: "quiet hours
// (22:00–08:00 in the member's time zone)", "the campaign's
// frequency_cap 2/1d".
func holdCause(h *state.RunHold) string {
	if h.Reason == state.HoldQuietHours {
		zone := "the member's time zone"
		if h.TimeZone != "member" {
			zone = h.TimeZone
		}
		return fmt.Sprintf("quiet hours (%s in %s)", h.QuietHours, zone)
	}
	var caps []string
	for _, c := range h.Caps {
		if c.Scope == "global" {
			caps = append(caps, "the global frequency_cap "+c.Rate)
		} else {
			caps = append(caps, "the campaign's frequency_cap "+c.Rate)
		}
	}
	return strings.Join(caps, " and ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// removedRunEnds says what becomes of an active run of a campaign
// removed from the configuration (runtime.advanceCampaigns).
const removedRunEnds = "it stops, with nothing sent, at the member's next event or recheck"

// configuredIn reports, for state.Member.View and RemovedCampaigns,
// whether cfg has a campaign.
func configuredIn(cfg *config.Config) func(string) bool {
	return func(name string) bool { return campaignBlock(cfg, name) != nil }
}

// campaignBlock is the configuration's campaign named name, nil when
// there is none.
func campaignBlock(cfg *config.Config, name string) *config.Campaign {
	for _, c := range cfg.Campaigns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// keptKeysText counts the keys of a member's ended runs that retention
// made compact (KeysEnded), naming the latest and what they do; stamp
// prints the latest's end as the caller prints its other times.
func keptKeysText(c *config.Campaign, campaign string, keys []state.EndedKey, stamp func(time.Time) string) string {
	last := keys[0]
	for _, k := range keys[1:] {
		if k.At.After(last.At) {
			last = k
		}
	}
	effect := `reentry = "never" refuses them`
	switch {
	case c == nil:
		effect = "the campaign is no longer configured"
	case c.Reentry != "never":
		effect = fmt.Sprintf("reentry = %q lets them in again", c.Reentry)
	}
	return fmt.Sprintf("%s of ended runs kept, %s (latest %q, ended (%s) %s; member why 'campaign.%s[KEY]' tells of one)",
		plural(len(keys), "key", "keys"), effect, last.Key, last.Reason, stamp(last.At), campaign)
}

// noRunText is member why's stored line for a campaign the member has no
// run of. In a campaign with run_key, retention drops ended runs or keeps
// only their keys: "never entered" would be false for such a member.
func noRunText(c *config.Campaign, m *state.Member, campaign string) string {
	if keys := m.KeysEnded[campaign]; len(keys) > 0 {
		return "no run kept; " + keptKeysText(c, campaign, keys, func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") })
	}
	if n := m.RunsDropped[campaign]; n > 0 {
		return fmt.Sprintf("no run kept; its runs numbered up to %d ended and were dropped under retention (member why 'campaign.%s[KEY]' tells what the outcomes still say of one)", n, campaign)
	}
	return "never entered"
}

// droppedText says what is still known of a run with a key that was
// dropped, or may have been; c is its campaign's block (nil when the
// configuration has none).
func droppedText(d *runtime.Dropped, c *config.Campaign, campaign, key string) string {
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }
	if d.KeyKept {
		run := fmt.Sprintf("its run with key %q", key)
		if d.Found && d.Number > 0 && !d.EnteredAt.IsZero() {
			run = fmt.Sprintf("run %d with key %q (entered %s)", d.Number, key, day(d.EnteredAt))
		}
		return fmt.Sprintf("%s ended (%s) %s; retention kept only its key and end, %s", run, d.Reason, day(d.EndedAt), keptKeyEffect(c, d.EndedAt))
	}
	switch {
	case d.Found && !d.EndedAt.IsZero():
		return fmt.Sprintf("run %d with key %q (entered %s) ended (%s) %s, and was dropped under retention: only its outcomes are left", d.Number, key, day(d.EnteredAt), d.Reason, day(d.EndedAt))
	case d.Found:
		return fmt.Sprintf("run %d with key %q (entered %s) was dropped under retention; its end is no longer in the outcomes", d.Number, key, day(d.EnteredAt))
	}
	return fmt.Sprintf("no run with key %q: it never entered, or its run ended and was dropped under retention, outcomes too (the member's dropped runs of %s are numbered up to %d)", key, campaign, d.DroppedUpTo)
}

// skipText is a member why "skipped:" line's text.
func skipText(sk runtime.Skip) string {
	why := "the member has left the community"
	switch sk.Reason {
	case runtime.SkipUnsubscribed:
		why = "the member unsubscribed from " + sk.From
		if sk.From == state.UnsubscribedAll {
			why = "the member unsubscribed from all email"
		}
		why += " (only transactional sends reach them)"
	case runtime.SkipBack:
		why = "the member came back to the community (it was decided while they were away)"
	case runtime.SkipExpired:
		why = "it " + sk.Detail + ", past the campaign's expire_after"
	}
	day := sk.At.UTC().Format("2006-01-02 15:04")
	switch {
	case sk.Expected && sk.Queued:
		return fmt.Sprintf("step %s's send, queued and not yet delivered, at delivery: %s", sk.Step, why)
	case sk.Expected:
		return fmt.Sprintf("step %s's send, when it comes due: %s", sk.Step, why)
	case sk.Queued:
		return fmt.Sprintf("step %s's send, queued before, at delivery %s: %s", sk.Step, day, why)
	}
	return fmt.Sprintf("step %s's send %s: %s; the run went on", sk.Step, day, why)
}

// holdZone is the zone quiet hours are kept in: the one the campaign
// names, else the member's, else the hearth block's.
func holdZone(cfg *config.Config, m *state.Member, tz string) *time.Location {
	name := tz
	if tz == "member" || tz == "" {
		name = m.Timezone
	}
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	if cfg.Settings.Timezone != nil {
		return cfg.Settings.Timezone
	}
	return time.UTC
}

// localClock says when a quiet-hours hold ends on the clock of the zone
// its hours are in (", 09:00 in Asia/Tokyo"), beside the UTC time the
// commands print: "21:00–09:00 ... until 00:00" alone reads as a bug.
// Nothing for a hold in UTC, or one that is not quiet hours.
func localClock(t time.Time, h *state.RunHold, loc *time.Location) string {
	if h.Reason != state.HoldQuietHours || loc == nil || loc.String() == "UTC" || t.IsZero() {
		return ""
	}
	return fmt.Sprintf(", %s in %s", t.In(loc).Format("15:04"), loc)
}

// holdText is a member why "held:" line's text; loc is the zone of the
// quiet hours (holdZone).
func holdText(h runtime.Hold, loc *time.Location) string {
	day := h.Until.UTC().Format("2006-01-02 15:04")
	rh := &state.RunHold{Reason: h.Reason, QuietHours: h.QuietHours, TimeZone: h.TimeZone}
	for _, c := range h.Caps {
		rh.Caps = append(rh.Caps, state.HoldCap(c))
	}
	switch {
	case h.Reason == state.HoldQuietHours:
		if local := localClock(h.Until, rh, loc); local != "" {
			return fmt.Sprintf("%s until %s UTC%s", holdCause(rh), day, local)
		}
		return fmt.Sprintf("%s until %s", holdCause(rh), day)
	case h.Skip:
		return fmt.Sprintf("%s is full until %s; the step's send is skipped then (on_cap = \"skip\")", holdCause(rh), day)
	}
	return fmt.Sprintf("%s is full until %s; the step's send waits until then", holdCause(rh), day)
}

// stepText names the step a run is on. A run on a step an edit removed
// is still there, with the time it got there, until the daemon moves it
// on at its next evaluation: it says so, and where it goes.
func stepText(c *config.Campaign, run *state.CampaignRun, after map[string]string) string {
	i := c.StepIndex(run.Step, run.StepName, after)
	if c.StepRemoved(run.StepName) {
		if i >= 0 && i < len(c.Steps) {
			return fmt.Sprintf("%s (removed from the campaign: goes on to %s)", run.StepName, c.Steps[i].Name)
		}
		return fmt.Sprintf("%s (removed from the campaign: the run finishes)", run.StepName)
	}
	if i >= 0 && i < len(c.Steps) {
		return c.Steps[i].Name
	}
	return "(end)"
}

// storedStepOrders is the campaigns' step order the daemon last ran with
// (config.StepOrders) and cfg's, for naming where a run on a removed step
// goes. Read from the state store, which readers may open while a daemon
// runs; nothing when it cannot be read.
func storedStepOrders(ctx context.Context, cfg *config.Config) config.StepOrders {
	store, err := openExistingStore(ctx, cfg, hintRun)
	if err != nil {
		o := config.StepOrders{}
		o.Merge(cfg)
		return o
	}
	defer store.Close()
	return stepOrdersIn(ctx, store, cfg)
}

// stepOrdersIn is storedStepOrders from a store already open.
func stepOrdersIn(ctx context.Context, store state.Store, cfg *config.Config) config.StepOrders {
	o := config.StepOrders{}
	if cs, ok := store.(interface {
		Cursor(ctx context.Context, stream string) (string, error)
	}); ok {
		if s, err := cs.Cursor(ctx, config.StepOrdersRecord); err == nil {
			if got, err := config.ParseStepOrders(s); err == nil {
				o = got
			}
		}
	}
	o.Merge(cfg)
	return o
}

// keptKeyEffect says what a key kept of an ended run does under the
// campaign's reentry now.
func keptKeyEffect(c *config.Campaign, ended time.Time) string {
	switch {
	case c == nil:
		return "and the campaign is no longer configured"
	case c.Reentry == "never":
		return `and reentry = "never" refuses the key for ever`
	case c.Reentry == "after":
		return fmt.Sprintf("and reentry_after lets the key in again from %s", ended.Add(c.ReentryAfter).UTC().Format("2006-01-02 15:04"))
	}
	return fmt.Sprintf("and reentry = %q lets the key in again", c.Reentry)
}

// printIncentiveCheck writes member why's lines on an incentive's
// bookkeeping for the member: what it fires on, its grants, and each of
// once, once_per, cooldown, limit and points_cap the block has, with
// where it stands.
func printIncentiveCheck(w io.Writer, c *runtime.IncentiveCheck) {
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }
	fmt.Fprintf(w, "  on %s", strings.Join(c.On, ", "))
	if c.GrantTo {
		fmt.Fprint(w, "; grants to the member grant.to names")
	}
	fmt.Fprintln(w)
	if c.AssumedEvent != "" {
		// Rules over counts read them with the firing event counted.
		fmt.Fprintf(w, "  rules read the member as a %s event now would, counted (-event gives one with its attributes)\n", c.AssumedEvent)
	}
	if c.Grants == 0 {
		fmt.Fprintln(w, "  stored: never granted to the member")
	} else {
		fmt.Fprintf(w, "  stored: %s, latest %s\n", plural(c.Grants, "grant", "grants"), day(c.LastGrant))
	}
	if c.Once {
		if c.Grants > 0 {
			fmt.Fprintf(w, "  once: granted %s, so never again\n", day(c.LastGrant))
		} else {
			fmt.Fprintln(w, "  once: not granted yet")
		}
	}
	if c.OncePer != "" {
		fmt.Fprintf(w, "  once_per %s: granted for %s", c.OncePer, plural(c.Keys, "key", "keys"))
		if c.Key != "" {
			fmt.Fprintf(w, "; this event's key is %q", termsafe.Field(c.Key))
		}
		fmt.Fprintln(w)
	}
	if c.Cooldown != "" {
		if c.CooldownUntil.IsZero() {
			fmt.Fprintf(w, "  cooldown %s: not running\n", c.Cooldown)
		} else {
			fmt.Fprintf(w, "  cooldown %s: last grant %s, next possible %s\n", c.Cooldown, day(c.LastGrant), day(c.CooldownUntil))
		}
	}
	if c.Limit != "" && c.LimitPeriod != "" {
		fmt.Fprintf(w, "  limit %s: %s this %s", c.Limit, plural(c.GrantsInWindow, "grant", "grants"), c.LimitPeriod)
		if !c.LimitUntil.IsZero() {
			fmt.Fprint(w, ", the limit reached")
		}
		fmt.Fprintf(w, "; resets %s\n", c.LimitResets)
	} else if c.Limit != "" {
		fmt.Fprintf(w, "  limit %s: %s in the window", c.Limit, plural(c.GrantsInWindow, "grant", "grants"))
		if !c.LimitUntil.IsZero() {
			fmt.Fprintf(w, ", the limit reached: next possible %s", day(c.LimitUntil))
		}
		fmt.Fprintln(w)
	}
	if c.PointsCap != "" {
		fmt.Fprintf(w, "  points_cap %s: %d points in the window; a grant gives %d of %d\n", c.PointsCap, c.PointsInWindow, c.PointsNow, c.Points)
	}
}
