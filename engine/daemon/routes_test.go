package daemon_test

import (
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
			if rec.Code == http.StatusMethodNotAllowed || rec.Code == http.StatusNotFound && strings.Contains(rec.Body.String(), "404 page not found") {
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
