package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// A state store that reports its health (state.HealthReporter: the
// SQLite store after a write failed, a full disk; the PostgreSQL store
// while the database is out of reach) can fail as a whole for a while,
// and recover by itself once the cause is gone. What follows is the same
// for both: /readyz answers 503 (readiness, through its Ready), events
// are answered 503 with Retry-After and none of them is kept, GET
// /v1/status says why and since when, hearth_state_store_failing is 1,
// and the work refused meanwhile is logged at a limited rate. A failure
// it cannot recover from by itself fails /healthz too and stops the
// daemon, so a supervisor restarts it.

// storeLogEvery is how often the same line about work the failing store
// refused is logged: the processor, the outbox and the sampler try every
// second or so, and a line each time says nothing new.
const storeLogEvery = time.Minute

// storeStillEvery is how often a store that goes on failing is said to.
const storeStillEvery = 5 * time.Minute

// storeWatch is what the processor last saw of the store's health.
type storeWatch struct {
	failing  bool
	since    time.Time
	failures int64
	told     time.Time // when "still failing" was last said
}

// storeHealth is the store's health; ok is false for a store that does
// not report it.
func (d *Daemon) storeHealth() (state.Health, bool) {
	hr, ok := d.opt.Store.(state.HealthReporter)
	if !ok {
		return state.Health{}, false
	}
	return hr.Health(), true
}

// errStoreFatal is what Run returns when the store cannot recover.
var errStoreFatal = errors.New("the state store failed and cannot recover without a restart")

// watchStore logs the store's failures and recoveries, once each, and a
// reminder while one lasts; it runs on the processor goroutine after
// every round. It returns an error when the store failed for good, on
// which Run stops.
func (d *Daemon) watchStore(w *storeWatch) error {
	h, ok := d.storeHealth()
	if !ok {
		return nil
	}
	now := time.Now()
	switch {
	case h.Err != nil && h.Fatal:
		d.log.Error("the state store failed and cannot recover by itself: stopping, so that a supervisor restarts hearth; what it acknowledged is on disk (the journal is folded at the next start), what it refused was answered with an error",
			"err", h.Err, "since", h.Since.UTC().Format(time.RFC3339))
		return fmt.Errorf("%w: %w", errStoreFatal, h.Err)
	case h.Err != nil && (!w.failing || h.Failures != w.failures):
		w.failing, w.since, w.failures, w.told = true, h.Since, h.Failures, now
		d.log.Error("the state store is failing: events are refused (503) and /readyz answers 503 until it recovers, which it tries by itself (a full disk: once there is space again; PostgreSQL: once it answers again)",
			"err", h.Err, "since", h.Since.UTC().Format(time.RFC3339))
	case h.Err != nil:
		if now.Sub(w.told) >= storeStillEvery {
			w.told = now
			args := []any{"err", h.Err, "since", h.Since.UTC().Format(time.RFC3339), "for", now.Sub(h.Since).Round(time.Second).String(), "retries", h.Retries}
			if h.RetryErr != nil {
				args = append(args, "retry_err", h.RetryErr)
			}
			d.log.Error("the state store is still failing", args...)
		}
	case w.failing:
		d.log.Warn("the state store recovered: events are taken again", "failed_for", now.Sub(w.since).Round(time.Millisecond).String(), "failures", h.Failures)
		w.failing, w.failures = false, h.Failures
	case h.Failures != w.failures:
		// It failed and recovered between two looks.
		d.log.Warn("the state store failed for a moment and recovered: events are taken again", "failures", h.Failures)
		w.failures = h.Failures
	}
	return nil
}

// storeStatus is GET /v1/status's "state": how the store is doing at
// writing; nil for a store that does not report it.
func (d *Daemon) storeStatus() map[string]any {
	h, ok := d.storeHealth()
	if !ok {
		return nil
	}
	st := map[string]any{"status": "ok", "failures": h.Failures}
	if h.Err == nil {
		return st
	}
	st["status"] = "failing"
	if h.Fatal {
		st["status"] = "failed"
	}
	st["error"] = d.Redact(h.Err.Error())
	st["since"] = h.Since.UTC().Format(time.RFC3339Nano)
	st["failing_seconds"] = int64(time.Since(h.Since).Seconds())
	st["retries"] = h.Retries
	if h.RetryErr != nil {
		st["retry_error"] = d.Redact(h.RetryErr.Error())
	}
	return st
}

// storeRetryAfter is the Retry-After of an answer refused because the
// store is failing, in seconds: about how often it tries to recover.
const storeRetryAfter = "5"

// storeFailing answers a request whose events (what) the failing store
// refused: 503, since nothing was kept and the same request succeeds
// once the store has recovered.
func storeFailing(w http.ResponseWriter, what string, err error) {
	w.Header().Set("Retry-After", storeRetryAfter)
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": what + " could not be stored: " + err.Error() + "; nothing was applied: send them again once /readyz answers 200 (ids make it safe)"})
}

// healthz is the liveness probe: 200 while the process serves and can
// recover from what it meets by itself, 503 once the state store failed
// for good (the daemon is stopping then), so an orchestrator restarts
// it. A failure the store recovers from by itself (a full disk) is for
// /readyz: a restart would not make space.
func (d *Daemon) healthz(w http.ResponseWriter, r *http.Request) {
	if h, ok := d.storeHealth(); ok && h.Err != nil && h.Fatal {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "failed",
			"reason": "state: " + d.Redact(h.Err.Error()) + "; cannot recover without a restart"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

// logFailure logs work that failed at level, unless the daemon is
// stopping (see failed); a failure because the state store is failing
// (state.ErrFailing, in an "err" argument, or any error while the store
// reports that it fails: the query that found the database gone fails
// with the driver's own error) is logged at most once every
// storeLogEvery per message, with how many were not (not_logged).
func (d *Daemon) logFailure(ctx context.Context, level slog.Level, msg string, args ...any) {
	if ctx.Err() != nil {
		d.log.Debug("stopped during work; it is done again at the next start", append([]any{"work", msg}, args...)...)
		return
	}
	for i := 0; i+1 < len(args); i += 2 {
		err, ok := args[i+1].(error)
		if !ok || args[i] != "err" || !d.storeRefused(err) {
			continue
		}
		ok, held := d.storeLogs.Allow(msg, time.Now())
		if !ok {
			return
		}
		if held > 0 {
			args = append(args, "not_logged", held)
		}
		break
	}
	d.log.Log(ctx, level, msg, args...)
}

// storeRefused says whether err is the state store's failure: the store
// refused the work (state.ErrFailing), or the store reports that it is
// failing, which the error is then most likely of.
func (d *Daemon) storeRefused(err error) bool {
	if errors.Is(err, state.ErrFailing) {
		return true
	}
	h, ok := d.storeHealth()
	return ok && h.Err != nil
}
