package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
)

// testVersion is the hearth version tests load with, so required_version
// is checked.
const testVersion = "0.3.0"

// chatSpec is a platform with a credential, which the local platform has
// not: the loader's secret checks need one.
func chatSpec() config.PlatformSpec {
	return config.PlatformSpec{
		Type: "chat",
		Doc:  "A test platform with a token.",
		Attrs: []config.Attr{
			{Name: "token", Kind: config.KindSetting, Secret: true, Doc: "Bot token."},
			{Name: "server", Kind: config.KindString, Doc: "Server name."},
			{Name: "shards", Kind: config.KindNumber, Doc: "Shards."},
			{Name: "intents", Kind: config.KindStringList, Doc: "Intents."},
		},
	}
}

// forumSpec stands for the discourse platform, whose trust levels a
// tier's discourse block sets.
func forumSpec() config.PlatformSpec {
	return config.PlatformSpec{
		Type: config.TrustPlatform,
		Doc:  "A test forum.",
		Attrs: []config.Attr{
			{Name: "url", Kind: config.KindString, Doc: "Forum address."},
		},
	}
}

// testOptions are the options every test loads with unless it says
// otherwise: the platforms, a fixed version and a fixed environment.
func testOptions(env map[string]string) config.Options {
	return config.Options{
		Platforms: map[string]config.PlatformSpec{"local": local.Spec(), "chat": chatSpec(), config.TrustPlatform: forumSpec()},
		Version:   testVersion,
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	}
}

// writeDir writes files (name to content) into a new temporary directory.
func writeDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadSrc loads one main.hcl with testOptions.
func loadSrc(t testing.TB, src string, opts config.Options) (*config.Config, hcl.Diagnostics) {
	t.Helper()
	dir := writeDir(t, map[string]string{"main.hcl": src})
	cfg, _, diags := config.Load(dir, opts)
	return cfg, diags
}

// describe lists diagnostics one a line, for failure messages.
func describe(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		pos := "-"
		if d.Subject != nil {
			pos = fmt.Sprintf("%s:%d,%d-%d,%d", filepath.Base(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column, d.Subject.End.Line, d.Subject.End.Column)
		}
		fmt.Fprintf(&b, "\n\t%s %s: %s: %s", pos, sev, d.Summary, d.Detail)
	}
	return b.String()
}

// checkRanges fails when a diagnostic's range is outside its file or
// backwards: printing it would cut the source at the wrong place.
func checkRanges(t testing.TB, files map[string]*hcl.File, src config.Sources, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		r := d.Subject
		if r == nil {
			continue
		}
		// A file that may hold secrets is not among the sources, so its
		// lines are never quoted; its ranges must be good all the same.
		f := src[r.Filename]
		if f == nil {
			f = files[r.Filename]
		}
		if f == nil {
			t.Errorf("%q: diagnostic in unknown file %s", d.Summary, r.Filename)
			continue
		}
		if r.Start.Byte < 0 || r.End.Byte > len(f.Bytes) || r.Start.Byte > r.End.Byte || r.Start.Line < 1 || r.End.Line < r.Start.Line {
			t.Errorf("%q: bad range %+v in a %d-byte file", d.Summary, *r, len(f.Bytes))
		}
	}
}
