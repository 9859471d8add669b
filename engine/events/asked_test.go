package events

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// An event asked about has its id, member and time filled in when left
// out, and keeps them when given; what is wrong with one is said as of an
// events file's line.
func TestParseAsked(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ev, err := ParseAsked([]byte(`{"type":"message.posted","attrs":{"channel":"general"}}`), "ann", at)
	if err != nil || ev.ID != "eval" || ev.Member.ID != "ann" || !ev.At.Equal(at) || ev.Attrs["channel"] != "general" {
		t.Fatalf("filled in: %+v, %v", ev, err)
	}
	ev, err = ParseAsked([]byte(`{"id":"e7","type":"member.joined","member":"bob","at":"2026-02-01T00:00:00Z"}`), "ann", at)
	if err != nil || ev.ID != "e7" || ev.Member.ID != "bob" || ev.At.Year() != 2026 || ev.At.Month() != 2 {
		t.Fatalf("given: %+v, %v", ev, err)
	}
	for raw, want := range map[string]string{
		`"message.posted"`:         "invalid event: each line must be a JSON object (an event), not a string",
		`[{"type":"x"}]`:           "not an array",
		`null`:                     "not null",
		`{"type":"message.posted"`: "malformed JSON at line 1, column 25: the JSON ends inside a value",
		`{"type":1}`:               `field "type" must be a string, not a number`,
		`{"type":"x","colour":1}`:  "colour",
		`{}`:                       "type",
	} {
		_, err := ParseAsked([]byte(raw), "ann", at)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want an invalid event saying %q", raw, err, want)
		}
	}
}
