package daemon_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/adapters/webhook"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/platform"
)

// secretToken is distinctive so a search for it cannot match by chance.
const secretToken = "xoxb-2f6e-SECRET-4bd1-9c3a"

const chatPlatform = `
variable "chat_token" {
  sensitive = true
}
platform "chat" "ops" {
  token = var.chat_token
}
segment "posters" {
  community = community.c
  when      = "member.messages >= 1"
}
`

// hookToken is a token in a webhook URL's path; the receiver's error
// page echoes the path.
const hookToken = "hk-77e1-SECRET-0b5d"

// hookPlatform sends the welcome campaign's message to a webhook whose
// URL holds a sensitive token; RECEIVER is replaced by the receiver's URL.
const hookPlatform = `
variable "hook_token" {
  sensitive = true
}
variable "hook_secret" {
  sensitive = true
}
platform "webhook" "crm" {
  url    = "RECEIVER/hooks/${var.hook_token}/in"
  secret = var.hook_secret
}
campaign "welcome" {
  community = community.c
  enter_on  = "member.joined"
  step "hello" {
    send {
      channel  = "webhook"
      platform = platform.webhook.crm
      template = template.hello
    }
  }
}
template "hello" {
  text = {
    en = "Hello!"
  }
}
`

// syncBuffer is a log sink for several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// chatSpec is a platform with a credential, which the local platform has not.
func chatSpec() config.PlatformSpec {
	return config.PlatformSpec{Type: "chat", Doc: "A test platform with a token.",
		Attrs: []config.Attr{{Name: "token", Kind: config.KindSetting, Secret: true, Doc: "Bot token."}}}
}

// TestSecretsNeverServed fetches every answer the daemon gives, the
// dashboard's files included, with a sensitive variable used as a
// platform token, and looks for its value in each. A webhook whose URL
// holds another sensitive token fails against a receiver that echoes
// the path in its error page: the outbox's last error and the daemon's
// log must show "(sensitive)" in its place.
func TestSecretsNeverServed(t *testing.T) {
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html><body>No route for "+r.URL.Path+"</body></html>", http.StatusNotFound)
	}))
	defer recv.Close()
	reg, err := platform.NewRegistry(webhook.New())
	if err != nil {
		t.Fatal(err)
	}
	var running atomic.Pointer[daemon.Daemon]
	var logs syncBuffer
	env := map[string]string{config.EnvVarPrefix + "chat_token": secretToken, config.EnvVarPrefix + "hook_token": hookToken,
		config.EnvVarPrefix + "hook_secret": "hs-5ecret-value"}
	f := start(t, rulesA+chatPlatform+strings.ReplaceAll(hookPlatform, "RECEIVER", recv.URL), "", func(o *daemon.Options) {
		o.Load = config.Options{
			Platforms: map[string]config.PlatformSpec{"local": local.Spec(), "chat": chatSpec(), "webhook": webhook.Spec()},
			LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		}
		o.Log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.Sender = &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return running.Load().Snapshot().Config }}
		o.DeliverEvery = 20 * time.Millisecond
	})
	running.Store(f.d)
	if code, out := post(t, f, "/v1/events", events(0, 10), ""); code != http.StatusAccepted {
		t.Fatalf("post: %d %v", code, out)
	}
	joined := `{"id":"j1","type":"member.joined","member":"m1","at":"` + time.Now().UTC().Format(time.RFC3339) + `"}`
	if code, out := post(t, f, "/v1/events", joined, ""); code != http.StatusAccepted {
		t.Fatalf("post: %d %v", code, out)
	}
	var lastError string
	waitFor(t, func() bool {
		_, out := get(t, f, "/v1/outbox?status=dead")
		if es, _ := out["entries"].([]any); len(es) == 1 {
			lastError, _ = es[0].(map[string]any)["last_error"].(string)
		}
		return lastError != ""
	})
	// The URL setting is made from a sensitive variable, so the whole of
	// its path is taken for the secret, not only the token in it.
	if !strings.Contains(lastError, "No route for (sensitive)</body>") {
		t.Errorf("the dead letter's last error: %q; want the echoed path as (sensitive)", lastError)
	}
	if !strings.Contains(logs.String(), "No route for (sensitive)</body>") {
		t.Errorf("the dead letter is not logged with the token redacted:\n%s", logs.String())
	}
	// A failed reload whose error is about the secret: diagnostics must
	// quote the source, never the value.
	write(t, f.dir, "leak.hcl", `badge "leak" { description = var.chat_token }`+"\n")
	if code, out := post(t, f, "/v1/reload", "", ""); code != http.StatusUnprocessableEntity {
		t.Fatalf("reload with a broken file: %d %v", code, out)
	}
	if err := os.Remove(filepath.Join(f.dir, "leak.hcl")); err != nil {
		t.Fatal(err)
	}
	if code, out := post(t, f, "/v1/reload", "", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %v", code, out)
	}
	paths := []string{
		"/", "/dashboard/index.html", "/dashboard/app.js", "/dashboard/style.css",
		"/v1/status", "/v1/population", "/v1/timeseries", "/v1/outbox", "/v1/outbox?status=dead",
		"/v1/members/m1", "/v1/members/m1/why?rule=segment.posters", "/metrics", "/healthz", "/readyz",
	}
	for _, p := range paths {
		resp, err := http.Get(f.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d %s", p, resp.StatusCode, body)
		}
		if strings.Contains(string(body), secretToken) || strings.Contains(string(body), "SECRET-4bd1") || strings.Contains(string(body), "SECRET-0b5d") {
			t.Errorf("GET %s shows a sensitive value", p)
		}
	}
	failed := 0
	for _, r := range f.d.Reloads() {
		if !r.OK {
			failed++
		}
		for _, d := range r.Diagnostics.Diagnostics {
			text := d.Summary + d.Detail
			if d.Snippet != nil {
				text += d.Snippet.Code
			}
			if strings.Contains(text, secretToken) || strings.Contains(text, hookToken) {
				t.Errorf("a reload's diagnostics show the sensitive value: %s", d.Summary)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d failed reloads kept, want 1", failed)
	}
	// Whatever logs through the daemon's logger (platform adapters do)
	// is redacted too: messages, errors, groups and attributes given
	// with With.
	f.d.Log().With("url", recv.URL+"/hooks/"+hookToken+"/in").Warn("calling "+hookToken,
		"err", errors.New("GET /hooks/"+hookToken+": 404"), slog.Group("req", "path", "/hooks/"+hookToken), "n", 3)
	if strings.Contains(logs.String(), "SECRET") {
		t.Errorf("the daemon's log shows a sensitive value:\n%s", logs.String())
	}
	// The stored last error is redacted, not only the answers.
	data, err := os.ReadFile(f.db)
	if err == nil && bytes.Contains(data, []byte(hookToken)) {
		t.Error("the state store holds the webhook token")
	}
}

// TestPlainSecretsNotQuoted: a credential written in plain text in a
// file draws a warning, and the warning quotes the line that holds it.
// The daemon serves and logs its diagnostics, so they carry
// "(sensitive)" in its place: a platform credential, and the password
// of a state URL.
func TestPlainSecretsNotQuoted(t *testing.T) {
	const plainSecret, plainPassword = "whs-PLAIN-8c1d-secret", "pgpw-PLAIN-44e0"
	plain := `
platform "webhook" "crm" {
  url    = "https://crm.example/in"
  secret = "` + plainSecret + `"
}
`
	f := start(t, rulesA+plain, "", func(o *daemon.Options) {
		o.Load = config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec(), "webhook": webhook.Spec()}}
	})
	// The state block of a second file, added by a reload, names a URL
	// with a password (the daemon keeps its store: the reload only reads).
	write(t, f.dir, "state.hcl", `hearth {
  state {
    backend = "postgres"
    url     = "postgres://hearth:`+plainPassword+`@db.example/hearth"
  }
}
`)
	code, out := post(t, f, "/v1/reload", "", "")
	if code != http.StatusOK && code != http.StatusUnprocessableEntity {
		t.Fatalf("reload: %d %v", code, out)
	}
	_, status := get(t, f, "/v1/status")
	body, _ := json.Marshal(status)
	for _, secret := range []string{plainSecret, plainPassword} {
		if strings.Contains(string(body), secret) {
			t.Errorf("/v1/status quotes %s:\n%s", secret, body)
		}
	}
	if !strings.Contains(string(body), `secret = \"(sensitive)\"`) || !strings.Contains(string(body), `url     = \"(sensitive)\"`) {
		t.Errorf("/v1/status does not point at the redacted lines:\n%s", body)
	}
}
