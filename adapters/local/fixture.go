package local

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// WriteScaleFixture prepares dir for measuring plan at scale: a
// configuration (main.hcl) of communities with channels and roles each,
// a local platform file holding exactly those objects, and the state
// resources that match them, so a plan finds everything up to date.
// Writing the platform file directly is far faster than applying tens of
// thousands of objects one by one.
func WriteScaleFixture(ctx context.Context, dir string, communities, channels, roles int) ([]state.Resource, error) {
	var src strings.Builder
	src.WriteString("platform \"local\" \"main\" {}\n")
	file := &File{Seq: map[string]int64{}}
	var rs []state.Resource
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const paddr = "platform.local.main"
	for c := range communities {
		cname := fmt.Sprintf("c%d", c)
		cid := fmt.Sprintf("co-%d", c+1)
		fmt.Fprintf(&src, "community %q {\n  title = %q\n  platform = platform.local.main\n", cname, cname)
		file.Communities = append(file.Communities, &Community{ID: cid, Name: cname, Title: cname, CreatedAt: t0})
		caddr := "community." + cname
		rs = append(rs, state.Resource{Address: caddr, Platform: paddr, Kind: "community", ID: cid, Attrs: map[string]string{"name": cname}})
		for i := range channels {
			id := fmt.Sprintf("ch-%d", c*channels+i+1)
			fmt.Fprintf(&src, "  channel \"ch%d\" {\n    topic = \"Topic %d\"\n  }\n", i, i)
			file.Channels = append(file.Channels, &Channel{ID: id, Community: cid, Name: fmt.Sprintf("ch%d", i), Topic: fmt.Sprintf("Topic %d", i), Position: i, CreatedAt: t0})
			rs = append(rs, state.Resource{Address: fmt.Sprintf("%s.channel.ch%d", caddr, i), Platform: paddr, Kind: "channel", ID: id, Community: cid, Attrs: map[string]string{}})
		}
		for i := range roles {
			id := fmt.Sprintf("ro-%d", c*roles+i+1)
			fmt.Fprintf(&src, "  role \"r%d\" {\n    color = \"#00ff00\"\n  }\n", i)
			file.Roles = append(file.Roles, &Role{ID: id, Community: cid, Name: fmt.Sprintf("r%d", i), Color: "#00ff00", Position: i, CreatedAt: t0})
			rs = append(rs, state.Resource{Address: fmt.Sprintf("%s.role.r%d", caddr, i), Platform: paddr, Kind: "role", ID: id, Community: cid, Attrs: map[string]string{}})
		}
		src.WriteString("}\n")
	}
	file.Seq["co"], file.Seq["ch"], file.Seq["ro"] = int64(communities), int64(communities*channels), int64(communities*roles)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src.String()), 0o644); err != nil {
		return nil, err
	}
	// Opening creates the file with its workspace; the prepared objects
	// then replace its empty lists.
	conn, err := New().Open(ctx, platform.OpenRequest{Name: "main", Dir: dir})
	if err != nil {
		return nil, err
	}
	c := conn.(*Conn)
	snap, err := c.Snapshot(ctx)
	path := c.Path()
	_ = c.Close()
	if err != nil {
		return nil, err
	}
	file.Format, file.Version, file.Workspace = snap.Format, snap.Version, snap.Workspace
	data, err := json.Marshal(file)
	if err != nil {
		return nil, err
	}
	return rs, os.WriteFile(path, data, 0o644)
}
