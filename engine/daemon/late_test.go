package daemon_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
)

// lateCampaign sends a welcome at once and a nudge a day later, with quiet
// hours from an hour ago to two hours from now (UTC), so the daemon
// delivers inside them whatever time the test runs at.
func lateCampaign(now time.Time) string {
	return fmt.Sprintf(`
campaign "welcome" {
  enter_on     = "member.joined"
  expire_after = "1d"
  quiet_hours {
    from = %q
    to   = %q
  }
  step "hello" {
    send {
      channel  = "dm"
      template = template.hello
    }
  }
}
campaign "plain" {
  enter_on = "member.joined"
  step "hi" {
    send {
      channel  = "dm"
      template = template.hello
    }
  }
}
template "hello" {
  text = { en = "Welcome!" }
}
`, now.Add(-time.Hour).Format("15:04"), now.Add(2*time.Hour).Format("15:04"))
}

// The quiet hours hold when a message goes out, not only when its step
// came due: a join posted three hours after it happened is welcomed at
// its time, outside the quiet hours, but the daemon would deliver the
// welcome now, inside them. It waits in the outbox, pending with its
// tries, until they end, saying why (GET /v1/outbox, member why, the
// held result of hearth_outbox_deliveries_total). A join backdated 15
// days queues messages that have expired: skipped as expired, never
// sent (the campaign without expire_after expires after the default 7d).
func TestDaemonHoldsAndExpiresLateSends(t *testing.T) {
	now := time.Now().UTC()
	sender := &sentKeys{}
	f := start(t, lateCampaign(now), "", func(o *daemon.Options) {
		o.Sender = sender
		o.DeliverEvery = 20 * time.Millisecond
	})
	threeHours := now.Add(-3 * time.Hour).Format(time.RFC3339)
	fifteenDays := now.Add(-15 * 24 * time.Hour).Format(time.RFC3339)
	body := `{"id":"j1","type":"member.joined","member":"ann","at":"` + threeHours + `"}
{"id":"j2","type":"member.joined","member":"bob","at":"` + fifteenDays + `"}`
	if code, out := post(t, f, "/v1/events", body, ""); code != http.StatusAccepted {
		t.Fatalf("post: %d %v", code, out)
	}
	var pending, skipped []any
	waitFor(t, func() bool {
		_, out := get(t, f, "/v1/outbox?status=pending")
		pending, _ = out["entries"].([]any)
		_, out = get(t, f, "/v1/outbox?status=skipped")
		skipped, _ = out["entries"].([]any)
		return len(skipped) == 2 && len(pending) == 1 && pending[0].(map[string]any)["last_error"] != nil
	})
	// Ann's welcome (plain's hi went at once: it has no quiet hours).
	held := pending[0].(map[string]any)
	end := now.Add(2 * time.Hour).Truncate(time.Minute)
	reason := fmt.Sprintf("held by quiet hours (%s–%s in the member's time zone) when it was to go out", now.Add(-time.Hour).Format("15:04"), end.Format("15:04"))
	if held["key"] != "campaign/welcome/ann/1/1/hello" || held["attempts"] != float64(0) || held["last_error"] != reason {
		t.Errorf("pending %v; want ann's welcome held by quiet hours, no try used", held)
	}
	if next, _ := time.Parse(time.RFC3339Nano, held["next_at"].(string)); !next.Equal(end) {
		t.Errorf("held until %s; want the end of the quiet hours, %s", held["next_at"], end)
	}
	for _, e := range skipped {
		e := e.(map[string]any)
		reason, _ := e["last_error"].(string)
		if e["member"] != "bob" || !strings.HasPrefix(reason, "expired: not sent within ") {
			t.Errorf("skipped %v; want bob's messages, expired", e)
		}
	}
	if got := sender.list(); len(got) != 1 || got[0] != "campaign/plain/ann/1/1/hi" {
		t.Errorf("sent %q; want only ann's plain hi", got)
	}
	// Member why says what holds the send, at delivery.
	_, why := get(t, f, "/v1/members/ann/why?rule=campaign.welcome")
	holds, _ := why["held"].([]any)
	if len(holds) != 1 || holds[0].(map[string]any)["at_delivery"] != true || holds[0].(map[string]any)["step"] != "hello" {
		t.Errorf("why held %v; want the welcome held at delivery", why["held"])
	}
	_, why = get(t, f, "/v1/members/bob/why?rule=campaign.welcome")
	skips, _ := why["skipped"].([]any)
	if len(skips) != 1 || skips[0].(map[string]any)["reason"] != "expired" {
		t.Errorf("why skipped %v; want bob's welcome, expired", why["skipped"])
	}
	m := metricsText(t, f)
	for _, want := range []string{
		`hearth_outbox_deliveries_total{platform="platform.local.main",result="held"} `,
		`hearth_outbox_deliveries_total{platform="platform.local.main",result="expired"} 2`,
		`hearth_outbox_deliveries_total{platform="platform.local.main",result="skipped"} 0`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(m, `result="held"} 0`) {
		t.Error("/metrics counts no held delivery")
	}
}
