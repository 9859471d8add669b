package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/discord"
	"github.com/hearth-community/hearth/adapters/matrix"
	"github.com/hearth-community/hearth/adapters/slack"
	"github.com/hearth-community/hearth/adapters/telegram"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// A level-up announcement mentions the member as their platform writes
// a mention, by the id it knows them by, and names the tier by its
// title: "Congrats <@81234>, you reached Level 2!".
func TestLevelUpMentionsTheMemberWithTheTierTitle(t *testing.T) {
	for _, tc := range []struct {
		typ, settings, id, want string
		mentions                []state.Mention
	}{
		{"discord", `token = var.token`, "81234", "Congrats <@81234>, you reached Level 2 (Regular)!", nil},
		{"slack", "token     = var.token\n  team_id   = \"T1\"\n  community = \"c\"", "U0ANN", "Congrats <@U0ANN>, you reached Level 2 (Regular)!", nil},
		// The adapter makes the mention where the name is: a pill, a
		// text_mention.
		{"matrix", "homeserver   = \"https://matrix.example.org\"\n  access_token = var.token", "@ann:example.org", "Congrats Ann, you reached Level 2 (Regular)!",
			[]state.Mention{{ID: "@ann:example.org", Start: 9, End: 12}}},
		{"telegram", "token = var.token", "4242", "Congrats Ann, you reached Level 2 (Regular)!", []state.Mention{{ID: "4242", Start: 9, End: 12}}},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			src := `variable "token" {
  type      = string
  sensitive = true
  default   = "t"
}
platform "` + tc.typ + `" "main" {
  ` + tc.settings + `
}
community "c" {
  title    = "C"
  platform = platform.` + tc.typ + `.main
  channel "general" {}
}
tier "level1" {
  rank = 1
  when = "member.messages >= 1"
}
tier "level2" {
  rank        = 2
  title       = "Level 2"
  description = "Regular"
  when        = "member.messages >= 2"
}
template "levelup" {
  text = { en = "Congrats ${member.mention}, you reached ${tiers[event.to].title} (${tiers[event.to].description})!" }
}
campaign "announce" {
  enter_on   = "tier.changed"
  enter_when = "event.to == 'level2'"
  reentry    = "always"
  step "post" {
    send {
      channel  = "channel"
      target   = community.c.channel.general
      template = template.levelup
    }
  }
}
`
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"discord": discord.Spec(), "slack": slack.Spec(), "matrix": matrix.Spec(), "telegram": telegram.Spec()}})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			member := `{"id":"ann","name":"Ann","identities":{"` + tc.typ + `":"` + tc.id + `"}}`
			evs := `{"id":"m1","type":"message.posted","member":` + member + `,"at":"2026-01-01T09:00:00Z","attrs":{"channel":"general"}}
{"id":"m2","type":"message.posted","member":` + member + `,"at":"2026-01-01T10:00:00Z","attrs":{"channel":"general"}}
`
			sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(evs), simulate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out := sum.Store.(*state.Memory).Outbox()
			if len(out) != 1 || out[0].Text != tc.want {
				t.Fatalf("outbox %+v; want one message %q", out, tc.want)
			}
			if !reflect.DeepEqual(out[0].Mentions, tc.mentions) {
				t.Errorf("mentions %+v; want %+v", out[0].Mentions, tc.mentions)
			}
		})
	}
}
