package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

type store interface {
	state.Store
	outbox.Store
}

func stores(t *testing.T) map[string]func() store {
	return map[string]func() store{
		"memory": func() store { return state.NewMemory() },
		"sqlite": func() store {
			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
}

func enqueue(t *testing.T, s store, n int, at time.Time) {
	t.Helper()
	b, err := s.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var as []state.Action
	for i := range n {
		as = append(as, state.Action{Key: fmt.Sprintf("k%03d", i), Kind: "send.dm", Member: "u", At: at, Text: "hi"})
	}
	if err := b.Enqueue(as); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

// saveAndEnqueue saves members and queues actions in one batch.
func saveAndEnqueue(t *testing.T, s store, members []*state.Member, actions []state.Action) {
	t.Helper()
	b, err := s.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if err := b.SaveMember(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Enqueue(actions); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

// recipientsIn is the dispatcher's Recipients option reading s's members.
func recipientsIn(s state.Store) func(context.Context, []string) (map[string]state.Recipient, error) {
	return func(ctx context.Context, ids []string) (map[string]state.Recipient, error) {
		return state.Recipients(ctx, s, ids)
	}
}

// flakyPlatform fails a share of calls the way platforms do, and applies
// each idempotency key at most once, as a platform honouring keys does.
type flakyPlatform struct {
	rng      *rand.Rand
	failRate float64
	applied  map[string]int
	calls    int
}

var errTimeout = errors.New("i/o timeout")

func (p *flakyPlatform) Send(_ context.Context, a state.Action) error {
	p.calls++
	if p.rng.Float64() < p.failRate {
		switch p.rng.IntN(3) {
		case 0:
			return &outbox.RateLimitError{After: 2 * time.Second, Err: errors.New("429 Too Many Requests")}
		case 1:
			return errors.New("503 Service Unavailable")
		default:
			return errTimeout
		}
	}
	p.applied[a.Key]++
	return nil
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func TestEveryActionDeliveredOnceDespiteFaults(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open()
			clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			enqueue(t, s, 200, clk.now)
			p := &flakyPlatform{rng: rand.New(rand.NewPCG(1, 2)), failRate: 0.3, applied: map[string]int{}}
			d := outbox.New(s, p, outbox.Options{MaxAttempts: 20, BaseDelay: time.Second, MaxDelay: time.Minute, Now: clk.Now, Rand: rand.New(rand.NewPCG(3, 4))})
			for range 200 {
				if _, err := d.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				clk.now = clk.now.Add(10 * time.Second)
			}
			if len(p.applied) != 200 {
				t.Fatalf("%d of 200 actions applied", len(p.applied))
			}
			for k, n := range p.applied {
				if n != 1 {
					t.Fatalf("%s applied %d times", k, n)
				}
			}
			if p.calls <= 200 {
				t.Errorf("no failure was injected (%d calls)", p.calls)
			}
			sent, _ := s.ListOutbox(ctx, outbox.Sent, 1000)
			dead, _ := s.ListOutbox(ctx, outbox.Dead, 1000)
			if len(sent) != 200 || len(dead) != 0 {
				t.Errorf("sent %d dead %d", len(sent), len(dead))
			}
		})
	}
}

type failing struct {
	err   error
	calls int
}

func (f *failing) Send(context.Context, state.Action) error { f.calls++; return f.err }

func TestDeadLettersOnlyAfterMaxAttempts(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open()
			clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			enqueue(t, s, 1, clk.now)
			f := &failing{err: errors.New("502 Bad Gateway")}
			d := outbox.New(s, f, outbox.Options{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: time.Second, Now: clk.Now})
			for i := range 10 {
				if _, err := d.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				dead, _ := s.ListOutbox(ctx, outbox.Dead, 10)
				if (len(dead) == 1) != (f.calls >= 4) {
					t.Fatalf("round %d: %d calls, dead=%d", i, f.calls, len(dead))
				}
				clk.now = clk.now.Add(time.Hour)
			}
			if f.calls != 4 {
				t.Errorf("calls = %d; want exactly 4 tries", f.calls)
			}
			dead, _ := s.ListOutbox(ctx, outbox.Dead, 10)
			if dead[0].LastError != "502 Bad Gateway" || dead[0].Attempts != 4 {
				t.Errorf("dead entry %+v", dead[0])
			}
			// It died at its fourth try, in the fourth round: an hour
			// apart, from the hour it was due.
			if died := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC); !dead[0].FinishedAt.Equal(died) {
				t.Errorf("dead entry finished at %v; want %v, its last try", dead[0].FinishedAt, died)
			}
			// hearth outbox retry: due again, and delivered once it works.
			if ok, _ := s.RetryAction(ctx, "k000", clk.now); !ok {
				t.Fatal("retry found no entry")
			}
			f.err = nil
			if rep, _ := d.RunOnce(ctx); rep.Sent != 1 {
				t.Errorf("after retry: %+v", rep)
			}
			if ok, _ := s.DropAction(ctx, "k000"); !ok {
				t.Error("drop found no entry")
			}
			if all, _ := s.ListOutbox(ctx, "", 10); len(all) != 0 {
				t.Errorf("after drop: %d entries", len(all))
			}
		})
	}
}

func TestPermanentFailureAndRetryAfter(t *testing.T) {
	ctx := context.Background()
	s := state.NewMemory()
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	enqueue(t, s, 1, clk.now)
	d := outbox.New(s, &failing{err: &outbox.RateLimitError{After: 37 * time.Second, Err: errors.New("429")}}, outbox.Options{Now: clk.Now})
	if _, err := d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	pending, _ := s.ListOutbox(ctx, outbox.Pending, 10)
	if got := pending[0].NextAt.Sub(clk.now); got != 37*time.Second {
		t.Errorf("next try in %s; want the Retry-After of 37s", got)
	}
	d = outbox.New(s, &failing{err: &outbox.PermanentError{Err: errors.New("403 Missing Access")}}, outbox.Options{Now: func() time.Time { return clk.now.Add(time.Minute) }})
	if rep, _ := d.RunOnce(ctx); rep.Dead != 1 {
		t.Errorf("permanent failure: %+v", rep)
	}
	if dead, _ := s.ListOutbox(ctx, outbox.Dead, 10); len(dead) != 1 || !dead[0].FinishedAt.Equal(clk.now.Add(time.Minute)) {
		t.Errorf("dead letters %+v; want one, finished at its only try", dead)
	}
}

// A crash between sending and recording: the action stays pending and is
// sent again with the same key, which the platform applies once.
type failMarkSent struct {
	outbox.Store
	fail bool
}

func (f *failMarkSent) MarkSent(ctx context.Context, key string, attempts int, at time.Time) error {
	if f.fail {
		f.fail = false
		return errors.New("crash before recording")
	}
	return f.Store.MarkSent(ctx, key, attempts, at)
}

func TestResendAfterCrashUsesSameKey(t *testing.T) {
	ctx := context.Background()
	s := state.NewMemory()
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	enqueue(t, s, 1, clk.now)
	p := &flakyPlatform{rng: rand.New(rand.NewPCG(1, 1)), applied: map[string]int{}}
	wrapped := &failMarkSent{Store: s, fail: true}
	d := outbox.New(wrapped, p, outbox.Options{Now: clk.Now})
	if _, err := d.RunOnce(ctx); err == nil {
		t.Fatal("want the recording failure")
	}
	if _, err := d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if p.calls != 2 || p.applied["k000"] != 2 {
		// The fake counts sends per key; a real platform dedups them.
		t.Fatalf("calls %d applied %v", p.calls, p.applied)
	}
	sent, _ := s.ListOutbox(ctx, outbox.Sent, 10)
	if len(sent) != 1 {
		t.Errorf("sent entries %d", len(sent))
	}
}

func TestJitterStaysUnderTheCeiling(t *testing.T) {
	ctx := context.Background()
	s := state.NewMemory()
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	enqueue(t, s, 50, clk.now)
	d := outbox.New(s, &failing{err: errors.New("500")}, outbox.Options{BaseDelay: time.Second, MaxDelay: time.Hour, Now: clk.Now, Batch: 100})
	if _, err := d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	pending, _ := s.ListOutbox(ctx, outbox.Pending, 100)
	distinct := map[time.Duration]bool{}
	for _, e := range pending {
		wait := e.NextAt.Sub(clk.now)
		if wait <= 0 || wait > time.Second {
			t.Fatalf("first retry after %s; want (0, 1s]", wait)
		}
		distinct[wait] = true
	}
	if len(distinct) < 40 {
		t.Errorf("only %d distinct delays for 50 actions: no jitter", len(distinct))
	}
}

// An action whose target apply has not made yet waits: tried again every
// Wait, however long, with none of its tries used and one log line for
// the reason; once the target exists it is delivered.
func TestNotReadyWaitsWithoutUsingTries(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open()
			clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			enqueue(t, s, 3, clk.now)
			var logged bytes.Buffer
			f := &failing{err: &outbox.NotReadyError{Err: errors.New(`no community named "club" on the platform yet (run hearth apply)`)}}
			d := outbox.New(s, f, outbox.Options{Now: clk.Now, MaxAttempts: 2, Log: slog.New(slog.NewTextHandler(&logged, nil))})
			for round := range 20 {
				rep, err := d.RunOnce(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Waiting != 3 || rep.Dead != 0 || rep.Retried != 0 {
					t.Fatalf("round %d: %+v; want all 3 waiting", round, rep)
				}
				// Not due again before Wait (10s) has passed.
				clk.now = clk.now.Add(9 * time.Second)
				if rep, _ := d.RunOnce(ctx); rep != (outbox.Report{}) {
					t.Fatalf("round %d: tried again after 9s: %+v", round, rep)
				}
				clk.now = clk.now.Add(time.Second)
			}
			pending, err := s.ListOutbox(ctx, outbox.Pending, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(pending) != 3 {
				t.Fatalf("%d pending; want 3", len(pending))
			}
			for _, e := range pending {
				if e.Attempts != 0 || !strings.Contains(e.LastError, "run hearth apply") {
					t.Errorf("%s: %d tries, last error %q; want 0 tries and the reason", e.Key, e.Attempts, e.LastError)
				}
			}
			if n := strings.Count(logged.String(), "actions wait"); n != 1 {
				t.Errorf("the reason was logged %d times; want once:\n%s", n, logged.String())
			}
			f.err = nil
			if rep, _ := d.RunOnce(ctx); rep.Sent != 3 {
				t.Errorf("once the target exists: %+v; want 3 sent", rep)
			}
		})
	}
}

// echoingPlatform fails the way a receiver does whose error page echoes
// the path it was called at, token included.
type echoingPlatform struct{ permanent bool }

func (p echoingPlatform) Send(context.Context, state.Action) error {
	err := errors.New("webhook answered 404 Not Found: no route for /hooks/tok-9f3a-SECRET/in")
	if p.permanent {
		return &outbox.PermanentError{Err: err}
	}
	return err
}

// A send error's text is redacted before it is stored or logged.
func TestSendErrorsRedacted(t *testing.T) {
	for _, permanent := range []bool{false, true} {
		s := state.NewMemory()
		enqueue(t, s, 1, time.Now())
		var logs bytes.Buffer
		d := outbox.New(s, echoingPlatform{permanent}, outbox.Options{Log: slog.New(slog.NewTextHandler(&logs, nil)),
			Redact: func(s string) string { return strings.ReplaceAll(s, "tok-9f3a-SECRET", "(sensitive)") }})
		if _, err := d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		es, err := s.ListOutbox(context.Background(), "", 10)
		if err != nil || len(es) != 1 {
			t.Fatalf("%v %v", es, err)
		}
		if want := "webhook answered 404 Not Found: no route for /hooks/(sensitive)/in"; es[0].LastError != want {
			t.Errorf("permanent %v: last error %q; want %q", permanent, es[0].LastError, want)
		}
		if strings.Contains(logs.String(), "SECRET") {
			t.Errorf("permanent %v: the log shows the secret: %s", permanent, logs.String())
		}
	}
}

// With the default tries and delays, an action a platform keeps refusing
// is retried for two hours at least and at most four, so an outage or a
// receiver's deploy does not send what was waiting to the dead letters.
func TestDefaultRetriesOutlastAnOutage(t *testing.T) {
	ctx := context.Background()
	s := state.NewMemory()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &clock{now: start}
	enqueue(t, s, 40, clk.now)
	d := outbox.New(s, &failing{err: errors.New("503 Service Unavailable")}, outbox.Options{Now: clk.Now, Batch: 100})
	first, last := time.Duration(0), time.Duration(0)
	for range 10000 {
		rep, err := d.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Dead > 0 {
			if first == 0 {
				first = clk.now.Sub(start)
			}
			last = clk.now.Sub(start)
		}
		pending, _ := s.ListOutbox(ctx, outbox.Pending, 100)
		if len(pending) == 0 {
			break
		}
		next := pending[0].NextAt
		for _, e := range pending {
			if e.NextAt.Before(next) {
				next = e.NextAt
			}
		}
		clk.now = next
	}
	dead, _ := s.ListOutbox(ctx, outbox.Dead, 100)
	if len(dead) != 40 {
		t.Fatalf("%d of 40 actions dead after the loop", len(dead))
	}
	if first < 2*time.Hour || last > 4*time.Hour+10*time.Minute {
		t.Errorf("actions died between %s and %s after their first try; want within 2h to 4h", first, last)
	}
	if dead[0].Attempts != outbox.DefaultMaxAttempts {
		t.Errorf("dead after %d tries; want %d", dead[0].Attempts, outbox.DefaultMaxAttempts)
	}
}
