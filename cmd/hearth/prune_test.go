package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// hearth state prune -dry-run says exactly what the prune then does: the
// same counts, cuts and sentences, at the same time. The cut of event ids
// is the retention plus the hour ids are kept beyond it, and the dry run
// says so: an event 30 minutes past the retention keeps its id (a replay
// after the prune finds it a duplicate), one two hours past it does not.
func TestPruneDryRunSaysWhatPruneDoes(t *testing.T) {
	dir := t.TempDir()
	cfg := `
hearth {
  state {
    event_id_retention = "30d"
    outcome_retention  = "60d"
  }
}

platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

incentive "post" {
  on = "message.posted"
  grant { points = 10 }
}
`
	now := time.Now().UTC().Truncate(time.Second)
	at := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	day := 24 * time.Hour
	events := fmt.Sprintf(`{"id":"old","type":"message.posted","member":"ann","at":%q}
{"id":"past_retention_2h","type":"message.posted","member":"ann","at":%q}
{"id":"in_margin_30m","type":"message.posted","member":"ann","at":%q}
{"id":"recent","type":"message.posted","member":"bob","at":%q}
`, at(70*day), at(30*day+2*time.Hour), at(30*day+30*time.Minute), at(day))
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(file, []byte(events), 0o644); err != nil {
		t.Fatal(err)
	}
	hearth := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false },
			now: func() time.Time { return now }}
		if code := run(context.Background(), args, s); code != 0 {
			t.Fatalf("hearth %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		}
		return out.String()
	}
	hearth("replay", "-events", file, dir)

	dryText := hearth("state", "prune", "-dry-run", dir)
	dryJSON := hearth("state", "prune", "-dry-run", "-json", dir)
	realText := hearth("state", "prune", dir)

	cut := now.Add(-30*day - state.RetentionSlack).Format(time.RFC3339)
	wantFirst := "Would forget 2 event ids of events before " + cut + ": event_id_retention 30d, plus the hour ids are kept beyond it."
	if first, _, _ := strings.Cut(dryText, "\n"); first != wantFirst {
		t.Errorf("the dry run's first line:\n%s\nwant:\n%s", first, wantFirst)
	}
	if asReal := strings.NewReplacer("Would forget", "Forgot", "would be refused", "are refused", "Would remove", "Removed").Replace(dryText); asReal != realText {
		t.Errorf("the dry run said:\n%s\nthe prune said:\n%s", dryText, realText)
	}
	var dry map[string]any
	if err := json.Unmarshal([]byte(dryJSON), &dry); err != nil {
		t.Fatal(err)
	}
	if dry["event_ids"] != 2.0 || dry["outcomes"] != 1.0 || dry["ids_before"] != cut {
		t.Errorf("dry run: %v; want 2 event ids and 1 outcome, ids before %s", dry, cut)
	}

	// What the prune forgot is what the dry run said: the two older ids
	// are gone (their events are too old now), the one in the margin is
	// still known (a duplicate), and nothing is left to forget.
	replayed := hearth("replay", "-events", file, dir)
	if !strings.Contains(replayed, "(2 duplicates") || !strings.Contains(replayed, "2 events were older than the event ids the state remembers") {
		t.Errorf("replay after the prune:\n%s\nwant the two events in and after the margin as duplicates and two too old", replayed)
	}
	again := hearth("state", "prune", "-dry-run", "-json", dir)
	if err := json.Unmarshal([]byte(again), &dry); err != nil {
		t.Fatal(err)
	}
	if dry["event_ids"] != 0.0 || dry["outcomes"] != 0.0 {
		t.Errorf("a dry run after the prune: %v; want nothing left to forget", dry)
	}
}
