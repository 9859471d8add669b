package daemon

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/state"
)

// MaxBody is the largest request body accepted.
const MaxBody = 8 << 20

// MaxEventsPerRequest bounds one request.
const MaxEventsPerRequest = 10000

// Handler serves the daemon's HTTP API, the routes of Routes. With a
// token, the routes marked Token (every /v1 route but inbound, and
// /metrics) require "Authorization: Bearer TOKEN". Those routes refuse
// cross-site writes from browsers, and without a token they answer only
// under loopback host names (see guard). Every request is counted and
// timed under its route's pattern: a method the route's path does not
// take (405) too, under the first route of Routes with that path;
// unmatchedRoute when no route has the path.
func (d *Daemon) Handler(token string) http.Handler {
	mux := http.NewServeMux()
	m := d.opt.Metrics
	takesEvents := map[string]bool{} // route patterns
	for _, rt := range routes() {
		takesEvents[rt.Pattern] = rt.Events
		var h http.Handler = rt.handler(d)
		if rt.Token {
			h = d.guard(token, d.auth(token, rt.Pattern, h))
			if token != "" {
				for _, reason := range unauthorizedReasons {
					m.unauthorized.WithLabelValues(rt.Pattern, reason)
				}
			}
		}
		mux.Handle(rt.Pattern, m.instrument(rt.Pattern, h))
		for _, code := range presetCodes(rt) {
			m.httpRequests.WithLabelValues(rt.Pattern, code)
		}
	}
	// unrouted answers a request the mux has no handler for, counted
	// under route: the mux would answer in plain text, where every other
	// answer of the API is a JSON {"error": ...}.
	unrouted := func(route string) http.Handler {
		return m.instrument(route, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h, _ := mux.Handler(r)
			code, msg := unroutedAnswer(w, r, h)
			if code == http.StatusMethodNotAllowed && takesEvents[route] {
				// A sender of events with the wrong method: refused as a
				// request, so hearth_requests_refused_total tells it as it
				// tells the inbound route's.
				d.reject(w, code, "method", msg, nil)
				return
			}
			writeJSON(w, code, map[string]any{"error": msg})
		}))
	}
	unmatched := unrouted(unmatchedRoute)
	wrongMethod := map[string]http.Handler{} // by route pattern
	unclean := map[string]http.Handler{}     // by route pattern, and unmatchedRoute
	var patterns []string                    // in the order of Routes
	for _, rt := range routes() {
		wrongMethod[rt.Pattern] = unrouted(rt.Pattern)
		unclean[rt.Pattern] = m.instrument(rt.Pattern, http.HandlerFunc(uncleanAnswer))
		patterns = append(patterns, rt.Pattern)
	}
	unclean[unmatchedRoute] = m.instrument(unmatchedRoute, http.HandlerFunc(uncleanAnswer))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Answers quote what members wrote (names, messages); a browser
		// opening one must not sniff it as HTML.
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.Method != http.MethodConnect && cleanPath(r.URL.EscapedPath()) != r.URL.EscapedPath() {
			// The mux would redirect to the clean path before any route
			// (the token's check, the metrics) saw the request: a sender
			// of events following the redirect, or not, would never
			// learn why nothing arrived. Counted under the route the
			// clean path leads to.
			_, pattern := mux.Handler(r)
			h, ok := unclean[pattern]
			if !ok {
				h = unclean[unmatchedRoute]
			}
			h.ServeHTTP(w, r)
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			if route := pathRoute(mux, patterns, r); route != "" {
				wrongMethod[route].ServeHTTP(w, r)
				return
			}
			unmatched.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// cleanPath is p as http.ServeMux cleans it before matching routes:
// no "//", "/./" or "/../", its trailing slash kept.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np
}

// uncleanAnswer answers a request whose path is not written clean
// ("/v1//events"), naming the clean one: a GET or HEAD, which changes
// nothing, is redirected there, as a browser expects; any other method
// gets 404, since a client following a redirect may send it again
// without its body.
func uncleanAnswer(w http.ResponseWriter, r *http.Request) {
	clean := &url.URL{Path: cleanPath(r.URL.Path), RawQuery: r.URL.RawQuery}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		w.Header().Set("Location", clean.String())
		writeJSON(w, http.StatusTemporaryRedirect, map[string]any{"error": fmt.Sprintf("the path %s is not written clean; it is %s", r.URL.EscapedPath(), clean)})
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"error": fmt.Sprintf("no route %s %s: the path is not written clean (a //, /./ or /../ in it); send the request to %s", r.Method, r.URL.EscapedPath(), clean)})
}

// unmatchedRoute is the route label of requests no route takes: raw
// paths, which anyone can make up, would give a series each.
const unmatchedRoute = "unmatched"

// pathRoute is the first of patterns (the routes') that takes r's path
// with a method of its own, "" when none does: the route a request the
// mux answers 405 was meant for.
func pathRoute(mux *http.ServeMux, patterns []string, r *http.Request) string {
	other := *r // only its method changes: a shallow copy will do
	for _, p := range patterns {
		method, _, ok := strings.Cut(p, " ")
		if !ok || method == r.Method {
			continue // a route of every method, or this request's: no 405
		}
		other.Method = method
		if _, pattern := mux.Handler(&other); pattern == p {
			return p
		}
	}
	return ""
}

// presetCodes are the answers of a route whose hearth_http_requests_total
// series are served at 0 from the start, so that an alert on their rate
// (events refused with 503 while the state store or the bus fails) sees
// the first one rather than waiting for a series to appear: the
// failures of a route that takes events, and both answers of /readyz.
func presetCodes(rt Route) []string {
	switch {
	case rt.Events:
		return []string{"400", "413", "415", "422", "500", "503"}
	case rt.Pattern == "GET /readyz":
		return []string{"200", "503"}
	}
	return nil
}

// instrument counts and times a route's requests.
func (m *Metrics) instrument(route string, h http.Handler) http.Handler {
	labels := prometheus.Labels{"route": route}
	duration := m.httpDuration.MustCurryWith(labels)
	duration.WithLabelValues() // served from the start, at 0
	return promhttp.InstrumentHandlerCounter(m.httpRequests.MustCurryWith(labels),
		promhttp.InstrumentHandlerDuration(duration, h))
}

// The reasons a bearer token is refused: none was sent, or another.
var unauthorizedReasons = []string{"missing", "wrong"}

// bearer is the token of an Authorization header of the Bearer scheme,
// whose name is case-insensitive (RFC 9110 11.1): "bearer" and "BEARER"
// are Bearer too.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimLeft(token, " "), true
}

// unauthorizedLogEvery is how often a refused token is logged: a client
// left with an old token, or someone guessing, would fill the log.
const unauthorizedLogEvery = time.Minute

// auth refuses requests to route without the bearer token, when one is
// set: each is counted, and logged at most once a minute (with the
// remote address; never what was sent).
func (d *Daemon) auth(token, route string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearer(r.Header.Get("Authorization"))
		if ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1 {
			h.ServeHTTP(w, r)
			return
		}
		reason := "wrong"
		if !ok || got == "" {
			reason = "missing"
		}
		d.opt.Metrics.unauthorized.WithLabelValues(route, reason).Inc()
		if log, held := d.unauthorizedLog.Allow("", time.Now()); log {
			args := []any{"route", route, "reason", reason, "remote", r.RemoteAddr}
			if held > 0 {
				args = append(args, "not_logged", held)
			}
			d.log.Warn("request refused: missing or wrong bearer token", args...)
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="hearth"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "missing or wrong bearer token"})
	})
}

// unroutedAnswer is how to answer a request no route takes: the status the
// mux chose (404, or 405 with its Allow header, which it sets on w) and
// an error that says what to do instead.
func unroutedAnswer(w http.ResponseWriter, r *http.Request, mux http.Handler) (code int, msg string) {
	rec := &headerRecorder{header: http.Header{}}
	mux.ServeHTTP(rec, r)
	code = rec.code
	if code == 0 {
		code = http.StatusNotFound
	}
	msg = fmt.Sprintf("no route %s %s; hearth run -h lists the API", r.Method, r.URL.Path)
	if allow := rec.header.Get("Allow"); code == http.StatusMethodNotAllowed && allow != "" {
		w.Header().Set("Allow", allow)
		msg = fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, allow)
	}
	return code, msg
}

// headerRecorder keeps the status and headers of an answer and drops its
// body.
type headerRecorder struct {
	header http.Header
	code   int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(code int) {
	if h.code == 0 {
		h.code = code
	}
}

// EventError is one bad event of a request.
type EventError struct {
	Index int    `json:"index"`
	Line  int    `json:"line,omitempty"`
	ID    string `json:"id,omitempty"`
	// Reason is why, for a machine: invalid, future or too_old (the
	// reasons of hearth_events_rejected_total).
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error"`
}

// postEvents takes one JSON event or JSON lines. A request with any bad
// event changes nothing and gets every problem back with its index; a
// good one gets 202 once its events are durably committed, with warnings
// for likely typos of event types and of attributes, for time zones the
// runtime drops, and for ids reused with different content, within the
// request or after an event applied before it.
//
// With ?backfill=true the events are history sent in time order (hearth
// replay sends them so): timers wait while a backfill goes on
// (HoldTimers).
// readEventsBody reads a body of events, as sent or gzip-compressed
// (Content-Encoding: gzip, as log shippers send by default), at most
// MaxBody bytes either way; it answers the request itself when it cannot.
func (d *Daemon) readEventsBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	compressed := false
	tooLarge := func() ([]byte, bool) {
		msg := fmt.Sprintf("the body is larger than %d bytes; send fewer events per request", MaxBody)
		if compressed {
			msg = fmt.Sprintf("the body holds more than %d bytes once decompressed; send fewer events per request", MaxBody)
		}
		d.reject(w, http.StatusRequestEntityTooLarge, "too_large", msg, nil)
		return nil, false
	}
	var src io.Reader = http.MaxBytesReader(w, r.Body, MaxBody)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		compressed = true
		zr, err := gzip.NewReader(src)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return tooLarge()
			}
			d.reject(w, http.StatusBadRequest, "unreadable", "Content-Encoding is gzip, but the body is not gzip data: "+err.Error(), nil)
			return nil, false
		}
		defer zr.Close()
		// A small gzip body can hold a huge one: the limit is on what
		// it holds.
		src = io.LimitReader(zr, MaxBody+1)
	default:
		d.reject(w, http.StatusUnsupportedMediaType, "content_encoding", fmt.Sprintf("Content-Encoding %q cannot be read; send the body as it is, or gzip-compressed (Content-Encoding: gzip)", enc), nil)
		return nil, false
	}
	body, err := io.ReadAll(src)
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return tooLarge()
		case compressed && errors.Is(err, io.ErrUnexpectedEOF):
			// What the reader met is the end of the compressed data.
			d.reject(w, http.StatusBadRequest, "unreadable", "the gzip data ends early (truncated body?); send the whole compressed body", nil)
		case compressed && (errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader)):
			d.reject(w, http.StatusBadRequest, "unreadable", "the gzip data is damaged ("+err.Error()+"); compress the body again and send it", nil)
		default:
			d.reject(w, http.StatusBadRequest, "unreadable", "could not read the body: "+err.Error(), nil)
		}
		return nil, false
	}
	if len(body) > MaxBody {
		return tooLarge()
	}
	return body, true
}

func (d *Daemon) postEvents(w http.ResponseWriter, r *http.Request) {
	backfill := false
	switch v := r.URL.Query().Get("backfill"); v {
	case "", "false", "0":
	case "true", "1":
		backfill = true
	default:
		d.reject(w, http.StatusBadRequest, "bad_parameter", fmt.Sprintf("backfill must be true or false, not %q", v), nil)
		return
	}
	if msg := contentTypeProblem(r.Header.Get("Content-Type")); msg != "" {
		d.reject(w, http.StatusUnsupportedMediaType, "content_type", msg, nil)
		return
	}
	if r.ContentLength > MaxBody {
		d.reject(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes; send fewer events per request", MaxBody), nil)
		return
	}
	body, ok := d.readEventsBody(w, r)
	if !ok {
		return
	}
	evs, places, bad := parseBody(body)
	if no := d.admit(evs, places, bad); no != nil {
		d.refuse(w, no)
		return
	}
	found := d.warnTaken(evs)
	var done applied
	var err error
	if backfill {
		done, err = d.submitBackfill(r.Context(), evs)
	} else {
		done, err = d.submitEvents(r.Context(), evs, false)
	}
	switch {
	case errors.Is(err, ErrStopping):
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": err.Error() + "; send the events to another replica or again later"})
		return
	case errors.Is(err, state.ErrFailing):
		storeFailing(w, "the events", err)
		return
	case err != nil:
		if br, ok := asBusRefusal(err); ok {
			d.busRefused(w, "the events", len(evs), br)
			return
		}
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "the events could not be stored: " + err.Error() + "; send them again (ids make it safe)"})
		return
	}
	answer := map[string]any{"accepted": len(evs) - done.skipped, "duplicates": done.skipped}
	var warnings []any
	for _, w := range typoWarnings(d.snap.Load().Config, evs, places) {
		warnings = append(warnings, w)
	}
	for _, w := range attrWarnings(evs, places, found.attrs) {
		warnings = append(warnings, w)
	}
	for _, w := range zoneWarnings(evs, places, found.zones) {
		warnings = append(warnings, w)
	}
	reused, n := reusedIDs(evs, places)
	if n > 0 {
		d.opt.Metrics.idReused.Add(float64(n))
		// Once per request: a sender with the bug has it in every batch.
		d.log.Warn("a request reused event ids with different content; the later events were not applied (counted as duplicates)",
			"events", n, "id", reused[0].ID, "index", reused[0].Index, "first_index", *reused[0].FirstIndex)
	}
	// Ids applied before the request (applyEvents logged them), after
	// those reused within it; the two together at most 100.
	reused = append(reused, earlierIDs(evs, places, done.reused, maxReusedWarnings-len(reused))...)
	for _, w := range reused {
		warnings = append(warnings, w)
	}
	if len(warnings) > 0 {
		answer["warnings"] = warnings
	}
	writeJSON(w, http.StatusAccepted, answer)
}

// reject refuses a request. A refusal for its events (an event reason:
// invalid, future ...) counts each event it names under the event's own
// reason (bad[i].Reason, else reason), an event named twice once, as
// platform streams and events files do, or 1 when it names none; any
// other refuses the request as a whole and counts it once
// (countRefusal). The answer's "reason" is the request's, or the one
// every event it names shares; a refusal whose events have several
// leaves it out, each event saying its own.
func (d *Daemon) reject(w http.ResponseWriter, code int, reason, msg string, bad []EventError) {
	n := max(1, len(bad))
	single := reason
	if len(bad) == 0 {
		d.countRefusal(reason, 1)
	} else {
		by, seen := map[string]int{}, map[int]bool{}
		for _, e := range bad {
			r := cmp.Or(e.Reason, reason)
			if r != reason {
				single = ""
			}
			if !seen[e.Index] {
				seen[e.Index] = true
				by[r]++
			}
		}
		n = len(seen)
		for _, r := range slices.Sorted(maps.Keys(by)) {
			d.countRefusal(r, by[r])
		}
	}
	// A sender whose events are refused finds out from its own logs, if
	// it reads the answers; ours say it too, once a minute per reason.
	if ok, held := d.refusedLog.Allow(reason, time.Now()); ok {
		args := []any{"status", code, "reason", reason, "events", n, "error", msg}
		if len(bad) > 0 {
			args = append(args, "first", bad[0].Error)
		}
		if held > 0 {
			args = append(args, "not_logged", held)
		}
		d.log.Info("request refused", args...)
	}
	body := map[string]any{"error": msg}
	if single != "" {
		body["reason"] = single
	}
	if len(bad) > 0 {
		if len(bad) > 100 {
			bad = bad[:100]
		}
		body["events"] = bad
	}
	writeJSON(w, code, body)
}

// countRefusal counts n events rejected for reason, or, for a reason of
// a whole request, one request refused: in the metrics and the status
// totals alike, so the dashboard's "Rejected" is events only.
func (d *Daemon) countRefusal(reason string, n int) {
	d.opt.Metrics.refusal(reason, n)
	if eventReason(reason) {
		d.stats.Rejected.Add(int64(n))
	} else {
		d.stats.Refused.Add(1)
	}
}

// someOf says how many of a request's events are what: "the event is
// invalid", "1 of 3 events is invalid", "2 of 3 events are invalid".
func someOf(n, total int, what string) string {
	switch {
	case total == 1:
		return "the event is " + what
	case n == 1:
		return fmt.Sprintf("1 of %d events is %s", total, what)
	case n == total:
		return fmt.Sprintf("all %d events are %s", total, what)
	}
	return fmt.Sprintf("%d of %d events are %s", n, total, what)
}

func (d *Daemon) status(w http.ResponseWriter, r *http.Request) {
	snap := d.snap.Load()
	reloads := d.Reloads()
	// The ladder, highest rung first, so the dashboard can draw it in
	// order; population counts are keyed by name only.
	tiers := append([]*config.Tier(nil), snap.Config.Tiers...)
	sort.SliceStable(tiers, func(i, j int) bool { return tiers[i].Rank > tiers[j].Rank })
	ladder := make([]string, len(tiers))
	for i, t := range tiers {
		ladder[i] = t.Name
	}
	// The directory as a path an operator can tell apart: "." names
	// nothing on a page beside another daemon's.
	dir := d.opt.Dir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	body := map[string]any{
		"version":        d.version(),
		"go_version":     goruntime.Version(),
		"started_at":     d.startedAt.UTC().Format(time.RFC3339),
		"uptime_seconds": int64(d.Uptime().Seconds()),
		"config": map[string]any{
			"dir": dir, "hash": snap.Config.Fingerprint, "loaded_at": snap.LoadedAt.UTC().Format(time.RFC3339),
			"communities": len(snap.Config.Communities), "segments": len(snap.Config.Segments), "tiers": len(snap.Config.Tiers),
			"incentives": len(snap.Config.Incentives), "campaigns": len(snap.Config.Campaigns),
			"ladder": ladder,
			"paused": pausedCampaigns(snap.Config),
		},
		"last_reload": reloads[len(reloads)-1],
		"reloads":     reloads,
		// A change to the files the watcher holds back (null: none).
		"reload_held": d.Held(),
		"stats":       d.Stats(),
		"outbox":      d.outboxCounts(r.Context(), d.Query),
		"queue":       len(d.submit),
		// Events accepted and not yet committed (hearth_ingest_queue_events).
		"queue_events": d.opt.Metrics.queued.Load(),
		"stopping":     d.stopping.Load(),
		// Stored members still to be brought to changed rules.
		"reevaluating": d.reevaluating.Load(),
		// Event types taken that no rule reads, with the known type each
		// looks like a typo of.
		"undeclared_types": d.unheard.list(snap.Config),
		// Attributes taken that their type does not declare, each with
		// the declared one it looks like a typo of.
		"attr_typos": d.attrTypos.list(snap.Config),
	}
	if st := d.storeStatus(); st != nil {
		body["state"] = st
	}
	if bs, ok := d.opt.Bus.(BusStatus); ok {
		body["bus"] = bs.Status()
	}
	// Replicas running different configurations are normal during a
	// rolling deploy: said here and in the log, never a 503 on /readyz.
	if rs, ok := d.opt.Bus.(ReplicaSet); ok {
		body["replicas"], body["config_mismatch"] = rs.ReplicaStatus()
	}
	// Retention, so an operator can see why events are refused as too old.
	st := snap.Config.Settings.State
	retention := map[string]any{}
	if st.EventIDRetention > 0 {
		retention["event_id_retention"] = durations.FormatDays(st.EventIDRetention)
	}
	if st.OutcomeRetention > 0 {
		retention["outcome_retention"] = durations.FormatDays(st.OutcomeRetention)
	}
	if st.OutboxRetention > 0 {
		retention["outbox_retention"] = durations.FormatDays(st.OutboxRetention)
	}
	if h := d.horizon.Load(); h != 0 {
		retention["id_horizon"] = time.Unix(0, h).UTC().Format(time.RFC3339)
	}
	if len(retention) > 0 {
		body["retention"] = retention
	}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = encodeJSON(w, v)
}

// encodeJSON writes v as indented JSON without Go's HTML escaping: the
// API's answers hold rules (>=, &&) that would read \u003e= and
// \u0026\u0026, and are served as application/json, never inside a page.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// marshalJSON is encodeJSON into a byte slice, without the final newline.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := encodeJSON(&b, v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// pausedCampaigns names the campaigns held with paused = true, for the
// dashboard's campaign cards.
func pausedCampaigns(cfg *config.Config) []string {
	out := []string{}
	for _, c := range cfg.Campaigns {
		if c.Paused {
			out = append(out, c.Name)
		}
	}
	return out
}
