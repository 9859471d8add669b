package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// runIdentities holds the identity index (state.IdentityIndex,
// state.IdentityLookup) to its contract: a claim is seen by its own
// batch, by the batches after its commit (written or not yet) and by
// MemberByIdentity; a rollback keeps none; a later claim replaces an
// earlier one; an entry whose member no longer holds the identity, or
// was erased, names nobody.
func runIdentities(t *testing.T, open Open) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const matrix = "@alice:example.org"
	alice := func() *state.Member {
		m := state.NewMember("alice", t0)
		m.Identities = map[string]string{"telegram": "333", "matrix": matrix}
		return m
	}
	index := func(t *testing.T, s state.Store) (state.Batch, state.IdentityIndex) {
		t.Helper()
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ix, ok := b.(state.IdentityIndex)
		if !ok {
			t.Fatalf("%T has no identity index", b)
		}
		return b, ix
	}
	owner := func(t *testing.T, ix state.IdentityIndex, platform, identity, want string) {
		t.Helper()
		got, err := ix.IdentityOwner(platform, identity)
		if err != nil || got != want {
			t.Fatalf("IdentityOwner(%s, %s) = %q, %v; want %q", platform, identity, got, err, want)
		}
	}
	lookup := func(t *testing.T, s state.Store, platform, identity, want string) {
		t.Helper()
		l, ok := s.(state.IdentityLookup)
		if !ok {
			t.Fatalf("%T has no MemberByIdentity", s)
		}
		got, err := l.MemberByIdentity(ctx, platform, identity)
		if err != nil || got != want {
			t.Fatalf("MemberByIdentity(%s, %s) = %q, %v; want %q", platform, identity, got, err, want)
		}
	}
	claimAlice := func(t *testing.T, b state.Batch, ix state.IdentityIndex) {
		t.Helper()
		if err := b.SaveMember(alice()); err != nil {
			t.Fatal(err)
		}
		for _, c := range [][2]string{{"telegram", "333"}, {"matrix", matrix}} {
			if err := ix.ClaimIdentity(c[0], c[1], "alice"); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("IdentityClaims", func(t *testing.T) {
		s := open(t)
		b, ix := index(t, s)
		owner(t, ix, "telegram", "333", "")
		claimAlice(t, b, ix)
		owner(t, ix, "telegram", "333", "alice")
		// Written in the background where the store can: the next batch
		// sees the claim all the same.
		if ab, ok := b.(state.AsyncBatch); ok {
			done := make(chan error, 1)
			ab.CommitAsync(func(err error) { done <- err })
			b2, ix2 := index(t, s)
			owner(t, ix2, "matrix", matrix, "alice")
			owner(t, ix2, "telegram", "444", "")
			owner(t, ix2, "discord", "333", "") // the platform is part of the key
			_ = b2.Rollback()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		} else if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		b, ix = index(t, s)
		owner(t, ix, "telegram", "333", "alice")
		_ = b.Rollback()
		lookup(t, s, "telegram", "333", "alice")
		lookup(t, s, "matrix", matrix, "alice")
		lookup(t, s, "telegram", "444", "")
	})

	t.Run("IdentityRollback", func(t *testing.T) {
		s := open(t)
		b, ix := index(t, s)
		claimAlice(t, b, ix)
		if err := b.Rollback(); err != nil {
			t.Fatal(err)
		}
		b, ix = index(t, s)
		defer b.Rollback()
		owner(t, ix, "telegram", "333", "")
	})

	t.Run("IdentityReclaimed", func(t *testing.T) {
		s := open(t)
		b, ix := index(t, s)
		claimAlice(t, b, ix)
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		// alice's Telegram id changes and bob gets her old one: the
		// later claim holds.
		b, ix = index(t, s)
		m, err := b.Member("alice")
		if err != nil {
			t.Fatal(err)
		}
		m.Identities["telegram"] = "444"
		bob := state.NewMember("bob", t0)
		bob.Identities = map[string]string{"telegram": "333"}
		for _, step := range []error{b.SaveMember(m), b.SaveMember(bob), ix.ClaimIdentity("telegram", "444", "alice"), ix.ClaimIdentity("telegram", "333", "bob")} {
			if step != nil {
				t.Fatal(step)
			}
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		b, ix = index(t, s)
		owner(t, ix, "telegram", "333", "bob")
		owner(t, ix, "telegram", "444", "alice")
		_ = b.Rollback()
		lookup(t, s, "telegram", "333", "bob")
		lookup(t, s, "telegram", "444", "alice")
	})

	t.Run("IdentityStale", func(t *testing.T) {
		s := open(t)
		b, ix := index(t, s)
		claimAlice(t, b, ix)
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		// The document no longer holds the identity the entry names:
		// the lookup names nobody.
		b, _ = index(t, s)
		m, err := b.Member("alice")
		if err != nil {
			t.Fatal(err)
		}
		delete(m.Identities, "telegram")
		if err := b.SaveMember(m); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		lookup(t, s, "telegram", "333", "")
		lookup(t, s, "matrix", matrix, "alice")
	})

	t.Run("IdentityErased", func(t *testing.T) {
		s := open(t)
		e, ok := s.(state.Eraser)
		if !ok {
			t.Skip("the store erases nothing")
		}
		b, ix := index(t, s)
		claimAlice(t, b, ix)
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		if _, err := e.EraseMember(ctx, "alice", state.EraseOptions{Identities: alice().Identities}); err != nil {
			t.Fatal(err)
		}
		b, ix = index(t, s)
		owner(t, ix, "telegram", "333", "")
		owner(t, ix, "matrix", matrix, "")
		_ = b.Rollback()
		lookup(t, s, "telegram", "333", "")
	})
}
