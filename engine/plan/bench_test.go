package plan_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// BenchmarkPlan10k plans 10,000 resources that are all up to date:
// 10 communities of 500 channels and 499 roles, read from the local
// platform (in pages of 50) and matched against SQLite state. The issue
// asks for at most 250 ms, state load included.
func BenchmarkPlan10k(b *testing.B) {
	ctx := context.Background()
	const communities, channels, roles = 10, 500, 499
	dir := b.TempDir()
	var src strings.Builder
	src.WriteString("platform \"local\" \"main\" {}\n")
	file := &local.File{Seq: map[string]int64{}}
	var rs []state.Resource
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	paddr := "platform.local.main"
	for c := range communities {
		cname := fmt.Sprintf("c%d", c)
		cid := fmt.Sprintf("co-%d", c+1)
		fmt.Fprintf(&src, "community %q {\n  title = %q\n  platform = platform.local.main\n", cname, cname)
		file.Communities = append(file.Communities, &local.Community{ID: cid, Name: cname, Title: cname, CreatedAt: t0})
		caddr := "community." + cname
		rs = append(rs, state.Resource{Address: caddr, Platform: paddr, Kind: "community", ID: cid, Attrs: map[string]string{"name": cname}})
		for i := range channels {
			id := fmt.Sprintf("ch-%d", c*channels+i+1)
			fmt.Fprintf(&src, "  channel \"ch%d\" {\n    topic = \"Topic %d\"\n  }\n", i, i)
			file.Channels = append(file.Channels, &local.Channel{ID: id, Community: cid, Name: fmt.Sprintf("ch%d", i), Topic: fmt.Sprintf("Topic %d", i), Position: i, CreatedAt: t0})
			rs = append(rs, state.Resource{Address: fmt.Sprintf("%s.channel.ch%d", caddr, i), Platform: paddr, Kind: "channel", ID: id, Community: cid, Attrs: map[string]string{}})
		}
		for i := range roles {
			id := fmt.Sprintf("ro-%d", c*roles+i+1)
			fmt.Fprintf(&src, "  role \"r%d\" {\n    color = \"#00ff00\"\n  }\n", i)
			file.Roles = append(file.Roles, &local.Role{ID: id, Community: cid, Name: fmt.Sprintf("r%d", i), Color: "#00ff00", Position: i, CreatedAt: t0})
			rs = append(rs, state.Resource{Address: fmt.Sprintf("%s.role.r%d", caddr, i), Platform: paddr, Kind: "role", ID: id, Community: cid, Attrs: map[string]string{}})
		}
		src.WriteString("}\n")
	}
	file.Seq["co"], file.Seq["ch"], file.Seq["ro"] = communities, communities*channels, communities*roles
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src.String()), 0o644); err != nil {
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
	// Opening creates the platform file; then it is replaced by the
	// prepared one, which is much faster than 10,000 applies.
	conns, err := plan.Open(ctx, reg, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	snap, err := conns[paddr].(*local.Conn).Snapshot(ctx)
	if err != nil {
		b.Fatal(err)
	}
	file.Format, file.Version, file.Workspace = snap.Format, snap.Version, snap.Workspace
	data, err := json.Marshal(file)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(conns[paddr].(*local.Conn).Path(), data, 0o644); err != nil {
		b.Fatal(err)
	}
	conns.Close()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.PutResources(ctx, rs); err != nil {
		b.Fatal(err)
	}
	conns, err = plan.Open(ctx, reg, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conns.Close()
	b.ResetTimer()
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
