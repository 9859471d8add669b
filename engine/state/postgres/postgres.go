// Package postgres is hearth's shared state store: member state, the
// ledger, timers, the outbox and platform resources in PostgreSQL (pgx),
// so several `hearth run` replicas can work on one community.
//
// Replicas never overwrite each other: each member row carries a version,
// and a batch commits only if every member it read is still at the
// version it read (optimistic concurrency); otherwise the whole batch
// fails with ErrConflict and nothing of it is kept. Event ids are claimed
// in the same transaction, so an event applied by one replica is a
// duplicate for all others. Timers and outbox rows are handed out with
// FOR UPDATE SKIP LOCKED and a lease, so replicas share them and no row
// is worked on by two at once. The apply lock is a PostgreSQL advisory
// lock held by the applying process's session.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hearth-community/hearth/engine/state"
)

// migrations bring a schema to the current version, in order. Never edit
// one that has shipped: add another. Text keys use the "C" collation so
// ordering is by bytes, as in the SQLite store, and B-tree friendly.
var migrations = []string{
	`CREATE TABLE events (
		id TEXT COLLATE "C" PRIMARY KEY,
		at BIGINT NOT NULL
	);
	CREATE TABLE members (
		id            TEXT COLLATE "C" PRIMARY KEY,
		data          JSONB NOT NULL,
		version       BIGINT NOT NULL DEFAULT 1,
		hash          BIGINT NOT NULL,
		recheck_at    BIGINT NOT NULL DEFAULT 0,
		recheck_lease BIGINT NOT NULL DEFAULT 0
	);
	CREATE INDEX members_recheck ON members (recheck_at) WHERE recheck_at > 0;
	CREATE TABLE outcomes (
		seq    BIGSERIAL PRIMARY KEY,
		kind   TEXT NOT NULL,
		member TEXT COLLATE "C" NOT NULL,
		name   TEXT NOT NULL,
		change TEXT NOT NULL,
		at     BIGINT NOT NULL,
		rule   TEXT NOT NULL,
		event  TEXT NOT NULL,
		points BIGINT NOT NULL DEFAULT 0,
		src    TEXT NOT NULL DEFAULT '',
		dst    TEXT NOT NULL DEFAULT '',
		detail TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX outcomes_member ON outcomes (member, seq);
	CREATE TABLE outbox (
		key         TEXT COLLATE "C" PRIMARY KEY,
		member      TEXT NOT NULL,
		kind        TEXT NOT NULL,
		at          BIGINT NOT NULL,
		status      TEXT NOT NULL DEFAULT 'pending',
		attempts    INTEGER NOT NULL DEFAULT 0,
		next_at     BIGINT NOT NULL,
		last_error  TEXT NOT NULL DEFAULT '',
		sent_at     BIGINT NOT NULL DEFAULT 0,
		lease_until BIGINT NOT NULL DEFAULT 0,
		data        JSONB NOT NULL
	);
	CREATE INDEX outbox_due ON outbox (status, next_at);
	CREATE TABLE resources (
		address         TEXT COLLATE "C" PRIMARY KEY,
		platform        TEXT NOT NULL,
		kind            TEXT NOT NULL,
		id              TEXT NOT NULL,
		community       TEXT NOT NULL DEFAULT '',
		attrs           JSONB NOT NULL,
		prevent_destroy BOOLEAN NOT NULL DEFAULT false
	);
	CREATE TABLE state_meta (
		serial BIGINT NOT NULL
	);
	INSERT INTO state_meta VALUES (0);
	CREATE TABLE locks (
		name   TEXT PRIMARY KEY,
		holder TEXT NOT NULL,
		who    TEXT NOT NULL,
		at     BIGINT NOT NULL,
		pid    INTEGER NOT NULL
	);
	CREATE TABLE cursors (
		stream TEXT PRIMARY KEY,
		cursor TEXT NOT NULL
	);`,
	// 2: forgetting old event ids (state.Pruner): ids by event time, and
	// the time before which ids are forgotten.
	`CREATE INDEX events_at ON events (at);
	ALTER TABLE state_meta ADD COLUMN ids_before BIGINT NOT NULL DEFAULT 0;`,
	// 3: community tallies for reports (engine/analytics). Each replica
	// adds to rows of its own shard, so replicas never wait on each
	// other's counters; a reader sums the shards.
	`CREATE TABLE tallies (
		key   TEXT COLLATE "C" NOT NULL,
		shard INTEGER NOT NULL,
		n     BIGINT NOT NULL,
		PRIMARY KEY (key, shard)
	);`,
	// 4: community documents (figures and alert state). Figures are
	// counters per bucket, added to in shards like tallies; alert state
	// is one row per alert with a version, changed only by the replica
	// that read the current one.
	`CREATE TABLE community_counts (
		community TEXT COLLATE "C" NOT NULL,
		series    TEXT COLLATE "C" NOT NULL,
		bucket    BIGINT NOT NULL,
		shard     INTEGER NOT NULL,
		n         BIGINT NOT NULL,
		PRIMARY KEY (community, series, bucket, shard)
	);
	CREATE TABLE community_alerts (
		community TEXT COLLATE "C" NOT NULL,
		name      TEXT COLLATE "C" NOT NULL,
		data      JSONB NOT NULL,
		version   BIGINT NOT NULL DEFAULT 1,
		PRIMARY KEY (community, name)
	);`,
	// 5: the suppression list (erase.go): members who asked to be
	// forgotten, by state.SuppressionKey.
	`CREATE TABLE suppressed (
		key TEXT COLLATE "C" PRIMARY KEY,
		at  BIGINT NOT NULL
	);`,
	// 6: when each finished outbox entry (sent, dead, skipped) finished,
	// which retention counts from. Entries finished before it get the
	// time they already have (state.OutboxFinishedAt): a sent one's
	// sent_at, a dead or skipped one's next_at, when it was last due.
	`ALTER TABLE outbox ADD COLUMN finished_at BIGINT NOT NULL DEFAULT 0;
	UPDATE outbox SET finished_at = CASE status WHEN 'sent' THEN sent_at ELSE next_at END WHERE status <> 'pending';`,
	// 7: a campaign's outcomes by its rule, in order (CampaignOutcomes,
	// for campaign show), which read the whole table before. Partial:
	// the points, tier, segment and moderation outcomes most events
	// leave are not written to it. A query uses it only when it says
	// the predicate itself (campaignOutcomesQuery). Built in the migration's
	// transaction, so writes wait for it (CONCURRENTLY cannot run in
	// one); on a large table, create it beforehand with CREATE INDEX
	// CONCURRENTLY under this name and definition, and this step keeps
	// it.
	`CREATE INDEX IF NOT EXISTS outcomes_campaign ON outcomes (rule, seq) WHERE rule LIKE 'campaign.%';`,
	// 8: the content digest of each event beside its id
	// (state.DigestClaimer), so an id sent again with other content can
	// be told from a retry. NULL for ids stored before: unknown, never
	// warned about. A nullable column with no default changes no row.
	`ALTER TABLE events ADD COLUMN digest BIGINT;`,
	// 9: the daemons serving this state, each with the bus stream it
	// reads ('' for one applying what it takes) and a heartbeat, so that
	// a daemon without -bus does not start beside replicas on a bus, nor
	// one on a bus beside it (Serve). Times are the database's clock.
	`CREATE TABLE servers (
		id         TEXT COLLATE "C" PRIMARY KEY,
		bus        TEXT NOT NULL,
		address    TEXT NOT NULL DEFAULT '',
		seen_at    BIGINT NOT NULL,
		expires_at BIGINT NOT NULL
	);`,
	// 10: the role assignments hearth made (state.RoleGrant), by apply
	// or by a replica's outbox: hearth takes back only those, so roles
	// given by hand stay.
	`CREATE TABLE role_grants (
		platform  TEXT COLLATE "C" NOT NULL,
		community TEXT COLLATE "C" NOT NULL,
		role      TEXT COLLATE "C" NOT NULL,
		member    TEXT COLLATE "C" NOT NULL,
		at        BIGINT NOT NULL,
		PRIMARY KEY (platform, community, role, member)
	);`,
	// 11: when each outbox entry was queued, by the clock of the replica
	// that committed it (state.OutboxEntry.QueuedAt), which its wait in
	// the outbox counts from: its action's at is event time, days back
	// after a backfill of old events. Entries queued before get their
	// at, what their wait was counted from until then.
	`ALTER TABLE outbox ADD COLUMN queued_at BIGINT NOT NULL DEFAULT 0;
	UPDATE outbox SET queued_at = at;`,
	// 12: the size history of segments and tiers is anchored on the
	// members stored (anchorSizes, in the migrations' transaction):
	// reports give it from the latest event's day on.
	`SELECT 1`,
	// 13: the identity index (state.IdentityIndex): the member holding
	// each platform identity, so an event from a platform account
	// applies to the member it belongs to. Filled from the members
	// stored; where two hold one identity (as hearth let them before),
	// the first by id keeps it.
	`CREATE TABLE identities (
		platform TEXT COLLATE "C" NOT NULL,
		identity TEXT COLLATE "C" NOT NULL,
		member   TEXT COLLATE "C" NOT NULL,
		PRIMARY KEY (platform, identity)
	);
	CREATE INDEX identities_member ON identities (member);
	INSERT INTO identities (platform, identity, member)
		SELECT i.key, i.value, m.id FROM members m, jsonb_each_text(m.data->'identities') AS i
		WHERE jsonb_typeof(m.data->'identities') = 'object'
		ORDER BY m.id
		ON CONFLICT (platform, identity) DO NOTHING;`,
}

// sizesMigration is the migration after which anchorSizes has run.
const sizesMigration = 12

// identitiesMigration is the migration that adds the identity index.
const identitiesMigration = 13

// readableFrom is the oldest schema version a read-only store reads:
// every table and column the reads of this hearth use exist from it on
// (11: the outbox's queued_at, which outbox list reads; 13 adds the
// identity index, which MemberByIdentity reads, answering
// ErrNoIdentityIndex before it). A migration only writers need (an
// index, a column only written) leaves it; one adding what a read uses
// raises it to its own number.
const readableFrom = 11

// ErrConflict fails a commit when another replica changed a member this
// batch read, or applied one of its events first. Nothing of the batch is
// kept; applying the same events again is safe.
var ErrConflict = errors.New("state changed by another replica meanwhile")

// Options tune a store.
type Options struct {
	// Schema keeps hearth's tables in their own schema, created when
	// missing. Empty uses the connection's search_path.
	Schema string
	// Lease is how long a claimed timer or outbox row stays with the
	// replica that claimed it before others may take it (default 30s):
	// longer than one delivery round, short enough that a dead replica's
	// work is picked up soon.
	Lease time.Duration
	// MaxConns bounds the connection pool (default 8).
	MaxConns int32
	Log      *slog.Logger
	// ReadOnly opens for a command that only reads (plan, drift, state
	// list): it creates no schema, migrates nothing, and its sessions
	// are read-only (default_transaction_read_only), so a role that may
	// only SELECT can use it. A schema that does not exist or holds no
	// hearth tables fails with a *NoStateError, one older than this
	// hearth reads with a *state.OldSchemaError.
	ReadOnly bool
}

// NoStateError is a read-only open of a schema without hearth's tables.
// It wraps state.ErrNoState.
type NoStateError struct {
	Where string // host/database
	Why   string // which schema, and what it lacks
}

func (e *NoStateError) Error() string {
	return fmt.Sprintf("no hearth state in PostgreSQL %s yet: %s", e.Where, e.Why)
}

func (e *NoStateError) Unwrap() error { return state.ErrNoState }

// Store is a PostgreSQL-backed state.Store.
type Store struct {
	pool  *pgxpool.Pool
	lease time.Duration
	log   *slog.Logger
	where string // host/database, for messages: never the password
	// noIdentities says a read-only store's schema predates the
	// identity index.
	noIdentities bool

	mu    sync.Mutex
	locks map[string]*pgxpool.Conn // apply locks this process holds, by id
	// shard is the tally rows this store adds to (see migration 3).
	shard int32
	// trimmed is when each community's old counters were last deleted;
	// guarded by mu.
	trimmed map[string]time.Time
	// idsBefore is the id horizon (Unix nanoseconds) as this replica last
	// read it; Claim refuses by it early, and every commit checks the
	// stored one, which another replica may have moved.
	idsBefore atomic.Int64
	// now stamps the outbox entries' queued_at (SetQueueClock); nil is
	// time.Now. Set before the store is used.
	now func() time.Time
	// health is whether the database answers (health.go); armed once
	// Open succeeded, so a failed Open leaves no probe behind.
	health *health
}

var _ state.Store = (*Store)(nil)

var _ state.QueueClock = (*Store)(nil)

// SetQueueClock sets the clock that stamps queued actions
// (state.QueueClock), before the store is used. It is this replica's:
// the daemon measures an entry's wait against its own clock.
func (s *Store) SetQueueClock(now func() time.Time) { s.now = now }

func (s *Store) queueNow() time.Time {
	if s.now == nil {
		return time.Now()
	}
	return s.now()
}

// Open connects, creating the schema when asked, and migrates. Errors
// never include the connection string, which may hold a password.
func Open(ctx context.Context, connString string, opt Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx's message quotes the string it could not parse.
		return nil, errors.New("the PostgreSQL state URL is not valid: expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=...]")
	}
	if opt.Lease <= 0 {
		opt.Lease = 30 * time.Second
	}
	if opt.MaxConns <= 0 {
		opt.MaxConns = 8
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	cfg.MaxConns = opt.MaxConns
	if opt.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = opt.Schema
	}
	if opt.ReadOnly {
		// The server refuses any write, whatever a code path tries.
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	where := fmt.Sprintf("%s/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Database)
	s := &Store{lease: opt.Lease, log: opt.Log, where: where, locks: map[string]*pgxpool.Conn{},
		shard: rand.Int32N(tallyShards), health: &health{stop: make(chan struct{})}}
	cfg.ConnConfig.Tracer = healthTracer{s}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL %s: %w", where, tidyConnectError(err))
	}
	s.pool = pool
	if opt.ReadOnly {
		if err := s.checkReadable(ctx); err != nil {
			pool.Close()
			// Both name the database already.
			var none *NoStateError
			var old *state.OldSchemaError
			if errors.As(err, &none) || errors.As(err, &old) {
				return nil, err
			}
			return nil, fmt.Errorf("PostgreSQL %s: %w", where, tidyConnectError(err))
		}
	} else if opt.Schema != "" {
		// Replicas starting together may race to create it; losing that
		// race is fine.
		var pgErr *pgconn.PgError
		if _, err := pool.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{opt.Schema}.Sanitize()); err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "23505") {
			pool.Close()
			return nil, fmt.Errorf("PostgreSQL %s: creating schema %s: %w", where, opt.Schema, err)
		}
	}
	if !opt.ReadOnly {
		if err := s.migrate(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("PostgreSQL %s: %w", where, tidyConnectError(err))
		}
	}
	if _, err := s.IDHorizon(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("PostgreSQL %s: %w", where, tidyConnectError(err))
	}
	s.health.armed.Store(true)
	return s, nil
}

// tidyConnectError keeps one of each line of a connection error: pgx
// tries each address once with TLS and once without (sslmode=prefer,
// the default), and lists every try, so a refused connection or an
// unknown role read twice, word for word.
func tidyConnectError(err error) error {
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) {
		return err
	}
	lines := strings.Split(err.Error(), "\n")
	var kept []string
	for _, l := range lines {
		if !slices.Contains(kept, l) {
			kept = append(kept, l)
		}
	}
	if len(kept) == len(lines) {
		return err
	}
	msg := strings.Join(kept, "\n")
	if len(kept) == 2 {
		// "failed to connect to ...:" and one reason: one line.
		msg = kept[0] + " " + strings.TrimSpace(kept[1])
	}
	return &tidiedError{msg: msg, err: err}
}

// tidiedError is an error with a shorter message of the same content.
type tidiedError struct {
	msg string
	err error
}

func (e *tidiedError) Error() string { return e.msg }
func (e *tidiedError) Unwrap() error { return e.err }

// Where names the server and database, without credentials.
func (s *Store) Where() string { return s.where }

// Describe names the server and database of a connection string, without
// credentials, for messages; "" when it does not parse.
func Describe(connString string) string {
	cfg, err := pgconn.ParseConfig(connString)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s/%s", cfg.Host, cfg.Database)
}

// Redact returns a connection URL with its password replaced, for the
// rare message that must name it.
func Redact(connString string) string {
	u, err := url.Parse(connString)
	if err != nil || u.User == nil {
		if err != nil {
			return "(unparsable URL)"
		}
		return connString
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// checkReadable is migrate for a read-only store: it looks at the schema
// and changes nothing.
func (s *Store) checkReadable(ctx context.Context) error {
	var schema *string
	var path string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema(), current_setting('search_path')`).Scan(&schema, &path); err != nil {
		return err
	}
	if schema == nil {
		return &NoStateError{Where: s.where, Why: fmt.Sprintf("no schema of the search_path (%s) exists", path)}
	}
	var table *string
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass(quote_ident(current_schema()) || '.schema_version')::text`).Scan(&table); err != nil {
		return err
	}
	if table == nil {
		return &NoStateError{Where: s.where, Why: fmt.Sprintf("the schema %s holds no hearth tables", *schema)}
	}
	var v int
	err := s.pool.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return &NoStateError{Where: s.where, Why: fmt.Sprintf("the schema %s holds no hearth tables yet", *schema)}
	}
	if err != nil {
		return err
	}
	s.noIdentities = v < identitiesMigration
	return state.CheckReadable(fmt.Sprintf("PostgreSQL %s (schema %s)", s.where, *schema), v, readableFrom, len(migrations))
}

// migrate runs the missing migrations in one transaction under an
// advisory lock, so replicas starting together migrate once.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var schema *string
	if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if schema == nil {
		return errors.New("no schema to create tables in: the search_path names none that exists; create it, or set the schema in the URL (search_path=NAME) to one that does")
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || '/hearth/migrate', 0))`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var v int
	err = tx.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version VALUES (0)`); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this hearth knows (%d); upgrade hearth", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.Exec(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if i+1 == sizesMigration {
			if _, err := s.anchorSizes(ctx, tx); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE schema_version SET version = $1`, len(migrations)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Ready reports whether the database answers, for a readiness probe:
// not while it is failing (health.go), a ping otherwise.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.refusal(); err != nil {
		return err
	}
	return s.pool.Ping(ctx)
}

// Close releases held apply locks and the pool.
func (s *Store) Close() error {
	s.closeHealth()
	s.mu.Lock()
	for id, c := range s.locks {
		// Unlocked here rather than when the server notices the session
		// is gone, which happens a moment later.
		_, _ = c.Exec(context.Background(), `SELECT pg_advisory_unlock_all()`)
		c.Release()
		delete(s.locks, id)
	}
	s.mu.Unlock()
	s.pool.Close()
	return nil
}

// Flush does nothing: commits are synchronous. It lets callers treat all
// stores alike.
func (s *Store) Flush(context.Context) error { return nil }

// Begin starts a batch. It reads committed state and keeps its changes
// in memory until Commit writes them in one transaction.
// While the database is out of reach it refuses at once (health.go).
func (s *Store) Begin(ctx context.Context) (state.Batch, error) {
	if err := s.refusal(); err != nil {
		return nil, err
	}
	return &batch{ctx: ctx, s: s, members: map[string]*state.Member{}, versions: map[string]int64{},
		absent: map[string]bool{}, known: map[string]bool{}, seen: map[string]int64{}, saved: map[string]bool{}}, nil
}

// Members visits every member in id order.
func (s *Store) Members(ctx context.Context, fn func(*state.Member) error) error {
	rows, err := s.pool.Query(ctx, `SELECT data FROM members ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	return state.VisitMembers(rows, fn)
}

// MemberIDs lists the stored members' ids in id order without reading
// their documents.
func (s *Store) MemberIDs(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM members ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return state.ScanIDs(rows)
}

// batch is one unit of work: reads go to the database (or what Preload
// fetched), writes wait in memory for Commit.
type batch struct {
	ctx      context.Context
	s        *Store
	members  map[string]*state.Member // read or saved in this batch
	versions map[string]int64         // the version each existing member was read at
	absent   map[string]bool          // members known not to exist
	known    map[string]bool          // event ids looked up: committed or not
	seen     map[string]int64         // event ids claimed in this batch
	// digests are the content digests of ids in seen claimed with one;
	// keptIDs what the database holds with ids known to be committed.
	digests  map[string]uint64
	keptIDs  map[string]state.Claimed
	saved    map[string]bool // members to write
	outcomes []state.Outcome
	actions  []state.Action
	tallies  state.Tallies
	comms    map[string]*communityRead // community documents read or saved
	// suppressed are ids looked up on the suppression list: on it or not.
	suppressed map[string]bool
	// claims are the batch's identity claims; owners the entries of the
	// identity index it read.
	claims map[identKey]identClaim
	owners map[identKey]string
	done   bool
}

// Preload fetches, in two queries, whether the events were applied and
// the members they touch, so applying a batch of events does not cost a
// round trip per event.
func (b *batch) Preload(eventIDs, memberIDs []string) error {
	return b.s.failure(b.preload(eventIDs, memberIDs))
}

func (b *batch) preload(eventIDs, memberIDs []string) error {
	if len(eventIDs) > 0 {
		rows, err := b.s.pool.Query(b.ctx, `SELECT id, at, digest FROM events WHERE id = ANY($1)`, eventIDs)
		if err != nil {
			return err
		}
		for _, id := range eventIDs {
			b.known[id] = false
		}
		for rows.Next() {
			var id string
			var at int64
			var digest *int64
			if err := rows.Scan(&id, &at, &digest); err != nil {
				rows.Close()
				return err
			}
			b.known[id] = true
			b.keep(id, at, digest)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	var want []string
	for _, id := range memberIDs {
		if _, ok := b.members[id]; !ok && id != "" {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return nil
	}
	rows, err := b.s.pool.Query(b.ctx, `SELECT id, data, version FROM members WHERE id = ANY($1)`, want)
	if err != nil {
		return err
	}
	defer rows.Close()
	for _, id := range want {
		b.absent[id] = true
	}
	for rows.Next() {
		var id string
		var data []byte
		var v int64
		if err := rows.Scan(&id, &data, &v); err != nil {
			return err
		}
		m := &state.Member{}
		if err := json.Unmarshal(data, m); err != nil {
			return fmt.Errorf("member %s: %w", id, err)
		}
		delete(b.absent, id)
		b.members[id], b.versions[id] = m, v
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	return b.preloadSuppressed(want)
}

// preloadSuppressed looks the members of want that are not stored up on
// the suppression list, in one query: the runtime asks before it creates
// a member.
func (b *batch) preloadSuppressed(want []string) error {
	byKey := map[string]string{}
	for _, id := range want {
		if _, asked := b.suppressed[id]; b.absent[id] && !asked {
			byKey[state.SuppressionKey(id)] = id
		}
	}
	if len(byKey) == 0 {
		return nil
	}
	if b.suppressed == nil {
		b.suppressed = map[string]bool{}
	}
	for _, id := range byKey {
		b.suppressed[id] = false
	}
	rows, err := b.s.pool.Query(b.ctx, `SELECT key FROM suppressed WHERE key = ANY($1)`, slices.Collect(maps.Keys(byKey)))
	if err != nil {
		return err
	}
	keys, err := state.ScanIDs(rows)
	rows.Close()
	for _, k := range keys {
		b.suppressed[byKey[k]] = true
	}
	return err
}

func (b *batch) Seen(id string) (bool, error) {
	seen, _, err := b.lookup(id)
	return seen, err
}

// keep notes what the database holds with a committed id: a digest,
// when it has one.
func (b *batch) keep(id string, at int64, digest *int64) {
	if digest == nil || *digest == 0 {
		return
	}
	if b.keptIDs == nil {
		b.keptIDs = map[string]state.Claimed{}
	}
	b.keptIDs[id] = state.Claimed{Digest: uint64(*digest), At: time.Unix(0, at).UTC()}
}

// lookup reports whether an event id was claimed, in this batch or
// committed, and what was kept with it, read with its presence.
func (b *batch) lookup(id string) (bool, state.Claimed, error) {
	if at, ok := b.seen[id]; ok {
		if d := b.digests[id]; d != 0 {
			return true, state.Claimed{Digest: d, At: time.Unix(0, at).UTC()}, nil
		}
		return true, state.Claimed{}, nil
	}
	if seen, ok := b.known[id]; ok {
		return seen, b.keptIDs[id], nil
	}
	var at int64
	var digest *int64
	err := b.s.pool.QueryRow(b.ctx, `SELECT at, digest FROM events WHERE id = $1`, id).Scan(&at, &digest)
	if errors.Is(err, pgx.ErrNoRows) {
		b.known[id] = false
		return false, state.Claimed{}, nil
	}
	if err != nil {
		return false, state.Claimed{}, b.s.failure(err)
	}
	b.known[id] = true
	b.keep(id, at, digest)
	return true, b.keptIDs[id], nil
}

func (b *batch) Claim(id string, at time.Time) (bool, error) {
	fresh, _, err := b.ClaimDigest(id, at, 0)
	return fresh, err
}

var _ state.DigestClaimer = (*batch)(nil)

// ClaimDigest is Claim writing the digest with the id; a duplicate's
// earlier digest comes from the same read that finds it.
func (b *batch) ClaimDigest(id string, at time.Time, digest uint64) (bool, state.Claimed, error) {
	if at.UnixNano() < b.s.idsBefore.Load() {
		return false, state.Claimed{}, state.ErrTooOld
	}
	seen, earlier, err := b.lookup(id)
	if err != nil || seen {
		return false, earlier, err
	}
	b.seen[id] = at.UnixNano()
	if digest != 0 {
		if b.digests == nil {
			b.digests = map[string]uint64{}
		}
		b.digests[id] = digest
	}
	return true, state.Claimed{}, nil
}

func (b *batch) MarkSeen(id string, at time.Time) error {
	b.seen[id] = at.UnixNano()
	return nil
}

func (b *batch) Member(id string) (*state.Member, error) {
	if m, ok := b.members[id]; ok {
		return m, nil
	}
	if b.absent[id] {
		return nil, state.ErrNotFound
	}
	var data []byte
	var v int64
	err := b.s.pool.QueryRow(b.ctx, `SELECT data, version FROM members WHERE id = $1`, id).Scan(&data, &v)
	if errors.Is(err, pgx.ErrNoRows) {
		b.absent[id] = true
		return nil, state.ErrNotFound
	}
	if err != nil {
		return nil, b.s.failure(err)
	}
	m := &state.Member{}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("member %s: %w", id, err)
	}
	b.members[id], b.versions[id] = m, v
	return m, nil
}

func (b *batch) SaveMember(m *state.Member) error {
	b.members[m.ID] = m
	b.saved[m.ID] = true
	return nil
}

// Due claims up to limit members whose recheck time has come: rows
// another replica claimed within the lease are skipped, and the claim
// ends when the member is written again.
func (b *batch) Due(t time.Time, limit int) ([]string, error) {
	return b.due(t, limit, 0, nil)
}

// DueIn is Due for the members of the owned partitions only.
func (b *batch) DueIn(t time.Time, limit, partitions int, owned []int) ([]string, error) {
	if partitions <= 0 || len(owned) == 0 {
		return nil, nil
	}
	return b.due(t, limit, partitions, owned)
}

func (b *batch) due(t time.Time, limit, partitions int, owned []int) ([]string, error) {
	now := time.Now().UnixNano()
	parts := make([]int64, len(owned))
	for i, p := range owned {
		parts[i] = int64(p)
	}
	rows, err := b.s.pool.Query(b.ctx, `UPDATE members SET recheck_lease = $3
		WHERE id IN (
			SELECT id FROM members
			WHERE recheck_at > 0 AND recheck_at <= $1 AND recheck_lease < $4
			AND ($5 = 0 OR hash % $5 = ANY($6))
			ORDER BY recheck_at, id LIMIT $2
			FOR UPDATE SKIP LOCKED)
		RETURNING id, recheck_at`, t.UnixNano(), limit, now+b.s.lease.Nanoseconds(), now, int64(partitions), parts)
	if err != nil {
		return nil, b.s.failure(err)
	}
	list, err := state.ScanDue(rows)
	rows.Close()
	if err != nil {
		return nil, b.s.failure(err)
	}
	return state.DueIDs(list, -1), nil
}

func (b *batch) Enqueue(a []state.Action) error {
	b.actions = append(b.actions, a...)
	return nil
}

func (b *batch) AppendOutcomes(o []state.Outcome) error {
	b.outcomes = append(b.outcomes, o...)
	return nil
}

func (b *batch) Rollback() error {
	b.done = true
	return nil
}

// Commit writes the batch in one transaction, or fails with ErrConflict
// and writes nothing when another replica got there first. One that
// finds the database out of reach fails with an UnavailableError
// (state.ErrFailing); whether a commit cut off at its end went through
// is not known, and sending its events again is safe (their ids).
func (b *batch) Commit() error {
	if b.done {
		return errors.New("batch already finished")
	}
	b.done = true
	return b.s.failure(b.commit())
}

func (b *batch) commit() error {
	ctx := context.WithoutCancel(b.ctx)
	tx, err := b.s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := b.write(ctx, tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func (b *batch) write(ctx context.Context, tx pgx.Tx) error {
	if len(b.seen) > 0 {
		ids := slices.Sorted(maps.Keys(b.seen))
		at := make([]int64, len(ids))
		oldest := int64(math.MaxInt64)
		for i, id := range ids {
			at[i] = b.seen[id]
			oldest = min(oldest, at[i])
		}
		// Another replica may have moved the horizon since this one
		// claimed: an id from before it may be forgotten already, so the
		// batch cannot show it was not applied. FOR SHARE waits for a
		// horizon being moved.
		var before int64
		if err := tx.QueryRow(ctx, `SELECT ids_before FROM state_meta FOR SHARE`).Scan(&before); err != nil {
			return fmt.Errorf("id horizon: %w", err)
		}
		b.s.raiseHorizon(before)
		if oldest < before {
			return fmt.Errorf("%w: another replica forgot event ids from before %s", ErrConflict, time.Unix(0, before).UTC().Format(time.RFC3339))
		}
		var tag pgconn.CommandTag
		var err error
		if len(b.digests) == 0 {
			tag, err = tx.Exec(ctx, `INSERT INTO events (id, at) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT (id) DO NOTHING`, ids, at)
		} else {
			// 0, unknown, is NULL: as for the ids stored before digests.
			digests := make([]*int64, len(ids))
			for i, id := range ids {
				if d := b.digests[id]; d != 0 {
					v := int64(d)
					digests[i] = &v
				}
			}
			tag, err = tx.Exec(ctx, `INSERT INTO events (id, at, digest) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) ON CONFLICT (id) DO NOTHING`, ids, at, digests)
		}
		if err != nil {
			return fmt.Errorf("events: %w", err)
		}
		if tag.RowsAffected() != int64(len(ids)) {
			return fmt.Errorf("%w: %d of %d events were applied by another replica first", ErrConflict, int64(len(ids))-tag.RowsAffected(), len(ids))
		}
	}
	var newIDs, newDocs, oldIDs, oldDocs []string
	var newRecheck, oldRecheck, oldVersions []int64
	for _, id := range slices.Sorted(maps.Keys(b.saved)) {
		m := b.members[id]
		data, err := m.Encode()
		if err != nil {
			return fmt.Errorf("member %s: %w", id, err)
		}
		var recheck int64
		if !m.RecheckAt.IsZero() {
			recheck = m.RecheckAt.UnixNano()
		}
		if v, ok := b.versions[id]; ok {
			oldIDs, oldDocs, oldRecheck, oldVersions = append(oldIDs, id), append(oldDocs, string(data)), append(oldRecheck, recheck), append(oldVersions, v)
		} else {
			newIDs, newDocs, newRecheck = append(newIDs, id), append(newDocs, string(data)), append(newRecheck, recheck)
		}
	}
	if len(newIDs) > 0 {
		hashes := make([]int64, len(newIDs))
		for i, id := range newIDs {
			hashes[i] = int64(state.MemberHash(id))
		}
		tag, err := tx.Exec(ctx, `INSERT INTO members (id, data, recheck_at, hash)
			SELECT id, data::jsonb, recheck_at, hash FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS u(id, data, recheck_at, hash)
			ON CONFLICT (id) DO NOTHING`, newIDs, newDocs, newRecheck, hashes)
		if err != nil {
			return fmt.Errorf("members: %w", err)
		}
		if tag.RowsAffected() != int64(len(newIDs)) {
			return fmt.Errorf("%w: a new member was created by another replica first", ErrConflict)
		}
	}
	if len(oldIDs) > 0 {
		tag, err := tx.Exec(ctx, `UPDATE members AS m SET data = u.data::jsonb, recheck_at = u.recheck_at, recheck_lease = 0, version = m.version + 1
			FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS u(id, data, recheck_at, version)
			WHERE m.id = u.id AND m.version = u.version`, oldIDs, oldDocs, oldRecheck, oldVersions)
		if err != nil {
			return fmt.Errorf("members: %w", err)
		}
		if tag.RowsAffected() != int64(len(oldIDs)) {
			return fmt.Errorf("%w: %d of %d members were changed by another replica", ErrConflict, int64(len(oldIDs))-tag.RowsAffected(), len(oldIDs))
		}
	}
	if len(b.outcomes) > 0 {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"outcomes"},
			[]string{"kind", "member", "name", "change", "at", "rule", "event", "points", "src", "dst", "detail"},
			pgx.CopyFromSlice(len(b.outcomes), func(i int) ([]any, error) {
				o := b.outcomes[i]
				return []any{o.Kind, o.Member, o.Name, o.Change, o.At.UnixNano(), o.Rule, o.Event, int64(o.Points), o.From, o.To, o.Detail}, nil
			}))
		if err != nil {
			return fmt.Errorf("outcomes: %w", err)
		}
	}
	if err := b.writeIdentities(ctx, tx); err != nil {
		return err
	}
	if err := b.writeTallies(ctx, tx); err != nil {
		return err
	}
	if err := b.writeCommunities(ctx, tx); err != nil {
		return err
	}
	if len(b.actions) > 0 {
		n := len(b.actions)
		keys, members, kinds, docs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ats := make([]int64, n)
		for i, a := range b.actions {
			data, err := json.Marshal(a)
			if err != nil {
				return err
			}
			keys[i], members[i], kinds[i], docs[i], ats[i] = a.Key, a.Member, a.Kind, string(data), a.At.UnixNano()
		}
		// A key already in the outbox is the same action again: keep the first.
		_, err := tx.Exec(ctx, `INSERT INTO outbox (key, member, kind, at, next_at, queued_at, data)
			SELECT key, member, kind, at, at, $6, data::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) AS u(key, member, kind, at, data)
			ON CONFLICT (key) DO NOTHING`, keys, members, kinds, ats, docs, b.s.queueNow().UnixNano())
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
	}
	return nil
}

// Outcomes returns a member's outcomes, oldest first, at most limit.
func (s *Store) Outcomes(ctx context.Context, member string, limit int) ([]state.Outcome, error) {
	rows, err := s.pool.Query(ctx, `SELECT kind, member, name, change, at, rule, event, points, src, dst, detail
		FROM outcomes WHERE member = $1 ORDER BY seq LIMIT $2`, member, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []state.Outcome
	for rows.Next() {
		var o state.Outcome
		var at, points int64
		if err := rows.Scan(&o.Kind, &o.Member, &o.Name, &o.Change, &at, &o.Rule, &o.Event, &points, &o.From, &o.To, &o.Detail); err != nil {
			return nil, err
		}
		o.At, o.Points = time.Unix(0, at).UTC(), int(points)
		out = append(out, o)
	}
	return out, rows.Err()
}
