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

const ladderConfig = `
template "warning" {
  text = {
    en    = "${event.action}: ${event.reason} (${event.evidence}), strikes ${event.strikes}"
    zh-CN = "${event.action}：${event.reason}（${event.evidence}），违规 ${event.strikes} 次"
  }
}
community "m" {
  title    = "M"
  platform = platform.local.main
  channel "ops" {}
  ladder {
    decay    = "7d"
    template = template.warning
    rung { action = "warn" }
    rung {
      action   = "mute"
      duration = "1h"
    }
    rung {
      action   = "mute"
      duration = "24h"
    }
    rung { action = "kick" }
    rung { action = "ban" }
  }
  moderation "ads" {
    keywords = { en = ["buy now"], zh-CN = ["加微信"] }
    reason   = "No advertising"
  }
  moderation "link_spam" {
    links  = 3
    delete = true
  }
  moderation "flood" {
    rate = "3/10s"
  }
  moderation "watch" {
    keywords = { en = ["crypto"] }
    action   = "flag"
  }
}
`

func msgAt(id, member string, at time.Time, attrs string) string {
	return fmt.Sprintf(`{"id":%q,"type":"message.posted","member":%q,"community":"m","at":%q,"attrs":%s}`, id, member, at.Format(time.RFC3339), attrs) + "\n"
}

func TestModerationLadderDecayAndEvidence(t *testing.T) {
	cfg := load(t, ladderConfig)
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	var s strings.Builder
	s.WriteString(`{"id":"j","type":"member.joined","member":{"id":"u1","identities":{"local":"mb-7"}},"community":"m","at":"2026-01-01T08:00:00Z","attrs":{"locale":"zh-CN"}}` + "\n")
	s.WriteString(msgAt("e1", "u1", start, `{"text":"Please BUY NOW!","post_id":"p1"}`))
	s.WriteString(msgAt("e2", "u1", start.Add(day), `{"text":"朋友们加微信领红包","post_id":"p2"}`))
	s.WriteString(msgAt("e3", "u1", start.Add(2*day), `{"text":"a http://x.example b https://y.example c www.z.example","post_id":"p3"}`))
	s.WriteString(msgAt("e4", "u1", start.Add(2*day+time.Hour), `{"text":"crypto talk","post_id":"p4"}`))
	// Flood: the fourth message inside 10 seconds passes the rate.
	for i := range 4 {
		s.WriteString(msgAt(fmt.Sprintf("f%d", i), "u1", start.Add(3*day+time.Duration(i)*2*time.Second), `{"text":"hi"}`))
	}
	// Day 30: every strike has decayed; the ladder starts over.
	s.WriteString(msgAt("e5", "u1", start.Add(30*day), `{"text":"buy now"}`))
	sum, outs, members := run(t, cfg, s.String())

	var got []string
	for _, o := range outs {
		if o.Kind == state.KindModeration {
			got = append(got, o.Event+" "+o.Name+" "+o.Change+" "+o.To+" | "+o.Detail)
		}
	}
	want := []string{
		`e1 ads warn  | keyword "buy now" (en) at 7-14: "BUY NOW"; +1 strikes, 1 live (rung 1)`,
		`e2 ads mute 1h | keyword "加微信" (zh-CN) at 9-18: "加微信"; +1 strikes, 2 live (rung 2)`,
		`e3 link_spam mute 1d | 3 links (limit 3); +1 strikes, 3 live (rung 3)`,
		`e4 watch flag  | keyword "crypto" (en) at 0-6: "crypto"; +0 strikes, 3 live`,
		`f3 flood kick  | 4 messages in 10s (limit 3); +1 strikes, 4 live (rung 4)`,
		`e5 ads warn  | keyword "buy now" (en) at 0-7: "buy now"; +1 strikes, 1 live (rung 1)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("decisions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	m := members["u1"]
	if m.Strikes != 1 || len(m.Moderation.Decisions) != 6 {
		t.Errorf("strikes %d, decisions %d; want 1 and 6", m.Strikes, len(m.Moderation.Decisions))
	}
	var acts []string
	for _, a := range sum.Store.(*state.Memory).Outbox() {
		acts = append(acts, fmt.Sprintf("%s %s %s %s %v", a.Key, a.Kind, a.Target, a.Message, a.Duration))
	}
	wantActs := []string{
		"moderation/e1/send.dm send.dm mb-7  0s",
		"moderation/e2/send.dm send.dm mb-7  0s",
		"moderation/e2/moderation.mute moderation.mute mb-7  1h0m0s",
		"moderation/e3/send.dm send.dm mb-7  0s",
		"moderation/e3/moderation.delete moderation.delete mb-7 p3 0s",
		"moderation/e3/moderation.mute moderation.mute mb-7  24h0m0s",
		"moderation/f3/send.dm send.dm mb-7  0s",
		"moderation/f3/moderation.kick moderation.kick mb-7  0s",
		"moderation/e5/send.dm send.dm mb-7  0s",
	}
	if strings.Join(acts, "\n") != strings.Join(wantActs, "\n") {
		t.Errorf("outbox:\n%s\nwant:\n%s", strings.Join(acts, "\n"), strings.Join(wantActs, "\n"))
	}
	// The warning is the ladder's template in the member's locale.
	if dm := sum.Store.(*state.Memory).Outbox()[1]; dm.Text != "mute：No advertising（keyword \"加微信\" (zh-CN) at 9-18: \"加微信\"），违规 2 次" {
		t.Errorf("warning text %q", dm.Text)
	}
}

func TestModerationStrikesDecayWithoutEvents(t *testing.T) {
	cfg := load(t, ladderConfig+`
segment "on_probation" {
  when = "member.strikes >= 2"
}
`)
	store := state.NewMemory()
	rt := runtime.New(cfg, nil)
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	apply := func(evs ...events.Event) {
		b, _ := store.Begin(ctx)
		for i := range evs {
			if _, err := rt.Apply(ctx, b, &evs[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	msg := func(id string, t time.Time) events.Event {
		return events.Event{ID: id, Type: "message.posted", Member: events.Member{ID: "u1"}, Community: "m", At: t, Attrs: map[string]any{"text": "buy now"}}
	}
	apply(msg("a", at), msg("b", at.Add(time.Hour)))
	member := func() *state.Member {
		b, _ := store.Begin(ctx)
		defer b.Rollback()
		m, err := b.Member("u1")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := member()
	if _, ok := m.Segments["on_probation"]; !ok || m.Strikes != 2 {
		t.Fatalf("strikes %d, segments %v: want 2 and on_probation", m.Strikes, m.Segments)
	}
	// The first strike decays 7 days after it: the member is due then.
	if want := at.Add(7 * 24 * time.Hour); !m.RecheckAt.Equal(want) {
		t.Fatalf("recheck at %v, want %v", m.RecheckAt, want)
	}
	b, _ := store.Begin(ctx)
	if _, _, err := rt.Recheck(ctx, b, at.Add(7*24*time.Hour), 10); err != nil {
		t.Fatal(err)
	}
	_ = b.Commit()
	m = member()
	if _, ok := m.Segments["on_probation"]; ok || m.Strikes != 1 {
		t.Errorf("after decay: strikes %d, segments %v; want 1 and no on_probation", m.Strikes, m.Segments)
	}
	o, n, _ := rt.Pardon(m, "ads", at.Add(7*24*time.Hour+30*time.Minute))
	if n != 1 || m.Strikes != 0 || o.Change != "pardon" {
		t.Errorf("pardon cleared %d, strikes %d, outcome %+v", n, m.Strikes, o)
	}
	if last := m.Moderation.Decisions[len(m.Moderation.Decisions)-1]; last.Action != "pardon" || last.Evidence != "1 strikes cleared" {
		t.Errorf("pardon not recorded: %+v", last)
	}
}
