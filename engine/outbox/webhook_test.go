package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/webhook"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// Webhook actions go out through the dispatcher: a 429 waits its
// Retry-After, a 400 is a dead letter with the receiver's message, and a
// platform that cannot list objects gets hearth's names for community
// and channel.
func TestPlatformSenderWebhook(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var bodies []string
	throttled := false
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.Contains(string(b), `"text":"bad"`):
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"member u9 has no phone number"}`)
		case strings.Contains(string(b), `"text":"busy"`) && !throttled:
			throttled = true
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			bodies = append(bodies, string(b))
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer recv.Close()
	dir := t.TempDir()
	src := `
variable "s" {
  type      = string
  sensitive = true
}
platform "webhook" "sms" {
  url    = "` + recv.URL + `"
  secret = var.s
}
community "club" {
  title    = "Club"
  platform = platform.webhook.sms
  channel "general" {}
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := platform.NewRegistry(webhook.New())
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: reg.Specs(), LookupEnv: func(k string) (string, bool) { return "top-secret", k == "HEARTH_VAR_s" }})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if v := cfg.Platforms[0].Settings["secret"]; !v.HasMark(config.Sensitive) || !v.Type().Equals(cty.String) {
		t.Fatalf("secret setting %#v is not a sensitive string", v)
	}
	store := state.NewMemory()
	b, _ := store.Begin(ctx)
	at := time.Now().Add(-time.Minute)
	_ = b.Enqueue([]state.Action{
		{Key: "k-hook", Kind: "send.webhook", Member: "u1", At: at, Platform: "platform.webhook.sms", Community: "club", Target: "u1", Text: "busy"},
		{Key: "k-ch", Kind: "send.channel", Member: "u1", At: at, Platform: "platform.webhook.sms", Community: "club", Target: "general", Text: "Say hi"},
		{Key: "k-bad", Kind: "send.webhook", Member: "u9", At: at, Platform: "platform.webhook.sms", Community: "club", Target: "u9", Text: "bad"},
	})
	_ = b.Commit()
	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
	defer sender.Close()
	now := time.Now()
	d := outbox.New(store, sender, outbox.Options{Now: func() time.Time { return now }})
	rep, err := d.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 1 || rep.Retried != 1 || rep.Dead != 1 {
		t.Fatalf("first round %+v; want 1 sent, 1 retried (429), 1 dead (400)", rep)
	}
	pending, _ := store.ListOutbox(ctx, state.OutboxPending, 10)
	if len(pending) != 1 || pending[0].Key != "k-hook" || pending[0].NextAt.Sub(now) < 30*time.Second {
		t.Errorf("pending %+v; want k-hook not before Retry-After (30s)", pending)
	}
	dead, _ := store.ListOutbox(ctx, state.OutboxDead, 10)
	if len(dead) != 1 || !strings.Contains(dead[0].LastError, "400") || !strings.Contains(dead[0].LastError, "no phone number") {
		t.Errorf("dead %+v; want the 400 with the receiver's message", dead)
	}
	now = now.Add(31 * time.Second)
	if rep, err := d.RunOnce(ctx); err != nil || rep.Sent != 1 {
		t.Fatalf("after Retry-After: %+v %v", rep, err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		`{"id":"k-ch","type":"hearth.action","action":"channel_message","community":"club","channel":"general","text":"Say hi"}`,
		`{"id":"k-hook","type":"hearth.action","action":"direct_message","community":"club","member":"u1","text":"busy"}`,
	}
	got := bodies
	if len(got) != 2 || !((got[0] == want[0] && got[1] == want[1]) || (got[0] == want[1] && got[1] == want[0])) {
		t.Errorf("deliveries\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A webhook URL held whole by a sensitive variable (a Slack or Feishu
// incoming webhook) stays out of the outbox and the log when the
// receiver's error echoes only its path, or the path and query
// JSON-escaped: the adapter's error (post.StatusError with the body's
// snippet) is redacted before it is stored as last_error.
func TestWebhookURLPartsRedacted(t *testing.T) {
	ctx := context.Background()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		if strings.Contains(string(b), `"text":"escaped"`) {
			q, _ := json.Marshal(r.URL.RequestURI())
			_, _ = fmt.Fprintf(w, `{"detail":"bad signature for %s"}`, strings.ReplaceAll(strings.Trim(string(q), `"`), "/", `\/`))
			return
		}
		_, _ = fmt.Fprintf(w, `{"message":"invalid token path=%s"}`, r.URL.Path)
	}))
	defer recv.Close()
	hookURL := recv.URL + "/services/T0AB/B0CD/URLSEKRETpart?x=1&sig=SIGSEKRET"
	dir := t.TempDir()
	src := `
variable "hook_url" {
  type      = string
  sensitive = true
}
variable "s" {
  type      = string
  sensitive = true
}
platform "webhook" "crm" {
  url    = var.hook_url
  secret = var.s
}
community "club" {
  title    = "Club"
  platform = platform.webhook.crm
  channel "general" {}
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := platform.NewRegistry(webhook.New())
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: reg.Specs(), LookupEnv: func(k string) (string, bool) {
		v, ok := map[string]string{"HEARTH_VAR_hook_url": hookURL, "HEARTH_VAR_s": "top-secret"}[k]
		return v, ok
	}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	store := state.NewMemory()
	b, _ := store.Begin(ctx)
	at := time.Now().Add(-time.Minute)
	_ = b.Enqueue([]state.Action{
		{Key: "k-path", Kind: "send.webhook", Member: "u1", At: at, Platform: "platform.webhook.crm", Community: "club", Target: "u1", Text: "path"},
		{Key: "k-escaped", Kind: "send.webhook", Member: "u2", At: at, Platform: "platform.webhook.crm", Community: "club", Target: "u2", Text: "escaped"},
	})
	_ = b.Commit()
	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
	defer sender.Close()
	var logs bytes.Buffer
	d := outbox.New(store, sender, outbox.Options{Log: slog.New(slog.NewTextHandler(&logs, nil)), Redact: cfg.Redactor().Redact})
	if rep, err := d.RunOnce(ctx); err != nil || rep.Dead != 2 {
		t.Fatalf("%+v %v; want both actions dead (401)", rep, err)
	}
	dead, _ := store.ListOutbox(ctx, state.OutboxDead, 10)
	want := map[string]string{
		"k-path":    `webhook answered 401 Unauthorized: {"message":"invalid token path=(sensitive)"}`,
		"k-escaped": `webhook answered 401 Unauthorized: {"detail":"bad signature for (sensitive)"}`,
	}
	for _, e := range dead {
		if e.LastError != want[e.Key] {
			t.Errorf("%s: last error\n%q\nwant\n%q", e.Key, e.LastError, want[e.Key])
		}
	}
	if len(dead) != 2 {
		t.Errorf("dead %+v; want 2", dead)
	}
	for _, leak := range []string{"SEKRET", "T0AB/B0CD"} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("the log shows %q:\n%s", leak, logs.String())
		}
	}
}
