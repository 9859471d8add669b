package daemon

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
)

const (
	// maxUnheardWarned bounds the event types warned about, so a sender
	// making up a type per event cannot fill the log.
	maxUnheardWarned = 20
	// maxUnheardSeen bounds the types GET /v1/status lists: past it, the
	// type seen longest ago makes room for a new one.
	maxUnheardSeen = 50
	// maxTypoChecks bounds the undeclared types of one request looked at
	// for a known type they are a slip of, each a comparison with every
	// known type.
	maxTypoChecks = 20
)

// unheardTypes keeps the event types neither standard nor declared that
// the daemon took: no rule can read them (validate refuses a rule naming
// one), and they are taken (202) all the same — most often a sender's
// typo of a type the rules listen to ("mesage.posted"), whose events
// would otherwise be lost to the rules without a word. A daemon says so
// once per type in its log, counts them for GET /v1/status, and names a
// likely typo in its answer to the request; hearth simulate and replay
// warn about them in their summary.
type unheardTypes struct {
	mu     sync.Mutex
	warned map[string]bool
	seen   map[string]*UndeclaredType
}

// UndeclaredType is an event type neither standard nor declared that
// events came in with, as GET /v1/status lists it.
type UndeclaredType struct {
	Type string `json:"type"`
	// Events counts the events taken since the daemon started, or since
	// the type was last among the recently seen.
	Events    int64     `json:"events"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Suggestion is the known type it looks like a slip of.
	Suggestion string `json:"suggestion,omitempty"`
}

// note counts the events of evs of types cfg does not know, and returns
// the types not warned about yet, marking them warned; full is true the
// first time the bound on warnings is reached.
func (u *unheardTypes) note(cfg *config.Config, evs []events.Event, now time.Time) (types []string, full bool) {
	first := slices.IndexFunc(evs, func(ev events.Event) bool {
		_, known := cfg.EventTypes[ev.Type]
		return !known
	})
	if first < 0 { // events of known types alone take no lock
		return nil, false
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for i := first; i < len(evs); i++ {
		t := evs[i].Type
		if _, known := cfg.EventTypes[t]; known {
			continue
		}
		u.count(t, now)
		if !u.warned[t] && len(u.warned) < maxUnheardWarned {
			if u.warned == nil {
				u.warned = map[string]bool{}
			}
			u.warned[t] = true
			types = append(types, t)
			full = len(u.warned) == maxUnheardWarned
		}
	}
	return types, full
}

// count counts an event of type t; u.mu is held.
func (u *unheardTypes) count(t string, now time.Time) {
	if s := u.seen[t]; s != nil {
		s.Events++
		s.LastSeen = now
		return
	}
	if u.seen == nil {
		u.seen = map[string]*UndeclaredType{}
	}
	if len(u.seen) >= maxUnheardSeen {
		oldest := ""
		for name, s := range u.seen {
			if o := u.seen[oldest]; oldest == "" || s.LastSeen.Before(o.LastSeen) || (s.LastSeen.Equal(o.LastSeen) && name < oldest) {
				oldest = name
			}
		}
		delete(u.seen, oldest)
	}
	u.seen[t] = &UndeclaredType{Type: t, Events: 1, FirstSeen: now, LastSeen: now}
}

// list is the types seen that cfg does not know (a reload may have
// declared some since), the one seen last first, each with the known
// type it looks like.
func (u *unheardTypes) list(cfg *config.Config) []UndeclaredType {
	u.mu.Lock()
	out := make([]UndeclaredType, 0, len(u.seen))
	for _, s := range u.seen {
		if _, known := cfg.EventTypes[s.Type]; !known {
			out = append(out, *s)
		}
	}
	u.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].LastSeen.Equal(out[j].LastSeen) {
			return out[i].LastSeen.After(out[j].LastSeen)
		}
		return out[i].Type < out[j].Type
	})
	for i := range out {
		out[i].Suggestion = cfg.LikelyEventType(out[i].Type)
	}
	return out
}

// warnUnheard logs, once per type, events of a type nothing hears, and
// counts them.
func (d *Daemon) warnUnheard(evs []events.Event) {
	cfg := d.snap.Load().Config
	// To the second, as GET /v1/status gives its other times.
	types, full := d.unheard.note(cfg, evs, d.opt.Now().UTC().Truncate(time.Second))
	for _, t := range types {
		hint := "fix the sender's type, or declare it with an event block for rules to read"
		if s := cfg.LikelyEventType(t); s != "" {
			hint = fmt.Sprintf("Did you mean %q?", s)
		}
		d.log.Warn("events of a type nothing hears: neither standard nor declared, so no rule reads them", "type", t, "hint", hint)
	}
	if full {
		d.log.Warn("more event types nothing hears are not logged", "logged", maxUnheardWarned)
	}
}

// TypeWarning is an event type of a request that was taken but looks
// like a typo of a known type: the "warnings" of a 202.
type TypeWarning struct {
	Type string `json:"type"`
	// Events counts the request's events of the type; Index and Line
	// place the first of them in the body.
	Events     int    `json:"events"`
	Index      int    `json:"index"`
	Line       int    `json:"line,omitempty"`
	Suggestion string `json:"suggestion"`
	Warning    string `json:"warning"`
}

// typoWarnings are the warnings for evs, taken from a request body
// whose places they have: one per undeclared type that looks like a
// slip of a known one.
func typoWarnings(cfg *config.Config, evs []events.Event, places []place) []TypeWarning {
	var out []TypeWarning
	at := map[string]int{} // type -> its warning in out, -1 for none
	for i := range evs {
		t := evs[i].Type
		if _, known := cfg.EventTypes[t]; known {
			continue
		}
		if j, ok := at[t]; ok {
			if j >= 0 {
				out[j].Events++
			}
			continue
		}
		if len(at) >= maxTypoChecks {
			continue
		}
		s := cfg.LikelyEventType(t)
		if s == "" {
			at[t] = -1
			continue
		}
		at[t] = len(out)
		w := TypeWarning{Type: t, Events: 1, Index: i, Suggestion: s,
			Warning: fmt.Sprintf("type %q is neither standard nor declared with an event block, so no rule reads these events (taken all the same); did you mean %q?", t, s)}
		if i < len(places) {
			w.Index, w.Line = places[i].index, places[i].line
		}
		out = append(out, w)
	}
	return out
}
