package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// backupFlags are state backup's own flags; json is state's -json, which
// backup takes with -check only.
type backupFlags struct {
	url                string
	force, check, json bool
}

// runBackup is hearth state backup OUT [DIR] and hearth state backup
// -check FILE. A SQLite state a daemon serves is copied by the daemon
// (POST /v1/state/backup) and streamed here: its journal holds commits
// that are not in state.db yet, and only it can fold them first. With no
// daemon, the command holds the state lock and copies the file itself.
func runBackup(ctx context.Context, s *stdio, pos []string, vf varFlags, bf backupFlags) int {
	const name = "state backup"
	// -check and -url take the file alone, no DIR to mistake it for.
	if bf.check {
		if len(pos) != 1 || bf.url != "" || bf.force {
			return argError(s, name, "-check takes the backup FILE only")
		}
		return checkBackup(ctx, s, pos[0], bf.json)
	}
	// OUT "-" is standard output (| gzip > FILE.gz), the summary then on
	// standard error. A SQLite file is binary: never onto a terminal.
	var stdout io.Writer
	if len(pos) > 0 && pos[0] == "-" {
		if s.outTTY {
			fmt.Fprintf(s.err, "hearth state backup: refusing to write the backup, a binary SQLite file, to a terminal: redirect standard output (> FILE, | gzip > FILE.gz) or give a file name\n")
			return 1
		}
		var code int
		var ok bool
		if s, stdout, code, ok = stdoutFlags(s, name, [2]string{"OUT", "-"}); !ok {
			return code
		}
	}
	if bf.url != "" {
		if len(pos) != 1 {
			return argError(s, name, "with -url the daemon names the state: give OUT only")
		}
		// No state directory here: a backup for standard output waits
		// for its check in the temporary directory.
		t := backupTarget{out: pos[0], stdout: stdout, force: bf.force}
		if !t.free(s) {
			return 1
		}
		return backupFromDaemon(ctx, s, bf.url, t, "the daemon at "+bf.url)
	}
	// A directory holding a configuration as OUT is DIR with OUT left
	// out (no backup could be written in its place); any other directory
	// stays OUT, for outFree to refuse as a directory.
	pos, dir, ok := leadArgs(s, name, pos, "OUT", "the file to write the backup to")
	if !ok {
		return 1
	}
	out := pos[0]
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return 1
	}
	switch cfg.Settings.State.Backend {
	case "sqlite":
	case "postgres":
		fmt.Fprintf(s.err, "hearth state backup: %s\n", pgDumpAdvice(cfg))
		return 1
	default:
		fmt.Fprintf(s.err, "hearth state backup: the %s state backend keeps nothing between runs to back up\n", cfg.Settings.State.Backend)
		return 1
	}
	if err := missingState(cfg, hintRun); err != nil {
		fmt.Fprintf(s.err, "hearth state backup: %v\n", err)
		return 1
	}
	db := cfg.Settings.State.Path
	// One for standard output waits for its check next to the state,
	// on a disk that holds one state already.
	t := backupTarget{out: out, stdout: stdout, force: bf.force, tmpDir: filepath.Dir(db)}
	if stdout == nil && isStateFile(out, db) {
		fmt.Fprintf(s.err, "hearth state backup: %s is the state itself (or one of its files): write the backup somewhere else\n", out)
		return 1
	}
	if !t.free(s) {
		return 1
	}
	lock, a, ok := lockForWrite(s, cfg, name)
	if !ok {
		return 1
	}
	if lock == nil {
		fmt.Fprintf(s.err, "hearth run (pid %d) serves this state: the backup is made through its API at %s.\n", a.PID, a.URL)
		return backupFromDaemon(ctx, s, a.URL, t, fmt.Sprintf("hearth run (pid %d)", a.PID))
	}
	defer lock.release()
	start := time.Now()
	store, err := sqlite.Open(ctx, db)
	if err != nil {
		fmt.Fprintf(s.err, "hearth state backup: %v\n", err)
		return 1
	}
	defer store.Close()
	tmp, err := t.partial()
	if err != nil {
		fmt.Fprintf(s.err, "hearth state backup: %v\n", err)
		return 1
	}
	defer os.Remove(tmp) // gone already once placed
	if err := store.Backup(ctx, tmp); err != nil {
		fmt.Fprintf(s.err, "hearth state backup: %v\n", err)
		return 1
	}
	return finishBackup(ctx, s, tmp, t, db, start)
}

// backupFromDaemon streams a backup from the daemon at base into out.
// What arrives is checked before it is put at out, so a copy cut short
// on the way never takes the place of a good one.
func backupFromDaemon(ctx context.Context, s *stdio, base string, t backupTarget, who string) int {
	start := time.Now()
	endpoint := strings.TrimRight(base, "/") + "/v1/state/backup"
	req, err := http.NewRequestWithContext(ctx, "POST", endpoint, nil)
	if err != nil {
		fmt.Fprintf(s.err, "hearth state backup: %v\n", err)
		return 1
	}
	token, _ := s.lookupEnv("HEARTH_API_TOKEN")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
	}
	// No client timeout: a large state takes as long as it takes; the
	// daemon cancels the copy if the connection goes.
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(s.err, "hearth state backup: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		fmt.Fprintf(s.err, "hearth state backup: %s\n", daemonRefusal(endpoint, resp.Status, errorText(data), resp.StatusCode, token != ""))
		return 1
	}
	tmp, err := t.partial()
	if err != nil {
		fmt.Fprintf(s.err, "hearth state backup: %v\n", err)
		return 1
	}
	defer os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		fmt.Fprintf(s.err, "hearth state backup: %v\n", err)
		return 1
	}
	n, err := io.Copy(f, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("received %d of %d bytes", n, resp.ContentLength)
	}
	if err == nil {
		err = f.Sync()
	}
	err = errors.Join(err, f.Close())
	if err != nil {
		fmt.Fprintf(s.err, "hearth state backup: receiving the backup from %s: %v; nothing was written to %s\n", endpoint, err, t.name())
		return 1
	}
	return finishBackup(ctx, s, tmp, t, who, start)
}

// finishBackup checks the copy at tmp, puts it at out (or copies it to
// standard output) and says what it holds.
func finishBackup(ctx context.Context, s *stdio, tmp string, t backupTarget, from string, start time.Time) int {
	info, err := sqlite.Verify(ctx, tmp)
	if err != nil {
		fmt.Fprintf(s.err, "hearth state backup: the copy made failed its check, and was not written to %s: %v\n", t.name(), err)
		return 1
	}
	if err := t.place(tmp); err != nil {
		fmt.Fprintf(s.err, "hearth state backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(s.out, "Backed up %s to %s: %s, in %s.\n", from, t.name(), describeState(info), time.Since(start).Round(time.Millisecond))
	return 0
}

// backupTarget is where a backup goes: the file out, or standard output
// (stdout not nil, out "-"). The copy is made and checked in a partial
// file first either way: beside out, or in tmpDir ("" the system's
// temporary directory) for standard output.
type backupTarget struct {
	out    string
	stdout io.Writer
	force  bool
	tmpDir string
}

func (t backupTarget) name() string {
	if t.stdout != nil {
		return "standard output"
	}
	return t.out
}

// free refuses an existing out unless force, before any work.
func (t backupTarget) free(s *stdio) bool {
	return t.stdout != nil || outFree(s, t.out, t.force)
}

func (t backupTarget) partial() (string, error) {
	if t.stdout != nil {
		f, err := os.CreateTemp(t.tmpDir, ".hearth-backup-*.partial")
		if err != nil {
			return "", err
		}
		return f.Name(), f.Close()
	}
	return partialFile(t.out)
}

// place puts the checked copy at out, or copies it to standard output
// (the partial file is removed by the caller).
func (t backupTarget) place(tmp string) error {
	if t.stdout == nil {
		return placeBackup(tmp, t.out, t.force)
	}
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(t.stdout, f); err != nil {
		return fmt.Errorf("writing the backup to standard output: %w", err)
	}
	return nil
}

// backupCheckJSON is state backup -check -json: what the file holds, or
// why it is no hearth state (valid false, error, exit 1), on stdout
// either way, so a script before a restore always has JSON to read.
type backupCheckJSON struct {
	File  string `json:"file"`
	Valid bool   `json:"valid"`
	Error string `json:"error,omitempty"`
	// What a valid file holds, at the top level; nil for an invalid one.
	*backupFigures
}

type backupFigures struct {
	Bytes int64 `json:"bytes"`
	// SchemaVersion is the file's; CurrentSchemaVersion the one this
	// hearth brings it to when it opens it (Migrates: they differ).
	SchemaVersion        int    `json:"schema_version"`
	CurrentSchemaVersion int    `json:"current_schema_version"`
	Migrates             bool   `json:"migrates"`
	Members              int64  `json:"members"`
	EventIDs             int64  `json:"event_ids"`
	NewestEvent          string `json:"newest_event,omitempty"` // RFC 3339, UTC
	Outbox               int64  `json:"outbox"`
	Outcomes             int64  `json:"outcomes"`
	Resources            int64  `json:"resources"`
}

func newBackupCheckJSON(file string, info sqlite.Info, err error) backupCheckJSON {
	if err != nil {
		return backupCheckJSON{File: file, Error: err.Error()}
	}
	f := &backupFigures{Bytes: info.Bytes, SchemaVersion: info.Schema, CurrentSchemaVersion: info.Current,
		Migrates: info.Schema < info.Current, Members: info.Members, EventIDs: info.EventIDs,
		Outbox: info.Outbox, Outcomes: info.Outcomes, Resources: info.Resources}
	if !info.Newest.IsZero() {
		f.NewestEvent = info.Newest.UTC().Format(time.RFC3339)
	}
	return backupCheckJSON{File: file, Valid: true, backupFigures: f}
}

// checkBackup is state backup -check FILE.
func checkBackup(ctx context.Context, s *stdio, file string, asJSON bool) int {
	info, err := sqlite.Verify(ctx, file)
	if asJSON {
		if code := writeJSON(s, newBackupCheckJSON(file, info, err)); code != 0 || err != nil {
			return 1
		}
		return 0
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth state backup -check: %v\n", err)
		return 1
	}
	schema := "this hearth's own"
	if info.Schema < info.Current {
		schema = fmt.Sprintf("older: this hearth migrates it to %d when it opens it", info.Current)
	}
	fmt.Fprintf(s.out, "%s is a valid hearth state: %s (%s).\n", file, describeState(info), schema)
	return 0
}

// describeState says what a state file holds, in one line.
func describeState(info sqlite.Info) string {
	newest := ""
	if !info.Newest.IsZero() {
		newest = " (newest " + info.Newest.Format("2006-01-02 15:04:05") + " UTC)"
	}
	return fmt.Sprintf("%s, %s, %s%s, %s, %s, schema version %d", sizeText(info.Bytes),
		plural(int(info.Members), "member", "members"), plural(int(info.EventIDs), "event id", "event ids"), newest,
		plural(int(info.Outbox), "outbox entry", "outbox entries"), plural(int(info.Resources), "resource", "resources"), info.Schema)
}

func sizeText(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}

// outFree refuses an existing out unless force, before any work.
func outFree(s *stdio, out string, force bool) bool {
	st, err := os.Stat(out)
	switch {
	case err == nil && st.IsDir():
		fmt.Fprintf(s.err, "hearth state backup: %s is a directory: give the backup file's name\n", out)
		return false
	case err == nil && !force:
		fmt.Fprintf(s.err, "hearth state backup: %s exists: give another name, or -force to replace it\n", out)
		return false
	}
	return true
}

// partialFile makes the empty file a backup is written into before it
// is checked and put at out: in out's directory, so placing it is a
// rename, and hidden.
func partialFile(out string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".partial-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	return name, f.Close()
}

// placeBackup puts the checked copy at out: over what is there with
// force, and otherwise only if nothing is (a hard link fails on an
// existing name, so a file made meanwhile is not replaced either).
func placeBackup(tmp, out string, force bool) error {
	if fi, err := os.Stat(out); err == nil && !fi.Mode().IsRegular() {
		// Renamed over, a device or pipe would be replaced by a file.
		return fmt.Errorf("%s is not a regular file: give the name of a file to write the backup to", out)
	}
	if !force {
		err := os.Link(tmp, out)
		switch {
		case errors.Is(err, fs.ErrExist):
			return fmt.Errorf("%s exists: give another name, or -force to replace it", out)
		case err == nil:
			os.Remove(tmp)
			return syncDir(filepath.Dir(out))
		}
		// A file system without hard links: check, then rename.
		if _, err := os.Lstat(out); err == nil {
			return fmt.Errorf("%s exists: give another name, or -force to replace it", out)
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	return syncDir(filepath.Dir(out))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	// Some systems cannot sync a directory; the file itself is synced.
	_ = d.Sync()
	return d.Close()
}

// isStateFile reports whether out names the state database at db or
// one of its files (-wal, -shm, the journal, the lock).
func isStateFile(out, db string) bool {
	a, err1 := filepath.Abs(out)
	b, err2 := filepath.Abs(db)
	if err1 != nil || err2 != nil {
		return false
	}
	if a == b || strings.HasPrefix(a, b+"-") || a == lockPath(b) || a == b+".daemon" {
		return true
	}
	sa, err1 := os.Stat(out)
	sb, err2 := os.Stat(db)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// pgDumpAdvice says how to back up PostgreSQL state: pg_dump does on
// the server what hearth would only half do from outside (a consistent
// snapshot while replicas keep writing). The URL is secret and is not
// repeated; the schema is named.
func pgDumpAdvice(cfg *config.Config) string {
	schema := ""
	if u, err := stateURL(cfg); err == nil {
		if pu, err := url.Parse(u); err == nil {
			schema, _, _ = strings.Cut(pu.Query().Get("search_path"), ",")
			schema = strings.TrimSpace(schema)
		}
	}
	where := "the schema public (the state URL names no search_path)"
	flag := "--schema=public"
	if schema != "" {
		where = fmt.Sprintf("the schema %s (search_path in the state URL)", schema)
		flag = "--schema=" + schema
	}
	return fmt.Sprintf(`the state is in PostgreSQL, which hearth does not copy itself: back it up with pg_dump, which takes a consistent snapshot while the replicas keep running. hearth's tables are in %s; dump that schema:
  pg_dump --format=custom %s --file=hearth-state.dump "$URL"
where $URL is the state's URL without its search_path parameter (pg_dump does not take it). To restore, stop every replica, then
  pg_restore --clean --if-exists --dbname="$URL" hearth-state.dump
and start them again.`, where, flag)
}
