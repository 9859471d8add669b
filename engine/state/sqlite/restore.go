package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Restoring. A state is its database and the files beside it: the -wal
// and -shm files and the journal (-batches.0 and -batches.1). Journal
// records are numbered and the database notes the last one it holds; a
// backup notes an older number than the state it came from, so an old
// journal left beside a restored backup is folded into it on the next
// open, as if its batches were newer. Every one of those files is
// therefore moved aside together, and the backup's copy takes their
// place alone.

// ErrInUse says another process has the state open (it holds the open
// lock or the journal): a command that reads or applies without the
// state lock.
var ErrInUse = errors.New("another process has the state open")

// StateFiles lists the files of the state at db that exist: the
// database, its -wal, -shm and -journal files and the journal's files,
// in that order. The lock file and a daemon's announcement are the
// command's, not the state's, and are not listed.
func StateFiles(db string) ([]string, error) {
	j := journalPaths(db)
	var out []string
	for _, p := range []string{db, db + "-wal", db + "-shm", db + "-journal", j[0], j[1]} {
		switch _, err := os.Lstat(p); {
		case err == nil:
			out = append(out, p)
		case !errors.Is(err, os.ErrNotExist):
			return nil, err
		}
	}
	return out, nil
}

// lockJournal takes the journal's lock, as a store opening the state
// would, and returns the file holding it (nil when there is no
// journal), or ErrInUse when another process has it.
func lockJournal(db string) (*os.File, error) {
	f, err := os.OpenFile(journalPaths(db)[0], os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrInUse
		}
		return nil, fmt.Errorf("locking the journal: %w", err)
	}
	return f, nil
}

// Describe says what the state at db holds, opening it read-only: the
// journal is not folded into it and the database is not changed (SQLite
// may make a -shm file beside a -wal file). Unfolded
// counts the journal's batches the database does not hold yet (left by
// a daemon that stopped without folding them). It returns ErrInUse when
// another process has the state open.
func Describe(ctx context.Context, db string) (Info, error) {
	jf, err := lockJournal(db)
	if err != nil {
		return Info{}, err
	}
	if jf != nil {
		defer jf.Close()
	}
	st, err := os.Stat(db)
	if err != nil {
		return Info{}, err
	}
	// With no -wal file the database file is all there is, and immutable
	// keeps SQLite from making -wal and -shm files beside it; a -wal left
	// by a crash holds commits, and is read.
	dsn := "file:" + uriPath(db) + "?mode=ro&immutable=1"
	if _, err := os.Stat(db + "-wal"); err == nil {
		dsn = "file:" + uriPath(db) + "?mode=ro&_pragma=busy_timeout(1000)"
	}
	conn, err := sql.Open("sqlite", dsn)
	if err != nil {
		return Info{}, err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	info, err := figures(ctx, conn)
	if err != nil {
		return Info{}, err
	}
	info.Bytes = st.Size()
	var folded int64
	if conn.QueryRowContext(ctx, `SELECT journal_seq FROM state_meta`).Scan(&folded) != nil {
		folded = 0 // a schema from before the journal: it has none
	}
	for _, p := range journalPaths(db) {
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return Info{}, err
		}
		recs, _ := readJournal(data)
		for _, r := range recs {
			if r.seq > uint64(folded) {
				info.Unfolded++
			}
		}
	}
	return info, nil
}

// Restored says what Restore did.
type Restored struct {
	// Aside is the folder the replaced files were moved into, and Moved
	// their names; both empty when there was no state.
	Aside string
	Moved []string
	// Stale are the copies an earlier restore stopped part way had left
	// next to the state, removed.
	Stale []Stale
	// Info is what the restored state holds.
	Info Info
}

// Restore puts a copy of the backup file in place of the state at db,
// which no process may have open: the caller holds the state lock, and
// Restore waits a few seconds for stores open elsewhere to close, then
// returns ErrInUse (stores opening meanwhile wait for it to finish). The
// backup itself is only read. Copies an earlier restore stopped part way
// left are removed (Restored.Stale). The copy is checked as Verify does
// before anything is moved;
// then every file of the current state is moved into a new folder next
// to it, named after now (nothing is deleted), the copy is renamed into
// place and opened once as a store. If any step after the move fails,
// the old files are put back and the state is as it was.
func Restore(ctx context.Context, backup, db string, now time.Time) (Restored, error) {
	return restore(ctx, backup, db, now, openOnce, restoreWaitForOpen)
}

// openOnce opens the state at db as a store and closes it: what hearth
// run does first, migrating an older schema.
func openOnce(ctx context.Context, db string) error {
	s, err := openUnder(ctx, db) // Restore holds the open lock
	if err != nil {
		return err
	}
	return s.Close()
}

// holdForSwap takes what moving the state's files needs, until release:
// the journal, so no store opens the old state meanwhile and folds it,
// and the open lock exclusively, since no store may have the state open
// while its files move, readers included, which take no state lock and
// may not hold the journal (every store holds the open lock shared).
func holdForSwap(ctx context.Context, db string, wait time.Duration) (release func(), err error) {
	jf, err := lockJournal(db)
	if err != nil {
		return nil, err
	}
	ex, err := holdExclusive(ctx, db, wait)
	if err != nil {
		if jf != nil {
			jf.Close()
		}
		return nil, err
	}
	return func() {
		ex.Close()
		if jf != nil {
			jf.Close()
		}
	}, nil
}

func restore(ctx context.Context, backup, db string, now time.Time, open func(context.Context, string) error, wait time.Duration) (res Restored, err error) {
	release, err := holdForSwap(ctx, db, wait)
	if err != nil {
		return res, err
	}
	defer release()
	dir, base := filepath.Split(db)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, fmt.Errorf("state directory: %w", err)
	}
	old, err := StateFiles(db)
	if err != nil {
		return res, err
	}
	// A restore killed before it renamed its copy into place left the
	// copy, as big as a backup, hidden from ls.
	if res.Stale, err = removeStale(db); err != nil {
		return res, err
	}
	// The old database's mode and owner go to the copy, so a daemon run
	// as the state's owner can open what a restore run as root placed.
	mode, uid, gid := os.FileMode(0o600), -1, -1
	if st, err := os.Stat(db); err == nil {
		mode = st.Mode().Perm()
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(sys.Uid), int(sys.Gid)
		}
	}

	tmp, err := copyBackup(ctx, backup, dir, base, mode)
	if err != nil {
		return res, err
	}
	defer os.Remove(tmp) // renamed into place on success
	want, err := Verify(ctx, tmp)
	if err != nil {
		return res, fmt.Errorf("the copy of %s made next to the state failed its check (nothing was changed): %w", backup, err)
	}

	// From here the state changes: a Ctrl-C no longer stops the steps,
	// which either finish or are undone.
	ctx = context.WithoutCancel(ctx)
	if len(old) > 0 {
		if res.Aside, err = asideFolder(dir, base, asideName(db, now)); err != nil {
			return res, err
		}
	}
	var moved []string
	undo := func(cause error) (Restored, error) {
		// What the attempt placed at db is the copy and the files opening
		// it made; the old ones are all in the folder by now, or were
		// never moved.
		if len(moved) == len(old) {
			if placed, err := StateFiles(db); err == nil {
				for _, p := range placed {
					os.Remove(p)
				}
			}
		}
		var failed []string
		for _, p := range moved {
			if err := os.Rename(filepath.Join(res.Aside, filepath.Base(p)), p); err != nil {
				failed = append(failed, filepath.Base(p))
			}
		}
		if len(failed) > 0 {
			return Restored{}, fmt.Errorf("%w; putting the old state back failed too: %s are still in %s, move them back next to %s by hand", cause, strings.Join(failed, ", "), res.Aside, base)
		}
		if res.Aside != "" {
			os.Remove(res.Aside)
		}
		syncDir(dir)
		return Restored{Stale: res.Stale}, fmt.Errorf("%w; the old state was put back as it was", cause)
	}
	for _, p := range old {
		if err := os.Rename(p, filepath.Join(res.Aside, filepath.Base(p))); err != nil {
			return undo(fmt.Errorf("moving %s aside: %w", filepath.Base(p), err))
		}
		moved = append(moved, p)
		res.Moved = append(res.Moved, filepath.Base(p))
	}
	if res.Aside != "" {
		if err := syncDir(res.Aside); err != nil {
			return undo(err)
		}
	}
	if err := os.Rename(tmp, db); err != nil {
		return undo(fmt.Errorf("placing the copy: %w", err))
	}
	if err := syncDir(dir); err != nil {
		return undo(err)
	}
	if err := open(ctx, db); err != nil {
		return undo(fmt.Errorf("the restored state does not open: %w", err))
	}
	got, err := Describe(ctx, db)
	if err == nil && (got.Members != want.Members || got.EventIDs != want.EventIDs || got.Outbox != want.Outbox || got.Resources != want.Resources) {
		err = fmt.Errorf("it holds %d members and %d event ids, the backup %d and %d", got.Members, got.EventIDs, want.Members, want.EventIDs)
	}
	if err != nil {
		return undo(fmt.Errorf("the restored state is not the backup: %w", err))
	}
	if uid >= 0 {
		if placed, err := StateFiles(db); err == nil {
			for _, p := range placed {
				// Giving a file away takes root; anyone else made
				// these files their own, as the old ones were.
				_ = os.Lchown(p, uid, gid)
			}
		}
	}
	res.Info = got
	return res, nil
}

// copyBackup copies backup into a new hidden file in dir, synced, and
// returns its name. The backup is opened for reading only.
func copyBackup(ctx context.Context, backup, dir, base string, mode os.FileMode) (name string, err error) {
	in, err := os.Open(backup)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, "."+base+".restore-*.tmp")
	if err != nil {
		return "", fmt.Errorf("a file for the copy next to the state: %w", err)
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(out.Name())
		}
	}()
	if err := out.Chmod(mode); err != nil {
		return "", err
	}
	if _, err := io.Copy(out, ctxReader{ctx, in}); err != nil {
		return "", fmt.Errorf("copying %s next to the state: %w", backup, err)
	}
	if err := out.Sync(); err != nil {
		return "", err
	}
	return out.Name(), out.Close()
}

// ctxReader stops a copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// asideFolder makes the folder the replaced files go to: next to the
// state, so moving them is a rename on the same file system, and named
// after the time, with a number when a restore the same second made one.
func asideFolder(dir, base string, now time.Time) (string, error) {
	name := filepath.Join(dir, base+asideInfix+now.UTC().Format(asideTime))
	for i := 1; ; i++ {
		try := name
		if i > 1 {
			try = fmt.Sprintf("%s-%d", name, i)
		}
		err := os.Mkdir(try, 0o700)
		if err == nil {
			return try, nil
		}
		if !errors.Is(err, os.ErrExist) || i >= 100 {
			return "", fmt.Errorf("a folder for the replaced state: %w", err)
		}
	}
}

// syncDir makes renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	// Some file systems cannot sync a directory; the files are synced.
	_ = d.Sync()
	return d.Close()
}
