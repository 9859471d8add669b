package config_test

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// FuzzLoad loads arbitrary text as a configuration. Load must never
// panic, every diagnostic must point inside the file, and both printers
// must handle every diagnostic.
func FuzzLoad(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"testdata/invalid/*.hcl", "testdata/valid/*/*.hcl", "testdata/golden/*/*.hcl"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, files...)
	}
	for _, path := range seeds {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	opts := testOptions(map[string]string{"HEARTH_VAR_token": "t", "HOME": "/home/x"})
	opts.Vars = []string{"given=1"}
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, sources, diags := config.Load(dir, opts)
		if cfg == nil {
			t.Fatal("nil config")
		}
		checkRanges(t, cfg.Files, sources, diags)
		if err := config.WriteDiagnostics(io.Discard, sources, diags, dir, true); err != nil {
			t.Fatal(err)
		}
		if _, err := json.Marshal(config.ToJSON(sources, diags, dir)); err != nil {
			t.Fatal(err)
		}
	})
}
