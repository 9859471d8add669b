package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// runRestore is hearth state restore BACKUP [DIR]: a backup in place of
// a SQLite state no process uses, with every old file moved aside (the
// manual procedure's step that goes wrong: a journal left behind is
// folded into the restored state).
func runRestore(ctx context.Context, s *stdio, backup string, rest []string, vf varFlags, auto bool) int {
	const name = "state restore"
	fail := func(format string, args ...any) int {
		fmt.Fprintf(s.err, "hearth state restore: "+format+"\n", args...)
		return 1
	}
	dir, ok := dirArg(rest, s, name)
	if !ok {
		return 1
	}
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return 1
	}
	switch cfg.Settings.State.Backend {
	case "sqlite":
	case "postgres":
		return fail("the state is in PostgreSQL, which hearth does not restore itself: stop every replica, then restore the pg_dump backup with\n  pg_restore --clean --if-exists --dbname=\"$URL\" hearth-state.dump\nwhere $URL is the state's URL without its search_path parameter, and start them again (see \"Backups\" in the README).")
	default:
		return fail("the %s state backend keeps nothing between runs to restore", cfg.Settings.State.Backend)
	}
	db := cfg.Settings.State.Path
	if isStateFile(backup, db) {
		return fail("%s is the state itself (or one of its files), not a backup of it", backup)
	}
	want, err := sqlite.Verify(ctx, backup)
	if err != nil {
		return fail("%v; the state was not changed.", err)
	}

	lock, err := lockState(cfg, "hearth "+name)
	var busy *stateBusyError
	switch {
	case errors.As(err, &busy) && busy.daemon():
		return fail("%v: stop it first (it exits once it has committed what it accepted), then run this again; the state was not changed.", err)
	case errors.As(err, &busy):
		return fail("%v; run this again once it is done. The state was not changed.", err)
	case err != nil:
		return fail("%v", err)
	}
	defer lock.release()

	current := "nothing: there is no state there yet"
	if _, err := os.Lstat(db); err == nil {
		cur, err := sqlite.Describe(ctx, db)
		switch {
		case errors.Is(err, sqlite.ErrInUse):
			return fail("%s: another hearth command (apply, state list, member show ...) has it open; run this again once it is done. The state was not changed.", db)
		case err != nil:
			// A damaged state is a reason to restore, not to refuse.
			current = fmt.Sprintf("a state that cannot be read (%v)", err)
		default:
			current = figuresText(cur)
			if cur.Unfolded > 0 {
				current += ", and " + plural(cur.Unfolded, "batch", "batches") + " in its journal not yet folded in"
			}
		}
	}
	files, err := sqlite.StateFiles(db)
	if err != nil {
		return fail("%v", err)
	}
	aside := ""
	if len(files) > 0 {
		names := make([]string, len(files))
		for i, f := range files {
			names[i] = filepath.Base(f)
		}
		base := filepath.Base(db)
		aside = fmt.Sprintf("Its files (%s) are moved into a new folder %s.before-restore-TIME next to it, not deleted.\n",
			strings.Join(names, ", "), base)
	}
	fmt.Fprintf(s.out, "Restoring replaces the state at %s:\n  now:     %s\n  backup:  %s (%s, %s)\n%s%s is copied; it is not moved or changed.\n",
		db, current, figuresText(want), backup, sizeText(want.Bytes), aside, backup)
	if want.Schema < want.Current {
		fmt.Fprintf(s.out, "The backup's schema version is %d: it is migrated to %d when it is opened.\n", want.Schema, want.Current)
	}
	if !auto {
		if !s.inTTY {
			return fail("standard input is not a terminal, so hearth cannot ask for confirmation; pass -auto-approve.")
		}
		fmt.Fprint(s.out, "\nDo you want to restore this backup? Only 'yes' will be accepted.\n  Enter a value: ")
		if answer, err := readAnswer(ctx, s.in); err != nil || answer != "yes" {
			if err != nil {
				fmt.Fprintln(s.out) // the prompt's line, ended by Ctrl-C
			}
			return fail("cancelled; the state was not changed.")
		}
		fmt.Fprintln(s.out)
	}

	res, err := sqlite.Restore(ctx, backup, db, s.clock())
	if err != nil {
		if errors.Is(err, sqlite.ErrInUse) {
			return fail("%s: another hearth command has it open; run this again once it is done. The state was not changed.", db)
		}
		return fail("%v", err)
	}
	fmt.Fprintf(s.out, "Restored %s to %s: %s.\n", backup, db, describeState(res.Info))
	if res.Aside != "" {
		fmt.Fprintf(s.out, "The state it replaced (%s) is in %s; remove that folder once the restored state serves you well.\n",
			strings.Join(res.Moved, ", "), res.Aside)
	}
	fmt.Fprintf(s.out, `Next: start hearth run. Events applied after the backup was made are not in it: send them again
(hearth replay -events FILE, or the platforms' redelivery); those it already holds are recognised
by their ids and skipped, so nothing is applied twice.
`)
	return 0
}

// figuresText is what restore compares between the state and a backup.
func figuresText(info sqlite.Info) string {
	newest := ""
	if !info.Newest.IsZero() {
		newest = " (newest " + info.Newest.Format("2006-01-02 15:04:05") + " UTC)"
	}
	return fmt.Sprintf("%s, %s%s, %s, %s", plural(int(info.Members), "member", "members"),
		plural(int(info.EventIDs), "event id", "event ids"), newest,
		plural(int(info.Outbox), "outbox entry", "outbox entries"), plural(int(info.Resources), "resource", "resources"))
}
