package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/bench"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// exampleEnv is the environment examples are validated in: the secrets
// their READMEs tell an operator to set, which validate warns of when
// a setting that needs them has none (email's unsubscribe_secret).
func exampleEnv(name string) (string, bool) {
	if name == config.EnvVarPrefix+"unsubscribe_secret" {
		return "example-unsubscribe-secret", true
	}
	return "", false
}

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
			s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: exampleEnv}
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
			simulateExample(t, dir)
			if tests, _ := filepath.Glob(filepath.Join(dir, "*.hearthtest.hcl")); len(tests) > 0 {
				out.Reset()
				errb.Reset()
				if code := run(context.Background(), []string{"test", dir}, s); code != 0 {
					t.Errorf("hearth test %s failed:\n%s%s", dir, out.String(), errb.String())
				}
			}
		})
	}
}

// simulateExample replays the example's own events.jsonl, or a generated
// year of community activity, and requires that no event is rejected, no
// rule fails at run time, and the plan's preview agrees with the runtime.
func simulateExample(t *testing.T, dir string) {
	t.Helper()
	cfg, _, diags := config.Load(dir, config.Options{Platforms: platformSpecs(), Version: Version, LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var stream io.Reader
	if f, err := os.Open(filepath.Join(dir, "events.jsonl")); err == nil {
		defer f.Close()
		stream = f
	} else {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for _, e := range bench.Workload(50, 2000, 3) {
			_ = enc.Encode(e)
		}
		stream = &buf
	}
	sum, err := simulate.Run(context.Background(), cfg, stream, simulate.Options{})
	if err != nil {
		t.Fatalf("simulate: %v", err)
	}
	if sum.Events == 0 || sum.Rejected > 0 || sum.RuleErrors > 0 || sum.SendErrors > 0 {
		t.Errorf("simulate: %d events, %d rejected, %d rule errors, %d send errors", sum.Events, sum.Rejected, sum.RuleErrors, sum.SendErrors)
	}
	// With the configuration unchanged, hearth plan's preview of every
	// member, at the time it was last evaluated, is where the runtime put
	// it: a plan of unchanged rules moves no one.
	rt := runtime.New(cfg, nil)
	differ := 0
	err = sum.Store.Members(context.Background(), func(m *state.Member) error {
		st, err := rt.Preview(m, m.EvaluatedAt)
		if err != nil {
			return err
		}
		stored := slices.Sorted(maps.Keys(m.Segments))
		if !slices.Equal(stored, st.Segments) || st.Tier != m.Tier.Name {
			if differ++; differ <= 3 {
				t.Errorf("member %s at %s: stored segments %v, tier %q; the plan preview says %v, %q", m.ID, m.EvaluatedAt.Format(time.RFC3339), stored, m.Tier.Name, st.Segments, st.Tier)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if differ > 3 {
		t.Errorf("... and %d more members", differ-3)
	}
}
