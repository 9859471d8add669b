package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// stateOnly is what dirFiles gives of a state's own files: without the
// open lock, which stays where it is, and the folders of replaced state.
func stateOnly(files map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for name, data := range files {
		if name != "state.db.open.lock" && !strings.HasSuffix(name, "/") {
			out[name] = data
		}
	}
	return out
}

// Undo puts back, byte for byte, the state a restore replaced (its
// journal unfolded, as it was), moving the restored one into a folder
// of its own that is the newest even when the clock was set back since:
// undoing again puts the restored state back, and again the old one.
func TestUndoPutsTheReplacedStateBack(t *testing.T) {
	ctx := context.Background()
	db, backup := crashedAfterBackup(t)
	dir := filepath.Dir(db)
	before := stateOnly(dirFiles(t, dir))
	now := time.Date(2026, 11, 24, 6, 0, 12, 0, time.UTC)
	res, err := Restore(ctx, backup, db, now)
	if err != nil {
		t.Fatal(err)
	}
	restored := stateOnly(dirFiles(t, dir))

	u, err := Undo(ctx, res.Aside, db, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sameFiles(t, "the state put back", stateOnly(dirFiles(t, dir)), before)
	if _, err := os.Stat(res.Aside); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the emptied folder %s is still there: %v", res.Aside, err)
	}
	if u.From != res.Aside || !slices.Equal(u.Back, res.Moved) {
		t.Errorf("put back %v from %s; want %v from %s", u.Back, u.From, res.Moved, res.Aside)
	}
	if u.Unreadable != nil || u.Info.EventIDs != 5 || u.Info.Unfolded != 5 {
		t.Errorf("what was put back: %+v %v; want 5 event ids and 5 batches not yet folded", u.Info, u.Unreadable)
	}
	if want := res.Aside + "-2"; u.Aside != want {
		t.Errorf("the restored state went to %s, want %s (the restore's time, the clock being earlier now)", u.Aside, want)
	}
	sameFiles(t, "the restored state moved aside", dirFiles(t, u.Aside), restored)
	asides, err := Asides(db)
	if err != nil || len(asides) != 1 || asides[0].Path != u.Aside {
		t.Fatalf("asides after the undo: %v %v", asides, err)
	}

	// Undoing the undo.
	u2, err := Undo(ctx, u.Aside, db, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := seenIDs(t, db, 10); got != "e0 e1 e2 e3 e4" {
		t.Errorf("after undoing the undo, the state has applied %q; want the backup's e0-e4", got)
	}
	if _, err := Undo(ctx, u2.Aside, db, now); err != nil {
		t.Fatal(err)
	}
	if got := seenIDs(t, db, 10); got != "e0 e1 e2 e3 e4 e5 e6 e7 e8 e9" {
		t.Errorf("after the third undo, the state has applied %q; want all ten", got)
	}
}

// A copy left by a restore killed before it put the copy in place is
// hidden and as big as a backup: the next restore, or undo, removes it
// and says so, and leaves other files alone.
func TestRestoreRemovesStaleCopies(t *testing.T) {
	ctx := context.Background()
	db, backup := crashedAfterBackup(t)
	dir := filepath.Dir(db)
	stale := func() string {
		f, err := os.CreateTemp(dir, ".state.db.restore-*.tmp")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Write(make([]byte, 4096)); err != nil {
			t.Fatal(err)
		}
		return f.Name()
	}
	other := filepath.Join(dir, ".state.db.partial-1")
	if err := os.WriteFile(other, []byte("not a restore's"), 0o600); err != nil {
		t.Fatal(err)
	}
	left := stale()
	if got, err := StaleCopies(db); err != nil || !slices.Equal(got, []string{left}) {
		t.Errorf("stale copies: %v %v; want %s", got, err, left)
	}
	res, err := Restore(ctx, backup, db, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := []Stale{{filepath.Base(left), 4096}}; !slices.Equal(res.Stale, want) {
		t.Errorf("restore removed %v, want %v", res.Stale, want)
	}
	if _, err := os.Stat(left); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale copy is still there: %v", err)
	}

	left = stale()
	u, err := Undo(ctx, res.Aside, db, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Stale) != 1 || u.Stale[0].Name != filepath.Base(left) {
		t.Errorf("undo removed %v, want %s", u.Stale, left)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file that is no restore's copy was removed: %v", err)
	}
	if got, _ := StaleCopies(db); len(got) != 0 {
		t.Errorf("stale copies left: %v", got)
	}
}

// Undo refuses a folder holding what is not a state's file, and a state
// another process has open, changing nothing; folders named otherwise
// are not taken for replaced state.
func TestUndoRefuses(t *testing.T) {
	ctx := context.Background()
	db, backup := crashedAfterBackup(t)
	dir := filepath.Dir(db)
	res, err := Restore(ctx, backup, db, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"state.db.before-restore-keep", "state.db.before-restore-20261124T060012Z-x", "other.db.before-restore-20261124T060012Z"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if asides, err := Asides(db); err != nil || len(asides) != 1 || asides[0].Path != res.Aside {
		t.Errorf("asides: %v %v; want %s alone", asides, err, res.Aside)
	}

	notes := filepath.Join(res.Aside, "notes.txt")
	if err := os.WriteFile(notes, []byte("why I restored"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := dirFiles(t, dir)
	if _, err := Undo(ctx, res.Aside, db, time.Now()); err == nil || !strings.Contains(err.Error(), "holds notes.txt, which is not a file of the state: move it out of the folder and undo again") {
		t.Errorf("undo of a folder with notes: %v", err)
	}
	sameFiles(t, "after refusing a folder with notes", dirFiles(t, dir), before)
	os.Remove(notes)

	s, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before = dirFiles(t, dir)
	if _, err := undo(ctx, res.Aside, db, time.Now(), 100*time.Millisecond); !errors.Is(err, ErrInUse) {
		t.Errorf("undo while the state is open: %v, want ErrInUse", err)
	}
	sameFiles(t, "after refusing an open state", dirFiles(t, dir), before)
}
