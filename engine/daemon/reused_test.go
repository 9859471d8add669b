package daemon_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/state"
)

// idWarnings are the warnings of a 202 that name a reused id.
func idWarnings(t *testing.T, out map[string]any) []daemon.IDWarning {
	t.Helper()
	list, _ := out["warnings"].([]any)
	var ws []daemon.IDWarning
	for _, w := range list {
		if m, _ := w.(map[string]any); m["id"] == nil {
			continue
		}
		raw, _ := json.Marshal(w)
		var iw daemon.IDWarning
		if err := json.Unmarshal(raw, &iw); err != nil {
			t.Fatal(err)
		}
		ws = append(ws, iw)
	}
	return ws
}

// An id reused with different content within one request is still
// applied once, the first event winning and the later one counted as a
// duplicate, but the 202 warns, naming the id and both events' places,
// beside a typo warning of the same request, and the log warns once for
// the request, however many ids it reuses.
func TestReusedIDWarnedIn202(t *testing.T) {
	var logs syncBuffer
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	body := `{"id":"dd2","type":"message.posted","member":"u01","at":"2026-11-24T18:00:00Z"}
{"id":"dd2","type":"member.left","member":"u02","at":"2026-11-24T18:00:00Z"}
`
	code, out := post(t, f, "/v1/events", body, "")
	if code != http.StatusAccepted || out["accepted"] != float64(1) || out["duplicates"] != float64(1) {
		t.Fatalf("events: %d %v", code, out)
	}
	got, _ := json.Marshal(out["warnings"])
	want := `[{"first_index":0,"first_line":1,"id":"dd2","index":1,"line":2,` +
		`"warning":"id \"dd2\" is reused with different content: the event at index 1 (line 2) was not applied (counted as a duplicate); ` +
		`the one at index 0 (line 1) was; an id names one event, so give each event its own"}]`
	if string(got) != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
	if n := strings.Count(logs.String(), "reused event ids"); n != 1 || !strings.Contains(logs.String(), `"events":1,"id":"dd2","index":1,"first_index":0`) {
		t.Errorf("want one log line naming dd2, got %d:\n%s", n, logs.String())
	}
	if code, m := get(t, f, "/v1/members/u01"); code != http.StatusOK || m["points"] != float64(1) {
		t.Errorf("u01, whose event came first: %d %v; want it applied", code, m)
	}
	if code, _ := get(t, f, "/v1/members/u02"); code != http.StatusNotFound {
		t.Errorf("u02, whose event reused the id: %d; want 404 (not applied)", code)
	}

	// Two ids reused, one of them twice, among a typo and an event sent
	// twice alike: one warning per event not applied, one log line.
	body = `{"id":"x1","type":"mesage.posted","member":"ann","at":"2026-11-24T18:00:00Z"}
{"id":"x2","type":"message.posted","member":"ann","at":"2026-11-24T18:01:00Z","attrs":{"channel":"help"}}
{"id":"x2","type":"message.posted","member":"ann","at":"2026-11-24T18:01:00Z","attrs":{"channel":"general"}}
{"id":"x3","type":"message.posted","member":"bob","at":"2026-11-24T18:02:00Z"}
{"id":"x3","type":"message.posted","member":"bob","at":"2026-11-24T18:02:00Z","attrs":{}}
{"id":"x2","type":"message.posted","member":"ann","at":"2026-11-24T18:01:00Z","attrs":{"channel":"help"}}
{"id":"x1","type":"mesage.posted","member":"ann","at":"2026-11-24T18:03:00Z"}
`
	before := len(logs.String())
	code, out = post(t, f, "/v1/events", body, "")
	if code != http.StatusAccepted || out["accepted"] != float64(3) || out["duplicates"] != float64(4) {
		t.Fatalf("events: %d %v", code, out)
	}
	if list, _ := out["warnings"].([]any); len(list) != 3 || list[0].(map[string]any)["type"] != "mesage.posted" {
		t.Errorf("want the typo warning then two id warnings, got %v", out["warnings"])
	}
	ws := idWarnings(t, out)
	if len(ws) != 2 || ws[0].ID != "x2" || ws[0].Index != 2 || firstIndex(ws[0]) != 1 ||
		ws[1].ID != "x1" || ws[1].Index != 6 || ws[1].Line != 7 || firstIndex(ws[1]) != 0 || ws[1].FirstLine != 1 {
		t.Errorf("id warnings: %+v", ws)
	}
	logged := logs.String()[before:]
	if n := strings.Count(logged, "reused event ids"); n != 1 || !strings.Contains(logged, `"events":2,"id":"x2"`) {
		t.Errorf("want one log line for the request, naming 2 events and the first id, got %d:\n%s", n, logged)
	}
}

func firstIndex(w daemon.IDWarning) int {
	if w.FirstIndex == nil {
		return -1
	}
	return *w.FirstIndex
}

// Sending the same event twice in one request, or again in later ones
// (written otherwise: keys in another order, the time in another zone,
// a number as 3.0, the member told more fully), gets no id warning and
// no log line.
func TestRepeatedEventNotWarned(t *testing.T) {
	var logs syncBuffer
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	ev := `{"id":"r1","type":"message.posted","member":"u01","at":"2026-11-24T18:00:00Z","attrs":{"length":3}}`
	for _, body := range []string{
		ev + "\n" + ev + "\n",
		`[` + ev + `,` + `{"at":"2026-11-24T19:00:00+01:00","attrs":{"length":3},"member":{"id":"u01","name":"Ann"},"type":"message.posted","id":"r1"}]`,
		`{"at":"2026-11-24T19:00:00+01:00","attrs":{"length":3.0},"member":{"id":"u01","name":"Ann"},"type":"message.posted","id":"r1"}`,
		ev + "\n" + `{"id":"r1","type":"message.posted","member":"u01","at":"2026-11-24T18:00:00Z","attrs":{"length":30e-1}}`,
	} {
		code, out := post(t, f, "/v1/events", body, "")
		if code != http.StatusAccepted || len(idWarnings(t, out)) != 0 {
			t.Errorf("%s: %d %v; want 202 without an id warning", body, code, out)
		}
	}
	if strings.Contains(logs.String(), "reused event ids") || strings.Contains(logs.String(), "applied earlier") {
		t.Errorf("logged:\n%s", logs.String())
	}
	if m := metricsText(t, f); !strings.Contains(m, "\nhearth_events_id_reused_total 0\n") {
		t.Errorf("metrics: want hearth_events_id_reused_total 0 in\n%s", m)
	}
}

// An event sent in a later request under an id applied before, with
// different content, is not applied either (the first event under an id
// wins), but the 202 warns, with the time of the event applied, and the
// log warns once for the request, and the metric counts it. So it goes
// after a restart too, when the id is read back from the database.
func TestEarlierIDWarnedIn202(t *testing.T) {
	var logs syncBuffer
	logTo := func(o *daemon.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) }
	f := start(t, rulesA, "", logTo)
	first := `{"id":"e7","type":"message.posted","member":"u01","at":"2026-11-24T18:00:00.5Z"}`
	if code, out := post(t, f, "/v1/events", first, ""); code != http.StatusAccepted || out["accepted"] != float64(1) {
		t.Fatalf("first: %d %v", code, out)
	}
	body := `{"id":"e8","type":"message.posted","member":"u01","at":"2026-11-24T18:01:00Z"}
{"id":"e7","type":"message.posted","member":"u02","at":"2026-11-24T18:00:00.5Z"}
`
	code, out := post(t, f, "/v1/events", body, "")
	if code != http.StatusAccepted || out["accepted"] != float64(1) || out["duplicates"] != float64(1) {
		t.Fatalf("events: %d %v", code, out)
	}
	got, _ := json.Marshal(out["warnings"])
	want := `[{"earlier":true,"first_at":"2026-11-24T18:00:00.5Z","id":"e7","index":1,"line":2,` +
		`"warning":"id \"e7\" was applied before this request, to an event of 2026-11-24T18:00:00.5Z with different content: ` +
		`the event at index 1 (line 2) was not applied (counted as a duplicate); an id names one event, so give each event its own"}]`
	if string(got) != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
	if n := strings.Count(logs.String(), "ids applied earlier"); n != 1 || !strings.Contains(logs.String(), `"events":1,"id":"e7","index":1,"first_at":"2026-11-24T18:00:00.5Z"`) {
		t.Errorf("want one log line naming e7, got %d:\n%s", n, logs.String())
	}
	if m := metricsText(t, f); !strings.Contains(m, "\nhearth_events_id_reused_total 1\n") {
		t.Errorf("metrics: want hearth_events_id_reused_total 1 in\n%s", m)
	}
	if code, m := get(t, f, "/v1/members/u01"); code != http.StatusOK || m["points"] != float64(2) {
		t.Errorf("u01: %d %v; want e7 and e8 applied (2 points)", code, m)
	}
	if code, _ := get(t, f, "/v1/members/u02"); code != http.StatusNotFound {
		t.Errorf("u02, whose event reused the id: %d; want 404 (not applied)", code)
	}

	// In one request: the id applied before under another event, then
	// again with yet other content. The first is warned of as applied
	// earlier, the second as reused within the request (the place of
	// the first is what the sender can look at).
	body = `{"id":"e7","type":"member.left","member":"u01","at":"2026-11-24T18:00:00Z"}
{"id":"e7","type":"member.left","member":"u03","at":"2026-11-24T18:00:00Z"}
{"id":"e7","type":"member.left","member":"u01","at":"2026-11-24T18:00:00Z"}
`
	code, out = post(t, f, "/v1/events", body, "")
	if code != http.StatusAccepted || out["accepted"] != float64(0) || out["duplicates"] != float64(3) {
		t.Fatalf("events: %d %v", code, out)
	}
	ws := idWarnings(t, out)
	if len(ws) != 2 || ws[0].Index != 1 || firstIndex(ws[0]) != 0 || ws[0].Earlier ||
		ws[1].Index != 0 || !ws[1].Earlier || ws[1].FirstIndex != nil {
		t.Errorf("id warnings: %+v", ws)
	}

	// After a restart, from the database.
	f.stop()
	f = startOn(t, f.dir, f.db, "", logTo)
	code, out = post(t, f, "/v1/events", `{"id":"e7","type":"message.posted","member":"u01","at":"2026-11-24T18:00:00Z"}`, "")
	if ws := idWarnings(t, out); code != http.StatusAccepted || out["duplicates"] != float64(1) || len(ws) != 1 || !ws[0].Earlier {
		t.Errorf("after a restart: %d %v", code, out)
	}
	if code, m := get(t, f, "/v1/members/u01"); code != http.StatusOK || m["points"] != float64(2) {
		t.Errorf("u01 after it all: %d %v; want 2 points, nothing more applied", code, m)
	}
}

// The memory store (state backend "memory") keeps digests too.
func TestEarlierIDWarnedOnMemoryStore(t *testing.T) {
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Store = state.NewMemory() })
	post(t, f, "/v1/events", `{"id":"m1","type":"message.posted","member":"u01","at":"2026-11-24T18:00:00Z"}`, "")
	code, out := post(t, f, "/v1/events", `{"id":"m1","type":"message.posted","member":"u01","at":"2026-11-24T18:00:01Z"}`, "")
	if ws := idWarnings(t, out); code != http.StatusAccepted || out["duplicates"] != float64(1) || len(ws) != 1 || !ws[0].Earlier || ws[0].FirstAt == nil {
		t.Errorf("%d %v", code, out)
	}
}
