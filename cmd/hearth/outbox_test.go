package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
)

// deadLetterSite is a configuration whose welcome DMs to n members all
// die when sent, as after a platform's outage: the members are not on
// the local platform apply made, and their ids are of the form it gives
// (mb-N) but it never gave them out, so it cannot take them. Each DM is
// tried DefaultMemberAttempts (5) times, an hour ago and over the quarter
// of an hour after, before it dies: the directory, with its n dead
// letters.
func deadLetterSite(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	const hcl = `platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

campaign "welcome" {
  enter_on     = "member.joined"
  expire_after = "never" # its January messages go, and die, whenever sent
  step "hello" {
    send {
      channel  = "dm"
      template = template.hello
    }
  }
}

template "hello" {
  text = {
    en = "Welcome, ${member.name}!"
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	var events strings.Builder
	for i := range n {
		fmt.Fprintf(&events, `{"id":"%d","type":"member.joined","member":{"id":"mb-%d","name":"M%d"},"at":"2026-01-01T09:%02d:00Z"}`+"\n", i, i+1, i, i)
	}
	file := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(file, []byte(events.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"replay", "-events", file, dir}, {"apply", "-auto-approve", dir}} {
		if code, out, errs := runCLI(args...); code != 0 {
			t.Fatalf("hearth %s: %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
	}
	// The waits between tries are at most 1, 2, 4 and 8 minutes.
	start := time.Now().Add(-time.Hour)
	for i, after := range []time.Duration{0, time.Minute, 3 * time.Minute, 7 * time.Minute, 15 * time.Minute} {
		var out, errb bytes.Buffer
		now := start.Add(after)
		s := &stdio{in: strings.NewReader(""), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }, now: func() time.Time { return now }}
		if code := run(context.Background(), []string{"outbox", "send", dir}, s); code != 0 {
			t.Fatalf("hearth outbox send (try %d): %d\n%s%s", i+1, code, out.String(), errb.String())
		}
	}
	if c := counts(outboxTries(t, dir)); c["dead 5"] != n {
		t.Fatalf("outbox after 5 sends: %v; want %d dead letters tried 5 times", c, n)
	}
	return dir
}

// outboxTries lists the outbox as outbox list -json prints it: each
// entry's key, status and tries.
func outboxTries(t *testing.T, dir string) map[string]string {
	t.Helper()
	code, out, errs := runCLI("outbox", "list", "-json", "-limit", "1000", dir)
	if code != 0 {
		t.Fatalf("outbox list -json: %d %s", code, errs)
	}
	var page struct {
		Entries []struct {
			Key      string `json:"key"`
			Status   string `json:"status"`
			Attempts int    `json:"attempts"`
		} `json:"entries"`
		More *bool `json:"more"`
	}
	if err := json.Unmarshal([]byte(out), &page); err != nil || page.More == nil {
		t.Fatalf("outbox list -json is not one page object: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, e := range page.Entries {
		got[e.Key] = fmt.Sprintf("%s %d", e.Status, e.Attempts)
	}
	return got
}

// counts tallies outboxTries' "status tries" values.
func counts(m map[string]string) map[string]int {
	c := map[string]int{}
	for _, v := range m {
		c[v]++
	}
	return c
}

// TestOutboxRetryAsks: a bulk retry on a terminal shows how many actions
// it selected and the first ten, and asks; anything but yes (an empty
// line, end of input) changes nothing, and yes retries them all.
func TestOutboxRetryAsks(t *testing.T) {
	dir := deadLetterSite(t, 12)
	if c := counts(outboxTries(t, dir)); c["dead 5"] != 12 {
		t.Fatalf("before: %v; want 12 dead letters tried 5 times", c)
	}
	var out, errb bytes.Buffer
	cli := func(in string, args ...string) int {
		out.Reset()
		errb.Reset()
		s := &stdio{in: strings.NewReader(in), inTTY: true, out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
		return run(context.Background(), args, s)
	}
	for _, answer := range []string{"no\n", "\n", "", "y\n"} {
		if c := cli(answer, "outbox", "retry", "-status", "dead", dir); c != 1 {
			t.Errorf("answer %q: exit %d; want 1", answer, c)
		}
		o := out.String()
		rows := regexp.MustCompile(`(?m)^dead +5 .* campaign/welcome/mb-\d+/`).FindAllString(o, -1)
		if !strings.Contains(o, "hearth will make 12 dead actions due now; the first 10:") || len(rows) != 10 ||
			!strings.Contains(o, "... and 2 more (-dry-run lists them all).") ||
			!strings.Contains(o, "Do you want to retry these actions?") || !strings.Contains(o, "Only 'yes' will be accepted.\n  Enter a value: ") {
			t.Errorf("answer %q: the question shows %d rows:\n%s", answer, len(rows), o)
		}
		if !strings.Contains(errb.String(), "hearth outbox retry: cancelled; nothing was changed.") {
			t.Errorf("answer %q: stderr %q", answer, errb.String())
		}
		if c := counts(outboxTries(t, dir)); c["dead 5"] != 12 {
			t.Fatalf("after answering %q: %v; want the 12 dead letters as they were", answer, c)
		}
	}
	// A selection of ten or fewer is shown whole.
	if c := cli("no\n", "outbox", "retry", "-status", "dead", "-member", "mb-4", dir); c != 1 ||
		!strings.Contains(out.String(), "hearth will make 1 dead action due now:\n") || strings.Contains(out.String(), "more (-dry-run") {
		t.Errorf("one selected: exit %d\n%s", c, out.String())
	}
	// Yes retries what the question showed and is still dead: one
	// dropped while the question waited is not there to retry, and said
	// so.
	out.Reset()
	errb.Reset()
	dropFirst := &answerAfter{answer: "yes\n", before: func() {
		if c, o, e := runCLI("outbox", "drop", "campaign/welcome/mb-6/1/1/hello", dir); c != 0 {
			t.Errorf("drop while asked: %d %s%s", c, o, e)
		}
	}}
	s := &stdio{in: dropFirst, inTTY: true, out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	if c := run(context.Background(), []string{"outbox", "retry", "-status", "dead", dir}, s); c != 0 ||
		!strings.Contains(out.String(), "Retried 11 of the 12 dead actions: due now; 1 was no longer dead (sent, retried, dropped or pruned since they were listed), and left alone.") {
		t.Fatalf("answered yes: exit %d\n%s%s", c, out.String(), errb.String())
	}
	if c := counts(outboxTries(t, dir)); c["pending 5"] != 11 || len(c) != 1 {
		t.Errorf("after yes: %v; want 11 pending", c)
	}
}

// answerAfter is standard input that runs before, then gives answer:
// what happens while a question waits.
type answerAfter struct {
	answer string
	before func()
	done   bool
}

func (a *answerAfter) Read(p []byte) (int, error) {
	if !a.done {
		a.before()
		a.done = true
	}
	if a.answer == "" {
		return 0, io.EOF
	}
	n := copy(p, a.answer)
	a.answer = a.answer[n:]
	return n, nil
}

// TestOutboxRetryBesideDaemon: while hearth run serves the SQLite state,
// a bulk retry writes the outbox directly, as retry KEY does (the daemon
// reads the outbox afresh each round, and keeps none of it in memory),
// and the daemon delivers what it made due: the dead letters are tried
// again, and die again on this platform, with one more try each.
func TestOutboxRetryBesideDaemon(t *testing.T) {
	dir := deadLetterSite(t, 3)
	errb, stop := serveSite(t, dir)
	if c, o, e := runCLI("outbox", "retry", "-status", "dead", "-auto-approve", dir); c != 0 || !strings.Contains(o, "Retried 3 dead actions: due now.") {
		t.Fatalf("retry beside the daemon: exit %d\n%s%s", c, o, e)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		c := counts(outboxTries(t, dir))
		if c["dead 6"] == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not try the retried actions again: %v\n%s", c, errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
}

// While a daemon serves the SQLite state, outbox drop goes through its
// API (POST /v1/outbox/drop), which never removes a send going out.
func TestOutboxDropThroughDaemon(t *testing.T) {
	dir := deadLetterSite(t, 2)
	var key string
	for k := range outboxTries(t, dir) {
		key = k
		break
	}
	errb, stop := serveSite(t, dir)
	if c, o, e := runCLI("outbox", "drop", key, dir); c != 0 || !strings.Contains(o, "dropped: "+key) {
		t.Fatalf("drop beside the daemon: exit %d\n%s%s", c, o, e)
	}
	if c, _, e := runCLI("outbox", "drop", key, dir); c != 1 || !strings.Contains(e, "no action") || !strings.Contains(e, "404") {
		t.Errorf("dropping it again: exit %d, %s; want 1 and the daemon's 404", c, e)
	}
	stop()
	if !strings.Contains(errb.String(), "outbox action dropped through the API") {
		t.Errorf("the daemon did not log the drop:\n%s", errb.String())
	}
	if left := outboxTries(t, dir); len(left) != 1 || left[key] != "" {
		t.Errorf("left in the outbox: %v; want the other action alone", left)
	}
}

// serveSite runs hearth run on dir until stop, which checks it exited 0;
// errb holds its log.
func serveSite(t *testing.T, dir string) (errb *syncBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var out syncBuffer
	errb = &syncBuffer{}
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", "127.0.0.1:0", dir}, s) }()
	cfg := &config.Config{Settings: config.Settings{State: config.StateSettings{Backend: "sqlite", Path: filepath.Join(dir, ".hearth", "state.db")}}}
	for deadline := time.Now().Add(20 * time.Second); ; {
		if _, ok := readAnnouncement(cfg); ok {
			break
		}
		select {
		case c := <-code:
			t.Fatalf("the daemon exited %d:\n%s", c, errb.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no announcement:\n%s", errb.String())
		}
	}
	return errb, func() {
		t.Helper()
		cancel()
		stoppedWith0(t, code, errb.String)
	}
}

// stoppedWith0 waits for a hearth run whose context was cancelled to
// exit, and fails the test unless it exits 0; log is its stderr, shown
// on failure.
func stoppedWith0(t *testing.T, code <-chan int, log func() string) {
	t.Helper()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d\n%s", c, log())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop")
	}
}
