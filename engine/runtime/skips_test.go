package runtime_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// backCampaigns are a win-back and a campaign for all members, both by
// email, whose sends may be decided while the member is away.
const backCampaigns = `
campaign "winback" {
  enter_on = "member.left"
  members  = "left"
  step "hello" {
    send {
      channel  = "email"
      template = template.hi
      platform = platform.email.news
    }
  }
  step "again" {
    wait = "7d"
    send {
      channel  = "email"
      template = template.hi
      platform = platform.email.news
    }
  }
}

campaign "all" {
  enter_on = "member.joined"
  members  = "all"
  step "ping" {
    wait = "2h"
    send {
      channel  = "email"
      template = template.hi
      platform = platform.email.news
    }
  }
  step "later" {
    wait = "1d"
    send {
      channel  = "email"
      template = template.hi
      platform = platform.email.news
    }
  }
}
`

// member why tells of a send decided while the member was away and
// skipped because they came back before it went: queued and not
// delivered yet, it will be skipped at delivery; once the outbox skipped
// it, it was. A member still away gets it; a step the run is on sends to
// a member who is back, and is not said to be skipped.
func TestSkipsCameBack(t *testing.T) {
	cfg := loadEmail(t, backCampaigns)
	join := func(id, who string) string {
		return `{"id":"` + id + `","type":"member.joined","member":{"id":"` + who + `","identities":{"email":"` + who + `@example.org"}},"at":"2026-01-01T09:00:00Z"}` + "\n"
	}
	// ann and bob leave at 10:00, are sent for (the win-back at once, the
	// campaign for all at 11:00), and come back at 12:00; cy stays away.
	sum, _, members := run(t, cfg, join("j1", "ann")+join("j2", "bob")+join("j3", "cy")+
		ev("l1", "member.left", "ann", 0, 10, "")+ev("l2", "member.left", "bob", 0, 10, "")+ev("l3", "member.left", "cy", 0, 10, "")+
		ev("r1", "member.joined", "ann", 0, 12, "")+ev("r2", "member.joined", "bob", 0, 12, ""))
	rt := runtime.New(cfg, nil)
	outbox := func(who string) []state.OutboxEntry {
		t.Helper()
		sends, err := sum.Store.(state.Eraser).MemberOutbox(context.Background(), who)
		if err != nil {
			t.Fatal(err)
		}
		// The sandbox delivers what it queues; a daemon's outbox may
		// not have yet: the sends are taken as still waiting.
		for i := range sends {
			sends[i].Status, sends[i].LastError, sends[i].FinishedAt = state.OutboxPending, "", time.Time{}
		}
		return sends
	}
	want := func(run, step string) runtime.Skip {
		return runtime.Skip{Run: run, Step: step, Reason: runtime.SkipBack, Queued: true, Expected: true}
	}
	for _, c := range []struct {
		who, addr string
		want      []runtime.Skip
	}{
		{"ann", "campaign.winback", []runtime.Skip{want("winback", "hello")}},
		{"ann", "campaign.all", []runtime.Skip{want("all", "ping")}},
		// bob's run goes on to later, whose send reaches him: only the
		// queued one is skipped.
		{"bob", "campaign.all", []runtime.Skip{want("all", "ping")}},
		{"cy", "campaign.winback", nil},
		{"cy", "campaign.all", nil},
	} {
		got := rt.Skips(members[c.who], c.addr, nil, outbox(c.who))
		if !slices.Equal(got, c.want) {
			t.Errorf("%s %s: skips %+v; want %+v", c.who, c.addr, got, c.want)
		}
	}
	if run := members["ann"].Campaigns["winback"]; run == nil || run.Reason != "goal" {
		t.Fatalf("ann's win-back run: %+v; want it ended at its goal", run)
	}

	// The outbox skipped ann's at delivery: it was skipped, then.
	at := time.Date(2026, 1, 1, 12, 5, 0, 0, time.UTC)
	sends := outbox("ann")
	for i := range sends {
		if sends[i].Campaign == "winback" {
			sends[i].Status, sends[i].LastError, sends[i].FinishedAt = state.OutboxSkipped, state.OutboxSkippedBack, at
		}
	}
	got := rt.Skips(members["ann"], "campaign.winback", nil, sends)
	if w := (runtime.Skip{Run: "winback", Step: "hello", Reason: runtime.SkipBack, At: at, Queued: true}); len(got) != 1 || got[0] != w {
		t.Errorf("skipped at delivery: %+v; want %+v", got, w)
	}
	// One sent, or gone to the dead letters, is no skip.
	for _, status := range []string{state.OutboxSent, state.OutboxDead} {
		sends[0].Status, sends[0].LastError = status, ""
		if got := rt.Skips(members["ann"], "campaign.winback", nil, sends[:1]); got != nil {
			t.Errorf("%s: skips %+v", status, got)
		}
	}
}

// A pending send the outbox will skip for another reason is forecast
// the same way: the member left since it was queued, or unsubscribed
// from its platform; a transactional email to that member goes.
func TestSkipsQueuedForecast(t *testing.T) {
	cfg := loadEmail(t, backCampaigns)
	rt := runtime.New(cfg, nil)
	t0 := time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC)
	run := &state.CampaignRun{Status: "active", Step: 1, StepName: "later", StepAt: t0, Due: t0.Add(24 * time.Hour), EnteredAt: t0.Add(-2 * time.Hour), Runs: 1}
	entry := func(transactional bool) state.OutboxEntry {
		return state.OutboxEntry{Status: state.OutboxPending, Action: state.Action{Key: "k", Kind: "send.email", Member: "m", At: t0, Platform: "platform.email.news", Campaign: "all", Step: "ping", Transactional: transactional}}
	}
	left := &state.Member{ID: "m", Left: true, Campaigns: map[string]*state.CampaignRun{"all": run}}
	got := rt.Skips(left, "campaign.all", nil, []state.OutboxEntry{entry(false)})
	if w := (runtime.Skip{Run: "all", Step: "ping", Reason: runtime.SkipLeft, Queued: true, Expected: true}); len(got) != 1 || got[0] != w {
		t.Errorf("left: %+v; want %+v", got, w)
	}
	unsub := &state.Member{ID: "m", Unsubscribed: map[string]time.Time{"email.news": t0}, Campaigns: map[string]*state.CampaignRun{"all": run}}
	got = rt.Skips(unsub, "campaign.all", nil, []state.OutboxEntry{entry(false)})
	// The step the run is on will skip its own email, too.
	if len(got) != 2 || got[0] != (runtime.Skip{Run: "all", Step: "ping", Reason: runtime.SkipUnsubscribed, From: "email.news", Queued: true, Expected: true}) ||
		got[1] != (runtime.Skip{Run: "all", Step: "later", Reason: runtime.SkipUnsubscribed, From: "email.news", Expected: true}) {
		t.Errorf("unsubscribed: %+v", got)
	}
	if got := rt.Skips(unsub, "campaign.all", nil, []state.OutboxEntry{entry(true)}); len(got) != 1 || got[0].Step != "later" {
		t.Errorf("a transactional email queued: %+v; want only the step's to be skipped", got)
	}
}

// A win-back run still active for a member who came back (stored before
// the runtime moved it) ends at its goal rather than make its step's
// send: nothing will be skipped or held, whatever the member unsubscribed
// from.
func TestSkipsWinBackRunOfMemberBack(t *testing.T) {
	cfg := loadEmail(t, backCampaigns)
	rt := runtime.New(cfg, nil)
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	m := &state.Member{ID: "m", Unsubscribed: map[string]time.Time{"email.news": t0},
		Campaigns: map[string]*state.CampaignRun{"winback": {Status: "active", Step: 1, StepName: "again", StepAt: t0, Due: t0.Add(7 * 24 * time.Hour), EnteredAt: t0, Runs: 1}}}
	if got := rt.Skips(m, "campaign.winback", nil, nil); got != nil {
		t.Errorf("skips %+v; want none: the run ends", got)
	}
	if got := rt.Holds(m, "campaign.winback", t0); got != nil {
		t.Errorf("holds %+v; want none: the run ends", got)
	}
	// Away, the same run's email will be skipped: she unsubscribed.
	m.Left = true
	if got := rt.Skips(m, "campaign.winback", nil, nil); len(got) != 1 || got[0].Reason != runtime.SkipUnsubscribed || !got[0].Expected {
		t.Errorf("away: skips %+v; want the step's email to be skipped", got)
	}
}

// member why answers of a campaign removed from the configuration for a
// member whose document still holds its runs, kept keys or dropped runs:
// no rules, and CampaignRemoved says why. What its sends met is still
// told. Of a campaign the member has nothing of, it says there is none.
func TestWhyRemovedCampaign(t *testing.T) {
	cfg := loadEmail(t, backCampaigns)
	rt := runtime.New(cfg, nil)
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	m := &state.Member{ID: "m", Left: true,
		Campaigns: map[string]*state.CampaignRun{
			"old":      {Status: "active", StepName: "greet", StepAt: t0, Due: t0.Add(time.Hour), EnteredAt: t0, Runs: 1},
			"meet[k1]": {Status: "done", Reason: "finished", StepAt: t0, EnteredAt: t0, EndedAt: t0, Runs: 1, Key: "k1"},
			"winback":  {Status: "done", Reason: "finished", StepAt: t0, EnteredAt: t0, EndedAt: t0, Runs: 1},
		},
		KeysEnded:   map[string][]state.EndedKey{"once": {{Key: "a", At: t0, Reason: "finished"}}},
		RunsDropped: map[string]int{"gone": 3},
	}
	for _, addr := range []string{"campaign.old", "campaign.meet", "campaign.meet[k1]", "campaign.once", "campaign.gone", "campaign.gone[x]"} {
		ex, err := rt.Why(m, addr, t0)
		if err != nil || ex != nil {
			t.Errorf("%s: %v, %v; want no rules and no error", addr, ex, err)
		}
		if !rt.CampaignRemoved(addr) {
			t.Errorf("%s: not said to be removed", addr)
		}
	}
	if _, err := rt.Why(m, "campaign.never", t0); err == nil {
		t.Error("campaign.never, of which the member has nothing: no error")
	}
	for _, addr := range []string{"campaign.winback", "campaign.all", "segment.x"} {
		if rt.CampaignRemoved(addr) {
			t.Errorf("%s: said to be a removed campaign", addr)
		}
	}
	sends := []state.OutboxEntry{{Status: state.OutboxSkipped, LastError: state.OutboxSkippedLeft, FinishedAt: t0.Add(time.Minute),
		Action: state.Action{Key: "k", Kind: "send.dm", Member: "m", At: t0, Campaign: "old", Step: "greet"}}}
	if got := rt.Skips(m, "campaign.old", nil, sends); len(got) != 1 || got[0].Reason != runtime.SkipLeft || got[0].Expected || got[0].Step != "greet" {
		t.Errorf("a removed campaign's skipped send: %+v", got)
	}
}
