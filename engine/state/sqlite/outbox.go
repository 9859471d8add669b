package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hearth-community/hearth/engine/state"
)

// The outbox: actions written with their batch, delivered by the
// dispatcher. Reads and updates go straight to the database: delivery
// runs beside event processing and touches only this table.

func (s *Store) queryOutbox(ctx context.Context, q string, args ...any) ([]state.OutboxEntry, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
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
		// Never none in this store (no older hearth writes it after the
		// migration), but read as the PostgreSQL store reads it.
		e.QueuedAt = state.OutboxQueuedAt(&e)
		if sent > 0 {
			e.SentAt = time.Unix(0, sent).UTC()
		}
		if finished > 0 {
			e.FinishedAt = time.Unix(0, finished).UTC()
		}
		// One an older hearth finished after the migration has none.
		e.FinishedAt = state.OutboxFinishedAt(&e)
		out = append(out, e)
	}
	return out, rows.Err()
}

const outboxColumns = `data, status, attempts, next_at, last_error, sent_at, finished_at, queued_at`

// DueActions lists pending actions due at now, oldest first.
func (s *Store) DueActions(ctx context.Context, now time.Time, limit int) ([]state.OutboxEntry, error) {
	return s.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, key LIMIT ?`, now.UnixNano(), limit)
}

// ListOutbox lists entries with a status ("" for all), oldest first.
func (s *Store) ListOutbox(ctx context.Context, status string, limit int) ([]state.OutboxEntry, error) {
	if status == "" {
		return s.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox ORDER BY next_at, key LIMIT ?`, limit)
	}
	return s.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE status = ? ORDER BY next_at, key LIMIT ?`, status, limit)
}

// ListOutboxAfter is ListOutbox from the entry after (at, key) in that
// order on: the next page of a list whose last entry was key, due at at.
func (s *Store) ListOutboxAfter(ctx context.Context, status string, at time.Time, key string, limit int) ([]state.OutboxEntry, error) {
	if status == "" {
		return s.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE (next_at > ? OR (next_at = ? AND key > ?)) ORDER BY next_at, key LIMIT ?`, at.UnixNano(), at.UnixNano(), key, limit)
	}
	return s.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE status = ? AND (next_at > ? OR (next_at = ? AND key > ?)) ORDER BY next_at, key LIMIT ?`, status, at.UnixNano(), at.UnixNano(), key, limit)
}

func (s *Store) updateOutbox(ctx context.Context, q string, args ...any) (bool, error) {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// MarkSent records a delivery.
func (s *Store) MarkSent(ctx context.Context, key string, attempts int, at time.Time) error {
	_, err := s.updateOutbox(ctx, `UPDATE outbox SET status = 'sent', attempts = ?, sent_at = ?, finished_at = ?, last_error = '' WHERE key = ?`, attempts, at.UnixNano(), at.UnixNano(), key)
	return err
}

var _ state.SentAfterHoldMarker = (*Store)(nil)

// MarkSentAfterHold records a delivery the outbox held before, keeping
// the hold as the entry's last_error (state.SentAfterHoldMarker).
func (s *Store) MarkSentAfterHold(ctx context.Context, key string, attempts int, at time.Time, hold string) error {
	_, err := s.updateOutbox(ctx, `UPDATE outbox SET status = 'sent', attempts = ?, sent_at = ?, finished_at = ?, last_error = ? WHERE key = ?`, attempts, at.UnixNano(), at.UnixNano(), hold, key)
	return err
}

// MarkRetry schedules another try.
func (s *Store) MarkRetry(ctx context.Context, key string, attempts int, next time.Time, reason string) error {
	_, err := s.updateOutbox(ctx, `UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE key = ?`, attempts, next.UnixNano(), reason, key)
	return err
}

// MarkDead moves an action to the dead letters at the time.
func (s *Store) MarkDead(ctx context.Context, key string, attempts int, at time.Time, reason string) error {
	_, err := s.updateOutbox(ctx, `UPDATE outbox SET status = 'dead', attempts = ?, finished_at = ?, last_error = ? WHERE key = ?`, attempts, at.UnixNano(), reason, key)
	return err
}

// MarkSkipped drops an action at the time without sending it, saying
// why.
func (s *Store) MarkSkipped(ctx context.Context, key string, attempts int, at time.Time, reason string) error {
	_, err := s.updateOutbox(ctx, `UPDATE outbox SET status = 'skipped', attempts = ?, finished_at = ?, last_error = ? WHERE key = ?`, attempts, at.UnixNano(), reason, key)
	return err
}

// RetryAction makes a dead or pending action due now; it is no longer
// finished, and a dead one is queued again now. A sent one is not sent
// again, and a skipped one was dropped on purpose (its member left, or
// its run's key named a member who was forgotten).
func (s *Store) RetryAction(ctx context.Context, key string, now time.Time) (bool, error) {
	return s.updateOutbox(ctx, `UPDATE outbox SET queued_at = CASE status WHEN 'dead' THEN ? ELSE queued_at END, status = 'pending', next_at = ?, finished_at = 0 WHERE key = ? AND status IN ('pending', 'dead')`, now.UnixNano(), now.UnixNano(), key)
}

var _ state.OutboxSelector = (*Store)(nil)

// queuedAt is when an entry was queued: its queued_at, or its action's
// time for one without (state.OutboxQueuedAt), as in the PostgreSQL
// store, where replicas of an older hearth may queue after the
// migration.
const queuedAt = `CASE WHEN queued_at > 0 THEN queued_at ELSE at END`

// outboxSince is when an entry counts as having happened for
// OutboxFilter.Since: when it finished (an entry finished by an older
// hearth has no finished_at, and gets the time state.OutboxFinishedAt
// gives it), or, pending, when it was queued.
const outboxSince = `CASE WHEN status = 'pending' THEN ` + queuedAt + ` WHEN finished_at > 0 THEN finished_at WHEN status = 'sent' THEN sent_at ELSE next_at END`

// outboxField is a field of the action, which only the JSON document
// holds. The document is stored as a BLOB, which SQLite's JSON functions
// would read as its binary JSONB: it is read as the text it is.
func outboxField(name string) string {
	return `json_extract(CAST(data AS TEXT), '$.` + name + `')`
}

// SelectOutbox lists the entries f selects, in next_at and key order.
func (s *Store) SelectOutbox(ctx context.Context, f state.OutboxFilter) ([]state.OutboxEntry, error) {
	var where []string
	var args []any
	if len(f.Statuses) > 0 {
		where = append(where, `status IN (?`+strings.Repeat(`, ?`, len(f.Statuses)-1)+`)`)
		for _, st := range f.Statuses {
			args = append(args, st)
		}
	}
	if f.Member != "" {
		where = append(where, `member = ?`)
		args = append(args, f.Member)
	}
	if f.Campaign != "" {
		where = append(where, outboxField("campaign")+` = ?`)
		args = append(args, f.Campaign)
	}
	switch {
	case f.Platform != "" && !state.PlatformIsType(f.Platform):
		where = append(where, outboxField("platform")+` = ?`)
		args = append(args, f.Platform)
	case f.Platform != "":
		// A type: the addresses that start with it and a dot. substr,
		// not LIKE, which ignores case and reads _ as a wildcard.
		prefix := f.Platform + "."
		where = append(where, `substr(`+outboxField("platform")+`, 1, ?) = ?`)
		args = append(args, utf8.RuneCountInString(prefix), prefix)
	}
	if !f.Since.IsZero() {
		where = append(where, outboxSince+` >= ?`)
		args = append(args, f.Since.UnixNano())
	}
	if !f.After.IsZero() {
		at := f.After.At.UnixNano()
		where = append(where, `(next_at > ? OR (next_at = ? AND key > ?))`)
		args = append(args, at, at, f.After.Key)
	}
	q := `SELECT ` + outboxColumns + ` FROM outbox`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY next_at, key`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return s.queryOutbox(ctx, q, args...)
}

// RetryActions makes due at now the entries of keys still in status,
// in one transaction: the selection an operator approved is retried
// whole or not at all.
func (s *Store) RetryActions(ctx context.Context, keys []string, status string, now time.Time) (int, error) {
	if err := state.RetryStatus(status); err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var n int64
	for chunk := range slices.Chunk(keys, state.RetryChunk) {
		args := []any{now.UnixNano(), now.UnixNano(), status}
		for _, k := range chunk {
			args = append(args, k)
		}
		// A dead letter goes back in the queue now.
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET queued_at = CASE status WHEN 'dead' THEN ? ELSE queued_at END, status = 'pending', next_at = ?, finished_at = 0 WHERE status = ? AND key IN (?`+strings.Repeat(`, ?`, len(chunk)-1)+`)`, args...)
		if err != nil {
			return 0, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		n += k
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return int(n), nil
}

// DropAction removes an action.
func (s *Store) DropAction(ctx context.Context, key string) (bool, error) {
	return s.updateOutbox(ctx, `DELETE FROM outbox WHERE key = ?`, key)
}

// DropPending removes an action while it is pending
// (state.PendingDropper). One process writes this store, so its
// dispatcher guards the send it is making (outbox.Dispatcher.Dropper).
func (s *Store) DropPending(ctx context.Context, key string, _ time.Time) (bool, error) {
	return s.updateOutbox(ctx, `DELETE FROM outbox WHERE key = ? AND status = 'pending'`, key)
}

// SkipPending marks an action skipped, with reason, while it is pending
// (state.PendingSkipper). One process writes this store, so its
// dispatcher guards the send it is making (outbox.Dispatcher.Skipper).
func (s *Store) SkipPending(ctx context.Context, key, reason string, now time.Time) (bool, error) {
	return s.updateOutbox(ctx, `UPDATE outbox SET status = 'skipped', finished_at = ?, last_error = ? WHERE key = ? AND status = 'pending'`, now.UnixNano(), reason, key)
}

// CountOutbox counts entries by status; the dashboard samples it, so it
// is one indexed aggregate rather than a listing.
func (s *Store) CountOutbox(ctx context.Context) (map[string]int, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT status, count(*) FROM outbox GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, err
		}
		out[status] = n
	}
	return out, rows.Err()
}

// OldestPending is when the oldest pending action was queued; zero when
// none is pending. The status index narrows it to the pending entries,
// few while delivery keeps up.
func (s *Store) OldestPending(ctx context.Context) (time.Time, error) {
	if err := s.Flush(ctx); err != nil {
		return time.Time{}, err
	}
	var at sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(`+queuedAt+`) FROM outbox WHERE status = 'pending'`).Scan(&at); err != nil || !at.Valid {
		return time.Time{}, err
	}
	return time.Unix(0, at.Int64).UTC(), nil
}

// Cursor returns where a platform's event stream was read up to; "" when
// never.
func (s *Store) Cursor(ctx context.Context, stream string) (string, error) {
	var c string
	err := s.db.QueryRowContext(ctx, `SELECT cursor FROM cursors WHERE stream = ?`, stream).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return c, err
}

// SetCursor records where a stream was read up to, once the events before
// it are committed.
func (s *Store) SetCursor(ctx context.Context, stream, cursor string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO cursors (stream, cursor) VALUES (?, ?)
		ON CONFLICT (stream) DO UPDATE SET cursor = excluded.cursor`, stream, cursor)
	return err
}
