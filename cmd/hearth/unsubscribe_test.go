package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/email"
)

// TestRunEmailUnsubscribe runs `hearth run` on examples/email-campaign:
// Ada joins and enters the welcome series; opening her unsubscribe link
// only shows a confirm page, a forged link is refused, and the one-click
// POST her mail client sends records her unsubscribe and ends the series,
// once however often it comes.
func TestRunEmailUnsubscribe(t *testing.T) {
	const secret = "e2e-unsubscribe-secret"
	dir := exampleCopy(t, "email-campaign", nil)
	addr := freeAddr(t)
	code, errb, cancel := runUnsubscribable(t, addr, dir, secret)
	base := "http://" + addr
	waitReady(t, base, errb.String)
	type member struct {
		Unsubscribed map[string]time.Time `json:"unsubscribed"`
		Attrs        map[string]any       `json:"attrs"`
		Points       int                  `json:"points"`
		Totals       map[string]int       `json:"totals"`
		Campaigns    map[string]struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"campaigns"`
	}
	ada := func() member {
		t.Helper()
		c, b := formRequest(t, http.MethodGet, base+"/v1/members/ada", "")
		var m member
		if c != http.StatusOK || json.Unmarshal([]byte(b), &m) != nil {
			t.Fatalf("GET /v1/members/ada: %d %s", c, b)
		}
		return m
	}

	adaJoins(t, base)
	if run := ada().Campaigns["welcome_series"]; run.Status != "active" {
		t.Fatalf("ada is not in the welcome series: %+v", ada())
	}

	// The link as the example's unsubscribe_url makes it, on this daemon.
	link := func(member, token string) string {
		return base + "/v1/inbound/email/news?" + url.Values{"member": {member}, "token": {token}}.Encode()
	}
	token := email.UnsubscribeToken(secret, "ada")
	if c, b := formRequest(t, http.MethodGet, link("ada", token), ""); c != http.StatusOK || !strings.Contains(b, `<form method="post">`) {
		t.Errorf("GET of the link: %d %s", c, b)
	}
	if c, b := formRequest(t, http.MethodPost, link("ada", email.UnsubscribeToken(secret, "bo")), "List-Unsubscribe=One-Click"); c != http.StatusForbidden {
		t.Errorf("someone else's token: %d %s", c, b)
	}
	if m := ada(); m.Campaigns["welcome_series"].Status != "active" || m.Unsubscribed != nil {
		t.Fatalf("a GET or a refused POST unsubscribed ada: %+v", m)
	}

	for i := range 2 {
		if c, b := formRequest(t, http.MethodPost, link("ada", token), "List-Unsubscribe=One-Click"); c != http.StatusOK || !strings.Contains(b, "Unsubscribed") {
			t.Fatalf("one-click POST %d: %d %s", i+1, c, b)
		}
	}
	m := ada()
	if run := m.Campaigns["welcome_series"]; m.Unsubscribed["email.news"].IsZero() || len(m.Unsubscribed) != 1 || run.Status != "done" || run.Reason != "exited" {
		t.Errorf("after unsubscribing: unsubscribed %v, welcome_series %+v; want email.news and the series ended by stop_when (exited), no goal", m.Unsubscribed, run)
	}
	if n := m.Totals["email.unsubscribed"]; n != 1 {
		t.Errorf("email.unsubscribed applied %d times; want 1", n)
	}

	cancel()
	stoppedWith0(t, code, errb.String)
	if strings.Contains(errb.String(), secret) || strings.Contains(errb.String(), token) {
		t.Error("the secret or a token appears in the logs")
	}
}

// TestRunUnsubscribeSkipsQueuedEmail runs `hearth run` with a campaign
// that has no rule about unsubscribing: Ada joins, and a newsletter and a
// transactional receipt wait in the outbox for a relay that refuses
// them. Her one-click unsubscribe makes the dispatcher skip the
// newsletter, queued before it, with the reason; the receipt stays
// pending, to be retried.
func TestRunUnsubscribeSkipsQueuedEmail(t *testing.T) {
	const secret = "e2e-unsubscribe-secret"
	dir := t.TempDir()
	addr := freeAddr(t)
	base := "http://" + addr
	cfg := `
variable "unsubscribe_secret" {
  type      = string
  sensitive = true
}
platform "local" "main" {
  path = "platform.json"
}
platform "email" "news" {
  host               = "127.0.0.1"
  port               = 1 # nothing listens: every send is retried
  security           = "none"
  from               = "news@example.org"
  unsubscribe_url    = "` + base + `/v1/inbound/email/news?member={member}&token={token}"
  unsubscribe_secret = var.unsubscribe_secret
}
community "club" {
  title    = "Club"
  platform = platform.local.main
}
template "news" {
  subject = { en = "News" }
  text    = { en = "What is new" }
}
template "receipt" {
  subject = { en = "Your receipt" }
  text    = { en = "Thanks" }
}
campaign "shop" {
  enter_on = "member.joined"
  step "news" {
    send {
      channel  = "email"
      template = template.news
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
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, errb, cancel := runUnsubscribable(t, addr, dir, secret)
	waitReady(t, base, errb.String)
	type entry struct {
		Key, Step, Status string
		LastError         string `json:"last_error"`
		Attempts          int
	}
	outbox := func() map[string]entry {
		t.Helper()
		c, b := formRequest(t, http.MethodGet, base+"/v1/outbox?status=&limit=100", "")
		var page struct{ Entries []entry }
		if c != http.StatusOK || json.Unmarshal([]byte(b), &page) != nil {
			t.Fatalf("GET /v1/outbox: %d %s", c, b)
		}
		by := map[string]entry{}
		for _, e := range page.Entries {
			by[e.Step] = e
		}
		return by
	}
	wait := func(what string, ok func(map[string]entry) bool) map[string]entry {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			ob := outbox()
			if ok(ob) {
				return ob
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: outbox %+v", what, ob)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	adaJoins(t, base)
	// Both tried and refused by the relay: queued, waiting for a retry.
	wait("both emails tried once", func(ob map[string]entry) bool {
		return ob["news"].Status == "pending" && ob["news"].Attempts > 0 && ob["receipt"].Attempts > 0
	})

	link := base + "/v1/inbound/email/news?" + url.Values{"member": {"ada"}, "token": {email.UnsubscribeToken(secret, "ada")}}.Encode()
	if c, b := formRequest(t, http.MethodPost, link, "List-Unsubscribe=One-Click"); c != http.StatusOK {
		t.Fatalf("one-click POST: %d %s", c, b)
	}
	ob := wait("the newsletter skipped", func(ob map[string]entry) bool { return ob["news"].Status == "skipped" })
	if e := ob["news"]; e.LastError != "member unsubscribed from email.news before it was sent" {
		t.Errorf("newsletter skipped with %q; want the unsubscribe as the reason", e.LastError)
	}
	// The receipt is tried again after the unsubscribe, and not skipped.
	tries := ob["receipt"].Attempts
	ob = wait("the receipt tried again", func(ob map[string]entry) bool { return ob["receipt"].Attempts > tries })
	if e := ob["receipt"]; e.Status != "pending" {
		t.Errorf("transactional receipt %+v; want pending, retried", e)
	}

	cancel()
	stoppedWith0(t, code, errb.String)
}

// runUnsubscribable runs `hearth run` on dir at addr with secret as the
// unsubscribe secret, until the test ends or cancel; code gets its exit
// code, errb its log.
func runUnsubscribable(t *testing.T, addr, dir, secret string) (code chan int, errb *bytes.Buffer, cancel context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	errb = &bytes.Buffer{}
	env := func(k string) (string, bool) {
		if k == "HEARTH_VAR_unsubscribe_secret" {
			return secret, true
		}
		return "", false
	}
	s := &stdio{in: bytes.NewReader(nil), out: &bytes.Buffer{}, err: errb, lookupEnv: env}
	code = make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, dir}, s) }()
	return code, errb, cancel
}

// formRequest sends body, form-encoded when there is one, as a mail
// client's one-click unsubscribe does, and returns the status and body.
func formRequest(t *testing.T, method, u, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return doRequest(t, req)
}

// doRequest sends req and returns the status and the body.
func doRequest(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// adaJoins posts Ada, with an email address, joining now.
func adaJoins(t *testing.T, base string) {
	t.Helper()
	join := `{"id":"join-ada","type":"member.joined","member":{"id":"ada","name":"Ada","identities":{"email":"ada@example.org"}},"at":"` +
		time.Now().UTC().Format(time.RFC3339) + `"}`
	if c, b := formRequest(t, http.MethodPost, base+"/v1/events", join); c != http.StatusAccepted {
		t.Fatalf("member.joined: %d %s", c, b)
	}
}
