package simulate

import (
	"errors"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/importer/members"
	"github.com/hearth-community/hearth/engine/stamp"
	"github.com/hearth-community/hearth/engine/state"
)

// BeforeImport counts events applied to members imported (hearth import
// members) at a later time than the event's: the member's state, its
// segments and timers, was already as of the import, so such an event
// is late for it. Member state ends right, but the segment and tier
// moves it causes are dated back before the import's own, and the
// report's history by period goes wrong. Importing with -at before the
// history's first event avoids it.
type BeforeImport struct {
	Events  int        `json:"events"`
	Members int        `json:"members"`
	First   stamp.Time `json:"first_at"`
	// Latest is the latest time the state of those members was at
	// when the first of their events came.
	Latest stamp.Time `json:"imported_state_at"`
}

// beforeImportCheck finds them as the events are applied.
type beforeImportCheck struct {
	report BeforeImport
	// imported caches, by member, whether the member was imported: one
	// lookup of the claim a member.
	imported map[string]bool
	counted  map[string]bool
}

// see looks at ev before it is applied in b.
func (c *beforeImportCheck) see(b state.Batch, ev *events.Event) error {
	if ev.Type == events.MemberImported || ev.Member.ID == "" {
		return nil
	}
	m, err := b.Member(ev.Member.ID)
	if errors.Is(err, state.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	asOf := m.EvaluatedAt
	if m.LastEventAt.After(asOf) {
		asOf = m.LastEventAt
	}
	if !ev.At.Before(asOf) {
		return nil
	}
	if c.imported == nil {
		c.imported, c.counted = map[string]bool{}, map[string]bool{}
	}
	imp, ok := c.imported[m.ID]
	if !ok {
		if imp, err = b.Seen(members.EventID(m.ID)); err != nil {
			return err
		}
		c.imported[m.ID] = imp
	}
	if !imp {
		return nil
	}
	c.report.Events++
	if !c.counted[m.ID] {
		c.counted[m.ID] = true
		c.report.Members++
		if asOf.After(c.report.Latest.Time) {
			c.report.Latest = stamp.Of(asOf)
		}
	}
	if c.report.First.IsZero() || ev.At.Before(c.report.First.Time) {
		c.report.First = stamp.Of(ev.At)
	}
	return nil
}

// result is the report, nil when no event came before its member's import.
func (c *beforeImportCheck) result() *BeforeImport {
	if c.report.Events == 0 {
		return nil
	}
	r := c.report
	return &r
}
