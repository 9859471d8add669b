package daemon_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/daemon"
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
	if len(ws) != 2 || ws[0].ID != "x2" || ws[0].Index != 2 || ws[0].FirstIndex != 1 ||
		ws[1].ID != "x1" || ws[1].Index != 6 || ws[1].Line != 7 || ws[1].FirstIndex != 0 || ws[1].FirstLine != 1 {
		t.Errorf("id warnings: %+v", ws)
	}
	logged := logs.String()[before:]
	if n := strings.Count(logged, "reused event ids"); n != 1 || !strings.Contains(logged, `"events":2,"id":"x2"`) {
		t.Errorf("want one log line for the request, naming 2 events and the first id, got %d:\n%s", n, logged)
	}
}

// Sending the same event twice in one request, or again in a later one
// with other content (ids are only compared within a request), gets no
// id warning and no log line.
func TestRepeatedEventNotWarned(t *testing.T) {
	var logs syncBuffer
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	ev := `{"id":"r1","type":"message.posted","member":"u01","at":"2026-11-24T18:00:00Z","attrs":{"length":3}}`
	for _, body := range []string{
		ev + "\n" + ev + "\n",
		`[` + ev + `,` + `{"at":"2026-11-24T19:00:00+01:00","attrs":{"length":3},"member":{"id":"u01","name":"Ann"},"type":"message.posted","id":"r1"}]`,
		`{"id":"r1","type":"member.left","member":"u01","at":"2026-11-24T18:00:00Z"}`,
	} {
		code, out := post(t, f, "/v1/events", body, "")
		if code != http.StatusAccepted || len(idWarnings(t, out)) != 0 {
			t.Errorf("%s: %d %v; want 202 without an id warning", body, code, out)
		}
	}
	if strings.Contains(logs.String(), "reused event ids") {
		t.Errorf("logged:\n%s", logs.String())
	}
}
