package email_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

var ctxBG = context.Background()

func TestSend(t *testing.T) {
	t.Parallel()
	mp := startMailpit(t, false)
	c := mp.open(t, mp.settings("starttls", map[string]cty.Value{
		"unsubscribe_url":    cty.StringVal("https://explorers.example/unsubscribe?member={member}&token={token}"),
		"unsubscribe_mailto": cty.StringVal("leave@explorers.example"),
		"unsubscribe_secret": cty.StringVal("s3cret").Mark(config.Sensitive),
		"list_id":            cty.StringVal("Explorers news <news.explorers.example>"),
	}))
	req := platform.MailRequest{Key: "campaign/onboarding/ann/1/1/hello", To: "ann@example.org", Member: "ann 1",
		Subject: "Welcome, Ann", Text: "Hello Ann,\nwelcome aboard.", HTML: "<p>Hello <b>Ann</b>, welcome aboard.</p>", Locale: "en"}
	resp, err := c.Mail(ctxBG, req)
	if err != nil {
		t.Fatalf("Mail: %v", err)
	}
	if want := email.MessageID(req.Key, "news@explorers.example"); resp.ID != want || resp.Duplicate {
		t.Errorf("response %+v; want id %s, not duplicate", resp, want)
	}
	msgs := mp.messages(t)
	if len(msgs) != 1 {
		t.Fatalf("mailpit has %d messages; want 1", len(msgs))
	}
	got := msgs[0]
	if got.Subject != "Welcome, Ann" || got.MessageID != resp.ID || len(got.To) != 1 || got.To[0].Address != "ann@example.org" ||
		got.From.Address != "news@explorers.example" || got.From.Name != "Explorers" {
		t.Errorf("arrived %+v", got)
	}
	var body struct{ Text, HTML string }
	mp.get(t, "/api/v1/message/"+got.ID, &body)
	if strings.TrimSpace(strings.ReplaceAll(body.Text, "\r\n", "\n")) != req.Text || strings.TrimSpace(body.HTML) != req.HTML {
		t.Errorf("parts: text %q, html %q", body.Text, body.HTML)
	}
	var headers map[string][]string
	mp.get(t, "/api/v1/message/"+got.ID+"/headers", &headers)
	token := email.UnsubscribeToken("s3cret", "ann 1")
	wantHeaders := map[string]string{
		"List-Unsubscribe":      "<https://explorers.example/unsubscribe?member=ann+1&token=" + token + ">, <mailto:leave@explorers.example?subject=unsubscribe%20ann%201>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"List-Id":               "Explorers news <news.explorers.example>",
		"Content-Language":      "en",
		"Message-Id":            "<" + resp.ID + ">",
	}
	for k, want := range wantHeaders {
		if v := headers[k]; len(v) != 1 || v[0] != want {
			t.Errorf("header %s = %q; want %q", k, v, want)
		}
	}
	// The link as it arrived works at the unsubscribe endpoint, for the
	// member the mail went to.
	if v := headers["List-Unsubscribe"]; len(v) == 1 {
		link, _, _ := strings.Cut(strings.TrimPrefix(v[0], "<"), ">")
		if evs := oneClick(t, c, link); len(evs) != 1 || evs[0].Member.ID != "ann 1" {
			t.Errorf("one-click POST to %s gave events %+v; want one for ann 1", link, evs)
		}
	}
	if ct := headers["Content-Type"]; len(ct) != 1 || !strings.HasPrefix(ct[0], "multipart/alternative") {
		t.Errorf("Content-Type %q; want multipart/alternative", ct)
	}

	// The same key again sends nothing; the same key for another
	// message is refused.
	again, err := c.Mail(ctxBG, req)
	if err != nil || !again.Duplicate || again.ID != resp.ID {
		t.Errorf("same key: %+v, %v; want Duplicate of %s", again, err, resp.ID)
	}
	other := req
	other.Subject = "Something else"
	if _, err := c.Mail(ctxBG, other); !errors.Is(err, platform.ErrKeyReused) {
		t.Errorf("same key, other subject: %v; want ErrKeyReused", err)
	}
	if n := len(mp.messages(t)); n != 1 {
		t.Errorf("after repeats mailpit has %d messages; want 1", n)
	}

	// A text-only template makes a text/plain message.
	if _, err := c.Mail(ctxBG, platform.MailRequest{Key: "k-text", To: "bob@example.org", Subject: "Plain", Text: "Just text"}); err != nil {
		t.Fatal(err)
	}
	for _, m := range mp.messages(t) {
		if m.Subject == "Plain" {
			var h map[string][]string
			mp.get(t, "/api/v1/message/"+m.ID+"/headers", &h)
			if ct := h["Content-Type"]; len(ct) != 1 || !strings.HasPrefix(ct[0], "text/plain") {
				t.Errorf("text-only Content-Type %q", ct)
			}
		}
	}
}

func TestImplicitTLS(t *testing.T) {
	t.Parallel()
	mp := startMailpit(t, true)
	c := mp.open(t, mp.settings("tls", nil))
	if _, err := c.Mail(ctxBG, platform.MailRequest{Key: "k1", To: "ann@example.org", Subject: "Over TLS", Text: "hi"}); err != nil {
		t.Fatalf("Mail over implicit TLS: %v", err)
	}
	if msgs := mp.messages(t); len(msgs) != 1 || msgs[0].Subject != "Over TLS" {
		t.Errorf("arrived %+v", msgs)
	}
	// STARTTLS against a server that speaks TLS from the first byte
	// fails, and is not a permanent verdict on the message.
	c2 := mp.open(t, mp.settings("starttls", map[string]cty.Value{"timeout": cty.StringVal("2s")}))
	_, err := c2.Mail(ctxBG, platform.MailRequest{Key: "k2", To: "ann@example.org", Subject: "x", Text: "x"})
	if err == nil || platform.IsPermanent(err) {
		t.Errorf("STARTTLS to an implicit TLS port: %v; want a temporary failure", err)
	}
}

// TestPlainLoopbackAuth: security = "none" is for a relay on loopback,
// which mostly offers only PLAIN and LOGIN without TLS; a username and
// password must work there (autodiscovery alone refused every message).
func TestPlainLoopbackAuth(t *testing.T) {
	t.Parallel()
	mp := startMailpitMode(t, "none")
	c := mp.open(t, mp.settings("none", nil))
	if _, err := c.Mail(ctxBG, platform.MailRequest{Key: "k1", To: "ann@example.org", Subject: "Local relay", Text: "hi"}); err != nil {
		t.Fatalf("Mail to a loopback relay with a password: %v", err)
	}
	if msgs := mp.messages(t); len(msgs) != 1 || msgs[0].Subject != "Local relay" {
		t.Errorf("arrived %+v", msgs)
	}
}

// TestFailures: the server's 4xx replies are temporary and 5xx
// permanent, so the outbox retries only what may pass.
func TestFailures(t *testing.T) {
	t.Parallel()
	mp := startMailpit(t, false)
	c := mp.open(t, mp.settings("starttls", nil))
	req := platform.MailRequest{Key: "k-chaos", To: "ann@example.org", Subject: "Hello", Text: "hi"}

	mp.chaos(t, 451)
	_, err := c.Mail(ctxBG, req)
	if cl, _ := platform.Classify(err); err == nil || cl != platform.ClassTemporary || !strings.Contains(err.Error(), "451") {
		t.Errorf("451 on RCPT: %v (%v); want a temporary failure naming 451", err, cl)
	}
	mp.chaos(t, 550)
	_, err = c.Mail(ctxBG, req)
	if !platform.IsPermanent(err) || !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("550 on RCPT: %v; want permanent ErrNotFound", err)
	}
	// The error goes to the log and the outbox: the member's address
	// is not in it, only its domain.
	if strings.Contains(err.Error(), "ann@") || !strings.Contains(err.Error(), "***@example.org") {
		t.Errorf("550 on RCPT: %q; want the recipient masked as ***@example.org", err)
	}
	mp.chaos(t, 552)
	_, err = c.Mail(ctxBG, req)
	if !platform.IsPermanent(err) || errors.Is(err, platform.ErrNotFound) {
		t.Errorf("552 on RCPT: %v; want permanent, not ErrNotFound", err)
	}
	if n := len(mp.messages(t)); n != 0 {
		t.Fatalf("refused sends delivered %d messages", n)
	}
	// Failures record no key: once the server takes mail again, the
	// same key goes out.
	mp.chaos(t, 0)
	resp, err := c.Mail(ctxBG, req)
	if err != nil || resp.Duplicate {
		t.Fatalf("after the failures: %+v, %v", resp, err)
	}
	if n := len(mp.messages(t)); n != 1 {
		t.Errorf("mailpit has %d messages; want 1", n)
	}

	// A wrong password is permanent and never shows in the error.
	bad := mp.open(t, mp.settings("starttls", map[string]cty.Value{"password": cty.StringVal("wrong-password-123").Mark(config.Sensitive)}))
	_, err = bad.Mail(ctxBG, platform.MailRequest{Key: "k-auth", To: "ann@example.org", Subject: "x", Text: "x"})
	if !platform.IsPermanent(err) || strings.Contains(err.Error(), "wrong-password-123") {
		t.Errorf("wrong password: %v; want a permanent failure without the password", err)
	}
	// Nothing listening: temporary.
	down := mp.open(t, mp.settings("starttls", map[string]cty.Value{"port": cty.NumberIntVal(1)}))
	_, err = down.Mail(ctxBG, platform.MailRequest{Key: "k-down", To: "ann@example.org", Subject: "x", Text: "x"})
	if err == nil || !platform.IsTemporary(err) {
		t.Errorf("server down: %v; want temporary", err)
	}
}
