package risk

import (
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/rules"
)

// TestSampleFiguresCrossTheRule checks the figures hearth template render
// previews an alert's message with: the rule holds at them, only what it
// needs moved from a quiet community, near the numbers in the rule, and
// the other figures still those a community could have.
func TestSampleFiguresCrossTheRule(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		when     string
		capacity int
		holds    bool
		want     map[string]float64 // figures set by the search
	}{
		{"community.negative_1h >= 5", 0, true, map[string]float64{"negative_1h": 5}},
		{"community.reports_24h > 4", 0, true, map[string]float64{"reports_24h": 5}},
		// The usual level stays; the day drops below a third of it.
		{"community.messages_usual_24h >= 20 && community.messages_24h * 3 < community.messages_usual_24h", 0, true, map[string]float64{"messages_24h": 20, "messages_usual_24h": 120}},
		// Several figures: the hour's messages follow the negative ones.
		{"community.negative_1h >= 10 && community.negative_1h * 3 >= community.messages_1h", 0, true, map[string]float64{"negative_1h": 10, "messages_1h": 10}},
		// A ratio becomes the counts it is made of.
		{"community.capacity_used >= 0.9", 150, true, map[string]float64{"members": 135, "capacity_used": 0.9}},
		{"community.active_ratio_7d < 0.2", 0, true, map[string]float64{"active_7d": 23}},
		// Without capacity, capacity_used is never more than 0.
		{"community.capacity_used >= 0.9", 0, false, nil},
	}
	for _, c := range cases {
		p, errs := rules.NewCompiler().Compile(c.when, rules.Scope{})
		if len(errs) > 0 {
			t.Fatalf("%s: %v", c.when, errs[0])
		}
		a := &config.Alert{Name: "a", Severity: "warning", When: &config.Rule{Source: c.when, Program: p}}
		f, holds := Sample(a, rules.Community{Name: "c", Capacity: c.capacity}, now)
		if holds != c.holds {
			t.Errorf("%s: holds %v, want %v (%+v)", c.when, holds, c.holds, f)
			continue
		}
		if f.Name != "c" || f.Capacity != c.capacity {
			t.Errorf("%s: the community's own figures changed: %+v", c.when, f)
		}
		for name, want := range c.want {
			if got := figure(f, name); got != want {
				t.Errorf("%s: %s = %v, want %v", c.when, name, got, want)
			}
		}
		// A community could have them: the ordered figures in order,
		// the ratios their counts'.
		for _, p := range ordered {
			if figure(f, p[0]) > figure(f, p[1]) {
				t.Errorf("%s: %s %v > %s %v", c.when, p[0], figure(f, p[0]), p[1], figure(f, p[1]))
			}
		}
		if f.Members > 0 && f.ActiveRatio7d != float64(f.Active7d)/float64(f.Members) {
			t.Errorf("%s: active_ratio_7d %v is not active_7d / members", c.when, f.ActiveRatio7d)
		}
		if !holds && f != quietFigures(rules.Community{Name: "c", Capacity: c.capacity}) {
			t.Errorf("%s: no sample holds, so the figures should be the quiet ones: %+v", c.when, f)
		}
	}
}
