package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/state"
)

const planUsage = `Usage: hearth plan [options] [DIR]

Compares the communities, channels, roles and pinned house rules of the
configuration with what the platforms have now and with state, and prints
what 'hearth apply' would change: + create, ~ update in place, - destroy,
-/+ replace. Objects changed or deleted outside hearth show up as drift.

Tiers and segments with a role also sync member roles: members in the
state store who are in the tier or segment get the role on the platform,
and those who left it lose it (role_assignment changes), but only where
hearth gave it (apply or hearth run): a role given by hand stays, even
of a role a tier gives, and a member who holds it by hand is not given
it again. One hearth gave and someone removed is given back while the
member qualifies ("was removed outside hearth"). A plan taking more than
25% of the roles hearth gave is refused unless -allow-removals.

The plan also evaluates the member rules against the members in the
state store and shows how members would move ("segment lurkers: +12 -3
(+Ann (u17), Bea (u4), cy, dee, ed and 7 more; -bob, flo, gus)", by name
and id, the id for 'hearth member show ID'; -members lists every member,
one a line, id first; -json lists up to 1000 per move, all with
-members), as the daemon's re-evaluation moves them, with what the moves
set off (incentives, campaigns and rules on tier.changed and
segment.entered or left; what an incentive grants another member, with
grant.to, and what that member's moves set off in turn), rules over
community.* reading the stored community figures, and the waits the
members are in (a qualification window, a grace period or demote_after
under way) holding as the daemon holds them, so a rule reworded moves no
one: segments and tiers entered and left, badges a revoke_when would take or
an incentive award, campaigns entered (an audience's, one entering on
tier.changed) and left, and the campaign runs that would end: as goal
where exit_when holds, as exited where stop_when does (a goal or
stop_when added or loosened ends the runs of everyone it already holds
for; both read each member in the segments, on the tier and without the
badges the new rules give, so a goal of member.tier == 'core' counts
those a lowered threshold takes onto core), as left for members who left
a campaign for current members (members = "current": switched from
"all", it ends their runs), as goal for members in the community in a
win-back (members = "left"), and stopped for a campaign removed from the
files. A change of members starts no run by itself. It reads the
members and changes nothing.

The moves are those of the rules change: the new rules against the
rules in force, as of the same moment. A member with no recheck due
stands where the rules in force leave it now, and is compared now. A
member with a recheck overdue (a replayed history, a daemon stopped) is
out of date: what time does to it with the rules unchanged (a window
ended, a days_since rule turned) is shown apart, under "With the rules
unchanged" ("time_moves" in -json): the daemon makes those moves at its
next recheck whatever the change. hearth keeps no copy of older rules,
so for such a member evaluated under other rules the change is measured
as of its last evaluation (the plan says for how many, and when).
Incentives act only on new events: a change to one grants nothing for
what members did before and moves no stored member; the plan names the
incentives changed since the state last ran (hearth run and hearth
replay record them) and points to 'hearth simulate -events FILE DIR'
for their effect on a history.

-json and a saved plan (-out, then 'hearth show') have it as
"member_impact", with "moved", the number of members the rules change
moves; 'hearth apply' without a saved plan shows it too. Apply does not
move members: the daemon (hearth run) does, as soon as it loads the new
rules (it reloads when a file of its directory is saved), whether or
not apply runs. A plan that changes no platform but moves members says
"No changes to the platforms" and how many members would move.

-refresh-only (or 'hearth drift') reports only what changed outside hearth
since the last apply.

The text names attributes as the configuration does: a community's
description on the platform shows as its purpose.

-destroy plans the removal of everything hearth manages: every object
its state holds (with -target ADDR, that object and what is under it),
deepest first, under prevent_destroy (not the removal share, which
guards against blocks lost by mistake); a community its platform never deletes (a Discord
server, a Telegram group, a Slack workspace, a Discourse forum) is
forgotten, left as it is (". community ID", "forget" in -json). It has
no member impact, and "destroy": true in -json; -out saves it for
'hearth apply FILE'. 'hearth destroy' makes and applies it.

A plan writes nothing: not the state, nor the local platform's file,
which the first apply creates (before it, both read as empty).

-live DIR plans the files of the directory given (a working copy, a
branch) against the live state of DIR, the directory hearth run and
apply use: relative paths in the files (the state's path, the local
platform's file) resolve against DIR, so the plan and its member impact
read what the daemon there has, before it picks the change up. Such a
plan is a preview: -out is refused with it (apply from DIR).

A plan that destroys an object with prevent_destroy, or more than 25%
(-max-removal-share, from 0 for no destroys to 1) of the managed
resources, is refused (the second unless -allow-removals). An empty
sub-community its capacity family no longer needs is removed despite the
prevent_destroy it copies from the community's blocks, which protects
the objects of the community itself; its reason says so.

Exit status: 0 no changes, 1 error, and with -detailed-exitcode 2 when
there are changes (0 otherwise): changes to the platforms, or members
the rules change would move (member_impact.moved above 0), since a rules
change moves them without any apply. A rules change that moves no stored
member exits 0, and so does any with no members stored (the impact
reads the members of the configured state store), a change of
incentives alone, and moves time makes with the rules unchanged
(time_moves): the daemon makes those whatever the change.

-json prints the plan as a versioned document:
  {"format_version": "1.7", "config_hash": ..., "sensitive_check": ...,
   "config": {"dir", "files", "communities"}, "state_serial": N,
   "changes": [{"address", "kind", "action", "platform", "id", "before",
   "after", "changed", "reason"}], "summary": {"add", "change", "destroy", "adopt"},
   "destroy" and "targets" (a -destroy plan), "member_impact": {"members", "moved",
   "moves": [{"kind", "name",
   "enter", "leave", "enter_members": [{"id", "name"}], "leave_members",
   ...}], "time_moved", "time_moves", "overdue", "at_evaluation",
   "list_cap", "incentives": {"changed", "added", "removed"}, ...}}
action is create, adopt, update, delete, replace, forget or no-op: adopt (format
1.7; "<= community" in the text, "N to adopt" in its summary) is a create that
takes what the platform already has (a Slack workspace, a Discourse forum, a
Telegram group as its channel), and apply makes it as a create. Channel and role
settings the platform has no place for (validate warns or refuses) are left out
of its plans. before, after and changed use the platform's attribute names,
which are the configuration's but for a community's description, its block's
purpose (the text plan, drift and 'hearth state show' say purpose). Numbers and booleans
in before and after are JSON numbers and booleans, and a list (a role's
permissions) an array of names. config_hash is a hash of the files and of
the values of the variables that are not sensitive; sensitive_check (only
with sensitive variables) a salted Argon2id hash of the sensitive values,
so that a plan file cannot be used to test a guess at a token quickly.
-out FILE saves that document; 'hearth apply FILE' carries it out if
nothing changed since, a sensitive variable's value included, and also
takes a plan saved by an earlier hearth (format 1.1 with lists as one
string, 1.2, 1.3 with member names in enter_sample and leave_sample).
With -refresh-only, -out saves the drift report, for 'hearth show FILE';
apply refuses it, since it changes nothing. With -json, whatever stops
the plan is printed on stdout as JSON, exit 1, in the document 'hearth
validate -json' prints ("valid": false, "diagnostics" as apply -json's
diagnostic lines have them): an invalid configuration, a state or
platform that does not open, an import block the plan cannot follow
(with its "range" and "snippet"), each refusal of a guard, with the plan
refused as "plan":
  hearth plan -json . | jq -r '.diagnostics[]? | .summary'

An import block is an error at its line, not a no-op, when state already
manages its object at another address (a moved block renames it; 'hearth
state rm' forgets the other address) or binds its address to another
object ('hearth state rm' it first to adopt this one). One whose object
state already has at its address is done, and plans nothing. A moved
block that moves nothing while the plan destroys an object at a near
miss of its from (a slip: channel.chatt for channel.chat) is a warning
naming the address meant.

-target ADDR limits the plan to ADDR, what is under it and what it is in.

-out - writes the saved plan (the same JSON document as -json) to
standard output, to store or send elsewhere, and the plan's text to
standard error.

Examples:
  hearth plan mycommunity
  hearth plan -target community.explorers.channel.welcome mycommunity
  hearth plan -out changes.plan -detailed-exitcode mycommunity
  hearth plan -members mycommunity    # every member each move takes, by id and name
  hearth plan -destroy -out gone.plan mycommunity   # what hearth destroy would do
  hearth plan -json mycommunity | jq -r '.member_impact.moves[] | select(.name == "regular") | .leave_members[].id'
`

const driftUsage = `Usage: hearth drift [options] [DIR]

Reports what changed on the platforms outside hearth since the last
apply: attributes edited by hand and objects deleted, as the values hearth
applied -> the live ones, and member roles hearth gave (for a tier or
segment) that were taken. Attributes in a block's ignore_changes are not
drift. Members holding such a role that hearth did not give them (by
hand) are named in a warning, not as drift: hearth leaves them alone. It
changes nothing. Same as 'hearth plan -refresh-only'. The text names
attributes as the configuration does (a community's purpose); -json
keeps the platform's names (its description).

It also lists, under "Not managed by hearth", the channels and roles in
the communities hearth manages that no block manages (made by hand, or
left by 'hearth state rm'), each with a block and the import block that
adopt it, at an address nothing else has (the name lowercased, other
characters made _: "Off topic" -> off_topic). They are not drift:
they leave -detailed-exitcode at 0, and plan leaves them alone. In
-json they are "unmanaged" (absent when there are none): kind,
platform, community, id, name, to and import.

Exit status: 0 no drift, 1 error, and with -detailed-exitcode 2 when
there is drift (0 otherwise), and 1 when state holds nothing while the
configured communities are on their platforms (nothing was checked: a
missing state, which is no all-clear). -out saves the report for 'hearth show';
'hearth apply' refuses it, since it changes nothing: 'hearth plan' makes
the changes that put the platforms back as the configuration says.
With -json, whatever stops it (an invalid configuration, a state or
platform that does not open) is printed on stdout as 'hearth validate
-json' prints a configuration's errors ("valid": false, "diagnostics"),
exit 1.

Examples:
  hearth drift mycommunity
  hearth drift -detailed-exitcode mycommunity   # in a nightly job: exit 2 when something changed
  hearth drift -json mycommunity | jq '.changes[] | .address'
  hearth drift -json mycommunity | jq -r '.unmanaged[]? | .import'   # import blocks to adopt what hearth does not manage
`

func runDrift(ctx context.Context, s *stdio, args []string) int {
	return planCommand(ctx, s, "drift", driftUsage, args)
}

const applyUsage = `Usage: hearth apply [options] [PLANFILE] [DIR]

Carries out a plan. Without PLANFILE it plans first, shows the plan with
its member impact (how the rules would move the stored members: tiers,
segments, badges, campaign runs, as 'hearth plan' shows it) and, when
the plan changes a platform, asks for confirmation ("yes"), read as one
line from standard input, a terminal or a pipe (echo yes | hearth apply
DIR); only "yes" goes on, anything else or no line at all cancels and
exits 1. -auto-approve skips the question. Apply changes the platforms only: members move when
the daemon (hearth run) loads the new rules, at once when it runs on the
same directory, whether or not apply runs and whatever the answer. So a
plan that only moves members is not asked about: apply says there is
nothing to approve and when the members move, and changes no platform. To
hold a rules change back, keep it out of the daemon's directory; 'hearth
plan -detailed-exitcode' exits 2 for it, for a CI gate. With
PLANFILE (from 'hearth plan -out') it applies exactly that plan, whole,
and refuses it when it was made for another configuration, or the
configuration (a sensitive variable's value included) or state changed
since it was made (it says which). Without DIR, a saved plan applies to
the directory it was made in, if it is still there, else the current
one. -target goes in the 'hearth plan -target ADDR -out FILE' that makes
it. -destroy destroys everything hearth manages instead, as 'hearth
destroy' does (a saved plan of 'hearth plan -destroy -out FILE' applies
the same way, and ends "Destroy complete!").

Apply holds a lock in the state store from before it plans until it is
done; a second apply fails and says who holds it, or with -lock-timeout
waits for it, though not for a holder on this host that is no longer
running ('hearth force-unlock ID' removes a lock left by a crash). Each
change is recorded in state as soon as the platform confirms it, so after
a failure the next plan shows only what is left. Apply stops at the first
failure and says what it applied before it and what it did not attempt. Rate-limited changes
are retried after the wait the platform asks for.

-json prints one JSON object per line on stdout, for CI, and nothing
on stderr; it never asks, so it needs -auto-approve or PLANFILE. Each
has "type", "message" (the text line) and "timestamp":
  version         format_version (of these messages, 1.0), hearth,
                  plan_format_version
  plan            the plan applied, as 'hearth plan -json' prints it
                  (member_impact included), with plan_file and dir
  apply_start     change: {address, kind, action, platform, id}
  apply_retry     rate limited: retry_in_seconds
  apply_complete  change (id: the object's id now), elapsed_seconds
  apply_errored   change, elapsed_seconds, error (secrets redacted)
  diagnostic      diagnostic: {severity, summary, detail, range} as in
                  'hearth validate -json': errors, -target warnings
  change_summary  last, always: outcome (complete, failed, interrupted),
                  summary {add, change, destroy}, failed, not_attempted
The exit status is as without -json: 0 complete, 1 otherwise.

Examples:
  hearth apply mycommunity
  hearth plan -out changes.plan mycommunity && hearth apply changes.plan mycommunity
  hearth apply -auto-approve -lock-timeout 5m mycommunity     # in CI, queue behind another apply
  hearth apply -json -auto-approve mycommunity | jq -c 'select(.type == "apply_errored")'
`

const showUsage = `Usage: hearth show [-json] PLANFILE

Prints a plan saved with 'hearth plan -out', as text or as its JSON
document: the changes, and the member impact as the plan worked it out
when it was made (how the rules would move the stored members then).

Related: unlike terraform show, it does not print the state: 'hearth
state list DIR' and 'hearth state show ADDR DIR' do.

Examples:
  hearth plan -out changes.plan mycommunity && hearth show changes.plan
  hearth show -json changes.plan | jq '.summary'
`

const forceUnlockUsage = `Usage: hearth force-unlock LOCK_ID [DIR]

Removes the apply lock with that id from the state store, after an apply
was killed and left it. Make sure no apply is running first. The id is in
the message of the apply that found the lock, with this command as it
should be typed from where that apply ran (DIR included). It shows who
holds the lock and since when, and whether its process (the pid kept with
the lock) still runs, when it ran on this host: one that does not left a
stale lock; a lock taken on another host, or by a hearth that kept no
pid, cannot be checked from here. It asks for 'yes'
unless -auto-approve is given (read from standard input, a terminal or a
pipe; no line at all cancels), as every hearth command that asks does;
-force, its earlier name, still works.

Related: hearth apply -lock-timeout waits for a lock instead of failing.

Examples:
  hearth force-unlock 5f0c2a9e71b3d480 mycommunity
  hearth force-unlock -auto-approve 5f0c2a9e71b3d480 mycommunity   # in a script
`

// targetFlags collects -target addresses.
type targetFlags []string

func (t *targetFlags) String() string     { return strings.Join(*t, ",") }
func (t *targetFlags) Set(v string) error { *t = append(*t, v); return nil }

// shareFlag is -max-removal-share: a fraction from 0 to 1, nil when
// not given (the default share).
type shareFlag struct{ p *float64 }

func (f *shareFlag) String() string {
	if f.p == nil {
		return ""
	}
	return strconv.FormatFloat(*f.p, 'g', -1, 64)
}

func (f *shareFlag) Set(v string) error {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || !(x >= 0 && x <= 1) {
		return errors.New("must be a fraction from 0 to 1 (0.25 is 25%; 0 allows no destroys)")
	}
	f.p = &x
	return nil
}

// planSession is what plan and apply share: configuration, state and
// open platforms.
type planSession struct {
	cfg     *config.Config
	store   plan.Store
	members plan.Members
	pop     plan.Population // the members and what the member impact reads besides
	conns   plan.Conns
	close   func()
	// errs reports an error that stops plan or apply.
	errs planErrors
	// noState is set when a plan read an empty state because there is
	// none yet (no SQLite file, a PostgreSQL schema without hearth's
	// tables).
	noState *noStateError
}

// openPlanSession opens what plan and apply need. Where there is no state
// yet, a plan (readOnly) reads an empty one rather than create it, and
// opens the platforms to read only: a plan changes nothing, not even the
// directory.
//
// With -json (asJSON), every error is printed on stdout as JSON: an
// invalid configuration as validate -json prints it, a state or platform
// that does not open as a planFailure.
func openPlanSession(ctx context.Context, s *stdio, name, dir string, vf varFlags, readOnly, asJSON bool) (*planSession, bool) {
	cfg, src, ok := loadConfigSrc(s, dir, vf, asJSON)
	if !ok {
		return nil, false
	}
	errs := planErrors{src: src, dir: dir, rd: cfg.Redactor()}
	sess, err := openSession(ctx, cfg, readOnly)
	if err != nil {
		errs.report(s, name, asJSON, err, nil)
		return nil, false
	}
	sess.errs = errs
	return sess, true
}

// openSession opens the state and the platforms of a loaded
// configuration, for openPlanSession.
func openSession(ctx context.Context, cfg *config.Config, readOnly bool) (*planSession, error) {
	var st state.Store
	var noState *noStateError
	if readOnly && errors.As(missingState(cfg, hintApply), &noState) {
		st = state.NewMemory()
	} else if readOnly {
		// A plan reads the state as it is: it creates and migrates
		// nothing (a PR's plan job runs a newer hearth, or with a role
		// that may only SELECT).
		var err error
		st, err = openStoreReadOnly(ctx, cfg, hintApply)
		if errors.As(err, &noState) {
			st, err = state.NewMemory(), nil
		}
		if err != nil {
			return nil, withMissingSecrets(cfg, err)
		}
	} else {
		var err error
		if st, err = openStore(ctx, cfg); err != nil {
			return nil, withMissingSecrets(cfg, err)
		}
	}
	ps, ok := st.(plan.Store)
	if !ok {
		st.Close()
		return nil, fmt.Errorf("the %s state backend cannot hold platform resources", cfg.Settings.State.Backend)
	}
	open := plan.Open
	if readOnly {
		open = plan.OpenReadOnly
	}
	conns, err := open(ctx, registry(), cfg, nil)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &planSession{cfg: cfg, store: ps, members: st.Members, pop: plan.StoredPopulation(st), conns: conns, close: func() { conns.Close(); st.Close() },
		noState: noState}, nil
}

// withMissingSecrets adds to a state store's error the sensitive
// variables that have no value, which may be why it failed.
func withMissingSecrets(cfg *config.Config, err error) error {
	if len(cfg.MissingSecrets) == 0 {
		return err
	}
	return fmt.Errorf("%w (these sensitive variables have no value, which may be why: %s; set them with %sNAME or a -var-file, not -var, which the shell history keeps)",
		err, strings.Join(cfg.MissingSecrets, ", "), config.EnvVarPrefix)
}

func runPlan(ctx context.Context, s *stdio, args []string) int {
	return planCommand(ctx, s, "plan", planUsage, args)
}

// planCommand is hearth plan, and hearth drift (name "drift"), which is
// plan -refresh-only with only the options that mean something for a
// drift report, so that drift -h lists what it takes.
func planCommand(ctx context.Context, s *stdio, name, usage string, args []string) int {
	fs := newFlags(s, name, usage)
	s.registerNoColor(fs)
	drift := name == "drift"
	outDoc := "Save the plan as JSON to `FILE` (mode 0600: it names members), for 'hearth apply FILE' (with -refresh-only, the drift report, for 'hearth show FILE'); \"-\" for standard output, the plan's text then on standard error."
	if drift {
		outDoc = "Save the drift report as JSON to `FILE` (mode 0600), for 'hearth show FILE'; \"-\" for standard output, the report's text then on standard error."
	}
	out := fs.String("out", "", outDoc)
	jsonDoc := "Print the plan as JSON."
	if drift {
		jsonDoc = "Print the drift report as JSON."
	}
	asJSON := fs.Bool("json", false, jsonDoc)
	detailedDoc := "Exit 2 when there are changes: to the platforms, or members the rules change would move (not what time does with the rules unchanged)."
	if drift {
		detailedDoc = "Exit 2 when there is drift; 1 when state holds nothing while the configured communities are on their platforms (a missing state: nothing was checked)."
	}
	detailed := fs.Bool("detailed-exitcode", false, detailedDoc)
	allow, refreshOnly, destroy := new(bool), &drift, new(bool)
	var share shareFlag
	var targets targetFlags
	if !drift {
		destroy = fs.Bool("destroy", false, "Plan the removal of everything hearth manages (what its state holds; with -target, the targets and what is under them), for hearth apply FILE or to review what hearth destroy would do.")
		allow = fs.Bool("allow-removals", false, "Allow a plan that destroys more than 25% of the managed resources.")
		fs.Var(&share, "max-removal-share", "Largest `FRACTION` (0 to 1; 0: no destroys) of the managed resources a plan may destroy without -allow-removals (default 0.25).")
		refreshOnly = fs.Bool("refresh-only", false, "Only report what changed outside hearth since the last apply (drift), as hearth drift does.")
		fs.Var(&targets, "target", "Plan only this `ADDR`, what is under it and what it is in (repeatable; not with -refresh-only).")
	}
	listAll := new(bool)
	if !drift {
		listAll = fs.Bool("members", false, "List every member of each member impact move, one a line, by id and name (without it, the text names 5 per move and -json lists up to 1000).")
	}
	var vf varFlags
	vf.register(fs)
	fs.StringVar(&vf.baseDir, "live", "", "Plan against the state and platform files of the configuration in `DIR` (where hearth run runs): relative paths in the files resolve against DIR. A preview: not with -out.")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	// A drift report covers every managed resource: a -target it
	// ignored would let a reader think the rest was checked and clean.
	mistake := ""
	switch {
	case *refreshOnly && len(targets) > 0:
		mistake = "-target cannot be used with -refresh-only: the drift report covers every managed resource (filter -json with jq instead)"
	case *refreshOnly && *destroy:
		mistake = "-destroy cannot be used with -refresh-only: one plans removals, the other only reports drift"
	case len(pos) > 1:
		mistake = fmt.Sprintf("expected one directory, got %d arguments: %s", len(pos), strings.Join(pos, " "))
	case vf.baseDir != "" && *out != "":
		mistake = "-out cannot be used with -live: a plan of other files against the live state is a preview; apply from the live directory"
	case *out == "-" && *asJSON:
		mistake = "-out - and -json both write the plan's JSON document to standard output: give one of them"
	}
	if mistake != "" {
		// With -json, a usage mistake is an error a program reading
		// stdout must see too, as apply -json reports its own.
		if *asJSON {
			planErrors{}.writeJSON(s, errors.New(mistake), nil)
			return 1
		}
		return argError(s, name, mistake)
	}
	// -out -: the saved document alone on standard output, the text
	// plan and the rest on standard error.
	s, stdout, code, ok := stdoutFlags(s, name, [2]string{"-out", *out})
	if !ok {
		return code
	}
	dir, ok := dirArg(pos, s, name)
	if !ok {
		return 1
	}
	sess, ok := openPlanSession(ctx, s, name, dir, vf, true, *asJSON)
	if !ok {
		return 1
	}
	defer sess.close()
	if sess.noState != nil && sess.cfg.Settings.State.Backend == "postgres" {
		// A SQLite state's file is missing on a first plan; a PostgreSQL
		// database named in the configuration with no state in it may be
		// the wrong one.
		fmt.Fprintf(s.err, "hearth %s: warning: no hearth state yet in %s; reading the state as empty (hearth apply creates it)\n", name, sess.noState.Path)
	}
	var p *plan.Plan
	var err error
	if *refreshOnly {
		p, err = plan.Drift(ctx, sess.cfg, sess.store, sess.conns)
	} else {
		for _, l := range targetWarnings(ctx, sess, targets) {
			fmt.Fprintf(s.err, "hearth %s: %s\n", name, l)
		}
		p, err = plan.Make(ctx, sess.cfg, sess.store, sess.conns, plan.Options{AllowRemovals: *allow, MaxRemovalShare: share.p, Targets: targets, Members: sess.members, Destroy: *destroy})
		// A destroy changes no rule: the members stay where the rules
		// in force put them, so there is no member impact to show.
		if !*destroy && !addMemberImpact(ctx, s, name, sess, p, *listAll, *asJSON) {
			return 1
		}
	}
	for _, w := range missingLocalFiles(ctx, sess) {
		fmt.Fprintf(s.err, "hearth %s: %s\n", name, w)
	}
	if p != nil && !*asJSON {
		writePlanText(s, p)
	}
	if err != nil {
		// A refused plan comes with the plan (printed above as text),
		// which -json puts beside the error.
		sess.errs.report(s, name, *asJSON, err, p)
		return 1
	}
	// The file first, so that with -json stdout holds one document: the
	// plan, or the error that kept it from being saved.
	if *out != "" {
		if err := savePlan(*out, stdout, p); err != nil {
			sess.errs.report(s, name, *asJSON, err, nil)
			return 1
		}
	}
	if *asJSON {
		if err := p.WriteJSON(s.out); err != nil {
			fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
			return 1
		}
	}
	if *out != "" {
		switch {
		case *asJSON:
		case stdout != nil && *refreshOnly:
			fmt.Fprintln(s.out, "\nWrote the drift report to standard output.")
		case stdout != nil:
			fmt.Fprintf(s.out, "\nWrote the plan to standard output. Saved to a FILE, it applies exactly with: hearth apply FILE %s\n", dir)
		case *refreshOnly:
			// apply refuses a drift report: it changes nothing.
			fmt.Fprintf(s.out, "\nSaved the drift report to %s. Read it again with: hearth show %s (it cannot be applied; hearth plan makes the changes to apply)\n", *out, *out)
		default:
			fmt.Fprintf(s.out, "\nSaved the plan to %s. Apply exactly this plan with: hearth apply %s %s\n", *out, *out, dir)
		}
	}
	// Members the new rules would move are changes too, though the
	// daemon makes them, not apply: a CI gate on -detailed-exitcode must
	// not pass a rules change that demotes 300 members as "no changes".
	// What time does with the rules unchanged is not: the daemon does
	// it whatever the change.
	if *detailed && (p.HasChanges() || p.MovesMembers()) {
		return 2
	}
	// A drift report that compared nothing is no all-clear: a CI gate
	// must not read "no drift" from a missing state.
	if *detailed && len(p.Unadopted) > 0 {
		fmt.Fprintf(s.err, "hearth %s: exit 1 (-detailed-exitcode): state holds nothing, yet the configured communities are on their platforms, so no drift was checked\n", name)
		return 1
	}
	return 0
}

// addMemberImpact works out how the stored members would move under the
// configuration and puts it in p (nil: nothing to do), for plan. Rules
// are not applied by apply but by the runtime as events come; still, a
// plan is where people review a rule change, and apply's is what they
// approve, so it shows how the stored members would move. It reports
// false, having said why, when the members cannot be read.
func addMemberImpact(ctx context.Context, s *stdio, name string, sess *planSession, p *plan.Plan, listAll, asJSON bool) bool {
	if p == nil {
		return true
	}
	im, err := memberImpact(ctx, s, sess, listAll)
	if err != nil {
		sess.errs.report(s, name, asJSON, fmt.Errorf("member impact: %w", err), nil)
		return false
	}
	p.MemberImpact = im
	return true
}

// memberImpact is the member impact of a plan, for plan and apply, with
// every member of each move listed (listAll, plan -members) or the
// first plan.DefaultList. It is worked out for every configuration,
// since removing the last segment, tier or campaign moves members too,
// and kept (not nil) where the configuration has such rules, something
// moves, or a change of incentives has something to say.
func memberImpact(ctx context.Context, s *stdio, sess *planSession, listAll bool) (*plan.Impact, error) {
	opt := plan.ImpactOptions{Now: s.clock()}
	if listAll {
		opt.List = -1
	}
	im, err := plan.MemberImpact(ctx, sess.cfg, sess.pop, opt)
	if err != nil {
		return nil, err
	}
	if plan.HasMemberRules(sess.cfg) || len(im.Moves) > 0 || len(im.TimeMoves) > 0 || im.Incentives.Says(im.Members) {
		return im, nil
	}
	return nil, nil
}

// savePlan writes p to path, or to stdout for "-" (stdoutFlags).
func savePlan(path string, stdout io.Writer, p *plan.Plan) error {
	f, err := createOutput(path, stdout)
	if err != nil {
		return err
	}
	if err := p.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func loadPlan(path string) (*plan.Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := plan.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

func runShow(_ context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "show", showUsage)
	s.registerNoColor(fs)
	asJSON := fs.Bool("json", false, "Print the plan's JSON document.")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return argError(s, "show", "expected one plan file")
	}
	// terraform show with no plan shows the state; here a directory gets
	// a pointer to the commands that do.
	if fi, err := os.Stat(pos[0]); err == nil && fi.IsDir() {
		fmt.Fprintf(s.err, "hearth show: %s is a directory, not a plan file: show prints a plan saved with hearth plan -out FILE; hearth state list %s lists what state manages\n", pos[0], pos[0])
		return 1
	}
	p, err := loadPlan(pos[0])
	if err != nil {
		fmt.Fprintf(s.err, "hearth show: %v\n", err)
		return 1
	}
	if *asJSON {
		err = p.WriteJSON(s.out)
	} else {
		err = writePlanText(s, p)
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth show: %v\n", err)
		return 1
	}
	return 0
}

// writePlanText writes a plan as text, with its member impact when it
// has one: plan and show print the same, so a saved plan reads as it was
// reviewed.
func writePlanText(s *stdio, p *plan.Plan) error {
	return p.WriteText(s.out, s.color(s.outTTY))
}

func runApply(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "apply", applyUsage)
	s.registerNoColor(fs)
	auto := autoApprove(fs, "Apply without asking for confirmation (else the answer is read from standard input, a terminal or a pipe; a plan file is applied without asking).")
	allow := fs.Bool("allow-removals", false, "Allow a plan that destroys more than 25% of the managed resources.")
	var share shareFlag
	fs.Var(&share, "max-removal-share", "Largest `FRACTION` (0 to 1; 0: no destroys) of the managed resources a plan may destroy without -allow-removals (default 0.25).")
	lockWait := fs.Duration("lock-timeout", 0, "Wait up to `DURATION` (e.g. 2m) for the state lock while another apply holds it; 0 fails at once, and so does a lock whose holder ran on this host and is no longer running (stale).")
	asJSON := fs.Bool("json", false, "Print one JSON object per line on stdout: the plan, each change's start and outcome, diagnostics, a change summary (needs -auto-approve or PLANFILE).")
	destroy := fs.Bool("destroy", false, "Destroy everything hearth manages instead, as hearth destroy does.")
	var targets targetFlags
	fs.Var(&targets, "target", "Apply only this `ADDR`, what is under it and what it is in (repeatable).")
	var vf varFlags
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	v := newApplyView(s, *asJSON)
	code = apply(ctx, v, pos, applyFlags{auto: *auto, allow: *allow, share: share.p, lockWait: *lockWait, targets: targets, vars: vf, destroy: *destroy})
	v.close(code)
	return code
}

const destroyUsage = `Usage: hearth destroy [options] [DIR]

Destroys everything hearth manages for the configuration in DIR: every
community, channel, role and pinned house rules its state holds (with
-target ADDR, that object and what is under it, not what it is in),
what is in an object before the object, as 'hearth apply' destroys the
objects of blocks taken out of the files. The files are left as they
are, so the next 'hearth apply' makes it all again. It is 'hearth apply
-destroy'; 'hearth plan -destroy' shows the same plan and, with -out
FILE, saves it for 'hearth apply FILE'.

It prints the plan first and asks for confirmation ("yes", read from
standard input, a terminal or a pipe; anything else, or no line at all,
cancels); -auto-approve skips the question, as CI needs. It holds the state lock as apply does
(-lock-timeout waits for another apply), records each removal in state
as the platform confirms it, and stops at the first failure; 'hearth
plan -destroy' then shows what is left.

What hearth removes is what its state holds, as for any removal:
objects it made, and objects adopted with an import block or 'hearth
state import' (to keep one, 'hearth state rm ADDR' it first, or set
prevent_destroy). Objects never in state (made by hand and not
imported) are not touched, nor member roles given by hand; an import
block not yet applied adopts nothing here. A community its platform
never deletes (a Discord server, a Telegram group, a Slack workspace, a
Discourse forum: hearth adopts them, it cannot make them) is forgotten,
taken out of state and left as it is, once what hearth made in it is
destroyed (". community ID" in the plan, "forget" in -json).

prevent_destroy holds as for any removal: an object with it (as last
applied, or set in its block now), or a community holding one, is
refused (set prevent_destroy = false and apply first). The removal
share (-max-removal-share, -allow-removals) does not: it guards against
blocks lost by mistake, and a destroy asks for its removals by name.

-json prints what apply -json prints (it needs -auto-approve); the plan
message has "destroy": true, and the changes the action "delete", or
"forget" for what is left on its platform. Exit status: 0 when
everything was destroyed (or there was nothing to destroy), 1 otherwise.

Examples:
  hearth plan -destroy mycommunity                    # review it first
  hearth destroy mycommunity
  hearth destroy -auto-approve mycommunity         # in a script or CI
  hearth destroy -target community.explorers.channel.welcome mycommunity
  hearth plan -destroy -out gone.plan mycommunity && hearth apply gone.plan mycommunity
`

func runDestroy(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "destroy", destroyUsage)
	s.registerNoColor(fs)
	auto := autoApprove(fs, "Destroy without asking for confirmation (else the answer is read from standard input, a terminal or a pipe).")
	allow := fs.Bool("allow-removals", false, "Accepted for scripts written for older versions; a destroy is not held to the removal share.")
	var share shareFlag
	fs.Var(&share, "max-removal-share", "Largest `FRACTION` (0 to 1; 0: no destroys) of the managed resources a plan may destroy without -allow-removals (default 0.25).")
	lockWait := fs.Duration("lock-timeout", 0, "Wait up to `DURATION` (e.g. 2m) for the state lock while another apply holds it; 0 fails at once, and so does a lock whose holder ran on this host and is no longer running (stale).")
	asJSON := fs.Bool("json", false, "Print one JSON object per line on stdout, as hearth apply -json does (needs -auto-approve).")
	var targets targetFlags
	fs.Var(&targets, "target", "Destroy only this `ADDR` and what is under it (repeatable).")
	var vf varFlags
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	// A destroy takes no saved plan: 'hearth apply FILE' applies one
	// made with plan -destroy -out FILE.
	if len(pos) > 1 {
		if *asJSON {
			newApplyView(s, true).failf("expected one directory, got %d arguments: %s", len(pos), strings.Join(pos, " "))
			return 1
		}
		return argError(s, "destroy", fmt.Sprintf("expected one directory, got %d arguments: %s", len(pos), strings.Join(pos, " ")))
	}
	if len(pos) == 1 {
		if fi, err := os.Stat(pos[0]); err == nil && !fi.IsDir() {
			return argError(s, "destroy", fmt.Sprintf("%s is a file, not a configuration directory: a saved plan (hearth plan -destroy -out FILE) is applied with hearth apply %s", pos[0], pos[0]))
		}
	}
	v := newApplyView(s, *asJSON)
	v.name = "destroy"
	code = apply(ctx, v, pos, applyFlags{auto: *auto, allow: *allow, share: share.p, lockWait: *lockWait, targets: targets, vars: vf, destroy: true})
	v.close(code)
	return code
}

// applyFlags are hearth apply's options.
type applyFlags struct {
	auto, allow bool
	share       *float64
	lockWait    time.Duration
	targets     []string
	vars        varFlags
	// destroy plans the removal of everything state holds (hearth
	// destroy, apply -destroy).
	destroy bool
}

// apply is hearth apply once its flags are parsed: everything it says
// goes through v, as text or as -json messages.
func apply(ctx context.Context, v *applyView, pos []string, f applyFlags) int {
	s := v.s
	planFile, dir := "", "."
	switch len(pos) {
	case 0:
	case 1:
		fi, err := os.Stat(pos[0])
		switch {
		case v.name == "destroy": // takes no plan file
			dir = pos[0]
		case errors.Is(err, os.ErrNotExist):
			// Either could be meant; naming only the directory would
			// hide a mistyped plan file.
			v.failf("%s: no such plan file or configuration directory", pos[0])
			return 1
		case err == nil && !fi.IsDir():
			planFile = pos[0]
		default:
			dir = pos[0]
		}
	case 2:
		planFile, dir = pos[0], pos[1]
		// hearth apply . p.plan: the order of Terraform's -chdir habits,
		// which would read the directory as a plan file.
		if fi, err := os.Stat(planFile); err == nil && fi.IsDir() {
			if fi2, err := os.Stat(dir); err == nil && !fi2.IsDir() {
				v.failf("%s is a directory and %s a file: the plan file comes first (hearth apply %s %s)", planFile, dir, state.ShellWord(dir), state.ShellWord(planFile))
				return 1
			}
		}
	default:
		if v.json() {
			v.failf("expected [PLANFILE] [DIR], got %d arguments: %s", len(pos), strings.Join(pos, " "))
			return 1
		}
		return argError(s, "apply", fmt.Sprintf("expected [PLANFILE] [DIR], got %d arguments: %s", len(pos), strings.Join(pos, " ")))
	}
	// A program reading -json cannot answer a question: Terraform
	// requires the same.
	if v.json() && v.name == "destroy" && !f.auto {
		v.failf("-json needs -auto-approve\nhearth cannot ask for confirmation while it prints JSON: pass -auto-approve, or save the plan (hearth plan -destroy -out FILE) and apply it (hearth apply -json FILE).")
		return 1
	}
	if v.json() && planFile == "" && !f.auto {
		v.failf("-json needs -auto-approve or a saved plan\nhearth cannot ask for confirmation while it prints JSON: pass -auto-approve, or apply a saved plan (hearth plan -out FILE, then hearth apply -json FILE).")
		return 1
	}
	// A saved plan is applied whole, as reviewed: targeting it afterwards
	// would apply something nobody saw.
	if planFile != "" && len(f.targets) > 0 {
		v.failf("-target cannot be used with a saved plan (%s), which is applied whole; make a targeted plan instead: hearth plan -target ADDR -out FILE", planFile)
		return 1
	}
	if planFile != "" && f.destroy {
		v.failf("-destroy cannot be used with a saved plan (%s), which is applied as it was made; make a destroy plan instead: hearth plan -destroy -out FILE", planFile)
		return 1
	}
	var p *plan.Plan
	var err error
	// above says something is on stdout above the progress, which a
	// blank line then sets apart: the plan, or where a saved one goes.
	above := planFile == ""
	if planFile != "" {
		if p, err = loadPlan(planFile); err != nil {
			v.fail(err)
			return 1
		}
		if len(pos) == 1 {
			var note string
			if dir, note = planDir(p, planFile); note != "" && !v.json() {
				fmt.Fprintln(s.out, note)
				above = true
			}
		}
		v.destroy = p.Destroy
	}
	if f.destroy {
		v.destroy = true
	}
	var sess *planSession
	if v.json() {
		cfg, src, diags := config.Load(dir, f.vars.options(s))
		if cfg != nil {
			v.redact = cfg.Redactor()
		}
		v.src, v.dir = src, dir
		if !v.configDiagnostics(src, diags, dir) {
			return 1
		}
		if sess, err = openSession(ctx, cfg, false); err != nil {
			v.fail(err)
			return 1
		}
	} else {
		var ok bool
		if sess, ok = openPlanSession(ctx, s, v.name, dir, f.vars, false, false); !ok {
			return 1
		}
		v.redact, v.src, v.dir = sess.errs.rd, sess.errs.src, dir
	}
	defer sess.close()
	held := ""
	if planFile == "" {
		// Plan and apply under one lock, so a second apply waits (or
		// fails) before planning rather than applying a plan the first
		// one made stale.
		lockID, lerr := plan.Lock(ctx, sess.store, plan.LockOptions{Who: who(s), Wait: f.lockWait, Holder: localHolder})
		if lerr != nil {
			v.fail(lockedIn(lerr, dir))
			return 1
		}
		defer sess.store.Unlock(context.WithoutCancel(ctx), lockID)
		held = lockID
		v.notes(targetWarnings(ctx, sess, f.targets))
		p, err = plan.Make(ctx, sess.cfg, sess.store, sess.conns, plan.Options{AllowRemovals: f.allow, MaxRemovalShare: f.share, Targets: f.targets, Members: sess.members, Destroy: f.destroy})
		// The plan to approve shows the member impact as hearth plan
		// does, and says that the daemon, not apply, moves them: "yes"
		// or "no" to the platform changes holds back no member's move.
		// A destroy changes no rule, and has none.
		if p != nil && f.destroy {
			v.plan(p, "", dir)
		} else if p != nil {
			im, ierr := memberImpact(ctx, s, sess, false)
			if ierr != nil {
				v.failf("member impact: %v", ierr)
				return 1
			}
			p.MemberImpact = im
			v.plan(p, "", dir)
		}
		if err != nil {
			v.fail(err)
			return 1
		}
		if p.MovesMembers() && !v.json() {
			fmt.Fprintf(s.out, "\n%s\n", membersNote(p))
		}
		// A plan that only moves members is not asked about: apply does
		// nothing with it, so a "no" would hold nothing back.
		if p.HasChanges() && !f.auto {
			saved := "hearth plan -out FILE"
			question := "Do you want to perform these actions? Only 'yes' will be accepted."
			if f.destroy {
				saved = "hearth plan -destroy -out FILE"
				question = "Do you really want to destroy " + p.DestroyWhat() + ", as shown above? There is no undo. Only 'yes' will be accepted."
			}
			if !confirm(ctx, s, v.name, question, "nothing was changed", fmt.Sprintf(", apply a saved plan (%s, then hearth apply FILE)", saved)) {
				return 1
			}
		}
	} else if v.json() {
		v.plan(p, planFile, dir)
	}
	opts := plan.ApplyOptions{Config: sess.cfg, Who: who(s), HeldLock: held, LockWait: f.lockWait, LockHolder: localHolder}
	switch {
	case v.json():
		opts.Events = v.event
	case above:
		// The blank line before the progress comes with its first line:
		// a plan refused as stale or locked prints nothing more on
		// stdout.
		opts.Progress = &blankFirst{w: s.out}
	default:
		// A saved plan's progress is the first thing on stdout.
		opts.Progress = s.out
	}
	res, err := plan.Apply(ctx, p, sess.store, sess.conns, opts)
	v.applied(res, err, planFile, dir)
	if err != nil {
		return 1
	}
	return 0
}

// membersNote is what apply says under a plan whose rules move members:
// that apply does not move them, so neither its question nor its
// absence holds them back, and when they do move.
func membersNote(p *plan.Plan) string {
	lead := "Apply changes the platforms only"
	if !p.HasChanges() {
		lead = "Nothing to approve: apply changes the platforms only, and they match"
	}
	return lead + ". hearth run moves the members above when it loads these rules, whether or not apply runs: at once if it runs on this directory (it reloads when a file is saved), else at its next reload (SIGHUP, POST /v1/reload) or start."
}

// lockedIn gives a lock error the configuration directory, so the
// force-unlock command it suggests names it: typed as shown from where
// apply ran, it then finds the same state. It also says whether the
// holder's process still runs, when it ran on this host.
func lockedIn(err error, dir string) error {
	var locked *state.LockedError
	if errors.As(err, &locked) {
		locked.Dir = dir
		if locked.Status == state.HolderUnchecked {
			locked.Status = localHolder(locked.Holder)
		}
	}
	return err
}

// localHolder is what this host can find out about a lock's holder
// (plan.LockOptions.Holder).
func localHolder(h state.LockInfo) state.HolderStatus {
	return holderStatus(h, hostname(), processRuns)
}

// blankFirst writes a blank line before the first thing written to w.
type blankFirst struct {
	w       io.Writer
	started bool
}

func (b *blankFirst) Write(p []byte) (int, error) {
	if !b.started && len(p) > 0 {
		b.started = true
		if _, err := io.WriteString(b.w, "\n"); err != nil {
			return 0, err
		}
	}
	return b.w.Write(p)
}

// targetWarnings are what plan and apply say (on stderr) when -target
// is in effect, as Terraform does: a warning naming each target that is
// in neither the configuration nor state, which would otherwise plan
// "No changes" without a word, and a note that -target is in effect.
func targetWarnings(ctx context.Context, sess *planSession, targets []string) []string {
	if len(targets) == 0 {
		return nil
	}
	var known []string
	if desired, err := plan.DesiredObjects(sess.cfg); err == nil {
		for _, d := range desired {
			known = append(known, d.Address)
		}
	}
	if resources, _, err := sess.store.Resources(ctx); err == nil {
		for _, r := range resources {
			known = append(known, r.Address)
		}
	}
	var out []string
	for _, t := range targets {
		found := false
		for _, k := range known {
			if k == t || strings.HasPrefix(k, t+".") {
				found = true
				break
			}
		}
		if !found {
			out = append(out, fmt.Sprintf("warning: -target %s matches nothing in the configuration or state.%s", t, didYouMean(t, known)))
		}
	}
	return append(out, "note: -target is in effect, so the plan may leave out changes that the targeted objects need or that go with them; use it for exceptional cases, not routinely.")
}

// who names this apply in the lock, for the message another apply gets.
func who(s *stdio) string {
	name, _ := s.lookupEnv("USER")
	return whoName(name, user.Current, os.Getuid()) + "@" + hostname()
}

// whoName is the user for the lock: $USER, else the account's name (in
// a container running as root $USER is often unset), else the uid.
func whoName(env string, current func() (*user.User, error), uid int) string {
	if env != "" {
		return env
	}
	if u, err := current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + strconv.Itoa(uid)
}

// unknownHost stands in for a hostname the system does not give: two
// hosts may both be it, so a lock's holder there is never looked for.
const unknownHost = "unknown-host"

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return unknownHost
	}
	return h
}

func runForceUnlock(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "force-unlock", forceUnlockUsage)
	force := autoApprove(fs, "Remove the lock without asking for confirmation (else the answer is read from standard input, a terminal or a pipe).", "force")
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	pos, dir, ok := leadArgs(s, "force-unlock", pos, "LOCK_ID", "the lock id, which the apply that found the lock printed,")
	if !ok {
		return 1
	}
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return 1
	}
	if err := missingState(cfg, hintApply); err != nil {
		fmt.Fprintf(s.err, "hearth force-unlock: there is no state yet at %s, so nothing is locked\n", cfg.Settings.State.Path)
		return 1
	}
	st, ok := openStoreFor(ctx, s, cfg, "force-unlock")
	if !ok {
		return 1
	}
	defer st.Close()
	ps, ok := st.(plan.Store)
	if !ok {
		fmt.Fprintf(s.err, "hearth force-unlock: the %s state backend has no locks\n", cfg.Settings.State.Backend)
		return 1
	}
	if !*force {
		// Who holds it, as Terraform shows: a probe lock fails naming the
		// holder, or takes the free lock and gives it straight back.
		probe := state.LockInfo{ID: "force-unlock-probe", Who: who(s), When: time.Now().UTC()}
		var locked *state.LockedError
		err := ps.Lock(ctx, probe)
		switch {
		case err == nil:
			_ = ps.Unlock(ctx, probe.ID)
			fmt.Fprintf(s.err, "hearth force-unlock: the state is not locked with id %q (it is not locked at all)\n", pos[0])
			return 1
		case errors.As(err, &locked) && locked.Holder.ID != pos[0]:
			fmt.Fprintf(s.err, "hearth force-unlock: the state is not locked with id %q; it is locked by %s since %s with id %s\n",
				pos[0], locked.Holder.Who, locked.Holder.When.UTC().Format(time.RFC3339), locked.Holder.ID)
			return 1
		case errors.As(err, &locked):
			fmt.Fprintf(s.out, "The state is locked by %s since %s (lock id %s).\n%s\n",
				locked.Holder.Who, locked.Holder.When.UTC().Format(time.RFC3339), locked.Holder.ID,
				unlockRisk(locked.Holder, holderStatus(locked.Holder, hostname(), processRuns)))
			if !confirm(ctx, s, "force-unlock", "Do you really want to force-unlock? Only 'yes' will be accepted.", "the lock stays", "") {
				return 1
			}
		default:
			fmt.Fprintf(s.err, "hearth force-unlock: %v\n", err)
			return 1
		}
	}
	if err := ps.Unlock(ctx, pos[0]); err != nil {
		if errors.Is(err, state.ErrNotLocked) {
			fmt.Fprintf(s.err, "hearth force-unlock: the state is not locked with id %q\n", pos[0])
		} else {
			fmt.Fprintf(s.err, "hearth force-unlock: %v\n", err)
		}
		return 1
	}
	fmt.Fprintf(s.out, "Removed lock %s. Another apply may run now.\n", pos[0])
	return 0
}

// readAnswer reads one line of in, the answer to a prompt, or gives up
// when ctx is done: Ctrl-C at "Enter a value:" must end the command (and
// release the lock apply holds while it asks), not wait for a line that
// never comes. The reading goroutine is left blocked on the terminal;
// the command is about to return. An input that ends before any
// character is io.EOF; a last line without its newline ("printf yes")
// is an answer.
func readAnswer(ctx context.Context, in io.Reader) (string, error) {
	type read struct {
		line string
		err  error
	}
	line := make(chan read, 1)
	go func() {
		l, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && l != "" {
			err = nil
		}
		line <- read{l, err}
	}()
	select {
	case l := <-line:
		if l.err != nil {
			return "", l.err
		}
		return strings.TrimSpace(l.line), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// planDir is the configuration a saved plan applies to when no DIR is
// given: the directory it was made in, when that is still there and is
// not the current one (a plan made with 'hearth plan -out p.plan site'
// is applied with 'hearth apply p.plan'), else the current directory.
// note, when not empty, is what apply says about it: that it is the
// plan's directory, or why it is the current one when the plan's is
// gone.
func planDir(p *plan.Plan, planFile string) (dir, note string) {
	if p.Source == nil || p.Source.Dir == "" {
		return ".", ""
	}
	if fi, err := os.Stat(p.Source.Dir); err != nil || !fi.IsDir() {
		// A CI job that planned in one checkout and applies in another:
		// say which configuration is used, and why, rather than fall
		// back silently. The configuration check still refuses one that
		// is not the plan's.
		cwd, _ := filepath.Abs(".")
		return ".", fmt.Sprintf("Applying %s to the configuration in the current directory, %s: the directory it was made in, %s, no longer exists. Give the directory after the plan file to choose another (hearth apply %s DIR).",
			planFile, cwd, p.Source.Dir, planFile)
	}
	if cwd, err := filepath.Abs("."); err == nil && cwd == p.Source.Dir {
		return ".", ""
	}
	return p.Source.Dir, fmt.Sprintf("Applying %s to the configuration it was made for, in %s.", planFile, p.Source.Dir)
}

// missingLocalFiles warns of local platforms whose file does not exist
// while state records objects on them: every one of those then reads as
// deleted outside hearth, which is what a plan from another directory
// than the daemon's shows, the file's path being relative to the
// configuration's directory.
func missingLocalFiles(ctx context.Context, sess *planSession) []string {
	var out []string
	for _, p := range sess.cfg.Platforms {
		if p.Type != "local" {
			continue
		}
		path := local.DefaultPath
		if v, ok := p.Settings["path"]; ok && v.IsKnown() && !v.IsNull() && !v.IsMarked() && v.Type() == cty.String {
			path = v.AsString()
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(sess.cfg.PathsDir(), path)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		addr := "platform.local." + p.Name
		rs, _, err := sess.store.Resources(ctx)
		if err != nil || !slices.ContainsFunc(rs, func(r state.Resource) bool { return r.Platform == addr }) {
			continue
		}
		out = append(out, fmt.Sprintf("%s's file %s does not exist, so every object state records on it reads as deleted outside hearth. Its path is relative to the configuration's directory: to plan these files against the state of the directory hearth run uses, give it with -live DIR.", addr, path))
	}
	return out
}
