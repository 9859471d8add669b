package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/dingtalk"
	"github.com/hearth-community/hearth/adapters/feishu"
	"github.com/hearth-community/hearth/adapters/wecom"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// A campaign's channel message through a robot that sends markdown
// quotes the member's name: a member named as a link or a WeCom mention
// gets no link and pings no one in the group. The same robot sending
// text, and a direct message, keep the name as written.
func TestMarkdownRobotsQuoteMemberNames(t *testing.T) {
	const name = "[free gift](https://evil.example) <@boss>"
	for _, tc := range []struct {
		platform, msgtype string
		quoted            bool
	}{
		{`platform "wecom" "corp" {
  robot_key = "k"
  msgtype   = "markdown"
}`, "wecom markdown", true},
		{`platform "wecom" "corp" {
  robot_key = "k"
}`, "wecom text", false},
		{`platform "dingtalk" "corp" {
  webhook_url = "https://oapi.dingtalk.com/robot/send?access_token=t"
  msgtype     = "markdown"
}`, "dingtalk markdown", true},
	} {
		t.Run(tc.msgtype, func(t *testing.T) {
			typ, _, _ := strings.Cut(tc.msgtype, " ")
			src := tc.platform + `
community "c" {
  title    = "C"
  platform = platform.` + typ + `.corp
  channel "general" {}
}
template "hi" {
  text = { en = "Welcome **${member.name}**, see [the rules](https://example.org/rules)" }
}
campaign "greet" {
  enter_on = "member.joined"
  step "hello" {
    send {
      channel  = "channel"
      target   = community.c.channel.general
      template = template.hi
    }
  }
}
`
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"wecom": wecom.Spec(), "dingtalk": dingtalk.Spec()}})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			join := `{"id":"j","type":"member.joined","member":{"id":"u","name":` + jsonString(name) + `},"at":"2026-01-01T09:00:00Z"}` + "\n"
			sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(join), simulate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out := sum.Store.(*state.Memory).Outbox()
			if len(out) != 1 || out[0].Kind != "send.channel" {
				t.Fatalf("outbox %+v", out)
			}
			text := out[0].Text
			if !strings.Contains(text, "[the rules](https://example.org/rules)") {
				t.Errorf("the template's own link is gone: %q", text)
			}
			if quoted := !strings.Contains(text, name); quoted != tc.quoted {
				t.Errorf("text %q; name quoted %v, want %v", text, quoted, tc.quoted)
			}
			if tc.quoted && (strings.Contains(text, "](https://evil") || strings.Contains(text, "<@boss")) {
				t.Errorf("the member's name makes a link or a mention: %q", text)
			}
		})
	}
}

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// simulateOne loads src with the Chinese platforms' specs and simulates
// one member joining, named name.
func simulateOne(t *testing.T, src, name string) *simulate.Summary {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"wecom": wecom.Spec(), "dingtalk": dingtalk.Spec(), "feishu": feishu.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	join := `{"id":"j","type":"member.joined","member":{"id":"u","name":` + jsonString(name) + `},"at":"2026-01-01T09:00:00Z"}` + "\n"
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(join), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func sendCampaign(platform, typ, channel, text string) string {
	target := ""
	if channel == "channel" {
		target = "target = community.c.channel.general"
	}
	return platform + `
community "c" {
  title    = "C"
  platform = platform.` + typ + `.corp
  channel "general" {}
}
template "hi" {
  text = { en = "` + text + `" }
}
campaign "greet" {
  enter_on = "member.joined"
  step "hello" {
    send {
      channel  = "` + channel + `"
      ` + target + `
      template = template.hi
    }
  }
}
`
}

const wecomApp = `platform "wecom" "corp" {
  robot_key   = "k"
  corp_id     = "ww1"
  corp_secret = "s"
  agent_id    = 1000002
}`

// A WeCom application's text messages render <a href>: a direct message
// quotes the member's name so it adds no link, while the template's own
// link stays.
func TestWeComDirectMessagesQuoteMemberValues(t *testing.T) {
	const name = `<a href="https://evil.example">prize</a>`
	sum := simulateOne(t, sendCampaign(wecomApp, "wecom", "dm", `Hi ${member.name}, see <a href=\"https://example.org\">rules</a>`), name)
	out := sum.Store.(*state.Memory).Outbox()
	if len(out) != 1 || out[0].Kind != "send.dm" {
		t.Fatalf("outbox %+v", out)
	}
	if text := out[0].Text; strings.Contains(text, name) || !strings.Contains(text, `<a href="https://example.org">rules</a>`) {
		t.Errorf("text %q: the member's link should be quoted, the template's kept", text)
	}
}

// On Feishu an <at> tag in a member's name mentions no one, while the
// template's own mention stays.
func TestFeishuMemberAtTagsQuoted(t *testing.T) {
	const name = `Ann<at user_id="ou_boss">Boss</at>`
	feishuBot := `platform "feishu" "corp" {
  webhook_url = "https://open.feishu.cn/open-apis/bot/v2/hook/t"
}`
	sum := simulateOne(t, sendCampaign(feishuBot, "feishu", "channel", `<at user_id=\"ou_host\">Host</at> welcomes ${member.name}`), name)
	out := sum.Store.(*state.Memory).Outbox()
	if len(out) != 1 {
		t.Fatalf("outbox %+v", out)
	}
	if want := `<at user_id="ou_host">Host</at> welcomes Ann＜at user_id="ou_boss">Boss</at>`; out[0].Text != want {
		t.Errorf("text %q; want %q", out[0].Text, want)
	}
}

// A message over its platform's limit, once rendered, is a send error in
// simulate (as in run), not a send: 1000 CJK characters of the template
// and a name of 500 more are 4500 bytes, over a WeCom robot markdown
// message's 4096.
func TestRenderedOverLimitIsSendError(t *testing.T) {
	md := `platform "wecom" "corp" {
  robot_key = "k"
  msgtype   = "markdown"
}`
	src := sendCampaign(md, "wecom", "channel", strings.Repeat("新", 1000)+"${member.name}")
	if sum := simulateOne(t, src, "Ann"); sum.SendErrors != 0 || len(sum.Store.(*state.Memory).Outbox()) != 1 {
		t.Fatalf("short name: %d send errors; want 0 and one send", sum.SendErrors)
	}
	sum := simulateOne(t, src, strings.Repeat("名", 500))
	if sum.SendErrors != 1 || len(sum.Store.(*state.Memory).Outbox()) != 0 {
		t.Errorf("long name: %d send errors, %d sends; want 1 and 0", sum.SendErrors, len(sum.Store.(*state.Memory).Outbox()))
	}
}
