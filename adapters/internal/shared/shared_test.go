package shared

import "testing"

func TestGet(t *testing.T) {
	var m Map[int]
	made := 0
	mk := func() *int { made++; n := 7; return &n }
	a, b := m.Get("x", mk), m.Get("x", mk)
	if a != b || *a != 7 || made != 1 {
		t.Errorf("one key: %p %p, made %d times", a, b, made)
	}
	if c := m.Get("y", nil); c == a || *c != 0 {
		t.Errorf("another key, no mk: %p = %d", c, *c)
	}
}
