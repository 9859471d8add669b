package plan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

const rulesSrc = base + `
segment "big" {
  community = community.c
  when      = "member.points >= 50"
}

tier "regular" {
  rank = 1
  when = "member.points >= 100"
}

campaign "welcome_big" {
  audience      = segment.big
  exit_on_leave = true
  step "hello" {
    wait = "1d"
  }
}

badge "keen" {
  title       = "Keen"
  revoke_when = "member.points < 20"
}
`

func TestMemberImpact(t *testing.T) {
	f := newFixture(t, rulesSrc)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ann := state.NewMember("ann", now.AddDate(0, -1, 0))
	ann.Name, ann.Points = "Ann", 120
	bob := state.NewMember("bob", now.AddDate(0, -1, 0))
	bob.Name, bob.Points = "Bob", 10
	bob.Segments = map[string]time.Time{"big": now.AddDate(0, 0, -3)}
	bob.Tier = state.TierState{Name: "regular", Rank: 1}
	bob.Badges = map[string]*state.BadgeHold{"keen": {Count: 1, First: now, Last: now}}
	bob.Campaigns = map[string]*state.CampaignRun{"welcome_big": {Status: "active", StepName: "hello", StepAt: now, Due: now.AddDate(0, 0, 1), EnteredAt: now, Runs: 1}}
	cy := state.NewMember("cy", now.AddDate(0, -1, 0))
	cy.Points = 70
	cy.Segments = map[string]time.Time{"big": now.AddDate(0, 0, -3)}
	got := impactText(t, f, now, ann, bob, cy)
	want := `Member impact (the rules evaluated against the 3 stored members):
  badge keen: +0 -1 (-Bob (bob))
  campaign welcome_big: +1 -1 (+Ann (ann); -Bob (bob))
  segment big: +1 -1 (+Ann (ann); -Bob (bob))
  tier regular: +1 -1 (+Ann (ann); -Bob (bob))
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if bob.Tier.Name != "regular" || len(bob.Segments) != 1 {
		t.Fatal("the preview changed a stored member")
	}
}

// BenchmarkMemberImpact1M evaluates the rules against 1,000,000 members
// held in memory; the issue asks for at most 2 s (store reads aside).
func BenchmarkMemberImpact1M(b *testing.B) {
	f := newFixture(b, rulesSrc)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ms := make([]*state.Member, 1_000_000)
	for i := range ms {
		m := state.NewMember(fmt.Sprintf("m%07d", i), now.AddDate(0, -1, 0))
		m.Points = i % 200
		ms[i] = m
	}
	members := func(ctx context.Context, fn func(*state.Member) error) error {
		for _, m := range ms {
			if err := fn(m); err != nil {
				return err
			}
		}
		return nil
	}
	b.ResetTimer()
	for b.Loop() {
		im, err := plan.MemberImpact(context.Background(), f.cfg, plan.Population{Members: members}, plan.ImpactOptions{Now: now})
		if err != nil || im.Members != len(ms) {
			b.Fatal(err)
		}
	}
}

// TestMemberImpactKeepHoldsOnlyAHeldTier: keep is the rule for staying on
// a tier, never for reaching it. A member between keep and when stays
// where they are, on the tier or off it, as the runtime keeps them; a
// member on a tier the configuration no longer has is placed by the
// promotion rules, as the runtime places them: on the highest tier whose
// when holds (high), none where only a keep does (gone).
func TestMemberImpactKeepHoldsOnlyAHeldTier(t *testing.T) {
	f := newFixture(t, base+`
tier "regular" {
  rank = 1
  when = "member.points >= 100"
  keep = "member.points >= 80"
}
`)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	off := state.NewMember("off", now.AddDate(0, -1, 0))
	off.Points = 90
	on := state.NewMember("on", now.AddDate(0, -1, 0))
	on.Points, on.Tier = 90, state.TierState{Name: "regular", Rank: 1}
	gone := state.NewMember("gone", now.AddDate(0, -1, 0))
	gone.Points, gone.Tier = 90, state.TierState{Name: "veteran", Rank: 2}
	high := state.NewMember("high", now.AddDate(0, -1, 0))
	high.Points, high.Tier = 120, state.TierState{Name: "veteran", Rank: 2}
	got := impactText(t, f, now, off, on, gone, high)
	want := `Member impact (the rules evaluated against the 4 stored members):
  tier regular: +1 -0 (+high)
  tier veteran: +0 -2 (-gone, high)
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

// The preview settles segments and tiers together, as the runtime does:
// a segment over member.tier follows the tier the new rules give.
func TestMemberImpactSegmentOverTier(t *testing.T) {
	f := newFixture(t, base+`
tier "core" {
  rank = 1
  when = "member.points >= 10"
}
segment "core_members" {
  when = "member.tier == 'core'"
}
`)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ann := state.NewMember("ann", now.AddDate(0, -1, 0))
	ann.Name, ann.Points = "Ann", 12
	got := impactText(t, f, now, ann)
	want := `Member impact (the rules evaluated against the 1 stored member):
  segment core_members: +1 -0 (+Ann (ann))
  tier core: +1 -0 (+Ann (ann))
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if ann.Tier.Name != "" || len(ann.Segments) != 0 {
		t.Fatal("the preview changed a stored member")
	}
}

// impactText is hearth plan's member impact text for the given stored
// members under the fixture's configuration at now. It fails the test
// when the preview changed any of them: it only reads.
func impactText(t *testing.T, f *fixture, now time.Time, ms ...*state.Member) string {
	t.Helper()
	before := make([][]byte, len(ms))
	for i, m := range ms {
		b, err := m.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		before[i] = b
	}
	defer func() {
		for i, m := range ms {
			if b, err := m.AppendBinary(nil); err != nil || !bytes.Equal(b, before[i]) {
				t.Errorf("the preview changed stored member %s (%v)", m.ID, err)
			}
		}
	}()
	members := func(ctx context.Context, fn func(*state.Member) error) error {
		for _, m := range ms {
			if err := fn(m); err != nil {
				return err
			}
		}
		return nil
	}
	im, err := plan.MemberImpact(context.Background(), f.cfg, plan.Population{Members: members}, plan.ImpactOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := im.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestImpactSampleSaysWhenTruncated(t *testing.T) {
	im := &plan.Impact{Members: 20, Moves: []plan.MemberMove{
		{Kind: "tier", Name: "active", Enter: 2, Leave: 9, EnterSample: []string{"Ann", "Bob"}, LeaveSample: []string{"Ada", "Bo", "Chen Wei", "Farah", "Kofi"}},
	}}
	var b bytes.Buffer
	if err := im.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	if want := "  tier active: +2 -9 (+Ann, Bob; -Ada, Bo, Chen Wei, Farah, Kofi and 4 more)\n"; !strings.Contains(b.String(), want) {
		t.Fatalf("got\n%s\nwant a line\n%s", b.String(), want)
	}
}

// A plan saved before format 1.4 has samples of names, no ids: its text
// still names them.
func TestImpactOldSamples(t *testing.T) {
	im := &plan.Impact{Members: 20, Stale: 3, Moves: []plan.MemberMove{
		{Kind: "tier", Name: "active", Enter: 2, Leave: 9, EnterSample: []string{"Ann", "Bob"}, LeaveSample: []string{"Ada", "Bo", "Chen Wei", "Farah", "Kofi"}},
	}}
	var b bytes.Buffer
	if err := im.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  tier active: +2 -9 (+Ann, Bob; -Ada, Bo, Chen Wei, Farah, Kofi and 4 more)\n",
		"  (3 of these members were last evaluated over a day ago, as after a replay of history: the moves include what time alone does since)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("got\n%s\nwant a line\n%s", b.String(), want)
		}
	}
}

// Each move lists its members by id, with the name where it is not the
// id: a few in the text, with how many more and how to see them all,
// up to ListCap in -json, every one with List < 0 (plan -members), one a
// line with the id first. A name with a control character, a line
// separator or a bidirectional override is quoted.
func TestImpactListsMembers(t *testing.T) {
	f := newFixture(t, base+`
segment "big" {
  community = community.c
  when      = "member.points >= 50"
}
`)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var ms []*state.Member
	for i := range 8 {
		m := state.NewMember(fmt.Sprintf("u%d", i), now.AddDate(0, -1, 0))
		m.Points = 60
		m.Name = fmt.Sprintf("Name %d", i)
		ms = append(ms, m)
	}
	ms[0].Name = "Evil\x1b[31m"
	ms[1].Name = ms[1].ID // a name that is the id is not repeated
	ms[3].Name = "Eve\u202e, Bob\u2028"
	members := func(ctx context.Context, fn func(*state.Member) error) error {
		for _, m := range ms {
			if err := fn(m); err != nil {
				return err
			}
		}
		return nil
	}
	impact := func(list int) *plan.Impact {
		im, err := plan.MemberImpact(context.Background(), f.cfg, plan.Population{Members: members}, plan.ImpactOptions{Now: now, List: list})
		if err != nil {
			t.Fatal(err)
		}
		return im
	}
	text := func(im *plan.Impact) string {
		var b bytes.Buffer
		if err := im.WriteText(&b, false); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	im := impact(0)
	if im.ListCap != plan.DefaultList || len(im.Moves) != 1 || len(im.Moves[0].EnterMembers) != 8 {
		t.Fatalf("list cap %d, moves %+v: want every one of 8 members listed under the default cap", im.ListCap, im.Moves)
	}
	if got, want := im.Moves[0].EnterMembers[1], (plan.MemberRef{ID: "u1"}); got != want {
		t.Errorf("a member whose name is its id: %+v, want %+v", got, want)
	}
	want := `Member impact (the rules evaluated against the 8 stored members):
  segment big: +8 -0 (+"Evil\x1b[31m" (u0), u1, Name 2 (u2), "Eve\u202e, Bob\u2028" (u3), Name 4 (u4) and 3 more)
  (the ids are for hearth member show ID; hearth plan -members lists every member, -json lists them under enter_members and leave_members)
`
	if got := text(im); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if im := impact(3); im.ListCap != 3 || im.Moves[0].Enter != 8 || len(im.Moves[0].EnterMembers) != 3 {
		t.Errorf("a cap of 3: list cap %d, %+v", im.ListCap, im.Moves[0])
	}
	im = impact(-1)
	if im.ListCap != 0 {
		t.Errorf("every member listed: list cap %d, want 0", im.ListCap)
	}
	want = `Member impact (the rules evaluated against the 8 stored members):
  segment big: +8 -0
      + u0  "Evil\x1b[31m"
      + u1
      + u2  Name 2
      + u3  "Eve\u202e, Bob\u2028"
      + u4  Name 4
      + u5  Name 5
      + u6  Name 6
      + u7  Name 7
`
	if got := text(im); got != want {
		t.Errorf("-members: got:\n%s\nwant:\n%s", got, want)
	}
	doc, err := json.Marshal(im.Moves[0].EnterMembers[:3])
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"id":"u0","name":"Evil\u001b[31m"},{"id":"u1"},{"id":"u2","name":"Name 2"}]`; string(doc) != want {
		t.Errorf("-json members:\ngot  %s\nwant %s", doc, want)
	}
}

// The impact of a rules change is the new rules against the rules in
// force as of one moment, not the new rules now against members stored
// long ago: what time does with the rules unchanged (a window ended, as
// after a replay of last year's history) is told apart, as TimeMoves,
// and moves no one in Moves, which -detailed-exitcode reads.
func TestMemberImpactTellsTimeFromTheRulesChange(t *testing.T) {
	const weeks = `
segment "recent" {
  community = community.c
  when      = "count('message.posted', '%s') >= 1"
}
`
	f := newFixture(t, base+fmt.Sprintf(weeks, "30d"))
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	current := runtime.MemberRules(f.cfg)
	// member posted at posted and was evaluated then under rules, in
	// recent, with the recheck the 30-day window sets.
	member := func(id string, posted time.Time, rules uint64) *state.Member {
		m := state.NewMember(id, posted.AddDate(0, 0, -1))
		m.Record("message.posted", posted, true)
		m.Segments = map[string]time.Time{"recent": posted}
		m.EvaluatedAt, m.LastEventAt, m.RecheckAt, m.Rules = posted, posted, posted.AddDate(0, 0, 30), rules
		return m
	}
	long := now.AddDate(0, -6, 0)
	impact := func(ms ...*state.Member) *plan.Impact {
		t.Helper()
		_ = impactText(t, f, now, ms...) // reads only
		members := func(ctx context.Context, fn func(*state.Member) error) error {
			for _, m := range ms {
				if err := fn(m); err != nil {
					return err
				}
			}
			return nil
		}
		im, err := plan.MemberImpact(context.Background(), f.cfg, plan.Population{Members: members}, plan.ImpactOptions{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return im
	}

	// Unchanged rules: nothing from the change; time takes ann out.
	got := impactText(t, f, now, member("ann", long, current))
	want := `Member impact: none; the 1 stored member was evaluated under these segment, tier and badge rules already.

With the rules unchanged, as time has passed (1 member has a recheck overdue since the last evaluation; the daemon makes these moves at its next recheck, whether or not these rules load; not counted above):
  segment recent: +0 -1 (-ann)
`
	if got != want {
		t.Errorf("rules unchanged:\ngot:\n%s\nwant:\n%s", got, want)
	}
	if im := impact(member("ann", long, current)); im.Moved != 0 || im.TimeMoved != 1 || im.Overdue != 1 || im.AtEvaluation != 0 {
		t.Errorf("rules unchanged: moved %d, time moved %d, overdue %d, at evaluation %d; want 0, 1, 1, 0", im.Moved, im.TimeMoved, im.Overdue, im.AtEvaluation)
	}

	// bob was evaluated under other rules, which hearth has no copy of:
	// these rules as of his last evaluation keep him in, so the change
	// moves him nowhere, and time takes him out. cy, evaluated under
	// other rules yesterday with nothing due, stands where those rules
	// leave him now: these rules keep him in too.
	yesterday := now.AddDate(0, 0, -1)
	got = impactText(t, f, now, member("ann", long, current), member("bob", long, current+1), member("cy", yesterday, current+1))
	want = `Member impact: none; the rules change moves none of the 3 stored members.
  (1 member was last evaluated under other rules with a recheck overdue, as after a replay of history: hearth keeps no copy of those rules, so for it the change is measured as of the last evaluation (2025-09-01), not now)

With the rules unchanged, as time has passed (2 members have rechecks overdue since the last evaluation; the daemon makes these moves at its next recheck, whether or not these rules load; not counted above):
  segment recent: +0 -2 (-ann, bob)
`
	if got != want {
		t.Errorf("other rules:\ngot:\n%s\nwant:\n%s", got, want)
	}

	// A window shortened to 7 days: dan, who posted 10 days ago and
	// whom the 30-day rules in force keep in recent until day 30, is
	// out now under the new ones: the change moves him, both read now.
	// eve posted 40 days ago: the rules in force would have taken her
	// out 10 days ago, and these rules as of her last evaluation keep
	// her in, so it is time that moves her.
	f.write(base + fmt.Sprintf(weeks, "7d"))
	dan, eve := member("dan", now.AddDate(0, 0, -10), current), member("eve", now.AddDate(0, 0, -40), current)
	got = impactText(t, f, now, dan, eve)
	want = `Member impact (the rules evaluated against the 2 stored members):
  segment recent: +0 -1 (-dan)
  (1 member was last evaluated under other rules with a recheck overdue, as after a replay of history: hearth keeps no copy of those rules, so for it the change is measured as of the last evaluation (2026-01-20), not now)

With the rules unchanged, as time has passed (1 member has a recheck overdue since the last evaluation; the daemon makes these moves at its next recheck, whether or not these rules load; not counted above):
  segment recent: +0 -1 (-eve)
`
	if got != want {
		t.Errorf("a shorter window:\ngot:\n%s\nwant:\n%s", got, want)
	}
	if im := impact(dan, eve); im.Moved != 1 || im.TimeMoved != 1 {
		t.Errorf("a shorter window: moved %d, time moved %d; want 1, 1", im.Moved, im.TimeMoved)
	}
}

// A campaign's stop_when over time that came to hold since a member's
// last evaluation (its recheck overdue) ends the run with the rules
// unchanged: time's move. One the change added holds as of that
// evaluation already, when the rules in force left the run going: the
// change's move, though campaign rules are not in the fingerprint.
func TestMemberImpactCampaignEndsOverTime(t *testing.T) {
	const src = base + `
campaign "nudge" {
  enter_on  = "member.joined"
  stop_when = "%s"
  step "later" {
    wait = "90d"
  }
}
`
	f := newFixture(t, fmt.Sprintf(src, "count('message.posted', '7d') == 0"))
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	posted := now.AddDate(0, 0, -10)
	ann := state.NewMember("ann", posted.AddDate(0, 0, -1))
	ann.Record("message.posted", posted, true)
	ann.Campaigns = map[string]*state.CampaignRun{"nudge": {Status: "active", StepName: "later", StepAt: posted, Due: posted.AddDate(0, 0, 90), EnteredAt: posted, Runs: 1}}
	ann.EvaluatedAt, ann.LastEventAt, ann.RecheckAt, ann.Rules = posted, posted, posted.AddDate(0, 0, 7), runtime.MemberRules(f.cfg)
	got := impactText(t, f, now, ann)
	want := `Member impact: none; the 1 stored member was evaluated under these segment, tier and badge rules already.

With the rules unchanged, as time has passed (1 member has a recheck overdue since the last evaluation; the daemon makes these moves at its next recheck, whether or not these rules load; not counted above):
  campaign nudge: +0 -1 (-ann): stop_when holds for 1, whose runs end as exited with nothing more sent
`
	if got != want {
		t.Errorf("stop_when over time:\ngot:\n%s\nwant:\n%s", got, want)
	}
	f.write(fmt.Sprintf(src, "member.points < 100"))
	got = impactText(t, f, now, ann)
	want = `Member impact (the rules evaluated against the 1 stored member; 1 under these rules already):
  campaign nudge: +0 -1 (-ann): stop_when holds for 1, whose runs end as exited with nothing more sent
`
	if got != want {
		t.Errorf("stop_when changed:\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// Incentives act on new events only: a change to one moves no stored
// member, and the impact names the incentives changed since the state
// last ran (config.IncentivesRecord), or says it cannot tell without a record.
func TestMemberImpactNamesChangedIncentives(t *testing.T) {
	const src = base + `
badge "nice" {
  title = "Nice"
}
incentive "nice_answer" {
  on   = "post.voted"
  when = "event.score == %d"
  grant {
    badge = badge.nice
  }
}
incentive "welcome" {
  on = "member.joined"
  grant {
    points = 1
  }
}
`
	f := newFixture(t, fmt.Sprintf(src, 10))
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	store := state.NewMemory()
	b, err := store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ann := state.NewMember("ann", now.AddDate(0, -1, 0))
	ann.Rules = runtime.MemberRules(f.cfg)
	if err := b.SaveMember(ann); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	text := func() (string, *plan.Impact) {
		t.Helper()
		im, err := plan.MemberImpact(ctx, f.cfg, plan.StoredPopulation(store), plan.ImpactOptions{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := im.WriteText(&buf, false); err != nil {
			t.Fatal(err)
		}
		return buf.String(), im
	}
	const act = "Incentives act only on new events: a change grants nothing for what members did before, and takes back nothing granted, so it moves no stored member and is not counted above. What they would have granted over a history: hearth simulate -events FILE DIR.\n"
	got, _ := text()
	if want := "\nIncentives: nice_answer, welcome (the state has no record of those it last ran with, so the plan cannot tell which changed; hearth run and hearth replay record them).\n" + act; !strings.HasSuffix(got, want) {
		t.Errorf("no record:\ngot:\n%s\nwant it to end:\n%s", got, want)
	}
	if err := store.SetCursor(ctx, config.IncentivesRecord, config.DigestIncentives(f.cfg).String()); err != nil {
		t.Fatal(err)
	}
	if got, im := text(); strings.Contains(got, "Incentives") || im.Incentives == nil || !im.Incentives.Recorded {
		t.Errorf("unchanged incentives: %+v\n%s", im.Incentives, got)
	}
	f.write(fmt.Sprintf(src, 5))
	got, im := text()
	want := "Member impact: none; the 1 stored member was evaluated under these segment, tier and badge rules already.\n\nIncentives changed since the state last ran: nice_answer.\n" + act
	if got != want || im.Moved != 0 {
		t.Errorf("a changed incentive: moved %d\ngot:\n%s\nwant:\n%s", im.Moved, got, want)
	}
	f.write(strings.Replace(fmt.Sprintf(src, 5), `incentive "welcome"`, `incentive "hello"`, 1))
	if got, _ := text(); !strings.Contains(got, "Incentives changed since the state last ran: nice_answer, hello (added), welcome (removed).\n") {
		t.Errorf("incentives added and removed:\n%s", got)
	}
}

// Removing a campaign stops the runs under way: the plan says whose,
// even for members already evaluated under these rules (campaigns are
// not part of that fingerprint). A member who left the community is
// counted as entering neither a segment (members who left are in none
// but those written for them) nor an audience campaign: the runtime
// keeps them out.
func TestMemberImpactRemovedCampaignAndLeftMembers(t *testing.T) {
	f := newFixture(t, rulesSrc)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ann := state.NewMember("ann", now.AddDate(0, -1, 0))
	ann.Name, ann.Rules = "Ann", runtime.MemberRules(f.cfg)
	ann.Campaigns = map[string]*state.CampaignRun{
		"winback": {Status: "active", EnteredAt: now},
		"old":     {Status: "done", EnteredAt: now, Reason: "finished"},
	}
	gone := state.NewMember("gus", now.AddDate(0, -1, 0))
	gone.Name, gone.Points, gone.Left = "Gus", 60, true
	got := impactText(t, f, now, ann, gone)
	want := `Member impact (the rules evaluated against the 2 stored members; 1 under these rules already):
  campaign winback: +0 -1 (-Ann (ann)): removed from the configuration, these runs stop with nothing more sent
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Runs waiting at a step the configuration no longer has (renamed with
// no moved block) are listed with where they go on to, the step that
// followed it in the order the state recorded; a moved block keeps them
// on the renamed step, and nothing moves.
func TestMemberImpactRemovedStep(t *testing.T) {
	tour := func(first string, moved bool) string {
		src := base + `
campaign "tour" {
  community = community.c
  enter_on  = "member.joined"
  step "intro" {
    wait = "1h"
  }
  step "` + first + `" {
    wait = "1d"
  }
  step "check" {
    wait = "1d"
  }
}
`
		if moved {
			src += `
moved {
  from = campaign.tour.step.welcome
  to   = campaign.tour.step.hello
}
`
		}
		return src
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	member := func(id, step string) *state.Member {
		m := state.NewMember(id, now.AddDate(0, -1, 0))
		m.Campaigns = map[string]*state.CampaignRun{"tour": {Status: "active", Step: 1, StepName: step, StepAt: now, Due: now.Add(24 * time.Hour), EnteredAt: now, Runs: 1}}
		return m
	}
	f := newFixture(t, tour("hello", false))
	got := impactText(t, f, now, member("ann", "welcome"), member("bob", "welcome"), member("cy", "hello"))
	// With no record of the order they ran in, the step now at their
	// index, as in the daemon.
	want := "  step tour.welcome: +0 -2 (-ann, bob): campaign tour no longer has step welcome, and these runs wait at it: they go on to step hello when their wait is over, without its send (if it was renamed, moved { from = campaign.tour.step.welcome  to = campaign.tour.step.NEW } keeps them on it)\n"
	if !strings.Contains(got, want) || strings.Contains(got, "cy") {
		t.Errorf("got:\n%s\nwant the runs at welcome (not cy's, at hello):\n%s", got, want)
	}
	// With the record, the step that followed welcome.
	ms := []*state.Member{member("ann", "welcome")}
	pop := plan.Population{
		Members: func(ctx context.Context, fn func(*state.Member) error) error { return fn(ms[0]) },
		StepOrders: func(context.Context) (string, error) {
			return config.StepOrders{"tour": {"intro": "welcome", "welcome": "check", "check": ""}}.String(), nil
		},
	}
	im, err := plan.MemberImpact(context.Background(), f.cfg, pop, plan.ImpactOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Moves) != 1 || im.Moves[0].Kind != "step" || im.Moves[0].Name != "tour.welcome" || !im.Moves[0].StepRemoved || im.Moves[0].GoesOn != "check" || im.Moved != 1 {
		t.Errorf("with the recorded order: %+v", im)
	}
	f = newFixture(t, tour("hello", true))
	if got := impactText(t, f, now, member("ann", "welcome"), member("cy", "hello")); strings.Contains(got, "step tour") {
		t.Errorf("with the moved block, got:\n%s", got)
	}
}

// A stop_when added to a running campaign ends the runs of the members
// it already holds for: the plan counts them, members under these rules
// already too (campaign rules are not in that fingerprint), and a member
// leaving its audience as well is counted once.
func TestMemberImpactStopWhen(t *testing.T) {
	f := newFixture(t, base+`
segment "big" {
  community = community.c
  when      = "member.points >= 50"
}

template "hi" {
  text = { en = "Hi" }
}

campaign "welcome" {
  enter_on  = "member.joined"
  stop_when = "member.attrs.email == 'opted_out'"
  step "hello" {
    wait = "1d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "big_news" {
  audience  = segment.big
  stop_when = "member.attrs.email == 'opted_out'"
  step "hello" {
    wait = "1d"
  }
}
`)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	run := func(status string) *state.CampaignRun {
		return &state.CampaignRun{Status: status, EnteredAt: now, Runs: 1}
	}
	member := func(id, email string) *state.Member {
		m := state.NewMember(id, now.AddDate(0, -1, 0))
		m.Name, m.Rules = id, runtime.MemberRules(f.cfg)
		if email != "" {
			m.Attrs = map[string]any{"email": email}
		}
		return m
	}
	ann := member("ann", "opted_out")
	ann.Campaigns = map[string]*state.CampaignRun{"welcome": run("active")}
	bob := member("bob", "")
	bob.Campaigns = map[string]*state.CampaignRun{"welcome": run("active")}
	cy := member("cy", "opted_out")
	cy.Campaigns = map[string]*state.CampaignRun{"welcome": run("done")}
	// dee leaves segment big (no points) and has opted out: one leave.
	dee := member("dee", "opted_out")
	dee.Rules = 0
	dee.Segments = map[string]time.Time{"big": now}
	dee.Campaigns = map[string]*state.CampaignRun{"big_news": run("active")}
	got := impactText(t, f, now, ann, bob, cy, dee)
	want := `Member impact (the rules evaluated against the 4 stored members; 3 under these rules already):
  campaign big_news: +0 -1 (-dee): stop_when holds for 1, whose runs end as exited with nothing more sent
  campaign welcome: +0 -1 (-ann): stop_when holds for 1, whose runs end as exited with nothing more sent
  segment big: +0 -1 (-dee)
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if ann.Campaigns["welcome"].Active() != true {
		t.Fatal("the preview ended a stored run")
	}
}

// A goal (exit_when) added or loosened ends, at the next event or
// recheck, the runs of everyone it already holds for: as goal, with
// nothing more sent. The plan counts them, members under these rules
// already too (campaign rules are not in that fingerprint); stop_when
// wins where both hold, as in the runtime; a win-back run of a member
// who is back ends at the goal, said apart from exit_when; the run of a
// member who left a campaign for current members ends as left, whatever
// its rules say; runs already ended are left out.
func TestMemberImpactGoal(t *testing.T) {
	f := newFixture(t, base+`
template "hi" {
  text = { en = "Hi" }
}

campaign "welcome" {
  enter_on  = "member.joined"
  exit_when = "member.points > 0"
  stop_when = "member.attrs.email == 'opted_out'"
  step "hello" {
    wait = "1d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "winback" {
  members  = "left"
  enter_on = "member.left"
  step "hello" {
    wait = "1d"
  }
}
`)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	member := func(id string, points int, campaign, status string) *state.Member {
		m := state.NewMember(id, now.AddDate(0, -1, 0))
		m.Name, m.Rules, m.Points = id, runtime.MemberRules(f.cfg), points
		m.Campaigns = map[string]*state.CampaignRun{campaign: {Status: status, EnteredAt: now, Runs: 1}}
		return m
	}
	ann := member("ann", 1, "welcome", "active") // the goal holds
	bob := member("bob", 0, "welcome", "active") // it does not
	cy := member("cy", 3, "welcome", "done")     // ended already
	dee := member("dee", 2, "welcome", "active") // opted out too: exited
	dee.Attrs = map[string]any{"email": "opted_out"}
	eve := member("eve", 5, "welcome", "active") // left: ends as left
	eve.Left = true
	flo := member("flo", 0, "winback", "active") // back: the win-back's goal
	gus := member("gus", 0, "winback", "active") // still away
	gus.Left = true
	got := impactText(t, f, now, ann, bob, cy, dee, eve, flo, gus)
	want := `Member impact (the rules evaluated against the 7 stored members; 7 under these rules already):
  campaign welcome: +0 -3 (-ann, dee, eve): it is for current members (members = "current") and 1 left the community, whose runs end as left; stop_when holds for 1, whose runs end as exited; the goal (exit_when) holds for 1, whose runs end as goal with nothing more sent
  campaign winback: +0 -1 (-flo): it is for members who left (members = "left") and 1 is in the community, whose runs end as goal with nothing more sent
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if !ann.Campaigns["welcome"].Active() || !flo.Campaigns["winback"].Active() {
		t.Fatal("the preview ended a stored run")
	}

	members := func(ctx context.Context, fn func(*state.Member) error) error {
		for _, m := range []*state.Member{ann, dee, eve, flo} {
			if err := fn(m); err != nil {
				return err
			}
		}
		return nil
	}
	im, err := plan.MemberImpact(context.Background(), f.cfg, plan.Population{Members: members}, plan.ImpactOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(im.Moves)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"kind":"campaign","name":"welcome","enter":0,"leave":3,"leave_members":[{"id":"ann"},{"id":"dee"},{"id":"eve"}],"exited":1,"goal":1,"left":1},` +
		`{"kind":"campaign","name":"winback","enter":0,"leave":1,"leave_members":[{"id":"flo"}],"goal":1,"back":1}]`; string(doc) != want {
		t.Errorf("-json moves:\ngot  %s\nwant %s", doc, want)
	}
}

// A goal over the tier, in a plan that lowers the tier's threshold, ends
// the runs of the members the new threshold takes onto the tier: the
// campaign rules read each member where the new rules put them, as the
// runtime settles the tier before it advances a run. A member already
// evaluated under these rules is read as stored.
func TestMemberImpactGoalReadsTheNewTier(t *testing.T) {
	f := newFixture(t, base+`
tier "core" {
  rank = 1
  when = "member.points >= 10"
}

template "hi" {
  text = { en = "Hi" }
}

campaign "welcome" {
  enter_on  = "member.joined"
  exit_when = "member.tier == 'core'"
  step "hello" {
    wait = "30d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	member := func(id string, points int) *state.Member {
		m := state.NewMember(id, now.AddDate(0, -1, 0))
		m.Name, m.Points = id, points
		// On the first step, its wait under way: a run whose step has
		// come due the daemon would take on, to the end of the campaign.
		m.Campaigns = map[string]*state.CampaignRun{"welcome": {Status: "active", StepName: "hello", StepAt: now, Due: now.AddDate(0, 0, 30), EnteredAt: now, Runs: 1}}
		return m
	}
	ann := member("ann", 12) // the new threshold takes her onto core
	bob := member("bob", 5)  // not there yet
	cy := member("cy", 40)   // on core already, under these rules
	cy.Rules, cy.Tier = runtime.MemberRules(f.cfg), state.TierState{Name: "core", Rank: 1}
	got := impactText(t, f, now, ann, bob, cy)
	want := `Member impact (the rules evaluated against the 3 stored members; 1 under these rules already):
  campaign welcome: +0 -2 (-ann, cy): the goal (exit_when) holds for 2, whose runs end as goal with nothing more sent
  tier core: +1 -0 (+ann)
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

// The impact counts what the moves set off, as the daemon's
// re-evaluation does it: the promotion's incentive on tier.changed
// awards a badge and the points that take Ann into a segment, whose
// audience campaign takes her in; Bob enters a segment whose incentive
// takes him out of it again, and the audience campaign he entered on
// the way ends his run as he leaves: he is counted entering and leaving.
func TestMemberImpactCountsWhatTheMovesSetOff(t *testing.T) {
	f := newFixture(t, base+`
badge "climber" {
  title = "Climber"
}
tier "core" {
  rank = 1
  when = "member.points >= 10"
}
incentive "promoted" {
  on = "tier.changed"
  grant {
    points = 10
    badge  = badge.climber
  }
}
segment "big" {
  when = "member.points >= 20"
}
segment "quiet" {
  when = "member.points < 5"
}
incentive "cheer_up" {
  on   = "segment.entered"
  when = "event.segment == 'quiet'"
  grant {
    points = 5
  }
}
campaign "big_news" {
  audience = segment.big
  step "hello" {
    wait = "30d"
  }
}
campaign "pep_talk" {
  audience      = segment.quiet
  exit_on_leave = true
  step "hello" {
    wait = "30d"
  }
}
`)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ann := state.NewMember("ann", now.AddDate(0, -1, 0))
	ann.Name, ann.Points = "Ann", 12
	bob := state.NewMember("bob", now.AddDate(0, -1, 0))
	bob.Name, bob.Points = "Bob", 2
	got := impactText(t, f, now, ann, bob)
	want := `Member impact (the rules evaluated against the 2 stored members):
  badge climber: +1 -0 (+Ann (ann))
  campaign big_news: +1 -0 (+Ann (ann))
  campaign pep_talk: +1 -1 (+Bob (bob); -Bob (bob))
  segment big: +1 -0 (+Ann (ann))
  tier core: +1 -0 (+Ann (ann))
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

const referralSrc = base + `
tier "regular" {
  rank = 1
  when = "member.points >= 20"
}
segment "pointed" {
  when = "member.points >= 10"
}
incentive "referral_bonus" {
  on   = "tier.changed"
  when = "event.to == 'regular'"
  grant {
    to     = "member.attrs.sponsor ?? ''"
    points = 10
  }
}
`

// An incentive granting to another member (grant.to) counts for that
// member, and for those that member's moves grant to in turn: ann's
// promotion pays bob, who is under these rules already and is promoted
// by it, which pays cy, who is not stored yet: the daemon makes dan.
func TestMemberImpactFollowsGrantsToOtherMembers(t *testing.T) {
	f := newFixture(t, referralSrc)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	member := func(id string, points int, sponsor string) *state.Member {
		m := state.NewMember(id, now.AddDate(0, -1, 0))
		m.Points, m.EvaluatedAt = points, now.Add(-time.Hour)
		m.Attrs = map[string]any{"sponsor": sponsor}
		return m
	}
	ann, bob, cy := member("ann", 25, "bob"), member("bob", 12, "cy"), member("cy", 12, "dan")
	bob.Rules, bob.Segments = runtime.MemberRules(f.cfg), map[string]time.Time{"pointed": now.AddDate(0, 0, -1)}
	eve := member("eve", 3, "ann") // moves nobody
	got := impactText(t, f, now, ann, bob, cy, eve)
	want := `Member impact (the rules evaluated against the 4 stored members; 1 under these rules already):
  segment pointed: +3 -0 (+ann, cy, dan)
  tier regular: +3 -0 (+ann, bob, cy)
  (incentives grant to 1 member not stored yet (grant.to), whom the daemon makes: their moves are counted too)
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Grants reaching further than the plan follows, a sponsor promoted by
// what the one before gets in a chain longer than its rounds (here two:
// the members' own previews find m01, the first settling m02, the second
// m03), make the impact say the figures for that incentive are
// approximate; with rounds enough, they are exact.
func TestMemberImpactSaysWhenGrantsReachTooFar(t *testing.T) {
	f := newFixture(t, referralSrc)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var ms []*state.Member
	for i := range 6 {
		m := state.NewMember(fmt.Sprintf("m%02d", i), now.AddDate(0, -1, 0))
		m.Points, m.EvaluatedAt = 12, now.Add(-time.Hour)
		m.Attrs = map[string]any{"sponsor": fmt.Sprintf("m%02d", i+1)}
		ms = append(ms, m)
	}
	ms[0].Points = 25
	members := func(ctx context.Context, fn func(*state.Member) error) error {
		for _, m := range ms {
			if err := fn(m); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range []struct {
		rounds int
		want   string
	}{{2, `Member impact (the rules evaluated against the 6 stored members):
  segment pointed: +6 -0 (+m00, m01, m02, m03, m04 and 1 more)
  tier regular: +3 -0 (+m00, m01, m02)
  (the ids are for hearth member show ID; hearth plan -members lists every member, -json lists them under enter_members and leave_members)
  (approximate: incentive.referral_bonus: its grants to other members (grant.to) reach further than the 2 steps the plan follows: members past them are counted without what they get)
`}, {8, `Member impact (the rules evaluated against the 6 stored members):
  segment pointed: +6 -0 (+m00, m01, m02, m03, m04 and 1 more)
  tier regular: +5 -0 (+m00, m01, m02, m03, m04)
  (the ids are for hearth member show ID; hearth plan -members lists every member, -json lists them under enter_members and leave_members)
`}} {
		im, err := plan.MemberImpactRounds(context.Background(), f.cfg, plan.Population{Members: members}, plan.ImpactOptions{Now: now}, c.rounds)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := im.WriteText(&b, false); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); got != c.want {
			t.Errorf("in %d rounds, got:\n%s\nwant:\n%s", c.rounds, got, c.want)
		}
	}
}

// A configuration with badges alone previews their revoke_when, and so
// does one whose campaigns have only a goal: hearth plan shows the impact
// for them (HasMemberRules). One with nothing of the kind shows none.
func TestHasMemberRules(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      bool
	}{
		{"nothing", base, false},
		{"badge without revoke_when", base + `
badge "keen" {
  title = "Keen"
}
`, false},
		{"badge with revoke_when", base + `
badge "keen" {
  title       = "Keen"
  revoke_when = "member.points < 20"
}
`, true},
		{"campaign with a goal", base + `
campaign "welcome" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "hello" {
    wait = "1d"
  }
}
`, true},
		{"campaign without rules", base + `
campaign "welcome" {
  enter_on = "member.joined"
  step "hello" {
    wait = "1d"
  }
}
`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := plan.HasMemberRules(newFixture(t, tc.src).cfg); got != tc.want {
				t.Errorf("HasMemberRules = %v, want %v", got, tc.want)
			}
		})
	}
}

// A badge's revoke_when is previewed in a configuration with nothing
// else: a member not yet under it who holds the badge and for whom it
// holds loses it.
func TestMemberImpactBadgesAlone(t *testing.T) {
	f := newFixture(t, base+`
badge "keen" {
  title       = "Keen"
  revoke_when = "member.points < 20"
}
`)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	hold := map[string]*state.BadgeHold{"keen": {Count: 1, First: now, Last: now}}
	ann := state.NewMember("ann", now.AddDate(0, -1, 0))
	ann.Name, ann.Points, ann.Badges = "Ann", 5, hold
	bob := state.NewMember("bob", now.AddDate(0, -1, 0))
	bob.Name, bob.Points, bob.Badges = "Bob", 50, hold
	got := impactText(t, f, now, ann, bob)
	want := `Member impact (the rules evaluated against the 2 stored members):
  badge keen: +0 -1 (-Ann (ann))
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if ann.Badges["keen"].Count != 1 {
		t.Fatal("the preview revoked a stored badge")
	}
}

// On a terminal the counts that are not zero are colored as the plan's
// symbols are, and the heading is bold; without color the text is plain.
func TestImpactColor(t *testing.T) {
	im := &plan.Impact{Members: 3, Moves: []plan.MemberMove{{Kind: "segment", Name: "big", Enter: 2, LeaveSample: nil}}}
	var plain, colored bytes.Buffer
	if err := im.WriteText(&plain, false); err != nil {
		t.Fatal(err)
	}
	if err := im.WriteText(&colored, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("plain text has escape sequences: %q", plain.String())
	}
	if want := "  segment big: \x1b[32m+2\x1b[0m -0\n"; !strings.Contains(colored.String(), want) {
		t.Errorf("colored:\n%q\nwant a line %q", colored.String(), want)
	}
	if want := "\x1b[1mMember impact\x1b[0m (the rules"; !strings.HasPrefix(colored.String(), want) {
		t.Errorf("colored:\n%q\nwant it to start %q", colored.String(), want)
	}
}

// winbackBefore has a moderation ladder that bans, and no win-back yet;
// winbackAfter adds one by audience, for members who left.
const winbackBefore = `
platform "local" "main" {}

community "m" {
  title    = "M"
  platform = platform.local.main
  ladder {
    decay = "30d"
    rung { action = "ban" }
  }
  moderation "ads" {
    keywords = { en = ["buy now"] }
  }
}
`

const winbackAfter = winbackBefore + `
segment "gone" {
  community = community.m
  when      = "member.left"
}

campaign "winback" {
  community = community.m
  audience  = segment.gone
  members   = "left"
  step "later" {
    wait = "30d"
  }
}
`

// The member impact counts a win-back's audience enrollments as the
// runtime makes them: a member who left after a ban for cause enters
// the segment but never the campaign, a member still in the community
// neither.
func TestMemberImpactWinBackLeavesBannedMembersOut(t *testing.T) {
	before := newFixture(t, winbackBefore).cfg
	after := newFixture(t, winbackAfter).cfg
	stream := `{"id":"j1","type":"member.joined","member":"ann","community":"m","at":"2026-01-01T09:00:00Z"}
{"id":"j2","type":"member.joined","member":"bob","community":"m","at":"2026-01-01T09:00:00Z"}
{"id":"j3","type":"member.joined","member":"cy","community":"m","at":"2026-01-01T09:00:00Z"}
{"id":"p1","type":"message.posted","member":"bob","community":"m","at":"2026-01-02T09:00:00Z","attrs":{"text":"buy now"}}
{"id":"l1","type":"member.left","member":"ann","community":"m","at":"2026-01-03T09:00:00Z"}
{"id":"l2","type":"member.left","member":"bob","community":"m","at":"2026-01-03T09:00:00Z","attrs":{"reason":"banned"}}
`
	ctx := context.Background()
	sum, err := simulate.Run(ctx, before, strings.NewReader(stream), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 4, 9, 0, 0, 0, time.UTC)
	im, err := plan.MemberImpact(ctx, after, plan.StoredPopulation(sum.Store), plan.ImpactOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	moves := map[string]plan.MemberMove{}
	for _, mv := range im.Moves {
		moves[mv.Kind+" "+mv.Name] = mv
	}
	if mv := moves["segment gone"]; mv.Enter != 2 {
		t.Fatalf("segment gone: %+v, want ann and bob entering: the test no longer shows what it is about", mv)
	}
	banned := false
	_ = sum.Store.Members(ctx, func(m *state.Member) error {
		if m.ID == "bob" {
			banned, _ = m.Moderation.BannedAt(now)
		}
		return nil
	})
	if !banned {
		t.Fatal("bob is not banned: the test no longer shows what it is about")
	}

	// The runtime under the new rules, at the members' next events.
	var entered []string
	next := `{"id":"a","type":"checkin","member":"ann","community":"m","at":"2026-01-04T09:00:00Z"}
{"id":"b","type":"checkin","member":"bob","community":"m","at":"2026-01-04T09:00:00Z"}
`
	_, err = simulate.Run(ctx, after, strings.NewReader(next), simulate.Options{Store: sum.Store, Outcome: func(o state.Outcome) error {
		if o.Kind == state.KindCampaign && o.Change == "enter" {
			entered = append(entered, o.Member)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range moves["campaign winback"].EnterMembers {
		ids = append(ids, r.ID)
	}
	if got := moves["campaign winback"]; got.Enter != len(entered) || strings.Join(ids, ",") != strings.Join(entered, ",") {
		t.Errorf("impact: winback %+v; the runtime enrolled %v", got, entered)
	}
	if strings.Join(entered, ",") != "ann" {
		t.Errorf("the runtime enrolled %v in the win-back, want ann alone", entered)
	}
}

// Nobody enters a paused campaign, and entering its audience while it is
// paused does not enroll at the resume: the impact counts no entry.
func TestMemberImpactPausedCampaignEnrollsNobody(t *testing.T) {
	before := newFixture(t, winbackBefore).cfg
	after := newFixture(t, strings.Replace(winbackAfter, `members   = "left"`, `members   = "left"
  paused    = true`, 1)).cfg
	stream := `{"id":"j1","type":"member.joined","member":"ann","community":"m","at":"2026-01-01T09:00:00Z"}
{"id":"l1","type":"member.left","member":"ann","community":"m","at":"2026-01-03T09:00:00Z"}
`
	ctx := context.Background()
	sum, err := simulate.Run(ctx, before, strings.NewReader(stream), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 4, 9, 0, 0, 0, time.UTC)
	im, err := plan.MemberImpact(ctx, after, plan.StoredPopulation(sum.Store), plan.ImpactOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	segment := false
	for _, mv := range im.Moves {
		if mv.Kind == "campaign" && mv.Name == "winback" && mv.Enter > 0 {
			t.Errorf("a paused campaign counted %d entering: %+v", mv.Enter, mv)
		}
		segment = segment || mv.Kind == "segment" && mv.Name == "gone" && mv.Enter == 1
	}
	if !segment {
		t.Fatalf("ann does not enter the segment: the test no longer shows what it is about (%+v)", im.Moves)
	}
	entered := 0
	next := `{"id":"a","type":"checkin","member":"ann","community":"m","at":"2026-01-04T09:00:00Z"}
`
	_, err = simulate.Run(ctx, after, strings.NewReader(next), simulate.Options{Store: sum.Store, Outcome: func(o state.Outcome) error {
		if o.Kind == state.KindCampaign && o.Change == "enter" {
			entered++
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if entered != 0 {
		t.Errorf("the runtime enrolled %d in a paused campaign; the impact's rule is not the runtime's", entered)
	}
}

// TestMemberImpactHonoursStoredWaits: the member impact of a rules change
// that changes no decision is none, though members are in the middle of
// the waits the rules in force keep: a keep reworded ("6 <= ..." for
// "... >= 6") moves neither a member whose window for core runs (u077)
// nor one whose demote_after on regular counts (u149), and a longer grace
// on core demotes no member inside the shorter one (u200). A shorter
// grace demotes the member it no longer covers, in the right direction.
func TestMemberImpactHonoursStoredWaits(t *testing.T) {
	const ladder = `
tier "regular" {
  rank         = 1
  when         = "active_days('30d') >= 4"
  keep         = "%s"
  demote_after = "14d"
}
tier "core" {
  rank   = 2
  when   = "active_days('30d') >= 12"
  keep   = "active_days('60d') >= 10"
  window = "7d"
  grace  = "%s"
}
`
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	active := func(m *state.Member, days int) {
		for i := range days {
			m.Active = m.Active.Add(state.DayOf(now.AddDate(0, 0, -days+i)), 1)
		}
	}
	members := func() []*state.Member {
		u077 := state.NewMember("u077", now.AddDate(0, -3, 0))
		active(u077, 14) // core's when holds, for 3 days of its 7-day window
		u077.Tier = state.TierState{Name: "regular", Rank: 1, Since: now.AddDate(0, -1, 0),
			Qualifying: []state.Qualification{{Tier: "core", Since: now.AddDate(0, 0, -3)}}}
		u149 := state.NewMember("u149", now.AddDate(0, -3, 0))
		active(u149, 2) // regular's keep fails, for 5 days of its 14-day demote_after
		u149.Tier = state.TierState{Name: "regular", Rank: 1, Since: now.AddDate(0, -2, 0), FailingSince: now.AddDate(0, 0, -5)}
		u200 := state.NewMember("u200", now.AddDate(0, -3, 0))
		active(u200, 3) // core's keep fails, 20 days after the promotion
		u200.Tier = state.TierState{Name: "core", Rank: 2, Since: now.AddDate(0, 0, -20)}
		for _, m := range []*state.Member{u077, u149, u200} {
			m.EvaluatedAt, m.LastEventAt = now.Add(-time.Hour), now.Add(-time.Hour)
		}
		return []*state.Member{u077, u149, u200}
	}
	for _, c := range []struct{ keep, grace, want string }{
		{"6 <= active_days('60d')", "30d", "Member impact: none of the 3 stored members would change segment, tier, badge or campaign.\n"},
		{"active_days('60d') >= 6", "60d", "Member impact: none of the 3 stored members would change segment, tier, badge or campaign.\n"},
		{"active_days('60d') >= 6", "14d", `Member impact (the rules evaluated against the 3 stored members):
  tier core: +0 -1 (-u200)
`},
	} {
		f := newFixture(t, base+fmt.Sprintf(ladder, c.keep, c.grace))
		if got := impactText(t, f, now, members()...); got != c.want {
			t.Errorf("keep %q, grace %s:\ngot:\n%s\nwant:\n%s", c.keep, c.grace, got, c.want)
		}
	}
}
