package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/statetest"
)

// testURL skips the test when no PostgreSQL is configured.
func testURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("HEARTH_TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("skipping: set HEARTH_TEST_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to test the PostgreSQL store")
	}
	return u
}

// freshSchema names a schema of its own for one test and drops it after.
func freshSchema(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("hearth_test_%d_%d", os.Getpid(), rand.Uint64())
	u := testURL(t)
	t.Cleanup(func() {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, u)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`)
	})
	return name
}

// open opens a store in a schema; the second store on one schema is a
// second replica.
func open(t testing.TB, schema string, opt Options) *Store {
	t.Helper()
	opt.Schema = schema
	s, err := Open(context.Background(), testURL(t), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// schemaAt makes a fresh schema as the first version migrations left it,
// for a test of what the later ones do to rows written before them. The
// connection it returns has that schema as its search path.
func schemaAt(t *testing.T, version int) (string, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	schema := freshSchema(t)
	c, err := pgx.Connect(ctx, testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) })
	name := pgx.Identifier{schema}.Sanitize()
	if _, err := c.Exec(ctx, `CREATE SCHEMA `+name+`; SET search_path = `+name); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, fmt.Sprintf(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (%d)`, version)); err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:version] {
		if _, err := c.Exec(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	return schema, c
}

// checkVersion checks that opening a store ran every migration.
func checkVersion(t *testing.T, c *pgx.Conn) {
	t.Helper()
	var v int
	if err := c.QueryRow(context.Background(), `SELECT version FROM schema_version`).Scan(&v); err != nil || v != len(migrations) {
		t.Errorf("schema version %d, %v; want %d", v, err, len(migrations))
	}
}

func TestConformance(t *testing.T) {
	testURL(t)
	statetest.Run(t, func(t *testing.T) state.Store { return open(t, freshSchema(t), Options{}) })
}

func TestResources(t *testing.T) {
	testURL(t)
	statetest.RunResources(t, func(t *testing.T) statetest.ResourceStore { return open(t, freshSchema(t), Options{}) })
}

func TestRoleGrants(t *testing.T) {
	testURL(t)
	statetest.RunRoleGrants(t, func(t *testing.T) statetest.RoleGrantStore { return open(t, freshSchema(t), Options{}) })
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func commitMember(t *testing.T, s *Store, id string, points int, recheck time.Time) {
	t.Helper()
	b, _ := s.Begin(context.Background())
	m, err := b.Member(id)
	if errors.Is(err, state.ErrNotFound) {
		m = state.NewMember(id, t0)
	} else if err != nil {
		t.Fatal(err)
	}
	m.AddPoints(points, t0)
	m.RecheckAt = recheck
	_ = b.SaveMember(m)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

// Two replicas that read the same member cannot both write it: the second
// commit fails whole, and its event stays unapplied.
func TestConcurrentWriteConflicts(t *testing.T) {
	ctx := context.Background()
	schema := freshSchema(t)
	a, b := open(t, schema, Options{}), open(t, schema, Options{})
	commitMember(t, a, "u1", 5, time.Time{})

	ba, _ := a.Begin(ctx)
	bb, _ := b.Begin(ctx)
	for i, bt := range []state.Batch{ba, bb} {
		if fresh, err := bt.Claim(fmt.Sprintf("e%d", i), t0); !fresh || err != nil {
			t.Fatalf("claim: %v %v", fresh, err)
		}
		m, err := bt.Member("u1")
		if err != nil {
			t.Fatal(err)
		}
		m.AddPoints(10, t0)
		_ = bt.SaveMember(m)
	}
	if err := ba.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := bb.Commit(); !errors.Is(err, ErrConflict) {
		t.Fatalf("second replica's commit: %v; want ErrConflict", err)
	}
	check, _ := b.Begin(ctx)
	defer check.Rollback()
	m, _ := check.Member("u1")
	if m.Points != 15 {
		t.Errorf("points %d; want 15 (one grant, not two, not lost)", m.Points)
	}
	if seen, _ := check.Seen("e1"); seen {
		t.Error("the failed batch's event is marked applied")
	}

	// The same event applied by two replicas at once: one wins.
	ba, _ = a.Begin(ctx)
	bb, _ = b.Begin(ctx)
	for _, bt := range []state.Batch{ba, bb} {
		if fresh, _ := bt.Claim("e9", t0); !fresh {
			t.Fatal("e9 not fresh")
		}
		_ = bt.SaveMember(state.NewMember("new-"+fmt.Sprint(bt == ba), t0))
	}
	if err := ba.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := bb.Commit(); !errors.Is(err, ErrConflict) {
		t.Fatalf("same event twice: %v; want ErrConflict", err)
	}
}

// Two replicas asking for due timers at the same moment get disjoint
// members; a claimed member is not handed out again within the lease.
func TestDueIsSharedBetweenReplicas(t *testing.T) {
	ctx := context.Background()
	schema := freshSchema(t)
	a, b := open(t, schema, Options{}), open(t, schema, Options{})
	for i := range 40 {
		commitMember(t, a, fmt.Sprintf("u%02d", i), 1, t0.Add(time.Duration(i)*time.Minute))
	}
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b, a, b} {
		wg.Go(func() {
			bt, _ := s.Begin(ctx)
			defer bt.Rollback()
			ids, err := bt.Due(t0.Add(time.Hour), 15)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			for _, id := range ids {
				got[id]++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(got) != 40 {
		t.Errorf("%d members handed out; want all 40", len(got))
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("%s handed out %d times", id, n)
		}
	}
	bt, _ := a.Begin(ctx)
	defer bt.Rollback()
	if ids, _ := bt.Due(t0.Add(time.Hour), 100); len(ids) != 0 {
		t.Errorf("claimed members handed out again within the lease: %v", ids)
	}
}

// DueIn hands out only the members of the partitions asked for, so each
// replica runs its own members' timers.
func TestDueInOwnedPartitions(t *testing.T) {
	ctx := context.Background()
	s := open(t, freshSchema(t), Options{})
	want := map[string]bool{}
	for i := range 60 {
		id := fmt.Sprintf("u%02d", i)
		commitMember(t, s, id, 1, t0)
		if p := state.MemberHash(id) % 4; p == 1 || p == 3 {
			want[id] = true
		}
	}
	b, _ := s.Begin(ctx)
	defer b.Rollback()
	ids, err := b.(state.PartitionedDue).DueIn(t0, 100, 4, []int{1, 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(want) || len(want) == 0 {
		t.Fatalf("%d members due in partitions 1 and 3; want %d", len(ids), len(want))
	}
	for _, id := range ids {
		if !want[id] {
			t.Errorf("%s is not in partition 1 or 3", id)
		}
	}
	if ids, _ := b.(state.PartitionedDue).DueIn(t0, 100, 4, nil); len(ids) != 0 {
		t.Errorf("no partitions owned, yet due: %v", ids)
	}
}

// A rechecked member written back is due again at its new time, however
// recently it was claimed.
func TestDueAfterWriteBack(t *testing.T) {
	ctx := context.Background()
	s := open(t, freshSchema(t), Options{})
	commitMember(t, s, "u1", 1, t0)
	b, _ := s.Begin(ctx)
	if ids, _ := b.Due(t0, 10); len(ids) != 1 {
		t.Fatalf("due %v", ids)
	}
	m, _ := b.Member("u1")
	m.RecheckAt = t0.Add(time.Hour)
	_ = b.SaveMember(m)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	b, _ = s.Begin(ctx)
	defer b.Rollback()
	if ids, _ := b.Due(t0.Add(time.Hour), 10); fmt.Sprint(ids) != "[u1]" {
		t.Errorf("due after write-back %v; want [u1]", ids)
	}
}

// Replicas delivering the outbox at once each get their own rows: every
// action is handed out exactly once while its lease lasts.
func TestOutboxClaimedOnce(t *testing.T) {
	ctx := context.Background()
	schema := freshSchema(t)
	stores := []*Store{open(t, schema, Options{}), open(t, schema, Options{}), open(t, schema, Options{})}
	b, _ := stores[0].Begin(ctx)
	var acts []state.Action
	for i := range 300 {
		acts = append(acts, state.Action{Key: fmt.Sprintf("k%03d", i), Kind: "dm", Member: "u1", At: t0})
	}
	acts = append(acts, acts[0]) // the same key again is one action
	_ = b.Enqueue(acts)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	handed := map[string]int{}
	var wg sync.WaitGroup
	for i := range 9 {
		s := stores[i%3]
		wg.Go(func() {
			for {
				due, err := s.DueActions(ctx, t0, 25)
				if err != nil {
					t.Error(err)
					return
				}
				if len(due) == 0 {
					return
				}
				for _, e := range due {
					mu.Lock()
					handed[e.Key]++
					mu.Unlock()
					if err := s.MarkSent(ctx, e.Key, e.Attempts+1, t0); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if len(handed) != 300 {
		t.Errorf("%d actions handed out; want 300", len(handed))
	}
	for k, n := range handed {
		if n != 1 {
			t.Errorf("%s handed out %d times", k, n)
		}
	}
	counts, err := stores[1].CountOutbox(ctx)
	if err != nil || counts["sent"] != 300 || len(counts) != 1 {
		t.Errorf("counts %v, %v", counts, err)
	}
}

// An action claimed by a replica that died is sent by another once the
// lease is over; one that failed is retried when due.
func TestOutboxLeaseAndRetry(t *testing.T) {
	ctx := context.Background()
	schema := freshSchema(t)
	dead := open(t, schema, Options{Lease: time.Nanosecond})
	live := open(t, schema, Options{})
	b, _ := live.Begin(ctx)
	_ = b.Enqueue([]state.Action{{Key: "k1", Kind: "dm", Member: "u1", At: t0}, {Key: "k2", Kind: "dm", Member: "u1", At: t0}})
	_ = b.Commit()
	if due, _ := dead.DueActions(ctx, t0, 1); len(due) != 1 || due[0].Key != "k1" {
		t.Fatalf("first claim %v", due)
	}
	// dead's lease of one nanosecond is over by now.
	due, _ := live.DueActions(ctx, t0, 10)
	if len(due) != 2 {
		t.Fatalf("after the lease: %v; want k1 and k2", due)
	}
	if err := live.MarkRetry(ctx, "k1", 1, t0.Add(time.Minute), "503"); err != nil {
		t.Fatal(err)
	}
	if err := live.MarkDead(ctx, "k2", 1, t0, "403"); err != nil {
		t.Fatal(err)
	}
	if due, _ := live.DueActions(ctx, t0, 10); len(due) != 0 {
		t.Errorf("retry not yet due, dead never: %v", due)
	}
	due, _ = live.DueActions(ctx, t0.Add(time.Minute), 10)
	if len(due) != 1 || due[0].Key != "k1" || due[0].Attempts != 1 || due[0].LastError != "503" {
		t.Errorf("retry %+v", due)
	}
	if ok, _ := live.RetryAction(ctx, "k2", t0); !ok {
		t.Error("retry of a dead letter")
	}
	if ok, _ := live.DropAction(ctx, "nope"); ok {
		t.Error("dropped a missing key")
	}
	all, _ := live.ListOutbox(ctx, "", 10)
	if len(all) != 2 {
		t.Errorf("list %v", all)
	}
	// A message skipped (its member left) is never due again, and is
	// listed with its reason.
	if err := live.MarkSkipped(ctx, "k2", 0, t0, "member left"); err != nil {
		t.Fatal(err)
	}
	if due, _ := live.DueActions(ctx, t0.Add(time.Hour), 10); slices.ContainsFunc(due, func(e state.OutboxEntry) bool { return e.Key == "k2" }) {
		t.Errorf("due after a skip: %v; want no k2", due)
	}
	if sk, _ := live.ListOutbox(ctx, state.OutboxSkipped, 10); len(sk) != 1 || sk[0].Key != "k2" || sk[0].LastError != "member left" {
		t.Errorf("skipped %+v", sk)
	}
}

// The apply lock held by one process is seen by another, and freed when
// the holder's session ends without unlocking.
func TestLockAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	schema := freshSchema(t)
	a, b := open(t, schema, Options{}), open(t, schema, Options{})
	if err := a.Lock(ctx, state.LockInfo{ID: "l1", Who: "ann", When: t0}); err != nil {
		t.Fatal(err)
	}
	var le *state.LockedError
	if err := b.Lock(ctx, state.LockInfo{ID: "l2", Who: "bob"}); !errors.As(err, &le) || le.Holder.ID != "l1" {
		t.Fatalf("lock held elsewhere: %v", err)
	}
	// A held advisory lock is a live session's: the message says so,
	// not that the holder may be gone.
	if le.Status != state.HolderSession || le.Session <= 0 || !strings.Contains(le.Error(), "is alive: a PostgreSQL lock ends with its session") || strings.Contains(le.Error(), "no longer running") {
		t.Errorf("lock held by a live session: status %v, session %d: %v", le.Status, le.Session, le)
	}
	a.Close() // the session ends: the lock goes with it
	if err := b.Lock(ctx, state.LockInfo{ID: "l2", Who: "bob"}); err != nil {
		t.Fatalf("lock after the holder's session ended: %v", err)
	}
	// force-unlock from a third process ends the holder's session.
	c := open(t, schema, Options{})
	if err := c.Unlock(ctx, "l2"); err != nil {
		t.Fatal(err)
	}
	if err := c.Lock(ctx, state.LockInfo{ID: "l3", Who: "cy"}); err != nil {
		t.Fatalf("lock after force-unlock: %v", err)
	}
}

func TestCursorsAndOutcomes(t *testing.T) {
	ctx := context.Background()
	s := open(t, freshSchema(t), Options{})
	if c, err := s.Cursor(ctx, "bus.p1"); c != "" || err != nil {
		t.Fatalf("cursor %q %v", c, err)
	}
	_ = s.SetCursor(ctx, "bus.p1", "10")
	_ = s.SetCursor(ctx, "bus.p1", "20")
	if c, _ := s.Cursor(ctx, "bus.p1"); c != "20" {
		t.Errorf("cursor %q", c)
	}
	b, _ := s.Begin(ctx)
	_ = b.AppendOutcomes([]state.Outcome{{Kind: state.KindPoints, Member: "u1", Name: "x", At: t0, Rule: "incentive.x", Event: "e1", Points: 7},
		{Kind: state.KindBadge, Member: "u1", Name: "b", Change: "award", At: t0, Rule: "incentive.y", Event: "e1"}})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	outs, err := s.Outcomes(ctx, "u1", 10)
	if err != nil || len(outs) != 2 || outs[0].Points != 7 || outs[1].Change != "award" || !outs[0].At.Equal(t0) {
		t.Errorf("outcomes %+v, %v", outs, err)
	}
}

func TestMigrationsOnceForConcurrentOpens(t *testing.T) {
	schema := freshSchema(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			s, err := Open(context.Background(), testURL(t), Options{Schema: schema})
			if err != nil {
				errs <- err
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestBadURLKeepsThePasswordOut(t *testing.T) {
	_, err := Open(context.Background(), "postgres://ann:hunter2@127.0.0.1:5432/x?sslmode=bogus", Options{})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
	if got := Redact("postgres://ann:hunter2@db/x"); strings.Contains(got, "hunter2") || !strings.Contains(got, "ann") {
		t.Errorf("Redact = %s", got)
	}
}

// BenchmarkCommit measures one batch of 500 members changed by 1,000
// events, the daemon's shape, from preload to commit.
func BenchmarkCommit(b *testing.B) {
	ctx := context.Background()
	s := open(b, freshSchema(b), Options{})
	ids := make([]string, 500)
	for i := range ids {
		ids[i] = fmt.Sprintf("member-%05d", i)
	}
	sort.Strings(ids)
	n := 0
	for b.Loop() {
		bt, err := s.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		evs := make([]string, 1000)
		for i := range evs {
			evs[i] = fmt.Sprintf("ev-%d", n)
			n++
		}
		if err := bt.(state.Preloader).Preload(evs, ids); err != nil {
			b.Fatal(err)
		}
		for i, e := range evs {
			if _, err := bt.Claim(e, t0); err != nil {
				b.Fatal(err)
			}
			id := ids[i%len(ids)]
			m, err := bt.Member(id)
			if errors.Is(err, state.ErrNotFound) {
				m = state.NewMember(id, t0)
			}
			m.Record("message.posted", t0, true)
			m.AddPoints(2, t0)
			_ = bt.SaveMember(m)
			_ = bt.AppendOutcomes([]state.Outcome{{Kind: state.KindPoints, Member: id, Name: "p", At: t0, Rule: "incentive.p", Event: e, Points: 2}})
		}
		if err := bt.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
}

func TestPrune(t *testing.T) {
	testURL(t)
	schemas := map[statetest.PruneStore]string{}
	statetest.RunPrune(t, func(t *testing.T) statetest.PruneStore {
		name := freshSchema(t)
		s := open(t, name, Options{})
		schemas[s] = name
		return s
	}, func(t *testing.T, old statetest.PruneStore) statetest.PruneStore {
		// Another replica on the same schema sees the same horizon.
		return open(t, schemas[old], Options{})
	})
}

// A replica that claimed an event before another replica moved the
// horizon past it fails its commit instead of applying the event again:
// its id may be gone.
func TestPruneByAnotherReplicaFailsStaleClaims(t *testing.T) {
	testURL(t)
	ctx := context.Background()
	schema := freshSchema(t)
	a, b := open(t, schema, Options{}), open(t, schema, Options{})
	old := t0.AddDate(0, 0, -10)
	first, _ := a.Begin(ctx)
	if fresh, err := first.Claim("e-old", old); !fresh || err != nil {
		t.Fatalf("claim = %v, %v", fresh, err)
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	// Replica a starts a batch with a duplicate of e-old while its
	// horizon is still zero...
	stale, _ := a.Begin(ctx)
	if _, err := stale.Claim("e-other", old); err != nil {
		t.Fatal(err)
	}
	// ...replica b forgets ids before t0 meanwhile...
	if got, err := b.Prune(ctx, state.Prune{IDsBefore: t0}); err != nil || got.EventIDs != 1 {
		t.Fatalf("prune = %+v, %v", got, err)
	}
	// ...and a's commit fails rather than write an id from before the horizon.
	if err := stale.Commit(); !errors.Is(err, ErrConflict) {
		t.Fatalf("commit across the horizon = %v; want ErrConflict", err)
	}
	again, _ := a.Begin(ctx)
	defer again.Rollback()
	if fresh, err := again.Claim("e-old", old); fresh || !errors.Is(err, state.ErrTooOld) {
		t.Fatalf("claim after the failed commit = %v, %v; want ErrTooOld", fresh, err)
	}
}

// Replicas add to one counter without losing each other's changes, and
// every replica reads the sum.
func TestTalliesAcrossReplicas(t *testing.T) {
	testURL(t)
	ctx := context.Background()
	schema := freshSchema(t)
	replicas := []*Store{open(t, schema, Options{}), open(t, schema, Options{}), open(t, schema, Options{})}
	errs := make(chan error, len(replicas)*10)
	for _, s := range replicas {
		go func() {
			for range 10 {
				b, _ := s.Begin(ctx)
				_ = b.(state.TallyBatch).AddTallies(state.Tallies{"active/day/20000": 1})
				errs <- b.Commit()
			}
		}()
	}
	for range len(replicas) * 10 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range replicas {
		got, err := s.Tallies(ctx)
		if err != nil || got["active/day/20000"] != 30 {
			t.Fatalf("replica %d reads %v, %v; want 30", i, got, err)
		}
	}
}

func TestCommunities(t *testing.T) {
	testURL(t)
	statetest.RunCommunities(t, func(t *testing.T) state.Store { return open(t, freshSchema(t), Options{}) })
}

// Replicas counting into one community at once add up; an alert both
// change from the same state is written by one, and the other's commit
// fails (to be tried again on the new state) instead of firing it twice.
func TestCommunitiesAcrossReplicas(t *testing.T) {
	testURL(t)
	ctx := context.Background()
	schema := freshSchema(t)
	a, b := open(t, schema, Options{}), open(t, schema, Options{})
	count := func(s *Store, n int) error {
		bt, _ := s.Begin(ctx)
		cb := bt.(state.CommunityBatch)
		c, err := cb.Community("c")
		if errors.Is(err, state.ErrNotFound) {
			c, err = &state.Community{Name: "c"}, nil
		}
		if err != nil {
			return err
		}
		c.Members += n
		c.CountHour("messages", t0, n)
		c.LastActive = c.LastActive.Add(state.DayOf(t0), n)
		_ = cb.SaveCommunity(c)
		return bt.Commit()
	}
	errs := make(chan error, 20)
	for _, s := range []*Store{a, b} {
		go func() {
			for range 10 {
				errs <- count(s, 1)
			}
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range []*Store{a, b} {
		all, err := s.Communities()
		if err != nil || len(all) != 1 {
			t.Fatalf("replica %d lists %v, %v", i, all, err)
		}
		c := all[0]
		if c.Members != 20 || c.InHours("messages", t0, 1) != 20 || c.LastActive.Sum(state.DayOf(t0), 1) != 20 {
			t.Fatalf("replica %d reads members %d, messages %d, active %d; want 20 each", i, c.Members, c.InHours("messages", t0, 1), c.LastActive.Sum(state.DayOf(t0), 1))
		}
	}

	// Both read the alert's state, both fire it: one commit wins.
	fire := func(s *Store) state.Batch {
		bt, _ := s.Begin(ctx)
		cb := bt.(state.CommunityBatch)
		c, err := cb.Community("c")
		if err != nil {
			t.Fatal(err)
		}
		if c.Alerts == nil {
			c.Alerts = map[string]*state.AlertState{}
		}
		c.Alerts["spike"] = &state.AlertState{Holding: true, LastFired: t0, Fired: 1}
		_ = cb.SaveCommunity(c)
		return bt
	}
	first, second := fire(a), fire(b)
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := second.Commit(); !errors.Is(err, ErrConflict) {
		t.Fatalf("second firing of one alert: %v; want ErrConflict", err)
	}
	// Counters of the failed batch were not added either.
	all, _ := b.Communities()
	if all[0].Members != 20 || all[0].Alerts["spike"].Fired != 1 {
		t.Fatalf("after the conflict: members %d, fired %d", all[0].Members, all[0].Alerts["spike"].Fired)
	}
}

// Ready is the readiness probe's question: it answers while the database
// does, and fails once the store can no longer reach it.
func TestReady(t *testing.T) {
	s := open(t, freshSchema(t), Options{})
	if err := s.Ready(context.Background()); err != nil {
		t.Fatalf("a live database is not ready: %v", err)
	}
	s.Close()
	if err := s.Ready(context.Background()); err == nil {
		t.Fatal("a closed store says it is ready")
	}
}

func TestOutboxPrune(t *testing.T) {
	testURL(t)
	statetest.RunOutboxPrune(t, func(t *testing.T) state.Store { return open(t, freshSchema(t), Options{}) })
}

func TestOutboxPages(t *testing.T) {
	testURL(t)
	statetest.RunOutboxPages(t, func(t *testing.T) state.Store { return open(t, freshSchema(t), Options{}) })
}

// DropPending is campaign stop -drop's: pending actions only, leased ones left.
func TestDropPending(t *testing.T) {
	testURL(t)
	statetest.RunDropPending(t, func(t *testing.T) state.Store { return open(t, freshSchema(t), Options{}) }, true)
}

// SkipPending is campaign stop's: pending actions only, leased ones left.
func TestSkipPending(t *testing.T) {
	testURL(t)
	statetest.RunSkipPending(t, func(t *testing.T) state.Store { return open(t, freshSchema(t), Options{}) }, true)
}

func TestOutboxSelect(t *testing.T) {
	testURL(t)
	statetest.RunOutboxSelect(t, func(t *testing.T) state.Store { return open(t, freshSchema(t), Options{}) })
}

func TestOutboxFinished(t *testing.T) {
	testURL(t)
	statetest.RunOutboxFinished(t, func(t *testing.T) state.Store { return open(t, freshSchema(t), Options{}) })
}

func TestOutboxSentAfterHold(t *testing.T) {
	testURL(t)
	statetest.RunOutboxSentAfterHold(t, func(t *testing.T) state.Store { return open(t, freshSchema(t), Options{}) })
}

func TestOutboxOldestPending(t *testing.T) {
	testURL(t)
	statetest.RunOutboxOldestPending(t, func(t *testing.T) state.Store { return open(t, freshSchema(t), Options{}) })
}

func TestCampaignRecords(t *testing.T) {
	testURL(t)
	statetest.RunCampaignRecords(t, func(t *testing.T) state.Store { return open(t, freshSchema(t), Options{}) })
}

// Outbox entries finished before migration 6 recorded when they finished
// get the time they already had: a sent one its sent_at, a dead or
// skipped one when it was last due. One a replica of an older hearth
// finishes after the migration (it writes no finished_at) falls back the
// same way when read and pruned.
func TestOutboxFinishedAtMigrates(t *testing.T) {
	ctx := context.Background()
	schema, c := schemaAt(t, 5)
	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	insert := func(key, status string, next, sent time.Time) {
		t.Helper()
		var sentAt int64
		if !sent.IsZero() {
			sentAt = sent.UnixNano()
		}
		if _, err := c.Exec(ctx, `INSERT INTO outbox (key, member, kind, at, status, next_at, sent_at, data) VALUES ($1, 'ann', 'send.dm', $2, $3, $4, $5, $6)`,
			key, day(0).UnixNano(), status, next.UnixNano(), sentAt, `{"key":"`+key+`","kind":"send.dm","member":"ann"}`); err != nil {
			t.Fatal(err)
		}
	}
	insert("sent", "sent", day(0), day(2))
	insert("dead", "dead", day(3), time.Time{})
	insert("skipped", "skipped", day(4), time.Time{})
	insert("pending", "pending", day(5), time.Time{})

	s := open(t, schema, Options{})
	insert("older-hearth", "dead", day(6), time.Time{})
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
	if err := c.QueryRow(ctx, `SELECT string_agg(key || '=' || (finished_at / 86400000000000), ' ' ORDER BY key) FROM outbox`).Scan(&stored); err != nil {
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

// Outbox entries queued before migration 11 recorded when they were
// queued get their action's time, what their wait was counted from
// until then; so does one a replica of an older hearth queues after the
// migration (it writes no queued_at), when read, selected and aged.
func TestOutboxQueuedAtMigrates(t *testing.T) {
	ctx := context.Background()
	schema, c := schemaAt(t, 10)
	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	insert := func(key string, at time.Time) {
		t.Helper()
		if _, err := c.Exec(ctx, `INSERT INTO outbox (key, member, kind, at, next_at, data) VALUES ($1, 'ann', 'send.dm', $2, $2, $3)`,
			key, at.UnixNano(), `{"key":"`+key+`","kind":"send.dm","member":"ann","at":"`+at.Format(time.RFC3339Nano)+`"}`); err != nil {
			t.Fatal(err)
		}
	}
	insert("before", day(1))

	s := open(t, schema, Options{})
	now := day(30)
	s.SetQueueClock(func() time.Time { return now })
	insert("older-hearth", day(0))
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
	want := map[string]time.Time{"before": day(1), "older-hearth": day(0), "new": now}
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
	if err := c.QueryRow(ctx, `SELECT string_agg(key || '=' || (queued_at / 86400000000000), ' ' ORDER BY key) FROM outbox`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if w := fmt.Sprintf("before=%d new=%d older-hearth=0", day(1).Unix()/86400, now.Unix()/86400); stored != w {
		t.Errorf("queued_at stored in days since 1970: %s; want %s", stored, w)
	}
	if got, err := s.OldestPending(ctx); err != nil || !got.Equal(day(0)) {
		t.Errorf("oldest pending %v, %v; want the older hearth's entry's %v", got, err, day(0))
	}
	sel, err := s.SelectOutbox(ctx, state.OutboxFilter{Since: day(1)})
	if err != nil || len(sel) != 2 {
		t.Errorf("since day 1: %d entries, %v; want before and new", len(sel), err)
	}
}

// Event ids stored before migration 8 have no digest: a later event
// under one of them is a duplicate with nothing to compare, never a
// reused id; ids claimed after it keep theirs, looked up one by one or
// ahead of a batch (Preload).
func TestEventDigestsMigrate(t *testing.T) {
	ctx := context.Background()
	schema, c := schemaAt(t, 7)
	if _, err := c.Exec(ctx, `INSERT INTO events (id, at) VALUES ('old', $1)`, t0.UnixNano()); err != nil {
		t.Fatal(err)
	}

	s := open(t, schema, Options{})
	claim := func(preload bool, id string, digest uint64) (bool, state.Claimed) {
		t.Helper()
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if preload {
			if err := b.(state.Preloader).Preload([]string{id}, nil); err != nil {
				t.Fatal(err)
			}
		}
		fresh, earlier, err := b.(state.DigestClaimer).ClaimDigest(id, t0, digest)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		return fresh, earlier
	}
	for _, preload := range []bool{false, true} {
		if fresh, earlier := claim(preload, "old", 7); fresh || earlier != (state.Claimed{}) {
			t.Errorf("an id from before digests (preload %v): fresh %v, earlier %+v; want a duplicate with nothing kept", preload, fresh, earlier)
		}
	}
	if fresh, _ := claim(false, "new", 1<<64-1); !fresh {
		t.Fatal("new id not fresh")
	}
	for _, preload := range []bool{false, true} {
		if fresh, earlier := claim(preload, "new", 9); fresh || earlier.Digest != 1<<64-1 || !earlier.At.Equal(t0) {
			t.Errorf("preload %v: fresh %v, earlier %+v; want the top digest (stored as a negative BIGINT) at %v", preload, fresh, earlier, t0)
		}
	}
	checkVersion(t, c)
}

// A schema from before migration 10 gets an empty role_grants table,
// its resources and serial untouched: every assignment on the platforms
// then counts as not given by hearth (README, Member roles).
func TestRoleGrantsMigrate(t *testing.T) {
	ctx := context.Background()
	schema, c := schemaAt(t, 9)
	if _, err := c.Exec(ctx, `INSERT INTO resources (address, platform, kind, id, attrs) VALUES ('community.c', 'platform.local.main', 'community', 'co-1', '{}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `UPDATE state_meta SET serial = 7`); err != nil {
		t.Fatal(err)
	}
	s := open(t, schema, Options{})
	if gs, err := s.RoleGrants(ctx, "platform.local.main", "co-1"); err != nil || len(gs) != 0 {
		t.Fatalf("grants after the migration: %v, %v", gs, err)
	}
	g := state.RoleGrant{Platform: "platform.local.main", Community: "co-1", Role: "ro-1", Member: "mb-1", At: t0}
	if err := s.PutRoleGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.HasRoleGrant(ctx, g); err != nil || !ok {
		t.Fatalf("the grant put: %v, %v", ok, err)
	}
	if rs, serial, err := s.Resources(ctx); err != nil || serial != 7 || len(rs) != 1 {
		t.Fatalf("resources after the migration: %v, serial %d, %v", rs, serial, err)
	}
	checkVersion(t, c)
}

// A schema written before migration 12 holds members in segments that no
// move counted: the migration anchors the size history on them, counted
// from the JSON documents, on the day of the latest event.
func TestSizesMigrationAnchors(t *testing.T) {
	ctx := context.Background()
	schema, c := schemaAt(t, sizesMigration-1)
	at := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	for i, segs := range [][]string{{"chatty", "posters"}, {"posters"}, nil} {
		m := state.NewMember(fmt.Sprintf("u%d", i), at)
		m.LastEventAt = at.Add(-time.Duration(i) * 24 * time.Hour)
		for _, s := range segs {
			if m.Segments == nil {
				m.Segments = map[string]time.Time{}
			}
			m.Segments[s] = at
		}
		doc, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, `INSERT INTO members (id, data, hash) VALUES ($1, $2, 0)`, m.ID, string(doc)); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, schema, Options{})
	checkVersion(t, c)
	got, err := s.Tallies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	day := fmt.Sprint(int(state.DayOf(at)))
	want := state.Tallies{state.TallySegmentFix + "posters/" + day: 2, state.TallySegmentFix + "chatty/" + day: 1, state.TallySizesAnchor + day: 1}
	if !maps.Equal(got, want) {
		t.Errorf("tallies after the migration %v; want %v", got, want)
	}
}

// A schema written before migration 13 holds members with identities
// and no index: the migration indexes them from the JSON documents, and
// where two members hold one identity (as hearth let them), the first
// by id keeps it.
func TestIdentitiesMigrationIndexes(t *testing.T) {
	ctx := context.Background()
	schema, c := schemaAt(t, 12)
	at := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	for id, idents := range map[string]map[string]string{
		"alice": {"telegram": "333", "matrix": "@alice:example.org"},
		"zed":   {"matrix": "@alice:example.org"},
		"quiet": nil,
	} {
		m := state.NewMember(id, at)
		m.Identities = idents
		doc, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, `INSERT INTO members (id, data, hash) VALUES ($1, $2, 0)`, id, string(doc)); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, schema, Options{})
	checkVersion(t, c)
	for _, w := range []struct{ platform, identity, want string }{
		{"telegram", "333", "alice"}, {"matrix", "@alice:example.org", "alice"}, {"telegram", "334", ""},
	} {
		if got, err := s.MemberByIdentity(ctx, w.platform, w.identity); err != nil || got != w.want {
			t.Errorf("MemberByIdentity(%s, %s) = %q, %v; want %q", w.platform, w.identity, got, err, w.want)
		}
	}
}
