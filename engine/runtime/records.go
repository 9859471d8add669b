package runtime

import (
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// More skip reasons, of sends skipped for the campaign's own rules
// rather than for the member's sake (those member why leaves out), and
// of the outbox's for a forgotten member's run: hearth campaign show
// counts every reason per step.
const (
	SkipUntil     = "until"         // the step's until had passed when the run reached it
	SkipCapped    = "frequency_cap" // a full frequency cap, with on_cap = "skip"
	SkipNotAfter  = "not_after"     // the send's not_after had passed, or a hold would pass it
	SkipForgotten = "forgotten"     // the run was keyed by a member who was forgotten
	SkipBounced   = "bounced"       // the member's address bounced (email.bounced) through the send's platform
	SkipStopped   = "stopped"       // the run was stopped by hearth campaign stop while the send waited
	SkipOther     = "other"         // a reason this hearth does not write
)

// StepSkip reads back the reason of a campaign's "skip" outcome (its
// detail without the run's key, state.DetailReason): the step and why,
// SkipUnsubscribed, SkipBounced, SkipLeft, SkipUntil, SkipCapped, SkipNotAfter or SkipOther; ok is
// false when it names no step.
func StepSkip(reason string) (step, why string, ok bool) {
	step, text, ok := strings.Cut(reason, ": ")
	if !ok || !stepName(step) {
		return "", "", false
	}
	switch {
	case text == leftText:
		why = SkipLeft
	case text == "frequency cap":
		why = SkipCapped
	case strings.HasPrefix(text, "until ") && strings.HasSuffix(text, " had passed"):
		why = SkipUntil
	case strings.HasPrefix(text, "not_after ") && strings.HasSuffix(text, " had passed"), strings.Contains(text, ", past not_after "):
		why = SkipNotAfter
	case state.IsOutboxSkippedBounced(text):
		why = SkipBounced
	default:
		why = SkipOther
		if _, unsub := unsubscribedOf(text); unsub {
			why = SkipUnsubscribed
		}
	}
	return step, why, true
}

// deferText is the detail of a campaign's "defer" outcome after the
// step's name: what held the send, and until when ("quiet hours until
// 2026-03-16T15:00:00Z", "frequency cap until ..."), so the outcome
// line says why as well as how long.
func deferText(hold string, until time.Time) string {
	what := "quiet hours"
	if hold == state.HoldFrequencyCap {
		what = "frequency cap"
	}
	return what + " until " + until.UTC().Format(time.RFC3339)
}

// StepHold reads back the reason of a campaign's "defer" outcome: the
// step and what held its send, state.HoldQuietHours or
// state.HoldFrequencyCap. A quiet-hours deferral recorded by a hearth
// from before deferText ("nudge until ...", no reason) reads as one.
func StepHold(reason string) (step, hold string, ok bool) {
	if step, rest, ok := strings.Cut(reason, ": "); ok && stepName(step) {
		switch {
		case strings.HasPrefix(rest, "frequency cap until "):
			return step, state.HoldFrequencyCap, true
		case strings.HasPrefix(rest, "quiet hours until "):
			return step, state.HoldQuietHours, true
		}
	}
	if step, _, ok := strings.Cut(reason, " until "); ok && stepName(step) {
		return step, state.HoldQuietHours, true
	}
	return "", "", false
}

// StepFailed reads back the step of a send whose message could not be
// made (a "failed" action outcome's reason); ok is false for one written
// by a hearth that did not put the step first, whose error text ("template
// hi text (en): ...") names none.
func StepFailed(reason string) (step string, ok bool) {
	step, _, ok = strings.Cut(reason, ": ")
	return step, ok && stepName(step)
}

// DeliverySkip is why the outbox skipped a send, by the reason it stored
// (state.OutboxSkipped*, state.SkippedForgotten): SkipUnsubscribed,
// SkipBounced, SkipLeft, SkipBack, SkipExpired, SkipForgotten, SkipStopped
// or SkipOther.
func DeliverySkip(reason string) string {
	switch reason {
	case state.SkippedForgotten:
		return SkipForgotten
	case state.OutboxSkippedStopped:
		return SkipStopped
	}
	if state.IsOutboxSkippedBounced(reason) {
		return SkipBounced
	}
	if s := queuedSkip("", "", reason); s != nil {
		return s.Reason
	}
	return SkipOther
}

// stepName reports whether s can be a step's name, which is an HCL
// label the configuration holds to letters, digits, '_' and '-': an
// error's text before its first ": " is not one.
func stepName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
