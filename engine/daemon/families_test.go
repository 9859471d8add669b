package daemon_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

const familyMain = `
platform "local" "main" {}

community "c" {
  title           = "C"
  platform        = platform.local.main
  capacity        = 2
  welcome_message = "Welcome!"
  channel "general" {}
}
`

// Joins on the local platform reach the daemon through its stream; the
// one joining c past its capacity is moved into c-2, which apply made,
// and welcomed there, and plan then sees a family with room.
func TestDaemonMovesJoinsIntoSubCommunity(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, dir, "main.hcl", familyMain)
	reg, err := platform.NewRegistry(local.New())
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: reg.Specs()})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
	t.Cleanup(func() { sender.Close() })
	f := startOn(t, dir, filepath.Join(t.TempDir(), "state.db"), "", func(o *daemon.Options) {
		o.Sender, o.DeliverEvery = sender, 20*time.Millisecond
	})
	sender.Resources = func(ctx context.Context) ([]state.Resource, error) {
		rs, _, err := f.store.Resources(ctx)
		return rs, err
	}
	conns, err := plan.Open(ctx, reg, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conns.Close()
	apply := func() *plan.Plan {
		t.Helper()
		p, err := plan.Make(ctx, cfg, f.store, conns, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plan.Apply(ctx, p, f.store, conns, plan.ApplyOptions{Config: cfg, Who: "test"}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	apply()
	lc := conns["platform.local.main"].(*local.Conn)
	id := func(addr string) string {
		rs, _, _ := f.store.Resources(ctx)
		for _, r := range rs {
			if r.Address == addr {
				return r.ID
			}
		}
		t.Fatalf("%s not in state", addr)
		return ""
	}
	var joined []string
	for _, name := range []string{"Ann", "Bo", "Cy"} {
		m, err := lc.Join(ctx, local.JoinRequest{Community: id("community.c"), Name: name})
		if err != nil {
			t.Fatal(err)
		}
		joined = append(joined, m.ID)
	}
	// c has 3 of 2: plan adds c-2 (the daemon has not run yet).
	if p := apply(); !strings.Contains(strings.Join(p.Warnings, "\n"), "community.c-2 is added") {
		t.Fatalf("warnings %q", p.Warnings)
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	f.d.Streams(sctx, reg)
	members := func(addr string) []string {
		objs, err := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindMember, Community: id(addr)})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range objs {
			out = append(out, o.ID)
		}
		return out
	}
	waitFor(t, func() bool { return slices.Equal(members("community.c-2"), joined[2:]) })
	if got := members("community.c"); !slices.Equal(got, joined[:2]) {
		t.Fatalf("c has %v", got)
	}
	waitFor(t, func() bool {
		msgs, _ := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindMessage, Community: id("community.c-2")})
		return len(msgs) == 1 && msgs[0].Attrs["text"] == "Welcome!"
	})
	p, err := plan.Make(ctx, cfg, f.store, conns, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() || len(p.Warnings) != 0 {
		t.Fatalf("after the move: %q %+v", p.Warnings, p.Summary)
	}
}
