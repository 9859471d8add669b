package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
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

// InboundSwitch is a Receiver whose block may leave inbound events off
// (a webhook without inbound = true): it refuses every request itself.
type InboundSwitch interface {
	TakesInbound() bool
}

// Receivers opens every configured platform whose connection is a
// Receiver or a platform.Responder and serves it until the returned function closes them.
// Platforms added or changed by a later reload take effect at the next
// start, like the event streams.
func (d *Daemon) Receivers(ctx context.Context, reg *platform.Registry) (closeAll func()) {
	cfg := d.Snapshot().Config
	got := map[string]platform.Conn{}
	var conns []platform.Conn
	for _, p := range cfg.Platforms {
		conn, err := reg.Open(ctx, p, cfg.PathsDir(), d.log)
		if err != nil {
			d.log.Warn("platform could not be opened; its inbound events are not taken", openFailed(p, err)...)
			continue
		}
		_, isReceiver := conn.(Receiver)
		_, isResponder := conn.(platform.Responder)
		if !isReceiver && !isResponder {
			conn.Close()
			continue
		}
		conns = append(conns, conn)
		got[p.Type+"/"+p.Name] = conn
		if o, ok := conn.(InboundSwitch); ok && !o.TakesInbound() {
			// Kept, so that a request there is told how to turn it on,
			// but not announced as taking events.
			continue
		}
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

// inbound serves /v1/inbound/TYPE/NAME: a platform.Responder answers
// any method itself, a Receiver takes POSTed events. A refused request
// changes nothing.
func (d *Daemon) inbound(w http.ResponseWriter, r *http.Request) {
	typ, name := r.PathValue("type"), r.PathValue("name")
	d.mu.Lock()
	conn := d.receivers[typ+"/"+name]
	d.mu.Unlock()
	if conn == nil {
		d.reject(w, http.StatusNotFound, "no_receiver", fmt.Sprintf("no platform %q %q takes inbound events here", typ, name), nil)
		return
	}
	rs, isResponder := conn.(platform.Responder)
	rc, isReceiver := conn.(Receiver)
	if !isResponder && r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		d.reject(w, http.StatusMethodNotAllowed, "method", "inbound events are POSTed", nil)
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
	if isResponder {
		d.respondInbound(w, r, rs, typ, name, body)
		return
	}
	if !isReceiver {
		d.reject(w, http.StatusNotFound, "no_receiver", fmt.Sprintf("no platform %q %q takes inbound events here", typ, name), nil)
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
	evs, places, bad := parseBody(body)
	if no := d.admit(evs, places, bad); no != nil {
		d.refuse(w, no)
		return
	}
	for i := range evs {
		if evs[i].Source == "" {
			evs[i].Source = "platform." + typ + "." + name
		}
	}
	d.warnTaken(evs)
	dups, err := d.Submit(r.Context(), evs)
	switch {
	case errors.Is(err, ErrStopping):
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": err.Error() + "; send the events again later"})
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
	commit()
	writeJSON(w, http.StatusAccepted, map[string]any{"accepted": len(evs) - dups, "duplicates": dups})
}

// respondInbound lets a Responder answer a request; the events it
// returns are stored before its reply goes out, so a 2xx means they are
// kept.
func (d *Daemon) respondInbound(w http.ResponseWriter, r *http.Request, rs platform.Responder, typ, name string, body []byte) {
	reply, err := rs.RespondInbound(r.Context(), platform.InboundRequest{Method: r.Method, URL: r.URL, Header: r.Header, Body: body})
	if err != nil {
		code := http.StatusInternalServerError
		var st interface{ HTTPStatus() int }
		if errors.As(err, &st) && st.HTTPStatus() >= 400 && st.HTTPStatus() <= 599 {
			code = st.HTTPStatus()
		}
		d.reject(w, code, "unverified", err.Error(), nil)
		return
	}
	if len(reply.Events) > MaxEventsPerRequest {
		d.reject(w, http.StatusInternalServerError, "too_many", fmt.Sprintf("platform %s.%s made more than %d events of one request", typ, name, MaxEventsPerRequest), nil)
		return
	}
	for i := range reply.Events {
		if reply.Events[i].Source == "" {
			reply.Events[i].Source = "platform." + typ + "." + name
		}
		err := reply.Events[i].Check()
		if err == nil {
			err = checkEvent(d.snap.Load().Config, &reply.Events[i])
		}
		if err != nil {
			d.log.Error("a platform made an invalid inbound event", "platform", typ+"."+name, "err", err)
			d.reject(w, http.StatusInternalServerError, "invalid", "the request could not be turned into a valid event; nothing was applied", nil)
			return
		}
	}
	if ahead := d.future(reply.Events); len(ahead) > 0 {
		d.reject(w, http.StatusUnprocessableEntity, "future", "the request's event is dated in the future: "+ahead[0].Error+"; nothing was applied", nil)
		return
	}
	if len(reply.Events) > 0 {
		d.warnTaken(reply.Events)
		if _, err := d.Submit(r.Context(), reply.Events); err != nil {
			code, msg := http.StatusInternalServerError, "could not be stored: "+err.Error()+"; try again"
			switch {
			case errors.Is(err, ErrStopping):
				code, msg = http.StatusServiceUnavailable, "hearth is stopping; try again in a moment"
			case errors.Is(err, state.ErrFailing):
				code, msg = http.StatusServiceUnavailable, "could not be stored: "+err.Error()+"; try again later"
				w.Header().Set("Retry-After", storeRetryAfter)
			default:
				// The platform sends the request again: its events are
				// then duplicates by id or taken anew.
				if _, ok := asBusRefusal(err); ok {
					code, msg = http.StatusServiceUnavailable, "could not be stored: "+d.Redact(err.Error())+"; try again later"
					w.Header().Set("Retry-After", busRetryAfter)
				}
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(code)
			_, _ = io.WriteString(w, "Your request "+msg+"\n")
			return
		}
	}
	code := reply.Status
	if code == 0 {
		code = http.StatusOK
	}
	if code >= 400 {
		d.countRefusal("refused", 1)
	}
	for k, vs := range reply.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if reply.ContentType != "" {
		w.Header().Set("Content-Type", reply.ContentType)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(reply.Body)
}
