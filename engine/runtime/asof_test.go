package runtime_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

const asOfRules = `
badge "helper" {}
badge "regular_poster" {
  repeat      = true
  revoke_when = "count('message.posted', '7d') == 0"
}
incentive "post" {
  on = "message.posted"
  grant { points = 10 }
}
incentive "regular_poster" {
  on   = "message.posted"
  when = "count('message.posted', '7d') >= 3"
  grant { badge = badge.regular_poster }
}
incentive "helper" {
  on   = "post.created"
  once = true
  grant { badge = badge.helper }
}
incentive "spend" {
  on = "checkin"
  grant { points = -15 }
}
segment "active" {
  when = "count('message.posted', '7d') >= 2"
}
tier "regular" {
  rank = 1
  when = "member.points >= 30"
}
tier "core" {
  rank = 2
  when = "member.points >= 60"
  keep = "member.points >= 40"
}
`

// asOfStream is a member's three months: posting, a post, spending,
// leaving for a while and coming back, a new name.
func asOfStream() string {
	var b strings.Builder
	n := 0
	w := func(typ string, d, hour int, attrs string) {
		n++
		b.WriteString(ev(fmt.Sprintf("e%d", n), typ, "u", d, hour, attrs))
	}
	w("member.joined", 0, 9, `{"name":"Ann"}`)
	for _, d := range []int{1, 2, 3, 4, 5, 6, 8} {
		w("message.posted", d, 10, "")
	}
	w("post.created", 9, 10, "")
	w("checkin", 10, 10, "")
	w("checkin", 11, 10, "")
	w("member.left", 20, 9, "")
	w("member.joined", 40, 9, "")
	w("member.profile_updated", 41, 9, `{"name":"Ann B."}`)
	for _, d := range []int{42, 43, 44, 45} {
		w("message.posted", d, 10, "")
	}
	w("checkin", 50, 10, "")
	w("message.posted", 60, 10, "")
	return b.String()
}

// asOfExprs are expressions over everything a member's past may be asked
// about.
var asOfExprs = []string{
	"member.points", "member.points_earned", "member.tier", "member.tier_rank", "tier_rank()",
	"in_segment('active')", "has_badge('helper')", "badge_count('regular_poster')", "member.badges",
	"count('message.posted', '7d')", "total('message.posted')", "member.messages",
	"active_days('30d')", "points_in('7d')", "streak('message.posted')",
	"member.left", "member.left_at", "member.days_since_left", "member.last_active_at", "member.days_since_active",
	"member.joined_at", "member.days_since_joined", "member.name", "member.referrals",
}

// TestMemberAsOfMatchesHistory: whatever member eval gives as of an
// earlier time without a warning is what the member was then, as a
// replay of the events up to that time gives it; and most inputs can be
// given so, the rest warned about.
func TestMemberAsOfMatchesHistory(t *testing.T) {
	cfg := load(t, asOfRules)
	stream := asOfStream()
	_, outs, members := run(t, cfg, stream)
	full := members["u"]
	var mine []state.Outcome
	for _, o := range outs {
		if o.Member == "u" {
			mine = append(mine, o)
		}
	}
	fixed := 0 // values the stored member alone gets wrong, given right
	for _, at := range []time.Time{day(0, 12), day(3, 0), day(5, 12), day(9, 0), day(12, 0), day(25, 0), day(41, 12), day(46, 0), day(55, 0)} {
		t.Run(at.Format("01-02T15"), func(t *testing.T) {
			truth := runTo(t, cfg, stream, at)["u"]
			rt := runtime.New(cfg, nil)
			past, err := rt.MemberAsOf(full, at, mine, true)
			if err != nil || past == nil {
				t.Fatalf("as of %s: %v, %v", at, past, err)
			}
			for _, src := range asOfExprs {
				p := compile(t, cfg, src)
				want, err := rt.Eval(truth, p, nil, at)
				if err != nil {
					t.Fatal(err)
				}
				got, err := rt.EvalAsOf(past, p, nil)
				if err != nil {
					t.Fatal(err)
				}
				known := true
				for _, v := range got.Values {
					known = known && past.Known(v.Name)
				}
				if known && !reflect.DeepEqual(got.Result, want.Result) {
					t.Errorf("%s as of %s = %v, with no warning; the member then: %v", src, at, got.Result, want.Result)
				}
				// What the stored member alone would give: now's values.
				if naive, _ := rt.Eval(full, p, nil, at); known && !reflect.DeepEqual(naive.Result, want.Result) {
					fixed++
				}
			}
			// Without the outcomes (a store that keeps none), what the
			// member alone tells is still right, and the rest warned
			// about.
			bare, err := rt.MemberAsOf(full, at, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, src := range asOfExprs {
				p := compile(t, cfg, src)
				want, _ := rt.Eval(truth, p, nil, at)
				got, _ := rt.EvalAsOf(bare, p, nil)
				known := true
				for _, v := range got.Values {
					known = known && bare.Known(v.Name)
				}
				if known && !reflect.DeepEqual(got.Result, want.Result) {
					t.Errorf("without outcomes, %s as of %s = %v, with no warning; the member then: %v", src, at, got.Result, want.Result)
				}
			}
			// Only the name, changed on day 41, the time of day of the
			// latest activity and the counts of a day At is inside may be
			// unknown with the outcomes.
			for _, n := range past.Notes() {
				t.Logf("%s: %s", n.Input, n.Note)
				switch {
				case n.Input == "member.name",
					strings.Contains(n.Note, "counts are kept by day"),
					strings.Contains(n.Note, "time of day is not kept"):
				default:
					t.Errorf("%s: warned about %s: %s", at, n.Input, n.Note)
				}
			}
		})
	}
	t.Logf("%d values differ from the stored member's", fixed)
	if fixed < 40 {
		t.Errorf("only %d values as of an earlier time differ from the stored member's", fixed)
	}
	// Now and later: the member as stored, no copy.
	if past, err := runtime.New(cfg, nil).MemberAsOf(full, runtime.StateTime(full), mine, true); past != nil || err != nil {
		t.Errorf("as of the member's state: %v, %v; want nil", past, err)
	}
}

// TestMemberAsOfWarns: what the state cannot tell of the past is named,
// not given as if it were so: counts beyond the per-day horizon, points
// whose outcomes were pruned, the profile changed since.
func TestMemberAsOfWarns(t *testing.T) {
	cfg := load(t, asOfRules)
	stream := ev("j", "member.joined", "v", 0, 9, `{"name":"Vic"}`) +
		ev("p1", "message.posted", "v", 1, 10, "") + ev("p2", "message.posted", "v", 2, 10, "") +
		ev("p3", "message.posted", "v", 500, 10, "") + ev("n", "member.profile_updated", "v", 501, 9, `{"name":"Vic B."}`)
	_, outs, members := run(t, cfg, stream)
	m := members["v"]
	rt := runtime.New(cfg, nil)
	// The outcomes of the first days pruned: the points do not add up.
	var kept []state.Outcome
	for _, o := range outs {
		if o.Member == "v" && o.At.After(day(100, 0)) {
			kept = append(kept, o)
		}
	}
	past, err := rt.MemberAsOf(m, day(3, 0), kept, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"total('message.posted')", "count('message.posted', '7d')", "member.points", "member.name", "member.tier"} {
		if _, err := rt.EvalAsOf(past, compile(t, cfg, src), nil); err != nil {
			t.Fatal(err)
		}
	}
	notes := map[string]string{}
	for _, n := range past.Notes() {
		notes[n.Input] = n.Note
	}
	for input, want := range map[string]string{
		"total('message.posted')":       "per-day counts are kept for the 400 days to the latest",
		"count('message.posted', '7d')": "the window needs days before",
		"member.points":                 "the balance now",
		"member.name":                   "the profile as it stands now",
	} {
		if !strings.Contains(notes[input], want) {
			t.Errorf("%s: note %q; want it to say %q", input, notes[input], want)
		}
	}
	if _, ok := notes["member.tier"]; ok {
		t.Errorf("the tier comes from its history: %q", notes["member.tier"])
	}
	// Inside the horizon the counts are exact.
	past, _ = rt.MemberAsOf(m, day(300, 0), outs, true)
	e, _ := rt.EvalAsOf(past, compile(t, cfg, "count('message.posted', '7d')"), nil)
	if len(past.Notes()) != 0 || e.Result != 0 {
		t.Errorf("a window inside the horizon: %v, notes %v", e.Result, past.Notes())
	}
}

// runTo replays stream up to at, as hearth simulate -to does: events
// after it are left out, time-based rules run up to it.
func runTo(t *testing.T, cfg *config.Config, stream string, at time.Time) map[string]*state.Member {
	t.Helper()
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(stream), simulate.Options{To: at})
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]*state.Member{}
	_ = sum.Store.Members(context.Background(), func(m *state.Member) error { members[m.ID] = m; return nil })
	return members
}

func compile(t *testing.T, cfg *config.Config, src string) *rules.Program {
	t.Helper()
	scope, err := cfg.ExprScope("")
	if err != nil {
		t.Fatal(err)
	}
	p, errs := rules.NewCompiler().Compile(src, scope)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", src, errs[0].Message)
	}
	return p
}
