package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// A backup taken while batches commit is the state as of one commit:
// every batch committed before it began, and of the later ones whole
// batches only (each batch adds 5 points, an event id and an outcome, so
// a torn copy would not add up). It holds no apply lock, and it opens as
// a state that goes on from there.
func TestBackupWhileCommitting(t *testing.T) {
	ctx := context.Background()
	s, _ := openAt(t)
	defer s.Close()
	if err := s.Lock(ctx, state.LockInfo{ID: "apply-1", Who: "someone", When: time.Now()}); err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1700000000, 0).UTC()
	const total = 1500
	var committed atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range total {
			commitOne(t, s, i, at)
			committed.Store(int64(i + 1))
		}
	}()
	for committed.Load() < total/3 {
		time.Sleep(time.Millisecond)
	}
	before := committed.Load()
	dst := filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	<-done
	info, err := Verify(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if info.EventIDs < before || info.EventIDs > total || info.Outcomes != info.EventIDs || info.Members != 3 || info.Outbox != 3 ||
		info.Schema != len(migrations) || info.Current != len(migrations) || !info.Newest.Equal(at) {
		t.Fatalf("backup taken after %d commits: %+v", before, info)
	}
	t.Logf("backup taken after %d of %d commits holds %d", before, total, info.EventIDs)
	if err := s.Backup(ctx, dst); !errors.Is(err, os.ErrExist) {
		t.Errorf("a second backup over the first: %v", err)
	}

	// Restored alone in a directory of its own, it opens, adds up, and
	// takes the apply lock: the one it was taken under is not running.
	restored := filepath.Join(t.TempDir(), "state.db")
	data, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(restored, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	points := 0
	if err := r.Members(ctx, func(m *state.Member) error { points += m.Points; return nil }); err != nil {
		t.Fatal(err)
	}
	if int64(points) != 5*info.EventIDs {
		t.Errorf("members hold %d points for %d events: a torn copy", points, info.EventIDs)
	}
	if err := r.Lock(ctx, state.LockInfo{ID: "apply-2", Who: "restorer", When: time.Now()}); err != nil {
		t.Errorf("the backup kept the apply lock: %v", err)
	}
	b, _ := r.Begin(ctx)
	defer b.Rollback()
	if seen, err := b.Seen("e0"); !seen || err != nil {
		t.Errorf("an event in the backup is not seen after the restore: %v %v", seen, err)
	}
}

// BackupFile leaves nothing next to the state, made or failed, and
// removes copies a dead process left there.
func TestBackupFileLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s, path := openAt(t)
	defer s.Close()
	commitOne(t, s, 0, time.Unix(1700000000, 0).UTC())
	dir := filepath.Dir(path)
	stale := filepath.Join(dir, "state.db.backup-123.tmp")
	if err := os.WriteFile(stale, []byte("half a copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	_ = os.Chtimes(stale, old, old)
	leftovers := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, "state.db.backup-*"))
		return m
	}

	f, err := s.BackupFile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l := leftovers(); len(l) != 0 {
		t.Errorf("next to the state while the backup is open: %v", l)
	}
	copied := filepath.Join(t.TempDir(), "copy.db")
	out, _ := os.Create(copied)
	if _, err := out.ReadFrom(f); err != nil {
		t.Fatal(err)
	}
	out.Close()
	f.Close()
	if info, err := Verify(ctx, copied); err != nil || info.EventIDs != 1 {
		t.Errorf("the streamed backup: %+v %v", info, err)
	}

	// A backup that fails (here, cancelled) removes its copy.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.BackupFile(cctx); err == nil {
		t.Error("a cancelled backup succeeded")
	}
	if l := leftovers(); len(l) != 0 {
		t.Errorf("after a failed backup: %v", l)
	}
}

// Verify says what is wrong with a file that is no hearth state, or not
// one this hearth can open, in words an operator can act on.
func TestVerifyRefuses(t *testing.T) {
	ctx := context.Background()
	s, _ := openAt(t)
	for i := range 200 {
		commitOne(t, s, i, time.Unix(1700000000, 0).UTC())
	}
	// A name SQLite would read as a URI's query and fragment.
	good := filepath.Join(t.TempDir(), "good #1?.db")
	if err := s.Backup(ctx, good); err != nil {
		t.Fatal(err)
	}
	s.Close()
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pageSize := 4096
	other := filepath.Join(dir, "other.db")
	db, _ := sql.Open("sqlite", "file:"+other)
	if _, err := db.Exec(`CREATE TABLE notes (x TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	newer := write("newer.db", data)
	db, _ = sql.Open("sqlite", "file:"+newer)
	if _, err := db.Exec(`UPDATE schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, tc := range []struct{ path, want string }{
		{write("empty.db", nil), "the file is empty"},
		{write("garbage.db", []byte(strings.Repeat("not a database\n", 500))), "it is not a SQLite database"},
		{write("short.db", data[:50]), "too short to be a SQLite database"},
		{write("truncated.db", data[:len(data)/2]), "it is truncated: its header says"},
		{write("torn.db", data[:len(data)-pageSize/2]), "it is truncated"},
		{other, "without hearth's tables"},
		{newer, "schema version 99 is newer than this hearth knows"},
	} {
		_, err := Verify(ctx, tc.path)
		var inv *InvalidError
		if !errors.As(err, &inv) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path+" is not a valid hearth state") {
			t.Errorf("%s: %v, want %q", filepath.Base(tc.path), err, tc.want)
		}
	}
	// A page overwritten in the middle is found by SQLite's own check.
	damaged := append([]byte(nil), data...)
	for i := 2 * pageSize; i < 3*pageSize; i++ {
		damaged[i] = 0xa5
	}
	if _, err := Verify(ctx, write("damaged.db", damaged)); err == nil {
		t.Error("a damaged page passed")
	} else {
		t.Logf("damaged: %v", err)
	}
	if _, err := Verify(ctx, good); err != nil {
		t.Errorf("the good backup: %v", err)
	}

	// A state file in WAL mode (a copy of a stopped daemon's state.db)
	// is checked without a -wal or -shm made beside it; with a -wal
	// beside it, it is not all there.
	walDir := t.TempDir()
	wal := filepath.Join(walDir, "state.db")
	w, err := Open(ctx, wal)
	if err != nil {
		t.Fatal(err)
	}
	commitOne(t, w, 0, time.Unix(1700000000, 0).UTC())
	w.Close()
	for _, f := range []string{"-batches.0", "-batches.1", ".open.lock"} {
		os.Remove(wal + f)
	}
	if info, err := Verify(ctx, wal); err != nil || info.EventIDs != 1 {
		t.Errorf("a WAL-mode state: %+v %v", info, err)
	}
	if entries, _ := os.ReadDir(walDir); len(entries) != 1 {
		t.Errorf("Verify wrote beside the file: %v", entries)
	}
	_ = os.WriteFile(wal+"-wal", []byte("frames"), 0o600)
	if _, err := Verify(ctx, wal); err == nil || !strings.Contains(err.Error(), "-wal file beside it") {
		t.Errorf("with a -wal beside it: %v", err)
	}
}

// The README's backup example shows what hearth state backup prints
// today: the schema version a backup made now has (a new migration
// left it naming the one before).
func TestReadmeBackupExampleSchemaVersion(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	got := regexp.MustCompile(`schema version (\d+), in `).FindAllStringSubmatch(string(readme), -1)
	if len(got) == 0 {
		t.Fatal("the README shows no backup's schema version; has its example changed?")
	}
	for _, m := range got {
		if m[1] != strconv.Itoa(len(migrations)) {
			t.Errorf("the README's backup example says schema version %s; a backup made now has %d", m[1], len(migrations))
		}
	}
}
