package matrix_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/matrix"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/platform/platformtest"
)

var ctxBG = context.Background()

func execIn(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	return cmd
}

// members remembers the access tokens of the accounts AddMember made, so
// Post can act as them.
type members struct {
	mu     sync.Mutex
	tokens map[string]string
}

func (m *members) token(id string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tokens[id]
}

// TestConformance runs the shared adapter suite: each subtest gets a new
// bot account, which is an empty Matrix platform.
func TestConformance(t *testing.T) {
	hs := server(t)
	platformtest.Run(t, func(t *testing.T) platformtest.Platform {
		a := matrix.New()
		bot := register(t, hs, "bot", "hearth")
		ms := &members{tokens: map[string]string{}}
		return platformtest.Platform{
			Open: func(t *testing.T) platform.Conn {
				return open(t, a, hs, bot.Token, nil)
			},
			PageSize:    matrix.DefaultPageSize,
			Persistent:  true,
			Concurrent:  true,
			UnmuteAtEnd: matrix.Spec().UnmuteAtEnd,
			// Muted: a power level below what sending a message needs in
			// the space, as the homeserver has it.
			Muted: func(t *testing.T, _ platform.Conn, community, member string) bool {
				var pl struct {
					Users         map[string]int `json:"users"`
					UsersDefault  int            `json:"users_default"`
					EventsDefault int            `json:"events_default"`
				}
				api(t, hs, bot.Token, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(community)+"/state/m.room.power_levels", nil, &pl)
				level, ok := pl.Users[member]
				if !ok {
					level = pl.UsersDefault
				}
				return level < pl.EventsDefault
			},
			AddMember: func(t *testing.T, c platform.Conn, community, name string) string {
				u := register(t, hs, name, name)
				if err := c.(*matrix.Conn).Invite(ctxBG, community, u.ID); err != nil {
					t.Fatalf("invite: %v", err)
				}
				join(t, hs, u, community)
				visible(t, hs, u, community, func(ev map[string]any) bool {
					c, _ := ev["content"].(map[string]any)
					return ev["type"] == "m.room.member" && ev["state_key"] == u.ID && c["membership"] == "join"
				})
				ms.mu.Lock()
				ms.tokens[u.ID] = u.Token
				ms.mu.Unlock()
				return u.ID
			},
			Post: func(t *testing.T, c platform.Conn, channel, member, text string) string {
				u := user{ID: member, Token: ms.token(member)}
				join(t, hs, u, channel)
				var resp struct {
					EventID string `json:"event_id"`
				}
				api(t, hs, u.Token, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(channel)+"/send/m.room.message/"+fmt.Sprint(time.Now().UnixNano()),
					map[string]string{"msgtype": "m.text", "body": text}, &resp)
				visible(t, hs, u, channel, func(ev map[string]any) bool { return ev["event_id"] == resp.EventID })
				return channel + "|" + resp.EventID
			},
		}
	})
}

// visible waits until an event is in the room's timeline as /messages
// (and so /sync) serves it: Dendrite's sync API learns of events a
// moment after the call that made them returned.
func visible(t *testing.T, hs string, u user, room string, match func(map[string]any) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var page struct {
			Chunk []map[string]any `json:"chunk"`
		}
		api(t, hs, u.Token, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(room)+"/messages?dir=b&limit=20", nil, &page)
		for _, ev := range page.Chunk {
			if match(ev) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("an event in %s did not show in /messages within 10s", room)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func join(t *testing.T, hs string, u user, room string) {
	t.Helper()
	api(t, hs, u.Token, "POST", "/_matrix/client/v3/join/"+url.PathEscape(room), map[string]any{}, nil)
}

// community makes a community with a channel and a member who joined.
func community(t *testing.T, c *matrix.Conn, hs string) (co, ch string, ann user) {
	t.Helper()
	resp, err := c.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "explorers", "title": "Explorers"}})
	if err != nil {
		t.Fatal(err)
	}
	co = resp.Object.ID
	resp, err = c.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: co, Attrs: platform.Attrs{"name": "general", "topic": "Say hi"}})
	if err != nil {
		t.Fatal(err)
	}
	ch = resp.Object.ID
	ann = register(t, hs, "ann", "Ann")
	if err := c.Invite(ctxBG, co, ann.ID); err != nil {
		t.Fatal(err)
	}
	join(t, hs, ann, co)
	join(t, hs, ann, ch)
	return co, ch, ann
}

// roomState reads one state event as a member sees it.
func roomState(t *testing.T, hs string, u user, room, typ, key string, out any) {
	t.Helper()
	api(t, hs, u.Token, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(room)+"/state/"+typ+"/"+url.PathEscape(key), nil, out)
}

// TestMatrixObjects checks what Matrix clients see: the space and its
// child rooms, join rules, and power levels that follow roles.
func TestMatrixObjects(t *testing.T) {
	hs := server(t)
	t.Parallel()
	bot := register(t, hs, "bot", "hearth")
	c := open(t, matrix.New(), hs, bot.Token, nil)
	defer c.Close()
	co, ch, ann := community(t, c, hs)

	var create struct {
		Type string `json:"type"`
	}
	roomState(t, hs, ann, co, "m.room.create", "", &create)
	if create.Type != "m.space" {
		t.Errorf("the community's room has creation type %q; want m.space", create.Type)
	}
	var childEntry map[string]any
	roomState(t, hs, ann, co, "m.space.child", ch, &childEntry)
	if via, _ := childEntry["via"].([]any); len(via) != 1 || via[0] != "localhost" {
		t.Errorf("m.space.child of the channel: %v", childEntry)
	}
	var parent map[string]any
	roomState(t, hs, ann, ch, "m.space.parent", co, &parent)
	if parent["canonical"] != true {
		t.Errorf("m.space.parent: %v", parent)
	}
	var jr struct {
		JoinRule string `json:"join_rule"`
	}
	roomState(t, hs, ann, ch, "m.room.join_rules", "", &jr)
	if jr.JoinRule != "restricted" {
		t.Errorf("a channel that is not private has join rule %q; want restricted (to the space's members)", jr.JoinRule)
	}
	if _, err := c.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindChannel, Community: co, ID: ch, Attrs: platform.Attrs{"private": "true", "topic": "Members only"}}); err != nil {
		t.Fatal(err)
	}
	roomState(t, hs, ann, ch, "m.room.join_rules", "", &jr)
	var topic struct {
		Topic string `json:"topic"`
	}
	roomState(t, hs, ann, ch, "m.room.topic", "", &topic)
	if jr.JoinRule != "invite" || topic.Topic != "Members only" {
		t.Errorf("after making it private: join rule %q, topic %q", jr.JoinRule, topic.Topic)
	}

	// A moderator role raises Ann's power level in the space and its
	// room; taking it lowers it again.
	role, err := c.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: co, Attrs: platform.Attrs{"name": "Guide", "permissions": "manage_messages"}})
	if err != nil {
		t.Fatal(err)
	}
	levelOf := func(room string) int {
		var pl struct {
			Users map[string]int `json:"users"`
		}
		roomState(t, hs, bot, room, "m.room.power_levels", "", &pl)
		return pl.Users[ann.ID]
	}
	if _, err := c.Perform(ctxBG, platform.PerformRequest{Action: platform.ActionRoleAdd, Key: "guide-ann", Community: co, Member: ann.ID, Role: role.Object.ID}); err != nil {
		t.Fatal(err)
	}
	if a, b := levelOf(co), levelOf(ch); a != matrix.LevelModerator || b != matrix.LevelModerator {
		t.Errorf("with a moderation role Ann has levels %d (space) and %d (room); want %d", a, b, matrix.LevelModerator)
	}
	// A channel created later takes the levels too.
	ch2, err := c.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: co, Attrs: platform.Attrs{"name": "later"}})
	if err != nil {
		t.Fatal(err)
	}
	if l := levelOf(ch2.Object.ID); l != matrix.LevelModerator {
		t.Errorf("in a channel created after the role was given, Ann has level %d", l)
	}
	if _, err := c.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindRole, Community: co, ID: role.Object.ID, Attrs: platform.Attrs{"permissions": "administrator"}}); err != nil {
		t.Fatal(err)
	}
	if l := levelOf(co); l != matrix.LevelAdmin {
		t.Errorf("after the role became administrator Ann has level %d", l)
	}
	if _, err := c.Perform(ctxBG, platform.PerformRequest{Action: platform.ActionRoleRemove, Key: "unguide-ann", Community: co, Member: ann.ID, Role: role.Object.ID}); err != nil {
		t.Fatal(err)
	}
	if l := levelOf(ch); l != 0 {
		t.Errorf("without roles Ann has level %d", l)
	}

	// A mute is a level below events_default: the homeserver refuses
	// her messages.
	if _, err := c.Perform(ctxBG, platform.PerformRequest{Action: platform.ActionMute, Key: "mute-ann", Community: co, Member: ann.ID, Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if l := levelOf(ch); l >= 0 {
		t.Errorf("muted, Ann has level %d", l)
	}

	// A direct message goes to a room recorded in m.direct, with Ann
	// invited as a direct chat.
	dm, err := c.Perform(ctxBG, platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "dm-ann", Community: co, Member: ann.ID, Text: "Welcome, Ann"})
	if err != nil {
		t.Fatal(err)
	}
	var direct map[string][]string
	api(t, hs, bot.Token, "GET", "/_matrix/client/v3/user/"+url.PathEscape(bot.ID)+"/account_data/m.direct", nil, &direct)
	room, _, _ := strings.Cut(dm.ID, "|")
	if rooms := direct[ann.ID]; len(rooms) != 1 || rooms[0] != room {
		t.Errorf("m.direct %v; want Ann's room %s", direct, room)
	}
	var member struct {
		Membership string `json:"membership"`
		IsDirect   bool   `json:"is_direct"`
	}
	api(t, hs, bot.Token, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(room)+"/state/m.room.member/"+url.PathEscape(ann.ID), nil, &member)
	if member.Membership != "invite" || !member.IsDirect {
		t.Errorf("Ann's membership in the direct room: %+v; want an is_direct invite", member)
	}
	// A second message reuses the room.
	dm2, err := c.Perform(ctxBG, platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "dm-ann-2", Community: co, Member: ann.ID, Text: "Still there?"})
	if err != nil {
		t.Fatal(err)
	}
	if r2, _, _ := strings.Cut(dm2.ID, "|"); r2 != room {
		t.Errorf("the second direct message went to %s, not %s", r2, room)
	}
}

// TestRateLimit: a 429 M_LIMIT_EXCEEDED is waited out for its
// retry_after_ms, or handed back as a platform.RateLimitError when it is
// longer than max_retry_wait. Dendrite limits a few endpoints per device,
// among them /account/whoami, which Open calls: a burst of Opens with one
// token goes past the threshold.
func TestRateLimit(t *testing.T) {
	hs := server(t)
	t.Parallel()
	bot := register(t, hs, "bot", "hearth")
	burst := func(extra map[string]cty.Value) []error {
		var wg sync.WaitGroup
		errs := make([]error, 5*rateThreshold)
		a := matrix.New()
		for i := range errs {
			wg.Go(func() {
				c, err := a.Open(ctxBG, platform.OpenRequest{Name: "main", Settings: settings(hs, bot.Token, extra)})
				if err == nil {
					c.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		return errs
	}
	for _, err := range burst(nil) {
		if err != nil {
			t.Errorf("with the default max_retry_wait: %v", err)
		}
	}
	limited := 0
	for _, err := range burst(map[string]cty.Value{"max_retry_wait": cty.StringVal("0s")}) {
		var rl *platform.RateLimitError
		switch {
		case err == nil:
		case errors.As(err, &rl):
			limited++
			if rl.After != rateCooloffMS*time.Millisecond || platform.RetryAfter(err) != rl.After || !platform.IsTemporary(err) {
				t.Errorf("rate limit after %s; want a temporary failure after the homeserver's retry_after_ms, %dms", rl.After, rateCooloffMS)
			}
		default:
			t.Errorf("burst: %v", err)
		}
	}
	if limited == 0 {
		t.Error("a burst of five times the threshold was never rate limited")
	}
}

// TestBadToken: Open fails clearly, without the token in the message.
func TestBadToken(t *testing.T) {
	hs := server(t)
	_, err := matrix.New().Open(ctxBG, platform.OpenRequest{Name: "main", Settings: settings(hs, "not-a-valid-token-xyz", nil)})
	if err == nil || !platform.IsPermanent(err) || strings.Contains(err.Error(), "not-a-valid-token-xyz") {
		t.Errorf("Open with a wrong token: %v; want a permanent error without the token", err)
	}
}

// TestStreamGap: when more happened in a room than one /sync returns
// (its timeline is "limited"), the stream fetches the gap with /messages,
// so a stream resumed after a pause loses nothing.
func TestStreamGap(t *testing.T) {
	hs := server(t)
	t.Parallel()
	bot := register(t, hs, "bot", "hearth")
	c := open(t, matrix.New(), hs, bot.Token, nil)
	defer c.Close()
	_, ch, ann := community(t, c, hs)
	post := func(text string) string {
		var resp struct {
			EventID string `json:"event_id"`
		}
		api(t, hs, ann.Token, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(ch)+"/send/m.room.message/"+url.PathEscape(text), map[string]string{"msgtype": "m.text", "body": text}, &resp)
		return resp.EventID
	}
	first := post("first")
	visible(t, hs, ann, ch, func(ev map[string]any) bool { return ev["event_id"] == first })
	var cursor string
	err := c.Stream(ctxBG, platform.StreamRequest{}, func(_ context.Context, d platform.Delivery) error {
		cursor = d.Cursor
		return nil
	})
	if err != nil || cursor == "" {
		t.Fatalf("first stream: %v (cursor %q)", err, cursor)
	}
	const n = 130 // more than the sync filter's timeline limit of 100
	var last string
	for i := range n {
		last = post(fmt.Sprintf("message %03d", i))
	}
	visible(t, hs, ann, ch, func(ev map[string]any) bool { return ev["event_id"] == last })
	var texts []string
	err = c.Stream(ctxBG, platform.StreamRequest{After: cursor}, func(_ context.Context, d platform.Delivery) error {
		if d.Event.Type == "message.posted" {
			texts = append(texts, d.Event.Attrs["text"].(string))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, texts []string, prefix string) {
		t.Helper()
		// Dendrite's /messages may repeat the event at the boundary of
		// the gap; it keeps its id, so the runtime drops it as a
		// duplicate.
		for len(texts) > 0 && !strings.HasPrefix(texts[0], prefix) {
			texts = texts[1:]
		}
		if len(texts) != n || texts[0] != prefix+" 000" || texts[n-1] != fmt.Sprintf("%s %03d", prefix, n-1) || !slices.IsSorted(texts) {
			t.Errorf("%s: streamed %d messages (%v ... ); want all %d in order", what, len(texts), head(texts), n)
		}
	}
	check("resuming on the initial sync", texts, "message")

	// The same on an incremental sync: follow until one new message
	// arrives, so the cursor holds a real sync token, then pause.
	ctx, cancel := context.WithCancel(ctxBG)
	got := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- c.Stream(ctx, platform.StreamRequest{After: cursor, Follow: true}, func(_ context.Context, d platform.Delivery) error {
			if d.Event.Attrs["text"] == "marker" {
				got <- d.Cursor
			}
			return nil
		})
	}()
	marker := post("marker")
	visible(t, hs, ann, ch, func(ev map[string]any) bool { return ev["event_id"] == marker })
	select {
	case cursor = <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("the following stream did not deliver the marker")
	}
	cancel()
	<-done
	for i := range n {
		last = post(fmt.Sprintf("later %03d", i))
	}
	visible(t, hs, ann, ch, func(ev map[string]any) bool { return ev["event_id"] == last })
	texts = nil
	err = c.Stream(ctxBG, platform.StreamRequest{After: cursor}, func(_ context.Context, d platform.Delivery) error {
		if d.Event.Type == "message.posted" {
			texts = append(texts, d.Event.Attrs["text"].(string))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check("resuming on an incremental sync", texts, "later")
}

func head(s []string) []string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

// TestPinEditMentions: a house-rules text saying "@room" notifies no one,
// when first pinned and when changed. The change is an edit (m.replace),
// which clients evaluate on its own, so it must carry m.mentions too, at
// the top and in m.new_content, or clients fall back to the body's
// "@room" and notify the whole room.
func TestPinEditMentions(t *testing.T) {
	hs := server(t)
	t.Parallel()
	bot := register(t, hs, "bot", "hearth")
	c := open(t, matrix.New(), hs, bot.Token, nil)
	defer c.Close()
	co, ch, ann := community(t, c, hs)
	pin, err := c.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindPin, Community: co, Attrs: platform.Attrs{"channel": ch, "text": "Be kind."}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindPin, Community: co, ID: pin.Object.ID, Attrs: platform.Attrs{"text": "Be kind. Never use @room."}}); err != nil {
		t.Fatal(err)
	}
	var edit map[string]any
	visible(t, hs, ann, ch, func(ev map[string]any) bool {
		content, _ := ev["content"].(map[string]any)
		if rel, _ := content["m.relates_to"].(map[string]any); rel["rel_type"] == "m.replace" {
			edit = content
			return true
		}
		return false
	})
	if m, ok := edit["m.mentions"].(map[string]any); !ok || len(m) != 0 {
		t.Errorf("the edit's m.mentions is %v; want {}: %v", edit["m.mentions"], edit)
	}
	nc, _ := edit["m.new_content"].(map[string]any)
	if m, ok := nc["m.mentions"].(map[string]any); !ok || len(m) != 0 {
		t.Errorf("the edit's m.new_content has m.mentions %v; want {}: %v", nc["m.mentions"], nc)
	}
}

// TestZeroTimeout: timeout = "0s" would make every request time out at
// once, and Open would answer a bare "context deadline exceeded". It is a
// bad setting, said as one, before any request.
func TestZeroTimeout(t *testing.T) {
	_, err := matrix.New().Open(ctxBG, platform.OpenRequest{Name: "main", Settings: settings("http://127.0.0.1:1", "tok", map[string]cty.Value{"timeout": cty.StringVal("0s")})})
	if !errors.Is(err, platform.ErrInvalid) || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("Open with timeout 0s: %v; want a bad timeout setting", err)
	}
}

// status makes a Client-Server call expected to fail and returns its
// HTTP status.
func status(t *testing.T, hs, token, method, path string, body any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	code, got := roundTrip(t, hs, token, method, path, b)
	t.Logf("%s %s: %d: %s", method, path, code, got)
	return code
}

// TestOutsiders: a channel that is not private is open to the members of
// the community's space and to no one else (join rule "restricted"); in a
// room an older hearth made "public", the messages of someone outside the
// space are not events, since they are not a community member.
func TestOutsiders(t *testing.T) {
	hs := server(t)
	t.Parallel()
	bot := register(t, hs, "bot", "hearth")
	var logs bytes.Buffer
	conn, err := matrix.New().Open(ctxBG, platform.OpenRequest{Name: "main", Settings: settings(hs, bot.Token, nil),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*matrix.Conn)
	defer c.Close()
	co, ch, ann := community(t, c, hs)

	var jr struct {
		JoinRule string `json:"join_rule"`
		Allow    []struct {
			Type   string `json:"type"`
			RoomID string `json:"room_id"`
		} `json:"allow"`
	}
	roomState(t, hs, ann, ch, "m.room.join_rules", "", &jr)
	if jr.JoinRule != "restricted" || len(jr.Allow) != 1 || jr.Allow[0].Type != "m.room_membership" || jr.Allow[0].RoomID != co {
		t.Errorf("a channel that is not private has join rules %+v; want restricted to the members of %s", jr, co)
	}
	bob := register(t, hs, "bob", "Bob")
	// The spec's answer is 403; Dendrite v0.15.2 answers its refusal
	// ("You are not joined to any matching rooms") as a 500.
	if s := status(t, hs, bob.Token, "POST", "/_matrix/client/v3/join/"+url.PathEscape(ch), map[string]any{}); s != http.StatusForbidden && s != http.StatusInternalServerError {
		t.Errorf("someone outside the space joining a channel: %d; want a refusal", s)
	}
	if s := status(t, hs, bot.Token, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(ch)+"/state/m.room.member/"+url.PathEscape(bob.ID), nil); s != http.StatusNotFound {
		t.Errorf("after his refused join, Bob's membership in the channel answers %d; want 404 (none)", s)
	}

	// A private channel made open again is restricted again.
	ch2 := apply(t, c, platform.OpCreate, co, "", platform.Attrs{"name": "quiet", "private": "true"})
	apply(t, c, platform.OpUpdate, co, ch2, platform.Attrs{"private": "false"})
	jr.Allow = nil
	roomState(t, hs, bot, ch2, "m.room.join_rules", "", &jr)
	if jr.JoinRule != "restricted" || len(jr.Allow) != 1 || jr.Allow[0].RoomID != co {
		t.Errorf("a private channel made open has join rules %+v", jr)
	}

	// What an older hearth made: a public room. It reads as not private,
	// like a restricted one; its join_rule says public, which a plan
	// changes (TestJoinRulePlan).
	api(t, hs, bot.Token, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(ch)+"/state/m.room.join_rules/", map[string]any{"join_rule": "public"}, nil)
	resp, err := c.Read(ctxBG, platform.ReadRequest{Kind: platform.KindChannel, Community: co})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range resp.Objects {
		if o.Attrs["private"] != "false" {
			t.Errorf("channel %s (%s) reads as private %s; want false", o.Attrs["name"], o.ID, o.Attrs["private"])
		}
	}
	if len(resp.Objects) != 2 {
		t.Errorf("read %d channels; want 2", len(resp.Objects))
	}

	post := func(u user, text string) {
		t.Helper()
		var r struct {
			EventID string `json:"event_id"`
		}
		api(t, hs, u.Token, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(ch)+"/send/m.room.message/"+url.PathEscape(text), map[string]string{"msgtype": "m.text", "body": text}, &r)
		visible(t, hs, u, ch, func(ev map[string]any) bool { return ev["event_id"] == r.EventID })
	}
	spaceMove := func(u user, membership string) {
		t.Helper()
		visible(t, hs, bot, co, func(ev map[string]any) bool {
			c, _ := ev["content"].(map[string]any)
			return ev["type"] == "m.room.member" && ev["state_key"] == u.ID && c["membership"] == membership
		})
	}

	// One stream follows it all, batch by batch.
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
	var seen []string
	until := func(what string, match func(platform.Delivery) bool) {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case d := <-got:
				seen = append(seen, d.Event.Type+" "+d.Event.Member.ID+" "+fmt.Sprint(d.Event.Attrs["text"]))
				if match(d) {
					return
				}
			case err := <-done:
				t.Fatalf("the stream ended waiting for %s: %v", what, err)
			case <-timeout:
				t.Fatalf("the stream did not deliver %s within 20s; it delivered %q", what, seen)
			}
		}
	}
	text := func(s string) func(platform.Delivery) bool {
		return func(d platform.Delivery) bool { return d.Event.Attrs["text"] == s }
	}
	// Bob, outside the space, posts in the public room.
	join(t, hs, bob, ch)
	post(bob, "outsider")
	post(ann, "marker 1")
	until("marker 1", text("marker 1"))
	// Bob joins the space: his messages are a member's.
	join(t, hs, bob, co)
	spaceMove(bob, "join")
	until("Bob's member.joined", func(d platform.Delivery) bool { return d.Event.Type == "member.joined" && d.Event.Member.ID == bob.ID })
	post(bob, "bob member")
	until("Bob's message as a member", text("bob member"))
	// Bob leaves the space in one batch and posts in a later one.
	api(t, hs, bob.Token, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(co)+"/leave", map[string]any{}, nil)
	spaceMove(bob, "leave")
	until("Bob's member.left", func(d platform.Delivery) bool { return d.Event.Type == "member.left" && d.Event.Member.ID == bob.ID })
	post(bob, "bob gone")
	post(ann, "marker 2")
	until("marker 2", text("marker 2"))
	cancel()
	<-done
	for _, s := range seen {
		if strings.Contains(s, "outsider") || strings.Contains(s, "bob gone") {
			t.Errorf("the following stream delivered %q, a message from outside the space", s)
		}
	}

	// The same in one batch, read from the start: each message is weighed
	// against Bob's membership when he sent it.
	var texts []string
	err = c.Stream(ctxBG, platform.StreamRequest{}, func(_ context.Context, d platform.Delivery) error {
		if d.Event.Type == "message.posted" {
			texts = append(texts, d.Event.Attrs["text"].(string))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"marker 1", "bob member", "marker 2"}; !slices.Equal(texts, want) {
		t.Errorf("a stream from the start delivered messages %q; want %q", texts, want)
	}
	// Each message left out is a debug line naming its room and sender,
	// without its text.
	if l := logs.String(); !strings.Contains(l, "outside the community's space") || !strings.Contains(l, bob.ID) || !strings.Contains(l, ch) ||
		strings.Contains(l, "outsider") || strings.Contains(l, "bob gone") {
		t.Errorf("the adapter's log:\n%s\nwant lines naming Bob and the room, without the messages' text", l)
	}
}

func apply(t *testing.T, c *matrix.Conn, op platform.Op, co, chID string, attrs platform.Attrs) string {
	t.Helper()
	resp, err := c.Apply(ctxBG, platform.ApplyRequest{Op: op, Kind: platform.KindChannel, Community: co, ID: chID, Attrs: attrs})
	if err != nil {
		t.Fatalf("%s channel: %v", op, err)
	}
	return resp.Object.ID
}
