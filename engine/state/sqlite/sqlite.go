// Package sqlite is hearth's embedded durable store: one SQLite file (pure
// Go driver, WAL, synchronous=FULL), so hearth needs nothing installed.
// Member state is kept as one document per member, in state's binary form
// (stores written before it hold JSON, which is still read); many events
// are committed per transaction.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

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
		src    TEXT NOT NULL DEFAULT '',
		dst    TEXT NOT NULL DEFAULT '',
		detail TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX outcomes_member ON outcomes (member, seq);
	CREATE TABLE outbox (
		key        TEXT PRIMARY KEY,
		member     TEXT NOT NULL,
		kind       TEXT NOT NULL,
		at         INTEGER NOT NULL,
		status     TEXT NOT NULL DEFAULT 'pending',
		attempts   INTEGER NOT NULL DEFAULT 0,
		next_at    INTEGER NOT NULL,
		last_error TEXT NOT NULL DEFAULT '',
		sent_at    INTEGER NOT NULL DEFAULT 0,
		data       BLOB NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX outbox_due ON outbox (status, next_at);`,
	// 2: platform resources hearth manages, the state serial and the
	// apply lock (plan and apply).
	`CREATE TABLE resources (
		address         TEXT PRIMARY KEY,
		platform        TEXT NOT NULL,
		kind            TEXT NOT NULL,
		id              TEXT NOT NULL,
		community       TEXT NOT NULL DEFAULT '',
		attrs           TEXT NOT NULL,
		prevent_destroy INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID;
	CREATE TABLE state_meta (
		serial INTEGER NOT NULL
	);
	INSERT INTO state_meta VALUES (0);
	CREATE TABLE locks (
		name   TEXT PRIMARY KEY,
		holder TEXT NOT NULL,
		who    TEXT NOT NULL,
		at     INTEGER NOT NULL
	) WITHOUT ROWID;`,
	// 3: where each platform's event stream was read up to.
	`CREATE TABLE cursors (
		stream TEXT PRIMARY KEY,
		cursor TEXT NOT NULL
	) WITHOUT ROWID;`,
	// 4: community tallies for reports (engine/analytics).
	`CREATE TABLE tallies (
		key TEXT PRIMARY KEY,
		n   INTEGER NOT NULL
	) WITHOUT ROWID;`,
	// 5: community documents: figures and alert state.
	`CREATE TABLE communities (
		name TEXT PRIMARY KEY,
		data BLOB NOT NULL
	) WITHOUT ROWID;`,
	// 6: members in a rowid table. A member document (about a kilobyte)
	// is more than a WITHOUT ROWID row keeps on its page, so every write
	// of a member also wrote an overflow page; a rowid table keeps it
	// in place.
	`CREATE TABLE members_rowid (
		id         TEXT PRIMARY KEY,
		data       BLOB NOT NULL,
		recheck_at INTEGER NOT NULL DEFAULT 0
	);
	INSERT INTO members_rowid (id, data, recheck_at) SELECT id, data, recheck_at FROM members;
	DROP TABLE members;
	ALTER TABLE members_rowid RENAME TO members;
	CREATE INDEX members_recheck ON members (recheck_at) WHERE recheck_at > 0;`,
	// 7: forgetting old event ids (state.Pruner): ids by event time, and
	// the time before which ids are forgotten.
	`CREATE INDEX events_at ON events (at);
	ALTER TABLE state_meta ADD COLUMN ids_before INTEGER NOT NULL DEFAULT 0;`,
	// 8: member documents are written in state's binary form from here
	// on. The schema is the same, but hearth versions before it cannot
	// read those documents: the version step makes them refuse the file
	// with "upgrade hearth" instead of failing on the first member.
	`SELECT 1`,
	// 9: the journal (journal.go): the last record folded into the
	// database.
	`ALTER TABLE state_meta ADD COLUMN journal_seq INTEGER NOT NULL DEFAULT 0;`,
	// 10: the suppression list (erase.go): members who asked to be
	// forgotten, by state.SuppressionKey.
	`CREATE TABLE suppressed (
		key TEXT PRIMARY KEY,
		at  INTEGER NOT NULL
	) WITHOUT ROWID;`,
	// 11: when each finished outbox entry (sent, dead, skipped) finished,
	// which retention counts from. Entries finished before it get the
	// time they already have (state.OutboxFinishedAt): a sent one's
	// sent_at, a dead or skipped one's next_at, when it was last due.
	`ALTER TABLE outbox ADD COLUMN finished_at INTEGER NOT NULL DEFAULT 0;
	UPDATE outbox SET finished_at = CASE status WHEN 'sent' THEN sent_at ELSE next_at END WHERE status != 'pending';`,
	// 12: a campaign's outcomes by its rule, in order (CampaignOutcomes,
	// for campaign show), which read the whole table before. Partial:
	// the points, tier, segment and moderation outcomes most events
	// leave are not written to it. A query uses it only when it says
	// the predicate itself (campaignOutcomesQuery).
	`CREATE INDEX outcomes_campaign ON outcomes (rule, seq) WHERE rule LIKE 'campaign.%';`,
	// 13: the content digest of each event beside its id
	// (state.DigestClaimer), so an id sent again with other content can
	// be told from a retry. NULL for ids stored before: unknown, never
	// warned about.
	`ALTER TABLE events ADD COLUMN digest INTEGER;`,
	// 14: the role assignments hearth made (state.RoleGrant), by apply
	// or by the daemon's outbox: hearth takes back only those, so roles
	// given by hand stay. Written beside the daemon, like resources, and
	// read afresh each time.
	`CREATE TABLE role_grants (
		platform  TEXT NOT NULL,
		community TEXT NOT NULL,
		role      TEXT NOT NULL,
		member    TEXT NOT NULL,
		at        INTEGER NOT NULL,
		PRIMARY KEY (platform, community, role, member)
	) WITHOUT ROWID;`,
	// 15: when each outbox entry was queued, by the clock of the daemon
	// that committed it (state.OutboxEntry.QueuedAt), which its wait in
	// the outbox counts from: its action's at is event time, days back
	// after a backfill of old events. Entries queued before get their
	// at, what their wait was counted from until then.
	`ALTER TABLE outbox ADD COLUMN queued_at INTEGER NOT NULL DEFAULT 0;
	UPDATE outbox SET queued_at = at;`,
	// 16: the pid of the process holding the apply lock, so a command
	// on the same host can tell a lock left by a killed apply (0: an
	// earlier hearth took it, and did not say).
	`ALTER TABLE locks ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;`,
	// 17: the size history of segments and tiers is anchored on the
	// members stored (anchorSizes, in this migration's transaction):
	// reports give it from the latest event's day on.
	`SELECT 1`,
	// 18: the identity index (state.IdentityIndex): the member holding
	// each platform identity, so an event from a platform account
	// applies to the member it belongs to. Filled from the members
	// stored (indexIdentities, in this migration's transaction).
	`CREATE TABLE identities (
		platform TEXT NOT NULL,
		identity TEXT NOT NULL,
		member   TEXT NOT NULL,
		PRIMARY KEY (platform, identity)
	) WITHOUT ROWID;
	CREATE INDEX identities_member ON identities (member);`,
}

// sizesMigration is the migration after which anchorSizes has run.
const sizesMigration = 17

// identitiesMigration is the migration after which indexIdentities has
// run.
const identitiesMigration = 18

// readableFrom is the oldest schema version a read-only store reads:
// every table and column the reads of this hearth use exist from it on
// (15: the outbox's queued_at, which outbox list reads; 16 adds the lock
// holder's pid, which only apply and force-unlock read; 18 the identity
// index, which MemberByIdentity reads, answering ErrNoIdentityIndex
// before it). A migration only writers need leaves it; one adding what
// a read uses raises it to its own number.
const readableFrom = 15

// pinnedDoc is a community's newest document among the batches not yet
// written, and how many of them hold one.
type pinnedDoc struct {
	doc  []byte
	pins int
}

// Store is a SQLite-backed state.Store.
type Store struct {
	db   *sql.DB
	path string
	// openLock holds the state's open lock shared (nil when a restore
	// opened it under its exclusive one).
	openLock *os.File

	mu         sync.Mutex
	cache      memberCache
	seen       *bloom         // committed event ids
	pendingIDs map[string]int // ids in batches being written
	// pendingDigests are the digests of pendingIDs claimed with one.
	pendingDigests map[string]kept
	pinned         map[string]*state.Member // members in batches being written
	pins           map[string]int
	queue          chan *job
	// submitted counts batches handed to the writer, finished those
	// written into the database or failed (in the same order); a Flush
	// waits for the count at its call, through flushes. (Waiting for the
	// writer to be idle could wait for ever under steady load.)
	submitted, finished int64
	flushes             []flushWait
	// Failure (health.go): failed is why writes are refused, nil while
	// they are taken, since failedAt; fatal when the store cannot
	// recover by itself. retries and retryErr are the repair's attempts
	// at this failure, failures the failures since the store opened.
	// gen goes up with each failure: a batch begun before it is refused
	// at its commit. repairing says a repairLoop runs (stopped through
	// repairStop, which closes repairDone).
	failed                 error
	failedAt               time.Time
	fatal                  bool
	retries                int
	retryErr               error
	failures               int64
	gen                    uint64
	repairing              bool
	repairStop, repairDone chan struct{}
	// closing says Close has begun: no repair starts any more.
	closing bool
	// writerDone is closed when the writer has ended every job queued.
	writerDone chan struct{}
	// writeMu is held by the writer while it journals or writes a group
	// or scrubs, and by the repair, so they never touch the files at once.
	writeMu sync.Mutex
	// faults is the injected fault (InjectFaults), nil in production.
	faults atomic.Pointer[func(op string) error]
	// comms holds the newest community documents, committed or being
	// written: there are few, and every batch reads them.
	comms map[string]*state.Community
	// suppressed is the suppression list (erase.go), all of it: it is
	// short, and every new member is looked up in it.
	suppressed map[string]bool
	// idsBefore is the id horizon in Unix nanoseconds (see state.Pruner),
	// read by every Claim.
	idsBefore atomic.Int64
	// docBytes is the size of the last batch's member documents.
	docBytes atomic.Int64
	// now stamps the outbox entries' queued_at (SetQueueClock); nil is
	// time.Now. Set before the store is used.
	now func() time.Time
	// For DueBy: the recheck times (Unix nanoseconds, 0 for none) of the
	// pinned members as their newest batch holds them, which the file
	// does not have yet, and the earliest of them while pinMinOK; the
	// earliest recheck times in the file (up to storedEarliest) as of
	// write number storedMinAt, and that number.
	pinRecheck map[string]int64
	// The newest documents of pinned members and of communities in
	// batches not yet written, which a Rollback restores from: the
	// rolled-back batch may have changed the objects in place.
	pinDoc  map[string][]byte
	pinComm map[string]pinnedDoc
	// pinIdent are the identity claims of batches not yet written.
	pinIdent map[identKey]pinnedIdent
	// noIdentities says a read-only store's schema predates the
	// identity index.
	noIdentities bool
	pinMin       int64
	pinMinOK     bool
	writes       int64
	storedMin    []state.DueRow
	storedMinAt  int64
	storedMinOK  bool

	// The journal (journal.go): nil when another process has it, and
	// then batches are written into the database directly.
	jr   *journal
	jbuf []byte
	// journaled is the last record written, folded the last one the
	// database holds; toFold are the jobs between, unfoldedEvents their
	// event count, oldestUnfolded when the first of them was journaled.
	journaled, folded uint64
	toFold            []*job
	unfoldedEvents    int
	oldestUnfolded    time.Time
	foldUrgent        bool
	folding           bool // the folder is writing a group
	foldKick          chan struct{}
	foldCond          *sync.Cond // broadcast after each fold
	foldStop          chan struct{}
	foldStopped       chan struct{}
	// recovered is what opening folded that an unclean stop left in
	// the journal (Recovered).
	recovered state.Recovery

	// scrubbed is how many pages the last erasure's scrub read and
	// wrote (scrubPages), for the measurements.
	scrubbed [2]int
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

// Open opens or creates the database at path and migrates it. While a
// Restore swaps the files it waits (see openlock.go).
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("state directory: %w", err)
		}
	}
	held, err := holdOpen(ctx, path)
	if err != nil {
		return nil, err
	}
	s, err := openUnder(ctx, path)
	if err != nil {
		held.Close()
		return nil, err
	}
	s.openLock = held
	return s, nil
}

// OpenReadOnly opens the existing state at path for a command that only
// reads it (plan, drift, state list, member show): it creates no file,
// migrates nothing, folds no journal and refuses every write
// (query_only). A schema older than this hearth reads fails with a
// *state.OldSchemaError, naming the version to migrate with. Batches a
// killed daemon left in the journal are not read: the next hearth run,
// apply or replay folds them in, as it would for a reader meeting a
// daemon that has them.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	held, err := holdOpenExisting(ctx, path)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(busyTimeout)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		s, err := open(ctx, path, true)
		if err == nil {
			s.openLock = held
			return s, nil
		}
		if !isBusy(err) || time.Now().Add(wait).After(deadline) {
			if held != nil {
				held.Close()
			}
			return nil, err
		}
		select {
		case <-ctx.Done():
			if held != nil {
				held.Close()
			}
			return nil, err
		case <-time.After(wait):
		}
	}
}

// openUnder opens the state at path for a caller that holds its open
// lock already: Open, or a Restore opening what it placed.
func openUnder(ctx context.Context, path string) (*Store, error) {
	// The state holds members' names, attributes and queued messages:
	// a new one is the owner's only. SQLite gives its -wal and -shm
	// files the database's mode; an existing file keeps the one it has.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("state file: %w", err)
	}
	// SQLite answers SQLITE_BUSY without waiting in a few moments a busy
	// timeout cannot cover: while another process switches a new file to
	// WAL, or while the last process to close the file cleans up its WAL.
	// Both last milliseconds, so opening tries again for as long as the
	// busy timeout would have waited.
	deadline := time.Now().Add(busyTimeout)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		s, err := open(ctx, path, false)
		if err == nil || !isBusy(err) || time.Now().Add(wait).After(deadline) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
}

// busyTimeout is how long a statement waits for another process's lock.
const busyTimeout = 10 * time.Second

func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

func open(ctx context.Context, path string, readOnly bool) (*Store, error) {
	// Write transactions take the lock when they begin (_txlock=immediate),
	// so two writers queue on busy_timeout instead of failing on upgrade;
	// WAL lets readers go on while one writes. busy_timeout comes first:
	// the pragmas run in order, and switching to WAL while another process
	// opens the same new file needs it to wait, not fail. secure_delete
	// FAST zeroes a deleted or rewritten row in its page, which is written
	// anyway (no more I/O; no cost ApplySQLite could tell from noise):
	// deleted rows do not linger there, and an erasure's scrub finds
	// fewer pages to write.
	dsn := "file:" + uriPath(path) + fmt.Sprintf("?_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()) + "&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=cache_size(-65536)&_pragma=mmap_size(268435456)&_pragma=temp_store(memory)&_pragma=secure_delete(FAST)&_txlock=immediate"
	if readOnly {
		// query_only refuses every statement that writes. mode=rw, not
		// ro: a read-write connection that is the last to close removes
		// the -wal and -shm files opening made, as a writer does (the
		// log is empty: nothing is checkpointed, unless a killed writer
		// left it frames, the same state any next open folds in), where
		// a read-only one
		// would leave them. rw never creates the file. The file is in WAL
		// mode already (its writers set it, and it stays); BEGIN
		// IMMEDIATE would ask for the write lock.
		dsn = "file:" + uriPath(path) + fmt.Sprintf("?mode=rw&_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()) + "&_pragma=query_only(1)&_pragma=cache_size(-65536)&_pragma=mmap_size(268435456)&_pragma=temp_store(memory)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// Connections are kept rather than reopened, so the moments above
	// only meet a store while it opens.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	s := &Store{db: db, path: path, cache: memberCache{limit: 50000},
		pendingIDs: map[string]int{}, pinned: map[string]*state.Member{}, pins: map[string]int{},
		pinDoc: map[string][]byte{}, pinComm: map[string]pinnedDoc{}}
	if readOnly {
		if err := s.checkReadable(ctx); err != nil {
			db.Close()
			var old *state.OldSchemaError
			if errors.As(err, &old) {
				return nil, err
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	} else if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.foldCond = sync.NewCond(&s.mu)
	if readOnly {
		// No journal: folding it writes, and the store writes nothing.
	} else if err := s.openJournal(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := s.loadSeen(ctx); err != nil {
		s.closeJournal()
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := s.loadSuppressed(ctx); err != nil {
		s.closeJournal()
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var before int64
	if err := db.QueryRowContext(ctx, `SELECT ids_before FROM state_meta`).Scan(&before); err != nil {
		s.closeJournal()
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.idsBefore.Store(before)
	return s, nil
}

// openJournal opens the journal and folds into the database what it
// holds that the database does not: batches committed before a crash.
// When another process has the journal, batches are written into the
// database directly instead.
func (s *Store) openJournal(ctx context.Context) error {
	var folded int64
	if err := s.db.QueryRowContext(ctx, `SELECT journal_seq FROM state_meta`).Scan(&folded); err != nil {
		return err
	}
	jr, recs, err := openJournal(s.path, uint64(folded))
	if errors.Is(err, errJournalLocked) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(recs) > 0 {
		jobs := make([]*job, len(recs))
		for i, r := range recs {
			if jobs[i], err = decodeJob(r.payload); err != nil {
				jr.close()
				return fmt.Errorf("journal record %d: %w", r.seq, err)
			}
		}
		last := recs[len(recs)-1].seq
		if err := s.write(jobs, last); err != nil {
			jr.close()
			return fmt.Errorf("folding the journal: %w", err)
		}
		folded = int64(last)
		s.recovered.Batches = len(jobs)
		for _, j := range jobs {
			s.recovered.Events += len(j.ids)
		}
	}
	jr.fault = s.fault
	s.jr, s.folded, s.journaled = jr, uint64(folded), uint64(folded)
	s.foldKick = make(chan struct{}, 1)
	s.foldStop, s.foldStopped = make(chan struct{}), make(chan struct{})
	go s.folder(s.foldStop, s.foldStopped)
	return nil
}

// Recovered says what opening the store folded from the journal that
// the process before left there: batches it acknowledged and had not
// written into the database when it stopped without closing the store
// (a crash, kill -9, a power cut). A clean stop leaves none.
func (s *Store) Recovered() state.Recovery { return s.recovered }

var _ state.QueueClock = (*Store)(nil)

// SetQueueClock sets the clock that stamps queued actions
// (state.QueueClock), before the store is used.
func (s *Store) SetQueueClock(now func() time.Time) { s.now = now }

func (s *Store) queueNow() time.Time {
	if s.now == nil {
		return time.Now()
	}
	return s.now()
}

var _ state.Recoverer = (*Store)(nil)

// closeJournal stops the folder and closes the journal; batches still in
// it are folded when the store is opened next.
func (s *Store) closeJournal() error {
	if s.jr == nil {
		return nil
	}
	close(s.foldStop)
	<-s.foldStopped
	s.mu.Lock()
	allFolded := s.folded == s.journaled && len(s.toFold) == 0
	s.mu.Unlock()
	var err error
	if allFolded {
		// Everything is in the database: give the space back.
		err = s.jr.empty()
	}
	err = errors.Join(err, s.jr.close())
	s.jr = nil
	return err
}

// loadSeen fills the filter of committed event ids, sized for the ids
// there are and as many again.
func (s *Store) loadSeen(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		return err
	}
	b := newBloom(2 * n)
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM events`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		b.add(id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.seen = b
	s.mu.Unlock()
	return nil
}

// checkReadable is migrate for a read-only store: it reads the version
// and changes nothing.
func (s *Store) checkReadable(ctx context.Context) error {
	var v int
	if err := s.db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
		return fmt.Errorf("not a hearth state (no schema version): %w", err)
	}
	s.noIdentities = v < identitiesMigration
	return state.CheckReadable(s.path, v, readableFrom, len(migrations))
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	// One statement, so two processes opening a new file at once add
	// one row between them.
	if _, err := s.db.ExecContext(ctx, `INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version)`); err != nil {
		return err
	}
	var current int
	if err := s.db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&current); err != nil {
		return err
	}
	if current > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this hearth knows (%d); upgrade hearth", current, len(migrations))
	}
	for i := current; i < len(migrations); i++ {
		// The version is read again inside the migration's transaction, which
		// holds the write lock from its start (_txlock=immediate): a
		// migration another process applied meanwhile is skipped, not
		// applied twice.
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var v int
		if err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
			tx.Rollback()
			return err
		}
		if v > len(migrations) {
			tx.Rollback()
			return fmt.Errorf("database schema version %d is newer than this hearth knows (%d); upgrade hearth", v, len(migrations))
		}
		if v > i {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if i+1 == sizesMigration {
			if _, err := anchorSizes(ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
		if i+1 == identitiesMigration {
			if err := indexIdentities(ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
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

// Close waits for background commits, then closes the database.
func (s *Store) Close() error {
	werr := s.Flush(context.Background())
	s.mu.Lock()
	s.closing = true
	repairStop, repairDone := s.repairStop, s.repairDone
	if s.repairing {
		s.repairing = false
		close(repairStop)
	}
	s.mu.Unlock()
	if repairDone != nil {
		<-repairDone
	}
	s.mu.Lock()
	writerDone := s.writerDone
	if s.queue != nil {
		close(s.queue)
		s.queue = nil
	}
	s.mu.Unlock()
	if writerDone != nil {
		// A failing store's Flush does not wait: the jobs still queued
		// are failed before the files close.
		<-writerDone
	}
	jerr := s.closeJournal()
	err := s.db.Close()
	if s.openLock != nil {
		s.openLock.Close() // after the database: nothing of it stays open
		s.openLock = nil
	}
	if err != nil {
		return err
	}
	return errors.Join(werr, jerr)
}

// Begin starts a batch. Reads go to the last committed state, plus what
// batches committed in the background are still writing (kept pinned in
// memory until written), so a batch can be built while the previous one
// is written: the engine and the disk work at the same time.
// While the store fails (health.go) it refuses, with a *FailedError.
func (s *Store) Begin(ctx context.Context) (state.Batch, error) {
	s.mu.Lock()
	err, gen := s.refusal(), s.gen
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &batch{ctx: ctx, store: s, gen: gen, members: map[string]*state.Member{}, seen: map[string]int64{}}, nil
}

type flushWait struct {
	upTo int64
	done chan struct{}
}

// Flush waits until every batch committed before it is written into the
// database. While the store fails it returns the failure at once: what
// it would wait for is not written until the store recovers.
func (s *Store) Flush(ctx context.Context) error {
	s.mu.Lock()
	if err := s.refusal(); err != nil || s.finished >= s.submitted {
		defer s.mu.Unlock()
		return err
	}
	if s.jr != nil {
		s.foldUrgent = true
		s.kickFolder()
	}
	w := flushWait{upTo: s.submitted, done: make(chan struct{})}
	s.flushes = append(s.flushes, w)
	s.mu.Unlock()
	select {
	case <-w.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusal()
}

// Members visits every member in id order, after background writes.
func (s *Store) Members(ctx context.Context, fn func(*state.Member) error) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM members ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	return state.VisitMembers(rows, fn)
}

// MemberIDs lists the stored members' ids in id order, once background
// commits are written, without decoding a member.
func (s *Store) MemberIDs(ctx context.Context) ([]string, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM members ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return state.ScanIDs(rows)
}

// batch collects one unit of work in memory; it touches the database only
// to read, until it is committed.
type batch struct {
	ctx   context.Context
	store *Store
	// gen is the store's failure count at Begin: a batch built on what
	// memory held before a failure is refused at its commit.
	gen     uint64
	members map[string]*state.Member
	// absent and known are what Preload found: members not stored, and
	// whether event ids the filter may hold were applied.
	absent map[string]bool
	// idents are the batch's identity claims (ClaimIdentity).
	idents map[identKey]string
	known  map[string]bool
	// minRecheck is the earliest recheck time among the saved members.
	minRecheck time.Time
	comms      map[string]*state.Community
	seen       map[string]int64
	// digests are the content digests of the ids in seen claimed with
	// one; keptIDs what the database holds with the ids Preload found.
	digests  map[string]uint64
	keptIDs  map[string]kept
	outcomes []state.Outcome
	actions  []state.Action
	tallies  state.Tallies
	done     bool
}

func (b *batch) Seen(id string) (bool, error) {
	seen, _, err := b.lookup(id)
	return seen, err
}

// kept is what the store holds with an event id: its event time in Unix
// nanoseconds and its content digest (0: unknown).
type kept struct {
	at     int64
	digest uint64
}

func (k kept) claimed() state.Claimed {
	if k.digest == 0 {
		return state.Claimed{}
	}
	return state.Claimed{Digest: k.digest, At: time.Unix(0, k.at).UTC()}
}

// lookup reports whether an event id was claimed, by this batch, a batch
// being written or one in the database, and what was kept with it. The
// digest of an id seen is read where its presence is: no more reads.
func (b *batch) lookup(id string) (bool, kept, error) {
	if at, ok := b.seen[id]; ok {
		return true, kept{at, b.digests[id]}, nil
	}
	if applied, ok := b.known[id]; ok {
		if applied {
			return true, b.keptIDs[id], nil
		}
		s := b.store
		s.mu.Lock()
		_, pending := s.pendingIDs[id]
		k := s.pendingDigests[id]
		s.mu.Unlock()
		return pending, k, nil
	}
	return b.store.committedOrPending(b.ctx, id)
}

var _ state.Preloader = (*batch)(nil)

// Preload reads in one query each the members of a group of events that
// are neither in memory nor in the batch, and whether the event ids the
// filter may hold were applied. Without it a daemon that just started
// reads its members one query at a time, and a file replayed a second
// time looks its ids up one at a time.
func (b *batch) Preload(eventIDs, memberIDs []string) error {
	s := b.store
	var maybe, want []string
	s.mu.Lock()
	for _, id := range eventIDs {
		if _, ok := b.seen[id]; ok {
			continue
		}
		if _, pending := s.pendingIDs[id]; !pending && s.seen.mayContain(id) {
			maybe = append(maybe, id)
		}
	}
	for _, id := range memberIDs {
		if id == "" || b.members[id] != nil || s.pinned[id] != nil || s.cache.get(id) != nil {
			continue
		}
		want = append(want, id)
	}
	s.mu.Unlock()
	slices.Sort(maybe)
	maybe = slices.Compact(maybe)
	slices.Sort(want)
	want = slices.Compact(want)

	if len(maybe) > 0 && b.known == nil {
		b.known = make(map[string]bool, len(maybe))
	}
	for _, id := range maybe {
		b.known[id] = false
	}
	err := s.queryIn(b.ctx, `SELECT id, at, digest FROM events WHERE id IN `, maybe, func(rows *sql.Rows) error {
		var id string
		var k kept
		var digest sql.NullInt64
		if err := rows.Scan(&id, &k.at, &digest); err != nil {
			return err
		}
		b.known[id] = true
		if k.digest = uint64(digest.Int64); k.digest != 0 {
			if b.keptIDs == nil {
				b.keptIDs = map[string]kept{}
			}
			b.keptIDs[id] = k
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("preloading event ids: %w", err)
	}

	if len(want) > 0 && b.absent == nil {
		b.absent = make(map[string]bool, len(want))
	}
	for _, id := range want {
		b.absent[id] = true
	}
	err = s.queryIn(b.ctx, `SELECT id, data FROM members WHERE id IN `, want, func(rows *sql.Rows) error {
		var id string
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return err
		}
		m := &state.Member{}
		if err := state.DecodeMember(data, m); err != nil {
			return fmt.Errorf("member %s: %w", id, err)
		}
		delete(b.absent, id)
		b.members[id] = m
		return nil
	})
	if err != nil {
		return fmt.Errorf("preloading members: %w", err)
	}
	return nil
}

// queryIn runs query with "(?, ?, ...)" for the values appended, in
// chunks, and calls fn for every row.
func (s *Store) queryIn(ctx context.Context, query string, values []string, fn func(*sql.Rows) error) error {
	for start := 0; start < len(values); start += rowsPerStatement {
		chunk := values[start:min(len(values), start+rowsPerStatement)]
		args := make([]any, len(chunk))
		for i, v := range chunk {
			args[i] = v
		}
		rows, err := s.db.QueryContext(ctx, query+"("+strings.Repeat("?, ", len(chunk)-1)+"?)", args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := fn(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// committedOrPending reports whether an event id is written, or in a batch
// being written, and what is kept with it.
func (s *Store) committedOrPending(ctx context.Context, id string) (bool, kept, error) {
	s.mu.Lock()
	_, pending := s.pendingIDs[id]
	k := s.pendingDigests[id]
	maybe := s.seen.mayContain(id)
	s.mu.Unlock()
	if pending {
		return true, k, nil
	}
	if !maybe {
		return false, kept{}, nil
	}
	var digest sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT at, digest FROM events WHERE id = ?`, id).Scan(&k.at, &digest)
	if errors.Is(err, sql.ErrNoRows) {
		return false, kept{}, nil
	}
	k.digest = uint64(digest.Int64)
	return err == nil, k, err
}

// Claim checks the id against the batch, the batches being written, and
// a filter of committed ids; only an id the filter may hold is looked up
// in the database. The id is written with the batch.
func (b *batch) Claim(id string, at time.Time) (bool, error) {
	fresh, _, err := b.ClaimDigest(id, at, 0)
	return fresh, err
}

var _ state.DigestClaimer = (*batch)(nil)

// ClaimDigest is Claim writing the digest with the id; a duplicate's
// earlier digest comes from the same read that finds it.
func (b *batch) ClaimDigest(id string, at time.Time, digest uint64) (bool, state.Claimed, error) {
	if at.UnixNano() < b.store.idsBefore.Load() {
		return false, state.Claimed{}, state.ErrTooOld
	}
	seen, k, err := b.lookup(id)
	if err != nil || seen {
		return false, k.claimed(), err
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
	s := b.store
	s.mu.Lock()
	m := s.pinned[id]
	if m == nil {
		m = s.cache.get(id)
	}
	s.mu.Unlock()
	if m != nil {
		b.members[id] = m
		return m, nil
	}
	if b.absent[id] {
		return nil, state.ErrNotFound
	}
	var data []byte
	err := s.db.QueryRowContext(b.ctx, `SELECT data FROM members WHERE id = ?`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, state.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	m = &state.Member{}
	if err := state.DecodeMember(data, m); err != nil {
		return nil, fmt.Errorf("member %s: %w", id, err)
	}
	b.members[id] = m
	return m, nil
}

func (b *batch) SaveMember(m *state.Member) error {
	b.members[m.ID] = m
	b.minRecheck = state.Earlier(b.minRecheck, m.RecheckAt)
	return nil
}

var _ state.DueProber = (*batch)(nil)

// DueBy answers from the batch's saved members, the jobs not yet written,
// and the earliest recheck time in the file, read once per write. A member
// whose stored time is stale (changed in memory since) only makes it
// answer yes.
func (b *batch) DueBy(t time.Time) (bool, error) {
	if state.ByTime(b.minRecheck, t) {
		return true, nil
	}
	s := b.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.pinMinOK {
		s.pinMin = 0
		for _, r := range s.pinRecheck {
			if r != 0 && (s.pinMin == 0 || r < s.pinMin) {
				s.pinMin = r
			}
		}
		s.pinMinOK = true
	}
	if s.pinMin != 0 && s.pinMin <= t.UnixNano() {
		return true, nil
	}
	if !s.storedMinOK || s.storedMinAt != s.writes {
		// The lock is held across the query, as in Due: the writer
		// never waits for it while holding a connection.
		rows, err := s.db.QueryContext(b.ctx, `SELECT id, recheck_at FROM members WHERE recheck_at > 0 ORDER BY recheck_at LIMIT ?`, storedEarliest)
		if err != nil {
			return false, err
		}
		list, err := state.ScanDue(rows)
		rows.Close()
		if err != nil {
			return false, err
		}
		s.storedMin, s.storedMinAt, s.storedMinOK = list, s.writes, true
	}
	// A pinned member's stored time is stale: its batch's time, above,
	// is the one that counts. When all the earliest stored are pinned,
	// the answer is yes, which only costs a commit.
	for _, d := range s.storedMin {
		if _, pinned := s.pinRecheck[d.ID]; !pinned {
			return d.At <= t.UnixNano(), nil
		}
	}
	return len(s.storedMin) == storedEarliest, nil
}

// storedEarliest is how many of the earliest stored recheck times DueBy
// keeps: enough that they are seldom all of pinned members.
const storedEarliest = 64

// Due lists members whose recheck time has come, by the freshest state:
// the database's, corrected by members still being written.
func (b *batch) Due(t time.Time, limit int) ([]string, error) {
	s := b.store
	// The lock is held across the query: a background commit that ends
	// while the query reads an older snapshot would otherwise unpin its
	// members before they are looked for below, and they would be missed
	// until a later round. The writer never waits for the lock while it
	// holds a connection, so the query cannot deadlock with it.
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.db.QueryContext(b.ctx, `SELECT id, recheck_at FROM members WHERE recheck_at > 0 AND recheck_at <= ? ORDER BY recheck_at, id LIMIT ?`, t.UnixNano(), limit)
	if err != nil {
		return nil, err
	}
	list, err := state.ScanDue(rows)
	rows.Close()
	if err != nil {
		return nil, err
	}
	fresh := func(id string) *state.Member {
		if m, ok := b.members[id]; ok {
			return m
		}
		return s.pinned[id]
	}
	out := list[:0]
	for _, d := range list {
		if m := fresh(d.ID); m != nil {
			if m.RecheckAt.IsZero() || m.RecheckAt.After(t) {
				continue
			}
			d.At = m.RecheckAt.UnixNano()
		}
		out = append(out, d)
	}
	listed := map[string]bool{}
	for _, d := range out {
		listed[d.ID] = true
	}
	for _, pending := range []map[string]*state.Member{b.members, s.pinned} {
		for id, m := range pending {
			if !listed[id] && !m.RecheckAt.IsZero() && !m.RecheckAt.After(t) {
				listed[id] = true
				out = append(out, state.DueRow{ID: id, At: m.RecheckAt.UnixNano()})
			}
		}
	}
	return state.DueIDs(out, limit), nil
}

func (b *batch) Enqueue(a []state.Action) error {
	b.actions = append(b.actions, a...)
	return nil
}

func (b *batch) AppendOutcomes(o []state.Outcome) error {
	b.outcomes = append(b.outcomes, o...)
	return nil
}

// Commit writes the batch durably and returns when it is on disk.
func (b *batch) Commit() error {
	errc := make(chan error, 1)
	b.CommitAsync(func(err error) { errc <- err })
	return <-errc
}

// CommitAsync hands the batch to the background writer and returns at
// once; done is called when it is durably written, or failed. Batches are
// written in the order they were committed, each in one transaction. The
// members are encoded now, so later batches may change them freely.
func (b *batch) CommitAsync(done func(error)) {
	if b.done {
		done(errors.New("batch already finished"))
		return
	}
	b.done = true
	j, err := b.job()
	if err != nil {
		b.store.restore(b.members, b.comms)
		done(err)
		return
	}
	j.done = done
	if err := b.store.submit(j, b.gen); err != nil {
		b.store.restore(b.members, b.comms)
		done(err)
	}
}

// job is one batch, encoded, waiting to be written.
type job struct {
	ids []string
	at  []int64
	// digest holds the ids' content digests (0: unknown), nil when the
	// batch claimed none with one.
	digest   []uint64
	members  []*state.Member // nil in a job read back from the journal
	mids     []string        // the members' ids
	docs     [][]byte
	recheck  []int64
	comms    []*state.Community // nil in a job read back from the journal
	cnames   []string
	cdocs    [][]byte
	outcomes []state.Outcome
	actions  []state.Action
	adocs    [][]byte
	// queued is when each action was queued, in Unix nanoseconds: the
	// batch's commit, by the store's clock.
	queued  []int64
	tallies []string // keys in order, for deterministic writes
	tallyN  []int64
	// idents are the batch's identity claims (ClaimIdentity); readBack
	// says the job was read back from the journal, which keeps none:
	// its member documents' identities are indexed instead.
	idents   []identRow
	readBack bool
	done     func(error)
	// seq is the job's journal record, once journaled.
	seq uint64
	// scrub, when not nil, makes this no batch but a request to the
	// writer to leave no old bytes in the files (scrubFiles), answered
	// on the channel.
	scrub chan error
}

func (b *batch) job() (*job, error) {
	j := &job{outcomes: b.outcomes, actions: b.actions}
	for k, n := range b.tallies {
		if n != 0 {
			j.tallies = append(j.tallies, k)
		}
	}
	sort.Strings(j.tallies)
	for _, k := range j.tallies {
		j.tallyN = append(j.tallyN, b.tallies[k])
	}
	var queued int64
	if len(b.actions) > 0 {
		queued = b.store.queueNow().UnixNano()
	}
	for _, a := range b.actions {
		data, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		j.adocs, j.queued = append(j.adocs, data), append(j.queued, queued)
	}
	for id := range b.seen {
		j.ids = append(j.ids, id)
	}
	sort.Strings(j.ids) // B-tree friendly, and deterministic
	for _, id := range j.ids {
		j.at = append(j.at, b.seen[id])
	}
	if len(b.digests) > 0 {
		j.digest = make([]uint64, len(j.ids))
		for i, id := range j.ids {
			j.digest[i] = b.digests[id]
		}
	}
	for _, m := range b.members {
		j.members = append(j.members, m)
	}
	for k, member := range b.idents {
		j.idents = append(j.idents, identRow{k.platform, k.identity, member})
	}
	sortIdents(j.idents)
	for _, c := range b.comms {
		data, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("community %s: %w", c.Name, err)
		}
		j.comms, j.cnames, j.cdocs = append(j.comms, c), append(j.cnames, c.Name), append(j.cdocs, data)
	}
	sort.Slice(j.members, func(i, k int) bool { return j.members[i].ID < j.members[k].ID })
	for _, m := range j.members {
		j.mids = append(j.mids, m.ID)
	}
	// The documents share one buffer, sized by the last batch's: one
	// allocation for all of them, usually.
	buf := make([]byte, 0, b.store.docBytes.Load()+b.store.docBytes.Load()/4)
	ends := make([]int, 0, len(j.members))
	for _, m := range j.members {
		var err error
		if buf, err = m.AppendBinary(buf); err != nil {
			return nil, fmt.Errorf("member %s: %w", m.ID, err)
		}
		ends = append(ends, len(buf))
	}
	b.store.docBytes.Store(int64(len(buf)))
	start := 0
	for i, m := range j.members {
		j.docs = append(j.docs, buf[start:ends[i]:ends[i]])
		start = ends[i]
		var recheck int64
		if !m.RecheckAt.IsZero() {
			recheck = m.RecheckAt.UnixNano()
		}
		j.recheck = append(j.recheck, recheck)
	}
	return j, nil
}

// submit pins the job's members and ids in memory and queues the job,
// unless the store fails or failed since the batch began (gen): then
// the batch was built on changes that are not written.
func (s *Store) submit(j *job, gen uint64) error {
	s.mu.Lock()
	if err := s.refusal(); err != nil {
		s.mu.Unlock()
		return err
	}
	if gen != s.gen {
		s.mu.Unlock()
		return fmt.Errorf("%w: it failed and recovered while this batch was built on what it held in memory; nothing of the batch was written", state.ErrFailing)
	}
	q := s.writerQueue()
	for i, id := range j.ids {
		s.pendingIDs[id]++
		if j.digest != nil && j.digest[i] != 0 {
			if s.pendingDigests == nil {
				s.pendingDigests = map[string]kept{}
			}
			s.pendingDigests[id] = kept{j.at[i], j.digest[i]}
		}
	}
	for _, m := range j.members {
		s.pinned[m.ID] = m
		s.pins[m.ID]++
		s.cache.put(m)
	}
	s.pinIdents(j.idents)
	for i, c := range j.comms {
		if s.comms == nil {
			s.comms = map[string]*state.Community{}
		}
		s.comms[c.Name] = c
		s.pinComm[c.Name] = pinnedDoc{j.cdocs[i], s.pinComm[c.Name].pins + 1}
	}
	if s.pinRecheck == nil {
		s.pinRecheck = map[string]int64{}
	}
	for i, id := range j.mids {
		s.pinDoc[id] = j.docs[i]
		old, r := s.pinRecheck[id], j.recheck[i]
		s.pinRecheck[id] = r
		switch {
		case r != 0 && (s.pinMin == 0 || r < s.pinMin):
			s.pinMin = r // also right when the earliest is not known
		case old != 0 && old == s.pinMin:
			s.pinMinOK = false // the earliest moved later
		}
	}
	s.submitted++
	s.mu.Unlock()
	q <- j
	return nil
}

// writerQueue is the writer's queue, started on first use; s.mu is held.
func (s *Store) writerQueue() chan *job {
	if s.queue == nil {
		s.queue = make(chan *job, 4)
		s.writerDone = make(chan struct{})
		go s.writer(s.queue, s.writerDone)
	}
	return s.queue
}

// writer takes jobs in order. Jobs that queued up while it was busy are
// taken together (group commit): one sync to disk for all of them, so
// latency stays flat under load. With a journal the group is durable once
// its records are, and the folder writes it into the database later;
// without one (another process has it) the group is written into the
// database here. After a failure every later job fails too, since it was
// built on the failed one's state.
// A scrub request ends a group: the jobs before it are journaled first.
func (s *Store) writer(q chan *job, done chan<- struct{}) {
	defer close(done)
	for j := range q {
		var scrub chan error
		group := []*job{j}
	drain:
		for len(group) < 64 && group[len(group)-1].scrub == nil {
			select {
			case more, ok := <-q:
				if !ok {
					break drain
				}
				group = append(group, more)
			default:
				break drain
			}
		}
		if last := group[len(group)-1]; last.scrub != nil {
			scrub, group = last.scrub, group[:len(group)-1]
		}
		s.writeMu.Lock()
		if len(group) > 0 {
			s.writeGroup(group)
		}
		if scrub != nil {
			scrub <- s.scrubFiles()
		}
		s.writeMu.Unlock()
	}
}

// writeGroup journals a group, or writes it into the database. A group
// that fails fails the store (health.go); while it fails, groups fail
// without a try: they were built on the failed ones.
func (s *Store) writeGroup(group []*job) {
	s.mu.Lock()
	err := s.refusal()
	s.mu.Unlock()
	if err == nil {
		if s.jr != nil {
			err = s.journalGroup(group)
			if err == nil {
				return
			}
		} else {
			err = s.write(group, 0)
		}
		var failed *FailedError
		if err != nil && !errors.As(err, &failed) {
			// Failed before the committers are told, so none of them
			// begins a batch on what memory holds.
			err = s.fail(err)
		}
	}
	s.written(group, err)
}

// Folding: the folder writes journaled jobs into the database once
// foldAfter has passed since the oldest was journaled, once foldEvents
// events are waiting, or at once when someone waits in Flush. The
// writer stops taking jobs while maxUnfolded events wait.
const (
	foldAfter   = 250 * time.Millisecond
	foldEvents  = 20000
	maxUnfolded = 200000
)

// journalGroup writes the group's records to the journal, tells the
// committers, and hands the group to the folder.
func (s *Store) journalGroup(group []*job) error {
	payloads := make([][]byte, len(group))
	buf := s.jbuf[:0]
	events := 0
	for i, j := range group {
		start := len(buf)
		buf = appendJob(buf, j)
		payloads[i] = buf[start:len(buf):len(buf)]
		events += len(j.ids)
	}
	s.jbuf = buf
	s.mu.Lock()
	for s.unfoldedEvents >= maxUnfolded && s.failed == nil {
		s.foldUrgent = true
		s.kickFolder()
		s.foldCond.Wait()
	}
	folded, failed := s.folded, s.refusal()
	s.mu.Unlock()
	if failed != nil {
		return failed
	}
	seq, err := s.jr.append(payloads, folded)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	for i, j := range group {
		j.seq = seq - uint64(len(group)-1-i)
	}
	// Durable now: tell the committers before the folder has the jobs,
	// which ends them again (without telling) once they are folded.
	for _, j := range group {
		j.done(nil)
		j.done = nil
	}
	s.mu.Lock()
	if len(s.toFold) == 0 {
		s.oldestUnfolded = time.Now()
	}
	s.toFold = append(s.toFold, group...)
	s.unfoldedEvents += events
	s.journaled = seq
	s.kickFolder()
	s.mu.Unlock()
	return nil
}

// kickFolder wakes the folder; s.mu is held.
func (s *Store) kickFolder() {
	select {
	case s.foldKick <- struct{}{}:
	default:
	}
}

// folder writes journaled jobs into the database, many to a transaction,
// which also notes the last journal record folded.
func (s *Store) folder(stop <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	timer := time.NewTimer(foldAfter)
	timer.Stop()
	for {
		select {
		case <-s.foldKick:
		case <-timer.C:
		case <-stop:
			return
		}
		s.mu.Lock()
		if len(s.toFold) == 0 || s.failed != nil {
			// While the store fails, its repair folds.
			s.mu.Unlock()
			continue
		}
		if wait := foldAfter - time.Since(s.oldestUnfolded); !s.foldUrgent && s.unfoldedEvents < foldEvents && wait > 0 {
			timer.Reset(wait)
			s.mu.Unlock()
			continue
		}
		group, last, events := s.toFold, s.journaled, s.unfoldedEvents
		s.toFold, s.unfoldedEvents, s.foldUrgent, s.folding = nil, 0, false, true
		s.mu.Unlock()
		err := s.write(group, last)
		s.mu.Lock()
		s.folding = false
		if err == nil {
			s.folded = last
		} else {
			// Acknowledged and in the journal: kept, pinned, for the
			// repair to fold again.
			s.toFold = slices.Concat(group, s.toFold)
			s.unfoldedEvents += events
			s.failLocked(fmt.Errorf("folding the journal into the database: %w", err))
		}
		s.mu.Unlock()
		if err == nil {
			s.written(group, nil)
		}
		s.mu.Lock()
		s.foldCond.Broadcast()
		s.mu.Unlock()
	}
}

// written ends jobs that are in the database, or failed: their members and
// ids are let go of, and whoever waits on them is told.
func (s *Store) written(group []*job, err error) {
	s.mu.Lock()
	s.writes++
	for _, j := range group {
		for _, id := range j.ids {
			if s.pendingIDs[id]--; s.pendingIDs[id] <= 0 {
				delete(s.pendingIDs, id)
				if len(s.pendingDigests) > 0 {
					delete(s.pendingDigests, id)
				}
			}
			if err == nil {
				s.seen.add(id)
			}
		}
		for _, m := range j.members {
			if s.pins[m.ID]--; s.pins[m.ID] <= 0 {
				delete(s.pins, m.ID)
				delete(s.pinned, m.ID)
				if r := s.pinRecheck[m.ID]; r != 0 && r == s.pinMin {
					s.pinMinOK = false
				}
				delete(s.pinRecheck, m.ID)
				delete(s.pinDoc, m.ID)
			}
		}
		s.unpinIdents(j.idents)
		for _, name := range j.cnames {
			if p := s.pinComm[name]; p.pins <= 1 {
				delete(s.pinComm, name)
			} else {
				s.pinComm[name] = pinnedDoc{p.doc, p.pins - 1}
			}
		}
	}
	rebuild := err == nil && s.seen.full()
	s.mu.Unlock()
	if rebuild {
		// Rebuild larger, so the filter keeps sparing lookups. The
		// writer waits for it: rebuilding in the background measured
		// slower (ApplySQLite 27k against 30k events/s). A failure
		// keeps the full filter, which is only slower, and the
		// batches stay written.
		_ = s.loadSeen(context.Background())
	}
	for _, j := range group {
		if j.done != nil {
			j.done(err)
		}
	}
	s.mu.Lock()
	s.finished += int64(len(group))
	waiting := s.flushes[:0]
	for _, w := range s.flushes {
		if w.upTo <= s.finished {
			close(w.done)
		} else {
			waiting = append(waiting, w)
		}
	}
	s.flushes = waiting
	s.mu.Unlock()
}

// rowsPerStatement bounds multi-row inserts well under SQLite's limit of
// bound parameters.
const rowsPerStatement = 200

// insertRows runs one INSERT per chunk of rows: far fewer statements than
// one per row.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, head, row, tail string, n int, args func(i int) []any) error {
	for start := 0; start < n; start += rowsPerStatement {
		end := min(n, start+rowsPerStatement)
		var q strings.Builder
		q.WriteString(head)
		params := make([]any, 0, (end-start)*4)
		for i := start; i < end; i++ {
			if i > start {
				q.WriteByte(',')
			}
			q.WriteString(row)
			params = append(params, args(i)...)
		}
		q.WriteString(tail)
		if _, err := tx.ExecContext(ctx, q.String(), params...); err != nil {
			return err
		}
	}
	return nil
}

// write writes the jobs in one transaction, as one job: a member in
// several is written once. seq, when not 0, is the last journal record
// among them.
func (s *Store) write(group []*job, seq uint64) error {
	if err := s.fault("database"); err != nil {
		return err
	}
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := s.writeJob(ctx, tx, mergeJobs(group)); err != nil {
		tx.Rollback()
		return err
	}
	if seq > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE state_meta SET journal_seq = ?`, int64(seq)); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// A commit can fail after its data is durable (a failed sync):
	// "committed" stands for that in tests.
	return s.fault("committed")
}

// mergeJobs makes one job of several, as if they were one batch: each
// member's and community's last document, every event id (in key order,
// which B-trees like), outcomes and actions in order, tallies summed.
func mergeJobs(group []*job) *job {
	if len(group) == 1 {
		return group[0]
	}
	m := &job{}
	type doc struct {
		data    []byte
		recheck int64
	}
	members := map[string]doc{}
	comms := map[string][]byte{}
	tallies := map[string]int64{}
	ids := map[string]kept{}
	digests := false
	for _, j := range group {
		for i, id := range j.ids {
			k := kept{at: j.at[i]}
			if j.digest != nil {
				k.digest, digests = j.digest[i], true
			}
			ids[id] = k
		}
		for i, id := range j.mids {
			members[id] = doc{j.docs[i], j.recheck[i]}
		}
		for i, name := range j.cnames {
			comms[name] = j.cdocs[i]
		}
		m.outcomes = append(m.outcomes, j.outcomes...)
		m.actions = append(m.actions, j.actions...)
		m.adocs = append(m.adocs, j.adocs...)
		m.queued = append(m.queued, j.queued...)
		m.idents = append(m.idents, j.idents...) // in order: the last claim wins
		m.readBack = m.readBack || j.readBack
		for i, k := range j.tallies {
			tallies[k] += j.tallyN[i]
		}
	}
	m.ids = slices.Sorted(maps.Keys(ids))
	for _, id := range m.ids {
		m.at = append(m.at, ids[id].at)
	}
	if digests {
		m.digest = make([]uint64, len(m.ids))
		for i, id := range m.ids {
			m.digest[i] = ids[id].digest
		}
	}
	m.mids = slices.Sorted(maps.Keys(members))
	for _, id := range m.mids {
		m.docs, m.recheck = append(m.docs, members[id].data), append(m.recheck, members[id].recheck)
	}
	m.cnames = slices.Sorted(maps.Keys(comms))
	for _, name := range m.cnames {
		m.cdocs = append(m.cdocs, comms[name])
	}
	for _, k := range slices.Sorted(maps.Keys(tallies)) {
		if tallies[k] != 0 {
			m.tallies, m.tallyN = append(m.tallies, k), append(m.tallyN, tallies[k])
		}
	}
	return m
}

// writeJob writes one batch inside the group's transaction; a member in
// several batches is written by each, the last one winning.
func (s *Store) writeJob(ctx context.Context, tx *sql.Tx, j *job) error {
	var err error
	if j.digest == nil {
		err = s.insertRows(ctx, tx, `INSERT INTO events (id, at) VALUES `, `(?, ?)`, ``, len(j.ids), func(i int) []any {
			return []any{j.ids[i], j.at[i]}
		})
	} else {
		// 0, unknown, is NULL: as for the ids stored before digests.
		err = s.insertRows(ctx, tx, `INSERT INTO events (id, at, digest) VALUES `, `(?, ?, ?)`, ``, len(j.ids), func(i int) []any {
			if j.digest[i] == 0 {
				return []any{j.ids[i], j.at[i], nil}
			}
			return []any{j.ids[i], j.at[i], int64(j.digest[i])}
		})
	}
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	err = s.insertRows(ctx, tx, `INSERT INTO members (id, data, recheck_at) VALUES `, `(?, ?, ?)`,
		` ON CONFLICT (id) DO UPDATE SET data = excluded.data, recheck_at = excluded.recheck_at`, len(j.mids), func(i int) []any {
			return []any{j.mids[i], j.docs[i], j.recheck[i]}
		})
	if err != nil {
		return fmt.Errorf("members: %w", err)
	}
	if err := writeIdents(ctx, s, tx, j); err != nil {
		return fmt.Errorf("identities: %w", err)
	}
	err = s.insertRows(ctx, tx, `INSERT INTO outcomes (kind, member, name, change, at, rule, event, points, src, dst, detail) VALUES `, `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ``,
		len(j.outcomes), func(i int) []any {
			o := j.outcomes[i]
			return []any{o.Kind, o.Member, o.Name, o.Change, o.At.UnixNano(), o.Rule, o.Event, o.Points, o.From, o.To, o.Detail}
		})
	if err != nil {
		return fmt.Errorf("outcomes: %w", err)
	}
	err = s.insertRows(ctx, tx, `INSERT INTO communities (name, data) VALUES `, `(?, ?)`,
		` ON CONFLICT (name) DO UPDATE SET data = excluded.data`, len(j.cnames), func(i int) []any {
			return []any{j.cnames[i], j.cdocs[i]}
		})
	if err != nil {
		return fmt.Errorf("communities: %w", err)
	}
	// A key already in the outbox is the same action again: keep the first.
	err = s.insertRows(ctx, tx, `INSERT INTO outbox (key, member, kind, at, next_at, queued_at, data) VALUES `, `(?, ?, ?, ?, ?, ?, ?)`, ` ON CONFLICT (key) DO NOTHING`,
		len(j.actions), func(i int) []any {
			a := j.actions[i]
			return []any{a.Key, a.Member, a.Kind, a.At.UnixNano(), a.At.UnixNano(), j.queued[i], j.adocs[i]}
		})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	err = s.insertRows(ctx, tx, `INSERT INTO tallies (key, n) VALUES `, `(?, ?)`, ` ON CONFLICT (key) DO UPDATE SET n = n + excluded.n`,
		len(j.tallies), func(i int) []any {
			return []any{j.tallies[i], j.tallyN[i]}
		})
	if err != nil {
		return fmt.Errorf("tallies: %w", err)
	}
	return nil
}

// Rollback drops the batch.
func (b *batch) Rollback() error {
	if b.done {
		return nil
	}
	b.done = true
	b.store.restore(b.members, b.comms)
	return nil
}

// restore undoes what a batch that is not written may have changed in
// place: members and communities it read may be shared with the cache and
// with batches not yet written. Those batches were encoded already, so the
// objects are replaced by their newest encoded documents, or dropped from
// memory to be read from disk again.
func (s *Store) restore(members map[string]*state.Member, comms map[string]*state.Community) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range members {
		s.cache.drop(id)
		doc, ok := s.pinDoc[id]
		if !ok {
			continue
		}
		m := &state.Member{}
		if err := state.DecodeMember(doc, m); err != nil {
			// Not for a document this store encoded; the store stops
			// rather than go on from a changed member.
			s.failLocked(fmt.Errorf("restoring member %s: %w", id, err))
			continue
		}
		s.pinned[id] = m
		s.cache.put(m)
	}
	for name := range comms {
		delete(s.comms, name)
		p, ok := s.pinComm[name]
		if !ok {
			continue
		}
		c := &state.Community{}
		if err := json.Unmarshal(p.doc, c); err != nil {
			s.failLocked(fmt.Errorf("restoring community %s: %w", name, err))
			continue
		}
		s.comms[name] = c
	}
}

// Outcomes returns a member's outcomes, oldest first, at most limit.
func (s *Store) Outcomes(ctx context.Context, member string, limit int) ([]state.Outcome, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT kind, member, name, change, at, rule, event, points, src, dst, detail
		FROM outcomes WHERE member = ? ORDER BY seq LIMIT ?`, member, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []state.Outcome
	for rows.Next() {
		var o state.Outcome
		var at int64
		if err := rows.Scan(&o.Kind, &o.Member, &o.Name, &o.Change, &at, &o.Rule, &o.Event, &o.Points, &o.From, &o.To, &o.Detail); err != nil {
			return nil, err
		}
		o.At = time.Unix(0, at).UTC()
		out = append(out, o)
	}
	return out, rows.Err()
}
