package email_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/engine/platform"
)

func openRelay(t *testing.T, r *relay, extra map[string]cty.Value) platform.Mailer {
	t.Helper()
	s := map[string]cty.Value{
		"host":     cty.StringVal("127.0.0.1"),
		"port":     cty.StringVal(strconv.Itoa(r.port)),
		"security": cty.StringVal("none"),
		"from":     cty.StringVal("News <news@example.org>"),
	}
	for k, v := range extra {
		s[k] = v
	}
	c, err := email.New().Open(ctxBG, platform.OpenRequest{Name: "news", Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(platform.Mailer)
}

// A refused recipient's error keeps the server's reply, the address in
// it masked, so a dead letter says why.
func TestRefusalKeepsTheReply(t *testing.T) {
	r := startRelay(t)
	r.refuseRcpt("ann@example.org", "550 5.1.1 <Ann@example.org>: no such user")
	m := openRelay(t, r, nil)
	_, err := m.Mail(ctxBG, platform.MailRequest{Key: "k1", To: "ann@example.org", Member: "ann", Subject: "Hi", Text: "Hello"})
	if err == nil || !platform.IsPermanent(err) || !errors.Is(err, platform.ErrNotFound) {
		t.Fatalf("550: %v; want permanent ErrNotFound", err)
	}
	t.Logf("%v", err)
	if !strings.Contains(err.Error(), "550 5.1.1 <***@example.org>: no such user") {
		t.Errorf("the error %q does not quote the reply with the address masked", err)
	}
	if strings.Contains(strings.ToLower(err.Error()), "ann@") {
		t.Errorf("the error %q shows the address", err)
	}
	var b *platform.Bounce
	if !errors.As(err, &b) || b.Code != "550 5.1.1" || b.Reply != "550 5.1.1 <***@example.org>: no such user" {
		t.Errorf("the bounce in the error: %+v; want code 550 5.1.1 and the masked reply", b)
	}
}

// Only a refusal of the address for good (5.1.x, or 550/551/553 with no
// enhanced status) is a hard bounce; a full mailbox or a policy refusal
// may pass another day, and 4xx is retried.
func TestHardBounces(t *testing.T) {
	r := startRelay(t)
	m := openRelay(t, r, nil)
	for i, tc := range []struct {
		reply               string
		permanent, notFound bool
		bounced             bool
	}{
		{"550 5.1.1 no such user", true, true, true},
		{"553 5.1.3 bad address syntax", true, true, true},
		{"551 user not local", true, true, true},
		{"550 no such user here", true, true, true},
		{"550 5.7.1 rejected by policy", true, true, false},
		{"552 5.2.2 mailbox full", true, false, false},
		{"450 4.2.1 mailbox busy", false, false, false},
	} {
		addr := "user" + strconv.Itoa(i) + "@example.org"
		r.refuseRcpt(addr, tc.reply)
		_, err := m.Mail(ctxBG, platform.MailRequest{Key: "k-" + addr, To: addr, Member: "m", Subject: "Hi", Text: "Hello"})
		if err == nil {
			t.Fatalf("%s: sent", tc.reply)
		}
		if platform.IsPermanent(err) != tc.permanent || errors.Is(err, platform.ErrNotFound) != tc.notFound || errors.As(err, new(*platform.Bounce)) != tc.bounced {
			t.Errorf("%s: %v: permanent %v, not found %v, bounced %v; want %v, %v, %v", tc.reply, err,
				platform.IsPermanent(err), errors.Is(err, platform.ErrNotFound), errors.As(err, new(*platform.Bounce)),
				tc.permanent, tc.notFound, tc.bounced)
		}
		if !strings.Contains(err.Error(), tc.reply) {
			t.Errorf("the error %q does not quote the reply %q", err, tc.reply)
		}
		if !tc.permanent && !platform.IsTemporary(err) {
			t.Errorf("%s: %v; want temporary", tc.reply, err)
		}
	}
}

// Without unsubscribe_secret an unsubscribe_url with {token} cannot be
// signed: campaign email fails for good with why, while transactional
// email and email to no member, which carry no link, still go.
func TestUnsignedLinkOnlyStopsListEmail(t *testing.T) {
	r := startRelay(t)
	m := openRelay(t, r, map[string]cty.Value{
		"unsubscribe_url": cty.StringVal("https://hearth.example.org/v1/inbound/email/news?member={member}&token={token}"),
	})
	_, err := m.Mail(ctxBG, platform.MailRequest{Key: "k-news", To: "ada@example.org", Member: "ada", Subject: "News", Text: "What is new"})
	if !platform.IsPermanent(err) || !errors.Is(err, platform.ErrInvalid) || !strings.Contains(err.Error(), "unsubscribe_secret is empty") {
		t.Errorf("campaign email without the secret: %v; want a permanent ErrInvalid naming unsubscribe_secret", err)
	}
	for _, req := range []platform.MailRequest{
		{Key: "k-receipt", To: "ada@example.org", Member: "ada", Subject: "Your receipt", Text: "Thanks", Transactional: true},
		{Key: "k-alert", To: "ops@example.org", Subject: "Alert", Text: "Sentiment fell"},
	} {
		if _, err := m.Mail(ctxBG, req); err != nil {
			t.Errorf("%s: %v; want it sent", req.Key, err)
		}
	}
	if h := r.headers(t, "Your receipt"); h.Get("List-Unsubscribe") != "" {
		t.Errorf("the receipt carries List-Unsubscribe %q", h.Get("List-Unsubscribe"))
	}
}
