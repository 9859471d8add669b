package statetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// PruneStore is a store that forgets old event ids and outcomes, and
// lists a member's outcomes to show which stayed.
type PruneStore interface {
	state.Store
	state.Pruner
	Outcomes(ctx context.Context, member string, limit int) ([]state.Outcome, error)
}

// RunPrune checks forgetting: ids and outcomes before the cut go and
// later ones stay, events before the horizon are refused rather than
// applied again, the horizon never moves back and survives reopening,
// and a dry run changes nothing.
func RunPrune(t *testing.T, open func(t *testing.T) PruneStore, reopen func(t *testing.T, s PruneStore) PruneStore) {
	ctx := context.Background()
	day := func(n int) time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
	fill := func(t *testing.T, s PruneStore) {
		t.Helper()
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var outs []state.Outcome
		for i := range 12 { // events on days 0..11, more than a chunk would hold in a real store
			id := fmt.Sprintf("e%02d", i)
			if fresh, err := b.Claim(id, day(i)); !fresh || err != nil {
				t.Fatalf("claim %s = %v, %v", id, fresh, err)
			}
			outs = append(outs, state.Outcome{Kind: state.KindPoints, Member: "u", Name: "post", Change: "grant", At: day(i), Rule: "incentive.post", Event: id, Points: 1})
		}
		_ = b.SaveMember(state.NewMember("u", day(0)))
		if err := b.AppendOutcomes(outs); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	claim := func(t *testing.T, s PruneStore, id string, at time.Time) (bool, error) {
		t.Helper()
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Rollback()
		return b.Claim(id, at)
	}

	t.Run("ForgetsBeforeTheCut", func(t *testing.T) {
		s := open(t)
		fill(t, s)
		if h, err := s.IDHorizon(ctx); err != nil || !h.IsZero() {
			t.Fatalf("horizon before pruning = %v, %v; want zero", h, err)
		}
		dry, err := s.Prune(ctx, state.Prune{IDsBefore: day(5), OutcomesBefore: day(8), DryRun: true})
		if err != nil || dry.EventIDs != 5 || dry.Outcomes != 8 || !dry.IDHorizon.Equal(day(5)) {
			t.Fatalf("dry run = %+v, %v; want 5 ids, 8 outcomes, horizon %v", dry, err, day(5))
		}
		if h, _ := s.IDHorizon(ctx); !h.IsZero() {
			t.Fatalf("a dry run moved the horizon to %v", h)
		}
		got, err := s.Prune(ctx, state.Prune{IDsBefore: day(5), OutcomesBefore: day(8)})
		if err != nil || got.EventIDs != 5 || got.Outcomes != 8 || !got.IDHorizon.Equal(day(5)) {
			t.Fatalf("prune = %+v, %v; want 5 ids, 8 outcomes, horizon %v", got, err, day(5))
		}
		// An event from before the horizon is refused, whether or not it
		// was applied; from the horizon on, ids are remembered as before.
		for _, id := range []string{"e00", "e04", "never-seen"} {
			if fresh, err := claim(t, s, id, day(4)); fresh || !errors.Is(err, state.ErrTooOld) {
				t.Errorf("claim %s before the horizon = %v, %v; want ErrTooOld", id, fresh, err)
			}
		}
		if fresh, err := claim(t, s, "e05", day(5)); fresh || err != nil {
			t.Errorf("claim of a kept id = %v, %v; want a duplicate", fresh, err)
		}
		if fresh, err := claim(t, s, "new", day(5)); !fresh || err != nil {
			t.Errorf("claim of a new id at the horizon = %v, %v; want fresh", fresh, err)
		}
		outs, err := s.Outcomes(ctx, "u", 100)
		if err != nil || len(outs) != 4 {
			t.Fatalf("outcomes left = %d, %v; want 4", len(outs), err)
		}
		for _, o := range outs {
			if o.At.Before(day(8)) {
				t.Errorf("outcome of %s at %v outlived the cut", o.Event, o.At)
			}
		}
		// The horizon never moves back, and an empty prune changes nothing.
		again, err := s.Prune(ctx, state.Prune{IDsBefore: day(2)})
		if err != nil || again.EventIDs != 0 || !again.IDHorizon.Equal(day(5)) {
			t.Fatalf("earlier cut = %+v, %v; want nothing gone, horizon %v", again, err, day(5))
		}
		if reopen != nil {
			s = reopen(t, s)
			if h, err := s.IDHorizon(ctx); err != nil || !h.Equal(day(5)) {
				t.Fatalf("horizon after reopening = %v, %v; want %v", h, err, day(5))
			}
			if fresh, err := claim(t, s, "e01", day(1)); fresh || !errors.Is(err, state.ErrTooOld) {
				t.Errorf("claim before the horizon after reopening = %v, %v; want ErrTooOld", fresh, err)
			}
		}
	})
}
