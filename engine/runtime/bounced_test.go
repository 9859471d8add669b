package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// evWith is ev for a member whose event carries an email address.
func evWith(id, typ, member, address string, day, hour int, attrs string) string {
	at := time.Date(2026, 1, 1, hour, 0, 0, 0, time.UTC).AddDate(0, 0, day)
	if attrs == "" {
		attrs = "{}"
	}
	return fmt.Sprintf(`{"id":%q,"type":%q,"member":{"id":%q,"identities":{"email":%q}},"at":%q,"attrs":%s}`, id, typ, member, address, at.Format(time.RFC3339), attrs) + "\n"
}

// Rules read a hard bounce as member.bounced and member.bounced_from:
// a campaign with stop_when = "member.bounced" ends at it, as exited,
// and a segment reading the list takes the member in; email.resubscribed
// lifts it, and the segment lets them go.
func TestRulesReadBounces(t *testing.T) {
	cfg := loadEmail(t, news+`
campaign "series" {
  enter_on  = "member.joined"
  stop_when = "member.bounced"
  step "one" {
    wait = "2d"
    send {
      channel  = "email"
      template = template.hi
      platform = platform.email.news
    }
  }
}

segment "bounced" {
  when = "member.bounced && 'email.news' in member.bounced_from"
}
`)
	stream := evWith("j1", "member.joined", "ann", "ann@example.org", 0, 9, "") +
		ev("b1", "email.bounced", "ann", 0, 10, `{"platform":"email.news","code":"550 5.1.1"}`) +
		evWith("j2", "member.joined", "bob", "bob@example.org", 0, 9, "") +
		ev("x", "checkin", "zed", 10, 0, "")
	_, outs, m := run(t, cfg, stream)
	if got := m["ann"].BouncedList(); !slices.Equal(got, []string{"email.news"}) {
		t.Fatalf("ann bounced at %v; want email.news", got)
	}
	if _, in := m["ann"].Segments["bounced"]; !in {
		t.Errorf("ann is not in the segment reading member.bounced_from: %v", m["ann"].Segments)
	}
	if _, in := m["bob"].Segments["bounced"]; in {
		t.Error("bob, whose address did not bounce, is in the segment")
	}
	var annSeries []string
	for _, o := range outs {
		if o.Member == "ann" && o.Name == "series" {
			annSeries = append(annSeries, o.Change+" "+o.Detail)
		}
	}
	if !slices.Contains(annSeries, "exit exited") {
		t.Errorf("ann's series: %q; want it to end exited at the bounce", annSeries)
	}
	if got := m["bob"].Campaigns["series"]; got == nil || got.Seq != 1 {
		t.Errorf("bob's series run %+v; want its one email sent", got)
	}

	_, _, m = run(t, cfg, stream+ev("r1", "email.resubscribed", "ann", 10, 1, `{"platform":"email.news"}`))
	if _, in := m["ann"].Segments["bounced"]; in || len(m["ann"].Bounced) > 0 {
		t.Errorf("ann resubscribed; still bounced %v, segments %v", m["ann"].Bounced, m["ann"].Segments)
	}
}

// An email.bounced of a member with no email address records nothing,
// and says so in the log, naming what to give the event. An email send
// to such a member has no address: its queue outcome has no to, never
// the member id.
func TestBounceWithoutAddress(t *testing.T) {
	cfg := loadEmail(t, news)
	var logs bytes.Buffer
	var outs []state.Outcome
	stream := ev("j1", "member.joined", "noa", 0, 9, "") +
		ev("b1", "email.bounced", "noa", 0, 10, `{"platform":"email.news"}`) +
		evWith("j2", "member.joined", "ann", "ann@example.org", 0, 9, "")
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(stream), simulate.Options{
		Log:     slog.New(slog.NewTextHandler(&logs, nil)),
		Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	var noa *state.Member
	_ = sum.Store.Members(context.Background(), func(m *state.Member) error {
		if m.ID == "noa" {
			noa = m
		}
		return nil
	})
	if noa == nil || len(noa.Bounced) > 0 {
		t.Fatalf("noa: %+v; want a member with no bounce", noa)
	}
	if !strings.Contains(logs.String(), runtime.NoAddressBounce) || !strings.Contains(logs.String(), "member.identities.email") {
		t.Errorf("log lacks the warning:\n%s", logs.String())
	}
	to := map[string]string{}
	for _, o := range outs {
		if o.Kind == state.KindAction && o.Name == "send.email" && o.Change == "queue" && strings.HasSuffix(o.Detail, "/first") {
			to[o.Member] = o.To
		}
	}
	if want := map[string]string{"noa": "", "ann": "ann@example.org"}; fmt.Sprint(to) != fmt.Sprint(want) {
		t.Errorf("email targets %v; want %v", to, want)
	}
}
