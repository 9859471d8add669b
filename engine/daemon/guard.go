package daemon

import (
	"net"
	"net/http"
	"strings"
)

// A browser is a client of the API that other sites can drive: a page the
// operator visits may POST to http://127.0.0.1:7341 (a form, or fetch
// with mode no-cors, needs no preflight), and a page whose DNS name is
// rebound to 127.0.0.1 reads the answers as its own. A bearer token stops
// both, since such pages cannot send it; without one (loopback only), the
// guards below do.

// guard wraps the handler of a token route: cross-site writes are
// refused always, and without a token, so are host names that are not
// loopback ones.
func (d *Daemon) guard(token string, h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.reject(w, http.StatusForbidden, "cross_site", "cross-site request refused: the API takes writes from its own pages and from clients that are not browsers", nil)
	}))
	h = cop.Handler(h)
	if token != "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host) {
			d.reject(w, http.StatusForbidden, "host", "host name "+r.Host+" is not a loopback one; the API without a token answers only at 127.0.0.1, [::1] or localhost (set HEARTH_API_TOKEN to serve it under other names)", nil)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// loopbackHost says whether a Host header names this machine in a way
// DNS cannot rebind: a loopback IP, localhost or a name under .localhost
// (which browsers resolve to loopback themselves).
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
