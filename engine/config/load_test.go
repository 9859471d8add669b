package config_test

import (
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// A syntax error in one file is reported alone: the blocks the parser
// recovered from that file still resolve the other files' references,
// and nothing else is said about the broken file until it parses.
func TestSyntaxErrorIsReportedAlone(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"community.hcl": `platform "local" "main" {}

community "c" {
  platform = platform.local.main
  role "regular" {}
}

moved { from = "community.c.channel.a" to = "community.c.channel.b" }
`,
		"members.hcl": `segment "s" {
  community = community.c
  when      = "member.points > 1"
}

tier "regular" {
  rank = 1
  when = "member.points >= 100"
  role = community.c.role.regular
}
`,
	})
	_, _, diags := config.Load(dir, testOptions(nil))
	if len(diags) != 1 || diags[0].Summary != "Invalid single-argument block definition" {
		t.Fatalf("want the syntax error alone, got:%s", describe(diags))
	}
}

// A problem in a file that parses is still reported beside a syntax
// error elsewhere.
func TestSyntaxErrorKeepsOtherFilesProblems(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"community.hcl": "platform \"local\" \"main\" {}\n\ncommunity \"c\" {\n  platform = platform.local.main\n}\n\nsegment \"broken\" {\n  when \"x\"\n}\n",
		"members.hcl":   "segment \"s\" {\n  community = community.c\n  when      = \"member.pionts > 1\"\n}\n",
	})
	_, _, diags := config.Load(dir, testOptions(nil))
	if len(diags) != 2 || diags[0].Summary != "Invalid block definition" || diags[1].Summary != "Invalid rule" {
		t.Fatalf("want the syntax error and the rule's typo, got:%s", describe(diags))
	}
}
