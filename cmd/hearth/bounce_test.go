package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// bouncingRelay is a loopback SMTP relay that refuses one address for
// good (550 5.1.1, as a server answers a mailbox that does not exist)
// and takes every other; it counts the messages each address got and
// the times each was tried.
type bouncingRelay struct {
	port  int
	dead  string
	mu    sync.Mutex
	tried map[string]int
	got   map[string]int
}

func startBouncingRelay(t *testing.T, dead string) *bouncingRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	r := &bouncingRelay{port: ln.Addr().(*net.TCPAddr).Port, dead: dead, tried: map[string]int{}, got: map[string]int{}}
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

func (r *bouncingRelay) serve(c net.Conn) {
	defer c.Close()
	in := bufio.NewReader(c)
	say := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
	say("220 relay.test ESMTP")
	rcpt := ""
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return
		}
		switch verb := strings.ToUpper(strings.Fields(line + " x")[0]); verb {
		case "EHLO", "HELO":
			say("250 relay.test")
		case "RCPT":
			if i, j := strings.IndexByte(line, '<'), strings.IndexByte(line, '>'); i >= 0 && j > i {
				rcpt = strings.ToLower(line[i+1 : j])
			}
			r.mu.Lock()
			r.tried[rcpt]++
			r.mu.Unlock()
			if rcpt == r.dead {
				say("550 5.1.1 <" + rcpt + ">: no such user")
			} else {
				say("250 ok")
			}
		case "DATA":
			say("354 go on")
			for {
				l, err := in.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			r.mu.Lock()
			r.got[rcpt]++
			r.mu.Unlock()
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func (r *bouncingRelay) counts(addr string) (tried, got int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tried[addr], r.got[addr]
}

// A hard bounce is recorded on the member: hearth outbox send
// dead-letters Ada's invite with the server's reply (her address
// masked), records email.bounced, and the next invite to that address is
// not sent, while a transactional one still is tried; member show says
// so. A new address lifts it.
func TestOutboxSendRecordsHardBounce(t *testing.T) {
	relay := startBouncingRelay(t, "ada@example.org")
	dir := t.TempDir()
	cfg := fmt.Sprintf(`
platform "email" "news" {
  host     = "127.0.0.1"
  port     = %d
  security = "none"
  from     = "news@example.org"
}
template "invite" {
  subject = { en = "Meetup" }
  text    = { en = "Come along" }
}
template "receipt" {
  subject = { en = "Your RSVP" }
  text    = { en = "See you" }
}
campaign "invites" {
  enter_on = "member.joined"
  step "invite" {
    send {
      channel  = "email"
      template = template.invite
      platform = platform.email.news
    }
  }
}
campaign "again" {
  enter_on = "member.profile_updated"
  reentry  = "always"
  step "invite" {
    send {
      channel  = "email"
      template = template.invite
      platform = platform.email.news
    }
  }
  step "receipt" {
    send {
      channel       = "email"
      template      = template.receipt
      platform      = platform.email.news
      transactional = true
    }
  }
}
`, relay.port)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Add(-time.Hour)
	replay := func(name string, lines ...string) {
		t.Helper()
		file := filepath.Join(t.TempDir(), name+".jsonl")
		if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, out, errs := runCLI("replay", "-events", file, dir); code != 0 {
			t.Fatalf("replay %s: %d\n%s%s", name, code, out, errs)
		}
	}
	send := func() string {
		t.Helper()
		code, out, errs := runCLI("outbox", "send", dir)
		if code != 0 {
			t.Fatalf("outbox send: %d\n%s%s", code, out, errs)
		}
		return out
	}
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }

	replay("join", `{"id":"j1","type":"member.joined","member":{"id":"ada","identities":{"email":"ada@example.org"}},"at":"`+at(0)+`"}`)
	if out := send(); !strings.Contains(out, "dead 1") || !strings.Contains(out, "Hard bounces recorded on their members (email.bounced; no more email but transactional goes to those addresses): 1.") {
		t.Errorf("outbox send: %s; want one dead letter and one bounce recorded", out)
	}
	code, out, _ := runCLI("outbox", "list", "-json", dir)
	var page struct {
		Entries []struct {
			Status    string `json:"status"`
			LastError string `json:"last_error"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &page); code != 0 || err != nil || len(page.Entries) != 1 {
		t.Fatalf("outbox list -json: %d %v\n%s", code, err, out)
	}
	if e := page.Entries[0]; e.Status != "dead" || !strings.HasSuffix(e.LastError, "the server refused the recipient: 550 5.1.1 <***@example.org>: no such user") || strings.Contains(e.LastError, "ada@") {
		t.Errorf("dead letter %+v; want the server's reply in last_error, the address masked", e)
	}
	code, out, errs := runCLI("member", "show", "ada", dir)
	if code != 0 || !strings.Contains(out, "bounced at email.news (") || !strings.Contains(out, "550 5.1.1 <***@example.org>: no such user") {
		t.Errorf("member show: %d\n%s%s; want the bounce", code, out, errs)
	}
	code, out, _ = runCLI("member", "show", "-json", "ada", dir)
	var doc struct {
		Bounced map[string]struct{ Code, Reply string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.Bounced["email.news"].Code != "550 5.1.1" {
		t.Errorf("member show -json: %d %+v\n%s", code, doc, out)
	}

	// The next invite is not sent to the dead address; the
	// transactional receipt still is tried.
	replay("again", `{"id":"p1","type":"member.profile_updated","member":"ada","at":"`+at(time.Minute)+`"}`)
	send()
	if tried, _ := relay.counts("ada@example.org"); tried != 2 {
		t.Errorf("ada@example.org tried %d times; want 2: the first invite and the receipt, not the second invite", tried)
	}
	// Rules read the bounce, and campaign show gives it as the reason
	// of the skip, not "other".
	if code, out, errs := runCLI("member", "eval", "ada", `member.bounced && "email.news" in member.bounced_from`, dir); code != 0 || !strings.Contains(out, "\n  = true\n") {
		t.Errorf("member eval member.bounced: %d\n%s%s; want true", code, out, errs)
	}
	if code, out, errs := runCLI("campaign", "show", "again", dir); code != 0 || !strings.Contains(out, "Skipped: invite 1 bounced.") {
		t.Errorf("campaign show again: %d\n%s%s; want the invite skipped as bounced", code, out, errs)
	}

	// A new address lifts the bounce.
	replay("moved", `{"id":"p2","type":"member.profile_updated","member":{"id":"ada","identities":{"email":"ada@new.example"}},"at":"`+at(2*time.Minute)+`"}`)
	send()
	if _, got := relay.counts("ada@new.example"); got != 2 {
		t.Errorf("ada@new.example got %d emails; want the invite and the receipt", got)
	}
}
