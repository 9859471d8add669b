package hearthtest_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/hearthtest"
)

// FuzzTestFile loads arbitrary text as a test file against the
// configurations of testdata: no panic, every diagnostic points inside
// the file and prints, and a file that loads without errors runs (when
// small enough to run quickly) with every failure placed in the file.
func FuzzTestFile(f *testing.F) {
	var cfgs []*config.Config
	for _, dir := range []string{"run", "invalid"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", dir, "*.txtar"))
		for _, path := range paths {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				f.Fatal(err)
			}
			for _, file := range ar.Files {
				switch {
				case file.Name == "main.hcl":
					cfgs = append(cfgs, loadConfig(f, file.Data))
				case strings.HasSuffix(file.Name, config.TestFileSuffix):
					f.Add(uint8(len(cfgs)-1), file.Data)
				}
			}
		}
	}
	if len(cfgs) == 0 {
		f.Fatal("no configurations in testdata")
	}
	f.Fuzz(func(t *testing.T, which uint8, src []byte) {
		cfg := cfgs[int(which)%len(cfgs)]
		path := filepath.Join(t.TempDir(), "f"+config.TestFileSuffix)
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		suite, diags := hearthtest.Load(cfg, []string{path}, nil, "")
		if suite == nil {
			t.Fatal("nil suite")
		}
		inFile(t, path, src, diags)
		if err := config.WriteDiagnostics(io.Discard, suite.Sources, diags, filepath.Dir(path), true); err != nil {
			t.Fatal(err)
		}
		if diags.HasErrors() || !small(suite) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		results, diags := suite.Run(ctx, cfg, hearthtest.RunOptions{})
		inFile(t, path, src, diags)
		for _, r := range results {
			for _, fl := range r.Failures {
				if fl.Where.Filename != path {
					t.Fatalf("failure %q placed in %q", fl.Subject, fl.Where.Filename)
				}
			}
		}
	})
}

// small says whether a suite is quick to run, with few events and
// checks, so the fuzzer spends its time on inputs rather than on long
// replays.
func small(s *hearthtest.Suite) bool {
	events, checks := 0, 0
	for _, t := range s.Tests {
		for _, e := range t.Events {
			events += e.Repeat
		}
		checks += len(t.Expects) + len(t.Alerts)
	}
	return events <= 300 && checks <= 6
}

func inFile(t *testing.T, path string, src []byte, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		for _, r := range []*hcl.Range{d.Subject, d.Context} {
			if r == nil {
				continue
			}
			if r.Filename != path {
				t.Fatalf("%s: %s: placed in %q", d.Summary, d.Detail, r.Filename)
			}
			if r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
				t.Fatalf("%s: range %d-%d outside the %d bytes of the file", d.Summary, r.Start.Byte, r.End.Byte, len(src))
			}
		}
	}
}

func loadConfig(f *testing.F, src []byte) *config.Config {
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), src, 0o644); err != nil {
		f.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{
		Platforms: map[string]config.PlatformSpec{"local": local.Spec(), "email": email.Spec()},
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	if diags.HasErrors() {
		f.Fatalf("configuration: %s", diags.Error())
	}
	return cfg
}
