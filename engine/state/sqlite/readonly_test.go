package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hearth-community/hearth/engine/state"
)

// dirSums is every file of dir with a hash of its content.
func dirSums(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][32]byte{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = sha256.Sum256(data)
	}
	return out
}

// A read-only store reads what a writer left, writes nothing (not a
// byte of any file, nor a new one: SQLite's write-ahead log and its index
// go when it closes), and refuses writes.
func TestOpenReadOnlyWritesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	w, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.PutResource(ctx, state.Resource{Address: "community.c", Platform: "platform.local.main", Kind: "community", ID: "co-1", Attrs: map[string]string{"name": "c"}}); err != nil {
		t.Fatal(err)
	}
	b, err := w.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SaveMember(&state.Member{ID: "m1", Points: 3}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	before := dirSums(t, dir)

	r, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	rs, serial, err := r.Resources(ctx)
	if err != nil || len(rs) != 1 || serial != 1 {
		t.Fatalf("Resources: %v, serial %d, %v", rs, serial, err)
	}
	n := 0
	if err := r.Members(ctx, func(*state.Member) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("Members: %d, %v", n, err)
	}
	if _, err := r.PutResource(ctx, state.Resource{Address: "community.d", Kind: "community", ID: "co-2"}); err == nil {
		t.Fatal("a read-only store wrote a resource")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	after := dirSums(t, dir)
	for name, sum := range after {
		if before[name] != sum {
			t.Errorf("the read-only open changed or created %s", name)
		}
	}
	if len(after) != len(before) {
		t.Errorf("files before %d, after %d", len(before), len(after))
	}

	if _, err := OpenReadOnly(ctx, filepath.Join(dir, "none.db")); err == nil {
		t.Error("a read-only open of a missing file succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a read-only open created the missing file")
	}
}

// setVersion sets the schema version of the state at path, as a hearth
// of that version left it (the later columns stay: no read needs them
// gone).
func setVersion(t *testing.T, path string, v int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE schema_version SET version = ?`, v); err != nil {
		t.Fatal(err)
	}
}

// A schema from readableFrom on is read as it is, not migrated; an
// older one is refused with an OldSchemaError and left as it was.
func TestOpenReadOnlyOldSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	w, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	version := func() int {
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v int
		if err := db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if readableFrom < len(migrations) {
		setVersion(t, path, readableFrom)
		r, err := OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatalf("schema %d (readable): %v", readableFrom, err)
		}
		if _, _, err := r.Resources(ctx); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if v := version(); v != readableFrom {
			t.Fatalf("the read-only open migrated %d to %d", readableFrom, v)
		}
	}
	setVersion(t, path, readableFrom-1)
	_, err = OpenReadOnly(ctx, path)
	var old *state.OldSchemaError
	if !errors.As(err, &old) || old.Version != readableFrom-1 || old.Current != len(migrations) {
		t.Fatalf("schema %d: got %v, want an OldSchemaError", readableFrom-1, err)
	}
	if v := version(); v != readableFrom-1 {
		t.Fatalf("the refused read-only open migrated to %d", v)
	}
}
