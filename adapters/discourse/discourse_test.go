package discourse_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/discourse"
	"github.com/hearth-community/hearth/adapters/discourse/discoursetest"
	"github.com/hearth-community/hearth/adapters/internal/mentiontest"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/platform/platformtest"
)

var ctx = context.Background()

func settings(f *discoursetest.Fake, extra map[string]string) map[string]cty.Value {
	s := map[string]cty.Value{
		"url":       cty.StringVal(f.URL),
		"api_key":   cty.StringVal(f.APIKey).Mark(config.Sensitive),
		"community": cty.StringVal("explorers"),
	}
	for k, v := range extra {
		s[k] = cty.StringVal(v)
	}
	return s
}

func open(t *testing.T, a *discourse.Adapter, f *discoursetest.Fake, extra map[string]string) *discourse.Conn {
	t.Helper()
	c, err := a.Open(ctx, platform.OpenRequest{Name: "forum", Settings: settings(f, extra)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*discourse.Conn)
}

func forum(f *discoursetest.Fake) string { return strings.TrimPrefix(f.URL, "http://") }

// TestConformance runs the shared adapter suite against the fake forum.
func TestConformance(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Platform {
		f := discoursetest.New(t)
		a := discourse.New()
		return platformtest.Platform{
			Open: func(t *testing.T) platform.Conn {
				c, err := a.Open(ctx, platform.OpenRequest{Name: "forum", Settings: settings(f, nil)})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			Persistent: true,
			Concurrent: true,
			Community:  func(*testing.T, platform.Conn) string { return forum(f) },
			AddMember: func(t *testing.T, c platform.Conn, community, name string) string {
				return f.AddUser(name)
			},
		}
	})
}

func TestOpen(t *testing.T) {
	f := discoursetest.New(t)
	for _, tc := range []struct {
		name string
		s    map[string]cty.Value
		want string
	}{
		{"no key", map[string]cty.Value{"url": cty.StringVal(f.URL)}, "api_key is empty"},
		{"bad url", map[string]cty.Value{"url": cty.StringVal("forum.example.org"), "api_key": cty.StringVal("k")}, "http(s) address"},
		{"wrong key", map[string]cty.Value{"url": cty.StringVal(f.URL), "api_key": cty.StringVal("wrong-secret-key").Mark(config.Sensitive)}, "HTTP 403"},
	} {
		_, err := discourse.New().Open(ctx, platform.OpenRequest{Name: "forum", Settings: tc.s})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "wrong-secret-key") {
			t.Errorf("%s: error leaks the key: %v", tc.name, err)
		}
	}
}

// TestRateLimit: 429 with Retry-After (or extras.wait_seconds) is a
// RateLimitError for the outbox in Perform and is waited out in Apply.
func TestRateLimit(t *testing.T) {
	f := discoursetest.New(t)
	var waited []time.Duration
	a := &discourse.Adapter{Sleep: func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }}
	c := open(t, a, f, nil)
	f.RateLimit("POST /categories.json", 12)
	ch, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: forum(f), Attrs: platform.Attrs{"name": "General"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(waited) != 1 || waited[0] != 12*time.Second {
		t.Errorf("apply waited %v; want [12s]", waited)
	}
	f.RateLimit("POST /posts.json", 9)
	req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k1", Community: forum(f), Channel: ch.Object.ID, Text: "Welcome to the general category!"}
	_, err = c.Perform(ctx, req)
	var rl *platform.RateLimitError
	if !errors.As(err, &rl) || rl.After != 9*time.Second || !platform.IsTemporary(err) {
		t.Fatalf("perform under a rate limit: %v", err)
	}
	if _, err := c.Perform(ctx, req); err != nil {
		t.Fatal(err)
	}
}

// TestIdempotencyAcrossProcesses: a channel message is found by its key
// in the forum's latest posts by another process.
func TestIdempotencyAcrossProcesses(t *testing.T) {
	f := discoursetest.New(t)
	c1 := open(t, discourse.New(), f, nil)
	ch, err := c1.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: forum(f), Attrs: platform.Attrs{"name": "Welcome"}})
	if err != nil {
		t.Fatal(err)
	}
	req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "welcome/ann", Community: forum(f), Channel: ch.Object.ID, Text: "Welcome, Ann! Say hi to everyone."}
	first, err := c1.Perform(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	c2 := open(t, discourse.New(), f, nil)
	again, err := c2.Perform(ctx, req)
	if err != nil || !again.Duplicate || again.ID != first.ID {
		t.Errorf("second process: %+v, %v; want Duplicate of %s", again, err, first.ID)
	}
	req.Text = "Something else entirely, Ann."
	if _, err := open(t, discourse.New(), f, nil).Perform(ctx, req); !errors.Is(err, platform.ErrKeyReused) {
		t.Errorf("key reused: %v", err)
	}
}

// TestModeration: silence shows as muted_until, a ban suspends and takes
// the member out of the listing, unban lets them back, kick is not a
// Discourse thing.
func TestModeration(t *testing.T) {
	f := discoursetest.New(t)
	c := open(t, discourse.New(), f, nil)
	co := forum(f)
	bob := f.AddUser("Bob")
	n := 0
	do := func(a platform.Action, d time.Duration) error {
		n++
		_, err := c.Perform(ctx, platform.PerformRequest{Action: a, Key: "k" + strconv.Itoa(n), Community: co, Member: bob, Duration: d})
		return err
	}
	if err := do(platform.ActionBan, 0); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.Import(ctx, platform.ImportRequest{Kind: platform.KindMember, Community: co, ID: bob}); r.Object.ID != "" {
		t.Errorf("suspended member still imported")
	}
	if err := do(platform.ActionUnban, 0); err != nil {
		t.Fatal(err)
	}
	if err := do(platform.ActionUnban, 0); !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("unban without a ban: %v", err)
	}
	if err := do(platform.ActionKick, 0); !errors.Is(err, platform.ErrUnsupported) {
		t.Errorf("kick: %v", err)
	}
	objs, _ := platform.ReadAll(ctx, c, platform.ReadRequest{Kind: platform.KindMember, Community: co})
	if len(objs) != 1 || objs[0].ID != bob {
		t.Errorf("members after unban: %v", objs)
	}
}

// TestDirectMessage sends a private message to the member's username.
func TestDirectMessage(t *testing.T) {
	f := discoursetest.New(t)
	c := open(t, discourse.New(), f, map[string]string{"dm_title": "Hello from the team"})
	ann := f.AddUser("Ann")
	if _, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "dm1", Community: forum(f), Member: ann, Text: "Welcome to the forum, Ann!"}); err != nil {
		t.Fatal(err)
	}
	if msgs := f.Messages("ann"); len(msgs) != 1 || !strings.HasPrefix(msgs[0], "Welcome to the forum, Ann!") {
		t.Errorf("private messages %q", msgs)
	}
}

func signed(secret string, body []byte, event string, id int) http.Header {
	h := http.Header{}
	h.Set("X-Discourse-Event", event)
	h.Set("X-Discourse-Event-Type", strings.SplitN(event, "_", 2)[0])
	h.Set("X-Discourse-Event-Id", strconv.Itoa(id))
	h.Set("X-Discourse-Event-Signature", "sha256="+hex.EncodeToString(discourse.Sign(secret, body)))
	h.Set("Content-Type", "application/json")
	return h
}

const secret = "webhook-secret-1234"

// TestReceiver drives the webhook endpoint with the fake's deliveries.
func TestReceiver(t *testing.T) {
	f := discoursetest.New(t)
	c := open(t, discourse.New(), f, nil)
	ch, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: forum(f), Attrs: platform.Attrs{"name": "Help"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []platform.Delivery
	fail := false
	rc := &discourse.Receiver{Secret: secret, Instance: "forum.example.org", Community: "explorers",
		Handle: func(_ context.Context, d platform.Delivery) error {
			if fail {
				return errors.New("store down")
			}
			got = append(got, d)
			return nil
		}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	post := func(body []byte, h http.Header) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ann := f.AddUser("Ann")
	if _, err := f.Post(ch.Object.ID, ann, "How do I start with this?"); err != nil {
		t.Fatal(err)
	}
	hooks := f.Webhooks()
	if len(hooks) != 2 {
		t.Fatalf("fake queued %d webhooks", len(hooks))
	}
	fail = true
	if code := post(hooks[0].Body, signed(secret, hooks[0].Body, hooks[0].Event, hooks[0].ID)); code != http.StatusServiceUnavailable {
		t.Errorf("handler failure: %d", code)
	}
	fail = false
	for _, h := range append(hooks, hooks[0]) {
		if code := post(h.Body, signed(secret, h.Body, h.Event, h.ID)); code != 200 {
			t.Errorf("%s answered %d", h.Event, code)
		}
	}
	if len(got) != 2 || got[0].Event.Type != "member.joined" || got[0].Event.Member.ID != ann || got[1].Event.Type != "message.posted" || got[1].Event.Attrs["text"] != "How do I start with this?" {
		t.Fatalf("delivered %+v", got)
	}
	if got[0].Event.ID != "discourse.forum.example.org.1" {
		t.Errorf("event id %q", got[0].Event.ID)
	}
	if code := post(hooks[1].Body, signed("wrong", hooks[1].Body, hooks[1].Event, 99)); code != http.StatusUnauthorized {
		t.Errorf("bad signature: %d", code)
	}
	ping := []byte(`{"ping":"OK"}`)
	if code := post(ping, signed(secret, ping, "ping", 100)); code != 200 {
		t.Errorf("ping: %d", code)
	}
	if len(got) != 2 {
		t.Errorf("deliveries after refused and ping requests: %d", len(got))
	}
}

// TestStream serves the endpoint through Stream as `hearth run` does.
func TestStream(t *testing.T) {
	f := discoursetest.New(t)
	lnc := make(chan net.Listener, 1)
	a := &discourse.Adapter{Listen: func(network, _ string) (net.Listener, error) {
		ln, err := net.Listen(network, "127.0.0.1:0")
		lnc <- ln
		return ln, err
	}}
	c := open(t, a, f, map[string]string{"webhook_secret": secret, "events_listen": "127.0.0.1:0"})
	sctx, cancel := context.WithCancel(ctx)
	got := make(chan platform.Delivery, 1)
	done := make(chan error, 1)
	go func() {
		done <- c.Stream(sctx, platform.StreamRequest{Follow: true}, func(_ context.Context, d platform.Delivery) error { got <- d; return nil })
	}()
	ln := <-lnc
	f.AddUser("Ann")
	h := f.Webhooks()[0]
	req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+discourse.DefaultWebhookPath, bytes.NewReader(h.Body))
	req.Header = signed(secret, h.Body, h.Event, h.ID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if d := <-got; d.Event.Type != "member.joined" || d.Event.Community != "explorers" {
		t.Errorf("streamed %+v", d.Event)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("stream ended with %v", err)
	}
}

// FuzzReceiver: any delivery gets an answer below 500 and nothing
// unsigned is delivered.
func FuzzReceiver(f *testing.F) {
	f.Add([]byte(`{"post":{"id":1,"topic_id":2,"post_number":2,"user_id":3,"username":"ann","raw":"hi"}}`), "post_created", "5", true)
	f.Add([]byte(`{"user":{"id":3,"username":"ann"}}`), "user_created", "6", true)
	f.Add([]byte(`{"like":{"post":{"id":1,"user_id":4},"user":{"id":3}}}`), "post_liked", "7", false)
	f.Add([]byte(`{"post":null}`), "post_created", "x", true)
	f.Fuzz(func(t *testing.T, body []byte, event, id string, sign bool) {
		delivered := 0
		rc := &discourse.Receiver{Secret: secret, Instance: "f", Community: "c", Now: func() time.Time { return time.Unix(1_700_000_000, 0) },
			Handle: func(_ context.Context, d platform.Delivery) error {
				if err := d.Event.Check(); err != nil {
					t.Errorf("delivered an invalid event: %v", err)
				}
				delivered++
				return nil
			}}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Discourse-Event", event)
		req.Header.Set("X-Discourse-Event-Id", id)
		if sign {
			req.Header.Set("X-Discourse-Event-Signature", "sha256="+hex.EncodeToString(discourse.Sign(secret, body)))
		}
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		if !sign && (w.Code != http.StatusUnauthorized || delivered > 0) {
			t.Errorf("unsigned delivery answered %d with %d events", w.Code, delivered)
		}
		if w.Code >= 500 {
			t.Errorf("answered %d", w.Code)
		}
	})
}

// TestBadgeGrant grants the forum's badge of a name once, however often
// the grant is sent (from a fresh process too), and says which badge is
// missing.
func TestBadgeGrant(t *testing.T) {
	f := discoursetest.New(t)
	f.Badge("First Post")
	ann := f.AddUser("Ann")
	req := platform.PerformRequest{Action: platform.ActionBadgeGrant, Key: "badge/1", Community: forum(f), Member: ann, Badge: "first post"}
	for range 2 {
		if _, err := open(t, discourse.New(), f, nil).Perform(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.Granted(ann); len(got) != 1 || got[0] != "First Post" {
		t.Errorf("granted %v; want First Post once", got)
	}
	req.Key, req.Badge = "badge/2", "Nice Reply"
	_, err := open(t, discourse.New(), f, nil).Perform(ctx, req)
	if !errors.Is(err, platform.ErrNotFound) || !strings.Contains(err.Error(), "Nice Reply") {
		t.Errorf("missing badge: %v", err)
	}
}

// TestBadgeGrantDisabled: a badge the forum has disabled is a conflict
// named after the badge, found before the member is looked up, and a
// revoke of it still works.
func TestBadgeGrantDisabled(t *testing.T) {
	f := discoursetest.New(t)
	f.DisableBadge(f.Badge("First Post"))
	ann := f.AddUser("Ann")
	c := open(t, discourse.New(), f, nil)
	before := f.Calls("GET /admin/users/{id}.json")
	_, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionBadgeGrant, Key: "badge/off", Community: forum(f), Member: ann, Badge: "first post"})
	if !errors.Is(err, platform.ErrConflict) || !strings.Contains(err.Error(), "First Post") {
		t.Errorf("disabled badge: %v", err)
	}
	if n := f.Calls("GET /admin/users/{id}.json") - before; n != 0 {
		t.Errorf("%d lookups of the member for a badge that cannot be granted", n)
	}
	if len(f.Granted(ann)) != 0 {
		t.Errorf("granted %v", f.Granted(ann))
	}
	if _, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionBadgeRevoke, Key: "revoke/off", Community: forum(f), Member: ann, Badge: "First Post"}); err != nil {
		t.Errorf("revoking a disabled badge: %v", err)
	}
	// The count above is of the route a revoke does call.
	if n := f.Calls("GET /admin/users/{id}.json") - before; n != 1 {
		t.Errorf("%d lookups of the member for the revoke; want 1", n)
	}
}

// TestCategoryColor: a color reads back as set; none means the color
// setting, which reads back as "", so plans stay clean either way.
func TestCategoryColor(t *testing.T) {
	f := discoursetest.New(t)
	c := open(t, discourse.New(), f, map[string]string{"color": "25AAE2"})
	plain, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: forum(f), Attrs: platform.Attrs{"name": "Plain", "color": ""}})
	if err != nil || plain.Object.Attrs["color"] != "" {
		t.Fatalf("default color: %+v, %v", plain.Object, err)
	}
	red, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: forum(f), Attrs: platform.Attrs{"name": "Red", "color": "#E45735", "category": "Projects"}})
	if err != nil || red.Object.Attrs["color"] != "#e45735" || red.Object.Attrs["category"] != "Projects" {
		t.Fatalf("red: %+v, %v", red.Object, err)
	}
	up, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindChannel, Community: forum(f), ID: red.Object.ID, Attrs: platform.Attrs{"color": ""}})
	if err != nil || up.Object.Attrs["color"] != "" || up.Object.Attrs["name"] != "Red" {
		t.Errorf("back to the default: %+v, %v", up.Object, err)
	}
}

// TestRateLimitWaitedWithTimer: without a Sleep hook (as in hearth plan
// and apply), a 429 is waited out with a timer and the call is made
// again, rather than the waited-out limit failing the read.
func TestRateLimitWaitedWithTimer(t *testing.T) {
	f := discoursetest.New(t)
	c := open(t, discourse.New(), f, nil)
	f.RateLimit("GET /site.json", 0, 0)
	before := f.Calls("GET /site.json")
	if _, err := platform.ReadAll(ctx, c, platform.ReadRequest{Kind: platform.KindChannel, Community: forum(f)}); err != nil {
		t.Fatalf("read after two 429s: %v", err)
	}
	if n := f.Calls("GET /site.json") - before; n != 3 {
		t.Errorf("read made %d calls; want 3 (two 429s, then the answer)", n)
	}
}

// A template quotes what members wrote: a member named "@staff" or
// "@here" must not notify a group through hearth's admin user. Group
// mentions are sent as text (a word joiner after the @); a single user's
// mention and an email address stay as written, and mass_mentions = true
// sends everything as written.
func TestMemberTextNotifiesNoGroup(t *testing.T) {
	f := discoursetest.New(t)
	c := open(t, discourse.New(), f, nil)
	ann := f.AddUser("Ann")
	text := "Hi @Staff, @here and @moderators. @ann says hi; write to team@staff.example.org"
	if _, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "dm1", Community: forum(f), Member: ann, Text: text}); err != nil {
		t.Fatal(err)
	}
	want := "Hi @\u2060Staff, @\u2060here and @\u2060moderators. @ann says hi; write to team@staff.example.org"
	if msgs := f.Messages("ann"); len(msgs) != 1 || !strings.HasPrefix(msgs[0], want+"\n") {
		t.Errorf("private message %q; want it to start %q", msgs, want)
	}
	// Which names are groups only the forum knows: hearth template
	// render shows the text as written, and a note says what happens.
	for _, tc := range []struct {
		settings map[string]cty.Value
		text     string
		note     bool
	}{{nil, text, true}, {nil, "mail team@staff.example.org", false}, {map[string]cty.Value{"mass_mentions": cty.True}, text, false}} {
		res, err := discourse.New().Shape(platform.ShapeRequest{Action: platform.ActionDirectMessage, Settings: tc.settings, Text: tc.text})
		if err != nil || res.Text != tc.text || (res.Note != "") != tc.note {
			t.Errorf("Shape(%q, %v) = %q, note %q, %v; want the text as it is, a note: %v", tc.text, tc.settings, res.Text, res.Note, err, tc.note)
		}
	}
	ch, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: forum(f), Attrs: platform.Attrs{"name": "Welcome"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "ch1", Community: forum(f), Channel: ch.Object.ID, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if raw := f.Raw(res.ID); !strings.HasPrefix(raw, want+"\n") {
		t.Errorf("channel post %q; want it to start %q", raw, want)
	}

	s := settings(f, nil)
	s["mass_mentions"] = cty.True
	loud, err := discourse.New().Open(ctx, platform.OpenRequest{Name: "forum", Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	defer loud.Close()
	if _, err := loud.(*discourse.Conn).Perform(ctx, platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "dm2", Community: forum(f), Member: ann, Text: text}); err != nil {
		t.Fatal(err)
	}
	if msgs := f.Messages("ann"); len(msgs) != 2 || !strings.HasPrefix(msgs[1], text+"\n") {
		t.Errorf("with mass_mentions = true: %q; want it as written", msgs)
	}
}

// TestBadgeRevoke takes back the grants hearth made of the forum's badge
// and leaves one a moderator made by hand; a badge already gone, or
// never held, is success, so a retry after a crash changes nothing.
func TestBadgeRevoke(t *testing.T) {
	f := discoursetest.New(t)
	f.Badge("First Post")
	nice := f.Badge("Nice Reply")
	ann, bo := f.AddUser("Ann"), f.AddUser("Bo")
	c := open(t, discourse.New(), f, nil)
	for _, m := range []string{ann, bo} {
		if _, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionBadgeGrant, Key: "grant/" + m, Community: forum(f), Member: m, Badge: "First Post"}); err != nil {
			t.Fatal(err)
		}
	}
	f.GrantByHand(ann, nice)
	for i := range 2 {
		// A new process each time: the forum, not the key ledger, makes it idempotent.
		req := platform.PerformRequest{Action: platform.ActionBadgeRevoke, Key: "revoke/" + strconv.Itoa(i), Community: forum(f), Member: ann, Badge: "first post"}
		if _, err := open(t, discourse.New(), f, nil).Perform(ctx, req); err != nil {
			t.Fatalf("revoke %d: %v", i, err)
		}
	}
	if got := f.Granted(ann); len(got) != 1 || got[0] != "Nice Reply" {
		t.Errorf("ann holds %v; want only the hand-granted Nice Reply", got)
	}
	if got := f.Granted(bo); len(got) != 1 || got[0] != "First Post" {
		t.Errorf("bo holds %v; want First Post still", got)
	}
	if n := f.Calls("DELETE /user_badges/{id}.json"); n != 1 {
		t.Errorf("%d deletions; want 1", n)
	}
	// A hand grant of the badge hearth revokes stays the moderators'.
	if _, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionBadgeRevoke, Key: "revoke/nice", Community: forum(f), Member: ann, Badge: "Nice Reply"}); err != nil {
		t.Fatal(err)
	}
	if got := f.Granted(ann); len(got) != 1 {
		t.Errorf("ann holds %v; want the hand grant kept", got)
	}
	_, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionBadgeRevoke, Key: "revoke/none", Community: forum(f), Member: ann, Badge: "Great Topic"})
	if !errors.Is(err, platform.ErrNotFound) || !strings.Contains(err.Error(), "Great Topic") {
		t.Errorf("revoking a badge the forum does not have: %v", err)
	}
	_, err = c.Perform(ctx, platform.PerformRequest{Action: platform.ActionBadgeRevoke, Key: "revoke/nobody", Community: forum(f), Member: "9999", Badge: "First Post"})
	if !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("revoking from a user the forum does not have: %v", err)
	}
}

// TestBadgeRevokeRateLimit: a 429 on the deletion is a rate limit with
// the forum's wait, and the retry with the same key finishes the job.
func TestBadgeRevokeRateLimit(t *testing.T) {
	f := discoursetest.New(t)
	f.Badge("First Post")
	ann := f.AddUser("Ann")
	c := open(t, discourse.New(), f, nil)
	if _, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionBadgeGrant, Key: "g", Community: forum(f), Member: ann, Badge: "First Post"}); err != nil {
		t.Fatal(err)
	}
	f.RateLimit("DELETE /user_badges/{id}.json", 7)
	req := platform.PerformRequest{Action: platform.ActionBadgeRevoke, Key: "r", Community: forum(f), Member: ann, Badge: "First Post"}
	_, err := c.Perform(ctx, req)
	var rl *platform.RateLimitError
	if !errors.As(err, &rl) || rl.After != 7*time.Second {
		t.Fatalf("revoke under a rate limit: %v", err)
	}
	if _, err := c.Perform(ctx, req); err != nil {
		t.Fatal(err)
	}
	if got := f.Granted(ann); len(got) != 0 {
		t.Errorf("ann holds %v after the retry; want none", got)
	}
}

// TestTrustLevel sets levels with and without the lock, in the order
// Discourse needs: a lock after the level (it locks the level the user
// has), an unlock before it (it works the level out again on unlock).
func TestTrustLevel(t *testing.T) {
	f := discoursetest.New(t)
	ann := f.AddUser("Ann")
	c := open(t, discourse.New(), f, nil)
	perform := func(key, level string, lock bool) error {
		_, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionTrustLevel, Key: key, Community: forum(f), Member: ann, Level: level, Lock: lock})
		return err
	}
	check := func(step string, level int, locked bool) {
		t.Helper()
		if l, k := f.TrustLevel(ann); l != level || k != locked {
			t.Errorf("%s: trust level %d locked %v; want %d locked %v", step, l, k, level, locked)
		}
	}
	f.Deserve(ann, 1)
	if err := perform("set2", "2", false); err != nil {
		t.Fatal(err)
	}
	check("promoted to 2", 2, false)
	if err := perform("lock4", "4", true); err != nil {
		t.Fatal(err)
	}
	check("locked at 4", 4, true)
	// Back to 2 without the lock: the lock at 4 is lifted first, or
	// Discourse would take the user back to 4 at its next recalculation.
	if err := perform("set2b", "2", false); err != nil {
		t.Fatal(err)
	}
	check("demoted to 2, unlocked", 2, false)
	// Demoted below what the forum's settings give: Discourse locks it.
	f.Deserve(ann, 2)
	if err := perform("set1", "1", false); err != nil {
		t.Fatal(err)
	}
	check("demoted below the earned level", 1, true)
	// No level: only the lock goes, and the forum's rules give the level.
	if err := perform("unlock", "", false); err != nil {
		t.Fatal(err)
	}
	check("unlocked", 2, false)
	before := f.Calls("PUT /admin/users/{id}/trust_level_lock.json")
	if err := perform("unlock2", "", false); err != nil {
		t.Fatal(err)
	}
	if n := f.Calls("PUT /admin/users/{id}/trust_level_lock.json"); n != before {
		t.Errorf("unlocking a user without a lock sent %d requests; want none", n-before)
	}
	// A promotion only raises: Discourse's own promotions may have gone
	// further, and a user it put at 2 is not taken down to 1.
	raise := func(key, level string) error {
		_, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionTrustLevel, Key: key, Community: forum(f), Member: ann, Level: level, Raise: true})
		return err
	}
	if err := raise("raise1", "1"); err != nil {
		t.Fatal(err)
	}
	check("raised to 1 while at 2", 2, false)
	if err := raise("raise3", "3"); err != nil {
		t.Fatal(err)
	}
	check("raised to 3", 3, true) // Discourse locks a 3 its figures do not give
	// A lock staff set by hand is replaced by hearth's.
	f.LockByHand(ann, 0)
	if err := perform("lock3", "3", true); err != nil {
		t.Fatal(err)
	}
	check("locked at 3 over a hand lock", 3, true)

	for _, tc := range []struct {
		level string
		lock  bool
	}{{"5", false}, {"-1", false}, {"x", false}, {"", true}} {
		if err := perform("bad"+tc.level, tc.level, tc.lock); !errors.Is(err, platform.ErrInvalid) {
			t.Errorf("level %q lock %v: %v; want ErrInvalid", tc.level, tc.lock, err)
		}
	}
	_, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionTrustLevel, Key: "ghost", Community: forum(f), Member: "9999", Level: "2"})
	if !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("a user the forum does not have: %v; want ErrNotFound", err)
	}
}

// TestTrustLevelRateLimit: the forum's 429 on the level is a rate limit
// with its Retry-After; the same key sent again sets the level.
func TestTrustLevelRateLimit(t *testing.T) {
	f := discoursetest.New(t)
	ann := f.AddUser("Ann")
	c := open(t, discourse.New(), f, nil)
	f.RateLimit("PUT /admin/users/{id}/trust_level.json", 30)
	req := platform.PerformRequest{Action: platform.ActionTrustLevel, Key: "k", Community: forum(f), Member: ann, Level: "3", Lock: true}
	_, err := c.Perform(ctx, req)
	var rl *platform.RateLimitError
	if !errors.As(err, &rl) || rl.After != 30*time.Second {
		t.Fatalf("under a rate limit: %v", err)
	}
	if _, err := c.Perform(ctx, req); err != nil {
		t.Fatal(err)
	}
	if l, locked := f.TrustLevel(ann); l != 3 || !locked {
		t.Errorf("trust level %d locked %v; want 3 locked", l, locked)
	}
}

// member.mention is the member's @username, read from the forum at send
// time; the name the template renders (the member's, quoted) is what it
// replaces, and a user the forum no longer has keeps it as text.
func TestMentionUsername(t *testing.T) {
	f := discoursetest.New(t)
	c := open(t, discourse.New(), f, nil)
	ch, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: forum(f), Attrs: platform.Attrs{"name": "General"}})
	if err != nil {
		t.Fatal(err)
	}
	ann := f.AddUser("Ann Lee")
	msg := mentiontest.Render(t, discourse.Spec(), nil, "channel", ann, "Ann @staff", "Welcome ${member.mention}, meet ${member.name}!")
	if len(msg.Mentions) != 1 {
		t.Fatalf("mentions %+v; want one", msg.Mentions)
	}
	r, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k1", Community: forum(f), Channel: ch.Object.ID, Text: msg.Text, Mentions: msg.Mentions})
	if err != nil {
		t.Fatal(err)
	}
	want := "Welcome @ann_lee, meet Ann @\u2060staff!"
	if raw := f.Raw(r.ID); !strings.HasPrefix(raw, want+"\n") {
		t.Errorf("post %q; want it to start %q", raw, want)
	}
	text := "Hi Gone"
	if _, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "dm1", Community: forum(f), Member: ann, Text: text,
		Mentions: []platform.Mention{{ID: "99999", Start: 3, End: 7}}}); err != nil {
		t.Fatal(err)
	}
	if msgs := f.Messages("ann_lee"); len(msgs) != 1 || !strings.HasPrefix(msgs[0], "Hi Gone\n") {
		t.Errorf("private message %q; want the name kept for a user the forum does not have", msgs)
	}
}

// member.mention reads each username once per usernamesFor (10
// minutes) for the Conns of one Adapter, however many sends mention the
// member, and reads it again after, so a rename is picked up.
func TestMentionUsernameCached(t *testing.T) {
	f := discoursetest.New(t)
	now := time.Unix(1_700_000_000, 0)
	a := discourse.New()
	a.Now = func() time.Time { return now }
	c := open(t, a, f, nil)
	ch, err := c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: forum(f), Attrs: platform.Attrs{"name": "General"}})
	if err != nil {
		t.Fatal(err)
	}
	ann := f.AddUser("Ann Lee")
	msg := mentiontest.Render(t, discourse.Spec(), nil, "channel", ann, "Ann Lee", "Hi ${member.mention} and ${member.mention}")
	if len(msg.Mentions) != 2 {
		t.Fatalf("mentions %+v; want two", msg.Mentions)
	}
	n := 0
	send := func(want string, reads int) {
		t.Helper()
		n++
		before := f.Calls("GET /admin/users/{id}.json")
		r, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k" + strconv.Itoa(n), Community: forum(f), Channel: ch.Object.ID, Text: msg.Text, Mentions: msg.Mentions})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Calls("GET /admin/users/{id}.json") - before; got != reads {
			t.Errorf("send %d read the user %d times; want %d", n, got, reads)
		}
		if raw := f.Raw(r.ID); !strings.HasPrefix(raw, want+"\n") {
			t.Errorf("send %d: post %q; want it to start %q", n, raw, want)
		}
	}
	send("Hi @ann_lee and @ann_lee", 1)
	send("Hi @ann_lee and @ann_lee", 0)
	// Another Conn of the same Adapter (a reload) keeps the names.
	c = open(t, a, f, nil)
	f.Rename(ann, "ann_l")
	now = now.Add(9 * time.Minute)
	send("Hi @ann_lee and @ann_lee", 0)
	now = now.Add(time.Minute)
	send("Hi @ann_l and @ann_l", 1)
}
