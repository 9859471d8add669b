package campaignstats

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// A split campaign: 100 ended runs per variant, A reaching the goal 40
// times and B 55, plus a few still running, a member never in it and one
// in a variant the configuration no longer has.
func TestSummarize(t *testing.T) {
	c := &config.Campaign{Name: "welcome", Steps: []*config.Step{
		{Name: "split", Split: []*config.Variant{{Name: "a"}, {Name: "b"}}},
		{Name: "hello"},
		{Name: "nudge"},
	}}
	var ms []*state.Member
	add := func(variant, status, reason string, step, seq int) {
		m := state.NewMember(fmt.Sprintf("m%d", len(ms)), state.Day(0).Time())
		m.Campaigns = map[string]*state.CampaignRun{"welcome": {Status: status, Reason: reason, Variant: variant, Step: step, Runs: 1, Seq: seq}}
		ms = append(ms, m)
	}
	for i := range 100 {
		reason := "finished"
		if i < 40 {
			reason = "goal"
		}
		add("a", "done", reason, 2, 2)
	}
	for i := range 100 {
		reason := "left"
		if i < 55 {
			reason = "goal"
		}
		add("b", "done", reason, 2, 1)
	}
	add("a", "active", "", 1, 1)
	add("b", "active", "", 2, 1)
	add("b", "active", "", 2, 1)
	add("c", "done", "stopped", 1, 0)
	// One member is in her third run: she counts once, her runs thrice.
	ms[len(ms)-2].Campaigns["welcome"].Runs = 3
	ms = append(ms, state.NewMember("outsider", state.Day(0).Time()))
	members := func(ctx context.Context, fn func(*state.Member) error) error {
		for _, m := range ms {
			if err := fn(m); err != nil {
				return err
			}
		}
		return nil
	}
	rep, err := Summarize(context.Background(), c, nil, members)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Members != 205 || rep.Total.Entered != 204 || rep.Total.Runs != 206 || rep.Total.Active != 3 || rep.Total.Goal != 95 || rep.Total.Finished != 60 || rep.Total.Left != 45 || rep.Total.Stopped != 1 {
		t.Errorf("total: %+v of %d members", rep.Total, rep.Members)
	}
	if fmt.Sprint(rep.Waiting) != "[{hello 1 map[frequency_cap:0 quiet_hours:0] false } {nudge 2 map[frequency_cap:0 quiet_hours:0] false }]" {
		t.Errorf("waiting: %v", rep.Waiting)
	}
	if len(rep.Variants) != 3 || rep.Variants[0].Name != "a" || rep.Variants[1].Name != "b" || rep.Variants[2].Name != "c" {
		t.Fatalf("variants: %+v", rep.Variants)
	}
	a, b := rep.Variants[0], rep.Variants[1]
	// Rates are of every run entered, the running ones not converted
	// yet: 40 of 101 and 55 of 102.
	if a.Entered != 101 || a.Ended() != 100 || a.Sends != 201 || a.GoalRate() != 40.0/101 || a.P != nil || a.Lift != nil {
		t.Errorf("a: %+v", a)
	}
	if b.Entered != 102 || b.GoalRate() != 55.0/102 || b.Lift == nil || b.P == nil || math.Abs(*b.Lift-(55.0/102-40.0/101)) > 1e-12 {
		t.Errorf("b: %+v", b)
	}
	// 40/101 against 55/102: two-sided p = 0.0409.
	if math.Abs(*b.P-0.04094) > 1e-4 {
		t.Errorf("b's p-value %.5f; want 0.04094", *b.P)
	}
	// One stopped run against 40 of 101: nothing to tell apart.
	if c := rep.Variants[2]; c.Stopped != 1 || *c.Lift != -40.0/101 || *c.P < 0.4 {
		t.Errorf("c: %+v", c)
	}
}

func TestTwoProportionPEdges(t *testing.T) {
	for _, c := range []struct{ x1, n1, x2, n2 int }{{0, 0, 5, 10}, {3, 10, 0, 0}, {0, 10, 0, 10}, {10, 10, 10, 10}} {
		if p := TwoProportionP(c.x1, c.n1, c.x2, c.n2); p != 1 {
			t.Errorf("%v: p = %v; want 1", c, p)
		}
	}
	if p := TwoProportionP(5, 10, 5, 10); p != 1 {
		t.Errorf("equal rates: p = %v; want 1", p)
	}
}

// A member is counted at the step its run names, not at whatever step a
// reload put at its index.
func TestWaitingFollowsTheStepName(t *testing.T) {
	c := &config.Campaign{Name: "welcome", Steps: []*config.Step{{Name: "intro"}, {Name: "hello"}, {Name: "nudge"}}}
	m := state.NewMember("ann", state.Day(0).Time())
	m.Campaigns = map[string]*state.CampaignRun{"welcome": {Status: "active", Step: 1, StepName: "nudge", Runs: 1}}
	t2 := NewTally(c, nil)
	t2.Add(m)
	if got := t2.Report().Waiting; len(got) != 1 || got[0].Step != "nudge" {
		t.Fatalf("waiting %+v; want ann at nudge", got)
	}
}

// An edit removed the step a member waited on ([a, b, c] to [x, a, c],
// member on b): she still waits at b, as member show says, marked removed
// and going on to c, the step that followed b in the recorded order (not
// a, the step now at b's index).
func TestWaitingFollowsTheRecordedOrder(t *testing.T) {
	camp := func(names ...string) *config.Campaign {
		c := &config.Campaign{Name: "tour"}
		for _, n := range names {
			c.Steps = append(c.Steps, &config.Step{Name: n})
		}
		return c
	}
	o := config.StepOrders{}
	o.Merge(&config.Config{Campaigns: []*config.Campaign{camp("a", "b", "c")}})
	c := camp("x", "a", "c")
	m := state.NewMember("ann", state.Day(0).Time())
	m.Campaigns = map[string]*state.CampaignRun{"tour": {Status: "active", Step: 1, StepName: "b", Runs: 1}}
	members := func(ctx context.Context, fn func(*state.Member) error) error { return fn(m) }
	rep, err := Summarize(context.Background(), c, o["tour"], members)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Waiting) != 1 || rep.Waiting[0].Step != "b" || !rep.Waiting[0].Removed || rep.Waiting[0].GoesOn != "c" || rep.Waiting[0].Members != 1 {
		t.Errorf("waiting %+v; want ann at b (removed), going on to c", rep.Waiting)
	}
	// With c gone too, her run finishes when b's wait is over.
	rep, err = Summarize(context.Background(), camp("x", "a"), o["tour"], members)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Waiting) != 1 || rep.Waiting[0].Step != "b" || !rep.Waiting[0].Removed || rep.Waiting[0].GoesOn != "" {
		t.Errorf("waiting %+v; want ann at b (removed), finishing", rep.Waiting)
	}
}

// A step renamed by a moved block (welcome to hello): a run stored on
// the old name waits at the new step, not at a removed one nor at the
// step after it.
func TestWaitingFollowsAMovedStep(t *testing.T) {
	c := &config.Campaign{Name: "tour", Steps: []*config.Step{{Name: "hello"}, {Name: "check"}}, StepMoves: map[string]string{"welcome": "hello"}}
	o := config.StepOrders{"tour": {"welcome": "check", "check": ""}}
	m := state.NewMember("ann", state.Day(0).Time())
	m.Campaigns = map[string]*state.CampaignRun{"tour": {Status: "active", Step: 0, StepName: "welcome", Runs: 1}}
	rep, err := Summarize(context.Background(), c, o["tour"], func(ctx context.Context, fn func(*state.Member) error) error { return fn(m) })
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Waiting) != 1 || rep.Waiting[0].Step != "hello" || rep.Waiting[0].Removed || rep.Waiting[0].Members != 1 {
		t.Errorf("waiting %+v; want ann at hello", rep.Waiting)
	}
}

// Runs whose send is held count by what holds it, at their step; a hold
// left on a run that ended counts nowhere.
func TestWaitingCountsHolds(t *testing.T) {
	c := &config.Campaign{Name: "welcome", Steps: []*config.Step{{Name: "hello"}, {Name: "nudge"}}}
	var ms []*state.Member
	add := func(status string, step int, hold string) {
		m := state.NewMember(fmt.Sprintf("m%d", len(ms)), state.Day(0).Time())
		run := &state.CampaignRun{Status: status, Step: step, Runs: 1}
		if hold != "" {
			run.Hold = &state.RunHold{Reason: hold, Until: state.Day(1).Time()}
		}
		m.Campaigns = map[string]*state.CampaignRun{"welcome": run}
		ms = append(ms, m)
	}
	add("active", 0, state.HoldQuietHours)
	add("active", 0, state.HoldQuietHours)
	add("active", 0, state.HoldFrequencyCap)
	add("active", 0, "")
	add("active", 1, "")
	add("done", 1, state.HoldQuietHours)
	members := func(ctx context.Context, fn func(*state.Member) error) error {
		for _, m := range ms {
			if err := fn(m); err != nil {
				return err
			}
		}
		return nil
	}
	rep, err := Summarize(context.Background(), c, nil, members)
	if err != nil {
		t.Fatal(err)
	}
	want := "[{hello 4 map[frequency_cap:1 quiet_hours:2] false } {nudge 1 map[frequency_cap:0 quiet_hours:0] false }]"
	if got := fmt.Sprint(rep.Waiting); got != want {
		t.Errorf("waiting %s; want %s", got, want)
	}
}

// Runs stop_when ended (exited) are neither goals nor finished: each
// variant counts them apart, and they weigh against the goal rate like
// any other end, so a variant that makes members unsubscribe does worse.
func TestExitedRunsAreNoConversions(t *testing.T) {
	c := &config.Campaign{Name: "welcome", StopWhen: &config.Rule{Source: "member.attrs.email == 'opted_out'"}, Steps: []*config.Step{
		{Name: "split", Split: []*config.Variant{{Name: "a"}, {Name: "b"}}},
	}}
	var ms []*state.Member
	add := func(variant, reason string) {
		m := state.NewMember(fmt.Sprintf("m%d", len(ms)), state.Day(0).Time())
		m.Campaigns = map[string]*state.CampaignRun{"welcome": {Status: "done", Reason: reason, Variant: variant, Runs: 1}}
		ms = append(ms, m)
	}
	for _, r := range []string{"goal", "goal", "finished", "finished"} {
		add("a", r)
	}
	for _, r := range []string{"goal", "goal", "exited", "exited"} {
		add("b", r)
	}
	rep, err := Summarize(context.Background(), c, nil, func(ctx context.Context, fn func(*state.Member) error) error {
		for _, m := range ms {
			if err := fn(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.HasStopWhen || rep.Total.Exited != 2 || rep.Total.Goal != 4 || rep.Total.Finished != 2 || rep.Total.Ended() != 8 {
		t.Errorf("total: %+v, has stop_when %v", rep.Total, rep.HasStopWhen)
	}
	a, b := rep.Variants[0], rep.Variants[1]
	if a.Exited != 0 || b.Exited != 2 || b.Finished != 0 || b.GoalRate() != 0.5 || a.GoalRate() != 0.5 {
		t.Errorf("a %+v, b %+v: want b's two exited runs apart from the goal and finished, goal rate 50%% each", a, b)
	}
}

// Nobody running: waiting is [] in JSON, not null, so jq '.waiting[]'
// and a dashboard loop read it as they read a list with steps.
func TestWaitingEmptyIsAList(t *testing.T) {
	c := &config.Campaign{Name: "welcome", Steps: []*config.Step{{Name: "hello"}}}
	m := state.NewMember("ann", state.Day(0).Time())
	m.Campaigns = map[string]*state.CampaignRun{"welcome": {Status: "done", Reason: "finished", Runs: 1}}
	tally := NewTally(c, nil)
	tally.Add(m)
	b, err := json.Marshal(tally.Report())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"waiting":[]`) {
		t.Fatalf("report %s; want \"waiting\":[]", b)
	}
}

// A split with a named control and three arms: lift and p are against
// the control, not the first variant; the verdicts use Bonferroni's
// threshold for two comparisons; runs that reached the goal before the
// split (no variant) are a row of their own, so the rows add up.
func TestControlBonferroniAndBeforeSplit(t *testing.T) {
	c := &config.Campaign{Name: "welcome", ExitWhen: &config.Rule{}, Steps: []*config.Step{
		{Name: "wait"},
		{Name: "split", Control: "holdout", Split: []*config.Variant{{Name: "a"}, {Name: "holdout"}, {Name: "b"}}},
	}}
	var ms []*state.Member
	add := func(n int, variant, status, reason string) {
		for range n {
			m := state.NewMember(fmt.Sprintf("m%d", len(ms)), state.Day(0).Time())
			m.Campaigns = map[string]*state.CampaignRun{"welcome": {Status: status, Reason: reason, Variant: variant, Step: 1, Runs: 1}}
			ms = append(ms, m)
		}
	}
	// holdout 40/100; a 55/100 (p = 0.034: significant alone, not
	// below 0.025); b 62/100 (p = 0.002).
	add(40, "holdout", "done", "goal")
	add(60, "holdout", "done", "finished")
	add(55, "a", "done", "goal")
	add(45, "a", "done", "finished")
	add(62, "b", "done", "goal")
	add(38, "b", "done", "finished")
	add(7, "", "done", "goal") // reached the goal while waiting before the split
	add(2, "", "active", "")   // still waiting before it
	tl := NewTally(c, nil)
	for _, m := range ms {
		tl.Add(m)
	}
	rep := tl.Report()
	if rep.Control != "holdout" || math.Abs(rep.Alpha-0.025) > 1e-12 {
		t.Errorf("control %q, alpha %v; want holdout, 0.025", rep.Control, rep.Alpha)
	}
	byName := map[string]Variant{}
	for _, v := range rep.Variants {
		byName[v.Name] = v
	}
	if h := byName["holdout"]; !h.Control || h.Lift != nil || h.P != nil || h.Significant != nil {
		t.Errorf("holdout: %+v", h)
	}
	a, b := byName["a"], byName["b"]
	if a.Control || a.Lift == nil || math.Abs(*a.Lift-0.15) > 1e-12 || math.Abs(*a.P-0.03367) > 1e-4 || a.Significant == nil || *a.Significant {
		t.Errorf("a against holdout: %+v (p %v)", a, *a.P)
	}
	if b.Lift == nil || math.Abs(*b.Lift-0.22) > 1e-12 || b.Significant == nil || !*b.Significant {
		t.Errorf("b against holdout: %+v", b)
	}
	bs := rep.BeforeSplit
	if bs == nil || bs.Entered != 9 || bs.Goal != 7 || bs.Active != 2 || bs.Members != 9 {
		t.Fatalf("before split: %+v", bs)
	}
	goal, entered := bs.Goal, bs.Entered
	for _, v := range rep.Variants {
		goal += v.Goal
		entered += v.Entered
	}
	if goal != rep.Total.Goal || entered != rep.Total.Entered {
		t.Errorf("rows add up to goal %d, entered %d; total %+v", goal, entered, rep.Total)
	}
	out, _ := json.Marshal(rep)
	for _, want := range []string{`"before_split":{"entered":9,`, `"control":"holdout","alpha":0.025`, `"name":"holdout","entered":100`, `"control":true`, `"significant":false`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("JSON lacks %s:\n%s", want, out)
		}
	}
}

// Two arms: one comparison, judged at 0.05; without a control the first
// variant is the reference.
func TestCompareArmsTwo(t *testing.T) {
	out, alpha := CompareArms([]Arm{{40, 100}, {55, 100}}, 0)
	if alpha != 0.05 || !out[1].Significant || out[0] != (Against{}) {
		t.Errorf("alpha %v, %+v", alpha, out)
	}
	c := &config.Campaign{Steps: []*config.Step{{Split: []*config.Variant{{Name: "x"}, {Name: "y"}}}}}
	if i := ControlIndex(c, []string{"x", "y"}); i != 0 {
		t.Errorf("control index %d; want the first", i)
	}
}

// Newcombe's own examples (Statistics in Medicine 17, 1998, table II,
// method 10): the interval of 56/70 less 48/80, and of 9/10 less 3/10.
func TestNewcombeInterval(t *testing.T) {
	for _, c := range []struct {
		x2, n2, x1, n1 int
		low, high      float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
		{10, 10, 0, 10, 0.6075, 1.0000},
	} {
		low, high := NewcombeInterval(c.x1, c.n1, c.x2, c.n2, ConfidenceZ)
		if math.Abs(low-c.low) > 5e-4 || math.Abs(high-c.high) > 5e-4 {
			t.Errorf("%d/%d - %d/%d: [%.4f, %.4f]; want [%.4f, %.4f]", c.x2, c.n2, c.x1, c.n1, low, high, c.low, c.high)
		}
	}
}

// The analyst's case: 36.9% against 39.4% is 2.5 points of difference
// and a relative lift of 6.8%, with the interval around the difference;
// 1000 runs a side is no small sample, 12 is.
func TestCompareArmsRelativeLiftAndInterval(t *testing.T) {
	out, _ := CompareArms([]Arm{{369, 1000}, {394, 1000}}, 0)
	b := out[1]
	if math.Abs(b.Lift-0.025) > 1e-9 {
		t.Errorf("lift %v; want the difference 0.025", b.Lift)
	}
	if b.RelativeLift == nil || math.Abs(*b.RelativeLift-0.025/0.369) > 1e-9 {
		t.Errorf("relative lift %v; want 0.025/0.369", b.RelativeLift)
	}
	if b.LiftLow == nil || b.LiftHigh == nil || !(*b.LiftLow < 0 && *b.LiftHigh > 0.025 && *b.LiftHigh < 0.07) {
		t.Errorf("interval [%v, %v]; want one around 0.025 that holds 0 (p = %.3f)", b.LiftLow, b.LiftHigh, b.P)
	}
	if b.SmallSample {
		t.Error("1000 runs a side marked a small sample")
	}
	if out[0].Comparison != (Comparison{}) {
		t.Errorf("the control compared with itself: %+v", out[0].Comparison)
	}

	small, _ := CompareArms([]Arm{{3, 12}, {6, 12}}, 0)
	if !small[1].SmallSample {
		t.Error("12 runs a side not marked a small sample")
	}
	// Many runs, but too few goals expected at the pooled rate.
	rare, _ := CompareArms([]Arm{{1, 200}, {3, 200}}, 0)
	if !rare[1].SmallSample {
		t.Error("4 goals in 400 runs not marked a small sample")
	}
	// A control at 0: no share of it, the difference and interval stay.
	zero, _ := CompareArms([]Arm{{0, 50}, {5, 50}}, 0)
	if zero[1].RelativeLift != nil || zero[1].LiftLow == nil {
		t.Errorf("control at 0: relative %v, interval low %v; want no relative lift and an interval", zero[1].RelativeLift, zero[1].LiftLow)
	}
	// No ended run on a side: nothing to compare.
	none, _ := CompareArms([]Arm{{0, 0}, {5, 50}}, 0)
	if none[1].Comparison != (Comparison{}) {
		t.Errorf("no ended control runs: %+v", none[1].Comparison)
	}
}

// The JSON of a compared variant names the new figures beside lift.
func TestVariantJSONComparison(t *testing.T) {
	out, _ := CompareArms([]Arm{{369, 1000}, {394, 1000}}, 0)
	v := Variant{Name: "b", Lift: &out[1].Lift, P: &out[1].P, Comparison: out[1].Comparison}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"lift":0.025`, `"relative_lift":0.0677`, `"lift_ci_low":-0.0`, `"lift_ci_high":0.06`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("%s lacks %s", b, k)
		}
	}
	if strings.Contains(string(b), "small_sample") {
		t.Errorf("%s: small_sample present when false", b)
	}
}

// A weekly digest written as a loop: its runs end only at the goal, so
// a rate of ended runs would be 100% in both arms. Of the runs entered,
// 14 of 83 against 32 of 99 is a real difference.
func TestLoopingCampaignRatesCountRunningRuns(t *testing.T) {
	c := &config.Campaign{Name: "digest", ExitWhen: &config.Rule{}, Steps: []*config.Step{
		{Name: "pick", Split: []*config.Variant{{Name: "plain", Goto: "plain_msg"}, {Name: "rich", Goto: "rich_msg"}}},
		{Name: "plain_msg", Goto: "week"},
		{Name: "rich_msg", Goto: "week"},
		{Name: "week", Wait: 7 * 24 * time.Hour, Goto: "pick"},
	}}
	var ms []*state.Member
	add := func(variant string, n, goals int) {
		for i := range n {
			m := state.NewMember(fmt.Sprintf("m%d", len(ms)), state.Day(0).Time())
			run := &state.CampaignRun{Status: "active", Variant: variant, Step: 3, Runs: 1}
			if i < goals {
				run.Status, run.Reason = "done", "goal"
			}
			m.Campaigns = map[string]*state.CampaignRun{"digest": run}
			ms = append(ms, m)
		}
	}
	add("plain", 83, 14)
	add("rich", 99, 32)
	rep, err := Summarize(context.Background(), c, nil, func(_ context.Context, fn func(*state.Member) error) error {
		for _, m := range ms {
			if err := fn(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	plain, rich := rep.Variants[0], rep.Variants[1]
	if plain.Rate == nil || *plain.Rate != 14.0/83 || rich.Rate == nil || *rich.Rate != 32.0/99 {
		t.Fatalf("rates %v, %v; want 14/83 and 32/99", plain.Rate, rich.Rate)
	}
	if plain.Active != 69 || rich.Active != 67 {
		t.Errorf("running %d, %d; want 69, 67", plain.Active, rich.Active)
	}
	// 14/83 against 32/99: two-sided p = 0.0169, significant.
	if rich.P == nil || math.Abs(*rich.P-0.01686) > 1e-4 || rich.Significant == nil || !*rich.Significant {
		t.Errorf("rich against plain: p %v, significant %v", rich.P, rich.Significant)
	}
	if rep.Loop == nil || rep.Loop.From != "week" || rep.Loop.BackTo != "pick" || rep.Loop.Finishes {
		t.Errorf("loop: %+v", rep.Loop)
	}
}
