package runtime_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// optOut is an incentive recording an unsubscribe on the member, as the
// email-campaign example does.
const optOut = `
incentive "opt_out" {
  on = "email.unsubscribed"
  grant {
    set = { email = "opted_out" }
  }
}
`

// stop_when ends the run as exited, not a goal, at the unsubscribe: the
// next step's message is never sent, and the funnel counts no success.
func TestStopWhenEndsTheRunAsExitedBeforeTheNextSend(t *testing.T) {
	cfg := load(t, templates+optOut+`
campaign "welcome" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  stop_when = "member.attrs.email == 'opted_out'"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "nudge" {
    wait = "2d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	stream := ev("j1", "member.joined", "ann", 0, 9, "") +
		ev("j2", "member.joined", "bob", 0, 9, "") +
		ev("u1", "email.unsubscribed", "ann", 1, 9, "") +
		ev("m1", "message.posted", "bob", 1, 10, "") +
		ev("x", "checkin", "zed", 10, 0, "")
	sum, outs, m := run(t, cfg, stream)
	want := []string{
		"01-01T09:00 enter run 1",
		"01-01T09:00 queue campaign/welcome/ann/1/1/hello",
		"01-02T09:00 exit exited",
	}
	if got := campaignOutcomes(outs, "ann"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ann:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if run := m["ann"].Campaigns["welcome"]; run.Active() || run.Reason != "exited" {
		t.Errorf("ann's run %+v; want ended as exited", run)
	}
	if run := m["bob"].Campaigns["welcome"]; run.Reason != "goal" {
		t.Errorf("bob's run %+v; want the goal", run)
	}
	if f := sum.Campaigns["welcome"]; f.Goal != 1 || f.Exited != 1 || f.Finished != 0 {
		t.Errorf("funnel %+v; want 1 goal and 1 exited apart", f)
	}
}

// When stop_when and exit_when hold at the same check, stop_when wins:
// a member who bought and was refunded at once is not a conversion.
func TestStopWhenWinsOverTheGoal(t *testing.T) {
	cfg := load(t, templates+optOut+`
campaign "trial" {
  enter_on  = "member.joined"
  exit_when = "member.attrs.paid == 'yes'"
  stop_when = "member.attrs.refunded == 'yes'"
  step "hello" {
    wait = "1d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	stream := ev("j1", "member.joined", "ann", 0, 9, "") +
		ev("p1", "member.profile_updated", "ann", 0, 10, `{"paid":"yes","refunded":"yes"}`) +
		ev("j2", "member.joined", "bob", 0, 9, "") +
		ev("p2", "member.profile_updated", "bob", 0, 10, `{"paid":"yes"}`)
	_, _, m := run(t, cfg, stream)
	if r := m["ann"].Campaigns["trial"]; r.Reason != "exited" {
		t.Errorf("ann's run %+v; want exited: stop_when wins over the goal", r)
	}
	if r := m["bob"].Campaigns["trial"]; r.Reason != "goal" {
		t.Errorf("bob's run %+v; want the goal", r)
	}
}

// A stop_when over time ends the run when time alone makes it hold, not
// at the next step's time: the rule's reads schedule a recheck.
func TestStopWhenOverTimeIsRechecked(t *testing.T) {
	cfg := load(t, templates+optOut+`
campaign "slow" {
  enter_on  = "member.joined"
  stop_when = "member.days_since_joined >= 10"
  step "later" {
    wait = "30d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	stream := ev("j1", "member.joined", "ann", 0, 9, "") + ev("x", "checkin", "zed", 40, 0, "")
	_, outs, m := run(t, cfg, stream)
	r := m["ann"].Campaigns["slow"]
	if r.Active() || r.Reason != "exited" {
		t.Fatalf("ann's run %+v; want exited", r)
	}
	if day := r.EndedAt.Sub(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)); day > 11*24*time.Hour {
		t.Errorf("run ended %s after joining; want on the tenth day, when stop_when came to hold", day)
	}
	for _, o := range outs {
		if o.Kind == state.KindAction {
			t.Errorf("sent %+v to a member stop_when holds for", o)
		}
	}
}

// A paused campaign still ends a run stop_when holds for, when it holds,
// so the resume sends nothing to a member who unsubscribed meanwhile.
func TestStopWhenEndsRunsOfAPausedCampaign(t *testing.T) {
	src := func(paused bool) string {
		return fmt.Sprintf(templates+optOut+`
campaign "c" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  stop_when = "member.attrs.email == 'opted_out'"
  paused    = %t
  step "later" {
    wait = "2d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}`, paused)
	}
	store, _, at := joinedThenPaused(t, src, "u", "email.unsubscribed")
	m := storedMember(t, store, "ann")
	if run := m.Campaigns["c"]; run.Active() || run.Reason != "exited" || !run.EndedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("run %+v; want exited at the unsubscribe", run)
	}
}

// In a win-back, coming back is the goal, unless stop_when holds then;
// and stop_when ends the run while the member is away.
func TestStopWhenInAWinBack(t *testing.T) {
	cfg := loadEmail(t, optOut+`
campaign "winback" {
  members   = "left"
  enter_on  = "member.left"
  # The locale stands for anything coming back can change.
  stop_when = "member.attrs.email == 'opted_out' || member.locale == 'fr'"
  step "news" {
    wait = "7d"
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
		ev("u1", "email.unsubscribed", "ann", 2, 9, "") +
		ev("j2", "member.joined", "bob", 0, 9, "") +
		ev("l2", "member.left", "bob", 1, 9, "") +
		ev("k2", "member.joined", "bob", 2, 9, "") +
		ev("j3", "member.joined", "cyd", 0, 9, "") +
		ev("l3", "member.left", "cyd", 1, 9, "") +
		ev("k3", "member.joined", "cyd", 2, 9, `{"locale":"fr"}`) +
		ev("x", "checkin", "zed", 20, 0, "")
	_, outs, m := run(t, cfg, stream)
	if r := m["ann"].Campaigns["winback"]; r.Reason != "exited" || !r.EndedAt.Equal(time.Date(2026, 1, 3, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("ann's run %+v; want exited at the unsubscribe", r)
	}
	if r := m["bob"].Campaigns["winback"]; r.Reason != "goal" {
		t.Errorf("bob's run %+v; want the goal: he came back", r)
	}
	if r := m["cyd"].Campaigns["winback"]; r.Reason != "exited" {
		t.Errorf("cyd's run %+v; want exited: stop_when held as she came back, and wins over the goal", r)
	}
	for _, o := range outs {
		if o.Kind == state.KindAction {
			t.Errorf("sent %+v", o)
		}
	}
}
