package runtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// importedConfig has everything that could fire on a new member: a
// welcome message, an onboarding campaign and a referral incentive on
// member.joined, incentives on badge.awarded and tier.changed, a
// campaign entering a segment, and a tier whose keep fails at once.
const importedConfig = `
community "home" {
  title           = "Home"
  platform        = platform.local.main
  welcome_message = "Welcome!"
  channel "general" {}
}
badge "helper" { class = "silver" }
badge "veteran" {}
tier "regular" {
  rank = 1
  when = "member.points >= 100"
}
tier "core" {
  rank = 2
  when = "member.points >= 1000 && active_days('30d') >= 10"
  keep = "active_days('30d') >= 10"
}
segment "old_timers" {
  when = "member.days_since_joined >= 365"
}
incentive "referral" {
  on = "member.joined"
  grant {
    to     = "'bob'"
    points = 50
  }
}
incentive "on_badge" {
  on = "badge.awarded"
  grant { points = 5 }
}
incentive "on_tier" {
  on = "tier.changed"
  grant { points = 7 }
}
template "hi" {
  text = { en = "Hi" }
}
campaign "onboarding" {
  community = community.home
  enter_on  = "member.joined"
  step "hi" {
    send {
      channel = "dm"
      template = template.hi
    }
  }
}
campaign "veterans" {
  community = community.home
  audience  = segment.old_timers
  step "thanks" {
    send {
      channel = "dm"
      template = template.hi
    }
  }
}
`

const importedLines = `{"id":"member.imported/ann","type":"member.imported","member":{"id":"ann","name":"Ann","identities":{"local":"ann-1"}},"at":"2026-03-01T00:00:00Z","source":"import","attrs":{"joined":"2023-04-01T00:00:00Z","points":1200,"badges":["helper","veteran"],"tier":"core","name":"Ann","country":"DE"}}
{"id":"member.imported/bob","type":"member.imported","member":"bob","at":"2026-03-01T00:00:00Z","source":"import","attrs":{"points":40}}
`

func replayInto(t *testing.T, store state.Store, cfg string, stream string) (*simulate.Summary, []state.Outcome) {
	t.Helper()
	var outs []state.Outcome
	var bad []string
	sum, err := simulate.Run(context.Background(), load(t, cfg), strings.NewReader(stream), simulate.Options{
		Store:    store,
		Outcome:  func(o state.Outcome) error { outs = append(outs, o); return nil },
		BadEvent: func(e *events.Error) { bad = append(bad, e.Error()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Fatalf("lines refused: %v", bad)
	}
	return sum, outs
}

func member(t *testing.T, store state.Store, id string) *state.Member {
	t.Helper()
	var found *state.Member
	_ = store.Members(context.Background(), func(m *state.Member) error {
		if m.ID == id {
			found = m
		}
		return nil
	})
	if found == nil {
		t.Fatalf("no member %s", id)
	}
	return found
}

// An imported member has their balance, badges, tier, join time, identity
// and profile, and nothing fires: no welcome, no campaign, no incentive
// on the derived events. Replayed again, the file changes nothing.
func TestImportedMemberOpeningState(t *testing.T) {
	store := state.NewMemory()
	sum, outs := replayInto(t, store, importedConfig, importedLines)
	ann := member(t, store, "ann")
	imported := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	switch {
	case ann.Points != 1200 || ann.PointsEarned != 1200:
		t.Errorf("ann points %d, earned %d; want 1200, 1200", ann.Points, ann.PointsEarned)
	case ann.Earned.Sum(state.DayOf(imported), 30) != 0:
		t.Errorf("the opening balance counts as earned in the last 30 days: %v", ann.Earned)
	case !ann.JoinedAt.Equal(time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)):
		t.Errorf("ann joined %v", ann.JoinedAt)
	case ann.Identities["local"] != "ann-1" || ann.Name != "Ann" || ann.Attrs["country"] != "DE":
		t.Errorf("ann identities %v, name %q, attrs %v", ann.Identities, ann.Name, ann.Attrs)
	case ann.Badges["helper"] == nil || ann.Badges["helper"].Count != 1 || ann.Badges["veteran"] == nil:
		t.Errorf("ann badges %v", ann.Badges)
	case ann.Tier.Name != "core" || len(ann.Tier.History) != 1 || ann.Tier.History[0].Reason != "imported":
		t.Errorf("ann tier %+v", ann.Tier)
	}
	if _, in := ann.Segments["old_timers"]; !in {
		t.Errorf("ann's segments %v; want old_timers (joined 2023)", ann.Segments)
	}
	if bob := member(t, store, "bob"); bob.Points != 40 || !bob.JoinedAt.Equal(imported) {
		t.Errorf("bob points %d, joined %v", bob.Points, bob.JoinedAt)
	}
	for _, o := range outs {
		switch {
		case o.Kind == state.KindAction, o.Kind == state.KindCampaign:
			t.Errorf("an import queued or ran something: %+v", o)
		case o.Kind == state.KindPoints && o.Change != state.ChangeImport:
			t.Errorf("an incentive fired on an import: %+v", o)
		case (o.Kind == state.KindBadge || o.Kind == state.KindTier) && (o.Change != state.ChangeImport || o.Rule != state.RuleImported):
			t.Errorf("a badge or tier outcome not marked imported: %+v", o)
		}
	}
	for name, n := range sum.Firings {
		if n != 0 {
			t.Errorf("incentive %s fired %d times", name, n)
		}
	}
	if sum.Imported != 1240 || sum.Granted != 0 {
		t.Errorf("summary imported %d, granted %d; want 1240, 0", sum.Imported, sum.Granted)
	}

	// Replayed twice: the ids are known, nothing changes.
	again, outs := replayInto(t, store, importedConfig, importedLines)
	if again.Duplicates != 2 || len(outs) != 0 {
		t.Fatalf("second replay: %d duplicates, outcomes %+v", again.Duplicates, outs)
	}
	if a := member(t, store, "ann"); a.Points != 1200 || a.Badges["helper"].Count != 1 || len(a.Tier.History) != 1 {
		t.Fatalf("ann after a second import: points %d, badges %v, tier %+v", a.Points, a.Badges, a.Tier)
	}

	// The platform announcing ann later (its member.joined) welcomes no
	// one and fires nothing either; a new member is welcomed.
	later := `{"id":"j1","type":"member.joined","member":"ann","community":"home","at":"2026-03-02T10:00:00Z"}
{"id":"j2","type":"member.joined","member":"cy","community":"home","at":"2026-03-02T11:00:00Z"}
`
	_, outs = replayInto(t, store, importedConfig, later)
	var welcomed, entered []string
	for _, o := range outs {
		if o.Kind == state.KindAction && o.Name == "send.channel" {
			welcomed = append(welcomed, o.Member)
		}
		if o.Kind == state.KindCampaign && o.Change == "enter" {
			entered = append(entered, o.Member)
		}
		if o.Kind == state.KindPoints && o.Event == "j1" {
			t.Errorf("an incentive fired on ann's member.joined: %+v", o)
		}
	}
	if strings.Join(welcomed, ",") != "cy" || strings.Join(entered, ",") != "cy" {
		t.Errorf("welcomed %v, entered onboarding %v; want cy alone", welcomed, entered)
	}
	if a := member(t, store, "ann"); !a.JoinedAt.Equal(time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ann's join moved to %v", a.JoinedAt)
	}
}

// The imported tier is held for 30 days though its keep fails (core's
// grace is none), then judged: demoted to the highest tier whose keep
// holds. An import never demotes a member already higher.
func TestImportedTierHeldThenJudged(t *testing.T) {
	store := state.NewMemory()
	replayInto(t, store, importedConfig, importedLines)
	tick := `{"id":"p1","type":"member.profile_updated","member":"ann","at":"2026-03-30T00:00:00Z","attrs":{"locale":"de"}}
`
	replayInto(t, store, importedConfig, tick)
	if a := member(t, store, "ann"); a.Tier.Name != "core" {
		t.Fatalf("ann on %q 29 days after the import; want core, held", a.Tier.Name)
	}
	tick = `{"id":"p2","type":"member.profile_updated","member":"ann","at":"2026-03-31T00:00:01Z","attrs":{"locale":"de"}}
`
	_, outs := replayInto(t, store, importedConfig, tick)
	a := member(t, store, "ann")
	if a.Tier.Name != "regular" {
		t.Fatalf("ann on %q after the hold; want regular", a.Tier.Name)
	}
	for _, o := range outs {
		if o.Kind == state.KindTier && (o.Change != "demote" || o.From != "core") {
			t.Errorf("tier outcome %+v; want a demotion from core", o)
		}
	}
	if runtime.ImportedTierHold != 30*24*time.Hour {
		t.Fatalf("ImportedTierHold is %v; the README says 30 days", runtime.ImportedTierHold)
	}
}

// With demote_after, an imported tier's keep is not judged during the
// hold (it reads activity hearth never saw): demote_after counts from the
// hold's end, not from the import, as it would overlap a grace period.
func TestImportedTierDemoteAfterCountsFromTheHold(t *testing.T) {
	cfg := strings.Replace(importedConfig, `keep = "active_days('30d') >= 10"`, `keep = "active_days('30d') >= 10"
  demote_after = "5d"`, 1)
	store := state.NewMemory()
	replayInto(t, store, cfg, importedLines)
	for _, c := range []struct {
		day  int
		want string
	}{{29, "core"}, {33, "core"}, {36, "regular"}} {
		day, want := c.day, c.want
		tick := fmt.Sprintf(`{"id":"p%d","type":"member.profile_updated","member":"ann","at":%q,"attrs":{"locale":"de"}}
`, day, time.Date(2026, 3, 1, 0, 0, 1, 0, time.UTC).AddDate(0, 0, day).Format(time.RFC3339))
		replayInto(t, store, cfg, tick)
		if a := member(t, store, "ann"); a.Tier.Name != want {
			t.Errorf("ann on %q %d days after the import; want %s (failing since %s)", a.Tier.Name, day, want, a.Tier.FailingSince)
		}
	}
}

// A line naming a tier or badge the configuration lacks is refused whole,
// with the reason, so the fixed line can be imported again.
func TestImportedUnknownNamesRefused(t *testing.T) {
	var bad []string
	sum, err := simulate.Run(context.Background(), load(t, importedConfig), strings.NewReader(
		`{"id":"member.imported/ann","type":"member.imported","member":"ann","at":"2026-03-01T00:00:00Z","attrs":{"tier":"gold","points":5}}
{"id":"member.imported/bob","type":"member.imported","member":"bob","at":"2026-03-01T00:00:00Z","attrs":{"badges":["helper","heper"]}}
{"id":"member.imported/cy","type":"member.imported","member":"cy","at":"2026-03-01T00:00:00Z","attrs":{"badges":["helper"]}}
`), simulate.Options{BadEvent: func(e *events.Error) { bad = append(bad, e.Error()) }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`line 1: invalid event: member.imported of ann: tier "gold" is not a tier block of the configuration (tiers: regular, core)`,
		`line 2: invalid event: member.imported of bob: badge "heper" is not a badge block of the configuration (badges: helper, veteran)`}
	if len(bad) != 2 || !strings.HasPrefix(bad[0], want[0]) || !strings.HasPrefix(bad[1], want[1]) {
		t.Fatalf("refused %q; want %q", bad, want)
	}
	if sum.Events != 1 {
		t.Fatalf("%d events applied; want cy's alone", sum.Events)
	}
}

// Reports count imported points and badges apart from the month's
// grants and awards: the import month shows no activity, the opening
// balances are in outstanding.
func TestImportedReport(t *testing.T) {
	store := state.NewMemory()
	replayInto(t, store, importedConfig, importedLines)
	cfg := load(t, importedConfig)
	tallies, err := store.Tallies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := analytics.Build(cfg, tallies, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	p := r.Points
	if p.Granted != 0 || p.Imported != 1240 || p.Outstanding != 1240 {
		t.Errorf("points granted %d, imported %d, outstanding %d; want 0, 1240, 1240", p.Granted, p.Imported, p.Outstanding)
	}
	last := p.Monthly[len(p.Monthly)-1]
	if last.Month != "2026-03" || last.Granted != 0 || last.Imported != 1240 {
		t.Errorf("March: %+v", last)
	}
	for _, b := range r.Badges {
		if b.Name == "helper" && (b.Awarded != 0 || b.Awarded30 != 0 || b.Imported != 1 || b.Holders != 1) {
			t.Errorf("helper: %+v; want 1 holder, imported, none awarded", b)
		}
	}
	if r.Active.D30 != 0 {
		t.Errorf("%d members active in the import's 30 days; want none", r.Active.D30)
	}
}

// member eval -at after the import reads the imported badge as held (its
// outcome, change import, counts as an award would), and the balance.
func TestImportedAsOf(t *testing.T) {
	store := state.NewMemory()
	_, outs := replayInto(t, store, importedConfig, importedLines+`{"id":"p1","type":"member.profile_updated","member":"ann","at":"2026-03-05T00:00:00Z","attrs":{"locale":"de"}}
`)
	var mine []state.Outcome
	for _, o := range outs {
		if o.Member == "ann" {
			mine = append(mine, o)
		}
	}
	rt := runtime.New(load(t, importedConfig), slog.New(slog.DiscardHandler))
	a, err := rt.MemberAsOf(member(t, store, "ann"), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), mine, true)
	if err != nil || a == nil {
		t.Fatalf("as of: %v, %v", a, err)
	}
	if h := a.Member.Badges["helper"]; h == nil || h.Count != 1 || a.Member.Points != 1200 {
		t.Fatalf("as of March 2: badges %v, points %d; notes %v", a.Member.Badges, a.Member.Points, a.Notes())
	}
	if notes := a.Notes(); len(notes) != 0 {
		t.Fatalf("as of March 2, notes %v; want none: the outcomes account for every badge", notes)
	}
}
