package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

var _ state.Eraser = (*Store)(nil)

// MemberOutcomes returns the member's outcomes, oldest first.
func (s *Store) MemberOutcomes(ctx context.Context, member string, limit int) ([]state.Outcome, error) {
	return s.Outcomes(ctx, member, limit)
}

// MemberOutbox returns the member's outbox entries, oldest first.
func (s *Store) MemberOutbox(ctx context.Context, member string) ([]state.OutboxEntry, error) {
	return s.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE member = ? ORDER BY next_at, key`, member)
}

// EraseMember deletes the member's rows (its role grants too) in one
// transaction, once the
// batches committed before are in the database, and drops the member
// from the cache, so no later batch starts from the erased document.
// The connection it uses overwrites what it deletes, free pages too
// (secure_delete ON, where the store's connections have FAST).
func (s *Store) EraseMember(ctx context.Context, id string, opt state.EraseOptions) (state.Erased, error) {
	var e state.Erased
	if err := s.Flush(ctx); err != nil {
		return e, err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return e, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return e, err
	}
	// The connection goes back to the pool: the setting goes with it.
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA secure_delete = FAST`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return e, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM members WHERE id = ?`, id)
	if err != nil {
		return e, err
	}
	n, _ := res.RowsAffected()
	e.Member = n > 0
	if _, err = tx.ExecContext(ctx, `DELETE FROM identities WHERE member = ?`, id); err != nil {
		return e, err
	}
	if res, err = tx.ExecContext(ctx, `DELETE FROM outcomes WHERE member = ?`, id); err != nil {
		return e, err
	}
	e.Outcomes, _ = res.RowsAffected()
	if res, err = tx.ExecContext(ctx, `UPDATE outcomes SET src = CASE WHEN src = ?1 THEN '' ELSE src END,
		dst = CASE WHEN dst = ?1 THEN '' ELSE dst END WHERE src = ?1 OR dst = ?1`, id); err != nil {
		return e, err
	}
	e.OutcomeRefs, _ = res.RowsAffected()
	rows, err := tx.QueryContext(ctx, `SELECT status, count(*) FROM outbox WHERE member = ? GROUP BY status`, id)
	if err != nil {
		return e, err
	}
	for rows.Next() {
		var status string
		var c int64
		if err := rows.Scan(&status, &c); err != nil {
			rows.Close()
			return e, err
		}
		if e.Outbox == nil {
			e.Outbox = map[string]int64{}
		}
		e.Outbox[status] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return e, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE member = ?`, id); err != nil {
		return e, err
	}
	if e.RoleGrants, err = memberGrants(ctx, tx, id, opt.Identities); err != nil {
		return e, err
	}
	for _, g := range e.RoleGrants {
		if _, err := tx.ExecContext(ctx, `DELETE FROM role_grants WHERE platform = ? AND community = ? AND role = ? AND member = ?`,
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
	if err := tx.Commit(); err != nil {
		return e, err
	}
	s.mu.Lock()
	s.cache.drop(id)
	delete(s.pinned, id)
	delete(s.pinDoc, id)
	s.writes++ // DueBy reads the earliest recheck times again
	s.mu.Unlock()
	// secure_delete overwrote the rows, but not older copies: earlier
	// versions of the member's document and rows in the journal's
	// records, and bytes a page split or an update left in a page's
	// unused space. The writer clears the files.
	if err := s.scrub(ctx); err != nil {
		return e, fmt.Errorf("the member's rows are deleted, but old copies may remain in the files (forget again to retry): %w", err)
	}
	return e, nil
}

// rekeyOutcomes puts label in place of id where other members' outcomes
// name it as their campaign run's key. The query only narrows the rows
// down; state.RekeyOutcome decides.
func rekeyOutcomes(ctx context.Context, tx *sql.Tx, id, label string) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, kind, rule, detail FROM outcomes
		WHERE member != ?1 AND kind IN ('campaign', 'action') AND rule LIKE 'campaign.%' AND (instr(detail, ?2) > 0 OR instr(detail, ?3) > 0)`,
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
		if _, err := tx.ExecContext(ctx, `UPDATE outcomes SET detail = ? WHERE seq = ?`, detail, seq); err != nil {
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
// overwritten.
func rekeyOutbox(ctx context.Context, tx *sql.Tx, id string, opt state.EraseOptions) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT key, data, status, last_error, finished_at FROM outbox
		WHERE member != ?1 AND key LIKE 'campaign/%' AND instr(key, ?2) > 0`, id, "["+url.PathEscape(id)+"]/")
	if err != nil {
		return nil, err
	}
	changes, counts, err := state.RekeyRows(rows, id, opt)
	rows.Close()
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE key = ?`, c.Entry.Key).Scan(&taken); err != nil {
			return nil, err
		}
		if taken > 0 {
			return nil, state.ErrRunKeyTaken
		}
		data, err := json.Marshal(c.Entry.Action)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET key = ?, data = ?, status = ?, last_error = ?, finished_at = ? WHERE key = ?`,
			c.Entry.Key, data, c.Entry.Status, c.Entry.LastError, c.Finished, c.Old); err != nil {
			return nil, err
		}
	}
	return counts, nil
}

// scrub asks the writer to leave no bytes of deleted data in the files
// (scrubFiles), after the jobs queued before, and waits for it.
func (s *Store) scrub(ctx context.Context) error {
	done := make(chan error, 1)
	s.mu.Lock()
	q := s.writerQueue()
	s.mu.Unlock()
	select {
	case q <- &job{scrub: done}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// scrubFiles runs on the writer, so no batch is journaled or written
// meanwhile. Once the folder has folded every journaled batch, it zeroes
// the database's unused bytes in place (scrubPages: free pages, and the
// space a page's rows do not fill, where split pages keep old copies of
// rows), checkpoints the write-ahead log into the database and empties
// it, and overwrites and empties the journal's files. It reads the whole
// database and writes the pages it zeroes.
func (s *Store) scrubFiles() error {
	s.mu.Lock()
	for s.jr != nil && s.failed == nil && (s.folded != s.journaled || len(s.toFold) > 0) {
		s.foldUrgent = true
		s.kickFolder()
		s.foldCond.Wait()
	}
	failed := s.refusal()
	s.mu.Unlock()
	if failed != nil {
		return failed
	}
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	read, written, err := scrubPages(ctx, tx)
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("zeroing the database's unused space: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("zeroing the database's unused space: %w", err)
	}
	s.mu.Lock()
	s.scrubbed = [2]int{read, written}
	s.mu.Unlock()
	if err := s.checkpoint(ctx); err != nil {
		return err
	}
	if s.jr != nil {
		if err := s.jr.wipe(); err != nil {
			return fmt.Errorf("emptying the journal: %w", err)
		}
	}
	return nil
}

// checkpoint moves the write-ahead log into the database and truncates
// it, waiting a while for readers of older pages to finish.
func (s *Store) checkpoint(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		var busy, logged, moved int
		if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &moved); err != nil {
			return fmt.Errorf("checkpointing the write-ahead log: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("a reader kept the write-ahead log busy: it still holds old pages until the next checkpoint")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loadSuppressed reads the suppression list.
func (s *Store) loadSuppressed(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT key FROM suppressed`)
	if err != nil {
		return err
	}
	keys, err := state.ScanIDs(rows)
	rows.Close()
	if err != nil {
		return err
	}
	set := make(map[string]bool, len(keys))
	for _, k := range keys {
		set[k] = true
	}
	s.mu.Lock()
	s.suppressed = set
	s.mu.Unlock()
	return nil
}

// Suppress puts id on the suppression list.
func (s *Store) Suppress(ctx context.Context, id string, at time.Time) error {
	k := state.SuppressionKey(id)
	if _, err := s.db.ExecContext(ctx, `INSERT INTO suppressed (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, k, at.UnixNano()); err != nil {
		return err
	}
	s.mu.Lock()
	s.suppressed[k] = true
	s.mu.Unlock()
	return nil
}

// Unsuppress takes id off the suppression list.
func (s *Store) Unsuppress(ctx context.Context, id string) (bool, error) {
	k := state.SuppressionKey(id)
	res, err := s.db.ExecContext(ctx, `DELETE FROM suppressed WHERE key = ?`, k)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	s.mu.Lock()
	delete(s.suppressed, k)
	s.mu.Unlock()
	return n > 0, nil
}

// IsSuppressed reports whether id is on the suppression list.
func (s *Store) IsSuppressed(_ context.Context, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.suppressed[state.SuppressionKey(id)], nil
}

var _ state.SuppressionBatch = (*batch)(nil)

// Suppressed reports whether id is on the suppression list.
func (b *batch) Suppressed(id string) (bool, error) {
	s := b.store
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.suppressed) > 0 && s.suppressed[state.SuppressionKey(id)], nil
}
