package daemon_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
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

// chatSpec is a platform with a credential, which the local platform has not.
func chatSpec() config.PlatformSpec {
	return config.PlatformSpec{Type: "chat", Doc: "A test platform with a token.",
		Attrs: []config.Attr{{Name: "token", Kind: config.KindSetting, Secret: true, Doc: "Bot token."}}}
}

// TestSecretsNeverServed fetches every answer the daemon gives, the
// dashboard's files included, with a sensitive variable used as a
// platform token, and looks for its value in each.
func TestSecretsNeverServed(t *testing.T) {
	f := start(t, rulesA+chatPlatform, "", func(o *daemon.Options) {
		o.Load = config.Options{
			Platforms: map[string]config.PlatformSpec{"local": local.Spec(), "chat": chatSpec()},
			LookupEnv: func(k string) (string, bool) {
				if k == config.EnvVarPrefix+"chat_token" {
					return secretToken, true
				}
				return "", false
			},
		}
	})
	if code, out := post(t, f, "/v1/events", events(0, 10), ""); code != http.StatusAccepted {
		t.Fatalf("post: %d %v", code, out)
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
		if strings.Contains(string(body), secretToken) || strings.Contains(string(body), "SECRET-4bd1") {
			t.Errorf("GET %s shows the sensitive value", p)
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
			if strings.Contains(text, secretToken) {
				t.Errorf("a reload's diagnostics show the sensitive value: %s", d.Summary)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d failed reloads kept, want 1", failed)
	}
}
