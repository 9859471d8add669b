package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
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

// EraseMember deletes the member's rows (its role grants too) in one
// transaction. A replica
// whose batch read the member before finds it changed at commit
// (ErrConflict) and applies its events again from the store, where the
// member is gone: no replica writes the erased document back.
func (s *Store) EraseMember(ctx context.Context, id string, opt state.EraseOptions) (state.Erased, error) {
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
	if _, err = tx.Exec(ctx, `DELETE FROM identities WHERE member = $1`, id); err != nil {
		return e, err
	}
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
	if e.RoleGrants, err = memberGrants(ctx, tx, id, opt.Identities); err != nil {
		return e, err
	}
	for _, g := range e.RoleGrants {
		if _, err := tx.Exec(ctx, `DELETE FROM role_grants WHERE platform = $1 AND community = $2 AND role = $3 AND member = $4`,
			g.Platform, g.Community, g.Role, g.Member); err != nil {
			return e, err
		}
	}
	if opt.RunKey != "" {
		if e.RunKeyOutcomes, err = rekeyOutcomes(ctx, tx, id, opt.RunKey); err != nil {
			return e, err
		}
		if e.RunKeyOutbox, err = rekeyOutbox(ctx, tx, id, opt); err != nil {
			return e, err
		}
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
	if _, err := s.pool.Exec(ctx, `VACUUM members, outcomes, outbox, role_grants`); err != nil {
		return e, fmt.Errorf("the member's rows are deleted, but VACUUM of their tables failed (forget again to retry): %w", err)
	}
	return e, nil
}

// rekeyOutcomes puts label in place of id where other members' outcomes
// name it as their campaign run's key. The query only narrows the rows
// down; state.RekeyOutcome decides.
func rekeyOutcomes(ctx context.Context, tx pgx.Tx, id, label string) (int64, error) {
	rows, err := tx.Query(ctx, `SELECT seq, kind, rule, detail FROM outcomes
		WHERE member <> $1 AND kind IN ('campaign', 'action') AND rule LIKE 'campaign.%' AND (strpos(detail, $2) > 0 OR strpos(detail, $3) > 0)`,
		id, "key "+strconv.Quote(id), "["+url.PathEscape(id)+"]/")
	if err != nil {
		return 0, err
	}
	seqs, err := state.RekeyOutcomeRows(rows, id, label)
	rows.Close()
	if err != nil {
		return 0, err
	}
	for seq, detail := range seqs {
		if _, err := tx.Exec(ctx, `UPDATE outcomes SET detail = $1 WHERE seq = $2`, detail, seq); err != nil {
			return 0, err
		}
	}
	return int64(len(seqs)), nil
}

// rekeyOutbox puts opt.RunKey in place of id in other members' outbox
// entries of campaign runs keyed by id, skipping those not sent
// (state.RekeyEntry), and counts them by the status they had. A key
// already taken refuses the whole erasure (the caller rolls back): the
// key is the entry's identity, and the action that had it must not be
// overwritten. A replica delivering one of the pending entries right now
// finds no row under its old key when it marks it: the entry stays
// skipped.
func rekeyOutbox(ctx context.Context, tx pgx.Tx, id string, opt state.EraseOptions) (map[string]int64, error) {
	rows, err := tx.Query(ctx, `SELECT key, data, status, last_error, finished_at FROM outbox
		WHERE member <> $1 AND key LIKE 'campaign/%' AND strpos(key, $2) > 0 FOR UPDATE`, id, "["+url.PathEscape(id)+"]/")
	if err != nil {
		return nil, err
	}
	changes, counts, err := state.RekeyRows(rows, id, opt)
	rows.Close()
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM outbox WHERE key = $1)`, c.Entry.Key).Scan(&taken); err != nil {
			return nil, err
		}
		if taken {
			return nil, state.ErrRunKeyTaken
		}
		data, err := json.Marshal(c.Entry.Action)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE outbox SET key = $1, data = $2::jsonb, status = $3, last_error = $4, finished_at = $5, lease_until = 0 WHERE key = $6`,
			c.Entry.Key, string(data), c.Entry.Status, c.Entry.LastError, c.Finished, c.Old); err != nil {
			return nil, err
		}
	}
	return counts, nil
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
		return false, b.s.failure(err)
	}
	if b.suppressed == nil {
		b.suppressed = map[string]bool{}
	}
	b.suppressed[id] = on
	return on, nil
}
