package campaignstats

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// Step is what a campaign's records tell of one of its steps, its
// message above all: every run they keep counts, earlier runs of members
// who entered again included, as long as retention keeps their outcomes
// and outbox entries (StepRecords says how long).
type Step struct {
	Step string `json:"step"`
	// Removed marks a step the configuration no longer has, of which
	// records are left.
	Removed bool `json:"removed,omitempty"`
	// Reached is the runs whose step came due: its send made, skipped,
	// held back or failed, or its wait_until timed out. A run that
	// ended while it waited for the step (the goal reached meanwhile),
	// or that a false when sent elsewhere, did not reach it.
	Reached int `json:"reached"`
	// Sends is the messages queued to the outbox at the step; of them,
	// the outbox delivered, still holds, gave up on (dead) and skipped
	// at delivery those its kept entries tell.
	Sends     int `json:"sends"`
	Delivered int `json:"delivered"`
	Pending   int `json:"pending"`
	Dead      int `json:"dead"`
	// Failed is the sends not made because their message could not be
	// made from its template (logged too).
	Failed int `json:"failed"`
	// Skipped is the sends not made: skipped at the step, or queued and
	// skipped by the outbox at delivery (SkippedAtDelivery of them, also
	// among Sends). SkippedBy counts them by why (runtime.Skip*:
	// unsubscribed, bounced, left, back, until, frequency_cap, expired,
	// forgotten, stopped, other),
	// every reason present.
	Skipped           int            `json:"skipped"`
	SkippedAtDelivery int            `json:"skipped_at_delivery"`
	SkippedBy         map[string]int `json:"skipped_by"`
	// Held is the runs whose send at the step quiet hours or a full
	// frequency cap held back, at least once, whether it went out later
	// or still waits; HeldBy counts them by what held it (a run held by
	// both counts under both), both reasons present. A send the outbox
	// holds at delivery (quiet hours decided again when it is due) counts
	// while it waits, HeldAtDelivery of them, and once it has gone out,
	// DeliveredAfterHold of them: its sent entry keeps the hold
	// (state.SentAfterHoldMarker), as long as outbox_retention keeps it.
	Held               int            `json:"held"`
	HeldBy             map[string]int `json:"held_by"`
	HeldAtDelivery     int            `json:"held_at_delivery"`
	DeliveredAfterHold int            `json:"delivered_after_hold"`
	// TimedOut is the runs whose wait_until at the step gave up.
	TimedOut int `json:"timed_out"`
	// RunsSent is the runs given a send at the step; RunsSentEnded those
	// of them that have ended, and Goal those of these that reached the
	// goal: GoalRate is Goal of RunsSent, running ones not converted yet.
	RunsSent      int `json:"runs_sent"`
	RunsSentEnded int `json:"runs_sent_ended"`
	Goal          int `json:"goal"`
}

// GoalRate is the share of the runs given the step's send that reached
// the goal, those still running counted as not converted yet (as
// Counts.GoalRate); 0 when no run was given it.
func (s Step) GoalRate() float64 {
	if s.RunsSent == 0 {
		return 0
	}
	return float64(s.Goal) / float64(s.RunsSent)
}

// StepRecords says what Steps are counted from, and what retention has
// left out of them.
type StepRecords struct {
	// OutcomesSince is when the oldest of the campaign's outcomes kept
	// happened; absent when none is.
	OutcomesSince time.Time `json:"outcomes_since,omitzero"`
	// OutcomeRetention forgets outcomes that much older than now, and
	// OutboxRetention outbox entries finished that long ago ("400d",
	// "90d"); absent when the state keeps them all.
	OutcomeRetention string `json:"outcome_retention,omitempty"`
	OutboxRetention  string `json:"outbox_retention,omitempty"`
	// FailedNoStep is failed sends an older hearth recorded without
	// their step: in no step's count.
	FailedNoStep int `json:"failed_no_step,omitempty"`
}

// Retention is the state's retention settings
// (config.StateSettings), which the step figures say they are subject
// to; zero keeps that kind forever.
type Retention struct {
	Outcomes time.Duration
	Outbox   time.Duration
}

// RetentionOf is the retention settings of cfg's state.
func RetentionOf(cfg *config.Config) Retention {
	return Retention{Outcomes: cfg.Settings.State.OutcomeRetention, Outbox: cfg.Settings.State.OutboxRetention}
}

// skipReasons and holdReasons are the keys SkippedBy and HeldBy always
// have.
var (
	skipReasons = []string{runtime.SkipUnsubscribed, runtime.SkipBounced, runtime.SkipLeft, runtime.SkipBack, runtime.SkipUntil, runtime.SkipCapped, runtime.SkipNotAfter, runtime.SkipExpired, runtime.SkipForgotten, runtime.SkipStopped, runtime.SkipOther}
	holdReasons = []string{state.HoldQuietHours, state.HoldFrequencyCap}
)

// What a run's records showed at a step, so each run counts once in
// Reached, Held and RunsSent however often it came back to the step.
const (
	markReached uint8 = 1 << iota
	markSent
	markHeld
	markHeldQuiet
	markHeldCap
)

type mark struct {
	step  int
	flags uint8
}

// openRun is a run whose end the records have not shown yet.
type openRun struct {
	run   int // its number; 0 when its entry is no longer kept
	marks []mark
}

// set marks the run at step i, and reports whether the flag is new.
func (r *openRun) set(i int, flag uint8) bool {
	for j := range r.marks {
		if r.marks[j].step == i {
			had := r.marks[j].flags&flag != 0
			r.marks[j].flags |= flag
			return !had
		}
	}
	r.marks = append(r.marks, mark{i, flag})
	return true
}

// stepTally counts a campaign's steps from its records: the outcomes in
// the order they were appended, then its outbox entries.
type stepTally struct {
	c     *config.Campaign
	steps []*Step
	index map[string]int
	// open holds the runs that have records and no end yet, by member
	// and run key; a run leaves it at its end, so it holds the running
	// runs, not every run there ever was.
	open map[string]*openRun
	// finished holds, in a campaign with a conversion window, the runs
	// that finished: a convert outcome later credits their sends with
	// the goal.
	finished map[string]*openRun
	// converted counts the convert outcomes.
	converted int
	rec       StepRecords
	// outbox holds, by member and run key, what the outbox entries of
	// the latest run they tell of became: the member scan adds it to
	// the counts of that run, when it is the member's latest. One entry
	// per run with kept entries, not one per entry.
	outbox map[string]*runOutbox
}

// runOutbox is what became of one run's outbox entries.
type runOutbox struct {
	run                               int // the run's number (CampaignRun.Runs)
	delivered, pending, skipped, dead int
}

func newStepTally(c *config.Campaign, ret Retention) *stepTally {
	t := &stepTally{c: c, index: map[string]int{}, open: map[string]*openRun{}}
	if ret.Outcomes > 0 {
		t.rec.OutcomeRetention = durations.FormatDays(ret.Outcomes)
	}
	if ret.Outbox > 0 {
		t.rec.OutboxRetention = durations.FormatDays(ret.Outbox)
	}
	for _, st := range c.Steps {
		t.step(st.Name)
	}
	return t
}

// step is the figures of the step named name, a removed step's made on
// first use.
func (t *stepTally) step(name string) int {
	if to := t.c.StepMovedTo(name); to != "" {
		name = to // renamed by a moved block: its records are the new step's
	}
	if i, ok := t.index[name]; ok {
		return i
	}
	s := &Step{Step: name, Removed: t.c.StepRemoved(name), SkippedBy: map[string]int{}, HeldBy: map[string]int{}}
	for _, r := range skipReasons {
		s.SkippedBy[r] = 0
	}
	for _, r := range holdReasons {
		s.HeldBy[r] = 0
	}
	t.index[name] = len(t.steps)
	t.steps = append(t.steps, s)
	return len(t.steps) - 1
}

// run is the open run of member with key, numbered n (0: not known), a
// new one when the records show none or one numbered otherwise.
func (t *stepTally) run(member, key string, n int) *openRun {
	id := member + "\x00" + key
	r := t.open[id]
	if r == nil || n != 0 && r.run != 0 && r.run != n {
		r = &openRun{run: n}
		t.open[id] = r
	}
	if r.run == 0 {
		r.run = n
	}
	return r
}

// reach counts the run at step i, once.
func (t *stepTally) reach(r *openRun, i int) {
	if r.set(i, markReached) {
		t.steps[i].Reached++
	}
}

func (t *stepTally) outcome(o *state.Outcome) {
	if t.rec.OutcomesSince.IsZero() || o.At.Before(t.rec.OutcomesSince) {
		t.rec.OutcomesSince = o.At
	}
	reason, key := state.DetailReason(o.Detail), state.DetailKey(o.Detail)
	switch {
	case o.Kind == state.KindCampaign && o.Change == "enter":
		n, _ := strconv.Atoi(strings.TrimPrefix(reason, "run "))
		t.open[o.Member+"\x00"+key] = &openRun{run: n}
		delete(t.finished, o.Member+"\x00"+key) // a run replaced converts no more
	case o.Kind == state.KindCampaign && o.Change == "exit":
		id := o.Member + "\x00" + key
		r := t.open[id]
		if r == nil {
			return
		}
		for _, m := range r.marks {
			if m.flags&markSent != 0 {
				t.steps[m.step].RunsSentEnded++
				if reason == "goal" {
					t.steps[m.step].Goal++
				}
			}
		}
		delete(t.open, id)
		if reason == "finished" && t.c.ConversionWindow > 0 {
			if t.finished == nil {
				t.finished = map[string]*openRun{}
			}
			t.finished[id] = r
		}
	case o.Kind == state.KindCampaign && o.Change == "convert":
		// The run finished, counted among the ended runs then, and has
		// reached the goal since: its sends are credited now, once.
		t.converted++
		id := o.Member + "\x00" + key
		if r := t.finished[id]; r != nil {
			for _, m := range r.marks {
				if m.flags&markSent != 0 {
					t.steps[m.step].Goal++
				}
			}
			delete(t.finished, id)
		}
	case o.Kind == state.KindCampaign && o.Change == "skip":
		if step, why, ok := runtime.StepSkip(reason); ok {
			i := t.step(step)
			t.steps[i].Skipped++
			t.steps[i].SkippedBy[why]++
			t.reach(t.run(o.Member, key, 0), i)
		}
	case o.Kind == state.KindCampaign && o.Change == "defer":
		if step, hold, ok := runtime.StepHold(reason); ok {
			i := t.step(step)
			r := t.run(o.Member, key, 0)
			t.reach(r, i)
			flag := markHeldQuiet
			if hold == state.HoldFrequencyCap {
				flag = markHeldCap
			}
			if r.set(i, markHeld) {
				t.steps[i].Held++
			}
			if r.set(i, flag) {
				t.steps[i].HeldBy[hold]++
			}
		}
	case o.Kind == state.KindCampaign && o.Change == "timeout":
		if reason != "" {
			i := t.step(reason)
			t.steps[i].TimedOut++
			t.reach(t.run(o.Member, key, 0), i)
		}
	case o.Kind == state.KindAction && o.Change == "queue":
		k, ok := state.ParseSendKey(o.Detail)
		if !ok || k.Campaign != t.c.Name {
			return
		}
		i := t.step(k.Step)
		t.steps[i].Sends++
		r := t.run(o.Member, k.RunKey, k.Run)
		t.reach(r, i)
		if r.set(i, markSent) {
			t.steps[i].RunsSent++
		}
	case o.Kind == state.KindAction && o.Change == "failed":
		step, ok := runtime.StepFailed(reason)
		if !ok {
			t.rec.FailedNoStep++
			return
		}
		i := t.step(step)
		t.steps[i].Failed++
		t.reach(t.run(o.Member, key, 0), i)
	}
}

// send counts an outbox entry of the campaign's.
func (t *stepTally) send(s state.SendStatus) {
	k, ok := state.ParseSendKey(s.Key)
	if !ok || k.Campaign != t.c.Name {
		return
	}
	st := t.steps[t.step(k.Step)]
	id := k.Member + "\x00" + k.RunKey
	r := t.outbox[id]
	switch {
	case r == nil || k.Run > r.run:
		// An earlier run's entries count in the steps, not in the
		// latest runs' counts.
		r = &runOutbox{run: k.Run}
		if t.outbox == nil {
			t.outbox = map[string]*runOutbox{}
		}
		t.outbox[id] = r
	case k.Run < r.run:
		r = &runOutbox{} // counted nowhere
	}
	_, _, heldQuiet := state.OutboxHeldQuiet(s.Reason)
	switch s.Status {
	case state.OutboxSent:
		st.Delivered++
		r.delivered++
		if heldQuiet {
			st.DeliveredAfterHold++
			t.heldAtDelivery(st, k)
		}
	case state.OutboxPending:
		st.Pending++
		r.pending++
		if heldQuiet {
			st.HeldAtDelivery++
			t.heldAtDelivery(st, k)
		}
	case state.OutboxDead:
		st.Dead++
		r.dead++
	case state.OutboxSkipped:
		st.Skipped++
		st.SkippedAtDelivery++
		st.SkippedBy[runtime.DeliverySkip(s.Reason)]++
		r.skipped++
	}
}

// heldAtDelivery counts in st's Held and HeldBy the run of k, whose send
// the outbox held at delivery by quiet hours: once per run, with a hold
// at the step the outcomes told of; a run whose end they told of is not
// known any more.
func (t *stepTally) heldAtDelivery(st *Step, k state.SendKey) {
	heldRun, byQuiet := true, true
	if r := t.open[k.Member+"\x00"+k.RunKey]; r != nil && (r.run == 0 || r.run == k.Run) {
		i := t.index[st.Step]
		heldRun, byQuiet = r.set(i, markHeld), r.set(i, markHeldQuiet)
	}
	if heldRun {
		st.Held++
	}
	if byQuiet {
		st.HeldBy[state.HoldQuietHours]++
	}
}

// report is the steps in the configuration's order, those that send or
// have records, then removed steps with records, by name.
func (t *stepTally) report() []Step {
	sends := map[string]bool{}
	for _, st := range t.c.Steps {
		sends[st.Name] = st.Send != nil
	}
	out := []Step{}
	var removed []Step
	for _, s := range t.steps {
		switch {
		case s.Removed:
			removed = append(removed, *s)
		case sends[s.Step] || s.Reached > 0 || s.Sends > 0 || s.Skipped > 0:
			out = append(out, *s)
		}
	}
	slices.SortFunc(removed, func(a, b Step) int { return strings.Compare(a.Step, b.Step) })
	return append(out, removed...)
}

// ReadRecords counts the campaign's steps from what rec keeps of it, its
// outcomes and then its outbox entries, each read in one pass; Report
// then has Steps and StepRecords. ret is the state's retention, which
// the report says the figures are subject to.
func (t *Tally) ReadRecords(ctx context.Context, rec state.CampaignRecords, ret Retention) error {
	st := newStepTally(t.c, ret)
	err := rec.CampaignOutcomes(ctx, t.c.Name, func(o *state.Outcome) error {
		st.outcome(o)
		return nil
	})
	if err == nil {
		err = rec.CampaignSends(ctx, t.c.Name, func(s state.SendStatus) error {
			st.send(s)
			return nil
		})
	}
	if err != nil {
		return err
	}
	// The runs still open are not needed past here: the member scan
	// that follows does not read them.
	st.open, st.finished = nil, nil
	t.rep.Converted = st.converted
	t.steps = st
	return nil
}
