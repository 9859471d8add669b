package statetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// CampaignRecordStore is the part of a store hearth campaign show reads
// a campaign's step figures from, and marks outbox entries with.
type CampaignRecordStore interface {
	state.CampaignRecords
	MarkSent(ctx context.Context, key string, attempts int, at time.Time) error
	MarkDead(ctx context.Context, key string, attempts int, at time.Time, reason string) error
	MarkSkipped(ctx context.Context, key string, attempts int, at time.Time, reason string) error
}

// RunCampaignRecords checks that a store reads one campaign's records
// and only those: the outcomes of its rule in the order they were
// appended, with every field, across batches; and the delivery state of
// its sends, of runs with a key and without, not those of a campaign
// whose name begins with its own, of another rule, or an entry with a
// key of another form. open must keep outcomes (the memory store's
// KeepOutcomes).
func RunCampaignRecords(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	cr, ok := s.(CampaignRecordStore)
	if !ok {
		t.Fatalf("%T reads no campaign records", s)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	send := func(campaign, key, member string, seq int, step string) state.Action {
		k := state.SendKey{Campaign: campaign, RunKey: key, Member: member, Run: 1, Seq: seq, Step: step}.String()
		return state.Action{Key: k, Kind: "send.dm", Member: member, At: t0, Campaign: campaign, RunKey: key, Step: step, Text: "Hi"}
	}
	sends := []state.Action{
		send("welcome", "", "ann", 1, "hello"),
		send("welcome", "", "a/b", 1, "hello"), // a member id with a slash
		send("welcome", "Go Night #43", "bob", 1, "hello"),
		send("welcome", "", "cat", 1, "hello"),
		send("welcome", "", "dan", 2, "nudge"),
		send("welcome2", "", "ann", 1, "hello"),
		send("welcome-x", "k", "ann", 1, "hello"),
		send("welcom", "", "ann", 1, "hello"),
		{Key: "survey-reply/e1", Kind: "send.dm", Member: "ann", At: t0, Text: "?"},
	}
	outcome := func(rule, change string, at time.Time, detail string) state.Outcome {
		return state.Outcome{Kind: state.KindCampaign, Member: "ann", Name: "welcome", Change: change, At: at, Rule: rule, Event: "e-" + change, Points: 3, From: "f", To: "t", Detail: detail}
	}
	first := []state.Outcome{
		outcome("campaign.welcome", "enter", t0, "run 1"),
		outcome("campaign.welcome2", "enter", t0, "run 1"),
		outcome("segment.welcome", "enter", t0, ""),
	}
	second := []state.Outcome{
		outcome("campaign.welcome", "defer", t0.Add(time.Hour+1), "hello until 2026-03-02T08:00:00Z"),
		outcome("campaign.welcome", "exit", t0.Add(2*time.Hour), `goal (key "Go Night #43")`),
	}
	for _, batch := range []struct {
		outcomes []state.Outcome
		actions  []state.Action
	}{{first, sends[:5]}, {second, sends[5:]}} {
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.AppendOutcomes(batch.outcomes); err != nil {
			t.Fatal(err)
		}
		if err := b.Enqueue(batch.actions); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Marked once written, as the dispatcher marks what it read.
	if f, ok := s.(state.Flusher); ok {
		must(f.Flush(ctx))
	}
	must(cr.MarkSent(ctx, sends[0].Key, 1, t0.Add(time.Minute)))
	must(cr.MarkSkipped(ctx, sends[2].Key, 0, t0.Add(time.Minute), state.OutboxSkippedLeft))
	must(cr.MarkDead(ctx, sends[3].Key, 16, t0.Add(time.Minute), "403 Forbidden"))
	must(cr.MarkSent(ctx, sends[5].Key, 1, t0.Add(time.Minute)))

	var got []state.Outcome
	must(cr.CampaignOutcomes(ctx, "welcome", func(o *state.Outcome) error {
		got = append(got, *o)
		return nil
	}))
	want := []state.Outcome{first[0], second[0], second[1]}
	if len(got) != len(want) {
		t.Fatalf("outcomes of campaign.welcome: %+v; want %+v", got, want)
	}
	for i := range want {
		if !got[i].At.Equal(want[i].At) {
			t.Errorf("outcome %d at %v; want %v", i, got[i].At, want[i].At)
		}
		got[i].At = want[i].At
		if got[i] != want[i] {
			t.Errorf("outcome %d: %+v; want %+v", i, got[i], want[i])
		}
	}

	var statuses []string
	must(cr.CampaignSends(ctx, "welcome", func(st state.SendStatus) error {
		statuses = append(statuses, fmt.Sprintf("%s %s %s", st.Key, st.Status, st.Reason))
		return nil
	}))
	slices.Sort(statuses)
	wantSends := []string{
		"campaign/welcome/a/b/1/1/hello pending ",
		"campaign/welcome/ann/1/1/hello sent ",
		"campaign/welcome/cat/1/1/hello dead 403 Forbidden",
		"campaign/welcome/dan/1/2/nudge pending ",
		"campaign/welcome[Go%20Night%20%2343]/bob/1/1/hello skipped " + state.OutboxSkippedLeft,
	}
	if !slices.Equal(statuses, wantSends) {
		t.Errorf("sends of welcome:\n%q\nwant\n%q", statuses, wantSends)
	}

	// A campaign with nothing kept reads nothing, and an error from fn
	// stops the reading and comes back.
	none := 0
	must(cr.CampaignOutcomes(ctx, "other", func(*state.Outcome) error { none++; return nil }))
	must(cr.CampaignSends(ctx, "other", func(state.SendStatus) error { none++; return nil }))
	if none != 0 {
		t.Errorf("campaign other: %d records; want none", none)
	}
	stop := fmt.Errorf("enough")
	if err := cr.CampaignSends(ctx, "welcome", func(state.SendStatus) error { return stop }); err != stop {
		t.Errorf("CampaignSends with fn failing: %v; want its error", err)
	}
	if err := cr.CampaignOutcomes(ctx, "welcome", func(*state.Outcome) error { return stop }); err != stop {
		t.Errorf("CampaignOutcomes with fn failing: %v; want its error", err)
	}
}
