package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// historyConfig has something for every kind of effect history must not
// have: a welcome, an incentive with points and a badge, a tier and a
// segment that give roles, an incentive on tier changes, a campaign on
// joins, an audience campaign and a moderation rule.
const historyConfig = `
platform "local" "main" {}
community "c" {
  title           = "C"
  platform        = platform.local.main
  welcome_message = "Welcome!"
  channel "general" {}
  role "regular" {}
  role "talker" {}
  moderation "ads" {
    keywords = { en = ["buy now"] }
    reason   = "No advertising"
    action   = "warn"
  }
}
template "hi" {
  text = { en = "Hi" }
}
badge "poster" {}
incentive "posting" {
  on    = "message.posted"
  grant {
    points = 5
    badge  = badge.poster
  }
}
incentive "promoted" {
  on = "tier.changed"
  grant { points = 100 }
}
tier "regular" {
  rank = 1
  when = "member.messages >= 3"
  role = community.c.role.regular
}
segment "talkers" {
  when = "count('message.posted', '30d') >= 2"
  role = community.c.role.talker
}
campaign "onboarding" {
  community = community.c
  enter_on  = "member.joined"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
campaign "cheer" {
  community = community.c
  audience  = segment.talkers
  step "cheer" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`

// History mode applies events to member state alone: the member's
// times, counts, tier and segments are as a live run leaves them, but no
// points, badge, campaign run, moderation decision or action comes of
// them, and tier and segment moves are recorded without their derived
// events reaching incentives (no points for the promotion). The same
// events applied live do all of that: the test's configuration does
// have effects to leave out.
func TestHistoryModeChangesStateOnly(t *testing.T) {
	cfg := loadDir(t, t.TempDir(), historyConfig)
	var stream strings.Builder
	stream.WriteString(`{"id":"j1","type":"member.joined","member":{"id":"ann","identities":{"local":"mb-1"}},"community":"c","at":"2026-01-01T09:00:00Z"}` + "\n")
	stream.WriteString(ev("m1", "message.posted", "ann", 1, 10, `{"text":"hello"}`))
	stream.WriteString(ev("m2", "message.posted", "ann", 2, 10, `{"text":"buy now"}`))
	stream.WriteString(ev("m3", "message.posted", "ann", 3, 10, `{"text":"more"}`))

	apply := func(history bool) (*simulate.Summary, []state.Outcome, *state.Member) {
		t.Helper()
		var outs []state.Outcome
		sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(stream.String()), simulate.Options{
			History: history,
			Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		var ann *state.Member
		_ = sum.Store.Members(context.Background(), func(m *state.Member) error {
			if m.ID == "ann" {
				ann = m
			}
			return nil
		})
		if ann == nil {
			t.Fatal("no member ann")
		}
		return sum, outs, ann
	}

	live, liveOuts, liveAnn := apply(false)
	if live.Points == 0 || live.Awards["poster"] == 0 || live.Campaigns["onboarding"].Entered != 1 || live.Campaigns["cheer"].Entered != 1 ||
		live.Firings["promoted"] != 1 || live.Sends["send.channel"] != 1 || live.Sends["role.add"] == 0 || !hasKind(liveOuts, state.KindModeration) {
		t.Fatalf("live: the configuration should grant, award, enter, moderate and send: %+v %+v %+v", live.Firings, live.Sends, live.Moderation)
	}

	sum, outs, ann := apply(true)
	if !sum.History {
		t.Error("summary: History not set")
	}
	if sum.Points != 0 || ann.Points != 0 || len(ann.Badges) != 0 || len(ann.Campaigns) != 0 {
		t.Errorf("history granted or entered: points %d/%d, badges %v, runs %v", sum.Points, ann.Points, ann.Badges, ann.Campaigns)
	}
	if len(sum.Sends) != 0 {
		t.Errorf("history queued actions: %v", sum.Sends)
	}
	if len(sum.Store.(*state.Memory).Outbox()) != 0 {
		t.Errorf("history left actions in the outbox: %+v", sum.Store.(*state.Memory).Outbox())
	}
	for _, o := range outs {
		switch o.Kind {
		case state.KindAction, state.KindPoints, state.KindBadge, state.KindCampaign, state.KindModeration:
			t.Errorf("history outcome %+v", o)
		}
	}
	// The state is the live run's: times, counts, tier and segments.
	if !ann.JoinedAt.Equal(liveAnn.JoinedAt) || !ann.LastActiveAt.Equal(liveAnn.LastActiveAt) ||
		ann.Total("message.posted") != 3 || ann.Identities["local"] != "mb-1" {
		t.Errorf("history state: joined %s (live %s), active %s (live %s), posts %d, identities %v",
			ann.JoinedAt, liveAnn.JoinedAt, ann.LastActiveAt, liveAnn.LastActiveAt, ann.Total("message.posted"), ann.Identities)
	}
	if ann.Tier.Name != "regular" || ann.Tier.Name != liveAnn.Tier.Name {
		t.Errorf("history tier %q, live %q; want regular", ann.Tier.Name, liveAnn.Tier.Name)
	}
	if _, in := ann.Segments["talkers"]; !in {
		t.Errorf("history segments %v; want talkers", ann.Segments)
	}
	// The moves are kept as outcomes at their times, for member history.
	if !hasMove(outs, state.KindTier, "regular", time.Date(2026, 1, 4, 10, 0, 0, 0, time.UTC)) || !hasMove(outs, state.KindSegment, "talkers", time.Date(2026, 1, 3, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("history outcomes lack the tier or segment move: %+v", outs)
	}
}

func hasKind(outs []state.Outcome, kind string) bool {
	for _, o := range outs {
		if o.Kind == kind {
			return true
		}
	}
	return false
}

func hasMove(outs []state.Outcome, kind, name string, at time.Time) bool {
	for _, o := range outs {
		if o.Kind == kind && o.Name == name && o.At.Equal(at) {
			return true
		}
	}
	return false
}
