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
	file, url, stdout, stderr := replayToDaemon(t, `{"id":"r1","type":"member.joined","member":"u1","at":"2026-01-01T09:00:00Z"}
{"id":
   xyz
{"id":"r2","type":"mesage.posted","member":"u1","at":"2026-01-01T10:00:00Z"}

{"id":"r3","type":"mesage.posted","member":"u1","at":"2026-01-01T11:00:00Z"}
{"id":"r4","type":"meetup.attended","member":"u1","at":"2026-01-01T12:00:00Z"}
`)
	wantAll(t, "stderr", stderr,
		"hearth replay: "+file+` line 2, column 7: invalid event: malformed JSON: the JSON ends inside a value: a closing }, ] or " is missing; each line must hold a whole event (skipped)`,
		"hearth replay: "+file+` line 3, column 4: invalid event: malformed JSON: invalid character 'x' where a value should start (skipped)`,
	)
	wantAll(t, "stdout", stdout,
		"Sent 7 lines to "+url+": 4 applied, 0 duplicates, 2 rejected.",
		"Warning: events of 1 type that nothing hears",
		`  mesage.posted  2 events  Did you mean "message.posted"?`,
	)
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
	file, url, stdout, stderr := replayToDaemon(t, `{"id":"q1","type":"member.joined","member":"u1","at":"2026-01-01T09:00:00Z"}
{"id":"q2","type":"message.posted","member":"u1","at":"2026-01-01T10:00:00Z"}
{"id":"q3","type":"message.posted","member":"u1","at":"2026-01-01T11:00:00Z"}
{"id":"q3","type":"message.posted","member":"u1","at":"2026-01-01T11:30:00Z"}
{"id":"q2","type":"message.posted","member":"u2","at":"2026-01-01T10:00:00Z"}
{"id":"q1","type":"member.joined","member":"u1","at":"2026-01-01T09:00:00Z"}
`)
	// Two lines a request: q3's second event comes in the request of
	// its first, q2's two requests after its first.
	wantAll(t, "stderr", stderr,
		"hearth replay: "+file+` line 5: id "q2" was applied before, to an event of 2026-01-01T10:00:00Z with different content; this one was not applied (counted as a duplicate)`,
		"hearth replay: "+file+` line 4: id "q3" is reused with different content from line 3; this one was not applied (counted as a duplicate)`,
	)
	if strings.Contains(stderr, "line 6") {
		t.Errorf("the same event sent again is named:\n%s", stderr)
	}
	wantAll(t, "stdout", stdout,
		"Sent 6 lines to "+url+": 3 applied, 3 duplicates, 0 rejected.",
		"Warning: 2 events not applied: an event with different content came first under the same id (counted as duplicates); an id names one event, so give each event its own.",
	)
	if strings.Contains(stdout, "nothing hears") {
		t.Errorf("id warnings read as event type warnings:\n%s", stdout)
	}
}

// replayToDaemon writes lines to a file and replays it, two lines a
// request, through a daemon on a copy of the quickstart, stopped when
// the test ends; a replay that fails fails the test.
func replayToDaemon(t *testing.T, lines string) (file, url, stdout, stderr string) {
	t.Helper()
	url, stop := daemonAt(t, quickstartCopy(t))
	t.Cleanup(stop)
	file = filepath.Join(t.TempDir(), "h.jsonl")
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cli("replay", "-events", file, "-url", url, "-batch", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	return file, url, stdout, stderr
}

// wantAll checks that out, named name, holds every one of wants.
func wantAll(t *testing.T, name, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("%s lacks %q:\n%s", name, want, out)
		}
	}
}

// secretConfig has a platform whose token is a sensitive variable, as a
// production configuration has: hearth run needs it, replay does not.
const secretConfig = `variable "hook_token" {
  type      = string
  sensitive = true
}

platform "local" "main" {}

platform "webhook" "hook" {
  url    = "http://127.0.0.1:1/hook"
  secret = var.hook_token
}

community "c" {
  title    = "C"
  platform = platform.local.main
}

campaign "welcome" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "nudge" {
    wait = "3d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

template "hi" {
  text = { en = "Hi" }
}
`

// The joins before the posts, and a line that is not an event.
const joinsFirstWithBad = `{"id":"j1","type":"member.joined","member":"ann","at":"2026-10-01T10:00:00Z"}
{"id":"j2","type":"member.joined","member":"bob","at":"2026-10-05T10:00:00Z"}
{"id":
{"id":"p1","type":"message.posted","member":"ann","at":"2026-10-02T10:00:00Z","attrs":{"channel":"general"}}
{"id":"p2","type":"message.posted","member":"bob","at":"2026-10-06T10:00:00Z","attrs":{"channel":"general"}}
`

// A replay into the state a daemon serves goes through its API without
// the platform's token (the daemon has it); with -json it prints one
// JSON object under the names of a replay's summary, the rejected lines
// and the order of the file in it, and nothing about them on stderr;
// -strict fails on the events out of order, and -sort sends them in
// time order.
func TestReplayThroughDaemonJSONWithoutSecret(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(secretConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	url, stop := daemonAt(t, dir, "-var", "hook_token=s3cret-hook-token")
	defer stop()
	file := filepath.Join(t.TempDir(), "h.jsonl")
	if err := os.WriteFile(file, []byte(joinsFirstWithBad), 0o644); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := cli("replay", "-json", "-strict", "-events", file, dir)
	if code != 1 {
		t.Fatalf("exit %d; want 1 (-strict):\n%s%s", code, stdout, stderr)
	}
	var sum struct {
		Daemon        string `json:"daemon"`
		Lines         int    `json:"lines"`
		Events        int    `json:"events"`
		Duplicates    int    `json:"duplicates"`
		Rejected      int    `json:"rejected"`
		RejectedLines []struct {
			Line   int    `json:"line"`
			Column int    `json:"column"`
			Error  string `json:"error"`
		} `json:"rejected_lines"`
		OutOfOrder *struct {
			Count      int    `json:"count"`
			FirstLine  int    `json:"first_line"`
			LatestLine int    `json:"latest_line"`
			Sorted     bool   `json:"sorted"`
			FirstAt    string `json:"first_at"`
		} `json:"out_of_order"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	if sum.Daemon != url || sum.Lines != 5 || sum.Events != 4 || sum.Duplicates != 0 || sum.Rejected != 1 {
		t.Errorf("summary %+v", sum)
	}
	if len(sum.RejectedLines) != 1 || sum.RejectedLines[0].Line != 3 || sum.RejectedLines[0].Column != 7 ||
		!strings.HasPrefix(sum.RejectedLines[0].Error, "invalid event: malformed JSON: ") {
		t.Errorf("rejected lines %+v", sum.RejectedLines)
	}
	if o := sum.OutOfOrder; o == nil || o.Count != 1 || o.FirstLine != 4 || o.LatestLine != 2 || o.Sorted || o.FirstAt != "2026-10-02T10:00:00.000000000Z" {
		t.Errorf("out of order %+v", o)
	}
	for _, unwanted := range []string{"No value", "skipped", "serves this state"} {
		if strings.Contains(stderr, unwanted) {
			t.Errorf("stderr has %q:\n%s", unwanted, stderr)
		}
	}
	if !strings.Contains(stderr, "hearth replay: 1 event was out of time order (-strict)") {
		t.Errorf("stderr does not say why -strict failed:\n%s", stderr)
	}

	// -sort: in time order, the same events are duplicates now; the file's
	// order is reported as sorted, and -strict does not fail on it.
	code, stdout, stderr = cli("replay", "-sort", "-events", file, "-url", url)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, stdout, stderr)
	}
	wantAll(t, "stdout", stdout,
		"Sent 5 lines to "+url+": 0 applied, 4 duplicates, 1 rejected.",
		"Sorted: 1 event was dated before an event above it in "+file+", the first on line 4 (2026-10-02T10:00:00Z) after line 2 (2026-10-05T10:00:00Z)",
	)
	if !strings.Contains(stderr, file+" line 3, column 7: invalid event: malformed JSON") {
		t.Errorf("stderr does not report line 3:\n%s", stderr)
	}
}

// Through a daemon, -sort posts the events in time order (those of one
// time in file order), the lines that are not events left out; without
// it they go as the file has them, and the summary warns.
func TestReplayThroughDaemonSorts(t *testing.T) {
	var posted []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 0
		sc := bufio.NewScanner(r.Body)
		for sc.Scan() {
			var ev struct{ ID string }
			_ = json.Unmarshal(sc.Bytes(), &ev)
			posted = append(posted, ev.ID)
			n++
		}
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]any{"accepted": n})
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "h.jsonl")
	if err := os.WriteFile(file, []byte(joinsFirstWithBad+`{"id":"p3","type":"message.posted","member":"ann","at":"2026-10-02T10:00:00Z"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sort bool
		want string
	}{
		{false, "[j1 j2 p1 p2 p3]"},
		{true, "[j1 p1 p3 j2 p2]"},
	} {
		posted = nil
		args := []string{"replay", "-events", file, "-url", srv.URL, "-batch", "2"}
		if c.sort {
			args = append(args, "-sort")
		}
		code, stdout, stderr := cli(args...)
		if code != 0 {
			t.Fatalf("sort %v: exit %d:\n%s%s", c.sort, code, stdout, stderr)
		}
		if got := fmt.Sprint(posted); got != c.want {
			t.Errorf("sort %v: posted %s; want %s", c.sort, got, c.want)
		}
		if !strings.Contains(stdout, "Sent 6 lines to "+srv.URL+": 5 applied, 0 duplicates, 1 rejected.") {
			t.Errorf("sort %v: stdout:\n%s", c.sort, stdout)
		}
		warning := "Warning: 2 events are dated before an event above them in " + file + "; the first, line 4 (2026-10-02T10:00:00Z) comes after line 2 (2026-10-05T10:00:00Z). The daemon applies a late event at its own time; it holds its timers while a backfill comes, but"
		if warned := strings.Contains(stdout, warning); warned == c.sort {
			t.Errorf("sort %v: warned %v:\n%s", c.sort, warned, stdout)
		}
	}
}

// A replay through a daemon lists the attribute typos the daemon's
// answers named, as a replay to the store does, and reads none of them
// as a type typo or a reused id.
func TestReplayToDaemonListsAttrTypos(t *testing.T) {
	_, url, stdout, stderr := replayToDaemon(t, `{"id":"a1","type":"member.joined","member":"u1","at":"2026-01-01T09:00:00Z"}
{"id":"a2","type":"message.posted","member":"u1","at":"2026-01-01T10:00:00Z","attrs":{"chanel":"help"}}
{"id":"a3","type":"message.posted","member":"u1","at":"2026-01-01T11:00:00Z","attrs":{"chanel":"help"}}
{"id":"a4","type":"message.posted","member":"u1","at":"2026-01-01T12:00:00Z","attrs":{"channel":"help","colour":"red"}}
`)
	wantAll(t, "stdout", stdout,
		"Sent 4 lines to "+url+": 4 applied, 0 duplicates, 0 rejected.",
		"Warning: events with 1 attribute that looks like a typo: their type does not declare it, so no rule reads it:",
		`  message.posted  chanel  2 events  Did you mean "channel"?`,
	)
	if strings.Contains(stdout, "nothing hears") || strings.Contains(stdout, "not applied") || strings.Contains(stderr, "reused") || strings.Contains(stdout, "colour") {
		t.Errorf("attribute warnings read as something else:\n%s%s", stdout, stderr)
	}
}

// A replay through a daemon lists the member time zones the daemon's
// answers named as not IANA names, summed over its requests, and reads
// none of them as an attribute typo.
func TestReplayToDaemonListsBadTimezones(t *testing.T) {
	_, url, stdout, _ := replayToDaemon(t, `{"id":"a1","type":"member.joined","member":"u1","at":"2026-01-01T09:00:00Z","attrs":{"timezone":"Mars/Olympus"}}
{"id":"a2","type":"member.joined","member":"u2","at":"2026-01-01T10:00:00Z","attrs":{"timezone":"Europe/Berlin"}}
{"id":"a3","type":"member.joined","member":"u3","at":"2026-01-01T11:00:00Z","attrs":{"timezone":"Mars/Olympus"}}
{"id":"a4","type":"member.profile_updated","member":"u2","at":"2026-01-01T12:00:00Z","attrs":{"timezone":"Europe/Berln"}}
`)
	wantAll(t, "stdout", stdout,
		"Sent 4 lines to "+url+": 4 applied, 0 duplicates, 0 rejected.",
		"Warning: events with 2 timezones that are not IANA time zone names:",
		`  member.joined           "Mars/Olympus"  2 events`,
		`  member.profile_updated  "Europe/Berln"  1 event  Did you mean "Europe/Berlin"?`,
	)
	if strings.Contains(stdout, "looks like a typo") || strings.Contains(stdout, "look like typos") {
		t.Errorf("time zone warnings read as attribute typos:\n%s", stdout)
	}
}

// replay -outcomes writes the lines simulate -outcomes writes for the
// same events on an empty state, but for the sandbox's own deliveries
// (sends skipped or held at delivery); events already applied give
// none; and it refuses to go through a daemon, which would apply them.
func TestReplayOutcomes(t *testing.T) {
	dir := exampleCopy(t, "quickstart", nil)
	tmp := t.TempDir()
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	cli := func(args ...string) int {
		out.Reset()
		errb.Reset()
		return run(context.Background(), args, s)
	}
	evs := "../../examples/quickstart/events.jsonl"
	read := func(path string, dropDelivery bool) []string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if l == "" {
				continue
			}
			var o struct{ Kind, Change string }
			if err := json.Unmarshal([]byte(l), &o); err != nil {
				t.Fatalf("not a JSON line: %q", l)
			}
			if dropDelivery && o.Kind == "action" && (o.Change == "skip" || o.Change == "defer") {
				continue
			}
			lines = append(lines, l)
		}
		return lines
	}
	sim, rep := filepath.Join(tmp, "sim.jsonl"), filepath.Join(tmp, "rep.jsonl")
	if c := cli("simulate", "-events", evs, "-outcomes", sim, dir); c != 0 {
		t.Fatalf("simulate: %d %s", c, errb.String())
	}
	if c := cli("replay", "-events", evs, "-outcomes", rep, dir); c != 0 {
		t.Fatalf("replay: %d %s", c, errb.String())
	}
	want, got := read(sim, true), read(rep, false)
	if len(got) < 50 || !strings.Contains(strings.Join(got, "\n"), `"title":`) {
		t.Fatalf("replay -outcomes wrote %d lines, with no title: %v", len(got), got)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("replay -outcomes differs from simulate -outcomes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// -outcomes - writes the same lines to stdout, the summary to
	// stderr.
	if c := cli("replay", "-events", evs, "-outcomes", "-", exampleCopy(t, "quickstart", nil)); c != 0 {
		t.Fatalf("replay -outcomes -: %d %s", c, errb.String())
	}
	piped := filepath.Join(tmp, "piped.jsonl")
	if err := os.WriteFile(piped, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := read(piped, false); strings.Join(got, "\n") != strings.Join(want, "\n") || !strings.Contains(errb.String(), "State: ") {
		t.Errorf("replay -outcomes - wrote %d lines to stdout, want %d, and the summary to stderr: %s", len(got), len(want), errb.String())
	}
	again := filepath.Join(tmp, "again.jsonl")
	if c := cli("replay", "-events", evs, "-outcomes", again, dir); c != 0 {
		t.Fatalf("replay again: %d %s", c, errb.String())
	}
	if data, err := os.ReadFile(again); err != nil || len(data) != 0 {
		t.Errorf("replaying events already applied wrote outcomes: %q %v", data, err)
	}
	if c := cli("replay", "-events", evs, "-outcomes", again, "-url", "http://127.0.0.1:1"); c != 1 || !strings.Contains(errb.String(), "-outcomes needs the replay to apply the events itself") {
		t.Errorf("replay -outcomes -url: %d %s", c, errb.String())
	}
	if c := cli("replay", "-events", evs, "-outcomes", filepath.Join(tmp, "no", "such", "dir.jsonl"), dir); c != 1 || !strings.Contains(errb.String(), "hearth replay: -outcomes: ") {
		t.Errorf("replay -outcomes into a missing folder: %d %s", c, errb.String())
	}
}
