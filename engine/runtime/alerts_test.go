package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

const alertConfig = `
community "m" {
  title    = "M"
  platform = platform.local.main
  channel "ops" {}
}
sentiment {
  negative = { en = ["meh"], zh-CN = ["退款"] }
}
template "crisis_brief" {
  text = { en = "Alert ${event.alert}: ${event.summary}" }
}
campaign "crisis" {
  enter_on   = "alert.raised"
  enter_when = "event.alert == 'negative_spike'"
  step "brief" {
    send {
      channel  = "dm"
      template = template.crisis_brief
    }
  }
  step "follow_up" {
    wait = "2h"
    send {
      channel  = "dm"
      template = template.crisis_brief
    }
  }
}
alert "negative_spike" {
  community  = community.m
  when       = "community.negative_1h >= 3"
  severity   = "critical"
  cooldown   = "6h"
  campaign   = campaign.crisis
  responders = ["mod"]
  notify {
    channel = "channel"
    target  = community.m.channel.ops
  }
  notify {
    channel = "email"
    to      = "ops@example.org"
  }
}
`

func TestAlertDedupCooldownAndPlaybook(t *testing.T) {
	cfg := load(t, alertConfig)
	start := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	var s strings.Builder
	n := 0
	post := func(at time.Duration, text string) {
		n++
		s.WriteString(msgAt(fmt.Sprintf("m%02d", n), fmt.Sprintf("u%d", n%4), start.Add(at), fmt.Sprintf(`{"text":%q}`, text)))
	}
	// Hour 0: three negative messages fire the alert; a fourth in the
	// same hour changes nothing (deduplicated).
	post(time.Minute, "this is meh")
	post(2*time.Minute, "我要退款")
	post(3*time.Minute, "what a scam, I hate it")
	post(4*time.Minute, "still meh")
	// Hour 2: calm again: resolved.
	post(2*time.Hour, "thanks, works now")
	// Hour 3: a new spike inside the 6h cool-down: suppressed.
	for i := range 3 {
		post(3*time.Hour+time.Duration(i)*time.Minute, "meh")
	}
	post(4*time.Hour, "thanks")
	// Hour 8: past the cool-down: fires again.
	for i := range 3 {
		post(8*time.Hour+time.Duration(i)*time.Minute, "terrible")
	}
	sum, outs, members := run(t, cfg, s.String())
	var got []string
	for _, o := range outs {
		if o.Kind == state.KindAlert {
			got = append(got, o.Event+" "+o.Change)
		}
	}
	// Alerts are also checked when time moves on, before the events of
	// the new time: the calm is seen at 02:00 and 04:00.
	want := []string{"m03 fire", "check:2026-02-01T02:00:00Z resolved", "m08 suppressed", "check:2026-02-01T04:00:00Z resolved", "m12 fire"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("alert outcomes %v, want %v", got, want)
	}
	var keys []string
	for _, a := range sum.Store.(*state.Memory).Outbox() {
		if strings.HasPrefix(a.Key, "alert/") {
			keys = append(keys, a.Key+" "+a.Kind+" "+a.Target)
		}
	}
	wantKeys := []string{
		"alert/m/negative_spike/1/0 send.channel ops", "alert/m/negative_spike/1/1 send.email ops@example.org",
		"alert/m/negative_spike/2/0 send.channel ops", "alert/m/negative_spike/2/1 send.email ops@example.org",
	}
	if strings.Join(keys, "\n") != strings.Join(wantKeys, "\n") {
		t.Errorf("alert actions:\n%s\nwant:\n%s", strings.Join(keys, "\n"), strings.Join(wantKeys, "\n"))
	}
	for _, a := range sum.Store.(*state.Memory).Outbox() {
		if a.Key == "alert/m/negative_spike/1/0" && a.Text != "[critical] negative_spike in m (negative_1h=3)" {
			t.Errorf("alert text %q", a.Text)
		}
	}
	// The responder is in the crisis playbook: entered on the first
	// firing, briefed at once and followed up two hours later.
	run := members["mod"].Campaigns["crisis"]
	if run == nil || run.Runs != 1 {
		t.Fatalf("responder's crisis run: %+v", run)
	}
	if members["mod"].Total("alert.raised") != 2 {
		t.Errorf("responder got %d alert.raised events, want 2", members["mod"].Total("alert.raised"))
	}
}

func TestAlertOnActivityDropWithoutEvents(t *testing.T) {
	cfg := load(t, `
community "m" {
  title    = "M"
  platform = platform.local.main
  channel "ops" {}
}
alert "quiet" {
  community = community.m
  when      = "community.messages_usual_24h >= 10 && community.messages_24h < community.messages_usual_24h / 2"
  notify {
    channel = "channel"
    target  = community.m.channel.ops
  }
}
`)
	store := state.NewMemory()
	store.KeepOutcomes = true
	rt := runtime.New(cfg, nil)
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	b, _ := store.Begin(ctx)
	for d := range 28 {
		for i := range 20 {
			ev := events.Event{ID: fmt.Sprintf("d%d-%d", d, i), Type: "message.posted", Member: events.Member{ID: fmt.Sprintf("u%d", i%5)},
				Community: "m", At: start.Add(time.Duration(d)*24*time.Hour + time.Duration(i)*time.Hour), Attrs: map[string]any{"text": "hello"}}
			if _, err := rt.Apply(ctx, b, &ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	check := func(at time.Time) int {
		b, _ := store.Begin(ctx)
		n, _, err := rt.CheckAlerts(ctx, b, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Day 28 just after midnight: 19 messages in the last 24 hours,
	// about the usual level.
	if n := check(start.Add(28*24*time.Hour + 30*time.Minute)); n != 0 {
		t.Errorf("fired %d at the usual level", n)
	}
	// Day 29 at noon: silence for a day and a half.
	if n := check(start.Add(29*24*time.Hour + 12*time.Hour)); n != 1 {
		t.Errorf("fired %d after the activity dropped, want 1", n)
	}
	// Still quiet a minute later: no second alert.
	if n := check(start.Add(29*24*time.Hour + 12*time.Hour + time.Minute)); n != 0 {
		t.Errorf("fired %d again while the drop lasts, want 0", n)
	}
	comms, _ := store.Communities()
	if len(comms) != 1 || comms[0].Alerts["quiet"].Fired != 1 || comms[0].Members != 0 {
		t.Fatalf("community documents %+v", comms)
	}
	var fired []string
	for _, o := range store.Outcomes() {
		if o.Kind == state.KindAlert {
			fired = append(fired, o.Detail)
		}
	}
	if len(fired) != 1 || fired[0] != "[warning] quiet in m (messages_usual_24h=19.29, messages_24h=0)" {
		t.Errorf("alert outcomes %q", fired)
	}
}

// Community figures are readable in member and event rules, and the
// moderation.violated event lets an incentive take points.
func TestFiguresInRulesAndViolationEvents(t *testing.T) {
	// One community: member rules (segments) see its figures too.
	cfg := loadDir(t, t.TempDir(), `
platform "local" "main" {}
community "m" {
  title    = "M"
  platform = platform.local.main
  moderation "ads" {
    keywords = { en = ["buy now"] }
    action   = "warn"
  }
}
incentive "busy_day_bonus" {
  on   = "message.posted"
  when = "community.messages_24h >= 3"
  grant { points = 5 }
}
incentive "penalty" {
  on   = "moderation.violated"
  when = "event.action == 'warn'"
  grant { points = -2 }
}
segment "crowded" {
  when = "community.members >= 2"
}
`)
	var s strings.Builder
	s.WriteString(`{"id":"j1","type":"member.joined","member":"a","community":"m","at":"2026-04-01T09:00:00Z"}` + "\n")
	s.WriteString(`{"id":"j2","type":"member.joined","member":"b","community":"m","at":"2026-04-01T09:01:00Z"}` + "\n")
	at := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	s.WriteString(msgAt("m1", "a", at, `{"text":"hello"}`))
	s.WriteString(msgAt("m2", "a", at.Add(time.Minute), `{"text":"hello again"}`))
	s.WriteString(msgAt("m3", "a", at.Add(2*time.Minute), `{"text":"third"}`))
	s.WriteString(msgAt("m4", "b", at.Add(3*time.Minute), `{"text":"buy now"}`))
	_, _, members := run(t, cfg, s.String())
	if got := members["a"].Points; got != 5 {
		t.Errorf("a has %d points; want 5 (the bonus once the day had three messages)", got)
	}
	if got := members["b"].Points; got != 3 {
		t.Errorf("b has %d points; want 5 - 2 for the warning", got)
	}
	if _, ok := members["b"].Segments["crowded"]; !ok {
		t.Errorf("b not in crowded with two members: %v", members["b"].Segments)
	}
}
