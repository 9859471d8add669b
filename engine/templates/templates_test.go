package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/rules"
)

func loadTemplate(t *testing.T, src string) (*config.Config, *config.Template) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg, cfg.Templates[0]
}

func TestLocaleFallback(t *testing.T) {
	_, tpl := loadTemplate(t, `
template "t" {
  text = {
    en    = "Hello ${member.name}"
    zh-CN = "你好 ${member.name}"
    pt-BR = "Olá ${member.name}"
  }
}`)
	cases := map[string]string{"zh-CN": "zh-CN", "zh-TW": "zh-CN", "zh": "zh-CN", "pt-PT": "pt-BR", "de": "en", "": "en", "en-GB": "en"}
	for want, got := range cases {
		if l := Locale(tpl, want); l != got {
			t.Errorf("Locale(%q) = %q; want %q", want, l, got)
		}
	}
}

// Pick says how it came to the locale, for hearth template render's
// "why this locale" line.
func TestPickSaysHow(t *testing.T) {
	_, tpl := loadTemplate(t, `
template "t" {
  text = {
    en    = "Hello"
    zh    = "你好"
    pt-BR = "Olá"
  }
}`)
	for want, exp := range map[string]struct {
		loc string
		how Fallback
	}{
		"en": {"en", Exact}, "zh-TW": {"zh", Language}, "pt-PT": {"pt-BR", Sibling}, "de": {"en", Default}, "": {"en", Default},
	} {
		if loc, how := Pick(tpl, want); loc != exp.loc || how != exp.how {
			t.Errorf("Pick(%q) = %q, %d; want %q, %d", want, loc, how, exp.loc, exp.how)
		}
	}
}

func TestRender(t *testing.T) {
	cfg, tpl := loadTemplate(t, `
variable "site" {
  default = "example.org"
}
template "t" {
  text = {
    en = "Hi ${member.name}, you have ${member.points} points%{ if member.tier != "" } as ${member.tier}%{ endif }. ${var.site} ${event.channel}"
  }
  subject = {
    en = "Welcome ${upper(member.name)}"
  }
}`)
	_ = cfg
	r := New(cfg)
	msg, err := r.Render(tpl, &rules.Member{Name: "Ann", Points: 12, Tier: "core", Locale: "fr"}, map[string]any{"channel": "help"}, nil, Plain)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Text != "Hi Ann, you have 12 points as core. example.org help" || msg.Locale != "en" {
		t.Errorf("text %q locale %q", msg.Text, msg.Locale)
	}
	if msg.Subject != "Welcome ANN" {
		t.Errorf("subject %q", msg.Subject)
	}
	// A missing event attribute is a render error, not an empty string.
	if _, err := r.Render(tpl, &rules.Member{Name: "Ann"}, map[string]any{}, nil, Plain); err == nil || !strings.Contains(err.Error(), "channel") {
		t.Errorf("missing attribute: err = %v", err)
	}
}
