package runtime

import (
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// The readers of campaign outcomes give back what advance and send
// write, with the run's key or without, and name no step in a text of
// another form.
func TestStepRecordReaders(t *testing.T) {
	due := time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC)
	for _, key := range []string{"", "Go Night #43"} {
		for text, want := range map[string]string{
			leftText:                                          SkipLeft,
			unsubscribedText("email.news"):                    SkipUnsubscribed,
			unsubscribedText(state.UnsubscribedAll):           SkipUnsubscribed,
			"until " + untilText(due) + " had passed":         SkipUntil,
			"until " + untilText(time.Time{}) + " had passed": SkipUntil,
			"frequency cap":                                   SkipCapped,
			"not_after " + untilText(due) + " had passed":     SkipNotAfter,
			"quiet hours until " + untilText(due) + ", past not_after " + untilText(due):       SkipNotAfter,
			state.OutboxSkippedBounced("email.news", state.Bounce{At: due, Code: "550 5.1.1"}): SkipBounced,
			"something new": SkipOther,
		} {
			step, why, ok := StepSkip(state.DetailReason(state.RunDetail("hello-2: "+text, key)))
			if !ok || step != "hello-2" || why != want {
				t.Errorf("skip %q (key %q): %q, %q, %v; want hello-2, %s", text, key, step, why, ok, want)
			}
		}
		for detail, want := range map[string]string{
			"nudge: " + deferText(state.HoldQuietHours, due):   state.HoldQuietHours,
			"nudge: " + deferText(state.HoldFrequencyCap, due): state.HoldFrequencyCap,
			// As a hearth from before deferText wrote it.
			"nudge until " + due.Format(time.RFC3339):                state.HoldQuietHours,
			"nudge: frequency cap until " + due.Format(time.RFC3339): state.HoldFrequencyCap,
		} {
			step, hold, ok := StepHold(state.DetailReason(state.RunDetail(detail, key)))
			if !ok || step != "nudge" || hold != want {
				t.Errorf("defer %q: %q, %q, %v; want nudge, %s", detail, step, hold, ok, want)
			}
		}
		if step, ok := StepFailed(state.DetailReason(state.RunDetail("hello: template hi text (en): boom", key))); !ok || step != "hello" {
			t.Errorf("failed: %q, %v", step, ok)
		}
	}
	for _, reason := range []string{"template hi text (en): boom", ": x", "a b: c"} {
		if step, ok := StepFailed(reason); ok {
			t.Errorf("StepFailed(%q) = %q; want no step", reason, step)
		}
		if step, _, ok := StepSkip(reason); ok {
			t.Errorf("StepSkip(%q) = %q; want no step", reason, step)
		}
	}
	for reason, want := range map[string]string{
		state.OutboxSkippedLeft:                                         SkipLeft,
		state.OutboxSkippedBack:                                         SkipBack,
		state.OutboxSkippedUnsubscribed("email.news"):                   SkipUnsubscribed,
		state.SkippedForgotten:                                          SkipForgotten,
		state.OutboxSkippedBounced("email.news", state.Bounce{At: due}): SkipBounced,
		"moderated away":                                                SkipOther,
	} {
		if got := DeliverySkip(reason); got != want {
			t.Errorf("DeliverySkip(%q) = %q; want %q", reason, got, want)
		}
	}
}
