package daemon_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/stamp"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

const base = `
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
}
badge "double" {}
`

const rulesA = `
incentive "post" {
  on = "message.posted"
  grant { points = 1 }
}
`

// rulesB grants two points and a badge for the same event: an event
// evaluated half by A and half by B would show one without the other.
const rulesB = `
incentive "post" {
  on = "message.posted"
  grant {
    points = 2
    badge  = badge.double
  }
}
incentive "post_badge" {
  on = "message.posted"
  grant { badge = badge.double }
}
`

type fixture struct {
	dir   string
	db    string
	d     *daemon.Daemon
	srv   *httptest.Server
	store *sqlite.Store
	stop  func()
}

func start(t testing.TB, rules, token string, tweak ...func(*daemon.Options)) *fixture {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, "main.hcl", base)
	write(t, dir, "rules.hcl", rules)
	return startOn(t, dir, filepath.Join(t.TempDir(), "state.db"), token, tweak...)
}

// startOn starts a daemon on the configuration in dir and the SQLite
// store db, which may hold another daemon's state.
func startOn(t testing.TB, dir, db, token string, tweak ...func(*daemon.Options)) *fixture {
	t.Helper()
	store, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	opt := daemon.Options{Dir: dir, Store: store, Load: config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}}}
	for _, f := range tweak {
		f(&opt)
	}
	d, diags, _ := daemon.New(opt)
	if d == nil {
		t.Fatal(diags.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	srv := httptest.NewServer(d.Handler(token))
	f := &fixture{dir: dir, db: db, d: d, srv: srv, store: store}
	var once sync.Once
	f.stop = func() {
		once.Do(func() {
			srv.Close()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
			store.Close()
		})
	}
	t.Cleanup(f.stop)
	return f
}

func write(t testing.TB, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func events(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, `{"id":"e%d","type":"message.posted","member":"m%d","at":"2026-01-01T10:00:00Z"}`+"\n", i, i%7)
	}
	return b.String()
}

func post(t *testing.T, f *fixture, path, body, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return sendJSON(t, req)
}

// sendJSON sends req and reads its JSON answer.
func sendJSON(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

func points(t *testing.T, f *fixture) int {
	t.Helper()
	total := 0
	if err := f.store.Members(context.Background(), func(m *state.Member) error { total += m.Points; return nil }); err != nil {
		t.Fatal(err)
	}
	return total
}

func TestIngestIdempotentAndAtomicPerRequest(t *testing.T) {
	f := start(t, rulesA, "")
	code, body := post(t, f, "/v1/events", events(0, 50), "")
	if code != http.StatusAccepted || body["accepted"] != 50.0 {
		t.Fatalf("first post: %d %v", code, body)
	}
	// 202 means durable: the points are there without waiting.
	if p := points(t, f); p != 50 {
		t.Fatalf("points after 202 = %d", p)
	}
	code, body = post(t, f, "/v1/events", events(0, 50), "")
	if code != http.StatusAccepted || body["duplicates"] != 50.0 || points(t, f) != 50 {
		t.Fatalf("replay: %d %v points %d", code, body, points(t, f))
	}
	// One bad event: 400 with its index, and nothing applied.
	bad := events(100, 3) + `{"id":"x","type":"message.posted","member":"m1","at":"yesterday"}` + "\n" + events(200, 2)
	code, body = post(t, f, "/v1/events", bad, "")
	errs, _ := body["events"].([]any)
	if code != http.StatusBadRequest || len(errs) != 1 || errs[0].(map[string]any)["index"] != 3.0 {
		t.Fatalf("bad request: %d %v", code, body)
	}
	if msg := body["error"]; msg != "1 of 6 events is invalid; nothing was applied" {
		t.Errorf("bad request's message: %q", msg)
	}
	if code, body := post(t, f, "/v1/events?backfill=maybe", events(300, 1), ""); code != http.StatusBadRequest || body["error"] != `backfill must be true or false, not "maybe"` {
		t.Errorf("a bad backfill parameter: %d %v", code, body)
	}
	if _, body := post(t, f, "/v1/events", `{"id":"x"}`, ""); body["error"] != "the event is invalid; nothing was applied" {
		t.Errorf("one bad event's message: %q", body["error"])
	}
	if p := points(t, f); p != 50 {
		t.Errorf("a rejected request changed state: points %d", p)
	}
	for _, body := range []string{"", "[]", `[{"id":"1"}]`, "{", strings.Repeat("x", 100)} {
		if code, _ := post(t, f, "/v1/events", body, ""); code != http.StatusBadRequest {
			t.Errorf("body %q: status %d; want 400", body, code)
		}
	}
	if code, _ := post(t, f, "/v1/events", strings.Repeat(" ", daemon.MaxBody+1), ""); code != http.StatusRequestEntityTooLarge {
		t.Errorf("huge body: %d", code)
	}
}

func TestBearerToken(t *testing.T) {
	f := start(t, rulesA, "s3cret")
	if code, _ := post(t, f, "/v1/events", events(0, 1), ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	if code, _ := post(t, f, "/v1/events", events(0, 1), "wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", code)
	}
	if code, _ := post(t, f, "/v1/events", events(0, 1), "s3cret"); code != http.StatusAccepted {
		t.Errorf("right token: %d", code)
	}
	// The scheme's name is case-insensitive (RFC 9110); the token is not.
	for header, want := range map[string]int{
		"bearer s3cret": http.StatusAccepted, "BEARER s3cret": http.StatusAccepted, "Bearer  s3cret": http.StatusAccepted,
		"Bearer S3CRET": http.StatusUnauthorized, "Basic s3cret": http.StatusUnauthorized, "Bearers3cret": http.StatusUnauthorized,
	} {
		req, _ := http.NewRequest("POST", f.srv.URL+"/v1/events", strings.NewReader(events(0, 1)))
		req.Header.Set("Authorization", header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Authorization: %s: %d, want %d", header, resp.StatusCode, want)
		}
	}
	resp, err := http.Get(f.srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: %v %v", resp, err)
	}
	resp, _ = http.Get(f.srv.URL + "/metrics")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("metrics without token: %d", resp.StatusCode)
	}
}

func TestBrokenReloadKeepsTheRunningConfig(t *testing.T) {
	var logs syncBuffer
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	write(t, f.dir, "rules.hcl", rulesA+`segment "x" { when = "member.pionts > 1" }`)
	code, body := post(t, f, "/v1/reload", "", "")
	if code != http.StatusUnprocessableEntity || body["ok"] != false {
		t.Fatalf("broken reload: %d %v", code, body)
	}
	// The log line says what is wrong and where, not only that it is:
	// an operator tailing the logs needs no second look at the API.
	if got := logs.String(); !strings.Contains(got, `"first":"rules.hcl:6:30: Invalid rule: member has no field \"pionts\". Did you mean \"points\"?"`) {
		t.Errorf("reload failure logged as\n%s", got)
	}
	if code, _ := post(t, f, "/v1/events", events(0, 10), ""); code != http.StatusAccepted || points(t, f) != 10 {
		t.Fatalf("events after a failed reload: %d points %d", code, points(t, f))
	}
	resp, _ := http.Get(f.srv.URL + "/metrics")
	data, _ := io.ReadAll(resp.Body)
	if !bytes.Contains(data, []byte("hearth_config_reload_success 0")) {
		t.Error("metric does not show the failed reload")
	}
	write(t, f.dir, "rules.hcl", rulesB)
	if code, _ := post(t, f, "/v1/reload", "", ""); code != http.StatusOK {
		t.Fatalf("good reload: %d", code)
	}
	post(t, f, "/v1/events", events(10, 10), "")
	if p := points(t, f); p != 10+20 {
		t.Errorf("points %d; want 30 (10 under A, 10 events x 2 under B)", p)
	}
}

// Reloads while events stream in: every event is applied exactly once,
// each wholly by the old rules or wholly by the new ones.
func TestSwapIsAtomicBetweenEvents(t *testing.T) {
	f := start(t, rulesA, "")
	const batches, per = 40, 25
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range batches {
			if code, body := post(t, f, "/v1/events", events(i*per, per), ""); code != http.StatusAccepted {
				t.Errorf("batch %d: %d %v", i, code, body)
			}
		}
	}()
	for i := range 10 {
		rules := rulesA
		if i%2 == 0 {
			rules = rulesB
		}
		write(t, f.dir, "rules.hcl", rules)
		f.d.Reload("test")
		time.Sleep(5 * time.Millisecond)
	}
	wg.Wait()
	f.stop()
	db, err := sql.Open("sqlite", f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	_ = db.QueryRow(`SELECT count(*) FROM events`).Scan(&n)
	if n != batches*per {
		t.Fatalf("%d events stored; want %d", n, batches*per)
	}
	rows, err := db.Query(`SELECT event, group_concat(kind || ':' || points, ',') FROM outcomes GROUP BY event`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var ev, kinds string
		_ = rows.Scan(&ev, &kinds)
		seen++
		one, two := strings.Contains(kinds, "points:1"), strings.Contains(kinds, "points:2")
		badge := strings.Contains(kinds, "badge")
		if one == two || (one && badge) {
			t.Errorf("event %s was not evaluated wholly by one rule set: %s", ev, kinds)
		}
	}
	if seen != batches*per {
		t.Errorf("%d events with outcomes; want %d", seen, batches*per)
	}
}

func TestWatchReloadsOnRenameAndSymlinkSwap(t *testing.T) {
	f := start(t, rulesA, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = f.d.Watch(ctx, daemon.WatchOptions{Settle: 50 * time.Millisecond}) }()
	time.Sleep(100 * time.Millisecond)
	before := f.d.Snapshot().Config.Hash
	// An editor's save: write a temporary file, rename it over the old.
	tmp := filepath.Join(f.dir, ".rules.hcl.swp")
	if err := os.WriteFile(tmp, []byte(rulesB), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(f.dir, "rules.hcl")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return f.d.Snapshot().Config.Hash != before })
	// A Kubernetes ConfigMap update: ..data is re-pointed at a new folder.
	mid := f.d.Snapshot().Config.Hash
	data1 := filepath.Join(f.dir, "..v2")
	if err := os.Mkdir(data1, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, data1, "extra.hcl", `segment "new" { when = "member.points > 5" }`)
	if err := os.Symlink(filepath.Join(data1, "extra.hcl"), filepath.Join(f.dir, "extra.hcl")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(data1, filepath.Join(f.dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(f.dir, "..data_tmp"), filepath.Join(f.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return f.d.Snapshot().Config.Hash != mid })
	if n := len(f.d.Snapshot().Config.Segments); n != 1 {
		t.Errorf("segments after the swap: %d", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func get(t *testing.T, f *fixture, path string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

func TestAdminAPI(t *testing.T) {
	f := start(t, rulesA+`
segment "posters" {
  when = "total('message.posted') >= 3"
}
`, "")
	post(t, f, "/v1/events", events(0, 21), "") // m0..m6 post 3 times each
	code, m := get(t, f, "/v1/members/m3")
	if code != 200 || m["points"] != 3.0 {
		t.Fatalf("member: %d %v", code, m)
	}
	// Per-day counts by date, not the store's flat arrays.
	if counts, _ := m["counts"].(map[string]any); fmt.Sprint(counts["message.posted"]) != "map[2026-01-01:3]" {
		t.Errorf("member counts: %v", m["counts"])
	}
	code, hits := get(t, f, "/v1/members?q=M3")
	if list, _ := hits["members"].([]any); code != 200 || len(list) != 1 {
		t.Errorf("search: %d %v", code, hits)
	}
	code, hist := get(t, f, "/v1/members/m3/history")
	list, _ := hist["history"].([]any)
	if code != 200 || len(list) < 3 {
		t.Errorf("history: %d %v", code, hist)
	}
	// Outcome lines' at: fixed width, as -outcomes lines and the export
	// give it (the events are on whole seconds).
	for _, o := range list {
		if at, _ := o.(map[string]any)["at"].(string); len(at) != len(stamp.Layout) || !strings.HasSuffix(at, ".000000000Z") {
			t.Errorf("history's at %q, want stamp.Layout", at)
		}
	}
	if code, all := get(t, f, "/v1/members?q="); code != 200 || len(all["members"].([]any)) != 7 {
		t.Errorf("an empty search lists every member: %d %v", code, all)
	}
	// A 404 names the member it did not find, and how to look one up.
	if code, out := get(t, f, "/v1/members/nobody"); code != 404 || out["error"] != `no member "nobody" in the state (GET /v1/members?q=TEXT finds members by id or name)` {
		t.Errorf("unknown member: %d %v", code, out)
	}
	if code, out := get(t, f, "/v1/members/nobody/why?rule=segment.posters"); code != 404 || !strings.Contains(fmt.Sprint(out["error"]), `no member "nobody"`) {
		t.Errorf("why of an unknown member: %d %v", code, out)
	}
	code, why := get(t, f, "/v1/members/m3/why?rule=segment.posters")
	ex, _ := why["explanations"].([]any)
	if code != 200 || len(ex) != 1 || ex[0].(map[string]any)["result"] != true {
		t.Fatalf("why: %d %v", code, why)
	}
	if why["warnings"] != nil {
		t.Errorf("why now: warnings %v", why["warnings"])
	}
	// At a time before the member's state (its posts, on January 1 at
	// 10:00): the member as of then, and what the state cannot tell of
	// it named. The day before, none of the posts counts.
	_, why = get(t, f, "/v1/members/m3/why?rule=segment.posters&at=2025-12-31T00:00:00Z")
	if ex, _ := why["explanations"].([]any); len(ex) != 1 || ex[0].(map[string]any)["result"] != false || why["warnings"] != nil {
		t.Errorf("why the day before: %v", why)
	}
	// Inside the day of the posts, counts are by day: warned about.
	_, why = get(t, f, "/v1/members/m3/why?rule=segment.posters&at=2026-01-01T09:00:00Z")
	if ws, _ := why["warnings"].([]any); len(ws) != 1 || ws[0].(map[string]any)["input"] != "total('message.posted')" {
		t.Errorf("why inside the day of the posts: warnings %v", why["warnings"])
	}
	if code, _ := get(t, f, "/v1/members/m3/why?rule=segment.nope"); code != 400 {
		t.Errorf("why unknown segment: %d", code)
	}
	code, pop := get(t, f, "/v1/population")
	if code != 200 || pop["members"] != 7.0 || pop["segments"].(map[string]any)["posters"] != 7.0 {
		t.Fatalf("population: %d %v", code, pop)
	}
	if code, _ := get(t, f, "/v1/outbox?status=bogus"); code != 400 {
		t.Errorf("outbox bad status: %d", code)
	}
	if code, ob := get(t, f, "/v1/outbox"); code != 200 || ob["entries"] == nil {
		t.Errorf("outbox: %d %v", code, ob)
	}
}

func TestRuleAndOutboxMetrics(t *testing.T) {
	f := start(t, rulesA+`
segment "posters" {
  when = "total('message.posted') >= 3"
}
`, "")
	post(t, f, "/v1/events", events(0, 14), "")
	resp, err := http.Get(f.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	// 14 events for 7 members: each event changes its member's count, so
	// the segment rule runs 14 times.
	if !bytes.Contains(data, []byte(`hearth_rule_evaluations_total{rule="segment.posters.when"} 14`)) {
		t.Errorf("rule metric missing:\n%s", grepLines(data, "hearth_rule"))
	}
	// A reload that leaves the rule as it was goes on counting: a
	// counter that fell back to 0 would look like a restart to rate(),
	// and one that climbed past its old value before the next scrape
	// would hide the evaluations in between.
	write(t, f.dir, "rules.hcl", rulesA+`
segment "posters" {
  when = "total('message.posted') >= 3"
}
incentive "react" {
  on = "reaction.added"
  grant { points = 1 }
}
`)
	if code, body := post(t, f, "/v1/reload", "", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %v", code, body)
	}
	post(t, f, "/v1/events", events(14, 14), "")
	resp, err = http.Get(f.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(resp.Body)
	if !bytes.Contains(data, []byte(`hearth_rule_evaluations_total{rule="segment.posters.when"} 28`)) {
		t.Errorf("rule metric after a reload; want 28:\n%s", grepLines(data, "hearth_rule"))
	}
}

func grepLines(data []byte, prefix string) string {
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A reload that reads the configuration in force again is marked
// unchanged, and the reload log line gives its time as a duration.
func TestReloadUnchanged(t *testing.T) {
	var logs syncBuffer
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	reload := func() daemon.Reload {
		t.Helper()
		resp, err := http.Post(f.srv.URL+"/v1/reload", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r daemon.Reload
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("reload: %d %v", resp.StatusCode, err)
		}
		return r
	}
	if r := reload(); !r.OK || !r.Unchanged {
		t.Errorf("reload of the same files: %+v; want ok and unchanged", r)
	}
	write(t, f.dir, "rules.hcl", rulesB)
	if r := reload(); !r.OK || r.Unchanged {
		t.Errorf("reload of new rules: %+v; want ok, not unchanged", r)
	}
	rs := f.d.Reloads()
	if len(rs) != 3 || rs[0].Unchanged || !rs[1].Unchanged || rs[2].Unchanged {
		t.Errorf("reloads %+v; want start, unchanged, changed", rs)
	}
	// The metric tells the two apart: success counts changes that took
	// effect (the start's load among them), unchanged the rereads.
	resp, err := http.Get(f.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`hearth_config_reloads_total{result="success"} 2`,
		`hearth_config_reloads_total{result="unchanged"} 1`,
		`hearth_config_reloads_total{result="failure"} 0`,
		`hearth_config_reload_success 1`,
	} {
		if !bytes.Contains(data, []byte(want+"\n")) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(data, "hearth_config_reload"))
		}
	}
	var line struct {
		Msg  string
		Took any
	}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "configuration reloaded") {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if s, ok := line.Took.(string); !ok || !strings.HasSuffix(s, "s") {
		t.Errorf("the reload log line's took is %#v; want a duration such as \"4.3ms\"", line.Took)
	}
}

// TestStatusNamesTheDirectory: the status, and the dashboard's header,
// name the configuration by its absolute path, even for a daemon started
// on ".".
func TestStatusNamesTheDirectory(t *testing.T) {
	f := start(t, rulesA, "")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, f.dir)
	if err != nil {
		t.Fatal(err)
	}
	f.stop()
	g := startOn(t, rel, f.db, "")
	_, status := get(t, g, "/v1/status")
	if dir := status["config"].(map[string]any)["dir"]; dir != f.dir {
		t.Errorf("status names the directory %v, want %s", dir, f.dir)
	}
}

// flakyStore is the SQLite store with a readiness that the test sets, as
// a PostgreSQL store has.
type flakyStore struct {
	*sqlite.Store
	down atomic.Pointer[string]
}

func (s *flakyStore) Ready(context.Context) error {
	if why := s.down.Load(); why != nil {
		return errors.New(*why)
	}
	return nil
}

// /readyz answers 503 while the state store does not answer, naming it,
// and 200 again once it does; /healthz stays 200 throughout, since the
// process itself is fine.
func TestReadyzFollowsTheStore(t *testing.T) {
	var flaky *flakyStore
	f := start(t, "", "", func(o *daemon.Options) {
		flaky = &flakyStore{Store: o.Store.(*sqlite.Store)}
		o.Store = flaky
	})
	probe := func(path string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body
	}
	if code, body := probe("/readyz"); code != http.StatusOK || body["status"] != "ready" {
		t.Fatalf("with the store up: %d %v", code, body)
	}
	why := "dial tcp 10.0.0.5:5432: connect: connection refused"
	flaky.down.Store(&why)
	if code, body := probe("/readyz"); code != http.StatusServiceUnavailable || body["reason"] != "state: "+why {
		t.Fatalf("with the store down: %d %v", code, body)
	}
	if code, _ := probe("/healthz"); code != http.StatusOK {
		t.Fatalf("healthz with the store down: %d", code)
	}
	flaky.down.Store(nil)
	if code, _ := probe("/readyz"); code != http.StatusOK {
		t.Fatalf("with the store back: %d", code)
	}
}

// The member list pages through members in id order without skipping or
// repeating one, and filters by segment and tier as the dashboard's bars
// count them, members who left not included.
func TestMemberListPages(t *testing.T) {
	f := start(t, rulesA+`
segment "posters" {
  when = "total('message.posted') >= 3"
}
`, "")
	var b strings.Builder
	b.WriteString(events(0, 21)) // m0..m6 post 3 times each
	for i := range 5 {
		fmt.Fprintf(&b, `{"id":"j%d","type":"member.joined","member":{"id":"quiet%d","name":"Quiet One %d"},"at":"2026-01-01T10:00:00Z"}`+"\n", i, i, i)
	}
	b.WriteString(`{"id":"l1","type":"member.left","member":"m6","at":"2026-01-01T11:00:00Z"}` + "\n")
	if code, body := post(t, f, "/v1/events", b.String(), ""); code != 202 {
		t.Fatalf("post: %d %v", code, body)
	}
	ids := func(page map[string]any) []string {
		var out []string
		for _, m := range page["members"].([]any) {
			out = append(out, m.(map[string]any)["id"].(string))
		}
		return out
	}
	var seen []string
	next := ""
	for range 10 {
		code, page := get(t, f, "/v1/members?limit=5&after="+next)
		if code != 200 {
			t.Fatalf("page after %q: %d %v", next, code, page)
		}
		seen = append(seen, ids(page)...)
		if page["more"] != true {
			break
		}
		next = page["next"].(string)
	}
	want := "m0 m1 m2 m3 m4 m5 m6 quiet0 quiet1 quiet2 quiet3 quiet4"
	if got := strings.Join(seen, " "); got != want {
		t.Errorf("pages of 5 list %s; want %s", got, want)
	}
	// A name, in any case.
	if _, page := get(t, f, "/v1/members?q=quiet+ONE+3"); strings.Join(ids(page), " ") != "quiet3" {
		t.Errorf("search by name: %v", page)
	}
	// m6 left: it is in the list, marked, and in no segment or tier list.
	_, page := get(t, f, "/v1/members?q=m6")
	if hits := page["members"].([]any); len(hits) != 1 || hits[0].(map[string]any)["left"] != true {
		t.Errorf("m6, who left: %v", page)
	}
	_, page = get(t, f, "/v1/members?segment=posters")
	if got := strings.Join(ids(page), " "); got != "m0 m1 m2 m3 m4 m5" || page["more"] != false {
		t.Errorf("segment posters lists %s (more %v); want m0..m5, not m6 who left nor the quiet ones", got, page["more"])
	}
	if _, page := get(t, f, "/v1/members?left=true"); strings.Join(ids(page), " ") != "m6" {
		t.Errorf("?left=true lists %v; want m6, who left", ids(page))
	}
	if _, page := get(t, f, "/v1/members?left=false&q=m"); strings.Join(ids(page), " ") != "m0 m1 m2 m3 m4 m5" {
		t.Errorf("?left=false lists %v; want m0..m5, not m6", ids(page))
	}
	_, pop := get(t, f, "/v1/population")
	if n := pop["segments"].(map[string]any)["posters"]; n != 6.0 {
		t.Errorf("population counts %v posters; the list has 6", n)
	}
	for _, bad := range []string{"segment=nope", "tier=nope", "limit=0", "limit=x", "limit=1001", "left=maybe"} {
		if code, body := get(t, f, "/v1/members?"+bad); code != 400 || body["error"] == "" {
			t.Errorf("?%s: %d %v; want 400 with an error", bad, code, body)
		}
	}
	if _, body := get(t, f, "/v1/members?segment=nope"); !strings.Contains(fmt.Sprint(body["error"]), "the segments are: posters") {
		t.Errorf("an unknown segment's error names those there are: %v", body["error"])
	}
}

// The outbox list pages: following "next" lists every entry once, in the
// order they are due, entries due at the same time included, as the
// dashboard's outbox does past its first page.
func TestOutboxListPages(t *testing.T) {
	f := start(t, `
campaign "hello" {
  community = community.c
  enter_on  = "member.joined"
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
`, "")
	var b strings.Builder
	for i := range 12 {
		fmt.Fprintf(&b, `{"id":"j%d","type":"member.joined","member":"u%02d","at":"2026-01-01T10:00:00Z"}`+"\n", i, i)
	}
	if code, body := post(t, f, "/v1/events", b.String(), ""); code != 202 {
		t.Fatalf("post: %d %v", code, body)
	}
	var all []any
	for deadline := time.Now().Add(10 * time.Second); len(all) < 12; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the outbox holds %d entries; want 12", len(all))
		}
		_, ob := get(t, f, "/v1/outbox?status=pending&limit=100")
		all, _ = ob["entries"].([]any)
	}
	var want, seen []string
	for _, e := range all {
		want = append(want, e.(map[string]any)["key"].(string))
	}
	next := ""
	for range 10 {
		code, page := get(t, f, "/v1/outbox?status=pending&limit=5&after="+url.QueryEscape(next))
		if code != 200 {
			t.Fatalf("page after %q: %d %v", next, code, page)
		}
		for _, e := range page["entries"].([]any) {
			seen = append(seen, e.(map[string]any)["key"].(string))
		}
		if page["more"] != true {
			if _, ok := page["next"]; ok {
				t.Errorf("the last page has a next: %v", page["next"])
			}
			break
		}
		next = page["next"].(string)
	}
	if got := strings.Join(seen, " "); got != strings.Join(want, " ") {
		t.Errorf("pages of 5 list\n%s\nwant\n%s", got, strings.Join(want, " "))
	}
	for _, bad := range []string{"after=x", "after=12/", "after=/k"} {
		if code, body := get(t, f, "/v1/outbox?"+bad); code != 400 || body["error"] == "" {
			t.Errorf("?%s: %d %v; want 400 with an error", bad, code, body)
		}
	}
}

// postEncoded posts body with a Content-Encoding, as log shippers do.
func postEncoded(t *testing.T, f *fixture, encoding string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+"/v1/events", bytes.NewReader(body))
	req.Header.Set("Content-Encoding", encoding)
	return sendJSON(t, req)
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A gzip-compressed body is read, the limit applies to what it holds,
// other encodings are a 415 that names them, a body that is not the gzip
// it says is a 400, and a byte order mark before the events is passed
// over; no refused request changes anything.
func TestEventsBodyEncodings(t *testing.T) {
	f := start(t, rulesA, "")
	if code, body := postEncoded(t, f, "gzip", gzipped(t, []byte(events(0, 5)))); code != http.StatusAccepted || body["accepted"] != 5.0 {
		t.Fatalf("gzip: %d %v", code, body)
	}
	if code, body := postEncoded(t, f, "identity", []byte("\xef\xbb\xbf"+events(5, 2))); code != http.StatusAccepted || body["accepted"] != 2.0 {
		t.Fatalf("a body starting with a byte order mark: %d %v", code, body)
	}
	if code, body := postEncoded(t, f, "br", []byte(events(7, 1))); code != http.StatusUnsupportedMediaType || !strings.Contains(fmt.Sprint(body["error"]), `Content-Encoding "br" cannot be read`) {
		t.Errorf("br: %d %v", code, body)
	}
	if code, body := postEncoded(t, f, "gzip", []byte(events(7, 1))); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["error"]), "not gzip data") {
		t.Errorf("plain text said to be gzip: %d %v", code, body)
	}
	// 8 MiB of blanks compress to a few KiB.
	if code, body := postEncoded(t, f, "gzip", gzipped(t, bytes.Repeat([]byte(" "), daemon.MaxBody+1))); code != http.StatusRequestEntityTooLarge || !strings.Contains(fmt.Sprint(body["error"]), "more than 8388608 bytes once decompressed") {
		t.Errorf("a gzip body holding more than the limit: %d %v", code, body)
	}
	// Sent without its length (chunked), a plain body is read up to the
	// limit: nothing was compressed, so the answer says nothing of it.
	req, _ := http.NewRequest("POST", f.srv.URL+"/v1/events", io.MultiReader(bytes.NewReader(bytes.Repeat([]byte(" "), daemon.MaxBody+1))))
	if code, body := sendJSON(t, req); code != http.StatusRequestEntityTooLarge || fmt.Sprint(body["error"]) != "the body is larger than 8388608 bytes; send fewer events per request" {
		t.Errorf("a plain body over the limit: %d %v", code, body)
	}
	// A gzip body cut short, as a client that gave up sends it.
	whole := gzipped(t, []byte(events(8, 50)))
	if code, body := postEncoded(t, f, "gzip", whole[:len(whole)/2]); code != http.StatusBadRequest || fmt.Sprint(body["error"]) != "the gzip data ends early (truncated body?); send the whole compressed body" {
		t.Errorf("a gzip body cut short: %d %v", code, body)
	}
	if p := points(t, f); p != 7 {
		t.Errorf("points %d; want 7 (the 5 gzipped and 2 plain events alone)", p)
	}
}

// A refused request is logged, once a minute per reason, with what was
// wrong; the metrics count every one.
func TestRefusedRequestsLogged(t *testing.T) {
	var logs syncBuffer
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	bad := `{"id":"x","type":"message.posted","member":"m1","at":"yesterday"}`
	for range 3 {
		if code, _ := post(t, f, "/v1/events", bad, ""); code != http.StatusBadRequest {
			t.Fatalf("bad event: %d", code)
		}
	}
	var refused []map[string]any
	for _, line := range strings.Split(logs.String(), "\n") {
		var r map[string]any
		if json.Unmarshal([]byte(line), &r) == nil && r["msg"] == "request refused" {
			refused = append(refused, r)
		}
	}
	if len(refused) != 1 || refused[0]["reason"] != "invalid" || refused[0]["status"] != 400.0 || !strings.Contains(fmt.Sprint(refused[0]["first"]), "RFC 3339") {
		t.Errorf("refusals logged: %v; want one line, reason invalid, naming the bad time", refused)
	}
}

// A reload with several errors logs them all, each where it is and with
// its hint, not only the first: the "Did you mean" may be in another.
func TestBrokenReloadLogsEveryError(t *testing.T) {
	var logs syncBuffer
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	write(t, f.dir, "rules.hcl", rulesA+"segment \"y\" {\n}\n"+`segment "x" { when = "member.pionts > 1" }`)
	if code, body := post(t, f, "/v1/reload", "", ""); code != http.StatusUnprocessableEntity {
		t.Fatalf("broken reload: %d %v", code, body)
	}
	var rec struct {
		Msg         string
		Errors      int
		First       string
		Diagnostics []string
	}
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, `"msg":"reload failed`) {
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatal(err)
			}
		}
	}
	if rec.Errors != 2 || len(rec.Diagnostics) != 2 || rec.First != rec.Diagnostics[0] {
		t.Fatalf("reload failure logged as %+v; want both errors:\n%s", rec, logs.String())
	}
	joined := strings.Join(rec.Diagnostics, "\n")
	for _, want := range []string{"rules.hcl:6:", "Missing required argument", `rules.hcl:8:`, `Did you mean \"points\"?`} {
		if !strings.Contains(joined, strings.ReplaceAll(want, `\"`, `"`)) {
			t.Errorf("the diagnostics logged lack %q:\n%s", want, joined)
		}
	}
}
