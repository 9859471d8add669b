package state_test

import (
	"context"
	"errors"
	"time"

	"testing"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/statetest"
)

func TestMemoryConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store { return state.NewMemory() })
}

func TestMemoryResources(t *testing.T) {
	statetest.RunResources(t, func(t *testing.T) statetest.ResourceStore { return state.NewMemory() })
}

func TestMemoryRoleGrants(t *testing.T) {
	statetest.RunRoleGrants(t, func(t *testing.T) statetest.RoleGrantStore { return state.NewMemory() })
}

func TestMemoryCommunities(t *testing.T) {
	statetest.RunCommunities(t, func(t *testing.T) state.Store { return state.NewMemory() })
}

// TestMemorySavesWhatItIsGiven: a batch works on the stored members, so
// saving another value for a member replaces it at once, saving the
// first again puts it back, and a rollback restores what was stored.
func TestMemorySavesWhatItIsGiven(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := state.NewMemory()
	b, _ := s.Begin(ctx)
	first := state.NewMember("u1", t0)
	_ = b.SaveMember(first)
	_ = b.Commit()

	member := func(b state.Batch) *state.Member {
		t.Helper()
		m, err := b.Member("u1")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	b, _ = s.Begin(ctx)
	if member(b) != first {
		t.Fatal("the batch does not hand out the stored member")
	}
	other := state.NewMember("u1", t0)
	_ = b.SaveMember(other)
	if member(b) != other {
		t.Error("a saved replacement is not what the batch reads")
	}
	_ = b.SaveMember(first)
	if member(b) != first {
		t.Error("saving the first member again did not put it back")
	}
	_ = b.SaveMember(other)
	_ = b.SaveMember(state.NewMember("u2", t0))
	_ = b.Rollback()

	b, _ = s.Begin(ctx)
	defer b.Rollback()
	if member(b) != first {
		t.Error("rollback did not restore the stored member")
	}
	if _, err := b.Member("u2"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("a member added by a rolled-back batch is there (err %v)", err)
	}
}

func TestMemoryOutboxPages(t *testing.T) {
	statetest.RunOutboxPages(t, func(t *testing.T) state.Store { return state.NewMemory() })
}

// DropPending is campaign stop -drop's: pending actions only.
func TestDropPending(t *testing.T) {
	statetest.RunDropPending(t, func(t *testing.T) state.Store { return state.NewMemory() }, false)
}

// SkipPending is campaign stop's: pending actions only.
func TestSkipPending(t *testing.T) {
	statetest.RunSkipPending(t, func(t *testing.T) state.Store { return state.NewMemory() }, false)
}

func TestMemoryOutboxSelect(t *testing.T) {
	statetest.RunOutboxSelect(t, func(t *testing.T) state.Store { return state.NewMemory() })
}

func TestMemoryOutboxPrune(t *testing.T) {
	statetest.RunOutboxPrune(t, func(t *testing.T) state.Store { return state.NewMemory() })
}

func TestMemoryOutboxFinished(t *testing.T) {
	statetest.RunOutboxFinished(t, func(t *testing.T) state.Store { return state.NewMemory() })
}

func TestMemoryOutboxSentAfterHold(t *testing.T) {
	statetest.RunOutboxSentAfterHold(t, func(t *testing.T) state.Store { return state.NewMemory() })
}

func TestMemoryOutboxOldestPending(t *testing.T) {
	statetest.RunOutboxOldestPending(t, func(t *testing.T) state.Store { return state.NewMemory() })
}

func TestMemoryCampaignRecords(t *testing.T) {
	statetest.RunCampaignRecords(t, func(t *testing.T) state.Store {
		s := state.NewMemory()
		s.KeepOutcomes = true
		return s
	})
}
