package wait

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFor(t *testing.T) {
	var asked time.Duration
	hook := func(_ context.Context, d time.Duration) error { asked = d; return nil }
	if err := For(context.Background(), time.Hour, hook); err != nil || asked != time.Hour {
		t.Fatalf("with a hook: %v, asked %v; want the hook to get the hour", err, asked)
	}
	if err := For(context.Background(), time.Millisecond, nil); err != nil {
		t.Fatalf("a millisecond waited out: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := For(ctx, time.Hour, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled wait: %v; want context.Canceled", err)
	}
}
