package runtime

import (
	"strings"

	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/rules"
)

// What the per-event path looks up once and keeps: by event type, by
// incentive, and the names and attributes derived events share. Each
// replaces a lookup or an allocation that every event used to make.

// typeInfo is what the runtime needs of an event type, found with one
// lookup per event instead of one per question.
type typeInfo struct {
	// name is the type, one string for every event of it: members keep
	// it in their counts, and finding it there again compares pointers
	// before bytes.
	name       string
	et         rules.EventType
	known      bool // standard or declared
	activity   bool // counts as the member being active
	kind       analytics.Kind
	incentives []*incentiveRun
	enters     bool             // some campaign reacts to it
	plan       *events.ViewPlan // the incentives' view, made on first use
	count      int              // the key "count:TYPE", -1 when no rule reads it
	// views holds the plan's view of the event, one per derived-event
	// depth, reused from event to event.
	views [maxDerivedDepth + 1]map[string]any
}

// maxTypes bounds the types remembered: event types are open-ended, and
// a stream of made-up ones must not grow the runtime without end.
const maxTypes = 4096

func (r *Runtime) typeOf(typ string) *typeInfo {
	if ti := r.types[typ]; ti != nil {
		return ti
	}
	et, known := r.cfg.EventTypes[typ]
	ti := &typeInfo{name: strings.Clone(typ), et: et, known: known, activity: known && et.Activity, kind: analytics.KindOf(r.cfg, typ), incentives: r.runsOf(typ), enters: r.enters[typ], count: -1}
	if i, ok := r.keyIdx.count[typ]; ok {
		ti.count = i
	}
	if r.types == nil {
		r.types = map[string]*typeInfo{}
	}
	if len(r.types) < maxTypes {
		r.types[typ] = ti
	}
	return ti
}

// incentiveRun is an incentive with what the runtime keeps of it.
type incentiveRun struct {
	in    *config.Incentive
	rule  string // "incentive.NAME", for outcomes
	fired int    // grants so far, for Stats
}

// runsOf are the incentives listening to events of type typ.
func (r *Runtime) runsOf(typ string) []*incentiveRun {
	var out []*incentiveRun
	for _, in := range r.byType[typ] {
		run := r.runs[in]
		if run == nil {
			run = &incentiveRun{in: in, rule: "incentive." + in.Name}
			r.runs[in] = run
		}
		out = append(out, run)
	}
	return out
}

// shared makes the rule names and attribute maps of derived events once
// and hands the same ones out after: a badge's award or a move between
// two tiers always has the same ones, and rules never write to attrs.
type shared struct {
	rules map[[2]string]string
	maps  map[[6]string]map[string]any
}

// maxShared bounds both: tier and segment names come from the
// configuration, but a tier removed from it is named by stored state.
const maxShared = 4096

// rule is prefix+name.
func (c *shared) rule(prefix, name string) string {
	k := [2]string{prefix, name}
	if s, ok := c.rules[k]; ok {
		return s
	}
	s := prefix + name
	if c.rules == nil {
		c.rules = map[[2]string]string{}
	}
	if len(c.rules) < maxShared {
		c.rules[k] = s
	}
	return s
}

// attrs is the map of up to three key and value pairs; empty keys are
// left out.
func (c *shared) attrs(kv [4]string, k3, v3 string) map[string]any {
	k := [6]string{kv[0], kv[1], kv[2], kv[3], k3, v3}
	if m, ok := c.maps[k]; ok {
		return m
	}
	m := make(map[string]any, 3)
	for i := 0; i < 6; i += 2 {
		if k[i] != "" {
			m[k[i]] = k[i+1]
		}
	}
	if c.maps == nil {
		c.maps = map[[6]string]map[string]any{}
	}
	if len(c.maps) < maxShared {
		c.maps[k] = m
	}
	return m
}
