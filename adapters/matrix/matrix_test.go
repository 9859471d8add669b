package matrix_test

import (
	"context"
	"errors"
	"fmt"
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
			PageSize:   matrix.DefaultPageSize,
			Persistent: true,
			Concurrent: true,
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
	if jr.JoinRule != "public" {
		t.Errorf("a public channel's join rule is %q", jr.JoinRule)
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
