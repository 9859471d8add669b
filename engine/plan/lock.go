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
}

// Lock takes the apply lock and returns its id, trying again while
// another holder has it and opt.Wait has not passed. The error after a
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
		left := deadline.Sub(now())
		if !errors.As(err, &locked) || left <= 0 {
			if locked != nil && opt.Wait > 0 {
				return "", fmt.Errorf("waited %s for the lock: %w", opt.Wait, err)
			}
			return "", err
		}
		if err := pause(ctx, min(delay, left)); err != nil {
			return "", err
		}
		delay = min(delay*2, 2*time.Second)
	}
}
