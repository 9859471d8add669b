package state

import (
	"fmt"
	"testing"
	"time"
)

// The set agrees with a map through adds, repeats and rollbacks, across
// the rebuilds that growth and removal cause.
func TestIDSetAgreesWithMap(t *testing.T) {
	s, model := newIDSet(), map[string]bool{}
	check := func(ids ...string) {
		t.Helper()
		for _, id := range ids {
			if got := s.Has(id); got != model[id] {
				t.Fatalf("Has(%q) = %v, want %v", id, got, model[id])
			}
		}
		if s.Len() != len(model) {
			t.Fatalf("Len = %d, want %d", s.Len(), len(model))
		}
	}
	var batch []string
	for i := range 20000 {
		id := fmt.Sprintf("ev-%d", i%15000) // the last 5,000 repeat
		if got, want := s.Add(id), !model[id]; got != want {
			t.Fatalf("Add(%q) = %v, want %v", id, got, want)
		}
		if !model[id] {
			batch = append(batch, id)
		}
		model[id] = true
		// Every 700th id rolls back the batch since the last one.
		if i%700 == 699 {
			if i%1400 == 1399 {
				s.Remove(batch)
				for _, id := range batch {
					delete(model, id)
				}
			}
			check(batch...)
			batch = batch[:0]
		}
	}
	check("ev-0", "ev-14999", "ev-15000", "", "nope")
	if s.Add("") != true || s.Add("") != false || !s.Has("") {
		t.Fatal("the empty id is an id like any other")
	}
}

func FuzzIDSet(f *testing.F) {
	f.Add([]byte("a\x00b\x01a\x02c"))
	f.Fuzz(func(t *testing.T, ops []byte) {
		s, model := newIDSet(), map[string]bool{}
		var added []string
		for i, op := range ops {
			id := fmt.Sprint(op % 64)
			switch {
			case op >= 192 && len(added) > 0:
				// Roll back the newest ids.
				n := min(len(added), int(op-191))
				s.Remove(added[len(added)-n:])
				for _, id := range added[len(added)-n:] {
					delete(model, id)
				}
				added = added[:len(added)-n]
			default:
				if got, want := s.Add(id), !model[id]; got != want {
					t.Fatalf("op %d: Add(%q) = %v, want %v", i, id, got, want)
				}
				if !model[id] {
					added = append(added, id)
				}
				model[id] = true
			}
			for k := range 64 {
				id := fmt.Sprint(k)
				if s.Has(id) != model[id] {
					t.Fatalf("op %d: Has(%q) = %v, want %v", i, id, s.Has(id), model[id])
				}
			}
		}
	})
}

// Digests stay with their ids through growth and the rebuilds that
// removals cause; ids added without one have none.
func TestIDSetKeepsDigests(t *testing.T) {
	s := newIDSet()
	model := map[string]uint64{} // id -> digest, 0 for none
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var batch []string
	for i := range 20000 {
		id := fmt.Sprintf("ev-%d", i%15000)
		want, had := model[id]
		var fresh bool
		var was Claimed
		if i%3 == 0 {
			fresh = s.Add(id)
		} else {
			fresh, was = s.AddDigest(id, at.Add(time.Duration(i)), uint64(i+1))
		}
		if fresh == had {
			t.Fatalf("add %q: fresh = %v with the id in the set %v", id, fresh, had)
		}
		if !fresh && was.Digest != want && i%3 != 0 {
			t.Fatalf("AddDigest(%q) again: earlier digest %d, want %d", id, was.Digest, want)
		}
		if fresh {
			model[id] = 0
			if i%3 != 0 {
				model[id] = uint64(i + 1)
			}
			batch = append(batch, id)
		}
		if i%700 == 699 {
			if i%1400 == 1399 {
				s.Remove(batch)
				for _, id := range batch {
					delete(model, id)
				}
			}
			batch = batch[:0]
		}
	}
	for id, want := range model {
		fresh, was := s.AddDigest(id, at, 12345)
		if fresh || was.Digest != want {
			t.Fatalf("AddDigest(%q) at the end = %v, %d; want false, %d", id, fresh, was.Digest, want)
		}
		if want != 0 && (was.At.Before(at) || was.At.After(at.Add(20000))) {
			t.Fatalf("AddDigest(%q): earlier time %v", id, was.At)
		}
	}
}
