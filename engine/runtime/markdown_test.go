package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/dingtalk"
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
