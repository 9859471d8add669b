package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	msg, err := r.Render(tpl, &rules.Member{Name: "Ann", Points: 12, Tier: "core", Locale: "fr"}, map[string]any{"channel": "help"}, nil, time.Time{}, Plain)
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
	if _, err := r.Render(tpl, &rules.Member{Name: "Ann"}, map[string]any{}, nil, time.Time{}, Plain); err == nil || !strings.Contains(err.Error(), "channel") {
		t.Errorf("missing attribute: err = %v", err)
	}
}

// A number computed in the configuration reads as written: HCL keeps
// 0.9 * 601 at 512 bits, 540.8999…9995 with 150 digits. So in a plain
// ${}, inside %{if} and %{for} directives and in a conditional's nested
// template; what members set is still quoted there.
func TestRenderShortNumbers(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"plain", `Read ${var.x * 0.9} posts, ${member.points * 0.9} more, ${var.x} in all.`, "Read 540.9 posts, 9.9 more, 601 in all."},
		{"if", `%{if member.points > 10}${var.x * 0.9}%{else}none%{endif}`, "540.9"},
		{"else", `%{if member.points > 100}many%{else}${member.points} of ${var.x * 0.9}%{endif}`, "11 of 540.9"},
		{"for over a list", `%{for n in [1.1, 2.2]}${n * 3} %{endfor}`, "3.3 6.6 "},
		{"for with keys", `%{for k, v in { a = 0.9, b = 0.001 }}${k}=${v * var.x};%{endfor}`, "a=540.9;b=0.601;"},
		{"if inside for", `%{for n in [601, 2]}%{if n > 100}${n * 0.9}%{endif}%{endfor}`, "540.9"},
		{"conditional's template", `${member.points > 10 ? "about ${var.x * 0.9 / 1000}" : "none"}`, "about 0.5409"},
		{"conditional's template amid text", `Hi, ${member.points > 10 ? "about ${var.x * 0.9 / 1000}" : "none"}.`, "Hi, about 0.5409."},
		{"quoted in a directive", `%{if true}${member.name} *${var.x * 0.9}*%{endif}`, "[x]\u2060(u) *540.9*"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, tpl := loadTemplate(t, `
variable "x" {
  default = 601
}
template "t" {
  text = {
    en = "`+tc.text+`"
  }
}`)
			msg, err := New(cfg).Render(tpl, &rules.Member{Name: "[x](u)", Points: 11}, nil, nil, time.Time{}, Markdown)
			if err != nil {
				t.Fatal(err)
			}
			if msg.Text != tc.want {
				t.Errorf("text %q, want %q", msg.Text, tc.want)
			}
		})
	}
}

// localdate shows a time on the member's clock: their zone, across a
// daylight-saving change, else the configuration's, and an unusable
// timestamp fails the message rather than sending a wrong time.
func TestLocalDateInTheMembersZone(t *testing.T) {
	cfg, tpl := loadTemplate(t, `
hearth {
  timezone = "Asia/Tokyo"
}
template "t" {
  text = { en = "${localdate("EEE D MMM, hh:mm", event.starts_at)} (${formatdate("hh:mm", event.starts_at)} UTC)" }
}`)
	r := New(cfg)
	for _, c := range []struct{ zone, at, want string }{
		{"Europe/Berlin", "2026-03-06T18:00:00Z", "Fri 6 Mar, 19:00 (18:00 UTC)"},
		{"Europe/Berlin", "2026-04-06T18:00:00Z", "Mon 6 Apr, 20:00 (18:00 UTC)"}, // summer time
		{"America/Los_Angeles", "2026-03-06T02:00:00Z", "Thu 5 Mar, 18:00 (02:00 UTC)"},
		{"", "2026-03-06T18:00:00Z", "Sat 7 Mar, 03:00 (18:00 UTC)"}, // the configuration's zone
		{"Not/AZone", "2026-03-06T18:00:00Z", "Sat 7 Mar, 03:00 (18:00 UTC)"},
	} {
		msg, err := r.Render(tpl, &rules.Member{ID: "u1", Timezone: c.zone}, map[string]any{"starts_at": c.at}, nil, time.Time{}, Plain)
		if err != nil || msg.Text != c.want {
			t.Errorf("zone %q, %s: %q, %v; want %q", c.zone, c.at, msg.Text, err, c.want)
		}
	}
	if _, err := r.Render(tpl, &rules.Member{ID: "u1"}, map[string]any{"starts_at": ""}, nil, time.Time{}, Plain); err == nil || !strings.Contains(err.Error(), "RFC 3339") {
		t.Errorf("an empty time rendered, err %v; want an error naming RFC 3339", err)
	}
}

// now is the time of the send, given to Render (the event time the
// step came due), so localdate shows it on the member's clock with no
// event at all, as an audience campaign's send has none.
func TestNowIsTheTimeOfTheSend(t *testing.T) {
	cfg, tpl := loadTemplate(t, `
template "t" {
  text = { en = "Sent ${localdate("EEE D MMM hh:mm", now)} your time (${now})" }
}`)
	r := New(cfg)
	at := time.Date(2026, 3, 6, 18, 0, 0, 0, time.FixedZone("x", 3600)) // 17:00 UTC
	for _, c := range []struct{ zone, want string }{
		{"Europe/Berlin", "Sent Fri 6 Mar 18:00 your time (2026-03-06T17:00:00Z)"},
		{"Asia/Tokyo", "Sent Sat 7 Mar 02:00 your time (2026-03-06T17:00:00Z)"},
	} {
		msg, err := r.Render(tpl, &rules.Member{ID: "u1", Timezone: c.zone}, nil, nil, at, Plain)
		if err != nil || msg.Text != c.want {
			t.Errorf("zone %s: %q, %v; want %q", c.zone, msg.Text, err, c.want)
		}
	}
}

// A template calling timestamp() (Terraform's) or now() is refused by
// validate with a hint at the variable now; now has no fields.
func TestNowHintForTimeFunctions(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{`${localdate("EEE D MMM hh:mm", timestamp())}`, `There is no function named "timestamp". A template reads the time of the send as the variable now`},
		{`${now()}`, `There is no function named "now". A template reads the time of the send as the variable now`},
		{`${now.day}`, "now is the time of the send, RFC 3339 text in UTC, and has no fields"},
	} {
		dir := t.TempDir()
		src := "template \"t\" {\n  text = { en = " + strconvQuote(c.text) + " }\n}\n"
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
		if !diags.HasErrors() || !strings.Contains(diags.Error(), c.want) {
			t.Errorf("%s: %v; want an error with %q", c.text, diags, c.want)
		}
	}
	// An unknown function that is not about time gets no such hint.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte("template \"t\" {\n  text = { en = \"${uper(member.name)}\" }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if !diags.HasErrors() || strings.Contains(diags.Error(), "variable now") {
		t.Errorf("uper(): %v; want an error without the hint at now", diags)
	}
}

// strconvQuote quotes s as an HCL template string: quotes inside its
// ${ } need no escaping.
func strconvQuote(s string) string { return `"` + s + `"` }

// A subject is one line whatever members put in their names: each run of
// line breaks and control characters is a space, and the ends are cut,
// so the mailer (which refuses a line break in a header) sends what
// render shows. The text keeps its lines, and the member's bounce
// reads in templates as in rules.
func TestSubjectIsOneLine(t *testing.T) {
	cfg, tpl := loadTemplate(t, `
template "t" {
  text    = { en = "Hi ${member.name}%{ if member.bounced } (bounced at ${join(", ", member.bounced_from)})%{ endif }" }
  subject = { en = <<-EOT
    Welcome ${member.name}
    EOT
  }
}`)
	r := New(cfg)
	name := "Ann\r\nBcc: all@example.org\x1b[2J\u2028x\t"
	msg, err := r.Render(tpl, &rules.Member{Name: name, Bounced: true, BouncedFrom: []string{"email.news"}}, nil, nil, time.Time{}, Plain)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Welcome Ann Bcc: all@example.org [2J x"; msg.Subject != want {
		t.Errorf("subject %q; want %q", msg.Subject, want)
	}
	if want := "Hi " + name + " (bounced at email.news)"; msg.Text != want {
		t.Errorf("text %q; want %q", msg.Text, want)
	}
	for in, want := range map[string]string{"": "", "Hello": "Hello", " Hello ": " Hello ", "\nHello\n": "Hello", "a\r\n\r\nb": "a b", "a\u0085b": "a b"} {
		if got := SubjectLine(in); got != want {
			t.Errorf("SubjectLine(%q) = %q; want %q", in, got, want)
		}
	}
}
