package config_test

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/adapters/wecom"
	"github.com/hearth-community/hearth/engine/config"
)

// A template whose own text is already over the limit of the platform
// its campaign sends it through is a warning at validate: every send of
// it would fail. CJK characters count 3 bytes, so 1400 of them (4200
// bytes) are over a WeCom robot's markdown limit of 4096, and 700 over
// its text limit of 2048; what values put in is not counted.
func TestTemplateOverPlatformLimit(t *testing.T) {
	opts := config.Options{Platforms: map[string]config.PlatformSpec{"wecom": wecom.Spec(), "local": local.Spec()}}
	src := func(msgtype string, chars int) string {
		return `
platform "wecom" "corp" {
  robot_key = "k"
  msgtype   = "` + msgtype + `"
}
community "c" {
  title    = "C"
  platform = platform.wecom.corp
  channel "general" {}
}
template "news" {
  default_locale = "zh-CN"
  text = { zh-CN = "${member.name}` + strings.Repeat("新", chars) + `" }
}
campaign "welcome" {
  enter_on = "member.joined"
  step "hi" {
    send {
      channel  = "channel"
      target   = community.c.channel.general
      template = template.news
    }
  }
}
`
	}
	for _, tc := range []struct {
		msgtype string
		chars   int
		warn    bool
	}{
		{"markdown", 1400, true},
		{"markdown", 1300, false},
		{"text", 700, true},
		{"text", 600, false},
	} {
		_, diags := loadSrc(t, src(tc.msgtype, tc.chars), opts)
		if diags.HasErrors() {
			t.Fatal(describe(diags))
		}
		var got []*hcl.Diagnostic
		for _, d := range diags {
			if d.Summary == "Template too long for its platform" {
				got = append(got, d)
			}
		}
		if warned := len(got) > 0; warned != tc.warn {
			t.Errorf("%s, %d characters: warned %v; want %v (%s)", tc.msgtype, tc.chars, warned, tc.warn, describe(diags))
			continue
		}
		if tc.warn && (got[0].Severity != hcl.DiagWarning || !strings.Contains(got[0].Detail, "at most") || !strings.Contains(got[0].Detail, `"news"`)) {
			t.Errorf("%s: %s: %s", tc.msgtype, got[0].Summary, got[0].Detail)
		}
	}
}
