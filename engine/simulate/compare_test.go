package simulate

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// Rows follow the new rules' order, then the names only the baseline
// has, then keys neither configuration lists, and mark the names one
// side's configuration lacks.
func TestCompareRows(t *testing.T) {
	got := rows([]string{"a", "gone", "b"}, []string{"b", "a", "added"},
		map[string]int{"a": 1, "b": 2, "gone": 4, "z": 1}, map[string]int{"a": 1, "b": 5, "added": 3, "y": 2})
	want := []Delta{
		{Name: "b", Baseline: 2, New: 5, Change: 3},
		{Name: "a", Baseline: 1, New: 1},
		{Name: "added", New: 3, Change: 3, Only: "new"},
		{Name: "gone", Baseline: 4, Change: -4, Only: "baseline"},
		{Name: "y", New: 2, Change: 2},
		{Name: "z", Baseline: 1, Change: -1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", got, want)
	}
	if got := rows(nil, nil, nil, nil); got == nil || len(got) != 0 {
		t.Errorf("rows of nothing: %#v, want an empty list ([] in JSON)", got)
	}
}

// Points are counted by incentive name, other rules by address, net of
// what expires; outcomes of other kinds count nothing.
func TestPointsByRule(t *testing.T) {
	p := PointsByRule{}
	for _, o := range []state.Outcome{
		{Kind: state.KindPoints, Rule: "incentive.helper", Points: 25},
		{Kind: state.KindPoints, Rule: "incentive.helper", Points: 25},
		{Kind: state.KindPoints, Rule: "points.expiry", Points: -10},
		{Kind: state.KindBadge, Rule: "incentive.helper", Points: 99},
	} {
		p.Observe(o)
	}
	if got, want := p.byName(), map[string]int{"helper": 50, "points.expiry": -10}; !reflect.DeepEqual(got, want) {
		t.Errorf("points by rule: %v, want %v", got, want)
	}
}

// memberStore is a sandbox store holding ms.
func memberStore(t *testing.T, ms ...*state.Member) state.Store {
	t.Helper()
	st := state.NewMemory()
	b, err := st.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if err := b.SaveMember(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	return st
}

// Members are compared on their end state: tier, points, the badges
// they hold (a revoked one, count 0, is not held) and segments; those of
// one replay only count as changed too, and ids are listed up to the cap.
func TestCompareMembers(t *testing.T) {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	member := func(id, tier string, points int, badges map[string]int, segments ...string) *state.Member {
		m := &state.Member{ID: id, Points: points, Tier: state.TierState{Name: tier}, Badges: map[string]*state.BadgeHold{}, Segments: map[string]time.Time{}}
		for b, n := range badges {
			m.Badges[b] = &state.BadgeHold{Count: n}
		}
		for _, s := range segments {
			m.Segments[s] = at
		}
		return m
	}
	base := memberStore(t,
		member("same", "regular", 10, map[string]int{"helper": 1}, "active"),
		member("promoted", "", 10, nil),
		member("lost", "regular", 10, map[string]int{"helper": 1}, "active"),
		member("revoked", "", 5, map[string]int{"helper": 1}),
		member("gone", "", 0, nil),
	)
	next := memberStore(t,
		member("same", "regular", 10, map[string]int{"helper": 1}, "active"),
		member("promoted", "regular", 20, nil),
		member("lost", "regular", 8, map[string]int{"helper": 1}),
		member("revoked", "", 5, map[string]int{"helper": 0}),
		member("made", "", 0, nil),
	)
	c := &Comparison{ListCap: 1}
	if err := c.compareMembers(context.Background(), base, next); err != nil {
		t.Fatal(err)
	}
	if c.Members != 6 || c.MembersChanged != 5 || c.OnlyBaseline != 1 || c.OnlyNew != 1 {
		t.Errorf("members %d, changed %d, only baseline %d, only new %d; want 6, 5, 1, 1", c.Members, c.MembersChanged, c.OnlyBaseline, c.OnlyNew)
	}
	wantMoves := []TierMove{{From: "", To: "regular", Count: 1, Members: []string{"promoted"}}}
	if !reflect.DeepEqual(c.TierMoves, wantMoves) {
		t.Errorf("tier moves %+v, want %+v", c.TierMoves, wantMoves)
	}
	wantShifts := []MemberShift{
		{Kind: "points", Enter: 1, Leave: 1, EnterMembers: []string{"promoted"}, LeaveMembers: []string{"lost"}},
		{Kind: "badge", Name: "helper", Leave: 1, LeaveMembers: []string{"revoked"}},
		{Kind: "segment", Name: "active", Leave: 1, LeaveMembers: []string{"lost"}},
	}
	if !reflect.DeepEqual(c.Shifts, wantShifts) {
		t.Errorf("shifts\n got %+v\nwant %+v", c.Shifts, wantShifts)
	}
}

// Listed ids are in numeric order where they are numbers, and the cap
// keeps the lowest: 2, 145, 263, not 145, 2, 2609 as text would.
func TestCompareMembersListsIDsByValue(t *testing.T) {
	var base, next []*state.Member
	for _, id := range []string{"2609", "145", "263", "2", "3000"} {
		base = append(base, &state.Member{ID: id, Tier: state.TierState{Name: ""}})
		next = append(next, &state.Member{ID: id, Tier: state.TierState{Name: "regular"}})
	}
	c := &Comparison{ListCap: 3}
	if err := c.compareMembers(context.Background(), memberStore(t, base...), memberStore(t, next...)); err != nil {
		t.Fatal(err)
	}
	if len(c.TierMoves) != 1 || !reflect.DeepEqual(c.TierMoves[0].Members, []string{"2", "145", "263"}) {
		t.Errorf("tier moves %+v; want members 2, 145, 263", c.TierMoves)
	}
}
