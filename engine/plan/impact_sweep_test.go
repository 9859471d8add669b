package plan_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// TestMemberImpactPredictsTheSweep holds the member impact to what it
// promises: the moves the daemon's re-evaluation after the reload makes
// (runtime.Reevaluate over every stored member, as the rules sweep runs
// it). Each case is a set of rules that read each other (tiers and
// segments over badges the rules revoke, revocations over the tier and
// segments the rules give, campaign rules over all of them, incentives,
// campaigns and rules on the events the moves set off, incentives
// granting to other members, rules over community figures, rules that
// keep changing each other) and a population drawn at random in every
// combination of stored points, badges, segments, tier, runs, rechecks
// come due, sponsors and coaches. The impact is computed, then the sweep
// run over the same members, in one batch and in many, and what it
// changed is counted as the impact counts: any difference in the order
// or the passes the two settle a member in, in what the moves' events
// set off, or in what one member's grants do to another, shows as a
// count that differs. The waits the stored members are in (a
// qualification window under way, a grace period, demote_after
// counting) hold in both alike; so do tiers removed and renamed.
func TestMemberImpactPredictsTheSweep(t *testing.T) {
	const step = `
  step "later" {
    wait = "30d"
  }`
	cases := []struct {
		name string
		src  string
		// ladder is the tiers the stored members are on, with the
		// ranks stored: the old configuration's, not always the new.
		ladder map[string]int
		// sponsors gives members a sponsor and a coach (attrs), other
		// stored members or ids no member is stored for.
		sponsors bool
		// community stores a document for community c, whose figures
		// rules read.
		community bool
		// seed picks another population: one that has what the case
		// is about.
		seed uint64
		// waits gives the members the waits of a tier state: since when
		// on their tier, since when keep fails, the windows under way.
		waits bool
	}{{
		name: "tiers and segments over revoked badges",
		src: `
badge "keen" {
  title       = "Keen"
  revoke_when = "member.points < 20"
}
badge "helper" {
  title       = "Helper"
  revoke_when = "!has_badge('keen')"
}
tier "regular" {
  rank = 1
  when = "has_badge('keen') || member.points >= 40"
}
tier "core" {
  rank = 2
  when = "has_badge('helper') && member.points >= 15"
  keep = "has_badge('helper')"
}
segment "decorated" {
  when = "member.badges >= 2"
}
segment "keen_core" {
  when = "member.tier == 'core' && has_badge('keen')"
}
`,
		ladder: map[string]int{"regular": 1, "core": 2},
	}, {
		name: "revocations over the new tier and segments",
		src: `
tier "core" {
  rank = 1
  when = "member.points >= 30"
  keep = "member.points >= 25"
}
tier "gold" {
  rank = 2
  when = "has_badge('crown') && has_badge('star') && member.points >= 45"
}
badge "crown" {
  title       = "Crown"
  revoke_when = "member.tier != 'core'"
}
badge "star" {
  title       = "Star"
  revoke_when = "in_segment('quiet')"
}
segment "quiet" {
  when = "member.points < 10"
}
segment "crowned" {
  when = "has_badge('crown')"
}
`,
		ladder: map[string]int{"core": 1, "gold": 2},
	}, {
		name: "tiers and segments feeding each other",
		src: `
segment "active" {
  when = "member.points >= 15"
}
tier "regular" {
  rank = 1
  when = "in_segment('active')"
}
segment "regulars" {
  when = "member.tier == 'regular' || tier_rank() >= rank_of('core')"
}
tier "core" {
  rank = 2
  when = "in_segment('regulars') && member.points >= 40"
  keep = "in_segment('active')"
}
badge "keen" {
  title       = "Keen"
  revoke_when = "!in_segment('active') || tier_rank() == 0"
}
segment "keen_members" {
  when = "has_badge('keen')"
}
campaign "welcome_active" {
  audience      = segment.active
  exit_on_leave = true` + step + `
}
`,
		ladder: map[string]int{"regular": 1, "core": 2},
	}, {
		name: "a ladder renumbered and a rung removed",
		src: `
tier "regular" {
  rank = 1
  when = "member.points >= 20"
  keep = "member.points >= 10 || has_badge('keen')"
}
tier "core" {
  rank = 2
  when = "member.points >= 40"
}
badge "keen" {
  title       = "Keen"
  revoke_when = "tier_rank() < rank_of('core') && member.points < 30"
}
segment "ranked" {
  when = "tier_rank() > 0"
}
`,
		ladder: map[string]int{"newbie": 1, "regular": 2, "core": 3},
	}, {
		name: "campaign rules over the states the settling passes through",
		src: `
tier "core" {
  rank = 1
  when = "member.points >= 10"
  keep = "has_badge('pioneer')"
}
segment "new_core" {
  when = "member.tier == 'core'"
}
badge "pioneer" {
  title       = "Pioneer"
  revoke_when = "in_segment('new_core') && member.points < 30"
}
campaign "onboard" {
  enter_on  = "member.joined"
  stop_when = "member.tier == 'core'"` + step + `
}
campaign "nudge" {
  enter_on  = "member.joined"
  exit_when = "in_segment('new_core') && !has_badge('pioneer')"` + step + `
}
campaign "news" {
  enter_on = "member.joined"
  members  = "current"` + step + `
}
`,
		ladder: map[string]int{"core": 1},
	}, {
		name: "rules over points expired and strikes decayed since",
		src: `
community "m" {
  title    = "M"
  platform = platform.local.main
  ladder {
    decay = "7d"
    rung { action = "warn" }
  }
  moderation "ads" {
    keywords = { en = ["buy now"] }
  }
}
segment "on_probation" {
  when = "member.strikes >= 2"
}
tier "trusted" {
  rank = 1
  when = "member.strikes == 0 && member.points >= 20"
  keep = "!in_segment('on_probation')"
}
badge "clean" {
  title       = "Clean"
  revoke_when = "member.strikes > 0 || member.points < 10"
}
`,
		ladder: map[string]int{"trusted": 1},
	}, {
		// Every move sets something off: a promotion grants points and
		// a badge, which take the member further up and into segments;
		// entering a segment grants points; a demotion takes some away;
		// rules count tier.changed and badge.awarded; an audience
		// campaign takes in members entering a segment that the grants
		// take them out of again in the same settling; a campaign
		// enters on tier.changed. Some members have a recheck come due
		// before now, with a grant of points still to expire then.
		name: "what the moves set off",
		src: `
badge "climber" {
  title = "Climber"
}
badge "starter" {
  title       = "Starter"
  revoke_when = "member.points < 5"
}
tier "regular" {
  rank = 1
  when = "member.points >= 20"
  keep = "member.points >= 15"
}
tier "core" {
  rank = 2
  when = "member.points >= 45 && has_badge('climber')"
  keep = "member.points >= 35"
}
incentive "promoted" {
  on   = "tier.changed"
  when = "event.direction == 'up'"
  grant {
    points = 10
    badge  = badge.climber
  }
}
incentive "demoted" {
  on   = "tier.changed"
  when = "event.direction == 'down'"
  grant {
    points = -6
  }
}
incentive "activated" {
  on   = "segment.entered"
  when = "event.segment == 'active'"
  grant {
    points = 8
    badge  = badge.starter
  }
}
segment "active" {
  when = "member.points >= 12"
}
segment "fresh" {
  when = "member.points >= 12 && member.points < 30"
}
segment "restless" {
  when = "total('tier.changed') >= 1"
}
segment "decorated" {
  when = "total('badge.awarded') >= 2"
}
campaign "hello_fresh" {
  audience      = segment.fresh
  exit_on_leave = true` + step + `
}
campaign "core_welcome" {
  enter_on   = "tier.changed"
  enter_when = "event.to == 'core'"` + step + `
}
`,
		ladder: map[string]int{"regular": 1, "core": 2},
	}, {
		// Incentives granting to another member (grant.to): a member's
		// promotion pays their sponsor, whose own promotion pays theirs
		// in turn, in chains and circles through the population, and to
		// sponsors no member is stored for yet (the sweep makes them).
		// once, limit and points_cap read the receiving member's log.
		name: "grants to other members",
		src: `
badge "mentor" {
  title = "Mentor"
}
badge "keen" {
  title       = "Keen"
  revoke_when = "member.points < 10"
}
tier "regular" {
  rank = 1
  when = "member.points >= 25"
  keep = "member.points >= 18"
}
tier "core" {
  rank = 2
  when = "member.points >= 50"
  keep = "member.points >= 40"
}
incentive "sponsor_promoted" {
  on   = "tier.changed"
  when = "event.direction == 'up'"
  grant {
    to     = "member.attrs.sponsor ?? ''"
    points = 11
  }
}
incentive "sponsor_demoted" {
  on   = "tier.changed"
  when = "event.direction == 'down'"
  grant {
    to     = "member.attrs.sponsor ?? ''"
    points = -4
  }
}
incentive "mentor" {
  on   = "segment.entered"
  when = "event.segment == 'active'"
  once = true
  grant {
    to    = "member.attrs.sponsor ?? ''"
    badge = badge.mentor
  }
}
incentive "mentored" {
  on   = "badge.awarded"
  when = "event.badge == 'mentor'"
  grant {
    points = 6
  }
}
incentive "coached" {
  on         = "segment.entered"
  limit      = "1/1d"
  points_cap = "9/1d"
  grant {
    to     = "member.attrs.coach ?? ''"
    points = 5
  }
}
segment "active" {
  when = "member.points >= 15"
}
segment "mentors" {
  when = "has_badge('mentor')"
}
segment "restless" {
  when = "total('tier.changed') >= 1"
}
campaign "core_welcome" {
  enter_on   = "tier.changed"
  enter_when = "event.to == 'core'"` + step + `
}
campaign "hello_active" {
  audience      = segment.active
  exit_on_leave = true` + step + `
}
`,
		ladder:   map[string]int{"regular": 1, "core": 2},
		sponsors: true,
		// Among them a member with a recheck come due that a grant
		// reaches first, giving nothing: the recheck still runs first
		// at the member's turn, whichever batch the grant came from.
		seed: 2,
	}, {
		// Rules over the community's figures, as the stored community
		// document gives them at each member's time: an hour later,
		// messages_1h reads another hour.
		name: "rules over community figures",
		src: `
badge "early" {
  title       = "Early"
  revoke_when = "community.joined_24h > 5 && member.points < 30"
}
tier "regular" {
  rank = 1
  when = "member.points * 2 >= community.active_7d"
  keep = "member.points >= 10"
}
tier "core" {
  rank = 2
  when = "member.points >= 45 && community.members >= 100"
}
segment "big_room" {
  when = "community.members >= 100 && member.points >= 20"
}
segment "busy_hour" {
  when = "community.messages_1h >= 3 && member.points >= 5"
}
incentive "welcome_core" {
  on   = "tier.changed"
  when = "event.to == 'core' && community.capacity_used < 2"
  grant {
    points = 3
  }
}
`,
		ladder:    map[string]int{"regular": 1, "core": 2},
		community: true,
	}, {
		// Rules that keep changing each other: the tier reads a segment
		// over the tier, and a badge's revoke_when the tier, so a member
		// swings on and off them for as long as the settling goes on;
		// it stops after the runtime's four passes, wherever that
		// leaves the member, whoever is settled next.
		name: "rules changing each other past the passes",
		src: `
badge "steady" {
  title       = "Steady"
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
segment "steady_ones" {
  when = "has_badge('steady')"
}
`,
		ladder: map[string]int{"regular": 1},
	}, {
		// The waits of the stored tier state, as the rules in force
		// left them, hold under the new rules as in the sweep.
		name: "qualification windows, grace and demote_after under way",
		src: `
badge "keen" {
  title       = "Keen"
  revoke_when = "member.points < 8"
}
tier "regular" {
  rank         = 1
  when         = "member.points >= 20"
  keep         = "member.points >= 10"
  window       = "7d"
  demote_after = "10d"
}
tier "core" {
  rank         = 2
  when         = "member.points >= 45"
  keep         = "member.points >= 35"
  window       = "5d"
  grace        = "20d"
  demote_after = "14d"
}
segment "core_ones" {
  when = "member.tier == 'core'"
}
`,
		ladder: map[string]int{"regular": 1, "core": 2},
		waits:  true,
	}, {
		// A tier renamed by a moved block keeps its members; those of a
		// removed one are placed by the promotion rules.
		name: "tiers removed and renamed",
		src: `
moved {
  from = tier.regular
  to   = tier.contributor
}
badge "keen" {
  title       = "Keen"
  revoke_when = "member.points < 8"
}
tier "member" {
  rank = 1
  when = "member.points >= 10"
  keep = "member.points >= 5"
}
tier "contributor" {
  rank  = 2
  when  = "member.points >= 30"
  keep  = "member.points >= 20"
  grace = "30d"
}
tier "core" {
  rank = 3
  when = "member.points >= 50"
}
segment "contributors" {
  when = "member.tier == 'contributor'"
}
`,
		ladder: map[string]int{"member": 1, "regular": 2, "core": 3, "veteran": 4},
		waits:  true,
	}}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, base+c.src)
			now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			rng := rand.New(rand.NewPCG(uint64(ci), 7+c.seed))
			store := state.NewMemory()
			before := map[string]*state.Member{}
			b, err := store.Begin(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			people := rand.New(rand.NewPCG(uint64(ci), 11+c.seed)) // the other populations stay as they were
			for i := range 400 {
				m := randomMember(rng, f.cfg, c.ladder, fmt.Sprintf("m%03d", i), now)
				if c.sponsors {
					sponsor(people, m, 400)
				}
				if c.waits {
					waits(people, f.cfg, m, now)
				}
				if err := b.SaveMember(m); err != nil {
					t.Fatal(err)
				}
				before[m.ID] = copyMember(t, m)
			}
			if c.community {
				if err := b.(state.CommunityBatch).SaveCommunity(communityDoc(now)); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}

			im, err := plan.MemberImpact(context.Background(), f.cfg, plan.Population{Members: store.Members, Communities: store.Communities}, plan.Whole(plan.ImpactOptions{Now: now}))
			if err != nil {
				t.Fatal(err)
			}
			if im.Members != len(before) || im.Current != 0 {
				t.Fatalf("impact over %d members, %d current; want %d, 0", im.Members, im.Current, len(before))
			}

			// The daemon sweeps in batches (of 500): where they split
			// the members must not matter, grants between members in
			// different batches included. One batch, and batches of 7.
			ids := make([]string, 0, len(before))
			for id := range before {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			var want string
			made := 0
			for _, size := range []int{len(ids), 7} {
				st := state.NewMemory()
				b, err := st.Begin(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range ids {
					if err := b.SaveMember(copyMember(t, before[id])); err != nil {
						t.Fatal(err)
					}
				}
				if c.community {
					if err := b.(state.CommunityBatch).SaveCommunity(communityDoc(now)); err != nil {
						t.Fatal(err)
					}
				}
				if err := b.Commit(); err != nil {
					t.Fatal(err)
				}
				rt := runtime.New(f.cfg, slog.New(slog.DiscardHandler))
				n := 0
				for chunk := range slices.Chunk(ids, size) {
					b, err := st.Begin(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					k, _, err := rt.Reevaluate(context.Background(), b, chunk, now)
					if err != nil {
						t.Fatal(err)
					}
					if err := b.Commit(); err != nil {
						t.Fatal(err)
					}
					n += k
				}
				// A member a grant reached before its turn was settled
				// then, and is passed over at its turn.
				if n != len(ids) && !c.sponsors || n == 0 {
					t.Fatalf("the sweep re-evaluated %d members, want %d", n, len(ids))
				}
				var swept []plan.MemberMove
				made = 0
				moved := 0
				err = st.Members(context.Background(), func(m *state.Member) error {
					was := before[m.ID]
					if was == nil { // a grant made them
						was = &state.Member{ID: m.ID}
						made++
					}
					swept = sweptMoves(f.cfg, swept, was, m)
					if len(sweptMoves(f.cfg, nil, was, m)) > 0 {
						moved++
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				want = movesText(swept)
				if got := movesText(im.Moves); got != want {
					t.Errorf("the impact and the sweep in batches of %d differ\nimpact:\n%s\nsweep:\n%s", size, got, want)
				}
				if im.Made != made {
					t.Errorf("the impact says grants make %d members; the sweep in batches of %d made %d", im.Made, size, made)
				}
				// The summary line's count and -detailed-exitcode's reason.
				if im.Moved != moved {
					t.Errorf("the impact says %d members move; the sweep in batches of %d moved %d", im.Moved, size, moved)
				}
			}
			if !strings.Contains(want, "badge ") || !strings.Contains(want, "tier ") || !strings.Contains(want, "segment ") {
				t.Errorf("the sweep moved no badge, tier or segment: the population no longer tests the order\n%s", want)
			}
			if c.sponsors && made == 0 {
				t.Error("the sweep made no member: the population no longer tests grants to members not stored")
			}
		})
	}
}

// randomMember is a stored member evaluated under other rules an hour
// ago (or, for a few, a little after now; for others, with a recheck
// come due), with points, the configuration's badges, segments and runs,
// and a tier of ladder, each drawn at random.
func randomMember(rng *rand.Rand, cfg *config.Config, ladder map[string]int, id string, now time.Time) *state.Member {
	m := state.NewMember(id, now.AddDate(0, -2, 0))
	m.Name, m.EvaluatedAt, m.LastEventAt = id, now.Add(-time.Hour), now.Add(-time.Hour)
	if rng.IntN(10) == 0 { // evaluated after the plan's now: the sweep takes the member's time
		m.EvaluatedAt = now.Add(3 * time.Hour)
	}
	m.Points = rng.IntN(61)
	if rng.IntN(8) == 0 { // a grant of points that expired since
		lot := rng.IntN(15) + 1
		m.Points += lot
		m.Expiring = []state.Lot{{Points: lot, ExpiresAt: now.Add(-time.Minute), Reason: "grant"}}
	}
	if rng.IntN(6) == 0 {
		// A recheck come due that the daemon did not run yet (stopped,
		// or behind): the sweep runs it first, at its own time, with
		// the grant of points that expired since still there.
		m.EvaluatedAt, m.RecheckAt = now.Add(-3*time.Hour), now.Add(-2*time.Hour)
	}
	m.Left = rng.IntN(10) == 0
	// Strikes from a moderation rule with a 7-day decay, some of them
	// decayed between the member's evaluation and now; member.strikes
	// counts those live at the evaluation. Without the rule, none count.
	if k := rng.IntN(4); k > 0 {
		m.Moderation = &state.Moderation{}
		for range k {
			at := now.AddDate(0, 0, -7).Add(time.Duration(rng.IntN(240)-120) * time.Minute)
			m.Moderation.Strikes = append(m.Moderation.Strikes, state.Strike{Rule: "community.m.moderation.ads", At: at, Count: 1})
			if at.After(m.EvaluatedAt.AddDate(0, 0, -7)) {
				m.Strikes++
			}
		}
		slices.SortFunc(m.Moderation.Strikes, func(a, b state.Strike) int { return a.At.Compare(b.At) })
	}
	for _, bd := range cfg.Badges {
		if rng.IntN(3) > 0 {
			if m.Badges == nil {
				m.Badges = map[string]*state.BadgeHold{}
			}
			m.Badges[bd.Name] = &state.BadgeHold{Count: rng.IntN(2) + rng.IntN(2), First: now.AddDate(0, 0, -9), Last: now.AddDate(0, 0, -9)}
		}
	}
	for _, s := range cfg.Segments {
		if rng.IntN(2) == 0 {
			if m.Segments == nil {
				m.Segments = map[string]time.Time{}
			}
			m.Segments[s.Name] = now.AddDate(0, 0, -5)
		}
	}
	names := make([]string, 0, len(ladder))
	for name := range ladder {
		names = append(names, name)
	}
	slices.Sort(names)
	if i := rng.IntN(len(names) + 1); i < len(names) {
		m.Tier = state.TierState{Name: names[i], Rank: ladder[names[i]], Since: now.AddDate(0, 0, -30)}
	}
	for _, c := range cfg.Campaigns {
		if rng.IntN(3) > 0 {
			if m.Campaigns == nil {
				m.Campaigns = map[string]*state.CampaignRun{}
			}
			at := now.AddDate(0, 0, -1)
			if rng.IntN(6) == 0 { // its wait over: the sweep takes it on (to its end)
				at = now.AddDate(0, 0, -31)
			}
			m.Campaigns[c.Name] = &state.CampaignRun{Status: "active", StepName: c.Steps[0].Name, StepAt: at, Due: at.AddDate(0, 0, 30), EnteredAt: at, Runs: 1}
		}
	}
	return m
}

// waits gives m, drawn by randomMember, the waits of a tier state at
// random: since when on its tier (its grace running or over), since when
// its keep fails (demote_after counting or over), and a qualification
// under way or run for each tier with a window above its own.
func waits(rng *rand.Rand, cfg *config.Config, m *state.Member, now time.Time) {
	if m.Tier.Name != "" {
		m.Tier.Since = now.AddDate(0, 0, -rng.IntN(40)).Add(-time.Duration(rng.IntN(24)) * time.Hour)
		if rng.IntN(2) == 0 {
			m.Tier.FailingSince = now.AddDate(0, 0, -rng.IntN(20)).Add(-time.Duration(rng.IntN(24)) * time.Hour)
		}
	}
	for _, t := range cfg.Tiers {
		if t.Window > 0 && t.Rank > m.Tier.Rank && rng.IntN(2) == 0 {
			m.Tier.Qualifying = append(m.Tier.Qualifying, state.Qualification{Tier: t.Name, Since: now.AddDate(0, 0, -rng.IntN(10)).Add(-time.Duration(rng.IntN(24)) * time.Hour)})
		}
	}
}

// sponsor gives m a sponsor and a coach (member.attrs), each one of the
// n stored members (m itself at times), one of a few ids no member is
// stored for, or none.
func sponsor(rng *rand.Rand, m *state.Member, n int) {
	pick := func() any {
		switch k := rng.IntN(10); {
		case k < 7:
			return fmt.Sprintf("m%03d", rng.IntN(n))
		case k < 8:
			return fmt.Sprintf("newcomer%d", rng.IntN(4))
		default:
			return nil
		}
	}
	for _, attr := range []string{"sponsor", "coach"} {
		if id := pick(); id != nil {
			if m.Attrs == nil {
				m.Attrs = map[string]any{}
			}
			m.Attrs[attr] = id
		}
	}
}

// communityDoc is a stored document of community c as of now: 120
// members, joins over the last day, messages this hour and fewer in the
// hours after it (members evaluated a little after now read those), and
// members active over the last week.
func communityDoc(now time.Time) *state.Community {
	c := &state.Community{Name: "c", Members: 120}
	for h := range 30 {
		at := now.Add(time.Duration(h-26) * time.Hour)
		c.CountHour("joined", at, h%2)
	}
	c.CountHour("messages", now.Add(-2*time.Hour), 2)
	c.CountHour("messages", now, 4)
	c.CountHour("messages", now.Add(2*time.Hour), 1)
	for d := range 10 {
		c.LastActive = c.LastActive.Add(state.DayOf(now)-state.Day(9-d), 3+d)
	}
	return c
}

// copyMember is m as stored now, apart from it.
func copyMember(t *testing.T, m *state.Member) *state.Member {
	t.Helper()
	doc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &state.Member{}
	if err := c.UnmarshalBinary(doc); err != nil {
		t.Fatal(err)
	}
	return c
}

// sweptMoves adds to moves what the sweep changed in a member, counted as
// the member impact counts: segments and tiers entered and left, badges
// awarded (held more times than before) and revoked, campaign runs
// started, and runs under way or started ended (by what).
func sweptMoves(cfg *config.Config, moves []plan.MemberMove, was, is *state.Member) []plan.MemberMove {
	move := func(kind, name string) *plan.MemberMove {
		for i := range moves {
			if moves[i].Kind == kind && moves[i].Name == name {
				return &moves[i]
			}
		}
		moves = append(moves, plan.MemberMove{Kind: kind, Name: name})
		return &moves[len(moves)-1]
	}
	for s := range is.Segments {
		if _, in := was.Segments[s]; !in {
			move("segment", s).Enter++
		}
	}
	for s := range was.Segments {
		if _, in := is.Segments[s]; !in {
			move("segment", s).Leave++
		}
	}
	// A tier a moved block renamed is the same tier: no move.
	if renamed := cfg.TierNamed(was.Tier.Name); was.Tier.Name != is.Tier.Name && (renamed == nil || renamed.Name != is.Tier.Name) {
		if is.Tier.Name != "" {
			move("tier", is.Tier.Name).Enter++
		}
		if was.Tier.Name != "" {
			move("tier", was.Tier.Name).Leave++
		}
	}
	held := func(m *state.Member, name string) int {
		if h := m.Badges[name]; h != nil {
			return h.Count
		}
		return 0
	}
	for _, b := range cfg.Badges {
		switch before, after := held(was, b.Name), held(is, b.Name); {
		case after > before:
			move("badge", b.Name).Enter++
		case before > 0 && after == 0:
			move("badge", b.Name).Leave++
		}
	}
	for _, c := range cfg.Campaigns {
		wasRun, isRun := was.Campaigns[c.Name], is.Campaigns[c.Name]
		started := isRun != nil && (wasRun == nil || isRun.Runs != wasRun.Runs || !isRun.EnteredAt.Equal(wasRun.EnteredAt))
		if started {
			move("campaign", c.Name).Enter++
		}
		if (started || wasRun.Active()) && isRun != nil && !isRun.Active() {
			mv := move("campaign", c.Name)
			mv.Leave++
			switch isRun.Reason {
			case "exited":
				mv.Exited++
			case "goal":
				mv.Goal++
				if c.Members == config.MembersLeft && !is.Left {
					mv.Back++
				}
			case "left": // or out of the audience (exit_on_leave), which the impact does not tell apart
				if is.Left && c.Members == config.MembersCurrent {
					mv.Left++
				}
			}
		}
	}
	return moves
}

// movesText is moves one a line, in order, without the samples.
func movesText(moves []plan.MemberMove) string {
	var lines []string
	for _, mv := range moves {
		lines = append(lines, fmt.Sprintf("%s %s +%d -%d exited=%d goal=%d back=%d left=%d", mv.Kind, mv.Name, mv.Enter, mv.Leave, mv.Exited, mv.Goal, mv.Back, mv.Left))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
