package statetest

import (
	"context"
	"maps"
	"strconv"
	"testing"
	"time"

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

// runAnchorSizes checks that anchoring the size history corrects the
// tallies of a store written before it to the members it holds, on the
// day of their latest event, and changes nothing a second time.
func runAnchorSizes(t *testing.T, open Open) {
	t.Run("AnchorSizes", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		a, ok := s.(state.SizeAnchorer)
		if !ok {
			t.Skip("store does not anchor sizes")
		}
		r := s.(state.TallyReader)
		if d, err := a.AnchorSizes(ctx); err != nil || d != nil {
			t.Fatalf("an empty store anchored %v, %v; want nothing", d, err)
		}
		day := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
		d := strconv.Itoa(int(state.DayOf(day)))
		before := strconv.Itoa(int(state.DayOf(day)) - 9)
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Three members: two in "chatty", one of whom left (still in
		// "gone"), the third in none. The moves counted one entry to
		// chatty only, as a store upgraded from before them; the tiers
		// count one member on "core" now but no change by day.
		for i, segs := range [][]string{{"chatty"}, {"chatty", "gone"}, nil} {
			m := state.NewMember("u"+strconv.Itoa(i), day.Add(-time.Duration(i)*time.Hour))
			m.LastEventAt = day.Add(-time.Duration(i) * time.Hour)
			for _, sg := range segs {
				if m.Segments == nil {
					m.Segments = map[string]time.Time{}
				}
				m.Segments[sg] = m.LastEventAt
			}
			if err := b.SaveMember(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.(state.TallyBatch).AddTallies(state.Tallies{
			state.TallySegmentEnter + "chatty/" + before: 1, state.TallyTierNow + "core": 1, "other": 7,
		}); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		got, err := a.AnchorSizes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := state.Tallies{
			state.TallySegmentFix + "chatty/" + d: 1, state.TallySegmentFix + "gone/" + d: 1, state.TallySizesAnchor + d: 1,
			state.TallyTierFix + "core/" + d: 1, state.TallyTiersAnchor + d: 1,
		}
		if !maps.Equal(got, want) {
			t.Errorf("anchored %v; want %v", got, want)
		}
		all, err := r.Tallies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for k, n := range want {
			if all[k] != n {
				t.Errorf("stored %s = %d; want %d", k, all[k], n)
			}
		}
		if all["other"] != 7 {
			t.Errorf("anchoring changed another tally: %d", all["other"])
		}
		if again, err := a.AnchorSizes(ctx); err != nil || again != nil {
			t.Errorf("anchoring again: %v, %v; want nothing", again, err)
		}
	})
}
