package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/postgres"
)

// DefaultStoreWait is how long hearth run waits by default for a
// PostgreSQL state that does not answer at start: longer than a
// database restart takes, so a pod started meanwhile does not
// crash-loop.
const DefaultStoreWait = time.Minute

// The tries at opening the store are storeRetryFirst apart, doubling up
// to storeRetryMax.
const (
	storeRetryFirst = 500 * time.Millisecond
	storeRetryMax   = 5 * time.Second
)

// storeWaitError is a store that stayed out of reach for the whole wait.
type storeWaitError struct {
	wait  time.Duration
	tries int
	err   error
}

func (e *storeWaitError) Error() string {
	return fmt.Sprintf("%v (still out of reach after %s and %d tries; -store-wait sets how long to wait)", e.err, e.wait, e.tries)
}

func (e *storeWaitError) Unwrap() error { return e.err }

// openStoreWaiting opens cfg's state store as openStore does, trying
// again for up to wait while a PostgreSQL server cannot be reached
// (refused, down, starting up). Any other error, and every SQLite one,
// is returned at once: a wrong password or a state locked by another
// hearth does not mend by waiting. Each failed try is logged with its
// error; a stop signal (ctx) ends the wait.
func openStoreWaiting(ctx context.Context, cfg *config.Config, wait time.Duration, log *slog.Logger) (state.Store, error) {
	deadline := time.Now().Add(wait)
	delay := storeRetryFirst
	for try := 1; ; try++ {
		store, err := openStore(ctx, cfg)
		if err == nil {
			if try > 1 {
				log.Info("state store answered", "state", cfg.Settings.State.Backend, "tries", try)
			}
			return store, nil
		}
		if wait <= 0 || cfg.Settings.State.Backend != "postgres" || !postgres.Unreachable(err) {
			return nil, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, &storeWaitError{wait: wait, tries: try, err: err}
		}
		next := min(delay, left)
		log.Warn("state store out of reach; trying again", "state", cfg.Settings.State.Backend, "try", try,
			"retry_in", next.String(), "wait_left", left.Round(time.Millisecond).String(), "err", err)
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("stopped while waiting for the state store: %w", err)
		case <-t.C:
		}
		delay = min(2*delay, storeRetryMax)
	}
}
