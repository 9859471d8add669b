package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-community/hearth/engine/state"
)

var _ state.Eraser = (*Store)(nil)

// MemberOutcomes returns the member's outcomes, oldest first.
func (s *Store) MemberOutcomes(ctx context.Context, member string, limit int) ([]state.Outcome, error) {
	return s.Outcomes(ctx, member, limit)
}

// MemberOutbox returns the member's outbox entries, oldest first.
func (s *Store) MemberOutbox(ctx context.Context, member string) ([]state.OutboxEntry, error) {
	return s.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE member = $1 ORDER BY next_at, key`, member)
}

// EraseMember deletes the member's rows in one transaction. A replica
// whose batch read the member before finds it changed at commit
// (ErrConflict) and applies its events again from the store, where the
// member is gone: no replica writes the erased document back.
func (s *Store) EraseMember(ctx context.Context, id string) (state.Erased, error) {
	var e state.Erased
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return e, err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `DELETE FROM members WHERE id = $1`, id)
	if err != nil {
		return e, err
	}
	e.Member = tag.RowsAffected() > 0
	if tag, err = tx.Exec(ctx, `DELETE FROM outcomes WHERE member = $1`, id); err != nil {
		return e, err
	}
	e.Outcomes = tag.RowsAffected()
	if tag, err = tx.Exec(ctx, `UPDATE outcomes SET src = CASE WHEN src = $1 THEN '' ELSE src END,
		dst = CASE WHEN dst = $1 THEN '' ELSE dst END WHERE src = $1 OR dst = $1`, id); err != nil {
		return e, err
	}
	e.OutcomeRefs = tag.RowsAffected()
	rows, err := tx.Query(ctx, `DELETE FROM outbox WHERE member = $1 RETURNING status`, id)
	if err != nil {
		return e, err
	}
	statuses, err := state.ScanIDs(rows)
	rows.Close()
	if err != nil {
		return e, err
	}
	for _, st := range statuses {
		if e.Outbox == nil {
			e.Outbox = map[string]int64{}
		}
		e.Outbox[st]++
	}
	if err := tx.Commit(ctx); err != nil {
		return e, err
	}
	// PostgreSQL keeps deleted row versions in the tables until VACUUM
	// removes them, readable by tools that read dead rows. A plain VACUUM
	// blocks no replica and mostly reads pages changed since the last
	// (the visibility map): it is done now. It leaves the bytes in the
	// pages' free space, the WAL and backups: README "Members' data"
	// says what the operator does about those.
	if _, err := s.pool.Exec(ctx, `VACUUM members, outcomes, outbox`); err != nil {
		return e, fmt.Errorf("the member's rows are deleted, but VACUUM of their tables failed (forget again to retry): %w", err)
	}
	return e, nil
}

// Suppress puts id on the suppression list, for every replica.
func (s *Store) Suppress(ctx context.Context, id string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO suppressed (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, state.SuppressionKey(id), at.UnixNano())
	return err
}

// Unsuppress takes id off the suppression list.
func (s *Store) Unsuppress(ctx context.Context, id string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM suppressed WHERE key = $1`, state.SuppressionKey(id))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

// IsSuppressed reports whether id is on the suppression list.
func (s *Store) IsSuppressed(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.pool.QueryRow(ctx, `SELECT 1 FROM suppressed WHERE key = $1`, state.SuppressionKey(id)).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

var _ state.SuppressionBatch = (*batch)(nil)

// Suppressed reports whether id is on the suppression list. The runtime
// asks only for members not stored, so members seen before cost nothing;
// the answer is kept for the batch.
func (b *batch) Suppressed(id string) (bool, error) {
	if on, ok := b.suppressed[id]; ok {
		return on, nil
	}
	on, err := b.s.IsSuppressed(b.ctx, id)
	if err != nil {
		return false, err
	}
	if b.suppressed == nil {
		b.suppressed = map[string]bool{}
	}
	b.suppressed[id] = on
	return on, nil
}
