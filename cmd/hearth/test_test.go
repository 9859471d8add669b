package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/hearthtest"
	"github.com/hearth-community/hearth/engine/runtime"
)

// TestTestUsage keeps hearth test -h in step with the test file schema:
// its example parses, and writes every block with every attribute.
func TestTestUsage(t *testing.T) {
	// The example is the lines from `  variables` to the first `  }`.
	var example []string
	in := false
	for _, line := range strings.Split(testUsage, "\n") {
		if strings.HasPrefix(line, `  variables = `) {
			in = true
		}
		if in {
			example = append(example, strings.TrimPrefix(line, "  "))
			if line == "  }" {
				break
			}
		}
	}
	src := []byte(strings.Join(example, "\n") + "\n")
	path := filepath.Join(t.TempDir(), "help"+config.TestFileSuffix)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, diags := hearthtest.Parse([]string{path}); len(diags) > 0 {
		t.Fatalf("the example of hearth test -h does not parse: %s", diags.Error())
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var cover func(body *hclsyntax.Body, spec *config.Block, path string)
	cover = func(body *hclsyntax.Body, spec *config.Block, path string) {
		for _, a := range spec.Attrs {
			if _, ok := body.Attributes[a.Name]; !ok {
				t.Errorf("the example of hearth test -h has no %s.%s", path, a.Name)
			}
		}
		for _, c := range spec.Blocks {
			found := false
			for _, b := range body.Blocks {
				if b.Type == c.Type {
					cover(b.Body, c, strings.TrimPrefix(path+"."+c.Type, "."))
					found = true
					break
				}
			}
			if !found {
				t.Errorf("the example of hearth test -h has no %s block in %s", c.Type, path)
			}
		}
	}
	cover(f.Body.(*hclsyntax.Body), hearthtest.Schema(), "")
}

// A rule of an ended run that reads the run's dropped entering event is
// said to be not run, and why, not printed as an error.
func TestEvaluatedLineRunEventGone(t *testing.T) {
	e := runtime.Explanation{Rule: "campaign.rsvp[Go night].stop_when", Error: runtime.RunEventGone, EventReads: []string{"event.answer"}}
	want := "campaign.rsvp[Go night].stop_when (not run: the run's entering event is no longer kept (retention))"
	if got := evaluatedLine(e); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
