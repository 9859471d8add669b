package hearthtest_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/hearthtest"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/textdiff"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/run/*.txtar")

// load writes an archive's files to a directory and loads its
// configuration, which must be valid, and its test files.
func load(t *testing.T, ar *txtar.Archive) (*config.Config, *hearthtest.Suite, hcl.Diagnostics) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range ar.Files {
		if f.Name == "want" || f.Name == "vars" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := config.Options{
		Platforms: map[string]config.PlatformSpec{"local": local.Spec(), "email": email.Spec()},
		LookupEnv: func(string) (string, bool) { return "", false },
	}
	if v, ok := ar.Files[0], len(ar.Files) > 0; ok && v.Name == "vars" {
		opts.Vars = strings.Fields(string(v.Data))
	}
	cfg, _, diags := config.Load(dir, opts)
	if diags.HasErrors() {
		t.Fatalf("configuration: %s", diags.Error())
	}
	files, err := hearthtest.Files(dir)
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	suite, diags := hearthtest.Load(cfg, files, hearthtest.Reloader(dir, opts), dir)
	return cfg, suite, diags
}

// A marker on a line of a test file says a diagnostic must start on that
// line: `# ERROR: text` or `# WARNING: text`, text being part of its
// summary or detail.
var reMarker = regexp.MustCompile(`# (ERROR|WARNING): `)

type marker struct {
	file string
	line int
	sev  hcl.DiagnosticSeverity
	text string
}

func markers(ar *txtar.Archive) []marker {
	var out []marker
	for _, f := range ar.Files {
		for i, line := range strings.Split(string(f.Data), "\n") {
			locs := reMarker.FindAllStringSubmatchIndex(line, -1)
			for j, loc := range locs {
				end := len(line)
				if j+1 < len(locs) {
					end = locs[j+1][0]
				}
				sev := hcl.DiagError
				if line[loc[2]:loc[3]] == "WARNING" {
					sev = hcl.DiagWarning
				}
				out = append(out, marker{file: f.Name, line: i + 1, sev: sev, text: strings.TrimSpace(line[loc[1]:end])})
			}
		}
	}
	return out
}

// TestInvalid loads each testdata/invalid/NAME.txtar, a valid
// configuration with broken test files, and checks that the diagnostics
// are exactly those its markers announce, each in a test file.
func TestInvalid(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.txtar"))
	if len(paths) == 0 {
		t.Fatal("no testdata/invalid/*.txtar")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, _, diags := load(t, ar)
			want := markers(ar)
			if len(want) == 0 {
				t.Fatal("no markers")
			}
			used := make([]bool, len(diags))
			for _, m := range want {
				found := false
				for i, d := range diags {
					if used[i] || d.Subject == nil || filepath.Base(d.Subject.Filename) != m.file || d.Subject.Start.Line != m.line || d.Severity != m.sev {
						continue
					}
					if strings.Contains(d.Summary, m.text) || strings.Contains(d.Detail, m.text) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("%s:%d: missing diagnostic %q", m.file, m.line, m.text)
				}
			}
			for i, d := range diags {
				if !used[i] {
					t.Errorf("unexpected diagnostic: %s", describe(d))
				}
				if d.Subject == nil || !strings.HasSuffix(d.Subject.Filename, config.TestFileSuffix) {
					t.Errorf("not in a test file: %s", describe(d))
				}
			}
		})
	}
}

func describe(d *hcl.Diagnostic) string {
	where := "(no position)"
	if d.Subject != nil {
		where = fmt.Sprintf("%s:%d,%d", filepath.Base(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column)
	}
	return fmt.Sprintf("%s: %s: %s", where, d.Summary, d.Detail)
}

// TestRun runs the tests of each testdata/run/NAME.txtar and compares
// their results, as text, with the archive's want section.
func TestRun(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "run", "*.txtar"))
	if len(paths) == 0 {
		t.Fatal("no testdata/run/*.txtar")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, suite, diags := load(t, ar)
			if diags.HasErrors() { // warnings are TestInvalid's
				t.Fatalf("test files: %s", diags.Error())
			}
			results, diags := suite.Run(context.Background(), cfg, hearthtest.RunOptions{})
			if len(diags) > 0 {
				t.Fatalf("run: %s", diags.Error())
			}
			got := render(results)
			i := slices.IndexFunc(ar.Files, func(f txtar.File) bool { return f.Name == "want" })
			if i < 0 {
				t.Fatal("no want section")
			}
			if *update {
				ar.Files[i].Data = []byte(got)
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want := string(ar.Files[i].Data); got != want {
				t.Errorf("results differ (run with -update if intended):\n%s", textdiff.Unified("want", "got", want, got))
			}
		})
	}
}

func render(results []hearthtest.Result) string {
	var b strings.Builder
	for _, r := range results {
		if r.Passed() {
			fmt.Fprintf(&b, "PASS %s\n", r.Name)
			continue
		}
		fmt.Fprintf(&b, "FAIL %s\n", r.Name)
		for _, f := range r.Failures {
			fmt.Fprintf(&b, "  %s:%d,%d: %s, at %s: expected %s, got %s\n", filepath.Base(f.Where.Filename), f.Where.Start.Line, f.Where.Start.Column, f.Subject, f.When, f.Expected, f.Got)
			for _, n := range f.Notes {
				fmt.Fprintf(&b, "    note: %s\n", n)
			}
			for _, d := range f.DecidedBy {
				// A rule on several lines comes under its header.
				fmt.Fprintf(&b, "    %s\n", strings.ReplaceAll(d, "\n", "\n    "))
			}
			for _, e := range f.Evaluated {
				fmt.Fprintf(&b, "    = %s = %v", e.Rule, e.Result)
				if e.Error != "" {
					fmt.Fprintf(&b, " (error: %s)", e.Error)
				}
				for _, v := range e.Values {
					fmt.Fprintf(&b, ", %s = %v", v.Name, v.Value)
				}
				b.WriteString("\n")
				renderClauses(&b, e.Op, e.Clauses, "      ")
			}
		}
	}
	return b.String()
}

// renderClauses writes a rule's parts under it, one a line: "*" marks
// those that decided it, and a group's parts are indented under it.
func renderClauses(b *strings.Builder, op string, cs []runtime.Clause, indent string) {
	for _, c := range cs {
		mark := " "
		if c.Decided {
			mark = "*"
		}
		fmt.Fprintf(b, "%s%s %s %s = %v", indent, op, mark, c.Source, c.Result)
		if c.Error != "" {
			fmt.Fprintf(b, " (error: %s)", c.Error)
		}
		for _, v := range c.Values {
			fmt.Fprintf(b, ", %s = %v", v.Name, v.Value)
		}
		b.WriteString("\n")
		renderClauses(b, c.Op, c.Clauses, indent+"    ")
	}
}
