package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hearth-community/hearth/engine/state"
)

// A database out of reach (down, restarting, the network cut) fails the
// store as a whole, as a full disk fails the SQLite store: every query
// and connection attempt goes through a tracer, and the first that fails
// for want of the server (unavailable) marks the store failing. Batches
// are then refused at once (Begin, with state.ErrFailing: the daemon
// answers 503 and Retry-After and logs the refusals at a limited rate)
// rather than each waiting on a connection that will not come, and a
// probe pings the server with backoff until it answers, which ends the
// failure. An error the server itself answered (a constraint, a
// conflict) says it is up and fails nothing but its own transaction.

// The probe pings after probeFirst, doubling up to probeMax, each ping
// given probeTimeout: a server that takes longer is not serving.
var (
	probeFirst   = 100 * time.Millisecond
	probeMax     = 5 * time.Second
	probeTimeout = 5 * time.Second
)

// UnavailableError is what the store answers while the database is out
// of reach: errors.Is(err, state.ErrFailing).
type UnavailableError struct {
	Where string // host/database
	Err   error
	Since time.Time
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("PostgreSQL %s unreachable since %s (nothing is written until it answers again, which hearth checks by itself): %v",
		e.Where, e.Since.UTC().Format(time.RFC3339), e.Err)
}

func (e *UnavailableError) Unwrap() []error { return []error{state.ErrFailing, e.Err} }

var _ state.HealthReporter = (*Store)(nil)

// health is whether the database answers, as the store last saw it.
type health struct {
	mu       sync.Mutex
	err      error // nil while it answers
	since    time.Time
	retries  int
	retryErr error
	failures int64
	probing  bool
	closed   bool
	// armed is set once Open succeeded: what fails before is Open's
	// error, and starts no probe.
	armed atomic.Bool
	// stop ends the probe at Close; done is closed when it has ended.
	stop chan struct{}
	done chan struct{}
}

// Health says whether the database answers, and if not since when and
// why (state.HealthReporter). A failure is never Fatal: the server
// coming back ends it.
func (s *Store) Health() state.Health {
	h := s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	return state.Health{Err: h.err, Since: h.since, Retries: h.retries, RetryErr: h.retryErr, Failures: h.failures}
}

// refusal is what work is refused with while the database is out of
// reach; nil while it answers.
func (s *Store) refusal() error {
	h := s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		return nil
	}
	return &UnavailableError{Where: s.where, Err: h.err, Since: h.since}
}

// failure turns an error that says the database is out of reach into
// the store's failure (UnavailableError); any other passes as it is.
func (s *Store) failure(err error) error {
	if err == nil || !unavailable(err) {
		return err
	}
	s.fail(err)
	if r := s.refusal(); r != nil {
		return r
	}
	// The probe already found the server back: this one failed on the
	// way down.
	return &UnavailableError{Where: s.where, Err: err, Since: time.Now()}
}

// fail marks the store failing for err, unless it is already, and starts
// the probe that ends the failure.
func (s *Store) fail(err error) {
	h := s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil || h.closed || !h.armed.Load() {
		return
	}
	h.err, h.since, h.retries, h.retryErr = err, time.Now(), 0, nil
	h.failures++
	if !h.probing {
		h.probing = true
		h.done = make(chan struct{})
		go s.probe(h.done)
	}
	s.log.Debug("PostgreSQL state unreachable; pinging it until it answers", "where", s.where, "err", err)
}

// probe pings the database with backoff until it answers, which ends the
// failure, or the store closes.
func (s *Store) probe(done chan struct{}) {
	h := s.health
	defer close(done)
	wait := probeFirst
	for {
		select {
		case <-h.stop:
			return
		case <-time.After(wait):
		}
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		err := s.pool.Ping(ctx)
		cancel()
		h.mu.Lock()
		if err == nil {
			h.err, h.probing = nil, false
			h.mu.Unlock()
			return
		}
		h.retries++
		h.retryErr = err
		h.mu.Unlock()
		wait = min(2*wait, probeMax)
	}
}

// closeHealth ends the probe, for Close.
func (s *Store) closeHealth() {
	h := s.health
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.stop)
	}
	done := h.done
	h.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Unreachable says whether err (from Open, say) means the server could
// not be reached or was not serving (refused, down, starting, shutting
// down), which waiting may mend, rather than that it answered with an
// error (a wrong password, no such database), which it will not.
func Unreachable(err error) bool { return unavailable(err) }

// unavailable says whether err means the server could not be reached or
// stopped serving, rather than that it answered with an error.
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Connection exceptions, a server shutting down or starting,
		// and insufficient resources (a full disk, too many
		// connections): the server cannot do the work, whatever it is.
		c := pgErr.Code
		return strings.HasPrefix(c, "08") || strings.HasPrefix(c, "53") || c == "57P01" || c == "57P02" || c == "57P03"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, context.DeadlineExceeded)
}

// healthTracer sees every query, batch, copy and connection attempt of
// the pool and fails the store on one that finds the server out of
// reach. One whose caller gave up (its context is done) says nothing
// about the server.
type healthTracer struct{ s *Store }

var (
	_ pgx.QueryTracer    = healthTracer{}
	_ pgx.BatchTracer    = healthTracer{}
	_ pgx.CopyFromTracer = healthTracer{}
	_ pgx.ConnectTracer  = healthTracer{}
)

func (t healthTracer) see(ctx context.Context, err error) {
	if err != nil && ctx.Err() == nil && unavailable(err) {
		t.s.fail(err)
	}
}

func (t healthTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (t healthTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	t.see(ctx, data.Err)
}

func (t healthTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (t healthTracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	t.see(ctx, data.Err)
}

func (t healthTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	t.see(ctx, data.Err)
}

func (t healthTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	return ctx
}

func (t healthTracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	t.see(ctx, data.Err)
}

func (t healthTracer) TraceConnectStart(ctx context.Context, _ pgx.TraceConnectStartData) context.Context {
	return ctx
}

func (t healthTracer) TraceConnectEnd(ctx context.Context, data pgx.TraceConnectEndData) {
	t.see(ctx, data.Err)
}
