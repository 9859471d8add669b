package runtime_test

import (
	"context"
	"fmt"
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

// The forecast lists the grants still to expire with the balance each
// leaves, and finds when the member loses the tier those points keep
// them on: at the first expiry that takes them below keep, or at the
// end of a grace period running then.
func TestForecast(t *testing.T) {
	for _, tc := range []struct {
		name, grace string
		lost        time.Duration // after t0
	}{
		{"no grace", "", 30 * 24 * time.Hour},
		{"grace past the expiry", `grace = "25d"`, 35 * 24 * time.Hour},
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
			for i, at := range []time.Time{t0, t0.Add(10 * 24 * time.Hour)} {
				b, _ := store.Begin(context.Background())
				ev := events.Event{ID: fmt.Sprintf("e%d", i), Type: "message.posted", Member: events.Member{ID: "ann"}, At: at}
				if _, err := rt.Apply(context.Background(), b, &ev); err != nil {
					t.Fatal(err)
				}
				if err := b.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			b, _ := store.Begin(context.Background())
			m, err := b.Member("ann")
			_ = b.Rollback()
			if err != nil || m.Tier.Name != "core" || m.Points != 120 {
				t.Fatalf("ann: %v %+v", err, m)
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
			// Of a tier the member is not on, only the points.
			if g := rt.Forecast(m, "incentive.post", at); g == nil || !g.TierLost.IsZero() || len(g.Expiring) != 2 {
				t.Errorf("forecast for the incentive: %+v", g)
			}
		})
	}
}
