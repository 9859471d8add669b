package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWhyCalendarLimit: member why on an incentive a calendar limit holds
// back says when the limit resets, in the hearth block's zone, after
// replay counted the grants the same way.
func TestWhyCalendarLimit(t *testing.T) {
	dir := t.TempDir()
	const src = `
hearth {
  timezone = "Europe/Berlin"
}
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
}
incentive "referral" {
  on    = "member.joined"
  when  = "event.referrer != ''"
  limit = "2/month"
  grant {
    to     = "event.referrer"
    points = 50
  }
}
`
	evs := `{"id":"j0","type":"member.joined","member":"ann","at":"2026-10-20T10:00:00Z","attrs":{}}
{"id":"j1","type":"member.joined","member":"bo","at":"2026-11-02T10:00:00Z","attrs":{"referrer":"ann"}}
{"id":"j2","type":"member.joined","member":"cy","at":"2026-11-20T10:00:00Z","attrs":{"referrer":"ann"}}
{"id":"j3","type":"member.joined","member":"di","at":"2026-11-30T22:59:59Z","attrs":{"referrer":"ann"}}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	events := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(events, []byte(evs), 0o644); err != nil {
		t.Fatal(err)
	}
	cli, out, errb := forumCLI()
	if c := cli("replay", "-sort", "-events", events, dir); c != 0 {
		t.Fatalf("replay: %d %s", c, errb.String())
	}
	if c := cli("member", "why", "-at", "2026-11-30T22:59:59Z", "ann", "incentive.referral", dir); c != 0 {
		t.Fatalf("why: %d %s", c, errb.String())
	}
	wantAll(t, "why", out.String(),
		"limit 2/month reached, 2 grants this month; resets 2026-12-01 00:00 Europe/Berlin",
		"  limit 2/month: 2 grants this month, the limit reached; resets 2026-12-01 00:00 Europe/Berlin\n",
		"stored: 2 grants")
	if c := cli("member", "why", "-at", "2026-11-30T23:00:00Z", "ann", "incentive.referral", dir); c != 0 {
		t.Fatalf("why: %d %s", c, errb.String())
	}
	if s := out.String(); strings.Contains(s, "reached") || !strings.Contains(s, "0 grants this month; resets 2027-01-01 00:00 Europe/Berlin") {
		t.Errorf("why at midnight in Berlin:\n%s", s)
	}
}
