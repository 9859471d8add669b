package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestExamples validates every example directory, checks it is formatted
// and that it has a README telling its scenario.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob("../../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no examples found")
	}
	for _, dir := range dirs {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var out, errb bytes.Buffer
			s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
			if code := run(context.Background(), []string{"validate", dir}, s); code != 0 || errb.Len() > 0 {
				t.Fatalf("validate exit %d; want 0 with no warnings:\n%s%s", code, out.String(), errb.String())
			}
			out.Reset()
			if code := run(context.Background(), []string{"fmt", "-check", dir}, s); code != 0 {
				t.Errorf("not formatted (run hearth fmt %s):\n%s", dir, out.String())
			}
			if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
				t.Errorf("example has no README.md")
			}
		})
	}
}
