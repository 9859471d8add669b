package dashboard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/daemon/dashboard"
)

func TestServesEmbeddedAssets(t *testing.T) {
	mux := http.NewServeMux()
	dashboard.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, c := range []struct {
		path, ctype, has string
		code             int
	}{
		{"/", "text/html", `<script src="dashboard/app.js">`, 200},
		// No example id of one configuration (the quickstart's u07) on
		// all of them: the page puts one of this state's in.
		{"/", "text/html", `placeholder="member id or name"`, 200},
		{"/dashboard/app.js", "javascript", "sessionStorage", 200},
		{"/dashboard/style.css", "text/css", "prefers-color-scheme: dark", 200},
		// The page's icon, so a browser asks for no /favicon.ico.
		{"/", "text/html", `<link rel="icon" href="dashboard/favicon.svg"`, 200},
		{"/dashboard/favicon.svg", "image/svg+xml", "<svg", 200},
		// What needs someone now sits in the header: alerts firing and
		// dead letters (renderAttention), linking to their sections.
		{"/", "text/html", `id="attention"`, 200},
		{"/dashboard/app.js", "javascript", "function renderAttention()", 200},
		{"/dashboard/app.js", "javascript", `href: "#outbox"`, 200},
		// The community figures are of the clock hour under way.
		{"/dashboard/app.js", "javascript", `kpi("Negative this hour", f.negative_1h`, 200},
		{"/dashboard/app.js", "javascript", `"Members of capacity"`, 200},
		// The charts over time say since when they count.
		{"/", "text/html", `class="muted since-start"`, 200},
		// A campaign's goal rate and deliveries at its headline, the
		// member's history on the card, one line for a repeated error.
		{"/dashboard/app.js", "javascript", "function campaignHeadline(name)", 200},
		{"/dashboard/app.js", "javascript", "/history`", 200},
		{"/dashboard/app.js", "javascript", `OUTBOX_ERROR = { skipped: "Reason"`, 200},
		// The active shares say what they are of.
		{"/", "text/html", `id="hr-a7-of"`, 200},
		{"/dashboard/app.js", "javascript", `"of_30d"`, 200},
		{"/dashboard/nope.js", "", "", 404},
		{"/elsewhere", "", "", 404},
	} {
		resp, err := http.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("GET %s: %d, want %d", c.path, resp.StatusCode, c.code)
			continue
		}
		if c.code != 200 {
			continue
		}
		if !strings.Contains(resp.Header.Get("Content-Type"), c.ctype) || !strings.Contains(string(body), c.has) {
			t.Errorf("GET %s: %s without %q", c.path, resp.Header.Get("Content-Type"), c.has)
		}
		// Nothing from elsewhere: the page must work offline and leak no
		// token to a third party.
		// (The SVG namespace is a name, not an address.)
		text := strings.ReplaceAll(string(body), "http://www.w3.org/2000/svg", "")
		if strings.Contains(text, "https://") || strings.Contains(text, "http://") {
			t.Errorf("GET %s refers to another origin", c.path)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: CSP %q", c.path, csp)
		}
	}
}

// The page must not be framed by another site (clickjacking its buttons
// and token dialog), nor send its address to other sites.
func TestPageRefusesFramingAndReferrers(t *testing.T) {
	mux := http.NewServeMux()
	dashboard.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, path := range []string{"/", "/dashboard/app.js"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") ||
			!strings.Contains(csp, "base-uri 'none'") || !strings.Contains(csp, "form-action 'self'") {
			t.Errorf("GET %s: CSP %q lacks frame-ancestors, base-uri or form-action", path, csp)
		}
		if got := h.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s: X-Frame-Options %q", path, got)
		}
		if got := h.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q", path, got)
		}
	}
}

// The page and its script name the API and the assets relative to the
// page ("v1/status", "dashboard/app.js"), never from the host's root, so
// the dashboard works behind a reverse proxy that serves it under a path
// prefix (https://host/hearth/): an absolute "/v1/" would leave the
// prefix and reach another site on the proxy, or nothing.
func TestDashboardURLsAreRelative(t *testing.T) {
	mux := http.NewServeMux()
	dashboard.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// A quote, a backquote or an attribute's = right before a slash:
	// a string or a link from the root. Comments ("GET /v1/status")
	// are prose and not matched.
	absolute := regexp.MustCompile("[\"'`(=]\\s*/(?:v1|dashboard|metrics|healthz|readyz)\\b")
	relative := map[string]*regexp.Regexp{
		"/":                    regexp.MustCompile(`(?:href|src)="dashboard/`),
		"/dashboard/app.js":    regexp.MustCompile("api\\([\"`]v1/"),
		"/dashboard/style.css": regexp.MustCompile(`.`),
	}
	for path, want := range relative {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		for _, m := range absolute.FindAllString(string(body), -1) {
			t.Errorf("GET %s names %q from the host's root; use a URL relative to the page", path, m)
		}
		if !want.Match(body) {
			t.Errorf("GET %s has no relative reference %s; has its form changed?", path, want)
		}
	}
	// The check sees what it is for.
	if !absolute.MatchString(`fetch("/v1/status")`) || !absolute.MatchString(`<script src="/dashboard/app.js">`) || absolute.MatchString(`// GET /v1/status`) {
		t.Error("the pattern for absolute references misses one, or takes a comment")
	}
}

// With JavaScript off (curl, a locked-down browser) the page says it
// needs it and names the JSON endpoints that hold the same figures,
// without an inline script or style: the CSP stays strict.
func TestPageWithoutJavaScript(t *testing.T) {
	mux := http.NewServeMux()
	dashboard.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	start, end := strings.Index(page, "<noscript>"), strings.Index(page, "</noscript>")
	if start < 0 || end < start {
		t.Fatal("the page has no <noscript> block")
	}
	block := page[start:end]
	// The daemon listens where -listen says: no address is written in.
	if strings.Contains(block, "7341") {
		t.Errorf("the <noscript> block names a fixed address:\n%s", block)
	}
	for _, want := range []string{"needs JavaScript", `href="v1/status"`, `href="v1/population"`, "v1/members/ID", `href="metrics"`, "curl "} {
		if !strings.Contains(block, want) {
			t.Errorf("the <noscript> block lacks %q:\n%s", want, block)
		}
	}
	// Every script is a file; no inline style or event handler.
	if n, files := strings.Count(page, "<script"), strings.Count(page, `<script src="`); n != files {
		t.Errorf("%d scripts, %d of them files: an inline script needs the CSP loosened", n, files)
	}
	if regexp.MustCompile(`<style|\son[a-z]+=|\sstyle=`).MatchString(page) {
		t.Error("the page has an inline style or event handler, which the CSP refuses")
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q is not strict", csp)
	}
}

// The page's lang is the configured default locale, asked at each
// request; a malformed one is not written into the page.
func TestPageLang(t *testing.T) {
	for in, want := range map[string]string{"zh-CN": `<html lang="zh-CN">`, "": `<html lang="en">`, `en"><script>`: `<html lang="en">`} {
		h := dashboard.Page(func() string { return in })
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, want) || strings.Count(body, "<html") != 1 {
			t.Errorf("locale %q: %d, want %s in\n%.200s", in, rec.Code, want, body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
	}
}
