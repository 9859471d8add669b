package runtime_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// loadEmail is load with an email platform "news" beside the local one.
func loadEmail(t *testing.T, src string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	src = base + `
platform "email" "news" {
  host = "smtp.example.org"
  from = "news@example.org"
}
` + templates + src
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec(), "email": email.Spec()}})
	if diags.HasErrors() {
		t.Fatalf("config: %s", diags.Error())
	}
	return cfg
}

// A win-back: members who left get an email a week later and another
// two weeks after that, unless they come back, which is the goal.
func TestWinBackCampaignForMembersWhoLeft(t *testing.T) {
	cfg := loadEmail(t, `
campaign "winback" {
  enter_on = "member.left"
  members  = "left"
  step "miss_you" {
    wait = "7d"
    send {
      channel  = "email"
      template = template.hi
      platform = platform.email.news
    }
  }
  step "last_call" {
    wait = "14d"
    # Rules read how long ago the member left, and so do templates.
    when = "member.left && member.days_since_left >= 21"
    send {
      channel  = "email"
      template = template.gone
      platform = platform.email.news
    }
  }
}
template "gone" {
  subject = { en = "We miss you" }
  text    = { en = "Gone ${member.days_since_left} days since ${member.left_at}" }
}
`)
	join := func(id, who string) string {
		return `{"id":"` + id + `","type":"member.joined","member":{"id":"` + who + `","name":"` + who + `","identities":{"email":"` + who + `@example.org"}},"at":"2026-01-01T09:00:00Z"}` + "\n"
	}
	// ann leaves and stays away; bob leaves and comes back before the
	// first email; cy leaves after the first email and comes back.
	stream := join("j1", "ann") + join("j2", "bob") + join("j3", "cy") +
		ev("l1", "member.left", "ann", 1, 9, "") +
		ev("l2", "member.left", "bob", 1, 9, "") +
		ev("l3", "member.left", "cy", 1, 9, "") +
		ev("r2", "member.joined", "bob", 3, 9, "") +
		ev("r3", "member.joined", "cy", 10, 9, "") +
		ev("x", "checkin", "zed", 40, 9, "")
	sum, outs, m := run(t, cfg, stream)
	want := map[string][]string{
		"ann": {"01-02T09:00 enter run 1", "01-09T09:00 queue campaign/winback/ann/1/1/miss_you", "01-23T09:00 queue campaign/winback/ann/1/2/last_call", "01-23T09:00 exit finished"},
		"bob": {"01-02T09:00 enter run 1", "01-04T09:00 exit goal"},
		"cy":  {"01-02T09:00 enter run 1", "01-09T09:00 queue campaign/winback/cy/1/1/miss_you", "01-11T09:00 exit goal"},
	}
	for who, w := range want {
		if got := campaignOutcomes(outs, who); strings.Join(got, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s:\n%s\nwant\n%s", who, strings.Join(got, "\n"), strings.Join(w, "\n"))
		}
	}
	if run := m["bob"].Campaigns["winback"]; run.Reason != "goal" {
		t.Errorf("bob's run ended %q; coming back is the goal", run.Reason)
	}
	if !m["ann"].Left || !m["ann"].LeftAt.Equal(m["cy"].LeftAt) || m["cy"].Left || m["ann"].LeftAt.IsZero() {
		t.Errorf("ann left %v at %v; cy left %v at %v", m["ann"].Left, m["ann"].LeftAt, m["cy"].Left, m["cy"].LeftAt)
	}
	// The emails go to the address, through the email platform.
	ob := sum.Store.(interface{ Outbox() []state.Action }).Outbox()
	var to, text []string
	for _, a := range ob {
		if a.Member == "ann" {
			to = append(to, a.Kind+" "+a.Platform+" "+a.Target)
			text = append(text, a.Text)
		}
	}
	if len(text) != 2 || text[1] != "Gone 21 days since 2026-01-02T09:00:00Z" {
		t.Errorf("ann's texts %q", text)
	}
	if w := "send.email platform.email.news ann@example.org"; len(to) != 2 || to[0] != w || to[1] != w {
		t.Errorf("ann's sends %q; want two emails to her address", to)
	}
	if f := sum.Campaigns["winback"]; f == nil || f.Entered != 3 || f.Goal != 2 || f.Finished != 1 || f.Left != 0 {
		t.Errorf("simulate's funnel %+v; want 3 entered, 2 at the goal (back), 1 finished", f)
	}
}

// A segment over how long ago members left takes them in on its own, at
// the time it starts to hold (a recheck, no event), and its win-back
// campaign with them; members still in the community never enter.
func TestWinBackAudienceOnDaysSinceLeft(t *testing.T) {
	cfg := loadEmail(t, `
segment "lapsed" {
  when = "member.left && member.days_since_left >= 30"
}
campaign "winback" {
  audience = segment.lapsed
  members  = "left"
  step "news" {
    send {
      channel  = "email"
      template = template.hi
      platform = platform.email.news
    }
  }
}
`)
	stream := ev("j1", "member.joined", "ann", 0, 9, "") +
		ev("j2", "member.joined", "bob", 0, 9, "") +
		ev("l1", "member.left", "ann", 2, 15, "") +
		ev("x", "checkin", "zed", 90, 9, "")
	_, outs, m := run(t, cfg, stream)
	want := []string{"02-02T15:00 enter run 1", "02-02T15:00 queue campaign/winback/ann/1/1/news", "02-02T15:00 exit finished"}
	if got := campaignOutcomes(outs, "ann"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ann:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if m["bob"].Campaigns["winback"] != nil {
		t.Errorf("bob, still a member, entered: %+v", m["bob"].Campaigns["winback"])
	}
}

// A member who comes back while in an audience campaign's segment enters
// it again, as reentry allows: their run had ended when they left. One
// who drifted into the segment while away enters on coming back.
func TestComingBackReentersAudienceCampaigns(t *testing.T) {
	for _, tc := range []struct {
		reentry string
		ann     string // ann's runs: entered before leaving
	}{
		{"never", "enter run 1|exit left"},
		{"always", "enter run 1|exit left|enter run 2"},
	} {
		t.Run(tc.reentry, func(t *testing.T) {
			cfg := load(t, templates+lurkers+`
campaign "nudge" {
  audience = segment.lurkers
  reentry  = "`+tc.reentry+`"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "wait" {
    wait = "60d"
  }
}
`)
			// ann is a lurker on day 5, leaves on day 8 and comes back on
			// day 20; bob leaves on day 1, becomes a lurker while away and
			// comes back on day 20.
			stream := annAndBob(ev("l2", "member.left", "bob", 1, 9, "") +
				ev("l1", "member.left", "ann", 8, 9, "") +
				ev("r1", "member.joined", "ann", 20, 9, "") +
				ev("r2", "member.joined", "bob", 20, 9, ""))
			_, outs, m := run(t, cfg, stream)
			runs := func(who string) string {
				return trail(outs, who, state.KindCampaign, func(o state.Outcome) string { return o.Change + " " + o.Detail })
			}
			if got := runs("ann"); got != tc.ann {
				t.Errorf("ann: %q, want %q", got, tc.ann)
			}
			if got := runs("bob"); got != "enter run 1" {
				t.Errorf("bob: %q, want one run, entered on coming back", got)
			}
			if run := m["bob"].Campaigns["nudge"]; run == nil || run.EnteredAt.Day() != 21 || run.Seq != 1 {
				t.Errorf("bob's run %+v; want entered on 01-21 with one send", run)
			}
		})
	}
}

// A campaign for all members goes on when one leaves: a direct message,
// which cannot reach them, is skipped, and a branch on member.left sends
// by email instead; coming back ends nothing.
func TestCampaignForAllMembers(t *testing.T) {
	cfg := loadEmail(t, `
campaign "digest" {
  enter_on = "member.joined"
  members  = "all"
  step "dm" {
    wait = "3d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "route" {
    wait = "3d"
    branch {
      when = "member.left"
      goto = "email"
    }
  }
  step "dm_again" {
    send {
      channel  = "dm"
      template = template.hi
    }
    goto = "exit"
  }
  step "email" {
    send {
      channel  = "email"
      template = template.hi
      platform = platform.email.news
    }
  }
}
`)
	stream := ev("j1", "member.joined", "ann", 0, 9, "") +
		ev("l1", "member.left", "ann", 1, 9, "") +
		ev("x", "checkin", "zed", 20, 9, "")
	_, outs, m := run(t, cfg, stream)
	want := []string{
		"01-01T09:00 enter run 1",
		"01-04T09:00 skip dm: the member has left, and a direct message cannot reach them",
		"01-07T09:00 queue campaign/digest/ann/1/1/email",
		"01-07T09:00 exit finished",
	}
	if got := campaignOutcomes(outs, "ann"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ann:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if run := m["ann"].Campaigns["digest"]; run.Reason != "finished" {
		t.Errorf("ann's run %+v", run)
	}
}

// A member the moderation ladder banned is not asked to come back.
func TestWinBackLeavesBannedMembersAlone(t *testing.T) {
	cfg := loadEmail(t, `
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
campaign "winback" {
  community = community.m
  enter_on  = "member.left"
  members   = "left"
  step "miss_you" {
    send {
      channel  = "email"
      template = template.hi
      platform = platform.email.news
    }
  }
}
`)
	stream := `{"id":"j1","type":"member.joined","member":"ann","community":"m","at":"2026-01-01T09:00:00Z"}` + "\n" +
		`{"id":"j2","type":"member.joined","member":"bob","community":"m","at":"2026-01-01T09:00:00Z"}` + "\n" +
		`{"id":"p1","type":"message.posted","member":"bob","community":"m","at":"2026-01-02T09:00:00Z","attrs":{"text":"buy now"}}` + "\n" +
		`{"id":"l1","type":"member.left","member":"ann","community":"m","at":"2026-01-03T09:00:00Z"}` + "\n" +
		`{"id":"l2","type":"member.left","member":"bob","community":"m","at":"2026-01-03T09:00:00Z","attrs":{"reason":"banned"}}` + "\n"
	_, _, m := run(t, cfg, stream)
	if banned, _ := m["bob"].Moderation.BannedAt(m["bob"].LeftAt); !banned {
		t.Fatal("bob is not banned: the test no longer shows what it is about")
	}
	if m["bob"].Campaigns["winback"] != nil {
		t.Errorf("bob, banned, entered the win-back: %+v", m["bob"].Campaigns["winback"])
	}
	if run := m["ann"].Campaigns["winback"]; run == nil || run.Seq != 1 {
		t.Errorf("ann's run %+v; want one email", run)
	}
}
