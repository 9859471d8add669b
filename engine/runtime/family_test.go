package runtime_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

const familySrc = `
platform "local" "main" {}

community "oss" {
  title           = "Widget OSS"
  platform        = platform.local.main
  capacity        = 3
  welcome_message = "Welcome!"
  channel "general" {}
  role "regular" {}
}

template "hi" {
  text = { en = "Hi ${member.name}" }
}

tier "regular" {
  rank = 1
  when = "member.points >= 1"
  role = community.oss.role.regular
}

incentive "post" {
  on        = "message.posted"
  community = community.oss
  grant { points = 1 }
}

campaign "onboarding" {
  enter_on  = "member.joined"
  community = community.oss
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`

// familyRun applies events to a runtime for cfg, one batch each, with
// the communities on the platform given by onPlatform.
type familyRun struct {
	t     *testing.T
	rt    *runtime.Runtime
	store *state.Memory
	at    time.Time
	n     int
	attrs map[string]any // the events' attributes beside text
}

func newFamilyRun(t *testing.T, cfg *config.Config, onPlatform ...string) *familyRun {
	rt := runtime.New(cfg, nil)
	rt.SetPlatformCommunities(func(context.Context) (map[string]bool, error) {
		out := map[string]bool{}
		for _, n := range onPlatform {
			out[n] = true
		}
		return out, nil
	})
	store := state.NewMemory()
	store.KeepOutcomes = true
	return &familyRun{t: t, rt: rt, store: store, at: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (f *familyRun) event(typ, member, community string) {
	f.t.Helper()
	f.n++
	f.at = f.at.Add(time.Minute)
	ctx := context.Background()
	b, err := f.store.Begin(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	ev := events.Event{ID: fmt.Sprintf("e%d", f.n), Type: typ, Member: events.Member{ID: member, Name: strings.ToUpper(member)}, Community: community, At: f.at,
		Attrs: map[string]any{"text": "hello"}}
	for k, v := range f.attrs {
		ev.Attrs[k] = v
	}
	if err := ev.Check(); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.rt.Apply(ctx, b, &ev); err != nil {
		f.t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		f.t.Fatal(err)
	}
}

func (f *familyRun) member(id string) *state.Member {
	f.t.Helper()
	var out *state.Member
	_ = f.store.Members(context.Background(), func(m *state.Member) error {
		if m.ID == id {
			out = m
		}
		return nil
	})
	if out == nil {
		f.t.Fatalf("no member %s", id)
	}
	return out
}

// counts are the member counts of the communities hearth keeps, by name.
func (f *familyRun) counts() map[string]int {
	docs, _ := f.store.Communities()
	out := map[string]int{}
	for _, d := range docs {
		out[d.Name] = d.Members
	}
	return out
}

// actions lists the outbox as "KIND COMMUNITY [INTO|TARGET|ROLE] MEMBER",
// for member, in key order.
func (f *familyRun) actions(member string) []string {
	var out []string
	for _, a := range f.store.Outbox() {
		if a.Member != member {
			continue
		}
		what := a.Target
		switch a.Kind {
		case "member.move":
			what = "into " + a.Into
		case "role.add":
			what = a.Role
		case "send.dm":
			what = a.Text
		}
		out = append(out, a.Kind+" "+a.Community+" "+what)
	}
	slices.Sort(out)
	return out
}

// A member joining a full community is moved to the family's first
// community with room, and welcomed, spoken to and given roles there;
// once every one is full, they stay where they joined.
func TestFamilyMovesJoinsIntoRoom(t *testing.T) {
	cfg := loadDir(t, t.TempDir(), familySrc)
	f := newFamilyRun(t, cfg, "oss", "oss-2")
	for _, m := range []string{"u1", "u2", "u3"} {
		f.event("member.joined", m, "oss")
	}
	if got := f.actions("u3"); !slices.Equal(got, []string{"send.channel oss general", "send.dm oss Hi U3"}) {
		t.Fatalf("u3, third of 3 in oss: %q", got)
	}
	f.event("member.joined", "u4", "oss")
	want := []string{"member.move oss into oss-2", "send.channel oss-2 general", "send.dm oss-2 Hi U4"}
	if got := f.actions("u4"); !slices.Equal(got, want) {
		t.Fatalf("u4, joining oss full: %q; want %q", got, want)
	}
	if p := f.member("u4").Places; p["oss"] != "oss-2" {
		t.Fatalf("u4's places %v", p)
	}
	if c := f.counts(); c["oss"] != 3 || c["oss-2"] != 1 {
		t.Fatalf("counts %v", c)
	}
	// Posting in oss-2: the incentive for oss counts it, and the tier's
	// role is oss-2's.
	f.event("message.posted", "u4", "oss-2")
	if m := f.member("u4"); m.Points != 1 || m.Tier.Name != "regular" {
		t.Fatalf("u4 after posting in oss-2: points %d, tier %q", m.Points, m.Tier.Name)
	}
	if got := f.actions("u4"); !slices.Contains(got, "role.add oss-2 regular") {
		t.Fatalf("u4's role: %q", got)
	}
	for _, m := range []string{"u5", "u6"} {
		f.event("member.joined", m, "oss")
	}
	if c := f.counts(); c["oss"] != 3 || c["oss-2"] != 3 {
		t.Fatalf("counts %v", c)
	}
	// Both full: u7 stays in oss, over its capacity, and plan adds oss-3.
	f.event("member.joined", "u7", "oss")
	if got := f.actions("u7"); !slices.Equal(got, []string{"send.channel oss general", "send.dm oss Hi U7"}) {
		t.Fatalf("u7, joining with every community full: %q", got)
	}
	if c := f.counts(); c["oss"] != 4 {
		t.Fatalf("counts %v", c)
	}
	// A leave frees room in oss-2; the next join goes there.
	f.event("member.left", "u4", "oss-2")
	if m := f.member("u4"); m.Places != nil {
		t.Fatalf("u4 left, places %v", m.Places)
	}
	f.event("member.joined", "u8", "oss")
	if got := f.actions("u8"); !slices.Contains(got, "member.move oss into oss-2") {
		t.Fatalf("u8: %q", got)
	}
	if c := f.counts(); c["oss"] != 4 || c["oss-2"] != 3 {
		t.Fatalf("counts %v", c)
	}
}

// Without a sub-community on the platform (plan has not added it, or
// apply not run), nobody is moved.
func TestFamilyMovesOnlyIntoCommunitiesApplied(t *testing.T) {
	cfg := loadDir(t, t.TempDir(), familySrc)
	f := newFamilyRun(t, cfg, "oss")
	for _, m := range []string{"u1", "u2", "u3", "u4"} {
		f.event("member.joined", m, "oss")
	}
	for _, a := range f.store.Outbox() {
		if a.Kind == "member.move" {
			t.Fatalf("moved into a community not made: %+v", a)
		}
	}
	if c := f.counts(); c["oss"] != 4 {
		t.Fatalf("counts %v", c)
	}
}

// On a platform that cannot move members, each stays where they join,
// and one joining a sub-community by its own invitation is welcomed and
// spoken to there.
func TestFamilyWithoutMoves(t *testing.T) {
	spec := local.Spec()
	spec.MovesMembers = false
	dir := t.TempDir()
	cfg := loadDirWith(t, dir, familySrc, spec)
	f := newFamilyRun(t, cfg, "oss", "oss-2")
	for _, m := range []string{"u1", "u2", "u3", "u4"} {
		f.event("member.joined", m, "oss")
	}
	if got := f.actions("u4"); !slices.Equal(got, []string{"send.channel oss general", "send.dm oss Hi U4"}) {
		t.Fatalf("u4 on a platform that cannot move: %q", got)
	}
	f.event("member.joined", "u5", "oss-2")
	if got := f.actions("u5"); !slices.Equal(got, []string{"send.channel oss-2 general", "send.dm oss-2 Hi U5"}) {
		t.Fatalf("u5, joining oss-2: %q", got)
	}
	if c := f.counts(); c["oss"] != 4 || c["oss-2"] != 1 {
		t.Fatalf("counts %v", c)
	}
}

// A community that does not split keeps no places: its members' documents
// stay as before (readable by an earlier hearth).
func TestNoPlacesWithoutSplit(t *testing.T) {
	cfg := loadDir(t, t.TempDir(), strings.Replace(familySrc, "capacity        = 3", "capacity        = 0", 1))
	f := newFamilyRun(t, cfg, "oss")
	f.event("member.joined", "u1", "oss")
	if m := f.member("u1"); m.Places != nil {
		t.Fatalf("places %v", m.Places)
	}
	if got := f.actions("u1"); !slices.Equal(got, []string{"send.channel oss general", "send.dm oss Hi U1"}) {
		t.Fatalf("u1: %q", got)
	}
}

// In a sub-community, rules read community.name as the sub-community the
// event is in, community.title as its title on the platform, and
// community.parent as the block; in the block's own community the three
// are the block's.
func TestFamilyCommunityNameInRules(t *testing.T) {
	spec := local.Spec()
	spec.MovesMembers = false
	src := familySrc + `
incentive "in_sub" {
  on        = "message.posted"
  community = community.oss
  when      = "community.name == 'oss-2' && community.parent == 'oss' && community.title == 'Widget OSS 2'"
  grant {
    points = 10
    reason = "in_sub"
  }
}

incentive "in_first" {
  on        = "message.posted"
  community = community.oss
  when      = "community.name == 'oss' && community.parent == 'oss' && community.title == 'Widget OSS'"
  grant {
    points = 100
    reason = "in_first"
  }
}
`
	cfg := loadDirWith(t, t.TempDir(), src, spec)
	f := newFamilyRun(t, cfg, "oss", "oss-2")
	f.event("member.joined", "u1", "oss")
	f.event("member.joined", "u2", "oss-2")
	f.event("message.posted", "u1", "oss")
	f.event("message.posted", "u2", "oss-2")
	// 1 point from post, and 100 or 10 from the rule reading the
	// community.
	if p := f.member("u1").Points; p != 101 {
		t.Errorf("u1, posting in oss: %d points; want 101 (in_first)", p)
	}
	if p := f.member("u2").Points; p != 11 {
		t.Errorf("u2, posting in oss-2: %d points; want 11 (in_sub)", p)
	}
}
