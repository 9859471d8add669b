package sqlite

import (
	"context"

	"github.com/hearth-community/hearth/engine/state"
)

// AddTallies keeps the batch's tally changes until commit, when they are
// added to the stored counters in the batch's transaction.
func (b *batch) AddTallies(d state.Tallies) error {
	if b.tallies == nil {
		b.tallies = state.Tallies{}
	}
	b.tallies.Merge(d)
	return nil
}

// PendingTallies are the batch's tally changes until commit.
func (b *batch) PendingTallies() state.Tallies {
	if b.tallies == nil {
		b.tallies = state.Tallies{}
	}
	return b.tallies
}

// Tallies reads the committed counters, after batches being written.
func (s *Store) Tallies(ctx context.Context) (state.Tallies, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT key, n FROM tallies WHERE n != 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return state.ScanTallies(rows)
}
