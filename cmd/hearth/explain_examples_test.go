package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// Each platform's example in hearth explain validates on its own, pasted
// into an empty directory: every var.NAME it reads is declared in it
// (given a value from the environment, as an operator would), so a
// newcomer who copies it gets no "undeclared variable" error.
func TestExplainPlatformExamplesValidateAlone(t *testing.T) {
	env := func(name string) (string, bool) {
		if strings.HasPrefix(name, "HEARTH_VAR_") {
			return "x", true
		}
		return "", false
	}
	for typ, spec := range platformSpecs() {
		if strings.TrimSpace(spec.Example) == "" {
			continue
		}
		t.Run(typ, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(spec.Example+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, diags := config.Load(dir, config.Options{LookupEnv: env, Platforms: platformSpecs(), Version: Version})
			for _, d := range diags {
				t.Errorf("hearth explain platform.%s: the example alone: %s: %s", typ, d.Summary, d.Detail)
			}
		})
	}
}
