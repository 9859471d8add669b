package runtime_test

import (
	"context"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// endsCampaign is a campaign with a run per meetup whose runs wait a
// month, so they are all under way when its rules change.
func endsCampaign(exitWhen, stopWhen string) string {
	return templates + `
event "meetup.rsvp" {
  attributes = {
    meetup = "string"
  }
}
campaign "rsvp" {
  enter_on  = "meetup.rsvp"
  run_key   = "event.meetup"
  exit_when = "` + exitWhen + `"
  stop_when = "` + stopWhen + `"
  step "later" {
    wait = "30d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`
}

// Ends says which runs the rules in force end at the member's next
// event, and how, as the runtime then ends them: a goal that reads the
// run's own event ends that run alone, and stop_when wins over the goal.
func TestEndsAgreesWithTheRuntime(t *testing.T) {
	before := load(t, endsCampaign("member.points > 1000", "member.points > 1000"))
	stream := ev("a42", "meetup.rsvp", "ann", 0, 9, `{"meetup":"#42"}`) +
		ev("a43", "meetup.rsvp", "ann", 0, 10, `{"meetup":"#43"}`) +
		ev("b42", "meetup.rsvp", "bob", 0, 9, `{"meetup":"#42"}`) +
		ev("c43", "meetup.rsvp", "cy", 0, 9, `{"meetup":"#43"}`)
	sum, err := simulate.Run(context.Background(), before, strings.NewReader(stream), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	after := load(t, endsCampaign("event.meetup == '#42'", "member.id == 'bob'"))
	rt := runtime.New(after, slog.New(slog.DiscardHandler))
	now := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	want := map[string][]runtime.RunEnd{
		"ann": {{Campaign: "rsvp", Goal: true}},
		"bob": {{Campaign: "rsvp", Exited: true}},
		"cy":  nil,
	}
	err = sum.Store.Members(context.Background(), func(m *state.Member) error {
		if got := rt.Ends(m, now, nil); !reflect.DeepEqual(got, want[m.ID]) {
			t.Errorf("Ends(%s) = %+v, want %+v", m.ID, got, want[m.ID])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The members' next events under the new rules end what Ends said.
	var ended []string
	next := ev("a", "checkin", "ann", 1, 9, "") + ev("b", "checkin", "bob", 1, 9, "") + ev("c", "checkin", "cy", 1, 9, "")
	_, err = simulate.Run(context.Background(), after, strings.NewReader(next), simulate.Options{Store: sum.Store, Outcome: func(o state.Outcome) error {
		if o.Kind == state.KindCampaign && o.Change == "exit" {
			ended = append(ended, o.Member+" "+o.Detail)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ended)
	if want := []string{`ann goal (key "#42")`, `bob exited (key "#42")`}; !slices.Equal(ended, want) {
		t.Errorf("the runtime ended %q, want %q", ended, want)
	}
}
