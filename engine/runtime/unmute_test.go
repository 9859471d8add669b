package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

const muteConfig = `
platform "local" "main" {}
community "m" {
  title    = "M"
  platform = platform.local.main
  moderation "ads" {
    keywords = { en = ["buy now"] }
    action   = "mute"
    duration = "1h"
  }
  moderation "caps" {
    patterns = ["^[A-Z ]{10,}$"]
    action   = "mute"
    duration = "1h"
  }
}
`

// muteRig runs moderation on a memory store with the local platform
// described as lasting mutes (unmuteAtEnd) or not.
type muteRig struct {
	t     *testing.T
	rt    *runtime.Runtime
	store *state.Memory
}

func newMuteRig(t *testing.T, unmuteAtEnd bool) *muteRig {
	spec := local.Spec()
	spec.UnmuteAtEnd = unmuteAtEnd
	cfg := loadDirWith(t, t.TempDir(), muteConfig, spec)
	return &muteRig{t: t, rt: runtime.New(cfg, nil), store: state.NewMemory()}
}

func (g *muteRig) post(id, text string, at time.Time) {
	g.t.Helper()
	ctx := context.Background()
	b, _ := g.store.Begin(ctx)
	ev := events.Event{ID: id, Type: "message.posted", Member: events.Member{ID: "u1", Identities: map[string]string{"local": "mb-7"}},
		Community: "m", At: at, Attrs: map[string]any{"text": text}}
	if _, err := g.rt.Apply(ctx, b, &ev); err != nil {
		g.t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		g.t.Fatal(err)
	}
}

func (g *muteRig) recheck(at time.Time) {
	g.t.Helper()
	ctx := context.Background()
	b, _ := g.store.Begin(ctx)
	if _, _, err := g.rt.Recheck(ctx, b, at, 10); err != nil {
		g.t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		g.t.Fatal(err)
	}
}

func (g *muteRig) member() *state.Member {
	g.t.Helper()
	b, _ := g.store.Begin(context.Background())
	defer b.Rollback()
	m, err := b.Member("u1")
	if err != nil {
		g.t.Fatal(err)
	}
	return m
}

func (g *muteRig) unmutes() []state.Action {
	var out []state.Action
	for _, a := range g.store.Outbox() {
		if a.Kind == "moderation.unmute" {
			out = append(out, a)
		}
	}
	return out
}

func TestMuteLiftedWhenItEnds(t *testing.T) {
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	g := newMuteRig(t, true)
	g.post("e1", "buy now", at)
	m := g.member()
	if want := at.Add(time.Hour); !m.Moderation.MutedUntil.Equal(want) || !m.RecheckAt.Equal(want) {
		t.Fatalf("muted until %v, recheck at %v; want both %v", m.Moderation.MutedUntil, m.RecheckAt, want)
	}
	g.recheck(at.Add(59 * time.Minute))
	if n := len(g.unmutes()); n != 0 {
		t.Fatalf("%d unmutes before the mute ends", n)
	}
	g.recheck(at.Add(time.Hour))
	got := g.unmutes()
	if len(got) != 1 {
		t.Fatalf("unmutes after the mute ended: %+v", got)
	}
	u := got[0]
	if want := fmt.Sprintf("moderation/unmute/u1/%d", at.Add(time.Hour).Unix()); u.Key != want || u.Target != "mb-7" || u.Community != "m" ||
		u.Platform != "platform.local.main" || !u.At.Equal(at.Add(time.Hour)) {
		t.Errorf("unmute %+v; want key %s for mb-7 in m at the mute's end", u, want)
	}
	m = g.member()
	// The strike's decay is all left to wake the member for.
	if !m.Moderation.MutedUntil.IsZero() || !m.RecheckAt.After(at.Add(24*time.Hour)) {
		t.Errorf("after the unmute: muted until %v, recheck at %v; want no mute and the strike's decay", m.Moderation.MutedUntil, m.RecheckAt)
	}
	if last := m.Moderation.Decisions[len(m.Moderation.Decisions)-1]; last.Action != "unmute" || last.Rule != "community.m.moderation.ads" {
		t.Errorf("unmute not recorded: %+v", last)
	}
	// Another recheck queues nothing more.
	g.recheck(at.Add(2 * time.Hour))
	if n := len(g.unmutes()); n != 1 {
		t.Errorf("%d unmutes after a second recheck, want 1", n)
	}
}

func TestLongerMuteNotLiftedByEarlierEnd(t *testing.T) {
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	g := newMuteRig(t, true)
	g.post("e1", "buy now", at)
	g.post("e2", "BUY THIS STUFF NOW", at.Add(30*time.Minute))
	end := at.Add(90 * time.Minute)
	if m := g.member(); !m.RecheckAt.Equal(end) {
		t.Fatalf("recheck at %v, want the second mute's end %v", m.RecheckAt, end)
	}
	g.recheck(at.Add(time.Hour))
	if n := len(g.unmutes()); n != 0 {
		t.Fatalf("the first mute's end lifted the second mute (%d unmutes)", n)
	}
	g.recheck(end)
	if got := g.unmutes(); len(got) != 1 || !got[0].At.Equal(end) {
		t.Errorf("unmutes %+v; want one at %v", got, end)
	}
}

func TestMuteEndingByItselfNeedsNoUnmute(t *testing.T) {
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	g := newMuteRig(t, false)
	g.post("e1", "buy now", at)
	if m := g.member(); !m.RecheckAt.After(at.Add(24 * time.Hour)) {
		t.Errorf("recheck at %v: a platform that ends mutes by itself needs none at the mute's end", m.RecheckAt)
	}
	g.recheck(at.Add(2 * time.Hour))
	if n := len(g.unmutes()); n != 0 {
		t.Errorf("%d unmutes on a platform that ends mutes by itself", n)
	}
}

func TestPardonLiftsMute(t *testing.T) {
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for _, lasting := range []bool{true, false} {
		t.Run(fmt.Sprint("unmute_at_end=", lasting), func(t *testing.T) {
			g := newMuteRig(t, lasting)
			g.post("e1", "buy now", at)
			m := g.member()
			// Another rule's pardon leaves the mute.
			_, _, acts := g.rt.Pardon(m, "caps", at.Add(10*time.Minute))
			if len(acts) != 0 || m.Moderation.MutedUntil.IsZero() {
				t.Fatalf("pardon of caps: actions %+v, muted until %v; want the mute left", acts, m.Moderation.MutedUntil)
			}
			o, _, acts := g.rt.Pardon(m, "ads", at.Add(20*time.Minute))
			if len(acts) != 1 || acts[0].Kind != "moderation.unmute" || acts[0].Target != "mb-7" || acts[0].Community != "m" || acts[0].Key == "" {
				t.Fatalf("pardon of ads: actions %+v; want one moderation.unmute for mb-7", acts)
			}
			if !m.Moderation.MutedUntil.IsZero() || m.RecheckAt.Equal(at.Add(time.Hour)) {
				t.Errorf("after the pardon: muted until %v, recheck at %v", m.Moderation.MutedUntil, m.RecheckAt)
			}
			if o.Detail != "1 strikes cleared; strikes 0; mute lifted" {
				t.Errorf("outcome detail %q", o.Detail)
			}
		})
	}
}

// The direct message of a community without a ladder template says what
// happened in words: the rule's reason when it has one, never its name,
// evidence or when expression. A rule on joins needs no when.
func TestPlainWarningIsForMembers(t *testing.T) {
	cfg := load(t, `
community "m" {
  title    = "Makers"
  platform = platform.local.main
  ladder {
    decay = "7d"
    rung { action = "warn" }
  }
  moderation "restrict_new" {
    on       = ["member.joined"]
    action   = "mute"
    duration = "1h"
    strikes  = 0
  }
  moderation "ads" {
    keywords = { en = ["buy now"] }
    reason   = "Please keep ads to the market channel"
  }
  moderation "spam" {
    keywords = { en = ["casino"] }
    action   = "ban"
    duration = "7d"
  }
}
`)
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	var s strings.Builder
	s.WriteString(fmt.Sprintf(`{"id":"j","type":"member.joined","member":{"id":"u1","identities":{"local":"mb-7"}},"community":"m","at":%q}`+"\n", at.Format(time.RFC3339)))
	s.WriteString(msgAt("e1", "u1", at.Add(2*time.Hour), `{"text":"buy now"}`))
	s.WriteString(msgAt("e2", "u1", at.Add(3*time.Hour), `{"text":"casino"}`))
	sum, outs, _ := run(t, cfg, s.String())
	// A rule on joins needs no when: each join matches, the join is the
	// evidence.
	joined := false
	for _, o := range outs {
		if o.Kind == state.KindModeration && o.Event == "j" {
			joined = o.Name == "restrict_new" && o.Change == "mute" && strings.HasPrefix(o.Detail, "member.joined;")
			if !joined {
				t.Errorf("join's decision %+v", o)
			}
		}
	}
	if !joined {
		t.Error("the join did not match restrict_new")
	}
	var got []string
	for _, a := range sum.Store.(*state.Memory).Outbox() {
		if a.Kind == "send.dm" {
			got = append(got, a.Text)
		}
	}
	want := []string{
		"You are muted for 1 hour in Makers.",
		"This is a warning in Makers: Please keep ads to the market channel. You have 1 strike.",
		"You are banned from Makers for 1 week. You have 2 strikes.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("direct messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
