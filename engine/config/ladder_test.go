package config_test

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// The ladder warnings: a keep stricter than its when with nothing to
// hold a promoted member, and a tier a higher one's when admits all of.
// Each case lists the warning summaries it must give, in order; hysteresis
// done right, or rules too involved to compare, give none.
func TestTierLadderWarnings(t *testing.T) {
	const head = "platform \"local\" \"main\" {}\ncommunity \"c\" {\n  platform = platform.local.main\n  title = \"C\"\n}\nbadge \"x\" {}\n"
	for _, tc := range []struct {
		name  string
		tiers string
		want  []string
		line  int // of the first warning
	}{
		{"keep stricter, no grace", `tier "regular" {
  rank = 1
  when = "member.points >= 10"
  keep = "member.points >= 15"
}`, []string{"Tier members will flap"}, 10},
		{"strict keep at the same threshold", `tier "regular" {
  rank = 1
  when = "member.points >= 10 && active_days('30d') >= 2"
  keep = "member.points > 10"
}`, []string{"Tier members will flap"}, 10},
		{"hysteresis", `tier "regular" {
  rank = 1
  when = "member.points >= 15"
  keep = "member.points >= 10"
}`, nil, 0},
		{"grace holds it", `tier "regular" {
  rank  = 1
  when  = "member.points >= 10"
  keep  = "member.points >= 15"
  grace = "14d"
}`, nil, 0},
		{"when bounds it from above too", `tier "regular" {
  rank = 1
  when = "member.points >= 10 && member.points < 12"
  keep = "member.points >= 15"
}`, nil, 0},
		{"or is not compared", `tier "regular" {
  rank = 1
  when = "member.points >= 10 || has_badge('x')"
  keep = "member.points >= 15"
}`, nil, 0},
		{"higher rank asks less", `tier "regular" {
  rank = 2
  when = "member.points >= 500"
}
tier "core" {
  rank = 3
  when = "member.points >= 200"
}`, []string{"Tier is never reached by promotion"}, 9},
		{"higher rank asks less, written the other way", `tier "regular" {
  rank = 1
  when = "member.points >= 500 && active_days('30d') >= 3"
}
tier "core" {
  rank = 2
  when = "300 <= member.points"
}`, []string{"Tier is never reached by promotion"}, 9},
		{"higher rank asks for something else", `tier "regular" {
  rank = 1
  when = "member.points >= 500"
}
tier "core" {
  rank = 2
  when = "member.points >= 200 && active_days('30d') >= 10"
}`, nil, 0},
		{"a window makes the higher tier wait", `tier "regular" {
  rank = 1
  when = "member.points >= 500"
}
tier "core" {
  rank   = 2
  when   = "member.points >= 200"
  window = "30d"
}`, nil, 0},
		{"a proper ladder", `tier "regular" {
  rank = 1
  when = "member.points >= 100"
  keep = "member.points >= 80"
}
tier "core" {
  rank = 2
  when = "member.points >= 1000 && active_days('30d') >= 10"
  keep = "member.points >= 900"
}`, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := loadSrc(t, head+tc.tiers+"\n", testOptions(nil))
			var got []*hcl.Diagnostic
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					t.Fatalf("errors:%s", describe(diags))
				}
				if strings.HasPrefix(d.Summary, "Tier ") {
					got = append(got, d)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("want %q, got:%s", tc.want, describe(diags))
			}
			for i, d := range got {
				if d.Summary != tc.want[i] {
					t.Errorf("warning %d: %q; want %q", i, d.Summary, tc.want[i])
				}
			}
			if len(got) > 0 && got[0].Subject.Start.Line != tc.line {
				t.Errorf("first warning at line %d; want %d:%s", got[0].Subject.Start.Line, tc.line, describe(diags))
			}
		})
	}
}
