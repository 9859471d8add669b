package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLocalServeDiscourse tries a forum configuration the way the README
// says: hearth local serve discourse prints a url and a key, saying it is
// a stand-in kept in memory; plan and apply against it with that key
// make the categories and the group; a second plan has no changes; and
// Ctrl-C stops it.
func TestLocalServeDiscourse(t *testing.T) {
	var serveOut, serveErr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ss := &stdio{in: strings.NewReader(""), out: &serveOut, err: &serveErr, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"local", "serve", "-listen", "127.0.0.1:0", "discourse"}, ss) }()

	urlRe := regexp.MustCompile(`(?m)^  url +(http://127\.0\.0\.1:\d+)$`)
	keyRe := regexp.MustCompile(`(?m)^  api key +(\S+)$`)
	var url, key string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out := serveOut.String()
		if u, k := urlRe.FindStringSubmatch(out), keyRe.FindStringSubmatch(out); u != nil && k != nil && strings.Contains(out, "Serving") {
			url, key = u[1], k[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("local serve printed no url and key:\n%s%s", out, serveErr.String())
		}
	}
	for _, want := range []string{"LOCAL STAND-IN for Discourse, not a Discourse forum", "kept in memory and lost when it stops", "export HEARTH_VAR_discourse_api_key=" + key} {
		if !strings.Contains(serveOut.String(), want) {
			t.Errorf("local serve does not say %q:\n%s", want, serveOut.String())
		}
	}
	resp, err := http.Get(url + "/session/current.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Hearth-Stand-In") == "" {
		t.Errorf("a request without the key: %s, X-Hearth-Stand-In %q; want 403 from a marked stand-in", resp.Status, resp.Header.Get("X-Hearth-Stand-In"))
	}

	dir := t.TempDir()
	src := `hearth {
  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

variable "discourse_api_key" {
  type      = string
  sensitive = true
}

platform "discourse" "forum" {
  url       = "` + url + `"
  api_key   = var.discourse_api_key
  community = "makers"
}

community "makers" {
  title    = "Makers"
  platform = platform.discourse.forum

  channel "general" {
    topic = "Anything about making"
  }
  role "regulars" {
    title = "Regular makers"
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HEARTH_VAR_discourse_api_key": key}
	for _, step := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"plan", "-detailed-exitcode"}, 2, "Plan: 3 to add, 0 to change, 0 to destroy."},
		{[]string{"apply", "-auto-approve"}, 0, "Apply complete! Resources: 3 added, 0 changed, 0 destroyed."},
		{[]string{"plan", "-detailed-exitcode"}, 0, "No changes."},
	} {
		var out, errb bytes.Buffer
		s := &stdio{in: strings.NewReader(""), out: &out, err: &errb, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
		if c := run(context.Background(), append(step.args, dir), s); c != step.code || !strings.Contains(out.String(), step.want) {
			t.Fatalf("hearth %s: exit %d, want %d and %q\n%s%s", strings.Join(step.args, " "), c, step.code, step.want, out.String(), errb.String())
		}
	}

	cancel()
	select {
	case c := <-code:
		if c != 0 || !strings.Contains(serveOut.String(), "Stopped") {
			t.Errorf("local serve: exit %d after Ctrl-C\n%s%s", c, serveOut.String(), serveErr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("local serve did not stop")
	}
}

// A stand-in serves this machine only, and only the types it has.
func TestLocalServeRefuses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"local", "serve", "-listen", "0.0.0.0:4280", "discourse"}, "not a loopback"},
		{[]string{"local", "serve", "-listen", ":4280", "discourse"}, "not a loopback"},
		{[]string{"local", "serve", "slack"}, `no stand-in for "slack"`},
		{[]string{"local", "serve"}, "give the platform type"},
	} {
		code, _, errs := runCLI(tc.args...)
		if code != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("hearth %s: exit %d, stderr %q; want 1 and %q", strings.Join(tc.args, " "), code, errs, tc.want)
		}
	}
}
