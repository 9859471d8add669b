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

const forecastSrc = `
platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

incentive "post" {
  on      = "message.posted"
  expires = "30d"
  grant { points = 60 }
}

tier "core" {
  rank = 1
  when = "member.points >= 100"
  keep = "member.points >= 90"
}
`

// annPostedAt applies a message.posted by ann at each time, one batch
// each, and reads ann back from the store.
func annPostedAt(t *testing.T, rt *runtime.Runtime, store state.Store, times ...time.Time) *state.Member {
	t.Helper()
	for i, at := range times {
		b, err := store.Begin(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ev := events.Event{ID: fmt.Sprintf("e%d", i), Type: "message.posted", Member: events.Member{ID: "ann"}, At: at}
		if _, err := rt.Apply(context.Background(), b, &ev); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	return storedMember(t, store, "ann")
}

// The forecast lists the grants still to expire with the balance each
// leaves, and finds when the member loses the tier those points keep
// them on: at the first expiry that takes them below keep, or at the
// end of a grace period running then.
func TestForecast(t *testing.T) {
	for _, tc := range []struct {
		name, grace string
		lost        time.Duration // after t0
		// The verdict when keep first fails: at the first expiry, which
		// takes ann to 60 points, whether or not grace holds her then.
		text string
	}{
		{"no grace", "", 30 * 24 * time.Hour, "would be demoted to no tier at the next evaluation: keep fails, and core has no grace or demote_after to hold it"},
		{"grace past the expiry", `grace = "25d"`, 35 * 24 * time.Hour, "held by grace until 2026-02-05 10:00: keep fails, but the grace period (25d)"},
		// demote_after counts from when keep fails, through the grace:
		// the two overlap, and the later end demotes (not their sum).
		{"demote_after past the grace", "grace = \"25d\"\n  demote_after = \"10d\"", 40 * 24 * time.Hour,
			"held by grace until 2026-02-05 10:00: keep fails, but the grace period (25d) after the promotion of 2026-01-11 10:00 runs; demote_after (10d) counts from when keep started failing, 2026-01-31 10:00, so the member is demoted at 2026-02-10 10:00 unless keep holds again"},
		{"demote_after within the grace", "grace = \"25d\"\n  demote_after = \"3d\"", 35 * 24 * time.Hour,
			"held by grace until 2026-02-05 10:00: keep fails, but the grace period (25d) after the promotion of 2026-01-11 10:00 runs; demote_after (3d), counted from when keep started failing (2026-01-31 10:00), is over by then"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := forecastSrc
			if tc.grace != "" {
				src = src[:len(src)-2] + "  " + tc.grace + "\n}\n"
			}
			cfg := loadDir(t, t.TempDir(), src)
			rt := runtime.New(cfg, nil)
			store := state.NewMemory()
			t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
			m := annPostedAt(t, rt, store, t0, t0.Add(10*24*time.Hour))
			if m.Tier.Name != "core" || m.Points != 120 {
				t.Fatalf("ann: %+v", m)
			}
			at := t0.Add(11 * 24 * time.Hour)
			f := rt.Forecast(m, "tier.core", at)
			if f == nil || len(f.Expiring) != 2 || f.Expiring[0].Takes != 60 || f.Expiring[0].Balance != 60 || f.Expiring[1].Balance != 0 ||
				!f.Expiring[0].ExpiresAt.Equal(t0.Add(30*24*time.Hour)) {
				t.Fatalf("forecast: %+v", f)
			}
			if want := t0.Add(tc.lost); !f.TierLost.Equal(want) {
				t.Errorf("tier lost at %s (%s); want %s", f.TierLost, f.TierText, want)
			}
			if want := t0.Add(30 * 24 * time.Hour); !f.TierFrom.Equal(want) || !strings.HasPrefix(f.TierText, tc.text) {
				t.Errorf("verdict at %s: %q; want at %s: %q", f.TierFrom, f.TierText, want, tc.text)
			}
			// Which rule fails, and on what: the points the expiry left.
			if k := f.TierKeep; k == nil || k.Rule != "tier.core.keep" || k.Result != false || len(k.Values) != 1 ||
				k.Values[0].Name != "member.points" || k.Values[0].Value != 60 {
				t.Errorf("failing keep: %+v; want tier.core.keep false on member.points 60", k)
			}
			// Of a tier the member is not on, only the points.
			if g := rt.Forecast(m, "incentive.post", at); g == nil || !g.TierLost.IsZero() || len(g.Expiring) != 2 {
				t.Errorf("forecast for the incentive: %+v", g)
			}
		})
	}
}

// A tier kept by a windowed count is lost when the runtime's recheck
// drops the oldest day from the window, at 00:00 UTC, whatever the time
// asked about: the forecast runs those rechecks, on a copy, and leaves
// the runtime's own figures as they were.
func TestForecastWindowDay(t *testing.T) {
	cfg := loadDir(t, t.TempDir(), `
platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

tier "active" {
  rank = 1
  when = "count('message.posted', '10d') >= 2"
}
`)
	rt := runtime.New(cfg, nil)
	store := state.NewMemory()
	t0 := time.Date(2026, 1, 1, 15, 30, 0, 0, time.UTC)
	m := annPostedAt(t, rt, store, t0, t0.Add(3*24*time.Hour))
	if m.Tier.Name != "active" {
		t.Fatalf("ann: %+v", m)
	}
	before := rt.Stats()
	// The first post's day (2026-01-01) leaves the 10-day window at
	// 2026-01-11 00:00 UTC.
	want := time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{t0.Add(time.Hour), want.Add(-12 * time.Hour), want, want.Add(36 * time.Hour)} {
		f := rt.Forecast(m, "tier.active", at)
		if f == nil || !f.TierLost.Equal(want) || f.Overdue != !want.After(at) {
			t.Errorf("forecast at %s: %+v; want the tier lost at %s", at, f, want)
		}
	}
	if after := rt.Stats(); after.Rechecks != before.Rechecks || after.Evaluations != before.Evaluations {
		t.Errorf("the forecast counted in the runtime's figures: rechecks %d -> %d, evaluations %d -> %d",
			before.Rechecks, after.Rechecks, before.Evaluations, after.Evaluations)
	}
	// The daemon's timers demote at that very time.
	b, _ := store.Begin(context.Background())
	if _, _, err := rt.Recheck(context.Background(), b, want.Add(-time.Nanosecond), 10); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	b, _ = store.Begin(context.Background())
	_, outs, err := rt.Recheck(context.Background(), b, want, 10)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Commit()
	if len(outs) == 0 || outs[0].Kind != state.KindTier || outs[0].Change != "demote" || !outs[0].At.Equal(want) {
		t.Errorf("recheck at %s: %+v; want the demotion", want, outs)
	}
}
