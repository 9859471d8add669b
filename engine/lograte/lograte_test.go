package lograte

import (
	"fmt"
	"testing"
	"time"
)

func TestOneLinePerIntervalAndKey(t *testing.T) {
	l := New(time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if ok, held := l.Allow("a", t0); !ok || held != 0 {
		t.Fatalf("first line: %v %d", ok, held)
	}
	for i := range 5 {
		if ok, _ := l.Allow("a", t0.Add(time.Duration(i)*time.Second)); ok {
			t.Fatalf("line %d within the minute let through", i)
		}
	}
	if ok, held := l.Allow("b", t0.Add(time.Second)); !ok || held != 0 {
		t.Fatalf("another key: %v %d", ok, held)
	}
	if ok, held := l.Allow("a", t0.Add(time.Minute)); !ok || held != 5 {
		t.Fatalf("after the minute: %v, %d held; want true, 5", ok, held)
	}
	if ok, held := l.Allow("a", t0.Add(3*time.Minute)); !ok || held != 0 {
		t.Fatalf("after a quiet while: %v, %d held; want true, 0", ok, held)
	}
}

func TestKeysAreBounded(t *testing.T) {
	l := New(time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 * maxKeys {
		if ok, _ := l.Allow(fmt.Sprint(i), t0); !ok {
			t.Fatalf("key %d: a new key's first line was held", i)
		}
		if len(l.keys) > maxKeys {
			t.Fatalf("%d keys kept; at most %d", len(l.keys), maxKeys)
		}
	}
}

// A key forgotten (its failure is over) lets its next line through at
// once, and says how many were held back until then.
func TestForget(t *testing.T) {
	l := New(time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.Allow("a", t0)
	l.Allow("a", t0.Add(time.Second))
	l.Allow("a", t0.Add(2*time.Second))
	if held := l.Forget("a"); held != 2 {
		t.Errorf("forget: %d held; want 2", held)
	}
	if ok, held := l.Allow("a", t0.Add(3*time.Second)); !ok || held != 0 {
		t.Errorf("after forget: %v %d; want true 0", ok, held)
	}
	if held := l.Forget("never"); held != 0 {
		t.Errorf("an unknown key: %d held", held)
	}
}

// Flush passes once the interval is over, with the lines held back, and
// counts nothing while it does not pass.
func TestFlushReportsWhatWasHeld(t *testing.T) {
	l := New(time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.Allow("a", t0)
	l.Allow("a", t0.Add(time.Second))
	l.Allow("a", t0.Add(2*time.Second))
	if held, ok := l.Flush("a", t0.Add(3*time.Second)); ok || held != 0 {
		t.Errorf("within the minute: %d, %v; want held back", held, ok)
	}
	if held, ok := l.Flush("a", t0.Add(time.Minute)); !ok || held != 2 {
		t.Errorf("after the minute: %d, %v; want 2 held", held, ok)
	}
	if ok, held := l.Allow("a", t0.Add(time.Minute+time.Second)); ok || held != 0 {
		t.Errorf("a line right after the flush: %v %d; want held, the flush counts as the line", ok, held)
	}
	if held, ok := l.Flush("unknown", t0); !ok || held != 0 {
		t.Errorf("a key never seen: %d, %v", held, ok)
	}
}
