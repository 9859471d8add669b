package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"time"
)

// ErrSuppressed is what a batch's member lookup turns into for an id on
// the suppression list: the member asked to be forgotten, and an event
// must not create them again.
var ErrSuppressed = errors.New("the member asked to be forgotten and is suppressed")

// Eraser is a store that can hand out and erase everything it keeps about
// one member, for data-protection requests (GDPR articles 15, 17 and 20),
// and keep a suppression list of ids whose events are refused from then
// on. Every store backend offers it; statetest.RunErase checks them.
type Eraser interface {
	// MemberOutcomes returns the member's outcomes, oldest first, at
	// most limit.
	MemberOutcomes(ctx context.Context, member string, limit int) ([]Outcome, error)
	// MemberOutbox returns the outbox entries addressed to the member,
	// whatever their status, oldest first.
	MemberOutbox(ctx context.Context, member string) ([]OutboxEntry, error)
	// EraseMember deletes, in one transaction, the member's document, its
	// outcomes and its outbox entries (pending, sent and dead), and
	// blanks the id where other members' outcomes name it (from, to). It
	// waits for batches committed before it, and what it deleted is not
	// kept in any cache a later batch could write back. It changes no
	// other member's document (the caller does that in a batch) and no
	// tally.
	EraseMember(ctx context.Context, id string) (Erased, error)
	// Suppress puts the id on the suppression list; Unsuppress takes it
	// off and reports whether it was on. The list keeps SuppressionKey
	// of each id, not the id.
	Suppress(ctx context.Context, id string, at time.Time) error
	Unsuppress(ctx context.Context, id string) (bool, error)
	IsSuppressed(ctx context.Context, id string) (bool, error)
}

// SuppressionBatch is a batch that can tell whether an id is on the
// suppression list, as of the batch. The runtime asks it only for ids
// with no stored member, before it would create one.
type SuppressionBatch interface {
	Suppressed(id string) (bool, error)
}

// Erased is what EraseMember deleted.
type Erased struct {
	Member   bool  `json:"member"`   // the member's document was stored
	Outcomes int64 `json:"outcomes"` // outcomes of the member
	// OutcomeRefs are other members' outcomes that named the member (as
	// from or to) and now name nobody there.
	OutcomeRefs int64 `json:"outcome_refs"`
	// Outbox counts the entries addressed to the member, by status.
	Outbox map[string]int64 `json:"outbox,omitempty"`
}

// Any reports whether anything was erased.
func (e Erased) Any() bool {
	n := e.Outcomes + e.OutcomeRefs
	for _, c := range e.Outbox {
		n += c
	}
	return e.Member || n > 0
}

// SuppressionKey is how the suppression list keeps an id: its SHA-256, in
// hex, so the list does not show ids in the clear. (A known id can still
// be matched against it; that is what the list is for.)
func SuppressionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

var _ Eraser = (*Memory)(nil)

// MemberOutcomes returns the member's outcomes kept in memory
// (KeepOutcomes).
func (s *Memory) MemberOutcomes(_ context.Context, member string, limit int) ([]Outcome, error) {
	var out []Outcome
	for _, o := range s.outcomes {
		if o.Member == member && len(out) < limit {
			out = append(out, o)
		}
	}
	return out, nil
}

// MemberOutbox returns the member's outbox entries, oldest first.
func (s *Memory) MemberOutbox(_ context.Context, member string) ([]OutboxEntry, error) {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	var out []OutboxEntry
	for _, e := range s.entries {
		if e.Member == member {
			out = append(out, *e)
		}
	}
	sortEntries(out)
	return out, nil
}

// EraseMember deletes the member, its outcomes and its outbox entries.
func (s *Memory) EraseMember(_ context.Context, id string) (Erased, error) {
	var e Erased
	if _, ok := s.members[id]; ok {
		e.Member = true
		delete(s.members, id)
		delete(s.queued, id) // its heap entry is skipped: no member
	}
	s.outcomes = slices.DeleteFunc(s.outcomes, func(o Outcome) bool {
		if o.Member == id {
			e.Outcomes++
			return true
		}
		return false
	})
	for i := range s.outcomes {
		if o := &s.outcomes[i]; o.From == id || o.To == id {
			e.OutcomeRefs++
			o.From, o.To = blankIf(o.From, id), blankIf(o.To, id)
		}
	}
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	for key, en := range s.entries {
		if en.Member == id {
			if e.Outbox == nil {
				e.Outbox = map[string]int64{}
			}
			e.Outbox[en.Status]++
			delete(s.entries, key)
		}
	}
	s.outbox = slices.DeleteFunc(s.outbox, func(a Action) bool { return a.Member == id })
	return e, nil
}

func blankIf(s, id string) string {
	if s == id {
		return ""
	}
	return s
}

// Suppress puts id on the suppression list.
func (s *Memory) Suppress(_ context.Context, id string, _ time.Time) error {
	if s.suppressed == nil {
		s.suppressed = map[string]bool{}
	}
	s.suppressed[SuppressionKey(id)] = true
	return nil
}

// Unsuppress takes id off the suppression list.
func (s *Memory) Unsuppress(_ context.Context, id string) (bool, error) {
	k := SuppressionKey(id)
	was := s.suppressed[k]
	delete(s.suppressed, k)
	return was, nil
}

// IsSuppressed reports whether id is on the suppression list.
func (s *Memory) IsSuppressed(_ context.Context, id string) (bool, error) {
	return s.suppressed[SuppressionKey(id)], nil
}

// Suppressed reports whether id is on the suppression list.
func (b *memBatch) Suppressed(id string) (bool, error) {
	return len(b.s.suppressed) > 0 && b.s.suppressed[SuppressionKey(id)], nil
}
