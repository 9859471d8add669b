// Package dashboard is the daemon's web page: plain HTML, CSS and
// JavaScript embedded in the binary, so it works offline and on a fresh
// machine, with no build step and nothing fetched from a CDN. The page
// holds no data: it reads the same /v1 API as any client, with the bearer
// token the operator types once (kept in sessionStorage, never in a URL).
package dashboard

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"regexp"
	"time"
)

//go:embed static
var files embed.FS

// Register serves the page at / and its assets under /dashboard/.
func Register(mux *http.ServeMux) {
	mux.Handle("GET /dashboard/", Assets())
	mux.Handle("GET /{$}", Page(nil))
}

// Page serves the page itself, for GET /, in the language lang gives at
// each request (the configuration's default_locale, which a reload may
// change; nil or an empty or malformed one is "en"): a browser picks the
// fonts of Chinese or Japanese names and titles by the page's lang.
func Page(lang func() string) http.Handler {
	page, err := fs.ReadFile(staticFiles(), "index.html")
	if err != nil {
		panic(err) // embedded at build time: a missing file is a build mistake every test hits
	}
	before, after, ok := bytes.Cut(page, []byte(`<html lang="en">`))
	if !ok {
		panic("dashboard: index.html has no <html lang=\"en\">")
	}
	return noCache(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tag := "en"
		if lang != nil {
			if l := lang(); langRe.MatchString(l) {
				tag = l
			}
		}
		out := make([]byte, 0, len(page)+len(tag))
		out = append(append(append(append(out, before...), `<html lang="`...), tag...), `">`...)
		out = append(out, after...)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(out))
	}))
}

// langRe is a BCP 47 language tag as locales are written (zh-CN,
// zh-Hant-TW, en): only such text goes into the page's lang attribute.
var langRe = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)

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
