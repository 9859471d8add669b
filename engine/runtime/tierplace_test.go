package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// ladderStore runs events through rt into a memory store, one batch each.
type ladderStore struct {
	t     *testing.T
	store *state.Memory
	n     int // events applied, for their ids
}

func newLadderStore(t *testing.T) *ladderStore {
	return &ladderStore{t: t, store: state.NewMemory()}
}

// points gives member delta points (a multiple of 10) at at, an event
// of the ladder's earn or spend incentive for each 10, or one event
// changing none for 0.
func (s *ladderStore) points(rt *runtime.Runtime, member string, delta int, at time.Time) {
	s.t.Helper()
	typ, n := "purchase.made", delta/10
	switch {
	case delta < 0:
		typ, n = "checkin", -n
	case delta == 0:
		typ, n = "message.posted", 1
	}
	for range n {
		s.n++
		b, err := s.store.Begin(context.Background())
		if err != nil {
			s.t.Fatal(err)
		}
		e := events.Event{ID: fmt.Sprintf("e%d", s.n), Type: typ, Member: events.Member{ID: member}, At: at}
		if _, err := rt.Apply(context.Background(), b, &e); err != nil {
			s.t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			s.t.Fatal(err)
		}
	}
}

// reload re-evaluates the members under rt's rules at at, as the daemon
// does after a reload.
func (s *ladderStore) reload(rt *runtime.Runtime, at time.Time, ids ...string) {
	s.t.Helper()
	b, err := s.store.Begin(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	if _, _, err := rt.Reevaluate(context.Background(), b, ids, at); err != nil {
		s.t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *ladderStore) member(id string) *state.Member {
	s.t.Helper()
	b, err := s.store.Begin(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	defer func() { _ = b.Rollback() }()
	m, err := b.Member(id)
	if err != nil || m == nil {
		s.t.Fatalf("member %s: %v", id, err)
	}
	return m
}

const placeLadder = `
incentive "earn" {
  on = "purchase.made"
  grant { points = 10 }
}
incentive "spend" {
  on = "checkin"
  grant { points = -10 }
}
tier "member" {
  rank = 1
  when = "member.points >= 10"
  keep = "member.points >= 5"
}
tier "regular" {
  rank  = 2
  when  = "member.points >= 50"
  keep  = "member.points >= 20"
  grace = "30d"
}
`

// A member on a tier the files no longer have is placed by the promotion
// rules, at most at the rank they held: on the highest tier whose when
// holds (ann), not on one whose keep alone holds (bob, whose 30 points
// keep regular but do not reach it). The tier placed on is no tier they
// reached by a promotion, so its grace does not hold them: ann, down to
// 10 points the next day, leaves regular at once.
func TestRemovedTierPlacesByWhen(t *testing.T) {
	before := runtime.New(load(t, placeLadder+`
tier "core" {
  rank = 3
  when = "member.points >= 100"
  keep = "member.points >= 25"
}
`), nil)
	after := runtime.New(load(t, placeLadder), nil)
	s := newLadderStore(t)
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	s.points(before, "ann", 150, t0)
	s.points(before, "bob", 150, t0)
	s.points(before, "bob", -120, t0.Add(time.Hour))
	if a, b := s.member("ann"), s.member("bob"); a.Tier.Name != "core" || b.Tier.Name != "core" {
		t.Fatalf("before: ann on %q, bob on %q; want core, core", a.Tier.Name, b.Tier.Name)
	}
	t1 := t0.Add(24 * time.Hour)
	s.reload(after, t1, "ann", "bob")
	for id, want := range map[string]string{"ann": "regular", "bob": "member"} {
		m := s.member(id)
		last := m.Tier.History[len(m.Tier.History)-1]
		if m.Tier.Name != want || last.Reason != state.TierRemoved || last.From != "core" {
			t.Errorf("%s: on %q, last move %+v; want placed on %s (%q)", id, m.Tier.Name, last, want, state.TierRemoved)
		}
	}
	v, _, err := after.Verdict(s.member("ann"), "tier.regular", nil, nil, t1)
	if err != nil || v == nil || v.Decision != runtime.VerdictHolds {
		t.Fatalf("verdict on regular: %+v, %v", v, err)
	}
	s.points(after, "ann", -140, t1.Add(time.Hour))
	if m := s.member("ann"); m.Tier.Name != "member" {
		t.Errorf("ann at 10 points: on %q; want member, no grace holding a tier she was placed on", m.Tier.Name)
	}
}

// A moved block renames a tier: its members stay on it, under the new
// name, with no move (no outcome, since when unchanged), and a window
// counting for it goes on under the new name.
func TestMovedBlockRenamesTier(t *testing.T) {
	const ladder = `
incentive "earn" {
  on = "purchase.made"
  grant { points = 10 }
}
incentive "spend" {
  on = "checkin"
  grant { points = -10 }
}
tier "member" {
  rank = 1
  when = "member.points >= 10"
}
tier "%s" {
  rank   = 2
  when   = "member.points >= 50"
  keep   = "member.points >= 20"
  window = "7d"
}
`
	before := runtime.New(load(t, strings.Replace(ladder, "%s", "regular", 1)), nil)
	cfg := load(t, strings.Replace(ladder, "%s", "contributor", 1)+`
moved {
  from = tier.regular
  to   = tier.contributor
}
`)
	if cfg.TierNamed("regular") == nil || cfg.TierNamed("regular").Name != "contributor" {
		t.Fatalf("TierMoves %v", cfg.TierMoves)
	}
	after := runtime.New(cfg, nil)
	if runtime.MemberRules(cfg) == runtime.MemberRules(load(t, strings.Replace(ladder, "%s", "contributor", 1))) {
		t.Error("the moved block is not in the rules fingerprint: no sweep would carry the members over")
	}
	s := newLadderStore(t)
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	s.points(before, "ann", 60, t0)
	s.points(before, "bob", 60, t0.Add(8*24*time.Hour))  // qualifying for regular
	s.points(before, "ann", -30, t0.Add(9*24*time.Hour)) // 30: keep holds
	ann := s.member("ann")
	if ann.Tier.Name != "regular" {
		t.Fatalf("before: ann on %q", ann.Tier.Name)
	}
	since, moves := ann.Tier.Since, len(ann.Tier.History)
	t1 := t0.Add(10 * 24 * time.Hour)
	// Before the re-evaluation writes the new name, why tells the
	// member on the renamed tier.
	if v, _, err := after.Verdict(ann, "tier.contributor", nil, nil, t1); err != nil || v == nil || v.Decision != runtime.VerdictHolds || v.On != "contributor" {
		t.Errorf("verdict on the renamed tier: %+v, %v", v, err)
	}
	s.reload(after, t1, "ann", "bob")
	ann = s.member("ann")
	if ann.Tier.Name != "contributor" || ann.Tier.Rank != 2 || !ann.Tier.Since.Equal(since) || len(ann.Tier.History) != moves {
		t.Errorf("ann after the rename: %+v; want on contributor since %s, no move", ann.Tier, since)
	}
	bob := s.member("bob")
	if got, ok := bob.Tier.QualifyingSince("contributor"); !ok || !got.Equal(t0.Add(8*24*time.Hour)) {
		t.Errorf("bob's window: %+v; want contributor since day 8", bob.Tier.Qualifying)
	}
	// The window ends on day 15, counted from day 8 under the old name.
	s.points(after, "bob", 0, t0.Add(15*24*time.Hour+time.Hour))
	if bob := s.member("bob"); bob.Tier.Name != "contributor" {
		t.Errorf("bob on day 15: on %q; want contributor", bob.Tier.Name)
	}
}

// A member taken off a tier's locked list (a partner's contract ended)
// lands where the promotion rules put them: on the highest lower tier
// whose when holds, not on one whose keep alone holds; no grace or
// demote_after holds them on the tier the lock gave.
func TestUnlockedMemberPlacedByWhen(t *testing.T) {
	const ladder = `
incentive "earn" {
  on = "purchase.made"
  grant { points = 10 }
}
incentive "spend" {
  on = "checkin"
  grant { points = -10 }
}
tier "fan" {
  rank = 1
  when = "member.points >= 10"
  keep = "true"
}
tier "ambassador" {
  rank = 2
  when = "member.points >= 1500"
  keep = "member.points >= 10"
}
tier "partner" {
  rank         = 3
  when         = "false"
  grace        = "30d"
  demote_after = "14d"
  locked       = [%s]
}
`
	before := runtime.New(load(t, strings.Replace(ladder, "%s", `"dee"`, 1)), nil)
	after := runtime.New(load(t, strings.Replace(ladder, "%s", "", 1)), nil)
	s := newLadderStore(t)
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	s.points(before, "dee", 50, t0)
	dee := s.member("dee")
	if last := dee.Tier.History[len(dee.Tier.History)-1]; dee.Tier.Name != "partner" || last.Reason != state.TierLocked {
		t.Fatalf("before: %+v; want locked on partner", dee.Tier)
	}
	t1 := t0.Add(5 * 24 * time.Hour)
	v, _, err := after.Verdict(dee, "tier.partner", nil, nil, t1)
	if err != nil || v == nil || v.Decision != runtime.VerdictDemote || v.To != "fan" || !strings.Contains(v.Text, "no longer locked") {
		t.Errorf("verdict: %+v, %v", v, err)
	}
	s.reload(after, t1, "dee")
	dee = s.member("dee")
	if last := dee.Tier.History[len(dee.Tier.History)-1]; dee.Tier.Name != "fan" || last.Reason != state.TierUnlocked {
		t.Errorf("after the lock: %+v; want placed on fan (%q)", dee.Tier, state.TierUnlocked)
	}
}
