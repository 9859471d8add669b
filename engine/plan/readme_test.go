package plan_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
)

// The README quotes the lines a plan heads a moved or imported object
// with, for each case: they must be what the plan prints.
func TestReadmeMovedImportWording(t *testing.T) {
	const addr, from = "community.c.channel.general", "community.c.channel.chat"
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Summary: plan.Summary{Change: 2, Move: 2, Import: 2}, Changes: []plan.Change{
		{Address: addr, Kind: platform.KindChannel, Action: plan.NoOp, ID: "ch-1", MovedFrom: from},
		{Address: addr, Kind: platform.KindChannel, Action: plan.Update, ID: "ch-1", MovedFrom: from, Changed: []string{"name"},
			Before: platform.Attrs{"name": "chat"}, After: platform.Attrs{"name": "general"}},
		{Address: addr, Kind: platform.KindChannel, Action: plan.NoOp, ID: "ch-12", ImportID: "ch-12"},
		{Address: addr, Kind: platform.KindChannel, Action: plan.Update, ID: "ch-12", ImportID: "ch-12", Changed: []string{"topic"},
			Before: platform.Attrs{"topic": ""}, After: platform.Attrs{"topic": "Hi"}},
	}}
	var b bytes.Buffer
	if err := p.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	var heads []string
	for _, l := range strings.Split(b.String(), "\n") {
		if h, ok := strings.CutPrefix(l, "  # "); ok {
			heads = append(heads, "# "+h)
		}
	}
	if len(heads) != 4 {
		t.Fatalf("want 4 heads, got %q in\n%s", heads, b.String())
	}
	src, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := strings.Join(strings.Fields(string(src)), " ")
	for _, h := range heads {
		if !strings.Contains(readme, "`"+h+"`") {
			t.Errorf("the README does not quote the plan's line\n%s", h)
		}
	}
}
