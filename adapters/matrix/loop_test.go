package matrix_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/matrix"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// TestCommunityLoop runs hearth's whole loop on Matrix: a person joins
// the space by themselves, /sync delivers member.joined, the rules put a
// welcome in the first channel and a campaign's direct message in the
// outbox, and the dispatcher delivers both through the adapter.
func TestCommunityLoop(t *testing.T) {
	hs := server(t)
	t.Parallel()
	bot := register(t, hs, "bot", "hearth")
	dir := t.TempDir()
	src := `
variable "matrix_token" {
  type      = string
  sensitive = true
}
platform "matrix" "main" {
  homeserver   = "` + hs + `"
  access_token = var.matrix_token
}
community "makers" {
  title           = "Makers"
  platform        = platform.matrix.main
  welcome_message = "Welcome to the makers!"
  channel "welcome" {}
}
template "hello" {
  text = { en = "Hi ${member.name}, glad you are here." }
}
campaign "hello" {
  enter_on = "member.joined"
  step "dm" {
    send {
      channel  = "dm"
      template = template.hello
    }
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := platform.NewRegistry(matrix.New())
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: reg.Specs(), LookupEnv: func(k string) (string, bool) {
		return bot.Token, k == config.EnvVarPrefix+"matrix_token"
	}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	conn, err := reg.Open(ctxBG, cfg.Platforms[0], dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// What hearth apply makes.
	ap := conn.(platform.Applier)
	co, err := ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "makers", "title": "Makers"}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: co.Object.ID, Attrs: platform.Attrs{"name": "welcome"}})
	if err != nil {
		t.Fatal(err)
	}

	// Ann joins by herself: the space is public to join.
	ann := register(t, hs, "ann", "Ann")
	join(t, hs, ann, co.Object.ID)
	visible(t, hs, ann, co.Object.ID, func(ev map[string]any) bool {
		return ev["type"] == "m.room.member" && ev["state_key"] == ann.ID
	})

	store := state.NewMemory()
	rt := runtime.New(cfg, nil)
	var cursor string
	ctx, cancel := context.WithTimeout(ctxBG, 30*time.Second)
	defer cancel()
	err = conn.(platform.Streamer).Stream(ctx, platform.StreamRequest{}, func(ctx context.Context, d platform.Delivery) error {
		b, err := store.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := rt.Apply(ctx, b, &d.Event); err != nil {
			return err
		}
		cursor = d.Cursor
		return b.Commit()
	})
	if err != nil {
		t.Fatal(err)
	}
	var m *state.Member
	err = store.Members(ctxBG, func(x *state.Member) error {
		if x.ID == ann.ID {
			m = x
		}
		return nil
	})
	if err != nil || m == nil || m.Name != "Ann" || m.Identities["matrix"] != ann.ID {
		t.Fatalf("after the stream, Ann is %+v (%v)", m, err)
	}

	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
	defer sender.Close()
	rep, err := outbox.New(store, sender, outbox.Options{}).RunOnce(ctxBG)
	if err != nil || rep.Sent != 2 {
		t.Fatalf("outbox: %+v, %v; want the welcome and the direct message sent", rep, err)
	}

	// The welcome is in the channel, from the bot.
	var page struct {
		Chunk []struct {
			Sender  string         `json:"sender"`
			Type    string         `json:"type"`
			Content map[string]any `json:"content"`
		} `json:"chunk"`
	}
	api(t, hs, bot.Token, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(ch.Object.ID)+"/messages?dir=b&limit=20", nil, &page)
	welcomed := false
	for _, ev := range page.Chunk {
		if ev.Type == "m.room.message" && ev.Sender == bot.ID && ev.Content["body"] == "Welcome to the makers!" {
			welcomed = true
		}
	}
	if !welcomed {
		t.Errorf("no welcome in the channel: %+v", page.Chunk)
	}
	// The direct message waits for Ann as an invite to a direct chat.
	var direct map[string][]string
	api(t, hs, bot.Token, "GET", "/_matrix/client/v3/user/"+url.PathEscape(bot.ID)+"/account_data/m.direct", nil, &direct)
	if len(direct[ann.ID]) != 1 {
		t.Fatalf("m.direct %v; want a room with Ann", direct)
	}
	api(t, hs, bot.Token, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(direct[ann.ID][0])+"/messages?dir=b&limit=20", nil, &page)
	dm := false
	for _, ev := range page.Chunk {
		if ev.Type == "m.room.message" && ev.Content["body"] == "Hi Ann, glad you are here." {
			dm = true
		}
	}
	if !dm {
		t.Errorf("no direct message to Ann: %+v", page.Chunk)
	}

	// Resuming after the last event delivers nothing again; the bot's own
	// messages are not member events.
	again := 0
	err = conn.(platform.Streamer).Stream(ctx, platform.StreamRequest{After: cursor}, func(context.Context, platform.Delivery) error { again++; return nil })
	if err != nil || again != 0 {
		t.Errorf("resuming after the last event: %d events, %v", again, err)
	}
}
