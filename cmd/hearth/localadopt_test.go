package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// performSender sends role.add, role.remove and send.dm straight to a
// local platform's community and role.
type performSender struct {
	lc              *local.Conn
	community, role string
}

func (p *performSender) Send(ctx context.Context, a state.Action) error {
	req := platform.PerformRequest{Key: a.Key, Community: p.community, Member: a.Target, Role: p.role, Action: platform.ActionRoleAdd}
	switch a.Kind {
	case "role.remove":
		req.Action = platform.ActionRoleRemove
	case "send.dm":
		req.Action, req.Role, req.Text = platform.ActionDirectMessage, "", "hi"
	}
	_, err := p.lc.Perform(ctx, req)
	return err
}

// The sender puts a member hearth has, not left, on the local platform
// and sends again; anyone else's action fails as the platform said.
func TestAdoptingSender(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := "platform \"local\" \"main\" {}\ncommunity \"c\" {\n  title = \"C\"\n  platform = platform.local.main\n  role \"r\" {}\n}\n"
	cfg := configFrom(t, dir, src)
	conn, err := registry().Open(ctx, cfg.Platforms[0], cfg.PathsDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	lc := conn.(*local.Conn)
	co, err := lc.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "c"}})
	if err != nil {
		t.Fatal(err)
	}
	ro, err := lc.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: co.Object.ID, Attrs: platform.Attrs{"name": "r"}})
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]knownMember{
		"u1": {Name: "Ann", JoinedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		"u2": {Name: "Bo", Left: true},
	}
	s := &adoptingSender{next: &performSender{lc: lc, community: co.Object.ID, role: ro.Object.ID}, reg: registry(),
		config: func() *config.Config { return cfg },
		member: func(_ context.Context, id string) (knownMember, error) {
			if m, ok := known[id]; ok {
				return m, nil
			}
			return knownMember{}, state.ErrNotFound
		}}
	defer s.Close()
	send := func(kind, member string) error {
		return s.Send(ctx, state.Action{Key: kind + "/" + member, Kind: kind, Member: member, Target: member, Platform: "platform.local.main", Community: "c"})
	}
	if err := send("role.add", "u1"); err != nil {
		t.Fatalf("role for a member hearth knows: %v", err)
	}
	for _, tc := range []struct{ kind, member, want string }{
		{"role.add", "u9", `member "u9" is not on the local platform; hearth local join -id u9 c adds them`},
		{"send.dm", "u2", `member "u2" is not on the local platform`},
		{"role.remove", "u3", `member "u3" is not on the local platform`},
	} {
		err := send(tc.kind, tc.member)
		if !errors.Is(err, platform.ErrMemberNotFound) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s for %s: %v; want ErrMemberNotFound saying %q", tc.kind, tc.member, err, tc.want)
		}
	}
	members, err := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindMember, Community: co.Object.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 || members[0].ID != "u1" || members[0].Attrs["name"] != "Ann" || !strings.HasPrefix(members[0].Attrs["joined_at"], "2026-01-02") {
		t.Errorf("members: %+v; want only u1, Ann, joined as hearth says", members)
	}
}

// configFrom writes src as dir/main.hcl and loads it.
func configFrom(t *testing.T, dir, src string) *config.Config {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: platformSpecs()})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}
