package feishu_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/feishu"
	"github.com/hearth-community/hearth/adapters/internal/mentiontest"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/platform/platformtest"
)

const secret = "fs-secret-abc"

func open(t *testing.T, a *feishu.Adapter, hook, sec, channel string) platform.Performer {
	t.Helper()
	s := map[string]cty.Value{"webhook_url": cty.StringVal(hook).Mark(config.Sensitive), "channel": cty.StringVal(channel)}
	if sec != "" {
		s["secret"] = cty.StringVal(sec).Mark(config.Sensitive)
	}
	c, err := a.Open(context.Background(), platform.OpenRequest{Name: "group", Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(platform.Performer)
}

func msg(key, text string) platform.PerformRequest {
	return platform.PerformRequest{Action: platform.ActionChannelMessage, Key: key, Community: "explorers", Channel: "announcements", Text: text}
}

func TestConformance(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Platform {
		f := newFake(t)
		hook := f.add("tok-1", secret, "")
		a := feishu.New()
		return platformtest.Platform{
			Open: func(t *testing.T) platform.Conn {
				return open(t, a, hook, secret, "general").(platform.Conn)
			},
			Community: func(*testing.T, platform.Conn) string { return "explorers" },
			Channel:   func(*testing.T, platform.Conn, string) string { return "general" },
		}
	})
}

func TestSign(t *testing.T) {
	// The documented recipe, written out: key = timestamp + "\n" + secret,
	// HMAC-SHA256 over nothing, base64.
	m := hmac.New(sha256.New, []byte("1599360473\n"+secret))
	if got, want := feishu.Sign(secret, 1599360473), base64.StdEncoding.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("Sign = %s; want %s", got, want)
	}
}

func TestSendOnce(t *testing.T) {
	f := newFake(t)
	hook := f.add("tok-1", secret, "")
	c := open(t, feishu.New(), hook, secret, "announcements")
	first, err := c.Perform(context.Background(), msg("k1", "欢迎新成员 Ann！"))
	if err != nil || first.Duplicate {
		t.Fatalf("%+v %v", first, err)
	}
	if again, err := c.Perform(context.Background(), msg("k1", "欢迎新成员 Ann！")); err != nil || !again.Duplicate {
		t.Errorf("repeat: %+v %v", again, err)
	}
	if _, err := c.Perform(context.Background(), msg("k1", "something else")); !errors.Is(err, platform.ErrKeyReused) {
		t.Errorf("reused key: %v", err)
	}
	if got := f.texts("tok-1"); !slices.Equal(got, []string{"欢迎新成员 Ann！"}) {
		t.Errorf("group got %q", got)
	}
	other := msg("k2", "hi")
	other.Channel = "general"
	if _, err := c.Perform(context.Background(), other); !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("another channel: %v", err)
	}
	_, err = c.Perform(context.Background(), platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "k3", Community: "explorers", Member: "ou_1", Text: "hi"})
	if !errors.Is(err, platform.ErrUnsupported) {
		t.Errorf("direct message: %v", err)
	}
}

func TestErrors(t *testing.T) {
	f := newFake(t)
	good := f.add("tok-1", secret, "")
	kw := f.add("tok-kw", "", "通知")
	for _, tc := range []struct {
		name, hook, secret, text string
		is                       error
		class                    platform.Class
	}{
		{"wrong secret", good, "wrong", "hi", nil, platform.ClassPermanent},
		{"unsigned", good, "", "hi", nil, platform.ClassPermanent},
		{"unknown bot", f.srv.URL + "/open-apis/bot/v2/hook/nope", secret, "hi", nil, platform.ClassPermanent},
		{"keyword missing", kw, "", "hello", platform.ErrInvalid, platform.ClassPermanent},
		{"too large", good, secret, strings.Repeat("长", 8000), platform.ErrInvalid, platform.ClassPermanent},
	} {
		c := open(t, feishu.New(), tc.hook, tc.secret, "")
		_, err := c.Perform(context.Background(), msg("k-"+tc.name, tc.text))
		if class, _ := platform.Classify(err); err == nil || class != tc.class || (tc.is != nil && !errors.Is(err, tc.is)) {
			t.Errorf("%s: %v (%v); want %v %v", tc.name, err, class, tc.class, tc.is)
		}
		if err != nil && (strings.Contains(err.Error(), "tok-") || strings.Contains(err.Error(), secret)) {
			t.Errorf("%s: error shows the credential: %v", tc.name, err)
		}
	}
	c := open(t, feishu.New(), kw, "", "")
	if _, err := c.Perform(context.Background(), msg("kw-ok", "通知：周五分享会")); err != nil {
		t.Errorf("with the keyword: %v", err)
	}
}

// TestRateLimit: the adapter keeps under 5 a second by itself, without
// asking Feishu; and a frequency limit Feishu answers anyway (another
// sender used the same bot) is a RateLimitError.
func TestRateLimit(t *testing.T) {
	f := newFake(t)
	hook := f.add("tok-1", secret, "")
	at := time.Now()
	f.now = func() time.Time { return at }
	a := &feishu.Adapter{Now: func() time.Time { return at }}
	c := open(t, a, hook, secret, "")
	for i := range 5 {
		if _, err := c.Perform(context.Background(), msg("k"+string(rune('a'+i)), "m")); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.Perform(context.Background(), msg("k-6", "m"))
	var rl *platform.RateLimitError
	if !errors.As(err, &rl) || rl.After <= 0 || rl.After > time.Second {
		t.Fatalf("6th in a second: %v; want a RateLimitError under a second", err)
	}
	if f.requests != 5 {
		t.Errorf("%d requests reached Feishu; want 5", f.requests)
	}
	at = at.Add(time.Second)
	if _, err := c.Perform(context.Background(), msg("k-6", "m")); err != nil {
		t.Errorf("after the second passed: %v", err)
	}

	// Another process shares the bot: Feishu itself refuses.
	f.mu.Lock()
	f.perMinute = 6
	f.mu.Unlock()
	other := open(t, feishu.New(), hook, secret, "")
	_, err = other.Perform(context.Background(), msg("k-7", "m"))
	if !errors.As(err, &rl) || !strings.Contains(err.Error(), "11232") {
		t.Errorf("Feishu's frequency limit: %v; want a RateLimitError with code 11232", err)
	}
}

// TestGatewayLimit: the open platform's gateway answers HTTP 429 with
// code 99991400 and x-ogw-ratelimit-reset; that is the wait.
func TestGatewayLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ogw-ratelimit-limit", "100")
		w.Header().Set("x-ogw-ratelimit-reset", "52")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"code":99991400,"msg":"request trigger frequency limit"}`)
	}))
	defer srv.Close()
	c := open(t, feishu.New(), srv.URL+"/open-apis/bot/v2/hook/x", "", "")
	_, err := c.Perform(context.Background(), msg("k", "hi"))
	var rl *platform.RateLimitError
	if !errors.As(err, &rl) || rl.After != 52*time.Second {
		t.Errorf("gateway limit: %v; want a RateLimitError of 52s", err)
	}
}

// A member's text quoted by a template cannot mention the whole group:
// <at user_id="all"> is shown as text unless mass_mentions is set, while
// a mention of one user stays a mention.
func TestMemberTextMentionsNoGroup(t *testing.T) {
	cases := map[string]string{
		`Welcome <at user_id="all">everyone</at>!`: `Welcome ＜at user_id="all">everyone</at>!`,
		`<AT USER_ID='ALL'></AT>`:                  `＜AT USER_ID='ALL'></AT>`,
		`< at  user_id = all >x</at>`:              `＜ at  user_id = all >x</at>`,
		`hi <at user_id="ou_1">Ann</at>`:           `hi <at user_id="ou_1">Ann</at>`,
		`<at user_id="allison">Al</at>`:            `<at user_id="allison">Al</at>`,
	}
	for in, want := range cases {
		if got := feishu.NoMentionAll(in); got != want {
			t.Errorf("NoMentionAll(%q) = %q; want %q", in, got, want)
		}
	}
	f := newFake(t)
	hook := f.add("tok-1", secret, "")
	c := open(t, feishu.New(), hook, secret, "announcements")
	if _, err := c.Perform(context.Background(), msg("k1", `Hi <at user_id="all"></at>`)); err != nil {
		t.Fatal(err)
	}
	if got := f.texts("tok-1"); !slices.Equal(got, []string{`Hi ＜at user_id="all"></at>`}) {
		t.Errorf("group got %q", got)
	}
	// hearth template render shows the text as it is sent.
	shape := func(s map[string]cty.Value, text string) string {
		t.Helper()
		res, err := feishu.New().Shape(platform.ShapeRequest{Action: platform.ActionChannelMessage, Settings: s, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return res.Text
	}
	if got := shape(nil, `Hi <at user_id="all"></at>`); got != `Hi ＜at user_id="all"></at>` {
		t.Errorf("Shape gave %q; the group got the text with ＜at", got)
	}
	s := map[string]cty.Value{"webhook_url": cty.StringVal(hook).Mark(config.Sensitive), "secret": cty.StringVal(secret).Mark(config.Sensitive), "mass_mentions": cty.True}
	conn, err := feishu.New().Open(context.Background(), platform.OpenRequest{Name: "group", Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.(platform.Performer).Perform(context.Background(), msg("k2", `All: <at user_id="all"></at>`)); err != nil {
		t.Fatal(err)
	}
	if got := f.texts("tok-1"); len(got) != 2 || got[1] != `All: <at user_id="all"></at>` {
		t.Errorf("with mass_mentions the group got %q", got)
	}
	if got := shape(s, `All: <at user_id="all"></at>`); got != `All: <at user_id="all"></at>` {
		t.Errorf("with mass_mentions Shape gave %q", got)
	}
}

// TestTextLimit: the request body, signed, may be at most 20 KB; 7000
// CJK characters (21000 bytes) are refused before sending, and the
// spec's limit says so too.
func TestTextLimit(t *testing.T) {
	f := newFake(t)
	hook := f.add("tok-1", secret, "")
	c := open(t, feishu.New(), hook, secret, "announcements")
	long := strings.Repeat("欢", 7000)
	if _, err := c.Perform(context.Background(), msg("k1", long)); !errors.Is(err, platform.ErrInvalid) || !strings.Contains(err.Error(), "20480") {
		t.Errorf("%v; want ErrInvalid naming the limit", err)
	}
	if got := f.texts("tok-1"); len(got) != 0 {
		t.Errorf("%d messages reached Feishu; want 0", len(got))
	}
	l := feishu.Spec().TextLimit("channel", map[string]cty.Value{"secret": cty.StringVal(secret)})
	if l.Check(long) == nil || l.Check(strings.Repeat("欢", 6000)) != nil {
		t.Errorf("spec limit %+v does not match the adapter's", l)
	}
	if feishu.Spec().TextLimit("dm", nil).Bytes != 0 {
		t.Error("the bot sends no direct messages: no limit")
	}
	if !feishu.Spec().AtTags {
		t.Error("AtTags must be set so templates quote <at> tags in members' values")
	}
}

// member.mention is an <at> tag of the member's open_id, with no name in
// it; the member's name, tags and all, is shown as text.
func TestMention(t *testing.T) {
	f := newFake(t)
	hook := f.add("tok-1", secret, "")
	c := open(t, feishu.New(), hook, secret, "announcements")
	m := mentiontest.Render(t, feishu.Spec(), nil, "channel", "ou_7d8a6e6df7621556ce0d21922b676706", `Ann<at user_id="all"></at>`, "欢迎 ${member.mention}（${member.name}）")
	if _, err := c.Perform(context.Background(), msg("k1", m.Text)); err != nil {
		t.Fatal(err)
	}
	want := `欢迎 <at user_id="ou_7d8a6e6df7621556ce0d21922b676706"></at>（Ann＜at user_id="all"></at>）`
	if got := f.texts("tok-1"); !slices.Equal(got, []string{want}) {
		t.Errorf("group got %q; want %q", got, want)
	}
	for _, id := range []string{"all", `ou_1"><at user_id="all`, ""} {
		if m := feishu.Mention(config.MentionOf{ID: id, Name: "Ann"}); m.Text != "" {
			t.Errorf("Mention(%q) = %+v; want the name", id, m)
		}
	}
}
