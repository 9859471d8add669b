package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Every store holds a shared flock on the state's open lock file
// (state.db.open.lock) from Open to Close: readers too, which take no
// state lock (hearth state list, member show, report, a plan reading the
// state) and may not hold the journal either (a daemon has it, or there
// is none). Restore takes it exclusively while it swaps the files, so a
// command never reads a state whose files are being moved, nor creates
// an empty one in the moment the old one is gone: a store opening then
// waits until the swap is done, and Restore waits a while for the stores
// open before it to close, then refuses with ErrInUse. The file stays;
// it holds nothing.

// openLockPath is the open lock file of the state at db.
func openLockPath(db string) string { return db + ".open.lock" }

// How long a store waits to open while a restore swaps the files, and a
// restore for the stores open before it to close (a command reading the
// state takes a moment; a daemon holds the state lock and is refused
// before this).
const (
	openWaitForRestore = time.Minute
	restoreWaitForOpen = 10 * time.Second
)

// lockOpen takes the open lock of db, shared (a store) or exclusive (a
// restore), trying again until wait has passed; ok is false when it
// could not.
func lockOpen(ctx context.Context, db string, how int, wait time.Duration) (f *os.File, ok bool, err error) {
	f, err = os.OpenFile(openLockPath(db), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("state open lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if err == nil {
			return f, true, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, false, fmt.Errorf("state open lock %s: %w", openLockPath(db), err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			f.Close()
			return nil, false, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, false, ctx.Err()
		case <-time.After(min(pause, left)):
		}
	}
}

// holdOpen takes db's open lock shared, for a store, waiting while a
// restore swaps the files.
func holdOpen(ctx context.Context, db string) (*os.File, error) {
	f, ok, err := lockOpen(ctx, db, unix.LOCK_SH, openWaitForRestore)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("a restore has been replacing the state %s for over %s; try again once it is done", db, openWaitForRestore)
	}
	return f, nil
}

// holdExclusive takes db's open lock exclusively, for a restore, waiting
// up to wait for the stores open to close; ErrInUse when they do not.
func holdExclusive(ctx context.Context, db string, wait time.Duration) (*os.File, error) {
	f, ok, err := lockOpen(ctx, db, unix.LOCK_EX, wait)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrInUse
	}
	return f, nil
}

// holdOpenExisting is holdOpen for a read-only store, which creates no
// file: without an open lock file (a state from before it was kept, or
// a copy) it holds none, nil. A restore creates the file, so a store
// opening after that waits; one opened before may fail a read while the
// files are swapped, and writes nothing to tear.
func holdOpenExisting(ctx context.Context, db string) (*os.File, error) {
	if _, err := os.Stat(openLockPath(db)); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return holdOpen(ctx, db)
}
