package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// crashedAfterBackup makes a state of events e0-e4, backs it up, then
// commits e5-e9 into the journal only and crashes: the state a restore
// meets after a daemon was killed. It returns the state's path and the
// backup's.
func crashedAfterBackup(t *testing.T) (db, backup string) {
	t.Helper()
	ctx := context.Background()
	s, db := openAt(t)
	at := time.Unix(1700000000, 0).UTC()
	for i := range 5 {
		commitOne(t, s, i, at)
	}
	backup = filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	s.stopFolding(t)
	for i := 5; i < 10; i++ {
		commitOne(t, s, i, at)
	}
	s.crash()
	return db, backup
}

// seenIDs reports which of e0 ... e(n-1) the state at db has applied.
func seenIDs(t *testing.T, db string, n int) string {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback()
	var seen []string
	for i := range n {
		if ok, err := b.Seen(fmt.Sprintf("e%d", i)); err != nil {
			t.Fatal(err)
		} else if ok {
			seen = append(seen, fmt.Sprintf("e%d", i))
		}
	}
	return strings.Join(seen, " ")
}

// dirFiles maps each file in dir to its content.
func dirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() {
			out[e.Name()+"/"] = nil
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = data
	}
	return out
}

func sameFiles(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
		t.Errorf("%s: files %v, want %v", what, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		return
	}
	for name, data := range want {
		if !bytes.Equal(got[name], data) {
			t.Errorf("%s: %s changed", what, name)
		}
	}
}

// The journal beside the replaced state holds batches numbered after the
// backup's last one: left in place, it is folded into the restored state
// (e5-e9 would come back). Restore moves it aside with the rest, so the
// result holds the backup's events and nothing else, and the user's
// backup file is left byte for byte as it was.
func TestRestoreLeavesTheOldJournalOut(t *testing.T) {
	ctx := context.Background()
	db, backup := crashedAfterBackup(t)
	want, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	backupStat, _ := os.Stat(backup)

	// What the test guards against: the backup copied over state.db
	// alone takes the old journal in.
	manual := filepath.Join(t.TempDir(), "state.db")
	for _, p := range []string{"-batches.0", "-batches.1"} {
		data, _ := os.ReadFile(db + p)
		_ = os.WriteFile(manual+p, data, 0o600)
	}
	_ = os.WriteFile(manual, want, 0o600)
	if got := seenIDs(t, manual, 10); !strings.Contains(got, "e9") {
		t.Fatalf("the old journal beside a copied backup was not read (%s); this test no longer shows the hazard", got)
	}

	cur, err := Describe(ctx, db)
	if err != nil || cur.Unfolded != 5 || cur.EventIDs != 5 {
		t.Errorf("Describe of the crashed state: %+v %v; want 5 event ids and 5 unfolded batches", cur, err)
	}
	before := dirFiles(t, filepath.Dir(db))
	delete(before, "state.db.open.lock") // the lock stays where it is
	now := time.Date(2026, 11, 24, 6, 0, 12, 0, time.UTC)
	res, err := Restore(ctx, backup, db, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Info.EventIDs != 5 || res.Info.Members != 3 || res.Info.Unfolded != 0 {
		t.Errorf("restored: %+v", res.Info)
	}
	if got := seenIDs(t, db, 10); got != "e0 e1 e2 e3 e4" {
		t.Errorf("the restored state has applied %q; want the backup's e0-e4 only", got)
	}
	if got, _ := os.ReadFile(backup); !bytes.Equal(got, want) {
		t.Error("the backup file changed")
	}
	if st, _ := os.Stat(backup); !st.ModTime().Equal(backupStat.ModTime()) || st.Mode() != backupStat.Mode() {
		t.Errorf("the backup file's time or mode changed: %v %v", st.ModTime(), st.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(backup), "*")); len(left) != 1 {
		t.Errorf("next to the backup: %v", left)
	}

	// Every old file is in the folder, as it was.
	wantAside := filepath.Join(filepath.Dir(db), "state.db.before-restore-20261124T060012Z")
	if res.Aside != wantAside {
		t.Errorf("aside in %s, want %s", res.Aside, wantAside)
	}
	sameFiles(t, "the replaced state", dirFiles(t, res.Aside), before)
	if !slices.Contains(res.Moved, "state.db-batches.0") || !slices.Contains(res.Moved, "state.db") {
		t.Errorf("moved %v", res.Moved)
	}

	// A second restore the same second gets a folder of its own.
	res2, err := Restore(ctx, backup, db, now)
	if err != nil || res2.Aside != wantAside+"-2" {
		t.Errorf("second restore: %v, aside %s", err, res2.Aside)
	}
	if got := seenIDs(t, db, 10); got != "e0 e1 e2 e3 e4" {
		t.Errorf("after the second restore: %q", got)
	}
}

// When the restored state fails to open, the old files go back where
// they were, unchanged, and nothing of the attempt is left.
func TestRestoreUndoesAFailure(t *testing.T) {
	ctx := context.Background()
	db, backup := crashedAfterBackup(t)
	before := dirFiles(t, filepath.Dir(db))
	failing := func(ctx context.Context, path string) error {
		if err := openOnce(ctx, path); err != nil {
			t.Fatal(err)
		}
		return errors.New("disk on fire")
	}
	_, err := restore(ctx, backup, db, time.Now(), failing, time.Second)
	if err == nil || !strings.Contains(err.Error(), "disk on fire; the old state was put back as it was") {
		t.Fatalf("restore: %v", err)
	}
	sameFiles(t, "after a failed restore", dirFiles(t, filepath.Dir(db)), before)
	if got := seenIDs(t, db, 10); got != "e0 e1 e2 e3 e4 e5 e6 e7 e8 e9" {
		t.Errorf("the state after a failed restore has applied %q, want all ten", got)
	}
}

// A backup that is not a state, and a state another process has open,
// are refused with nothing changed.
func TestRestoreRefuses(t *testing.T) {
	ctx := context.Background()
	s, db := openAt(t)
	defer s.Close()
	commitOne(t, s, 0, time.Unix(1700000000, 0).UTC())
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	before := dirFiles(t, filepath.Dir(db))
	if _, err := Restore(ctx, backup, db, time.Now()); !errors.Is(err, ErrInUse) {
		t.Errorf("restore while the store is open: %v, want ErrInUse", err)
	}
	if _, err := Describe(ctx, db); !errors.Is(err, ErrInUse) {
		t.Errorf("describe while the store is open: %v, want ErrInUse", err)
	}
	sameFiles(t, "after refusing an open state", dirFiles(t, filepath.Dir(db)), before)
	s.Close()

	before = dirFiles(t, filepath.Dir(db))
	garbage := filepath.Join(t.TempDir(), "garbage.db")
	_ = os.WriteFile(garbage, bytes.Repeat([]byte("not a state\n"), 1000), 0o600)
	_, err := Restore(ctx, garbage, db, time.Now())
	var invalid *InvalidError
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "it is not a SQLite database") {
		t.Errorf("restore of garbage: %v", err)
	}
	sameFiles(t, "after refusing a bad backup", dirFiles(t, filepath.Dir(db)), before)
}

// A command reading the state holds no state lock, and may not hold the
// journal either (a daemon had it when the command opened the state):
// a restore waits for it, then refuses with nothing changed; a store
// opening while the restore swaps the files waits for it and reads the
// restored state, never a half-moved one.
func TestRestoreAndReaders(t *testing.T) {
	ctx := context.Background()
	db, backup := crashedAfterBackup(t)
	holder, err := Open(ctx, db) // folds the journal, and holds it
	if err != nil {
		t.Fatal(err)
	}
	reader, err := Open(ctx, db) // without the journal
	if err != nil {
		t.Fatal(err)
	}
	if reader.jr != nil {
		t.Fatal("the reader holds the journal; the test wants one that does not")
	}
	holder.Close()
	before := dirFiles(t, filepath.Dir(db))
	start := time.Now()
	if _, err := restore(ctx, backup, db, time.Now(), openOnce, 300*time.Millisecond); !errors.Is(err, ErrInUse) {
		t.Fatalf("restore while a reader has the state open: %v, want ErrInUse", err)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("restore refused after %s; want it to wait for the reader first", waited)
	}
	sameFiles(t, "after refusing a read state", dirFiles(t, filepath.Dir(db)), before)

	// A reader that closes while the restore waits lets it go on.
	go func() {
		time.Sleep(100 * time.Millisecond)
		reader.Close()
	}()
	opened := make(chan string, 1)
	during := func(ctx context.Context, path string) error {
		// The files are swapped and not yet checked: a store opening now
		// must wait until the restore is done.
		go func() { opened <- seenIDs(t, db, 10) }()
		select {
		case got := <-opened:
			t.Errorf("a store opened in the middle of the restore, reading %q", got)
		case <-time.After(200 * time.Millisecond):
		}
		return openOnce(ctx, path)
	}
	if _, err := restore(ctx, backup, db, time.Now(), during, 5*time.Second); err != nil {
		t.Fatalf("restore once the reader closed: %v", err)
	}
	select {
	case got := <-opened:
		if got != "e0 e1 e2 e3 e4" {
			t.Errorf("the store that waited read %q; want the backup's e0-e4", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the store waiting for the restore never opened")
	}
}
