package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/statetest"
)

func TestCommunities(t *testing.T) {
	statetest.RunCommunities(t, func(t *testing.T) state.Store {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// A community document written in the background survives a reopen.
func TestCommunitySurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Begin(ctx)
	c := &state.Community{Name: "c", Members: 7}
	c.CountHour("messages", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), 4)
	_ = b.(state.CommunityBatch).SaveCommunity(c)
	done := make(chan error, 1)
	b.(state.AsyncBatch).CommitAsync(func(err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, _ = s.Begin(ctx)
	defer b.Rollback()
	got, err := b.(state.CommunityBatch).Community("c")
	if err != nil || got.Members != 7 || got.Days["messages"].Sum(state.DayOf(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)), 1) != 4 {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
}
