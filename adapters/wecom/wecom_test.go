package wecom_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/internal/mentiontest"
	"github.com/hearth-community/hearth/adapters/wecom"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/platform/platformtest"
)

const robotKey = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

func settings(f *fakeWeCom, extra map[string]cty.Value) map[string]cty.Value {
	s := map[string]cty.Value{
		"api_base":    cty.StringVal(f.srv.URL),
		"robot_key":   cty.StringVal(robotKey).Mark(config.Sensitive),
		"corp_id":     cty.StringVal(f.corpID),
		"corp_secret": cty.StringVal(f.secret).Mark(config.Sensitive),
		"agent_id":    cty.NumberIntVal(int64(f.agentID)),
	}
	for k, v := range extra {
		if v == cty.NilVal {
			delete(s, k)
			continue
		}
		s[k] = v
	}
	return s
}

func open(t *testing.T, a *wecom.Adapter, s map[string]cty.Value) platform.Performer {
	t.Helper()
	c, err := a.Open(context.Background(), platform.OpenRequest{Name: "corp", Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(platform.Performer)
}

func TestConformance(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Platform {
		f := newFake(t)
		f.robots[robotKey] = nil
		a := wecom.New()
		return platformtest.Platform{
			Open: func(t *testing.T) platform.Conn {
				return open(t, a, settings(f, map[string]cty.Value{"channel": cty.StringVal("general")})).(platform.Conn)
			},
			Community: func(*testing.T, platform.Conn) string { return "explorers" },
			Channel:   func(*testing.T, platform.Conn, string) string { return "general" },
			AddMember: func(_ *testing.T, _ platform.Conn, _, name string) string {
				f.mu.Lock()
				defer f.mu.Unlock()
				id := strings.ToLower(name)
				f.users[id] = true
				return id
			},
		}
	})
}

func TestRobotMessages(t *testing.T) {
	f := newFake(t)
	f.robots[robotKey] = nil
	c := open(t, wecom.New(), settings(f, map[string]cty.Value{"msgtype": cty.StringVal("markdown")}))
	req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k1", Community: "c", Channel: "announcements", Text: "**欢迎** Ann 加入社区"}
	if r, err := c.Perform(context.Background(), req); err != nil || r.Duplicate {
		t.Fatalf("%+v %v", r, err)
	}
	if r, err := c.Perform(context.Background(), req); err != nil || !r.Duplicate {
		t.Errorf("repeat: %+v %v", r, err)
	}
	got := f.robotMsgs[robotKey]
	if len(got) != 1 || got[0]["msgtype"] != "markdown" || got[0]["markdown"].(map[string]any)["content"] != "**欢迎** Ann 加入社区" {
		t.Errorf("robot got %v", got)
	}
	long := req
	long.Key, long.Text = "k2", strings.Repeat("长", 1400) // 4200 bytes
	if _, err := c.Perform(context.Background(), long); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("too long: %v", err)
	}
	wrong := open(t, wecom.New(), settings(f, map[string]cty.Value{"robot_key": cty.StringVal("nope-key").Mark(config.Sensitive)}))
	_, err := wrong.Perform(context.Background(), platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k3", Community: "c", Channel: "x", Text: "hi"})
	if !platform.IsPermanent(err) || !strings.Contains(err.Error(), "93000") || strings.Contains(err.Error(), "nope-key") {
		t.Errorf("wrong key: %v; want permanent 93000 without the key", err)
	}
}

func TestRobotRateLimit(t *testing.T) {
	f := newFake(t)
	f.robots[robotKey] = nil
	at := time.Now()
	f.now = func() time.Time { return at }
	c := open(t, &wecom.Adapter{Now: func() time.Time { return at }}, settings(f, nil))
	send := func(c platform.Performer, key string) error {
		_, err := c.Perform(context.Background(), platform.PerformRequest{Action: platform.ActionChannelMessage, Key: key, Community: "c", Channel: "x", Text: "m"})
		return err
	}
	for i := range 20 {
		if err := send(c, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	var rl *platform.RateLimitError
	if err := send(c, "20"); !errors.As(err, &rl) || rl.After != time.Minute {
		t.Errorf("21st: %v; want a RateLimitError of a minute", err)
	}
	if f.calls["webhook/send"] != 20 {
		t.Errorf("%d robot calls reached WeCom; want 20", f.calls["webhook/send"])
	}
	if err := send(open(t, wecom.New(), settings(f, nil)), "other"); !errors.As(err, &rl) || !strings.Contains(err.Error(), "45009") {
		t.Errorf("WeCom's own limit: %v; want 45009 as a RateLimitError", err)
	}
}

func TestApplicationMessages(t *testing.T) {
	f := newFake(t)
	f.users["zhangsan"] = true
	at := time.Now()
	f.now = func() time.Time { return at }
	a := &wecom.Adapter{Now: func() time.Time { return at }}
	c := open(t, a, settings(f, map[string]cty.Value{"robot_key": cty.NilVal}))
	dm := func(c platform.Performer, key, to string) (platform.PerformResponse, error) {
		return c.Perform(context.Background(), platform.PerformRequest{Action: platform.ActionDirectMessage, Key: key, Community: "c", Member: to, Text: "欢迎加入，张三！"})
	}
	r, err := dm(c, "k1", "zhangsan")
	if err != nil || r.ID != "msg-1" {
		t.Fatalf("%+v %v", r, err)
	}
	// The token is cached and shared by Conns of the same application.
	if _, err := dm(open(t, a, settings(f, nil)), "k2", "zhangsan"); err != nil {
		t.Fatal(err)
	}
	if f.calls["gettoken"] != 1 {
		t.Errorf("gettoken called %d times; want 1", f.calls["gettoken"])
	}
	// WeCom expires it early (42001): renewed once, and the message goes.
	f.expireTokens()
	if _, err := dm(c, "k3", "zhangsan"); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if f.calls["gettoken"] != 2 || len(f.dms) != 3 {
		t.Errorf("gettoken %d times, %d messages; want 2 and 3", f.calls["gettoken"], len(f.dms))
	}
	// A token WeCom no longer knows (40014) is renewed as well.
	f.mu.Lock()
	f.tokens = map[string]time.Time{}
	f.mu.Unlock()
	if _, err := dm(c, "k4", "zhangsan"); err != nil {
		t.Fatalf("after an invalid token: %v", err)
	}
	// Near the end of its life the token is renewed before use.
	at = at.Add(2 * time.Hour)
	if _, err := dm(c, "k5", "zhangsan"); err != nil || f.calls["gettoken"] != 4 {
		t.Errorf("after two hours: %v, gettoken %d times; want 4", err, f.calls["gettoken"])
	}
	if got := f.dms[0]; got["touser"] != "zhangsan" || got["agentid"] != float64(1000002) || got["msgtype"] != "text" {
		t.Errorf("request %v", got)
	}
	if _, err := dm(c, "k6", "nobody"); !errors.Is(err, platform.ErrNotFound) || !strings.Contains(err.Error(), "81013") {
		t.Errorf("unknown member: %v; want ErrNotFound from 81013", err)
	}
	if _, err := dm(c, "k7", "a|b"); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("two members: %v", err)
	}
	bad := open(t, wecom.New(), settings(f, map[string]cty.Value{"corp_secret": cty.StringVal("wrong").Mark(config.Sensitive)}))
	if _, err := dm(bad, "k8", "zhangsan"); !platform.IsPermanent(err) || !strings.Contains(err.Error(), "40001") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong secret: %v; want permanent 40001 without the secret", err)
	}
	robotOnly := open(t, wecom.New(), map[string]cty.Value{"api_base": cty.StringVal(f.srv.URL), "robot_key": cty.StringVal(robotKey)})
	if _, err := dm(robotOnly, "k9", "zhangsan"); !errors.Is(err, platform.ErrUnsupported) {
		t.Errorf("without an application: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	for name, s := range map[string]map[string]cty.Value{
		"nothing":         {},
		"half an app":     {"corp_id": cty.StringVal("ww1")},
		"bad msgtype":     {"robot_key": cty.StringVal("k"), "msgtype": cty.StringVal("card")},
		"bad api_base":    {"robot_key": cty.StringVal("k"), "api_base": cty.StringVal("qyapi")},
		"agent not int":   {"corp_id": cty.StringVal("ww1"), "corp_secret": cty.StringVal("s"), "agent_id": cty.NumberFloatVal(1.5)},
		"timeout garbage": {"robot_key": cty.StringVal("k"), "timeout": cty.StringVal("later")},
	} {
		if _, err := wecom.New().Open(context.Background(), platform.OpenRequest{Settings: s}); !errors.Is(err, platform.ErrInvalid) {
			t.Errorf("%s: %v; want ErrInvalid", name, err)
		}
	}
}

// TestDuplicateCheck: with duplicate_check, a resend with a new key (a
// crash lost the record of the first) is dropped by WeCom itself.
func TestDuplicateCheck(t *testing.T) {
	f := newFake(t)
	f.users["zhangsan"] = true
	c := open(t, wecom.New(), settings(f, map[string]cty.Value{"duplicate_check": cty.StringVal("30m0s")}))
	for _, key := range []string{"k1", "k1-after-crash"} {
		if _, err := c.Perform(context.Background(), platform.PerformRequest{Action: platform.ActionDirectMessage, Key: key, Community: "c", Member: "zhangsan", Text: "欢迎！"}); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.dms) != 1 || f.dms[0]["duplicate_check_interval"] != float64(1800) || f.dms[0]["enable_duplicate_check"] != float64(1) {
		t.Errorf("messages %v; want one, asking for a 1800 s duplicate check", f.dms)
	}
	if _, err := wecom.New().Open(context.Background(), platform.OpenRequest{Settings: settings(f, map[string]cty.Value{"duplicate_check": cty.StringVal("5h0m0s")})}); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("5h: %v; want ErrInvalid (at most 4h)", err)
	}
}

// TestTextLimits: CJK text counts 3 bytes a character, so 700 characters
// (2100 bytes) are over a text message's 2048 and within markdown's 4096;
// the spec gives validate and simulate the same limits.
func TestTextLimits(t *testing.T) {
	f := newFake(t)
	f.robots[robotKey] = nil
	f.users["zhangsan"] = true
	long := strings.Repeat("欢", 700)
	send := func(s map[string]cty.Value, action platform.Action, key string) error {
		req := platform.PerformRequest{Action: action, Key: key, Community: "c", Channel: "x", Text: long}
		if action == platform.ActionDirectMessage {
			req.Channel, req.Member = "", "zhangsan"
		}
		_, err := open(t, wecom.New(), s).Perform(context.Background(), req)
		return err
	}
	if err := send(settings(f, nil), platform.ActionChannelMessage, "k1"); !errors.Is(err, platform.ErrInvalid) || !strings.Contains(err.Error(), "2100 bytes") {
		t.Errorf("robot text: %v; want ErrInvalid saying 2100 bytes", err)
	}
	if err := send(settings(f, nil), platform.ActionDirectMessage, "k2"); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("application text: %v; want ErrInvalid", err)
	}
	md := settings(f, map[string]cty.Value{"msgtype": cty.StringVal("markdown")})
	if err := send(md, platform.ActionChannelMessage, "k3"); err != nil {
		t.Errorf("robot markdown: %v", err)
	}
	spec := wecom.Spec()
	for _, tc := range []struct {
		kind string
		s    map[string]cty.Value
		want int
	}{{"channel", nil, wecom.MaxText}, {"channel", md, wecom.MaxMarkdown}, {"dm", md, wecom.MaxText}, {"email", nil, 0}} {
		if got := spec.TextLimit(tc.kind, tc.s).Bytes; got != tc.want {
			t.Errorf("spec limit for %s: %d; want %d", tc.kind, got, tc.want)
		}
	}
	if !spec.DirectMarkup {
		t.Error("application text messages render <a href>: DirectMarkup must be set so templates quote members' values")
	}
}

// member.mention: <@userid> in a markdown robot message; in a text one
// the name, with the userid in mentioned_list; in a direct message the
// name. A name that looks like a mention stays text.
func TestMention(t *testing.T) {
	f := newFake(t)
	f.robots[robotKey] = nil
	name := "Ann <@boss> [x](u)"
	for i, tc := range []struct {
		msgtype, text string
		list          any
	}{
		{"markdown", "欢迎 <@zhangsan>（Ann <\u2060@boss> [x]\u2060(u)）", nil},
		{"text", "欢迎 Ann <@boss> [x](u)（Ann <@boss> [x](u)）", []any{"zhangsan"}},
	} {
		s := map[string]cty.Value{"msgtype": cty.StringVal(tc.msgtype)}
		m := mentiontest.Render(t, wecom.Spec(), s, "channel", "zhangsan", name, "欢迎 ${member.mention}（${member.name}）")
		if m.Text != tc.text {
			t.Errorf("%s: text %q; want %q", tc.msgtype, m.Text, tc.text)
		}
		c := open(t, wecom.New(), settings(f, s))
		req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k" + tc.msgtype, Community: "c", Channel: "announcements", Text: m.Text, Mentions: m.Mentions}
		if _, err := c.Perform(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		got := f.robotMsgs[robotKey][i][tc.msgtype].(map[string]any)
		if list := got["mentioned_list"]; fmt.Sprint(list) != fmt.Sprint(tc.list) {
			t.Errorf("%s: mentioned_list %v; want %v", tc.msgtype, list, tc.list)
		}
	}
	if m := mentiontest.Render(t, wecom.Spec(), nil, "dm", "zhangsan", "Ann", "Hi ${member.mention}"); m.Text != "Hi Ann" || len(m.Mentions) != 0 {
		t.Errorf("direct message: %+v; want the name", m)
	}
	if m := wecom.Mention(config.MentionOf{ID: "@all", Kind: "channel"}); m.Text != "" || m.Marked {
		t.Errorf("Mention of @all: %+v; want the name", m)
	}
}
