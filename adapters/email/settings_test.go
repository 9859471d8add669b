package email_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

func TestOpenSettings(t *testing.T) {
	base := func() map[string]cty.Value {
		return map[string]cty.Value{
			"host": cty.StringVal("smtp.example.org"),
			"from": cty.StringVal("News <news@example.org>"),
		}
	}
	for _, tc := range []struct {
		name string
		set  map[string]cty.Value
		want string // "" opens
	}{
		{"defaults", nil, ""},
		{"no host", map[string]cty.Value{"host": cty.StringVal(" ")}, "host is empty"},
		{"bad from", map[string]cty.Value{"from": cty.StringVal("news")}, "from \"news\" is not an address"},
		{"bad security", map[string]cty.Value{"security": cty.StringVal("ssl")}, "security must be"},
		{"plain text off loopback", map[string]cty.Value{"security": cty.StringVal("none")}, "only for a relay on loopback"},
		{"plain text on loopback", map[string]cty.Value{"security": cty.StringVal("none"), "host": cty.StringVal("127.0.0.1")}, ""},
		{"port", map[string]cty.Value{"port": cty.NumberIntVal(70000)}, "not a TCP port"},
		{"password without user", map[string]cty.Value{"password": cty.StringVal("hunter2").Mark(config.Sensitive)}, "username is not"},
		{"http unsubscribe", map[string]cty.Value{"unsubscribe_url": cty.StringVal("http://example.org/u")}, "must be an https:// link"},
		{"token without secret", map[string]cty.Value{"unsubscribe_url": cty.StringVal("https://example.org/u?t={token}")}, ""},
		{"mailto with name", map[string]cty.Value{"unsubscribe_mailto": cty.StringVal("Leave <leave@example.org>")}, "not a bare address"},
		{"timeout", map[string]cty.Value{"timeout": cty.StringVal("soon")}, "timeout"},
		{"ca file", map[string]cty.Value{"ca_file": cty.StringVal("missing.pem")}, "ca_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			for k, v := range tc.set {
				s[k] = v
			}
			c, err := email.New().Open(ctxBG, platform.OpenRequest{Name: "news", Settings: s, Dir: t.TempDir()})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, platform.ErrInvalid) {
				t.Fatalf("Open: %v; want ErrInvalid saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestMailChecks(t *testing.T) {
	c, err := email.New().Open(ctxBG, platform.OpenRequest{Name: "news", Settings: map[string]cty.Value{
		"host": cty.StringVal("127.0.0.1"), "port": cty.NumberIntVal(1), "security": cty.StringVal("none"),
		"from": cty.StringVal("news@example.org"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	m := c.(platform.Mailer)
	ok := platform.MailRequest{Key: "k", To: "ann@example.org", Subject: "Hi", Text: "Hello"}
	for _, tc := range []struct {
		name string
		edit func(*platform.MailRequest)
	}{
		{"no key", func(r *platform.MailRequest) { r.Key = "" }},
		{"no recipient", func(r *platform.MailRequest) { r.To = "" }},
		{"not an address", func(r *platform.MailRequest) { r.To = "ann" }},
		{"a name in the address", func(r *platform.MailRequest) { r.To = "Ann <ann@example.org>" }},
		{"no subject", func(r *platform.MailRequest) { r.Subject = "" }},
		{"header injection", func(r *platform.MailRequest) { r.Subject = "Hi\r\nBcc: all@example.org" }},
		{"no text", func(r *platform.MailRequest) { r.Text = " " }},
	} {
		req := ok
		tc.edit(&req)
		if _, err := m.Mail(ctxBG, req); !errors.Is(err, platform.ErrInvalid) || !platform.IsPermanent(err) {
			t.Errorf("%s: %v; want permanent ErrInvalid", tc.name, err)
		}
	}
	// Nothing listens on port 1: a temporary failure, not a verdict.
	if _, err := m.Mail(ctxBG, ok); err == nil || !platform.IsTemporary(err) {
		t.Errorf("unreachable server: %v; want temporary", err)
	}
	c.Close()
	if _, err := m.Mail(ctxBG, ok); err == nil {
		t.Error("Mail after Close succeeded")
	}
}

func TestMessageID(t *testing.T) {
	a := email.MessageID("campaign/x/ann/1/1/hello", "news@example.org")
	if a != email.MessageID("campaign/x/ann/1/1/hello", "news@example.org") || !strings.HasSuffix(a, "@example.org") {
		t.Errorf("MessageID %q is not stable or not in the sender's domain", a)
	}
	if a == email.MessageID("campaign/x/ann/1/2/hello", "news@example.org") {
		t.Error("two keys gave one Message-ID")
	}
}
