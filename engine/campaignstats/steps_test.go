package campaignstats

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// records is a store's records of a campaign, as CampaignRecords gives
// them.
type records struct {
	outcomes []state.Outcome
	sends    []state.SendStatus
	err      error
}

func (r *records) CampaignOutcomes(_ context.Context, _ string, fn func(*state.Outcome) error) error {
	for i := range r.outcomes {
		if err := fn(&r.outcomes[i]); err != nil {
			return err
		}
	}
	return r.err
}

func (r *records) CampaignSends(_ context.Context, _ string, fn func(state.SendStatus) error) error {
	for _, s := range r.sends {
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

// stepsCampaign sends at hello and nudge; wait_step waits with a
// timeout and sends nothing, and so does quiet, of which nothing is
// recorded. A step old was removed.
func stepsCampaign() *config.Campaign {
	send := &config.Send{Channel: "dm"}
	return &config.Campaign{Name: "welcome", Steps: []*config.Step{
		{Name: "hello", Send: send},
		{Name: "wait_step"},
		{Name: "nudge", Send: send},
		{Name: "quiet"},
	}}
}

// stepsRecords: ann is sent both messages, held once by quiet hours
// before the nudge, and reaches the goal. bob is sent hello in a first
// run that finishes; his second skips hello (unsubscribed) and has the
// nudge held by a frequency cap and then quiet hours, still running.
// cat's entry is no longer kept: her hello went out, her wait_until
// timed out, and she left. dan, in a run with a key, has hello fail and
// skip (its until passed), and is queued a message at a removed step.
// An older hearth recorded eve's failed send without its step. The
// outbox delivered ann's two, gave up on bob's first hello, skipped
// cat's (she had left) and eve's (she came back), and holds dan's.
func stepsRecords() *records {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	var r records
	n := 0
	o := func(member, kind, change, detail string) {
		n++
		r.outcomes = append(r.outcomes, state.Outcome{Kind: kind, Member: member, Name: "welcome", Change: change, At: t0.Add(time.Duration(n) * time.Minute), Rule: "campaign.welcome", Detail: detail})
	}
	c, a := state.KindCampaign, state.KindAction
	o("ann", c, "enter", "run 1")
	o("ann", a, "queue", "campaign/welcome/ann/1/1/hello")
	o("bob", c, "enter", "run 1")
	o("ann", c, "defer", "nudge until 2026-01-02T08:00:00Z")
	o("bob", a, "queue", "campaign/welcome/bob/1/1/hello")
	o("ann", a, "queue", "campaign/welcome/ann/1/2/nudge")
	o("ann", c, "exit", "goal")
	o("bob", c, "exit", "finished")
	o("bob", c, "enter", "run 2")
	o("bob", c, "skip", "hello: the member unsubscribed from email.news")
	o("bob", c, "defer", "nudge: frequency cap until 2026-01-03T10:00:00Z")
	o("bob", c, "defer", "nudge: quiet hours until 2026-01-04T08:00:00Z") // as hearth writes it now; ann's as before
	o("bob", c, "defer", "nudge until 2026-01-05T08:00:00Z")
	o("cat", a, "queue", "campaign/welcome/cat/2/1/hello")
	o("cat", c, "timeout", "wait_step")
	o("cat", c, "exit", "left")
	o("dan", c, "enter", `run 1 (key "k1")`)
	o("dan", c, "variant", `a (key "k1")`)
	o("dan", a, "failed", `hello: template hi text (en): boom (key "k1")`)
	o("dan", c, "skip", `hello: until 2026-01-01T09:00:00Z had passed (key "k1")`)
	o("dan", c, "skip", `old: frequency cap (key "k1")`)
	o("dan", a, "queue", "campaign/welcome[k1]/dan/1/1/old")
	o("eve", a, "failed", "template hi text (en): boom")
	o("fay", c, "enter", "run 1")
	o("fay", c, "exit", "goal") // ended before any step came due
	r.sends = []state.SendStatus{
		{Key: "campaign/welcome/ann/1/1/hello", Status: state.OutboxSent},
		{Key: "campaign/welcome/ann/1/2/nudge", Status: state.OutboxSent},
		{Key: "campaign/welcome/bob/1/1/hello", Status: state.OutboxDead, Reason: "403 Forbidden"},
		{Key: "campaign/welcome/cat/2/1/hello", Status: state.OutboxSkipped, Reason: state.OutboxSkippedLeft},
		{Key: "campaign/welcome/eve/1/1/hello", Status: state.OutboxSkipped, Reason: state.OutboxSkippedBack},
		{Key: "campaign/welcome[k1]/dan/1/1/old", Status: state.OutboxPending},
		{Key: "campaign/welcome2/ann/1/1/hello", Status: state.OutboxSent}, // another campaign's
	}
	return &r
}

// Each step counts its runs once however often their records name it,
// the message's fate from the outcomes and the outbox, skips and holds
// by reason, and the goal of the runs it was sent to; a removed step
// with records comes last, a step without a send or records is left
// out, and the runs still open are only the running ones.
func TestStepFigures(t *testing.T) {
	c := stepsCampaign()
	rec := stepsRecords()
	st := newStepTally(c, Retention{Outcomes: 400 * 24 * time.Hour, Outbox: 90 * 24 * time.Hour})
	for i := range rec.outcomes {
		st.outcome(&rec.outcomes[i])
	}
	for _, s := range rec.sends {
		st.send(s)
	}
	if len(st.open) != 2 || st.open["bob\x00"] == nil || st.open["dan\x00k1"] == nil {
		t.Errorf("open runs: %v; want bob's second and dan's", st.open)
	}
	got := st.report()
	want := []Step{
		{Step: "hello", Reached: 5, Sends: 3, Delivered: 1, Dead: 1, Failed: 1, Skipped: 4, SkippedAtDelivery: 2,
			SkippedBy: reasons(map[string]int{"unsubscribed": 1, "until": 1, "left": 1, "back": 1}), HeldBy: holds(nil),
			RunsSent: 3, RunsSentEnded: 3, Goal: 1},
		{Step: "wait_step", Reached: 1, TimedOut: 1, SkippedBy: reasons(nil), HeldBy: holds(nil)},
		{Step: "nudge", Reached: 2, Sends: 1, Delivered: 1, SkippedBy: reasons(nil),
			Held: 2, HeldBy: holds(map[string]int{"quiet_hours": 2, "frequency_cap": 1}), RunsSent: 1, RunsSentEnded: 1, Goal: 1},
		{Step: "old", Removed: true, Reached: 1, Sends: 1, Pending: 1, Skipped: 1, SkippedBy: reasons(map[string]int{"frequency_cap": 1}),
			HeldBy: holds(nil), RunsSent: 1},
	}
	gj, _ := json.MarshalIndent(got, "", " ")
	wj, _ := json.MarshalIndent(want, "", " ")
	if string(gj) != string(wj) {
		t.Errorf("steps:\n%s\nwant\n%s", gj, wj)
	}
	if g := got[0].GoalRate(); g != 1.0/3 {
		t.Errorf("hello's goal rate %v; want 1/3", g)
	}
	wantRec := StepRecords{OutcomesSince: rec.outcomes[0].At, OutcomeRetention: "400d", OutboxRetention: "90d", FailedNoStep: 1}
	if st.rec != wantRec {
		t.Errorf("records: %+v; want %+v", st.rec, wantRec)
	}
}

// A step renamed by a moved block (old to quiet) has its records under
// the new name: no removed row, and quiet counts old's send and skip.
func TestStepFiguresFollowAMovedStep(t *testing.T) {
	c := stepsCampaign()
	c.StepMoves = map[string]string{"old": "quiet"}
	rec := stepsRecords()
	st := newStepTally(c, Retention{})
	for i := range rec.outcomes {
		st.outcome(&rec.outcomes[i])
	}
	for _, s := range rec.sends {
		st.send(s)
	}
	got := st.report()
	if len(got) != 4 || got[3].Step != "quiet" || got[3].Removed || got[3].Sends != 1 || got[3].Pending != 1 || got[3].Skipped != 1 || got[3].Reached != 1 {
		t.Errorf("steps %+v; want old's records under quiet, last, and no removed row", got)
	}
}

// A send the outbox skipped as expired (past the campaign's
// expire_after) counts among the skips at delivery, by its own reason.
func TestStepFiguresCountExpired(t *testing.T) {
	st := newStepTally(stepsCampaign(), Retention{})
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	st.outcome(&state.Outcome{Kind: state.KindCampaign, Member: "ann", Name: "welcome", Change: "enter", At: at, Rule: "campaign.welcome", Detail: "run 1"})
	st.outcome(&state.Outcome{Kind: state.KindAction, Member: "ann", Name: "welcome", Change: "queue", At: at, Rule: "campaign.welcome", Detail: "campaign/welcome/ann/1/1/hello"})
	st.send(state.SendStatus{Key: "campaign/welcome/ann/1/1/hello", Status: state.OutboxSkipped, Reason: state.OutboxExpired("1w", at)})
	hello := st.report()[0]
	if hello.Step != "hello" || hello.Skipped != 1 || hello.SkippedAtDelivery != 1 || hello.SkippedBy["expired"] != 1 || hello.SkippedBy["other"] != 0 {
		t.Errorf("hello: %+v; want its send skipped at delivery as expired", hello)
	}
}

func reasons(n map[string]int) map[string]int {
	out := map[string]int{"unsubscribed": 0, "bounced": 0, "left": 0, "back": 0, "until": 0, "frequency_cap": 0, "expired": 0, "forgotten": 0, "not_after": 0, "stopped": 0, "other": 0}
	for k, v := range n {
		out[k] = v
	}
	return out
}

func holds(n map[string]int) map[string]int {
	out := map[string]int{"quiet_hours": 0, "frequency_cap": 0}
	for k, v := range n {
		out[k] = v
	}
	return out
}

// Read gives the steps with the funnel; a store that keeps no records
// gives none, and says nothing of them; a failing read fails it.
func TestReadSteps(t *testing.T) {
	ctx := context.Background()
	c := stepsCampaign()
	mem := state.NewMemory()
	rep, err := Read(ctx, c, nil, plainStore{mem}, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Steps != nil || rep.StepRecords != nil {
		t.Errorf("a store without records: steps %+v, %+v", rep.Steps, rep.StepRecords)
	}
	out, _ := json.Marshal(rep)
	if strings.Contains(string(out), "steps") {
		t.Errorf("JSON without records: %s", out)
	}
	rep, err = Read(ctx, c, nil, recordStore{mem, stepsRecords()}, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Steps) != 4 || rep.Steps[0].Sends != 3 || rep.StepRecords == nil || rep.StepRecords.OutcomeRetention != "" {
		t.Errorf("steps %+v, records %+v", rep.Steps, rep.StepRecords)
	}
	// Steps that send and have no records yet are listed, at zero.
	rep, err = Read(ctx, c, nil, recordStore{mem, &records{}}, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Steps) != 2 || rep.Steps[0].Step != "hello" || rep.Steps[1].Step != "nudge" || rep.Steps[1].Reached != 0 {
		t.Errorf("no records: %+v", rep.Steps)
	}
	boom := errors.New("boom")
	if _, err := Read(ctx, c, nil, recordStore{mem, &records{err: boom}}, Retention{}); !errors.Is(err, boom) {
		t.Errorf("a failing read: %v", err)
	}
}

// plainStore is a store with members only.
type plainStore struct{ state.Store }

// recordStore is a store with records.
type recordStore struct {
	state.Store
	*records
}

// A send the outbox holds at delivery (quiet hours decided again when it
// was due) counts as held while it waits, once per run: with a hold at
// the step the outcomes told of, it is the same run's.
func TestStepFiguresCountHeldAtDelivery(t *testing.T) {
	st := newStepTally(stepsCampaign(), Retention{})
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	o := func(member, kind, change, detail string) {
		st.outcome(&state.Outcome{Kind: kind, Member: member, Name: "welcome", Change: change, At: at, Rule: "campaign.welcome", Detail: detail})
	}
	o("ann", state.KindCampaign, "enter", "run 1")
	o("ann", state.KindAction, "queue", "campaign/welcome/ann/1/1/hello")
	o("bob", state.KindCampaign, "enter", "run 1")
	o("bob", state.KindCampaign, "defer", "hello: quiet hours until 2026-03-02T08:00:00Z")
	o("bob", state.KindAction, "queue", "campaign/welcome/bob/1/1/hello")
	o("cat", state.KindCampaign, "enter", "run 1")
	o("cat", state.KindAction, "queue", "campaign/welcome/cat/1/1/hello")
	held := state.OutboxHeldQuietHours("22:00–08:00", "member")
	st.send(state.SendStatus{Key: "campaign/welcome/ann/1/1/hello", Status: state.OutboxPending, Reason: held})
	st.send(state.SendStatus{Key: "campaign/welcome/bob/1/1/hello", Status: state.OutboxPending, Reason: held})
	st.send(state.SendStatus{Key: "campaign/welcome/cat/1/1/hello", Status: state.OutboxPending, Reason: "503 Service Unavailable"})
	hello := st.report()[0]
	if hello.Step != "hello" || hello.Pending != 3 || hello.HeldAtDelivery != 2 || hello.Held != 2 || hello.HeldBy["quiet_hours"] != 2 || hello.HeldBy["frequency_cap"] != 0 {
		t.Errorf("hello: %+v; want ann's and bob's held (bob's once), cat's pending only", hello)
	}
}

// A send the outbox held at delivery and delivered since is still held
// once: its sent entry keeps the hold, counted in DeliveredAfterHold and
// Held, once per run (bob's run was held at the step too); a send
// delivered with no hold is not.
func TestStepFiguresCountDeliveredAfterHold(t *testing.T) {
	st := newStepTally(stepsCampaign(), Retention{})
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	o := func(member, kind, change, detail string) {
		st.outcome(&state.Outcome{Kind: kind, Member: member, Name: "welcome", Change: change, At: at, Rule: "campaign.welcome", Detail: detail})
	}
	for _, m := range []string{"ann", "bob", "cat", "dan"} {
		o(m, state.KindCampaign, "enter", "run 1")
	}
	o("bob", state.KindCampaign, "defer", "hello: quiet hours until 2026-03-02T08:00:00Z")
	for _, m := range []string{"ann", "bob", "cat", "dan"} {
		o(m, state.KindAction, "queue", "campaign/welcome/"+m+"/1/1/hello")
	}
	held := state.OutboxHeldQuietHours("22:00–08:00", "member")
	st.send(state.SendStatus{Key: "campaign/welcome/ann/1/1/hello", Status: state.OutboxSent, Reason: held})
	st.send(state.SendStatus{Key: "campaign/welcome/bob/1/1/hello", Status: state.OutboxSent, Reason: held})
	st.send(state.SendStatus{Key: "campaign/welcome/cat/1/1/hello", Status: state.OutboxSent})
	st.send(state.SendStatus{Key: "campaign/welcome/dan/1/1/hello", Status: state.OutboxPending, Reason: held})
	hello := st.report()[0]
	if hello.Delivered != 3 || hello.DeliveredAfterHold != 2 || hello.HeldAtDelivery != 1 || hello.Held != 3 || hello.HeldBy["quiet_hours"] != 3 {
		t.Errorf("hello: %+v; want 3 delivered, 2 of them after a hold, dan's waiting, ann, bob and dan held once each", hello)
	}
	b, err := json.Marshal(hello)
	if err != nil || !strings.Contains(string(b), `"held_at_delivery":1,"delivered_after_hold":2`) {
		t.Errorf("JSON %s, %v; want held_at_delivery and delivered_after_hold", b, err)
	}
}

// The latest runs' counts say what became of the messages they queued,
// from the outbox entries of those runs alone: an earlier run's entry
// (bob's dead hello, from his first run) counts at its step, not there;
// each variant counts its own runs'.
func TestCountsDelivery(t *testing.T) {
	c := stepsCampaign()
	c.Steps = append([]*config.Step{{Name: "split", Split: []*config.Variant{{Name: "a"}, {Name: "b"}}}}, c.Steps...)
	tally := NewTally(c, nil)
	if err := tally.ReadRecords(context.Background(), stepsRecords(), Retention{}); err != nil {
		t.Fatal(err)
	}
	run := func(id, variant, status, reason string, runs, seq int) {
		m := state.NewMember(id, state.Day(0).Time())
		m.Campaigns = map[string]*state.CampaignRun{"welcome": {Status: status, Reason: reason, Variant: variant, Step: 1, Runs: runs, Seq: seq}}
		tally.Add(m)
	}
	run("ann", "a", "done", "goal", 1, 2)
	run("bob", "a", "active", "", 2, 0)
	run("cat", "b", "done", "left", 2, 1)
	run("eve", "b", "active", "", 1, 2) // her second send's entry is gone
	rep := tally.Report()
	tot := rep.Total
	if tot.Sends != 5 || tot.Delivered != 2 || tot.SkippedAtDelivery != 2 || tot.Dead != 0 || tot.Pending != 0 || tot.Unaccounted() != 1 {
		t.Errorf("total: %+v (unaccounted %d); want 5 queued: 2 delivered, 2 skipped, 1 gone", tot, tot.Unaccounted())
	}
	if len(rep.Variants) != 2 {
		t.Fatalf("variants: %+v", rep.Variants)
	}
	if a := rep.Variants[0]; a.Sends != 2 || a.Delivered != 2 || a.SkippedAtDelivery != 0 {
		t.Errorf("a: %+v; want 2 queued, 2 delivered", a.Counts)
	}
	if b := rep.Variants[1]; b.Sends != 3 || b.Delivered != 0 || b.SkippedAtDelivery != 2 || b.Unaccounted() != 1 {
		t.Errorf("b: %+v; want 3 queued, none delivered, 2 skipped", b.Counts)
	}
	out, _ := json.Marshal(rep.Variants[1])
	for _, k := range []string{`"sends":3`, `"delivered":0`, `"skipped_at_delivery":2`, `"pending":0`, `"dead":0`} {
		if !strings.Contains(string(out), k) {
			t.Errorf("variant JSON lacks %s: %s", k, out)
		}
	}
}

// A send hearth campaign stop skipped counts as skipped at delivery,
// stopped.
func TestStepFiguresStoppedSkip(t *testing.T) {
	st := newStepTally(stepsCampaign(), Retention{})
	st.send(state.SendStatus{Key: "campaign/welcome/ann/1/1/hello", Status: state.OutboxSkipped, Reason: state.OutboxSkippedStopped})
	hello := st.report()[0]
	if hello.Step != "hello" || hello.Skipped != 1 || hello.SkippedAtDelivery != 1 || hello.SkippedBy["stopped"] != 1 || hello.SkippedBy["other"] != 0 {
		t.Errorf("hello: %+v; want one skipped at delivery, stopped", hello)
	}
}
