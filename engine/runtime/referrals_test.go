package runtime_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// member.referrals counts the distinct referred members who converted:
// a friend converting again counts once, and neither a self-referral nor
// an event naming no referee counts. A rule over it hears a new one only.
func TestReferralsCountDistinctReferees(t *testing.T) {
	cfg := load(t, `
badge "advocate" {
  repeat = true
}
incentive "advocate" {
  on   = "referral.converted"
  when = "member.referrals >= 2"
  once = true
  grant { badge = badge.advocate }
}
`)
	stream := ev("j1", "member.joined", "ray", 0, 9, "")
	for i, who := range []string{"fay", "fay", "fay", "ray", "", "gus", "fay"} {
		attrs := `{"referee":"` + who + `"}`
		if who == "" {
			attrs = "{}"
		}
		stream += ev("c"+string(rune('0'+i)), "referral.converted", "ray", 1, 9+i, attrs)
	}
	_, _, m := run(t, cfg, stream)
	ray := m["ray"]
	if ray.Referrals != 2 || !slices.Equal(ray.Referees, []string{"fay", "gus"}) {
		t.Errorf("referrals %d, referees %v; want 2: fay and gus", ray.Referrals, ray.Referees)
	}
	if ray.Total("referral.converted") != 7 {
		t.Errorf("the events are still counted as events: %d", ray.Total("referral.converted"))
	}
	if h := ray.Badges["advocate"]; h == nil || h.Count != 1 || h.Event != "c5" {
		t.Errorf("advocate %+v; want awarded once, on gus's conversion (c5)", h)
	}
}

// First attribution wins while a member: a join through another link
// while still a member changes nothing; a member back after leaving keeps
// their referrer, and one who had none gets the link's. member.referrer
// reads it in rules.
func TestReferrerFirstAttributionWins(t *testing.T) {
	cfg := load(t, `
segment "referred" {
  when = "member.referrer != ''"
}
`)
	stream := ev("j1", "member.joined", "bob", 0, 9, `{"referrer":"ann"}`) +
		ev("j2", "member.joined", "bob", 0, 10, `{"referrer":"cat"}`) + // still a member
		ev("j3", "member.joined", "dan", 0, 11, "") +
		ev("j4", "member.joined", "dan", 0, 12, `{"referrer":"ann"}`) + // still a member
		ev("j5", "member.joined", "eve", 0, 13, `{"referrer":"eve"}`) + // herself
		ev("l1", "member.left", "bob", 1, 9, "") +
		ev("j6", "member.joined", "bob", 2, 9, `{"referrer":"cat"}`) + // back: ann stays
		ev("l2", "member.left", "dan", 1, 9, "") +
		ev("j7", "member.joined", "dan", 2, 10, `{"referrer":"cat"}`) // back, first referrer
	_, _, m := run(t, cfg, stream)
	for id, want := range map[string]string{"bob": "ann", "dan": "cat", "eve": ""} {
		if got := m[id].Referrer; got != want {
			t.Errorf("%s's referrer %q; want %q", id, got, want)
		}
		if _, in := m[id].Segments["referred"]; in != (want != "") {
			t.Errorf("%s in segment referred: %v; want %v", id, in, want != "")
		}
	}
}

const oncePerSrc = `
incentive "converted" {
  on       = "referral.converted"
  once_per = "event.referee"
  limit    = "2/30d"
  grant { points = 100 }
}
incentive "signup" {
  on       = "member.joined"
  when     = "member.referrer != ''"
  once_per = "member.id"
  grant {
    to     = "member.referrer"
    points = 20
  }
}
`

// once_per grants once per key, ever: a friend converting five times
// pays once, an event with no key pays nothing, and a key the limit held
// back is not used up. A referred member joining again pays nothing
// more, through whichever link. The keys are kept across a restart (the
// store opened afresh), so the same events again pay nothing.
func TestOncePer(t *testing.T) {
	cfg := load(t, oncePerSrc)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	var outs []state.Outcome
	stage := func(stream string) map[string]*state.Member {
		t.Helper()
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := simulate.Run(ctx, cfg, strings.NewReader(stream), simulate.Options{Store: s, Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil }}); err != nil {
			t.Fatal(err)
		}
		members := map[string]*state.Member{}
		_ = s.Members(ctx, func(m *state.Member) error { members[m.ID] = m; return nil })
		return members
	}
	stream := ev("j0", "member.joined", "ray", 0, 8, "") +
		ev("j1", "member.joined", "fay", 0, 9, `{"referrer":"ray"}`) +
		ev("j2", "member.joined", "fay", 0, 10, `{"referrer":"ray"}`) + // again: no second 20
		ev("j3", "member.joined", "fay", 0, 11, `{"referrer":"sue"}`) // another link: sue gets nothing
	for i := range 5 {
		stream += ev("f"+string(rune('0'+i)), "referral.converted", "ray", 1, 9+i, `{"referee":"fay"}`)
	}
	stream += ev("n1", "referral.converted", "ray", 1, 15, `{}`) + // no key: nothing
		ev("g1", "referral.converted", "ray", 1, 16, `{"referee":"gus"}`) +
		ev("h1", "referral.converted", "ray", 1, 17, `{"referee":"hal"}`) // over the limit: hal's key stays free
	m := stage(stream)
	if m["ray"].Points != 20+200 || m["sue"] != nil && m["sue"].Points != 0 {
		t.Errorf("ray %d points; want 220 (one signup, fay and gus converted)", m["ray"].Points)
	}
	if log := m["ray"].Log("converted"); log == nil || !slices.Equal(log.Keys, []string{"fay", "gus"}) {
		t.Errorf("converted's keys %+v; want fay and gus", log)
	}
	// After a restart: the same events are duplicates, and new ones for
	// fay pay nothing; hal, once the limit's window passed, pays.
	m = stage(stream +
		ev("f9", "referral.converted", "ray", 40, 9, `{"referee":"fay"}`) +
		ev("h2", "referral.converted", "ray", 40, 10, `{"referee":"hal"}`) +
		ev("h3", "referral.converted", "ray", 41, 10, `{"referee":"hal"}`))
	if m["ray"].Points != 20+300 {
		t.Errorf("ray %d points after the restart; want 320 (hal's once)", m["ray"].Points)
	}
	var grants []string
	for _, o := range outs {
		if o.Kind == state.KindPoints {
			grants = append(grants, o.Event)
		}
	}
	if want := []string{"j1", "f0", "g1", "h2"}; !slices.Equal(grants, want) {
		t.Errorf("grants on %v; want %v", grants, want)
	}
}

// member why on a once_per incentive names the key and says it was
// granted for, as the runtime decides.
func TestOncePerVerdict(t *testing.T) {
	cfg := load(t, oncePerSrc)
	rt := runtime.New(cfg, nil)
	_, _, m := run(t, cfg, ev("j0", "member.joined", "ray", 0, 8, "")+ev("f0", "referral.converted", "ray", 1, 9, `{"referee":"fay"}`))
	conv := func(referee string) *events.Event {
		return &events.Event{ID: "x", Type: "referral.converted", Member: events.Member{ID: "ray"}, At: day(2, 9), Attrs: map[string]any{"referee": referee}}
	}
	v, c := verdictOf(t, rt, m["ray"], "incentive.converted", conv("fay"), nil, day(2, 9))
	wantVerdict(t, v, runtime.VerdictOncePer, `once_per (event.referee), and already granted for the key "fay"`)
	if c.OncePer != "event.referee" || c.Key != "fay" || c.Keys != 1 {
		t.Errorf("check %+v", *c)
	}
	v, _ = verdictOf(t, rt, m["ray"], "incentive.converted", conv("gus"), nil, day(2, 9))
	wantVerdict(t, v, runtime.VerdictGrant, "this referral.converted event would grant 100 points")
	v, _ = verdictOf(t, rt, m["ray"], "incentive.converted", conv(""), nil, day(2, 9))
	wantVerdict(t, v, runtime.VerdictOncePer, "once_per gives no key")
}
