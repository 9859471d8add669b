package runtime_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// The preview is before waits whichever way it settles a member: on its
// scratch copy, or the runtime's own way, as it does when a move sends an
// event something hears (here an incentive on tier.changed). A member
// whose qualification window has not run is promoted all the same, and
// one whose keep fails within the grace period demoted. The re-evaluation
// itself still waits, and the stored member is left as it was.
func TestPreviewIsBeforeWaitsEitherWay(t *testing.T) {
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
		return []*state.Member{climber, faller}
	}
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
			if st.Tier != "regular" {
				t.Errorf("%s (incentive on tier.changed: %t): the preview puts them on %q, want regular", m.ID, src != ladder, st.Tier)
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
		if _, _, err := rt.Reevaluate(context.Background(), b, []string{"climber", "faller"}, now); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]string{"climber": "", "faller": "core"} {
			m, err := b.Member(id)
			if err != nil {
				t.Fatal(err)
			}
			if m.Tier.Name != want {
				t.Errorf("%s: the re-evaluation after a preview put them on %q, want %q: it waits", id, m.Tier.Name, want)
			}
		}
	}
}
