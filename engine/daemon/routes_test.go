package daemon_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/daemon"
)

// Every route of the table is served, behind the token when it says so;
// hearth run -h lists the same table (cmd/hearth tests that).
func TestRoutesServed(t *testing.T) {
	f := start(t, rulesA, "")
	h := f.d.Handler("tok")
	seen := map[string]bool{}
	for _, r := range daemon.Routes() {
		if seen[r.Pattern] || r.Usage == "" || r.Doc == "" {
			t.Errorf("route %q is listed twice or without usage and doc", r.Pattern)
		}
		seen[r.Pattern] = true
		method, path, ok := strings.Cut(r.Pattern, " ")
		if !ok {
			method, path = http.MethodPost, r.Pattern // every method
		}
		path = strings.NewReplacer("{$}", "", "{id}", "m1", "{type}", "webhook", "{name}", "nope").Replace(path)
		if strings.HasSuffix(path, "/") && path != "/" {
			path += "app.js"
		}
		for _, token := range []string{"", "tok"} {
			req, _ := http.NewRequest(method, "http://hearth"+path, strings.NewReader(""))
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			// The mux's own answers for a route it does not know.
			if rec.Code == http.StatusMethodNotAllowed || rec.Code == http.StatusNotFound && strings.Contains(rec.Body.String(), "no route") {
				t.Errorf("%s %s: %d %s: not served", method, path, rec.Code, rec.Body.String())
			}
			if token == "" && r.Token && rec.Code != http.StatusUnauthorized {
				t.Errorf("%s %s without the token: %d; want 401", method, path, rec.Code)
			}
			if token == "" && !r.Token && rec.Code == http.StatusUnauthorized {
				t.Errorf("%s %s asks for the token, which its route says it does not need", method, path)
			}
		}
	}
	for _, want := range []string{"GET /v1/members", "GET /v1/members/{id}/history", "GET /v1/report", "POST /v1/feedback", "POST /v1/members/{id}/pardon"} {
		if !seen[want] {
			t.Errorf("the table lacks %s", want)
		}
	}
}

// A request no route takes gets the JSON error every other answer of the
// API has, saying what to do: the methods the path takes (with the Allow
// header) or where the routes are listed. A method the path's route does
// not take is counted under that route (the first one listed, for a path
// several take), with its 405; a path no route takes as unmatched. Those
// to a route that takes events are refused events too, for their method,
// as the inbound route counts them.
func TestUnroutedAnswersJSON(t *testing.T) {
	f := start(t, rulesA, "tok")
	cases := []struct {
		method, path string
		code         int
		allow, says  string
	}{
		{"PUT", "/v1/events", http.StatusMethodNotAllowed, "POST", "PUT is not allowed on /v1/events; use POST"},
		{"GET", "/v1/events", http.StatusMethodNotAllowed, "POST", "use POST"},
		{"GET", "/v1/feedback", http.StatusMethodNotAllowed, "POST", "use POST"},
		{"POST", "/v1/status", http.StatusMethodNotAllowed, "GET, HEAD", "use GET, HEAD"},
		{"DELETE", "/metrics", http.StatusMethodNotAllowed, "GET, HEAD", "use GET, HEAD"},
		{"POST", "/healthz", http.StatusMethodNotAllowed, "GET, HEAD", "use GET, HEAD"},
		{"PUT", "/v1/members/u1/why", http.StatusMethodNotAllowed, "GET, HEAD, POST", "use GET, HEAD, POST"},
		{"GET", "/v1/nope", http.StatusNotFound, "", "no route GET /v1/nope; hearth run -h lists the API"},
		{"GET", "/v1/members/u1/nope", http.StatusNotFound, "", "no route GET /v1/members/u1/nope"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, f.srv.URL+c.path, strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Error string }
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != c.code || err != nil || !strings.Contains(body.Error, c.says) {
			t.Errorf("%s %s: %d %q (%v); want %d and a JSON error saying %q", c.method, c.path, resp.StatusCode, body.Error, err, c.code, c.says)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q; want application/json", c.method, c.path, ct)
		}
		if got := resp.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q; want %q", c.method, c.path, got, c.allow)
		}
	}
	_, m := fetch(t, "GET", f.srv.URL+"/metrics", "tok", "")
	for series, want := range map[string]float64{
		`hearth_requests_refused_total{reason="method"}`:                          3,
		`hearth_events_rejected_total{reason="method"}`:                           -1, // a request's reason, not an event's
		`hearth_http_requests_total{code="405",route="POST /v1/events"}`:          2,
		`hearth_http_requests_total{code="405",route="POST /v1/feedback"}`:        1,
		`hearth_http_requests_total{code="405",route="GET /v1/status"}`:           1,
		`hearth_http_requests_total{code="405",route="GET /metrics"}`:             1,
		`hearth_http_requests_total{code="405",route="GET /healthz"}`:             1,
		`hearth_http_requests_total{code="405",route="GET /v1/members/{id}/why"}`: 1,
		`hearth_http_request_duration_seconds_count{route="POST /v1/events"}`:     2,
		`hearth_http_requests_total{code="405",route="unmatched"}`:                -1, // none
		`hearth_http_requests_total{code="404",route="unmatched"}`:                2,
	} {
		if got := sampleValue(t, m, series); got != want {
			t.Errorf("%s = %v; want %v", series, got, want)
		}
	}
}

// A path not written clean ("/v1//events") is never redirected under a
// POST, which a client may follow without its body, or not follow at all
// and take the empty answer for success: it gets 404 naming the clean
// path. A GET is redirected, with a JSON body saying where. Both are
// counted under the route of the clean path.
func TestUncleanPathsAnswered(t *testing.T) {
	f := start(t, rulesA, "tok")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct {
		method, path string
		code         int
		says, loc    string
	}{
		{"POST", "/v1//events?backfill=true", http.StatusNotFound, "no route POST /v1//events: the path is not written clean (a //, /./ or /../ in it); send the request to /v1/events?backfill=true", ""},
		{"POST", "/v1/./events", http.StatusNotFound, "send the request to /v1/events", ""},
		{"POST", "/v1/nope/../reload", http.StatusNotFound, "send the request to /v1/reload", ""},
		{"PUT", "//v1/nowhere", http.StatusNotFound, "send the request to /v1/nowhere", ""},
		{"GET", "/v1//status", http.StatusTemporaryRedirect, "the path /v1//status is not written clean; it is /v1/status", "/v1/status"},
	} {
		req, _ := http.NewRequest(c.method, f.srv.URL+c.path, strings.NewReader(events(0, 1)))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Error string }
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != c.code || err != nil || !strings.Contains(body.Error, c.says) || resp.Header.Get("Location") != c.loc {
			t.Errorf("%s %s: %d %q, Location %q (%v); want %d saying %q", c.method, c.path, resp.StatusCode, body.Error, resp.Header.Get("Location"), err, c.code, c.says)
		}
	}
	if p := points(t, f); p != 0 {
		t.Errorf("an unclean path applied events: %d points", p)
	}
	_, m := fetch(t, "GET", f.srv.URL+"/metrics", "tok", "")
	for series, want := range map[string]float64{
		`hearth_http_requests_total{code="404",route="POST /v1/events"}`: 2,
		`hearth_http_requests_total{code="404",route="POST /v1/reload"}`: 1,
		`hearth_http_requests_total{code="404",route="unmatched"}`:       1,
		`hearth_http_requests_total{code="307",route="GET /v1/status"}`:  1,
	} {
		if got := sampleValue(t, m, series); got != want {
			t.Errorf("%s = %v; want %v", series, got, want)
		}
	}
}
