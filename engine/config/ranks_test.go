package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// The rank warnings: gaps in the ladder's numbers, and rules comparing
// tier_rank() with a literal rank the ladder does not back. Each case
// lists the warnings it must give as "line:column summary", in order;
// the column is where the comparison (or the rank) starts.
func TestRankWarnings(t *testing.T) {
	const head = "platform \"local\" \"main\" {}\ncommunity \"c\" {\n  platform = platform.local.main\n  title = \"C\"\n}\n"
	// Lines 6 on are the case's.
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{
		{"a tier removed from the middle", `tier "basic" {
  rank = 1
  when = "member.points >= 10"
}
tier "regular" {
  rank = 3
  when = "tier_rank() >= 2 && member.points >= 100"
}
tier "leader" {
  rank = 4
  when = "false"
}`, []string{"11:10 Gap in the tier ladder", "12:11 Tier is never reached by promotion"}},
		{"written the other way round, in a heredoc", `locals {
  min = 100
}
tier "basic" {
  rank = 1
  when = "member.points >= 10"
}
tier "regular" {
  rank = 3
  when = <<-EOT
    member.points >= ${local.min} &&
      2 <= tier_rank()
  EOT
}`, []string{"14:10 Gap in the tier ladder", "17:7 Tier is never reached by promotion"}},
		{"asks for its own rank", `tier "basic" {
  rank = 1
  when = "member.points >= 10"
}
tier "regular" {
  rank = 2
  when = "tier_rank() >= 2 && member.points >= 100"
}`, []string{"12:11 Tier is never reached by promotion"}},
		{"a proper ladder", `tier "basic" {
  rank = 1
  when = "member.points >= 10"
}
tier "regular" {
  rank = 2
  when = "tier_rank() >= 1 && member.points >= 100"
  keep = "tier_rank() == 2"
}
segment "on_a_tier" {
  when = "tier_rank() > 0 && member.tier_rank <= 2"
}
segment "regulars" {
  when = "tier_rank() >= rank_of('regular')"
}`, nil},
		{"an || is not a promotion floor", `tier "basic" {
  rank = 1
  when = "member.points >= 10"
}
tier "regular" {
  rank = 2
  when = "tier_rank() >= 2 || member.points >= 1000"
}`, nil},
		{"no tier has the rank", `tier "basic" {
  rank = 1
  when = "member.points >= 10"
}
tier "regular" {
  rank = 3
  when = "tier_rank() >= 1 && member.points >= 100"
}
segment "members" {
  when = "member.points > 1 && tier_rank() > 2"
}`, []string{"11:10 Gap in the tier ladder", "15:32 No tier has this rank"}},
		{"never holds", `tier "basic" {
  rank = 1
  when = "member.points >= 10"
}
segment "leaders" {
  when = "tier_rank() == 4"
}
segment "above_all" {
  when = "member.tier_rank > 1"
}`, []string{"11:11 Rank comparison never holds", "14:11 Rank comparison never holds"}},
		{"gaps in tens", `tier "basic" {
  rank = 10
  when = "member.points >= 10"
}
tier "regular" {
  rank = 20
  when = "member.points >= 100"
}`, []string{"7:10 Gap in the tier ladder", "11:10 Gap in the tier ladder"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := loadSrc(t, head+tc.src+"\n", testOptions(nil))
			var got []string
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					t.Fatalf("errors:%s", describe(diags))
				}
				got = append(got, fmt.Sprintf("%d:%d %s", d.Subject.Start.Line, d.Subject.Start.Column, d.Summary))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got %q\nwant %q%s", got, tc.want, describe(diags))
			}
		})
	}
}

// The messages name the ranks, so the reader sees what went missing.
func TestRankWarningText(t *testing.T) {
	_, diags := loadSrc(t, `platform "local" "main" {}
community "c" {
  platform = platform.local.main
  title    = "C"
}
tier "basic" {
  rank = 1
  when = "member.points >= 10"
}
tier "regular" {
  rank = 3
  when = "tier_rank() >= 2 && member.points >= 100"
}
tier "leader" {
  rank = 4
  when = "false"
}
`, testOptions(nil))
	var text []string
	for _, d := range diags {
		text = append(text, d.Detail)
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{
		"the tiers' ranks are 1, 3, 4: no tier has rank 2.",
		"tier.regular (rank 3) promotes only members with tier_rank() >= 2, which no rank below it meets (0 is no tier, the ranks below are 1): a member would have to be on tier.regular or above already. No tier has rank 2 (the ranks are 1, 3, 4).",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in:\n%s", want, all)
		}
	}
}
