package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/memberdata"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/termsafe"
)

const exportUsage = `Usage: hearth member export [-url URL] ID [DIR]

Prints, as one JSON document, everything hearth keeps about one member,
for a data-protection access or portability request (GDPR articles 15
and 20). Nothing of the configuration is in it, so no secret either.

  format       "hearth.member-export/1"
  member       the member's id
  exported_at  when the export was made (UTC)
  state        the member's document as the state keeps it, null when
               none: name, platform, locale, timezone, identities (their
               ids on each platform), attrs (profile attributes), joined_at,
               last_active_at, last_event_at, left, points, points_earned,
               expiring points, referrals, strikes, totals and counts
               (events per type, all time and per day), active and earned
               (per day), badges, tier and its history, segments (and when
               entered), grants (incentives received, with the keys of
               once_per), referrer, referees (the members they referred
               who converted), campaigns
               (each run: step, variant, the event that entered it, how it
               ended), keys_ended (what is kept of ended runs with a key
               reentry = "never" refuses: the key, when and how it
               ended), sends (times of campaign messages), recheck_at,
               moderation and tally (what the member added to the
               community's figures)
  moderation   the moderation record: strikes, muted_until, banned, and
               each decision with its rule and evidence
  referred_by  who referred the member
  referred     members the member referred (their referrer is the member)
  outcomes     what the rules did about the member, oldest first: kind,
               name, change, at, rule, event, points, from, to, detail,
               as simulate -outcomes lines give them (at in UTC with
               nine fractional digits)
  outbox       actions addressed to the member, pending, sent, dead or
               skipped, with their text, status, attempts and times
  role_grants  the records of the roles hearth gave the member on the
               platforms: platform, community, role, member (their id
               there) and at
  suppressed   whether the id is on the suppression list

While 'hearth run' serves the state, the export goes through it
(GET /v1/members/ID/export, with HEARTH_API_TOKEN as the bearer token):
it finds a daemon on this machine by itself; -url names one anywhere.

Examples:
  hearth member export u07 examples/quickstart > u07.json
  hearth member export -url http://127.0.0.1:7341 u07
`

const forgetUsage = `Usage: hearth member forget [-suppress] [-auto-approve] [-url URL] ID [DIR]
       hearth member unsuppress [-url URL] ID [DIR]

forget erases a member, for an erasure request (GDPR article 17): their
state (profile, identities, attributes, counts, points, badges, tier,
segments, campaign runs, moderation record), their outcomes, every outbox
entry addressed to them (pending ones are never sent), the records of the
roles hearth gave them on the platforms, and the references
other members hold to them: a referrer id, a value of a campaign's
entering event, from and to in other members' outcomes, a key kept of
an ended run (reentry = "never", made compact under retention: removed,
so the id no longer refuses anything), and the key of a campaign run
(run_key = "event.invitee"). Such a run goes on, sends and timer kept,
under a key drawn for this forget, such as (forgotten 3fa9c2d1), which
forget prints; its outcomes and outbox
entries take that key too. Of those entries, sent ones stay sent; one not
sent yet (pending, or dead) is skipped and never sent or retried: it
would hand the platform what the run made of the forgotten member, and
under a new idempotency key a message an earlier try delivered could
arrive twice. A role hearth gave stays on the platform, its record gone:
hearth counts it as given by hand from then on and never takes it; forget
lists those roles, for taking by hand where they should go.

What stays: the community tallies, which are counts and not people (the
member counts as gone from today and on no tier; joins, activity,
retention, the funnel, points and survey answers counted before stay);
the ids of events already applied, kept so an event sent again is not
applied twice, until event_id_retention forgets them; and the text of
messages already made for other members, which names the member only if
a template put their id or name in it, as long as outbox_retention keeps
those entries.

On SQLite, forget also zeroes every byte of the state's files that no
row holds, where SQLite leaves old copies of rows: it reads the whole
database while other batches wait (a daemon holds events meanwhile),
about 1 second for 200,000 members and 4 to 7 for 1,000,000.

Without -suppress, the next event that names the id makes a new member.
With -suppress the id goes on the suppression list (as a SHA-256 hash)
and later events for it are refused: counted in
hearth_events_rejected_total{reason="suppressed"} and logged, without the
id. unsuppress takes an id off the list.

forget asks for confirmation on a terminal; -auto-approve skips the
question, for scripts, as in every hearth command that asks (-force, its
earlier name, still works). While 'hearth run' serves the state,
both go through it (POST /v1/members/ID/forget?suppress=true,
POST /v1/members/ID/unsuppress; HEARTH_API_TOKEN is sent when set): it
finds a daemon on this machine by itself; -url names one anywhere.

Examples:
  hearth member forget u07 examples/quickstart
  hearth member forget -suppress -auto-approve u07 .
  hearth member forget -url https://hearth.example.org -suppress u07
  hearth member unsuppress u07 .
`

// memberTarget is where a member command works: a daemon's API (base) or
// a store this command holds the lock of.
type memberTarget struct {
	base  string
	store state.Store
	where string
	close func()
}

// openMemberTarget finds the daemon serving DIR's state, or takes the
// state lock and opens the store.
func openMemberTarget(ctx context.Context, s *stdio, name, dir string, vf varFlags) (memberTarget, bool) {
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return memberTarget{}, false
	}
	if err := missingForWrite(cfg, hintRun); err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return memberTarget{}, false
	}
	lock, a, ok := lockForWrite(s, cfg, name)
	if !ok {
		return memberTarget{}, false
	}
	if lock == nil {
		fmt.Fprintf(s.err, "hearth run (pid %d) serves this state: the request goes through its API at %s.\n", a.PID, a.URL)
		return memberTarget{base: a.URL}, true
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		lock.release()
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return memberTarget{}, false
	}
	return memberTarget{store: store, where: storeWhere(cfg), close: func() { store.Close(); lock.release() }}, true
}

// memberTargetOf is where a member command given ID [DIR] works: the
// daemon at daemonURL when one is named, else dir's state (through the
// daemon serving it, if any). release lets it go.
func memberTargetOf(ctx context.Context, s *stdio, name, daemonURL, dir string, vf varFlags) (memberTarget, bool) {
	if daemonURL != "" {
		return memberTarget{base: daemonURL}, true
	}
	return openMemberTarget(ctx, s, name, dir, vf)
}

func (t memberTarget) release() {
	if t.close != nil {
		t.close()
	}
}

func memberEndpoint(base, id, what string) string {
	return strings.TrimRight(base, "/") + "/v1/members/" + url.PathEscape(id) + "/" + what
}

// exportMember gets the member's export from t; ok false once reported.
// A member the state keeps nothing about is reported with notFound.
func (t memberTarget) export(ctx context.Context, s *stdio, name, id string) (x *memberdata.Export, ok bool) {
	if t.base != "" {
		x = &memberdata.Export{}
		return x, callDaemon(ctx, s, name, "GET", memberEndpoint(t.base, id, "export"), x)
	}
	x, err := memberdata.ExportMember(ctx, t.store, id, time.Now())
	if errors.Is(err, state.ErrNotFound) {
		fmt.Fprintf(s.err, "hearth %s: the state in %s keeps nothing about member %q.\n", name, t.where, id)
		return nil, false
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return nil, false
	}
	return x, true
}

func runMemberExport(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "member export", exportUsage)
	daemonURL := fs.String("url", "", "Ask a running daemon at this address instead of reading the store.")
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	pos, dir, ok := leadArgs(s, "member export", pos, "ID", "the member ID")
	if !ok {
		return 1
	}
	id := pos[0]
	t, ok := memberTargetOf(ctx, s, "member export", *daemonURL, dir, vf)
	if !ok {
		return 1
	}
	defer t.release()
	x, ok := t.export(ctx, s, "member export", id)
	if !ok {
		return 1
	}
	enc := jsonEncoder(s.out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(x); err != nil {
		fmt.Fprintf(s.err, "hearth member export: %v\n", err)
		return 1
	}
	return 0
}

func runMemberForget(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "member forget", forgetUsage)
	suppress := fs.Bool("suppress", false, "Also refuse the id's later events, so they do not make the member again.")
	force := autoApprove(fs, "Erase without asking for confirmation (else the answer is read from standard input, a terminal or a pipe).", "force")
	daemonURL := fs.String("url", "", "Ask a running daemon at this address instead of writing the store.")
	vf := varFlags{readOnly: true} // edits the store; reaches no platform
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	pos, dir, ok := leadArgs(s, "member forget", pos, "ID", "the member ID")
	if !ok {
		return 1
	}
	id := pos[0]
	t, ok := memberTargetOf(ctx, s, "member forget", *daemonURL, dir, vf)
	if !ok {
		return 1
	}
	defer t.release()
	if !*force {
		var x *memberdata.Export
		if t.base == "" && *suppress {
			// A member forgotten already can still be suppressed, as
			// -auto-approve does: the preview shows nothing to erase.
			var err error
			if x, err = memberdata.ExportMember(ctx, t.store, id, time.Now()); errors.Is(err, state.ErrNotFound) {
				x, err = &memberdata.Export{Member: id}, nil
			}
			if err != nil {
				fmt.Fprintf(s.err, "hearth member forget: %v\n", err)
				return 1
			}
		} else if x, ok = t.export(ctx, s, "member forget", id); !ok {
			return 1
		}
		printForgetPreview(s.out, x, *suppress)
		if !confirm(ctx, s, "member forget", "Do you want to erase this member? This cannot be undone. Only 'yes' will be accepted.", "nothing was changed", "") {
			return 1
		}
		fmt.Fprintln(s.out)
	}
	var res memberdata.Result
	if t.base != "" {
		endpoint := memberEndpoint(t.base, id, "forget")
		if *suppress {
			endpoint += "?suppress=true"
		}
		if !postToDaemon(ctx, s, "member forget", endpoint, &res) {
			return 1
		}
	} else {
		var err error
		res, err = memberdata.Forget(ctx, t.store, id, memberdata.Options{Suppress: *suppress, Now: time.Now().UTC()})
		if errors.Is(err, state.ErrNotFound) {
			fmt.Fprintf(s.err, "hearth member forget: the state in %s keeps nothing about member %q; nothing was changed.\n", t.where, id)
			return 1
		}
		if err != nil {
			fmt.Fprintf(s.err, "hearth member forget: %v\n", err)
			return 1
		}
	}
	printForgotten(s.out, res)
	return 0
}

func printForgetPreview(w io.Writer, x *memberdata.Export, suppress bool) {
	fmt.Fprintf(w, "hearth will erase member %s:\n", x.Member)
	if x.State != nil {
		name := ""
		if x.State.Name != "" {
			name = " (" + termsafe.Field(x.State.Name) + ")"
		}
		fmt.Fprintf(w, "  - state%s: profile, identities, counts, %d points, badges, tier, segments, campaign runs, moderation\n", name, x.State.Points)
	} else {
		fmt.Fprintln(w, "  - no state is stored")
	}
	fmt.Fprintf(w, "  - %s\n", plural(len(x.Outcomes), "outcome", "outcomes"))
	fmt.Fprintf(w, "  - %s addressed to them\n", plural(len(x.Outbox), "outbox entry", "outbox entries"))
	if len(x.RoleGrants) > 0 {
		fmt.Fprintf(w, "  - %s of roles hearth gave them (the roles stay on the platform, counted as given by hand)\n", plural(len(x.RoleGrants), "record", "records"))
	}
	if len(x.Referred) > 0 {
		fmt.Fprintf(w, "  ~ %s referred by them keep their state, without the referrer\n", plural(len(x.Referred), "member", "members"))
	}
	if suppress {
		fmt.Fprintln(w, "  + the id goes on the suppression list: its later events are refused")
	}
}

func printForgotten(w io.Writer, res memberdata.Result) {
	e := res.Erased
	if e.Member {
		fmt.Fprintf(w, "Forgot member %s: state erased", res.Member)
	} else {
		fmt.Fprintf(w, "Member %s had no state stored", res.Member)
	}
	fmt.Fprintf(w, ", %s erased", plural(int(e.Outcomes), "outcome", "outcomes"))
	var ob []string
	total := int64(0)
	for _, st := range slices.Sorted(maps.Keys(e.Outbox)) {
		ob = append(ob, fmt.Sprintf("%d %s", e.Outbox[st], st))
		total += e.Outbox[st]
	}
	fmt.Fprintf(w, ", %s dropped", plural(int(total), "outbox entry", "outbox entries"))
	if len(ob) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(ob, ", "))
	}
	fmt.Fprintln(w, ".")
	if res.References > 0 || e.OutcomeRefs > 0 {
		fmt.Fprintf(w, "References removed: %s, %s.\n",
			plural(res.References, "member's document", "members' documents"), plural(int(e.OutcomeRefs), "outcome of another member", "outcomes of other members"))
	}
	if res.RunKey != "" {
		var entries, skipped int64
		for st, n := range e.RunKeyOutbox {
			entries += n
			if st == state.OutboxPending || st == state.OutboxDead {
				skipped += n
			}
		}
		fmt.Fprintf(w, "Other members' campaign runs keyed by %s now have the key %s, as do %s and %s of those runs",
			res.Member, res.RunKey, plural64(e.RunKeyOutcomes, "outcome", "outcomes"), plural64(entries, "outbox entry", "outbox entries"))
		if skipped > 0 {
			fmt.Fprintf(w, "; %s not sent yet %s skipped, never to be sent", plural64(skipped, "entry", "entries"), map[bool]string{true: "is", false: "are"}[skipped == 1])
		}
		fmt.Fprintln(w, ".")
	}
	if len(e.RoleGrants) > 0 {
		fmt.Fprintf(w, "Forgot %s of roles hearth gave them; the roles stay on the platform, now counted as given by hand (hearth never takes them; take them by hand where they should go):\n",
			plural(len(e.RoleGrants), "record", "records"))
		for _, g := range e.RoleGrants {
			fmt.Fprintf(w, "  %s community %s: role %s of member %s\n", g.Platform, g.Community, g.Role, g.Member)
		}
	}
	fmt.Fprintln(w, "Community tallies keep their counts (no ids are in them); the member counts as gone from today and on no tier.")
	if res.Suppressed {
		fmt.Fprintf(w, "Suppressed: later events for %s are refused (hearth member unsuppress %s lifts it).\n", res.Member, res.Member)
	} else {
		fmt.Fprintf(w, "Not suppressed: an event that names %s makes a new member (forget -suppress refuses them).\n", res.Member)
	}
}

func runMemberUnsuppress(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "member unsuppress", forgetUsage)
	daemonURL := fs.String("url", "", "Ask a running daemon at this address instead of writing the store.")
	vf := varFlags{readOnly: true} // edits the store; reaches no platform
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	pos, dir, ok := leadArgs(s, "member unsuppress", pos, "ID", "the member ID")
	if !ok {
		return 1
	}
	id := pos[0]
	t, ok := memberTargetOf(ctx, s, "member unsuppress", *daemonURL, dir, vf)
	if !ok {
		return 1
	}
	defer t.release()
	if t.base != "" {
		var res daemon.LiftResult
		if !postToDaemon(ctx, s, "member unsuppress", memberEndpoint(t.base, id, "unsuppress"), &res) {
			return 1
		}
	} else {
		lifted, err := memberdata.Lift(ctx, t.store, id)
		if err != nil {
			fmt.Fprintf(s.err, "hearth member unsuppress: %v\n", err)
			return 1
		}
		if !lifted {
			fmt.Fprintf(s.err, "hearth member unsuppress: member %q is not on the suppression list in %s.\n", id, t.where)
			return 1
		}
	}
	fmt.Fprintf(s.out, "Lifted the suppression of %s: their events are applied again.\n", id)
	return 0
}
