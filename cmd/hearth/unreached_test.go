package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/discourse/discoursetest"
)

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestUnreachablePlatform runs plan, apply and import against platforms
// that are not there (a closed port) or refuse the key, and compares
// what they print with testdata/unreached/NAME.txt (-update rewrites):
// a diagnostic on the platform block with the host, what to check, and
// the error; never the secret.
func TestUnreachablePlatform(t *testing.T) {
	fake := discoursetest.New(t)
	const secret = "s3cret-value-never-shown"
	// Plan and apply meet the same unreachable forum.
	const discourseWithKey = `
variable "discourse_api_key" {
  type      = string
  sensitive = true
}

platform "discourse" "forum" {
  url       = "URL"
  api_key   = var.discourse_api_key
  community = "makers"
}
`
	for _, tc := range []struct {
		name, platform, url string
		cmd                 []string
		env                 map[string]string
	}{
		{name: "discourse_refused", cmd: []string{"plan"}, url: "http://" + closedPort(t), platform: discourseWithKey, env: map[string]string{"HEARTH_VAR_discourse_api_key": secret}},
		{name: "discourse_refused_apply", cmd: []string{"apply", "-auto-approve"}, url: "http://" + closedPort(t), platform: discourseWithKey, env: map[string]string{"HEARTH_VAR_discourse_api_key": secret}},
		{name: "discourse_key_refused", cmd: []string{"plan"}, url: fake.URL, platform: `
variable "forum_key" {
  type      = string
  sensitive = true
}

platform "discourse" "forum" {
  url       = "URL"
  api_key   = var.forum_key
  community = "makers"
}
`, env: map[string]string{"HEARTH_VAR_forum_key": secret}},
		{name: "telegram_refused", cmd: []string{"plan"}, url: "http://" + closedPort(t), platform: `
variable "telegram_token" {
  type      = string
  sensitive = true
}

platform "telegram" "main" {
  token   = var.telegram_token
  api_url = "URL"
}
`, env: map[string]string{"HEARTH_VAR_telegram_token": "4242:" + secret}},
		{name: "slack_refused_import", cmd: []string{"import", "community.makers", "T0001"}, url: "http://" + closedPort(t) + "/api", platform: `
variable "slack_token" {
  type      = string
  sensitive = true
}

platform "slack" "main" {
  token     = var.slack_token
  team_id   = "T0001"
  community = "makers"
  api_url   = "URL"
}
`, env: map[string]string{"HEARTH_VAR_slack_token": "xoxb-" + secret}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			plat := strings.TrimSpace(strings.ReplaceAll(tc.platform, "URL", tc.url))
			src := `hearth {
  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

` + plat + `

community "makers" {
  title    = "Makers"
  platform = platform.` + platformAddr(plat) + `
}
`
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }}
			if c := run(context.Background(), append(append([]string(nil), tc.cmd...), dir), s); c != 1 {
				t.Fatalf("%s: exit %d; want 1\n%s%s", tc.cmd[0], c, out.String(), errb.String())
			}
			if all := out.String() + errb.String(); strings.Contains(all, secret) {
				t.Errorf("the output shows the secret:\n%s", all)
			}
			host := strings.Split(strings.TrimPrefix(tc.url, "http://"), "/")[0]
			got := strings.NewReplacer(tc.url, "URL", host, "HOST", dir+string(filepath.Separator), "").Replace(errb.String())
			golden(t, filepath.Join("testdata", "unreached", tc.name+".txt"), got)
		})
	}
}

// platformAddr is "TYPE.NAME" of the platform block in src.
func platformAddr(src string) string {
	for _, line := range strings.Split(src, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "platform" {
			return strings.Trim(f[1], `"`) + "." + strings.Trim(f[2], `"`)
		}
	}
	return ""
}

// golden compares got with the file at path, or with -update writes it.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *updatePlans {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", path, got, want)
	}
}
