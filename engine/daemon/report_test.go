package daemon_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const surveyRules = rulesA + `
survey "pulse" {
  question "recommend" {
    text  = { en = "Would you recommend us?" }
    score = true
  }
  question "more_of" {
    text    = { en = "More of what?" }
    choices = ["events", "tutorials"]
  }
}
`

// TestFeedbackAndReport posts answers over HTTP, refuses bad ones whole,
// and reads the NPS and the activity back from GET /v1/report.
func TestFeedbackAndReport(t *testing.T) {
	f := start(t, surveyRules, "tok")
	code, body := post(t, f, "/v1/events", events(0, 14), "tok") // m0..m6 post on 2026-01-01
	if code != http.StatusAccepted {
		t.Fatalf("events: %d %v", code, body)
	}
	bad := []struct{ body, want string }{
		{`{"id":"f0","member":"m0","survey":"pulse","answers":{"recommend":11}}`, "from 0 to 10, got 11"},
		{`{"id":"f0","member":"m0","survey":"pulse","answers":{"recommend":9,"more_of":"memes"}}`, `takes one of events, tutorials, got "memes"`},
		{`{"id":"f0","member":"m0","survey":"poll","answers":{"recommend":9}}`, `there is no survey "poll"`},
		{`{"id":"f0","member":"m0","survey":"pulse","answers":{"recommned":9}}`, `has no question "recommned"`},
		{`{"member":"m0","survey":"pulse","answers":{"recommend":9}}`, "id is missing"},
		{`{"id":"f0","member":"m0","survey":"pulse","answers":{"recommend":9},"extra":1}`, "unknown field"},
		{`{"id":"f0","member":"m0","survey":"pulse","answers":{"recommend":[9]}}`, "must be a number or a string"},
	}
	for _, b := range bad {
		code, body := post(t, f, "/v1/feedback", b.body, "tok")
		if code != http.StatusBadRequest || !strings.Contains(body["error"].(string), b.want) {
			t.Errorf("%s: %d %v; want 400 with %q", b.body, code, body, b.want)
		}
	}
	if code, _ := post(t, f, "/v1/feedback", `{"id":"f1","member":"m1","survey":"pulse","answers":{"recommend":9}}`, ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	good := []string{
		`{"id":"f1","member":"m1","survey":"pulse","at":"2026-01-01T12:00:00Z","answers":{"recommend":10,"more_of":"events"},"comment":"great"}`,
		`{"id":"f2","member":"m2","survey":"pulse","at":"2026-01-01T12:00:00Z","answers":{"recommend":"3"}}`,
		`{"id":"f3","member":"m3","survey":"pulse","at":"2026-01-01T12:00:00Z","answers":{"recommend":8}}`,
		`{"id":"f1","member":"m1","survey":"pulse","at":"2026-01-01T12:00:00Z","answers":{"recommend":10,"more_of":"events"},"comment":"great"}`,
	}
	for i, g := range good {
		code, body := post(t, f, "/v1/feedback", g, "tok")
		if code != http.StatusAccepted {
			t.Fatalf("feedback %d: %d %v", i, code, body)
		}
		if i == 3 && body["duplicates"].(float64) != 2 {
			t.Errorf("the same submission again: %v; want 2 duplicates", body)
		}
	}
	var r struct {
		AsOf    string `json:"as_of"`
		Members struct{ Current int }
		Active  struct{ D1 int }
		Surveys []struct {
			Question  string
			Responses int
			NPS       *struct{ Score float64 }
			Choices   []struct{ Choice string }
		}
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/v1/report", nil)
	req.Header.Set("Authorization", "Bearer tok")
	getJSONReq(t, req, &r)
	// Seven members posted on 2026-01-01; one promoter, one passive, one
	// detractor: NPS 0.
	if r.AsOf != "2026-01-01" || r.Members.Current != 7 || r.Active.D1 != 7 {
		t.Errorf("report: %+v", r)
	}
	if len(r.Surveys) != 2 || r.Surveys[0].Responses != 3 || r.Surveys[0].NPS == nil || r.Surveys[0].NPS.Score != 0 || len(r.Surveys[1].Choices) != 1 {
		t.Errorf("surveys: %+v", r.Surveys)
	}
	if code, body := get(t, f, "/v1/report?at=yesterday"); code != http.StatusUnauthorized {
		t.Errorf("report without token: %d %v", code, body)
	}
}

func getJSONReq(t *testing.T, req *http.Request, v any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", req.URL, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", req.URL, err)
	}
}

// FuzzPostFeedback sends arbitrary bodies to /v1/feedback: never a 5xx,
// never a panic, and 202 only for a submission that names the survey.
func FuzzPostFeedback(f *testing.F) {
	for _, s := range []string{
		`{"id":"f1","member":"m1","survey":"pulse","answers":{"recommend":9}}`,
		`{"id":"f2","member":"m1","survey":"pulse","answers":{"more_of":"events","recommend":"10"},"comment":"ok"}`,
		`{"id":"f3","member":"m1","survey":"pulse","answers":{"recommend":1e400}}`,
		`{"id":"","member":"","survey":"","answers":null}`, `[]`, `{`, `null`,
	} {
		f.Add([]byte(s))
	}
	fx := start(f, surveyRules, "")
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := http.Post(fx.srv.URL+"/v1/feedback", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for %q", resp.StatusCode, body)
		}
		if resp.StatusCode == http.StatusAccepted && !bytes.Contains(body, []byte("pulse")) {
			t.Fatalf("accepted %q", body)
		}
	})
}

// TestReportOfAnEmptyStore: before any event the report is of today, as
// hearth report's, not of the first day of 1970.
func TestReportOfAnEmptyStore(t *testing.T) {
	f := start(t, rulesA, "")
	before := time.Now().UTC().Format(time.DateOnly)
	code, r := get(t, f, "/v1/report")
	after := time.Now().UTC().Format(time.DateOnly) // the same, unless midnight passed
	if code != 200 || (r["as_of"] != before && r["as_of"] != after) {
		t.Errorf("report of an empty store: %d as of %v, want %s", code, r["as_of"], after)
	}
}
