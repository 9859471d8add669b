package postgres

import (
	"context"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

var _ state.Pruner = (*Store)(nil)

// IDHorizon reads the stored id horizon, which any replica may move.
func (s *Store) IDHorizon(ctx context.Context) (time.Time, error) {
	var before int64
	if err := s.pool.QueryRow(ctx, `SELECT ids_before FROM state_meta`).Scan(&before); err != nil {
		return time.Time{}, err
	}
	s.raiseHorizon(before)
	return horizonTime(s.idsBefore.Load()), nil
}

func horizonTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// raiseHorizon keeps the newest horizon seen: it only moves forward.
func (s *Store) raiseHorizon(ns int64) {
	for {
		cur := s.idsBefore.Load()
		if ns <= cur || s.idsBefore.CompareAndSwap(cur, ns) {
			return
		}
	}
}

// Prune forgets event ids and outcomes from before the given times. The
// horizon moves in its own transaction before any id goes; commits of
// other replicas check it (batch.write), so none applies an event whose
// id is gone. Rows go in transactions of state.PruneChunk.
func (s *Store) Prune(ctx context.Context, p state.Prune) (state.Pruned, error) {
	var out state.Pruned
	idCut, outCut := p.IDsBefore.UnixNano(), p.OutcomesBefore.UnixNano()
	h, err := s.IDHorizon(ctx)
	if err != nil {
		return out, err
	}
	out.IDHorizon = h
	if p.DryRun {
		if !p.IDsBefore.IsZero() {
			if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE at < $1`, idCut).Scan(&out.EventIDs); err != nil {
				return out, err
			}
			if p.IDsBefore.After(h) {
				out.IDHorizon = p.IDsBefore.UTC()
			}
		}
		if !p.OutcomesBefore.IsZero() {
			boundary, err := s.outcomeBoundary(ctx, outCut)
			if err != nil {
				return out, err
			}
			if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM outcomes WHERE seq < $1`, boundary).Scan(&out.Outcomes); err != nil {
				return out, err
			}
		}
		return out, nil
	}
	if !p.IDsBefore.IsZero() {
		var before int64
		if err := s.pool.QueryRow(ctx, `UPDATE state_meta SET ids_before = greatest(ids_before, $1) RETURNING ids_before`, idCut).Scan(&before); err != nil {
			return out, err
		}
		s.raiseHorizon(before)
		out.IDHorizon = horizonTime(s.idsBefore.Load())
		n, err := s.deleteChunks(ctx, `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < $1 LIMIT $2)`, idCut)
		out.EventIDs = n
		if err != nil {
			return out, err
		}
	}
	if !p.OutcomesBefore.IsZero() {
		// As in the SQLite store: outcomes go in the order they were
		// written, up to the first one still wanted.
		boundary, err := s.outcomeBoundary(ctx, outCut)
		if err != nil {
			return out, err
		}
		n, err := s.deleteChunks(ctx, `DELETE FROM outcomes WHERE seq IN (SELECT seq FROM outcomes WHERE seq < $1 ORDER BY seq LIMIT $2)`, boundary)
		out.Outcomes = n
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// outcomeBoundary is the sequence number of the first outcome of an event
// at or after cut, or one past the last.
func (s *Store) outcomeBoundary(ctx context.Context, cut int64) (int64, error) {
	var seq int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce((SELECT seq FROM outcomes WHERE at >= $1 ORDER BY seq LIMIT 1), (SELECT coalesce(max(seq), 0) + 1 FROM outcomes))`, cut).Scan(&seq)
	return seq, err
}

func (s *Store) deleteChunks(ctx context.Context, query string, bound int64) (int64, error) {
	return state.DeleteInChunks(func(limit int) (int64, error) {
		tag, err := s.pool.Exec(ctx, query, bound, limit)
		return tag.RowsAffected(), err
	})
}

var _ state.OutboxPruner = (*Store)(nil)

// PruneOutbox removes entries that finished before the time
// (state.OutboxFinishedBefore), in chunks; pending ones stay, leased or
// not.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time, dryRun bool) (int64, error) {
	cut := before.UnixNano()
	if dryRun {
		var n int64
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE status IN ('sent', 'dead', 'skipped') AND next_at < $1 AND sent_at < $1 AND finished_at < $1`, cut).Scan(&n)
		return n, err
	}
	return state.DeleteInChunks(func(limit int) (int64, error) {
		tag, err := s.pool.Exec(ctx, `DELETE FROM outbox WHERE key IN (SELECT key FROM outbox WHERE status IN ('sent', 'dead', 'skipped') AND next_at < $1 AND sent_at < $1 AND finished_at < $1 LIMIT $2)`, cut, limit)
		return tag.RowsAffected(), err
	})
}
