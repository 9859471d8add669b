package state

import (
	"context"
	"time"
)

// Tallies are community-wide counters kept next to member state and
// changed in the same batch as the events that move them, so reports read
// a few thousand counters instead of every member or every event. A key
// names a figure and its dimensions ("active/day/20412"); engine/analytics
// decides the keys and reads them back.
type Tallies map[string]int64

// Add adds n to key. It is for pending changes: a change that sums to
// zero stays as a zero, which writers skip, since dropping it would cost
// a second map operation on every change (Merge drops them).
func (t Tallies) Add(key string, n int64) {
	t[key] += n
}

// Merge adds every counter of d, dropping counters that return to zero.
func (t Tallies) Merge(d Tallies) {
	for k, n := range d {
		if v := t[k] + n; v != 0 {
			t[k] = v
		} else {
			delete(t, k)
		}
	}
}

// TallyBatch is a batch that can change tallies atomically with the rest
// of its work. Both stores offer it; the runtime checks for it so a store
// without it still works, with no analytics.
type TallyBatch interface {
	AddTallies(d Tallies) error
}

// TallySink is a tally batch that hands out its pending changes for the
// runtime to add to in place: one map write per change instead of a map
// per event merged into the batch's. Like every change to a batch, they
// are dropped on rollback.
type TallySink interface {
	TallyBatch
	PendingTallies() Tallies
}

// TallyReader reads the committed tallies.
type TallyReader interface {
	Tallies(ctx context.Context) (Tallies, error)
}

// Tally is what one member has contributed to the tallies so far, so that
// the next change counts only the difference: a member active twice in a
// week counts once in that week's retention, a tier reached twice counts
// once in the funnel, a survey answered again replaces the first answer.
type Tally struct {
	Cohort  Day  `json:"cohort,omitempty"`  // join day counted, 0 before
	Counted bool `json:"counted,omitempty"` // counted among the members
	Left    Day  `json:"left,omitempty"`    // day of leaving counted, 0 when in
	// Weeks and Months are bit sets of the periods after the join period
	// (bit 0: the join period) in which the member was active.
	Weeks       uint64 `json:"weeks,omitempty"`
	Months      uint64 `json:"months,omitempty"`
	Contributed bool   `json:"contributed,omitempty"` // first contribution counted
	MaxRank     int    `json:"max_rank,omitempty"`    // highest tier rank counted in the funnel
	Tier        string `json:"tier,omitempty"`        // tier counted in the current distribution
	Referred    bool   `json:"referred,omitempty"`    // counted as a referral conversion
	Paid        bool   `json:"paid,omitempty"`        // counted among paying members
	Revenue     int64  `json:"revenue,omitempty"`     // amounts counted, in millionths
	// Answers are the survey answers counted, by "survey/question".
	Answers map[string]*Answer `json:"answers,omitempty"`
}

// Answer is one counted survey answer and where it was counted.
type Answer struct {
	Score  int       `json:"score"` // -1 for a choice
	Choice string    `json:"choice,omitempty"`
	At     time.Time `json:"at"`
	// Keys are the tally keys the answer added one to.
	Keys []string `json:"keys"`
}

// AddTallies keeps the batch's tally changes until commit.
func (b *memBatch) AddTallies(d Tallies) error {
	if b.tallies == nil {
		b.tallies = Tallies{}
	}
	b.tallies.Merge(d)
	return nil
}

// PendingTallies are the batch's tally changes until commit.
func (b *memBatch) PendingTallies() Tallies {
	if b.tallies == nil {
		b.tallies = Tallies{}
	}
	return b.tallies
}

// Tallies returns a copy of the committed tallies.
func (s *Memory) Tallies(context.Context) (Tallies, error) {
	out := make(Tallies, len(s.tallies))
	for k, v := range s.tallies {
		out[k] = v
	}
	return out, nil
}
