package runtime_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/state"
)

// news is a campaign with no rule about unsubscribing: two emails through
// platform.email.news, a direct message between them, and a
// transactional email at the end.
const news = `
campaign "news" {
  enter_on = "member.joined"
  step "first" {
    send {
      channel  = "email"
      template = template.hi
      platform = platform.email.news
    }
  }
  step "chat" {
    wait = "1d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "second" {
    wait = "1d"
    send {
      channel  = "email"
      template = template.hi
      platform = platform.email.news
    }
  }
  step "receipt" {
    wait = "1d"
    send {
      channel       = "email"
      template      = template.hi
      platform      = platform.email.news
      transactional = true
    }
  }
}
`

// An unsubscribe is honoured without any rule: a campaign that never
// reads it skips its emails through the platform the member unsubscribed
// from, goes on with its other steps, and still sends a transactional
// email; the member records the unsubscribe, and rules read it.
func TestUnsubscribedMemberGetsNoCampaignEmail(t *testing.T) {
	cfg := loadEmail(t, news+`
segment "unsubscribed" {
  when = "member.unsubscribed && 'email.news' in member.unsubscribed_from"
}
`)
	stream := ev("j1", "member.joined", "ann", 0, 9, "") +
		ev("j2", "member.joined", "bob", 0, 9, "") +
		ev("u1", "email.unsubscribed", "ann", 0, 10, `{"platform":"email.news"}`) +
		ev("x", "checkin", "zed", 10, 0, "")
	_, outs, m := run(t, cfg, stream)
	want := []string{
		"01-01T09:00 enter run 1",
		"01-01T09:00 queue campaign/news/ann/1/1/first",
		"01-02T09:00 queue campaign/news/ann/1/2/chat",
		"01-03T09:00 skip second: the member unsubscribed from email.news",
		"01-04T09:00 queue campaign/news/ann/1/3/receipt",
		"01-04T09:00 exit finished",
	}
	if got := campaignOutcomes(outs, "ann"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ann:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := campaignOutcomes(outs, "bob"); len(got) != 6 || !strings.Contains(got[3], "queue campaign/news/bob/1/3/second") {
		t.Errorf("bob, subscribed, got %q; want every step sent", got)
	}
	ann := m["ann"]
	if got := ann.UnsubscribedList(); !slices.Equal(got, []string{"email.news"}) || !ann.Unsubscribed["email.news"].Equal(ann.JoinedAt.Add(3600e9)) {
		t.Errorf("ann unsubscribed from %v at %v; want email.news at 10:00", got, ann.Unsubscribed)
	}
	if _, in := ann.Segments["unsubscribed"]; !in {
		t.Errorf("ann is not in the segment reading member.unsubscribed: %v", ann.Segments)
	}
	if _, in := m["bob"].Segments["unsubscribed"]; in || m["bob"].Unsubscribed != nil {
		t.Errorf("bob, subscribed, is in the segment or unsubscribed: %v %v", m["bob"].Segments, m["bob"].Unsubscribed)
	}
}

// An unsubscribe naming no platform is from all email; one naming
// another email platform leaves this one's emails alone; resubscribing
// lets them through again, and the segment reading member.unsubscribed
// lets the member go.
func TestUnsubscribeFromAllAndResubscribe(t *testing.T) {
	cfg := loadEmail(t, news+`
segment "unsubscribed" {
  when = "member.unsubscribed"
}
`)
	stream := ev("j1", "member.joined", "ann", 0, 9, "") +
		ev("u1", "email.unsubscribed", "ann", 0, 10, "") +
		ev("r1", "email.resubscribed", "ann", 2, 0, "") +
		ev("j2", "member.joined", "bob", 0, 9, "") +
		ev("u2", "email.unsubscribed", "bob", 0, 10, `{"platform":"email.digest"}`) +
		ev("x", "checkin", "zed", 10, 0, "")
	_, outs, m := run(t, cfg, stream)
	var skips []string
	for _, o := range outs {
		if o.Change == "skip" {
			skips = append(skips, o.Member+" "+o.Detail)
		}
	}
	// ann's second email is due on day 2 at 09:00, after she came back.
	if len(skips) != 0 {
		t.Errorf("skipped %q; want none", skips)
	}
	if got := m["bob"].UnsubscribedList(); !slices.Equal(got, []string{"email.digest"}) {
		t.Errorf("bob unsubscribed from %v; want email.digest", got)
	}
	if m["ann"].Unsubscribed != nil {
		t.Errorf("ann resubscribed, still unsubscribed from %v", m["ann"].Unsubscribed)
	}
	if _, in := m["ann"].Segments["unsubscribed"]; in {
		t.Error("ann resubscribed and is still in the segment")
	}

	// Unsubscribed from all, never back: every non-transactional email
	// is skipped, saying so.
	_, outs, _ = run(t, cfg, ev("j1", "member.joined", "cy", 0, 9, "")+ev("u1", "email.unsubscribed", "cy", 0, 10, "")+ev("x", "checkin", "zed", 10, 0, ""))
	if got := campaignOutcomes(outs, "cy"); !slices.Contains(got, "01-03T09:00 skip second: the member unsubscribed from all email") ||
		!slices.Contains(got, "01-04T09:00 queue campaign/news/cy/1/3/receipt") {
		t.Errorf("cy, unsubscribed from all email: %q", got)
	}
}

// The outbox action of a transactional send says so, for the dispatcher
// and the email platform.
func TestTransactionalSendMarksItsAction(t *testing.T) {
	cfg := loadEmail(t, news)
	sum, _, _ := run(t, cfg, ev("j1", "member.joined", "ann", 0, 9, "")+ev("x", "checkin", "zed", 10, 0, ""))
	mem, ok := sum.Store.(*state.Memory)
	if !ok {
		t.Fatalf("simulate's store is a %T", sum.Store)
	}
	got := map[string]bool{}
	for _, a := range mem.Outbox() {
		got[a.Step] = a.Transactional
	}
	if want := map[string]bool{"first": false, "chat": false, "second": false, "receipt": true}; len(got) != 4 || got["receipt"] != true || got["first"] || got["second"] {
		t.Errorf("transactional by step %v; want %v", got, want)
	}
}
