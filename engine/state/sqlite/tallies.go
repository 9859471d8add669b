package sqlite

import (
	"context"
	"database/sql"
	"fmt"

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

var _ state.SizeAnchorer = (*Store)(nil)

// AnchorSizes anchors the size history of segments and tiers
// (state.SizeAnchor) on the members and tallies in the database, once
// background commits are written, and returns the changes it made. The
// migration that added it did it already; on consistent tallies it
// changes nothing.
func (s *Store) AnchorSizes(ctx context.Context) (state.Tallies, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	d, err := anchorSizes(ctx, tx)
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	return d, tx.Commit()
}

// anchorSizes counts the members and reads the tallies in tx, which
// holds the write lock, and adds the anchor's changes there: members
// and tallies from one moment, so batches committed before or after
// (the journal's too) leave the difference right.
func anchorSizes(ctx context.Context, tx *sql.Tx) (state.Tallies, error) {
	var c state.SizeCounter
	rows, err := tx.QueryContext(ctx, `SELECT data FROM members`)
	if err != nil {
		return nil, err
	}
	err = state.VisitMembers(rows, func(m *state.Member) error {
		c.Add(m)
		return nil
	})
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("counting segment holders: %w", err)
	}
	if c.Members == 0 {
		return nil, nil
	}
	rows, err = tx.QueryContext(ctx, `SELECT key, n FROM tallies WHERE n != 0 AND (key LIKE 's/%' OR key LIKE 't/%')`)
	if err != nil {
		return nil, err
	}
	t, err := state.ScanTallies(rows)
	rows.Close()
	if err != nil {
		return nil, err
	}
	d := state.SizeAnchor(t, &c)
	for k, n := range d {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tallies (key, n) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET n = n + excluded.n`, k, n); err != nil {
			return nil, err
		}
	}
	return d, nil
}
