package daemon

import (
	"fmt"
	"time"

	"github.com/hearth-community/hearth/engine/events"
)

// maxReusedWarnings bounds the reused-id warnings of one 202, as the
// errors of a 400 are bounded: the log counts them all.
const maxReusedWarnings = 100

// IDWarning is an event of a request that reuses, with different
// content, the id of an earlier event of the same request, or of an
// event applied before (in an earlier request, or from another
// source): one of the "warnings" of a 202. The first event is applied
// and this one is counted as a duplicate, as an id is an idempotency
// key, but two different events under one id are almost surely the
// sender's bug.
type IDWarning struct {
	ID string `json:"id"`
	// Index and Line place the event not applied in the body;
	// FirstIndex and FirstLine the one applied, when it is in the same
	// request.
	Index      int  `json:"index"`
	Line       int  `json:"line,omitempty"`
	FirstIndex *int `json:"first_index,omitempty"`
	FirstLine  int  `json:"first_line,omitempty"`
	// Earlier says the event applied under the id came before the
	// request; FirstAt is its time, when the state keeps it.
	Earlier bool       `json:"earlier,omitempty"`
	FirstAt *time.Time `json:"first_at,omitempty"`
	Warning string     `json:"warning"`
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
		if events.Digest(&evs[j]) == events.Digest(&evs[i]) {
			continue
		}
		n++
		if len(out) >= maxReusedWarnings {
			continue
		}
		w := IDWarning{ID: evs[i].ID, Index: i}
		firstIndex := j
		if i < len(places) && j < len(places) {
			w.Index, w.Line = places[i].index, places[i].line
			firstIndex, w.FirstLine = places[j].index, places[j].line
		}
		w.FirstIndex = &firstIndex
		w.Warning = fmt.Sprintf("id %q is reused with different content: the event at index %d%s was not applied (counted as a duplicate); "+
			"the one at index %d%s was; an id names one event, so give each event its own",
			w.ID, w.Index, onLine(w.Line), firstIndex, onLine(w.FirstLine))
		out = append(out, w)
	}
	return out, n
}

// earlierIDs are the warnings for the events of evs (with their places
// in the request body) not applied because an event with other content
// was applied under their id before the request, at most room of them.
func earlierIDs(evs []events.Event, places []place, reused []reusedEvent, room int) []IDWarning {
	var out []IDWarning
	for _, r := range reused[:min(len(reused), max(room, 0))] {
		w := IDWarning{ID: evs[r.index].ID, Index: r.index, Earlier: true}
		if r.index < len(places) {
			w.Index, w.Line = places[r.index].index, places[r.index].line
		}
		of := ""
		if at := r.earlier.At; !at.IsZero() {
			at = at.UTC()
			w.FirstAt = &at
			of = " of " + at.Format(time.RFC3339Nano)
		}
		w.Warning = fmt.Sprintf("id %q was applied before this request, to an event%s with different content: "+
			"the event at index %d%s was not applied (counted as a duplicate); an id names one event, so give each event its own",
			w.ID, of, w.Index, onLine(w.Line))
		out = append(out, w)
	}
	return out
}

func onLine(line int) string {
	if line == 0 {
		return ""
	}
	return fmt.Sprintf(" (line %d)", line)
}
