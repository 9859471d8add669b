package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// stepAddress splits member why's campaign.NAME.STEP (or
// campaign.NAME[KEY].STEP) into the run's address and the step. An
// address with no step gives it back with step "". A step the campaign
// does not have is an error that lists the forms member why takes.
func stepAddress(cfg *config.Config, addr string) (run, step string, err error) {
	rest, ok := strings.CutPrefix(addr, "campaign.")
	if !ok {
		return addr, "", nil
	}
	i := strings.LastIndex(rest, ".")
	if i < 0 || i < strings.LastIndex(rest, "]") {
		return addr, "", nil // no step, or a dot inside a run key
	}
	id, step := rest[:i], rest[i+1:]
	c := campaignBlock(cfg, state.RunCampaign(id))
	if c == nil {
		// Not a campaign: the runtime's message, with its suggestion,
		// says so of the whole name.
		return addr, "", nil
	}
	var steps []string
	for _, st := range c.Steps {
		if st.Name == step {
			return "campaign." + id, step, nil
		}
		steps = append(steps, st.Name)
	}
	return "", "", fmt.Errorf("campaign %s has no step named %q.%s Give campaign.%s (the run), campaign.%s[KEY] (a run of a campaign with run_key) or campaign.%s.STEP, a step of: %s",
		c.Name, step, didYouMean(step, steps), c.Name, c.Name, c.Name, orNone(strings.Join(steps, ", ")))
}

// runEvalTime is when member why evaluates an ended run's rules when
// -at does not say: a finished run's conversion window is open until its
// close, so the goal is asked as of then (or at, if sooner); any other
// ended run as of when it ended. The wall clock says nothing of a run
// that ended months of event time ago. An active run, none, or -at
// given: at.
func runEvalTime(cfg *config.Config, m *state.Member, addr string, at time.Time) (time.Time, string) {
	id, ok := strings.CutPrefix(addr, "campaign.")
	if !ok {
		return at, ""
	}
	run := m.Campaigns[id]
	c := campaignBlock(cfg, state.RunCampaign(id))
	if run == nil || run.Active() || c == nil || run.EndedAt.IsZero() {
		return at, ""
	}
	if run.Reason == "finished" && c.ConversionWindow > 0 {
		if closes := run.EnteredAt.Add(c.ConversionWindow); closes.Before(at) {
			return closes, "when the run's conversion window closed"
		}
		return at, ""
	}
	if run.EndedAt.Before(at) {
		return run.EndedAt, "when the run ended"
	}
	return at, ""
}

// runSend is one send of a campaign run, from the outbox (queued, then
// sent, pending, dead or skipped at delivery) or from the outcomes
// (skipped at its step, never queued).
type runSend struct {
	step   string
	at     time.Time // decided, in event time
	status string
	done   time.Time
	detail string
}

// runSends lists the sends of the member's run id (its current run), in
// the order they were decided.
func runSends(m *state.Member, id string, run *state.CampaignRun, outs []state.Outcome, box []state.OutboxEntry) []runSend {
	campaign, key, _ := state.SplitRunID(id)
	var out []runSend
	for _, e := range box {
		if e.Campaign != campaign || e.RunKey != key || e.Member != m.ID || e.At.Before(run.EnteredAt) || actionRun(e.Key) != run.Runs {
			continue
		}
		s := runSend{step: e.Step, at: e.At, status: e.Status, detail: e.LastError}
		switch e.Status {
		case state.OutboxSent:
			s.done = e.SentAt
		case state.OutboxPending:
			s.done = e.NextAt
		default:
			s.done = e.FinishedAt
		}
		out = append(out, s)
	}
	for _, o := range outs {
		if o.Kind != state.KindCampaign || o.Name != campaign || o.Change != "skip" || o.At.Before(run.EnteredAt) || state.DetailKey(o.Detail) != key {
			continue
		}
		step, text, _ := strings.Cut(state.DetailReason(o.Detail), ": ")
		out = append(out, runSend{step: step, at: o.At, status: "skipped at the step", detail: text})
	}
	slices.SortStableFunc(out, func(a, b runSend) int { return a.at.Compare(b.at) })
	return out
}

// actionRun is the run number in a campaign send's idempotency key,
// campaign/NAME/MEMBER/RUN/SEQ/STEP, read from the end (a member id may
// hold a slash); 0 when the key has another form.
func actionRun(key string) int {
	parts := strings.Split(key, "/")
	if len(parts) < 6 || parts[0] != "campaign" {
		return 0
	}
	n, err := strconv.Atoi(parts[len(parts)-3])
	if err != nil {
		return 0
	}
	return n
}

// sendText is one send as member why lists it.
func sendText(s runSend) string {
	t := fmt.Sprintf("step %s, decided %s: ", s.step, utcMinute(s.at))
	switch s.status {
	case state.OutboxSent:
		return t + "delivered " + utcMinute(s.done)
	case state.OutboxPending:
		return t + "queued, not delivered yet (due " + utcMinute(s.done) + ")"
	case state.OutboxDead:
		return t + "failed, in the dead letters: " + s.detail
	case state.OutboxSkipped:
		return t + "skipped at delivery: " + orNone(s.detail)
	}
	return t + s.status + ": " + orNone(s.detail)
}

// runLines are member why's lines on a campaign run beyond its status:
// the A/B variant, the sends made, the conversion window (open or closed
// at asked, the time of -at or the clock), and, for a step address, what
// became of that step for the member. at is when the rules are
// evaluated, and evalAt why, when it is not asked.
func runLines(cfg *config.Config, m *state.Member, addr, step string, at, asked time.Time, evalAt string, outs []state.Outcome, box []state.OutboxEntry) []string {
	id, ok := strings.CutPrefix(addr, "campaign.")
	if !ok {
		return nil
	}
	c := campaignBlock(cfg, state.RunCampaign(id))
	run := m.Campaigns[id]
	var lines []string
	if c == nil {
		return nil
	}
	var sends []runSend
	if run != nil {
		sends = runSends(m, id, run, outs, box)
		if run.Variant != "" {
			var others []string
			for _, st := range c.Steps {
				for _, v := range st.Split {
					if v.Name != run.Variant {
						others = append(others, v.Name)
					}
				}
			}
			lines = append(lines, fmt.Sprintf("variant: %s (the other: %s)", run.Variant, orNone(strings.Join(others, ", "))))
		}
		if len(sends) == 0 {
			lines = append(lines, fmt.Sprintf("sends in run %d: none", run.Runs))
		} else {
			lines = append(lines, fmt.Sprintf("sends in run %d:", run.Runs))
			for _, s := range sends {
				lines = append(lines, "  "+sendText(s))
			}
		}
		if c.ConversionWindow > 0 {
			closes := run.EnteredAt.Add(c.ConversionWindow)
			w := fmt.Sprintf("conversion window %s from entering (%s), ", durations.Format(c.ConversionWindow), utcMinute(run.EnteredAt))
			switch {
			case run.Active():
				w += "closes " + utcMinute(closes) + "; the run is under way, and the goal ends it as goal"
			case run.Reason != "finished":
				w += "not for this run: it ended " + run.Reason + ", and only a finished run converts"
			case asked.Before(closes):
				w += "open until " + utcMinute(closes) + ": the run counts as goal if exit_when holds by then"
			default:
				w += "closed " + utcMinute(closes) + ": the goal did not hold by then"
			}
			lines = append(lines, w)
		}
	}
	if evalAt != "" {
		lines = append(lines, fmt.Sprintf("the rules below are evaluated as of %s, %s (-at asks of another time)", utcMinute(at), evalAt))
	}
	if step != "" {
		lines = append(lines, stepLine(c, run, step, sends))
	}
	return lines
}

// stepLine says why the member did or did not get the step's message.
func stepLine(c *config.Campaign, run *state.CampaignRun, step string, sends []runSend) string {
	var st *config.Step
	idx := -1
	for i, s := range c.Steps {
		if s.Name == step {
			st, idx = s, i
		}
	}
	head := "step " + step + ": "
	if st.Send == nil {
		head += "sends nothing; "
	}
	if run == nil {
		return head + "never reached: the member never entered the campaign"
	}
	var mine []string
	for _, s := range sends {
		if s.step == step {
			mine = append(mine, strings.TrimPrefix(sendText(s), "step "+step+", "))
		}
	}
	if len(mine) > 0 {
		return head + strings.Join(mine, "; ")
	}
	if on := c.StepVariants()[step]; run.Variant != "" && len(on) > 0 && !slices.Contains(on, run.Variant) {
		return head + fmt.Sprintf("never reached: the run was assigned variant %s; %s is on variant %s", run.Variant, step, strings.Join(on, " and "))
	}
	at := c.StepIndex(run.Step, run.StepName, nil)
	switch {
	case run.Active() && at == idx:
		if run.Hold != nil {
			return head + fmt.Sprintf("the run is at it since %s, held by %s until %s", utcMinute(run.StepAt), run.Hold.Reason, utcMinute(run.Hold.Until))
		}
		return head + fmt.Sprintf("the run is at it since %s, next %s", utcMinute(run.StepAt), utcMinute(run.Due))
	case run.Active() && at < idx:
		return head + fmt.Sprintf("not reached yet: the run is at step %s", orNone(run.StepName))
	case run.Active():
		return head + fmt.Sprintf("passed with no message (its when did not hold, or a branch or goto went around it): the run is at step %s", orNone(run.StepName))
	case st.Send != nil && run.Step >= idx && run.Reason != "left" && run.Reason != "stopped":
		return head + fmt.Sprintf("no message: the run went past it or ended there (%s %s) with none sent (its when did not hold, or a branch or goto went around it)", run.Reason, utcMinute(run.EndedAt))
	}
	return head + fmt.Sprintf("never reached: the run ended (%s) %s at step %s", run.Reason, utcMinute(run.EndedAt), orNone(run.StepName))
}

// warnRunAsOf is warnAsOf for an ended run's rules evaluated as of its
// window rather than an -at given: the same inputs, told without -at.
func warnRunAsOf(w io.Writer, past *runtime.AsOf, why string) {
	notes := asOfNotes(past)
	if len(notes) == 0 {
		return
	}
	fmt.Fprintf(w, "hearth member why: note: the run's rules are evaluated as of %s, %s, before the member's stored state (%s); these inputs are not as of then:\n",
		utcMinute(past.At), why, utcMinute(past.Latest))
	for _, n := range notes {
		fmt.Fprintf(w, "  %s: %s\n", n.Input, n.Note)
	}
}
