package plan_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
)

// A community's purpose is the platform's description: the text plan
// and drift call it purpose, as the block does, while the -json plan
// keeps the platform's name (a format other programs read, and apply
// reads back).
func TestCommunityPurposeShownAsPurpose(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())

	f.write(strings.Replace(base, `"Testing plans"`, `"Testing plans, again"`, 1))
	p := f.mustPlan()
	if got := actions(p); got != "update community.c\n" {
		t.Fatalf("plan:\n%s", got)
	}
	var b bytes.Buffer
	if err := p.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	if want := `      ~ purpose = "Testing plans" -> "Testing plans, again"` + "\n"; !strings.Contains(b.String(), want) {
		t.Errorf("text plan lacks %q:\n%s", want, b.String())
	}
	if strings.Contains(b.String(), "description") {
		t.Errorf("text plan speaks of a description:\n%s", b.String())
	}
	b.Reset()
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"description": "Testing plans, again"`, `"changed": [` + "\n" + `        "description"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JSON plan lacks %s:\n%s", want, b.String())
		}
	}
	f.mustApply(p)

	// Changed by hand: drift says purpose too.
	if _, err := f.direct().Apply(ctx, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindCommunity, ID: f.id("community.c"), Attrs: platform.Attrs{"description": "Whatever"}}); err != nil {
		t.Fatal(err)
	}
	d, err := plan.Drift(ctx, f.cfg, f.store, f.conns)
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := d.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	if want := `      ~ purpose = "Testing plans, again" -> "Whatever"` + "\n"; !strings.Contains(b.String(), want) {
		t.Errorf("drift lacks %q:\n%s", want, b.String())
	}
}

// A hearth block's ignore_changes may name a community's purpose by
// either name.
func TestCommunityPurposeIgnoreChanges(t *testing.T) {
	ctx := context.Background()
	for _, pat := range []string{"community.*.purpose", "community.c.description"} {
		t.Run(pat, func(t *testing.T) {
			f := newFixture(t, "hearth {\n  ignore_changes = [\""+pat+"\"]\n}\n"+base)
			f.mustApply(f.mustPlan())
			if _, err := f.direct().Apply(ctx, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindCommunity, ID: f.id("community.c"), Attrs: platform.Attrs{"description": "Whatever"}}); err != nil {
				t.Fatal(err)
			}
			if got := actions(f.mustPlan()); got != "" {
				t.Errorf("plan:\n%s\nwant no changes", got)
			}
			d, err := plan.Drift(ctx, f.cfg, f.store, f.conns)
			if err != nil {
				t.Fatal(err)
			}
			if got := actions(d); got != "" {
				t.Errorf("drift:\n%s\nwant none", got)
			}
		})
	}
}
