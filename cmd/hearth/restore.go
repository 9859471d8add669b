package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// runRestore is hearth state restore BACKUP [DIR]: a backup in place of
// a SQLite state no process uses, with every old file moved aside (the
// manual procedure's step that goes wrong: a journal left behind is
// folded into the restored state).
func runRestore(ctx context.Context, s *stdio, pos []string, vf varFlags, auto bool) int {
	const name = "state restore"
	fail := func(format string, args ...any) int {
		fmt.Fprintf(s.err, "hearth state restore: "+format+"\n", args...)
		return 1
	}
	pos, dir, ok := leadArgs(s, name, pos, "BACKUP", "the backup file to restore")
	if !ok {
		return 1
	}
	backup := pos[0]
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return 1
	}
	if !restorable(s, cfg, name) {
		return 1
	}
	db := cfg.Settings.State.Path
	if isStateFile(backup, db) {
		return fail("%s is the state itself (or one of its files), not a backup of it", backup)
	}
	want, err := sqlite.Verify(ctx, backup)
	if err != nil {
		return fail("%v; the state was not changed.", err)
	}

	lock, code, ok := lockForRestore(s, cfg, name)
	if !ok {
		return code
	}
	defer lock.release()

	current, ok := currentText(ctx, s, db, name)
	if !ok {
		return 1
	}
	aside, err := asideText(db)
	if err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(s.out, "Restoring replaces the state at %s:\n  now:     %s\n  backup:  %s (%s, %s)\n%s%s is copied; it is not moved or changed.\n",
		db, current, figuresText(want), backup, sizeText(want.Bytes), aside, backup)
	if want.Schema < want.Current {
		fmt.Fprintf(s.out, "The backup's schema version is %d: it is migrated to %d when it is opened.\n", want.Schema, want.Current)
	}
	staleNote(s, db)
	if !confirmRestore(ctx, s, name, "Do you want to restore this backup?", auto) {
		return 1
	}

	res, err := sqlite.Restore(ctx, backup, db, s.clock())
	if !swapDone(s, name, db, res.Stale, err) {
		return 1
	}
	fmt.Fprintf(s.out, "Restored %s to %s: %s.\n", backup, db, describeState(res.Info))
	if res.Aside != "" {
		fmt.Fprintf(s.out, "The state it replaced (%s) is in %s; hearth state restore -undo puts it back, or remove that folder once the restored state serves you well.\n",
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

// restorable says whether restore can work on the configuration's state
// backend, and if not, what to do instead.
func restorable(s *stdio, cfg *config.Config, name string) bool {
	switch cfg.Settings.State.Backend {
	case "sqlite":
		return true
	case "postgres":
		fmt.Fprintf(s.err, "hearth %s: the state is in PostgreSQL, which hearth does not restore itself: stop every replica, then restore the pg_dump backup with\n  pg_restore --clean --if-exists --dbname=\"$URL\" hearth-state.dump\nwhere $URL is the state's URL without its search_path parameter, and start them again (see \"Backups\" in the README).\n", name)
	default:
		fmt.Fprintf(s.err, "hearth %s: the %s state backend keeps nothing between runs to restore\n", name, cfg.Settings.State.Backend)
	}
	return false
}

// lockForRestore takes the state lock for restore or its undo, refusing
// while a daemon or another command holds it; code is the exit status
// when ok is false.
func lockForRestore(s *stdio, cfg *config.Config, name string) (lock *stateLock, code int, ok bool) {
	lock, err := lockState(cfg, "hearth "+name)
	var busy *stateBusyError
	switch {
	case err == nil:
		return lock, 0, true
	case errors.As(err, &busy) && busy.daemon():
		fmt.Fprintf(s.err, "hearth %s: %v: stop it first (it exits once it has committed what it accepted), then run this again; the state was not changed.\n", name, err)
	case errors.As(err, &busy):
		fmt.Fprintf(s.err, "hearth %s: %v; run this again once it is done. The state was not changed.\n", name, err)
	default:
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
	}
	return nil, 1, false
}

// currentText says what the state at db holds, for the "now:" line;
// false (said on stderr) when another command has it open.
func currentText(ctx context.Context, s *stdio, db, name string) (string, bool) {
	if _, err := os.Lstat(db); err != nil {
		return "nothing: there is no state there yet", true
	}
	text, err := stateText(ctx, db)
	if errors.Is(err, sqlite.ErrInUse) {
		fmt.Fprintf(s.err, "hearth %s: %s: another hearth command (apply, state list, member show ...) has it open; run this again once it is done. The state was not changed.\n", name, db)
		return "", false
	}
	return text, true
}

// stateText is what the state at db holds, as restore shows it; a state
// that cannot be read says why (a damaged state is a reason to restore,
// or to put back, not to refuse). The error is ErrInUse alone.
func stateText(ctx context.Context, db string) (string, error) {
	cur, err := sqlite.Describe(ctx, db)
	switch {
	case errors.Is(err, sqlite.ErrInUse):
		return "", err
	case err != nil:
		return fmt.Sprintf("a state that cannot be read (%v)", err), nil
	}
	text := figuresText(cur)
	if cur.Unfolded > 0 {
		text += ", and " + plural(cur.Unfolded, "batch", "batches") + " in its journal not yet folded in"
	}
	return text, nil
}

// asideText says which of the state's files are moved aside, "" when
// there are none.
func asideText(db string) (string, error) {
	files, err := sqlite.StateFiles(db)
	if err != nil || len(files) == 0 {
		return "", err
	}
	return fmt.Sprintf("Its files (%s) are moved into a new folder %s.before-restore-TIME next to it, not deleted.\n",
		baseNames(files), filepath.Base(db)), nil
}

func baseNames(paths []string) string {
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	return strings.Join(names, ", ")
}

// staleNote says which copies left by a restore stopped part way the
// command will remove: hidden, they hold as much disk as a backup.
func staleNote(s *stdio, db string) {
	paths, _ := sqlite.StaleCopies(db)
	for _, p := range paths {
		size := ""
		if st, err := os.Lstat(p); err == nil {
			size = ", " + sizeText(st.Size())
		}
		fmt.Fprintf(s.out, "A copy left by an earlier restore that was stopped part way (%s%s) is removed.\n", filepath.Base(p), size)
	}
}

// staleDone says which such copies it removed.
func staleDone(s *stdio, stale []sqlite.Stale) {
	for _, c := range stale {
		fmt.Fprintf(s.out, "Removed %s (%s), a copy left by an earlier restore that was stopped part way.\n", c.Name, sizeText(c.Bytes))
	}
}

// swapDone says which stale copies a restore or its undo removed and,
// when it failed (err), why; false when it failed.
func swapDone(s *stdio, name, db string, stale []sqlite.Stale, err error) bool {
	staleDone(s, stale)
	switch {
	case err == nil:
		return true
	case errors.Is(err, sqlite.ErrInUse):
		fmt.Fprintf(s.err, "hearth %s: %s: another hearth command has it open; run this again once it is done. The state was not changed.\n", name, db)
	default:
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
	}
	return false
}

// confirmRestore asks for 'yes' unless auto; false (said on stderr)
// when it was not given.
func confirmRestore(ctx context.Context, s *stdio, name, question string, auto bool) bool {
	if auto {
		return true
	}
	if !confirm(ctx, s, name, question+" Only 'yes' will be accepted.", "the state was not changed", "") {
		return false
	}
	fmt.Fprintln(s.out)
	return true
}

// runRestoreUndo is hearth state restore -undo [DIR]: the state the
// latest restore moved aside put back in place of the one there now,
// which is moved aside the same way, so undoing again puts it back.
func runRestoreUndo(ctx context.Context, s *stdio, rest []string, vf varFlags, auto bool) int {
	const name = "state restore -undo"
	fail := func(format string, args ...any) int {
		fmt.Fprintf(s.err, "hearth "+name+": "+format+"\n", args...)
		return 1
	}
	dir, ok := dirArg(rest, s, "state restore")
	if !ok {
		return 1
	}
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return 1
	}
	if !restorable(s, cfg, name) {
		return 1
	}
	db := cfg.Settings.State.Path
	lock, code, ok := lockForRestore(s, cfg, name)
	if !ok {
		return code
	}
	defer lock.release()
	asides, err := sqlite.Asides(db)
	if err != nil {
		return fail("%v", err)
	}
	if len(asides) == 0 {
		return fail("there is no %s.before-restore-TIME folder next to %s, so no restore to undo; the state was not changed.", filepath.Base(db), db)
	}
	from := asides[0].Path
	current, ok := currentText(ctx, s, db, name)
	if !ok {
		return 1
	}
	putBack, err := stateText(ctx, filepath.Join(from, filepath.Base(db)))
	if err != nil {
		return fail("%s: another process has the state in it open; the state was not changed.", from)
	}
	// Listed after reading it: reading a state with a -wal file may
	// make its -shm file, which goes back with it.
	back, err := sqlite.AsideFiles(db, from)
	if err != nil {
		return fail("%v; the state was not changed.", err)
	}
	aside, err := asideText(db)
	if err != nil {
		return fail("%v", err)
	}
	if aside != "" {
		aside = strings.TrimSuffix(aside, ".\n") + ": undoing again puts them back.\n"
	}
	fmt.Fprintf(s.out, "Undoing the latest restore puts back the state it replaced, at %s:\n  now:     %s\n  back:    %s (%s, moved aside %s UTC)\n%s%s's files (%s) are moved back and the emptied folder is removed.\n",
		db, current, putBack, from, asides[0].At.Format("2006-01-02 15:04:05"), aside, filepath.Base(from), baseNames(back))
	if n := len(asides) - 1; n > 0 {
		fmt.Fprintf(s.out, "%s of replaced state stay as they are.\n", plural(n, "older folder", "older folders"))
	}
	staleNote(s, db)
	if !confirmRestore(ctx, s, name, "Do you want to put the replaced state back?", auto) {
		return 1
	}

	res, err := sqlite.Undo(ctx, from, db, s.clock())
	if !swapDone(s, name, db, res.Stale, err) {
		return 1
	}
	holds := describeState(res.Info)
	if res.Unreadable != nil {
		holds = fmt.Sprintf("a state that cannot be read (%v), as it was", res.Unreadable)
	}
	fmt.Fprintf(s.out, "Put back the state from %s at %s: %s.\n", res.From, db, holds)
	if res.Aside != "" {
		fmt.Fprintf(s.out, "The state it replaced (%s) is in %s; hearth state restore -undo puts it back in turn.\n",
			strings.Join(res.Moved, ", "), res.Aside)
	}
	fmt.Fprintf(s.out, `Next: start hearth run. Events applied since the restore are not in this state: send them again
(hearth replay -events FILE, or the platforms' redelivery); those it already holds are recognised
by their ids and skipped, so nothing is applied twice.
`)
	return 0
}

// isFile reports whether path is a file that is not a directory.
func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
