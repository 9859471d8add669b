package plan_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/state"
)

func TestLockWaitsForTheHolder(t *testing.T) {
	ctx := context.Background()
	st := state.NewMemory()
	if err := st.Lock(ctx, state.LockInfo{ID: "first", Who: "ann@ci"}); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var waits []time.Duration
	opt := plan.LockOptions{Who: "bob@ci", Wait: 3 * time.Second,
		Now: func() time.Time { return clock },
		Sleep: func(_ context.Context, d time.Duration) error {
			waits = append(waits, d)
			clock = clock.Add(d)
			if len(waits) == 3 {
				_ = st.Unlock(ctx, "first") // the first apply finishes
			}
			return nil
		}}
	id, err := plan.Lock(ctx, st, opt)
	if err != nil || id == "" || id == "first" {
		t.Fatalf("Lock = %q, %v", id, err)
	}
	if len(waits) != 3 || waits[1] <= waits[0] {
		t.Errorf("waits %v; want three growing waits", waits)
	}
	// Held by bob now: a third caller gives up when the wait is over,
	// and learns who holds it.
	waits = nil
	_, err = plan.Lock(ctx, st, plan.LockOptions{Who: "cy", Wait: time.Second, Now: opt.Now, Sleep: opt.Sleep})
	var locked *state.LockedError
	if !errors.As(err, &locked) || locked.Holder.Who != "bob@ci" || !strings.Contains(err.Error(), "waited 1s") {
		t.Fatalf("err = %v", err)
	}
	var total time.Duration
	for _, w := range waits {
		total += w
	}
	if total != time.Second {
		t.Errorf("waited %s in all; want exactly the 1s allowed", total)
	}
	// Without a wait it fails at once.
	waits = nil
	if _, err := plan.Lock(ctx, st, plan.LockOptions{Who: "dan"}); !errors.As(err, &locked) || len(waits) != 0 {
		t.Fatalf("no wait: err %v after %d waits", err, len(waits))
	}
}
