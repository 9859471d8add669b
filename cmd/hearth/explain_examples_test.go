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

// hearth explain platform.TYPE lists what the platform adopts rather
// than creates, each kind with what is taken, so that a "<= community"
// in a plan is not news; a platform that adopts nothing lists nothing.
func TestExplainPlatformAdopts(t *testing.T) {
	want := map[string][]string{
		"slack":     {"community", "the workspace team_id names"},
		"discourse": {"community", "the forum at url"},
		"telegram":  {"channel", "the group itself"},
	}
	for typ, spec := range platformSpecs() {
		code, out, errs := runCLI("explain", "platform."+typ)
		if code != 0 {
			t.Fatalf("explain platform.%s: exit %d\n%s", typ, code, errs)
		}
		_, section, listed := strings.Cut(out, "\nAdopted, not created: ")
		if listed != (len(spec.Adopts) > 0) {
			t.Errorf("explain platform.%s lists adoptions: %v; the platform adopts %v:\n%s", typ, listed, spec.Adopts, out)
			continue
		}
		section, _, _ = strings.Cut(section, "\n\n")
		for kind := range spec.Adopts {
			if !strings.Contains(section, "\n  "+kind+" ") {
				t.Errorf("explain platform.%s does not list %s as adopted:\n%s", typ, kind, section)
			}
		}
		if w, ok := want[typ]; ok && (!strings.Contains(section, "\n  "+w[0]+" ") || !strings.Contains(section, w[1])) {
			t.Errorf("explain platform.%s: want %q adopted as %q:\n%s", typ, w[0], w[1], section)
		}
	}
	for typ := range want {
		if _, ok := platformSpecs()[typ]; !ok {
			t.Errorf("no platform %s in this binary", typ)
		}
	}
}
