package daemon_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// prettyEvent is an event as python3 -m json.tool prints it.
func prettyEvent(id string) string {
	return fmt.Sprintf(`{
    "id": %q,
    "type": "message.posted",
    "member": "m1",
    "at": "2026-01-01T10:00:00Z"
}
`, id)
}

// A body is one JSON event (pretty-printed or not), a JSON array of
// events, or JSON lines; errors name each bad event's index and the
// line it starts on, and a request with any bad event changes nothing.
func TestBodyForms(t *testing.T) {
	f := start(t, rulesA, "")
	accepted := []struct {
		name, body string
		n          int
	}{
		{"one pretty-printed event", prettyEvent("p1"), 1},
		{"pretty-printed events one after another", prettyEvent("p2") + prettyEvent("p3"), 2},
		{"an array", `[{"id":"a1","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z"},{"id":"a2","type":"message.posted","member":"m2","at":"2026-01-01T10:00:00Z"}]`, 2},
		{"a pretty-printed array", "[\n" + strings.ReplaceAll(prettyEvent("a3"), "\n}\n", "\n},\n") + prettyEvent("a4") + "]\n", 2},
		{"JSON lines", events(100, 3), 3},
		{"JSON lines with blank lines", "\n" + events(200, 1) + "\n\n" + events(201, 1), 2},
	}
	for _, tc := range accepted {
		code, out := post(t, f, "/v1/events", tc.body, "")
		if code != http.StatusAccepted || out["accepted"] != float64(tc.n) {
			t.Errorf("%s: %d %v; want 202 with %d accepted", tc.name, code, out, tc.n)
		}
	}
	before := points(t, f)
	refused := []struct {
		name, body string
		want       string
		index      []int // of the events reported
		line       []int
	}{
		{"a pretty-printed event without a type", strings.Replace(prettyEvent("b1"), `    "type": "message.posted",`+"\n", "", 1),
			"the event is invalid", []int{0}, []int{1}},
		{"a pretty-printed event with a syntax error", strings.Replace(prettyEvent("b2"), `"m1",`, `"m1"`, 1),
			"the event is invalid", []int{0}, []int{1}},
		{"an array with a bad second event", "[\n" + events(300, 1) + ",\n" + `{"id":"b3","type":"message.posted","member":"m1"}` + "\n]",
			"1 of 2 events is invalid", []int{1}, []int{4}},
		{"JSON lines with two bad lines", events(310, 1) + `{"id":"b4"}` + "\n" + events(311, 1) + `{"id":` + "\n",
			"2 of 4 events are invalid", []int{1, 3}, []int{2, 4}},
		{"more after an array", "[" + strings.TrimSpace(events(320, 1)) + "]\n{}", "invalid", []int{1}, []int{2}},
		{"an empty array", "[]", "no events in the body", nil, nil},
		{"an array of strings", `["a","b"]`, "all 2 events are invalid", []int{0, 1}, []int{1, 1}},
		{"an unclosed array", "[" + events(330, 1), `malformed JSON at line 1, column 81: the JSON ends inside a value: a closing }, ] or " is missing; send one JSON event`, []int{1}, []int{1}},
		{"a pretty-printed event cut short", strings.TrimSuffix(prettyEvent("b5"), "}\n"), `malformed JSON at line 5, column 33 (in the value that starts on line 1): the JSON ends inside a value`, []int{0}, []int{1}},
		{"a pretty-printed event with a trailing comma", strings.Replace(prettyEvent("b6"), `"2026-01-01T10:00:00Z"`, `"2026-01-01T10:00:00Z",`, 1),
			`malformed JSON at line 6, column 1 (in the value that starts on line 1): invalid character '}' where a field name in double quotes should start`, []int{0}, []int{1}},
		{"JSON lines with garbage", events(340, 1) + "  xyz\n", `invalid event: malformed JSON at line 2, column 3: invalid character 'x' where a value should start`, []int{1}, []int{2}},
		{"JSON lines with a line cut short", events(341, 1) + `{"id":` + "\n", `invalid event: malformed JSON at line 2, column 7: the JSON ends inside a value: a closing }, ] or " is missing; each line must hold a whole event`, []int{1}, []int{2}},
		{"garbage", "xyz", `malformed JSON at line 1, column 1: invalid character 'x' where a value should start`, []int{0}, []int{1}},
	}
	for _, tc := range refused {
		code, out := post(t, f, "/v1/events", tc.body, "")
		if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out), tc.want) {
			t.Errorf("%s: %d %v; want 400 saying %q", tc.name, code, out, tc.want)
			continue
		}
		bad, _ := out["events"].([]any)
		if len(bad) != len(tc.index) {
			t.Errorf("%s: %d events reported, want %d: %v", tc.name, len(bad), len(tc.index), out)
			continue
		}
		for i, b := range bad {
			e := b.(map[string]any)
			if e["index"] != float64(tc.index[i]) || e["line"] != float64(tc.line[i]) {
				t.Errorf("%s: event %d reported at index %v line %v, want %d and %d: %v", tc.name, i, e["index"], e["line"], tc.index[i], tc.line[i], e["error"])
			}
		}
	}
	if after := points(t, f); after != before {
		t.Errorf("refused bodies changed points: %d -> %d", before, after)
	}
}

// Every per-event error names the event's id when it can be read,
// whatever the problem and the form of the body: a bad at (refused as
// the event is read), a missing type, a type too long, an event from the
// future, in JSON lines, an array, pretty-printed events and JSON lines
// with a broken line among them. Malformed JSON and an id named twice
// have none.
func TestBadEventsNameTheirIDs(t *testing.T) {
	f := start(t, rulesA, "")
	badAt := `{"id":"bad-at","type":"message.posted","member":"m1","at":"yesterday"}`
	noType := `{"id":"no-type","member":"m1","at":"2026-01-01T10:00:00Z"}`
	longType := `{"id":"long-type","type":"` + strings.Repeat("a", 200) + `","member":"m1","at":"2026-01-01T10:00:00Z"}`
	future := `{"id":"future","type":"message.posted","member":"m1","at":"2999-01-01T10:00:00Z"}`
	twice := `{"id":"a","id":"b","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z"}`
	for _, tc := range []struct {
		name, body string
		ids        []string // of the events reported, in order
	}{
		{"JSON lines, a bad at second", events(400, 1) + badAt + "\n" + events(401, 1), []string{"bad-at"}},
		{"an array", "[" + strings.TrimSpace(events(410, 1)) + "," + badAt + "," + noType + "]", []string{"bad-at", "no-type"}},
		{"pretty-printed events", prettyEvent("p9") + strings.ReplaceAll(badAt, ",", ",\n  ") + "\n", []string{"bad-at"}},
		{"JSON lines with a broken line", events(420, 1) + badAt + "\n" + `{"id":` + "\n" + noType + "\n", []string{"bad-at", "", "no-type"}},
		{"a type too long", events(430, 1) + longType + "\n", []string{"long-type"}},
		{"an id named twice", events(440, 1) + twice + "\n", []string{""}},
		{"from the future", events(450, 1) + future + "\n", []string{"future"}},
	} {
		code, out := post(t, f, "/v1/events", tc.body, "")
		bad, _ := out["events"].([]any)
		if code/100 != 4 || len(bad) != len(tc.ids) {
			t.Errorf("%s: %d %v; want %d events reported", tc.name, code, out, len(tc.ids))
			continue
		}
		for i, b := range bad {
			e := b.(map[string]any)
			if id, _ := e["id"].(string); id != tc.ids[i] {
				t.Errorf("%s: event at index %v reported with id %q; want %q (%v)", tc.name, e["index"], id, tc.ids[i], e["error"])
			}
		}
	}
}
