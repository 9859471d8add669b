package runtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// A segment whose rule holds in a new member's starting state is entered
// when the member is first seen, though the event changed nothing the
// rule reads: a rule reads points, or nothing at all.
func TestNewMemberIsEvaluatedAgainstEveryRule(t *testing.T) {
	cfg := load(t, `
segment "no_points" { when = "member.points == 0" }
segment "everyone"  { when = "true" }
segment "no_badge"  { when = "!has_badge('b')" }
badge "b" {}
tier "zero" {
  rank = 1
  when = "member.points >= 0"
}
`)
	_, _, members := run(t, cfg, ev("e1", "message.posted", "ann", 0, 10, ""))
	ann := members["ann"]
	for _, s := range []string{"no_points", "everyone", "no_badge"} {
		if _, in := ann.Segments[s]; !in {
			t.Errorf("ann is not in segment %s: %v", s, ann.Segments)
		}
	}
	if ann.Tier.Name != "zero" {
		t.Errorf("tier %q; want zero", ann.Tier.Name)
	}
	if ann.Rules != runtime.MemberRules(cfg) {
		t.Errorf("rules fingerprint %x; want %x", ann.Rules, runtime.MemberRules(cfg))
	}
}

// After the rules change, stored members move to where the new rules put
// them: at their next event, whatever it changed, or at once through
// Reevaluate.
func TestChangedRulesReachStoredMembers(t *testing.T) {
	before := load(t, `segment "talkers" { when = "count('message.posted', '30d') >= 3" }`)
	after := load(t, `segment "talkers" { when = "count('message.posted', '30d') >= 1" }
tier "one" {
  rank = 1
  when = "count('message.posted', '30d') >= 1"
}`)
	if runtime.MemberRules(before) == runtime.MemberRules(after) {
		t.Fatal("different rules, same fingerprint")
	}
	if runtime.MemberRules(before) != runtime.MemberRules(load(t, `segment "talkers" { when = "count('message.posted', '30d') >= 3" }`)) {
		t.Fatal("the same rules loaded twice have different fingerprints")
	}
	ctx := context.Background()
	store := state.NewMemory()
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	apply := func(rt *runtime.Runtime, e events.Event) {
		t.Helper()
		b, _ := store.Begin(ctx)
		if _, err := rt.Apply(ctx, b, &e); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	old := runtime.New(before, nil)
	for _, id := range []string{"ann", "bob"} {
		apply(old, events.Event{ID: "p-" + id, Type: "message.posted", Member: events.Member{ID: id}, At: at})
	}
	member := func(id string) *state.Member {
		b, _ := store.Begin(ctx)
		defer b.Rollback()
		m, err := b.Member(id)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if _, in := member("ann").Segments["talkers"]; in {
		t.Fatal("one post made ann a talker under the old rule")
	}

	rt := runtime.New(after, nil)
	// ann's next event is one no rule reads.
	apply(rt, events.Event{ID: "x-ann", Type: "custom.ping", Member: events.Member{ID: "ann"}, At: at.Add(time.Hour)})
	if a := member("ann"); a.Tier.Name != "one" || a.Segments["talkers"].IsZero() {
		t.Fatalf("ann after an event under the new rules: tier %q, segments %v", a.Tier.Name, a.Segments)
	}

	b, _ := store.Begin(ctx)
	n, outs, err := rt.Reevaluate(ctx, b, []string{"ann", "bob", "nobody"}, at.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("re-evaluated %d members; want 1 (bob: ann had an event, nobody is not stored)", n)
	}
	got := map[string]bool{}
	for _, o := range outs {
		got[o.Kind+" "+o.Name+" "+o.Member] = true
		if !o.At.Equal(at.Add(2 * time.Hour)) {
			t.Errorf("outcome %+v at %v; want the re-evaluation's time", o, o.At)
		}
	}
	if !got["segment talkers bob"] || !got["tier one bob"] {
		t.Fatalf("outcomes %v; want bob entering talkers and tier one", got)
	}
	if _, err := func() (*state.Member, error) { b, _ := store.Begin(ctx); defer b.Rollback(); return b.Member("nobody") }(); err == nil {
		t.Fatal("Reevaluate stored a member that did not exist")
	}
	// A second pass finds nothing to do.
	b, _ = store.Begin(ctx)
	if n, _, _ := rt.Reevaluate(ctx, b, []string{"ann", "bob"}, at.Add(3*time.Hour)); n != 0 {
		t.Fatalf("second pass re-evaluated %d members", n)
	}
	_ = b.Rollback()
}

// A member that an incentive on an earlier member's moves reaches
// (grant.to) in the same re-evaluation is settled then when the grant
// gives them something, and at their own turn when it gives nothing (a
// badge they hold): in one batch as in one each, as the daemon's sweep
// splits the members in batches wherever it does.
func TestReevaluateSettlesMembersAGrantReached(t *testing.T) {
	cfg := load(t, `
badge "thanked" {}
tier "regular" {
  rank = 1
  when = "member.points >= 10"
}
incentive "thanks" {
  on = "tier.changed"
  grant {
    to    = "member.attrs.sponsor ?? ''"
    badge = badge.thanked
  }
}
`)
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for _, batches := range [][][]string{{{"ann", "bob", "cy"}}, {{"ann"}, {"bob"}, {"cy"}}} {
		store := state.NewMemory()
		b, _ := store.Begin(ctx)
		for _, id := range []string{"ann", "bob", "cy"} {
			m := state.NewMember(id, at.AddDate(0, -1, 0))
			m.Points, m.EvaluatedAt = 20, at.Add(-time.Hour)
			m.Attrs = map[string]any{"sponsor": map[string]string{"ann": "bob", "bob": "cy"}[id]}
			if id == "bob" {
				m.Badges = map[string]*state.BadgeHold{"thanked": {Count: 1, First: at, Last: at}}
			}
			if err := b.SaveMember(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		rt := runtime.New(cfg, nil)
		evaluated := 0
		for _, ids := range batches {
			b, _ := store.Begin(ctx)
			n, _, err := rt.Reevaluate(ctx, b, ids, at)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
			evaluated += n
		}
		var got []string
		err := store.Members(ctx, func(m *state.Member) error {
			held := 0
			if h := m.Badges["thanked"]; h != nil {
				held = h.Count
			}
			got = append(got, fmt.Sprintf("%s:%s:%d", m.ID, m.Tier.Name, held))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// bob's grant from ann gave nothing: bob is settled at his turn,
		// and his promotion thanks cy, who is settled then and passed
		// over at her turn.
		if want := []string{"ann:regular:0", "bob:regular:1", "cy:regular:1"}; !slices.Equal(got, want) || evaluated != 2 {
			t.Errorf("in batches %v: %v, %d evaluated; want %v, 2", batches, got, evaluated, want)
		}
	}
}

// Rules that keep changing each other stop after the runtime's passes,
// wherever those leave the member: what the last pass changed is not
// settled on with the next member settled in the same batch (at that
// member's time: here bob's, evaluated later), so one batch and a batch
// per member leave the members alike.
func TestSettlingStopsWhereThePassesLeaveTheMember(t *testing.T) {
	cfg := load(t, `
badge "steady" {
  revoke_when = "member.tier == 'regular' && member.points < 30"
}
tier "regular" {
  rank = 1
  when = "in_segment('outside') && member.points >= 10"
  keep = "in_segment('outside') || has_badge('steady')"
}
segment "outside" {
  when = "member.tier == ''"
}
`)
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	ids := []string{"ann", "bob"}
	var results []string
	for _, batches := range [][][]string{{ids}, {{"ann"}, {"bob"}}} {
		store := state.NewMemory()
		b, _ := store.Begin(ctx)
		ann := state.NewMember("ann", at.AddDate(0, -1, 0))
		ann.Points, ann.EvaluatedAt = 20, at.Add(-time.Hour)
		bob := state.NewMember("bob", at.AddDate(0, -1, 0))
		bob.Points, bob.EvaluatedAt = 5, at.Add(3*time.Hour)
		for _, m := range []*state.Member{ann, bob} {
			if err := b.SaveMember(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		rt := runtime.New(cfg, slog.New(slog.DiscardHandler))
		for _, chunk := range batches {
			b, _ := store.Begin(ctx)
			if _, _, err := rt.Reevaluate(ctx, b, chunk, at); err != nil {
				t.Fatal(err)
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		_ = store.Members(ctx, func(m *state.Member) error {
			got = append(got, fmt.Sprintf("%s:%q:%v:%s", m.ID, m.Tier.Name, slices.Sorted(maps.Keys(m.Segments)), m.EvaluatedAt.Format("15:04")))
			return nil
		})
		results = append(results, strings.Join(got, " "))
	}
	if results[0] != results[1] {
		t.Errorf("in one batch: %s\nin a batch each: %s", results[0], results[1])
	}
}

// A paused campaign takes no one in and moves no one on; resumed, the
// steps that came due meanwhile go on at once.
func TestPausedCampaignHoldsItsMembers(t *testing.T) {
	src := func(paused bool) string {
		return welcomeCampaign(paused) + `
template "hi" {
  text = { en = "Hi" }
}`
	}
	running, paused := load(t, src(false)), load(t, src(true))
	ctx := context.Background()
	store := state.NewMemory()
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	apply := func(rt *runtime.Runtime, e events.Event) []state.Outcome {
		t.Helper()
		b, _ := store.Begin(ctx)
		res, err := rt.Apply(ctx, b, &e)
		if err != nil {
			t.Fatal(err)
		}
		outs := slices.Clone(res.Outcomes)
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		return outs
	}
	sends := func(outs []state.Outcome) int {
		n := 0
		for _, o := range outs {
			if o.Kind == state.KindAction {
				n++
			}
		}
		return n
	}
	// Ann joins while it runs and gets the first step; Bob joins while
	// it is paused and is not taken in.
	if n := sends(apply(runtime.New(running, nil), events.Event{ID: "j-ann", Type: "member.joined", Member: events.Member{ID: "ann"}, At: at})); n != 1 {
		t.Fatalf("ann's join sent %d; want the first step", n)
	}
	held := runtime.New(paused, nil)
	if n := sends(apply(held, events.Event{ID: "j-bob", Type: "member.joined", Member: events.Member{ID: "bob"}, At: at})); n != 0 {
		t.Fatalf("bob's join while paused sent %d", n)
	}
	// Three days on, Ann's second step is due, but paused it waits.
	if n := sends(apply(held, events.Event{ID: "p-ann", Type: "message.posted", Member: events.Member{ID: "ann"}, At: at.Add(72 * time.Hour)})); n != 0 {
		t.Fatalf("a paused campaign sent %d", n)
	}
	b, _ := store.Begin(ctx)
	n, outs, err := runtime.New(running, nil).Reevaluate(ctx, b, []string{"ann", "bob"}, at.Add(73*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Commit()
	if n != 2 || sends(outs) != 1 {
		t.Fatalf("resumed: %d members, outcomes %+v; want ann's second step sent and bob still out", n, outs)
	}
	for _, o := range outs {
		if o.Member == "bob" {
			t.Errorf("bob, who joined while it was paused, got %+v", o)
		}
	}
}

// A tier or segment with a role gives it as the member moves in and takes
// it as the member moves out, through the outbox, without a hearth apply.
func TestMovesGiveAndTakeRoles(t *testing.T) {
	cfg := load(t, `
incentive "post" {
  on = "message.posted"
  grant { points = 10 }
}
event "spam.flagged" {}
incentive "spam" {
  on = "spam.flagged"
  grant { points = -30 }
}
tier "core" {
  rank = 1
  when = "member.points >= 20"
  role = community.c.role.core
}
segment "busy" {
  when = "member.points >= 10"
  role = community.c.role.core
}
`)
	stream := ev("1", "message.posted", "ann", 0, 10, "") + ev("2", "message.posted", "ann", 0, 11, "") + ev("3", "spam.flagged", "ann", 0, 12, "")
	_, outs, _ := run(t, cfg, stream)
	got := roleActions(outs)
	// The tier gives the role the segment gave already, and does not take
	// it while the segment still gives it.
	want := []string{
		"1 role.add segment.busy",
		"3 role.remove segment.busy",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("role actions:\n got %q\nwant %q", got, want)
	}
	// The tier alone gives and takes it.
	tierOnly := load(t, `
event "spam.flagged" {}
incentive "post" {
  on = "message.posted"
  grant { points = 10 }
}
incentive "spam" {
  on = "spam.flagged"
  grant { points = -30 }
}
tier "core" {
  rank = 1
  when = "member.points >= 20"
  role = community.c.role.core
}
`)
	_, outs, _ = run(t, tierOnly, stream)
	got = roleActions(outs)
	if want := []string{"2 role.add tier.core", "3 role.remove tier.core"}; !slices.Equal(got, want) {
		t.Fatalf("role actions of the tier alone:\n got %q\nwant %q", got, want)
	}
}

// roleActions are the role changes among outcomes: "EVENT KIND RULE".
func roleActions(outs []state.Outcome) []string {
	var got []string
	for _, o := range outs {
		if o.Kind == state.KindAction && strings.HasPrefix(o.Name, "role.") {
			got = append(got, o.Event+" "+o.Name+" "+o.Rule)
		}
	}
	return got
}

// Only pausing or resuming a campaign changes the rules fingerprint, so a
// campaign added or removed sends no sweep over every stored member. The
// runs of a removed campaign stop at their next recheck, with nothing
// sent.
func TestCampaignChangesAndTheFingerprint(t *testing.T) {
	const tmpl = `
template "hi" {
  text = { en = "Hi" }
}
segment "talkers" { when = "count('message.posted', '30d') >= 1" }
`
	without, running, paused := load(t, tmpl), load(t, tmpl+welcomeCampaign(false)), load(t, tmpl+welcomeCampaign(true))
	if runtime.MemberRules(without) != runtime.MemberRules(running) {
		t.Error("adding a running campaign changed the fingerprint: every stored member would be evaluated again")
	}
	if runtime.MemberRules(running) == runtime.MemberRules(paused) {
		t.Error("pausing a campaign left the fingerprint alone: its members would not move on when it resumes")
	}

	ctx := context.Background()
	store := state.NewMemory()
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	b, _ := store.Begin(ctx)
	if _, err := runtime.New(running, nil).Apply(ctx, b, &events.Event{ID: "j-ann", Type: "member.joined", Member: events.Member{ID: "ann"}, At: at}); err != nil {
		t.Fatal(err)
	}
	_ = b.Commit()
	b, _ = store.Begin(ctx)
	n, outs, err := runtime.New(without, nil).Recheck(ctx, b, at.Add(49*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Commit()
	var got []string
	for _, o := range outs {
		got = append(got, o.Kind+" "+o.Name+" "+o.Change+" "+o.Detail)
	}
	if n != 1 || !slices.Equal(got, []string{"campaign welcome exit stopped"}) {
		t.Fatalf("ann's recheck after the campaign was removed: %d members, %q; want her run stopped and nothing sent", n, got)
	}
}

// welcomeCampaign is a two-step welcome, the second step two days on,
// paused or not; it sends template.hi.
func welcomeCampaign(paused bool) string {
	return twoStepCampaign("welcome", `
  community = community.c
  enter_on  = "member.joined"`, paused)
}

// twoStepCampaign is a campaign with settings, paused or not, whose
// steps send template.hi at once and two days on.
func twoStepCampaign(name, settings string, paused bool) string {
	return fmt.Sprintf(`
campaign %q {%s
  paused    = %v
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "later" {
    wait = "2d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`, name, settings, paused)
}

// joinedThenPaused loads src running and paused, applies ann joining at
// the returned time with the campaign running, then an event of typ an
// hour on with it paused, each in a batch of its own, as a reload
// between them would.
func joinedThenPaused(t *testing.T, src func(paused bool) string, id, typ string) (state.Store, *config.Config, time.Time) {
	t.Helper()
	running, paused := load(t, src(false)), load(t, src(true))
	ctx := context.Background()
	store := state.NewMemory()
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for _, step := range []struct {
		cfg *config.Config
		e   events.Event
	}{
		{running, events.Event{ID: "j", Type: "member.joined", Member: events.Member{ID: "ann"}, At: at}},
		{paused, events.Event{ID: id, Type: typ, Member: events.Member{ID: "ann"}, At: at.Add(time.Hour)}},
	} {
		b, err := store.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := runtime.New(step.cfg, nil).Apply(ctx, b, &step.e); err != nil {
			t.Fatalf("%s: %v", step.e.ID, err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	return store, running, at
}

// Leaving a paused campaign's audience ends the run there and then, as it
// would running: resumed, the campaign does not message a member who is
// no longer in its audience.
func TestPausedCampaignStillLetsMembersLeave(t *testing.T) {
	src := func(paused bool) string {
		return `
segment "quiet" {
  when = "member.messages == 0"
}
` + twoStepCampaign("c", `
  audience = segment.quiet`, paused) + `
template "hi" {
  text = { en = "Hi" }
}`
	}
	store, running, at := joinedThenPaused(t, src, "p", "message.posted")
	ctx := context.Background()
	b, _ := store.Begin(ctx)
	_, outs, err := runtime.New(running, nil).Reevaluate(ctx, b, []string{"ann"}, at.Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := b.Member("ann")
	_ = b.Commit()
	for _, o := range outs {
		if o.Kind == state.KindAction {
			t.Errorf("resumed, the campaign sent %+v to a member who left its audience while it was paused", o)
		}
	}
	if run := m.Campaigns["c"]; run.Active() || run.Reason != "left" || !run.EndedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("run %+v; want ended \"left\" at the post", run)
	}
}

// Reaching the goal while the campaign is paused is a conversion, counted
// when it happens: a pause is not a reason to lose it, or to date it at
// the resume.
func TestPausedCampaignCountsTheGoal(t *testing.T) {
	src := func(paused bool) string {
		return twoStepCampaign("c", `
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"`, paused) + `
template "hi" {
  text = { en = "Hi" }
}`
	}
	store, _, at := joinedThenPaused(t, src, "p", "message.posted")
	m := storedMember(t, store, "ann")
	if run := m.Campaigns["c"]; run.Active() || run.Reason != "goal" || !run.EndedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("run %+v; want ended at the goal, at the post", run)
	}
}

// A paused campaign that enters members on segment.left still takes no
// one in: only ending a run on leaving the audience passes the pause.
func TestPausedCampaignEnteredOnSegmentLeftTakesNoOne(t *testing.T) {
	cfg := load(t, `
segment "quiet" {
  when = "member.messages == 0"
}
campaign "c" {
  enter_on = "segment.left"
  paused   = true
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
template "hi" {
  text = { en = "Hi" }
}`)
	_, outs, m := run(t, cfg, ev("j", "member.joined", "ann", 0, 9, "")+ev("p", "message.posted", "ann", 0, 10, ""))
	for _, o := range outs {
		if o.Kind == state.KindCampaign || o.Kind == state.KindAction {
			t.Errorf("paused campaign: %+v", o)
		}
	}
	if m["ann"].Campaigns["c"] != nil {
		t.Errorf("ann entered a paused campaign: %+v", m["ann"].Campaigns["c"])
	}
}
