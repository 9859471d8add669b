// Package campaignstats sums up how a campaign is doing from the stored
// members: where its running members wait, how its runs ended, and for an
// A/B split, how each variant converts against the first one, with a
// two-proportion z-test so a difference from noise is not read as a win;
// and from the campaign's outcomes and outbox entries, what became of
// each step's message.
package campaignstats

import (
	"context"
	"maps"
	"math"
	"slices"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/state"
)

// Counts are runs of a campaign, or of one variant of it, by where they
// are: still running, or ended and why.
type Counts struct {
	// Entered is runs: each member's latest, or in a campaign with
	// run_key, the latest of each key the member entered with.
	Entered int `json:"entered"`
	// Members is the members those runs are of: Entered, unless some
	// member has runs with several keys.
	Members int `json:"members"`
	// Runs is how many times those members entered, earlier runs of
	// members who entered again included: the rest of the counts are of
	// the latest runs only.
	Runs   int `json:"runs"`
	Active int `json:"active"`
	Goal   int `json:"goal"`
	// Exited is runs stop_when ended: out of the campaign, and no
	// success, so they count against the goal rate like any other end.
	Exited   int `json:"exited"`
	Finished int `json:"finished"`
	Left     int `json:"left"`
	Stopped  int `json:"stopped"`
	// Sends is the messages the latest runs queued to the outbox (the
	// name kept for -json readers): queued, not delivered. Of them, the
	// outbox entries kept tell how many were delivered, are pending,
	// were skipped at delivery (expired, unsubscribed meanwhile ...) and
	// went dead; the rest are no longer in the outbox (dropped, or
	// removed by outbox_retention). These four are counted only where
	// the outbox entries are read (Read: campaign show, GET
	// /v1/campaigns/NAME), and are 0 elsewhere (the dashboard's splits).
	Sends             int `json:"sends"`
	Delivered         int `json:"delivered"`
	Pending           int `json:"pending"`
	SkippedAtDelivery int `json:"skipped_at_delivery"`
	Dead              int `json:"dead"`
}

// Unaccounted is the sends queued whose outbox entries are no longer
// kept: dropped, or removed by outbox_retention.
func (c Counts) Unaccounted() int {
	return max(c.Sends-c.Delivered-c.Pending-c.SkippedAtDelivery-c.Dead, 0)
}

// Ended is the runs that ended, for whatever reason.
func (c Counts) Ended() int { return c.Entered - c.Active }

// GoalRate is the share of the runs entered that reached the goal: a run
// still going counts as not converted yet (it may still reach the goal,
// so the rate can rise). Counting only ended runs would favour the arm
// whose runs go on longest, and give a campaign written as a loop, whose
// runs end only at the goal, 100%. Runs that ended any other way,
// stop_when's exited among them, are not conversions.
func (c Counts) GoalRate() float64 {
	if c.Entered == 0 {
		return 0
	}
	return float64(c.Goal) / float64(c.Entered)
}

func (c *Counts) add(run *state.CampaignRun, out *runOutbox) {
	c.Entered++
	c.Runs += max(run.Runs, 1)
	c.Sends += run.Seq
	if out != nil && out.run == run.Runs {
		c.Delivered += out.delivered
		c.Pending += out.pending
		c.SkippedAtDelivery += out.skipped
		c.Dead += out.dead
	}
	if run.Active() {
		c.Active++
		return
	}
	switch run.Reason {
	case "goal":
		c.Goal++
	case "exited":
		c.Exited++
	case "left":
		c.Left++
	case "stopped":
		c.Stopped++
	default:
		c.Finished++
	}
}

// Variant is one arm of a split.
type Variant struct {
	Name string `json:"name"`
	Counts
	// Rate is Counts.GoalRate (goal_rate) in a campaign with a goal
	// where the variant has a run; absent otherwise (a rate of
	// nothing), as on hearth simulate -json's arms. Not named GoalRate:
	// that would hide the method.
	Rate *float64 `json:"goal_rate,omitempty"`
	// Control marks the variant the others are compared with: the
	// split's control, else its first variant.
	Control bool `json:"control,omitempty"`
	// Against the control, when this is not it: the difference in goal
	// rate (in points of a share, 0.05 for five points: absolute, not
	// relative, the name kept for readers of earlier versions) and the
	// two-sided p-value of a two-proportion z-test; P is 1 when either
	// variant has no run. Both are absent for the control.
	Lift *float64 `json:"lift,omitempty"`
	P    *float64 `json:"p,omitempty"`
	// Significant is P below the report's Alpha (Bonferroni's threshold
	// with more than one comparison), where both have runs.
	Significant *bool `json:"significant,omitempty"`
	// Comparison adds the relative lift, the 95% confidence interval of
	// Lift and the small-sample mark, absent as Lift is.
	Comparison
}

// SignificanceLevel is the p-value below which one comparison of a
// variant with the control is called significant.
const SignificanceLevel = 0.05

// Alpha is the threshold each of comparisons p-values is held to so
// that, together, a chance difference is called significant at most
// SignificanceLevel of the time: Bonferroni's correction, the level
// divided by the comparisons. The p-values themselves stay uncorrected.
func Alpha(comparisons int) float64 {
	return SignificanceLevel / float64(max(comparisons, 1))
}

// Arm is what a comparison reads of one variant: runs that reached the
// goal, of every run that entered it (running ones not converted yet).
type Arm struct{ Goal, Runs int }

// Against is one variant compared with the control.
type Against struct {
	// Lift is the difference in goal rate, the variant's less the
	// control's (absolute: 0.05 for five points).
	Lift, P float64
	// Significant is P below alpha, with runs on both sides.
	Significant bool
	Comparison
}

// Comparison is what a variant's comparison with the control adds to the
// difference and its p-value, under the same names wherever it is given
// as JSON (campaign show, GET /v1/campaigns/NAME, simulate's arms). All
// of it is absent where a side has no run.
type Comparison struct {
	// RelativeLift is the difference as a share of the control's goal
	// rate (0.069 for +6.9%), what most tools call lift; absent when the
	// control's rate is 0, of which no share can be taken.
	RelativeLift *float64 `json:"relative_lift,omitempty"`
	// LiftLow and LiftHigh bound Newcombe's 95% confidence interval of
	// the difference (Lift), from each rate's Wilson score interval:
	// sound at small counts and rates near 0 or 1, where the plain
	// (Wald) interval is too narrow or leaves [-1, 1].
	LiftLow  *float64 `json:"lift_ci_low,omitempty"`
	LiftHigh *float64 `json:"lift_ci_high,omitempty"`
	// SmallSample marks arms too small for the z-test's normal
	// approximation: fewer than MinArmRuns runs on a side, or an
	// expected count (goal or not, at the pooled rate) below 5 on one.
	// The p-value is then rough; the interval still holds.
	SmallSample bool `json:"small_sample,omitempty"`
}

// MinArmRuns is the fewest runs an arm needs for its comparison not to
// be marked SmallSample.
const MinArmRuns = 30

// ConfidenceZ is the normal quantile of the 95% intervals.
const ConfidenceZ = 1.959963984540054

// compare is the Comparison of x2 of n2 with the control's x1 of n1:
// the zero Comparison when either side has no run.
func compare(x1, n1, x2, n2 int) Comparison {
	if n1 == 0 || n2 == 0 {
		return Comparison{}
	}
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	var c Comparison
	if p1 > 0 {
		r := (p2 - p1) / p1
		c.RelativeLift = &r
	}
	low, high := NewcombeInterval(x1, n1, x2, n2, ConfidenceZ)
	c.LiftLow, c.LiftHigh = &low, &high
	pooled := float64(x1+x2) / float64(n1+n2)
	for _, n := range []float64{float64(n1), float64(n2)} {
		if n < MinArmRuns || n*pooled < 5 || n*(1-pooled) < 5 {
			c.SmallSample = true
		}
	}
	return c
}

// WilsonInterval is the Wilson score interval of the rate x of n at the
// normal quantile z; [0, 1] for no run.
func WilsonInterval(x, n int, z float64) (low, high float64) {
	if n == 0 {
		return 0, 1
	}
	fn, p, z2 := float64(n), float64(x)/float64(n), z*z
	center := (p + z2/(2*fn)) / (1 + z2/fn)
	half := z / (1 + z2/fn) * math.Sqrt(p*(1-p)/fn+z2/(4*fn*fn))
	return max(center-half, 0), min(center+half, 1)
}

// NewcombeInterval is the confidence interval of the difference of two
// rates, x2 of n2 less x1 of n1, by Newcombe's hybrid score method (his
// method 10, 1998): each rate's Wilson interval, combined.
func NewcombeInterval(x1, n1, x2, n2 int, z float64) (low, high float64) {
	p1, p2 := 0.0, 0.0
	if n1 > 0 {
		p1 = float64(x1) / float64(n1)
	}
	if n2 > 0 {
		p2 = float64(x2) / float64(n2)
	}
	l1, u1 := WilsonInterval(x1, n1, z)
	l2, u2 := WilsonInterval(x2, n2, z)
	d := p2 - p1
	low = d - math.Sqrt((p2-l2)*(p2-l2)+(u1-p1)*(u1-p1))
	high = d + math.Sqrt((u2-p2)*(u2-p2)+(p1-l1)*(p1-l1))
	return low, high
}

// CompareArms compares every arm but arms[control] with it, each with a
// two-proportion z-test, and gives the threshold the verdicts use
// (Alpha of the comparisons made). out[control] is the zero Against.
func CompareArms(arms []Arm, control int) (out []Against, alpha float64) {
	alpha = Alpha(len(arms) - 1)
	out = make([]Against, len(arms))
	if control < 0 || control >= len(arms) {
		return out, alpha
	}
	rate := func(a Arm) float64 {
		if a.Runs == 0 {
			return 0
		}
		return float64(a.Goal) / float64(a.Runs)
	}
	ctl := arms[control]
	for i, a := range arms {
		if i == control {
			continue
		}
		p := TwoProportionP(ctl.Goal, ctl.Runs, a.Goal, a.Runs)
		out[i] = Against{Lift: rate(a) - rate(ctl), P: p, Significant: a.Runs > 0 && ctl.Runs > 0 && p < alpha, Comparison: compare(ctl.Goal, ctl.Runs, a.Goal, a.Runs)}
	}
	return out, alpha
}

// ControlIndex is the place of c's split control among the variant
// names of order; the first when order lacks it.
func ControlIndex(c *config.Campaign, order []string) int {
	if i := slices.Index(order, c.SplitControl()); i >= 0 {
		return i
	}
	return 0
}

// Waiting is how many running members are at one step.
type Waiting struct {
	Step    string `json:"step"`
	Members int    `json:"members"`
	// Held is how many of them have the step's send held back, by what
	// holds it (state.HoldQuietHours, state.HoldFrequencyCap), as the
	// run records it and member show shows it. Both reasons are always
	// present, so a reader needs no default.
	Held map[string]int `json:"held"`
	// Removed marks a step the configuration no longer has (nor renamed
	// with a moved block) that runs still wait at, as member show says:
	// when its wait is over each goes on to GoesOn without the step's
	// send, or finishes when GoesOn is "". Such steps come last.
	Removed bool   `json:"removed,omitempty"`
	GoesOn  string `json:"goes_on,omitempty"`
}

// Report is a campaign's standing. Each member counts once, with its
// latest run: a member who entered again counts with the run it is in.
// In a campaign with run_key each key's latest run counts.
type Report struct {
	Campaign string `json:"campaign"`
	Paused   bool   `json:"paused"` // the configuration holds it (paused = true)
	// HasGoal says whether the campaign has a goal (exit_when, or coming
	// back in a campaign for members who left): without one, no run can
	// end at the goal and goal rates mean nothing.
	HasGoal bool `json:"has_goal"`
	// HasStopWhen says whether the campaign has a stop_when, a way out
	// that is no goal: runs it ends count as exited.
	HasStopWhen bool      `json:"has_stop_when"`
	Total       Counts    `json:"total"`
	Waiting     []Waiting `json:"waiting"`            // running members by step, in step order, then removed steps
	Variants    []Variant `json:"variants,omitempty"` // in the split's order, then any the configuration no longer has
	// BeforeSplit, in a campaign with variants, is the runs no variant
	// holds: ended (the goal reached while waiting before the split,
	// say) or running before the split gave them one, so that the
	// variants and it add up to Total.
	BeforeSplit *Counts `json:"before_split,omitempty"`
	// Control is the variant the others are compared with, and Alpha the
	// p-value below which a difference is called significant: 0.05, or
	// with more than one comparison Bonferroni's 0.05 divided by their
	// number. Both are absent without variants.
	Control string  `json:"control,omitempty"`
	Alpha   float64 `json:"alpha,omitempty"`
	Members int     `json:"members"` // members looked at
	// KeysKept are ended runs of a run_key campaign that retention kept
	// as their key alone (reentry = "never": the key still refuses
	// entry); they are in none of the counts above.
	KeysKept int `json:"keys_kept,omitempty"`
	// Steps are each step's figures from the campaign's outcomes and
	// outbox entries, in step order (Step); StepRecords says what
	// retention leaves of those. Both are absent when the store keeps
	// no records to read.
	Steps       []Step       `json:"steps,omitempty"`
	StepRecords *StepRecords `json:"step_records,omitempty"`
	// ConversionWindow is the campaign's conversion_window ("7d"),
	// absent without one; Converted is the runs the outcomes kept tell
	// of that finished and then reached the goal within it (earlier
	// runs of members who entered again too): counted in Goal above as
	// goal, not finished.
	ConversionWindow string `json:"conversion_window,omitempty"`
	// ConversionFrom is what the window counts from (conversion_from:
	// entry or last_send), absent without a window.
	ConversionFrom string `json:"conversion_from,omitempty"`
	Converted      int    `json:"converted_after_finishing,omitempty"`
	// Loop, for a campaign written as a loop (a goto back to an earlier
	// step), says where it goes round: its runs end mostly at the goal,
	// stop_when or leaving, so most stay running. Absent otherwise.
	Loop *Loop `json:"loop,omitempty"`
	// Schedule is the schedule of a scheduled campaign (a broadcast),
	// its audience now and its next occurrences; absent for the others.
	Schedule *Schedule `json:"schedule,omitempty"`
}

// Loop is where a campaign's steps go round (config.Campaign.Loop).
type Loop struct {
	// From is the step whose goto (branch, variant or on_timeout) goes
	// back to BackTo, an earlier step or itself.
	From   string `json:"from"`
	BackTo string `json:"back_to"`
	// Finishes says whether a run can still finish (goto = "exit", or
	// past the last step); false: runs end only at the goal, stop_when,
	// leaving or a stop.
	Finishes bool `json:"finishes"`
}

// LoopOf is c's Loop, nil for a campaign whose steps never go back.
func LoopOf(c *config.Campaign) *Loop {
	from, back, finishes, ok := c.Loop()
	if !ok {
		return nil
	}
	return &Loop{From: from, BackTo: back, Finishes: finishes}
}

// Tally adds up one campaign's runs member by member, for a scan that
// does other counting too (the dashboard's population).
type Tally struct {
	c        *config.Campaign
	after    map[string]string // c's recorded step order (config.StepOrders)
	rep      Report
	waiting  []int
	held     []map[string]int // by step index, then reason; nil for none
	order    []string
	variants map[string]*Counts
	before   Counts     // runs no variant holds, in a campaign with a split
	splits   bool       // c has a split
	steps    *stepTally // nil until ReadRecords
	// removed counts the running runs on steps removed from c, by name,
	// with what holds their send.
	removed map[string]*removedWait
}

type removedWait struct {
	runs, goesOn int
	held         map[string]int
}

// NewTally starts a tally of c. after is c's step order as the runtime
// last recorded it (config.StepOrders, nil when none is): a run on a step
// an edit removed waits at that step, marked removed with the step it
// goes on to, as member show says, not at the step now at its old index.
func NewTally(c *config.Campaign, after map[string]string) *Tally {
	t := &Tally{c: c, after: after, rep: Report{Campaign: c.Name, Paused: c.Paused, HasGoal: c.HasGoal(), HasStopWhen: c.StopWhen != nil, ConversionWindow: window(c), ConversionFrom: conversionFrom(c), Loop: LoopOf(c), Schedule: scheduleOf(c)}, waiting: make([]int, len(c.Steps)), held: make([]map[string]int, len(c.Steps)), variants: map[string]*Counts{}}
	for _, st := range c.Steps {
		for _, v := range st.Split {
			t.splits = true
			if t.variants[v.Name] == nil {
				t.variants[v.Name] = &Counts{}
				t.order = append(t.order, v.Name)
			}
		}
	}
	return t
}

// window is c's conversion_window as the file writes it, "" for none.
func window(c *config.Campaign) string {
	if c.ConversionWindow <= 0 {
		return ""
	}
	return durations.Format(c.ConversionWindow)
}

// conversionFrom is what c's conversion window counts from, "" without
// one.
func conversionFrom(c *config.Campaign) string {
	if c.ConversionWindow <= 0 {
		return ""
	}
	if c.ConversionFrom == "" {
		return config.ConversionFromEntry
	}
	return c.ConversionFrom
}

// Add counts one member.
func (t *Tally) Add(m *state.Member) {
	t.rep.Members++
	t.audience(m)
	t.rep.KeysKept += len(m.KeysEnded[t.c.Name])
	runs := []*state.CampaignRun{m.Campaigns[t.c.Name]}
	if m.HasKeyedRuns() {
		// Each key's run counts as a run of its own; the member once.
		runs = m.Runs(t.c.Name)
	}
	counted, before := false, false
	var variants []string
	for _, run := range runs {
		if !t.addRun(m.ID, run) {
			continue
		}
		counted = true
		if run.Variant != "" && !slices.Contains(variants, run.Variant) {
			variants = append(variants, run.Variant)
		}
		before = before || run.Variant == ""
	}
	if counted {
		t.rep.Total.Members++
	}
	if before {
		t.before.Members++
	}
	for _, v := range variants {
		t.variants[v].Members++
	}
}

// addRun counts one run of member, and reports whether it did: a run
// never entered is none.
func (t *Tally) addRun(member string, run *state.CampaignRun) bool {
	if run == nil || run.Runs == 0 {
		return false
	}
	var out *runOutbox
	if t.steps != nil {
		out = t.steps.outbox[member+"\x00"+run.Key]
	}
	t.rep.Total.add(run, out)
	if run.Active() && t.c.StepRemoved(run.StepName) {
		// Still on the removed step until its wait is over, as member
		// show says: not yet at the step it goes on to.
		rw := t.removed[run.StepName]
		if rw == nil {
			rw = &removedWait{goesOn: t.c.StepIndex(run.Step, run.StepName, t.after), held: map[string]int{state.HoldQuietHours: 0, state.HoldFrequencyCap: 0}}
			if t.removed == nil {
				t.removed = map[string]*removedWait{}
			}
			t.removed[run.StepName] = rw
		}
		rw.runs++
		if run.Hold != nil {
			rw.held[run.Hold.Reason]++
		}
	} else if i := t.c.StepIndex(run.Step, run.StepName, t.after); run.Active() && i >= 0 && i < len(t.waiting) {
		t.waiting[i]++
		if run.Hold != nil {
			if t.held[i] == nil {
				t.held[i] = map[string]int{}
			}
			t.held[i][run.Hold.Reason]++
		}
	}
	if run.Variant != "" {
		vc := t.variants[run.Variant]
		if vc == nil { // a variant since taken out of the configuration
			vc = &Counts{}
			t.variants[run.Variant] = vc
			t.order = append(t.order, run.Variant)
		}
		vc.add(run, out)
	} else {
		t.before.add(run, out)
	}
	return true
}

// Report is the tally so far.
func (t *Tally) Report() *Report {
	rep := t.rep
	rep.Waiting = []Waiting{} // [] in JSON when nobody runs, not null: jq '.waiting[]' reads both alike
	for i, n := range t.waiting {
		if n > 0 {
			held := map[string]int{state.HoldQuietHours: 0, state.HoldFrequencyCap: 0}
			maps.Copy(held, t.held[i])
			rep.Waiting = append(rep.Waiting, Waiting{Step: t.c.Steps[i].Name, Members: n, Held: held})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(t.removed)) {
		rw := t.removed[name]
		wt := Waiting{Step: name, Members: rw.runs, Held: rw.held, Removed: true}
		if rw.goesOn >= 0 && rw.goesOn < len(t.c.Steps) {
			wt.GoesOn = t.c.Steps[rw.goesOn].Name
		}
		rep.Waiting = append(rep.Waiting, wt)
	}
	arms := make([]Arm, len(t.order))
	for i, name := range t.order {
		arms[i] = Arm{Goal: t.variants[name].Goal, Runs: t.variants[name].Entered}
	}
	control := ControlIndex(t.c, t.order)
	against, alpha := CompareArms(arms, control)
	for i, name := range t.order {
		v := Variant{Name: name, Counts: *t.variants[name], Control: i == control}
		if rep.HasGoal && v.Entered > 0 {
			r := v.GoalRate()
			v.Rate = &r
		}
		if i != control {
			a := against[i]
			v.Lift, v.P, v.Comparison = &a.Lift, &a.P, a.Comparison
			if v.Entered > 0 && arms[control].Runs > 0 {
				v.Significant = &a.Significant
			}
		}
		rep.Variants = append(rep.Variants, v)
	}
	if len(t.order) > 0 {
		rep.Control, rep.Alpha = t.order[control], alpha
	}
	if t.splits || len(t.order) > 0 {
		// Present whenever there are variants, zero or not, so the rows
		// of a reader add up to the total without a default.
		b := t.before
		rep.BeforeSplit = &b
	}
	if t.steps != nil {
		rep.Steps = t.steps.report()
		rec := t.steps.rec
		rep.StepRecords = &rec
	}
	return &rep
}

// Summarize reads every stored member once; after is as for NewTally.
func Summarize(ctx context.Context, c *config.Campaign, after map[string]string, members func(context.Context, func(*state.Member) error) error) (*Report, error) {
	t := NewTally(c, after)
	err := members(ctx, func(m *state.Member) error {
		t.Add(m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t.Report(), nil
}

// Read is c's report from store: the campaign's records first, where the
// store keeps them (state.CampaignRecords), each kind in one pass, then
// every member once. after and ret are as for NewTally and ReadRecords.
func Read(ctx context.Context, c *config.Campaign, after map[string]string, store state.Store, ret Retention) (*Report, error) {
	t := NewTally(c, after)
	if rec, ok := store.(state.CampaignRecords); ok {
		if err := t.ReadRecords(ctx, rec, ret); err != nil {
			return nil, err
		}
	}
	err := store.Members(ctx, func(m *state.Member) error {
		t.Add(m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t.Report(), nil
}

// TwoProportionP is the two-sided p-value of a z-test that two goal
// rates, x1 of n1 and x2 of n2, are the same, with the pooled rate's
// standard error. With no run on a side, or the same rate of 0 or 1 on
// both, nothing can be told apart: 1.
func TwoProportionP(x1, n1, x2, n2 int) float64 {
	if n1 == 0 || n2 == 0 {
		return 1
	}
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	pooled := float64(x1+x2) / float64(n1+n2)
	se := math.Sqrt(pooled * (1 - pooled) * (1/float64(n1) + 1/float64(n2)))
	if se == 0 {
		return 1
	}
	z := (p2 - p1) / se
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}
