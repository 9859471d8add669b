package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/postgres"
	"github.com/hearth-community/hearth/engine/state/postgres/cutproxy"
)

// pgBehindProxy opens a PostgreSQL store in a schema of its own, through
// a proxy the test can cut; it skips without HEARTH_TEST_POSTGRES_URL.
func pgBehindProxy(t *testing.T) (*postgres.Store, *cutproxy.Proxy) {
	t.Helper()
	raw := os.Getenv("HEARTH_TEST_POSTGRES_URL")
	if raw == "" {
		t.Skip("skipping: set HEARTH_TEST_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to test the PostgreSQL state")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("hearth_daemon_test_%d_%d", os.Getpid(), rand.Uint64())
	t.Cleanup(func() {
		ctx := context.Background()
		if c, err := pgx.Connect(ctx, raw); err == nil {
			_, _ = c.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
			c.Close(ctx)
		}
	})
	target := u.Host
	if u.Port() == "" {
		target += ":5432"
	}
	p, err := cutproxy.Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	u.Host = p.Addr()
	s, err := postgres.Open(context.Background(), u.String(), postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, p
}

// PostgreSQL out of reach is reported and recovered from as a full disk
// is: events are refused with 503 and Retry-After and none is kept,
// /readyz answers 503, GET /v1/status has the state block,
// hearth_state_store_failing is 1, the failure is logged once and the
// work refused meanwhile at a limited rate; once the database answers,
// all of it clears by itself and every event is applied once.
func TestPostgresOutageIsReportedAndRecovered(t *testing.T) {
	store, proxy := pgBehindProxy(t)
	dir := t.TempDir()
	write(t, dir, "main.hcl", base)
	write(t, dir, "rules.hcl", rulesA)
	var logs syncBuffer
	d, diags, _ := daemon.New(daemon.Options{Dir: dir, Store: store, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
		Load: config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}}})
	if d == nil {
		t.Fatal(diags.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	srv := httptest.NewServer(d.Handler(""))
	t.Cleanup(srv.Close)
	f := &fixture{dir: dir, d: d, srv: srv}
	pgPoints := func() int {
		total := 0
		if err := store.Members(context.Background(), func(m *state.Member) error { total += m.Points; return nil }); err != nil {
			t.Fatal(err)
		}
		return total
	}

	if code, body := post(t, f, "/v1/events", events(0, 50), ""); code != http.StatusAccepted || body["accepted"] != 50.0 {
		t.Fatalf("before the outage: %d %v", code, body)
	}
	_, status := probe(t, srv.URL, "/v1/status")
	if st, _ := status["state"].(map[string]any); st["status"] != "ok" || st["failures"] != 0.0 {
		t.Errorf("status state before the outage: %v", status["state"])
	}
	if got := metric(t, srv.URL, `hearth_http_requests_total{code="503",route="POST /v1/events"}`); got != "0" {
		t.Errorf("503s of POST /v1/events before any: %q; want a series at 0", got)
	}

	proxy.Cut()
	req, _ := http.NewRequest("POST", srv.URL+"/v1/events", strings.NewReader(events(50, 50)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var refused map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&refused)
	resp.Body.Close()
	if msg, _ := refused["error"].(string); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(msg, "nothing was applied") {
		t.Fatalf("events with PostgreSQL cut off: %d (Retry-After %q) %v; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), refused)
	}
	if code, _ := probe(t, srv.URL, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with PostgreSQL cut off: %d; want 503", code)
	}
	if code, body := probe(t, srv.URL, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with PostgreSQL cut off: %d %v; want 200, the daemon recovers by itself", code, body)
	}
	_, status = probe(t, srv.URL, "/v1/status")
	if st, _ := status["state"].(map[string]any); st["status"] != "failing" || st["since"] == nil || st["failures"] != 1.0 {
		t.Errorf("status state with PostgreSQL cut off: %v", status["state"])
	}
	if got := metric(t, srv.URL, "hearth_state_store_failing"); got != "1" {
		t.Errorf("hearth_state_store_failing %s with PostgreSQL cut off; want 1", got)
	}
	if got := metric(t, srv.URL, `hearth_http_requests_total{code="503",route="POST /v1/events"}`); got != "1" {
		t.Errorf("503s of POST /v1/events: %q; want 1", got)
	}
	// The processor's rounds run into the outage meanwhile.
	until(t, "the probe retried", func() bool { return store.Health().Retries >= 5 })

	proxy.Mend()
	until(t, "/readyz 200 once PostgreSQL answers", func() bool { code, _ := probe(t, srv.URL, "/readyz"); return code == http.StatusOK })
	if got := metric(t, srv.URL, "hearth_state_store_failing"); got != "0" {
		t.Errorf("hearth_state_store_failing %s after the recovery; want 0", got)
	}
	if p := pgPoints(); p != 50 {
		t.Errorf("points %d after the outage; want 50: an event refused with 503 was kept", p)
	}
	if code, body := post(t, f, "/v1/events", events(50, 50), ""); code != http.StatusAccepted || body["accepted"] != 50.0 {
		t.Fatalf("the refused events sent again after the recovery: %d %v", code, body)
	}
	if code, body := post(t, f, "/v1/events", events(0, 100), ""); code != http.StatusAccepted || body["duplicates"] != 100.0 {
		t.Errorf("all 100 events sent again: %d %v; want each a duplicate", code, body)
	}
	if p := pgPoints(); p != 100 {
		t.Errorf("points %d; want 100, each event once", p)
	}
	until(t, "the recovery logged", func() bool { return strings.Contains(logs.String(), "the state store recovered") })
	if n := strings.Count(logs.String(), `"msg":"the state store is failing`); n != 1 {
		t.Errorf("the failure logged %d times; want once:\n%s", n, logs.String())
	}
	// Work refused during the outage (the processor's rechecks, each
	// second) is logged once a minute at most, per message.
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%v in %s", err, line)
		}
		if rec.Level == "ERROR" || rec.Level == "WARN" {
			if seen[rec.Msg]++; seen[rec.Msg] == 2 {
				t.Errorf("logged more than once during a few seconds' outage: %q\n%s", rec.Msg, logs.String())
			}
		}
	}
}
