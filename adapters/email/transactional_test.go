package email_test

import (
	"bufio"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// relay is a loopback SMTP relay that takes every message and keeps it:
// the little of RFC 5321 a mail submission needs, enough to read the
// headers a message went out with, where mailpit would be a build away.
type relay struct {
	port int
	mu   sync.Mutex
	msgs []string
	// refuse are the replies given to RCPT TO for some addresses
	// ("550 5.1.1 <ann@example.org>: no such user"), as a mail server
	// refuses a mailbox that does not exist or is full.
	refuse map[string]string
}

// refuseRcpt makes the relay answer RCPT TO:<addr> with reply.
func (r *relay) refuseRcpt(addr, reply string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse == nil {
		r.refuse = map[string]string{}
	}
	r.refuse[strings.ToLower(addr)] = reply
}

func startRelay(t *testing.T) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	r := &relay{port: ln.Addr().(*net.TCPAddr).Port}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(c)
		}
	}()
	return r
}

func (r *relay) serve(c net.Conn) {
	defer c.Close()
	in := bufio.NewReader(c)
	say := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
	say("220 relay.test ESMTP")
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO", "HELO":
			say("250 relay.test")
		case "DATA":
			say("354 go on")
			var msg strings.Builder
			for {
				l, err := in.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(strings.TrimPrefix(l, "."))
			}
			r.mu.Lock()
			r.msgs = append(r.msgs, msg.String())
			r.mu.Unlock()
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		case "RCPT":
			addr := ""
			if i, j := strings.IndexByte(line, '<'), strings.IndexByte(line, '>'); i >= 0 && j > i {
				addr = strings.ToLower(line[i+1 : j])
			}
			r.mu.Lock()
			reply, refused := r.refuse[addr]
			r.mu.Unlock()
			if refused {
				say(reply)
			} else {
				say("250 ok")
			}
		default: // MAIL, RSET, NOOP
			say("250 ok")
		}
	}
}

// headers are the headers of the message the relay took with subject.
func (r *relay) headers(t *testing.T, subject string) mail.Header {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, raw := range r.msgs {
		m, err := mail.ReadMessage(strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if m.Header.Get("Subject") == subject {
			return m.Header
		}
	}
	t.Fatalf("the relay took no message %q (%d messages)", subject, len(r.msgs))
	return nil
}

// A transactional email (a receipt) goes to members who unsubscribed
// too, so it carries no List-Unsubscribe: the link would promise what
// it cannot do. Every other message carries it, one-click included.
func TestTransactionalHasNoListUnsubscribe(t *testing.T) {
	r := startRelay(t)
	c, err := email.New().Open(ctxBG, platform.OpenRequest{Name: "news", Settings: map[string]cty.Value{
		"host":               cty.StringVal("127.0.0.1"),
		"port":               cty.StringVal(strconv.Itoa(r.port)),
		"security":           cty.StringVal("none"),
		"from":               cty.StringVal("News <news@example.org>"),
		"unsubscribe_url":    cty.StringVal("https://hearth.example.org/v1/inbound/email/news?member={member}&token={token}"),
		"unsubscribe_mailto": cty.StringVal("leave@example.org"),
		"unsubscribe_secret": cty.StringVal(testSecret).Mark(config.Sensitive),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := c.(platform.Mailer)
	for _, req := range []platform.MailRequest{
		{Key: "k-news", To: "ada@example.org", Member: "ada", Subject: "News", Text: "What is new"},
		{Key: "k-receipt", To: "ada@example.org", Member: "ada", Subject: "Your receipt", Text: "Thanks", Transactional: true},
		{Key: "k-alert", To: "ops@example.org", Subject: "Alert: negative spike", Text: "Sentiment fell"},
	} {
		if _, err := m.Mail(ctxBG, req); err != nil {
			t.Fatalf("%s: %v", req.Key, err)
		}
	}
	news := r.headers(t, "News")
	if !strings.Contains(news.Get("List-Unsubscribe"), "token="+email.UnsubscribeToken(testSecret, "ada")) || news.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("a campaign email's List-Unsubscribe %q, List-Unsubscribe-Post %q", news.Get("List-Unsubscribe"), news.Get("List-Unsubscribe-Post"))
	}
	receipt := r.headers(t, "Your receipt")
	if v, p := receipt.Get("List-Unsubscribe"), receipt.Get("List-Unsubscribe-Post"); v != "" || p != "" {
		t.Errorf("a transactional email carries List-Unsubscribe %q, List-Unsubscribe-Post %q; want neither", v, p)
	}
	// An alert's notify goes to the operators, not to a member: a link
	// with an empty member would only be refused by the endpoint.
	alert := r.headers(t, "Alert: negative spike")
	if v, p := alert.Get("List-Unsubscribe"), alert.Get("List-Unsubscribe-Post"); v != "" || p != "" {
		t.Errorf("an email to no member carries List-Unsubscribe %q, List-Unsubscribe-Post %q; want neither", v, p)
	}
}
