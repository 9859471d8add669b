package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-community/hearth/engine/state"
)

// applyLock names the one apply lock per schema.
const applyLock = "apply"

// lockKey is the advisory lock's key: per schema, so two hearth
// installations in one database do not block each other.
const lockKey = `hashtextextended(current_schema() || '/hearth/apply', 0)`

// Resources returns every resource, by address, and the serial, read in
// one snapshot so the rows and the serial agree.
func (s *Store) Resources(ctx context.Context) ([]state.Resource, int64, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback(ctx)
	var serial int64
	if err := tx.QueryRow(ctx, `SELECT serial FROM state_meta`).Scan(&serial); err != nil {
		return nil, 0, fmt.Errorf("reading the state serial: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT address, platform, kind, id, community, attrs, prevent_destroy FROM resources ORDER BY address`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []state.Resource
	for rows.Next() {
		var r state.Resource
		var attrs []byte
		if err := rows.Scan(&r.Address, &r.Platform, &r.Kind, &r.ID, &r.Community, &attrs, &r.PreventDestroy); err != nil {
			return nil, 0, err
		}
		if err := json.Unmarshal(attrs, &r.Attrs); err != nil {
			return nil, 0, fmt.Errorf("resource %s: attributes: %w", r.Address, err)
		}
		out = append(out, r)
	}
	return out, serial, rows.Err()
}

const putResource = `INSERT INTO resources (address, platform, kind, id, community, attrs, prevent_destroy)
	VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
	ON CONFLICT (address) DO UPDATE SET platform = excluded.platform, kind = excluded.kind, id = excluded.id,
		community = excluded.community, attrs = excluded.attrs, prevent_destroy = excluded.prevent_destroy`

// PutResource inserts or replaces a resource and bumps the serial.
func (s *Store) PutResource(ctx context.Context, r state.Resource) (int64, error) {
	return s.PutResources(ctx, []state.Resource{r})
}

// PutResources records many resources in one transaction, bumping the
// serial once.
func (s *Store) PutResources(ctx context.Context, rs []state.Resource) (int64, error) {
	return s.change(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		for _, r := range rs {
			attrs, err := json.Marshal(r.Attrs)
			if err != nil {
				return err
			}
			b.Queue(putResource, r.Address, r.Platform, r.Kind, r.ID, r.Community, string(attrs), r.PreventDestroy)
		}
		return tx.SendBatch(ctx, &b).Close()
	})
}

// DeleteResource forgets an address and bumps the serial.
func (s *Store) DeleteResource(ctx context.Context, address string) (int64, error) {
	return s.change(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM resources WHERE address = $1`, address)
		return err
	})
}

// change runs fn and bumps the serial in the same transaction, so the
// serial never disagrees with the rows.
func (s *Store) change(ctx context.Context, fn func(pgx.Tx) error) (int64, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return 0, err
	}
	var serial int64
	if err := tx.QueryRow(ctx, `UPDATE state_meta SET serial = serial + 1 RETURNING serial`).Scan(&serial); err != nil {
		return 0, err
	}
	return serial, tx.Commit(ctx)
}

// Lock takes the apply lock: a session advisory lock on a connection
// this process keeps until Unlock, so a crashed apply frees it by itself.
// The locks row only says who holds it, for the message to others.
func (s *Store) Lock(ctx context.Context, info state.LockInfo) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+lockKey+`)`).Scan(&got); err != nil {
		conn.Release()
		return err
	}
	if !got {
		conn.Release()
		h := state.LockInfo{ID: "(unknown)", Who: "another process"}
		var at int64
		var session int32
		err := s.pool.QueryRow(ctx, `SELECT holder, who, at, pid FROM locks WHERE name = $1`, applyLock).Scan(&h.ID, &h.Who, &at, &session)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err == nil {
			h.When = time.Unix(0, at).UTC()
		}
		// The advisory lock was refused: a live session holds it. Its
		// pid is the server's backend, not a process on the holder's
		// host, so it is not one to look for there.
		return &state.LockedError{Holder: h, Status: state.HolderSession, Session: int(session)}
	}
	// Whoever held the row before lost the advisory lock with its
	// session: the row is stale.
	_, err = conn.Exec(ctx, `INSERT INTO locks (name, holder, who, at, pid) VALUES ($1, $2, $3, $4, pg_backend_pid())
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, who = excluded.who, at = excluded.at, pid = excluded.pid`,
		applyLock, info.ID, info.Who, info.When.UnixNano())
	if err != nil {
		_, _ = conn.Exec(ctx, `SELECT pg_advisory_unlock(`+lockKey+`)`)
		conn.Release()
		return err
	}
	s.mu.Lock()
	s.locks[info.ID] = conn
	s.mu.Unlock()
	return nil
}

// Unlock releases the lock with that id. From another process (hearth
// force-unlock) it also ends the database session still holding it, the
// one of an apply that hangs.
func (s *Store) Unlock(ctx context.Context, id string) error {
	s.mu.Lock()
	conn := s.locks[id]
	delete(s.locks, id)
	s.mu.Unlock()
	if conn != nil {
		defer conn.Release()
		if _, err := conn.Exec(ctx, `DELETE FROM locks WHERE name = $1 AND holder = $2`, applyLock, id); err != nil {
			return err
		}
		_, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(`+lockKey+`)`)
		return err
	}
	var pid int32
	err := s.pool.QueryRow(ctx, `DELETE FROM locks WHERE name = $1 AND holder = $2 RETURNING pid`, applyLock, id).Scan(&pid)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %q", state.ErrNotLocked, id)
	}
	if err != nil {
		return err
	}
	// The timeout makes the call wait until the session is gone and the
	// lock with it (PostgreSQL 14 and later).
	_, err = s.pool.Exec(ctx, `SELECT pg_terminate_backend(pid, 5000) FROM pg_locks
		WHERE locktype = 'advisory' AND pid = $1 AND granted
		AND ((classid::bigint << 32) | objid::bigint) = `+lockKey, pid)
	return err
}
