package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hearth run says what runs (its version, in GET /v1/status and
// hearth_build_info), names the signal that stops it, and sums the run
// up in its last line: the uptime and the events committed.
func TestRunNamesItsStopSignal(t *testing.T) {
	dir := quickstartCopy(t)
	addr := freeAddr(t)
	// As main does: the signal cancels the context, and is its cause.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	var out, errb syncBuffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, "-log-format", "json", dir}, s) }()
	url := "http://" + addr
	waitReady(t, url, errb.String)
	var b strings.Builder
	for i := range 25 {
		fmt.Fprintf(&b, `{"id":"s%d","type":"message.posted","member":"m%d","at":"2026-01-01T10:00:00Z"}`+"\n", i, i%5)
	}
	resp, err := http.Post(url+"/v1/events", "application/x-ndjson", strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("post: %d", resp.StatusCode)
	}
	resp, err = http.Get(url + "/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Version   string `json:"version"`
		GoVersion string `json:"go_version"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.Version != Version || st.GoVersion != goruntime.Version() {
		t.Errorf("status: version %q, go_version %q; want %q, %q", st.Version, st.GoVersion, Version, goruntime.Version())
	}
	resp, err = http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf(`hearth_build_info{goversion=%q,revision="",version=%q} 1`, goruntime.Version(), Version); !bytes.Contains(metrics, []byte(want)) {
		t.Errorf("/metrics lacks %s", want)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d\n%s", c, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop")
	}
	var stopping, stopped map[string]any
	for _, line := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		var r map[string]any
		if json.Unmarshal([]byte(line), &r) != nil {
			continue
		}
		switch msg, _ := r["msg"].(string); {
		case strings.HasPrefix(msg, "stopping"):
			stopping = r
		case msg == "stopped":
			stopped = r
		}
	}
	if stopping["signal"] != "SIGTERM" {
		t.Errorf("the stopping line %v; want signal SIGTERM", stopping)
	}
	if stopped["events_committed"] != 25.0 || stopped["uptime"] == nil || stopped["uptime"] == "" {
		t.Errorf("the stopped line %v; want 25 events committed and the uptime", stopped)
	}
}

// A context that ends for another cause says so, rather than naming no
// signal.
func TestStopSignalOtherCause(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := stopSignal(ctx); got != "context canceled" {
		t.Errorf("stopSignal of a cancelled context: %q", got)
	}
	if got := stopSignal(context.Background()); got != "" {
		t.Errorf("stopSignal of a live context: %q", got)
	}
}

// hearth run -events stopped halfway through the file says how many of
// its events were applied: exactly those committed, the batch in hand
// when the signal came included (it is committed before the daemon
// stops), so that the file's line and the stopped line agree.
func TestRunEventsStopCountsCommitted(t *testing.T) {
	dir := quickstartCopy(t)
	var b strings.Builder
	const total = 200000
	for i := range total {
		fmt.Fprintf(&b, `{"id":"f%d","type":"message.posted","member":"m%d","at":"2026-01-01T10:00:00Z"}`+"\n", i, i%50)
	}
	file := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"run", "-listen", addr, "-log-format", "json", "-events", file, "-batch", "100", dir}, s)
	}()
	url := "http://" + addr
	waitReady(t, url, errb.String)
	// Stopped once some batches are in, with many to go.
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := http.Get(url + "/v1/status")
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Stats map[string]float64 `json:"stats"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if st.Stats["accepted"] >= 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no events committed:\n%s", errb.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	stoppedWith0(t, code, errb.String)
	var fed, stopped map[string]any
	for _, line := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		var r map[string]any
		if json.Unmarshal([]byte(line), &r) != nil {
			continue
		}
		switch msg, _ := r["msg"].(string); {
		case strings.HasPrefix(msg, "stopped before the end of the events file"):
			fed = r
		case msg == "stopped":
			stopped = r
		}
	}
	if fed == nil || stopped == nil {
		t.Fatalf("no events file line or no stopped line:\n%s", errb.String())
	}
	committed, _ := stopped["events_committed"].(float64)
	if committed >= total {
		t.Fatalf("the whole file was applied before the stop (%v events); the test needs a longer one", committed)
	}
	if fed["applied"] != committed || fed["duplicates"] != 0.0 {
		t.Errorf("the events file line says %v applied, %v duplicates; %v were committed (stopped line %v)", fed["applied"], fed["duplicates"], committed, stopped)
	}
}
