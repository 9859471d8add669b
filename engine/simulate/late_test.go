package simulate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// A campaign with quiet hours (21:00–09:00 UTC), a welcome at once, a
// nudge after three days and a reminder after ten, expiring after two
// days; and a transactional receipt, which never expires.
const lateConfig = `
platform "local" "main" {}

platform "email" "news" {
  host = "127.0.0.1"
  port = 1
  from = "news@example.org"
}

community "c" {
  title    = "C"
  platform = platform.local.main
}

template "hi" {
  subject = { en = "Hi" }
  text    = { en = "Hi" }
}

campaign "welcome" {
  enter_on     = "member.joined"
  expire_after = "2d"
  quiet_hours {
    from = "21:00"
    to   = "09:00"
  }
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "receipt" {
    send {
      channel       = "email"
      template      = template.hi
      platform      = platform.email.news
      transactional = true
    }
  }
  step "nudge" {
    wait = "3d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "remind" {
    wait = "10d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`

func loadConfig(t *testing.T, src string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec(), "email": email.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

// A join at noon received four days later at 23:00 (inside the quiet
// hours): the hello and the nudge, due at noon and three days on, are
// decided in event time but delivered late. The hello, four days old,
// has expired; the nudge, a day and a half old, waits for the end of the
// quiet hours at 09:00 and goes then, within its two days; the
// transactional receipt, which quiet hours would not hold, has expired
// with the hello; the reminder, due later, goes at its time. A join received in
// time (bob) is untouched.
func TestSandboxDeliversLateEventsAsTheOutbox(t *testing.T) {
	cfg := loadConfig(t, lateConfig)
	events := `{"id":"b","type":"member.joined","member":{"id":"bob","identities":{"email":"bob@example.org"}},"at":"2026-03-01T12:00:00Z"}
{"id":"a","type":"member.joined","member":{"id":"ann","identities":{"email":"ann@example.org"}},"at":"2026-03-01T12:00:00Z"}
`
	received := time.Date(2026, 3, 5, 23, 0, 0, 0, time.UTC)
	var outs []state.Outcome
	run := func(to time.Time) *simulate.Summary {
		t.Helper()
		outs = nil
		sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(events), simulate.Options{
			To:       to,
			Received: map[string]time.Time{"a": received},
			Outcome: func(o state.Outcome) error {
				if o.Kind == state.KindAction && o.Member == "ann" && o.Change != "queue" {
					outs = append(outs, o)
				}
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	status := func(sum *simulate.Summary) map[string]state.OutboxEntry {
		es, _ := sum.Store.(*state.Memory).ListOutbox(context.Background(), "", 100)
		out := map[string]state.OutboxEntry{}
		for _, e := range es {
			if e.Member == "ann" {
				out[e.Step] = e
			}
		}
		return out
	}

	// At 23:30 the nudge waits for the morning.
	sum := run(received.Add(30 * time.Minute))
	got := status(sum)
	hello, nudge, receipt := got["hello"], got["nudge"], got["receipt"]
	if hello.Status != state.OutboxSkipped || !state.IsOutboxExpired(hello.LastError) || !hello.FinishedAt.Equal(received) {
		t.Errorf("hello %s %q at %s; want skipped as expired at %s", hello.Status, hello.LastError, hello.FinishedAt, received)
	}
	if want := "expired: not sent within 2d of its time (2026-03-01 12:00 UTC)"; hello.LastError != want {
		t.Errorf("hello's reason %q; want %q", hello.LastError, want)
	}
	morning := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	if window, zone, ok := state.OutboxHeldQuiet(nudge.LastError); nudge.Status != state.OutboxPending || !ok || window != "21:00–09:00" || zone != "member" || !nudge.NextAt.Equal(morning) {
		t.Errorf("nudge %s %q next %s; want pending, held by quiet hours until %s", nudge.Status, nudge.LastError, nudge.NextAt, morning)
	}
	if receipt.Status != state.OutboxSkipped || !state.IsOutboxExpired(receipt.LastError) || !receipt.FinishedAt.Equal(received) {
		t.Errorf("receipt %s %q at %s; want skipped as expired at %s, transactional or not", receipt.Status, receipt.LastError, receipt.FinishedAt, received)
	}
	if sum.ExpiredAtDelivery["send.dm"] != 1 || sum.ExpiredAtDelivery["send.email"] != 1 || sum.SkippedAtDelivery["send.dm"] != 1 || sum.HeldAtDelivery["send.dm"] != 1 {
		t.Errorf("expired %v, skipped %v, held %v at delivery; want one send.dm each and the receipt's send.email expired", sum.ExpiredAtDelivery, sum.SkippedAtDelivery, sum.HeldAtDelivery)
	}
	if f := sum.Campaigns["welcome"]; f.Skipped != 2 {
		t.Errorf("welcome skipped %d; want the expired hello and receipt", f.Skipped)
	}
	if len(outs) != 3 || outs[0].Change != "skip" || outs[1].Change != "skip" || outs[2].Change != "defer" || !strings.Contains(outs[2].Detail, "until 2026-03-06T09:00:00Z") {
		t.Errorf("outcomes %+v; want the hello and the receipt skipped and the nudge deferred until the morning", outs)
	}

	// By the reminder's time, the nudge went at 09:00 and the reminder
	// at its own time; bob's messages all went at theirs.
	sum = run(time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC))
	got = status(sum)
	if n := got["nudge"]; n.Status != state.OutboxSent || !n.FinishedAt.Equal(morning) {
		t.Errorf("nudge %s at %s; want sent at %s", n.Status, n.FinishedAt, morning)
	}
	if r := got["remind"]; r.Status != state.OutboxSent || !r.FinishedAt.Equal(time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("remind %s at %s; want sent at its time", r.Status, r.FinishedAt)
	}
	es, _ := sum.Store.(*state.Memory).ListOutbox(context.Background(), state.OutboxSent, 100)
	bobs := 0
	for _, e := range es {
		if e.Member == "bob" {
			bobs++
			if !e.FinishedAt.Equal(e.At) {
				t.Errorf("bob's %s sent at %s; want at its time %s", e.Step, e.FinishedAt, e.At)
			}
		}
	}
	if bobs != 4 {
		t.Errorf("bob got %d messages; want 4", bobs)
	}
}
