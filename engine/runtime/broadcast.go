package runtime

import (
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/state"
)

// Scheduled campaigns (broadcasts). A member in a scheduled campaign's
// audience has the campaign's next occurrence among their time-based
// rechecks (schedule): set when they enter the audience, at each of
// their events and after a reload, and gone as they leave it, since it
// is worked out afresh each time from where the member stands. So an
// occurrence costs one recheck per member in the audience, and nothing
// scans every member; a configuration without a schedule pays nothing.
// The recheck at the occurrence's time starts the member's run keyed by
// the occurrence's date (broadcast), once: a run with that key refuses
// it again (Enrollable), and time only moves on from there.

// broadcastFor reports whether the scheduled campaign c would take m in
// at an occurrence: not paused, for them (members), and m in its
// audience.
func broadcastFor(m *state.Member, c *config.Campaign) bool {
	if c.Paused || c.Audience == nil || !c.For(m.Left) {
		return false
	}
	_, in := m.Segments[c.Audience.Name]
	return in
}

// scheduleZone is the zone c's occurrences are in for m: the member's
// with time_zone = "member", else the schedule's.
func (r *Runtime) scheduleZone(m *state.Member, c *config.Campaign) *time.Location {
	if c.Schedule.Member {
		return r.zones.of(m.Timezone)
	}
	return c.Schedule.Zone
}

// nextOccurrences is the earliest next occurrence after now of the
// scheduled campaigns whose audience m is in; zero for none.
func (r *Runtime) nextOccurrence(m *state.Member, now time.Time) time.Time {
	var next time.Time
	for _, c := range r.scheduled {
		if !broadcastFor(m, c) {
			continue
		}
		if t, ok := c.Schedule.Next(now, r.scheduleZone(m, c)); ok && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// broadcast starts m's runs of the scheduled campaigns with an
// occurrence at ev's time, the member's recheck then, and takes each as
// far as it goes (its first send, when the first step has no wait).
// late is a recheck at the time the member was evaluated at already (a
// late event's): the occurrence, if it is one, was run then.
func (r *Runtime) broadcast(w *work, m *state.Member, ev *events.Event, late bool) {
	if late || r.history {
		return // history enters no campaign
	}
	for _, c := range r.scheduled {
		if !broadcastFor(m, c) {
			continue
		}
		loc := r.scheduleZone(m, c)
		if !c.Schedule.Is(ev.At, loc) {
			continue
		}
		key := c.Schedule.Key(ev.At, loc)
		id := state.RunID(c.Name, key)
		before := m.Campaigns[id]
		r.enrollKey(w, m, c, ev, nil, key)
		if run := m.Campaigns[id]; run != before && run.Active() {
			r.advanceRun(w, m, c, run, ev.At, ev.ID)
		}
	}
}
