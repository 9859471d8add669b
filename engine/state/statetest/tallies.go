package statetest

import (
	"context"
	"maps"
	"testing"

	"github.com/hearth-community/hearth/engine/state"
)

// runTallies checks that tally changes are added up across batches, land
// with their batch's commit and not at all when it is rolled back.
func runTallies(t *testing.T, open Open) {
	t.Run("Tallies", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		r, ok := s.(state.TallyReader)
		if !ok {
			t.Skip("store keeps no tallies")
		}
		add := func(d state.Tallies, commit bool) {
			t.Helper()
			b, err := s.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tb, ok := b.(state.TallyBatch)
			if !ok {
				t.Fatal("the store reads tallies but its batches cannot add them")
			}
			if err := tb.AddTallies(d); err != nil {
				t.Fatal(err)
			}
			if err := tb.AddTallies(state.Tallies{"a": 1}); err != nil {
				t.Fatal(err)
			}
			if sink, ok := b.(state.TallySink); ok {
				// Changes written straight into the batch, as the
				// runtime does; "z" sums to zero within the batch.
				p := sink.PendingTallies()
				p.Add("z", 1)
				p.Add("d", 3)
				p.Add("z", -1)
				p.Add("d", -3)
			}
			if commit {
				err = b.Commit()
			} else {
				err = b.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		add(state.Tallies{"a": 2, "b": 5, "c": 1}, true)
		add(state.Tallies{"b": -5, "c": 1}, true)
		add(state.Tallies{"a": 100}, false)
		got, err := r.Tallies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := state.Tallies{"a": 4, "c": 2}
		if !maps.Equal(got, want) {
			t.Errorf("tallies = %v; want %v (a counter back at zero is not listed; a rolled-back batch adds nothing)", got, want)
		}
	})
}
