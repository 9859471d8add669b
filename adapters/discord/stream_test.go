package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/discord/discordfake"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// A following stream started without a cursor begins now (old joins
// are not welcomed again), delivers new joins and posts in order, and
// takes interactions on interactions_listen, answering them after the
// handler returns.
func TestFollowingStream(t *testing.T) {
	f := discordfake.New("tok")
	defer f.Close()
	f.SetClock(func() time.Time { return time.Now().Add(-time.Hour) })
	g := f.AddGuild("Explorers")
	old := f.AddMember(g, "Old Timer")
	conn, err := New().Open(context.Background(), platform.OpenRequest{Name: "main", Settings: map[string]cty.Value{
		"token":               cty.StringVal("tok").Mark(config.Sensitive),
		"api_url":             cty.StringVal(f.APIURL()),
		"public_key":          cty.StringVal(hex.EncodeToString(testKey.Public().(ed25519.PublicKey))),
		"interactions_listen": cty.StringVal("127.0.0.1:0"),
		"poll_interval":       cty.StringVal("1s"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*Conn)
	defer c.Close()
	ch, err := c.Apply(context.Background(), platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: g, Attrs: platform.Attrs{"name": "general"}})
	if err != nil {
		t.Fatal(err)
	}
	f.Post(ch.Object.ID, old, "an old message")
	f.SetClock(time.Now)
	// Snowflakes grow: the old message's id comes just after the bot's,
	// made on the real clock when the fake started, whatever the fake's
	// clock says. A stream starting in that same millisecond starts at a
	// cursor below it; following starts strictly after the moment it
	// starts, so let that moment pass.
	time.Sleep(2 * time.Millisecond)

	got := make(chan platform.Delivery, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- c.Stream(ctx, platform.StreamRequest{Follow: true, Communities: map[string]string{g: "explorers"}}, func(_ context.Context, d platform.Delivery) error {
			got <- d
			return nil
		})
	}()
	for c.InteractionsAddr() == "" {
		select {
		case err := <-done:
			t.Fatalf("stream ended: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	ann := f.AddMember(g, "Ann")
	f.Post(ch.Object.ID, ann, "hi all")
	next := func() platform.Delivery {
		t.Helper()
		select {
		case d := <-got:
			return d
		case <-time.After(10 * time.Second):
			t.Fatal("no delivery in 10s")
		}
		return platform.Delivery{}
	}
	join, post := next(), next()
	if join.Event.Type != "member.joined" || join.Event.Member.ID != ann || join.Event.Community != "explorers" {
		t.Errorf("first delivery %+v; want Ann's join (not the old member's)", join.Event)
	}
	if post.Event.Type != "message.posted" || post.Event.Attrs["text"] != "hi all" || post.Event.Attrs["channel"] != "general" {
		t.Errorf("second delivery %+v; want Ann's post", post.Event)
	}

	body := []byte(`{"id":"` + f.AddMember(g, "x") + `","type":2,"guild_id":"` + g + `","member":{"user":{"id":"` + ann + `","username":"ann"}},"data":{"name":"checkin"}}`)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest("POST", "http://"+c.InteractionsAddr()+"/interactions", bytes.NewReader(body))
	req.Header.Set("X-Signature-Ed25519", sign(body, ts))
	req.Header.Set("X-Signature-Timestamp", ts)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("interaction answered %d", resp.StatusCode)
	}
	var cmd platform.Delivery
	for cmd.Event.Type != "command.used" {
		cmd = next() // the "x" member's join may come first
	}
	if cmd.Event.Member.ID != ann || cmd.Cursor == "" {
		t.Errorf("interaction delivery %+v", cmd)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("stream returned %v", err)
	}
}

// With the gateway setting, a following stream gets joins, messages,
// reactions and leaves from the gateway as they happen.
func TestGatewayStream(t *testing.T) {
	f := discordfake.New("tok")
	defer f.Close()
	g := f.AddGuild("Explorers")
	conn, err := New().Open(context.Background(), platform.OpenRequest{Name: "main", Settings: map[string]cty.Value{
		"token":         cty.StringVal("tok").Mark(config.Sensitive),
		"api_url":       cty.StringVal(f.APIURL()),
		"gateway":       cty.True,
		"poll_interval": cty.StringVal("1h"), // only the gateway after the first poll
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*Conn)
	defer c.Close()
	ch, err := c.Apply(context.Background(), platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: g, Attrs: platform.Attrs{"name": "general"}})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan platform.Delivery, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- c.Stream(ctx, platform.StreamRequest{Follow: true, Communities: map[string]string{g: "explorers"}}, func(_ context.Context, d platform.Delivery) error {
			got <- d
			return nil
		})
	}()
	// The gateway is up and the first poll (which reads members last)
	// is over; the next is an hour away.
	polled := func() bool {
		for _, r := range f.Requests() {
			if strings.HasPrefix(r, "GET /guilds/"+g+"/members?") {
				return true
			}
		}
		return false
	}
	for f.GatewayClients() == 0 || !polled() {
		select {
		case err := <-done:
			t.Fatalf("stream ended: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	ann := f.AddMember(g, "Ann")
	msg := f.Post(ch.Object.ID, ann, "look at this")
	f.React(ch.Object.ID, msg, ann, "🔥")
	f.Leave(g, ann)
	var types []string
	for len(types) < 4 {
		select {
		case d := <-got:
			types = append(types, d.Event.Type)
			if d.Event.Member.ID != ann || d.Event.Community != "explorers" {
				t.Errorf("delivery %+v", d.Event)
			}
			if d.Event.Type == "reaction.added" && (d.Event.Attrs["emoji"] != "🔥" || d.Event.Attrs["target"] != msg || d.Event.Attrs["channel"] != "general") {
				t.Errorf("reaction %+v", d.Event.Attrs)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("after 10s only %v", types)
		}
	}
	if strings.Join(types, " ") != "member.joined message.posted reaction.added member.left" {
		t.Errorf("gateway events %v", types)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("stream returned %v", err)
	}
}
