package daemon_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
)

// reported is how a refusal lists an event: "index:reason:id".
func reported(out map[string]any) string {
	var got []string
	bad, _ := out["events"].([]any)
	for _, b := range bad {
		e := b.(map[string]any)
		got = append(got, fmt.Sprintf("%v:%v:%v", e["index"], e["reason"], e["id"]))
	}
	return strings.Join(got, " ")
}

// A refused request lists every problem at once, each event with its
// machine-readable reason: an invalid event and one dated in the
// future in one batch get a 400 naming both, so the sender fixes both
// before sending again; without an invalid one, events from the future
// and ones too old get a 422, with "reason" at the top when they share
// one. Nothing of a refused request is applied, and the metrics count
// each event under its own reason.
func TestRefusalListsEveryProblem(t *testing.T) {
	now := time.Date(2026, 1, 3, 12, 0, 0, 0, time.UTC)
	f := start(t, rulesA+retention, "", func(o *daemon.Options) { o.Now = func() time.Time { return now } })
	ok := dated("ok", now.Add(-time.Hour))
	future := dated("ahead", now.AddDate(0, 0, 1))
	old := dated("old", now.AddDate(0, 0, -2))
	badAt := `{"id":"bad-at","type":"message.posted","member":"m1","at":"yesterday"}` + "\n"
	for _, tc := range []struct {
		name, body string
		code       int
		reason     any // top level; nil when the events' reasons differ
		events     string
		says       []string
	}{
		{"a future event and an invalid at", ok + future + badAt, http.StatusBadRequest, nil, "1:future:ahead 2:invalid:bad-at",
			[]string{"1 of 3 events is invalid; 1 of 3 events is dated in the future (check the sender's clock); nothing was applied"}},
		{"the invalid one first", badAt + future, http.StatusBadRequest, nil, "0:invalid:bad-at 1:future:ahead", nil},
		{"invalid alone", ok + badAt, http.StatusBadRequest, "invalid", "1:invalid:bad-at", nil},
		{"future alone", ok + future, http.StatusUnprocessableEntity, "future", "1:future:ahead",
			[]string{"1 of 2 events is dated in the future"}},
		{"too old alone", old + ok, http.StatusUnprocessableEntity, "too_old", "0:too_old:old", nil},
		{"future and too old", future + old, http.StatusUnprocessableEntity, nil, "0:future:ahead 1:too_old:old",
			[]string{"1 of 2 events is dated in the future", "1 of 2 events is older than the event ids hearth remembers"}},
		{"all three in an array", "[" + strings.Join([]string{old, badAt, future}, ",") + "]", http.StatusBadRequest, nil,
			"0:too_old:old 1:invalid:bad-at 2:future:ahead", nil},
	} {
		code, out := post(t, f, "/v1/events", tc.body, "")
		if code != tc.code || out["reason"] != tc.reason || reported(out) != tc.events {
			t.Errorf("%s: %d, reason %v, events %s; want %d, reason %v, events %s (%v)", tc.name, code, out["reason"], reported(out), tc.code, tc.reason, tc.events, out)
		}
		for _, s := range tc.says {
			if !strings.Contains(fmt.Sprint(out["error"]), s) {
				t.Errorf("%s: %q does not say %q", tc.name, out["error"], s)
			}
		}
	}
	if p := points(t, f); p != 0 {
		t.Errorf("refused requests applied %d points", p)
	}
	m := metricsText(t, f)
	for _, want := range []string{`hearth_events_rejected_total{reason="invalid"} 4`, `hearth_events_rejected_total{reason="future"} 5`, `hearth_events_rejected_total{reason="too_old"} 3`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines([]byte(m), "hearth_events_rejected"))
		}
	}
	// The count of events is checked first: a batch too large is told
	// so before its events are judged.
	code, out := post(t, f, "/v1/events", events(0, daemon.MaxEventsPerRequest)+badAt, "")
	if code != http.StatusRequestEntityTooLarge || out["reason"] != "too_many" || out["events"] != nil {
		t.Errorf("10,001 events, one invalid: %d %v; want 413 too_many", code, out["error"])
	}
}

// An event the door cannot read still names its id when it has one: an
// event larger than 256 KiB (in an array, and as a JSON line, which is
// not kept), one holding invalid UTF-8, and one nested too deep, whose
// error names the attribute; an element of an array that is no object
// is told so in the array's terms.
func TestUnreadableEventsNamed(t *testing.T) {
	f := start(t, rulesA, "")
	big := `{"id":"big","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z","attrs":{"text":"` + strings.Repeat("x", 300<<10) + `"}}`
	latin1 := "{\"id\":\"latin1\",\"type\":\"message.posted\",\"member\":\"m1\",\"at\":\"2026-01-01T10:00:00Z\",\"attrs\":{\"text\":\"caf\xe9\"}}"
	deep := `{"id":"deep","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z","attrs":{"meta":` +
		strings.Repeat(`{"a":`, 16) + `1` + strings.Repeat(`}`, 16) + `}}`
	cart := `{"id":"cart","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z","attrs":{"meta":{"cart":{"items":[{"sku":"A-1"}]}}}}`
	for _, tc := range []struct {
		name, body, id, says string
	}{
		{"too large, in an array", "[" + big + "]", "big", "larger than 262144 bytes"},
		{"too large, in pretty-printed events", events(0, 1) + big + "\n", "big", "larger than 262144 bytes"},
		// JSON lines with a broken line are read line by line, and a
		// line too long is not kept: its head names the id.
		{"too large, a JSON line", events(0, 1) + big + "\n" + `{"id":` + "\n", "big", "line longer than 262144 bytes"},
		{"invalid UTF-8", latin1 + "\n", "latin1", "not valid UTF-8"},
		{"nested too deep", deep + "\n", "deep", "attrs.meta" + strings.Repeat(".a", 15) + " (line 1, column "},
		{"a string in an array", `["e1"]`, "", "each element of the array must be a JSON event object, not a string"},
		{"null in an array", `[` + cart + `, null]`, "", "each element of the array must be a JSON event object, not null"},
	} {
		code, out := post(t, f, "/v1/events", tc.body, "")
		bad, _ := out["events"].([]any)
		if code != http.StatusBadRequest || len(bad) == 0 {
			t.Errorf("%s: %d %.300v; want 400 naming the event first", tc.name, code, out)
			continue
		}
		e := bad[0].(map[string]any)
		if id, _ := e["id"].(string); id != tc.id || !strings.Contains(fmt.Sprint(e["error"]), tc.says) {
			t.Errorf("%s: reported with id %q saying %.300q; want id %q and %q", tc.name, id, e["error"], tc.id, tc.says)
		}
	}
	// A shop's cart, four levels into attrs, is taken.
	if code, out := post(t, f, "/v1/events", cart, ""); code != http.StatusAccepted {
		t.Errorf("a cart in attrs: %d %v", code, out)
	}
}

// Bodies in forms other than plain JSON: a JSON text sequence (RFC 7464,
// application/json-seq) is read record by record, its lines and columns
// those of the body; a body in UTF-16 is told so; a charset other than
// UTF-8 is refused with 415; application/octet-stream is taken.
func TestEventsBodyForms(t *testing.T) {
	f := start(t, rulesA, "")
	send := func(ctype, body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", f.srv.URL+"/v1/events", strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		return sendJSON(t, req)
	}
	seq := "\x1e" + strings.ReplaceAll(strings.TrimSuffix(events(0, 3), "\n"), "\n", "\n\x1e") + "\n"
	if code, out := send("application/json-seq", seq); code != http.StatusAccepted || out["accepted"] != 3.0 {
		t.Errorf("a JSON text sequence: %d %v", code, out)
	}
	// A record separator in a string is no separator: the string holds
	// a control character, which JSON refuses.
	bad := "\x1e" + strings.TrimSpace(events(3, 1)) + "\n\x1e" + `{"id":"e4", "type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z","attrs":{"s":"a` + "\x1e" + `"}}` + "\n\x1e" + `{"id":` + "\n"
	code, out := send("application/json-seq", bad)
	if code != http.StatusBadRequest || reported(out) != "1:invalid:<nil> 2:invalid:<nil>" {
		t.Errorf("a JSON text sequence with bad records: %d %v", code, out)
	} else if e := out["events"].([]any)[1].(map[string]any); e["line"] != 3.0 || !strings.Contains(fmt.Sprint(e["error"]), "line 3, column 8") {
		t.Errorf("the cut record reported as %v; want line 3, column 8", e)
	}
	if code, out := send("application/octet-stream", events(10, 1)); code != http.StatusAccepted {
		t.Errorf("application/octet-stream: %d %v", code, out)
	}
	for _, ctype := range []string{"application/json; charset=iso-8859-1", "text/plain; charset=UTF-16"} {
		code, out := send(ctype, events(11, 1))
		if code != http.StatusUnsupportedMediaType || !strings.Contains(fmt.Sprint(out["error"]), "only UTF-8 is accepted") || out["reason"] != "content_type" {
			t.Errorf("%s: %d %v; want 415 saying only UTF-8 is accepted", ctype, code, out)
		}
	}
	for i, ctype := range []string{"application/json; charset=UTF-8", "application/json; charset=us-ascii"} {
		if code, out := send(ctype, events(20+i, 1)); code != http.StatusAccepted {
			t.Errorf("%s: %d %v", ctype, code, out)
		}
	}
	utf16 := func(s string, big bool) string {
		var b strings.Builder
		if big {
			b.WriteString("\xfe\xff")
		} else {
			b.WriteString("\xff\xfe")
		}
		for _, c := range []byte(s) {
			if big {
				b.WriteByte(0)
				b.WriteByte(c)
			} else {
				b.WriteByte(c)
				b.WriteByte(0)
			}
		}
		return b.String()
	}
	for _, tc := range []struct{ name, body, says string }{
		{"UTF-16LE", utf16(events(13, 1), false), "the body is UTF-16 (little-endian: it starts with the byte order mark FF FE), not UTF-8"},
		{"UTF-16BE", utf16(events(13, 1), true), "the body is UTF-16 (big-endian: it starts with the byte order mark FE FF), not UTF-8"},
		{"UTF-16LE without its mark", utf16(events(13, 1), false)[2:], "the body is UTF-16, not UTF-8"},
	} {
		code, out := send("", tc.body)
		if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out), tc.says) || !strings.Contains(fmt.Sprint(out), "iconv -f UTF-16 -t UTF-8") {
			t.Errorf("%s: %d %v; want 400 saying %q", tc.name, code, out, tc.says)
		}
	}
	if p := points(t, f); p != 6 {
		t.Errorf("points %d; want 6", p)
	}
}
