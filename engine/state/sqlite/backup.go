package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// Backups. Copying state.db while a daemon runs can tear: the newest
// commits are in its -wal file and its journal (state.db-batches.*), and
// a file copied page by page while the folder writes is half one
// transaction, half the next. A backup is instead SQLite's VACUUM INTO,
// run on the store's own connection after the journal is folded: one
// read transaction, so the copy is the database as of one commit, whole,
// in one self-contained file. In WAL mode a reader blocks no writer, so
// batches go on being journaled and folded while it runs.

// Backup writes a consistent copy of the state to dst, a file that must
// not exist yet or be empty (a temporary file made for it): every batch
// committed before the call, and possibly some after, never part of one.
// The copy holds no apply lock (the apply that held one is not running
// where the copy is restored) and is in rollback journal mode, so it is
// the one file to keep. On failure dst is removed.
func (s *Store) Backup(ctx context.Context, dst string) error {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	f.Close()
	if err != nil {
		return err
	}
	if st.Size() > 0 {
		return &fs.PathError{Op: "backup", Path: dst, Err: fs.ErrExist}
	}
	return s.backupInto(ctx, dst)
}

// backupSuffix marks the temporary copies BackupFile makes next to the
// database.
const backupSuffix = ".backup-"

// BackupFile makes a backup (as Backup) in a temporary file next to the
// database, which has room for one, and returns it open at its start and
// already unlinked: whatever happens next, it leaves nothing behind once
// closed. Copies left by a process that died while making one are
// removed first.
func (s *Store) BackupFile(ctx context.Context) (*os.File, error) {
	dir, base := filepath.Split(s.path)
	if dir == "" {
		dir = "."
	}
	removeStaleBackups(dir, base+backupSuffix)
	tmp, err := os.CreateTemp(dir, base+backupSuffix+"*.tmp")
	if err != nil {
		return nil, fmt.Errorf("a temporary file for the backup: %w", err)
	}
	name := tmp.Name()
	tmp.Close()
	if err := s.backupInto(ctx, name); err != nil {
		return nil, err
	}
	f, err := os.Open(name)
	os.Remove(name)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// removeStaleBackups removes temporary copies older than an hour: one
// being made now is younger (even a large state is copied in minutes),
// and only the process holding the state makes them.
func removeStaleBackups(dir, prefix string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || !strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > time.Hour {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// backupInto copies the state into dst, an empty file, and removes it on
// failure.
func (s *Store) backupInto(ctx context.Context, dst string) (err error) {
	defer func() {
		if err != nil {
			os.Remove(dst)
		}
	}()
	// What is journaled but not folded is not in the database yet.
	if err := s.Flush(ctx); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("copying the state: %w", err)
	}
	return seal(ctx, dst)
}

// seal makes a fresh copy stand alone: rollback journal mode (a WAL copy
// would need its -wal and -shm beside it to open read-only), no apply
// lock, and synced to disk.
func seal(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+uriPath(path)+"?_pragma=busy_timeout(1000)&_pragma=journal_mode(DELETE)&_pragma=synchronous(FULL)")
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `DELETE FROM locks`)
	err = errors.Join(err, db.Close())
	if err != nil {
		return fmt.Errorf("sealing the copy: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// Info describes a hearth state file, as Verify found it.
type Info struct {
	Bytes int64
	// Schema is the file's schema version; Current the one this hearth
	// brings a state to when it opens it.
	Schema, Current int
	Members         int64
	EventIDs        int64
	Outbox          int64
	Outcomes        int64
	Resources       int64
	// Newest is the time of the newest event whose id is kept (zero when
	// none is).
	Newest time.Time
	// Unfolded counts the batches in the journal beside a live state that
	// its database does not hold yet (Describe only; a backup has none).
	Unfolded int
}

// InvalidError says why a file is not a hearth state this hearth can
// open.
type InvalidError struct {
	Path   string
	Reason string
}

func (e *InvalidError) Error() string {
	return e.Path + " is not a valid hearth state: " + e.Reason
}

// sqliteHeader opens every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// Verify opens the file at path read-only and reports whether it is a
// whole hearth state of a schema version this hearth can open (the
// current one, or an older one it migrates), every member document
// readable, and what it holds. It writes nothing, so it is safe on a
// backup that is all one has. A file that is not one is an *InvalidError.
func Verify(ctx context.Context, path string) (Info, error) {
	invalid := func(format string, args ...any) (Info, error) {
		return Info{}, &InvalidError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return Info{}, err
	}
	if st.IsDir() {
		f.Close()
		return invalid("it is a directory")
	}
	header := make([]byte, 100)
	n, err := io.ReadFull(f, header)
	f.Close()
	switch {
	case st.Size() == 0:
		return invalid("the file is empty")
	case err != nil && n < len(sqliteHeader):
		return invalid("%d bytes are too short to be a SQLite database", st.Size())
	case string(header[:len(sqliteHeader)]) != sqliteHeader:
		return invalid("it is not a SQLite database (it does not start with SQLite's header)")
	case err != nil:
		return invalid("%d bytes are too short to be a SQLite database", st.Size())
	}
	pageSize := int64(binary.BigEndian.Uint16(header[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return invalid("its header is damaged (page size %d)", pageSize)
	}
	// The header's page count is valid when the change counter it was
	// written with is the current one.
	pages := int64(binary.BigEndian.Uint32(header[28:32]))
	if binary.BigEndian.Uint32(header[92:96]) == binary.BigEndian.Uint32(header[24:28]) && pages*pageSize > st.Size() {
		return invalid("it is truncated: its header says %d bytes, the file has %d", pages*pageSize, st.Size())
	}
	if st.Size()%pageSize != 0 {
		return invalid("it is truncated or damaged: %d bytes are not a whole number of %d-byte pages", st.Size(), pageSize)
	}
	if _, err := os.Stat(path + "-wal"); err == nil && (header[18] == 2 || header[19] == 2) {
		return invalid("it is in WAL mode with a %s-wal file beside it: part of it is in that file, so this is a live database or a copy of one, not a backup; make one with hearth state backup", filepath.Base(path))
	}
	if _, err := os.Stat(path + "-journal"); err == nil {
		return invalid("a %s-journal file beside it says a write to it was cut short; it is not a backup", filepath.Base(path))
	}

	// immutable: SQLite then writes nothing, not even the -shm and -wal
	// files it makes beside a WAL-mode file opened read-only; with no
	// -wal or -journal beside it, the file is all there is.
	db, err := sql.Open("sqlite", "file:"+uriPath(path)+"?mode=ro&immutable=1")
	if err != nil {
		return Info{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return invalid("SQLite cannot read it: %v", err)
	}
	var problems []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return invalid("SQLite cannot read it: %v", err)
		}
		if p != "ok" && len(problems) < 3 {
			problems = append(problems, p)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return invalid("SQLite cannot read it: %v", err)
	}
	if len(problems) > 0 {
		return invalid("it is damaged: %s", strings.Join(problems, "; "))
	}

	info, err := figures(ctx, db)
	if err != nil {
		return Info{}, &InvalidError{Path: path, Reason: err.Error()}
	}
	info.Bytes = st.Size()
	// Every member document must read, or the daemon would fail on that
	// member's next event.
	rows, err = db.QueryContext(ctx, `SELECT id, data FROM members`)
	if err != nil {
		return invalid("reading members: %v", err)
	}
	defer rows.Close()
	var m state.Member
	for rows.Next() {
		var id string
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return invalid("reading members: %v", err)
		}
		m = state.Member{}
		if err := state.DecodeMember(data, &m); err != nil {
			return invalid("member %q cannot be read: %v", id, err)
		}
	}
	if err := rows.Err(); err != nil {
		return invalid("reading members: %v", err)
	}
	return info, nil
}

// figures reads what the hearth state open in db holds, after checking
// that it has hearth's tables at a schema version this hearth knows. Its
// errors are the reasons a file is not a valid state.
func figures(ctx context.Context, db *sql.DB) (Info, error) {
	tables := map[string]bool{}
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return Info{}, fmt.Errorf("SQLite cannot read it: %w", err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err == nil {
			tables[name] = true
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return Info{}, fmt.Errorf("SQLite cannot read it: %w", err)
	}
	if !tables["schema_version"] {
		return Info{}, errors.New("it is a SQLite database without hearth's tables (no schema_version)")
	}
	info := Info{Current: len(migrations)}
	if err := db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&info.Schema); err != nil {
		return Info{}, fmt.Errorf("its schema version cannot be read: %w", err)
	}
	switch {
	case info.Schema > len(migrations):
		return Info{}, fmt.Errorf("its schema version %d is newer than this hearth knows (%d); restore it with a newer hearth", info.Schema, len(migrations))
	case info.Schema < 1:
		return Info{}, fmt.Errorf("its schema version is %d: it was never migrated", info.Schema)
	}
	// The tables the file's version has; a later migration adds
	// resources, the others are there from the first.
	want := []string{"events", "members", "outcomes", "outbox"}
	if info.Schema >= 2 {
		want = append(want, "resources", "state_meta", "locks")
	}
	for _, t := range want {
		if !tables[t] {
			return Info{}, fmt.Errorf("schema version %d should have the table %s, and it has not", info.Schema, t)
		}
	}
	counts := []struct {
		table string
		n     *int64
	}{{"members", &info.Members}, {"events", &info.EventIDs}, {"outbox", &info.Outbox}, {"outcomes", &info.Outcomes}, {"resources", &info.Resources}}
	for _, c := range counts {
		if !tables[c.table] {
			continue
		}
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+c.table).Scan(c.n); err != nil {
			return Info{}, fmt.Errorf("counting %s: %w", c.table, err)
		}
	}
	var newest sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(at) FROM events`).Scan(&newest); err != nil {
		return Info{}, fmt.Errorf("reading event times: %w", err)
	}
	if newest.Valid && newest.Int64 > 0 {
		info.Newest = time.Unix(0, newest.Int64).UTC()
	}
	return info, nil
}

// uriPath escapes what a SQLite URI filename would read as its query or
// fragment, so a backup may be named anything.
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}
