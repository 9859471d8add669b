package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

var _ state.Pruner = (*Store)(nil)

// IDHorizon is the state.Pruner half that says what Claim refuses.
func (s *Store) IDHorizon(context.Context) (time.Time, error) {
	return horizonTime(s.idsBefore.Load()), nil
}

func horizonTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// Prune forgets event ids and outcomes from before the given times. The
// horizon moves (and is stored) before any id goes, so no event whose id
// is gone can be claimed. Rows go in short transactions of
// state.PruneChunk, between the daemon's commits rather than across them.
func (s *Store) Prune(ctx context.Context, p state.Prune) (state.Pruned, error) {
	// Batches committed before are written first (from the journal), so
	// the counts are of everything committed. Batches committed while it
	// runs may hold an old id; it stays until the next prune, and the
	// horizon already refuses its event.
	if err := s.Flush(ctx); err != nil {
		return state.Pruned{}, err
	}
	var out state.Pruned
	idCut, outCut := p.IDsBefore.UnixNano(), p.OutcomesBefore.UnixNano()
	if p.DryRun {
		if !p.IDsBefore.IsZero() {
			if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE at < ?`, idCut).Scan(&out.EventIDs); err != nil {
				return out, err
			}
		}
		if !p.OutcomesBefore.IsZero() {
			boundary, err := s.outcomeBoundary(ctx, outCut)
			if err != nil {
				return out, err
			}
			if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM outcomes WHERE seq < ?`, boundary).Scan(&out.Outcomes); err != nil {
				return out, err
			}
		}
		h := s.idsBefore.Load()
		if !p.IDsBefore.IsZero() {
			h = max(h, idCut)
		}
		out.IDHorizon = horizonTime(h)
		return out, nil
	}
	if !p.IDsBefore.IsZero() {
		if idCut > s.idsBefore.Load() {
			if _, err := s.db.ExecContext(ctx, `UPDATE state_meta SET ids_before = max(ids_before, ?)`, idCut); err != nil {
				return out, err
			}
			s.idsBefore.Store(idCut)
		}
		n, err := s.deleteChunks(ctx, `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? LIMIT ?)`, idCut)
		out.EventIDs = n
		if err != nil {
			return out, err
		}
	}
	if !p.OutcomesBefore.IsZero() {
		// Outcomes are kept in the order they were written, which is
		// nearly event time: everything before the first one still
		// wanted goes. A replayed old event's outcomes written later stay
		// until a later prune reaches them.
		boundary, err := s.outcomeBoundary(ctx, outCut)
		if err != nil {
			return out, err
		}
		n, err := s.deleteChunks(ctx, `DELETE FROM outcomes WHERE seq IN (SELECT seq FROM outcomes WHERE seq < ? ORDER BY seq LIMIT ?)`, boundary)
		out.Outcomes = n
		if err != nil {
			return out, err
		}
	}
	out.IDHorizon = horizonTime(s.idsBefore.Load())
	return out, nil
}

// outcomeBoundary is the sequence number of the first outcome of an event
// at or after cut (one past the last when there is none).
func (s *Store) outcomeBoundary(ctx context.Context, cut int64) (int64, error) {
	var seq int64
	err := s.db.QueryRowContext(ctx, `SELECT seq FROM outcomes WHERE at >= ? ORDER BY seq LIMIT 1`, cut).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.db.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) + 1 FROM outcomes`).Scan(&seq)
	}
	return seq, err
}

// deleteChunks runs a DELETE taking (bound, limit) until it deletes less
// than a chunk.
func (s *Store) deleteChunks(ctx context.Context, query string, bound int64) (int64, error) {
	return state.DeleteInChunks(func(limit int) (int64, error) {
		res, err := s.db.ExecContext(ctx, query, bound, limit)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	})
}

var _ state.OutboxPruner = (*Store)(nil)

// PruneOutbox removes entries that finished before the time
// (state.OutboxFinishedBefore), in chunks between the daemon's commits;
// pending ones stay.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time, dryRun bool) (int64, error) {
	if err := s.Flush(ctx); err != nil {
		return 0, err
	}
	cut := before.UnixNano()
	if dryRun {
		var n int64
		err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE status IN ('sent', 'dead', 'skipped') AND next_at < ? AND sent_at < ? AND finished_at < ?`, cut, cut, cut).Scan(&n)
		return n, err
	}
	return state.DeleteInChunks(func(limit int) (int64, error) {
		res, err := s.db.ExecContext(ctx, `DELETE FROM outbox WHERE key IN (SELECT key FROM outbox WHERE status IN ('sent', 'dead', 'skipped') AND next_at < ? AND sent_at < ? AND finished_at < ? LIMIT ?)`, cut, cut, cut, limit)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	})
}
