package daemon_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// send sends one request with the given headers and says how it was
// answered.
func send(t *testing.T, f *fixture, method, path, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// A page on any site the operator visits can POST to the daemon on
// 127.0.0.1 (a form or fetch with mode no-cors sends text/plain without
// a preflight), and, with DNS rebinding, read its answers under its own
// host name. Without a token nothing else stands in the way, so the
// daemon refuses cross-site writes and, without a token, host names
// that are not loopback.
func TestCrossSiteRequestsRefused(t *testing.T) {
	f := start(t, rulesA, "")
	before := points(t, f)
	for _, tc := range []struct {
		name   string
		header map[string]string
	}{
		{"cross-site form", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}},
		{"old browser, Origin only", map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"}},
		{"rebound host name", map[string]string{"Host": "evil.example:7341", "Origin": "http://evil.example:7341", "Sec-Fetch-Site": "same-origin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := send(t, f, "POST", "/v1/events", events(0, 3), tc.header); code != http.StatusForbidden {
				t.Errorf("POST /v1/events: %d %s, want 403", code, body)
			}
			if code, body := send(t, f, "POST", "/v1/reload", "", tc.header); code != http.StatusForbidden {
				t.Errorf("POST /v1/reload: %d %s, want 403", code, body)
			}
		})
	}
	if got := points(t, f); got != before {
		t.Errorf("points went from %d to %d: a cross-site request was applied", before, got)
	}
	// A rebound page reads with GET under its own host name.
	if code, body := send(t, f, "GET", "/v1/members?q=m", "", map[string]string{"Host": "evil.example:7341"}); code != http.StatusForbidden {
		t.Errorf("GET /v1/members under another host name: %d %s, want 403", code, body)
	}

	// What must keep working: the CLI and curl (no Origin), the
	// dashboard on the same origin, loopback names, probes.
	for _, h := range []map[string]string{
		nil,
		{"Origin": f.srv.URL, "Sec-Fetch-Site": "same-origin"},
		{"Host": "localhost:7341"},
		{"Host": "[::1]:7341"},
	} {
		if code, body := send(t, f, "GET", "/v1/status", "", h); code != http.StatusOK {
			t.Errorf("GET /v1/status with %v: %d %s", h, code, body)
		}
	}
	if code, body := send(t, f, "POST", "/v1/events", events(0, 2), map[string]string{"Origin": f.srv.URL, "Sec-Fetch-Site": "same-origin"}); code != http.StatusAccepted {
		t.Errorf("same-origin POST: %d %s", code, body)
	}
	if code, body := send(t, f, "GET", "/healthz", "", map[string]string{"Host": "hearth.internal"}); code != http.StatusOK {
		t.Errorf("probe under a service name: %d %s", code, body)
	}
}

// With a token, a cross-site page cannot send it, and any host name is
// fine (a reverse proxy's); cross-site writes are still refused.
func TestCrossSiteWithToken(t *testing.T) {
	f := start(t, rulesA, "s3cret")
	auth := "Bearer s3cret"
	if code, body := send(t, f, "GET", "/v1/status", "", map[string]string{"Host": "hearth.example.org", "Authorization": auth}); code != http.StatusOK {
		t.Errorf("GET under a proxy's host name: %d %s", code, body)
	}
	if code, body := send(t, f, "POST", "/v1/events", events(0, 1), map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Authorization": auth}); code != http.StatusForbidden {
		t.Errorf("cross-site POST with token: %d %s, want 403", code, body)
	}
}

// A member's name is theirs to choose: API answers that quote it must
// never be taken for HTML by a browser opening the URL.
func TestAPIAnswersAreNotSniffed(t *testing.T) {
	f := start(t, rulesA, "")
	ev := `{"id":"x1","type":"message.posted","member":{"id":"m1","name":"<img src=x onerror=alert(1)>"},"at":"2026-01-01T10:00:00Z"}`
	if code, body := send(t, f, "POST", "/v1/events", ev, nil); code != http.StatusAccepted {
		t.Fatalf("post: %d %s", code, body)
	}
	for _, path := range []string{"/v1/members/m1", "/v1/members?q=img", "/v1/members/%3Cscript%3E"} {
		resp, err := http.Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", path, got)
		}
	}
}
