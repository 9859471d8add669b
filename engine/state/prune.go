package state

import (
	"context"
	"errors"
	"time"
)

// ErrTooOld is Claim's answer for an event from before the store's id
// horizon: its id may have been forgotten, so the store can no longer
// tell whether it was applied, and applying it could grant twice.
var ErrTooOld = errors.New("event is older than the event ids the state still remembers")

// Pruner is a store that forgets what it no longer needs to keep, so a
// long-running daemon's state stays bounded: event ids from before one
// time, and outcome history from before another.
//
// Forgetting ids moves the store's id horizon: from then on Claim answers
// ErrTooOld for events from before it. The horizon only moves forward.
type Pruner interface {
	Prune(ctx context.Context, p Prune) (Pruned, error)
	// IDHorizon is the time events must not be older than, zero while no
	// ids were forgotten.
	IDHorizon(ctx context.Context) (time.Time, error)
}

// Prune says what to forget; a zero time forgets nothing of that kind.
type Prune struct {
	IDsBefore      time.Time // event ids of events before this time
	OutcomesBefore time.Time // outcomes of events before this time
	// DryRun counts what would go and changes nothing.
	DryRun bool
}

// Pruned is how much was forgotten (or, on a dry run, would be).
type Pruned struct {
	EventIDs int64 `json:"event_ids"`
	Outcomes int64 `json:"outcomes"`
	// IDHorizon is the horizon afterwards.
	IDHorizon time.Time `json:"id_horizon,omitzero"`
}

// PruneChunk bounds the rows one pruning transaction deletes, so a
// daemon's commits wait for a short transaction rather than one long one.
const PruneChunk = 5000

// RetentionSlack is how much longer than its retention an event id is
// kept: an event let in at the edge of the retention is still recognised
// if it is applied, or sent again, within this time.
const RetentionSlack = time.Hour

// PruneFor is what retention settings forget at now; a zero retention
// keeps that kind forever.
func PruneFor(now time.Time, idRetention, outcomeRetention time.Duration) Prune {
	var p Prune
	if idRetention > 0 {
		p.IDsBefore = now.Add(-idRetention - RetentionSlack)
	}
	if outcomeRetention > 0 {
		p.OutcomesBefore = now.Add(-outcomeRetention)
	}
	return p
}

// DeleteInChunks calls del with PruneChunk until it deletes fewer rows
// than that, and returns how many it deleted in all.
func DeleteInChunks(del func(limit int) (int64, error)) (int64, error) {
	var total int64
	for {
		n, err := del(PruneChunk)
		total += n
		if err != nil || n < PruneChunk {
			return total, err
		}
	}
}

// OutboxPruner is a store that forgets finished outbox entries: sent,
// dead and skipped ones, each with the text it carried, so a daemon that
// runs for years does not keep every message it ever sent. Pending
// entries always stay, however old.
type OutboxPruner interface {
	// PruneOutbox removes (or, on a dry run, counts) the entries that
	// finished before the time (OutboxFinishedBefore).
	PruneOutbox(ctx context.Context, before time.Time, dryRun bool) (int64, error)
}

// OutboxFinishedBefore reports whether an entry is one PruneOutbox
// removes: finished (sent, dead or skipped) before the time. An entry
// finishes when it is last due or after, so its due and sent times are
// before too; an entry with no FinishedAt (finished before stores
// recorded it, or by an older hearth sharing the state) is judged by
// those alone, as OutboxFinishedAt falls back to them. The SQL stores
// test the same three times, which keeps their (status, next_at) index
// of use.
func OutboxFinishedBefore(e *OutboxEntry, before time.Time) bool {
	return e.Status != OutboxPending && e.FinishedAt.Before(before) && e.NextAt.Before(before) && e.SentAt.Before(before)
}

// OutboxFinishedAt is when a finished entry finished, zero for a pending
// one. An entry finished before stores recorded FinishedAt, or by an
// older hearth sharing the state, has none; it falls back to the time it
// already has: a sent entry's SentAt, a dead or skipped one's NextAt
// (when it was last due, its last try then or soon after).
func OutboxFinishedAt(e *OutboxEntry) time.Time {
	switch {
	case e.Status == OutboxPending:
		return time.Time{}
	case !e.FinishedAt.IsZero():
		return e.FinishedAt
	case e.Status == OutboxSent:
		return e.SentAt
	}
	return e.NextAt
}
