package hearthtest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/hearthtest"
)

const pinConfig = `variable "threshold" {
  type    = number
  default = 100
  validation {
    condition     = var.threshold >= 1
    error_message = "At least 1."
  }
}

incentive "post" {
  on = "message.posted"
  grant {
    points = 10
  }
}

tier "regular" {
  rank = 1
  when = "member.points >= ${var.threshold}"
}
`

const pinTest = `
test "NAME" {
  event "message.posted" {
    member = "ann"
    at     = "1h"
    repeat = 5
  }
  expect "ann" {
    tier = "regular"
  }
}
`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func pinOptions() config.Options {
	return config.Options{
		Platforms: map[string]config.PlatformSpec{"local": local.Spec()},
		LookupEnv: func(string) (string, bool) { return "", false },
	}
}

// Files pinning the same values share one load; a file pinning other
// values has its own, and the tests run on theirs.
func TestPinnedLoads(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.hcl":         pinConfig,
		"a.hearthtest.hcl": "variables = { threshold = 50 }\n" + strings.Replace(pinTest, "NAME", "a", 1),
		"b.hearthtest.hcl": "variables = {\n  threshold = 50\n}\n" + strings.Replace(pinTest, "NAME", "b", 1),
		"c.hearthtest.hcl": "variables = { threshold = 60 }\n" + strings.Replace(strings.Replace(pinTest, "NAME", "c", 1), `"regular"`, `""`, 1),
		"d.hearthtest.hcl": strings.Replace(strings.Replace(pinTest, "NAME", "d", 1), `"regular"`, `""`, 1),
	})
	opts := pinOptions()
	cfg, _, diags := config.Load(dir, opts)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	files, _ := hearthtest.Files(dir)
	loads := 0
	reload := hearthtest.Reloader(dir, opts)
	counting := func(p []config.PinnedVar) (*config.Config, hcl.Diagnostics) {
		loads++
		return reload(p)
	}
	suite, diags := hearthtest.Load(cfg, files, counting, dir)
	if len(diags) > 0 {
		t.Fatal(diags.Error())
	}
	if loads != 2 {
		t.Errorf("%d loads; want 2 (50 and 60)", loads)
	}
	results, diags := suite.Run(context.Background(), cfg, hearthtest.RunOptions{})
	if len(diags) > 0 {
		t.Fatal(diags.Error())
	}
	for _, r := range results {
		if !r.Passed() {
			t.Errorf("%s failed: %+v", r.Name, r.Failures)
		}
	}
	if len(results) != 4 {
		t.Errorf("%d results; want 4", len(results))
	}
}

// A pinned value the variable's validation refuses is an error that says
// which test file set it.
func TestPinnedValidation(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.hcl":         pinConfig,
		"a.hearthtest.hcl": "variables = { threshold = 0 }\n" + strings.Replace(pinTest, "NAME", "a", 1),
	})
	opts := pinOptions()
	cfg, _, diags := config.Load(dir, opts)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	files, _ := hearthtest.Files(dir)
	_, diags = hearthtest.Load(cfg, files, hearthtest.Reloader(dir, opts), dir)
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, "var.threshold: At least 1. (with the variables a.hearthtest.hcl sets)") {
		t.Fatalf("want the validation's error, with the file: %s", diags.Error())
	}
}

// With a configuration in error, what the tests name that it lacks is
// one diagnostic a file; problems of the files themselves stay as they
// are.
func TestSummarize(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.hcl": `segment "quiet" {
  when = "tier_rank() >= rank_of('member')"
}
tier "regular" {
  rank = 1
  when = "member.points >= 10"
}
`,
		"a.hearthtest.hcl": `test "one" {
  expect "ann" {
    tier = "member"
  }
  event "message.posted" {
    member = "ann"
    at     = "1h"
  }
}
test "two" {
  expect "ann" {
    tier        = "member"
    in_segments = ["loud"]
  }
  event "message.posted" {
    member = "ann"
    at     = "1h"
  }
}
test "three" {
  event "message.posted" {
    member = "ann"
    at     = "1h"
  }
  expect "ann" {
    tier = "regular"
  }
}
`,
		"b.hearthtest.hcl": `test "four" {
  expect "ann" {
    tier   = "member"
    points = "many"
  }
  event "message.posted" {
    member = "ann"
    at     = "1h"
  }
}
`,
	})
	cfg, _, diags := config.Load(dir, pinOptions())
	if !diags.HasErrors() {
		t.Fatal("the configuration should have an error")
	}
	files, _ := hearthtest.Files(dir)
	suite, parsed := hearthtest.Parse(files)
	checked := suite.Check(cfg)
	if len(checked) != 4 {
		t.Fatalf("Check: want 4 diagnostics, got %s", checked.Error())
	}
	got := hearthtest.Summarize(append(parsed, checked...), dir)
	var text []string
	for _, d := range got {
		text = append(text, filepath.Base(d.Subject.Filename)+": "+d.Summary+": "+d.Detail)
	}
	want := []string{
		"b.hearthtest.hcl: Invalid points: points must be a whole number, not a string.",
		"a.hearthtest.hcl: Test file names what the configuration lacks: 2 test cases name tiers/segments the configuration does not have: tier member, segment loud (first at a.hearthtest.hcl:3).",
		"b.hearthtest.hcl: Test file names what the configuration lacks: 1 test case names tiers the configuration does not have: member (first at b.hearthtest.hcl:3).",
	}
	if len(text) != len(want) {
		t.Fatalf("got:\n%s", strings.Join(text, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(text[i], want[i]) {
			t.Errorf("got  %s\nwant %s", text[i], want[i])
		}
	}
	for _, d := range got[1:] {
		if d.Severity != hcl.DiagError {
			t.Errorf("%s: want an error", d.Detail)
		}
	}
}
