package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
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
// close (counted as the runtime counts it, from the entry or the last
// message), so the goal is asked as of then (or at, if sooner); any
// other ended run, or a finished one that never converts, as of when it
// ended. The wall clock says nothing of a run
// that ended months of event time ago. An active run, none, or -at
// given: at. The reason is a WhyView.AtReason (atReasonText says it).
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
	if closes, ok := c.ConversionEnds(run.EnteredAt, run.LastSent, run.Seq); ok && run.Reason == "finished" {
		if closes.Before(at) {
			return closes, runtime.AtConversionWindowClosed
		}
		return at, ""
	}
	if run.EndedAt.Before(at) {
		return run.EndedAt, runtime.AtRunEnded
	}
	return at, ""
}

// atReasonText is a WhyView.AtReason as member why's text says it.
func atReasonText(reason string) string {
	switch reason {
	case runtime.AtConversionWindowClosed:
		return "when the run's conversion window closed"
	case runtime.AtRunEnded:
		return "when the run ended"
	}
	return reason
}

// sendText is one send as member why lists it.
func sendText(s runtime.RunSend) string {
	t := fmt.Sprintf("step %s, decided %s: ", s.Step, utcMinute(s.DecidedAt))
	switch s.Status {
	case state.OutboxSent:
		if _, _, held := state.OutboxHeldQuiet(s.Detail); held {
			// The outbox kept the hold it went out after.
			return t + "delivered " + utcMinute(s.At) + ", after being " + s.Detail
		}
		return t + "delivered " + utcMinute(s.At)
	case state.OutboxPending:
		return t + "queued, not delivered yet (due " + utcMinute(s.At) + ")"
	case state.OutboxDead:
		return t + "failed, in the dead letters: " + s.Detail
	case state.OutboxSkipped:
		return t + "skipped at delivery: " + orNone(s.Detail)
	case runtime.SendSkippedAtStep:
		return t + "skipped at the step: " + orNone(s.Detail)
	}
	return t + s.Status + ": " + orNone(s.Detail)
}

// runLines are member why's lines on a campaign run beyond its status,
// from rt.RunInfos (what -json has in runs): the A/B variant, the sends
// made, the conversion window (open or closed at asked, the time of -at
// or the clock), and, for a step address, what became of that step for
// the member. at is when the rules are evaluated, and evalAt why, when
// it is not asked.
func runLines(rt *runtime.Runtime, m *state.Member, addr, step string, at, asked time.Time, evalAt string, outs []state.Outcome, box []state.OutboxEntry) []string {
	var lines []string
	infos := rt.RunInfos(m, addr, step, asked, outs, box)
	for _, info := range infos {
		if info.Number > 0 {
			if info.Variant != "" {
				lines = append(lines, fmt.Sprintf("variant: %s (the other: %s)", info.Variant, orNone(strings.Join(info.OtherVariants, ", "))))
			}
			if len(info.Sends) == 0 {
				lines = append(lines, fmt.Sprintf("sends in run %d: none", info.Number))
			} else {
				lines = append(lines, fmt.Sprintf("sends in run %d:", info.Number))
				for _, s := range info.Sends {
					lines = append(lines, "  "+sendText(s))
				}
			}
			if w := info.ConversionWindow; w != nil {
				lines = append(lines, windowText(w, info.Ended))
			}
		}
	}
	if len(infos) > 0 && evalAt != "" {
		lines = append(lines, fmt.Sprintf("the rules below are evaluated as of %s, %s (-at asks of another time)", utcMinute(at), atReasonText(evalAt)))
	}
	for _, info := range infos {
		if info.Step != nil {
			lines = append(lines, stepFateText(info))
		}
	}
	return lines
}

// windowText is member why's line on a run's conversion window.
func windowText(w *runtime.ConversionWindow, ended string) string {
	t := fmt.Sprintf("conversion window %s from entering (%s), ", w.Length, utcMinute(w.Start))
	if w.From == config.ConversionFromLastSend {
		start := "none sent yet"
		if !w.Start.IsZero() {
			start = utcMinute(w.Start)
		}
		t = fmt.Sprintf("conversion window %s from the last message (%s), ", w.Length, start)
	}
	switch w.State {
	case runtime.WindowRunning:
		switch {
		case w.Closes.IsZero():
			t += "opens with the run's first message; "
		case w.From == config.ConversionFromLastSend:
			t += "closes " + utcMinute(w.Closes) + " (later if it sends again); "
		default:
			t += "closes " + utcMinute(w.Closes) + "; "
		}
		return t + "the run is under way, and the goal ends it as goal"
	case runtime.WindowNotFinished:
		return t + "not for this run: it ended " + ended + ", and only a finished run converts"
	case runtime.WindowNoSends:
		return t + "never open: the run finished with no message sent, so it does not convert"
	case runtime.WindowOpen:
		return t + "open until " + utcMinute(w.Closes) + ": the run counts as goal if exit_when holds by then"
	}
	return t + "closed " + utcMinute(w.Closes) + ": the goal did not hold by then"
}

// stepFateText says why the member did or did not get the message of the
// step info.Step names.
func stepFateText(info runtime.RunInfo) string {
	f := info.Step
	head := "step " + f.Name + ": "
	if f.SendsNothing {
		head += "sends nothing; "
	}
	switch f.Fate {
	case runtime.FateNeverEntered:
		return head + "never reached: the member never entered the campaign"
	case runtime.FateSent:
		var mine []string
		for _, s := range info.Sends {
			if s.Step == f.Name {
				mine = append(mine, strings.TrimPrefix(sendText(s), "step "+f.Name+", "))
			}
		}
		return head + strings.Join(mine, "; ")
	case runtime.FateOtherVariant:
		return head + fmt.Sprintf("never reached: the run was assigned variant %s; %s is on variant %s", info.Variant, f.Name, strings.Join(f.Variants, " and "))
	case runtime.FateAtStep:
		if f.HeldBy != "" {
			return head + fmt.Sprintf("the run is at it since %s, held by %s until %s", utcMinute(f.Since), f.HeldBy, utcMinute(f.Next))
		}
		return head + fmt.Sprintf("the run is at it since %s, next %s", utcMinute(f.Since), utcMinute(f.Next))
	case runtime.FateNotReached:
		return head + fmt.Sprintf("not reached yet: the run is at step %s", orNone(f.RunStep))
	case runtime.FatePassed:
		return head + fmt.Sprintf("passed with no message (its when did not hold, or a branch or goto went around it): the run is at step %s", orNone(f.RunStep))
	case runtime.FateNoMessage:
		return head + fmt.Sprintf("no message: the run went past it or ended there (%s %s) with none sent (its when did not hold, or a branch or goto went around it)", info.Ended, utcMinute(info.EndedAt))
	}
	return head + fmt.Sprintf("never reached: the run ended (%s) %s at step %s", info.Ended, utcMinute(info.EndedAt), orNone(f.RunStep))
}

// warnRunAsOf is warnAsOf for an ended run's rules evaluated as of its
// window rather than an -at given: the same inputs, told without -at.
func warnRunAsOf(w io.Writer, past *runtime.AsOf, why string) {
	notes := asOfNotes(past)
	if len(notes) == 0 {
		return
	}
	fmt.Fprintf(w, "hearth member why: note: the run's rules are evaluated as of %s, %s, before the member's stored state (%s); these inputs are not as of then:\n",
		utcMinute(past.At), atReasonText(why), utcMinute(past.Latest))
	for _, n := range notes {
		fmt.Fprintf(w, "  %s: %s\n", n.Input, n.Note)
	}
}
