package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
)

// TestRunEndToEnd starts `hearth run` on the quickstart, posts its sample
// events, stops it as SIGTERM does, and checks the exit code and that the
// state is on disk for `hearth member show`.
func TestRunEndToEnd(t *testing.T) {
	dir := quickstartCopy(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, dir}, s) }()
	url := "http://" + addr
	waitReady(t, url, errb.String)
	events, err := os.ReadFile("../../examples/quickstart/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url+"/v1/events", "application/x-ndjson", bytes.NewReader(events))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(body), `"accepted": 2414`) {
		t.Fatalf("post: %d %s", resp.StatusCode, body)
	}
	// hearth replay -url sends a file to the running daemon.
	var rout, rerr bytes.Buffer
	rs := &stdio{in: bytes.NewReader(nil), out: &rout, err: &rerr, lookupEnv: func(string) (string, bool) { return "", false }}
	if c := run(context.Background(), []string{"replay", "-events", "../../examples/quickstart/events.jsonl", "-url", url, "-batch", "500"}, rs); c != 0 ||
		!strings.Contains(rout.String(), "Sent 2414 lines") || !strings.Contains(rout.String(), "0 applied, 2414 duplicates") {
		t.Errorf("replay -url: %d %s %s", c, rout.String(), rerr.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	_ = os.WriteFile(bad, []byte(`{"id":"z1","type":"checkin","member":"u1","at":"2026-01-01T00:00:00Z"}`+"\n"+`{"id":"z2","type":"checkin"}`+"\n"), 0o644)
	rout.Reset()
	rerr.Reset()
	// The bad line is reported and skipped, and the good one applied, as
	// a replay without a daemon does; -strict makes it an error.
	if c := run(context.Background(), []string{"replay", "-events", bad, "-url", url}, rs); c != 0 ||
		!strings.Contains(rerr.String(), "bad.jsonl line 2") || !strings.Contains(rerr.String(), "(skipped)") ||
		!strings.Contains(rout.String(), "1 applied, 0 duplicates, 1 rejected") {
		t.Errorf("replay -url with a bad line: %d %s %s", c, rout.String(), rerr.String())
	}
	rout.Reset()
	rerr.Reset()
	if c := run(context.Background(), []string{"replay", "-strict", "-events", bad, "-url", url}, rs); c != 1 ||
		!strings.Contains(rout.String(), "0 applied, 1 duplicate, 1 rejected") {
		t.Errorf("replay -strict -url with a bad line: %d %s %s", c, rout.String(), rerr.String())
	}
	cancel()
	stoppedWith0(t, code, errb.String)
	if !strings.Contains(out.String(), "API      http://"+addr+"/v1/events") {
		t.Errorf("startup output: %s", out.String())
	}
	out.Reset()
	if c := run(context.Background(), []string{"member", "show", "u07", dir}, s); c != 0 || !strings.Contains(out.String(), "Member u07") {
		t.Errorf("member show after run: %d %s %s", c, out.String(), errb.String())
	}
}

func TestRunRefusesOpenAddressWithoutToken(t *testing.T) {
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	if c := run(context.Background(), []string{"run", "-listen", "0.0.0.0:0", "../../examples/quickstart"}, s); c != 1 || !strings.Contains(errb.String(), "HEARTH_API_TOKEN") {
		t.Errorf("exit %d: %s", c, errb.String())
	}
}

// TestRunFeedsEventsFile starts `hearth run -events` on the quickstart:
// the dashboard's address comes first, the file arrives through the
// daemon, and the dashboard page is served.
func TestRunFeedsEventsFile(t *testing.T) {
	dir := quickstartCopy(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"run", "-listen", addr, "-events", "../../examples/quickstart/events.jsonl", dir}, s)
	}()
	url := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st struct{ Stats map[string]int }
		resp, err := http.Get(url + "/v1/status")
		if err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if st.Stats["accepted"] == 2414 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the events file was not applied: %v %v", err, st.Stats)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `<script src="dashboard/app.js">`) {
		t.Errorf("GET /: %d %.200s", resp.StatusCode, page)
	}
	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("exit %d\n%s", c, errb.String())
	}
	first, _, _ := strings.Cut(out.String(), "\n")
	if first != "dashboard http://"+addr+"/" {
		t.Errorf("first line %q, want the dashboard's address", first)
	}
	if !strings.Contains(out.String(), "applied ../../examples/quickstart/events.jsonl: 2414 events, 0 duplicates, 0 bad") {
		t.Errorf("output: %s", out.String())
	}
	// The log says so too, for those who read the logs alone.
	if !strings.Contains(errb.String(), `"msg":"events file applied","file":"../../examples/quickstart/events.jsonl","applied":2414,"duplicates":0,"bad":0,"too_old":0,"future":0,"took":"`) {
		t.Errorf("log has no line for the file applied:\n%s", errb.String())
	}
}

// Stopped while an events file goes in, the daemon says how to go on,
// as information: a SIGTERM during a backfill is no error.
func TestRunStoppedDuringEventsFile(t *testing.T) {
	dir := quickstartCopy(t)
	file := filepath.Join(t.TempDir(), "events.jsonl")
	var b strings.Builder
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	for i := range 3000 {
		fmt.Fprintf(&b, `{"id":"s%d","type":"message.posted","member":"m%d","at":%q}`+"\n", i, i%50, at)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	// One event a batch, each its own commit: the file takes long
	// enough to be stopped halfway.
	go func() {
		code <- run(ctx, []string{"run", "-listen", addr, "-batch", "1", "-log-format", "json", "-events", file, dir}, s)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st struct{ Stats map[string]int }
		resp, err := http.Get("http://" + addr + "/v1/status")
		if err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if st.Stats["accepted"] > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the events file did not start: %v %v", err, st.Stats)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("exit %d\n%s", c, errb.String())
	}
	logs := errb.String()
	if strings.Contains(out.String(), "applied "+file) {
		t.Skip("the file was all in before the stop")
	}
	if !strings.Contains(logs, `"level":"INFO","msg":"stopped before the end of the events file; start again with the same -events to go on`) || strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("logs:\n%s", logs)
	}
}

// A port already taken (the README's loop leaves a daemon running in the
// background) says what to do, not only the system's error.
func TestRunAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	addr := ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port
	// The suggestion is the port after the one given, not a fixed one.
	want := "hearth run: " + addr + " is in use by another program (another hearth run?): stop it, or give this one another address with -listen, such as -listen " + fmt.Sprintf("127.0.0.1:%d\n", port+1)
	if c := run(context.Background(), []string{"run", "-listen", addr, quickstartCopy(t)}, s); c != 1 || !strings.Contains(errb.String(), want) {
		t.Errorf("exit %d: %s", c, errb.String())
	}
}

func TestRunRefusesMissingEventsFile(t *testing.T) {
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	if c := run(context.Background(), []string{"run", "-listen", "127.0.0.1:0", "-events", "no-such.jsonl", "../../examples/quickstart"}, s); c != 1 || !strings.Contains(errb.String(), "-events: open no-such.jsonl") {
		t.Errorf("exit %d: %s", c, errb.String())
	}
}

// quickstartCopy copies the quickstart's configuration (not its state or
// events) into a temporary directory.
func quickstartCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"community.hcl", "members.hcl", "onboarding.hcl"} {
		src, err := os.ReadFile(filepath.Join("../../examples/quickstart", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// exampleCopy copies the .hcl files of examples/NAME into a temporary
// directory, each through edit when given (a test taking out quiet hours,
// say), and returns the directory.
func exampleCopy(t *testing.T, name string, edit func([]byte) []byte) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join("../../examples", name, "*.hcl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("example %s: no .hcl files (%v)", name, err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			src = edit(src)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// freeAddr is a loopback address with a port nothing listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// -max-ahead must leave room for some clock skew, and numbers that
// would silently mean the default are refused.
func TestRunMaxAheadFlag(t *testing.T) {
	for _, tc := range []struct{ flag, value, want string }{
		{"-max-ahead", "0", "-max-ahead must be more than 0"},
		{"-max-ahead", "-5m", "-max-ahead must be more than 0"},
		{"-batch", "0", "-batch must be 1 or more (events per transaction; 1000 by default), not 0"},
		{"-batch", "-5", "-batch must be 1 or more"},
		{"-bus-partitions", "0", "-bus-partitions must be 1 or more (16 by default), not 0"},
		{"-bus-lease", "0s", "-bus-lease must be more than 0"},
		{"-bus-publish-timeout", "0s", "-bus-publish-timeout must be more than 0 and at most 30s (a request may take a minute), such as 10s, not 0s"},
		{"-bus-publish-timeout", "2m", "-bus-publish-timeout must be more than 0 and at most 30s"},
		{"-drain", "-5s", "-drain -5s is negative"},
		{"-reload-settle", "0s", "-reload-settle must be more than 0 (500ms by default)"},
		{"-reload-grace", "-1s", "-reload-grace must be more than 0 (10s by default); to remove a file's blocks at once, delete the file"},
	} {
		var out, errb syncBuffer
		s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
		// A value taken would start the daemon: it stops after a while.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if c := run(ctx, []string{"run", "-listen", "127.0.0.1:0", tc.flag, tc.value, quickstartCopy(t)}, s); c != 1 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%s %s: %d %s", tc.flag, tc.value, c, errb.String())
		}
	}
}

// Logs give durations as such, not as JSON's nanoseconds.
func TestLogDurations(t *testing.T) {
	var errb bytes.Buffer
	s := &stdio{err: &errb}
	slog.New(logHandler(s, nil, true)).Info("x", "took", 4348188*time.Nanosecond)
	if !strings.Contains(errb.String(), `"took":"4.348188ms"`) {
		t.Errorf("log line %s", errb.String())
	}
}

// hearth run -h lists every route the server has, from the table the
// server registers them from.
func TestRunUsageListsEveryRoute(t *testing.T) {
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	if c := run(context.Background(), []string{"run", "-h"}, s); c != 0 {
		t.Fatalf("run -h: %d %s", c, errb.String())
	}
	usage := out.String()
	for _, r := range daemon.Routes() {
		if !strings.Contains(usage, "  "+r.Usage+"\n") && !strings.Contains(usage, "  "+r.Usage+" ") {
			t.Errorf("run -h does not list %s", r.Usage)
		}
	}
	for _, want := range []string{"GET  /v1/members?q=TEXT", "GET  /v1/members/ID/history", "GET  /v1/report", "POST /v1/feedback", "POST /v1/members/ID/pardon", "8 MiB"} {
		if !strings.Contains(usage, want) {
			t.Errorf("run -h lacks %s", want)
		}
	}
}

// TestRunDrain: with -drain, a stop signal first turns /readyz to 503
// while events are still taken and applied, then the daemon stops as
// without it, exit 0, the drained event stored.
func TestRunDrain(t *testing.T) {
	dir := quickstartCopy(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, "-drain", "3s", dir}, s) }()
	url := "http://" + addr
	readyz := func() int {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for deadline := time.Now().Add(10 * time.Second); readyz() != http.StatusOK; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not ready:\n%s", errb.String())
		}
	}
	cancel() // as SIGTERM
	for deadline := time.Now().Add(2 * time.Second); readyz() != http.StatusServiceUnavailable; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("readyz did not turn 503 on the stop signal:\n%s", errb.String())
		}
	}
	resp, err := http.Post(url+"/v1/events", "application/json", strings.NewReader(`{"id":"d1","type":"member.joined","member":"late","at":"2026-01-05T10:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("an event while draining: %d %s", resp.StatusCode, body)
	}
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d:\n%s", c, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("hearth run did not stop after the drain")
	}
	if !strings.Contains(errb.String(), "draining") {
		t.Errorf("no draining line in the log:\n%s", errb.String())
	}
	var show bytes.Buffer
	ss := &stdio{in: bytes.NewReader(nil), out: &show, err: &show, lookupEnv: func(string) (string, bool) { return "", false }}
	if c := run(context.Background(), []string{"member", "show", "late", dir}, ss); c != 0 || !strings.Contains(show.String(), "Member late") {
		t.Errorf("the event taken while draining is not stored: %d %s", c, show.String())
	}
}

// waitReady waits up to ten seconds for the daemon at base to answer
// /readyz with 200, failing the test with the daemon's log (logs) if it
// does not.
func waitReady(t testing.TB, base string, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v\n%s", err, logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eventually calls check every 100 ms until it answers "", and fails the
// test with its last answer if 20 s pass first.
func eventually(t *testing.T, check func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cliOut runs hearth with args and returns its exit code and its output
// followed by its errors.
func cliOut(args ...string) (int, string) {
	c, out, errs := cli(args...)
	return c, out + errs
}

// An events file with events dated before one above them is applied as
// it comes, with one warning naming the count and the first; with -sort
// it is applied in time order and the log says it was sorted.
func TestRunEventsOutOfOrder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.jsonl")
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -3)
	var b strings.Builder
	for i, h := range []int{0, 5, 2, 3, 9, 1} { // lines 3, 4 and 6 are late
		fmt.Fprintf(&b, `{"id":"o%d","type":"message.posted","member":"m1","at":%q}`+"\n", i, day.Add(time.Duration(h)*time.Hour).Format(time.RFC3339))
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	feed := func(extra ...string) string {
		t.Helper()
		dir := quickstartCopy(t) // a state of its own: the second feed's events are new
		addr := freeAddr(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var out, errb syncBuffer
		s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
		code := make(chan int, 1)
		args := append(append([]string{"run", "-listen", addr, "-log-format", "json"}, extra...), "-events", file, dir)
		go func() { code <- run(ctx, args, s) }()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), "applied "+file) {
			if time.Now().After(deadline) {
				t.Fatalf("the events file was not applied:\n%s\n%s", out.String(), errb.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if c := <-code; c != 0 {
			t.Fatalf("exit %d\n%s", c, errb.String())
		}
		if !strings.Contains(out.String(), "6 events, 0 duplicates, 0 bad") {
			t.Errorf("output: %s", out.String())
		}
		return errb.String()
	}
	first := fmt.Sprintf(`"count":3,"first_line":3,"first_at":%q,"after_line":2,"after_at":%q`,
		day.Add(2*time.Hour).Format(time.RFC3339), day.Add(5*time.Hour).Format(time.RFC3339))
	logs := feed()
	if !strings.Contains(logs, `"level":"WARN","msg":"events dated before an event above in the file (count); each was applied at its own time`) ||
		!strings.Contains(logs, first) || strings.Count(logs, "dated before an event above") != 1 {
		t.Errorf("no one warning with %s:\n%s", first, logs)
	}
	logs = feed("-sort")
	if !strings.Contains(logs, `"level":"INFO","msg":"sorted the events file: events dated before an event above in the file (count); -sort applied every event in time order"`) ||
		!strings.Contains(logs, first) || strings.Contains(logs, `"level":"WARN"`) {
		t.Errorf("-sort:\n%s", logs)
	}
	var errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: io.Discard, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	if c := run(context.Background(), []string{"run", "-sort", quickstartCopy(t)}, s); c != 1 || !strings.Contains(errb.String(), "-sort sorts the -events file") {
		t.Errorf("-sort without -events: %d %s", c, errb.String())
	}
}

func TestNextPort(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:7341": "127.0.0.1:7342",
		"0.0.0.0:8080":   "0.0.0.0:8081",
		":9000":          ":9001",
		"[::1]:7341":     "[::1]:7342",
		"no-port":        "127.0.0.1:7342",
		"h:65535":        "127.0.0.1:7342",
	} {
		if got := nextPort(in); got != want {
			t.Errorf("nextPort(%q) = %q, want %q", in, got, want)
		}
	}
}
