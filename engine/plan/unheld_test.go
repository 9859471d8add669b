package plan_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
)

// unheld makes the fixture's platform one that has no place for channel
// positions and role hoist, mentionable and position, as Slack has none
// (config.Platform.Unheld, from the adapter's Ignored and Unsupported).
func (f *fixture) unheld() {
	f.cfg.Platforms[0].Unheld = []string{"channel.position", "role.hoist", "role.mentionable", "role.position"}
}

// TestUnheldAttributesLeftOut: attributes the platform has no place for
// are neither shown in a create nor diffed against what the platform or
// state has, so an object state recorded with them (before, or on a
// platform that echoes them) is no change.
func TestUnheldAttributesLeftOut(t *testing.T) {
	f := newFixture(t, base)
	f.unheld()
	p := f.mustPlan()
	for _, c := range p.Changes {
		for _, k := range []string{"position", "hoist", "mentionable"} {
			if _, ok := c.After[k]; ok {
				t.Errorf("%s: after has %s: %v", c.Address, k, c.After)
			}
		}
	}
	var b bytes.Buffer
	if err := p.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"position", "hoist", "mentionable"} {
		if strings.Contains(b.String(), k) {
			t.Errorf("the text plan shows %s:\n%s", k, b.String())
		}
	}
	if !strings.Contains(b.String(), `+ permissions = ["kick_members", "manage_messages"]`) {
		t.Errorf("a held attribute is missing:\n%s", b.String())
	}
	f.mustApply(p)

	// The local platform does hold them: a position and a hoist changed
	// there, which state recorded otherwise, are no change here.
	f.write(base)
	cid := f.id("community.c")
	for _, ch := range []struct {
		kind  platform.Kind
		addr  string
		attrs platform.Attrs
	}{
		{platform.KindChannel, "community.c.channel.random", platform.Attrs{"position": "7"}},
		{platform.KindRole, "community.c.role.mod", platform.Attrs{"hoist": "true", "position": "3"}},
	} {
		if _, err := f.direct().Apply(context.Background(), platform.ApplyRequest{Op: platform.OpUpdate, Kind: ch.kind, Community: cid, ID: f.id(ch.addr), Address: ch.addr, Attrs: ch.attrs}); err != nil {
			t.Fatal(err)
		}
	}
	if got := actions(f.mustPlan()); !strings.Contains(got, "update community.c.role.mod") || !strings.Contains(got, "update community.c.channel.random") {
		t.Fatalf("a platform that holds them: want the updates back, got:\n%s", got)
	}
	f.unheld()
	p = f.mustPlan()
	if got := actions(p); got != "" {
		t.Fatalf("a platform that does not hold them: want no changes, got:\n%s", got)
	}
	for _, c := range p.Changes {
		if _, ok := c.Before["position"]; ok {
			t.Errorf("%s: before has position: %v", c.Address, c.Before)
		}
	}

	// Nor does a removal show them.
	f.write(strings.Replace(base, `  channel "random" {}`, "", 1))
	f.unheld()
	p = f.mustPlan()
	for _, c := range p.Changes {
		if c.Address != "community.c.channel.random" {
			continue
		}
		if c.Action != plan.Delete || c.Before["name"] != "random" {
			t.Fatalf("random: %s %v", c.Action, c.Before)
		}
		if _, ok := c.Before["position"]; ok {
			t.Errorf("the delete shows position: %v", c.Before)
		}
	}
}

// TestAdoptAction: a platform whose create of a community takes the one
// it already has (a Slack workspace) gets an adoption in the plan, not a
// create: its own action, symbol, verb and count. Apply carries it out as
// the create it is, and the next plan has nothing to do.
func TestAdoptAction(t *testing.T) {
	f := newFixture(t, base)
	f.cfg.Platforms[0].Adopts = []string{"community"}
	p := f.mustPlan()
	if got := p.Changes[0]; got.Address != "community.c" || got.Action != plan.AdoptAction {
		t.Fatalf("first change: %s %s", got.Action, got.Address)
	}
	if p.Summary.Adopt != 1 || p.Summary.Add != 5 || !p.HasChanges() {
		t.Fatalf("summary %+v", p.Summary)
	}
	var b bytes.Buffer
	if err := p.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  # community.c will be adopted\n  <= community {\n",
		"        name    = \"c\"\n",
		// The configuration's name for the description.
		"        purpose = \"Testing plans\"\n",
		"  # community.c.channel.general will be created\n",
		"Plan: 1 to adopt, 5 to add, 0 to change, 0 to destroy.\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text plan lacks %q:\n%s", want, b.String())
		}
	}
	if got := p.SummaryLine(); got != "Plan: 1 to adopt, 5 to add, 0 to change, 0 to destroy." {
		t.Errorf("summary line %q", got)
	}
	b.Reset()
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"action": "adopt"`, `"adopt": 1`, `"format_version": "1.7"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	saved, err := plan.Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	res := f.mustApply(saved)
	if res.Adopted != 1 || res.Added != 5 {
		t.Fatalf("result %+v", res)
	}
	f.id("community.c")
	f.write(base)
	f.cfg.Platforms[0].Adopts = []string{"community"}
	if got := actions(f.mustPlan()); got != "" {
		t.Fatalf("second plan:\n%s", got)
	}
}

// TestReadmeAdoptExample: the README's adoption example is what the plan
// prints for it.
func TestReadmeAdoptExample(t *testing.T) {
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Summary: plan.Summary{Adopt: 1, Add: 7}, Changes: []plan.Change{
		{Address: "community.makers", Kind: platform.KindCommunity, Action: plan.AdoptAction, Platform: "platform.slack.main",
			After: platform.Attrs{"name": "makers", "title": "Open Hardware Makers", "description": "People who design, build and fix open hardware"}},
	}}
	var b bytes.Buffer
	if err := p.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	text, _ := strings.CutPrefix(b.String(), "hearth will perform the following actions:\n\n")
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```\n"+text+"```\n") {
		t.Errorf("the README lacks the adoption example as printed:\n%s", text)
	}
}

// TestUnheldAttributesNotDrift: a change the platform made to what it
// has no place for is not drift.
func TestUnheldAttributesNotDrift(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	cid := f.id("community.c")
	if _, err := f.direct().Apply(context.Background(), platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindRole, Community: cid, ID: f.id("community.c.role.mod"), Address: "community.c.role.mod", Attrs: platform.Attrs{"hoist": "true"}}); err != nil {
		t.Fatal(err)
	}
	d, err := plan.Drift(context.Background(), f.cfg, f.store, f.conns)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(d); got != "update community.c.role.mod\n" {
		t.Fatalf("a platform that holds hoist: drift\n%s", got)
	}
	f.unheld()
	if d, err = plan.Drift(context.Background(), f.cfg, f.store, f.conns); err != nil {
		t.Fatal(err)
	}
	if got := actions(d); got != "" {
		t.Fatalf("a platform that does not hold hoist: drift\n%s", got)
	}
}
