package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-community/hearth/engine/state"
)

// The outbox: actions written with their batch, delivered by the
// dispatcher of whichever replica claims them first.

const outboxColumns = `data, status, attempts, next_at, last_error, sent_at, finished_at, queued_at`

func (s *Store) queryOutbox(ctx context.Context, q string, args ...any) ([]state.OutboxEntry, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []state.OutboxEntry
	for rows.Next() {
		var e state.OutboxEntry
		var data []byte
		var next, sent, finished, queued int64
		if err := rows.Scan(&data, &e.Status, &e.Attempts, &next, &e.LastError, &sent, &finished, &queued); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &e.Action); err != nil {
			return nil, fmt.Errorf("outbox entry: %w", err)
		}
		e.NextAt = time.Unix(0, next).UTC()
		if queued > 0 {
			e.QueuedAt = time.Unix(0, queued).UTC()
		}
		// One a replica of an older hearth queued after the migration
		// has none: its wait counts from its action's time, as before.
		e.QueuedAt = state.OutboxQueuedAt(&e)
		if sent > 0 {
			e.SentAt = time.Unix(0, sent).UTC()
		}
		if finished > 0 {
			e.FinishedAt = time.Unix(0, finished).UTC()
		}
		// One a replica of an older hearth finished after the migration
		// has none.
		e.FinishedAt = state.OutboxFinishedAt(&e)
		out = append(out, e)
	}
	return out, rows.Err()
}

// DueActions claims up to limit pending actions due at now, oldest first.
// A claimed row is skipped by other replicas (FOR UPDATE SKIP LOCKED
// while claiming, then the lease) until MarkSent, MarkRetry or MarkDead
// settles it, or the lease runs out because the claimer died; then
// another replica sends it again with the same idempotency key.
func (s *Store) DueActions(ctx context.Context, now time.Time, limit int) ([]state.OutboxEntry, error) {
	wall := time.Now().UnixNano()
	out, err := s.queryOutbox(ctx, `UPDATE outbox SET lease_until = $3
		WHERE key IN (
			SELECT key FROM outbox
			WHERE status = 'pending' AND next_at <= $1 AND lease_until < $4
			ORDER BY next_at, key LIMIT $2
			FOR UPDATE SKIP LOCKED)
		RETURNING `+outboxColumns, now.UnixNano(), limit, wall+s.lease.Nanoseconds(), wall)
	if err != nil {
		return nil, err
	}
	sortEntries(out)
	return out, nil
}

func sortEntries(es []state.OutboxEntry) {
	sort.Slice(es, func(i, j int) bool {
		if !es[i].NextAt.Equal(es[j].NextAt) {
			return es[i].NextAt.Before(es[j].NextAt)
		}
		return es[i].Key < es[j].Key
	})
}

// ListOutbox lists entries with a status ("" for all), oldest first.
func (s *Store) ListOutbox(ctx context.Context, status string, limit int) ([]state.OutboxEntry, error) {
	if status == "" {
		return s.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox ORDER BY next_at, key LIMIT $1`, limit)
	}
	return s.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE status = $1 ORDER BY next_at, key LIMIT $2`, status, limit)
}

// ListOutboxAfter is ListOutbox from the entry after (at, key) in that
// order on: the next page of a list whose last entry was key, due at at.
func (s *Store) ListOutboxAfter(ctx context.Context, status string, at time.Time, key string, limit int) ([]state.OutboxEntry, error) {
	if status == "" {
		return s.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE (next_at, key) > ($1, $2) ORDER BY next_at, key LIMIT $3`, at.UnixNano(), key, limit)
	}
	return s.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE status = $1 AND (next_at, key) > ($2, $3) ORDER BY next_at, key LIMIT $4`, status, at.UnixNano(), key, limit)
}

func (s *Store) updateOutbox(ctx context.Context, q string, args ...any) (bool, error) {
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

// MarkSent records a delivery.
func (s *Store) MarkSent(ctx context.Context, key string, attempts int, at time.Time) error {
	_, err := s.updateOutbox(ctx, `UPDATE outbox SET status = 'sent', attempts = $1, sent_at = $2, finished_at = $2, last_error = '', lease_until = 0 WHERE key = $3`, attempts, at.UnixNano(), key)
	return err
}

var _ state.SentAfterHoldMarker = (*Store)(nil)

// MarkSentAfterHold records a delivery the outbox held before, keeping
// the hold as the entry's last_error (state.SentAfterHoldMarker).
func (s *Store) MarkSentAfterHold(ctx context.Context, key string, attempts int, at time.Time, hold string) error {
	_, err := s.updateOutbox(ctx, `UPDATE outbox SET status = 'sent', attempts = $1, sent_at = $2, finished_at = $2, last_error = $3, lease_until = 0 WHERE key = $4`, attempts, at.UnixNano(), hold, key)
	return err
}

// MarkRetry schedules another try.
func (s *Store) MarkRetry(ctx context.Context, key string, attempts int, next time.Time, reason string) error {
	_, err := s.updateOutbox(ctx, `UPDATE outbox SET attempts = $1, next_at = $2, last_error = $3, lease_until = 0 WHERE key = $4`, attempts, next.UnixNano(), reason, key)
	return err
}

// MarkDead moves an action to the dead letters at the time.
func (s *Store) MarkDead(ctx context.Context, key string, attempts int, at time.Time, reason string) error {
	_, err := s.updateOutbox(ctx, `UPDATE outbox SET status = 'dead', attempts = $1, finished_at = $2, last_error = $3, lease_until = 0 WHERE key = $4`, attempts, at.UnixNano(), reason, key)
	return err
}

// MarkSkipped drops an action at the time without sending it, saying
// why.
func (s *Store) MarkSkipped(ctx context.Context, key string, attempts int, at time.Time, reason string) error {
	_, err := s.updateOutbox(ctx, `UPDATE outbox SET status = 'skipped', attempts = $1, finished_at = $2, last_error = $3, lease_until = 0 WHERE key = $4`, attempts, at.UnixNano(), reason, key)
	return err
}

// RetryAction makes a dead or pending action due now; it is no longer
// finished, and a dead one is queued again now. A sent one is not sent
// again, and a skipped one was dropped on purpose (its member left, or
// its run's key named a member who was forgotten).
func (s *Store) RetryAction(ctx context.Context, key string, now time.Time) (bool, error) {
	return s.updateOutbox(ctx, `UPDATE outbox SET queued_at = CASE status WHEN 'dead' THEN $1 ELSE queued_at END, status = 'pending', next_at = $1, finished_at = 0, lease_until = 0 WHERE key = $2 AND status IN ('pending', 'dead')`, now.UnixNano(), key)
}

var _ state.OutboxSelector = (*Store)(nil)

// queuedAt is when an entry was queued: its queued_at, or its action's
// time for one a replica of an older hearth queued after the migration
// that added the column (state.OutboxQueuedAt).
const queuedAt = `CASE WHEN queued_at > 0 THEN queued_at ELSE at END`

// outboxSince is when an entry counts as having happened for
// OutboxFilter.Since: when it finished (an entry a replica of an older
// hearth finished has no finished_at, and gets the time
// state.OutboxFinishedAt gives it), or, pending, when it was queued.
const outboxSince = `CASE WHEN status = 'pending' THEN ` + queuedAt + ` WHEN finished_at > 0 THEN finished_at WHEN status = 'sent' THEN sent_at ELSE next_at END`

// SelectOutbox lists the entries f selects, in next_at and key order.
func (s *Store) SelectOutbox(ctx context.Context, f state.OutboxFilter) ([]state.OutboxEntry, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(f.Statuses) > 0 {
		where = append(where, `status = ANY(`+arg(f.Statuses)+`)`)
	}
	if f.Member != "" {
		where = append(where, `member = `+arg(f.Member))
	}
	if f.Campaign != "" {
		where = append(where, `data->>'campaign' = `+arg(f.Campaign))
	}
	switch {
	case f.Platform != "" && !state.PlatformIsType(f.Platform):
		where = append(where, `data->>'platform' = `+arg(f.Platform))
	case f.Platform != "":
		// A type: the addresses that start with it and a dot (not LIKE,
		// which reads _ as a wildcard).
		where = append(where, `starts_with(data->>'platform', `+arg(f.Platform+".")+`)`)
	}
	if !f.Since.IsZero() {
		where = append(where, outboxSince+` >= `+arg(f.Since.UnixNano()))
	}
	if !f.After.IsZero() {
		where = append(where, `(next_at, key) > (`+arg(f.After.At.UnixNano())+`, `+arg(f.After.Key)+`)`)
	}
	q := `SELECT ` + outboxColumns + ` FROM outbox`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY next_at, key`
	if f.Limit > 0 {
		q += ` LIMIT ` + arg(f.Limit)
	}
	return s.queryOutbox(ctx, q, args...)
}

// RetryActions makes due at now the entries of keys still in status, in
// one statement. A lease is left as it is: a pending entry a replica
// has claimed is being sent, and that replica settles it.
func (s *Store) RetryActions(ctx context.Context, keys []string, status string, now time.Time) (int, error) {
	if err := state.RetryStatus(status); err != nil {
		return 0, err
	}
	// A dead letter goes back in the queue now.
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET queued_at = CASE status WHEN 'dead' THEN $1 ELSE queued_at END, status = 'pending', next_at = $1, finished_at = 0 WHERE status = $2 AND key = ANY($3)`, now.UnixNano(), status, keys)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// DropAction removes an action, unless a replica holds its lease and may
// be sending it (state.ErrBeingSent): MarkSent must find it to record
// the send.
func (s *Store) DropAction(ctx context.Context, key string) (bool, error) {
	ok, err := s.updateOutbox(ctx, `DELETE FROM outbox WHERE key = $1 AND (status <> 'pending' OR lease_until < $2)`, key, time.Now().UnixNano())
	if ok || err != nil {
		return ok, err
	}
	var there bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM outbox WHERE key = $1)`, key).Scan(&there); err != nil {
		return false, err
	}
	if there {
		return false, state.ErrBeingSent
	}
	return false, nil
}

// DropPending removes an action while it is pending and no replica
// holds its lease (state.PendingDropper): a leased one may be going out
// at that moment, and MarkSent must find it to record the send.
func (s *Store) DropPending(ctx context.Context, key string, now time.Time) (bool, error) {
	return s.updateOutbox(ctx, `DELETE FROM outbox WHERE key = $1 AND status = 'pending' AND lease_until < $2`, key, now.UnixNano())
}

// SkipPending marks an action skipped, with reason, while it is pending
// and no replica holds its lease (state.PendingSkipper): a leased one
// may be going out at that moment, and MarkSent must record the send.
func (s *Store) SkipPending(ctx context.Context, key, reason string, now time.Time) (bool, error) {
	return s.updateOutbox(ctx, `UPDATE outbox SET status = 'skipped', finished_at = $1, last_error = $2 WHERE key = $3 AND status = 'pending' AND lease_until < $1`, now.UnixNano(), reason, key)
}

// CountOutbox counts entries by status, for the dashboard.
func (s *Store) CountOutbox(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT status, count(*) FROM outbox GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return nil, err
		}
		out[status] = int(n)
	}
	return out, rows.Err()
}

// OldestPending is when the oldest pending action was queued; zero when
// none is pending.
func (s *Store) OldestPending(ctx context.Context) (time.Time, error) {
	var at *int64
	if err := s.pool.QueryRow(ctx, `SELECT min(`+queuedAt+`) FROM outbox WHERE status = 'pending'`).Scan(&at); err != nil || at == nil {
		return time.Time{}, err
	}
	return time.Unix(0, *at).UTC(), nil
}

// Cursor returns where an event stream was read up to; "" when never.
func (s *Store) Cursor(ctx context.Context, stream string) (string, error) {
	var c string
	err := s.pool.QueryRow(ctx, `SELECT cursor FROM cursors WHERE stream = $1`, stream).Scan(&c)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return c, err
}

// SetCursor records where a stream was read up to, once the events before
// it are committed.
func (s *Store) SetCursor(ctx context.Context, stream, cursor string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO cursors (stream, cursor) VALUES ($1, $2)
		ON CONFLICT (stream) DO UPDATE SET cursor = excluded.cursor`, stream, cursor)
	return err
}
