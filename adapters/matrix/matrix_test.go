package matrix_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
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
