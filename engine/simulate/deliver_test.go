package simulate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

const deliveryConfig = `
platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

template "hi" {
  text = { en = "Hi" }
}

campaign "welcome" {
  enter_on = "member.joined"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "pick" {
    split {
      variant "a" {
        weight = 50
        goto   = "nudge_a"
      }
      variant "b" {
        weight = 50
        goto   = "nudge_b"
      }
    }
  }
  step "nudge_a" {
    wait = "1d"
    send {
      channel  = "dm"
      template = template.hi
    }
    goto = "exit"
  }
  step "nudge_b" {
    wait = "2d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "second" {
  enter_on = "member.joined"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`

// m4 leaves the instant they join, and m7 the instant their nudge is
// queued; m2 leaves a minute after theirs, too late to miss it. All three
// get variant a, by the stable hash.
const deliveryEvents = `{"id":"j4","type":"member.joined","member":"m4","at":"2026-01-01T10:00:00Z"}
{"id":"l4","type":"member.left","member":"m4","at":"2026-01-01T10:00:00Z"}
{"id":"j5","type":"member.joined","member":"m7","at":"2026-01-01T10:05:00Z"}
{"id":"j6","type":"member.joined","member":"m2","at":"2026-01-01T10:06:00Z"}
{"id":"l5","type":"member.left","member":"m7","at":"2026-01-02T10:05:00Z"}
{"id":"l6","type":"member.left","member":"m2","at":"2026-01-02T10:07:00Z"}
`

func loadDeliveryConfig(t *testing.T) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(deliveryConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

// The sandbox decides each queued message as the outbox does when it is
// due: a message queued at the instant its member leaves is skipped, not
// among the sends, counted skipped in its campaign (and its run's variant), written as an outcome and marked skipped in
// the store's outbox; a member leaving a minute after a send is too late.
func TestSandboxSkipsAtDeliveryAsTheOutbox(t *testing.T) {
	cfg := loadDeliveryConfig(t)
	var skips []state.Outcome
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(deliveryEvents), simulate.Options{
		To: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
		Outcome: func(o state.Outcome) error {
			if o.Kind == state.KindAction && o.Change == "skip" {
				skips = append(skips, o)
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Queued: welcome's hello to m4, m7 and m2, the nudge to m7 and m2,
	// and second's hello to the three. Skipped: m4's two hellos and m7's
	// nudge.
	if sum.Sends["send.dm"] != 5 || sum.SkippedAtDelivery["send.dm"] != 3 {
		t.Errorf("sends %v, skipped at delivery %v; want 5 and 3 send.dm", sum.Sends, sum.SkippedAtDelivery)
	}
	w, second := sum.Campaigns["welcome"], sum.Campaigns["second"]
	if w.Sends != 3 || w.Skipped != 2 || second.Sends != 2 || second.Skipped != 1 {
		t.Errorf("welcome sends %d skipped %d, second sends %d skipped %d; want 3, 2, 2, 1", w.Sends, w.Skipped, second.Sends, second.Skipped)
	}
	// Variant a: m7's and m2's hellos, counted at the split, and m2's
	// nudge; m7's nudge, queued after the split, and m4's hello, skipped
	// before it (m4's run is a's too), are its skips, so nothing is left
	// to the runs before the split.
	if a := w.Arms["a"]; a == nil || a.Sends != 3 || a.Skipped != 2 {
		t.Errorf("variant a: %+v; want 3 sends and 2 skipped", a)
	}
	if b := w.BeforeSplit; b == nil || b.Entered != 0 || b.Skipped != 0 || b.Sends != 0 {
		t.Errorf("before split: %+v; want nothing", b)
	}
	if len(skips) != 3 {
		t.Fatalf("skip outcomes %+v; want 3", skips)
	}
	nudge := skips[2]
	wantAt := time.Date(2026, 1, 2, 10, 5, 0, 0, time.UTC)
	if nudge.Member != "m7" || !nudge.At.Equal(wantAt) || nudge.Rule != "campaign.welcome" ||
		!strings.HasSuffix(nudge.Detail, "/nudge_a: "+outbox.SkippedLeft) {
		t.Errorf("m7's nudge: %+v; want skipped at %s, member left", nudge, wantAt)
	}
	mem := sum.Store.(*state.Memory)
	skipped, _ := mem.ListOutbox(context.Background(), state.OutboxSkipped, 100)
	sent, _ := mem.ListOutbox(context.Background(), state.OutboxSent, 100)
	pending, _ := mem.ListOutbox(context.Background(), state.OutboxPending, 100)
	if len(skipped) != 3 || len(sent) != 5 || len(pending) != 0 {
		t.Fatalf("outbox: %d skipped, %d sent, %d pending; want 3, 5, 0", len(skipped), len(sent), len(pending))
	}
	for _, e := range skipped {
		if e.LastError != outbox.SkippedLeft || e.Member == "m2" {
			t.Errorf("skipped %s of %s: %q", e.Key, e.Member, e.LastError)
		}
	}
}

// In a store of the caller's (hearth replay's), nothing is delivered:
// every action stays pending for the daemon's outbox, and counts as a send.
func TestStoreOfTheCallerKeepsActionsPending(t *testing.T) {
	cfg := loadDeliveryConfig(t)
	store := state.NewMemory()
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(deliveryEvents), simulate.Options{Store: store, To: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sends["send.dm"] != 8 || sum.SkippedAtDelivery != nil {
		t.Errorf("sends %v, skipped at delivery %v; want 8 send.dm and none", sum.Sends, sum.SkippedAtDelivery)
	}
	pending, _ := store.ListOutbox(context.Background(), state.OutboxPending, 100)
	if len(pending) != 8 {
		t.Errorf("%d pending; want 8", len(pending))
	}
}
