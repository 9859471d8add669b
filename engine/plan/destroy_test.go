package plan_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
)

// A destroy plan removes everything state holds, deepest first, with
// the configuration unchanged; applying it empties state and the
// platform, and a second destroy plan has nothing to do.
func TestDestroyPlan(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	// The removal share does not hold a destroy back: it asks for the
	// removals by name.
	p, err := f.plan(plan.Options{Destroy: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `delete community.c.channel.general.pin.house_rules
delete community.c.role.mod
delete community.c.channel.random
delete community.c.channel.news
delete community.c.channel.general
delete community.c
`
	if got := actions(p); got != want || !p.Destroy || p.Summary != (plan.Summary{Destroy: 6}) || p.MemberImpact != nil {
		t.Fatalf("destroy plan %+v:\n%s\nwant:\n%s", p.Summary, got, want)
	}
	var text strings.Builder
	if err := p.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"hearth will destroy everything it manages", "# community.c will be destroyed", `- permissions = ["kick_members", "manage_messages"]`, "Plan: 0 to add, 0 to change, 6 to destroy."} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, text.String())
		}
	}
	if r := f.mustApply(p); r.Destroyed != 6 {
		t.Fatalf("applied %+v", r)
	}
	if rs, _, _ := f.store.Resources(context.Background()); len(rs) != 0 {
		t.Fatalf("state keeps %v", rs)
	}
	objs, err := platform.ReadAll(context.Background(), f.conns["platform.local.main"].(platform.Reader), platform.ReadRequest{Kind: platform.KindCommunity})
	if err != nil || len(objs) != 0 {
		t.Fatalf("the platform keeps %v (%v)", objs, err)
	}
	p, err = f.plan(plan.Options{Destroy: true})
	if err != nil || p.HasChanges() {
		t.Fatalf("second destroy plan: %v, %+v", err, p)
	}
	text.Reset()
	_ = p.WriteText(&text, false)
	if !strings.Contains(text.String(), "No objects need to be destroyed") {
		t.Errorf("empty destroy plan says:\n%s", text.String())
	}
	// The normal plan makes it all again.
	if got := f.mustPlan().Summary; got.Add != 6 {
		t.Fatalf("plan after destroy: %+v", got)
	}
}

// prevent_destroy protects an object from a destroy, as state has it
// (last applied) and as its block says now, and a protected channel
// protects its community.
func TestDestroyHonoursPreventDestroy(t *testing.T) {
	protected := strings.Replace(base, `channel "random" {}`, `channel "random" {
    prevent_destroy = true
  }`, 1)
	f := newFixture(t, protected)
	f.mustApply(f.mustPlan())
	_, err := f.plan(plan.Options{Destroy: true, AllowRemovals: true})
	if !errors.Is(err, plan.ErrRefused) || !strings.Contains(err.Error(), "community.c.channel.random has prevent_destroy set, and this plan would destroy community.c.channel.random") ||
		!strings.Contains(err.Error(), "this plan would destroy community.c;") {
		t.Fatalf("err = %v", err)
	}
	// Set in the block, not yet applied: still refused.
	f2 := newFixture(t, base)
	f2.mustApply(f2.mustPlan())
	f2.write(protected)
	if _, err := f2.plan(plan.Options{Destroy: true, AllowRemovals: true}); !errors.Is(err, plan.ErrRefused) || !strings.Contains(err.Error(), "community.c.channel.random has prevent_destroy set") || !strings.Contains(err.Error(), "would destroy community.c;") {
		t.Fatalf("prevent_destroy in the block only: err = %v", err)
	}
	// A target away from the protected channel destroys what it names.
	p, err := f.plan(plan.Options{Destroy: true, AllowRemovals: true, Targets: []string{"community.c.channel.general"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(p), "delete community.c.channel.general.pin.house_rules\ndelete community.c.channel.general\n"; got != want {
		t.Fatalf("targeted destroy:\n%s\nwant (not the community it is in):\n%s", got, want)
	}
}

// keeper is the local platform as one that never deletes communities,
// as Discord (servers) and Slack (workspaces) do not.
type keeper struct{ *local.Conn }

func (keeper) Keeps(kind platform.Kind) string {
	if kind == platform.KindCommunity {
		return "hearth does not delete this platform's communities"
	}
	return ""
}

// A community the platform never deletes is forgotten: out of state, on
// the platform still, and no destroy for the removal guard to count.
func TestDestroyForgetsWhatThePlatformKeeps(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	f.conns["platform.local.main"] = keeper{f.conns["platform.local.main"].(*local.Conn)}
	p, err := f.plan(plan.Options{Destroy: true, AllowRemovals: true})
	if err != nil {
		t.Fatal(err)
	}
	last := p.Changes[len(p.Changes)-1]
	if last.Address != "community.c" || last.Action != plan.ForgetAction || !strings.Contains(last.Reason, "it stays on the platform") || p.Summary.Forget != 1 || p.Summary.Destroy != 5 {
		t.Fatalf("community change %+v, summary %+v", last, p.Summary)
	}
	var text strings.Builder
	_ = p.WriteText(&text, false)
	for _, w := range []string{"# community.c will be forgotten (hearth does not delete this platform's communities: it stays on the platform, no longer managed by hearth)", "  . community co-1 {", "Plan: 0 to add, 0 to change, 5 to destroy, 1 to forget."} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, text.String())
		}
	}
	r := f.mustApply(p)
	if r.Destroyed != 5 || r.Forgotten != 1 {
		t.Fatalf("applied %+v", r)
	}
	if rs, _, _ := f.store.Resources(context.Background()); len(rs) != 0 {
		t.Fatalf("state keeps %v", rs)
	}
	objs, err := platform.ReadAll(context.Background(), f.conns["platform.local.main"].(platform.Reader), platform.ReadRequest{Kind: platform.KindCommunity})
	if err != nil || len(objs) != 1 {
		t.Fatalf("the community should stay on the platform: %v (%v)", objs, err)
	}
}

// A saved destroy plan reads back as one and applies.
func TestDestroyPlanRoundTrip(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	p, err := f.plan(plan.Options{Destroy: true, AllowRemovals: true})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"destroy": true`) || !strings.Contains(b.String(), `"format_version": "1.7"`) {
		t.Fatalf("saved plan:\n%s", b.String())
	}
	back, err := plan.Read(strings.NewReader(b.String()))
	if err != nil || !back.Destroy || back.Summary.Destroy != 6 {
		t.Fatalf("read back: %v %+v", err, back)
	}
	if r := f.mustApply(back); r.Destroyed != 6 {
		t.Fatalf("applied %+v", r)
	}
}
