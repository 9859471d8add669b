package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/state"
)

// records decodes JSON log lines at level.
func records(t *testing.T, logs *bytes.Buffer, level string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if r["level"] == level {
			out = append(out, r)
		}
	}
	return out
}

// An entry's first failed try and its move to the dead letters are
// warnings; the retries between are debug lines. The first failures of
// an outage, and its dead letters, are warned of once a minute per
// platform, with how many were not.
func TestDeliveryFailuresWarnedOnce(t *testing.T) {
	ctx := context.Background()
	s := state.NewMemory()
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	enqueue(t, s, 3, clk.now)
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := &failing{err: errors.New("503 Service Unavailable")}
	d := outbox.New(s, f, outbox.Options{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: time.Second, Now: clk.Now, Log: log})
	round := func() {
		t.Helper()
		logs.Reset()
		if _, err := d.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		clk.now = clk.now.Add(10 * time.Second)
	}

	round() // three first failures, one warning
	warns := records(t, &logs, "WARN")
	if len(warns) != 1 || !strings.HasPrefix(warns[0]["msg"].(string), "delivery failed") || warns[0]["key"] != "k000" ||
		warns[0]["err"] != "503 Service Unavailable" || warns[0]["retry_in"] == nil {
		t.Fatalf("first round warnings: %v", warns)
	}
	if _, ok := warns[0]["not_logged"]; ok {
		t.Errorf("the first warning counts lines not logged: %v", warns[0])
	}
	if debug := records(t, &logs, "DEBUG"); len(debug) != 3 {
		t.Errorf("first round: %d debug lines; want one per try", len(debug))
	}
	round() // second tries: debug only
	if warns := records(t, &logs, "WARN"); len(warns) != 0 {
		t.Errorf("retries logged as warnings: %v", warns)
	}
	round() // third tries: dead, the first warned of
	warns = records(t, &logs, "WARN")
	if len(warns) != 1 || warns[0]["msg"] != "action moved to dead letters" || warns[0]["attempts"] != 3.0 {
		t.Fatalf("dead letters: %v; want one warning", warns)
	}
	if _, ok := warns[0]["more_dead"]; ok {
		t.Errorf("the first dead letter counts more: %v", warns[0])
	}

	// A minute on, the next first failure on the platform is warned of,
	// with the two held back before.
	clk.now = clk.now.Add(time.Minute)
	b, _ := s.Begin(ctx)
	_ = b.Enqueue([]state.Action{{Key: "later", Kind: "send.dm", Member: "u", At: clk.now, Text: "hi"}})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	round()
	warns = records(t, &logs, "WARN")
	if len(warns) != 1 || warns[0]["key"] != "later" || warns[0]["not_logged"] != 2.0 {
		t.Errorf("a minute later: %v; want the failure of later, with 2 not logged", warns)
	}
	// When later dies too, over a minute after k000, its warning counts
	// the two dead letters held back.
	round()
	round()
	warns = records(t, &logs, "WARN")
	if len(warns) != 1 || warns[0]["key"] != "later" || warns[0]["msg"] != "action moved to dead letters" || warns[0]["more_dead"] != 2.0 {
		t.Errorf("later's death: %v; want its dead letter warning, with 2 more dead", warns)
	}
}

// failingDue is a store whose due actions cannot be read for its first
// rounds (a state store that is failing); then calls ends the run.
type failingDue struct {
	outbox.Store
	fails, calls int
	stop         func()
}

func (f *failingDue) DueActions(ctx context.Context, now time.Time, limit int) ([]outbox.Entry, error) {
	f.calls++
	switch {
	case f.calls <= f.fails:
		return nil, errors.New("state store failing since 2026-01-01T00:00:00Z: no space left on device")
	case f.calls == f.fails+3:
		f.stop()
	}
	return f.Store.DueActions(ctx, now, limit)
}

// Rounds that keep failing are logged once, not every round: then at
// most once a minute (the clock stands still here), and their end once
// a round works again, with how many failed.
func TestFailingRoundsLoggedOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	store := &failingDue{Store: state.NewMemory(), fails: 20, stop: cancel}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	d := outbox.New(store, &failing{}, outbox.Options{Now: clk.Now, Log: log})
	if err := d.Run(ctx, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if store.calls < store.fails+3 {
		t.Fatalf("%d rounds; want at least %d", store.calls, store.fails+3)
	}
	errs := records(t, &logs, "ERROR")
	if len(errs) != 1 || !strings.HasPrefix(errs[0]["msg"].(string), "outbox round failed") || errs[0]["failed_rounds"] != 1.0 {
		t.Errorf("error lines for %d failed rounds: %v; want one, for the first", store.fails, errs)
	}
	infos := records(t, &logs, "INFO")
	if len(infos) != 1 || infos[0]["msg"] != "outbox rounds work again" || infos[0]["failed_rounds"] != float64(store.fails) {
		t.Errorf("info lines: %v; want one saying the rounds work again after %d failed", infos, store.fails)
	}
}
