package plan_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
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

// roleFixture is a community whose tier "regular" gives the role mod,
// applied, with members Ann, Bob and Cy on the platform and in the
// state store (none on the tier yet).
type roleFixture struct {
	*fixture
	conn          *local.Conn
	ann, bob, cy  *state.Member
	members       plan.Members
	co, role      string
	withRoles     plan.Options
	allowRemovals plan.Options
}

func newRoleFixture(t *testing.T) *roleFixture {
	ctx := context.Background()
	f := &roleFixture{fixture: newFixture(t, base+`
tier "regular" {
  rank = 1
  when = "member.points >= 100"
  role = community.c.role.mod
}
`)}
	f.mustApply(f.mustPlan())
	f.conn = f.conns["platform.local.main"].(*local.Conn)
	f.co, f.role = f.id("community.c"), f.id("community.c.role.mod")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ms []*state.Member
	for _, name := range []string{"Ann", "Bob", "Cy"} {
		o, err := f.conn.Join(ctx, local.JoinRequest{Community: f.co, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, state.NewMember(o.ID, t0))
	}
	f.ann, f.bob, f.cy = ms[0], ms[1], ms[2]
	f.members = func(ctx context.Context, fn func(*state.Member) error) error {
		for _, m := range ms {
			if err := fn(m); err != nil {
				return err
			}
		}
		return nil
	}
	f.withRoles = plan.Options{Members: f.members}
	f.allowRemovals = plan.Options{Members: f.members, AllowRemovals: true}
	return f
}

// byHand gives or takes the role outside hearth.
func (f *roleFixture) byHand(m *state.Member, hold bool) {
	f.t.Helper()
	if _, err := f.conn.SetRole(context.Background(), f.co, m.ID, f.role, hold); err != nil {
		f.t.Fatal(err)
	}
}

// holders lists who holds the role on the platform.
func (f *roleFixture) holders() string {
	f.t.Helper()
	objs, err := platform.ReadAll(context.Background(), f.conn, platform.ReadRequest{Kind: platform.KindRoleAssignment, Community: f.co})
	if err != nil {
		f.t.Fatal(err)
	}
	var ids []string
	for _, o := range objs {
		if o.Attrs["role"] == f.role {
			ids = append(ids, o.Attrs["member"])
		}
	}
	slices.Sort(ids)
	return strings.Join(ids, " ")
}

func (f *roleFixture) mustPlanRoles(opts plan.Options, want string) *plan.Plan {
	f.t.Helper()
	p, err := f.plan(opts)
	if err != nil {
		f.t.Fatal(err)
	}
	if got := actions(p); got != want {
		f.t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	return p
}

func (f *roleFixture) addr(m *state.Member) string { return "community.c.role.mod.member." + m.ID }

var regular = state.TierState{Name: "regular", Rank: 1}

// A role given by hand stays, also of a role a tier gives: hearth takes
// back only the assignments it made, and does not give again one a
// member holds by hand.
func TestHandGivenRolesStay(t *testing.T) {
	f := newRoleFixture(t)
	f.byHand(f.bob, true) // never on the tier
	f.byHand(f.cy, true)  // on the tier later
	f.ann.Tier = regular
	f.mustApply(f.mustPlanRoles(f.withRoles, "create "+f.addr(f.ann)+"\n"))

	// Cy qualifies: he holds the role by hand already, so nothing is
	// given twice, nor recorded as hearth's.
	f.cy.Tier = regular
	f.mustPlanRoles(f.withRoles, "")

	// Everyone is demoted: only Ann's role, which hearth gave, goes. It
	// is all of the roles hearth gave, so the guard wants -allow-removals;
	// the hand-given ones do not count towards it.
	f.ann.Tier, f.cy.Tier = state.TierState{}, state.TierState{}
	if _, err := f.plan(f.withRoles); !errors.Is(err, plan.ErrRefused) || !strings.Contains(err.Error(), "1 of 1 member roles hearth gave") {
		t.Fatalf("err = %v", err)
	}
	if r := f.mustApply(f.mustPlanRoles(f.allowRemovals, "delete "+f.addr(f.ann)+"\n")); r.Destroyed != 1 {
		t.Fatalf("applied %+v", r)
	}
	if got, want := f.holders(), f.bob.ID+" "+f.cy.ID; got != want {
		t.Fatalf("holders %q; want %q", got, want)
	}
	f.mustPlanRoles(f.allowRemovals, "")

	// Given by hand to Ann now, after hearth took its own: hers too.
	f.byHand(f.ann, true)
	f.mustPlanRoles(f.allowRemovals, "")
}

// A role hearth gave and someone removed is drift: hearth drift reports
// it, and plan gives it back while the member qualifies; once they do
// not, plan only forgets hearth's record of it, so a role given to them
// by hand later is theirs to keep.
func TestRoleRemovedOutsideHearth(t *testing.T) {
	ctx := context.Background()
	f := newRoleFixture(t)
	f.ann.Tier = regular
	f.byHand(f.bob, true)
	f.mustApply(f.mustPlanRoles(f.withRoles, "create "+f.addr(f.ann)+"\n"))
	d, err := plan.Drift(ctx, f.cfg, f.store, f.conns)
	if err != nil {
		t.Fatal(err)
	}
	if d.HasChanges() || len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "community.c.role.mod: 1 member holds it without hearth having given it ("+f.bob.ID+")") {
		t.Fatalf("drift before: %s %q", actions(d), d.Warnings)
	}

	f.byHand(f.ann, false)
	d, err = plan.Drift(ctx, f.cfg, f.store, f.conns)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(d), "delete "+f.addr(f.ann)+"\n"; got != want || d.Summary.Destroy != 1 {
		t.Fatalf("drift:\n%s\nwant:\n%s", got, want)
	}
	var text strings.Builder
	if err := d.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{f.addr(f.ann) + " was removed outside hearth, which had given it", `- member = "` + f.ann.ID + `"`, "(1 of them a role assignment hearth gave)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("drift text lacks %q:\n%s", want, text.String())
		}
	}
	p := f.mustPlanRoles(f.withRoles, "create "+f.addr(f.ann)+"\n")
	if p.Changes[len(p.Changes)-1].Reason != "was removed outside hearth" {
		t.Errorf("reason %q", p.Changes[len(p.Changes)-1].Reason)
	}
	f.mustApply(p)
	if d, err := plan.Drift(ctx, f.cfg, f.store, f.conns); err != nil || d.HasChanges() {
		t.Fatalf("drift after apply: %v %s", err, actions(d))
	}

	// Removed again, and Ann no longer qualifies: the record goes, and
	// nothing is taken, so the guard has nothing to refuse.
	f.byHand(f.ann, false)
	f.ann.Tier = state.TierState{}
	p = f.mustPlanRoles(f.withRoles, "delete "+f.addr(f.ann)+"\n")
	if c := p.Changes[len(p.Changes)-1]; c.ID != "" || c.Reason != "already removed outside hearth; only forgotten" {
		t.Fatalf("change %+v", c)
	}
	f.mustApply(p)
	f.byHand(f.ann, true)
	f.mustPlanRoles(f.withRoles, "")
	if got, want := f.holders(), f.ann.ID+" "+f.bob.ID; got != want {
		t.Fatalf("holders %q; want %q", got, want)
	}
}

// Apply reads hearth's record again before it takes a role: where hearth
// run took it since the plan (and a moderator gave it back by hand), the
// plan's removal leaves it alone.
func TestApplyTakesOnlyWhatHearthStillGave(t *testing.T) {
	ctx := context.Background()
	f := newRoleFixture(t)
	f.ann.Tier = regular
	f.mustApply(f.mustPlanRoles(f.withRoles, "create "+f.addr(f.ann)+"\n"))
	f.ann.Tier = state.TierState{}
	p := f.mustPlanRoles(f.allowRemovals, "delete "+f.addr(f.ann)+"\n")
	// The daemon takes the role meanwhile and forgets its record, and a
	// moderator gives it back.
	if err := f.store.DeleteRoleGrant(ctx, state.RoleGrant{Platform: "platform.local.main", Community: f.co, Role: f.role, Member: f.ann.ID}); err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	r, err := plan.Apply(ctx, p, f.store, f.conns, plan.ApplyOptions{Config: f.cfg, Who: "test", Progress: &progress})
	if err != nil || r.Destroyed != 0 {
		t.Fatalf("apply: %+v %v", r, err)
	}
	if !strings.Contains(progress.String(), "Left alone") || f.holders() != f.ann.ID {
		t.Fatalf("holders %q after:\n%s", f.holders(), progress.String())
	}
}

// Destroying a role forgets hearth's records of its assignments, which
// went with it.
func TestDestroyedRoleForgetsItsGrants(t *testing.T) {
	ctx := context.Background()
	f := newRoleFixture(t)
	f.ann.Tier = regular
	f.mustApply(f.mustPlanRoles(f.withRoles, "create "+f.addr(f.ann)+"\n"))
	if gs, err := f.store.RoleGrants(ctx, "platform.local.main", f.co); err != nil || len(gs) != 1 {
		t.Fatalf("grants: %v %v", gs, err)
	}
	f.write(strings.Replace(base, `  role "mod" {
    title       = "Moderator"
    color       = "#F1C40F"
    permissions = ["manage_messages", "kick_members"]
  }
`, "", 1))
	p, err := f.plan(plan.Options{Members: f.members, AllowRemovals: true})
	if err != nil {
		t.Fatal(err)
	}
	f.mustApply(p)
	if gs, err := f.store.RoleGrants(ctx, "platform.local.main", f.co); err != nil || len(gs) != 0 {
		t.Fatalf("grants after the role went: %v %v", gs, err)
	}
}

// The records of role assignments hearth made are listed under their
// role's address (or, for a role state has no more, under the
// community by the role's id), and state rm takes them with the role or
// community they are under, or one by one; the role resource stays
// where only a record is removed.
func TestGrantRecordsAndForget(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	co, mod := f.id("community.c"), f.id("community.c.role.mod")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, g := range []state.RoleGrant{
		{Platform: "platform.local.main", Community: co, Role: mod, Member: "mb-1", At: t0},
		{Platform: "platform.local.main", Community: co, Role: mod, Member: "mb-2", At: t0},
		{Platform: "platform.local.main", Community: co, Role: "ro-gone", Member: "mb-1", At: t0},
	} {
		if err := f.store.PutRoleGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	addrs := func() []string {
		rs, _, err := f.store.Resources(ctx)
		if err != nil {
			t.Fatal(err)
		}
		gs, err := plan.GrantRecords(ctx, f.store, rs)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, g := range gs {
			out = append(out, g.Address)
		}
		return out
	}
	want := []string{"community.c.role.mod.member.mb-1", "community.c.role.mod.member.mb-2", "community.c.role[ro-gone].member.mb-1"}
	if got := addrs(); !slices.Equal(got, want) {
		t.Fatalf("grant records: %v; want %v", got, want)
	}
	// A dry run names them and removes nothing.
	rs, gs, err := plan.Forget(ctx, f.store, "community.c.role.mod", "test", true)
	if err != nil || !slices.Equal(rs, []string{"community.c.role.mod"}) || !slices.Equal(gs, want[:2]) {
		t.Fatalf("dry run: %v %v %v", rs, gs, err)
	}
	if got := addrs(); len(got) != 3 {
		t.Fatalf("a dry run removed records: %v", got)
	}
	// One record alone: the role stays in state.
	rs, gs, err = plan.Forget(ctx, f.store, "community.c.role.mod.member.mb-2", "test", false)
	if err != nil || len(rs) != 0 || !slices.Equal(gs, want[1:2]) {
		t.Fatalf("rm one record: %v %v %v", rs, gs, err)
	}
	if got := addrs(); !slices.Equal(got, []string{want[0], want[2]}) {
		t.Fatalf("after rm of one record: %v", got)
	}
	if f.id("community.c.role.mod") == "" {
		t.Fatal("rm of a record took its role")
	}
	// A misspelt record address is suggested from the records.
	var nothing *plan.NothingAtError
	if _, _, err := plan.Forget(ctx, f.store, "community.c.role.mod.member.mb-3", "test", true); !errors.As(err, &nothing) || !slices.Contains(nothing.Known, want[0]) {
		t.Fatalf("rm of a record not there: %v", err)
	}
	// The community takes everything under it.
	if _, gs, err = plan.Forget(ctx, f.store, "community.c", "test", false); err != nil || !slices.Equal(gs, []string{want[0], want[2]}) {
		t.Fatalf("rm of the community: %v %v", gs, err)
	}
	if left, err := f.store.RoleGrants(ctx, "platform.local.main", co); err != nil || len(left) != 0 {
		t.Fatalf("records after rm of the community: %v %v", left, err)
	}
}

// While the daemon catches up its outbox, the role changes it queued as
// members moved are marked in the plan: a role.add pending for a member
// who should hold the role, and a role.remove pending for one who should
// not, with a warning that counts them. Apply makes them all the same
// (the outbox's delivery then finds them made). One not queued is
// planned as ever.
func TestQueuedRoleChangesAreMarked(t *testing.T) {
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
	var ms []*state.Member
	for _, name := range []string{"Ann", "Bob", "Cy"} {
		o, err := conn.Join(ctx, local.JoinRequest{Community: f.id("community.c"), Name: name})
		if err != nil {
			t.Fatal(err)
		}
		m := state.NewMember(o.ID, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		m.Tier = state.TierState{Name: "regular", Rank: 1}
		ms = append(ms, m)
	}
	members := func(ctx context.Context, fn func(*state.Member) error) error {
		for _, m := range ms {
			if err := fn(m); err != nil {
				return err
			}
		}
		return nil
	}
	withRoles := plan.Options{Members: members, AllowRemovals: true}
	// Cy holds the role, given by hearth.
	ms[0].Tier, ms[1].Tier = state.TierState{}, state.TierState{}
	first, err := f.plan(withRoles)
	if err != nil {
		t.Fatal(err)
	}
	f.mustApply(first)
	// Cy is demoted and Ann and Bob promoted by the daemon, which queued
	// Cy's and Ann's role changes; Bob's it has not queued (delivered
	// and lost, say).
	ms[0].Tier, ms[1].Tier, ms[2].Tier = ms[2].Tier, ms[2].Tier, state.TierState{}
	b, err := f.store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	role := func(kind, id string) state.Action {
		return state.Action{Key: kind + "/e1/" + id + "/community.c.role.mod", Kind: kind, Member: id, At: time.Now(), Platform: "platform.local.main", Community: "c", Target: id, Role: "mod"}
	}
	if err := b.Enqueue([]state.Action{role("role.remove", ms[2].ID), role("role.add", ms[0].ID)}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	p, err := f.plan(withRoles)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range p.Changes {
		if c.Action != plan.NoOp {
			got[string(c.Action)+" "+c.Address] = c.Reason
		}
	}
	want := map[string]string{
		"create community.c.role.mod.member." + ms[0].ID: "queued in the outbox already",
		"create community.c.role.mod.member." + ms[1].ID: "",
		"delete community.c.role.mod.member." + ms[2].ID: "queued in the outbox already",
	}
	if !maps.Equal(got, want) {
		t.Errorf("plan: %v\nwant %v", got, want)
	}
	if len(p.Warnings) != 1 || !strings.HasPrefix(p.Warnings[0], "2 member role assignments below (queued in the outbox already) are queued in the daemon's outbox") {
		t.Errorf("warnings: %q", p.Warnings)
	}
	// Apply makes them all the same.
	if r := f.mustApply(p); r.Added != 2 || r.Destroyed != 1 {
		t.Errorf("applied %+v", r)
	}
}
