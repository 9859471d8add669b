package slack_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/slack"
	"github.com/hearth-community/hearth/adapters/slack/slacktest"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/platform/platformtest"
)

var ctx = context.Background()

func settings(f *slacktest.Fake, extra map[string]string) map[string]cty.Value {
	s := map[string]cty.Value{
		"token":     cty.StringVal(f.Token).Mark(config.Sensitive),
		"team_id":   cty.StringVal(f.TeamID),
		"api_url":   cty.StringVal(f.URL),
		"community": cty.StringVal("explorers"),
	}
	for k, v := range extra {
		s[k] = cty.StringVal(v)
	}
	return s
}

func open(t *testing.T, a *slack.Adapter, f *slacktest.Fake, extra map[string]string) *slack.Conn {
	t.Helper()
	c, err := a.Open(ctx, platform.OpenRequest{Name: "main", Settings: settings(f, extra)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*slack.Conn)
}

// clock is a test clock whose Sleep moves it on at once, so hearth's
// pacing to Slack's tiers costs no real time.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
}

func newClock() *clock { return &clock{t: time.Unix(1_800_000_000, 0)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept += d
	return nil
}

// TestConformance runs the shared adapter suite against the fake Web API,
// with an admin token so kicks remove members from the workspace, and a
// bot token with exactly the scopes the README lists.
func TestConformance(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Platform {
		f := slacktest.New(t)
		// The documented scopes, and no more: a call needing another
		// fails the suite.
		f.Scopes = slack.Scopes()
		clk := newClock()
		a := &slack.Adapter{Now: clk.Now, Sleep: clk.Sleep}
		return platformtest.Platform{
			Open: func(t *testing.T) platform.Conn {
				c, err := a.Open(ctx, platform.OpenRequest{Name: "main", Settings: settings(f, map[string]string{"admin_token": f.AdminToken})})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			Persistent: true,
			Concurrent: true,
			Community:  func(*testing.T, platform.Conn) string { return f.TeamID },
			AddMember: func(t *testing.T, c platform.Conn, community, name string) string {
				return f.AddUser(name)
			},
		}
	})
}

// TestOpen checks the settings and the token before anything runs, and
// that errors never carry the token.
func TestOpen(t *testing.T) {
	f := slacktest.New(t)
	a := slack.New()
	for _, tc := range []struct {
		name string
		s    map[string]cty.Value
		want string
	}{
		{"no token", map[string]cty.Value{"team_id": cty.StringVal(f.TeamID), "api_url": cty.StringVal(f.URL)}, "token is empty"},
		{"wrong token", map[string]cty.Value{"token": cty.StringVal("xoxb-wrong-secret").Mark(config.Sensitive), "team_id": cty.StringVal(f.TeamID), "api_url": cty.StringVal(f.URL)}, "slack auth.test: invalid_auth; Slack refuses the token: copy the Bot User OAuth Token"},
		{"other workspace", map[string]cty.Value{"token": cty.StringVal(f.Token).Mark(config.Sensitive), "team_id": cty.StringVal("T999"), "api_url": cty.StringVal(f.URL)}, "not team_id T999"},
		{"listen without secret", map[string]cty.Value{"token": cty.StringVal(f.Token).Mark(config.Sensitive), "team_id": cty.StringVal(f.TeamID), "api_url": cty.StringVal(f.URL), "events_listen": cty.StringVal(":0")}, "without signing_secret"},
	} {
		_, err := a.Open(ctx, platform.OpenRequest{Name: "main", Settings: tc.s})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.name, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), "wrong-secret") || strings.Contains(err.Error(), f.Token) || !platform.IsPermanent(err)) {
			t.Errorf("%s: %v leaks the token or is not permanent", tc.name, err)
		}
	}
}

// TestRateLimit: in Perform a 429 comes back as a RateLimitError with
// Slack's Retry-After for the outbox; in Apply it is waited out.
func TestRateLimit(t *testing.T) {
	f := slacktest.New(t)
	var waited []time.Duration
	a := &slack.Adapter{Sleep: func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }}
	c := open(t, a, f, nil)
	f.RateLimit("conversations.create", 7, 3)
	obj, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.TeamID, Attrs: platform.Attrs{"name": "general"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(waited) != 2 || waited[0] != 7*time.Second || waited[1] != 3*time.Second {
		t.Errorf("apply waited %v; want [7s 3s]", waited)
	}
	if n := f.Calls("conversations.create"); n != 3 {
		t.Errorf("conversations.create called %d times; want 3", n)
	}
	f.RateLimit("conversations.history", 30)
	_, err = c.Perform(ctx, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k1", Community: f.TeamID, Channel: obj.Object.ID, Text: "hi"})
	var rl *platform.RateLimitError
	if !errors.As(err, &rl) || rl.After != 30*time.Second || platform.RetryAfter(err) != 30*time.Second || !platform.IsTemporary(err) {
		t.Fatalf("perform under a rate limit: %v; want a RateLimitError of 30s", err)
	}
	if msgs := f.Messages(obj.Object.ID); len(msgs) != 0 {
		t.Errorf("a rate-limited perform posted %v", msgs)
	}
	if _, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k1", Community: f.TeamID, Channel: obj.Object.ID, Text: "hi"}); err != nil {
		t.Fatalf("retry after the limit: %v", err)
	}
	// Persistent limits give up after a few waits rather than hang apply.
	f.RateLimit("conversations.create", 1, 1, 1, 1, 1)
	_, err = c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.TeamID, Attrs: platform.Attrs{"name": "other"}})
	if !errors.As(err, &rl) {
		t.Errorf("apply under a lasting limit: %v; want a RateLimitError", err)
	}
}

// TestErrorsMapped: Slack's {"ok":false,"error":CODE} answers become
// hearth's error classes.
func TestErrorsMapped(t *testing.T) {
	f := slacktest.New(t)
	c := open(t, slack.New(), f, nil)
	_, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.TeamID, Attrs: platform.Attrs{"name": "Bad Name"}})
	if !errors.Is(err, platform.ErrInvalid) || !strings.Contains(err.Error(), "invalid_name_specials") {
		t.Errorf("bad name: %v", err)
	}
	c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.TeamID, Attrs: platform.Attrs{"name": "dup"}})
	_, err = c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.TeamID, Attrs: platform.Attrs{"name": "dup"}})
	if !errors.Is(err, platform.ErrConflict) {
		t.Errorf("taken name: %v; want ErrConflict", err)
	}
	_, err = c.Perform(ctx, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "x", Community: f.TeamID, Channel: "C404", Text: "hi"})
	if !errors.Is(err, platform.ErrNotFound) || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("missing channel: %v", err)
	}
	_, err = c.Perform(ctx, platform.PerformRequest{Action: platform.ActionMute, Key: "m", Community: f.TeamID, Member: "U1", Duration: time.Hour})
	if !errors.Is(err, platform.ErrUnsupported) {
		t.Errorf("mute: %v; want ErrUnsupported", err)
	}
	// A free workspace has no user groups.
	f.Fail("usergroups.list", "paid_teams_only")
	_, err = c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: f.TeamID, Address: "community.x.role.core", Attrs: platform.Attrs{"name": "Core"}})
	if !errors.Is(err, platform.ErrUnsupported) || !platform.IsPermanent(err) || !strings.Contains(err.Error(), "user groups (hearth's roles and role changes) on paid plans only") {
		t.Errorf("user group on a free workspace: %v; want a permanent error saying user groups need a paid plan", err)
	}
}

// TestIdempotencyAcrossProcesses: a second adapter (another process, or
// the same after a restart) finds the message by the key in its metadata
// and does not post again.
func TestIdempotencyAcrossProcesses(t *testing.T) {
	f := slacktest.New(t)
	c1 := open(t, slack.New(), f, nil)
	ann := f.AddUser("Ann")
	first, err := c1.Perform(ctx, platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "welcome/ann", Community: f.TeamID, Member: ann, Text: "Welcome, Ann"})
	if err != nil || first.Duplicate {
		t.Fatalf("first: %+v, %v", first, err)
	}
	c2 := open(t, slack.New(), f, nil)
	again, err := c2.Perform(ctx, platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "welcome/ann", Community: f.TeamID, Member: ann, Text: "Welcome, Ann"})
	if err != nil || !again.Duplicate || again.ID != first.ID {
		t.Errorf("second process: %+v, %v; want Duplicate of %s", again, err, first.ID)
	}
	if msgs := f.Messages(f.DMChannel(ann)); len(msgs) != 1 {
		t.Errorf("DM channel holds %v; want one message", msgs)
	}
	_, err = slackOpen(t, f).Perform(ctx, platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "welcome/ann", Community: f.TeamID, Member: ann, Text: "Other text"})
	if !errors.Is(err, platform.ErrKeyReused) {
		t.Errorf("key reused in a third process: %v", err)
	}
}

func slackOpen(t *testing.T, f *slacktest.Fake) *slack.Conn { return open(t, slack.New(), f, nil) }

// TestKickWithoutAdmin: a bot token removes the member from each
// conversation they are in.
func TestKickWithoutAdmin(t *testing.T) {
	f := slacktest.New(t)
	c := open(t, slack.New(), f, nil)
	var chans []string
	for _, n := range []string{"one", "two"} {
		r, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.TeamID, Attrs: platform.Attrs{"name": n}})
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, r.Object.ID)
	}
	bob := f.AddUser("Bob")
	for _, ch := range chans {
		if err := f.Join(ch, bob); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionKick, Key: "k", Community: f.TeamID, Member: bob}); err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		if f.InChannel(ch, bob) {
			t.Errorf("kicked member still in %s", ch)
		}
	}
	_, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionKick, Key: "k2", Community: f.TeamID, Member: bob})
	if !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("kicking someone in no conversation: %v", err)
	}
}

// TestEmptiedGroup: Slack refuses an empty user group; the last member's
// removal disables it and a new member enables it again.
func TestEmptiedGroup(t *testing.T) {
	f := slacktest.New(t)
	c := open(t, slack.New(), f, nil)
	role, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: f.TeamID, Address: "community.explorers.role.core", Attrs: platform.Attrs{"name": "Core team", "color": "#ff0000"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := role.Object.Attrs["color"]; ok {
		t.Errorf("a user group reports a color: %v", role.Object.Attrs)
	}
	ann := f.AddUser("Ann")
	for _, act := range []platform.Action{platform.ActionRoleAdd, platform.ActionRoleRemove, platform.ActionRoleAdd} {
		if _, err := c.Perform(ctx, platform.PerformRequest{Action: act, Key: string(act) + strconv.Itoa(int(time.Now().UnixNano())), Community: f.TeamID, Member: ann, Role: role.Object.ID}); err != nil {
			t.Fatalf("%s: %v", act, err)
		}
	}
	objs, err := platform.ReadAll(ctx, c, platform.ReadRequest{Kind: platform.KindRoleAssignment, Community: f.TeamID})
	if err != nil || len(objs) != 1 || objs[0].ID != ann+":"+role.Object.ID {
		t.Errorf("assignments %v, %v; want Ann's", objs, err)
	}
}

func sign(secret string, ts int64, body []byte) http.Header {
	h := http.Header{}
	s := strconv.FormatInt(ts, 10)
	h.Set("X-Slack-Request-Timestamp", s)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(slack.Sign(secret, s, body)))
	h.Set("Content-Type", "application/json")
	return h
}

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// TestReceiver drives the Events API endpoint: URL verification, events
// delivered once and answered after the handler, bad signatures, old
// timestamps, failures that make Slack retry.
func TestReceiver(t *testing.T) {
	f := slacktest.New(t)
	now := time.Unix(1_700_000_500, 0)
	var got []platform.Delivery
	fail := false
	rc := &slack.Receiver{Secret: secret, Team: f.TeamID, Community: "explorers", Now: func() time.Time { return now },
		Handle: func(_ context.Context, d platform.Delivery) error {
			if fail {
				return errors.New("store down")
			}
			got = append(got, d)
			return nil
		}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	post := func(body []byte, h http.Header) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	chal := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	if code, body := post(chal, sign(secret, now.Unix(), chal)); code != 200 || body != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification: %d %q", code, body)
	}
	if code, _ := post(chal, sign("wrong-secret", now.Unix(), chal)); code != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", code)
	}
	if code, _ := post(chal, sign(secret, now.Add(-6*time.Minute).Unix(), chal)); code != http.StatusUnauthorized {
		t.Errorf("replayed old request: %d", code)
	}
	ann := f.AddUser("Ann")
	ch := "C0000099"
	f.Post(ch, ann, "x") // no such channel: nothing queued
	evs := f.Events()
	if len(evs) != 1 || evs[0]["event"].(map[string]any)["type"] != "team_join" {
		t.Fatalf("fake events %v", evs)
	}
	body, _ := json.Marshal(evs[0])
	fail = true
	if code, _ := post(body, sign(secret, now.Unix(), body)); code != http.StatusServiceUnavailable {
		t.Errorf("handler failure answered %d; want 503 so Slack retries", code)
	}
	fail = false
	for range 2 { // Slack's retry of a delivered event is acknowledged, not delivered again
		if code, _ := post(body, sign(secret, now.Unix(), body)); code != 200 {
			t.Errorf("event answered %d", code)
		}
	}
	if len(got) != 1 || got[0].Event.Type != "member.joined" || got[0].Event.Member.ID != ann || got[0].Event.Member.Name != "Ann" || got[0].Event.Community != "explorers" {
		t.Fatalf("delivered %+v", got)
	}
	tampered := bytes.Replace(body, []byte(ann), []byte("U6666666"), 1)
	if code, _ := post(tampered, sign(secret, now.Unix(), body)); code != http.StatusUnauthorized {
		t.Errorf("tampered body: %d", code)
	}
	if code, _ := post([]byte(`{"type":"event_callback","team_id":"T0000001"}`), sign(secret, now.Unix(), []byte(`{"type":"event_callback","team_id":"T0000001"}`))); code != http.StatusBadRequest {
		t.Errorf("event without id: %d", code)
	}
	if len(got) != 1 {
		t.Errorf("refused requests delivered events: %v", got)
	}
}

// TestDecode maps each Slack event type hearth uses.
func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		event, typ string
		attrs      map[string]any
	}{
		{`{"type":"message","channel":"C1","user":"U1","text":"hello","ts":"1700000000.000100","channel_type":"channel"}`, "message.posted", map[string]any{"text": "hello", "channel_id": "C1", "post_id": "C1/1700000000.000100"}},
		{`{"type":"message","channel":"D1","user":"U1","text":"hi app","ts":"1700000000.000200","channel_type":"im"}`, "message.direct", nil},
		{`{"type":"message","subtype":"message_changed","channel":"C1","ts":"1"}`, "", nil},
		{`{"type":"message","channel":"C1","bot_id":"B1","text":"bot","ts":"1"}`, "", nil},
		{`{"type":"reaction_added","user":"U1","reaction":"tada","item_user":"U2","item":{"type":"message","channel":"C1","ts":"1700000000.000100"}}`, "reaction.added", map[string]any{"emoji": "tada", "target_member": "U2", "target": "C1/1700000000.000100"}},
		{`{"type":"member_joined_channel","user":"U1","channel":"C1"}`, "channel.joined", nil},
		{`{"type":"team_join","user":{"id":"U1","name":"ann","real_name":"Ann"}}`, "member.joined", nil},
		{`{"type":"team_join","user":{"id":"U1","name":"ann","real_name":"Ann","tz":"Asia/Tokyo","tz_offset":32400,"locale":"ja-JP"}}`, "member.joined",
			map[string]any{"name": "Ann", "timezone": "Asia/Tokyo", "locale": "ja-JP"}},
		{`{"type":"user_change","user":{"id":"U1","name":"ann","real_name":"Ann B","tz":"Europe/Berlin","locale":"de-DE"}}`, "member.profile_updated",
			map[string]any{"name": "Ann B", "timezone": "Europe/Berlin", "locale": "de-DE"}},
		{`{"type":"user_change","user":{"id":"U1","name":"helper","is_bot":true}}`, "", nil},
		{`{"type":"app_mention","user":"U1","text":"hi","ts":"1"}`, "", nil},
	} {
		body := []byte(`{"type":"event_callback","team_id":"T1","event_id":"Ev1","event_time":1700000000,"event":` + tc.event + `}`)
		evs, _, err := slack.Decode(body, "T1", "explorers")
		if err != nil {
			t.Errorf("%s: %v", tc.event, err)
			continue
		}
		if tc.typ == "" {
			if len(evs) != 0 {
				t.Errorf("%s: mapped to %v; want nothing", tc.event, evs)
			}
			continue
		}
		if len(evs) != 1 || evs[0].Type != tc.typ || evs[0].Member.ID != "U1" || evs[0].ID != "slack.T1.Ev1" {
			t.Errorf("%s: %+v; want one %s of U1", tc.event, evs, tc.typ)
			continue
		}
		for k, v := range tc.attrs {
			if evs[0].Attrs[k] != v {
				t.Errorf("%s: attr %s = %v; want %v", tc.event, k, evs[0].Attrs[k], v)
			}
		}
	}
	if _, _, err := slack.Decode([]byte(`{"type":"event_callback","team_id":"T2","event_id":"Ev1","event":{}}`), "T1", "x"); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("another workspace's event: %v", err)
	}
}

// TestStream serves the endpoint through Stream, as `hearth run` does,
// and stops when the context ends.
func TestStream(t *testing.T) {
	f := slacktest.New(t)
	lnc := make(chan net.Listener, 1)
	a := &slack.Adapter{Listen: func(network, addr string) (net.Listener, error) {
		ln, err := net.Listen(network, "127.0.0.1:0")
		lnc <- ln
		return ln, err
	}}
	c := open(t, a, f, map[string]string{"signing_secret": secret, "events_listen": "127.0.0.1:0"})
	sctx, cancel := context.WithCancel(ctx)
	got := make(chan platform.Delivery, 4)
	done := make(chan error, 1)
	go func() {
		done <- c.Stream(sctx, platform.StreamRequest{Follow: true, Communities: map[string]string{f.TeamID: "explorers"}}, func(_ context.Context, d platform.Delivery) error {
			got <- d
			return nil
		})
	}()
	ln := <-lnc
	ann := f.AddUser("Ann")
	body, _ := json.Marshal(f.Events()[0])
	req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+slack.DefaultEventsPath, bytes.NewReader(body))
	req.Header = sign(secret, time.Now().Unix(), body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("event answered %d", resp.StatusCode)
	}
	if d := <-got; d.Event.Member.ID != ann || d.Event.Type != "member.joined" {
		t.Errorf("streamed %+v", d.Event)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("stream ended with %v", err)
	}
	if err := c.Stream(ctx, platform.StreamRequest{}, func(context.Context, platform.Delivery) error { return nil }); err != nil {
		t.Errorf("stream without follow: %v", err)
	}
}

// FuzzReceiver: whatever arrives, the endpoint answers without panicking,
// and nothing unsigned is delivered.
func FuzzReceiver(f *testing.F) {
	f.Add([]byte(`{"type":"url_verification","challenge":"abc"}`), true)
	f.Add([]byte(`{"type":"event_callback","team_id":"T1","event_id":"Ev1","event_time":1,"event":{"type":"message","user":"U1","text":"hi","ts":"1.2","channel":"C1"}}`), true)
	f.Add([]byte(`{"type":"event_callback","team_id":"T1","event_id":"Ev2","event":{"type":"team_join","user":{"id":"U2"}}}`), false)
	f.Add([]byte(`{"event":[1,2]}`), true)
	now := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		delivered := 0
		rc := &slack.Receiver{Secret: secret, Team: "T1", Community: "c", Now: func() time.Time { return now },
			Handle: func(_ context.Context, d platform.Delivery) error {
				if err := d.Event.Check(); err != nil {
					t.Errorf("delivered an invalid event: %v", err)
				}
				delivered++
				return nil
			}}
		h := http.Header{"X-Slack-Signature": {"v0=00"}, "X-Slack-Request-Timestamp": {"1700000000"}}
		if signed {
			h = sign(secret, now.Unix(), body)
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header = h
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		if !signed && (w.Code != http.StatusUnauthorized || delivered > 0) {
			t.Errorf("unsigned request answered %d with %d events", w.Code, delivered)
		}
		if w.Code >= 500 {
			t.Errorf("answered %d", w.Code)
		}
	})
}

// TestPurpose: a conversation's purpose is set on create, changed alone
// on update, and read back.
func TestPurpose(t *testing.T) {
	f := slacktest.New(t)
	c := open(t, slack.New(), f, nil)
	r, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.TeamID,
		Attrs: platform.Attrs{"name": "help", "topic": "Ask", "purpose": "Questions about builds", "position": "3"}})
	if err != nil || r.Object.Attrs["purpose"] != "Questions about builds" || r.Object.Attrs["topic"] != "Ask" {
		t.Fatalf("create: %+v, %v", r.Object, err)
	}
	if _, ok := r.Object.Attrs["position"]; ok {
		t.Errorf("a conversation reports a position: %v", r.Object.Attrs)
	}
	u, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindChannel, Community: f.TeamID, ID: r.Object.ID,
		Attrs: platform.Attrs{"purpose": "Anything about hardware"}})
	if err != nil || u.Object.Attrs["purpose"] != "Anything about hardware" || u.Object.Attrs["topic"] != "Ask" {
		t.Fatalf("update: %+v, %v", u.Object, err)
	}
	if n := f.Calls("conversations.setTopic"); n != 1 {
		t.Errorf("setTopic called %d times; the update did not change the topic", n)
	}
}

// TestPacing: hearth keeps to Slack's method tiers. Creating more
// conversations than tier 2's burst waits about 3 seconds a call in apply;
// a Perform past chat.postMessage's pace comes back as a rate limit for
// the outbox, without calling Slack.
func TestPacing(t *testing.T) {
	f := slacktest.New(t)
	clk := newClock()
	c := open(t, &slack.Adapter{Now: clk.Now, Sleep: clk.Sleep}, f, nil)
	var ch string
	for i := range 25 {
		r, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.TeamID, Attrs: platform.Attrs{"name": "c" + strconv.Itoa(i)}})
		if err != nil {
			t.Fatal(err)
		}
		ch = r.Object.ID
	}
	if clk.slept < 14*time.Second || clk.slept > 16*time.Second {
		t.Errorf("25 creates waited %s; want about 5 x 3s past the burst of 20", clk.slept)
	}
	var last error
	for i := range 4 {
		_, last = c.Perform(ctx, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "p" + strconv.Itoa(i), Community: f.TeamID, Channel: ch, Text: "hello"})
	}
	var rl *platform.RateLimitError
	if !errors.As(last, &rl) || rl.After <= 0 || rl.After > time.Second {
		t.Fatalf("fourth message in one instant: %v; want a rate limit under a second", last)
	}
	if n := len(f.Messages(ch)); n != 3 {
		t.Errorf("%d messages posted; want the burst of 3", n)
	}
}

// TestPrivate: changing whether a channel is private needs the admin
// token; with it both ways work.
func TestPrivate(t *testing.T) {
	f := slacktest.New(t)
	bot := open(t, slack.New(), f, nil)
	r, err := bot.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.TeamID, Attrs: platform.Attrs{"name": "core"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bot.Apply(ctx, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindChannel, Community: f.TeamID, ID: r.Object.ID, Attrs: platform.Attrs{"private": "true"}})
	if !errors.Is(err, platform.ErrUnsupported) || !strings.Contains(err.Error(), "admin_token") {
		t.Errorf("without admin token: %v", err)
	}
	admin := open(t, slack.New(), f, map[string]string{"admin_token": f.AdminToken})
	for _, p := range []string{"true", "false"} {
		u, err := admin.Apply(ctx, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindChannel, Community: f.TeamID, ID: r.Object.ID, Attrs: platform.Attrs{"private": p}})
		if err != nil || u.Object.Attrs["private"] != p {
			t.Errorf("private = %s: %+v, %v", p, u.Object, err)
		}
	}
}

// TestJoinToPost: posting in a public channel made outside hearth joins
// it first; a private one the app is not in is not found.
func TestJoinToPost(t *testing.T) {
	f := slacktest.New(t)
	c := open(t, slack.New(), f, nil)
	pub := f.CreateChannel("lounge", false)
	priv := f.CreateChannel("secret", true)
	if _, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "j1", Community: f.TeamID, Channel: pub, Text: "Hello lounge"}); err != nil {
		t.Fatal(err)
	}
	if msgs := f.Messages(pub); len(msgs) != 1 || !f.InChannel(pub, f.BotUserID) {
		t.Errorf("lounge: messages %v, app in it %v", msgs, f.InChannel(pub, f.BotUserID))
	}
	_, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "j2", Community: f.TeamID, Channel: priv, Text: "Hello"})
	if !errors.Is(err, platform.ErrNotFound) || !strings.Contains(err.Error(), "not_in_channel") {
		t.Errorf("private channel: %v", err)
	}
}

// TestScopes: a direct message reads the conversation's history for its
// key, which takes im:history; without it the error names the scope.
// The documented scope list is the one README.md and the example give.
func TestScopes(t *testing.T) {
	f := slacktest.New(t)
	f.Scopes = slices.DeleteFunc(slack.Scopes(), func(s string) bool { return s == "im:history" })
	c := slackOpen(t, f)
	bob := f.AddUser("Bob")
	req := platform.PerformRequest{Key: "k-dm", Action: platform.ActionDirectMessage, Community: f.TeamID, Member: bob, Text: "welcome"}
	_, err := c.Perform(ctx, req)
	if err == nil || !strings.Contains(err.Error(), "needs scope im:history") || !platform.IsPermanent(err) {
		t.Fatalf("DM without im:history: %v; want a permanent error naming im:history", err)
	}
	f.Scopes = slack.Scopes()
	if _, err := c.Perform(ctx, req); err != nil {
		t.Fatalf("DM with the documented scopes: %v", err)
	}
	for _, doc := range []string{"../../README.md", "../../examples/slack-community/README.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range slack.Scopes() {
			if !bytes.Contains(b, []byte("`"+s+"`")) {
				t.Errorf("%s does not list scope `%s`", doc, s)
			}
		}
	}
}

// TestStreamChannelNames: events name channels as rules compare them,
// looked up once and kept for ChannelNameTTL; a channel_rename takes
// effect at once, a direct message costs no lookup, and Slack's
// app_rate_limited notice is a warning.
func TestStreamChannelNames(t *testing.T) {
	f := slacktest.New(t)
	clk := newClock()
	lnc := make(chan net.Listener, 1)
	a := &slack.Adapter{Now: clk.Now, Sleep: clk.Sleep, Listen: func(network, addr string) (net.Listener, error) {
		ln, err := net.Listen(network, "127.0.0.1:0")
		lnc <- ln
		return ln, err
	}}
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))
	pc, err := a.Open(ctx, platform.OpenRequest{Name: "main", Logger: logger, Settings: settings(f, map[string]string{"signing_secret": secret, "events_listen": "127.0.0.1:0"})})
	if err != nil {
		t.Fatal(err)
	}
	c := pc.(*slack.Conn)
	t.Cleanup(func() { _ = c.Close() })
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan platform.Delivery, 8)
	go func() {
		_ = c.Stream(sctx, platform.StreamRequest{Follow: true}, func(_ context.Context, d platform.Delivery) error {
			got <- d
			return nil
		})
	}()
	url := "http://" + (<-lnc).Addr().String() + slack.DefaultEventsPath
	deliver := func(body []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header = sign(secret, clk.Now().Unix(), body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("event answered %d", resp.StatusCode)
		}
	}
	deliverAll := func() {
		t.Helper()
		for _, e := range f.Events() {
			b, _ := json.Marshal(e)
			deliver(b)
		}
	}
	ann := f.AddUser("Ann")
	general := f.CreateChannel("general", false)
	if err := f.Join(general, ann); err != nil {
		t.Fatal(err)
	}
	f.Events()
	channelOf := func() string {
		t.Helper()
		d := <-got
		name, _ := d.Event.Attrs["channel"].(string)
		return name
	}
	for range 2 {
		f.Post(general, ann, "hello")
		deliverAll()
		if name := channelOf(); name != "general" {
			t.Errorf("message in #general named channel %q", name)
		}
	}
	if n := f.Calls("conversations.info"); n != 1 {
		t.Errorf("conversations.info called %d times for two messages in one channel; want 1", n)
	}
	if err := f.RenameChannel(general, "lobby"); err != nil {
		t.Fatal(err)
	}
	f.Post(general, ann, "renamed")
	deliverAll()
	if name := channelOf(); name != "lobby" {
		t.Errorf("message after channel_rename named channel %q; want lobby", name)
	}
	clk.Sleep(ctx, slack.ChannelNameTTL) // a rename missed is caught after the TTL
	f.RenameChannel(general, "hall")
	f.Events()
	f.Post(general, ann, "later")
	deliverAll()
	if name := channelOf(); name != "hall" {
		t.Errorf("message after the TTL named channel %q; want hall", name)
	}
	before := f.Calls("conversations.info")
	dm := []byte(`{"type":"event_callback","team_id":"` + f.TeamID + `","event_id":"EvDM1","event_time":1700000000,"event":{"type":"message","channel":"D0000042","user":"` + ann + `","text":"hi app","ts":"1700000000.000200","channel_type":"im"}}`)
	deliver(dm)
	if d := <-got; d.Event.Type != "message.direct" {
		t.Errorf("DM delivered as %s", d.Event.Type)
	}
	if n := f.Calls("conversations.info"); n != before {
		t.Errorf("a direct message looked its conversation up (%d calls)", n-before)
	}
	deliver([]byte(`{"token":"x","team_id":"` + f.TeamID + `","minute_rate_limited":1518467820,"api_app_id":"A1","type":"app_rate_limited"}`))
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "app_rate_limited") {
		t.Errorf("app_rate_limited not logged as a warning:\n%s", logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }
