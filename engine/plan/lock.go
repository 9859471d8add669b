package plan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// LockOptions say how to take the apply lock.
type LockOptions struct {
	// Who is recorded with the lock, for the message another apply gets.
	Who string
	// Wait is how long to keep trying while someone else holds the lock
	// (Terraform's -lock-timeout); zero fails at once.
	Wait time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits between tries; nil waits on a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Holder, when set, finds out about the process holding the lock
	// (the command can look at its host's processes; the store cannot).
	// Its answer goes into the *state.LockedError, and a holder known
	// to be gone ends the wait at once: a lock left by a killed command
	// is never released by waiting.
	Holder func(state.LockInfo) state.HolderStatus
}

// Lock takes the apply lock and returns its id, trying again while
// another holder has it and opt.Wait has not passed (but not for a
// holder opt.Holder finds gone). The error after a
// wait is still a *state.LockedError naming the holder, so the caller
// can tell the user whom they waited for.
func Lock(ctx context.Context, st Store, opt LockOptions) (string, error) {
	now, pause := opt.Now, opt.Sleep
	if now == nil {
		now = time.Now
	}
	if pause == nil {
		pause = sleep
	}
	deadline := now().Add(opt.Wait)
	delay := 100 * time.Millisecond
	for {
		info := state.LockInfo{ID: randomID(), Who: opt.Who, When: now().UTC(), PID: os.Getpid()}
		err := st.Lock(ctx, info)
		if err == nil {
			return info.ID, nil
		}
		var locked *state.LockedError
		isLocked := errors.As(err, &locked)
		if isLocked && opt.Holder != nil && locked.Status == state.HolderUnchecked {
			// Before any wrapping below, which formats the message.
			locked.Status = opt.Holder(locked.Holder)
		}
		left := deadline.Sub(now())
		if isLocked && locked.Status == state.HolderGone {
			return "", err
		}
		if !isLocked || left <= 0 {
			if locked != nil && opt.Wait > 0 {
				return "", &waitedError{wait: opt.Wait, err: err}
			}
			return "", err
		}
		if err := pause(ctx, min(delay, left)); err != nil {
			return "", err
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// waitedError is a lock still held after -lock-timeout. Its message is
// made when printed, not here: the command adds to the *state.LockedError
// it wraps (its directory, for the force-unlock it suggests) afterwards.
type waitedError struct {
	wait time.Duration
	err  error
}

func (e *waitedError) Error() string {
	return fmt.Sprintf("waited %s for the lock: %v", e.wait, e.err)
}

func (e *waitedError) Unwrap() error { return e.err }
