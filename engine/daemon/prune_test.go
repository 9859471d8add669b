package daemon_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
)

const retention = `
hearth {
  state {
    event_id_retention = "1d"
    outcome_retention  = "2d"
  }
}
`

// With retention set, the daemon forgets event ids and outcomes past it
// on its own, and refuses events it could no longer tell apart from ones
// already applied: one sent again after its id was forgotten is not
// applied twice.
func TestRetentionForgetsAndRefusesOldEvents(t *testing.T) {
	var now atomic.Pointer[time.Time]
	set := func(s string) {
		at, _ := time.Parse(time.RFC3339, s)
		now.Store(&at)
	}
	set("2026-01-03T12:00:00Z")
	f := start(t, rulesA+retention, "", func(o *daemon.Options) {
		o.Now = func() time.Time { return *now.Load() }
		o.PruneEvery = 10 * time.Millisecond
	})
	ctx := context.Background()
	old := `{"id":"e-old","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z"}` + "\n"
	fresh := `{"id":"e1","type":"message.posted","member":"m1","at":"2026-01-03T11:00:00Z"}` + "\n"

	code, body := post(t, f, "/v1/events", fresh+old, "")
	evs, _ := body["events"].([]any)
	if code != http.StatusUnprocessableEntity || len(evs) != 1 || evs[0].(map[string]any)["id"] != "e-old" || points(t, f) != 0 {
		t.Fatalf("a request with an event older than the retention: %d %v, points %d; want 422 naming e-old and nothing applied", code, body, points(t, f))
	}
	if code, body := post(t, f, "/v1/events", fresh, ""); code != http.StatusAccepted || body["accepted"] != 1.0 || points(t, f) != 1 {
		t.Fatalf("a fresh event: %d %v, points %d", code, body, points(t, f))
	}
	if outs, _ := f.store.Outcomes(ctx, "m1", 10); len(outs) != 1 {
		t.Fatalf("outcomes before pruning: %d; want 1", len(outs))
	}

	// Two days on, e1 is past both retentions (and the hour of slack).
	set("2026-01-05T13:00:00Z")
	deadline := time.Now().Add(10 * time.Second)
	for {
		h, _ := f.store.IDHorizon(ctx)
		outs, _ := f.store.Outcomes(ctx, "m1", 10)
		if h.After(time.Date(2026, 1, 3, 11, 0, 0, 0, time.UTC)) && len(outs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not pruned: horizon %v, %d outcomes", h, len(outs))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if code, _ := post(t, f, "/v1/events", fresh, ""); code != http.StatusUnprocessableEntity || points(t, f) != 1 {
		t.Fatalf("e1 sent again after its id was forgotten: %d, points %d; want 422 and still 1 point", code, points(t, f))
	}
	_, status := get(t, f, "/v1/status")
	if ret, _ := status["retention"].(map[string]any); ret["event_id_retention"] != "1d" || ret["id_horizon"] == nil {
		t.Errorf("status retention = %v; want event_id_retention 1d and the id horizon", status["retention"])
	}
	if stats, _ := status["stats"].(map[string]any); stats["too_old"] != 2.0 {
		t.Errorf("status too_old = %v; want 2", stats["too_old"])
	}
	// The store shows the prune as soon as it commits; the counters are
	// added just after, so they are polled rather than read once.
	wants := []string{`hearth_state_pruned_total{kind="event_ids"} 1`, `hearth_state_pruned_total{kind="outcomes"} 1`, `hearth_events_rejected_total{reason="too_old"} 2`}
	for {
		text := metricsText(t, f)
		var missing []string
		for _, want := range wants {
			if !strings.Contains(text, want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %s", strings.Join(missing, ", "))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
