package outbox_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// Outbox actions reach the real local platform, once per key however
// often the dispatcher runs.
func TestPlatformSenderDeliversOnceThroughLocal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := `
platform "local" "main" {
  path = "platform.json"
}
community "club" {
  title    = "Club"
  platform = platform.local.main
  channel "general" {}
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := platform.NewRegistry(local.New())
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: reg.Specs()})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	// What hearth apply would have made, and a member who joined.
	conn, err := reg.Open(ctx, cfg.Platforms[0], dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ap := conn.(platform.Applier)
	co, err := ap.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: map[string]string{"name": "club", "title": "Club"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ap.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: co.Object.ID, Attrs: map[string]string{"name": "general"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ap.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: co.Object.ID, Attrs: map[string]string{"name": "core"}}); err != nil {
		t.Fatal(err)
	}
	mem, err := conn.(*local.Conn).Join(ctx, local.JoinRequest{Community: co.Object.ID, Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()

	store := state.NewMemory()
	b, _ := store.Begin(ctx)
	at := time.Now().Add(-time.Minute)
	_ = b.Enqueue([]state.Action{
		{Key: "k-dm", Kind: "send.dm", Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Target: mem.ID, Text: "Welcome, Ann!"},
		{Key: "k-ch", Kind: "send.channel", Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Target: "general", Text: "Say hi to Ann"},
		{Key: "k-role", Kind: "role.add", Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Target: mem.ID, Role: "core"},
		{Key: "k-mail", Kind: "send.email", Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Target: mem.ID, Text: "x"},
		{Key: "k-badge", Kind: "badge.grant", Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Target: mem.ID, Role: "First post"},
	})
	_ = b.Commit()
	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
	defer sender.Close()
	d := outbox.New(store, sender, outbox.Options{})
	rep, err := d.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 3 || rep.Dead != 2 {
		t.Fatalf("report %+v; want 3 sent, the email and the badge dead (local has neither)", rep)
	}
	// The grant reached the platform well formed, which then refused it.
	dead, _ := store.ListOutbox(ctx, state.OutboxDead, 10)
	found := false
	for _, e := range dead {
		if e.Key == "k-badge" {
			found = true
			if !strings.Contains(e.LastError, "not supported") {
				t.Errorf("badge grant died with %q; want the platform's refusal", e.LastError)
			}
		}
	}
	if !found {
		t.Error("the badge grant is not among the dead letters")
	}
	// Sending the same keys again (a crash before recording) does nothing.
	for _, key := range []string{"k-dm", "k-ch"} {
		_, _ = store.RetryAction(ctx, key, time.Now())
	}
	if _, err := d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err = reg.Open(ctx, cfg.Platforms[0], dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rd := conn.(platform.Reader)
	dms, _ := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindDirectMessage, Community: co.Object.ID})
	msgs, _ := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindMessage, Community: co.Object.ID})
	if len(dms) != 1 || dms[0].Attrs["text"] != "Welcome, Ann!" || dms[0].Attrs["member"] != mem.ID {
		t.Errorf("direct messages %+v", dms)
	}
	if len(msgs) != 1 || msgs[0].Attrs["text"] != "Say hi to Ann" {
		t.Errorf("channel messages %+v", msgs)
	}
	roles, _ := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindRoleAssignment, Community: co.Object.ID})
	if len(roles) != 1 || roles[0].Attrs["member"] != mem.ID {
		t.Errorf("role assignments %+v", roles)
	}
}
