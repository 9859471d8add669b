package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hearth-community/hearth/engine/state"
)

// fastRepair makes the repair try again at once, for the test.
func fastRepair(t *testing.T) {
	t.Helper()
	first, most := repairFirst, repairMax
	repairFirst, repairMax = time.Millisecond, 5*time.Millisecond
	t.Cleanup(func() { repairFirst, repairMax = first, most })
}

// faultSet fails the steps it holds with their error; InjectFaults
// takes its fault method.
type faultSet struct {
	mu   sync.Mutex
	errs map[string]error
	hits map[string]int
}

func (f *faultSet) set(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.errs == nil {
		f.errs = map[string]error{}
	}
	f.errs[op] = err
}

func (f *faultSet) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = nil
}

func (f *faultSet) fault(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.errs[op]
	if err != nil {
		if f.hits == nil {
			f.hits = map[string]int{}
		}
		f.hits[op]++
	}
	return err
}

// waitFor polls the store's health until ok says yes; the deadline only
// keeps a broken repair from hanging the test.
func waitFor(t *testing.T, s *Store, what string, ok func(state.Health) bool) state.Health {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h := s.Health()
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store never got %s: %+v", what, h)
		}
		time.Sleep(time.Millisecond)
	}
}

func healthy(h state.Health) bool { return h.Err == nil }

// tryCommit is commitOne's batch, returning its error: event e<i> gives
// member u<i%3> 5 points, an outcome, a welcome action, a "messages"
// tally and the community's document.
func tryCommit(s *Store, i int, at time.Time) error {
	b, err := s.Begin(context.Background())
	if err != nil {
		return err
	}
	if err := fill(b, i, at); err != nil {
		b.Rollback()
		return err
	}
	return b.Commit()
}

func fill(b state.Batch, i int, at time.Time) error {
	id := fmt.Sprintf("u%d", i%3)
	m, err := b.Member(id)
	if errors.Is(err, state.ErrNotFound) {
		m, err = state.NewMember(id, at), nil
	}
	if err != nil {
		return err
	}
	m.AddPoints(5, at)
	ev := fmt.Sprintf("e%d", i)
	if fresh, err := b.Claim(ev, at); !fresh || err != nil {
		return fmt.Errorf("claim %s: %v %v", ev, fresh, err)
	}
	_ = b.SaveMember(m)
	_ = b.AppendOutcomes([]state.Outcome{{Kind: state.KindPoints, Member: id, Name: "points", At: at, Rule: "incentive.x", Event: ev, Points: 5}})
	_ = b.Enqueue([]state.Action{{Key: "welcome:" + id, Kind: "dm", Member: id, At: at}})
	_ = b.(*batch).AddTallies(state.Tallies{"messages": 1})
	return b.(*batch).SaveCommunity(&state.Community{Name: "main", Members: i + 1})
}

// holds checks that the store holds exactly the events applied (and
// not those missing): each once, in the members' points, the outcomes
// and the tallies.
func holds(t *testing.T, s *Store, applied []int, missing ...int) {
	t.Helper()
	ctx := context.Background()
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback()
	points := map[string]int{}
	for _, i := range applied {
		if seen, err := b.Seen(fmt.Sprintf("e%d", i)); !seen || err != nil {
			t.Errorf("e%d, accepted, is not applied: %v", i, err)
		}
		points[fmt.Sprintf("u%d", i%3)] += 5
	}
	for _, i := range missing {
		if seen, err := b.Seen(fmt.Sprintf("e%d", i)); seen || err != nil {
			t.Errorf("e%d, answered with an error, is applied: %v", i, err)
		}
	}
	for id, want := range points {
		m, err := b.Member(id)
		if err != nil || m.Points != want {
			var got int
			if m != nil {
				got = m.Points
			}
			t.Errorf("%s: %d points, %v; want %d (each accepted event once)", id, got, err, want)
		}
		outs, err := s.Outcomes(ctx, id, 100)
		if err != nil || len(outs) != want/5 {
			t.Errorf("%s: %d outcomes, %v; want %d", id, len(outs), err, want/5)
		}
	}
	if tallies, err := s.Tallies(ctx); err != nil || tallies["messages"] != int64(len(applied)) {
		t.Errorf("tallies %v, %v; want %d messages", tallies, err, len(applied))
	}
}

// The disk fills as a commit's records are written: they reach the
// file but the sync fails (ENOSPC), and the next writes fail too. The
// commit fails, and so does the store, with the reason, until there is
// room again; then it recovers by itself, and the failed batch's
// records, which were in the file, are never folded, even after a crash.
func TestFullDiskFailsAndRecovers(t *testing.T) {
	fastRepair(t)
	ctx := context.Background()
	s, path := openAt(t)
	at := time.Unix(1700000000, 0).UTC()
	for i := range 3 {
		commitOne(t, s, i, at)
	}
	var full, synced atomic.Bool
	s.InjectFaults(func(op string) error {
		if !full.Load() {
			return nil
		}
		switch op {
		case "sync":
			synced.Store(true)
			return fmt.Errorf("fdatasync: %w", unix.ENOSPC)
		case "write", "allocate":
			if synced.Load() {
				return unix.ENOSPC
			}
		}
		return nil
	})
	full.Store(true)
	err := tryCommit(s, 3, at)
	if !errors.Is(err, state.ErrFailing) || !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("the commit on a full disk: %v; want a state.ErrFailing with ENOSPC", err)
	}
	h := s.Health()
	if h.Err == nil || h.Fatal || h.Failures != 1 || h.Since.IsZero() {
		t.Fatalf("health on a full disk: %+v; want failing, recoverable, since a time", h)
	}
	if err := s.Ready(ctx); err == nil || !errors.Is(err, unix.ENOSPC) {
		t.Errorf("Ready on a full disk: %v", err)
	}
	if _, err := s.Begin(ctx); !errors.Is(err, state.ErrFailing) {
		t.Errorf("Begin on a full disk: %v; want refused", err)
	}
	if err := s.Flush(ctx); !errors.Is(err, state.ErrFailing) {
		t.Errorf("Flush on a full disk: %v; want the failure", err)
	}
	// The failed records are in the file: an open would fold them.
	var inFile []journalRecord
	for _, p := range journalPaths(path) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		recs, _ := readJournal(data)
		inFile = append(inFile, recs...)
	}
	if len(inFile) != 4 {
		t.Fatalf("%d records in the journal; want 4, the failed one among them (else this test shows nothing)", len(inFile))
	}
	// The repair tries while the disk is full, and fails.
	waitFor(t, s, "a failed retry", func(h state.Health) bool { return h.Retries >= 2 && h.RetryErr != nil })
	if h := s.Health(); h.Err == nil {
		t.Fatal("recovered while the disk is full")
	}
	full.Store(false)
	waitFor(t, s, "healthy", healthy)
	holds(t, s, []int{0, 1, 2}, 3)
	// A crash now: the next open folds what was acknowledged, and not
	// the failed records.
	s.crash()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if r := s.Recovered(); r.Events != 0 {
		t.Errorf("the open folded %+v from the journal; want nothing (all acknowledged was folded, the failed records unmade)", r)
	}
	holds(t, s, []int{0, 1, 2}, 3)
	// The event is sent again, as its client does after the error.
	commitOne(t, s, 3, at)
	commitOne(t, s, 4, at)
	holds(t, s, []int{0, 1, 2, 3, 4})
}

// The journal cannot allocate its next chunk (ENOSPC, as on a full
// tmpfs): the batch that needed it fails, and so does the one queued
// behind it, built on its member; a batch begun before the failure is
// refused at its commit after the recovery. Once there is room the store
// takes the same events again, each applied once.
func TestJournalAllocationFailsEveryBatchBuiltOnIt(t *testing.T) {
	fastRepair(t)
	ctx := context.Background()
	s, path := openAt(t)
	at := time.Unix(1700000000, 0).UTC()
	for i := range 3 {
		commitOne(t, s, i, at)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// The chunk allocated is used up: the next record needs another.
	s.writeMu.Lock()
	fl := &s.jr.files[s.jr.cur]
	fl.alloc = fl.off
	s.writeMu.Unlock()

	var faults faultSet
	release := make(chan struct{})
	var held atomic.Bool
	s.InjectFaults(func(op string) error {
		if op == "allocate" && held.CompareAndSwap(false, true) {
			<-release // the writer holds the first batch here
		}
		return faults.fault(op)
	})
	faults.set("allocate", fmt.Errorf("fallocate: %w", unix.ENOSPC))

	done := make(chan error, 2)
	b1, _ := s.Begin(ctx)
	if err := fill(b1, 3, at); err != nil { // u0
		t.Fatal(err)
	}
	b1.(state.AsyncBatch).CommitAsync(func(err error) { done <- err })
	waitHeld := time.Now().Add(30 * time.Second)
	for !held.Load() && time.Now().Before(waitHeld) {
		time.Sleep(time.Millisecond)
	}
	// Built on b1's u0 while b1 is being written.
	b2, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := fill(b2, 6, at); err != nil { // u0 again
		t.Fatal(err)
	}
	if m, _ := b2.Member("u0"); m.Points != 15 {
		t.Fatalf("b2 reads u0 with %d points; want 15 (b1's)", m.Points)
	}
	b2.(state.AsyncBatch).CommitAsync(func(err error) { done <- err })
	// Begun before the failure, committed after the recovery.
	b3, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	for range 2 {
		if err := <-done; !errors.Is(err, state.ErrFailing) || !errors.Is(err, unix.ENOSPC) {
			t.Errorf("a batch of the failure: %v; want the failure", err)
		}
	}
	waitFor(t, s, "a failed retry", func(h state.Health) bool { return h.Retries >= 1 })
	faults.clear()
	waitFor(t, s, "healthy", healthy)
	if err := fill(b3, 7, at); err != nil {
		t.Fatal(err)
	}
	if err := b3.Commit(); !errors.Is(err, state.ErrFailing) {
		t.Errorf("a batch begun before the failure, committed after the recovery: %v; want refused", err)
	}
	holds(t, s, []int{0, 1, 2}, 3, 6, 7)
	if h := s.Health(); h.Failures != 1 || h.Retries != 0 || h.RetryErr != nil {
		t.Errorf("health after the recovery: %+v", h)
	}
	for _, i := range []int{3, 6, 7} {
		if err := tryCommit(s, i, at); err != nil {
			t.Fatalf("e%d sent again after the recovery: %v", i, err)
		}
	}
	holds(t, s, []int{0, 1, 2, 3, 6, 7})
	// And the journal holds them for a crash.
	s.crash()
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	holds(t, s2, []int{0, 1, 2, 3, 6, 7})
}

// A fold into the database fails (SQLITE_FULL): the batches were
// acknowledged and stay in the journal and in memory; the store fails
// until the fold goes through, and they are then written once. Also
// when the failed fold's commit went through after all ("committed"):
// the database's note of the last record folded tells.
func TestFailedFoldIsFoldedOnce(t *testing.T) {
	for _, op := range []string{"database", "committed"} {
		t.Run(op, func(t *testing.T) {
			fastRepair(t)
			ctx := context.Background()
			s, _ := openAt(t)
			defer s.Close()
			at := time.Unix(1700000000, 0).UTC()
			commitOne(t, s, 0, at)
			if err := s.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			var faults faultSet
			s.InjectFaults(faults.fault)
			faults.set(op, fmt.Errorf("writing the database: %w", unix.ENOSPC))
			// Acknowledged: durable in the journal.
			commitOne(t, s, 1, at)
			if err := s.Flush(ctx); !errors.Is(err, state.ErrFailing) {
				t.Fatalf("Flush with the fold failing: %v; want the failure", err)
			}
			if op == "committed" {
				// Its data is in: only the error was late.
				faults.clear()
			} else {
				waitFor(t, s, "a failed retry", func(h state.Health) bool { return h.Retries >= 1 })
				faults.clear()
			}
			waitFor(t, s, "healthy", healthy)
			holds(t, s, []int{0, 1})
			commitOne(t, s, 2, at)
			holds(t, s, []int{0, 1, 2})
		})
	}
}

// An I/O error (EIO) on a journal sync is fatal: after it the kernel may
// have dropped the data, so the store does not guess; it refuses all
// work, tries no repair, and a restart reads back what the journal holds.
func TestIOErrorIsFatal(t *testing.T) {
	fastRepair(t)
	ctx := context.Background()
	s, path := openAt(t)
	at := time.Unix(1700000000, 0).UTC()
	for i := range 3 {
		commitOne(t, s, i, at)
	}
	var faults faultSet
	s.InjectFaults(faults.fault)
	faults.set("sync", fmt.Errorf("fdatasync: %w", unix.EIO))
	err := tryCommit(s, 3, at)
	var failed *FailedError
	if !errors.As(err, &failed) || !failed.Fatal || !errors.Is(err, unix.EIO) {
		t.Fatalf("the commit: %v; want a fatal FailedError with EIO", err)
	}
	h := s.Health()
	if h.Err == nil || !h.Fatal {
		t.Fatalf("health: %+v; want fatal", h)
	}
	faults.clear()
	if _, err := s.Begin(ctx); !errors.Is(err, state.ErrFailing) {
		t.Errorf("Begin after a fatal failure, once the fault is gone: %v; want refused", err)
	}
	if err := s.Close(); !errors.Is(err, state.ErrFailing) {
		t.Errorf("Close: %v; want the failure", err)
	}
	if h := s.Health(); h.Retries != 0 {
		t.Errorf("%d repairs tried after a fatal failure", h.Retries)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, _ := s.Begin(ctx)
	defer b.Rollback()
	for i := range 3 {
		if seen, err := b.Seen(fmt.Sprintf("e%d", i)); !seen || err != nil {
			t.Errorf("e%d after the restart: %v", i, err)
		}
	}
}

// A store writing into the database directly (another process has the
// journal) fails and recovers the same way.
func TestDirectWriteFailsAndRecovers(t *testing.T) {
	fastRepair(t)
	s, path := openAt(t)
	defer s.Close()
	second, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if second.jr != nil {
		t.Fatal("the second store has the journal")
	}
	at := time.Unix(1700000000, 0).UTC()
	commitOne(t, second, 0, at)
	var faults faultSet
	second.InjectFaults(faults.fault)
	faults.set("database", fmt.Errorf("write: %w", unix.ENOSPC))
	if err := tryCommit(second, 1, at); !errors.Is(err, state.ErrFailing) {
		t.Fatalf("a direct write on a full disk: %v", err)
	}
	faults.clear()
	waitFor(t, second, "healthy", healthy)
	holds(t, second, []int{0}, 1)
	commitOne(t, second, 1, at)
	holds(t, second, []int{0, 1})
}
