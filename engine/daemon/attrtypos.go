package daemon

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/lograte"
)

const (
	// maxAttrChecks bounds the type and attribute pairs of one request
	// (or batch) looked at for a declared attribute they are a slip of,
	// each a comparison with every attribute the type declares.
	maxAttrChecks = 100
	// maxAttrTyposSeen bounds the pairs GET /v1/status lists: past it,
	// the one seen longest ago makes room for a new one.
	maxAttrTyposSeen = 50
	// attrTypoLogEvery is how often one attribute typo of one type is
	// logged: a sender with the slip has it in every event.
	attrTypoLogEvery = 10 * time.Minute
)

// attrTypos keeps the attributes of events of standard or declared
// types that the type does not declare but that look like a slip of one
// it does, which the event lacks ("chanel" on a message.posted without
// "channel"). Attributes are open, so such events are taken (202), and
// the rules on them read "" where the sender meant a value — a typo
// that would otherwise go unseen, as `hearth test` warns of it. A daemon
// logs them (each type and attribute at most once every ten minutes),
// counts them (hearth_events_attr_warnings_total), lists them in GET
// /v1/status and names them in its answer to the request; hearth
// simulate and replay list them in their summary.
type attrTypos struct {
	mu   sync.Mutex
	seen map[attrKey]*AttrTypo
	logs *lograte.Limiter
}

type attrKey struct{ typ, attr string }

// AttrTypo is an attribute that events of a standard or declared type
// came in with that looks like a slip of one the type declares, as GET
// /v1/status lists it.
type AttrTypo struct {
	Type      string `json:"type"`
	Attribute string `json:"attribute"`
	// Events counts the events with it since the daemon started, or
	// since the pair was last among the recently seen.
	Events    int64     `json:"events"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Suggestion is the declared attribute it looks like a slip of.
	Suggestion string `json:"suggestion"`
}

// attrSlip is an attribute typo of a batch of events: the events of
// type typ with attribute attr, and without the declared suggestion.
type attrSlip struct {
	typ, attr, suggestion string
	events                int
	first                 int // index in the batch of the first event
}

// findAttrSlips finds the attribute typos of evs, in the order their
// first events come, at most maxAttrChecks pairs looked at.
func findAttrSlips(cfg *config.Config, evs []events.Event) []attrSlip {
	var out []attrSlip
	var at map[attrKey]int // -> its slip in out
	var found []config.AttrSlip
	slips := config.NewAttrSlips(cfg, maxAttrChecks)
	for i := range evs {
		if len(evs[i].Attrs) == 0 {
			continue
		}
		found = slips.Find(found[:0], evs[i].Type, evs[i].Attrs)
		for _, s := range found {
			k := attrKey{evs[i].Type, s.Attr}
			if j, ok := at[k]; ok {
				out[j].events++
				continue
			}
			if at == nil {
				at = map[attrKey]int{}
			}
			at[k] = len(out)
			out = append(out, attrSlip{typ: k.typ, attr: k.attr, suggestion: s.Suggestion, events: 1, first: i})
		}
	}
	return out
}

// note counts slips seen at now and says, for each, whether to log it
// and how many of its lines were held back since the last one.
func (a *attrTypos) note(slips []attrSlip, now time.Time) (logs []bool, held []int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.logs == nil {
		a.logs = lograte.New(attrTypoLogEvery)
	}
	logs, held = make([]bool, len(slips)), make([]int, len(slips))
	for i, s := range slips {
		a.count(s, now)
		logs[i], held[i] = a.logs.Allow(s.typ+" "+s.attr, now)
	}
	return logs, held
}

// count counts the events of s; a.mu is held.
func (a *attrTypos) count(s attrSlip, now time.Time) {
	k := attrKey{s.typ, s.attr}
	if t := a.seen[k]; t != nil {
		t.Events += int64(s.events)
		t.LastSeen = now
		return
	}
	if a.seen == nil {
		a.seen = map[attrKey]*AttrTypo{}
	}
	if len(a.seen) >= maxAttrTyposSeen {
		var oldest *attrKey
		for key, t := range a.seen {
			if oldest == nil {
				oldest = &key
				continue
			}
			o := a.seen[*oldest]
			if t.LastSeen.Before(o.LastSeen) || (t.LastSeen.Equal(o.LastSeen) && (key.typ < oldest.typ || key.typ == oldest.typ && key.attr < oldest.attr)) {
				oldest = &key
			}
		}
		delete(a.seen, *oldest)
	}
	a.seen[k] = &AttrTypo{Type: s.typ, Attribute: s.attr, Events: int64(s.events), FirstSeen: now, LastSeen: now}
}

// list is the typos seen that are still slips under cfg (a reload may
// have declared the attribute, or removed the type, since), the one seen
// last first, each with the attribute it looks like now.
func (a *attrTypos) list(cfg *config.Config) []AttrTypo {
	a.mu.Lock()
	out := make([]AttrTypo, 0, len(a.seen))
	for _, t := range a.seen {
		out = append(out, *t)
	}
	a.mu.Unlock()
	kept := out[:0]
	for _, t := range out {
		if t.Suggestion = cfg.LikelyEventAttr(t.Type, t.Attribute); t.Suggestion != "" {
			kept = append(kept, t)
		}
	}
	sort.Slice(kept, func(i, j int) bool {
		if !kept[i].LastSeen.Equal(kept[j].LastSeen) {
			return kept[i].LastSeen.After(kept[j].LastSeen)
		}
		if kept[i].Type != kept[j].Type {
			return kept[i].Type < kept[j].Type
		}
		return kept[i].Attribute < kept[j].Attribute
	})
	return kept
}

// warnAttrTypos finds the attribute typos of evs, events let in under
// cfg, and counts, keeps and logs them.
func (d *Daemon) warnAttrTypos(cfg *config.Config, evs []events.Event) []attrSlip {
	slips := findAttrSlips(cfg, evs)
	if len(slips) == 0 {
		return nil
	}
	// To the second, as GET /v1/status gives its other times.
	logs, held := d.attrTypos.note(slips, d.opt.Now().UTC().Truncate(time.Second))
	for i, s := range slips {
		// A known type: the label's values are bounded by the
		// configuration.
		d.opt.Metrics.attrWarnings.WithLabelValues(s.typ).Add(float64(s.events))
		if !logs[i] {
			continue
		}
		args := []any{"type", s.typ, "attribute", s.attr, "events", s.events, "hint", fmt.Sprintf("Did you mean %q?", s.suggestion)}
		if held[i] > 0 {
			args = append(args, "not_logged", held[i])
		}
		d.log.Warn("events with an attribute their type does not declare, like one it does that they lack: no rule reads it", args...)
	}
	return slips
}

// AttrWarning is an attribute of events of a request that their type
// does not declare and that looks like a typo of one it does, which
// they lack: one of the "warnings" of a 202. Its fields are named
// event_type and event_id, not type and id, so that a client telling
// warnings apart by those keys (type for TypeWarning, id for IDWarning,
// as hearth replay did) does not take it for one of them.
type AttrWarning struct {
	Type      string `json:"event_type"`
	Attribute string `json:"attribute"`
	// Events counts the request's events of the type with the
	// attribute; ID, Index and Line are the first of them's.
	Events     int    `json:"events"`
	ID         string `json:"event_id"`
	Index      int    `json:"index"`
	Line       int    `json:"line,omitempty"`
	Suggestion string `json:"suggestion"`
	Warning    string `json:"warning"`
}

// attrWarnings are the warnings for slips, found in evs, taken from a
// request body whose places they have.
func attrWarnings(evs []events.Event, places []place, slips []attrSlip) []AttrWarning {
	out := make([]AttrWarning, 0, len(slips))
	for _, s := range slips {
		w := AttrWarning{Type: s.typ, Attribute: s.attr, Events: s.events, ID: evs[s.first].ID, Index: s.first, Suggestion: s.suggestion}
		if s.first < len(places) {
			w.Index, w.Line = places[s.first].index, places[s.first].line
		}
		w.Warning = fmt.Sprintf("%s has no attribute %q, so no rule reads it (taken all the same); did you mean %q?", s.typ, s.attr, s.suggestion)
		out = append(out, w)
	}
	return out
}
