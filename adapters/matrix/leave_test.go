package matrix_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/matrix"
	"github.com/hearth-community/hearth/engine/platform"
)

// TestKickOnLeave: with kick_on_leave, someone who leaves the space is
// kicked from the community's rooms (their invites withdrawn) by the time
// the stream delivers their member.left; someone back in the space when
// the stream reads an old departure stays, and so does everyone else.
func TestKickOnLeave(t *testing.T) {
	hs := server(t)
	t.Parallel()
	bot := register(t, hs, "bot", "hearth")
	var logs bytes.Buffer
	conn, err := matrix.New().Open(ctxBG, platform.OpenRequest{Name: "main", Settings: settings(hs, bot.Token, map[string]cty.Value{"kick_on_leave": cty.True}),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*matrix.Conn)
	defer c.Close()
	co, ch, ann := community(t, c, hs)
	quiet := apply(t, c, platform.OpCreate, co, "", platform.Attrs{"name": "quiet", "private": "true"})
	invite := func(room string, u user) {
		t.Helper()
		api(t, hs, bot.Token, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(room)+"/invite", map[string]any{"user_id": u.ID}, nil)
	}
	leave := func(u user, room string) {
		t.Helper()
		api(t, hs, u.Token, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(room)+"/leave", map[string]any{}, nil)
	}
	// membershipIs waits until the bot sees u's membership in room become
	// want, set by who ("" for anyone).
	membershipIs := func(room string, u user, want, who string) {
		t.Helper()
		visible(t, hs, bot, room, func(ev map[string]any) bool {
			content, _ := ev["content"].(map[string]any)
			return ev["type"] == "m.room.member" && ev["state_key"] == u.ID && content["membership"] == want && (who == "" || ev["sender"] == who)
		})
	}
	newMember := func(name string) user {
		t.Helper()
		u := register(t, hs, name, name)
		invite(co, u)
		join(t, hs, u, co)
		join(t, hs, u, ch)
		return u
	}
	// Eve left the space and came back before the stream started.
	eve := newMember("eve")
	leave(eve, co)
	join(t, hs, eve, co)
	membershipIs(co, eve, "join", "")
	// Bob is in both rooms; Carol is invited to the private one.
	bob := newMember("bob")
	invite(quiet, bob)
	join(t, hs, bob, quiet)
	carol := newMember("carol")
	invite(quiet, carol)
	membershipIs(quiet, carol, "invite", "")

	ctx, cancel := context.WithCancel(ctxBG)
	defer cancel()
	got := make(chan platform.Delivery, 100)
	done := make(chan error, 1)
	go func() {
		done <- c.Stream(ctx, platform.StreamRequest{Follow: true}, func(_ context.Context, d platform.Delivery) error {
			got <- d
			return nil
		})
	}()
	// left waits for u's member.left and checks what the homeserver says
	// of them in each room by then.
	left := func(u user, rooms ...string) {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case d := <-got:
				if d.Event.Type != "member.left" || d.Event.Member.ID != u.ID {
					continue
				}
				for _, room := range rooms {
					var m struct {
						Membership string `json:"membership"`
					}
					roomState(t, hs, bot, room, "m.room.member", u.ID, &m)
					if m.Membership != "leave" {
						t.Errorf("when the stream delivered %s's member.left, their membership in %s was %q; want leave (kicked)", u.ID, room, m.Membership)
					}
				}
				return
			case err := <-done:
				t.Fatalf("the stream ended waiting for %s's member.left: %v", u.ID, err)
			case <-timeout:
				t.Fatalf("the stream did not deliver %s's member.left within 20s", u.ID)
			}
		}
	}
	left(eve) // the old departure, read from the initial sync
	leave(bob, co)
	left(bob, ch, quiet)
	leave(carol, co)
	left(carol, ch, quiet)
	cancel()
	<-done
	membershipIs(ch, bob, "leave", bot.ID)
	membershipIs(quiet, bob, "leave", bot.ID)
	membershipIs(quiet, carol, "leave", bot.ID)

	for _, u := range []user{eve, ann} {
		var m struct {
			Membership string `json:"membership"`
		}
		roomState(t, hs, bot, ch, "m.room.member", u.ID, &m)
		if m.Membership != "join" {
			t.Errorf("%s, a member of the space, has membership %q in %s; want join", u.ID, m.Membership, ch)
		}
	}
	if l := logs.String(); !strings.Contains(l, "kicked from a room") || !strings.Contains(l, bob.ID) || strings.Contains(l, "could not kick") {
		t.Errorf("the adapter's log:\n%s\nwant a line for each kick naming Bob, and no failures", l)
	}
}
