package runtime_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// day is a time days after 2026-01-01, at hour.
func day(d, hour int) time.Time {
	return time.Date(2026, 1, 1, hour, 0, 0, 0, time.UTC).AddDate(0, 0, d)
}

// verdictOf asks the runtime's verdict on addr for m at at: for an
// incentive on ev (nil: none) of the member by (nil: m).
func verdictOf(t *testing.T, rt *runtime.Runtime, m *state.Member, addr string, ev *events.Event, by *state.Member, at time.Time) (*runtime.Verdict, *runtime.IncentiveCheck) {
	t.Helper()
	if m == nil {
		t.Fatal("no member")
	}
	v, c, err := rt.Verdict(m, addr, ev, by, at)
	if err != nil {
		t.Fatal(err)
	}
	if v == nil {
		t.Fatalf("%s: no verdict", addr)
	}
	return v, c
}

// tierMoves are the member's tier moves in the outcomes, "change:from->to@time".
func tierMoves(outs []state.Outcome, member string) []string {
	var moves []string
	for _, o := range outs {
		if o.Kind == state.KindTier && o.Member == member {
			moves = append(moves, o.Change+":"+o.From+"->"+o.To+"@"+o.At.UTC().Format("01-02T15:04"))
		}
	}
	return moves
}

func wantVerdict(t *testing.T, v *runtime.Verdict, decision string, text ...string) {
	t.Helper()
	if v.Decision != decision {
		t.Errorf("decision %q; want %q (%s)", v.Decision, decision, v.Text)
	}
	for _, s := range text {
		if !strings.Contains(v.Text, s) {
			t.Errorf("verdict %q; want it to say %q", v.Text, s)
		}
	}
}

const graceTiers = `
tier "regular" {
  rank = 1
  when = "member.points >= 10"
  keep = "true"
}
tier "core" {
  rank  = 2
  when  = "member.points >= 100"
  keep  = "member.points >= 90"
  grace = "14d"
}
incentive "earn" {
  on = "purchase.made"
  grant { points = 50 }
}
incentive "spend" {
  on = "checkin"
  grant { points = -5 }
}
`

// member why's verdict on a tier with a grace period: keep holds; keep
// fails inside the grace period, which holds the member until it ends,
// when the runtime demotes them; keep fails past it, so the next
// evaluation demotes. The grace's end is the runtime's demotion time.
func TestTierVerdictKeepAndGrace(t *testing.T) {
	cfg := load(t, graceTiers)
	rt := runtime.New(cfg, nil)
	stream := ev("p1", "purchase.made", "u", 0, 9, "") + // 50: regular
		ev("p2", "purchase.made", "u", 1, 9, "") + // 100: core
		ev("s1", "checkin", "u", 2, 9, "") // 95: keep holds
	_, _, m := run(t, cfg, stream)
	v, _ := verdictOf(t, rt, m["u"], "tier.core", nil, nil, day(2, 12))
	wantVerdict(t, v, runtime.VerdictHolds, "holds core: keep holds")
	v, _ = verdictOf(t, rt, m["u"], "tier.regular", nil, nil, day(2, 12))
	wantVerdict(t, v, runtime.VerdictAbove, "on core, above regular")

	stream += ev("s2", "checkin", "u", 3, 9, "") + // 90
		ev("s3", "checkin", "u", 4, 9, "") // 85: keep fails, in grace
	_, _, m = run(t, cfg, stream)
	v, _ = verdictOf(t, rt, m["u"], "tier.core", nil, nil, day(5, 9))
	wantVerdict(t, v, runtime.VerdictGrace, "held by grace until 2026-01-16 09:00", "keep fails", "grace period (14d)")
	if !v.Since.Equal(day(1, 9)) || !v.Until.Equal(day(15, 9)) {
		t.Errorf("grace %s to %s; want the promotion and 14 days after", v.Since, v.Until)
	}
	// The runtime demotes at the grace's end, with no event needed.
	_, outs, _ := run(t, cfg, stream+ev("late", "purchase.made", "other", 20, 9, ""))
	if moves := tierMoves(outs, "u"); !slices.Contains(moves, "demote:core->regular@"+v.Until.Format("01-02T15:04")) {
		t.Errorf("moves %v; want a demotion at %s, the verdict's", moves, v.Until)
	}

	// Past the grace (the state as it was before the recheck).
	v, _ = verdictOf(t, rt, m["u"], "tier.core", nil, nil, day(20, 9))
	wantVerdict(t, v, runtime.VerdictDemote, "would be demoted to regular at the next evaluation: keep fails and the grace period (14d) ended 2026-01-16 09:00")
	if v.To != "regular" || v.On != "core" {
		t.Errorf("on %q to %q", v.On, v.To)
	}
	v, _ = verdictOf(t, rt, m["u"], "tier.regular", nil, nil, day(20, 9))
	wantVerdict(t, v, runtime.VerdictDemote, "would be demoted from core to regular at the next evaluation: core's keep fails")
}

// demote_after: keep fails since an evaluation, and the member is
// demoted once it has failed that long, unless it holds again.
func TestTierVerdictDemoteAfter(t *testing.T) {
	cfg := load(t, `
tier "regular" {
  rank         = 1
  when         = "member.points >= 10"
  keep         = "member.points >= 5"
  demote_after = "10d"
}
incentive "earn" {
  on = "purchase.made"
  grant { points = 50 }
}
incentive "spend" {
  on = "checkin"
  grant { points = -48 }
}
`)
	rt := runtime.New(cfg, nil)
	stream := ev("p1", "purchase.made", "u", 0, 9, "") + ev("s1", "checkin", "u", 2, 9, "") // 2 points: keep fails from day 2
	_, _, m := run(t, cfg, stream)
	v, _ := verdictOf(t, rt, m["u"], "tier.regular", nil, nil, day(3, 9))
	wantVerdict(t, v, runtime.VerdictDemoteAfter, "demote_after (10d): keep fails since 2026-01-03 09:00; demoted at 2026-01-13 09:00 unless keep holds again")
	if !v.Since.Equal(day(2, 9)) || !v.Until.Equal(day(12, 9)) {
		t.Errorf("demote_after %s to %s", v.Since, v.Until)
	}
	_, outs, _ := run(t, cfg, stream+ev("late", "purchase.made", "other", 20, 9, ""))
	if moves := tierMoves(outs, "u"); !slices.Contains(moves, "demote:regular->@"+v.Until.Format("01-02T15:04")) {
		t.Errorf("moves %v; want a demotion at %s, the verdict's", moves, v.Until)
	}
	v, _ = verdictOf(t, rt, m["u"], "tier.regular", nil, nil, day(13, 9))
	wantVerdict(t, v, runtime.VerdictDemote, "would be demoted to no tier at the next evaluation: keep fails since 2026-01-03 09:00, for demote_after (10d) or longer")
}

// A qualification window: when holds, and the promotion waits for the
// window; past it, the next evaluation promotes. The window's end is the
// runtime's promotion time.
func TestTierVerdictPromotionWindow(t *testing.T) {
	cfg := load(t, `
tier "regular" {
  rank   = 1
  when   = "member.points >= 10"
  window = "7d"
}
tier "core" {
  rank = 2
  when = "member.points >= 1000"
}
incentive "earn" {
  on = "purchase.made"
  grant { points = 50 }
}
`)
	rt := runtime.New(cfg, nil)
	stream := ev("p1", "purchase.made", "u", 0, 9, "")
	_, _, m := run(t, cfg, stream)
	v, _ := verdictOf(t, rt, m["u"], "tier.regular", nil, nil, day(3, 9))
	wantVerdict(t, v, runtime.VerdictQualifying, "would be promoted to regular at the first evaluation from 2026-01-08 09:00: when holds, and has since 2026-01-01 09:00", "qualifying window (7d)")
	if !v.Until.Equal(day(7, 9)) {
		t.Errorf("window until %s", v.Until)
	}
	_, outs, _ := run(t, cfg, stream+ev("late", "purchase.made", "other", 20, 9, ""))
	if moves := tierMoves(outs, "u"); !slices.Contains(moves, "promote:->regular@"+v.Until.Format("01-02T15:04")) {
		t.Errorf("moves %v; want a promotion at %s, the verdict's", moves, v.Until)
	}
	v, _ = verdictOf(t, rt, m["u"], "tier.regular", nil, nil, day(9, 9))
	wantVerdict(t, v, runtime.VerdictPromote, "would be promoted to regular at the next evaluation: when holds, and has since 2026-01-01 09:00, for the qualifying window (7d, ended 2026-01-08 09:00)")
	v, _ = verdictOf(t, rt, m["u"], "tier.core", nil, nil, day(9, 9))
	wantVerdict(t, v, runtime.VerdictPromote, "would be promoted to regular at the next evaluation, not to core: its when does not hold")
}

// A keep stricter than when with no grace or demote_after: the member
// demoted from the tier is promoted back at once, and the verdict says
// they will flap. A member locked on a tier stays there.
func TestTierVerdictFlapAndLock(t *testing.T) {
	cfg := load(t, `
tier "member" {
  rank   = 1
  when   = "true"
  locked = ["v"]
}
tier "regular" {
  rank = 2
  when = "active_days('30d') >= 3"
  keep = "active_days('7d') >= 2"
}
`)
	rt := runtime.New(cfg, nil)
	stream := ev("a", "message.posted", "u", 0, 9, "") + ev("b", "message.posted", "u", 3, 9, "") +
		ev("c", "message.posted", "u", 7, 9, "") + // regular
		ev("d", "message.posted", "u", 16, 9, "") + // demoted (a week with one day), when still holds
		ev("v", "message.posted", "v", 16, 9, "")
	_, outs, m := run(t, cfg, stream)
	if m["u"].Tier.Name != "member" {
		t.Fatalf("moves %v", tierMoves(outs, "u"))
	}
	v, _ := verdictOf(t, rt, m["u"], "tier.regular", nil, nil, day(16, 10))
	wantVerdict(t, v, runtime.VerdictPromote, "would be promoted to regular at the next evaluation: when holds; but its keep fails now", "flap", "add grace or demote_after")
	v, _ = verdictOf(t, rt, m["v"], "tier.regular", nil, nil, day(16, 10))
	wantVerdict(t, v, runtime.VerdictLocked, "not on regular: the member is locked on member")
	v, _ = verdictOf(t, rt, m["v"], "tier.member", nil, nil, day(16, 10))
	wantVerdict(t, v, runtime.VerdictLocked, "holds member: the member is locked on it")
}

const grantIncentives = `
badge "first" {}
incentive "first" {
  on   = "message.posted"
  once = true
  grant {
    points = 10
    badge  = badge.first
  }
}
incentive "per_message" {
  on         = "message.posted"
  points_cap = "3/1d"
  grant { points = 2 }
}
incentive "checkin" {
  on       = "checkin"
  cooldown = "20h"
  limit    = "2/7d"
  grant { points = 5 }
}
incentive "help" {
  on   = "message.posted"
  when = "event.channel == 'help' && count('message.posted', '1d') == 1"
  grant { points = 3 }
}
incentive "hello" {
  on   = "message.posted"
  when = "member.messages == 1"
  grant { points = 1 }
}
incentive "referral" {
  on    = "member.joined"
  when  = "event.referrer != ''"
  limit = "1/30d"
  grant {
    to     = "event.referrer"
    points = 50
  }
}
`

// member why on an incentive: once, the cooldown, the limit and the
// points_cap say what stops a grant now, and until when, as the runtime
// decides: a grant at the time the verdict gives is made.
func TestIncentiveVerdictGates(t *testing.T) {
	cfg := load(t, grantIncentives)
	rt := runtime.New(cfg, nil)
	stream := ev("m1", "message.posted", "u", 0, 8, "") + ev("m2", "message.posted", "u", 0, 9, "") +
		ev("c1", "checkin", "u", 0, 9, "") + ev("c2", "checkin", "u", 1, 18, "")
	_, _, m := run(t, cfg, stream)
	u := m["u"]

	v, c := verdictOf(t, rt, u, "incentive.first", nil, nil, day(0, 12))
	wantVerdict(t, v, runtime.VerdictOnce, "no grant on a message.posted event now: once, and already granted 2026-01-01 08:00")
	if !c.Once || c.Grants != 1 || c.Blocked != runtime.VerdictOnce {
		t.Errorf("first: %+v", *c)
	}

	v, c = verdictOf(t, rt, u, "incentive.per_message", nil, nil, day(0, 12))
	wantVerdict(t, v, runtime.VerdictPointsCap, "points_cap (3/1d) is reached, 3 of 3 points in its window: a grant would give 0 points")
	if c.PointsInWindow != 3 || c.PointsNow != 0 || c.Points != 2 {
		t.Errorf("per_message: %+v", *c)
	}
	v, _ = verdictOf(t, rt, u, "incentive.per_message", nil, nil, day(1, 12))
	wantVerdict(t, v, runtime.VerdictGrant, "a message.posted event now would grant 2 points")

	// Cooldown and limit both: the grant is possible once both end.
	v, c = verdictOf(t, rt, u, "incentive.checkin", nil, nil, day(1, 20))
	wantVerdict(t, v, runtime.VerdictCooldown, "the cooldown (20h) since the last grant, 2026-01-02 18:00, runs until 2026-01-03 14:00",
		"the limit (2/7d) is reached, 2 grants in its window, until 2026-01-08 09:00: the next grant is possible from 2026-01-08 09:00")
	if !c.CooldownUntil.Equal(day(2, 14)) || !c.LimitUntil.Equal(day(7, 9)) || c.GrantsInWindow != 2 || !v.Until.Equal(day(7, 9)) {
		t.Errorf("checkin: %+v, until %s", *c, v.Until)
	}
	v, _ = verdictOf(t, rt, u, "incentive.checkin", nil, nil, day(3, 9))
	wantVerdict(t, v, runtime.VerdictLimit, "no grant on a checkin event now: the limit (2/7d) is reached")
	// The runtime agrees: no grant before the verdict's time, one at it.
	sum, _, _ := run(t, cfg, stream+ev("c3", "checkin", "u", 7, 8, "")+ev("c4", "checkin", "u", 7, 9, ""))
	if sum.Firings["checkin"] != 3 {
		t.Errorf("checkin grants %d; want 3 (c3 refused by the limit, c4 granted)", sum.Firings["checkin"])
	}
}

// An incentive's when reads the event it fires on, which member state
// does not keep: without one, why says what it reads and the member's
// part; with one, the rule runs with the event counted, as the runtime
// counts it before its incentives.
func TestIncentiveVerdictEvent(t *testing.T) {
	cfg := load(t, grantIncentives)
	rt := runtime.New(cfg, nil)
	_, _, m := run(t, cfg, ev("m1", "message.posted", "u", 0, 8, `{"channel":"help"}`))
	u := m["u"]

	v, _ := verdictOf(t, rt, u, "incentive.help", nil, nil, day(1, 9))
	wantVerdict(t, v, runtime.VerdictNeedsEvent, "allow a grant now (3 points)", "when reads event.channel, which member state does not keep")
	ex, err := rt.Why(u, "incentive.help", day(1, 9))
	if err != nil || len(ex) != 1 {
		t.Fatalf("%v %v", ex, err)
	}
	// The member as a post now would see them: that post counted.
	if ex[0].Result != nil || !slices.Equal(ex[0].EventReads, []string{"event.channel"}) || len(ex[0].Values) != 1 || ex[0].Values[0].Value != 1 {
		t.Errorf("explanation %+v", ex[0])
	}

	post := func(channel string, at time.Time) *events.Event {
		return &events.Event{ID: "x", Type: "message.posted", Member: events.Member{ID: "u"}, At: at, Attrs: map[string]any{"channel": channel}}
	}
	// The first post of day 1: counted, count('message.posted', '1d') is 1.
	v, _ = verdictOf(t, rt, u, "incentive.help", post("help", day(1, 9)), nil, day(1, 9))
	wantVerdict(t, v, runtime.VerdictGrant, "this message.posted event would grant 3 points")
	ex, err = rt.WhyOn(u, "incentive.help", post("help", day(1, 9)), nil, day(1, 9))
	if err != nil || len(ex) != 1 || ex[0].Result != true {
		t.Fatalf("%+v %v", ex, err)
	}
	if u.Count("message.posted", state.DayOf(day(1, 9)), 1) != 0 {
		t.Error("why counted the event on the stored member")
	}
	// A second post of day 0, or another channel: when fails.
	v, _ = verdictOf(t, rt, u, "incentive.help", post("help", day(0, 10)), nil, day(0, 10))
	wantVerdict(t, v, runtime.VerdictWhenFails, "no grant on this message.posted event: when does not hold")
	v, _ = verdictOf(t, rt, u, "incentive.help", post("random", day(1, 9)), nil, day(1, 9))
	wantVerdict(t, v, runtime.VerdictWhenFails)
	// An event it does not fire on.
	v, _ = verdictOf(t, rt, u, "incentive.help", &events.Event{ID: "x", Type: "checkin", Member: events.Member{ID: "u"}, At: day(1, 9)}, nil, day(1, 9))
	wantVerdict(t, v, runtime.VerdictNotOnEvent, "help fires on message.posted")
	if _, err := rt.WhyOn(u, "incentive.help", &events.Event{ID: "x", Type: "checkin", At: day(1, 9)}, nil, day(1, 9)); err == nil {
		t.Error("why of an incentive on an event it does not fire on: no error")
	}
	// Another member's event grants to that member.
	other := state.NewMember("b", day(0, 7))
	bpost := post("help", day(1, 9))
	bpost.Member.ID = "b"
	v, _ = verdictOf(t, rt, u, "incentive.help", bpost, other, day(1, 9))
	wantVerdict(t, v, runtime.VerdictOtherMember, "it is b's, and the grant goes to the event's member")
}

// Without an event, a when over member state alone is evaluated as the
// incentive's first event type now would see the member: counted. A
// first post is a member's first message: member.messages is 1 then.
func TestIncentiveVerdictAssumedEvent(t *testing.T) {
	cfg := load(t, grantIncentives)
	rt := runtime.New(cfg, nil)
	_, _, m := run(t, cfg, ev("j1", "member.joined", "b", 0, 7, "")+ev("m1", "message.posted", "u", 0, 8, ""))
	v, c := verdictOf(t, rt, m["b"], "incentive.hello", nil, nil, day(1, 9))
	wantVerdict(t, v, runtime.VerdictGrant, "a message.posted event now would grant 1 point")
	if c.AssumedEvent != "message.posted" {
		t.Errorf("assumed event %q", c.AssumedEvent)
	}
	ex, err := rt.Why(m["b"], "incentive.hello", day(1, 9))
	if err != nil || len(ex) != 1 || ex[0].Result != true {
		t.Fatalf("%+v %v", ex, err)
	}
	v, _ = verdictOf(t, rt, m["u"], "incentive.hello", nil, nil, day(1, 9))
	wantVerdict(t, v, runtime.VerdictWhenFails, "no grant on a message.posted event now: when does not hold")
	if m["b"].Total("message.posted") != 0 {
		t.Error("why counted the assumed event on the stored member")
	}
}

// grant.to: the event is another member's, whose state its when reads,
// and the grant goes to the member grant.to names, whose limit counts.
func TestIncentiveVerdictGrantTo(t *testing.T) {
	cfg := load(t, grantIncentives)
	rt := runtime.New(cfg, nil)
	_, _, m := run(t, cfg, ev("m1", "message.posted", "u", 0, 8, "")+ev("j1", "member.joined", "b", 0, 9, `{"referrer":"u"}`))
	joined := func(who, referrer string) (*events.Event, *state.Member) {
		return &events.Event{ID: "x", Type: "member.joined", Member: events.Member{ID: who}, At: day(1, 9), Attrs: map[string]any{"referrer": referrer}}, state.NewMember(who, day(1, 9))
	}
	e, by := joined("c", "u")
	v, c := verdictOf(t, rt, m["u"], "incentive.referral", e, by, day(1, 9))
	wantVerdict(t, v, runtime.VerdictLimit, "the limit (1/30d) is reached, 1 grant in its window, until 2026-01-31 09:00")
	if !c.GrantTo || c.Grants != 1 {
		t.Errorf("check %+v", *c)
	}
	ex, err := rt.WhyOn(m["u"], "incentive.referral", e, by, day(1, 9))
	if err != nil || len(ex) != 2 || ex[0].Result != true || ex[1].Result != "u" {
		t.Fatalf("%+v %v", ex, err)
	}
	e, by = joined("c", "x")
	v, _ = verdictOf(t, rt, m["u"], "incentive.referral", e, by, day(1, 9))
	wantVerdict(t, v, runtime.VerdictOtherMember, "grant.to names x")
	e, by = joined("d", "")
	v, _ = verdictOf(t, rt, m["u"], "incentive.referral", e, by, day(1, 9))
	wantVerdict(t, v, runtime.VerdictWhenFails)
	v, _ = verdictOf(t, rt, m["u"], "incentive.referral", nil, nil, day(1, 9))
	wantVerdict(t, v, runtime.VerdictLimit, "with grant.to, the grant goes to the member it names")
}
