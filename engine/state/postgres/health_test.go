package postgres

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/postgres/cutproxy"
)

// throughProxy opens a store in a fresh schema whose connections go
// through a proxy the test can cut.
func throughProxy(t *testing.T) (*Store, *cutproxy.Proxy) {
	t.Helper()
	u, err := url.Parse(testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	if u.Port() == "" {
		target += ":5432"
	}
	p, err := cutproxy.Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	u.Host = p.Addr()
	s, err := Open(context.Background(), u.String(), Options{Schema: freshSchema(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, p
}

// eventually polls cond; the deadline only keeps a broken recovery from
// hanging the test.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

// The database out of reach fails the store as a whole: the batch that
// found it fails with state.ErrFailing, Health says since when and why,
// batches are refused at once and Ready fails until a ping answers
// again, which ends the failure by itself. An error the server answers
// fails nothing.
func TestUnreachableDatabaseFailsTheStoreUntilItAnswers(t *testing.T) {
	s, p := throughProxy(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	commit := func(id string) error {
		b, err := s.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := b.Claim(id, t0); err != nil {
			_ = b.Rollback()
			return err
		}
		return b.Commit()
	}
	if err := commit("e1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `SELECT * FROM no_such_table`); err == nil {
		t.Fatal("a query of a missing table went through")
	}
	if h := s.Health(); h.Err != nil || h.Failures != 0 {
		t.Fatalf("an error the server answered failed the store: %+v", h)
	}

	// Slow the probe down so the failure can be looked at.
	defer func(was time.Duration) { probeFirst = was }(probeFirst)
	probeFirst = time.Hour
	p.Cut()
	err := commit("e2")
	var unavailable *UnavailableError
	if !errors.Is(err, state.ErrFailing) || !errors.As(err, &unavailable) {
		t.Fatalf("a commit with the database cut off: %v; want state.ErrFailing", err)
	}
	h := s.Health()
	if h.Err == nil || h.Failures != 1 || h.Since.IsZero() || h.Fatal {
		t.Errorf("Health with the database cut off: %+v", h)
	}
	if _, err := s.Begin(ctx); !errors.Is(err, state.ErrFailing) {
		t.Errorf("Begin while failing: %v; want refused at once", err)
	}
	if err := s.Ready(ctx); err == nil {
		t.Error("Ready while failing: nil")
	}

	// The probe in wait now is an hour away; end it, and start one that
	// tries at once, as the next failure would.
	s.closeHealth()
	probeFirst = 10 * time.Millisecond
	s.health = &health{stop: make(chan struct{})}
	s.health.armed.Store(true)
	if _, err := s.pool.Exec(ctx, `SELECT 1`); err == nil {
		t.Fatal("a query went through the cut proxy")
	}
	eventually(t, "a failed probe", func() bool { return s.Health().Retries > 0 })
	if h := s.Health(); h.RetryErr == nil || h.Err == nil {
		t.Errorf("Health after a failed probe: %+v", h)
	}
	p.Mend()
	eventually(t, "the failure ends once the database answers", func() bool { return s.Health().Err == nil })
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready after the recovery: %v", err)
	}
	if err := commit("e2"); err != nil {
		t.Errorf("a commit after the recovery: %v", err)
	}
	if err := commit("e2"); err != nil {
		t.Errorf("e2 again: %v", err)
	}
	b, _ := s.Begin(ctx)
	if seen, err := b.Seen("e2"); !seen || err != nil {
		t.Errorf("e2 after the recovery: seen %v, %v", seen, err)
	}
	_ = b.Rollback()
}
