package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/slack/slacktest"
)

// TestSecretsStayOutOfEveryOutput is issue #10's secrets test for the
// CLI: with a Slack bot token and signing secret from sensitive
// variables, every command's output, the saved plan, the state store's
// files and the platform file are searched for the values.
func TestSecretsStayOutOfEveryOutput(t *testing.T) {
	f := slacktest.New(t)
	dir := exampleCopy(t, "slack-community", func(src []byte) []byte {
		return regexp.MustCompile(`(?s)\n  quiet_hours \{.*?\n  \}\n`).ReplaceAll(src, nil)
	})
	const signing = "sIgNiNg-5ecret-7f3a"
	secrets := []string{f.Token, signing}
	env := map[string]string{
		"HEARTH_VAR_slack_bot_token": f.Token, "HEARTH_VAR_slack_signing_secret": signing,
		"HEARTH_VAR_slack_team_id": f.TeamID, "HEARTH_VAR_slack_api_url": f.URL, "HEARTH_VAR_slack_events_listen": freeAddr(t),
	}
	var all bytes.Buffer
	hearth := func(args ...string) int {
		t.Helper()
		var out, errb bytes.Buffer
		s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
		code := run(context.Background(), args, s)
		all.WriteString("$ hearth " + strings.Join(args, " ") + "\n" + out.String() + errb.String())
		return code
	}
	planFile := filepath.Join(t.TempDir(), "changes.plan")
	events := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(events, []byte(`{"id":"e1","type":"member.joined","member":"ann","at":"2026-03-02T10:00:00Z"}
{"id":"e2","type":"message.posted","member":"ann","at":"2026-03-02T11:00:00Z","attrs":{"channel":"general"}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"validate", dir},
		{"validate", "-json", dir},
		{"explain", "platform.slack"},
		{"plan", dir},
		{"plan", "-json", dir},
		{"plan", "-out", planFile, dir},
		{"show", planFile},
		{"show", "-json", planFile},
		{"apply", planFile, dir},
		{"drift", dir},
		{"state", "list", dir},
		{"graph", dir},
		{"simulate", "-events", events, "-json", dir},
		{"replay", "-events", events, dir},
		{"member", "show", "ann", dir},
		{"outbox", "send", dir},
		{"outbox", "list", dir},
	} {
		hearth(args...)
	}
	// state show for every address state list printed.
	var list bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &list, err: &list, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	run(context.Background(), []string{"state", "list", dir}, s)
	var addrs []string
	for _, line := range strings.Split(strings.TrimSpace(list.String()), "\n") {
		if fields := strings.Fields(line); len(fields) > 0 {
			addrs = append(addrs, fields[0])
		}
	}
	if len(addrs) == 0 {
		t.Fatalf("state list printed nothing:\n%s", all.String())
	}
	for _, addr := range addrs {
		hearth("state", "show", addr, dir)
	}
	if !strings.Contains(all.String(), "Apply complete!") {
		t.Fatalf("apply did not complete:\n%s", all.String())
	}
	check := func(what string, data []byte) {
		t.Helper()
		for _, secret := range secrets {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s contains the secret %q", what, secret)
			}
		}
	}
	check("command output", all.Bytes())
	for _, path := range []string{planFile} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		check(path, data)
	}
	_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && !strings.HasSuffix(path, ".hcl") {
			data, _ := os.ReadFile(path)
			check(path, data) // the state store, its WAL, platform files
		}
		return nil
	})
}

// A webhook URL holding a sensitive token, and a receiver whose error
// page echoes the path: hearth outbox send stores the dead letter's
// error with "(sensitive)" for the token, and hearth outbox list shows
// it so, as text and as JSON.
func TestOutboxErrorsRedacted(t *testing.T) {
	const token = "hk-31c9-SECRET-77aa"
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "No route for "+r.URL.Path, http.StatusNotFound)
	}))
	defer recv.Close()
	dir := t.TempDir()
	cfg := `variable "hook_token" {
  sensitive = true
}
variable "hook_secret" {
  sensitive = true
}
platform "local" "main" {}
platform "webhook" "crm" {
  url    = "` + recv.URL + `/hooks/${var.hook_token}/in"
  secret = var.hook_secret
}
community "c" {
  title    = "C"
  platform = platform.local.main
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
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	events := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(events, []byte(`{"id":"j1","type":"member.joined","member":"ann","at":"2026-03-02T10:00:00Z"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HEARTH_VAR_hook_token": token, "HEARTH_VAR_hook_secret": "hs-secret-value"}
	var all bytes.Buffer
	hearth := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			// Delivered two hours after the join, within expire_after.
			now: func() time.Time { return time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC) }}
		if code := run(context.Background(), args, s); code != 0 {
			t.Fatalf("hearth %s: %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		}
		all.WriteString(out.String() + errb.String())
		return out.String()
	}
	hearth("replay", "-events", events, dir)
	if out := hearth("outbox", "send", dir); !strings.Contains(out, "dead 1") {
		t.Fatalf("outbox send: %s", out)
	}
	// The url is made from a sensitive variable: its whole path is
	// taken for the secret, not only the token in it.
	if out := hearth("outbox", "list", "-status", "dead", dir); !strings.Contains(out, "No route for (sensitive): not found") {
		t.Errorf("outbox list: %s", out)
	}
	hearth("outbox", "list", "-json", dir)
	if strings.Contains(all.String(), "SECRET") {
		t.Errorf("the token shows:\n%s", all.String())
	}
	_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && !strings.HasSuffix(path, ".hcl") {
			if data, _ := os.ReadFile(path); bytes.Contains(data, []byte(token)) {
				t.Errorf("%s holds the token", path)
			}
		}
		return nil
	})
}
