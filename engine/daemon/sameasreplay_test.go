package daemon_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// TestDaemonMatchesSimulate feeds the quickstart's sample events to a
// daemon whose clock stands at the last event, in small batches with the
// recheck loop running between them, and requires every member to end as
// hearth simulate leaves them: results do not depend on timing.
func TestDaemonMatchesSimulate(t *testing.T) {
	dir := copyQuickstart(t)
	opts := config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}}
	cfg, _, diags := config.Load(dir, opts)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	path := "../../examples/quickstart/events.jsonl"
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := simulate.Run(context.Background(), cfg, f, simulate.Options{})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := standings(t, sum.Store.Members)

	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	end := sum.To
	d, diags, _ := daemon.New(daemon.Options{Dir: dir, Store: store, Load: opts, Now: func() time.Time { return end }})
	if d == nil {
		t.Fatal(diags.Error())
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		store.Close()
	})
	f, err = os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := d.Feed(ctx, f, 50, nil); err != nil {
		t.Fatal(err)
	}
	// The recheck loop brings everyone to the clock within a tick or two.
	var got map[string]string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		err := d.Query(ctx, func(ctx context.Context, _ *runtime.Runtime) error {
			got = standings(t, func(ctx context.Context, fn func(*state.Member) error) error { return store.Members(ctx, fn) })
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if maps.Equal(got, want) || time.Now().After(deadline) {
			break
		}
	}
	for _, id := range slices.Sorted(maps.Keys(want)) {
		if got[id] != want[id] {
			t.Errorf("member %s\n daemon:   %s\n simulate: %s", id, got[id], want[id])
		}
	}
}

// standings describes each member by what the rules decide: points,
// tier, segments, badges and campaign runs.
func standings(t *testing.T, members func(context.Context, func(*state.Member) error) error) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := members(context.Background(), func(m *state.Member) error {
		var b strings.Builder
		fmt.Fprintf(&b, "points %d tier %q segments %v badges", m.Points, m.Tier.Name, slices.Sorted(maps.Keys(m.Segments)))
		for _, name := range slices.Sorted(maps.Keys(m.Badges)) {
			fmt.Fprintf(&b, " %s×%d", name, m.Badges[name].Count)
		}
		for _, name := range slices.Sorted(maps.Keys(m.Campaigns)) {
			r := m.Campaigns[name]
			fmt.Fprintf(&b, " campaign %s %s step %d", name, r.Status, r.Step)
		}
		out[m.ID] = b.String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
