package window

import (
	"testing"
	"time"
)

func TestTake(t *testing.T) {
	l := &Limiter{N: 3, Per: time.Minute}
	t0 := time.Unix(1_790_000_000, 0)
	for i := range 3 {
		if w := l.Take(t0.Add(time.Duration(i) * 10 * time.Second)); w != 0 {
			t.Fatalf("event %d waited %s", i, w)
		}
	}
	if w := l.Take(t0.Add(30 * time.Second)); w != 30*time.Second {
		t.Errorf("4th at 30s: wait %s; want 30s (until the first leaves the window)", w)
	}
	if w := l.Take(t0.Add(time.Minute)); w != 0 {
		t.Errorf("at 60s the first has left: wait %s", w)
	}
	if w := l.Take(t0.Add(61 * time.Second)); w != 9*time.Second {
		t.Errorf("at 61s: wait %s; want 9s", w)
	}
	at := t0.Add(71 * time.Second)
	if w := l.Take(at); w != 0 {
		t.Fatalf("at 71s: wait %s", w)
	}
	l.Give(at)
	if w := l.Take(at); w != 0 {
		t.Errorf("a slot given back is free again: wait %s", w)
	}
	if w := (&Limiter{}).Take(t0); w != 0 {
		t.Errorf("zero limiter waits %s", w)
	}
}
