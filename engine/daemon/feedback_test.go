package daemon_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A 400 from /v1/feedback lists each problem with the body's key at
// fault, as /v1/events lists its bad events, and keeps the summary in
// error.
func TestFeedbackProblemsListed(t *testing.T) {
	f := start(t, surveyRules, "tok")
	code, body := post(t, f, "/v1/feedback", `{"member":"m1","survey":"pulse","answers":{"recommend":11,"more_of":[1]}}`, "tok")
	if code != http.StatusBadRequest {
		t.Fatalf("%d %v; want 400", code, body)
	}
	got, _ := json.Marshal(body["problems"])
	// The body's keys are checked before the answers.
	if string(got) != `[{"error":"id is missing: give each submission a unique id, so sending it again is safe","field":"id"}]` {
		t.Errorf("problems: %s", got)
	}
	code, body = post(t, f, "/v1/feedback", `{"id":"f1","member":"m1","survey":"pulse","answers":{"recommend":11,"more_of":[1]}}`, "tok")
	got, _ = json.Marshal(body["problems"])
	var ps []struct{ Field, Error string }
	if err := json.Unmarshal(got, &ps); code != http.StatusBadRequest || err != nil || len(ps) != 2 ||
		ps[0].Field != "answers.more_of" || ps[1].Field != "answers.recommend" || !strings.Contains(body["error"].(string), ps[1].Error) {
		t.Errorf("%d %v; want 400 with a problem per answer", code, body)
	}
	code, body = post(t, f, "/v1/feedback", `{"id":"f1","member":"m1","surveys":"pulse"}`, "tok")
	if got, _ := json.Marshal(body["problems"]); code != http.StatusBadRequest || !strings.Contains(string(got), `"field":"body"`) || !strings.Contains(string(got), `unknown field \"surveys\"`) {
		t.Errorf("not a feedback object: %d %s", code, got)
	}
}

// Feedback for a member the state does not have is taken, and creates
// the member, with a warning naming them; a known member's gets none,
// nor does the same submission sent again.
func TestFeedbackUnknownMemberWarned(t *testing.T) {
	f := start(t, surveyRules, "tok")
	code, body := post(t, f, "/v1/feedback", `{"id":"f1","member":"nobody-here","survey":"pulse","at":"2026-01-01T12:00:00Z","answers":{"recommend":9}}`, "tok")
	got, _ := json.Marshal(body["warnings"])
	if code != http.StatusAccepted || body["accepted"] != float64(1) ||
		string(got) != `[{"member":"nobody-here","warning":"member \"nobody-here\" was not known; created, joined at the feedback's time: check the form sends the id hearth knows the member by"}]` {
		t.Errorf("%d %v", code, body)
	}
	for _, b := range []string{
		`{"id":"f1","member":"nobody-here","survey":"pulse","at":"2026-01-01T12:00:00Z","answers":{"recommend":9}}`,
		`{"id":"f2","member":"nobody-here","survey":"pulse","at":"2026-01-01T12:01:00Z","answers":{"recommend":7}}`,
	} {
		code, body := post(t, f, "/v1/feedback", b, "tok")
		if code != http.StatusAccepted || body["warnings"] != nil {
			t.Errorf("%s: %d %v; want 202 with no warning", b, code, body)
		}
	}
}
