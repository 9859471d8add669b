package daemon_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
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

// The daemon removes sent entries past outbox_retention (90 days unless
// set) on its own, with the text they carried, and keeps a pending one
// however old: a daemon that runs for years does not keep every message
// it ever sent. A dead letter is kept that long after it died, however
// long before that it was due.
func TestDaemonPrunesTheOutbox(t *testing.T) {
	ctx := context.Background()
	dir, db := t.TempDir(), filepath.Join(t.TempDir(), "state.db")
	write(t, dir, "main.hcl", base)
	write(t, dir, "rules.hcl", rulesA)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Begin(ctx)
	_ = b.Enqueue([]state.Action{
		{Key: "sent-long-ago", Kind: "send.dm", Member: "m1", At: t0, Target: "m1", Text: "Hello, Ann"},
		// Due after the test's clock, so the dispatcher leaves it be.
		{Key: "still-pending", Kind: "send.dm", Member: "m1", At: t0.AddDate(1, 0, 0), Target: "m1", Text: "Later, Ann"},
		{Key: "died-lately", Kind: "send.dm", Member: "m1", At: t0, Target: "m1", Text: "Hello again, Ann"},
	})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListOutbox(ctx, "", 10); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, "sent-long-ago", 1, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDead(ctx, "died-lately", 1, t0.AddDate(0, 0, 60), "403 Forbidden"); err != nil {
		t.Fatal(err)
	}
	// Pending, though it was first due long ago: retried until later.
	if err := s.MarkRetry(ctx, "still-pending", 1, t0.AddDate(1, 0, 0), "rate limited"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	f := startOn(t, dir, db, "", func(o *daemon.Options) {
		o.Now = func() time.Time { return t0.AddDate(0, 0, 91) }
		o.PruneEvery = 10 * time.Millisecond
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		es, err := f.store.ListOutbox(ctx, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 2 && es[0].Key == "died-lately" && es[0].Status == state.OutboxDead &&
			es[1].Key == "still-pending" && es[1].Status == state.OutboxPending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox not pruned to the pending entry and the recent dead letter: %+v", es)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for !strings.Contains(metricsText(t, f), `hearth_state_pruned_total{kind="outbox"} 1`) {
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack the pruned outbox entry")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, status := get(t, f, "/v1/status")
	if ret, _ := status["retention"].(map[string]any); ret["outbox_retention"] != "90d" {
		t.Errorf("status retention = %v; want outbox_retention 90d", status["retention"])
	}
}
