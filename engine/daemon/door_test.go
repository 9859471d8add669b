package daemon_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
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
