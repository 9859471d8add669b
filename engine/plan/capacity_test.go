package plan_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// noMemberList is a platform connection that cannot list members, as
// some chat platforms will not without special permission.
type noMemberList struct{ *local.Conn }

func (n noMemberList) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	if req.Kind == platform.KindMember {
		return platform.ReadResponse{}, platform.ErrUnsupported
	}
	return n.Conn.Read(ctx, req)
}

// withCapacity is base with a capacity (and more) on community c.
func withCapacity(attrs string) string {
	return strings.Replace(base, `purpose     = "Testing plans"`, `purpose     = "Testing plans"
  `+attrs, 1)
}

// join makes n new members join the community at addr.
func (f *fixture) join(addr string, n int) []string {
	f.t.Helper()
	conn := f.conns["platform.local.main"].(*local.Conn)
	var ids []string
	for range n {
		m, err := conn.Join(context.Background(), local.JoinRequest{Community: f.id(addr), Name: "M"})
		if err != nil {
			f.t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

func planText(t *testing.T, p *plan.Plan) string {
	t.Helper()
	var b bytes.Buffer
	if err := p.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Where the platform cannot count members, hearth's own count (the
// community documents the runtime keeps from joins, leaves and moves)
// decides.
func TestSplitOnHearthsCount(t *testing.T) {
	f := newFixture(t, withCapacity(`capacity    = 2`))
	f.mustApply(f.mustPlan())
	f.conns["platform.local.main"] = noMemberList{f.conns["platform.local.main"].(*local.Conn)}
	if p := f.mustPlan(); p.HasChanges() || len(p.Warnings) != 0 {
		t.Fatalf("no count yet, yet %q\n%s", p.Warnings, actions(p))
	}
	b, err := f.store.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.(state.CommunityBatch).SaveCommunity(&state.Community{Name: "c", Members: 5}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	p := f.mustPlan()
	if len(p.Warnings) != 2 || !strings.Contains(p.Warnings[0], "5 members (hearth's count: the platform cannot list members)") ||
		!strings.Contains(p.Warnings[1], "community.c-2 is added for new members") {
		t.Fatalf("warnings %q", p.Warnings)
	}
	// One sub-community at a time: the next only once it is full too.
	if a := actions(p); !strings.Contains(a, "create community.c-2\n") || strings.Contains(a, "community.c-3") {
		t.Fatalf("not one sub-community:\n%s", a)
	}
	f.mustApply(p)
	// Empty by hearth's count: it stays, since the one before it is full.
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("c-2 empty and c full:\n%s", actions(p))
	}
}

// The walkthrough of a capacity family: members counted per community,
// sub-communities filled in order and added one at a time, a community
// named like a sub-community refused by validate (config tests), and
// the split undone without throwing anyone out.
func TestCapacityFamily(t *testing.T) {
	f := newFixture(t, withCapacity(`capacity    = 3`))
	f.mustApply(f.mustPlan())
	f.join("community.c", 5)
	p := f.mustPlan()
	golden(t, "capacity_split.txt", []byte(planText(t, p)))
	if p.Summary != (plan.Summary{Add: 6}) {
		t.Fatalf("%+v\n%s", p.Summary, actions(p))
	}
	for _, c := range p.Changes {
		if c.Address == "community.c-2" && (c.After["name"] != "c-2" || c.After["title"] != "C 2" || !strings.Contains(c.Reason, "community.c 5 of 3")) {
			t.Fatalf("first sub-community: %+v", c)
		}
	}
	f.mustApply(p)

	// c-2 has room: nothing is added however full c is, and the plan
	// says where new members go.
	f.join("community.c", 1)
	f.join("community.c-2", 1)
	p = f.mustPlan()
	if p.HasChanges() || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "community.c has 6 members, more than its capacity of 3; community.c-2 has room (1 of 3): hearth run moves members who join a full community of the family there") {
		t.Fatalf("with room in c-2: %q\n%s", p.Warnings, actions(p))
	}

	// Every one full: the next, c-3, and only it.
	f.join("community.c-2", 2)
	p = f.mustPlan()
	if a := actions(p); !strings.HasPrefix(a, "create community.c-3\n") || p.Summary.Add != 6 {
		t.Fatalf("c and c-2 full:\n%s", a)
	}
	if w := p.Warnings[len(p.Warnings)-1]; !strings.Contains(w, "community.c 6 of 3, community.c-2 3 of 3") {
		t.Fatalf("warning %q", w)
	}
	f.mustApply(p)

	// A larger capacity: c-3 is empty and goes (behind the removal
	// guard), c-2 has members and stays, with its channels kept in
	// step with c's.
	f.write(strings.Replace(withCapacity(`capacity    = 500`), `channel "random" {}`, `channel "random" {}
  channel "events" {}`, 1))
	if _, err := f.plan(plan.Options{}); !errors.Is(err, plan.ErrRefused) {
		t.Fatalf("removing c-3 past the guard: %v", err)
	}
	p, err := f.plan(plan.Options{AllowRemovals: true})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "capacity_shrink.txt", []byte(planText(t, p)))
	a := actions(p)
	if !strings.Contains(a, "delete community.c-3\n") || strings.Contains(a, "delete community.c-2") ||
		!strings.Contains(a, "create community.c-2.channel.events\n") || strings.Contains(a, "community.c-3.channel.events") {
		t.Fatalf("shrinking:\n%s", a)
	}
	for _, c := range p.Changes {
		if c.Address == "community.c-3" && !strings.Contains(c.Reason, "empty sub-community of community.c, which has room before it") {
			t.Errorf("c-3's reason: %q", c.Reason)
		}
	}
	f.mustApply(p)

	// The split off: c-2 stays while it has members, and goes once
	// they all left.
	f.write(withCapacity(`capacity    = 3
  on_capacity = "warn"`))
	p, err = f.plan(plan.Options{AllowRemovals: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", planText(t, p))
	if strings.Contains(actions(p), "delete community.c-2\n") || !strings.Contains(strings.Join(p.Warnings, "\n"), `community.c-2 keeps its 3 members, with the channels, roles and pins of community.c, while it has any: community "c" no longer splits (on_capacity = "warn")`) {
		t.Fatalf("split off with members in c-2: %q\n%s", p.Warnings, actions(p))
	}
	conn := f.conns["platform.local.main"].(*local.Conn)
	objs, err := platform.ReadAll(context.Background(), conn, platform.ReadRequest{Kind: platform.KindMember, Community: f.id("community.c-2")})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if err := conn.Leave(context.Background(), f.id("community.c-2"), o.ID); err != nil {
			t.Fatal(err)
		}
	}
	p, err = f.plan(plan.Options{AllowRemovals: true})
	if err != nil {
		t.Fatal(err)
	}
	if a := actions(p); !strings.Contains(a, "delete community.c-2\n") {
		t.Fatalf("c-2 empty, split off:\n%s", a)
	}
	if !strings.Contains(planText(t, p), `# community.c-2 will be destroyed (empty sub-community of community.c, which no longer splits (on_capacity = "warn"))`) {
		t.Errorf("plan text:\n%s", planText(t, p))
	}
}

// prevent_destroy protects the objects of the blocks that set it. Their
// copies in a sub-community in use are held like them; an empty
// sub-community the family no longer needs goes, copies and all, with
// its reason saying so once (the community and its own objects stay
// protected), rather than a refusal per copied object that only
// unprotecting the community itself could lift.
func TestSubCommunityPreventDestroy(t *testing.T) {
	src := strings.Replace(strings.Replace(withCapacity(`capacity    = 2`), `house_rules = "Be kind."`, `house_rules = "Be kind."
  prevent_destroy = true`, 1), `channel "random" {}`, `channel "random" {
    prevent_destroy = true
  }`, 1)
	f := newFixture(t, src)
	f.mustApply(f.mustPlan())
	f.join("community.c", 3)
	f.mustApply(f.mustPlan())
	rs, _, err := f.store.Resources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	copied := 0
	for _, r := range rs {
		if strings.HasPrefix(r.Address, "community.c-2") && r.PreventDestroy {
			copied++
		}
	}
	if copied != 2 { // community.c-2 and its channel.random
		t.Fatalf("c-2 copies prevent_destroy on %d objects, want 2: %+v", copied, rs)
	}

	// In use, the copy is held as the object its block declares.
	ids := f.join("community.c-2", 1)
	noRandom := strings.Replace(src, `channel "random" {
    prevent_destroy = true
  }`, ``, 1)
	f.write(noRandom)
	_, err = f.plan(plan.Options{AllowRemovals: true})
	if !errors.Is(err, plan.ErrRefused) || !strings.Contains(err.Error(), "community.c.channel.random has prevent_destroy set") ||
		!strings.Contains(err.Error(), "community.c-2.channel.random has prevent_destroy set") {
		t.Fatalf("removing a protected block with c-2 in use: %v", err)
	}

	// Empty and no longer needed, c-2 goes with its copies.
	conn := f.conns["platform.local.main"].(*local.Conn)
	if err := conn.Leave(context.Background(), f.id("community.c-2"), ids[0]); err != nil {
		t.Fatal(err)
	}
	shrunk := strings.Replace(src, `capacity    = 2`, `capacity    = 0`, 1)
	f.write(shrunk)
	p, err := f.plan(plan.Options{AllowRemovals: true})
	if err != nil {
		t.Fatalf("shrinking past copied prevent_destroy: %v", err)
	}
	if a := actions(p); !strings.Contains(a, "delete community.c-2\n") || !strings.Contains(a, "delete community.c-2.channel.random\n") || strings.Contains(a, "delete community.c\n") {
		t.Fatalf("shrink:\n%s", a)
	}
	if txt := planText(t, p); !strings.Contains(txt, `# community.c-2 will be destroyed (empty sub-community of community.c, which no longer splits (no capacity); prevent_destroy protects the objects of community.c's blocks, not their copies in an empty sub-community)`) ||
		strings.Count(txt, "prevent_destroy") != 1 {
		t.Fatalf("plan text:\n%s", txt)
	}
	// Still behind the share guard.
	if _, err := f.plan(plan.Options{}); !errors.Is(err, plan.ErrRefused) || strings.Contains(err.Error(), "prevent_destroy") {
		t.Fatalf("share guard on the shrink: %v", err)
	}
	f.mustApply(p)

	// The community's own objects stay protected.
	f.write(strings.Replace(noRandom, `capacity    = 2`, `capacity    = 0`, 1))
	if _, err := f.plan(plan.Options{AllowRemovals: true}); !errors.Is(err, plan.ErrRefused) || strings.Count(err.Error(), "prevent_destroy set") != 1 ||
		!strings.Contains(err.Error(), "community.c.channel.random has prevent_destroy set") {
		t.Fatalf("removing the protected block after the shrink: %v", err)
	}
}

// Where bots cannot make communities (a Discord server), a
// sub-community made by hand is adopted with an import block; its
// channels and roles are then made in it.
func TestImportSubCommunity(t *testing.T) {
	src := withCapacity(`capacity    = 2`)
	f := newFixture(t, src)
	f.mustApply(f.mustPlan())
	f.join("community.c", 3)
	made, err := f.direct().Apply(context.Background(), platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "c-2", "title": "C 2", "description": "Testing plans"}})
	if err != nil {
		t.Fatal(err)
	}
	f.write(src + `
import {
  to = community.c-2
  id = "` + made.Object.ID + `"
}
`)
	p := f.mustPlan()
	if p.Summary.Import != 1 || p.Summary.Add != 5 || !strings.Contains(actions(p), "create community.c-2.channel.general\n") {
		t.Fatalf("%+v\n%s", p.Summary, actions(p))
	}
	f.mustApply(p)
	if f.id("community.c-2") != made.Object.ID {
		t.Fatal("c-2 is not the one made by hand")
	}
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("after the import:\n%s", actions(p))
	}
}
