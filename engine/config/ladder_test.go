package config_test

import (
	"fmt"
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
	const (
		flap  = "Tier members will flap"
		never = "Tier is never reached by promotion"
	)
	// The tiers regular (rank 1 unless given) and core (one above it,
	// when core's when is given): their when, keep, grace and window,
	// each written where set. regular's block starts on line 7, its when
	// on line 9, its keep on line 10.
	type tiers struct {
		regularRank             int
		regular, regularKeep    string
		regularGrace            string
		core, coreKeep, coreWin string
	}
	for _, tc := range []struct {
		name  string
		tiers tiers
		want  []string
		line  int // of the first warning
	}{
		{"keep stricter, no grace", tiers{regular: "member.points >= 10", regularKeep: "member.points >= 15"}, []string{flap}, 10},
		{"strict keep at the same threshold", tiers{regular: "member.points >= 10 && active_days('30d') >= 2", regularKeep: "member.points > 10"}, []string{flap}, 10},
		{"hysteresis", tiers{regular: "member.points >= 15", regularKeep: "member.points >= 10"}, nil, 0},
		{"grace holds it", tiers{regular: "member.points >= 10", regularKeep: "member.points >= 15", regularGrace: "14d"}, nil, 0},
		{"when bounds it from above too", tiers{regular: "member.points >= 10 && member.points < 12", regularKeep: "member.points >= 15"}, nil, 0},
		{"or is not compared", tiers{regular: "member.points >= 10 || has_badge('x')", regularKeep: "member.points >= 15"}, nil, 0},
		{"higher rank asks less", tiers{regularRank: 2, regular: "member.points >= 500", core: "member.points >= 200"}, []string{never}, 9},
		{"higher rank asks less, written the other way", tiers{regular: "member.points >= 500 && active_days('30d') >= 3", core: "300 <= member.points"}, []string{never}, 9},
		{"higher rank asks for something else", tiers{regular: "member.points >= 500", core: "member.points >= 200 && active_days('30d') >= 10"}, nil, 0},
		{"a window makes the higher tier wait", tiers{regular: "member.points >= 500", core: "member.points >= 200", coreWin: "30d"}, nil, 0},
		{"a proper ladder", tiers{regular: "member.points >= 100", regularKeep: "member.points >= 80",
			core: "member.points >= 1000 && active_days('30d') >= 10", coreKeep: "member.points >= 900"}, nil, 0},
	} {
		src := head
		tier := func(name string, rank int, attrs ...string) {
			src += fmt.Sprintf("tier %q {\n  rank = %d\n", name, rank)
			for i := 0; i < len(attrs); i += 2 {
				if attrs[i+1] != "" {
					src += fmt.Sprintf("  %s = %q\n", attrs[i], attrs[i+1])
				}
			}
			src += "}\n"
		}
		rank := max(tc.tiers.regularRank, 1)
		tier("regular", rank, "when", tc.tiers.regular, "keep", tc.tiers.regularKeep, "grace", tc.tiers.regularGrace)
		if tc.tiers.core != "" {
			tier("core", rank+1, "when", tc.tiers.core, "keep", tc.tiers.coreKeep, "window", tc.tiers.coreWin)
		}
		t.Run(tc.name, func(t *testing.T) {
			_, diags := loadSrc(t, src, testOptions(nil))
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
