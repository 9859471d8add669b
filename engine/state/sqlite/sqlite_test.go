package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/statetest"
)

func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Begin(ctx)
	m := state.NewMember("u1", time.Unix(1700000000, 0).UTC())
	m.AddPoints(7, m.JoinedAt)
	_ = b.SaveMember(m)
	_ = b.MarkSeen("e1", m.JoinedAt)
	_ = b.AppendOutcomes([]state.Outcome{{Kind: state.KindPoints, Member: "u1", Name: "x", At: m.JoinedAt, Rule: "incentive.x", Event: "e1", Points: 7}})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(ctx, path) // migrations are idempotent
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, _ = s.Begin(ctx)
	defer b.Rollback()
	got, err := b.Member("u1")
	if err != nil || got.Points != 7 {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	if seen, _ := b.Seen("e1"); !seen {
		t.Error("event not seen after reopen")
	}
	outs, err := s.Outcomes(ctx, "u1", 10)
	if err != nil || len(outs) != 1 || outs[0].Points != 7 {
		t.Errorf("outcomes %+v, %v", outs, err)
	}
}
