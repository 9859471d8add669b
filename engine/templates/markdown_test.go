package templates

import (
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/rules"
)

// A markdown message (a WeCom or DingTalk robot's) quotes names and
// attributes members chose as text: a member cannot put a link, an image
// or a WeCom mention into a message the robot posts. The operator's own
// markdown stays, and a plain message is left verbatim.
func TestMarkdownQuotesMemberValues(t *testing.T) {
	cfg, tpl := loadTemplate(t, `
locals {
  rules = "[house rules](https://example.org/rules)"
}
template "t" {
  text = {
    en = "**Welcome ${member.name}** from ${event.city}: ${member.attrs.bio}. Read the ${local.rules}, <@ops>"
  }
}`)
	m := &rules.Member{Name: "[claim your prize](https://evil.example)", Attrs: map[string]any{"bio": "![x](https://track.example/p.png) <@boss>"}}
	ev := map[string]any{"city": "[a][1]\n[1]: https://evil.example"}
	r := New(cfg)
	msg, err := r.Render(tpl, m, ev, nil, time.Time{}, Markdown)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"](https://evil", "](https://track", "<@boss", "][1]", "[1]:"} {
		if strings.Contains(msg.Text, bad) {
			t.Errorf("markdown text holds %q: %q", bad, msg.Text)
		}
	}
	for _, want := range []string{"**Welcome [claim your prize]\u2060(https://evil.example)**", "[house rules](https://example.org/rules)", "<@ops>"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("markdown text lacks %q: %q", want, msg.Text)
		}
	}
	plain, err := r.Render(tpl, m, ev, nil, time.Time{}, Plain)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.Text, "\u2060") || !strings.Contains(plain.Text, m.Name) {
		t.Errorf("plain text %q; want the name verbatim", plain.Text)
	}
}

func TestMarkdownText(t *testing.T) {
	for in, want := range map[string]string{
		"Ann":           "Ann",
		"[x](u)":        "[x]\u2060(u)",
		"![i](u)":       "![i]\u2060(u)",
		"<@all> <font>": "<\u2060@all> <\u2060font>",
		"你好]":           "你好]\u2060",
	} {
		if got := MarkdownText(in); got != want {
			t.Errorf("MarkdownText(%q) = %q; want %q", in, got, want)
		}
	}
}
