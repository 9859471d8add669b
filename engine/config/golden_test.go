package config_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

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
