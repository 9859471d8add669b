package runtime_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// conversionCampaign sends one message and finishes: without a
// conversion window a member who posts the next day would count as
// finished, not converted.
const conversionCampaign = `
campaign "welcome" {
  enter_on          = "member.joined"
  exit_when         = "member.messages > 0"
  stop_when         = "member.attrs.email == 'opted_out'"
  conversion_window = "3d"
  step "choose" {
    split {
      variant "a" {
        weight = 1
        goto   = "hello"
      }
      variant "b" {
        weight = 1
        goto   = "hello"
      }
    }
  }
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`

// A run that finished counts as goal when the goal holds within the
// conversion window of its entry, once, for its variant; one past the
// window, or after stop_when held, stays finished.
func TestConversionWindowCountsAGoalAfterTheLastStep(t *testing.T) {
	cfg := load(t, templates+optOut+conversionCampaign)
	stream := ev("j1", "member.joined", "ann", 0, 9, "") +
		ev("j2", "member.joined", "bob", 0, 9, "") +
		ev("j3", "member.joined", "cid", 0, 9, "") +
		ev("m1", "message.posted", "ann", 2, 10, "") + // within 3d: converted
		ev("m2", "message.posted", "ann", 2, 11, "") + // counted once
		ev("m3", "message.posted", "bob", 3, 10, "") + // past 3d of 01-01 09:00
		ev("u1", "email.unsubscribed", "cid", 1, 9, "") +
		ev("m4", "message.posted", "cid", 1, 10, "") // stop_when holds: no success
	sum, outs, m := run(t, cfg, stream)
	var convert []string
	for _, line := range campaignOutcomes(outs, "ann") {
		if strings.Contains(line, "convert") {
			convert = append(convert, line)
		}
	}
	if want := []string{"01-03T10:00 convert goal"}; strings.Join(convert, "\n") != strings.Join(want, "\n") {
		t.Errorf("ann's conversions %q; want %q", convert, want)
	}
	if run := m["ann"].Campaigns["welcome"]; run.Reason != "goal" || run.Event != nil || !run.EndedAt.Equal(run.EnteredAt) {
		t.Errorf("ann's run %+v; want goal, its event dropped, ended when it finished", run)
	}
	for _, id := range []string{"bob", "cid"} {
		if run := m[id].Campaigns["welcome"]; run.Reason != "finished" {
			t.Errorf("%s's run %+v; want finished", id, run)
		}
	}
	if run := m["bob"].Campaigns["welcome"]; run.Event != nil {
		t.Errorf("bob's run keeps its event past the window: %v", run.Event)
	}
	f := sum.Campaigns["welcome"]
	if f.Goal != 1 || f.Finished != 2 || f.Converted != 1 || f.Entered != 3 {
		t.Errorf("funnel %+v; want 1 goal (converted after finishing) and 2 finished", f)
	}
	variant := m["ann"].Campaigns["welcome"].Variant
	for name, a := range f.Arms {
		want := 0
		if name == variant {
			want = 1
		}
		if a.Goal != want || a.Converted != want {
			t.Errorf("arm %s: goal %d, converted %d; want %d (ann has %s)", name, a.Goal, a.Converted, want, variant)
		}
	}
}

// Without conversion_window a goal after the last step counts nothing.
func TestNoConversionWindowNoGoalAfterTheLastStep(t *testing.T) {
	cfg := load(t, templates+optOut+strings.Replace(conversionCampaign, `conversion_window = "3d"`, "", 1))
	sum, outs, m := run(t, cfg, ev("j1", "member.joined", "ann", 0, 9, "")+ev("m1", "message.posted", "ann", 1, 10, ""))
	for _, line := range campaignOutcomes(outs, "ann") {
		if strings.Contains(line, "convert") {
			t.Errorf("outcome %q without a conversion window", line)
		}
	}
	if run := m["ann"].Campaigns["welcome"]; run.Reason != "finished" || run.Event != nil {
		t.Errorf("ann's run %+v; want finished, no event kept", run)
	}
	if f := sum.Campaigns["welcome"]; f.Goal != 0 || f.Finished != 1 {
		t.Errorf("funnel %+v; want finished", f)
	}
}

// The goal of a finished run reads the run's entering event, kept for
// the window: a goal over it converts only the runs it holds for.
func TestConversionWindowReadsTheEnteringEvent(t *testing.T) {
	cfg := load(t, templates+`
event "signup" {
  attributes = {
    channel = "string"
  }
}
campaign "ads" {
  enter_on          = "signup"
  exit_when         = "member.messages > 0 && event.channel == 'ads'"
  conversion_window = "7d"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	stream := ev("s1", "signup", "ann", 0, 9, `{"channel":"ads"}`) +
		ev("s2", "signup", "bob", 0, 9, `{"channel":"friend"}`) +
		ev("m1", "message.posted", "ann", 1, 10, "") +
		ev("m2", "message.posted", "bob", 1, 10, "")
	sum, _, m := run(t, cfg, stream)
	if got := m["ann"].Campaigns["ads"].Reason; got != "goal" {
		t.Errorf("ann's run ended %s; want goal", got)
	}
	if got := m["bob"].Campaigns["ads"].Reason; got != "finished" {
		t.Errorf("bob's run ended %s; want finished", got)
	}
	if f := sum.Campaigns["ads"]; f.Goal != 1 || f.Converted != 1 || f.Finished != 1 {
		t.Errorf("funnel %+v", f)
	}
}

// lastSendCampaign waits two days before its one message, which a
// referred member does not get, and holds messages through the night.
const lastSendCampaign = `
campaign "nudge" {
  enter_on          = "member.joined"
  exit_when         = "member.messages > 0"
  conversion_window = "3d"
  conversion_from   = "last_send"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "hello" {
    wait = "2d"
    when = "event.referrer == ''"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`

// With conversion_from = "last_send" the conversion window counts from
// the run's last message, by event time (a message the quiet hours held
// counts from when it went out), so the wait before it uses none of the
// window; a run that sent nothing never converts. With the default, the
// same posts convert as counted from the entry.
func TestConversionFromLastSend(t *testing.T) {
	stream := ev("j1", "member.joined", "ann", 0, 9, "") + // sent 01-03 09:00
		ev("j2", "member.joined", "bob", 0, 9, "") + // sent 01-03 09:00
		ev("j3", "member.joined", "cid", 0, 9, `{"referrer":"ann"}`) + // sent nothing
		ev("j4", "member.joined", "eve", 0, 23, "") + // due 01-03 23:00, sent 01-04 08:00
		ev("m3", "message.posted", "cid", 2, 10, "") + // within 3d of entry, no message
		ev("m1", "message.posted", "ann", 4, 10, "") + // within 3d of the message, past 3d of entry
		ev("m5", "message.posted", "eve", 6, 7, "") + // within 3d of the held message
		ev("m2", "message.posted", "bob", 6, 10, "") // past 3d of the message
	sent := func(day, hour int) time.Time {
		return time.Date(2026, 1, 1, hour, 0, 0, 0, time.UTC).AddDate(0, 0, day)
	}
	for _, tc := range []struct {
		from      string
		converted []string
	}{
		{"last_send", []string{"ann", "eve"}},
		{"entry", []string{"cid"}},
	} {
		t.Run(tc.from, func(t *testing.T) {
			cfg := load(t, templates+strings.Replace(lastSendCampaign, `"last_send"`, `"`+tc.from+`"`, 1))
			sum, outs, m := run(t, cfg, stream)
			var converted []string
			for _, id := range []string{"ann", "bob", "cid", "eve"} {
				run := m[id].Campaigns["nudge"]
				want := "finished"
				if slices.Contains(tc.converted, id) {
					want = "goal"
					converted = append(converted, id)
				}
				if run == nil || run.Reason != want {
					t.Errorf("%s's run %+v; want %s", id, run, want)
				}
			}
			var convert []string
			for _, o := range outs {
				if o.Change == "convert" {
					convert = append(convert, o.Member+" "+o.At.UTC().Format("01-02T15:04"))
				}
			}
			want := map[string][]string{"last_send": {"ann 01-05T10:00", "eve 01-07T07:00"}, "entry": {"cid 01-03T10:00"}}[tc.from]
			if !slices.Equal(convert, want) {
				t.Errorf("convert outcomes %q; want %q", convert, want)
			}
			if f := sum.Campaigns["nudge"]; f.Converted != len(converted) || f.Goal != len(converted) || f.Finished != 4-len(converted) {
				t.Errorf("funnel %+v; want %d converted", f, len(converted))
			}
			// The time of the last message is kept only where the window
			// counts from it.
			for id, at := range map[string]time.Time{"ann": sent(2, 9), "bob": sent(2, 9), "eve": sent(3, 8), "cid": {}} {
				if tc.from == "entry" {
					at = time.Time{}
				}
				if got := m[id].Campaigns["nudge"].LastSent; !got.Equal(at) {
					t.Errorf("%s's last send %v; want %v", id, got, at)
				}
			}
		})
	}
}
