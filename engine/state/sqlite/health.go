package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sys/unix"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hearth-community/hearth/engine/state"
)

// A failed write (a full disk) fails the store as a whole, for a while.
// Batches are built on the members and communities in memory that the
// batches before them left, not on what is on disk: once one is not
// written, every batch queued or being built after it holds its changes
// and must fail too, or a later one would write what an event answered
// with an error did. So the failure fails them all, and the store refuses
// work (Begin, Flush) until repair has brought memory and files back to
// what is durable:
//
//   - journaled batches a fold could not write into the database are
//     folded again (they were acknowledged, and stay pinned in memory
//     meanwhile); the database's note of the last record folded tells
//     whether the failed fold's commit went through after all;
//   - a failed journal append is unmade (journal.repair), so no later
//     open folds records whose events were answered as failed, and the
//     space it could not allocate is allocated: the proof that there is
//     room again;
//   - once every batch of before the failure has ended, the in-memory
//     state is dropped and read again from the database.
//
// Space and lock errors (ENOSPC, EDQUOT, SQLITE_FULL, SQLITE_BUSY) are
// retried with backoff for as long as they last: the store recovers once
// there is room. Any other error (EIO, a corrupt file, a broken
// invariant) is fatal: after a failed sync the kernel may have dropped
// the data, so only a restart, which reads back what the journal holds,
// knows what reached the disk. The daemon stops on it, so a supervisor
// restarts it.

// Repair tries again after repairFirst, doubling up to repairMax;
// repairSettle is the wait while batches of before the failure are
// still being ended.
var (
	repairFirst  = 100 * time.Millisecond
	repairMax    = 2 * time.Second
	repairSettle = 10 * time.Millisecond
)

// FailedError is what a failing store answers, and what the batches its
// failure failed are told: errors.Is(err, state.ErrFailing).
type FailedError struct {
	Err   error
	Since time.Time
	Fatal bool
}

func (e *FailedError) Error() string {
	at := e.Since.UTC().Format(time.RFC3339)
	if e.Fatal {
		return fmt.Sprintf("state store failed at %s and cannot recover without a restart: %v", at, e.Err)
	}
	return fmt.Sprintf("state store failing since %s (nothing is written until it recovers, which it tries by itself): %v", at, e.Err)
}

func (e *FailedError) Unwrap() []error { return []error{state.ErrFailing, e.Err} }

var _ state.HealthReporter = (*Store)(nil)

// Health says whether the store takes writes, and if not since when and
// why.
func (s *Store) Health() state.Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	return state.Health{Err: s.failed, Since: s.failedAt, Fatal: s.fatal, Retries: s.retries, RetryErr: s.retryErr, Failures: s.failures}
}

// Ready fails while the store is failing: the daemon's /readyz.
func (s *Store) Ready(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.failed == nil:
		return nil
	case s.fatal:
		return fmt.Errorf("failed at %s and cannot recover without a restart: %w", s.failedAt.UTC().Format(time.RFC3339), s.failed)
	}
	return fmt.Errorf("failing since %s, nothing is written until it recovers: %w", s.failedAt.UTC().Format(time.RFC3339), s.failed)
}

// InjectFaults is for tests of what a full or failing disk does: fault
// is asked before each step that writes, by name ("allocate", "write"
// and "sync" of the journal, "database" for a transaction into the
// database, and "committed" after one, as a commit that fails once its
// data is durable), and an error it returns is that step's. nil ends it.
func (s *Store) InjectFaults(fault func(op string) error) {
	if fault == nil {
		s.faults.Store(nil)
		return
	}
	s.faults.Store(&fault)
}

func (s *Store) fault(op string) error {
	if f := s.faults.Load(); f != nil {
		return (*f)(op)
	}
	return nil
}

// recoverable says whether err passes once the disk has room or another
// process lets go of the database.
func recoverable(err error) bool {
	if errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) {
		return true
	}
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

// refusal is the error work is refused with while the store fails, nil
// while it works; s.mu is held.
func (s *Store) refusal() error {
	if s.failed == nil {
		return nil
	}
	return &FailedError{Err: s.failed, Since: s.failedAt, Fatal: s.fatal}
}

// fail puts the store in failure for err and returns the refusal.
func (s *Store) fail(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLocked(err)
	return s.refusal()
}

// failLocked fails the store; s.mu is held. Batches begun before it are
// refused at their commit (gen), the members in memory are dropped, and
// whoever waits for a fold or a flush is woken to see the failure.
func (s *Store) failLocked(err error) {
	s.gen++
	s.cache = memberCache{limit: s.cache.limit}
	if s.failed == nil {
		s.failed, s.failedAt, s.retries, s.retryErr = err, time.Now(), 0, nil
		s.failures++
	}
	if !s.fatal && !recoverable(err) {
		s.fatal, s.failed = true, err
	}
	if !s.fatal && !s.repairing && !s.closing && s.foldCond != nil {
		s.repairing = true
		s.repairStop, s.repairDone = make(chan struct{}), make(chan struct{})
		go s.repairLoop(s.repairStop, s.repairDone)
	}
	if s.foldCond != nil {
		s.foldCond.Broadcast()
	}
	for _, w := range s.flushes {
		close(w.done)
	}
	s.flushes = nil
}

// errUnsettled says batches of before the failure are still being ended
// (failed by the writer), which repair waits for.
var errUnsettled = errors.New("batches of before the failure are still being ended")

// repairLoop tries to repair the store with backoff until it works, the
// failure turns fatal, or the store closes (stop).
func (s *Store) repairLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	wait := repairFirst
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-stop:
			return
		case <-timer.C:
		}
		err := s.repair()
		if err == nil {
			return
		}
		next := repairSettle
		if !errors.Is(err, errUnsettled) {
			s.mu.Lock()
			s.retries++
			s.retryErr = err
			if !recoverable(err) {
				s.failLocked(err)
			}
			fatal := s.fatal
			if fatal {
				s.repairing = false
			}
			s.mu.Unlock()
			if fatal {
				return
			}
			wait = min(2*wait, repairMax)
			next = wait
		}
		timer.Reset(next)
	}
}

// repair brings files and memory back to what is durable, and takes
// writes again; it fails while the failure's cause lasts. It holds
// writeMu, so the writer appends nothing meanwhile, and the folder
// folds nothing while the store fails.
func (s *Store) repair() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	for s.folding {
		s.foldCond.Wait()
	}
	group, last, folded := s.toFold, s.journaled, s.folded
	s.mu.Unlock()
	if len(group) > 0 {
		if err := s.refold(group, last, folded); err != nil {
			return err
		}
	}
	if s.jr != nil {
		if err := s.jr.repair(); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
	}
	s.mu.Lock()
	settled := s.finished == s.submitted
	s.mu.Unlock()
	if !settled {
		return errUnsettled
	}
	// Read again: a direct write whose commit failed late may have
	// written ids after all, and they must be found as applied.
	if err := s.loadSeen(context.Background()); err != nil {
		return fmt.Errorf("reading the event ids again: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repairing = false
	if s.fatal {
		return nil
	}
	// Every batch has ended, so nothing is pinned; what memory holds
	// beyond that came from batches that failed.
	s.cache = memberCache{limit: s.cache.limit}
	clear(s.comms)
	clear(s.pendingIDs)
	clear(s.pinned)
	clear(s.pins)
	clear(s.pinDoc)
	clear(s.pinComm)
	clear(s.pinRecheck)
	s.pendingDigests = nil
	s.pinMin, s.pinMinOK, s.storedMinOK = 0, false, false
	s.writes++
	s.failed, s.retries, s.retryErr = nil, 0, nil
	return nil
}

// refold writes into the database the journaled batches a fold failed
// to write (group, up to record last; folded is the last record the
// store knew folded). The database's note of the last record folded
// tells whether the failed fold's transaction was committed after all.
func (s *Store) refold(group []*job, last, folded uint64) error {
	var noted int64
	if err := s.db.QueryRow(`SELECT journal_seq FROM state_meta`).Scan(&noted); err != nil {
		return fmt.Errorf("reading the last journal record folded: %w", err)
	}
	done := 0
	if n := uint64(noted); n != folded {
		for done < len(group) && group[done].seq <= n {
			done++
		}
		if n < folded || done == 0 || group[done-1].seq != n {
			return fmt.Errorf("the database notes journal record %d as the last folded, which no fold wrote (%d folded, %d journaled)", n, folded, last)
		}
	}
	if done < len(group) {
		if err := s.write(group[done:], last); err != nil {
			return fmt.Errorf("folding the journal into the database: %w", err)
		}
	}
	s.mu.Lock()
	s.folded = last
	// The writer journals nothing while the store fails: the group is
	// all there was to fold.
	s.toFold = slices.Clone(s.toFold[len(group):])
	s.unfoldedEvents = 0
	for _, j := range s.toFold {
		s.unfoldedEvents += len(j.ids)
	}
	s.mu.Unlock()
	s.written(group, nil)
	s.mu.Lock()
	s.foldCond.Broadcast()
	s.mu.Unlock()
	return nil
}
