package daemon_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

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
