package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/discourse"
	"github.com/hearth-community/hearth/adapters/discourse/discoursetest"
)

// TestDiscourseForum runs a forum configuration against the fake
// Discourse end to end: apply makes the categories and the group, a second
// plan finds nothing to change, and `hearth run` takes signed webhooks of
// a sign-up and a reply and grants the forum's badge for the first post
// through POST /user_badges.json.
func TestDiscourseForum(t *testing.T) {
	f := discoursetest.New(t)
	f.Badge("First Post")
	dir := t.TempDir()
	hookAddr := freeAddr(t)
	src := `
hearth {
  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

variable "discourse_api_key" {
  type      = string
  sensitive = true
}

variable "discourse_webhook_secret" {
  type      = string
  sensitive = true
}

platform "discourse" "forum" {
  url            = "` + f.URL + `"
  api_key        = var.discourse_api_key
  webhook_secret = var.discourse_webhook_secret
  community      = "makers"
  events_listen  = "` + hookAddr + `"
}

community "makers" {
  title    = "Makers"
  platform = platform.discourse.forum

  channel "general" {
    topic = "Anything about making"
    color = "#E45735"
  }
  channel "help" {
    category = "Support"
    private  = true
  }
  role "regulars" {
    title = "Regular makers"
  }
}

badge "first_post" {
  title    = "First Post"
  platform = platform.discourse.forum
}

incentive "first_post" {
  on   = "message.posted"
  once = true
  grant {
    points = 5
    badge  = badge.first_post
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	const secret = "test-webhook-secret"
	env := map[string]string{"HEARTH_VAR_discourse_api_key": f.APIKey, "HEARTH_VAR_discourse_webhook_secret": secret}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	if c := run(context.Background(), []string{"apply", "-auto-approve", dir}, s); c != 0 {
		t.Fatalf("apply: exit %d\n%s%s", c, out.String(), errb.String())
	}
	if all := out.String() + errb.String(); strings.Contains(all, f.APIKey) || strings.Contains(all, secret) {
		t.Errorf("apply output shows a secret:\n%s", all)
	}
	if n := f.Calls("POST /categories.json"); n != 3 {
		t.Errorf("apply made %d categories; want general, help and its parent Support", n)
	}
	if n := f.Calls("POST /admin/groups.json"); n != 1 {
		t.Errorf("apply made %d groups; want 1", n)
	}
	out.Reset()
	errb.Reset()
	if c := run(context.Background(), []string{"plan", "-detailed-exitcode", dir}, s); c != 0 {
		t.Errorf("plan after apply: exit %d; want 0 (no changes)\n%s%s", c, out.String(), errb.String())
	}

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out.Reset()
	errb.Reset()
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, dir}, s) }()

	ann := f.AddUser("Ann")
	general := ""
	for _, line := range strings.Split(stateShow(t, dir, s, "community.makers.channel.general"), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "id" {
			general = f[1]
		}
	}
	if _, err := f.Post(general, ann, "My first build: a tiny CNC plotter."); err != nil {
		t.Fatalf("post in %q: %v", general, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, h := range f.Webhooks() {
		for {
			req, _ := http.NewRequest(http.MethodPost, "http://"+hookAddr+discourse.DefaultWebhookPath, bytes.NewReader(h.Body))
			req.Header.Set("X-Discourse-Event", h.Event)
			req.Header.Set("X-Discourse-Event-Type", h.Type)
			req.Header.Set("X-Discourse-Event-Id", strconv.Itoa(h.ID))
			req.Header.Set("X-Discourse-Event-Signature", "sha256="+hex.EncodeToString(discourse.Sign(secret, h.Body)))
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the webhook endpoint did not take %s: %v\n%s", h.Event, err, errb.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for !slices.Equal(f.Granted(ann), []string{"First Post"}) {
		if time.Now().After(deadline) {
			t.Fatalf("badges granted %v; want First Post\n%s", f.Granted(ann), errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A delivery signed with another secret (the forum's was rotated,
	// hearth's was not) is refused, and an operator sees it on /metrics
	// and in the log, not only in the forum's webhook page.
	forged := []byte(`{"user":{"id":99,"username":"eve"}}`)
	req, _ := http.NewRequest(http.MethodPost, "http://"+hookAddr+discourse.DefaultWebhookPath, bytes.NewReader(forged))
	req.Header.Set("X-Discourse-Event", "user_created")
	req.Header.Set("X-Discourse-Event-Type", "user")
	req.Header.Set("X-Discourse-Event-Id", "999")
	req.Header.Set("X-Discourse-Event-Signature", "sha256="+hex.EncodeToString(discourse.Sign("an-old-secret", forged)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a delivery signed with another secret: %d; want 401", resp.StatusCode)
	}
	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `hearth_requests_refused_total{reason="unverified"} 1` + "\n"; !strings.Contains(string(metrics), want) {
		t.Errorf("/metrics lacks %s", want)
	}
	if !strings.Contains(errb.String(), "request to a platform endpoint refused") || !strings.Contains(errb.String(), "platform.discourse.forum") {
		t.Errorf("the refusal is not logged with its platform:\n%s", errb.String())
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("run exit %d\n%s", c, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
}

// stateShow prints `hearth state show ADDR`.
func stateShow(t *testing.T, dir string, s *stdio, addr string) string {
	t.Helper()
	var out bytes.Buffer
	ls := &stdio{in: bytes.NewReader(nil), out: &out, err: s.err, lookupEnv: s.lookupEnv}
	if c := run(context.Background(), []string{"state", "show", addr, dir}, ls); c != 0 {
		t.Fatalf("state show: exit %d", c)
	}
	return out.String()
}

// TestDiscourseTrustLevelsOnForum plans and applies
// examples/discourse-trust-levels to the fake forum, as
// TestExamplesPlan does for the examples on platforms without a server:
// its roles are groups of their own, not Discourse's automatic
// trust_level_N groups, which the forum refuses to create. Then `hearth
// run` takes the figures a job of the forum's posts as events: a member
// who meets level 1 gets trust level 1 on the forum, unlocked, and a
// leader listed in locked gets level 4, locked.
func TestDiscourseTrustLevelsOnForum(t *testing.T) {
	f := discoursetest.New(t)
	dir := exampleCopy(t, "discourse-trust-levels", nil)
	env := map[string]string{"HEARTH_VAR_discourse_api_key": f.APIKey, "HEARTH_VAR_discourse_url": f.URL}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	if c := run(context.Background(), []string{"apply", "-auto-approve", dir}, s); c != 0 {
		t.Fatalf("apply: exit %d\n%s%s", c, out.String(), errb.String())
	}
	if strings.Contains(out.String()+errb.String(), f.APIKey) {
		t.Errorf("apply output shows the API key:\n%s%s", out.String(), errb.String())
	}
	if n := f.Calls("POST /admin/groups.json"); n != 4 {
		t.Errorf("apply made %d groups; want one per level, 4", n)
	}
	if n := f.Calls("POST /categories.json"); n != 3 {
		t.Errorf("apply made %d categories; want general, site-feedback and lounge", n)
	}
	out.Reset()
	errb.Reset()
	if c := run(context.Background(), []string{"plan", "-detailed-exitcode", dir}, s); c != 0 {
		t.Errorf("plan after apply: exit %d; want 0 (no changes)\n%s%s", c, out.String(), errb.String())
	}

	ann, alice := f.AddUser("Ann"), f.AddUser("Alice")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out.Reset()
	errb.Reset()
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, dir}, s) }()

	var events strings.Builder
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	n := 0
	add := func(member, forumID, typ string, times int) {
		for range times {
			n++
			fmt.Fprintf(&events, `{"id":"e%d","type":%q,"member":{"id":%q,"identities":{"discourse":%q}},"at":%q}`+"\n", n, typ, member, forumID, at)
		}
	}
	add("ann", ann, "topic.entered", 5)
	add("ann", ann, "post.read", 30)
	add("ann", ann, "reading.time", 10)
	add("alice", alice, "forum.visited", 1)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Post("http://"+addr+"/v1/events", "application/x-ndjson", strings.NewReader(events.String()))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the events API did not take the events: %v\n%s", err, errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	type level struct {
		level  int
		locked bool
	}
	for _, want := range []struct {
		who, id string
		level
	}{{"ann", ann, level{1, false}}, {"alice", alice, level{4, true}}} {
		for {
			l, locked := f.TrustLevel(want.id)
			if (level{l, locked}) == want.level {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s is at trust level %d (locked %v) on the forum; want %d (locked %v)\n%s", want.who, l, locked, want.level.level, want.locked, errb.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("run exit %d\n%s", c, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
}
