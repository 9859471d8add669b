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

// A holder known to be gone (a killed apply on this host) is not waited
// for: the lock would never be released. The error says so, whatever
// the wait, and keeps what the command adds to it afterwards.
func TestLockDoesNotWaitForAGoneHolder(t *testing.T) {
	ctx := context.Background()
	st := state.NewMemory()
	if err := st.Lock(ctx, state.LockInfo{ID: "dead", Who: "ann@here", PID: 4242}); err != nil {
		t.Fatal(err)
	}
	waits := 0
	asked := 0
	opt := plan.LockOptions{Who: "bob@here", Wait: time.Hour,
		Sleep: func(context.Context, time.Duration) error { waits++; return nil },
		Holder: func(h state.LockInfo) state.HolderStatus {
			asked++
			if h.PID != 4242 {
				t.Errorf("asked about pid %d", h.PID)
			}
			return state.HolderGone
		}}
	_, err := plan.Lock(ctx, st, opt)
	var locked *state.LockedError
	if !errors.As(err, &locked) || locked.Status != state.HolderGone || waits != 0 || asked != 1 {
		t.Fatalf("err %v, status %v, after %d waits and %d questions", err, locked, waits, asked)
	}
	if !strings.Contains(err.Error(), "the lock is stale") || strings.Contains(err.Error(), "waited") {
		t.Errorf("message: %v", err)
	}
	// A running holder is waited for, and after the wait the message
	// still says what was found and names the directory set after.
	opt.Wait = time.Second
	opt.Holder = func(state.LockInfo) state.HolderStatus { return state.HolderRunning }
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	opt.Now = func() time.Time { return clock }
	opt.Sleep = func(_ context.Context, d time.Duration) error { waits++; clock = clock.Add(d); return nil }
	_, err = plan.Lock(ctx, st, opt)
	if !errors.As(err, &locked) || waits == 0 {
		t.Fatalf("running holder: err %v after %d waits", err, waits)
	}
	locked.Dir = "my site"
	if msg := err.Error(); !strings.Contains(msg, "waited 1s") || !strings.Contains(msg, "still running on this host") || !strings.Contains(msg, "hearth force-unlock dead 'my site'") {
		t.Errorf("message after the wait: %v", msg)
	}
}
