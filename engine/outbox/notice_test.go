package outbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

const banSrc = `
platform "local" "main" {
  path = "platform.json"
}
community "club" {
  title    = "Club"
  platform = platform.local.main
  channel "general" {}
  moderation "ads" {
    keywords = { en = ["buy now"] }
    action   = "ban"
    reason   = "No advertising"
  }
}
`

// failingDM fails every direct message, as a platform where the member
// closed their DMs does, and sends the rest.
type failingDM struct{ outbox.Sender }

func (f failingDM) Send(ctx context.Context, a state.Action) error {
	if a.Kind == "send.dm" {
		return &outbox.PermanentError{Err: errors.New("the member does not accept direct messages")}
	}
	return f.Sender.Send(ctx, a)
}

// A ban's notice reaches the member before the ban removes them, and a
// notice that cannot be delivered does not hold the ban back.
func TestBanNoticeGoesFirst(t *testing.T) {
	for _, dmFails := range []bool{false, true} {
		name := "notice delivered"
		if dmFails {
			name = "notice fails"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir, reg, cfg := loadSrc(t, local.New(), banSrc)
			lc := openLocal(t, cfg, dir)
			co, _ := makeClub(t, lc, "club", "general")
			cy, err := lc.Join(ctx, local.JoinRequest{Community: co, Name: "Cy"})
			if err != nil {
				t.Fatal(err)
			}
			lc.Close()

			// The runtime decides the ban as hearth run does.
			store := state.NewMemory()
			rt := runtime.New(cfg, nil)
			b, _ := store.Begin(ctx)
			ev := events.Event{ID: "e1", Type: "message.posted", Member: events.Member{ID: "u1", Identities: map[string]string{"local": cy.ID}},
				Community: "club", At: time.Now().Add(-time.Minute), Attrs: map[string]any{"text": "buy now"}}
			if _, err := rt.Apply(ctx, b, &ev); err != nil {
				t.Fatal(err)
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}

			ps := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
			t.Cleanup(func() { ps.Close() })
			var sender outbox.Sender = ps
			if dmFails {
				sender = failingDM{sender}
			}
			var order []string
			d := outbox.New(store, sender, outbox.Options{Observe: func(e outbox.Entry, result string) { order = append(order, e.Kind+" "+result) }})
			if _, err := d.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			want := "send.dm sent, moderation.ban sent"
			if dmFails {
				want = "send.dm dead, moderation.ban sent"
			}
			if got := strings.Join(order, ", "); got != want {
				t.Errorf("delivered %q; want %q", got, want)
			}

			lc = openLocal(t, cfg, dir)
			f, _ := lc.Snapshot(ctx)
			if len(f.Bans) != 1 || f.Bans[0].Member != cy.ID {
				t.Errorf("bans %+v; want Cy banned", f.Bans)
			}
			dms := 0
			for _, m := range f.DirectMessages {
				if m.Member == cy.ID {
					dms++
				}
			}
			if want := map[bool]int{false: 1, true: 0}[dmFails]; dms != want {
				t.Errorf("%d notices reached Cy; want %d", dms, want)
			}
			members, _ := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindMember, Community: co})
			if len(members) != 0 {
				t.Errorf("members after the ban: %+v", members)
			}
		})
	}
}
