package dingtalk_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/dingtalk"
	"github.com/hearth-community/hearth/adapters/internal/mentiontest"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/platform/platformtest"
)

const secret = "SEC0123456789abcdef"

func open(t *testing.T, a *dingtalk.Adapter, hook, sec string, extra map[string]cty.Value) platform.Performer {
	t.Helper()
	s := map[string]cty.Value{"webhook_url": cty.StringVal(hook).Mark(config.Sensitive)}
	if sec != "" {
		s["secret"] = cty.StringVal(sec).Mark(config.Sensitive)
	}
	for k, v := range extra {
		s[k] = v
	}
	c, err := a.Open(context.Background(), platform.OpenRequest{Name: "group", Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(platform.Performer)
}

func msg(key, text string) platform.PerformRequest {
	return platform.PerformRequest{Action: platform.ActionChannelMessage, Key: key, Community: "explorers", Channel: "general", Text: text}
}

func TestConformance(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Platform {
		f := newFake(t)
		hook := f.add("tok", secret, "")
		a := dingtalk.New()
		return platformtest.Platform{
			Open: func(t *testing.T) platform.Conn {
				return open(t, a, hook, secret, map[string]cty.Value{"channel": cty.StringVal("general")}).(platform.Conn)
			},
			Community: func(*testing.T, platform.Conn) string { return "explorers" },
			Channel:   func(*testing.T, platform.Conn, string) string { return "general" },
		}
	})
}

func TestSign(t *testing.T) {
	// The documented recipe: HMAC-SHA256 keyed with the secret over
	// timestamp + "\n" + secret, base64 (URL encoding happens in the query).
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("1577262236757\n" + secret))
	if got, want := dingtalk.Sign(secret, 1577262236757), base64.StdEncoding.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("Sign = %s; want %s", got, want)
	}
}

func TestTextAndMarkdown(t *testing.T) {
	f := newFake(t)
	hook := f.add("tok", secret, "")
	c := open(t, dingtalk.New(), hook, secret, nil)
	if r, err := c.Perform(context.Background(), msg("k1", "欢迎 Ann 加入！")); err != nil || r.Duplicate {
		t.Fatalf("%+v %v", r, err)
	}
	if r, err := c.Perform(context.Background(), msg("k1", "欢迎 Ann 加入！")); err != nil || !r.Duplicate {
		t.Errorf("repeat: %+v %v", r, err)
	}
	md := open(t, dingtalk.New(), hook, secret, map[string]cty.Value{"msgtype": cty.StringVal("markdown")})
	if _, err := md.Perform(context.Background(), msg("k2", "## 本周活动\n周五晚上 8 点分享会")); err != nil {
		t.Fatal(err)
	}
	got := f.messages("tok")
	if len(got) != 2 {
		t.Fatalf("%d messages; want 2", len(got))
	}
	if txt := got[0]["text"].(map[string]any)["content"]; got[0]["msgtype"] != "text" || txt != "欢迎 Ann 加入！" {
		t.Errorf("text message %v", got[0])
	}
	if m := got[1]["markdown"].(map[string]any); got[1]["msgtype"] != "markdown" || m["title"] != "本周活动" || m["text"] != "## 本周活动\n周五晚上 8 点分享会" {
		t.Errorf("markdown message %v", got[1])
	}
	_, err := c.Perform(context.Background(), platform.PerformRequest{Action: platform.ActionKick, Key: "k3", Community: "explorers", Member: "m"})
	if !errors.Is(err, platform.ErrUnsupported) {
		t.Errorf("kick: %v", err)
	}
}

func TestErrors(t *testing.T) {
	f := newFake(t)
	good := f.add("a1b2c3d4", secret, "")
	kw := f.add("tok-kw", "", "通知")
	for _, tc := range []struct {
		name, hook, secret string
		is                 error
	}{
		{"wrong secret", good, "SECwrong", nil},
		{"unsigned", good, "", nil},
		{"unknown token", f.srv.URL + "/robot/send?access_token=nope", secret, nil},
		{"keyword", kw, "", nil},
	} {
		c := open(t, dingtalk.New(), tc.hook, tc.secret, nil)
		_, err := c.Perform(context.Background(), msg("k", "hello"))
		if !platform.IsPermanent(err) {
			t.Errorf("%s: %v; want permanent", tc.name, err)
		}
		if err != nil && (strings.Contains(err.Error(), "a1b2c3d4") || strings.Contains(err.Error(), "nope") || strings.Contains(err.Error(), secret)) {
			t.Errorf("%s: error shows the credential: %v", tc.name, err)
		}
	}
	if _, err := open(t, dingtalk.New(), kw, "", nil).Perform(context.Background(), msg("k", "通知：周五分享会")); err != nil {
		t.Errorf("with the keyword: %v", err)
	}
	if _, err := dingtalk.New().Open(context.Background(), platform.OpenRequest{Settings: map[string]cty.Value{"webhook_url": cty.StringVal("https://oapi.dingtalk.com/robot/send")}}); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("webhook_url without access_token: %v", err)
	}
}

// TestRateLimit: 20 a minute go through; the 21st waits in hearth
// without reaching DingTalk; a second sender on the same robot that does
// not know about the first gets DingTalk's 130101, mapped to a ten-minute
// RateLimitError.
func TestRateLimit(t *testing.T) {
	f := newFake(t)
	hook := f.add("tok", secret, "")
	at := time.Now()
	f.now = func() time.Time { return at }
	c := open(t, &dingtalk.Adapter{Now: func() time.Time { return at }}, hook, secret, nil)
	for i := range 20 {
		if _, err := c.Perform(context.Background(), msg(fmt.Sprint("k", i), "m")); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	_, err := c.Perform(context.Background(), msg("k20", "m"))
	var rl *platform.RateLimitError
	if !errors.As(err, &rl) || rl.After != time.Minute {
		t.Fatalf("21st: %v; want a RateLimitError of a minute", err)
	}
	if f.requests != 20 {
		t.Errorf("%d requests reached DingTalk; want 20", f.requests)
	}
	other := open(t, &dingtalk.Adapter{Now: func() time.Time { return at }}, hook, secret, nil)
	_, err = other.Perform(context.Background(), msg("x", "m"))
	if !errors.As(err, &rl) || rl.After != dingtalk.Throttle || !strings.Contains(err.Error(), "130101") {
		t.Fatalf("over the limit at DingTalk: %v; want 130101 as a ten-minute RateLimitError", err)
	}
	at = at.Add(time.Minute)
	if _, err := c.Perform(context.Background(), msg("k20", "m")); !errors.As(err, &rl) {
		t.Errorf("still throttled by DingTalk: %v", err)
	}
	at = at.Add(dingtalk.Throttle)
	if _, err := c.Perform(context.Background(), msg("k20", "m")); err != nil {
		t.Errorf("after the throttle: %v", err)
	}
}

func TestTitle(t *testing.T) {
	for in, want := range map[string]string{
		"## 本周活动\n正文":                       "本周活动",
		"\n\n**欢迎** [Ann](https://x.cn) 加入": "欢迎 Ann 加入",
		"> 引用 *重要* ~~旧~~":                   "引用 重要 旧",
		"![logo](https://x.cn/a.png) 公告":    "logo 公告",
		"<font color=red>注意</font> `code`":  "注意 code",
		"Hi [x]\u2060(https://evil)":        "Hi [x]\u2060(https://evil)", // a member's, quoted: as written
		"**":                                "**",
		"plain_snake_case title":            "plain_snake_case title",
	} {
		if got := dingtalk.Title(in); got != want {
			t.Errorf("Title(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestTooLong: the request body may be at most 20000 bytes; 7000 CJK
// characters are 21000 and are refused without a request, in text and
// markdown alike, and the spec's limit says the same.
func TestTooLong(t *testing.T) {
	f := newFake(t)
	hook := f.add("tok", secret, "")
	long := strings.Repeat("欢", 7000)
	for _, mt := range []string{"text", "markdown"} {
		c := open(t, dingtalk.New(), hook, secret, map[string]cty.Value{"msgtype": cty.StringVal(mt)})
		if _, err := c.Perform(context.Background(), msg("k-"+mt, long)); !errors.Is(err, platform.ErrInvalid) || !strings.Contains(err.Error(), "20000") {
			t.Errorf("%s: %v; want ErrInvalid naming the 20000-byte limit", mt, err)
		}
		l := dingtalk.Spec().TextLimit("channel", map[string]cty.Value{"msgtype": cty.StringVal(mt)})
		if l.Check(long) == nil || l.Check(strings.Repeat("欢", 6000)) != nil {
			t.Errorf("%s: spec limit %+v does not match the adapter's", mt, l)
		}
	}
	if f.requests != 0 {
		t.Errorf("%d requests reached DingTalk; want 0", f.requests)
	}
}

func TestLongTitleCut(t *testing.T) {
	if got := dingtalk.Title(strings.Repeat("长", 100)); len([]rune(got)) != 64 || !strings.HasSuffix(got, "…") {
		t.Errorf("Title of 100 characters = %q; want 64 ending in …", got)
	}
}

// member.mention is @userId in the text, with the userId in
// at.atUserIds so DingTalk notifies the member; a name with an @ in it
// notifies no one, as it is in no at list.
func TestMention(t *testing.T) {
	f := newFake(t)
	hook := f.add("tok", secret, "")
	c := open(t, dingtalk.New(), hook, secret, nil)
	m := mentiontest.Render(t, dingtalk.Spec(), nil, "channel", "manager7", "Ann @boss", "欢迎 ${member.mention}（${member.name}）加入！")
	req := msg("k1", m.Text)
	req.Mentions = m.Mentions
	if _, err := c.Perform(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := f.messages("tok")
	if len(got) != 1 {
		t.Fatalf("%d messages; want 1", len(got))
	}
	if txt := got[0]["text"].(map[string]any)["content"]; txt != "欢迎 @manager7（Ann @boss）加入！" {
		t.Errorf("text %q", txt)
	}
	if at, _ := json.Marshal(got[0]["at"]); string(at) != `{"atUserIds":["manager7"]}` {
		t.Errorf("at %s; want the member's userId", at)
	}
	// No at list without a mention; an id no userId is made of, the name.
	if _, err := c.Perform(context.Background(), msg("k2", "hi")); err != nil {
		t.Fatal(err)
	}
	if got := f.messages("tok"); got[1]["at"] != nil {
		t.Errorf("at %v in a message that mentions no one", got[1]["at"])
	}
	if m := dingtalk.Mention(config.MentionOf{ID: "a b", Name: "Ann"}); m.Marked || m.Text != "" {
		t.Errorf("Mention of no userId: %+v", m)
	}
}
