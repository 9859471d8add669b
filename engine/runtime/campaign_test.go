package runtime_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

const templates = `
template "hi" {
  subject = { en = "Hello" }
  text = {
    en    = "Hi ${member.name}"
    zh-CN = "你好 ${member.name}"
  }
}
`

func campaignOutcomes(outs []state.Outcome, member string) []string {
	var got []string
	for _, o := range outs {
		if o.Member != member || (o.Kind != state.KindCampaign && o.Kind != state.KindAction) {
			continue
		}
		got = append(got, fmt.Sprintf("%s %s %s", o.At.UTC().Format("01-02T15:04"), o.Change, o.Detail))
	}
	return got
}

func TestCampaignStepsWaitsGoalAndTimeOfDay(t *testing.T) {
	cfg := load(t, templates+`
campaign "onboarding" {
  enter_on  = "member.joined"
  exit_when = "member.messages >= 2"
  step "welcome" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "nudge" {
    wait = "2d"
    at   = "10:00"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "check" {
    wait_until = "member.messages >= 1"
    timeout    = "3d"
    on_timeout = "goodbye"
  }
  step "celebrate" {
    send {
      channel  = "dm"
      template = template.hi
    }
    goto = "exit"
  }
  step "goodbye" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	// ann joins and never posts: welcome, nudge two days later at 10:00,
	// then the wait_until times out three days on and goodbye is sent.
	// bob posts once during the wait: celebrate. cat posts twice: goal.
	stream := ev("j1", "member.joined", "ann", 0, 9, `{"name":"Ann","timezone":"Asia/Shanghai"}`) +
		ev("j2", "member.joined", "bob", 0, 9, `{"name":"Bob"}`) +
		ev("j3", "member.joined", "cat", 0, 9, `{"name":"Cat"}`) +
		ev("m1", "message.posted", "cat", 0, 10, "") +
		ev("m2", "message.posted", "cat", 0, 11, "") +
		ev("m3", "message.posted", "bob", 3, 12, "") +
		ev("x", "checkin", "zed", 20, 0, "")
	_, outs, m := run(t, cfg, stream)
	// 10:00 in Shanghai is 02:00 UTC; ann joined on 01-01 at 17:00
	// Shanghai, so two calendar days on at 10:00 is 01-03 02:00 UTC.
	want := []string{
		"01-01T09:00 enter run 1",
		"01-01T09:00 queue campaign/onboarding/ann/1/1/welcome",
		"01-03T02:00 queue campaign/onboarding/ann/1/2/nudge",
		"01-06T02:00 timeout check",
		"01-06T02:00 queue campaign/onboarding/ann/1/3/goodbye",
		"01-06T02:00 exit finished",
	}
	if got := campaignOutcomes(outs, "ann"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ann:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	bob := campaignOutcomes(outs, "bob")
	if len(bob) == 0 || !strings.Contains(strings.Join(bob, "\n"), "01-04T12:00 queue campaign/onboarding/bob/1/3/celebrate") {
		t.Errorf("bob: %q", bob)
	}
	cat := campaignOutcomes(outs, "cat")
	if last := cat[len(cat)-1]; last != "01-01T11:00 exit goal" {
		t.Errorf("cat ends with %q; want the goal at the second message", last)
	}
	if run := m["cat"].Campaigns["onboarding"]; run.Status != "done" || run.Reason != "goal" {
		t.Errorf("cat's run %+v", run)
	}
}

func TestQuietHoursAcrossZonesAndDaylightSaving(t *testing.T) {
	cfg := load(t, templates+`
campaign "c" {
  enter_on = "checkin"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "s" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	at := func(ts string) string {
		return ts
	}
	// Europe/Berlin moves from UTC+2 to UTC+1 on 2026-10-25 at 03:00.
	lines := fmt.Sprintf(`{"id":"p1","type":"member.profile_updated","member":"berlin","at":%q,"attrs":{"timezone":"Europe/Berlin"}}
{"id":"p2","type":"member.profile_updated","member":"tokyo","at":%q,"attrs":{"timezone":"Asia/Tokyo"}}
{"id":"c1","type":"checkin","member":"berlin","at":%q}
{"id":"c2","type":"checkin","member":"tokyo","at":%q}
{"id":"c3","type":"checkin","member":"utc","at":%q}
{"id":"x","type":"checkin","member":"late","at":%q}
`, at("2026-10-24T10:00:00Z"), at("2026-10-24T10:00:00Z"),
		at("2026-10-24T21:30:00Z"), // 23:30 in Berlin (UTC+2): quiet until 08:00 on the 25th, which is UTC+1 by then
		at("2026-10-24T14:00:00Z"), // 23:00 in Tokyo: quiet until 08:00 Tokyo = 23:00 UTC
		at("2026-10-24T12:00:00Z"), // noon UTC: sent at once
		at("2026-10-26T00:00:00Z"))
	var outs []state.Outcome
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(lines), simulate.Options{
		Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	store := sum.Store.(*state.Memory)
	sent := map[string]time.Time{}
	for _, a := range store.Outbox() {
		sent[a.Member] = a.At
		// The member's zone decides when, not how the time is written:
		// outcome files and outbox listings are in UTC like every event.
		if a.At.Location() != time.UTC {
			t.Errorf("%s's send is at %s, not in UTC", a.Member, a.At.Format(time.RFC3339))
		}
	}
	for _, o := range outs {
		if o.At.Location() != time.UTC {
			t.Errorf("outcome %s %s of %s at %s, not in UTC", o.Kind, o.Change, o.Member, o.At.Format(time.RFC3339))
		}
	}
	want := map[string]string{
		"berlin": "2026-10-25T07:00:00Z", // 08:00 CET after the change, not 06:00
		"tokyo":  "2026-10-24T23:00:00Z",
		"utc":    "2026-10-24T12:00:00Z",
	}
	for who, w := range want {
		if got := sent[who].UTC().Format(time.RFC3339); got != w {
			t.Errorf("%s sent at %s; want %s", who, got, w)
		}
	}
}

func TestFrequencyCapDefersOrSkips(t *testing.T) {
	for _, policy := range []string{"defer", "skip"} {
		t.Run(policy, func(t *testing.T) {
			cfg := load(t, templates+fmt.Sprintf(`
campaign "c" {
  enter_on      = "checkin"
  frequency_cap = "2/24h"
  on_cap        = %q
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "b" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "c" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`, policy))
			stream := ev("c1", "checkin", "u", 0, 9, "") + ev("x", "checkin", "other", 3, 9, "")
			sum, _, _ := run(t, cfg, stream)
			var times []string
			for _, a := range sum.Store.(*state.Memory).Outbox() {
				if a.Member == "u" {
					times = append(times, a.Step+"@"+a.At.Format("01-02T15"))
				}
			}
			want := "a@01-01T09 b@01-01T09 c@01-02T09" // the third waits 24h
			if policy == "skip" {
				want = "a@01-01T09 b@01-01T09"
			}
			if strings.Join(times, " ") != want {
				t.Errorf("sends %v; want %s", times, want)
			}
		})
	}
}

func TestSplitRatioAndStability(t *testing.T) {
	// Variant b emails, which goes through an email platform (validate
	// refuses email through the local one).
	cfg := loadEmail(t, `
campaign "ab" {
  enter_on = "member.joined"
  step "split" {
    split {
      variant "a" {
        weight = 30
        goto   = "send_a"
      }
      variant "b" {
        weight = 70
        goto   = "send_b"
      }
    }
  }
  step "send_a" {
    send {
      channel  = "dm"
      template = template.hi
    }
    goto = "exit"
  }
  step "send_b" {
    send {
      channel  = "webhook"
      template = template.hi
      platform = platform.email.news
    }
  }
}
`)
	var s strings.Builder
	const n = 5000
	for i := range n {
		s.WriteString(ev(fmt.Sprintf("j%d", i), "member.joined", fmt.Sprintf("m%d", i), 0, 9, ""))
	}
	sum, _, m := run(t, cfg, s.String())
	a, b := sum.Sends["send.dm"], sum.Sends["send.webhook"]
	if a+b != n {
		t.Fatalf("%d + %d sends for %d members", a, b, n)
	}
	// 30% of 5000 is 1500; three standard deviations is about 97.
	if ratio := float64(a) / n; math.Abs(ratio-0.30) > 0.02 {
		t.Errorf("variant a got %.3f of members; want 0.30 ± 0.02", ratio)
	}
	if m["m42"].Campaigns["ab"].Variant == "" {
		t.Error("variant not recorded")
	}
	// The same member gets the same variant in another run.
	_, _, again := run(t, cfg, s.String())
	for i := range 50 {
		id := fmt.Sprintf("m%d", i)
		if again[id].Campaigns["ab"].Variant != m[id].Campaigns["ab"].Variant {
			t.Fatalf("%s changed variant between runs", id)
		}
	}
}

// A pinned variant (hearth test's member block) goes the way the split
// would have sent it, recorded and counted as the split's own choice; a
// member without a pin, or with one naming no variant, gets the hash's.
func TestPinnedVariant(t *testing.T) {
	cfg := load(t, templates+`
campaign "ab" {
  enter_on = "member.joined"
  step "split" {
    split {
      variant "a" {
        weight = 1
        goto   = "send_a"
      }
      variant "b" {
        weight = 1
        goto   = "send_b"
      }
    }
  }
  step "send_a" {
    send {
      channel  = "dm"
      template = template.hi
    }
    goto = "exit"
  }
  step "send_b" {
    wait = "1h"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	var s strings.Builder
	const n = 40
	for i := range n {
		s.WriteString(ev(fmt.Sprintf("j%d", i), "member.joined", fmt.Sprintf("m%d", i), 0, 9, ""))
	}
	_, _, hashed := run(t, cfg, s.String())
	// Pin every member to the variant the hash did not give them, but
	// m0 to a variant the split has not, and leave m1 alone.
	pins := map[string]map[string]string{"m0": {"ab": "c"}}
	for i := 2; i < n; i++ {
		id := fmt.Sprintf("m%d", i)
		other := "a"
		if hashed[id].Campaigns["ab"].Variant == "a" {
			other = "b"
		}
		pins[id] = map[string]string{"ab": other}
	}
	var outs []state.Outcome
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(s.String()), simulate.Options{
		Variants: pins,
		Outcome:  func(o state.Outcome) error { outs = append(outs, o); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	pinned := map[string]*state.Member{}
	_ = sum.Store.Members(context.Background(), func(m *state.Member) error { pinned[m.ID] = m; return nil })
	arms := map[string]int{}
	for i := range n {
		id := fmt.Sprintf("m%d", i)
		want := hashed[id].Campaigns["ab"].Variant
		if p, ok := pins[id]; ok && p["ab"] != "c" {
			want = p["ab"]
		}
		run := pinned[id].Campaigns["ab"]
		if run.Variant != want {
			t.Errorf("%s got variant %q; want %q", id, run.Variant, want)
		}
		// The variant's goto was taken: a waits on nothing and is done,
		// b waits an hour before its send.
		if active := run.Active(); active != (want == "b") {
			t.Errorf("%s (variant %s): run active %v", id, want, active)
		}
		arms[want]++
	}
	for v, count := range arms {
		if f := sum.Campaigns["ab"].Arms[v]; f == nil || f.Entered != count {
			t.Errorf("arm %s: funnel %+v; want %d entered", v, f, count)
		}
	}
	variants := 0
	for _, o := range outs {
		if o.Change == "variant" {
			variants++
		}
	}
	if variants != n {
		t.Errorf("%d variant outcomes; want one per member, %d", variants, n)
	}
}

func TestReentryAndAudience(t *testing.T) {
	cfg := load(t, templates+`
segment "quiet" {
  when = "member.days_since_active >= 10 && member.messages > 0"
}
campaign "winback" {
  audience      = segment.quiet
  reentry       = "after"
  reentry_after = "5d"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "wait" {
    wait = "30d"
  }
}
`)
	// Active on day 0: quiet from day 10, enrolled; active again on day 12:
	// leaves the segment, so the run ends (exit_on_leave); quiet again on
	// day 22 and 10 days after the exit, so enrolled a second time.
	stream := ev("m1", "message.posted", "u", 0, 9, "") +
		ev("m2", "message.posted", "u", 12, 9, "") +
		ev("x", "checkin", "other", 30, 9, "")
	_, outs, m := run(t, cfg, stream)
	var got []string
	for _, o := range outs {
		if o.Member == "u" && o.Kind == state.KindCampaign {
			got = append(got, fmt.Sprintf("%s %s %s", o.Change, o.At.Format("01-02"), o.Detail))
		}
	}
	want := "enter 01-11 run 1|exit 01-13 left|enter 01-23 run 2"
	if strings.Join(got, "|") != want {
		t.Errorf("runs %q\nwant %q", strings.Join(got, "|"), want)
	}
	if m["u"].Campaigns["winback"].Runs != 2 {
		t.Errorf("runs = %d", m["u"].Campaigns["winback"].Runs)
	}
}

// A 30-day onboarding for 10,000 members on a simulated clock: every
// member gets each step once, at the right time, in one quick replay.
func TestOnboardingTenThousandMembers(t *testing.T) {
	cfg := load(t, templates+`
campaign "onboarding" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "d0" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "d3" {
    wait = "3d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "d10" {
    wait = "7d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "d30" {
    wait = "20d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	var s strings.Builder
	const n = 10000
	for i := range n {
		s.WriteString(ev(fmt.Sprintf("j%d", i), "member.joined", fmt.Sprintf("m%05d", i), i%5, 9, ""))
	}
	// Every tenth member posts on day 5 and leaves after two sends.
	for i := 0; i < n; i += 10 {
		s.WriteString(ev(fmt.Sprintf("p%d", i), "message.posted", fmt.Sprintf("m%05d", i), 5, 12, ""))
	}
	s.WriteString(ev("end", "checkin", "clock", 40, 0, ""))
	sum, _, _ := run(t, cfg, s.String())
	if want := n*4 - (n/10)*2; sum.Sends["send.dm"] != want {
		t.Errorf("sends = %d; want %d", sum.Sends["send.dm"], want)
	}
	keys := map[string]bool{}
	for _, a := range sum.Store.(*state.Memory).Outbox() {
		if keys[a.Key] {
			t.Fatalf("idempotency key %s used twice", a.Key)
		}
		keys[a.Key] = true
		if a.Step == "d30" {
			joined := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, 0)
			if d := a.At.Sub(joined); d < 30*24*time.Hour || d > 35*24*time.Hour {
				t.Fatalf("d30 sent %s after day 0", d)
			}
		}
	}
}

// Timers are stored: a step that fell due while nothing ran executes once
// when the next run starts, and the outbox holds each send once.
func TestTimersSurviveRestart(t *testing.T) {
	cfg := load(t, templates+`
campaign "c" {
  enter_on = "member.joined"
  step "now" {
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
`)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	replay := func(stream string) *simulate.Summary {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sum, err := simulate.Run(ctx, cfg, strings.NewReader(stream), simulate.Options{Store: s})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	first := replay(ev("j", "member.joined", "u", 0, 9, ""))
	if first.Sends["send.dm"] != 1 {
		t.Fatalf("first run sends %v", first.Sends)
	}
	// "Restart" five days later: the 2-day step is overdue and runs once.
	second := replay(ev("x", "checkin", "other", 5, 9, ""))
	if second.Sends["send.dm"] != 1 {
		t.Fatalf("after restart sends %v; want the overdue step once", second.Sends)
	}
	third := replay(ev("x", "checkin", "other", 5, 9, "") + ev("y", "checkin", "other", 9, 9, ""))
	if third.Sends["send.dm"] != 0 {
		t.Fatalf("sent again: %v", third.Sends)
	}
}

// Removing a campaign from the configuration stops the runs in it.
func TestRemovedCampaignStopsRuns(t *testing.T) {
	with := load(t, templates+`
campaign "c" {
  enter_on = "member.joined"
  step "a" {
    wait = "10d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	without := load(t, templates)
	store := state.NewMemory()
	ctx := context.Background()
	if _, err := simulate.Run(ctx, with, strings.NewReader(ev("j", "member.joined", "u", 0, 9, "")), simulate.Options{Store: store}); err != nil {
		t.Fatal(err)
	}
	var outs []state.Outcome
	sum, err := simulate.Run(ctx, without, strings.NewReader(ev("m", "message.posted", "u", 1, 9, "")+ev("x", "checkin", "z", 20, 9, "")),
		simulate.Options{Store: store, Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	got := campaignOutcomes(outs, "u")
	if len(got) != 1 || got[0] != "01-02T09:00 exit stopped" || sum.Sends["send.dm"] != 0 {
		t.Errorf("outcomes %q sends %v", got, sum.Sends)
	}
}

func TestWelcomeMessageGoesToTheFirstChannel(t *testing.T) {
	dir := t.TempDir()
	src := `
platform "local" "main" {}
community "c" {
  title           = "C"
  platform        = platform.local.main
  welcome_message = "Welcome! Say hi."
  channel "general" {
    position = 2
  }
  channel "welcome" {
    position = 1
  }
}
`
	cfg := loadDir(t, dir, src)
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(ev("j", "member.joined", "u", 0, 9, "")+ev("m", "message.posted", "u", 0, 10, "")), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := sum.Store.(*state.Memory).Outbox()
	if len(out) != 1 || out[0].Target != "welcome" || out[0].Text != "Welcome! Say hi." || out[0].Kind != "send.channel" {
		t.Errorf("outbox %+v", out)
	}
}

// A member who leaves the community leaves its campaigns: nothing more is
// sent to someone the platform no longer has, and they are in no segment
// their rules would put them in afterwards (lurkers), so the campaign of
// that segment does not take them in.
func TestLeavingTheCommunityEndsCampaigns(t *testing.T) {
	cfg := load(t, templates+lurkers+`
campaign "onboarding" {
  enter_on = "member.joined"
  step "welcome" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "nudge" {
    wait = "3d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
campaign "winback" {
  audience = segment.lurkers
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	// ann leaves on day 1; bob stays, and neither posts.
	stream := ev("j1", "member.joined", "ann", 0, 9, "") +
		ev("j2", "member.joined", "bob", 0, 9, "") +
		ev("l1", "member.left", "ann", 1, 9, "") +
		ev("x", "checkin", "zed", 10, 9, "")
	_, outs, m := run(t, cfg, stream)
	want := []string{
		"01-01T09:00 enter run 1",
		"01-01T09:00 queue campaign/onboarding/ann/1/1/welcome",
		"01-02T09:00 exit left",
	}
	if got := campaignOutcomes(outs, "ann"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ann:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if run := m["ann"].Campaigns["onboarding"]; run.Reason != "left" || run.Seq != 1 {
		t.Errorf("ann's onboarding %+v; want ended left after one send", run)
	}
	if len(m["ann"].Segments) != 0 {
		t.Errorf("ann, gone, is in segments %v; members who left are in none", m["ann"].Segments)
	}
	if m["ann"].Campaigns["winback"] != nil {
		t.Errorf("ann, gone, entered winback: %+v", m["ann"].Campaigns["winback"])
	}
	if run := m["bob"].Campaigns["onboarding"]; run.Reason != "finished" || run.Seq != 2 {
		t.Errorf("bob's onboarding %+v; want finished with two sends", run)
	}
	if run := m["bob"].Campaigns["winback"]; run == nil || run.Seq != 1 {
		t.Errorf("bob's winback %+v; want one send", run)
	}
}

// Editing a live campaign keeps its waiting members on the step they were
// on: a step added before it does not send them a message they already
// had, and a removed step hands its members to the one now in its place.
func TestReloadKeepsRunsOnTheirStep(t *testing.T) {
	step := func(name, wait string) string {
		return fmt.Sprintf(`
  step %q {
    wait = %q
    send {
      channel  = "dm"
      template = template.hi
    }
  }`, name, wait)
	}
	campaign := func(steps ...string) *config.Config {
		var moved string
		if len(steps) > 0 && strings.HasPrefix(steps[0], "moved") {
			moved, steps = steps[0], steps[1:]
		}
		return load(t, templates+moved+`
campaign "c" {
  enter_on = "member.joined"`+strings.Join(steps, "")+`
}
`)
	}
	// u joins, gets "first" and waits at "second".
	before := campaign(step("first", "0s"), step("second", "2d"), step("third", "2d"))
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  *config.Config
		want string
	}{
		{"added before", campaign(step("intro", "0s"), step("first", "0s"), step("second", "2d"), step("third", "2d")), "second third"},
		{"removed", campaign(step("first", "0s"), step("third", "2d")), "third"},
		// Renamed with a moved block, a step added before it too: u is on
		// the new step, with its wait, and is sent it (simulate and
		// replay, as the daemon), not the step now at its index.
		{"moved", campaign("moved {\n  from = campaign.c.step.second\n  to   = campaign.c.step.deuxieme\n}\n", step("intro", "0s"), step("first", "0s"), step("deuxieme", "2d"), step("third", "2d")), "deuxieme third"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := state.NewMemory()
			if _, err := simulate.Run(ctx, before, strings.NewReader(ev("j", "member.joined", "u", 0, 9, "")), simulate.Options{Store: store}); err != nil {
				t.Fatal(err)
			}
			var sent []string
			_, err := simulate.Run(ctx, tc.cfg, strings.NewReader(ev("x", "checkin", "z", 20, 9, "")), simulate.Options{Store: store, Outcome: func(o state.Outcome) error {
				if o.Kind == state.KindAction && o.Member == "u" {
					sent = append(sent, o.Detail[strings.LastIndex(o.Detail, "/")+1:])
				}
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(sent, " "); got != tc.want {
				t.Errorf("after the reload sent %q; want %q", got, tc.want)
			}
		})
	}
}

// A campaign's frequency cap holds across the member's runs: entering
// again does not bring a fresh allowance.
func TestFrequencyCapSpansReentries(t *testing.T) {
	cfg := load(t, templates+`
campaign "thanks" {
  enter_on      = "checkin"
  reentry       = "always"
  frequency_cap = "1/24h"
  on_cap        = "skip"
  step "thank" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	stream := ev("c1", "checkin", "u", 0, 9, "") + ev("c2", "checkin", "u", 0, 10, "") +
		ev("c3", "checkin", "u", 0, 11, "") + ev("c4", "checkin", "u", 1, 10, "")
	sum, _, m := run(t, cfg, stream)
	var times []string
	for _, a := range sum.Store.(*state.Memory).Outbox() {
		times = append(times, a.At.Format("01-02T15"))
	}
	if got := strings.Join(times, " "); got != "01-01T09 01-02T10" {
		t.Errorf("sent at %s; want one a day (01-01T09 01-02T10)", got)
	}
	if runs := m["u"].Campaigns["thanks"].Runs; runs != 4 {
		t.Errorf("runs %d; want 4", runs)
	}
}

// "wait 1d, at 09:00" is nine o'clock the next day in the member's zone,
// also when the clocks move between: the day is a calendar day there,
// not 24 hours that end at ten and so roll over to the day after. An
// evening arrival gets nine the next morning too, not the morning after
// it (24 hours from the evening are past nine), also on a night the
// clocks change.
func TestTimeOfDayAfterWaitAcrossDaylightSaving(t *testing.T) {
	cfg := load(t, templates+`
campaign "c" {
  enter_on = "checkin"
  step "s" {
    wait = "1d"
    at   = "09:00"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	// New York moves to UTC-4 on 2026-03-08 and back to UTC-5 on 11-01.
	lines := `{"id":"p1","type":"member.profile_updated","member":"spring","at":"2026-03-01T10:00:00Z","attrs":{"timezone":"America/New_York"}}
{"id":"p2","type":"member.profile_updated","member":"autumn","at":"2026-03-01T10:00:00Z","attrs":{"timezone":"America/New_York"}}
{"id":"p3","type":"member.profile_updated","member":"evening","at":"2026-03-01T10:00:00Z","attrs":{"timezone":"America/New_York"}}
{"id":"p4","type":"member.profile_updated","member":"springnight","at":"2026-03-01T10:00:00Z","attrs":{"timezone":"America/New_York"}}
{"id":"p5","type":"member.profile_updated","member":"autumnnight","at":"2026-03-01T10:00:00Z","attrs":{"timezone":"America/New_York"}}
{"id":"c1","type":"checkin","member":"spring","at":"2026-03-07T14:00:00Z"}
{"id":"c5","type":"checkin","member":"springnight","at":"2026-03-08T01:00:00Z"}
{"id":"c3","type":"checkin","member":"evening","at":"2026-05-11T23:00:00Z"}
{"id":"c2","type":"checkin","member":"autumn","at":"2026-10-31T13:00:00Z"}
{"id":"c6","type":"checkin","member":"autumnnight","at":"2026-11-01T01:00:00Z"}
{"id":"x","type":"checkin","member":"late","at":"2026-11-10T00:00:00Z"}
`
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(lines), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]string{}
	for _, a := range sum.Store.(*state.Memory).Outbox() {
		sent[a.Member] = a.At.UTC().Format(time.RFC3339)
	}
	want := map[string]string{
		"spring": "2026-03-08T13:00:00Z", // 09:00 EDT, the next day
		"autumn": "2026-11-01T14:00:00Z", // 09:00 EST, the next day
		// 19:00 EDT on 11 May: nine on 12 May, not on 13 May.
		"evening": "2026-05-12T13:00:00Z",
		// 20:00 EST on the night the clocks go forward, 21:00 EDT the
		// night they go back: nine the next morning either way.
		"springnight": "2026-03-08T13:00:00Z",
		"autumnnight": "2026-11-01T14:00:00Z",
	}
	for who, w := range want {
		if sent[who] != w {
			t.Errorf("%s sent at %s; want %s", who, sent[who], w)
		}
	}
}

// A wait_until that held is done, even when its step's message is then
// deferred by the quiet hours: in the morning the message goes, without
// asking the rule again (it may no longer hold) or timing out meanwhile.
func TestWaitUntilMetBeforeQuietHoursDefer(t *testing.T) {
	cfg := load(t, templates+`
campaign "c" {
  enter_on = "member.joined"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "thanks" {
    wait_until = "count('reaction.added', '1d') > 0"
    timeout    = "5h"
    on_timeout = "exit"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	// Joined at 21:00, reacted at 23:00 (inside the quiet hours, before
	// the 02:00 deadline); by 08:00 the reaction is yesterday's.
	stream := ev("j", "member.joined", "u", 0, 21, "") + ev("r", "reaction.added", "u", 0, 23, "") +
		ev("x", "checkin", "z", 3, 9, "")
	_, outs, m := run(t, cfg, stream)
	want := []string{
		"01-01T21:00 enter run 1",
		"01-01T23:00 defer thanks: quiet hours until 2026-01-02T08:00:00Z",
		"01-02T08:00 queue campaign/c/u/1/1/thanks",
		"01-02T08:00 exit finished",
	}
	if got := campaignOutcomes(outs, "u"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outcomes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if run := m["u"].Campaigns["c"]; run.WaitMet || run.Reason != "finished" {
		t.Errorf("run %+v", run)
	}
}

// Changing a step's wait moves no run already waiting on it: the run
// keeps the time worked out when it reached the step, and only runs
// reaching the step after the change wait the new time (README, Editing
// a running campaign).
func TestChangedWaitKeepsTheWaitingRunsTime(t *testing.T) {
	campaign := func(wait string) *config.Config {
		return load(t, templates+`
campaign "c" {
  enter_on = "member.joined"
  step "later" {
    wait = "`+wait+`"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	}
	store := state.NewMemory()
	ctx := context.Background()
	if _, err := simulate.Run(ctx, campaign("10d"), strings.NewReader(ev("j1", "member.joined", "ann", 0, 9, "")), simulate.Options{Store: store}); err != nil {
		t.Fatal(err)
	}
	var outs []state.Outcome
	stream := ev("j2", "member.joined", "bob", 1, 9, "") + ev("c1", "checkin", "ann", 5, 9, "") + ev("x", "checkin", "zed", 20, 9, "")
	if _, err := simulate.Run(ctx, campaign("2d"), strings.NewReader(stream), simulate.Options{Store: store, Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil }}); err != nil {
		t.Fatal(err)
	}
	queued := func(member string) []string {
		var got []string
		for _, line := range campaignOutcomes(outs, member) {
			if strings.Contains(line, " queue ") {
				got = append(got, line)
			}
		}
		return got
	}
	if got, want := queued("ann"), "01-11T09:00 queue campaign/c/ann/1/1/later"; len(got) != 1 || got[0] != want {
		t.Errorf("ann, waiting when the wait changed: %q; want %q (the old 10d)", got, want)
	}
	if got, want := queued("bob"), "01-04T09:00 queue campaign/c/bob/1/1/later"; len(got) != 1 || got[0] != want {
		t.Errorf("bob, entered after the change: %q; want %q (the new 2d)", got, want)
	}
}

// A wait_until is checked against the rule in force: an edited threshold
// applies to a run already waiting, at its next check.
func TestChangedWaitUntilAppliesToWaitingRuns(t *testing.T) {
	campaign := func(days string) *config.Config {
		return load(t, templates+`
campaign "c" {
  enter_on = "member.joined"
  step "later" {
    wait_until = "member.days_since_joined >= `+days+`"
    timeout    = "30d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	}
	store := state.NewMemory()
	ctx := context.Background()
	if _, err := simulate.Run(ctx, campaign("10"), strings.NewReader(ev("j1", "member.joined", "ann", 0, 9, "")), simulate.Options{Store: store}); err != nil {
		t.Fatal(err)
	}
	var outs []state.Outcome
	if _, err := simulate.Run(ctx, campaign("2"), strings.NewReader(ev("c1", "checkin", "ann", 3, 9, "")), simulate.Options{Store: store, Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil }}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range campaignOutcomes(outs, "ann") {
		if strings.Contains(line, " queue ") {
			got = append(got, line)
		}
	}
	if want := "01-04T09:00 queue campaign/c/ann/1/1/later"; len(got) != 1 || got[0] != want {
		t.Errorf("ann: %q; want %q (the edited rule, at her next event)", got, want)
	}
}

// A template reads the time of its send as now, by event time: an
// audience campaign, which has no entering event, shows on the member's
// clock when its step came due, the end of the quiet hours that held it.
func TestTemplateNowIsTheSendTime(t *testing.T) {
	cfg := load(t, `
template "when" {
  text = { en = "Sent ${localdate("EEE D MMM hh:mm", now)}" }
}
segment "posters" {
  when = "member.messages > 0"
}
campaign "hello" {
  audience = segment.posters
  quiet_hours {
    from = "20:00"
    to   = "08:00"
  }
  step "hi" {
    wait = "1d"
    send {
      channel  = "dm"
      template = template.when
    }
  }
}
`)
	// Tokyo is UTC+9: posting at 12:00 UTC (21:00 there), the step is due
	// at 21:00 the next day there, held until 08:00, 23:00 UTC.
	stream := ev("j1", "member.joined", "kai", 0, 11, `{"timezone":"Asia/Tokyo"}`) +
		ev("m1", "message.posted", "kai", 0, 12, "") +
		ev("x", "checkin", "other", 3, 9, "")
	sum, _, _ := run(t, cfg, stream)
	var texts []string
	for _, a := range sum.Store.(*state.Memory).Outbox() {
		if a.Member == "kai" {
			texts = append(texts, a.At.UTC().Format("01-02T15:04")+" "+a.Text)
		}
	}
	if want := []string{"01-02T23:00 Sent Sat 3 Jan 08:00"}; !slices.Equal(texts, want) {
		t.Errorf("sends %q; want %q", texts, want)
	}
}
