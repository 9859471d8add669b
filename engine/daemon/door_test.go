package daemon_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hearth-community/hearth/engine/daemon"
	evpkg "github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/state"
)

const declared = `
event "meetup.attended" {
  attributes = {
    city = "string"
  }
}
`

// metricsText is what GET /metrics serves.
func metricsText(t *testing.T, f *fixture) string {
	t.Helper()
	resp, err := http.Get(f.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func typed(id, typ string) string {
	return fmt.Sprintf(`{"id":%q,"type":%q,"member":"m1","at":"2026-01-01T10:00:00Z"}`, id, typ)
}

// Event types are short dotted lower-case names; every documented form
// is taken, and made-up types share one metrics label, so they cannot
// grow the metrics without bound.
func TestEventTypesAtTheDoor(t *testing.T) {
	f := start(t, rulesA+declared, "")
	for i, typ := range []string{"message.posted", "meetup.attended", "custom_thing", "checkin", "my_app.thing_done.v2", strings.Repeat("a", 64)} {
		if code, out := post(t, f, "/v1/events", typed(fmt.Sprintf("ok%d", i), typ), ""); code != http.StatusAccepted {
			t.Errorf("type %q: %d %v", typ, code, out)
		}
	}
	long := strings.Repeat("a", 5000)
	for _, typ := range []string{long, strings.Repeat("a", 65), "Message.Posted", "message posted", "message..posted", "1st.thing"} {
		code, out := post(t, f, "/v1/events", typed("bad", typ), "")
		if code != http.StatusBadRequest {
			t.Errorf("type %.70q: %d %v; want 400", typ, code, out)
		}
	}
	code, out := post(t, f, "/v1/events", typed("ok-first", "checkin")+"\n"+typed("long", long)+"\n", "")
	if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out), "is longer than 64 characters") || strings.Contains(fmt.Sprint(out), long) {
		t.Errorf("a 5000-character type: %d %.300v", code, out)
	}
	if bad, _ := out["events"].([]any); len(bad) != 1 || bad[0].(map[string]any)["index"] != 1.0 || bad[0].(map[string]any)["line"] != 2.0 {
		t.Errorf("the long type's event reported as %v; want index 1, line 2", out["events"])
	}
	m := metricsText(t, f)
	for _, want := range []string{
		`hearth_events_ingested_total{type="message.posted"} 1`,
		`hearth_events_ingested_total{type="meetup.attended"} 1`,
		`hearth_events_ingested_total{type="other"} 3`,
		`hearth_events_processed_total{duplicate="false",type="other"} 3`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, leak := range []string{"custom_thing", "my_app.thing_done", "aaaa"} {
		if strings.Contains(m, leak) {
			t.Errorf("metrics have a label for the undeclared type %s", leak)
		}
	}
}

func withAttrs(id, typ, attrs string) string {
	return fmt.Sprintf(`{"id":%q,"type":%q,"member":"m1","at":"2026-01-01T10:00:00Z","attrs":%s}`, id, typ, attrs)
}

// Attributes of a standard or declared type must have its types: the
// rules on such an event would otherwise fail on it and be skipped, with
// a 202 for the sender.
func TestAttributeTypesAtTheDoor(t *testing.T) {
	f := start(t, rulesA+declared, "")
	before := points(t, f)
	for _, tc := range []struct{ body, want string }{
		{withAttrs("a1", "member.joined", `{"referrer":42}`), `attr \"referrer\" of member.joined: must be string, got the number 42`},
		{withAttrs("a2", "message.posted", `{"length":"long"}`), `attr \"length\" of message.posted: must be int, got the string \"long\"`},
		{withAttrs("a3", "meetup.attended", `{"city":["Oslo"]}`), `attr \"city\" of meetup.attended: must be string`},
		{withAttrs("a4", "post.created", `{"tags":"go"}`), `attr \"tags\" of post.created: must be list`},
	} {
		code, out := post(t, f, "/v1/events", events(900, 1)+tc.body, "")
		if code != http.StatusBadRequest || !strings.Contains(mustJSON(t, out), tc.want) {
			t.Errorf("%s: %d %v; want 400 saying %s", tc.body, code, out, tc.want)
		}
	}
	if after := points(t, f); after != before {
		t.Errorf("refused requests changed points: %d -> %d", before, after)
	}
	for i, body := range []string{
		withAttrs("g1", "member.joined", `{"referrer":"u2"}`),
		withAttrs("g2", "message.posted", `{"length":120,"channel":"help"}`),
		withAttrs("g3", "message.posted", `{"length":3.0}`),         // a whole number
		withAttrs("g4", "message.posted", `{"mood":"happy"}`),       // undeclared attributes pass
		withAttrs("g5", "custom_thing", `{"anything":[1,{"a":2}]}`), // so do undeclared types
		withAttrs("g6", "meetup.attended", `{"city":"Oslo"}`),
		withAttrs("g7", "message.posted", `{"length":null}`),
	} {
		if code, out := post(t, f, "/v1/events", body, ""); code != http.StatusAccepted {
			t.Errorf("event %d %s: %d %v", i, body, code, out)
		}
	}
	// An events file is taken as POST /v1/events takes it: the bad event
	// is skipped and reported with its line.
	var bad []string
	res, err := f.d.Feed(t.Context(), strings.NewReader(events(950, 1)+withAttrs("f1", "message.posted", `{"length":"long"}`)+"\n"+events(951, 1)), 10,
		func(e *evpkg.Error) { bad = append(bad, e.Error()) })
	if err != nil || res.Accepted != 2 || res.Bad != 1 || len(bad) != 1 || !strings.Contains(bad[0], `line 2: invalid event: attr "length" of message.posted`) {
		t.Errorf("feed: %+v %v %q", res, err, bad)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// failingStore fails every commit while fail is set, as a full disk or
// (with a bus) a conflict with another replica does.
type failingStore struct {
	state.Store
	fail atomic.Bool
}

func (s *failingStore) Begin(ctx context.Context) (state.Batch, error) {
	b, err := s.Store.Begin(ctx)
	if err != nil || !s.fail.Load() {
		return b, err
	}
	return failingBatch{b}, nil
}

type failingBatch struct{ state.Batch }

func (b failingBatch) Commit() error {
	_ = b.Rollback()
	return errors.New("disk full")
}

// Events are counted as processed when their batch commits: a batch that
// failed and was sent again counts once.
func TestProcessedCountsCommittedEvents(t *testing.T) {
	var fs *failingStore
	f := start(t, rulesA, "", func(o *daemon.Options) {
		fs = &failingStore{Store: o.Store}
		o.Store = fs
	})
	fs.fail.Store(true)
	if code, out := post(t, f, "/v1/events", events(0, 3), ""); code < 500 {
		t.Fatalf("a failed commit answered %d %v", code, out)
	}
	fs.fail.Store(false)
	if code, out := post(t, f, "/v1/events", events(0, 3), ""); code != http.StatusAccepted || out["accepted"] != 3.0 {
		t.Fatalf("sent again: %d %v", code, out)
	}
	m := metricsText(t, f)
	if want := `hearth_events_processed_total{duplicate="false",type="message.posted"} 3` + "\n"; !strings.Contains(m, want) {
		t.Errorf("metrics lack %s", want)
	}
}

// A body sent as something other than JSON (a form upload with curl -F,
// XML) is refused for its Content-Type, with what to send instead, and
// changes nothing; the types clients send for JSON without being told
// (curl --data-binary sends a form's) are taken.
func TestEventsContentType(t *testing.T) {
	f := start(t, rulesA, "")
	cases := []struct {
		ctype string
		code  int
		says  string
	}{
		{"", http.StatusAccepted, ""},
		{"application/json", http.StatusAccepted, ""},
		{"application/json; charset=utf-8", http.StatusAccepted, ""},
		{"application/x-ndjson", http.StatusAccepted, ""},
		{"application/cloudevents+json", http.StatusAccepted, ""},
		{"application/x-www-form-urlencoded", http.StatusAccepted, ""},
		{"text/plain", http.StatusAccepted, ""},
		{"multipart/form-data; boundary=x", http.StatusUnsupportedMediaType, "form upload (curl -F)"},
		{"application/xml", http.StatusUnsupportedMediaType, "Content-Type application/xml is not JSON"},
		{"text/html", http.StatusUnsupportedMediaType, "is not JSON"},
		{"json", http.StatusUnsupportedMediaType, "cannot be read"},
	}
	applied := 0
	for i, c := range cases {
		req, _ := http.NewRequest("POST", f.srv.URL+"/v1/events", strings.NewReader(typed(fmt.Sprintf("ct%d", i), "message.posted")))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || !strings.Contains(string(body), c.says) {
			t.Errorf("Content-Type %q: %d %s; want %d saying %q", c.ctype, resp.StatusCode, body, c.code, c.says)
		}
		if c.code == http.StatusAccepted {
			applied++
		}
	}
	if p := points(t, f); p != applied {
		t.Errorf("points %d; want %d: a refused body changes nothing", p, applied)
	}
}

// Counters an alert watches are served at 0 before their first count:
// Prometheus' increase() sees nothing of a series that first appears at
// 1, so the README's HearthDeadLetters alert would miss the first dead
// letter of a platform.
func TestAlertedCountersStartAtZero(t *testing.T) {
	f := start(t, rulesA, "")
	m := metricsText(t, f)
	for _, want := range []string{
		`hearth_outbox_deliveries_total{platform="platform.local.main",result="dead"} 0`,
		`hearth_outbox_deliveries_total{platform="platform.local.main",result="retry"} 0`,
		`hearth_outbox_deliveries_total{platform="platform.local.main",result="skipped"} 0`,
		`hearth_events_rejected_total{reason="suppressed"} 0`,
		`hearth_events_rejected_total{reason="invalid"} 0`,
		`hearth_requests_refused_total{reason="unverified"} 0`,
		`hearth_requests_refused_total{reason="host"} 0`,
		`hearth_config_reloads_total{result="failure"} 0`,
		`hearth_state_pruned_total{kind="outcomes"} 0`,
		`hearth_state_pruned_total{kind="outbox"} 0`,
	} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// A platform a reload adds is counted from 0 too.
	write(t, f.dir, "more.hcl", `platform "local" "second" {}`)
	if r := f.d.Reload("test"); !r.OK {
		t.Fatalf("reload: %+v", r.Diagnostics)
	}
	if want := `hearth_outbox_deliveries_total{platform="platform.local.second",result="dead"} 0`; !strings.Contains(metricsText(t, f), want+"\n") {
		t.Errorf("after the reload that adds it, /metrics lacks %s", want)
	}
}

// An events file posted twice is accepted once: the second time its
// events are duplicates, and hearth_events_ingested_total counts what
// GET /v1/status calls accepted, not what came to the door.
func TestIngestedCountsAcceptedNotDuplicates(t *testing.T) {
	f := start(t, rulesA, "")
	body := events(0, 5)
	if code, out := post(t, f, "/v1/events", body, ""); code != http.StatusAccepted || out["accepted"] != 5.0 {
		t.Fatalf("first post: %d %v", code, out)
	}
	if code, out := post(t, f, "/v1/events", body, ""); code != http.StatusAccepted || out["accepted"] != 0.0 || out["duplicates"] != 5.0 {
		t.Fatalf("second post: %d %v; want 0 accepted, 5 duplicates", code, out)
	}
	m := metricsText(t, f)
	for _, want := range []string{
		`hearth_events_ingested_total{type="message.posted"} 5` + "\n",
		`hearth_events_processed_total{duplicate="false",type="message.posted"} 5` + "\n",
		`hearth_events_processed_total{duplicate="true",type="message.posted"} 5` + "\n",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", strings.TrimSpace(want))
		}
	}
	_, st := get(t, f, "/v1/status")
	if stats, _ := st["stats"].(map[string]any); stats["accepted"] != 5.0 || stats["duplicates"] != 5.0 {
		t.Errorf("status stats %v; want 5 accepted and 5 duplicates, as the metrics", st["stats"])
	}
}

// A request refused as a whole (wrong content type, too large, wrong
// method) is counted once in hearth_requests_refused_total, not as a
// rejected event; events refused one by one (invalid, future) stay in
// hearth_events_rejected_total, each counted, and only they make the
// dashboard's "Rejected" (stats.rejected).
func TestRequestsRefusedApartFromEventsRejected(t *testing.T) {
	f := start(t, rulesA, "")
	req, _ := http.NewRequest("POST", f.srv.URL+"/v1/events", strings.NewReader(events(0, 3)))
	req.Header.Set("Content-Type", "text/html")
	if code, out := sendJSON(t, req); code != http.StatusUnsupportedMediaType {
		t.Fatalf("text/html: %d %v; want 415", code, out)
	}
	req, _ = http.NewRequest("PUT", f.srv.URL+"/v1/events", strings.NewReader(events(0, 3)))
	if code, out := sendJSON(t, req); code != http.StatusMethodNotAllowed {
		t.Fatalf("PUT: %d %v; want 405", code, out)
	}
	bad := `{"id":"x1","type":"message.posted","member":"","at":"2026-01-01T10:00:00Z"}` + "\n" +
		`{"id":"x2","type":"message.posted","member":"","at":"2026-01-01T10:00:00Z"}` + "\n"
	if code, out := post(t, f, "/v1/events", bad, ""); code != http.StatusBadRequest {
		t.Fatalf("two invalid events: %d %v; want 400", code, out)
	}
	m := metricsText(t, f)
	for series, want := range map[string]float64{
		`hearth_requests_refused_total{reason="content_type"}`: 1,
		`hearth_requests_refused_total{reason="method"}`:       1,
		`hearth_events_rejected_total{reason="invalid"}`:       2,
		`hearth_requests_refused_total{reason="invalid"}`:      -1,
		`hearth_events_rejected_total{reason="content_type"}`:  -1,
		`hearth_events_rejected_total{reason="method"}`:        -1,
	} {
		if got := sampleValue(t, m, series); got != want {
			t.Errorf("%s = %v; want %v (-1: no such series)", series, got, want)
		}
	}
	if st := f.d.Stats(); st["rejected"] != 2 || st["refused_requests"] != 2 {
		t.Errorf("stats rejected %d, refused_requests %d; want 2 events and 2 requests", st["rejected"], st["refused_requests"])
	}
}
