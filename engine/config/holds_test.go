package config_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
)

// holdsOptions are testOptions with a platform type that holds one
// community (as Slack and Discourse do) and one whose block posts in one
// channel (as the WeCom, Feishu and DingTalk robots do).
func holdsOptions() config.Options {
	opts := testOptions(nil)
	opts.Platforms = map[string]config.PlatformSpec{
		"local": local.Spec(),
		"one": {Type: "one", CommunitySetting: "community", Attrs: []config.Attr{
			{Name: "community", Kind: config.KindString},
		}},
		"bot": {Type: "bot", ChannelSetting: "channel", Attrs: []config.Attr{
			{Name: "channel", Kind: config.KindString},
		}},
	}
	return opts
}

// A setting naming the community or channel block a platform block
// holds must name one: a slip would pass validate and plan and fail at
// apply (the community cannot be created) or refuse every message.
func TestPlatformSettingNamesBlock(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // line:summary:text of each error, in order
	}{
		{"default name differs from the community", `
platform "one" "main" {}
community "oss_one" {
  title    = "O"
  platform = platform.one.main
}`, []string{`2:Community not held by its platform:no community "main" is on it`, `2:Community not held by its platform:add community = "oss_one" to it`}},
		{"explicit name with a typo", `
platform "one" "main" {
  community = "oss_on"
}
community "oss_one" {
  title    = "O"
  platform = platform.one.main
}`, []string{`3:Unknown community:there is no community "oss_on"`, `3:Unknown community:Did you mean "oss_one"?`}},
		{"explicit name far from any", `
platform "one" "main" {
  community = "nope"
}
community "oss_one" {
  title    = "O"
  platform = platform.one.main
}`, []string{`3:Unknown community:Community "oss_one" is on this block: write community = "oss_one".`}},
		{"a community of another block", `
platform "one" "main" {
  community = "other"
}
platform "local" "main" {}
community "oss_one" {
  title    = "O"
  platform = platform.one.main
}
community "other" {
  title    = "X"
  platform = platform.local.main
}`, []string{`3:Community on another platform:community "other" is on platform.local.main`}},
		{"a second community on the block", `
platform "one" "main" {
  community = "a"
}
community "a" {
  title    = "A"
  platform = platform.one.main
}
community "b" {
  title    = "B"
  platform = platform.one.main
}`, []string{`9:Second community on a one-community platform:community "b" cannot be on it too`}},
		{"named by default", `
platform "one" "main" {}
community "main" {
  title    = "M"
  platform = platform.one.main
}`, nil},
		{"no community on the block yet", `
platform "one" "main" {
  community = "later"
}`, nil},
		{"bot channel with a typo", `
platform "bot" "group" {
  channel = "anouncements"
}
community "c" {
  title    = "C"
  platform = platform.bot.group
  channel "announcements" {}
}`, []string{`3:Unknown channel:Did you mean "announcements"?`}},
		{"bot channel named by its title", `
platform "bot" "group" {
  channel = "公告"
}
community "c" {
  title    = "C"
  platform = platform.bot.group
  channel "announcements" {
    title = "公告"
  }
}`, []string{`3:Unknown channel:"公告" is the title of channel "announcements": the setting names the block (channel = "announcements").`}},
		{"bot channel of another community", `
platform "bot" "group" {
  channel = "general"
}
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.bot.group
  channel "announcements" {}
}
community "d" {
  title    = "D"
  platform = platform.local.main
  channel "general" {}
}`, []string{`3:Unknown channel:no community on this block has a channel "general"`, `3:Unknown channel:The channels are "announcements".`}},
		{"bot channel of a community on another block", `
platform "bot" "group" {
  channel = "general"
}
platform "local" "main" {}
community "d" {
  title    = "D"
  platform = platform.local.main
  channel "general" {}
}`, nil},
		{"bot without a channel setting", `
platform "bot" "group" {}
community "c" {
  title    = "C"
  platform = platform.bot.group
  channel "announcements" {}
}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := loadSrc(t, tc.src, holdsOptions())
			var got []string
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("no position: %s: %s", d.Summary, d.Detail)
					continue
				}
				got = append(got, d.Summary+": "+d.Detail)
			}
			if len(tc.want) == 0 && len(diags) > 0 {
				t.Fatalf("want no diagnostics, got %q", got)
			}
			for _, w := range tc.want {
				line, rest, _ := strings.Cut(w, ":")
				summary, text, _ := strings.Cut(rest, ":")
				found := false
				for _, d := range diags {
					if d.Summary == summary && strings.Contains(d.Detail, text) && d.Subject != nil && strconv.Itoa(d.Subject.Start.Line) == line {
						found = true
					}
				}
				if !found {
					t.Errorf("want %s, got %q", w, got)
				}
			}
		})
	}
}
