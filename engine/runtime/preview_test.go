package runtime_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// The preview honours the waits the stored member is in, whichever way it
// settles a member: on its scratch copy, or the runtime's own way, as it
// does when a move sends an event something hears (here an incentive on
// tier.changed). A member whose qualification window has not run stays
// below the tier, one whose keep fails within the grace period keeps it,
// as the re-evaluation itself does, and one whose window has run is
// promoted. The stored member is left as it was.
func TestPreviewHonoursWaitsEitherWay(t *testing.T) {
	const ladder = `
tier "regular" {
  rank   = 1
  when   = "member.points >= 10"
  window = "7d"
}
tier "core" {
  rank  = 2
  when  = "member.points >= 50"
  grace = "30d"
}
`
	const heard = `
incentive "moved" {
  on = "tier.changed"
  grant {
    points = 1
  }
}
`
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	members := func() []*state.Member {
		climber := state.NewMember("climber", now.AddDate(0, -1, 0))
		climber.Points, climber.EvaluatedAt = 20, now.Add(-time.Hour)
		faller := state.NewMember("faller", now.AddDate(0, -1, 0))
		faller.Points, faller.EvaluatedAt = 30, now.Add(-time.Hour)
		faller.Tier = state.TierState{Name: "core", Rank: 2, Since: now.AddDate(0, 0, -1)}
		// Qualifying for regular for eight days: the 7-day window ran.
		ready := state.NewMember("ready", now.AddDate(0, -1, 0))
		ready.Points, ready.EvaluatedAt = 20, now.Add(-time.Hour)
		ready.Tier.Qualifying = []state.Qualification{{Tier: "regular", Since: now.AddDate(0, 0, -8)}}
		return []*state.Member{climber, faller, ready}
	}
	want := map[string]string{"climber": "", "faller": "core", "ready": "regular"}
	for _, src := range []string{ladder, ladder + heard} {
		rt := runtime.New(load(t, src), nil)
		for _, m := range members() {
			doc, err := m.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			st, err := rt.Preview(m, now)
			if err != nil {
				t.Fatal(err)
			}
			if st.Tier != want[m.ID] {
				t.Errorf("%s (incentive on tier.changed: %t): the preview puts them on %q, want %q", m.ID, src != ladder, st.Tier, want[m.ID])
			}
			if after, _ := m.AppendBinary(nil); !bytes.Equal(doc, after) {
				t.Errorf("%s: the preview changed the stored member", m.ID)
			}
		}

		store := state.NewMemory()
		b, err := store.Begin(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range members() {
			if err := b.SaveMember(m); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := rt.Reevaluate(context.Background(), b, []string{"climber", "faller", "ready"}, now); err != nil {
			t.Fatal(err)
		}
		for id, want := range want {
			m, err := b.Member(id)
			if err != nil {
				t.Fatal(err)
			}
			if m.Tier.Name != want {
				t.Errorf("%s: the re-evaluation put them on %q, want %q, as the preview said", id, m.Tier.Name, want)
			}
		}
	}
}
