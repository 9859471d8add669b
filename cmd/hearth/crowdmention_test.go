package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const feishuCrowdSite = `variable "hook" {
  type      = string
  sensitive = true
  default   = ""
}

platform "feishu" "group" {
  webhook_url = var.hook
  channel     = "news"
%s}

community "c" {
  title    = "C"
  platform = platform.feishu.group
  channel "news" {}
}

campaign "hello" {
  enter_on = "member.joined"
  step "post" {
    send {
      channel  = "channel"
      target   = community.c.channel.news
      template = template.hello
    }
  }
}

template "hello" {
  text = {
    en = <<-EOT
      Welcome ${member.name}!
      <at user_id="all"></at> say hello.
    EOT
  }
}
`

// A template's own crowd mention sent through a platform whose
// mass_mentions is off is sent as text: validate says so at the line,
// naming the setting, on Feishu, Slack and Discord alike, and not once
// mass_mentions = true.
func TestValidateWarnsOfQuietCrowdMentions(t *testing.T) {
	feishu := func(settings string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(strings.Replace(feishuCrowdSite, "%s", settings, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	// Slack: the onboarding's nudge posted in a channel, with <!here>.
	slack := func(settings string) string {
		return exampleCopy(t, "slack-community", func(b []byte) []byte {
			s := strings.Replace(string(b), "anything we can help with?", "anything we can help with? <!here>", 1)
			return []byte(strings.Replace(s, "  events_listen  = var.slack_events_listen\n", "  events_listen  = var.slack_events_listen\n"+settings, 1))
		})
	}
	discord := func(settings string) string {
		return exampleCopy(t, "discord-community", func(b []byte) []byte {
			s := string(b)
			if strings.Contains(s, "template \"") {
				s = strings.Replace(s, "text = {\n    en = \"", "text = {\n    en = \"@everyone ", 1)
			}
			return []byte(strings.Replace(s, "platform \"discord\" \"main\" {\n", "platform \"discord\" \"main\" {\n"+settings, 1))
		})
	}
	for _, tc := range []struct {
		name  string
		site  func(string) string
		wants []string
	}{
		{"feishu", feishu, []string{`main.hcl line 33, column 7`, `<at user_id="all"></at>`, "through platform.feishu.group, whose mass_mentions is off", "Set mass_mentions = true in platform.feishu.group"}},
		{"slack", slack, []string{"onboarding.hcl line ", "mentions <!here>", "Set mass_mentions = true in platform.slack.makers"}},
		{"discord", discord, []string{"mentions @everyone", "mass_mentions = true in platform.discord."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCLI("validate", tc.site(""))
			if code != 0 || !strings.Contains(errs, "Warning: Crowd mention sent as text") {
				t.Fatalf("validate: %d, no warning\n%s", code, errs)
			}
			for _, w := range tc.wants {
				if !strings.Contains(errs, w) {
					t.Errorf("warning lacks %q:\n%s", w, errs)
				}
			}
			if _, _, errs := runCLI("validate", tc.site("  mass_mentions = true\n")); strings.Contains(errs, "Crowd mention") {
				t.Errorf("warned with mass_mentions = true:\n%s", errs)
			}
		})
	}
}
