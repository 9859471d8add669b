package config_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/textdiff"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden renders the diagnostics of each testdata/golden/NAME
// directory as text (NAME.txt, no color) and as JSON (NAME.json), the
// two forms `hearth validate` prints, and compares them with the files.
// Run `go test ./engine/config -run TestGolden -update` after an
// intended change and review the diff.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			_, src, diags := config.Load(dir, testOptions(nil))
			if !diags.HasErrors() {
				t.Fatal("a golden configuration should be broken")
			}
			// Paths relative to the directory keep the output stable
			// wherever the tests run.
			var text bytes.Buffer
			if err := config.WriteDiagnostics(&text, src, diags, dir, false); err != nil {
				t.Fatal(err)
			}
			js, err := json.MarshalIndent(config.ToJSON(src, diags, dir), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			js = append(js, '\n')
			compareGolden(t, dir+".txt", text.Bytes())
			compareGolden(t, dir+".json", js)
		})
	}
	if n < 4 {
		t.Errorf("only %d golden configurations", n)
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update if intended):\n%s", path, textdiff.Unified(path, "got", string(want), string(got)))
	}
}

// The text lists errors before warnings, each kind in the order given;
// JSON keeps the order given (by file and position, as Load sorts it).
func TestDiagnosticsErrorsFirst(t *testing.T) {
	rng := func(line int) *hcl.Range {
		p := hcl.Pos{Line: line, Column: 1, Byte: line * 10}
		return &hcl.Range{Filename: "main.hcl", Start: p, End: p}
	}
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagWarning, Summary: "first warning", Subject: rng(1)},
		{Severity: hcl.DiagError, Summary: "first error", Subject: rng(2)},
		{Severity: hcl.DiagWarning, Summary: "second warning", Subject: rng(3)},
		{Severity: hcl.DiagError, Summary: "second error", Subject: rng(4)},
	}
	var text bytes.Buffer
	if err := config.WriteDiagnostics(&text, nil, diags, "", false); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, line := range strings.Split(text.String(), "\n") {
		if s, ok := strings.CutPrefix(line, "Error: "); ok {
			order = append(order, s)
		} else if s, ok := strings.CutPrefix(line, "Warning: "); ok {
			order = append(order, s)
		}
	}
	if got := strings.Join(order, ", "); got != "first error, second error, first warning, second warning" {
		t.Errorf("text order: %s", got)
	}
	js := config.ToJSON(nil, diags, "")
	var summaries []string
	for _, d := range js.Diagnostics {
		summaries = append(summaries, d.Summary)
	}
	if got := strings.Join(summaries, ", "); got != "first warning, first error, second warning, second error" {
		t.Errorf("JSON order: %s", got)
	}
}
