package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// A duplicate applied with a digest says whether the event applied under
// its id said something else; the first event wins either way.
func TestApplyDigestTellsReusedIDs(t *testing.T) {
	ctx := context.Background()
	cfg := load(t, `
incentive "post" {
  on = "message.posted"
  grant { points = 1 }
}
`)
	rt := runtime.New(cfg, nil)
	st := state.NewMemory()
	at := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	apply := func(ev events.Event, digest uint64) runtime.Result {
		t.Helper()
		b, err := st.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		res, err := rt.ApplyDigest(ctx, b, &ev, digest)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := events.Event{ID: "e1", Type: "message.posted", Member: events.Member{ID: "u1"}, At: at}
	other := first
	other.Member.ID = "u2"
	if res := apply(first, events.Digest(&first)); res.Duplicate || res.Reused {
		t.Fatalf("first event: %+v", res)
	}
	res := apply(other, events.Digest(&other))
	if !res.Duplicate || !res.Reused || res.Earlier.Digest != events.Digest(&first) || !res.Earlier.At.Equal(at) {
		t.Errorf("another event under the id: %+v; want a reused duplicate, with the first's digest and time", res)
	}
	if res := apply(first, events.Digest(&first)); !res.Duplicate || res.Reused {
		t.Errorf("the same event again: %+v; want a duplicate, not reused", res)
	}
	if res := apply(other, 0); !res.Duplicate || res.Reused {
		t.Errorf("without a digest: %+v; want a duplicate, not reused", res)
	}
	// Claimed without a digest (simulate, bench): nothing to compare.
	plain := first
	plain.ID = "e2"
	if res, err := func() (runtime.Result, error) {
		b, _ := st.Begin(ctx)
		defer b.Commit()
		return rt.Apply(ctx, b, &plain)
	}(); err != nil || res.Duplicate {
		t.Fatalf("e2: %+v, %v", res, err)
	}
	plain.Member.ID = "u2"
	if res := apply(plain, events.Digest(&plain)); !res.Duplicate || res.Reused {
		t.Errorf("an id applied without a digest: %+v; want a duplicate, not reused", res)
	}
	b, _ := st.Begin(ctx)
	defer b.Rollback()
	if m, err := b.Member("u2"); err == nil {
		t.Errorf("u2 exists (points %d): an event not applied changed state", m.Points)
	}
}
