package daemon_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/bench"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/state"
)

// BenchmarkReload1000Rules is a full reload of 1,000 rules: load and
// validate, then the swap. Event processing goes on meanwhile; it only
// picks the new snapshot up at its next batch.
func BenchmarkReload1000Rules(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "rules")
	if err := bench.WriteRules(dir); err != nil {
		b.Fatal(err)
	}
	d, diags, _ := daemon.New(daemon.Options{Dir: dir, Store: state.NewMemory(),
		Load: config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}}})
	if d == nil {
		b.Fatal(diags.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = d.Run(ctx) }()
	for b.Loop() {
		if r := d.Reload("bench"); !r.OK {
			b.Fatal("reload failed")
		}
	}
}
