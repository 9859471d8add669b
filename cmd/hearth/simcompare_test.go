package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/textdiff"
)

// quickstartChange is a rules change to the quickstart: a lower bar for
// the regular tier (below its keep, so members flap), a helper badge for
// five reactions rather than ten, half the points of a first post, a
// lurker who posted up to three times, and a nudge after a day.
func quickstartChange(src []byte) []byte {
	for _, r := range [][2]string{
		{`when     = "member.points >= 100"`, `when     = "member.points >= 60"`},
		{`total('reaction.received') >= 10`, `total('reaction.received') >= 5`},
		{"points = 10\n    badge  = badge.first_post", "points = 5\n    badge  = badge.first_post"},
		{`count('message.posted', '30d') == 0`, `count('message.posted', '30d') <= 3`},
		{`wait = "72h"`, `wait = "24h"`},
	} {
		src = bytes.ReplaceAll(src, []byte(r[0]), []byte(r[1]))
	}
	return src
}

// simulateCLI runs hearth with standard input in and gives the exit
// status, stdout and stderr.
func simulateCLI(in string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	s := &stdio{in: strings.NewReader(in), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := run(context.Background(), args, s)
	return code, out.String(), errb.String()
}

// simulate -baseline replays the quickstart's events through its rules
// and through changed ones and prints what the change does: the text is
// a golden file (go test -run TestSimulateCompare -update rewrites it),
// and -json's figures are the same.
func TestSimulateCompare(t *testing.T) {
	events := "../../examples/quickstart/events.jsonl"
	base := exampleCopy(t, "quickstart", nil)
	changed := exampleCopy(t, "quickstart", quickstartChange)
	for _, f := range []string{"members.hcl", "onboarding.hcl"} {
		a, _ := os.ReadFile(filepath.Join(base, f))
		b, _ := os.ReadFile(filepath.Join(changed, f))
		if bytes.Equal(a, b) {
			t.Fatalf("quickstartChange left %s as it was: has the example changed?", f)
		}
	}

	code, out, errs := simulateCLI("", "simulate", "-no-color", "-members", "-detailed-exitcode", "-events", events, "-baseline", base, changed)
	if code != 2 {
		t.Fatalf("exit %d, want 2 (the replays differ)\n%s%s", code, out, errs)
	}
	// The change lowers regular's when below its keep: the configuration
	// warns about it before the replay shows the flapping, and says
	// nothing else.
	if strings.Count(errs, "Warning: ") != 1 || !strings.Contains(errs, "Warning: Tier members will flap") {
		t.Errorf("stderr: %s", errs)
	}
	text := strings.NewReplacer(base, "BASELINE", changed, "NEW").Replace(out)
	golden := filepath.Join("testdata", "simcompare", "quickstart.txt")
	if *updatePlans {
		if err := os.WriteFile(golden, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if text != string(want) {
		t.Errorf("the comparison differs from %s (-update rewrites it):\n%s", golden, textdiff.Unified(golden, "got", string(want), text))
	}

	// On a terminal, gains are green and losses red; -no-color (above)
	// and NO_COLOR leave them plain.
	for _, noColor := range []bool{false, true} {
		var o, e bytes.Buffer
		s := &stdio{in: strings.NewReader(""), out: &o, err: &e, outTTY: true, lookupEnv: func(k string) (string, bool) { return "", noColor && k == "NO_COLOR" }}
		run(context.Background(), []string{"simulate", "-events", events, "-baseline", base, changed}, s)
		colored := strings.Contains(o.String(), "\x1b[32m+3\x1b[0m") && strings.Contains(o.String(), "\x1b[31m-135\x1b[0m")
		if colored == noColor || noColor && strings.Contains(o.String(), "\x1b[") {
			t.Errorf("on a terminal (NO_COLOR %v): colored %v\n%s", noColor, colored, o.String())
		}
	}

	code, out, errs = simulateCLI("", "simulate", "-json", "-members", "-events", events, "-baseline", base, changed)
	if code != 0 {
		t.Fatalf("-json: exit %d, want 0 without -detailed-exitcode\n%s", code, errs)
	}
	var doc struct {
		Baseline struct {
			Dir     string            `json:"dir"`
			Summary *simulate.Summary `json:"summary"`
		} `json:"baseline"`
		New struct {
			Dir     string            `json:"dir"`
			Summary *simulate.Summary `json:"summary"`
		} `json:"new"`
		simulate.Comparison
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("-json: %v\n%s", err, out)
	}
	c := &doc.Comparison
	if !c.Differs || doc.Baseline.Dir != base || doc.New.Dir != changed || doc.Baseline.Summary == nil || doc.New.Summary == nil {
		t.Fatalf("-json: differs %v, baseline %q, new %q, summaries %v %v", c.Differs, doc.Baseline.Dir, doc.New.Dir, doc.Baseline.Summary != nil, doc.New.Summary != nil)
	}
	if doc.Baseline.Summary.Firings["helper"] != 14 || doc.New.Summary.Firings["helper"] != 17 {
		t.Errorf("summaries: helper granted %d and %d, want 14 and 17", doc.Baseline.Summary.Firings["helper"], doc.New.Summary.Firings["helper"])
	}
	find := func(ds []simulate.Delta, name string) simulate.Delta {
		t.Helper()
		for _, d := range ds {
			if d.Name == name {
				return d
			}
		}
		t.Fatalf("no row %q in %+v", name, ds)
		return simulate.Delta{}
	}
	for _, tc := range []struct {
		what             string
		got              simulate.Delta
		base, new, delta int
	}{
		{"helper grants", find(c.Incentives, "helper"), 14, 17, 3},
		{"first_post grants", find(c.Incentives, "first_post"), 27, 27, 0},
		{"first_post points", find(c.PointsByRule, "first_post"), 270, 135, -135},
		{"helper points", find(c.PointsByRule, "helper"), 350, 425, 75},
		{"net points", c.Points, 2947, 2887, -60},
		{"Helper holders", find(c.Badges, "helper"), 14, 17, 3},
		{"regular", find(c.Tiers, "regular"), 13, 18, 5},
		{"no tier", find(c.Tiers, ""), 17, 12, -5},
		{"lurkers", find(c.Segments, "lurkers"), 3, 6, 3},
		{"onboarding sends", find(c.CampaignSends, "onboarding"), 40, 47, 7},
		{"send.dm", find(c.Sends, "send.dm"), 40, 47, 7},
	} {
		if tc.got.Baseline != tc.base || tc.got.New != tc.new || tc.got.Change != tc.delta {
			t.Errorf("%s: %d -> %d (%+d), want %d -> %d (%+d)", tc.what, tc.got.Baseline, tc.got.New, tc.got.Change, tc.base, tc.new, tc.delta)
		}
	}
	if len(c.TierMoves) != 1 || c.TierMoves[0].From != "" || c.TierMoves[0].To != "regular" || c.TierMoves[0].Count != 5 ||
		!slices.Equal(c.TierMoves[0].Members, []string{"u04", "u09", "u13", "u17", "u19"}) {
		t.Errorf("tier moves: %+v, want 5 members from no tier to regular", c.TierMoves)
	}
	if c.Members != 30 || c.MembersChanged == 0 || c.ListCap != compareJSONCap {
		t.Errorf("members %d, changed %d, list cap %d", c.Members, c.MembersChanged, c.ListCap)
	}
	var badge *simulate.MemberShift
	for i := range c.Shifts {
		if c.Shifts[i].Kind == "badge" && c.Shifts[i].Name == "helper" {
			badge = &c.Shifts[i]
		}
	}
	if badge == nil || badge.Enter != 3 || badge.Leave != 0 || !slices.Equal(badge.EnterMembers, []string{"u13", "u28", "u29"}) {
		t.Errorf("badge helper shift: %+v, want +3 (u13, u28, u29)", badge)
	}
}

// The two replays are independent and deterministic: the same rules
// twice differ in nothing (exit 0 with -detailed-exitcode), events read
// from standard input too, and the same comparison twice prints the
// same JSON.
func TestSimulateCompareSameRules(t *testing.T) {
	events := "../../examples/quickstart/events.jsonl"
	dir := exampleCopy(t, "quickstart", nil)
	code, out, errs := simulateCLI("", "simulate", "-detailed-exitcode", "-events", events, "-baseline", "../../examples/quickstart", dir)
	if code != 0 || !strings.Contains(out, "\nNo difference: the new rules do with these events what the baseline rules do.\n") {
		t.Fatalf("same rules: exit %d, want 0 and no difference\n%s%s", code, out, errs)
	}
	src, err := os.ReadFile(events)
	if err != nil {
		t.Fatal(err)
	}
	changed := exampleCopy(t, "quickstart", quickstartChange)
	code, fromStdin, errs := simulateCLI(string(src), "simulate", "-json", "-events", "-", "-baseline", dir, changed)
	if code != 0 {
		t.Fatalf("standard input: exit %d\n%s", code, errs)
	}
	_, fromFile, _ := simulateCLI("", "simulate", "-json", "-events", events, "-baseline", dir, changed)
	if fromStdin != fromFile || !strings.Contains(fromFile, `"differs": true`) {
		t.Errorf("the comparison of events from standard input differs from that of the file:\n%s", textdiff.Unified("file", "stdin", fromFile, fromStdin))
	}
}

// -baseline-ref takes the baseline from git: the directory's files at a
// commit, whatever the working tree holds now.
func TestSimulateCompareRef(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := t.TempDir()
	dir := filepath.Join(repo, "rules")
	if err := os.CopyFS(dir, os.DirFS(exampleCopy(t, "quickstart", nil))); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "quickstart")
	for _, f := range []string{"members.hcl", "onboarding.hcl"} {
		p := filepath.Join(dir, f)
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, quickstartChange(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	events := "../../examples/quickstart/events.jsonl"
	code, out, errs := simulateCLI("", "simulate", "-no-color", "-detailed-exitcode", "-events", events, "-baseline-ref", "main", dir)
	if code != 2 || !strings.Contains(out, "  baseline  "+dir+" at main (") || !strings.Contains(out, "\n  helper             14        17   +3\n") {
		t.Errorf("-baseline-ref main: exit %d, want 2 and helper's grants 14 -> 17\n%s%s", code, out, errs)
	}
	// Committed, the change is the baseline too.
	git("commit", "-q", "-am", "change")
	code, out, errs = simulateCLI("", "simulate", "-detailed-exitcode", "-events", events, "-baseline-ref", "main", dir)
	if code != 0 || !strings.Contains(out, "No difference") {
		t.Errorf("-baseline-ref main after the commit: exit %d, want 0\n%s%s", code, out, errs)
	}
	code, _, errs = simulateCLI("", "simulate", "-events", events, "-baseline-ref", "nosuch", dir)
	if code != 1 || !strings.Contains(errs, `hearth simulate: -baseline-ref: "nosuch" names no commit of the repository holding `) {
		t.Errorf("-baseline-ref nosuch: exit %d\n%s", code, errs)
	}
	// A directory git does not track at the ref: said so, not git
	// archive's "fatal: not a valid object name".
	fresh := filepath.Join(repo, "fresh")
	if err := os.CopyFS(fresh, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	code, _, errs = simulateCLI("", "simulate", "-events", events, "-baseline-ref", "HEAD", fresh)
	if code != 1 || strings.Contains(errs, "fatal") || !strings.Contains(errs, "hearth simulate: -baseline-ref: "+fresh+" is not in the repository at HEAD (commit ") ||
		!strings.Contains(errs, "git does not track it there") {
		t.Errorf("-baseline-ref HEAD of an untracked directory: exit %d\n%s", code, errs)
	}
	// Outside any repository.
	outside := t.TempDir()
	code, _, errs = simulateCLI("", "simulate", "-events", events, "-baseline-ref", "HEAD", outside)
	if code != 1 || !strings.Contains(errs, "hearth simulate: -baseline-ref: "+outside+" is not in a git repository") {
		t.Errorf("-baseline-ref HEAD outside a repository: exit %d\n%s", code, errs)
	}
}

// Flags of a comparison without one, or with what only one replay
// gives, are usage errors.
func TestSimulateCompareMistakes(t *testing.T) {
	ev := "../../examples/quickstart/events.jsonl"
	qs := "../../examples/quickstart"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-detailed-exitcode"}, "-detailed-exitcode needs -baseline BASEDIR or -baseline-ref REF"},
		{[]string{"-members"}, "-members needs -baseline BASEDIR or -baseline-ref REF"},
		{[]string{"-baseline", qs, "-baseline-ref", "main"}, "-baseline and -baseline-ref both name the baseline rules; give one"},
		{[]string{"-baseline", qs, "-outcomes", filepath.Join(t.TempDir(), "o.jsonl")}, "-outcomes writes the outcomes of one replay"},
		{[]string{"-baseline", qs, "-report-json", filepath.Join(t.TempDir(), "r.json")}, "-report-json writes the report of one replay"},
		{[]string{"-baseline-ref", "--upload-pack=x"}, `-baseline-ref "--upload-pack=x" is not a git ref`},
	} {
		args := append(append([]string{"simulate", "-events", ev}, tc.args...), qs)
		code, out, errs := simulateCLI("", args...)
		if code != 1 || out != "" || !strings.HasPrefix(errs, "hearth simulate: "+tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", tc.args, code, out, errs, tc.want)
		}
	}
}

// quickstartSplit gives the quickstart's onboarding an A/B split after
// its welcome (short: done after it; long: the nudge too) and a
// conversion window of window.
func quickstartSplit(window string) func([]byte) []byte {
	return func(src []byte) []byte {
		for _, r := range [][2]string{
			{"  exit_when     = \"member.messages > 0\"\n", "  exit_when     = \"member.messages > 0\"\n  conversion_window = \"" + window + "\"\n"},
			{"  step \"nudge\" {\n    wait = \"72h\"", `  step "pick" {
    split {
      variant "short" {
        weight = 50
        goto   = "exit"
      }
      variant "long" {
        weight = 50
        goto   = "nudge"
      }
    }
  }

  step "nudge" {
    wait = "72h"`},
		} {
			src = bytes.ReplaceAll(src, []byte(r[0]), []byte(r[1]))
		}
		return src
	}
}

// A change that alters only how campaign runs end (a shorter
// conversion_window: fewer runs count as converted) is a difference:
// the comparison gives the campaign's runs by how they ended, its goal
// rate and each arm's, and -detailed-exitcode exits 2.
func TestSimulateCompareCampaignOutcomes(t *testing.T) {
	events := "../../examples/quickstart/events.jsonl"
	base := exampleCopy(t, "quickstart", quickstartSplit("7d"))
	changed := exampleCopy(t, "quickstart", quickstartSplit("3d"))
	src, _ := os.ReadFile(filepath.Join(changed, "onboarding.hcl"))
	if !bytes.Contains(src, []byte(`conversion_window = "3d"`)) || !bytes.Contains(src, []byte(`variant "long"`)) {
		t.Fatalf("quickstartSplit left onboarding.hcl as it was: has the example changed?\n%s", src)
	}
	code, out, errs := simulateCLI("", "simulate", "-no-color", "-detailed-exitcode", "-events", events, "-baseline", base, changed)
	if code != 2 {
		t.Fatalf("exit %d, want 2: the conversions differ\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		`(?m)^Campaign outcomes \(runs\)\s+baseline\s+new\s+change$`,
		`(?m)^  onboarding: converted \(after the last step, conversion_window\)\s+15\s+11\s+-4$`,
		`(?m)^  onboarding: finished\s+7\s+11\s+\+4$`,
		`(?m)^  onboarding: goal rate \(of runs\)\s+76\.7%\s+63\.3%\s+-13\.3 points$`,
		`(?m)^  onboarding: variant short goal rate\s+68\.4%\s+57\.9%\s+-10\.5 points$`,
		`(?m)^  onboarding: variant long goal rate\s+90\.0%\s+70\.0%\s+-20\.0 points$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("no line %s in\n%s", want, out)
		}
	}
	if strings.Contains(out, "No difference") || strings.Contains(out, "goal (reached during the run)") {
		t.Errorf("the goals reached during runs are the same:\n%s", out)
	}

	code, out, errs = simulateCLI("", "simulate", "-json", "-detailed-exitcode", "-events", events, "-baseline", base, changed)
	if code != 2 {
		t.Fatalf("-json: exit %d, want 2\n%s", code, errs)
	}
	var doc struct {
		simulate.Comparison
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if !doc.Differs || len(doc.CampaignOutcomes) != 1 {
		t.Fatalf("-json: differs %v, campaign outcomes %+v", doc.Differs, doc.CampaignOutcomes)
	}
	co := doc.CampaignOutcomes[0]
	runs := map[string]simulate.Delta{}
	for _, d := range co.Runs {
		runs[d.Name] = d
	}
	if d := runs["converted"]; co.Name != "onboarding" || d.Baseline != 15 || d.New != 11 || d.Change != -4 || runs["entered"].Change != 0 || runs["goal_during_run"].Change != 0 {
		t.Errorf("runs: %+v", co.Runs)
	}
	if r := co.GoalRate; r == nil || r.Baseline == nil || r.New == nil || math.Abs(*r.Baseline-23.0/30) > 1e-9 || math.Abs(r.Change-(19.0-23.0)/30) > 1e-9 {
		t.Errorf("goal rate: %+v", co.GoalRate)
	}
	if len(co.Arms) != 2 || co.Arms[0].Variant != "short" || co.Arms[1].Variant != "long" || !co.Arms[1].Differs() {
		t.Errorf("arms: %+v", co.Arms)
	}

	// The same rules on both sides: no difference, exit 0.
	code, out, errs = simulateCLI("", "simulate", "-no-color", "-detailed-exitcode", "-events", events, "-baseline", base, base)
	if code != 0 || !strings.Contains(out, "No difference") {
		t.Errorf("same rules: exit %d\n%s%s", code, out, errs)
	}
}

// -baseline windows both replays as simulate alone does: each warms up
// on the events before -from and counts only the window, so the new
// rules' side is the summary simulate -from gives for them.
func TestSimulateCompareWindow(t *testing.T) {
	events := "../../examples/quickstart/events.jsonl"
	changed := exampleCopy(t, "quickstart", quickstartChange)
	code, out, errs := simulateCLI("", "simulate", "-json", "-from", "2026-10-01", "-events", events, "-baseline", "../../examples/quickstart", changed)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var cmp struct {
		Baseline, New struct{ Summary map[string]any }
	}
	if err := json.Unmarshal([]byte(out), &cmp); err != nil {
		t.Fatal(err)
	}
	code, alone, errs := simulateCLI("", "simulate", "-json", "-from", "2026-10-01", "-events", events, changed)
	if code != 0 {
		t.Fatalf("alone: exit %d\n%s", code, errs)
	}
	var single map[string]any
	if err := json.Unmarshal([]byte(alone), &single); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"events", "warmup_events", "from", "firings", "points_granted", "points_net", "badge_awards", "tiers"} {
		if !reflect.DeepEqual(cmp.New.Summary[field], single[field]) {
			t.Errorf("%s: compared %v, alone %v", field, cmp.New.Summary[field], single[field])
		}
	}
	if w, _ := cmp.Baseline.Summary["warmup_events"].(float64); w == 0 || cmp.Baseline.Summary["warmup_events"] != cmp.New.Summary["warmup_events"] {
		t.Errorf("warm-up events: baseline %v, new %v", cmp.Baseline.Summary["warmup_events"], cmp.New.Summary["warmup_events"])
	}
}

// simulate -from and -to take now, the command's clock, as replay -until
// does: -to now runs the time-based rules up to the present.
func TestSimulateWindowNow(t *testing.T) {
	dir := exampleCopy(t, "quickstart", nil)
	events := "../../examples/quickstart/events.jsonl"
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var out, errb bytes.Buffer
	s := &stdio{in: strings.NewReader(""), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }, now: func() time.Time { return now }}
	if code := run(context.Background(), []string{"simulate", "-json", "-events", events, "-to", "now", dir}, s); code != 0 {
		t.Fatalf("-to now: exit %d\n%s", code, errb.String())
	}
	var sum struct {
		To time.Time `json:"to"`
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || !sum.To.Equal(now) {
		t.Errorf("-to now: to %s (%v); want %s", sum.To, err, now)
	}
	out.Reset()
	errb.Reset()
	if code := run(context.Background(), []string{"simulate", "-events", events, "-from", "now", "-to", "2026-01-01", dir}, s); code != 1 || !strings.Contains(errb.String(), "-from now is after -to 2026-01-01") {
		t.Errorf("-from now after -to: exit %d\n%s", code, errb.String())
	}
	if code := run(context.Background(), []string{"simulate", "-events", events, "-to", "later", dir}, s); code != 1 || !strings.Contains(errb.String(), `-to: "later" is neither RFC 3339 (2026-11-22T10:00:00Z) nor a date (2026-11-22), or now`) {
		t.Errorf("-to later: exit %d\n%s", code, errb.String())
	}
}
