// Package dashboard is the daemon's web page: plain HTML, CSS and
// JavaScript embedded in the binary, so it works offline and on a fresh
// machine, with no build step and nothing fetched from a CDN. The page
// holds no data: it reads the same /v1 API as any client, with the bearer
// token the operator types once (kept in sessionStorage, never in a URL).
package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var files embed.FS

// Register serves the page at / and its assets under /dashboard/.
func Register(mux *http.ServeMux) {
	mux.Handle("GET /dashboard/", Assets())
	mux.Handle("GET /{$}", Page())
}

// Page serves the page itself, for GET /.
func Page() http.Handler {
	static := staticFiles()
	return noCache(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, static, "index.html")
	}))
}

// Assets serves the page's files, for GET /dashboard/.
func Assets() http.Handler {
	return noCache(http.StripPrefix("/dashboard/", http.FileServerFS(staticFiles())))
}

func staticFiles() fs.FS {
	static, err := fs.Sub(files, "static")
	if err != nil {
		// The directory is embedded at build time; a missing one is a
		// build mistake every test hits.
		panic(err)
	}
	return static
}

// noCache makes a browser pick up a new binary's page at once; the
// assets are small and served from memory.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		// No other site may frame the page (its token dialog, its member
		// lookup) or learn its address from a link.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "+
			"frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}
