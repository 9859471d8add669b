package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A replay through a daemon that refuses many lines (history older than
// the retention) reports the first ten and counts the rest, as a replay
// straight to the store does, rather than a line for each.
func TestReplayToDaemonCapsRefusedLines(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		type refusal struct {
			Line  int    `json:"line"`
			Error string `json:"error"`
		}
		var refused []refusal
		sc := bufio.NewScanner(r.Body)
		for n := 1; sc.Scan(); n++ {
			refused = append(refused, refusal{n, "too old"})
		}
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": "too old", "events": refused})
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "old.jsonl")
	var b strings.Builder
	for i := range 25 {
		fmt.Fprintf(&b, `{"id":"o%d","type":"message.posted","member":"m1","at":"2020-01-01T00:00:00Z"}`+"\n", i)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	if c := run(context.Background(), []string{"replay", "-events", file, "-url", srv.URL}, s); c != 0 {
		t.Fatalf("exit %d: %s", c, errb.String())
	}
	if n := strings.Count(errb.String(), "(skipped)"); n != 10 || !strings.Contains(errb.String(), "hearth replay: 15 more bad lines skipped") {
		t.Errorf("%d lines reported:\n%s", n, errb.String())
	}
	if !strings.Contains(out.String(), "0 applied, 0 duplicates, 25 rejected") {
		t.Errorf("summary: %s", out.String())
	}
}

// A replay through a daemon says what a replay to the store says: a line
// that is not an event is placed in the file, malformed JSON with its
// column, and not sent; a likely typo of an event type the daemon warns
// about in its answers is listed at the end, with the type it looks like.
func TestReplayToDaemonSaysWhatAReplaySays(t *testing.T) {
	dir := quickstartCopy(t)
	url, stop := daemonAt(t, dir)
	defer stop()
	file := filepath.Join(t.TempDir(), "h.jsonl")
	lines := `{"id":"r1","type":"member.joined","member":"u1","at":"2026-01-01T09:00:00Z"}
{"id":
   xyz
{"id":"r2","type":"mesage.posted","member":"u1","at":"2026-01-01T10:00:00Z"}

{"id":"r3","type":"mesage.posted","member":"u1","at":"2026-01-01T11:00:00Z"}
{"id":"r4","type":"meetup.attended","member":"u1","at":"2026-01-01T12:00:00Z"}
`
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cli("replay", "-events", file, "-url", url, "-batch", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"hearth replay: " + file + ` line 2, column 7: invalid event: malformed JSON: the JSON ends inside a value: a closing }, ] or " is missing; each line must hold a whole event (skipped)`,
		"hearth replay: " + file + ` line 3, column 4: invalid event: malformed JSON: invalid character 'x' where a value should start (skipped)`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, want := range []string{
		"Sent 7 lines to " + url + ": 4 applied, 0 duplicates, 2 rejected.",
		"Warning: events of 1 type that nothing hears",
		`  mesage.posted  2 events  Did you mean "message.posted"?`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "meetup.attended") {
		t.Errorf("a type that looks like no known one is listed as a typo:\n%s", stdout)
	}
}

// A replay through a daemon names the lines the daemon did not apply
// because their id was another event's, in the request or applied
// before (an earlier request of the replay, or an earlier replay), by
// their line in the file, and warns after the count; the same events
// sent again are duplicates without a word.
func TestReplayToDaemonNamesReusedIDs(t *testing.T) {
	dir := quickstartCopy(t)
	url, stop := daemonAt(t, dir)
	defer stop()
	file := filepath.Join(t.TempDir(), "h.jsonl")
	lines := `{"id":"q1","type":"member.joined","member":"u1","at":"2026-01-01T09:00:00Z"}
{"id":"q2","type":"message.posted","member":"u1","at":"2026-01-01T10:00:00Z"}
{"id":"q3","type":"message.posted","member":"u1","at":"2026-01-01T11:00:00Z"}
{"id":"q3","type":"message.posted","member":"u1","at":"2026-01-01T11:30:00Z"}
{"id":"q2","type":"message.posted","member":"u2","at":"2026-01-01T10:00:00Z"}
{"id":"q1","type":"member.joined","member":"u1","at":"2026-01-01T09:00:00Z"}
`
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	// Requests of two lines: q3's second event comes in the request of
	// its first, q2's two requests after its first.
	code, stdout, stderr := cli("replay", "-events", file, "-url", url, "-batch", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"hearth replay: " + file + ` line 5: id "q2" was applied before, to an event of 2026-01-01T10:00:00Z with different content; this one was not applied (counted as a duplicate)`,
		"hearth replay: " + file + ` line 4: id "q3" is reused with different content from line 3; this one was not applied (counted as a duplicate)`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "line 6") {
		t.Errorf("the same event sent again is named:\n%s", stderr)
	}
	for _, want := range []string{
		"Sent 6 lines to " + url + ": 3 applied, 3 duplicates, 0 rejected.",
		"Warning: 2 events not applied: an event with different content came first under the same id (counted as duplicates); an id names one event, so give each event its own.",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "nothing hears") {
		t.Errorf("id warnings read as event type warnings:\n%s", stdout)
	}
}

// A replay through a daemon lists the attribute typos the daemon's
// answers named, as a replay to the store does, and reads none of them
// as a type typo or a reused id.
func TestReplayToDaemonListsAttrTypos(t *testing.T) {
	dir := quickstartCopy(t)
	url, stop := daemonAt(t, dir)
	defer stop()
	file := filepath.Join(t.TempDir(), "h.jsonl")
	lines := `{"id":"a1","type":"member.joined","member":"u1","at":"2026-01-01T09:00:00Z"}
{"id":"a2","type":"message.posted","member":"u1","at":"2026-01-01T10:00:00Z","attrs":{"chanel":"help"}}
{"id":"a3","type":"message.posted","member":"u1","at":"2026-01-01T11:00:00Z","attrs":{"chanel":"help"}}
{"id":"a4","type":"message.posted","member":"u1","at":"2026-01-01T12:00:00Z","attrs":{"channel":"help","colour":"red"}}
`
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cli("replay", "-events", file, "-url", url, "-batch", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"Sent 4 lines to " + url + ": 4 applied, 0 duplicates, 0 rejected.",
		"Warning: events with 1 attribute that looks like a typo: their type does not declare it, so no rule reads it:",
		`  message.posted  chanel  2 events  Did you mean "channel"?`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "nothing hears") || strings.Contains(stdout, "not applied") || strings.Contains(stderr, "reused") || strings.Contains(stdout, "colour") {
		t.Errorf("attribute warnings read as something else:\n%s%s", stdout, stderr)
	}
}
