package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// fetch answers a request with the token (none when ""), its status and
// body.
func fetch(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// sampleValue is the value of the sample line that starts with series
// (name and labels as /metrics prints them), or -1 when there is none.
func sampleValue(t *testing.T, metrics, series string) float64 {
	t.Helper()
	for _, l := range strings.Split(metrics, "\n") {
		if rest, ok := strings.CutPrefix(l, series+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			return v
		}
	}
	return -1
}

// Every request is counted and timed under its route's pattern, never
// its raw path: paths no route takes share one label value. Requests
// refused for their bearer token are counted by route and reason, and
// logged at most once a minute, with the remote address and without
// what was sent.
func TestHTTPMetrics(t *testing.T) {
	const token = "a-token-of-some-length"
	const guess = "guessed-token-1234"
	var logs syncBuffer
	f := start(t, rulesA, token, func(o *daemon.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	u := f.srv.URL
	for _, r := range []struct {
		method, path, token, body string
		code                      int
	}{
		{"POST", "/v1/events", token, events(0, 7), 202},
		{"GET", "/v1/status", token, "", 200},
		{"GET", "/v1/members/m1", token, "", 200},
		{"GET", "/v1/members/m2", token, "", 200},
		{"GET", "/v1/members/nobody", token, "", 404},
		{"GET", "/healthz", "", "", 200},
		{"GET", "/", "", "", 200},
		{"POST", "/v1/inbound/webhook/none", "", "{}", 404},
		{"GET", "/no/such/path", "", "", 404},
		{"GET", "/another/made-up/path", token, "", 404},
		{"DELETE", "/v1/status", token, "", 405},
		{"GET", "/v1/status", "", "", 401},
		{"GET", "/metrics", guess, "", 401},
		{"POST", "/v1/events", guess, events(100, 1), 401},
	} {
		if code, body := fetch(t, r.method, u+r.path, r.token, r.body); code != r.code {
			t.Fatalf("%s %s: %d %s; want %d", r.method, r.path, code, body, r.code)
		}
	}
	_, m := fetch(t, "GET", u+"/metrics", token, "")
	for series, want := range map[string]float64{
		`hearth_http_requests_total{code="202",route="POST /v1/events"}`:                    1,
		`hearth_http_requests_total{code="200",route="GET /v1/members/{id}"}`:               2,
		`hearth_http_requests_total{code="404",route="GET /v1/members/{id}"}`:               1,
		`hearth_http_requests_total{code="200",route="GET /healthz"}`:                       1,
		`hearth_http_requests_total{code="200",route="GET /{$}"}`:                           1,
		`hearth_http_requests_total{code="404",route="/v1/inbound/{type}/{name}"}`:          1,
		`hearth_http_requests_total{code="404",route="unmatched"}`:                          2,
		`hearth_http_requests_total{code="405",route="GET /v1/status"}`:                     1,
		`hearth_http_requests_total{code="405",route="unmatched"}`:                          -1, // none
		`hearth_http_requests_total{code="401",route="GET /v1/status"}`:                     1,
		`hearth_http_requests_total{code="401",route="POST /v1/events"}`:                    1,
		`hearth_http_request_duration_seconds_count{route="GET /v1/status"}`:                3,
		`hearth_http_request_duration_seconds_count{route="unmatched"}`:                     2,
		`hearth_http_request_duration_seconds_count{route="GET /readyz"}`:                   0, // from the start
		`hearth_http_unauthorized_total{reason="missing",route="GET /v1/status"}`:           1,
		`hearth_http_unauthorized_total{reason="wrong",route="GET /metrics"}`:               1,
		`hearth_http_unauthorized_total{reason="wrong",route="POST /v1/events"}`:            1,
		`hearth_http_unauthorized_total{reason="wrong",route="POST /v1/reload"}`:            0, // from the start
		`hearth_http_unauthorized_total{reason="missing",route="GET /v1/members/{id}/why"}`: 0,
	} {
		if got := sampleValue(t, m, series); got != want {
			t.Errorf("%s = %v; want %v", series, got, want)
		}
	}
	// Routes that take no token have no unauthorized series.
	if strings.Contains(m, `hearth_http_unauthorized_total{reason="missing",route="GET /healthz"}`) {
		t.Error("/healthz, which takes no token, has an unauthorized series")
	}
	// Only patterns and the one catch-all as routes: no raw path.
	routes := map[string]bool{"unmatched": true}
	for _, r := range daemon.Routes() {
		routes[r.Pattern] = true
	}
	for _, match := range regexp.MustCompile(`route="([^"]*)"`).FindAllStringSubmatch(m, -1) {
		if !routes[match[1]] {
			t.Errorf("route label %q is no route pattern", match[1])
		}
	}

	// Three refusals, one warning line: the first, with the remote
	// address, and never the token sent.
	var warns []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if strings.HasPrefix(r["msg"].(string), "request refused: missing or wrong bearer token") {
			warns = append(warns, r)
		}
	}
	if len(warns) != 1 || warns[0]["level"] != "WARN" || warns[0]["route"] != "GET /v1/status" || warns[0]["reason"] != "missing" ||
		!strings.HasPrefix(warns[0]["remote"].(string), "127.0.0.1:") {
		t.Errorf("token refusals logged: %v; want one warning with the remote address", warns)
	}
	if strings.Contains(logs.String(), guess) {
		t.Errorf("the log quotes the token sent:\n%s", logs.String())
	}
}

// GET /v1/status and /metrics say what runs: hearth's version and Go's,
// since when, and the configuration in force by its hash, with when it
// was last loaded; a reload that fails leaves both.
func TestBuildAndConfigInfo(t *testing.T) {
	before := time.Now()
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Load.Version = "9.8.7" })
	code, st := get(t, f, "/v1/status")
	if code != 200 || st["version"] != "9.8.7" || st["go_version"] != goruntime.Version() || st["queue_events"] != 0.0 {
		t.Fatalf("status: %d version %v, go_version %v, queue_events %v", code, st["version"], st["go_version"], st["queue_events"])
	}
	startedAt, err := time.Parse(time.RFC3339, st["started_at"].(string))
	if err != nil || startedAt.Before(before.Truncate(time.Second)) || startedAt.After(time.Now()) {
		t.Errorf("started_at %v, %v; want the start of this test", st["started_at"], err)
	}
	if up, ok := st["uptime_seconds"].(float64); !ok || up < 0 || up > time.Since(before).Seconds()+1 {
		t.Errorf("uptime_seconds %v", st["uptime_seconds"])
	}
	hash := st["config"].(map[string]any)["hash"].(string)
	m := metricsText(t, f)
	if got := sampleValue(t, m, fmt.Sprintf(`hearth_build_info{goversion=%q,revision="",version="9.8.7"}`, goruntime.Version())); got != 1 {
		t.Errorf("hearth_build_info = %v; want 1:\n%s", got, grepLines([]byte(m), "hearth_build_info"))
	}
	if got := sampleValue(t, m, `hearth_config_info{hash="`+hash[:12]+`"}`); got != 1 {
		t.Errorf("hearth_config_info for %s = %v; want 1:\n%s", hash[:12], got, grepLines([]byte(m), "hearth_config_info"))
	}
	loaded := sampleValue(t, m, "hearth_config_last_reload_success_timestamp_seconds")
	if loaded < float64(before.Unix()) || loaded > float64(time.Now().Unix()+1) {
		t.Errorf("hearth_config_last_reload_success_timestamp_seconds %v; want the start, %d", loaded, before.Unix())
	}

	time.Sleep(20 * time.Millisecond) // a later load is later, in float seconds too
	write(t, f.dir, "rules.hcl", rulesB)
	if code, body := post(t, f, "/v1/reload", "", ""); code != 200 {
		t.Fatalf("reload: %d %v", code, body)
	}
	_, st = get(t, f, "/v1/status")
	newHash := st["config"].(map[string]any)["hash"].(string)
	m = metricsText(t, f)
	if sampleValue(t, m, `hearth_config_info{hash="`+newHash[:12]+`"}`) != 1 || strings.Contains(m, hash[:12]) {
		t.Errorf("after the reload, hearth_config_info:\n%s\nwant only %s", grepLines([]byte(m), "hearth_config_info"), newHash[:12])
	}
	reloaded := sampleValue(t, m, "hearth_config_last_reload_success_timestamp_seconds")
	if reloaded <= loaded {
		t.Errorf("after a reload, the last success at %v; before it %v", reloaded, loaded)
	}

	write(t, f.dir, "rules.hcl", `incentive "x" {`)
	if code, _ := post(t, f, "/v1/reload", "", ""); code != http.StatusUnprocessableEntity {
		t.Fatalf("broken reload: %d", code)
	}
	m = metricsText(t, f)
	if got := sampleValue(t, m, "hearth_config_last_reload_success_timestamp_seconds"); got != reloaded ||
		sampleValue(t, m, `hearth_config_info{hash="`+newHash[:12]+`"}`) != 1 {
		t.Errorf("after a failed reload: last success %v (want %v), config info:\n%s", got, reloaded, grepLines([]byte(m), "hearth_config_info"))
	}
}

// hearth_ingest_queue_events counts the events handed to the processor
// and not yet committed.
func TestIngestQueueGauge(t *testing.T) {
	f := start(t, rulesA, "")
	release := make(chan struct{})
	held := make(chan struct{})
	// A query holds the processor, so what is posted meanwhile waits.
	go func() {
		_ = f.d.Query(context.Background(), func(context.Context, *runtime.Runtime) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	posted := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", f.srv.URL+"/v1/events", strings.NewReader(events(0, 5)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			posted <- 0
			return
		}
		resp.Body.Close()
		posted <- resp.StatusCode
	}()
	// (GET /v1/status reads the outbox between batches: it would wait.)
	waitFor(t, func() bool { return sampleValue(t, metricsText(t, f), "hearth_ingest_queue_events") == 5 })
	close(release)
	if code := <-posted; code != http.StatusAccepted {
		t.Fatalf("post: %d", code)
	}
	if got := sampleValue(t, metricsText(t, f), "hearth_ingest_queue_events"); got != 0 {
		t.Errorf("after the commit, hearth_ingest_queue_events %v; want 0", got)
	}
	if _, st := get(t, f, "/v1/status"); st["queue_events"] != 0.0 {
		t.Errorf("status queue_events %v; want 0", st["queue_events"])
	}
}

// hearth_outbox_oldest_pending_seconds is how long the oldest pending
// entry has waited since it was queued, by the daemon's clock; 0 when
// none is pending. Not since its action was decided: that is event
// time, and a backfill of events a month old queues messages that have
// waited seconds, not a month.
func TestOutboxOldestPendingGauge(t *testing.T) {
	var clock atomic.Int64
	now := time.Date(2026, 1, 1, 11, 30, 0, 0, time.UTC)
	clock.Store(now.UnixNano())
	f := start(t, `
campaign "hello" {
  community = community.c
  enter_on  = "member.joined"
  expire_after = "never"
  step "hi" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
template "hi" {
  text = { en = "Hi" }
}
`, "", func(o *daemon.Options) {
		o.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
		o.SampleEvery = 20 * time.Millisecond
	})
	oldest := func() float64 { return sampleValue(t, metricsText(t, f), "hearth_outbox_oldest_pending_seconds") }
	if got := oldest(); got != 0 {
		t.Errorf("an empty outbox: %v; want 0", got)
	}
	// A backfill: joins of a month before, queued at 11:30.
	body := `{"id":"j1","type":"member.joined","member":"u1","at":"2025-12-01T10:00:00Z"}
{"id":"j2","type":"member.joined","member":"u2","at":"2025-12-01T11:00:00Z"}`
	if code, out := post(t, f, "/v1/events?backfill=true", body, ""); code != 202 {
		t.Fatalf("post: %d %v", code, out)
	}
	// No sender: the two messages stay pending. A minute and a half
	// later by the clock, they have waited that long.
	clock.Store(now.Add(90 * time.Second).UnixNano())
	waitFor(t, func() bool { return oldest() == 90 })
	code, out := get(t, f, "/v1/outbox?status=pending")
	if code != 200 {
		t.Fatalf("outbox: %d %v", code, out)
	}
	entries, _ := out["entries"].([]any)
	if len(entries) != 2 {
		t.Fatalf("pending entries %v; want 2", out)
	}
	for _, e := range entries {
		e := e.(map[string]any)
		if e["queued_at"] != "2026-01-01T11:30:00Z" || !strings.HasPrefix(fmt.Sprint(e["at"]), "2025-12-01T") {
			t.Errorf("entry %v: want queued_at 2026-01-01T11:30:00Z and the event's at", e)
		}
	}
}

// recovered is a store whose opening folded what an unclean stop left.
type recovered struct {
	*state.Memory
	r state.Recovery
}

func (s recovered) Recovered() state.Recovery { return s.r }

// A start that had to fold journaled batches says so, with how many:
// nothing was lost, but the stop before was no clean one.
func TestRecoveryLogged(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", base)
	write(t, dir, "rules.hcl", rulesA)
	for _, r := range []state.Recovery{{}, {Batches: 3, Events: 120}} {
		var logs syncBuffer
		d, diags, _ := daemon.New(daemon.Options{Dir: dir, Store: recovered{state.NewMemory(), r}, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
			Load: config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}}})
		if d == nil {
			t.Fatal(diags.Error())
		}
		const msg = `"level":"WARN","msg":"folded journaled batches left by an unclean stop","batches":3,"events":120`
		if got := strings.Contains(logs.String(), msg); got != (r.Batches > 0) {
			t.Errorf("recovered %+v; logs:\n%s", r, logs.String())
		}
		if r.Batches == 0 && strings.Contains(logs.String(), "unclean stop") {
			t.Errorf("a clean start logs an unclean stop:\n%s", logs.String())
		}
	}
}
