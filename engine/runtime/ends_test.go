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

// membersCampaigns has a campaign per way a change of members moves
// runs, all entered on joining and waiting a month: news (for news),
// reach (for reach, with stopWhen) and lurk, whose audience everyone is in
// (for lurk).
func membersCampaigns(news, reach, stopWhen, lurk string) string {
	send := `
  step "later" {
    wait = "30d"
    send {
      channel  = "email"
      template = template.hi
      platform = platform.email.news
    }
  }
`
	return `
segment "everyone" {
  community = community.c
  # Reading member.left, it is a segment members who left are in too.
  when      = "member.points >= 0 || member.left"
}
campaign "news" {
  enter_on = "member.joined"
  members  = "` + news + `"` + send + `}
campaign "reach" {
  enter_on  = "member.joined"
  members   = "` + reach + `"
  stop_when = "` + stopWhen + `"` + send + `}
campaign "lurk" {
  audience = segment.everyone
  members  = "` + lurk + `"` + send + `}
`
}

// A change of a campaign's members ends runs as the runtime then ends
// them, and Ends says so beforehand: from "all" to "current" the runs of
// members who left end as left, to "left" those of members in the
// community as goal (exited where stop_when holds). It starts none: a
// member who left, in an audience campaign's segment, is not taken in
// when the campaign comes to be for them too, at their next event or
// later.
func TestEndsOfAChangedMembersSetting(t *testing.T) {
	join := func(id, who string) string {
		return `{"id":"` + id + `","type":"member.joined","member":{"id":"` + who + `","name":"` + who + `","identities":{"email":"` + who + `@example.org"}},"at":"2026-01-01T09:00:00Z"}` + "\n"
	}
	before := loadEmail(t, membersCampaigns("all", "all", "false", "current"))
	stream := join("j1", "ann") + join("j2", "bob") + join("j3", "cy") + ev("l1", "member.left", "ann", 1, 9, "")
	sum, err := simulate.Run(context.Background(), before, strings.NewReader(stream), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	after := loadEmail(t, membersCampaigns("current", "left", "member.id == 'cy'", "all"))
	rt := runtime.New(after, slog.New(slog.DiscardHandler))
	now := time.Date(2026, 1, 3, 9, 0, 0, 0, time.UTC)
	want := map[string][]runtime.RunEnd{
		"ann": {{Campaign: "news", Left: true}},
		"bob": {{Campaign: "reach", Goal: true, Back: true}},
		"cy":  {{Campaign: "reach", Exited: true}},
	}
	err = sum.Store.Members(context.Background(), func(m *state.Member) error {
		if got := rt.Ends(m, now, nil); !reflect.DeepEqual(got, want[m.ID]) {
			t.Errorf("Ends(%s) = %+v, want %+v", m.ID, got, want[m.ID])
		}
		if _, in := m.Segments["everyone"]; m.ID == "ann" && (!in || !m.Left || m.Campaigns["lurk"].Active()) {
			t.Errorf("ann should have left, be in segment everyone and out of lurk: %+v", m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The members' next events under the new settings end what Ends
	// said and enter nobody anywhere, then or a month later, when the
	// runs left finish.
	var moved []string
	next := ev("a", "checkin", "ann", 2, 9, "") + ev("b", "checkin", "bob", 2, 9, "") + ev("c", "checkin", "cy", 2, 9, "") +
		ev("z", "checkin", "zed", 40, 9, "")
	_, err = simulate.Run(context.Background(), after, strings.NewReader(next), simulate.Options{Store: sum.Store, Outcome: func(o state.Outcome) error {
		if o.Kind == state.KindCampaign && o.Member != "zed" && o.Detail != "finished" {
			moved = append(moved, o.Member+" "+o.Name+" "+o.Change+" "+o.Detail)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(moved)
	if want := []string{"ann news exit left", "bob reach exit goal", "cy reach exit exited"}; !slices.Equal(moved, want) {
		t.Errorf("the runtime moved %q, want %q", moved, want)
	}
}

// settledCampaigns has a tier, a segment and a badge whose thresholds
// are the arguments, and two campaigns whose rules read them: onboard's
// goal is the tier and stop_when the segment, tips' stop_when is having
// posted and holding no badge (member.badges, which a bind counts). Each
// post gives 10 points and the badge.
func settledCampaigns(tier, quiet, revoke string) string {
	return templates + `
tier "core" {
  rank = 1
  when = "member.points >= ` + tier + `"
}
segment "quiet" {
  community = community.c
  when      = "member.points < ` + quiet + `"
}
badge "keen" {
  title       = "Keen"
  revoke_when = "member.points < ` + revoke + `"
}
incentive "post" {
  on = "message.posted"
  grant {
    points = 10
    badge  = badge.keen
  }
}
campaign "onboard" {
  enter_on  = "member.joined"
  exit_when = "member.tier == 'core'"
  stop_when = "in_segment('quiet')"
  step "later" {
    wait = "30d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
campaign "tips" {
  enter_on  = "member.joined"
  stop_when = "member.points > 0 && member.badges == 0"
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

// PreviewEnds reads the member as the new rules leave them: a tier
// threshold lowered takes ann onto the tier her run's goal asks for, and
// bob into the segment and out of the badge that the stop_when rules
// read. Ends, reading the members as stored, sees none of it; the
// runtime, at their next events, ends what PreviewEnds said.
func TestPreviewEndsReadsTheSettledMember(t *testing.T) {
	before := load(t, settledCampaigns("50", "0", "0"))
	stream := ev("j1", "member.joined", "ann", 0, 9, "") + ev("j2", "member.joined", "bob", 0, 9, "") +
		ev("p1", "message.posted", "ann", 0, 10, "") + ev("p2", "message.posted", "ann", 0, 11, "") +
		ev("p3", "message.posted", "bob", 0, 10, "")
	sum, err := simulate.Run(context.Background(), before, strings.NewReader(stream), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	after := load(t, settledCampaigns("20", "15", "15"))
	rt := runtime.New(after, slog.New(slog.DiscardHandler))
	now := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	want := map[string][]runtime.RunEnd{
		"ann": {{Campaign: "onboard", Goal: true}},
		"bob": {{Campaign: "onboard", Exited: true}, {Campaign: "tips", Exited: true}},
	}
	err = sum.Store.Members(context.Background(), func(m *state.Member) error {
		if m.Tier.Name != "" || len(m.Segments) != 0 || m.Badges["keen"].Count != 1 {
			t.Fatalf("%s: tier %q, segments %v, keen %d: the test no longer shows what it is about", m.ID, m.Tier.Name, m.Segments, m.Badges["keen"].Count)
		}
		if got := rt.Ends(m, now, nil); got != nil {
			t.Errorf("Ends(%s) as stored = %+v, want none", m.ID, got)
		}
		st, got, err := rt.PreviewEnds(m, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want[m.ID]) {
			t.Errorf("PreviewEnds(%s) = %+v, want %+v", m.ID, got, want[m.ID])
		}
		if m.ID == "bob" && !slices.Equal(st.Revoked, []string{"keen"}) {
			t.Errorf("PreviewEnds(bob) revoked %v, want keen", st.Revoked)
		}
		if m.Tier.Name != "" || len(m.Segments) != 0 || m.Badges["keen"].Count != 1 {
			t.Errorf("PreviewEnds changed stored member %s", m.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var ended []string
	next := ev("a", "checkin", "ann", 1, 9, "") + ev("b", "checkin", "bob", 1, 9, "")
	_, err = simulate.Run(context.Background(), after, strings.NewReader(next), simulate.Options{Store: sum.Store, Outcome: func(o state.Outcome) error {
		if o.Kind == state.KindCampaign && o.Change == "exit" {
			ended = append(ended, o.Member+" "+o.Name+" "+o.Detail)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ended)
	if want := []string{"ann onboard goal", "bob onboard exited", "bob tips exited"}; !slices.Equal(ended, want) {
		t.Errorf("the runtime ended %q, want %q", ended, want)
	}
}
