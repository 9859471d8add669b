package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A rules change is previewed against the live state before the daemon
// picks it up: the daemon's directory (live) is the deploy, and the
// change is planned from a working copy with -live. Relative paths
// resolve against live, the local platform's file among them, so the
// platforms show no change and the member impact reads live's members:
// here the runs waiting at a step the copy renamed without a moved
// block. Pointing the copy's state block at live's state instead leaves
// the local platform's file relative to the copy: the plan then says
// why every object reads as deleted.
func TestPlanLiveFromAWorkingCopy(t *testing.T) {
	live := quickstartCopy(t)
	if code, out, errs := runCLI("apply", "-auto-approve", live); code != 0 {
		t.Fatalf("apply: %d\n%s\n%s", code, out, errs)
	}
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	events := filepath.Join(t.TempDir(), "joins.jsonl")
	var b strings.Builder
	for _, id := range []string{"ann", "bob"} {
		fmt.Fprintf(&b, `{"id":"j-%s","type":"member.joined","member":%q,"at":%q}`+"\n", id, id, at)
	}
	if err := os.WriteFile(events, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI("replay", "-events", events, live); code != 0 {
		t.Fatalf("replay: %d\n%s\n%s", code, out, errs)
	}
	// The working copy renames the step the runs wait at.
	wc := t.TempDir()
	for _, name := range []string{"community.hcl", "members.hcl", "onboarding.hcl"} {
		src, err := os.ReadFile(filepath.Join(live, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "onboarding.hcl" {
			// Renamed both: quiet hours may hold the runs at the welcome.
			src = []byte(strings.NewReplacer(`step "nudge"`, `step "reminder"`, `step "welcome"`, `step "hello"`).Replace(string(src)))
		}
		if err := os.WriteFile(filepath.Join(wc, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := runCLI("plan", "-detailed-exitcode", "-live", live, wc)
	if code != 2 || !strings.Contains(out, "No changes to the platforms") ||
		!regexp.MustCompile(`step onboarding\.(welcome|nudge): \+0 -2 \(-ann, bob\): campaign onboarding no longer has step (welcome|nudge)`).MatchString(out) || strings.Contains(errs, "does not exist") {
		t.Errorf("plan -live: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(wc, ".hearth")); !os.IsNotExist(err) {
		t.Errorf("plan -live wrote into the working copy: %v", err)
	}
	if code, _, errs := runCLI("plan", "-live", live, "-out", filepath.Join(t.TempDir(), "p.json"), wc); code != 1 || !strings.Contains(errs, "-out cannot be used with -live") {
		t.Errorf("plan -live -out: exit %d\n%s", code, errs)
	}
	// The state block pointed at live's state: the local platform's file
	// is the copy's, which does not exist, and the plan says so.
	community, err := os.ReadFile(filepath.Join(wc, "community.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(community), `path    = ".hearth/state.db"`, `path    = "`+filepath.Join(live, ".hearth", "state.db")+`"`, 1)
	if edited == string(community) {
		t.Fatal("the quickstart's state block changed; update this test")
	}
	if err := os.WriteFile(filepath.Join(wc, "community.hcl"), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI("plan", wc)
	if code != 0 || !strings.Contains(errs, "platform.local.main's file "+filepath.Join(wc, ".hearth", "local-platform.json")+" does not exist") || !strings.Contains(errs, "-live DIR") {
		t.Errorf("plan with the state block at live's state: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// member show and campaign show agree on where a run on a step the
// files no longer have is: still at it, going on to the step after it.
func TestRemovedStepShownAlikeByMemberAndCampaignShow(t *testing.T) {
	dir := quickstartCopy(t)
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	events := filepath.Join(t.TempDir(), "joins.jsonl")
	if err := os.WriteFile(events, []byte(`{"id":"j-ann","type":"member.joined","member":"ann","at":"`+at+`"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI("replay", "-events", events, dir); code != 0 {
		t.Fatalf("replay: %d\n%s\n%s", code, out, errs)
	}
	src, err := os.ReadFile(filepath.Join(dir, "onboarding.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	// Renamed both: quiet hours may hold the run at the welcome.
	src = []byte(strings.NewReplacer(`step "nudge"`, `step "reminder"`, `step "welcome"`, `step "hello"`).Replace(string(src)))
	if err := os.WriteFile(filepath.Join(dir, "onboarding.hcl"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(welcome|nudge) \(removed from the campaign: (goes on to [a-z]+|the run finishes)\)`)
	_, mout, _ := runCLI("member", "show", "ann", dir)
	_, cout, _ := runCLI("campaign", "show", "onboarding", dir)
	m, c := re.FindString(mout), re.FindString(cout)
	if m == "" || m != c || !strings.Contains(cout, "moved { from = campaign.onboarding.step.") {
		t.Errorf("member show says %q, campaign show %q\nmember show:\n%s\ncampaign show:\n%s", m, c, mout, cout)
	}
}
