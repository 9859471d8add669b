package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/textwidth"
)

const stateUsage = `Usage: hearth state list|show|rm|mv|import|prune|backup|restore [options] ... [DIR]

Inspects and edits the platform resources hearth manages, prunes the
event ids, outcome history and finished outbox entries that the state
keeps, and backs the state up and restores it.

  hearth state list [DIR]             every managed address with its platform
                                      id, and the records of the member roles
                                      hearth gave (kind role_grant, at
                                      ROLE.member.MEMBER, after their role)
  hearth state show ADDR [DIR]        one resource: id, platform, last applied
                                      attributes; or one role record
  hearth state rm ADDR [DIR]          stop managing ADDR and what is under it
                                      (a role's records too); the platform
                                      objects stay as they are; a role
                                      record's address forgets that record:
                                      the member keeps the role, counted as
                                      given by hand; -dry-run prints what
                                      would be removed
  hearth state mv FROM TO [DIR]       rename an address (and what is under it)
                                      so a renamed block keeps its platform
                                      object; -dry-run prints what would move;
                                      a TO with no block in the configuration
                                      is warned of (the next plan would remove
                                      it), with the nearest address it has
  hearth state import ADDR ID [DIR]   adopt the existing platform object ID (a
                                      channel or role made by hand) as ADDR,
                                      whose block must be in the configuration;
                                      run again with the same ADDR and ID, it
                                      does nothing and says so (exit 0); an
                                      ADDR state binds to another object is
                                      refused: resource already managed

  hearth state prune [DIR]            forget event ids older than
                                      event_id_retention plus an hour,
                                      outcomes older than outcome_retention,
                                      and sent, dead and skipped outbox
                                      entries that finished longer ago than
                                      outbox_retention (90d unless set;
                                      pending ones stay)
                                      (hearth { state { ... } }); -dry-run says
                                      what would go, changing nothing

  hearth state backup OUT [DIR]       write a consistent copy of the SQLite
                                      state to the new file OUT (-force to
                                      replace it; -out OUT names it too, as
                                      in import and plan), while hearth run
                                      serves it or not; -url URL asks a
                                      daemon elsewhere; OUT "-" is standard
                                      output (| gzip), never a terminal
  hearth state backup -check FILE     check that FILE is a whole hearth state
                                      this hearth can open, before relying on
                                      it (-json: what it holds, or why not)
  hearth state restore BACKUP [DIR]   put a copy of BACKUP in place of the
                                      SQLite state, hearth run stopped: shows
                                      both, asks for 'yes' (-auto-approve in
                                      scripts), moves every old state file
                                      aside into a folder next to it
  hearth state restore -undo [DIR]    put back the state the latest restore
                                      moved aside, moving the one there now
                                      aside the same way (so -undo again
                                      undoes the undo); asks as restore does

rm, mv and import take the apply lock (a dry run takes none). -json
prints list, show and prune as JSON, attribute values typed as in plan
-json (numbers, booleans, and a list such as a role's permissions as an
array; attributes by the platform's names, where show's text says what
the configuration says: a community's description is its purpose; list's "role_grants": address, platform, community, role, member,
at), and backup -check's result: "valid", then file, bytes,
schema_version, current_schema_version, migrates, members, event_ids,
newest_event, outbox, outcomes and resources, or "valid": false and
"error" (exit 1). The other verbs refuse -json. Only import needs variable values: the others read no more of the
configuration than where state lives.

hearth run prunes by itself every hour; state prune is for state no daemon
serves (a SQLite file while hearth run is stopped, or PostgreSQL at any
time). After event ids are forgotten, events from before the cut are
refused (hearth run answers 422, replay counts them as too old): hearth
could no longer tell them apart from events already applied.

While hearth run serves a SQLite state, backup asks it for the copy
(POST /v1/state/backup, with HEARTH_API_TOKEN as the bearer token) and
events go on being applied; with none, backup holds the state lock and
copies the file itself. Copying state.db by hand while a daemon runs can
tear: recent commits are in its -wal and journal files. The copy is
checked before it is written to OUT. With OUT "-" it goes to standard
output once checked (made next to the state first, or with -url in the
temporary directory) and the summary to standard error; a terminal is
refused, the file being binary. For PostgreSQL state, backup says how
to use pg_dump.

restore refuses while hearth run or another command holds the state,
and a BACKUP that fails the -check. It shows what the state and the
backup hold and asks for 'yes', read from standard input, a terminal or
a pipe (anything else, no answer or Ctrl-C cancels, changing nothing);
a script passes -auto-approve. It then moves
state.db and all that goes with it (-wal, -shm and the journal's
-batches files, which would otherwise be read into the restored state)
into state.db.before-restore-TIME next to it, deleting nothing, places
a copy of BACKUP (which is only read), and opens it once to prove it;
if any step fails, the old files are put back. A hidden copy
(.state.db.restore-*.tmp) left by a restore killed part way is removed,
and said so. Start hearth run after it: events applied after the backup
was made are sent again by the platforms or hearth replay, and those it
holds are skipped by their ids.

restore -undo puts back, as they were, the files of the newest
state.db.before-restore-TIME folder, after moving the state there now
into a new such folder, and removes the emptied one. It refuses and
asks as restore does, and refuses a folder holding files that are not
the state's. Events applied since the restore are not in the state put
back: send them again, as after a restore.
For PostgreSQL state, restore says how to use pg_restore.

Examples:
  hearth state list mycommunity
  hearth state show community.explorers.channel.welcome mycommunity
  hearth state mv -dry-run community.explorers.channel.general community.explorers.channel.lobby mycommunity
  hearth state import community.explorers.role.core 1122334455 mycommunity
  hearth state prune -dry-run mycommunity
  hearth state backup backups/hearth-2026-11-24.db mycommunity
  hearth state backup -out backups/hearth-2026-11-24.db mycommunity
  hearth state backup -out - mycommunity | gzip > backups/hearth-2026-11-24.db.gz
  hearth state backup -check backups/hearth-2026-11-24.db
  hearth state backup -check -json backups/hearth-2026-11-24.db | jq .members
  hearth state restore backups/hearth-2026-11-24.db mycommunity
  hearth state restore -auto-approve backups/hearth-2026-11-24.db /etc/hearth   # in a script
  hearth state restore -undo mycommunity
`

func runState(ctx context.Context, s *stdio, args []string) int {
	return runStateAs(ctx, s, "state", args)
}

// runStateAs is hearth state run as "hearth GROUP VERB": "hearth import
// ADDR ID" is state import, and its messages should name the command the
// user typed.
func runStateAs(ctx context.Context, s *stdio, group string, args []string) int {
	// Each verb's arguments before DIR, and what they are.
	type argForm struct{ form, what string }
	verbs := map[string]argForm{
		"list":    {},
		"show":    {"ADDR", "the resource's address, which hearth state list shows,"},
		"rm":      {"ADDR", "the resource's address, which hearth state list shows,"},
		"mv":      {"FROM TO", "the address to move and the new one"},
		"import":  {"ADDR ID", "the block's address and the platform object's id"},
		"prune":   {},
		"backup":  {"OUT", "the file to write the backup to"},
		"restore": {"BACKUP", "the backup file to restore"},
	}
	if len(args) == 0 || isHelp(args[0]) {
		return groupUsage(s, args, stateUsage)
	}
	verb := args[0]
	want, ok := verbs[verb]
	if !ok {
		return unknownVerb(s, "state", verb, []string{"list", "show", "rm", "mv", "import", "prune", "backup", "restore"}, stateUsage)
	}
	cmd := verb
	if group != "" {
		cmd = group + " " + verb
	}
	fs := newFlags(s, cmd, stateUsage)
	asJSON := fs.Bool("json", false, "With list, show, prune and backup -check: print JSON.")
	dryRun := fs.Bool("dry-run", false, "With rm and mv: print what would be removed or moved; with prune: count what would be forgotten. Nothing changes.")
	var bf backupFlags
	fs.StringVar(&bf.url, "url", "", "With backup: ask the daemon at this address (HEARTH_API_TOKEN as the bearer token) instead of finding the one serving DIR's state.")
	fs.BoolVar(&bf.force, "force", false, "With backup: replace OUT if it exists.")
	fs.BoolVar(&bf.check, "check", false, "With backup: check that FILE is a whole hearth state this hearth can open, and say what it holds; write nothing.")
	// -out as import and plan take it: OUT may be named either way.
	outFlag := fs.String("out", "", "With backup: the `FILE` to write the backup to, in place of OUT (\"-\" for standard output, the summary then on standard error; not a terminal).")
	approve := autoApprove(fs, "With restore: restore without asking for confirmation (else the answer is read from standard input, a terminal or a pipe).")
	undo := fs.Bool("undo", false, "With restore, in place of BACKUP: put back the state the latest restore replaced (the newest state.db.before-restore-TIME folder), moving the state there now aside the same way.")
	// Only import looks objects up on a platform and reads the blocks;
	// the others need only where state lives, so no variable values.
	vf := varFlags{readOnly: verb != "import", stateOnly: verb != "import"}
	vf.register(fs)
	pos, code, ok := parse(fs, args[1:])
	if !ok {
		return code
	}
	// -json elsewhere would be taken and print text, which a script
	// could not parse.
	if *asJSON && (verb == "rm" || verb == "mv" || verb == "import" || verb == "restore" || verb == "backup" && !bf.check) {
		return argError(s, cmd, "-json is for list, show, prune and backup -check")
	}
	bf.json = *asJSON
	if *undo && verb != "restore" {
		return argError(s, cmd, "-undo is for restore")
	}
	if *undo {
		// It puts back a folder of replaced state, not a file.
		if len(pos) == 2 || len(pos) == 1 && isFile(pos[0]) {
			return usageError(s, cmd+" -undo", stateUsage, "-undo takes no BACKUP: it puts back the state the latest restore moved aside; give only DIR")
		}
		return runRestoreUndo(ctx, s, pos, vf, *approve)
	}
	if *outFlag != "" && verb != "backup" {
		return argError(s, cmd, "-out is for backup")
	}
	if verb == "backup" {
		if *outFlag != "" {
			if bf.check {
				return argError(s, cmd, "-check reads FILE; -out names a backup to write")
			}
			if len(pos) > 1 || len(pos) == 1 && bf.url != "" {
				return argError(s, cmd, "give OUT once: as -out, or as the first argument")
			}
			pos = append([]string{*outFlag}, pos...)
		}
		return runBackup(ctx, s, pos, vf, bf)
	}
	if verb == "restore" {
		return runRestore(ctx, s, pos, vf, *approve)
	}
	addrs, dir, ok := leadArgs(s, cmd, pos, want.form, want.what)
	if !ok {
		return 1
	}
	if *dryRun && verb != "rm" && verb != "mv" && verb != "prune" {
		return argError(s, cmd, "-dry-run is for rm, mv and prune")
	}
	if verb == "prune" {
		return runPrune(ctx, s, dir, vf, *dryRun, *asJSON)
	}
	cfg, src, ok := loadConfigSrc(s, dir, vf, *asJSON)
	if !ok {
		return 1
	}
	// Only import (which adopts an object) makes state; the others
	// read or edit what is there, and list and show only read it: they
	// create and migrate nothing.
	err := missingState(cfg, hintApply)
	var st state.Store
	if err == nil && (verb == "list" || verb == "show") {
		st, err = openStoreReadOnly(ctx, cfg, hintApply)
		var none *noStateError
		if err != nil && !errors.As(err, &none) {
			reportStoreError(s, cfg, cmd, err)
			return 1
		}
	}
	if err != nil && verb != "import" {
		var none *noStateError
		if verb != "list" || !errors.As(err, &none) {
			fmt.Fprintf(s.err, "hearth %s: %v\n", cmd, err)
			return 1
		}
		if *asJSON {
			return writeJSON(s, map[string]any{"serial": 0, "resources": []resourceJSON{}, "role_grants": []plan.GrantRecord{}})
		}
		fmt.Fprintf(s.out, "State manages no platform resources: there is no state yet at %s; run hearth apply.\n", none.Path)
		return 0
	}
	if st == nil {
		var ok bool
		if st, ok = openStoreFor(ctx, s, cfg, cmd); !ok {
			return 1
		}
	}
	defer st.Close()
	ps, ok := st.(plan.Store)
	if !ok {
		fmt.Fprintf(s.err, "hearth state: the %s state backend holds no platform resources\n", cfg.Settings.State.Backend)
		return 1
	}
	fail := func(err error) int {
		fmt.Fprintf(s.err, "hearth %s: %v\n", cmd, lockedIn(notInState(err), dir))
		return 1
	}
	switch verb {
	case "list", "show":
		rs, serial, err := ps.Resources(ctx)
		if err != nil {
			return fail(err)
		}
		grants, err := plan.GrantRecords(ctx, ps, rs)
		if err != nil {
			return fail(err)
		}
		if verb == "show" {
			i := slices.IndexFunc(rs, func(r state.Resource) bool { return r.Address == addrs[0] })
			if i < 0 {
				if j := slices.IndexFunc(grants, func(g plan.GrantRecord) bool { return g.Address == addrs[0] }); j >= 0 {
					return showGrant(s, grants[j], *asJSON)
				}
				e := plan.NothingAt(addrs[0], rs)
				for _, g := range grants {
					e.Known = append(e.Known, g.Address)
				}
				return fail(e)
			}
			r := rs[i]
			if *asJSON {
				return writeJSON(s, typedResource(r))
			}
			fmt.Fprintf(s.out, "%s\n  kind      %s\n  id        %s\n  platform  %s\n", r.Address, r.Kind, r.ID, r.Platform)
			if r.PreventDestroy {
				fmt.Fprintln(s.out, "  prevent_destroy")
			}
			fmt.Fprintln(s.out, "  last applied:")
			// Named as the configuration names them, as a plan shows
			// them (a community's description is its purpose); -json
			// keeps the platform's names.
			kind := platform.Kind(r.Kind)
			keys := slices.SortedFunc(maps.Keys(r.Attrs), func(x, y string) int {
				return strings.Compare(plan.ConfigName(kind, x), plan.ConfigName(kind, y))
			})
			width := 0
			for _, k := range keys {
				width = max(width, len(plan.ConfigName(kind, k)))
			}
			for _, k := range keys {
				fmt.Fprintf(s.out, "    %-*s = %s\n", width, plan.ConfigName(kind, k), attrText(r, k))
			}
			return 0
		}
		if *asJSON {
			typed := make([]resourceJSON, len(rs))
			for i, r := range rs {
				typed[i] = typedResource(r)
			}
			if grants == nil {
				grants = []plan.GrantRecord{}
			}
			return writeJSON(s, map[string]any{"serial": serial, "resources": typed, "role_grants": grants})
		}
		if len(rs) == 0 {
			fmt.Fprintln(s.out, "State manages no platform resources yet; run hearth apply.")
			return 0
		}
		// The role records are listed among the resources, each after
		// its role: the list reads by address.
		type row struct{ addr, kind, id, platform string }
		rows := make([]row, 0, len(rs)+len(grants))
		for _, r := range rs {
			rows = append(rows, row{r.Address, r.Kind, r.ID, r.Platform})
		}
		for _, g := range grants {
			rows = append(rows, row{g.Address, grantKind, g.Member, g.Platform})
		}
		slices.SortStableFunc(rows, func(a, b row) int { return strings.Compare(a.addr, b.addr) })
		tw := textwidth.NewTabWriter(s.out, 2, 0)
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.addr, r.kind, r.id, r.platform)
		}
		tw.Flush()
		return 0
	case "rm":
		done, grants, err := plan.Forget(ctx, ps, addrs[0], who(s), *dryRun)
		if err != nil {
			return fail(err)
		}
		for _, a := range done {
			if *dryRun {
				fmt.Fprintf(s.out, "Would remove %s from state; its platform object would be left as it is.\n", a)
			} else {
				fmt.Fprintf(s.out, "Removed %s from state; its platform object is left as it is.\n", a)
			}
		}
		for _, a := range grants {
			if *dryRun {
				fmt.Fprintf(s.out, "Would remove %s from state, hearth's record of giving the role; the member would keep it, counted as given by hand.\n", a)
			} else {
				fmt.Fprintf(s.out, "Removed %s from state, hearth's record of giving the role; the member keeps it, counted as given by hand.\n", a)
			}
		}
		if *dryRun {
			fmt.Fprintln(s.out, "Dry run: state is unchanged.")
		}
	case "import":
		// Adopting reads the object and writes state only.
		// A platform out of reach is reported as plan reports it: a
		// diagnostic on its block, with what to check.
		unreached := func(err error) int {
			if _, ok := platform.DiagnoseConn(err); !ok {
				return fail(err)
			}
			planErrors{src: src, dir: dir, rd: cfg.Redactor()}.write(s, cmd, err)
			return 1
		}
		conns, err := plan.OpenReadOnly(ctx, registry(), cfg, nil)
		if err != nil {
			return unreached(err)
		}
		defer conns.Close()
		r, already, err := plan.Adopt(ctx, cfg, ps, conns, addrs[0], addrs[1], who(s))
		if err != nil {
			return unreached(err)
		}
		if already {
			// Run again (a script retried): done before, so nothing to do.
			fmt.Fprintf(s.out, "%s is already imported: state binds it to %s %s. Nothing changed.\n", r.Address, r.Kind, r.ID)
			return 0
		}
		fmt.Fprintf(s.out, "Imported %s %s as %s. Run hearth plan to see how it differs from its block.\n", r.Kind, r.ID, r.Address)
	case "mv":
		done, err := plan.Move(ctx, ps, addrs[0], addrs[1], who(s), *dryRun)
		if err != nil {
			return fail(err)
		}
		verbed := "Moved"
		if *dryRun {
			verbed = "Would move"
		}
		for _, a := range done {
			fmt.Fprintf(s.out, "%s %s\n", verbed, a)
		}
		if *dryRun {
			fmt.Fprintln(s.out, "Dry run: state is unchanged.")
		}
		for _, w := range unconfiguredWarnings(cfg, done, addrs[0], addrs[1], dir, *dryRun) {
			fmt.Fprintln(s.err, w)
		}
	}
	return 0
}

// unconfiguredWarnings are what state mv says (on stderr) when it moves
// an object to an address with no block in the configuration: the next
// plan removes it there, a typo most likely, so it names the closest
// configured address and the move back. A configuration too incomplete
// to tell (values missing) gives no warning rather than a wrong one.
func unconfiguredWarnings(cfg *config.Config, done []string, from, to, dir string, dryRun bool) []string {
	us, err := plan.Unconfigured(cfg, done)
	if err != nil {
		return nil
	}
	var out []string
	for _, u := range us {
		will := "the next plan will remove what is moved there"
		if dryRun {
			will = "after this move the next plan would remove what is moved there"
		}
		w := fmt.Sprintf("Warning: the configuration has no block for %s: unless one is written (or renamed to it) first, %s (destroys it, or forgets it where its platform never deletes it).", u.Addr, will)
		w += didYouMean(u.Addr, u.Known)
		if !dryRun && u.Addr == to {
			back := "hearth state mv " + to + " " + from
			if dir != "" && dir != "." {
				back += " " + state.ShellWord(dir)
			}
			w += " To move it back: " + back
		}
		out = append(out, w)
	}
	return out
}

// grantKind is the kind state list shows a role record as, named after
// its table.
const grantKind = "role_grant"

// showGrant prints one record of a role assignment hearth made.
func showGrant(s *stdio, g plan.GrantRecord, asJSON bool) int {
	if asJSON {
		return writeJSON(s, g)
	}
	fmt.Fprintf(s.out, "%s\n  kind       %s\n  member     %s\n  role       %s\n  community  %s\n  platform   %s\n  given      %s\n",
		g.Address, grantKind, g.Member, g.Role, g.Community, g.Platform, g.At.UTC().Format("2006-01-02 15:04:05 UTC"))
	fmt.Fprintln(s.out, "  hearth gave this role and takes it back when the member no longer qualifies; hearth state rm forgets the record (the role stays, counted as given by hand)")
	return 0
}

// notInState adds to "state has nothing at ADDR" the address meant when
// one is close, as plan -target does, else where to see them all.
func notInState(err error) error {
	var e *plan.NothingAtError
	if !errors.As(err, &e) {
		return err
	}
	if hint := didYouMean(e.Addr, e.Known); hint != "" {
		return fmt.Errorf("%w.%s", err, hint)
	}
	return fmt.Errorf("%w (see hearth state list)", err)
}

// resourceJSON is a resource as -json prints it: attributes with the
// types a plan's before and after have, numbers and booleans bare.
type resourceJSON struct {
	state.Resource
	Attrs map[string]any `json:"attrs"`
}

func typedResource(r state.Resource) resourceJSON {
	attrs := platform.JSONAttrs(platform.Kind(r.Kind), r.Attrs)
	if attrs == nil {
		attrs = map[string]any{}
	}
	return resourceJSON{r, attrs}
}

// attrText writes an attribute as a plan does: numbers and booleans
// bare, a list as ["a", "b"], text quoted, whole, since state show is
// where to read it all.
func attrText(r state.Resource, k string) string {
	switch platform.JSONValue(platform.Kind(r.Kind), k, r.Attrs[k]).(type) {
	case bool, json.Number:
		return r.Attrs[k]
	case []string:
		return plan.ListText(r.Attrs[k])
	}
	return strconv.Quote(r.Attrs[k])
}

func writeJSON(s *stdio, v any) int {
	enc := jsonEncoder(s.out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(s.err, "hearth state: %v\n", err)
		return 1
	}
	return 0
}
