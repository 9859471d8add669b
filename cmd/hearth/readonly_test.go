package main

import (
	"crypto/sha256"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sqliteVersion reads or, with set >= 0, sets the schema version of the
// SQLite state at path.
func sqliteVersion(t *testing.T, path string, set int) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if set >= 0 {
		if _, err := db.Exec(`UPDATE schema_version SET version = ?`, set); err != nil {
			t.Fatal(err)
		}
	}
	var v int
	if err := db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// plan, drift and state list on a SQLite state change not a byte of it
// and migrate nothing: a state from an older hearth is read when this
// one can, and refused with what to run otherwise.
func TestSQLiteReadCommandsWriteNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(planSite), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := hearthCmd(t, "", false, "apply", "-auto-approve", dir); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	db := filepath.Join(dir, ".hearth", "state.db")
	sum := func() [32]byte {
		data, err := os.ReadFile(db)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(data)
	}
	current := sqliteVersion(t, db, -1)
	// A state as the hearth before the lock's pid left it (the column
	// stays: no read needs it gone).
	sqliteVersion(t, db, current-1)
	before := sum()
	for _, args := range [][]string{{"plan", dir}, {"drift", dir}, {"state", "list", dir}} {
		if code, stdout, stderr := hearthCmd(t, "", false, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	if sum() != before || sqliteVersion(t, db, -1) != current-1 {
		t.Fatal("a read command changed the state file")
	}
	sqliteVersion(t, db, 3)
	code, stdout, stderr := hearthCmd(t, "", false, "plan", dir)
	if code != 1 || !strings.Contains(stderr, "has schema version 3, older than this hearth reads") || !strings.Contains(stderr, "run hearth apply or hearth run with this version to migrate") {
		t.Fatalf("plan on schema 3: exit %d\n%s%s", code, stdout, stderr)
	}
	if v := sqliteVersion(t, db, -1); v != 3 {
		t.Fatalf("plan migrated the state to %d", v)
	}
}
