package daemon_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
)

// An event of a type nothing hears (a sender's typo of message.posted)
// is taken, as the API promises, and the log says so once per type,
// with the type it looks like; standard and declared types are not logged.
func TestUnheardEventTypeWarnedOnce(t *testing.T) {
	var logs syncBuffer
	f := start(t, `
event "quiz.done" {}
`, "", func(o *daemon.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	body := `{"id":"a","type":"mesage.posted","member":"ann","at":"2026-01-01T10:00:00Z"}
{"id":"b","type":"mesage.posted","member":"ann","at":"2026-01-01T10:01:00Z"}
{"id":"c","type":"message.posted","member":"ann","at":"2026-01-01T10:02:00Z"}
{"id":"d","type":"quiz.done","member":"ann","at":"2026-01-01T10:03:00Z"}
`
	if code, _ := post(t, f, "/v1/events", body, ""); code != http.StatusAccepted {
		t.Fatalf("events: %d", code)
	}
	if code, _ := post(t, f, "/v1/events", `{"id":"e","type":"mesage.posted","member":"ann","at":"2026-01-01T10:04:00Z"}`+"\n", ""); code != http.StatusAccepted {
		t.Fatalf("events: %d", code)
	}
	got := logs.String()
	if n := strings.Count(got, "a type nothing hears"); n != 1 || !strings.Contains(got, `"type":"mesage.posted","hint":"Did you mean \"message.posted\"?"`) {
		t.Errorf("want one warning for mesage.posted with a hint, got %d:\n%s", n, got)
	}
	if strings.Contains(got, `"type":"quiz.done"`) || strings.Contains(got, `"type":"message.posted"`) {
		t.Errorf("a standard or declared type was warned about:\n%s", got)
	}
}

// A request with events of a type that looks like a typo of a known one
// is taken (202) with a warning naming it, the number of its events, the
// first one's place and the type it looks like; an undeclared type that
// looks like none is taken without a word, and so is a request of known
// types alone.
func TestTypoWarningsIn202(t *testing.T) {
	f := start(t, `
event "quiz.done" {}
`, "")
	body := `{"id":"a","type":"message.posted","member":"ann","at":"2026-01-01T10:00:00Z"}
{"id":"b","type":"mesage.posted","member":"ann","at":"2026-01-01T10:01:00Z"}
{"id":"c","type":"custom_thing","member":"ann","at":"2026-01-01T10:02:00Z"}

{"id":"d","type":"mesage.posted","member":"ann","at":"2026-01-01T10:03:00Z"}
{"id":"e","type":"quiz.dome","member":"ann","at":"2026-01-01T10:04:00Z"}
`
	code, out := post(t, f, "/v1/events", body, "")
	if code != http.StatusAccepted || out["accepted"] != float64(5) {
		t.Fatalf("events: %d %v", code, out)
	}
	raw, _ := json.Marshal(out["warnings"])
	var warnings []daemon.TypeWarning
	if err := json.Unmarshal(raw, &warnings); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(warnings)
	want := `[{"type":"mesage.posted","events":2,"index":1,"line":2,"suggestion":"message.posted",` +
		`"warning":"type \"mesage.posted\" is neither standard nor declared with an event block, so no rule reads these events (taken all the same); did you mean \"message.posted\"?"},` +
		`{"type":"quiz.dome","events":1,"index":4,"line":6,"suggestion":"quiz.done",` +
		`"warning":"type \"quiz.dome\" is neither standard nor declared with an event block, so no rule reads these events (taken all the same); did you mean \"quiz.done\"?"}]`
	if string(got) != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
	for _, body := range []string{
		`{"id":"f","type":"custom_thing","member":"ann","at":"2026-01-01T10:05:00Z"}`,
		`{"id":"g","type":"quiz.done","member":"ann","at":"2026-01-01T10:06:00Z"}`,
	} {
		if code, out := post(t, f, "/v1/events", body, ""); code != http.StatusAccepted || out["warnings"] != nil {
			t.Errorf("%s: %d %v; want 202 without warnings", body, code, out)
		}
	}
	// An event sent again is a duplicate, and its type is still named.
	if code, out := post(t, f, "/v1/events", `{"id":"b","type":"mesage.posted","member":"ann","at":"2026-01-01T10:01:00Z"}`, ""); code != http.StatusAccepted || out["duplicates"] != float64(1) || out["warnings"] == nil {
		t.Errorf("a duplicate of a mistyped event: %d %v", code, out)
	}
}

// GET /v1/status lists the undeclared types taken, the one seen last
// first, with their counts and the type each looks like; a type declared
// by a reload since is no longer listed, and the list keeps the types
// seen last, never more than its bound.
func TestStatusListsUndeclaredTypes(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tick := func() { mu.Lock(); now = now.Add(time.Minute); mu.Unlock() }
	var logs syncBuffer
	f := start(t, rulesA, "", func(o *daemon.Options) {
		o.Now = clock
		o.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	send := func(id, typ string) {
		t.Helper()
		tick()
		ev := fmt.Sprintf(`{"id":%q,"type":%q,"member":"ann","at":"2026-01-01T10:00:00Z"}`, id, typ)
		if code, out := post(t, f, "/v1/events", ev, ""); code != http.StatusAccepted {
			t.Fatalf("%s: %d %v", ev, code, out)
		}
	}
	send("a", "mesage.posted")
	send("b", "meetup.attended")
	send("c", "mesage.posted")
	send("d", "message.posted")
	type listed struct {
		Type       string    `json:"type"`
		Events     int       `json:"events"`
		FirstSeen  time.Time `json:"first_seen"`
		LastSeen   time.Time `json:"last_seen"`
		Suggestion string    `json:"suggestion"`
	}
	status := func() []listed {
		t.Helper()
		code, st := get(t, f, "/v1/status")
		if code != http.StatusOK {
			t.Fatalf("status: %d %v", code, st)
		}
		b, _ := json.Marshal(st["undeclared_types"])
		var out []listed
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := status()
	at := func(minutes int) time.Time { return time.Date(2026, 1, 2, 9, minutes, 0, 0, time.UTC) }
	want := []listed{
		{"mesage.posted", 2, at(1), at(3), "message.posted"},
		{"meetup.attended", 1, at(2), at(2), ""},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("undeclared types:\n%v\nwant:\n%v", got, want)
	}

	// Declared by a reload, a type is no longer undeclared.
	write(t, f.dir, "events.hcl", `event "meetup.attended" {}`)
	if code, out := post(t, f, "/v1/reload", "", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %v", code, out)
	}
	if got := status(); len(got) != 1 || got[0].Type != "mesage.posted" {
		t.Errorf("after declaring meetup.attended: %v", got)
	}

	// A sender making up a type per event: the list keeps the last 50,
	// and the log names 20 types and then says it names no more.
	for i := range 60 {
		send(fmt.Sprintf("x%d", i), fmt.Sprintf("made.up%d", i))
	}
	got = status()
	if len(got) != 50 || got[0].Type != "made.up59" || got[49].Type != "made.up10" {
		t.Errorf("after 60 made-up types: %d listed, from %v to %v", len(got), got[0], got[len(got)-1])
	}
	if n := strings.Count(logs.String(), "a type nothing hears"); n != 20 || !strings.Contains(logs.String(), "more event types nothing hears are not logged") {
		t.Errorf("%d types logged; want 20, then that no more are", n)
	}
}
