package daemon_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
)

const domainMain = `
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
  channel "ops" {}
  moderation "ads" {
    keywords = { en = ["buy now"] }
    action   = "warn"
  }
}
alert "spam" {
  community = community.c
  when      = "community.flagged_1h >= 1"
  notify {
    channel = "channel"
    target  = community.c.channel.ops
  }
}
`

const domainRules = `
segment "posters" {
  when = "member.messages > 0"
}
campaign "welcome" {
  community = community.c
  enter_on  = "member.joined"
  exit_when = "member.messages >= 1"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "later" {
    wait = "30d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
template "hi" {
  text = { en = "Hi" }
}
`

// What the rules did is counted by configured name once committed: a
// member entering a campaign and getting its first message, reaching its
// goal, entering a segment, a moderation decision and the alert it
// fires. A reload that removes the campaign deletes its series.
func TestDomainMetrics(t *testing.T) {
	f := start(t, domainRules, "", func(o *daemon.Options) {
		write(t, o.Dir, "main.hcl", domainMain)
		o.SampleEvery, o.PopulationEvery = 20*time.Millisecond, 20*time.Millisecond
	})
	m := metricsText(t, f)
	for _, want := range []string{
		`hearth_campaign_entries_total{campaign="welcome"} 0`,
		`hearth_campaign_sends_total{campaign="welcome",step="hello",variant=""} 0`,
		`hearth_campaign_sends_total{campaign="welcome",step="later",variant=""} 0`,
		`hearth_campaign_goals_total{campaign="welcome",variant=""} 0`,
		`hearth_campaign_exits_total{campaign="welcome",reason="goal",variant=""} 0`,
		`hearth_campaign_exits_total{campaign="welcome",reason="stopped",variant=""} 0`,
		`hearth_campaign_active_runs{campaign="welcome"} 0`,
		`hearth_segment_entries_total{segment="posters"} 0`,
		`hearth_segment_exits_total{segment="posters"} 0`,
		`hearth_moderation_actions_total{action="warn",community="c"} 0`,
		`hearth_moderation_actions_total{action="ban",community="c"} 0`,
		`hearth_alerts_fired_total{alert="spam"} 0`,
		`hearth_alerts_firing{alert="spam",severity="warning"} 0`,
	} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("the first scrape lacks %s", want)
		}
	}
	if t.Failed() {
		t.Fatalf("served:\n%s", grepLines([]byte(m), "hearth_"))
	}

	now := time.Now().UTC()
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	joins := fmt.Sprintf(`{"id":"j1","type":"member.joined","member":"ann","at":%q}
{"id":"j2","type":"member.joined","member":"bob","at":%q}
{"id":"j3","type":"member.joined","member":"cat","at":%q}
`, at(-time.Hour), at(-time.Hour), at(-time.Hour))
	if code, out := post(t, f, "/v1/events", joins, ""); code != http.StatusAccepted {
		t.Fatalf("joins: %d %v", code, out)
	}
	// ann posts: the campaign's goal, the segment; bob's ad: a warning,
	// and the alert on flagged messages fires.
	posts := fmt.Sprintf(`{"id":"p1","type":"message.posted","member":"ann","at":%q,"attrs":{"text":"hello"}}
{"id":"p2","type":"message.posted","member":"bob","at":%q,"attrs":{"text":"buy now"}}
`, at(-time.Minute), at(-time.Minute))
	if code, out := post(t, f, "/v1/events", posts, ""); code != http.StatusAccepted {
		t.Fatalf("posts: %d %v", code, out)
	}
	m = metricsText(t, f)
	for series, want := range map[string]float64{
		`hearth_campaign_entries_total{campaign="welcome"}`:                            3,
		`hearth_campaign_sends_total{campaign="welcome",step="hello",variant=""}`:      3,
		`hearth_campaign_sends_total{campaign="welcome",step="later",variant=""}`:      0,
		`hearth_campaign_goals_total{campaign="welcome",variant=""}`:                   2, // bob's ad is a message too
		`hearth_campaign_exits_total{campaign="welcome",reason="goal",variant=""}`:     2,
		`hearth_campaign_exits_total{campaign="welcome",reason="finished",variant=""}`: 0,
		`hearth_segment_entries_total{segment="posters"}`:                              2,
		`hearth_segment_exits_total{segment="posters"}`:                                0,
		`hearth_moderation_actions_total{action="warn",community="c"}`:                 1,
		`hearth_moderation_actions_total{action="mute",community="c"}`:                 0,
		`hearth_alerts_fired_total{alert="spam"}`:                                      1,
		`hearth_events_processed_total{duplicate="false",type="message.posted"}`:       2,
		// Derived events are not events sent: their effects are counted
		// above.
		`hearth_events_processed_total{duplicate="false",type="moderation.violated"}`: 0,
	} {
		if got := sampleValue(t, m, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if t.Failed() {
		t.Fatalf("served:\n%s", grepLines([]byte(m), "hearth_"))
	}

	// The gauges come from the sampler's counts: cat's run is under way,
	// and the alert's rule holds.
	waitFor(t, func() bool {
		m = metricsText(t, f)
		return sampleValue(t, m, `hearth_alerts_firing{alert="spam",severity="warning"}`) == 1 && sampleValue(t, m, `hearth_campaign_active_runs{campaign="welcome"}`) == 1
	})

	// An operator stopping cat's run: an exit, and no run under way.
	if code, out := post(t, f, "/v1/campaigns/welcome/stop?member=cat", "", ""); code != http.StatusOK {
		t.Fatalf("stop: %d %v", code, out)
	}
	waitFor(t, func() bool {
		m = metricsText(t, f)
		return sampleValue(t, m, `hearth_campaign_active_runs{campaign="welcome"}`) == 0
	})
	if got := sampleValue(t, m, `hearth_campaign_exits_total{campaign="welcome",reason="stopped",variant=""}`); got != 1 {
		t.Errorf("exits stopped = %v after the stop, want 1", got)
	}

	write(t, f.dir, "rules.hcl", `
segment "posters" {
  when = "member.messages > 0"
}
`)
	if r := f.d.Reload("test"); !r.OK {
		t.Fatalf("reload: %+v", r.Diagnostics)
	}
	m = metricsText(t, f)
	if strings.Contains(m, `campaign="welcome"`) {
		t.Errorf("after the reload that removed the campaign, /metrics still has its series:\n%s", grepLines([]byte(m), "hearth_campaign"))
	}
	if got := sampleValue(t, m, `hearth_segment_entries_total{segment="posters"}`); got != 2 {
		t.Errorf("a segment the reload kept counts on: %v, want 2", got)
	}
}

// hearth_campaign_active_runs is right from the first scrape: at start,
// from the scan of the stored members, and after, moved by every run
// entered or ended, not only at the sampler's next count a minute later
// (a daemon started on an empty state and fed events at once read 0).
// A restart on the same state counts the runs again.
func TestCampaignActiveRunsBetweenScans(t *testing.T) {
	f := start(t, domainRules, "", func(o *daemon.Options) {
		write(t, o.Dir, "main.hcl", domainMain)
		o.PopulationEvery = time.Hour // no count but the one at start
	})
	active := func(f *fixture) float64 {
		return sampleValue(t, metricsText(t, f), `hearth_campaign_active_runs{campaign="welcome"}`)
	}
	if got := active(f); got != 0 {
		t.Fatalf("active runs at start = %v, want 0", got)
	}
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	joins := fmt.Sprintf(`{"id":"j1","type":"member.joined","member":"ann","at":%q}
{"id":"j2","type":"member.joined","member":"bob","at":%q}
{"id":"j3","type":"member.joined","member":"cat","at":%q}
`, at, at, at)
	if code, out := post(t, f, "/v1/events", joins, ""); code != http.StatusAccepted {
		t.Fatalf("joins: %d %v", code, out)
	}
	if got := active(f); got != 3 {
		t.Errorf("active runs after 3 joins = %v, want 3", got)
	}
	// ann reaches the goal; the operator stops bob's run.
	post1 := fmt.Sprintf(`{"id":"p1","type":"message.posted","member":"ann","at":%q}`, time.Now().UTC().Add(-time.Minute).Format(time.RFC3339))
	if code, out := post(t, f, "/v1/events", post1, ""); code != http.StatusAccepted {
		t.Fatalf("post: %d %v", code, out)
	}
	// The answer says the stop holds nothing: welcome is not paused,
	// and bob does not enter it again (reentry = "never").
	if code, out := post(t, f, "/v1/campaigns/welcome/stop?member=bob", "", ""); code != http.StatusOK || out["paused"] != false || out["reentry"] != "never" {
		t.Fatalf("stop: %d %v; want paused false, reentry never", code, out)
	}
	if got := active(f); got != 1 {
		t.Errorf("active runs after a goal and a stop = %v, want 1", got)
	}
	f.stop()
	g := startOn(t, f.dir, f.db, "", func(o *daemon.Options) { o.PopulationEvery = time.Hour })
	if got := active(g); got != 1 {
		t.Errorf("active runs at a restart = %v, want 1", got)
	}
}

const splitRules = `
campaign "welcome" {
  community = community.c
  enter_on  = "member.joined"
  exit_when = "member.messages >= 1"
  step "pick" {
    split {
      variant "a" {
        weight = 50
        goto   = "nudge"
      }
      variant "b" {
        weight = 50
        goto   = "nudge"
      }
    }
  }
  step "nudge" {
    wait = "30d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
template "hi" {
  text = { en = "Hi" }
}
`

// A split campaign's goals and exits are counted by variant, and the runs
// each variant was given, so a dashboard can put the arms side by side;
// the series of a variant a reload removes go, those of one it keeps
// count on, and a new one's start at 0. By the stable hash m0, m3, m5 and m6 get b, the others a.
func TestDomainMetricsByVariant(t *testing.T) {
	f := start(t, splitRules, "", func(o *daemon.Options) {
		write(t, o.Dir, "main.hcl", domainMain)
	})
	m := metricsText(t, f)
	for _, want := range []string{
		`hearth_campaign_variant_entries_total{campaign="welcome",variant="a"} 0`,
		`hearth_campaign_variant_entries_total{campaign="welcome",variant="b"} 0`,
		`hearth_campaign_goals_total{campaign="welcome",variant=""} 0`,
		`hearth_campaign_goals_total{campaign="welcome",variant="b"} 0`,
		`hearth_campaign_exits_total{campaign="welcome",reason="left",variant="a"} 0`,
	} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("the first scrape lacks %s", want)
		}
	}
	if strings.Contains(m, `hearth_campaign_variant_entries_total{campaign="welcome",variant=""}`) {
		t.Error("runs without a variant counted as a variant's entries")
	}
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	var evs strings.Builder
	for i := range 8 {
		fmt.Fprintf(&evs, `{"id":"j%d","type":"member.joined","member":"m%d","at":%q}`+"\n", i, i, at)
	}
	for _, i := range []int{0, 3, 4} { // b, b, a
		fmt.Fprintf(&evs, `{"id":"p%d","type":"message.posted","member":"m%d","at":%q}`+"\n", i, i, at)
	}
	if code, out := post(t, f, "/v1/events", evs.String(), ""); code != http.StatusAccepted {
		t.Fatalf("events: %d %v", code, out)
	}
	m = metricsText(t, f)
	for series, want := range map[string]float64{
		`hearth_campaign_entries_total{campaign="welcome"}`:                             8,
		`hearth_campaign_variant_entries_total{campaign="welcome",variant="a"}`:         4,
		`hearth_campaign_variant_entries_total{campaign="welcome",variant="b"}`:         4,
		`hearth_campaign_goals_total{campaign="welcome",variant="a"}`:                   1,
		`hearth_campaign_goals_total{campaign="welcome",variant="b"}`:                   2,
		`hearth_campaign_goals_total{campaign="welcome",variant=""}`:                    0,
		`hearth_campaign_exits_total{campaign="welcome",reason="goal",variant="b"}`:     2,
		`hearth_campaign_exits_total{campaign="welcome",reason="goal",variant=""}`:      0,
		`hearth_campaign_exits_total{campaign="welcome",reason="finished",variant="a"}`: 0,
	} {
		if got := sampleValue(t, m, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if t.Failed() {
		t.Fatalf("served:\n%s", grepLines([]byte(m), "hearth_campaign"))
	}

	write(t, f.dir, "rules.hcl", strings.Replace(splitRules, `variant "b"`, `variant "c"`, 1))
	if r := f.d.Reload("test"); !r.OK {
		t.Fatalf("reload: %+v", r.Diagnostics)
	}
	m = metricsText(t, f)
	if strings.Contains(m, `variant="b"`) {
		t.Errorf("after the reload that removed variant b, /metrics still has its series:\n%s", grepLines([]byte(m), "hearth_campaign"))
	}
	if got := sampleValue(t, m, `hearth_campaign_goals_total{campaign="welcome",variant="a"}`); got != 1 {
		t.Errorf("variant a's goals after the reload = %v, want 1", got)
	}
	if !strings.Contains(m, `hearth_campaign_goals_total{campaign="welcome",variant="c"} 0`+"\n") {
		t.Error("the variant the reload added has no series at 0")
	}
}

// A split campaign's sends are counted by the variant of the run that
// made them, as its goals are, so a dashboard can set each arm's messages
// against its goals: a send before the split is the run's before it has
// a variant (""), each arm's own step counts in its variant, and a
// reload that drops a variant drops its send series too. By the stable
// hash m0, m3, m5 and m6 get b, the others a.
func TestDomainMetricsSendsByVariant(t *testing.T) {
	rules := `
campaign "welcome" {
  community = community.c
  enter_on  = "member.joined"
  exit_when = "member.messages >= 1"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "pick" {
    split {
      variant "a" {
        weight = 50
        goto   = "nudge_a"
      }
      variant "b" {
        weight = 50
        goto   = "nudge_b"
      }
    }
  }
  step "nudge_a" {
    send {
      channel  = "dm"
      template = template.hi
    }
    goto = "later"
  }
  step "nudge_b" {
    send {
      channel  = "dm"
      template = template.hi
    }
    goto = "later"
  }
  step "later" {
    wait = "30d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
template "hi" {
  text = { en = "Hi" }
}
`
	f := start(t, rules, "", func(o *daemon.Options) {
		write(t, o.Dir, "main.hcl", domainMain)
	})
	m := metricsText(t, f)
	for _, want := range []string{
		`hearth_campaign_sends_total{campaign="welcome",step="hello",variant=""} 0`,
		`hearth_campaign_sends_total{campaign="welcome",step="nudge_a",variant="a"} 0`,
		`hearth_campaign_sends_total{campaign="welcome",step="nudge_b",variant="b"} 0`,
		`hearth_campaign_sends_total{campaign="welcome",step="later",variant="b"} 0`,
	} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("the first scrape lacks %s", want)
		}
	}
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	var evs strings.Builder
	for i := range 8 {
		fmt.Fprintf(&evs, `{"id":"j%d","type":"member.joined","member":"m%d","at":%q}`+"\n", i, i, at)
	}
	if code, out := post(t, f, "/v1/events", evs.String(), ""); code != http.StatusAccepted {
		t.Fatalf("events: %d %v", code, out)
	}
	m = metricsText(t, f)
	for series, want := range map[string]float64{
		`hearth_campaign_sends_total{campaign="welcome",step="hello",variant=""}`:    8,
		`hearth_campaign_sends_total{campaign="welcome",step="hello",variant="a"}`:   0,
		`hearth_campaign_sends_total{campaign="welcome",step="nudge_a",variant="a"}`: 4,
		`hearth_campaign_sends_total{campaign="welcome",step="nudge_a",variant=""}`:  0,
		`hearth_campaign_sends_total{campaign="welcome",step="nudge_b",variant="b"}`: 4,
		`hearth_campaign_sends_total{campaign="welcome",step="nudge_b",variant="a"}`: 0,
		`hearth_campaign_sends_total{campaign="welcome",step="later",variant="a"}`:   0,
		`hearth_campaign_variant_entries_total{campaign="welcome",variant="a"}`:      4,
		`hearth_campaign_variant_entries_total{campaign="welcome",variant="b"}`:      4,
	} {
		if got := sampleValue(t, m, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if t.Failed() {
		t.Fatalf("served:\n%s", grepLines([]byte(m), "hearth_campaign_sends"))
	}

	write(t, f.dir, "rules.hcl", strings.Replace(rules, `variant "b"`, `variant "c"`, 1))
	if r := f.d.Reload("test"); !r.OK {
		t.Fatalf("reload: %+v", r.Diagnostics)
	}
	m = metricsText(t, f)
	if strings.Contains(m, `variant="b"`) {
		t.Errorf("after the reload that removed variant b, /metrics still has its series:\n%s", grepLines([]byte(m), "hearth_campaign_sends"))
	}
	if got := sampleValue(t, m, `hearth_campaign_sends_total{campaign="welcome",step="nudge_a",variant="a"}`); got != 4 {
		t.Errorf("variant a's sends after the reload = %v, want 4", got)
	}
	if !strings.Contains(m, `hearth_campaign_sends_total{campaign="welcome",step="nudge_b",variant="c"} 0`+"\n") {
		t.Error("the variant the reload added has no send series at 0")
	}
}
