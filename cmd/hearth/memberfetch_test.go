package main

import (
	"strings"
	"testing"
)

// A daemon's refusal reads as its reason first, then which endpoint
// answered what, then what to do about a token; an answer that is not
// hearth's JSON (a proxy's page) gives its first line, cut short.
func TestDaemonRefusal(t *testing.T) {
	for _, c := range []struct {
		body       string
		code       int
		status     string
		sent       bool
		want, cuts string
	}{
		{`{"error": "no such member"}`, 404, "404 Not Found", false, "no such member (http://h/v1/x answered 404 Not Found)", ""},
		{`{}`, 500, "500 Internal Server Error", false, "http://h/v1/x answered 500 Internal Server Error", ""},
		{`{"error": "missing token"}`, 401, "401 Unauthorized", false, "missing token (http://h/v1/x answered 401 Unauthorized); the daemon takes an API token: set HEARTH_API_TOKEN", ""},
		{"<html><body>Bad gateway</body></html>\n<p>nginx</p>", 502, "502 Bad Gateway", false, "<html><body>Bad gateway</body></html> (http://h/v1/x answered 502 Bad Gateway)", "nginx"},
		{strings.Repeat("x", 500), 502, "502 Bad Gateway", false, strings.Repeat("x", 200) + "… (http://h/v1/x answered", ""},
	} {
		got := daemonRefusal("http://h/v1/x", c.status, errorText([]byte(c.body)), c.code, c.sent)
		if !strings.HasPrefix(got, c.want) || c.cuts != "" && strings.Contains(got, c.cuts) {
			t.Errorf("%.40q: %q, want it to start with %q", c.body, got, c.want)
		}
	}
}
