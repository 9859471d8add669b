package runtime_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// twoWindows are two tiers with qualification windows, reached on
// points: 50 a purchase, -60 a check-in.
const twoWindows = `
tier "regular" {
  rank   = 1
  when   = "member.points >= 10"
  window = "7d"
}
tier "core" {
  rank   = 2
  when   = "member.points >= 100"
  window = "14d"
}
incentive "earn" {
  on = "purchase.made"
  grant { points = 50 }
}
incentive "spend" {
  on = "checkin"
  grant { points = -60 }
}
`

func wantMoves(t *testing.T, outs []state.Outcome, member, want string) {
	t.Helper()
	if got := strings.Join(tierMoves(outs, member), " "); got != want {
		t.Errorf("moves of %s %q\nwant %q", member, got, want)
	}
}

func wantQualifying(t *testing.T, m *state.Member, want ...state.Qualification) {
	t.Helper()
	if len(want) == 0 {
		want = nil
	}
	if got := m.Tier.Qualifying; !reflect.DeepEqual(got, want) {
		t.Errorf("qualifying %v; want %v", got, want)
	}
}

// Two tiers with windows whose when both hold: each window counts from
// when its own when started holding, so the member reaches the lower
// tier when its window ends, and the higher one when its own does. A
// recheck comes at each window's end, with no event needed.
func TestTierWindowsBothHolding(t *testing.T) {
	cfg := load(t, twoWindows)
	stream := ev("p1", "purchase.made", "u", 0, 9, "") + // 50: regular holds from day 0
		ev("p2", "purchase.made", "u", 2, 9, "") // 100: core holds from day 2
	_, _, m := run(t, cfg, stream)
	wantQualifying(t, m["u"], state.Qualification{Tier: "regular", Since: day(0, 9)}, state.Qualification{Tier: "core", Since: day(2, 9)})
	if !m["u"].RecheckAt.Equal(day(7, 9)) {
		t.Errorf("recheck at %s; want regular's window end, %s", m["u"].RecheckAt, day(7, 9))
	}

	// Past regular's window: promoted to it, and core's window goes on
	// counting from day 2.
	_, outs, m := run(t, cfg, stream+ev("x", "purchase.made", "other", 8, 9, ""))
	wantMoves(t, outs, "u", "promote:->regular@01-08T09:00")
	wantQualifying(t, m["u"], state.Qualification{Tier: "core", Since: day(2, 9)})
	if !m["u"].RecheckAt.Equal(day(16, 9)) {
		t.Errorf("recheck at %s; want core's window end, %s", m["u"].RecheckAt, day(16, 9))
	}

	_, outs, m = run(t, cfg, stream+ev("late", "purchase.made", "other", 30, 9, ""))
	wantMoves(t, outs, "u", "promote:->regular@01-08T09:00 promote:regular->core@01-17T09:00")
	wantQualifying(t, m["u"])
}

// A when that stops holding at an evaluation restarts its own tier's
// window, and only its own.
func TestTierWindowResetsOnlyItsOwn(t *testing.T) {
	cfg := load(t, twoWindows)
	stream := ev("p1", "purchase.made", "u", 0, 9, "") + // 50: regular from day 0
		ev("p2", "purchase.made", "u", 1, 9, "") + // 100: core from day 1
		ev("s1", "checkin", "u", 3, 9, "") + // 40: core fails
		ev("p3", "purchase.made", "u", 4, 9, "") + // 90
		ev("p4", "purchase.made", "u", 5, 9, "") // 140: core again, from day 5
	_, _, m := run(t, cfg, stream)
	wantQualifying(t, m["u"], state.Qualification{Tier: "regular", Since: day(0, 9)}, state.Qualification{Tier: "core", Since: day(5, 9)})
	_, outs, _ := run(t, cfg, stream+ev("late", "purchase.made", "other", 30, 9, ""))
	wantMoves(t, outs, "u", "promote:->regular@01-08T09:00 promote:regular->core@01-20T09:00")
}

// The combinations of a tier with a window and one without: a windowed
// tier above one without counts its window from when its when started
// holding, through the promotion to the lower tier; a tier without a
// window above a windowed one promotes at once, and the lower window is
// moot.
func TestTierWindowWithAndWithout(t *testing.T) {
	cfg := load(t, `
tier "regular" {
  rank = 1
  when = "member.points >= 10"
}
tier "core" {
  rank   = 2
  when   = "member.points >= 100"
  window = "14d"
}
incentive "earn" {
  on = "purchase.made"
  grant { points = 100 }
}
`)
	stream := ev("p1", "purchase.made", "u", 0, 9, "") + // 100: regular at once, core from day 0
		ev("m1", "message.posted", "u", 3, 9, "") +
		ev("late", "purchase.made", "other", 30, 9, "")
	_, outs, _ := run(t, cfg, stream)
	wantMoves(t, outs, "u", "promote:->regular@01-01T09:00 promote:regular->core@01-15T09:00")

	cfg = load(t, `
tier "regular" {
  rank   = 1
  when   = "member.points >= 10"
  window = "7d"
}
tier "core" {
  rank = 2
  when = "member.points >= 100"
}
incentive "earn" {
  on = "purchase.made"
  grant { points = 60 }
}
`)
	stream = ev("p1", "purchase.made", "u", 0, 9, "") + // 60: regular from day 0
		ev("p2", "purchase.made", "u", 2, 9, "") + // 120: core at once
		ev("late", "purchase.made", "other", 30, 9, "")
	_, outs, m := run(t, cfg, stream)
	wantMoves(t, outs, "u", "promote:->core@01-03T09:00")
	wantQualifying(t, m["u"])
}

// member why tells each window apart: a member qualifying for two tiers
// is qualifying for each since its own when held, and the higher one's
// verdict says the lower window ends first.
func TestTierVerdictTwoWindows(t *testing.T) {
	cfg := load(t, twoWindows)
	rt := runtime.New(cfg, nil)
	stream := ev("p1", "purchase.made", "u", 0, 9, "") + ev("p2", "purchase.made", "u", 2, 9, "")
	_, _, m := run(t, cfg, stream)
	v, _ := verdictOf(t, rt, m["u"], "tier.regular", nil, nil, day(3, 9))
	wantVerdict(t, v, runtime.VerdictQualifying, "would be promoted to regular at the first evaluation from 2026-01-08 09:00: when holds, and has since 2026-01-01 09:00")
	v, _ = verdictOf(t, rt, m["u"], "tier.core", nil, nil, day(3, 9))
	wantVerdict(t, v, runtime.VerdictQualifying, "would be promoted to core at the first evaluation from 2026-01-17 09:00: when holds, and has since 2026-01-03 09:00", "regular's own window ends first, at 2026-01-08 09:00")
	if !v.Since.Equal(day(2, 9)) || !v.Until.Equal(day(16, 9)) {
		t.Errorf("core's window %s to %s", v.Since, v.Until)
	}
	// Past regular's window, before the recheck: promoted to regular,
	// not yet to core, whose window runs on.
	v, _ = verdictOf(t, rt, m["u"], "tier.core", nil, nil, day(8, 9))
	wantVerdict(t, v, runtime.VerdictPromote, "would be promoted to regular at the next evaluation, not to core: its when holds, since 2026-01-03 09:00, but must hold for the qualifying window (14d), until 2026-01-17 09:00")
	// Asked about a time the member has not reached: why changes nothing.
	if want := []state.Qualification{{Tier: "regular", Since: day(0, 9)}, {Tier: "core", Since: day(2, 9)}}; !reflect.DeepEqual(m["u"].Tier.Qualifying, want) {
		t.Errorf("why changed the member's qualifications: %v", m["u"].Tier.Qualifying)
	}
}

// State stored before each tier's qualification was kept apart, with one
// in qualifying_for and qualifying_since, goes on counting that window
// from where it was.
func TestTierWindowFromOlderState(t *testing.T) {
	cfg := load(t, twoWindows)
	older := `{"id":"u","joined_at":"2026-01-01T09:00:00Z","last_event_at":"2026-01-02T09:00:00Z","evaluated_at":"2026-01-02T09:00:00Z",` +
		`"points":100,"points_earned":100,"recheck_at":"2026-01-16T09:00:00Z",` +
		`"tier":{"name":"regular","rank":1,"since":"2026-01-01T09:00:00Z","qualifying_for":"core","qualifying_since":"2026-01-02T09:00:00Z"}}`
	ctx := context.Background()
	store := state.NewMemory()
	b, _ := store.Begin(ctx)
	var m state.Member
	if err := state.DecodeMember([]byte(older), &m); err != nil {
		t.Fatal(err)
	}
	if err := b.SaveMember(&m); err != nil {
		t.Fatal(err)
	}
	rt := runtime.New(cfg, nil)
	var moves []string
	for _, line := range []string{ev("m1", "message.posted", "u", 10, 9, ""), ev("m2", "message.posted", "u", 15, 10, "")} {
		e, err := events.Parse([]byte(strings.TrimSpace(line)))
		if err != nil {
			t.Fatal(err)
		}
		res, err := rt.Apply(ctx, b, &e)
		if err != nil {
			t.Fatal(err)
		}
		moves = append(moves, tierMoves(res.Outcomes, "u")...)
	}
	// The event after the stored recheck time brings the member up to
	// it first: the promotion is at the window's end, 14 days after the
	// stored qualifying_since, not 14 days after the hearth read it.
	if want := "promote:regular->core@01-16T09:00"; strings.Join(moves, " ") != want {
		t.Errorf("moves %q; want %q", moves, want)
	}
}

// A member locked on a tier has no rule evaluated, so no window counts.
func TestTierWindowLocked(t *testing.T) {
	cfg := load(t, twoWindows+`
tier "staff" {
  rank   = 3
  when   = "false"
  locked = ["u"]
}
`)
	_, _, m := run(t, cfg, ev("p1", "purchase.made", "u", 0, 9, "")+ev("p2", "purchase.made", "u", 2, 9, ""))
	if m["u"].Tier.Name != "staff" {
		t.Fatalf("tier %q", m["u"].Tier.Name)
	}
	wantQualifying(t, m["u"])
}

// member why takes the runtime's own decision, which starts a window for
// a when that holds and ends one for a when that fails, on the member
// it is given: it must change nothing of it, not even the array behind
// its qualifications.
func TestTierVerdictLeavesQualifications(t *testing.T) {
	cfg := load(t, twoWindows)
	rt := runtime.New(cfg, nil)
	m := state.NewMember("u", day(0, 9))
	m.Points = 50 // regular holds, core does not
	m.Tier.Qualifying = make([]state.Qualification, 1, 4)
	m.Tier.Qualifying[0] = state.Qualification{Tier: "core", Since: day(1, 9)}
	before := m.Tier.Qualifying[:4]
	want := append([]state.Qualification(nil), before...)
	v, _ := verdictOf(t, rt, m, "tier.regular", nil, nil, day(3, 9))
	wantVerdict(t, v, runtime.VerdictQualifying, "would be promoted to regular at the first evaluation from 2026-01-11 09:00")
	v, _ = verdictOf(t, rt, m, "tier.core", nil, nil, day(3, 9))
	wantVerdict(t, v, runtime.VerdictNotReached, "not on core: its when does not hold")
	if len(m.Tier.Qualifying) != 1 || !reflect.DeepEqual(m.Tier.Qualifying[:4], want) {
		t.Errorf("why changed the member's qualifications: %v", m.Tier.Qualifying[:4])
	}
}
