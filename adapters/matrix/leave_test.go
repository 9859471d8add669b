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

func inviteTo(t *testing.T, hs string, by user, room string, u user) {
	t.Helper()
	api(t, hs, by.Token, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(room)+"/invite", map[string]any{"user_id": u.ID}, nil)
}

func leaveRoom(t *testing.T, hs string, u user, room string) {
	t.Helper()
	api(t, hs, u.Token, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(room)+"/leave", map[string]any{}, nil)
}

// waitMembership waits until bot sees u's membership in room become want,
// set by who ("" for anyone).
func waitMembership(t *testing.T, hs string, bot user, room string, u user, want, who string) {
	t.Helper()
	visible(t, hs, bot, room, func(ev map[string]any) bool {
		content, _ := ev["content"].(map[string]any)
		return ev["type"] == "m.room.member" && ev["state_key"] == u.ID && content["membership"] == want && (who == "" || ev["sender"] == who)
	})
}

// addMember registers someone whom bot invites to the space co and who
// joins it and the room ch.
func addMember(t *testing.T, hs string, bot user, name, co, ch string) user {
	t.Helper()
	u := register(t, hs, name, name)
	inviteTo(t, hs, bot, co, u)
	join(t, hs, u, co)
	join(t, hs, u, ch)
	return u
}

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
	invite := func(room string, u user) { t.Helper(); inviteTo(t, hs, bot, room, u) }
	leave := func(u user, room string) { t.Helper(); leaveRoom(t, hs, u, room) }
	membershipIs := func(room string, u user, want, who string) {
		t.Helper()
		waitMembership(t, hs, bot, room, u, want, who)
	}
	newMember := func(name string) user { t.Helper(); return addMember(t, hs, bot, name, co, ch) }
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
	if l := logs.String(); !strings.Contains(l, "kicked from the community's rooms") || !strings.Contains(l, bob.ID) || strings.Contains(l, "could not kick") {
		t.Errorf("the adapter's log:\n%s\nwant a line for each kick naming Bob, and no failures", l)
	}
}

// TestKickOnLeaveSweep: someone who left the space while kick_on_leave
// was off, and whose member.left the stream has already delivered, is
// kicked from the community's rooms as soon as a stream with
// kick_on_leave starts from where the last one stopped; a member of the
// space stays.
func TestKickOnLeaveSweep(t *testing.T) {
	hs := server(t)
	t.Parallel()
	bot := register(t, hs, "bot", "hearth")
	off := open(t, matrix.New(), hs, bot.Token, nil)
	defer off.Close()
	co, ch, ann := community(t, off, hs)
	quiet := apply(t, off, platform.OpCreate, co, "", platform.Attrs{"name": "quiet", "private": "true"})
	bob := addMember(t, hs, bot, "bob", co, ch)
	inviteTo(t, hs, bot, quiet, bob)
	join(t, hs, bob, quiet)
	leaveRoom(t, hs, bob, co)
	waitMembership(t, hs, bot, co, bob, "leave", "")

	var cursor string
	left := false
	err := off.Stream(ctxBG, platform.StreamRequest{}, func(_ context.Context, d platform.Delivery) error {
		cursor = d.Cursor
		left = left || (d.Event.Type == "member.left" && d.Event.Member.ID == bob.ID)
		return nil
	})
	if err != nil || !left {
		t.Fatalf("the stream without kick_on_leave: %v; Bob's member.left delivered: %v", err, left)
	}
	for _, room := range []string{ch, quiet} {
		var m struct {
			Membership string `json:"membership"`
		}
		roomState(t, hs, bot, room, "m.room.member", bob.ID, &m)
		if m.Membership != "join" {
			t.Fatalf("without kick_on_leave Bob's membership in %s is %q; want join", room, m.Membership)
		}
	}

	var logs bytes.Buffer
	conn, err := matrix.New().Open(ctxBG, platform.OpenRequest{Name: "main", Settings: settings(hs, bot.Token, map[string]cty.Value{"kick_on_leave": cty.True}),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*matrix.Conn)
	defer c.Close()
	ctx, cancel := context.WithCancel(ctxBG)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- c.Stream(ctx, platform.StreamRequest{After: cursor, Follow: true}, func(context.Context, platform.Delivery) error { return nil })
	}()
	waitMembership(t, hs, bot, ch, bob, "leave", bot.ID)
	waitMembership(t, hs, bot, quiet, bob, "leave", bot.ID)
	cancel()
	<-done
	var m struct {
		Membership string `json:"membership"`
	}
	roomState(t, hs, bot, ch, "m.room.member", ann.ID, &m)
	if m.Membership != "join" {
		t.Errorf("Ann, a member of the space, has membership %q in %s; want join", m.Membership, ch)
	}
	if l := logs.String(); strings.Count(l, "before the stream saw it") != 1 || !strings.Contains(l, bob.ID) {
		t.Errorf("the adapter's log:\n%s\nwant one line for Bob's kicks", l)
	}
}
