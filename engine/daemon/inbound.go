package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/hearth-community/hearth/engine/platform"
)

// Receiver is a platform connection that takes events pushed to hearth
// over HTTP (the webhook adapter with inbound = true). The daemon serves
// each at POST /v1/inbound/TYPE/NAME. Those routes do not take the API
// token: the receiver authenticates every request itself (a signature),
// since the senders are other systems.
type Receiver interface {
	// VerifyInbound checks one request's headers and raw body. An error
	// refuses it, with the status its HTTPStatus() int method gives (401
	// when it has none). commit is called once the request's events are
	// durably stored, so that from then on the same request is a replay.
	VerifyInbound(h http.Header, body []byte) (commit func() bool, err error)
}

// Receivers opens every configured platform whose connection is a
// Receiver and serves it until the returned function closes them.
// Platforms added or changed by a later reload take effect at the next
// start, like the event streams.
func (d *Daemon) Receivers(ctx context.Context, reg *platform.Registry) (closeAll func()) {
	cfg := d.Snapshot().Config
	got := map[string]Receiver{}
	var conns []platform.Conn
	for _, p := range cfg.Platforms {
		conn, err := reg.Open(ctx, p, cfg.Dir, d.log)
		if err != nil {
			d.log.Warn("platform could not be opened; its inbound events are not taken", "platform", p.Addr(), "err", err)
			continue
		}
		rc, ok := conn.(Receiver)
		if !ok {
			conn.Close()
			continue
		}
		conns = append(conns, conn)
		got[p.Type+"/"+p.Name] = rc
		d.log.Info("taking inbound events", "platform", p.Addr(), "path", "/v1/inbound/"+p.Type+"/"+p.Name)
	}
	d.mu.Lock()
	d.receivers = got
	d.mu.Unlock()
	return func() {
		d.mu.Lock()
		d.receivers = nil
		d.mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}
}

// postInbound takes events from a Receiver: verified, then handled as
// POST /v1/events. A refused request changes nothing.
func (d *Daemon) postInbound(w http.ResponseWriter, r *http.Request) {
	typ, name := r.PathValue("type"), r.PathValue("name")
	d.mu.Lock()
	rc := d.receivers[typ+"/"+name]
	d.mu.Unlock()
	if rc == nil {
		d.reject(w, http.StatusNotFound, "no_receiver", fmt.Sprintf("no platform %q %q takes inbound events here", typ, name), nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			d.reject(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", MaxBody), nil)
			return
		}
		d.reject(w, http.StatusBadRequest, "unreadable", "could not read the body: "+err.Error(), nil)
		return
	}
	commit, err := rc.VerifyInbound(r.Header, body)
	if err != nil {
		code := http.StatusUnauthorized
		var st interface{ HTTPStatus() int }
		if errors.As(err, &st) && st.HTTPStatus() >= 400 && st.HTTPStatus() <= 599 {
			code = st.HTTPStatus()
		}
		d.reject(w, code, "unverified", err.Error(), nil)
		return
	}
	evs, bad := parseBody(body)
	if len(bad) > 0 {
		d.reject(w, http.StatusBadRequest, "invalid", fmt.Sprintf("%d of the events are invalid; nothing was applied", len(bad)), bad)
		return
	}
	if len(evs) == 0 {
		d.reject(w, http.StatusBadRequest, "empty", "no events in the body: send one JSON event or JSON lines", nil)
		return
	}
	if len(evs) > MaxEventsPerRequest {
		d.reject(w, http.StatusRequestEntityTooLarge, "too_many", fmt.Sprintf("at most %d events per request", MaxEventsPerRequest), nil)
		return
	}
	for i := range evs {
		if evs[i].Source == "" {
			evs[i].Source = "platform." + typ + "." + name
		}
		d.opt.Metrics.ingested.WithLabelValues(evs[i].Type).Inc()
	}
	dups, err := d.Submit(r.Context(), evs)
	switch {
	case errors.Is(err, ErrStopping):
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": err.Error() + "; send the events again later"})
		return
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "the events could not be stored: " + err.Error() + "; send them again (ids make it safe)"})
		return
	}
	commit()
	writeJSON(w, http.StatusAccepted, map[string]any{"accepted": len(evs) - dups, "duplicates": dups})
}
