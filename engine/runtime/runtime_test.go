package runtime_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

const base = `
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
  role "core" {}
}
`

func load(t *testing.T, src string) *config.Config {
	t.Helper()
	return loadDir(t, t.TempDir(), base+src)
}

// loadDir loads src as the only file of dir.
func loadDir(t *testing.T, dir, src string) *config.Config {
	t.Helper()
	return loadDirWith(t, dir, src, local.Spec())
}

// loadDirWith is loadDir with the local platform described by spec.
func loadDirWith(t *testing.T, dir, src string, spec config.PlatformSpec) *config.Config {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": spec}})
	if diags.HasErrors() {
		t.Fatalf("config: %s", diags.Error())
	}
	return cfg
}

// ev builds one JSON line; day is days after 2026-01-01, hour the hour.
func ev(id, typ, member string, day, hour int, attrs string) string {
	at := time.Date(2026, 1, 1, hour, 0, 0, 0, time.UTC).AddDate(0, 0, day)
	if attrs == "" {
		attrs = "{}"
	}
	return fmt.Sprintf(`{"id":%q,"type":%q,"member":%q,"at":%q,"attrs":%s}`, id, typ, member, at.Format(time.RFC3339), attrs) + "\n"
}

func run(t *testing.T, cfg *config.Config, stream string) (*simulate.Summary, []state.Outcome, map[string]*state.Member) {
	t.Helper()
	var outs []state.Outcome
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(stream), simulate.Options{
		Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]*state.Member{}
	_ = sum.Store.Members(context.Background(), func(m *state.Member) error { members[m.ID] = m; return nil })
	return sum, outs, members
}

func TestIncentivesOnceCooldownLimitCap(t *testing.T) {
	cfg := load(t, `
badge "first" {}
incentive "first" {
  on   = "message.posted"
  when = "member.messages == 1"
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
`)
	var s strings.Builder
	for i := range 4 { // four messages on day 0: first +10, per_message 2+1+0+0 (cap 3)
		s.WriteString(ev(fmt.Sprintf("m%d", i), "message.posted", "u1", 0, 8+i, ""))
	}
	s.WriteString(ev("m9", "message.posted", "u1", 1, 9, "")) // new day: +2
	// checkins: day 0 ok, day 0 later (cooldown), day 1 ok, day 2 (limit 2/7d), day 8 ok
	s.WriteString(ev("c1", "checkin", "u1", 0, 9, ""))
	s.WriteString(ev("c2", "checkin", "u1", 0, 20, ""))
	s.WriteString(ev("c3", "checkin", "u1", 1, 18, ""))
	s.WriteString(ev("c4", "checkin", "u1", 2, 20, ""))
	s.WriteString(ev("c5", "checkin", "u1", 8, 20, ""))
	s.WriteString(ev("m0", "message.posted", "u1", 9, 9, "")) // duplicate id: ignored
	sum, _, m := run(t, cfg, s.String())
	u := m["u1"]
	if want := 10 + 3 + 2 + 3*5; u.Points != want {
		t.Errorf("points = %d; want %d", u.Points, want)
	}
	if sum.Firings["first"] != 1 || sum.Firings["checkin"] != 3 || sum.Duplicates != 1 {
		t.Errorf("firings %v, duplicates %d", sum.Firings, sum.Duplicates)
	}
	if u.Badges["first"].Count != 1 {
		t.Errorf("badge %+v", u.Badges["first"])
	}
}

func TestReferralGrantsToAnotherMember(t *testing.T) {
	cfg := load(t, `
incentive "referral" {
  on    = "member.joined"
  when  = "event.referrer != ''"
  limit = "2/30d"
  grant {
    to     = "event.referrer"
    points = 50
  }
}
`)
	stream := ev("j1", "member.joined", "alice", 0, 9, "") +
		ev("j2", "member.joined", "bob", 1, 9, `{"referrer":"alice"}`) +
		ev("j3", "member.joined", "cat", 2, 9, `{"referrer":"alice"}`) +
		ev("j4", "member.joined", "dan", 3, 9, `{"referrer":"alice"}`) // over the limit
	_, outs, m := run(t, cfg, stream)
	if m["alice"].Points != 100 || m["bob"].Points != 0 || m["bob"].Referrer != "alice" {
		t.Errorf("alice %d bob %d referrer %q", m["alice"].Points, m["bob"].Points, m["bob"].Referrer)
	}
	if len(outs) != 2 || outs[0].Member != "alice" || outs[0].Event != "j2" || outs[0].Rule != "incentive.referral" {
		t.Errorf("outcomes %+v", outs)
	}
}

func TestTierPromotionKeepAndGrace(t *testing.T) {
	cfg := load(t, `
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
  role  = community.c.role.core
}
incentive "earn" {
  on = "purchase.made"
  grant { points = 50 }
}
incentive "spend" {
  on = "checkin"
  grant { points = -5 }
}
`)
	stream := ev("p1", "purchase.made", "u", 0, 9, "") + // 50: regular
		ev("p2", "purchase.made", "u", 1, 9, "") + // 100: core
		ev("s1", "checkin", "u", 2, 9, "") + // 95: keeps core (keep >= 90)
		ev("s2", "checkin", "u", 3, 9, "") + // 90: keeps core
		ev("s3", "checkin", "u", 4, 9, "") + // 85: below keep, but in grace (14d after day 1)
		ev("s4", "checkin", "u", 16, 9, "") // 80, but the member was demoted when the grace ended
	_, outs, m := run(t, cfg, stream)
	var moves []string
	for _, o := range outs {
		if o.Kind == state.KindTier {
			moves = append(moves, fmt.Sprintf("%s:%s->%s@%s", o.Change, o.From, o.To, o.At.Format("01-02T15")))
		}
	}
	// The grace ends 14 days after the promotion (day 1, 09:00): a
	// recheck then demotes, with no event needed.
	want := "promote:->regular@01-01T09 promote:regular->core@01-02T09 demote:core->regular@01-16T09"
	if strings.Join(moves, " ") != want {
		t.Errorf("moves %v\nwant %s", moves, want)
	}
	if m["u"].Tier.Name != "regular" || len(m["u"].Tier.History) != 3 {
		t.Errorf("tier %+v", m["u"].Tier)
	}
}

// A tier outcome names the tier whose rule decided the move, in name and
// rule alike: the tier entered on a promotion, the tier left (its keep
// failed) on a demotion, whether it lands on a lower tier or on none. The
// role changes a move queues name the same rule.
func TestTierOutcomeNamesTheDecidingTier(t *testing.T) {
	cfg := load(t, `
tier "regular" {
  rank = 1
  when = "member.points >= 10"
}
tier "core" {
  rank = 2
  when = "member.points >= 100"
  keep = "member.points >= 90"
  role = community.c.role.core
}
incentive "earn" {
  on = "purchase.made"
  grant { points = 100 }
}
incentive "spend" {
  on = "checkin"
  grant { points = -50 }
}
`)
	stream := ev("p1", "purchase.made", "u", 0, 9, "") + // 100: none -> core
		ev("s1", "checkin", "u", 1, 9, "") + // 50: core -> regular
		ev("s2", "checkin", "u", 2, 9, "") // 0: regular -> none
	_, outs, _ := run(t, cfg, stream)
	var got []string
	for _, o := range outs {
		switch {
		case o.Kind == state.KindTier:
			got = append(got, fmt.Sprintf("%s %s [%s->%s] by %s", o.Change, o.Name, o.From, o.To, o.Rule))
		case o.Kind == state.KindAction && strings.HasPrefix(o.Name, "role."):
			got = append(got, fmt.Sprintf("%s by %s", o.Name, o.Rule))
		}
	}
	want := []string{
		"promote core [->core] by tier.core",
		"role.add by tier.core",
		"demote core [core->regular] by tier.core",
		"role.remove by tier.core",
		"demote regular [regular->] by tier.regular",
	}
	if !slices.Equal(got, want) {
		t.Errorf("tier outcomes:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestSegmentsFollowTimeWithoutEvents(t *testing.T) {
	cfg := load(t, `
segment "active" {
  when = "count('message.posted', '7d') >= 2"
}
segment "quiet" {
  when = "!in_segment('active') && member.days_since_joined >= 3"
}
badge "welcomed" {}
incentive "active_badge" {
  on   = "segment.entered"
  when = "event.segment == 'active'"
  grant { badge = badge.welcomed }
}
`)
	stream := ev("j", "member.joined", "u", 0, 9, "") +
		ev("m1", "message.posted", "u", 0, 10, "") +
		ev("m2", "message.posted", "u", 1, 10, "") + // enters active on day 1
		ev("x", "member.joined", "other", 20, 9, "") // moves time on to day 20
	sum, outs, m := run(t, cfg, stream)
	// Rechecks happen when a rule can flip (a day leaving the 7-day window,
	// days_since_joined reaching 3), not every day for 20 days.
	if sum.Rechecks == 0 || sum.Rechecks > 8 {
		t.Errorf("rechecks = %d; want a handful", sum.Rechecks)
	}
	var seg []string
	for _, o := range outs {
		if o.Kind == state.KindSegment && o.Member == "u" {
			seg = append(seg, fmt.Sprintf("%s %s %s", o.Change, o.Name, o.At.Format("01-02")))
		}
	}
	// Active from day 1; the messages fall out of the 7-day window on day 7
	// (day 0's message) -> leaves active; quiet from then (joined >= 3 days).
	want := []string{"enter active 01-02", "leave active 01-08", "enter quiet 01-08"}
	if strings.Join(seg, "|") != strings.Join(want, "|") {
		t.Errorf("segment moves %q\nwant %q", seg, want)
	}
	if m["u"].Badges["welcomed"] == nil {
		t.Errorf("segment.entered did not trigger the incentive")
	}
}

func TestPointsExpire(t *testing.T) {
	cfg := load(t, `
incentive "visit" {
  on      = "checkin"
  expires = "30d"
  grant { points = 10 }
}
incentive "buy" {
  on = "purchase.made"
  grant { points = -15 }
}
`)
	stream := ev("c1", "checkin", "u", 0, 9, "") +
		ev("c2", "checkin", "u", 10, 9, "") +
		ev("b1", "purchase.made", "u", 11, 9, "") + // spends 15 of 20: 5 left
		ev("x", "checkin", "other", 45, 9, "") // both lots expired by day 45
	_, outs, m := run(t, cfg, stream)
	var expired []string
	for _, o := range outs {
		if o.Change == "expire" {
			expired = append(expired, fmt.Sprintf("%d@%s", o.Points, o.At.Format("01-02")))
		}
	}
	// The first lot (10) expires on day 30 but only 5 are left; the second
	// finds nothing left to take.
	if strings.Join(expired, " ") != "-5@01-31" || m["u"].Points != 0 {
		t.Errorf("expired %v, points %d", expired, m["u"].Points)
	}
}

func TestReceivedReactionsAndAwardEvents(t *testing.T) {
	cfg := load(t, `
badge "helper" {}
badge "collector" {}
incentive "helper" {
  on   = "reaction.received"
  when = "total('reaction.received') >= 2 && event.channel == 'help'"
  grant { badge = badge.helper }
}
incentive "collector" {
  on   = "badge.awarded"
  when = "event.badge == 'helper'"
  grant {
    badge  = badge.collector
    points = 7
  }
}
`)
	stream := ev("r1", "reaction.added", "bob", 0, 9, `{"target_member":"ann","channel":"help"}`) +
		ev("r2", "reaction.added", "cat", 0, 10, `{"target_member":"ann","channel":"help"}`) +
		ev("r3", "reaction.added", "ann", 0, 11, `{"target_member":"ann","channel":"help"}`) // own message: not received
	_, _, m := run(t, cfg, stream)
	ann := m["ann"]
	if ann.Total("reaction.received") != 2 || ann.Badges["helper"] == nil || ann.Badges["collector"] == nil || ann.Points != 7 {
		t.Errorf("ann totals %v badges %v points %d", ann.Types, ann.Badges, ann.Points)
	}
	if m["bob"].Total("reaction.received") != 0 {
		t.Errorf("the reacting member was credited")
	}
}

// TestQuietDerivedEventsAreCounted: a derived event no rule reads and no
// incentive hears is counted on the member without being built; the
// counts are the same as when a rule listens.
func TestQuietDerivedEventsAreCounted(t *testing.T) {
	const rules = `
badge "first" {}
incentive "first" {
  on    = "message.posted"
  once  = true
  grant {
    badge  = badge.first
    points = 20
  }
}
tier "regular" {
  rank = 1
  when = "member.points >= 10"
}
`
	const listener = `
incentive "noticed" {
  on   = "tier.changed"
  when = "event.to == 'regular'"
  grant { points = 1 }
}
`
	stream := ev("m1", "message.posted", "ann", 0, 9, "") + ev("m2", "message.posted", "ann", 1, 9, "")
	for _, tc := range []struct {
		name, src string
		points    int
	}{{"quiet", rules, 20}, {"heard", rules + listener, 21}} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, m := run(t, load(t, tc.src), stream)
			ann := m["ann"]
			if got := ann.Total("badge.awarded"); got != 1 {
				t.Errorf("badge.awarded counted %d times, want 1", got)
			}
			if got := ann.Total("tier.changed"); got != 1 {
				t.Errorf("tier.changed counted %d times, want 1", got)
			}
			if ann.Points != tc.points || ann.Tier.Name != "regular" {
				t.Errorf("points %d tier %q, want %d regular", ann.Points, ann.Tier.Name, tc.points)
			}
		})
	}
}

// TestMistypedAttributes: an event whose attribute does not match its
// declared type skips the rules on the event when they read it, and only
// then: an attribute no rule reads cannot make a rule wrong.
func TestMistypedAttributes(t *testing.T) {
	cfg := load(t, `
event "quiz.answered" {
  attributes = {
    score = "int"
    note  = "string"
  }
}
incentive "answered" {
  on = "quiz.answered"
  grant { points = 1 }
}
incentive "high_score" {
  on   = "quiz.answered"
  when = "event.score >= 5"
  grant { points = 10 }
}
`)
	for _, tc := range []struct {
		name, attrs string
		points      int
		errors      int
	}{
		{"well typed", `{"score":7,"note":"ok"}`, 11, 0},
		{"unread attribute mistyped", `{"score":7,"note":12}`, 11, 0},
		{"read attribute mistyped", `{"score":"seven","note":"ok"}`, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Straight into the runtime: simulate, replay and the daemon
			// refuse such an event before it gets here, and the runtime
			// still must not hand a rule a value of the wrong type.
			e, err := events.Parse([]byte(ev("q1", "quiz.answered", "ann", 0, 9, tc.attrs)))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			store := state.NewMemory()
			rt := runtime.New(cfg, nil)
			b, err := store.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rt.Apply(ctx, b, &e); err != nil {
				t.Fatal(err)
			}
			m, err := b.Member("ann")
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
			if errs := rt.Stats().RuleErrors; m.Points != tc.points || errs != tc.errors {
				t.Errorf("points %d, rule errors %d; want %d and %d", m.Points, errs, tc.points, tc.errors)
			}
		})
	}
}

// TestBadgeGrantOnPlatform: a badge with a platform queues a badge.grant
// action for the platform's badge, once per award, keyed by the award.
func TestBadgeGrantOnPlatform(t *testing.T) {
	cfg := load(t, `
badge "first" {
  title    = "First post"
  platform = platform.local.main
}
badge "plain" {}
incentive "first" {
  on   = "message.posted"
  once = true
  grant {
    badge = badge.first
  }
}
incentive "plain" {
  on   = "message.posted"
  once = true
  grant {
    badge = badge.plain
  }
}
`)
	_, outs, _ := run(t, cfg, ev("m1", "message.posted", "u1", 0, 9, "")+ev("m2", "message.posted", "u1", 0, 10, ""))
	var grants []state.Outcome
	for _, o := range outs {
		if o.Kind == state.KindAction && o.Name == "badge.grant" {
			grants = append(grants, o)
		}
	}
	if len(grants) != 1 || grants[0].To != "platform.local.main" || grants[0].Detail != "badge.grant/m1/u1/first/1" {
		t.Errorf("badge grants %+v; want one for the first post on platform.local.main", grants)
	}
}

// Rule evaluations reach RuleCounts when published, as the daemon does
// after each batch; the Result's outcomes are the event's own.
func TestRuleCountsArePublished(t *testing.T) {
	cfg := load(t, `
incentive "first_post" {
  on   = "message.posted"
  when = "event.channel == 'intro'"
  grant {
    points = 5
    reason = "intro"
  }
}
`)
	rt := runtime.New(cfg, nil)
	ctx := context.Background()
	store := state.NewMemory()
	b, err := store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var granted []int
	for i, channel := range []string{"intro", "general", "intro"} {
		e := events.Event{ID: fmt.Sprint("e", i), Type: "message.posted", Member: events.Member{ID: "ann"},
			At: time.Date(2026, 1, 1, i, 0, 0, 0, time.UTC), Attrs: map[string]any{"channel": channel}}
		res, err := rt.Apply(ctx, b, &e)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range res.Outcomes {
			if o.Kind == state.KindPoints {
				n += o.Points
			}
		}
		granted = append(granted, n)
	}
	if fmt.Sprint(granted) != "[5 0 5]" {
		t.Errorf("points per event %v, want [5 0 5]", granted)
	}
	evals := func() uint64 {
		for _, rc := range rt.RuleCounts() {
			if rc.Rule == "incentive.first_post.when" {
				return rc.Evaluations
			}
		}
		t.Fatal("no count for incentive.first_post.when")
		return 0
	}
	if n := evals(); n != 0 {
		t.Errorf("%d evaluations visible before publishing", n)
	}
	rt.PublishCounts()
	rt.PublishCounts() // publishing twice counts nothing twice
	if n := evals(); n != 3 {
		t.Errorf("%d evaluations after publishing, want 3", n)
	}
}

// With rule timing on, about one evaluation in eight is timed and the
// measurements' own cost is counted apart; with it off, nothing is.
func TestRuleTimingSamples(t *testing.T) {
	cfg := load(t, `
incentive "posted" {
  on   = "message.posted"
  when = "event.channel != 'spam'"
  grant {
    points = 1
    reason = "post"
  }
}
`)
	for _, on := range []bool{true, false} {
		rt := runtime.New(cfg, nil)
		rt.TimeRules(on)
		ctx := context.Background()
		b, err := state.NewMemory().Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 4000 {
			e := events.Event{ID: fmt.Sprint("e", i), Type: "message.posted", Member: events.Member{ID: fmt.Sprint("m", i%50)},
				At: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Attrs: map[string]any{"channel": "general"}}
			if _, err := rt.Apply(ctx, b, &e); err != nil {
				t.Fatal(err)
			}
		}
		st := rt.Stats()
		if st.Evaluations != 4000 {
			t.Fatalf("%d evaluations, want 4000", st.Evaluations)
		}
		if !on {
			if st.TimedEvals != 0 || st.EvalNanos != 0 || st.TimingNanos != 0 {
				t.Errorf("timing off, yet %+v", st)
			}
			continue
		}
		// 500 expected; the sample is random but fixed by its seed.
		if st.TimedEvals < 350 || st.TimedEvals > 650 || st.EvalNanos <= 0 || st.TimingNanos <= 0 {
			t.Errorf("timing on: %d timed, %d ns in rules, %d ns measuring", st.TimedEvals, st.EvalNanos, st.TimingNanos)
		}
	}
}

// What settling an event changes (a tier, a segment) is read by the rules
// over it in the same event, whether or not an incentive or campaign hears
// the derived event: a segment over member.tier follows a promotion, and
// a tier over in_segment follows the segment, before the event is done.
func TestSettlingReadsWhatSettlingChanged(t *testing.T) {
	cfg := load(t, `
tier "core" {
  rank = 1
  when = "member.points >= 10"
}
tier "star" {
  rank = 2
  when = "in_segment('busy')"
}
segment "core_members" {
  when = "member.tier == 'core'"
}
segment "busy" {
  when = "member.points >= 20"
}
incentive "post" {
  on = "message.posted"
  grant { points = 10 }
}
`)
	stream := ev("a1", "message.posted", "ann", 0, 9, "") +
		ev("b1", "message.posted", "bob", 0, 9, "") + ev("b2", "message.posted", "bob", 0, 10, "")
	_, outs, m := run(t, cfg, stream)
	segs := func(u *state.Member) string {
		var names []string
		for s := range u.Segments {
			names = append(names, s)
		}
		slices.Sort(names)
		return strings.Join(names, ",")
	}
	if ann := m["ann"]; ann.Tier.Name != "core" || segs(ann) != "core_members" {
		t.Errorf("ann: tier %q, segments %q; want core, core_members", ann.Tier.Name, segs(ann))
	}
	if bob := m["bob"]; bob.Tier.Name != "star" || segs(bob) != "busy" {
		t.Errorf("bob: tier %q, segments %q; want star, busy", bob.Tier.Name, segs(bob))
	}
	// Each change names the event that caused it.
	for _, o := range outs {
		if o.Member == "ann" && o.Kind == state.KindSegment && o.Event != "a1" {
			t.Errorf("ann's segment outcome names event %q; want a1", o.Event)
		}
	}
}

// Points that expire on a recheck take the member out of a segment over
// points: the expiry is settled like any other change.
func TestExpiredPointsLeaveSegment(t *testing.T) {
	cfg := load(t, `
segment "rich" {
  when = "member.points >= 10"
}
incentive "post" {
  on      = "message.posted"
  expires = "7d"
  grant { points = 10 }
}
`)
	// bob's event on day 9 carries the replay past ann's expiry on day 7.
	_, _, m := run(t, cfg, ev("a1", "message.posted", "ann", 0, 9, "")+ev("b1", "member.joined", "bob", 9, 9, ""))
	if ann := m["ann"]; ann.Points != 0 || ann.Segments["rich"] != (time.Time{}) {
		t.Errorf("ann: %d points, segments %v; want 0 and not in rich", ann.Points, ann.Segments)
	}
}
