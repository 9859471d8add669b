package outbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// Moderation actions from the outbox mute, delete, kick and ban on the
// real local platform.
func TestPlatformSenderModerates(t *testing.T) {
	ctx := context.Background()
	dir, reg, cfg := loadClub(t, local.New())
	lc := openLocal(t, cfg, dir)
	co, ch := makeClub(t, lc, "club", "general")
	ann, _ := lc.Join(ctx, local.JoinRequest{Community: co, Name: "Ann"})
	bob, _ := lc.Join(ctx, local.JoinRequest{Community: co, Name: "Bob"})
	cy, _ := lc.Join(ctx, local.JoinRequest{Community: co, Name: "Cy"})
	spam, err := lc.Post(ctx, local.PostRequest{Channel: ch, Member: ann.ID, Text: "buy now"})
	if err != nil {
		t.Fatal(err)
	}
	lc.Close()

	at := time.Now().Add(-time.Minute)
	act := func(key, kind, target string) state.Action {
		return state.Action{Key: key, Kind: kind, Member: target, At: at, Platform: "platform.local.main", Community: "club", Target: target, Reason: "ads"}
	}
	del := act("k-del", "moderation.delete", ann.ID)
	del.Message = spam.ID
	mute := act("k-mute", "moderation.mute", ann.ID)
	mute.Duration = time.Hour
	_, rep := sendOnce(t, reg, cfg, del, mute, act("k-kick", "moderation.kick", bob.ID), act("k-ban", "moderation.ban", cy.ID))
	if rep.Sent != 4 {
		t.Fatalf("report %+v; want 4 sent", rep)
	}
	lc = openLocal(t, cfg, dir)
	msgs, _ := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindMessage, Community: co})
	if len(msgs) != 0 {
		t.Errorf("the spam is still there: %+v", msgs)
	}
	if _, err := lc.Post(ctx, local.PostRequest{Channel: ch, Member: ann.ID, Text: "hello?"}); !errors.Is(err, platform.ErrConflict) {
		t.Errorf("a muted member posted: %v", err)
	}
	members, _ := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindMember, Community: co})
	if len(members) != 1 || members[0].ID != ann.ID {
		t.Errorf("members after kick and ban: %+v", members)
	}
	if _, err := lc.Join(ctx, local.JoinRequest{Community: co, Member: cy.ID}); err == nil {
		t.Error("a banned member joined again")
	}
	f, _ := lc.Snapshot(ctx)
	if len(f.Bans) != 1 || f.Bans[0].Member != cy.ID || f.Bans[0].Reason != "ads" || !f.Bans[0].Until.IsZero() {
		t.Errorf("bans %+v", f.Bans)
	}
}
