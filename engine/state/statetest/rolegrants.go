package statetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// RoleGrantStore is the record of the role assignments hearth made
// (engine/plan.RoleGrants), repeated here for the same reason as
// ResourceStore.
type RoleGrantStore interface {
	RoleGrants(ctx context.Context, platform, community string) ([]state.RoleGrant, error)
	HasRoleGrant(ctx context.Context, g state.RoleGrant) (bool, error)
	PutRoleGrant(ctx context.Context, g state.RoleGrant) error
	DeleteRoleGrant(ctx context.Context, g state.RoleGrant) error
	Resources(ctx context.Context) ([]state.Resource, int64, error)
}

// RunRoleGrants checks a RoleGrantStore: grants are listed per platform
// and community in order, a second put keeps the first time, deletes
// forget one grant only, and none of it moves the state serial (the
// daemon records grants as it gives roles, and a saved plan must not go
// stale for that).
func RunRoleGrants(t *testing.T, open func(t *testing.T) RoleGrantStore) {
	ctx := context.Background()
	s := open(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := func(platform, community, role, member string, at time.Time) state.RoleGrant {
		return state.RoleGrant{Platform: platform, Community: community, Role: role, Member: member, At: at}
	}
	if gs, err := s.RoleGrants(ctx, "platform.local.main", "co-1"); err != nil || len(gs) != 0 {
		t.Fatalf("empty store: %v, %v", gs, err)
	}
	for _, x := range []state.RoleGrant{
		g("platform.local.main", "co-1", "ro-2", "mb-1", t0),
		g("platform.local.main", "co-1", "ro-1", "mb-2", t0.Add(time.Hour)),
		g("platform.local.main", "co-1", "ro-1", "mb-1", t0.Add(2*time.Hour)),
		g("platform.local.main", "co-2", "ro-1", "mb-1", t0),
		g("platform.discord.main", "co-1", "ro-1", "mb-1", t0),
	} {
		if err := s.PutRoleGrant(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	// Again, later: the first time stays.
	if err := s.PutRoleGrant(ctx, g("platform.local.main", "co-1", "ro-2", "mb-1", t0.Add(24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	gs, err := s.RoleGrants(ctx, "platform.local.main", "co-1")
	if err != nil {
		t.Fatal(err)
	}
	want := []state.RoleGrant{
		g("platform.local.main", "co-1", "ro-1", "mb-1", t0.Add(2*time.Hour)),
		g("platform.local.main", "co-1", "ro-1", "mb-2", t0.Add(time.Hour)),
		g("platform.local.main", "co-1", "ro-2", "mb-1", t0),
	}
	same := func(a, b state.RoleGrant) bool {
		return a.Platform == b.Platform && a.Community == b.Community && a.Role == b.Role && a.Member == b.Member && a.At.Equal(b.At)
	}
	if !slices.EqualFunc(gs, want, same) {
		t.Fatalf("grants of co-1:\n%v\nwant\n%v", gs, want)
	}
	has := func(x state.RoleGrant) bool {
		ok, err := s.HasRoleGrant(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !has(g("platform.local.main", "co-1", "ro-1", "mb-2", time.Time{})) || has(g("platform.local.main", "co-1", "ro-2", "mb-2", time.Time{})) {
		t.Fatal("HasRoleGrant answers wrong")
	}
	if err := s.DeleteRoleGrant(ctx, g("platform.local.main", "co-1", "ro-1", "mb-2", time.Time{})); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRoleGrant(ctx, g("platform.local.main", "co-1", "ro-9", "mb-9", time.Time{})); err != nil {
		t.Fatalf("deleting a grant there is not: %v", err)
	}
	if has(g("platform.local.main", "co-1", "ro-1", "mb-2", time.Time{})) || !has(g("platform.local.main", "co-2", "ro-1", "mb-1", time.Time{})) ||
		!has(g("platform.discord.main", "co-1", "ro-1", "mb-1", time.Time{})) {
		t.Fatal("the delete took the wrong grants")
	}
	if gs, _ := s.RoleGrants(ctx, "platform.local.main", "co-1"); len(gs) != 2 {
		t.Fatalf("after the delete: %v", gs)
	}
	if _, serial, err := s.Resources(ctx); err != nil || serial != 0 {
		t.Fatalf("grants moved the state serial to %d (%v)", serial, err)
	}
}
