package daemon_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDashboardBehindPrefix serves the dashboard as a reverse proxy
// would under a path prefix (https://host/hearth/ to the daemon's /):
// the page loads its script and style and reads the API through the
// prefix, and nothing it asks for leaves it.
func TestDashboardBehindPrefix(t *testing.T) {
	needBrowser(t)
	q := startQuickstart(t, time.Hour)
	target, err := url.Parse(q.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var outside, inside []string
	proxy := httputil.NewSingleHostReverseProxy(target)
	mux := http.NewServeMux()
	mux.Handle("/hearth/", http.StripPrefix("/hearth", proxy))
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if strings.HasPrefix(r.URL.Path, "/hearth/") {
			inside = append(inside, r.URL.Path)
		} else if r.URL.Path != "/favicon.ico" {
			outside = append(outside, r.URL.Path)
		}
		mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	defer front.Close()

	ctx := openBrowser(t)
	shots := t.TempDir()
	do(t, ctx, "open the dashboard under /hearth/", chromedp.Navigate(front.URL+"/hearth/"))
	waitPage(t, ctx, shots, "the page loads its data through the prefix", `document.body.dataset.loaded === "true"`)
	waitPage(t, ctx, shots, "the style applies", `getComputedStyle(document.querySelector("header.top")).display === "flex"`)
	waitPage(t, ctx, shots, "the figures come from the API", `/\d/.test(document.getElementById("k-accepted").textContent)`)
	mu.Lock()
	defer mu.Unlock()
	if len(outside) > 0 {
		t.Errorf("the page asked for paths outside the prefix: %v", outside)
	}
	for _, want := range []string{"/hearth/dashboard/app.js", "/hearth/dashboard/style.css", "/hearth/v1/status"} {
		found := false
		for _, p := range inside {
			found = found || p == want
		}
		if !found {
			t.Errorf("the page did not ask for %s; it asked for %v", want, inside)
		}
	}
}
