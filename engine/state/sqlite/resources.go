package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// applyLock is the one row of the locks table: there is one apply lock
// per state database.
const applyLock = "apply"

// Resources is the resource half of the state store (engine/plan.Store); one read transaction makes
// the rows and the serial agree.
func (s *Store) Resources(ctx context.Context) ([]state.Resource, int64, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var serial int64
	if err := tx.QueryRowContext(ctx, `SELECT serial FROM state_meta`).Scan(&serial); err != nil {
		return nil, 0, fmt.Errorf("reading the state serial: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT address, platform, kind, id, community, attrs, prevent_destroy FROM resources ORDER BY address`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []state.Resource
	for rows.Next() {
		var r state.Resource
		var attrs string
		if err := rows.Scan(&r.Address, &r.Platform, &r.Kind, &r.ID, &r.Community, &attrs, &r.PreventDestroy); err != nil {
			return nil, 0, err
		}
		if err := json.Unmarshal([]byte(attrs), &r.Attrs); err != nil {
			return nil, 0, fmt.Errorf("resource %s: attributes: %w", r.Address, err)
		}
		out = append(out, r)
	}
	return out, serial, rows.Err()
}

// PutResource is the resource half of the state store (engine/plan.Store).
func (s *Store) PutResource(ctx context.Context, r state.Resource) (int64, error) {
	attrs, err := json.Marshal(r.Attrs)
	if err != nil {
		return 0, err
	}
	return s.change(ctx, `INSERT OR REPLACE INTO resources (address, platform, kind, id, community, attrs, prevent_destroy) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.Address, r.Platform, r.Kind, r.ID, r.Community, string(attrs), r.PreventDestroy)
}

// DeleteResource is the resource half of the state store (engine/plan.Store).
func (s *Store) DeleteResource(ctx context.Context, address string) (int64, error) {
	return s.change(ctx, `DELETE FROM resources WHERE address = ?`, address)
}

// change runs one statement and bumps the serial in the same
// transaction, so the serial never disagrees with the rows.
func (s *Store) change(ctx context.Context, query string, args ...any) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		return 0, err
	}
	var serial int64
	if err := tx.QueryRowContext(ctx, `UPDATE state_meta SET serial = serial + 1 RETURNING serial`).Scan(&serial); err != nil {
		return 0, err
	}
	return serial, tx.Commit()
}

// Lock is the resource half of the state store (engine/plan.Store). The insert either makes the row
// or finds it, inside one immediate transaction, so two processes cannot
// both win.
func (s *Store) Lock(ctx context.Context, info state.LockInfo) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var h state.LockInfo
	var at int64
	err = tx.QueryRowContext(ctx, `SELECT holder, who, at, pid FROM locks WHERE name = ?`, applyLock).Scan(&h.ID, &h.Who, &at, &h.PID)
	switch {
	case err == nil:
		h.When = time.Unix(0, at).UTC()
		return &state.LockedError{Holder: h}
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO locks (name, holder, who, at, pid) VALUES (?, ?, ?, ?, ?)`, applyLock, info.ID, info.Who, info.When.UnixNano(), info.PID); err != nil {
		return err
	}
	return tx.Commit()
}

// Unlock is the resource half of the state store (engine/plan.Store).
func (s *Store) Unlock(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM locks WHERE name = ? AND holder = ?`, applyLock, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("%w: %q", state.ErrNotLocked, id)
	}
	return nil
}

// PutResources records many resources in one transaction, bumping the
// serial once: for adopting many objects at a time (imports, tests and
// benchmarks), where one transaction per object would take a sync each.
func (s *Store) PutResources(ctx context.Context, rs []state.Resource) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO resources (address, platform, kind, id, community, attrs, prevent_destroy) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	for _, r := range rs {
		attrs, err := json.Marshal(r.Attrs)
		if err != nil {
			return 0, err
		}
		if _, err := stmt.ExecContext(ctx, r.Address, r.Platform, r.Kind, r.ID, r.Community, string(attrs), r.PreventDestroy); err != nil {
			return 0, err
		}
	}
	var serial int64
	if err := tx.QueryRowContext(ctx, `UPDATE state_meta SET serial = serial + 1 RETURNING serial`).Scan(&serial); err != nil {
		return 0, err
	}
	return serial, tx.Commit()
}
