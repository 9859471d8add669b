package daemon

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// With -bus, a request's events are accepted once JetStream confirms
// storing them. While it cannot (NATS out of reach, or not confirming
// within the bus's publish timeout) the request is answered 503 with
// Retry-After at once, rather than held until NATS comes back: a load
// balancer or the sender can go to another replica or try again.

// busRefusal is the error of a Publisher that could not take events for
// now (bus.PublishError is one): the bus, not the request, is at fault,
// and the events it confirmed storing before it failed are kept and
// will be applied.
type busRefusal interface {
	error
	ConfirmedIDs() []string
}

// busRetryWait is the Retry-After of a request the bus refused: a
// little more than the NATS client waits between two attempts to
// reconnect. An events file waits as long before it sends a refused
// batch again.
const (
	busRetryWait  = 5 * time.Second
	busRetryAfter = "5" // busRetryWait in seconds
)

// asBusRefusal says whether err is the bus refusing events.
func asBusRefusal(err error) (busRefusal, bool) {
	var br busRefusal
	return br, errors.As(err, &br)
}

// busRefused answers a request of total events (what: "the events")
// that the bus did not take in full: 503 with the events it did take,
// so that the sender knows exactly which are accepted.
func (d *Daemon) busRefused(w http.ResponseWriter, what string, total int, err busRefusal) {
	ids := err.ConfirmedIDs()
	if ok, held := d.refusedLog.Allow("bus_unavailable", time.Now()); ok {
		args := []any{"status", http.StatusServiceUnavailable, "reason", "bus_unavailable", "events", total, "accepted", len(ids), "error", err.Error()}
		if held > 0 {
			args = append(args, "not_logged", held)
		}
		d.log.Info("request refused", args...)
	}
	w.Header().Set("Retry-After", busRetryAfter)
	body := map[string]any{"accepted": len(ids), "not_accepted": total - len(ids)}
	if len(ids) == 0 {
		body["error"] = fmt.Sprintf("%s could not be stored: %s; nothing was accepted: send the request again in %s seconds, or to another replica (ids make it safe)",
			what, d.Redact(err.Error()), busRetryAfter)
	} else {
		body["error"] = fmt.Sprintf("%s were not all stored: %s; the %d under accepted_ids are accepted and will be applied, the other %d are not: send those again in %s seconds, or the whole request (ids make it safe)",
			what, d.Redact(err.Error()), len(ids), total-len(ids), busRetryAfter)
		body["accepted_ids"] = ids
	}
	writeJSON(w, http.StatusServiceUnavailable, body)
}
