// Package sqlite is hearth's embedded durable store: one SQLite file (pure
// Go driver, WAL, synchronous=FULL), so hearth needs nothing installed.
// Member state is kept as one JSON document per member; many events are
// committed per transaction.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/hearth-community/hearth/engine/state"
)

// migrations bring a database to the current schema, in order. Never edit
// one that has shipped: add another.
var migrations = []string{
	`CREATE TABLE events (
		id TEXT PRIMARY KEY,
		at INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE members (
		id         TEXT PRIMARY KEY,
		data       BLOB NOT NULL,
		recheck_at INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID;
	CREATE INDEX members_recheck ON members (recheck_at) WHERE recheck_at > 0;
	CREATE TABLE outcomes (
		seq    INTEGER PRIMARY KEY AUTOINCREMENT,
		kind   TEXT NOT NULL,
		member TEXT NOT NULL,
		name   TEXT NOT NULL,
		change TEXT NOT NULL,
		at     INTEGER NOT NULL,
		rule   TEXT NOT NULL,
		event  TEXT NOT NULL,
		points INTEGER NOT NULL DEFAULT 0,
		data   TEXT NOT NULL
	);
	CREATE INDEX outcomes_member ON outcomes (member, seq);`,
}

// Store is a SQLite-backed state.Store.
type Store struct {
	db    *sql.DB
	path  string
	cache memberCache
}

// memberCache keeps decoded members between batches, so a busy member is
// not read and decoded for every batch. Two generations approximate LRU:
// when the young one fills, the old one is dropped.
type memberCache struct {
	young, old map[string]*state.Member
	limit      int
}

func (c *memberCache) get(id string) *state.Member {
	if m, ok := c.young[id]; ok {
		return m
	}
	if m, ok := c.old[id]; ok {
		c.put(m)
		return m
	}
	return nil
}

func (c *memberCache) put(m *state.Member) {
	if c.young == nil || len(c.young) >= c.limit {
		c.old, c.young = c.young, make(map[string]*state.Member, c.limit)
	}
	c.young[m.ID] = m
}

func (c *memberCache) drop(id string) {
	delete(c.young, id)
	delete(c.old, id)
}

var _ state.Store = (*Store)(nil)

// Open opens or creates the database at path and migrates it.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("state directory: %w", err)
		}
	}
	// Write transactions take the lock when they begin (_txlock=immediate),
	// so two writers queue on busy_timeout instead of failing on upgrade;
	// WAL lets readers go on while one writes.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=cache_size(-65536)&_pragma=mmap_size(268435456)&_pragma=temp_store(memory)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, path: path, cache: memberCache{limit: 50000}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.db.ExecContext(ctx, `INSERT INTO schema_version VALUES (0)`); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this hearth knows (%d); upgrade hearth", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, i+1); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Begin starts a write transaction.
func (s *Store) Begin(ctx context.Context) (state.Batch, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &batch{ctx: ctx, tx: tx, store: s, members: map[string]*state.Member{}, seen: map[string]int64{}, claimed: map[string]bool{}}, nil
}

// Members visits every member in id order.
func (s *Store) Members(ctx context.Context, fn func(*state.Member) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM members ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return err
		}
		m := &state.Member{}
		if err := json.Unmarshal(data, m); err != nil {
			return fmt.Errorf("member record: %w", err)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return rows.Err()
}

// batch buffers member writes and seen events, and writes them at commit:
// a member touched by many events in one batch is encoded once.
type batch struct {
	ctx      context.Context
	tx       *sql.Tx
	store    *Store
	claimed  map[string]bool
	members  map[string]*state.Member
	seen     map[string]int64
	outcomes []state.Outcome
	done     bool
}

func (b *batch) Seen(id string) (bool, error) {
	if _, ok := b.seen[id]; ok || b.claimed[id] {
		return true, nil
	}
	var one int
	err := b.tx.QueryRowContext(b.ctx, `SELECT 1 FROM events WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Claim inserts the event id at once, so a duplicate costs one statement
// and a new event needs no separate check.
func (b *batch) Claim(id string, at time.Time) (bool, error) {
	if _, ok := b.seen[id]; ok {
		return false, nil
	}
	res, err := b.tx.ExecContext(b.ctx, `INSERT INTO events (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, id, at.UnixNano())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	b.claimed[id] = true
	return true, nil
}

func (b *batch) MarkSeen(id string, at time.Time) error {
	if b.claimed[id] {
		return nil
	}
	b.seen[id] = at.UnixNano()
	return nil
}

func (b *batch) Member(id string) (*state.Member, error) {
	if m, ok := b.members[id]; ok {
		return m, nil
	}
	if m := b.store.cache.get(id); m != nil {
		b.members[id] = m
		return m, nil
	}
	var data []byte
	err := b.tx.QueryRowContext(b.ctx, `SELECT data FROM members WHERE id = ?`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, state.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	m := &state.Member{}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("member %s: %w", id, err)
	}
	b.members[id] = m
	return m, nil
}

func (b *batch) SaveMember(m *state.Member) error {
	b.members[m.ID] = m
	return nil
}

func (b *batch) Due(t time.Time, limit int) ([]string, error) {
	rows, err := b.tx.QueryContext(b.ctx, `SELECT id FROM members WHERE recheck_at > 0 AND recheck_at <= ? ORDER BY recheck_at, id LIMIT ?`, t.UnixNano(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (b *batch) AppendOutcomes(o []state.Outcome) error {
	b.outcomes = append(b.outcomes, o...)
	return nil
}

func (b *batch) Commit() error {
	if b.done {
		return errors.New("batch already finished")
	}
	b.done = true
	if err := b.flush(); err != nil {
		b.forget()
		b.tx.Rollback()
		return err
	}
	if err := b.tx.Commit(); err != nil {
		b.forget()
		return err
	}
	for _, m := range b.members {
		b.store.cache.put(m)
	}
	return nil
}

// forget drops the batch's members from the cache: the runtime may have
// changed them, and those changes were not committed.
func (b *batch) forget() {
	for id := range b.members {
		b.store.cache.drop(id)
	}
}

func (b *batch) flush() error {
	if len(b.seen) > 0 {
		st, err := b.tx.PrepareContext(b.ctx, `INSERT INTO events (id, at) VALUES (?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for id, at := range b.seen {
			if _, err := st.ExecContext(b.ctx, id, at); err != nil {
				return fmt.Errorf("event %s: %w", id, err)
			}
		}
	}
	if len(b.members) > 0 {
		st, err := b.tx.PrepareContext(b.ctx, `INSERT INTO members (id, data, recheck_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET data = excluded.data, recheck_at = excluded.recheck_at`)
		if err != nil {
			return err
		}
		defer st.Close()
		for id, m := range b.members {
			data, err := json.Marshal(m)
			if err != nil {
				return fmt.Errorf("member %s: %w", id, err)
			}
			var recheck int64
			if !m.RecheckAt.IsZero() {
				recheck = m.RecheckAt.UnixNano()
			}
			if _, err := st.ExecContext(b.ctx, id, data, recheck); err != nil {
				return fmt.Errorf("member %s: %w", id, err)
			}
		}
	}
	if len(b.outcomes) > 0 {
		st, err := b.tx.PrepareContext(b.ctx, `INSERT INTO outcomes (kind, member, name, change, at, rule, event, points, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, o := range b.outcomes {
			data, _ := json.Marshal(o)
			if _, err := st.ExecContext(b.ctx, o.Kind, o.Member, o.Name, o.Change, o.At.UnixNano(), o.Rule, o.Event, o.Points, string(data)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *batch) Rollback() error {
	if b.done {
		return nil
	}
	b.done = true
	b.forget()
	return b.tx.Rollback()
}

// Outcomes returns a member's outcomes, oldest first, at most limit.
func (s *Store) Outcomes(ctx context.Context, member string, limit int) ([]state.Outcome, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM outcomes WHERE member = ? ORDER BY seq LIMIT ?`, member, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []state.Outcome
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var o state.Outcome
		if err := json.Unmarshal([]byte(data), &o); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
