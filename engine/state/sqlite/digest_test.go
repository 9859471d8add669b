package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// claimDigest claims id with digest in a batch of its own, committed
// when fresh, and returns what was kept with an earlier claim.
func claimDigest(t *testing.T, s *Store, id string, at time.Time, digest uint64) (bool, state.Claimed) {
	t.Helper()
	b, err := s.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fresh, earlier, err := b.(state.DigestClaimer).ClaimDigest(id, at, digest)
	if err != nil {
		t.Fatal(err)
	}
	if !fresh {
		_ = b.Rollback()
		return fresh, earlier
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	return fresh, earlier
}

// Event ids stored before migration 13 have no digest: a later event
// under one of them is a duplicate with nothing to compare, never a
// reused id. Ids claimed after it keep theirs.
func TestEventDigestsMigrate(t *testing.T) {
	ctx := context.Background()
	path, db := databaseAt(t, 12)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if _, err := db.Exec(`INSERT INTO events (id, at) VALUES ('old', ?)`, at.UnixNano()); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if fresh, earlier := claimDigest(t, s, "old", at, 7); fresh || earlier != (state.Claimed{}) {
		t.Errorf("an id from before digests: fresh %v, earlier %+v; want a duplicate with nothing kept", fresh, earlier)
	}
	if fresh, _ := claimDigest(t, s, "new", at, 8); !fresh {
		t.Fatal("new id not fresh")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fresh, earlier := claimDigest(t, s, "new", at.Add(time.Hour), 9); fresh || earlier.Digest != 8 || !earlier.At.Equal(at) {
		t.Errorf("after a reopen: fresh %v, earlier %+v; want digest 8 at %v", fresh, earlier, at)
	}
	var v int
	if err := s.db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != len(migrations) {
		t.Errorf("schema version %d, %v; want %d", v, err, len(migrations))
	}
}

// Digests are in the journal: a batch committed and not folded before a
// crash keeps its digests through recovery.
func TestJournalKeepsDigests(t *testing.T) {
	s, path := openAt(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.stopFolding(t)
	if fresh, _ := claimDigest(t, s, "e0", at, 0xfeed); !fresh {
		t.Fatal("e0 not fresh")
	}
	// Pending: the batch is journaled, not in the database.
	if fresh, earlier := claimDigest(t, s, "e0", at, 1); fresh || earlier.Digest != 0xfeed {
		t.Errorf("while being written: fresh %v, earlier %+v", fresh, earlier)
	}
	s, _ = crashAndReopen(t, s, path, 1)
	if fresh, earlier := claimDigest(t, s, "e0", at, 1); fresh || earlier.Digest != 0xfeed || !earlier.At.Equal(at) {
		t.Errorf("after recovery: fresh %v, earlier %+v", fresh, earlier)
	}
}
