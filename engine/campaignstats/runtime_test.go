package campaignstats_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/campaignstats"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// The step figures read what the runtime writes: a send queued, held by
// quiet hours and delivered, one skipped at its step because the member
// left, one whose message fails (nobody has the attribute bye's
// template needs), and the goal reached after a step's send. A failed
// send is not among the sends the runs made.
func TestStepsFromTheRuntime(t *testing.T) {
	rep, _ := campaignReport(t, `
template "bye" {
  text = { en = "Bye ${member.attrs.nick}" }
}

campaign "welcome" {
  community = community.c
  enter_on  = "member.joined"
  members   = "all"
  exit_when = "member.messages > 0"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "nudge" {
    wait = "1d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "bye" {
    send {
      channel  = "dm"
      template = template.bye
    }
  }
}
`,
		// ann is sent hello and posts: the goal. bob joins at night:
		// hello waits for 08:00, then the nudge, and his run finishes.
		// cat leaves after hello: her nudge is skipped at its step.
		`{"id":"j1","type":"member.joined","member":"ann","at":"2026-01-01T10:00:00Z"}
{"id":"j3","type":"member.joined","member":"cat","at":"2026-01-01T10:00:00Z"}
{"id":"l3","type":"member.left","member":"cat","at":"2026-01-01T11:00:00Z"}
{"id":"p1","type":"message.posted","member":"ann","at":"2026-01-01T12:00:00Z"}
{"id":"j2","type":"member.joined","member":"bob","at":"2026-01-01T23:00:00Z"}
{"id":"x","type":"checkin","member":"zed","at":"2026-01-10T00:00:00Z"}
`)
	if len(rep.Steps) != 3 {
		t.Fatalf("steps: %+v", rep.Steps)
	}
	hello, nudge, bye := rep.Steps[0], rep.Steps[1], rep.Steps[2]
	if hello.Reached != 3 || hello.Sends != 3 || hello.Delivered != 3 || hello.Held != 1 || hello.HeldBy[state.HoldQuietHours] != 1 ||
		hello.RunsSent != 3 || hello.RunsSentEnded != 3 || hello.Goal != 1 || hello.Skipped != 0 {
		t.Errorf("hello: %+v", hello)
	}
	if nudge.Reached != 2 || nudge.Sends != 1 || nudge.Delivered != 1 || nudge.Skipped != 1 || nudge.SkippedBy["left"] != 1 ||
		nudge.RunsSent != 1 || nudge.RunsSentEnded != 1 || nudge.Goal != 0 || nudge.Held != 0 {
		t.Errorf("nudge: %+v", nudge)
	}
	// bob's bye fails; cat's is skipped, as she left.
	if bye.Reached != 2 || bye.Failed != 1 || bye.Sends != 0 || bye.Skipped != 1 || rep.StepRecords.FailedNoStep != 0 {
		t.Errorf("bye: %+v, %+v", bye, rep.StepRecords)
	}
	if rep.Total.Sends != hello.Sends+nudge.Sends {
		t.Errorf("the runs made %d sends; the steps queued %d", rep.Total.Sends, hello.Sends+nudge.Sends)
	}
}

// campaignPreamble is what every configuration here has besides its
// campaign: a local platform, community c and template hi.
const campaignPreamble = `
platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

template "hi" {
  text = { en = "Hi" }
}
`

// campaignReport loads campaignPreamble and hcl, whose first campaign it
// reads the figures of after simulating events (JSON lines), and returns
// them with the outcomes the simulation handed out.
func campaignReport(t *testing.T, hcl, events string) (*campaignstats.Report, []state.Outcome) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(campaignPreamble+hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var outs []state.Outcome
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(events), simulate.Options{
		Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := campaignstats.Read(context.Background(), cfg.Campaigns[0], nil, kept{sum.Store.(*state.Memory), outs}, campaignstats.Retention{})
	if err != nil {
		t.Fatal(err)
	}
	return rep, outs
}

// kept is the sandbox's store with the outcomes the simulation handed
// out, which it does not keep itself.
type kept struct {
	*state.Memory
	outcomes []state.Outcome
}

func (k kept) CampaignOutcomes(_ context.Context, campaign string, fn func(*state.Outcome) error) error {
	for i := range k.outcomes {
		if k.outcomes[i].Rule == "campaign."+campaign {
			if err := fn(&k.outcomes[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// A run that finished and reached the goal within the conversion window
// counts once, as goal, for its variant, in the funnel and in the goal
// of the step whose message it was given; one past the window stays
// finished.
func TestConversionWindowInTheReport(t *testing.T) {
	rep, outs := campaignReport(t, `
campaign "welcome" {
  community         = community.c
  enter_on          = "member.joined"
  exit_when         = "member.messages > 0"
  conversion_window = "2d"
  step "split" {
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
`,
		`{"id":"j1","type":"member.joined","member":"ann","at":"2026-01-01T10:00:00Z"}
{"id":"j2","type":"member.joined","member":"bob","at":"2026-01-01T10:00:00Z"}
{"id":"p1","type":"message.posted","member":"ann","at":"2026-01-02T12:00:00Z"}
{"id":"p2","type":"message.posted","member":"ann","at":"2026-01-02T13:00:00Z"}
{"id":"p3","type":"message.posted","member":"bob","at":"2026-01-03T11:00:00Z"}
`)
	if rep.Total.Goal != 1 || rep.Total.Finished != 1 || rep.Converted != 1 || rep.ConversionWindow != "2d" {
		t.Errorf("total %+v, converted %d, window %q; want 1 goal (converted after finishing), 1 finished, 2d", rep.Total, rep.Converted, rep.ConversionWindow)
	}
	variant := ""
	for _, o := range outs {
		if o.Member == "ann" && o.Change == "variant" {
			variant = o.Detail
		}
	}
	goals := 0
	for _, v := range rep.Variants {
		goals += v.Goal
		if v.Name == variant && v.Goal != 1 {
			t.Errorf("variant %s: %+v; want ann's goal", v.Name, v)
		}
	}
	if goals != 1 {
		t.Errorf("variants %+v; want one goal in all", rep.Variants)
	}
	var hello campaignstats.Step
	for _, st := range rep.Steps {
		if st.Step == "hello" {
			hello = st
		}
	}
	if hello.RunsSent != 2 || hello.RunsSentEnded != 2 || hello.Goal != 1 {
		t.Errorf("hello: %+v; want 2 runs sent and ended, 1 of them converted", hello)
	}
}
