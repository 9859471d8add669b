package plan_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
)

// A channel's title is its name on the platform: a new title renames the
// channel in place (same id), never a destroy and a create, and drift
// compares the live name against the title.
func TestChannelTitleRenamesInPlace(t *testing.T) {
	ctx := context.Background()
	titled := strings.Replace(base, `channel "random" {}`, `channel "random" {
    title = "闲聊"
  }`, 1)
	f := newFixture(t, titled)
	p := f.mustPlan()
	for _, c := range p.Changes {
		if c.Address == "community.c.channel.random" && c.After["name"] != "闲聊" {
			t.Fatalf("random created as %q; want its title", c.After["name"])
		}
	}
	f.mustApply(p)
	id := f.id("community.c.channel.random")

	f.write(strings.Replace(titled, `"闲聊"`, `"Off Topic & Fun"`, 1))
	p = f.mustPlan()
	if got := actions(p); got != "update community.c.channel.random\n" {
		t.Fatalf("plan:\n%s\nwant random updated in place", got)
	}
	if p.Summary != (plan.Summary{Change: 1}) {
		t.Errorf("summary %+v", p.Summary)
	}
	for _, c := range p.Changes {
		if c.Action == plan.Update && (c.Before["name"] != "闲聊" || c.After["name"] != "Off Topic & Fun" || strings.Join(c.Changed, ",") != "name") {
			t.Errorf("change %+v", c)
		}
	}
	f.mustApply(p)
	if got := f.id("community.c.channel.random"); got != id {
		t.Errorf("random is %s after the rename; want %s kept", got, id)
	}

	// Renamed by hand: drift against the title, and plan puts it back.
	if _, err := f.direct().Apply(ctx, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindChannel, ID: id, Community: f.id("community.c"), Attrs: platform.Attrs{"name": "lobby"}}); err != nil {
		t.Fatal(err)
	}
	d, err := plan.Drift(ctx, f.cfg, f.store, f.conns)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(d); got != "update community.c.channel.random\n" || d.Changes[0].Before["name"] != "Off Topic & Fun" || d.Changes[0].After["name"] != "lobby" {
		t.Errorf("drift:\n%s %+v", got, d.Changes)
	}
	if got := actions(f.mustPlan()); got != "update community.c.channel.random\n" {
		t.Errorf("plan after the rename by hand:\n%s", got)
	}
}

// ignore_changes = ["title"] on a channel, and a hearth block pattern
// ending in .title, leave a name changed by hand alone.
func TestChannelTitleIgnoreChanges(t *testing.T) {
	ctx := context.Background()
	for name, src := range map[string]string{
		"block": strings.Replace(base, `channel "random" {}`, `channel "random" {
    title          = "闲聊"
    ignore_changes = ["title"]
  }`, 1),
		"hearth": "hearth {\n  ignore_changes = [\"community.*.channel.*.title\"]\n}\n" + strings.Replace(base, `channel "random" {}`, `channel "random" {
    title = "闲聊"
  }`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, src)
			f.mustApply(f.mustPlan())
			if _, err := f.direct().Apply(ctx, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindChannel, ID: f.id("community.c.channel.random"), Community: f.id("community.c"), Attrs: platform.Attrs{"name": "lobby"}}); err != nil {
				t.Fatal(err)
			}
			if got := actions(f.mustPlan()); got != "" {
				t.Errorf("plan:\n%s\nwant no changes", got)
			}
		})
	}
}
