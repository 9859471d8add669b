package daemon

import (
	"fmt"
	"reflect"

	"github.com/hearth-community/hearth/engine/events"
)

// maxReusedWarnings bounds the reused-id warnings of one 202, as the
// errors of a 400 are bounded: the log counts them all.
const maxReusedWarnings = 100

// IDWarning is an event of a request that reuses the id of an earlier
// event of the same request with different content: one of the
// "warnings" of a 202. The first event is applied and this one is
// counted as a duplicate, as an id is an idempotency key, but two
// different events under one id are almost surely the sender's bug.
type IDWarning struct {
	ID string `json:"id"`
	// Index and Line place the event not applied in the body;
	// FirstIndex and FirstLine the one applied.
	Index      int    `json:"index"`
	Line       int    `json:"line,omitempty"`
	FirstIndex int    `json:"first_index"`
	FirstLine  int    `json:"first_line,omitempty"`
	Warning    string `json:"warning"`
}

// reusedIDs are the warnings for the events of evs (with their places
// in the request body) whose id an earlier event of evs has with other
// content, at most maxReusedWarnings of them, and how many there are.
// Sending the same event twice in a request is a retry and says nothing.
func reusedIDs(evs []events.Event, places []place) ([]IDWarning, int) {
	var out []IDWarning
	n := 0
	first := make(map[string]int, len(evs)) // id -> index in evs of its first event
	for i := range evs {
		j, seen := first[evs[i].ID]
		if !seen {
			first[evs[i].ID] = i
			continue
		}
		if sameContent(&evs[j], &evs[i]) {
			continue
		}
		n++
		if len(out) >= maxReusedWarnings {
			continue
		}
		w := IDWarning{ID: evs[i].ID, Index: i, FirstIndex: j}
		if i < len(places) && j < len(places) {
			w.Index, w.Line = places[i].index, places[i].line
			w.FirstIndex, w.FirstLine = places[j].index, places[j].line
		}
		w.Warning = fmt.Sprintf("id %q is reused with different content: the event at index %d%s was not applied (counted as a duplicate); "+
			"the one at index %d%s was; an id names one event, so give each event its own",
			w.ID, w.Index, onLine(w.Line), w.FirstIndex, onLine(w.FirstLine))
		out = append(out, w)
	}
	return out, n
}

func onLine(line int) string {
	if line == 0 {
		return ""
	}
	return fmt.Sprintf(" (line %d)", line)
}

// sameContent reports whether two events with one id say the same:
// their type, member, time, community and attributes. The member's name
// and identities may be told more fully in one of them than the other.
func sameContent(a, b *events.Event) bool {
	if a.Type != b.Type || a.Member.ID != b.Member.ID || !a.At.Equal(b.At) || a.Community != b.Community {
		return false
	}
	if len(a.Attrs) == 0 || len(b.Attrs) == 0 { // absent and {} are alike
		return len(a.Attrs) == len(b.Attrs)
	}
	return reflect.DeepEqual(a.Attrs, b.Attrs)
}
