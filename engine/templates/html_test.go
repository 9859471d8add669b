package templates

import (
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/rules"
)

// An email's HTML part quotes names and attributes members chose; they
// go in as text, so a member cannot put a link or a form into mail sent
// in the community's name. The operator's own markup, and the plain
// text part, are untouched.
func TestHTMLEscapesMemberValues(t *testing.T) {
	cfg, tpl := loadTemplate(t, `
locals {
  footer = "<p>Unsubscribe <a href=\"https://example.org/u\">here</a></p>"
}
template "t" {
  text = {
    en = "Hi ${member.name} (${event.city})"
  }
  html = {
    en = "<p>Hi <b>${member.name}</b> from ${event.city}, ${member.attrs.bio}, ${upper(member.name)}</p>${local.footer}"
  }
}`)
	name := `<a href="https://evil.example/login">verify your account</a>`
	m := &rules.Member{Name: name, Attrs: map[string]any{"bio": "Tom & Jerry's <script>"}}
	msg, err := New(cfg).Render(tpl, m, map[string]any{"city": "<img src=x onerror=alert(1)>"}, nil, time.Time{}, Plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<a href=\"https://evil", "<img", "<script>", "<A HREF"} {
		if strings.Contains(msg.HTML, bad) {
			t.Errorf("HTML holds %q: %s", bad, msg.HTML)
		}
	}
	for _, want := range []string{"<b>&lt;a href=&#34;https://evil.example/login&#34;&gt;verify your account&lt;/a&gt;</b>", "Tom &amp; Jerry&#39;s &lt;script&gt;", `<a href="https://example.org/u">here</a>`} {
		if !strings.Contains(msg.HTML, want) {
			t.Errorf("HTML lacks %q: %s", want, msg.HTML)
		}
	}
	if want := "Hi " + name + " (<img src=x onerror=alert(1)>)"; msg.Text != want {
		t.Errorf("text %q, want %q verbatim", msg.Text, want)
	}
}
