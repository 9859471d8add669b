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
// POST her mail client sends marks her opted out and ends the series,
// once however often it comes.
func TestRunEmailUnsubscribe(t *testing.T) {
	const secret = "e2e-unsubscribe-secret"
	dir := t.TempDir()
	src := filepath.Join("..", "..", "examples", "email-campaign")
	files, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	env := func(k string) (string, bool) {
		if k == "HEARTH_VAR_unsubscribe_secret" {
			return secret, true
		}
		return "", false
	}
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: env}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, dir}, s) }()
	base := "http://" + addr
	waitReady(t, base, errb.String)
	do := func(method, u, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, u, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	type member struct {
		Attrs     map[string]any `json:"attrs"`
		Points    int            `json:"points"`
		Totals    map[string]int `json:"totals"`
		Campaigns map[string]struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"campaigns"`
	}
	ada := func() member {
		t.Helper()
		c, b := do(http.MethodGet, base+"/v1/members/ada", "")
		var m member
		if c != http.StatusOK || json.Unmarshal([]byte(b), &m) != nil {
			t.Fatalf("GET /v1/members/ada: %d %s", c, b)
		}
		return m
	}

	join := `{"id":"join-ada","type":"member.joined","member":{"id":"ada","name":"Ada","identities":{"email":"ada@example.org"}},"at":"` +
		time.Now().UTC().Format(time.RFC3339) + `"}`
	if c, b := do(http.MethodPost, base+"/v1/events", join); c != http.StatusAccepted {
		t.Fatalf("member.joined: %d %s", c, b)
	}
	if run := ada().Campaigns["welcome_series"]; run.Status != "active" {
		t.Fatalf("ada is not in the welcome series: %+v", ada())
	}

	// The link as the example's unsubscribe_url makes it, on this daemon.
	link := func(member, token string) string {
		return base + "/v1/inbound/email/news?" + url.Values{"member": {member}, "token": {token}}.Encode()
	}
	token := email.UnsubscribeToken(secret, "ada")
	if c, b := do(http.MethodGet, link("ada", token), ""); c != http.StatusOK || !strings.Contains(b, `<form method="post">`) {
		t.Errorf("GET of the link: %d %s", c, b)
	}
	if c, b := do(http.MethodPost, link("ada", email.UnsubscribeToken(secret, "bo")), "List-Unsubscribe=One-Click"); c != http.StatusForbidden {
		t.Errorf("someone else's token: %d %s", c, b)
	}
	if m := ada(); m.Campaigns["welcome_series"].Status != "active" || m.Attrs["email"] != nil {
		t.Fatalf("a GET or a refused POST unsubscribed ada: %+v", m)
	}

	for i := range 2 {
		if c, b := do(http.MethodPost, link("ada", token), "List-Unsubscribe=One-Click"); c != http.StatusOK || !strings.Contains(b, "Unsubscribed") {
			t.Fatalf("one-click POST %d: %d %s", i+1, c, b)
		}
	}
	m := ada()
	if run := m.Campaigns["welcome_series"]; m.Attrs["email"] != "opted_out" || run.Status != "done" || run.Reason != "exited" {
		t.Errorf("after unsubscribing: attrs %v, welcome_series %+v; want email = opted_out and the series ended by stop_when (exited), no goal", m.Attrs, run)
	}
	if n := m.Totals["email.unsubscribed"]; n != 1 {
		t.Errorf("email.unsubscribed applied %d times; want 1", n)
	}

	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d\n%s", c, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop")
	}
	if strings.Contains(errb.String(), secret) || strings.Contains(errb.String(), token) {
		t.Error("the secret or a token appears in the logs")
	}
}
