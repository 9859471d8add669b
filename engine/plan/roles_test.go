package plan_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/state"
)

func TestMemberRoleSync(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, base+`
tier "regular" {
  rank = 1
  when = "member.points >= 100"
  role = community.c.role.mod
}
`)
	f.mustApply(f.mustPlan())
	conn := f.conns["platform.local.main"].(*local.Conn)
	var ids []string
	for _, name := range []string{"Ann", "Bob"} {
		o, err := conn.Join(ctx, local.JoinRequest{Community: f.id("community.c"), Name: name})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ann, bob, gone := state.NewMember(ids[0], t0), state.NewMember(ids[1], t0), state.NewMember("mb-99", t0)
	ann.Tier = state.TierState{Name: "regular", Rank: 1}
	gone.Tier = ann.Tier // not on the platform: nothing to assign
	members := func(ctx context.Context, fn func(*state.Member) error) error {
		for _, m := range []*state.Member{ann, bob, gone} {
			if err := fn(m); err != nil {
				return err
			}
		}
		return nil
	}
	withRoles := plan.Options{Members: members}
	p, err := f.plan(withRoles)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(p), "create community.c.role.mod.member."+ids[0]+"\n"; got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if r := f.mustApply(p); r.Added != 1 {
		t.Fatalf("applied %+v", r)
	}
	if p, err := f.plan(withRoles); err != nil || p.HasChanges() {
		t.Fatalf("after sync: %v\n%s", err, actions(p))
	}
	// Ann drops out of the tier: her role goes, which is all of the
	// synced roles, so the guard asks for -allow-removals.
	ann.Tier = state.TierState{}
	if _, err := f.plan(withRoles); !errors.Is(err, plan.ErrRefused) || !strings.Contains(err.Error(), "1 of 1 member roles") {
		t.Fatalf("err = %v", err)
	}
	withRoles.AllowRemovals = true
	p, err = f.plan(withRoles)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(p), "delete community.c.role.mod.member."+ids[0]+"\n"; got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if r := f.mustApply(p); r.Destroyed != 1 {
		t.Fatalf("applied %+v", r)
	}
	if p, err := f.plan(withRoles); err != nil || p.HasChanges() {
		t.Fatalf("after removal: %v\n%s", err, actions(p))
	}
}

// A tier's role is synced in sub-communities too: a member in c-2 holds
// c-2's copy of the role, and is not given c's.
func TestMemberRoleSyncInSubCommunity(t *testing.T) {
	f := newFixture(t, withCapacity(`capacity    = 2`)+`
tier "regular" {
  rank = 1
  when = "member.points >= 100"
  role = community.c.role.mod
}
`)
	f.mustApply(f.mustPlan())
	f.join("community.c", 3)
	f.mustApply(f.mustPlan())
	sub := f.join("community.c-2", 1)[0]
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := state.NewMember(sub, t0)
	m.Tier = state.TierState{Name: "regular", Rank: 1}
	members := func(ctx context.Context, fn func(*state.Member) error) error { return fn(m) }
	p, err := f.plan(plan.Options{Members: members})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(p), "create community.c-2.role.mod.member."+sub+"\n"; got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	for _, c := range p.Changes {
		if c.Action == plan.Create && c.After["role"] != f.id("community.c-2.role.mod") {
			t.Errorf("assigned role %s; want c-2's", c.After["role"])
		}
	}
	f.mustApply(p)
	if p, err := f.plan(plan.Options{Members: members}); err != nil || p.HasChanges() {
		t.Fatalf("after sync: %v\n%s", err, actions(p))
	}
}
