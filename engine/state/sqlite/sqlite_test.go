package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/statetest"
)

// openTemp opens a store in a fresh directory, closed when the test ends.
func openTemp(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(context.Background(), filepath.Join(tb.TempDir(), "state.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// openAt opens a store in a fresh directory and returns it with its path,
// for tests that close, crash or reopen it themselves.
func openAt(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		s := openTemp(t)
		return s
	})
}

func TestOutboxPrune(t *testing.T) {
	statetest.RunOutboxPrune(t, func(t *testing.T) state.Store { return openTemp(t) })
}

func TestOutboxPages(t *testing.T) {
	statetest.RunOutboxPages(t, func(t *testing.T) state.Store { return openTemp(t) })
}

// DropPending is campaign stop -drop's: pending actions only.
func TestDropPending(t *testing.T) {
	statetest.RunDropPending(t, func(t *testing.T) state.Store { return openTemp(t) }, false)
}

// SkipPending is campaign stop's: pending actions only.
func TestSkipPending(t *testing.T) {
	statetest.RunSkipPending(t, func(t *testing.T) state.Store { return openTemp(t) }, false)
}

func TestOutboxSelect(t *testing.T) {
	statetest.RunOutboxSelect(t, func(t *testing.T) state.Store { return openTemp(t) })
}

func TestOutboxFinished(t *testing.T) {
	statetest.RunOutboxFinished(t, func(t *testing.T) state.Store { return openTemp(t) })
}

func TestOutboxSentAfterHold(t *testing.T) {
	statetest.RunOutboxSentAfterHold(t, func(t *testing.T) state.Store { return openTemp(t) })
}

func TestOutboxOldestPending(t *testing.T) {
	statetest.RunOutboxOldestPending(t, func(t *testing.T) state.Store { return openTemp(t) })
}

func TestCampaignRecords(t *testing.T) {
	statetest.RunCampaignRecords(t, func(t *testing.T) state.Store { return openTemp(t) })
}

func TestSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Begin(ctx)
	m := state.NewMember("u1", time.Unix(1700000000, 0).UTC())
	m.AddPoints(7, m.JoinedAt)
	_ = b.SaveMember(m)
	_ = b.MarkSeen("e1", m.JoinedAt)
	_ = b.AppendOutcomes([]state.Outcome{{Kind: state.KindPoints, Member: "u1", Name: "x", At: m.JoinedAt, Rule: "incentive.x", Event: "e1", Points: 7}})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(ctx, path) // migrations are idempotent
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, _ = s.Begin(ctx)
	defer b.Rollback()
	got, err := b.Member("u1")
	if err != nil || got.Points != 7 {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	if seen, _ := b.Seen("e1"); !seen {
		t.Error("event not seen after reopen")
	}
	outs, err := s.Outcomes(ctx, "u1", 10)
	if err != nil || len(outs) != 1 || outs[0].Points != 7 {
		t.Errorf("outcomes %+v, %v", outs, err)
	}
}

// A batch built while the previous one is still being written sees its
// members and event ids, and both end up on disk in order.
func TestPipelinedBatchesSeeEachOther(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	at := time.Unix(1700000000, 0).UTC()
	done := make(chan error, 2)
	for i := range 50 {
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		id := "e" + string(rune('a'+i%26)) + time.Duration(i).String()
		if fresh, _ := b.Claim(id, at); !fresh {
			t.Fatalf("batch %d: new id not fresh", i)
		}
		m, err := b.Member("u1")
		if i == 0 {
			if err == nil {
				t.Fatal("member exists before any write")
			}
			m = state.NewMember("u1", at)
		} else if err != nil {
			t.Fatalf("batch %d: previous batches' member not visible: %v", i, err)
		}
		if m.Points != i {
			t.Fatalf("batch %d: points %d; want %d (a pipelined write was missed)", i, m.Points, i)
		}
		m.AddPoints(1, at)
		_ = b.SaveMember(m)
		b.(state.AsyncBatch).CommitAsync(func(err error) {
			if err != nil {
				done <- err
			}
		})
		b2, _ := s.Begin(ctx)
		if fresh, _ := b2.Claim(id, at); fresh {
			t.Fatalf("batch %d: id of a batch being written claimed again", i)
		}
		// b2 is left without Rollback, which would wait for the write:
		// the next batch is then built while this one is still pending.
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatal(err)
	default:
	}
	var points int
	_ = s.Members(ctx, func(m *state.Member) error { points = m.Points; return nil })
	if points != 50 {
		t.Errorf("points on disk %d; want 50", points)
	}
}

func TestResources(t *testing.T) {
	statetest.RunResources(t, func(t *testing.T) statetest.ResourceStore {
		s := openTemp(t)
		return s
	})
}

// The apply lock keeps its holder's pid, for the next command on that
// host to tell a lock a killed apply left.
func TestLockKeepsPID(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	if err := s.Lock(ctx, state.LockInfo{ID: "l1", Who: "ann@ci", When: time.Now(), PID: 4242}); err != nil {
		t.Fatal(err)
	}
	var le *state.LockedError
	if err := s.Lock(ctx, state.LockInfo{ID: "l2", Who: "bob@ci"}); !errors.As(err, &le) || le.Holder.PID != 4242 || le.Holder.Who != "ann@ci" {
		t.Fatalf("second lock: %v (%+v)", err, le)
	}
}

func TestRoleGrants(t *testing.T) {
	statetest.RunRoleGrants(t, func(t *testing.T) statetest.RoleGrantStore { return openTemp(t) })
}

// Flush may be called from any goroutine while batches are being
// committed from another, as the daemon's outbox readers do.
func TestFlushWhileCommitting(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 300 {
			b, _ := s.Begin(ctx)
			_ = b.MarkSeen(fmt.Sprintf("e%d", i), time.Unix(0, 0))
			b.(state.AsyncBatch).CommitAsync(func(error) {})
		}
	}()
	for range 300 {
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// Due never misses a member whose recheck was scheduled by a batch still
// being written, however its write interleaves with Due's query: that
// would make replays depend on commit timing.
func TestDueSeesBatchesBeingWritten(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	at := time.Unix(1700000000, 0).UTC()
	for i := range 400 {
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("u%03d", i)
		m := state.NewMember(id, at)
		m.RecheckAt = at.Add(time.Hour)
		_ = b.SaveMember(m)
		b.(state.AsyncBatch).CommitAsync(func(error) {})
		// Check from a fresh batch while the write may be in any stage.
		b2, _ := s.Begin(ctx)
		ids, err := b2.Due(at.Add(2*time.Hour), 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != i+1 {
			t.Fatalf("after %d commits Due listed %d members", i+1, len(ids))
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// databaseAt makes a database file as the first version migrations left
// it, for a test of what the later ones do to rows written before them;
// the test closes db before it opens the store on path.
func databaseAt(t *testing.T, version int) (path string, db *sql.DB) {
	t.Helper()
	path = filepath.Join(t.TempDir(), fmt.Sprintf("v%d.db", version))
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(fmt.Sprintf(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (%d)`, version)); err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:version] {
		if _, err := db.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	return path, db
}

// A database written before migration 6 (members in a WITHOUT ROWID
// table) opens with its members, their recheck times and their writes.
func TestMembersMigrateToRowidTable(t *testing.T) {
	ctx := context.Background()
	path, db := databaseAt(t, 5)
	at := time.Unix(1700000000, 0).UTC()
	old := state.NewMember("u1", at)
	old.Points, old.RecheckAt = 42, at.Add(time.Hour)
	doc, _ := json.Marshal(old)
	if _, err := db.Exec(`INSERT INTO members (id, data, recheck_at) VALUES (?, ?, ?)`, "u1", doc, old.RecheckAt.UnixNano()); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, _ := s.Begin(ctx)
	m, err := b.Member("u1")
	if err != nil || m.Points != 42 {
		t.Fatalf("member after migration: %+v, %v", m, err)
	}
	if ids, err := b.Due(at.Add(2*time.Hour), 10); err != nil || len(ids) != 1 {
		t.Fatalf("due after migration: %v, %v", ids, err)
	}
	m.Points = 43
	_ = b.SaveMember(m)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	var points int
	_ = s.Members(ctx, func(m *state.Member) error { points = m.Points; return nil })
	if points != 43 {
		t.Errorf("points after a write on the migrated table: %d", points)
	}
}

// Outbox entries finished before migration 11 recorded when they
// finished get the time they already had: a sent one its sent_at, a dead
// or skipped one when it was last due. One an older hearth finishes
// after the migration (it writes no finished_at) falls back the same
// way when read and pruned.
func TestOutboxFinishedAtMigrates(t *testing.T) {
	ctx := context.Background()
	path, db := databaseAt(t, 10)
	day := func(n int) time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
	insert := func(db *sql.DB, key, status string, next, sent time.Time) {
		t.Helper()
		var sentAt int64
		if !sent.IsZero() {
			sentAt = sent.UnixNano()
		}
		data, _ := json.Marshal(state.Action{Key: key, Kind: "send.dm", Member: "ann", At: day(0), Text: "Hello"})
		if _, err := db.Exec(`INSERT INTO outbox (key, member, kind, at, status, next_at, sent_at, data) VALUES (?, 'ann', 'send.dm', ?, ?, ?, ?, ?)`,
			key, day(0).UnixNano(), status, next.UnixNano(), sentAt, data); err != nil {
			t.Fatal(err)
		}
	}
	insert(db, "sent", "sent", day(0), day(2))
	insert(db, "dead", "dead", day(3), time.Time{})
	insert(db, "skipped", "skipped", day(4), time.Time{})
	insert(db, "pending", "pending", day(5), time.Time{})
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	insert(s.db, "older-hearth", "dead", day(6), time.Time{})
	es, err := s.ListOutbox(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"sent": day(2), "dead": day(3), "skipped": day(4), "pending": {}, "older-hearth": day(6)}
	for _, e := range es {
		if !e.FinishedAt.Equal(want[e.Key]) {
			t.Errorf("%s entry finished at %v after the migration; want %v", e.Key, e.FinishedAt, want[e.Key])
		}
		delete(want, e.Key)
	}
	if len(want) != 0 {
		t.Errorf("the migration lost entries: %v", want)
	}
	// The migration stored those times, rather than only the reads
	// falling back to them.
	var stored string
	if err := s.db.QueryRow(`SELECT group_concat(key || '=' || (finished_at / 86400000000000), ' ') FROM (SELECT key, finished_at FROM outbox ORDER BY key)`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if w := fmt.Sprintf("dead=%d older-hearth=0 pending=0 sent=%d skipped=%d", day(3).Unix()/86400, day(2).Unix()/86400, day(4).Unix()/86400); stored != w {
		t.Errorf("finished_at stored in days since 1970: %s; want %s", stored, w)
	}
	// The prune goes by them, and by the due time of the entry without
	// one.
	for cut, n := range map[int]int64{2: 0, 3: 1, 5: 3, 7: 4} {
		if got, err := s.PruneOutbox(ctx, day(cut), true); err != nil || got != n {
			t.Errorf("prune before day %d = %d, %v; want %d", cut, got, err, n)
		}
	}
}

// Outbox entries queued before migration 15 recorded when they were
// queued get their action's time, what their wait was counted from
// until then; entries queued after it get the store's clock.
func TestOutboxQueuedAtMigrates(t *testing.T) {
	ctx := context.Background()
	path, db := databaseAt(t, 14)
	day := func(n int) time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
	for i, status := range []string{"pending", "dead"} {
		data, _ := json.Marshal(state.Action{Key: status, Kind: "send.dm", Member: "ann", At: day(i), Text: "Hello"})
		if _, err := db.Exec(`INSERT INTO outbox (key, member, kind, at, status, next_at, data) VALUES (?, 'ann', 'send.dm', ?, ?, ?, ?)`,
			status, day(i).UnixNano(), status, day(i+1).UnixNano(), data); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := day(30)
	s.SetQueueClock(func() time.Time { return now })
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Enqueue([]state.Action{{Key: "new", Kind: "send.dm", Member: "bob", At: day(2), Text: "Hi"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	es, err := s.ListOutbox(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"pending": day(0), "dead": day(1), "new": now}
	for _, e := range es {
		if !e.QueuedAt.Equal(want[e.Key]) {
			t.Errorf("%s queued at %v; want %v", e.Key, e.QueuedAt, want[e.Key])
		}
		delete(want, e.Key)
	}
	if len(want) != 0 {
		t.Errorf("the migration lost entries: %v", want)
	}
	var stored string
	if err := s.db.QueryRow(`SELECT group_concat(key || '=' || (queued_at / 86400000000000), ' ') FROM (SELECT key, queued_at FROM outbox ORDER BY key)`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if w := fmt.Sprintf("dead=%d new=%d pending=%d", day(1).Unix()/86400, now.Unix()/86400, day(0).Unix()/86400); stored != w {
		t.Errorf("queued_at stored in days since 1970: %s; want %s", stored, w)
	}
	if got, err := s.OldestPending(ctx); err != nil || !got.Equal(day(0)) {
		t.Errorf("oldest pending %v, %v; want the migrated entry's %v", got, err, day(0))
	}
}

// When the filter of event ids fills up it is rebuilt larger while
// commits go on; no id is lost from it on the way, so every committed id
// is still refused and new ones are still fresh.
func TestSeenFilterRebuildsWhileCommitting(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	at := time.Unix(1700000000, 0).UTC()
	const total, per = 80000, 4000
	for i := 0; i < total; i += per {
		b, _ := s.Begin(ctx)
		for j := i; j < i+per; j++ {
			if fresh, err := b.Claim(fmt.Sprintf("ev-%06d", j), at); !fresh || err != nil {
				t.Fatalf("id %d: fresh %v, %v", j, fresh, err)
			}
		}
		b.(state.AsyncBatch).CommitAsync(func(err error) {
			if err != nil {
				t.Error(err)
			}
		})
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	n, capacity := s.seen.n, s.seen.cap
	s.mu.Unlock()
	if capacity < total || n < total {
		t.Errorf("filter holds %d ids, sized for %d: not rebuilt for %d", n, capacity, total)
	}
	b, _ := s.Begin(ctx)
	defer b.Rollback()
	for j := 0; j < total; j += 997 {
		if fresh, _ := b.Claim(fmt.Sprintf("ev-%06d", j), at); fresh {
			t.Fatalf("committed id %d claimed again after the rebuild", j)
		}
	}
	if fresh, _ := b.Claim("ev-new", at); !fresh {
		t.Error("a new id is not fresh")
	}
}

// Stores written before the binary member form hold JSON documents: both
// forms are read, side by side, and a member written again is binary.
func TestReadsJSONAndBinaryMembers(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	at := time.Unix(1700000000, 0).UTC()
	old := state.NewMember("old", at)
	old.Points = 5
	old.Record("message.posted", at, true)
	doc, _ := json.Marshal(old)
	if _, err := s.db.Exec(`INSERT INTO members (id, data) VALUES (?, ?)`, "old", doc); err != nil {
		t.Fatal(err)
	}
	b, _ := s.Begin(ctx)
	fresh := state.NewMember("new", at)
	fresh.Points = 9
	_ = b.SaveMember(fresh)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	if err := s.Members(ctx, func(m *state.Member) error { got[m.ID] = m.Points + m.Total("message.posted"); return nil }); err != nil {
		t.Fatal(err)
	}
	if got["old"] != 6 || got["new"] != 9 {
		t.Fatalf("members: %v", got)
	}
	var data []byte
	if err := s.db.QueryRow(`SELECT data FROM members WHERE id = 'new'`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	if data[0] == '{' || len(data) >= len(doc) {
		t.Fatalf("new member written as %d bytes starting %q; want the binary form", len(data), data[:1])
	}
}

// A file from a newer hearth (documents this one might not read) is
// refused with what to do, and left as it was.
func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	s, path := openAt(t)
	if _, err := s.db.Exec(`UPDATE schema_version SET version = ?`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "upgrade hearth") {
		t.Fatalf("opening a newer file: %v", err)
	}
	db, _ := sql.Open("sqlite", "file:"+path)
	defer db.Close()
	var v int
	if err := db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != len(migrations)+1 {
		t.Fatalf("version after the refusal: %d, %v", v, err)
	}
}

// After a restart nothing is cached: Preload reads the group's members and
// the ids the filter may hold at once, and the batch answers from what it
// read, even if the file changes behind it.
func TestPreloadAfterReopen(t *testing.T) {
	ctx := context.Background()
	s, path := openAt(t)
	at := time.Unix(1700000000, 0).UTC()
	b, _ := s.Begin(ctx)
	for i := range 300 { // more than one statement's worth of ids
		m := state.NewMember(fmt.Sprintf("u%03d", i), at)
		m.Points = i
		_ = b.SaveMember(m)
		_ = b.MarkSeen(fmt.Sprintf("e%03d", i), at)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ids, members []string
	for i := range 300 {
		ids, members = append(ids, fmt.Sprintf("e%03d", i)), append(members, fmt.Sprintf("u%03d", i))
	}
	ids, members = append(ids, "e-new"), append(members, "u-new")
	b, _ = s.Begin(ctx)
	defer b.Rollback()
	if err := b.(state.Preloader).Preload(ids, members); err != nil {
		t.Fatal(err)
	}
	// Behind the batch's back: what it answers now is what it preloaded.
	if _, err := s.db.Exec(`DELETE FROM members WHERE id = 'u150'; DELETE FROM events WHERE id = 'e150'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`INSERT INTO members (id, data) SELECT 'u-new', data FROM members WHERE id = 'u001'`); err != nil {
		t.Fatal(err)
	}
	if m, err := b.Member("u150"); err != nil || m.Points != 150 {
		t.Fatalf("u150 after preload: %+v, %v", m, err)
	}
	if _, err := b.Member("u-new"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("u-new was absent at preload: %v", err)
	}
	if fresh, err := b.Claim("e150", at); fresh || err != nil {
		t.Fatalf("e150 was applied at preload: fresh=%v, %v", fresh, err)
	}
	if fresh, err := b.Claim("e-new", at); !fresh || err != nil {
		t.Fatalf("e-new: fresh=%v, %v", fresh, err)
	}
}

// BenchmarkColdMembers is reading the members of a 1,000-event group that
// are not in memory, as after a restart: one query each, or one Preload.
// ns/member is the figure; ns/op is per group.
func BenchmarkColdMembers(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	at := time.Unix(1700000000, 0).UTC()
	const stored = 20000
	for start := 0; start < stored; start += 2000 {
		bt, _ := s.Begin(ctx)
		for i := start; i < start+2000; i++ {
			m := state.NewMember(fmt.Sprintf("u%05d", i), at)
			for d := range 30 {
				m.Record("message.posted", at.Add(time.Duration(d)*24*time.Hour), true)
			}
			_ = bt.SaveMember(m)
		}
		if err := bt.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	group := make([]string, 1000)
	for i := range group {
		group[i] = fmt.Sprintf("u%05d", (i*7919)%stored)
	}
	for _, preload := range []bool{false, true} {
		name := map[bool]string{false: "one-by-one", true: "preload"}[preload]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				s.mu.Lock()
				s.cache = memberCache{limit: s.cache.limit}
				s.mu.Unlock()
				bt, _ := s.Begin(ctx)
				if preload {
					if err := bt.(state.Preloader).Preload(nil, group); err != nil {
						b.Fatal(err)
					}
				}
				for _, id := range group {
					if _, err := bt.Member(id); err != nil {
						b.Fatal(err)
					}
				}
				_ = bt.Rollback()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(group)), "ns/member")
		})
	}
}

// TestSuppressionSurvivesReopen: a member who asked to be forgotten stays
// refused after a restart, and an erased member stays erased although the
// journal still held their batches when the store was closed.
func TestSuppressionSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	s, path := openAt(t)
	b, _ := s.Begin(ctx)
	_ = b.SaveMember(state.NewMember("ann", time.Unix(1700000000, 0).UTC()))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EraseMember(ctx, "ann", state.EraseOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Suppress(ctx, "ann", time.Now()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, _ = s.Begin(ctx)
	defer b.Rollback()
	if on, err := b.(state.SuppressionBatch).Suppressed("ann"); !on || err != nil {
		t.Errorf("ann suppressed after reopening: %v, %v", on, err)
	}
	if _, err := b.Member("ann"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("ann after reopening: %v; want ErrNotFound", err)
	}
}

// A member with runs of a campaign with run_key, one per key, is read
// back after a restart with each run under its key, and written in the
// member document's version 5; a stored member of version 4 next to it
// reads as it was.
func TestKeyedRunsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	s, path := openAt(t)
	at := time.Unix(1700000000, 0).UTC()
	old := state.NewMember("old", at)
	old.Campaigns = map[string]*state.CampaignRun{"rsvp": {Status: "done", Reason: "finished", EnteredAt: at, EndedAt: at, Runs: 2}}
	oldDoc, err := old.AppendBinary(nil)
	if err != nil || oldDoc[0] != 4 {
		t.Fatalf("member without keyed runs: version %d, %v", oldDoc[0], err)
	}
	if _, err := s.db.Exec(`INSERT INTO members (id, data) VALUES (?, ?)`, "old", oldDoc); err != nil {
		t.Fatal(err)
	}
	m := state.NewMember("ann", at)
	m.Campaigns = map[string]*state.CampaignRun{}
	for i, key := range []string{"Go Night #42", "Go Night #43"} {
		m.Campaigns[state.RunID("rsvp", key)] = &state.CampaignRun{Status: "active", StepName: "reminder", Step: 2, EnteredAt: at, StepAt: at,
			Due: at.Add(time.Duration(i+1) * time.Hour), Runs: 1, Seq: 1, Event: map[string]any{"meetup": key}, Key: key}
	}
	b, _ := s.Begin(ctx)
	if err := b.SaveMember(m); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var data []byte
	if err := s.db.QueryRow(`SELECT data FROM members WHERE id = 'ann'`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	if data[0] != 5 {
		t.Fatalf("member with keyed runs written as version %d, want 5", data[0])
	}
	b, _ = s.Begin(ctx)
	defer b.Rollback()
	got, err := b.Member("ann")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Campaigns) != 2 {
		t.Fatalf("runs after reopen: %v", got.Campaigns)
	}
	for _, key := range []string{"Go Night #42", "Go Night #43"} {
		run := got.Campaigns[state.RunID("rsvp", key)]
		if run == nil || run.Key != key || run.Event["meetup"] != key || !run.Active() || run.StepName != "reminder" {
			t.Errorf("run %q after reopen: %+v", key, run)
		}
	}
	if n := got.ActiveRuns("rsvp"); n != 2 {
		t.Errorf("ActiveRuns = %d, want 2", n)
	}
	o, err := b.Member("old")
	if err != nil {
		t.Fatal(err)
	}
	if run := o.Campaigns["rsvp"]; run == nil || run.Runs != 2 || run.Reason != "finished" || run.Key != "" || o.HasKeyedRuns() {
		t.Errorf("version 4 member read as %+v", o.Campaigns)
	}
}
