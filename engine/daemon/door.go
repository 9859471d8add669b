package daemon

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
)

// What the daemon takes is checked at the door, wherever events come in
// (POST /v1/events, inbound platforms, feedback, platform streams, an
// events file), before anything is applied or published to a bus, so a
// replica applying events from the bus gets only events some replica's
// door let in.

// MaxTypeLen is the longest event type the daemon takes unless the
// configuration declares it.
const MaxTypeLen = 64

// DefaultMaxAhead is how far past the daemon's clock an event's time may
// be unless Options.MaxAhead says otherwise: room for senders' clocks
// running a little ahead, none for an event dated next year, which would
// take its member's evaluations, segments and the reports to then.
const DefaultMaxAhead = 5 * time.Minute

// otherType is the metrics label of event types that are neither
// standard nor declared: every type a rule can listen to is one of
// those, and a label per made-up type would grow the metrics without
// bound.
const otherType = "other"

// metricType is the label typ gets in metrics.
func metricType(cfg *config.Config, typ string) string {
	if _, known := cfg.EventTypes[typ]; known {
		return typ
	}
	return otherType
}

// warnTaken warns about events let in: types nothing hears, attributes
// that look like typos and time zones the runtime drops, the last two of
// which it returns for a request's answer. Events are counted as
// ingested once committed (Daemon.apply), not here: the door cannot tell
// a duplicate, and one sent again would be counted twice.
func (d *Daemon) warnTaken(evs []events.Event) doorWarnings {
	cfg := d.snap.Load().Config
	d.warnUnheard(evs)
	return doorWarnings{attrs: d.warnAttrTypos(cfg, evs), zones: d.warnZones(evs)}
}

// doorWarnings are what warnTaken found worth a request's warnings.
type doorWarnings struct {
	attrs []attrSlip
	zones []zoneSlip
}

// screen checks events that parsed against the configuration in force:
// an undeclared type must be short, and the attributes of a standard or
// declared type must have its types. Problems carry the events' indexes
// in evs.
func (d *Daemon) screen(evs []events.Event) []EventError {
	cfg := d.snap.Load().Config
	var bad []EventError
	var view map[string]any
	for i := range evs {
		err := checkEvent(cfg, &evs[i])
		if err == nil {
			view, err = checkAttrs(cfg, &evs[i], view)
		}
		if err != nil {
			bad = append(bad, EventError{Index: i, ID: evs[i].ID, Error: err.Error()})
		}
	}
	return bad
}

// checkAttrs checks the attributes of an event of a standard or declared
// type against the types it declares, as the rules will read them: an
// attribute of the wrong type would otherwise make the rules on the
// event fail and be skipped. view is scratch space, returned for reuse.
func checkAttrs(cfg *config.Config, ev *events.Event, view map[string]any) (map[string]any, error) {
	et, known := cfg.EventTypes[ev.Type]
	if !known || len(ev.Attrs) == 0 {
		return view, nil
	}
	if view == nil {
		view = make(map[string]any, len(et.Attrs)+5)
	}
	_, err := events.RuleViewInto(view, ev, &et)
	return view, err
}

// checkEvent is screen for one event.
func checkEvent(cfg *config.Config, ev *events.Event) error {
	if _, known := cfg.EventTypes[ev.Type]; !known && len(ev.Type) > MaxTypeLen {
		return fmt.Errorf("%w: type %q… is longer than %d characters; use a short dotted lower-case name such as \"meetup.attended\"", events.ErrInvalid, ev.Type[:24], MaxTypeLen)
	}
	// An imported member naming a tier or badge the files lack is
	// refused whole, so the fixed line can be imported again.
	return runtime.CheckImported(cfg, ev)
}

// refusal is why a request's events are refused, all of them.
type refusal struct {
	code   int
	reason string
	msg    string
	events []EventError
}

// The reasons an event of a request is refused, in EventError.Reason.
const (
	reasonInvalid = "invalid"
	reasonFuture  = "future"
	reasonTooOld  = "too_old"
)

// admit checks a request's events as parsed from its body (with the
// body's own problems, bad), and says why they are refused, or nil.
// Reported problems carry each event's index and line in the body and
// their reason. A sender learns of every problem at once: a request with
// an invalid event gets 400 listing it with the events dated in the
// future or too old (each with its reason), one without gets 422 for
// those. Either way nothing is applied.
func (d *Daemon) admit(evs []events.Event, places []place, bad []EventError) *refusal {
	parsed := len(evs) + len(bad)
	// The count first: a sender of 20,000 events learns to split the
	// batch before fixing events it would have to send again anyway.
	if parsed > MaxEventsPerRequest {
		return &refusal{http.StatusRequestEntityTooLarge, "too_many", fmt.Sprintf("more than %d events in one request; send at most %d events per request", MaxEventsPerRequest, MaxEventsPerRequest), nil}
	}
	for i := range bad {
		bad[i].Reason = reasonInvalid
	}
	for _, e := range d.screen(evs) {
		e.Index, e.Line, e.Reason = places[e.Index].index, places[e.Index].line, reasonInvalid
		bad = append(bad, e)
	}
	invalid := len(bad)
	if invalid == 0 && len(evs) == 0 {
		return &refusal{http.StatusBadRequest, "empty", "no events in the body: send " + bodyForms, nil}
	}
	ahead := placed(d.future(evs), places, reasonFuture)
	old := placed(d.tooOld(evs), places, reasonTooOld)
	if len(old) > 0 {
		d.stats.TooOld.Add(int64(len(old)))
	}
	var says []string
	if invalid > 0 {
		says = append(says, someOf(invalid, parsed, "invalid"))
	}
	if len(ahead) > 0 {
		says = append(says, someOf(len(ahead), parsed, "dated in the future")+" (check the sender's clock)")
	}
	if len(old) > 0 {
		says = append(says, someOf(len(old), parsed, "older than the event ids hearth remembers")+
			" (hearth cannot tell such events from ones already applied)")
	}
	if len(says) == 0 {
		return nil
	}
	all := append(append(bad, ahead...), old...)
	// An event with two problems is listed twice, its invalid one first.
	sort.SliceStable(all, func(i, j int) bool { return all[i].Index < all[j].Index })
	msg := strings.Join(says, "; ") + "; nothing was applied"
	switch {
	case invalid > 0:
		return &refusal{http.StatusBadRequest, reasonInvalid, msg, all}
	case len(ahead) > 0:
		return &refusal{http.StatusUnprocessableEntity, reasonFuture, msg, all}
	}
	return &refusal{http.StatusUnprocessableEntity, reasonTooOld, msg, all}
}

// placed gives problems found by position in evs their place in the
// body, and their reason.
func placed(bad []EventError, places []place, reason string) []EventError {
	for i := range bad {
		if p := bad[i].Index; p >= 0 && p < len(places) {
			bad[i].Index, bad[i].Line = places[p].index, places[p].line
		}
		bad[i].Reason = reason
	}
	return bad
}

// refuse answers a refused request.
func (d *Daemon) refuse(w http.ResponseWriter, r *refusal) {
	d.reject(w, r.code, r.reason, r.msg, r.events)
}

// future lists the events dated more than MaxAhead past the clock.
func (d *Daemon) future(evs []events.Event) []EventError {
	now := d.opt.Now()
	var bad []EventError
	for i := range evs {
		if err := d.checkAhead(now, &evs[i]); err != nil {
			bad = append(bad, EventError{Index: i, ID: evs[i].ID, Error: err.Error()})
		}
	}
	return bad
}

// checkAhead refuses an event dated more than MaxAhead past now.
func (d *Daemon) checkAhead(now time.Time, ev *events.Event) error {
	if ahead := ev.At.Sub(now); ahead > d.opt.MaxAhead {
		return fmt.Errorf("event at %s is %s in the future; the daemon's clock says %s; at most %s ahead is accepted",
			ev.At.UTC().Format(time.RFC3339), roughly(ahead), now.UTC().Format(time.RFC3339), roughly(d.opt.MaxAhead))
	}
	return nil
}

// roughly writes a duration in its two largest units (durations.Roughly).
func roughly(d time.Duration) string { return durations.Roughly(d) }
