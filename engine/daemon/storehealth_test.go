package daemon_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// fullDisk is a disk that fills and is given room again: while full,
// the journal's writes, allocations and syncs and the transactions
// into the database fail with ENOSPC.
type fullDisk struct{ full atomic.Bool }

func (d *fullDisk) fault(op string) error {
	if d.full.Load() && op != "committed" {
		return fmt.Errorf("%s: %w", op, unix.ENOSPC)
	}
	return nil
}

// probe answers GET path: its status, Retry-After and JSON body.
func probe(t *testing.T, url, path string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, data)
	}
	return resp.StatusCode, body
}

// until polls cond; the deadline only keeps a broken recovery from
// hanging the test.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

// The SQLite state's disk fills: events are refused with 503 and
// Retry-After, /readyz answers 503 with the reason, /healthz stays 200
// (a restart would not make room), GET /v1/status says why and since
// when, hearth_state_store_failing is 1, and the failure is logged once.
// Once there is room the daemon takes events again by itself: the
// events refused are taken when sent again, and every event accepted
// before and after is applied once.
func TestFullDiskIsReportedAndRecovered(t *testing.T) {
	var logs syncBuffer
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	if code, body := post(t, f, "/v1/events", events(0, 50), ""); code != http.StatusAccepted || body["accepted"] != 50.0 {
		t.Fatalf("before the disk fills: %d %v", code, body)
	}
	if got := metric(t, f.srv.URL, "hearth_state_store_failing"); got != "0" {
		t.Errorf("hearth_state_store_failing %s before any failure; want 0", got)
	}
	var disk fullDisk
	f.store.InjectFaults(disk.fault)
	disk.full.Store(true)

	req, _ := http.NewRequest("POST", f.srv.URL+"/v1/events", strings.NewReader(events(50, 50)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var refused map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&refused)
	resp.Body.Close()
	if msg, _ := refused["error"].(string); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(msg, "no space left on device") || !strings.Contains(msg, "nothing was applied") {
		t.Fatalf("events on a full disk: %d (Retry-After %q) %v; want 503 saying why", resp.StatusCode, resp.Header.Get("Retry-After"), refused)
	}
	code, ready := probe(t, f.srv.URL, "/readyz")
	if reason, _ := ready["reason"].(string); code != http.StatusServiceUnavailable || !strings.HasPrefix(reason, "state: failing since ") ||
		!strings.Contains(reason, "no space left on device") {
		t.Errorf("/readyz on a full disk: %d %v", code, ready)
	}
	if code, body := probe(t, f.srv.URL, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz on a full disk: %d %v; want 200, the daemon recovers by itself", code, body)
	}
	_, status := probe(t, f.srv.URL, "/v1/status")
	st, _ := status["state"].(map[string]any)
	if msg, _ := st["error"].(string); st["status"] != "failing" || st["since"] == nil || st["failures"] != 1.0 || !strings.Contains(msg, "no space left on device") {
		t.Errorf("status state on a full disk: %v", st)
	}
	if got := metric(t, f.srv.URL, "hearth_state_store_failing"); got != "1" {
		t.Errorf("hearth_state_store_failing %s on a full disk; want 1", got)
	}
	if got := metric(t, f.srv.URL, "hearth_state_store_failures_total"); got != "1" {
		t.Errorf("hearth_state_store_failures_total %s; want 1", got)
	}
	if code, _ := post(t, f, "/v1/events", events(50, 50), ""); code != http.StatusServiceUnavailable {
		t.Errorf("sent again on a full disk: %d; want 503", code)
	}
	// The store's repair runs into the full disk until there is room.
	until(t, "a failed repair", func() bool { return f.store.Health().Retries > 0 })

	disk.full.Store(false)
	until(t, "/readyz 200 once there is room", func() bool { code, _ := probe(t, f.srv.URL, "/readyz"); return code == http.StatusOK })
	if code, body := post(t, f, "/v1/events", events(50, 50), ""); code != http.StatusAccepted || body["accepted"] != 50.0 {
		t.Fatalf("the refused events sent again after the recovery: %d %v", code, body)
	}
	if code, body := post(t, f, "/v1/events", events(0, 100), ""); code != http.StatusAccepted || body["duplicates"] != 100.0 {
		t.Errorf("all 100 events sent again: %d %v; want each a duplicate", code, body)
	}
	if p := points(t, f); p != 100 {
		t.Errorf("points %d; want 100, each event once", p)
	}
	_, status = probe(t, f.srv.URL, "/v1/status")
	if st, _ := status["state"].(map[string]any); st["status"] != "ok" || st["failures"] != 1.0 || st["error"] != nil {
		t.Errorf("status state after the recovery: %v", st)
	}
	if got := metric(t, f.srv.URL, "hearth_state_store_failing"); got != "0" {
		t.Errorf("hearth_state_store_failing %s after the recovery; want 0", got)
	}
	// Said once each, however many rounds ran into the failure; the
	// processor's one about the store is the one to read.
	until(t, "the recovery logged", func() bool { return strings.Contains(logs.String(), "the state store recovered") })
	if n := strings.Count(logs.String(), `"msg":"the state store is failing`); n != 1 {
		t.Errorf("the failure logged %d times; want once:\n%s", n, logs.String())
	}
}

// A failure the store cannot recover from (an I/O error on a sync)
// fails /healthz too, and stops the daemon: Run returns the error, so
// hearth run exits 1 for a supervisor to restart it.
func TestFatalStoreFailureStopsTheDaemon(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", base)
	write(t, dir, "rules.hcl", rulesA)
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var logs syncBuffer
	d, diags, _ := daemon.New(daemon.Options{Dir: dir, Store: store, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
		Load: config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}}})
	if d == nil {
		t.Fatal(diags.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	srv := httptest.NewServer(d.Handler(""))
	defer srv.Close()
	f := &fixture{dir: dir, d: d, srv: srv, store: store}
	if code, _ := post(t, f, "/v1/events", events(0, 10), ""); code != http.StatusAccepted {
		t.Fatalf("before the failure: %d", code)
	}
	store.InjectFaults(func(op string) error {
		if op == "sync" {
			return fmt.Errorf("fdatasync: %w", unix.EIO)
		}
		return nil
	})
	if code, body := post(t, f, "/v1/events", events(10, 10), ""); code != http.StatusServiceUnavailable {
		t.Errorf("events when the disk fails: %d %v; want 503", code, body)
	}
	code, health := probe(t, srv.URL, "/healthz")
	if reason, _ := health["reason"].(string); code != http.StatusServiceUnavailable || health["status"] != "failed" || !strings.Contains(reason, "input/output error") {
		t.Errorf("/healthz after a fatal failure: %d %v; want 503 with the reason", code, health)
	}
	if code, _ := probe(t, srv.URL, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz after a fatal failure: %d", code)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "cannot recover without a restart") || !errors.Is(err, unix.EIO) {
			t.Errorf("Run returned %v; want the fatal failure", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon goes on after the store failed for good")
	}
	if !strings.Contains(logs.String(), "cannot recover by itself: stopping") {
		t.Errorf("no line says why the daemon stops:\n%s", logs.String())
	}
	if _, err := store.Begin(context.Background()); !errors.Is(err, state.ErrFailing) {
		t.Errorf("Begin: %v", err)
	}
}
