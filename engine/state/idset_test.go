package state

import (
	"fmt"
	"testing"
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
