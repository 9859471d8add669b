package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMemberExportAndForget: export prints what the state keeps about a
// member; forget asks first, erases them and the references others hold,
// and with -suppress keeps a replayed event from making them again, until
// unsuppress. On the store directly, then through a running daemon.
func TestMemberExportAndForget(t *testing.T) {
	dir := exampleCopy(t, "quickstart", nil)
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	cli := func(in string, tty bool, args ...string) (int, string, string) {
		out.Reset()
		errb.Reset()
		s.in, s.inTTY = strings.NewReader(in), tty
		c := run(context.Background(), args, s)
		return c, out.String(), errb.String()
	}
	if c, o, e := cli("", false, "replay", "-events", "../../examples/quickstart/events.jsonl", dir); c != 0 {
		t.Fatalf("replay: %d %s %s", c, o, e)
	}
	c, o, e := cli("", false, "member", "export", "u02", dir)
	if c != 0 {
		t.Fatalf("export: %d %s", c, e)
	}
	var x struct {
		Format   string           `json:"format"`
		State    map[string]any   `json:"state"`
		Referred []string         `json:"referred"`
		Outcomes []map[string]any `json:"outcomes"`
		Outbox   []map[string]any `json:"outbox"`
	}
	if err := json.Unmarshal([]byte(o), &x); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, o)
	}
	if x.Format != "hearth.member-export/1" || x.State["id"] != "u02" || len(x.Referred) < 2 || len(x.Outcomes) == 0 {
		t.Fatalf("export: %s", o)
	}
	if c, _, e := cli("", false, "member", "export", "nobody", dir); c != 1 || !strings.Contains(e, `keeps nothing about member "nobody"`) {
		t.Errorf("export of an unknown member: %d %s", c, e)
	}

	// Scripts must say -force; a terminal is asked, and anything but yes
	// changes nothing.
	if c, _, e := cli("", false, "member", "forget", "u02", dir); c != 1 || !strings.Contains(e, "pass -force") {
		t.Errorf("forget with no terminal: %d %s", c, e)
	}
	if c, o, e := cli("no\n", true, "member", "forget", "u02", dir); c != 1 || !strings.Contains(o, "hearth will erase member u02") || !strings.Contains(e, "cancelled; nothing was changed") {
		t.Errorf("forget answered no: %d %s %s", c, o, e)
	}
	if c, _, _ := cli("", false, "member", "show", "u02", dir); c != 0 {
		t.Fatal("a cancelled forget erased u02")
	}
	c, o, e = cli("yes\n", true, "member", "forget", "-suppress", "u02", dir)
	if c != 0 || !strings.Contains(o, "Forgot member u02: state erased") || !strings.Contains(o, "Suppressed: later events for u02 are refused") ||
		!strings.Contains(o, "References removed: "+fmt.Sprint(len(x.Referred))+" members' documents") {
		t.Fatalf("forget: %d %s %s", c, o, e)
	}
	if c, _, e := cli("", false, "member", "show", "u02", dir); c != 1 || !strings.Contains(e, "u02") {
		t.Errorf("show after forget: %d %s", c, e)
	}
	for _, id := range x.Referred {
		_, o, _ := cli("", false, "member", "show", "-json", id, dir)
		if strings.Contains(o, `"u02"`) {
			t.Errorf("%s still names u02: %s", id, o)
		}
	}
	// A replayed event for u02 is refused, not applied.
	later := filepath.Join(t.TempDir(), "later.jsonl")
	if err := os.WriteFile(later, []byte(`{"id":"later-1","type":"message.posted","member":"u02","at":"2026-10-01T10:00:00Z"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, o, e := cli("", false, "replay", "-events", later, dir); c != 0 || !strings.Contains(o, "1 rejected") || !strings.Contains(o, "1 event was refused: their member asked to be forgotten") {
		t.Fatalf("replay after forget: %d %s %s", c, o, e)
	}
	if c, _, _ := cli("", false, "member", "show", "u02", dir); c != 1 {
		t.Error("a replayed event made the suppressed u02 again")
	}
	if c, o, e := cli("", false, "member", "unsuppress", "u02", dir); c != 0 || !strings.Contains(o, "Lifted the suppression of u02") {
		t.Errorf("unsuppress: %d %s %s", c, o, e)
	}
	if c, _, e := cli("", false, "member", "unsuppress", "u02", dir); c != 1 || !strings.Contains(e, "not on the suppression list") {
		t.Errorf("unsuppress twice: %d %s", c, e)
	}

	// Through a running daemon, found by itself or named with -url.
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var dout, derr bytes.Buffer
	ds := &stdio{in: bytes.NewReader(nil), out: &dout, err: &derr, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, dir}, ds) }()
	url := "http://" + addr
	waitReady(t, url, derr.String)
	if c, o, e := cli("", false, "member", "export", "-url", url, "u03"); c != 0 || !strings.Contains(o, `"format": "hearth.member-export/1"`) {
		t.Errorf("export -url: %d %s %s", c, o, e)
	}
	if c, o, e := cli("", false, "member", "forget", "-force", "u03", dir); c != 0 || !strings.Contains(e, "serves this state: the request goes through its API at "+url) ||
		!strings.Contains(o, "Forgot member u03: state erased") || !strings.Contains(o, "Not suppressed") {
		t.Errorf("forget through the daemon: %d %s %s", c, o, e)
	}
	if c, _, e := cli("", false, "member", "forget", "-force", "-url", url, "u03"); c != 1 || !strings.Contains(e, "hearth member forget: the state keeps nothing about member u03 ("+url+"/v1/members/u03/forget answered 404 Not Found)\n") {
		t.Errorf("forget twice through the daemon: %d %s", c, e)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("run exit %d\n%s", c, derr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop")
	}
	if c, _, _ := cli("", false, "member", "show", "u03", dir); c != 1 {
		t.Error("u03 is back after the daemon stopped")
	}
}
