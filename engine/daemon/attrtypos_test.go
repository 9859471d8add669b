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

// An attribute an event's type does not declare that looks like one it
// does, which the event lacks ("chanel" on message.posted), is taken
// (attributes are open) with a warning in the 202 naming it, its type,
// the attribute it looks like and the first event's place; it is
// counted by type, listed by GET /v1/status and logged. An exact
// attribute, one far from every declared one, one beside the attribute
// it looks like, and the profile's, whose attributes all count, get no
// word.
func TestAttrTypoWarned(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tick := func() { mu.Lock(); now = now.Add(time.Minute); mu.Unlock() }
	var logs syncBuffer
	f := start(t, `
event "quiz.done" {
  attributes = {
    quiz  = "string"
    score = "int"
  }
}
`, "", func(o *daemon.Options) {
		o.Now = clock
		o.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	body := `{"id":"live-5","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z","attrs":{"channel":"help"}}
{"id":"live-6","type":"message.posted","member":"m1","at":"2026-01-01T10:01:00Z","attrs":{"chanel":"help"}}
{"id":"live-7","type":"quiz.done","member":"m1","at":"2026-01-01T10:02:00Z","attrs":{"quizz":"go","score":3}}
{"id":"live-8","type":"message.posted","member":"m1","at":"2026-01-01T10:03:00Z","attrs":{"chanel":"help","colour":"red"}}
`
	tick()
	code, out := post(t, f, "/v1/events", body, "")
	if code != http.StatusAccepted || out["accepted"] != float64(4) {
		t.Fatalf("events: %d %v", code, out)
	}
	got, _ := json.Marshal(out["warnings"])
	want := `[{"attribute":"chanel","event_id":"live-6","event_type":"message.posted","events":2,"index":1,"line":2,"suggestion":"channel",` +
		`"warning":"message.posted has no attribute \"chanel\", so no rule reads it (taken all the same); did you mean \"channel\"?"},` +
		`{"attribute":"quizz","event_id":"live-7","event_type":"quiz.done","events":1,"index":2,"line":3,"suggestion":"quiz",` +
		`"warning":"quiz.done has no attribute \"quizz\", so no rule reads it (taken all the same); did you mean \"quiz\"?"}]`
	if string(got) != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
	// The warning reads back as the AttrWarning it was.
	var ws []daemon.AttrWarning
	if err := json.Unmarshal(got, &ws); err != nil || len(ws) != 2 || ws[0].Type != "message.posted" || ws[0].ID != "live-6" {
		t.Errorf("as AttrWarnings: %+v (%v)", ws, err)
	}

	for _, body := range []string{
		`{"id":"n1","type":"message.posted","member":"m1","at":"2026-01-01T11:00:00Z","attrs":{"channel":"help"}}`,
		`{"id":"n2","type":"message.posted","member":"m1","at":"2026-01-01T11:01:00Z","attrs":{"colour":"red","platform_thing":"x"}}`,
		`{"id":"n3","type":"message.posted","member":"m1","at":"2026-01-01T11:02:00Z","attrs":{"channel":"help","chanel":"help"}}`,
		`{"id":"n4","type":"member.profile_updated","member":"m1","at":"2026-01-01T11:03:00Z","attrs":{"nme":"Ann"}}`,
		`{"id":"n5","type":"mesage.posted","member":"m1","at":"2026-01-01T11:04:00Z","attrs":{"chanel":"help"}}`,
	} {
		code, out := post(t, f, "/v1/events", body, "")
		if code != http.StatusAccepted {
			t.Fatalf("%s: %d %v", body, code, out)
		}
		if ws, _ := json.Marshal(out["warnings"]); strings.Contains(string(ws), `"attribute"`) {
			t.Errorf("%s: attribute warnings %s; want none", body, ws)
		}
	}

	m := metricsText(t, f)
	for series, want := range map[string]float64{
		`hearth_events_attr_warnings_total{type="message.posted"}`: 2,
		`hearth_events_attr_warnings_total{type="quiz.done"}`:      1,
		`hearth_events_attr_warnings_total{type="reaction.added"}`: 0,
	} {
		if got := sampleValue(t, m, series); got != want {
			t.Errorf("%s = %v; want %v", series, got, want)
		}
	}
	if strings.Contains(m, `hearth_events_attr_warnings_total{type="mesage.posted"}`) || strings.Contains(m, `hearth_events_attr_warnings_total{type="other"}`) {
		t.Error("an undeclared type has an attr warnings series")
	}

	// Sent again later: counted on, and the log, which named each pair
	// once, holds its second line back.
	tick()
	if code, out := post(t, f, "/v1/events", `{"id":"live-9","type":"message.posted","member":"m1","at":"2026-01-01T12:00:00Z","attrs":{"chanel":"news"}}`, ""); code != http.StatusAccepted || out["warnings"] == nil {
		t.Fatalf("again: %d %v", code, out)
	}
	code, st := get(t, f, "/v1/status")
	if code != http.StatusOK {
		t.Fatalf("status: %d %v", code, st)
	}
	listed, _ := json.Marshal(st["attr_typos"])
	wantListed := `[{"attribute":"chanel","events":3,"first_seen":"2026-01-02T09:01:00Z","last_seen":"2026-01-02T09:02:00Z","suggestion":"channel","type":"message.posted"},` +
		`{"attribute":"quizz","events":1,"first_seen":"2026-01-02T09:01:00Z","last_seen":"2026-01-02T09:01:00Z","suggestion":"quiz","type":"quiz.done"}]`
	if string(listed) != wantListed {
		t.Errorf("attr_typos:\n%s\nwant:\n%s", listed, wantListed)
	}
	lines := logs.String()
	if n := strings.Count(lines, "an attribute their type does not declare"); n != 2 ||
		!strings.Contains(lines, `"type":"message.posted","attribute":"chanel","events":2,"hint":"Did you mean \"channel\"?"`) {
		t.Errorf("want one log line per pair, with the hint; got %d:\n%s", n, lines)
	}

	// Declared by a reload, the attribute is no typo any more.
	write(t, f.dir, "rules.hcl", `
event "quiz.done" {
  attributes = {
    quiz  = "string"
    quizz = "string"
    score = "int"
  }
}
`)
	if code, out := post(t, f, "/v1/reload", "", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %v", code, out)
	}
	code, st = get(t, f, "/v1/status")
	if listed, _ := json.Marshal(st["attr_typos"]); code != http.StatusOK || strings.Contains(string(listed), "quizz") || !strings.Contains(string(listed), "chanel") {
		t.Errorf("after declaring quizz: %s", listed)
	}
}

// The list keeps the pairs seen last, never more than its bound.
func TestAttrTyposListBounded(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var attrs []string
	for i := range 60 {
		attrs = append(attrs, fmt.Sprintf(`"a%02d": "string"`, i))
	}
	f := start(t, "event \"made.up\" {\n  attributes = {\n"+strings.Join(attrs, "\n")+"\n  }\n}\n", "", func(o *daemon.Options) { o.Now = clock })
	for i := range 60 {
		mu.Lock()
		now = now.Add(time.Minute)
		mu.Unlock()
		// b07 for a07: one letter off a declared name.
		ev := fmt.Sprintf(`{"id":"x%d","type":"made.up","member":"ann","at":"2026-01-01T10:00:00Z","attrs":{"b%02d":"v"}}`, i, i)
		if code, out := post(t, f, "/v1/events", ev, ""); code != http.StatusAccepted || out["warnings"] == nil {
			t.Fatalf("%s: %d %v", ev, code, out)
		}
	}
	_, st := get(t, f, "/v1/status")
	var got []daemon.AttrTypo
	b, _ := json.Marshal(st["attr_typos"])
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 || got[0].Attribute != "b59" || got[49].Attribute != "b10" {
		t.Errorf("after 60 typos: %d listed: %v", len(got), got)
	}
}
