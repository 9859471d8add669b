// Package wait waits out a platform's rate limit: for the delay it asked
// for, or until the context ends, with a hook tests set to skip the wait.
package wait

import (
	"context"
	"time"
)

// For waits d, or through hook when it is set (tests pass one that
// records the delay and returns at once). Its error is only the
// context's: a rate limit waited out is not a failure.
func For(ctx context.Context, d time.Duration, hook func(context.Context, time.Duration) error) error {
	if hook != nil {
		return hook(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
