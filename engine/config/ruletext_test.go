package config_test

import (
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

func TestNumberText(t *testing.T) {
	for in, want := range map[string]string{
		"540.9":                 "540.9",
		"601":                   "601",
		"-3":                    "-3",
		"0.00001":               "0.00001",
		"1e30":                  "1000000000000000000000000000000",
		"2.0000000000000000001": "2.0",    // a whole float64, still a float
		"1e-400":                "1e-400", // below float64: exact text
	} {
		bf, _, err := big.ParseFloat(in, 10, 512, big.ToNearestEven)
		if err != nil {
			t.Fatal(err)
		}
		if got := config.NumberText(bf); got != want {
			t.Errorf("NumberText(%s) = %q, want %q", in, got, want)
		}
	}
	// What HCL computes: 0.9 * 601 at 512 bits, 540.8999…9995 exactly.
	x := new(big.Float).SetPrec(512)
	x.SetString("0.9")
	x.Mul(x, new(big.Float).SetPrec(512).SetInt64(601))
	if got := config.NumberText(x); got != "540.9" {
		t.Errorf("0.9 * 601 = %q, want 540.9", got)
	}
}

// A number interpolated into a rule is written as people write it, in
// the rule hearth compiles and shows (plan, test, member why) and in a
// description: in a plain ${} and inside %{if} and %{for} directives.
func TestRuleNumbersShort(t *testing.T) {
	const head = `
variable "x" {
  default = 601
}
variable "strict" {
  default = true
}
locals {
  low = 0.9
}
`
	for _, tc := range []struct{ name, description, when, want string }{
		{"plain", "at least ${var.x * local.low}",
			"member.points >= ${var.x * local.low} && member.points < ${var.x * 1.0} && member.points != ${1 / 3}",
			"member.points >= 540.9 && member.points < 601 && member.points != 0.3333333333333333"},
		{"directives", "at least %{if var.strict}${var.x * 0.9}%{else}${var.x * 0.5}%{endif}",
			"member.points >= %{if var.strict}${var.x * 0.9}%{endif} && member.points in [%{for n in [0.9, 0.5]}${n * var.x}, %{endfor}0]",
			"member.points >= 540.9 && member.points in [540.9, 300.5, 0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags := loadSrc(t, head+"segment \"s\" {\n  description = \""+tc.description+"\"\n  when = \""+tc.when+"\"\n}\n", testOptions(nil))
			if len(diags) > 0 {
				t.Fatalf("diagnostics:%s", describe(diags))
			}
			s := cfg.Segments[0]
			if s.When.Source != tc.want {
				t.Errorf("source %q, want %q", s.When.Source, tc.want)
			}
			if s.Description != "at least 540.9" {
				t.Errorf("description %q", s.Description)
			}
		})
	}
}

// TestRuleErrorPositions: an error in a rule points at its token in the
// file, whatever the rule is written as; one a local gives whole points
// at the attribute.
func TestRuleErrorPositions(t *testing.T) {
	cases := []struct {
		name, when string
		want       string // the text under the diagnostic's range
	}{
		{"quoted", `"member.points > 1 && member.pionts > 2"`, "pionts"},
		{"escapes", `"member.name != \"a\\\"b\" && member.pionts > 2"`, "pionts"},
		{"unicode escapes", `"member.name != '\u00e9\U0001F600' && member.pionts > 2"`, "pionts"},
		{"literal dollar", `"member.name != '$${x}' && member.pionts > 2"`, "pionts"},
		{"interpolation", `"member.points > ${var.n * 0.9} && member.pionts > 2"`, "pionts"},
		{"interpolated token", `"count('message.posted', '${var.n}d') > 0"`, "'${var.n}d'"},
		{"heredoc", "<<-EOT\n    member.points > 1 &&\n      member.points < 9 &&\n    member.pionts > 2\n  EOT", "pionts"},
		{"heredoc tabs", "<<-EOT\n\t\tmember.points > 1 &&\n\t\tmember.pionts > 2\n\tEOT", "pionts"},
		{"heredoc unindented", "<<EOT\n    member.points > ${var.n} &&\n    member.pionts > 2\nEOT", "pionts"},
		{"heredoc strip marker", "<<-EOT\n    member.points > ${var.n ~}\n    && member.pionts > 2\n  EOT", "pionts"},
		{"heredoc literal dollar", "<<-EOT\n    member.name != '$${x}' &&\n    member.pionts > 2\n  EOT", "pionts"},
		{"local", "local.rule", "local.rule"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "variable \"n\" {\n  default = 601\n}\nlocals {\n  rule = \"member.pionts > 2\"\n}\nsegment \"s\" {\n  when = " + c.when + "\n}\n"
			dir := writeDir(t, map[string]string{"main.hcl": src})
			_, _, diags := config.Load(dir, testOptions(nil))
			if len(diags) != 1 || diags[0].Subject == nil {
				t.Fatalf("diagnostics:%s", describe(diags))
			}
			r := diags[0].Subject
			b, err := os.ReadFile(filepath.Join(dir, "main.hcl"))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(b[r.Start.Byte:r.End.Byte]); got != c.want {
				t.Errorf("range %s covers %q, want %q", r, got, c.want)
			}
			// Line and column agree with the bytes.
			lines := strings.Split(string(b), "\n")
			if r.Start.Line < 1 || r.Start.Line > len(lines) || !strings.HasPrefix(string([]rune(lines[r.Start.Line-1])[r.Start.Column-1:]), c.want[:1]) {
				t.Errorf("line %d column %d is not where %q starts", r.Start.Line, r.Start.Column, c.want)
			}
		})
	}
}
