package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// A database written before migration 18 holds members with identities
// and no index: the migration indexes them, and where two members hold
// one identity (as hearth let them), the first by id keeps it.
func TestIdentitiesMigrationIndexes(t *testing.T) {
	ctx := context.Background()
	path, db := databaseAt(t, identitiesMigration-1)
	at := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	for id, idents := range map[string]map[string]string{
		"alice": {"telegram": "333", "matrix": "@alice:example.org"},
		"zed":   {"matrix": "@alice:example.org"},
		"quiet": nil,
	} {
		m := state.NewMember(id, at)
		m.Identities = idents
		doc, err := m.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO members (id, data) VALUES (?, ?)`, id, doc); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct{ platform, identity, want string }{
		{"telegram", "333", "alice"}, {"matrix", "@alice:example.org", "alice"}, {"telegram", "334", ""},
	} {
		if got, err := s.MemberByIdentity(ctx, c.platform, c.identity); err != nil || got != c.want {
			t.Errorf("MemberByIdentity(%s, %s) = %q, %v; want %q", c.platform, c.identity, got, err, c.want)
		}
	}
}

// The journal keeps no identity claims: a batch folded after a crash
// indexes its members' identities from their documents, and leaves an
// identity another member holds to that member.
func TestIdentitiesRecoveredFromJournal(t *testing.T) {
	ctx := context.Background()
	s, path := openAt(t)
	at := time.Unix(1700000000, 0).UTC()
	claim := func(id string, idents map[string]string) {
		t.Helper()
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m := state.NewMember(id, at)
		m.Identities = idents
		_ = b.SaveMember(m)
		for p, v := range idents {
			if err := b.(state.IdentityIndex).ClaimIdentity(p, v, id); err != nil {
				t.Fatal(err)
			}
		}
		if fresh, err := b.Claim("e-"+id, at); !fresh || err != nil {
			t.Fatalf("claim: %v %v", fresh, err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	claim("bob", map[string]string{"matrix": "@bob:example.org"})
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s.stopFolding(t)
	claim("alice", map[string]string{"telegram": "333"})
	// A document naming bob's identity, as one written before the index.
	b, _ := s.Begin(ctx)
	zed := state.NewMember("zed", at)
	zed.Identities = map[string]string{"matrix": "@bob:example.org"}
	_ = b.SaveMember(zed)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	s.crash()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Recovered(); got.Batches != 2 {
		t.Fatalf("recovered %+v; want the 2 batches only journaled", got)
	}
	b, _ = s.Begin(ctx)
	defer b.Rollback()
	for _, c := range []struct{ platform, identity, want string }{
		{"telegram", "333", "alice"}, {"matrix", "@bob:example.org", "bob"},
	} {
		if got, err := b.(state.IdentityIndex).IdentityOwner(c.platform, c.identity); err != nil || got != c.want {
			t.Errorf("IdentityOwner(%s, %s) after recovery = %q, %v; want %q", c.platform, c.identity, got, err, c.want)
		}
	}
}

// A command that only reads takes a state from before the index, and a
// look-up by identity there says so rather than finding nobody.
func TestIdentitiesReadOnlyBeforeIndex(t *testing.T) {
	ctx := context.Background()
	path, db := databaseAt(t, identitiesMigration-1)
	db.Close()
	s, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.MemberByIdentity(ctx, "telegram", "333"); !errors.Is(err, state.ErrNoIdentityIndex) {
		t.Errorf("MemberByIdentity on schema %d: %v; want ErrNoIdentityIndex", identitiesMigration-1, err)
	}
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback()
	if owner, err := b.(state.IdentityIndex).IdentityOwner("telegram", "333"); owner != "" || err != nil {
		t.Errorf("IdentityOwner on schema %d: %q, %v; want nobody", identitiesMigration-1, owner, err)
	}
}
