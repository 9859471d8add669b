package plan_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
)

// Channels and roles made outside hearth in a community it manages are
// listed by drift, with a free address and the import block to adopt
// each, and are neither drift nor anything plan changes. One an import
// block already adopts is not listed.
func TestDriftListsUnmanaged(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	co := f.id("community.c")
	ap := f.direct()
	made := map[string]string{}
	for _, o := range []struct {
		kind platform.Kind
		name string
	}{{platform.KindChannel, "off topic"}, {platform.KindChannel, "general"}, {platform.KindRole, "Helpers"}, {platform.KindChannel, "adopted"}} {
		resp, err := ap.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: o.kind, Community: co, Attrs: platform.Attrs{"name": o.name}})
		if err != nil {
			t.Fatal(err)
		}
		made[o.name] = resp.Object.ID
	}
	f.write(strings.Replace(base, `channel "random" {}`, `channel "random" {}
  channel "adopted" {}`, 1) + "\nimport {\n  to = community.c.channel.adopted\n  id = \"" + made["adopted"] + "\"\n}\n")
	d, err := plan.Drift(ctx, f.cfg, f.store, f.conns)
	if err != nil {
		t.Fatal(err)
	}
	if d.HasChanges() {
		t.Fatalf("unmanaged objects counted as drift:\n%s", actions(d))
	}
	var got []string
	for _, u := range d.Unmanaged {
		if u.Community != "community.c" || u.Platform != "platform.local.main" {
			t.Errorf("unmanaged %+v: wrong community or platform", u)
		}
		got = append(got, string(u.Kind)+" "+u.Name+" -> "+u.To)
		if want := plan.ImportBlock(u.To, u.ID); u.Import != want || u.ID != made[u.Name] {
			t.Errorf("unmanaged %+v: want id %s and import %q", u, made[u.Name], want)
		}
	}
	// general is managed at community.c.channel.general: the hand-made
	// one of that name gets another address.
	want := "channel off topic -> community.c.channel.off_topic\nchannel general -> community.c.channel.general_2\nrole Helpers -> community.c.role.helpers"
	if strings.Join(got, "\n") != want {
		t.Fatalf("unmanaged:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	var text bytes.Buffer
	if err := d.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "drift_unmanaged.txt", text.Bytes())
	var js bytes.Buffer
	if err := d.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	back, err := plan.Read(&js)
	if err != nil || len(back.Unmanaged) != 3 || back.Unmanaged[2].To != "community.c.role.helpers" {
		t.Fatalf("read back: %v %+v", err, back)
	}
	// plan leaves them alone: only the import block's object is planned.
	if got := actions(f.mustPlan()); strings.Contains(got, "off_topic") || strings.Contains(got, "helpers") || strings.Contains(got, "general_2") {
		t.Fatalf("plan touches unmanaged objects:\n%s", got)
	}
}

func TestBlockLabel(t *testing.T) {
	for name, want := range map[string]string{
		"random": "random", "off topic": "off_topic", "Mods & Co": "mods_co", "dev-talk": "dev-talk",
		"2024 events": "channel_2024_events", "!!!": "channel", "café": "caf", "闲聊": "channel", "-x": "channel_-x",
	} {
		if got := plan.BlockLabel(name, platform.KindChannel); got != want {
			t.Errorf("BlockLabel(%q) = %q, want %q", name, got, want)
		}
	}
}

// An object named as a block that state has nothing for (made by hand,
// or by an apply that stopped partway) is adopted at that block, not at
// a made-up address beside it.
func TestDriftImportsIntoItsBlock(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	resp, err := f.direct().Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.id("community.c"), Attrs: platform.Attrs{"name": "old-stuff"}})
	if err != nil {
		t.Fatal(err)
	}
	f.write(strings.Replace(base, `channel "random" {}`, `channel "random" {}
  channel "old-stuff" {}`, 1))
	d, err := plan.Drift(ctx, f.cfg, f.store, f.conns)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Unmanaged) != 1 || d.Unmanaged[0].To != "community.c.channel.old-stuff" || d.Unmanaged[0].Import != plan.ImportBlock("community.c.channel.old-stuff", resp.Object.ID) {
		t.Fatalf("unmanaged %+v; want old-stuff adopted at community.c.channel.old-stuff", d.Unmanaged)
	}
}
