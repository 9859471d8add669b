package plan_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// BenchmarkPlan10k plans 10,000 resources that are all up to date:
// 10 communities of 500 channels and 499 roles, read from the local
// platform (in pages of 50) and matched against SQLite state. The issue
// asks for at most 250 ms, state load included.
func BenchmarkPlan10k(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	rs, err := local.WriteScaleFixture(ctx, dir, 10, 500, 499)
	if err != nil {
		b.Fatal(err)
	}
	reg, err := platform.NewRegistry(local.New())
	if err != nil {
		b.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: reg.Specs(), LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.PutResources(ctx, rs); err != nil {
		b.Fatal(err)
	}
	conns, err := plan.Open(ctx, reg, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conns.Close()
	for b.Loop() {
		p, err := plan.Make(ctx, cfg, st, conns, plan.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if p.HasChanges() || len(p.Changes) != len(rs) {
			b.Fatalf("%d changes, %+v", len(p.Changes), p.Summary)
		}
	}
}
