package runtime_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// outboxStore is what the test reads and marks of a store's outbox.
type outboxStore interface {
	state.Store
	ListOutbox(ctx context.Context, status string, limit int) ([]state.OutboxEntry, error)
	MarkSent(ctx context.Context, key string, attempts int, at time.Time) error
}

// reopenableStores are, by kind, stores a test opens afresh each time it
// calls open, as a restart does: the memory store is the same one again,
// SQLite decodes what its file holds, with nothing left in memory.
func reopenableStores() map[string]func(t *testing.T) func() outboxStore {
	return map[string]func(t *testing.T) func() outboxStore{
		"memory": func(t *testing.T) func() outboxStore {
			s := state.NewMemory()
			return func() outboxStore { return s }
		},
		"sqlite": func(t *testing.T) func() outboxStore {
			path := filepath.Join(t.TempDir(), "state.db")
			return func() outboxStore {
				s, err := sqlite.Open(context.Background(), path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
		},
	}
}

// Ended keyed runs go once no rule needs them: "rsvp" (reentry always)
// keeps #42's run for outbox_retention (30d), "capped" for its cap's
// window (45d), and "once" (reentry never) keeps it whole for
// outbox_retention, then its key alone, with when and how it ended, which
// refuses #42 for ever. #42 entering rsvp again after its run was
// dropped is run 2, not 1 again: its confirmation gets an outbox key of
// its own and is sent, where run 1's key, whose message was sent and is
// still in the outbox, would have swallowed it. Each stage runs on the
// store opened afresh, so SQLite reads RunsDropped and the kept keys
// back. A reload switching "once" to reentry = "always" lets #42 in
// again, as run 2.
func TestRunKeyDroppedRuns(t *testing.T) {
	src := templates + `
hearth {
  state {
    outbox_retention = "30d"
  }
}
event "meetup.rsvp" {
  attributes = {
    meetup = "string"
  }
}
campaign "rsvp" {
  enter_on = "meetup.rsvp"
  run_key  = "event.meetup"
  reentry  = "always"
  step "confirm" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
campaign "capped" {
  enter_on      = "meetup.rsvp"
  run_key       = "event.meetup"
  reentry       = "always"
  frequency_cap = "5/45d"
  step "confirm" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
campaign "once" {
  enter_on = "meetup.rsvp"
  run_key  = "event.meetup"
  step "confirm" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`
	cfg := load(t, src)
	ctx := context.Background()
	for name, open := range reopenableStores() {
		t.Run(name, func(t *testing.T) {
			open := open(t)
			var outs []state.Outcome
			var store outboxStore
			cur := cfg
			stage := func(lines ...string) {
				t.Helper()
				store = open()
				if _, err := simulate.Run(ctx, cur, strings.NewReader(strings.Join(lines, "")), simulate.Options{Store: store, Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil }}); err != nil {
					t.Fatal(err)
				}
			}
			member := func() *state.Member {
				t.Helper()
				b, err := store.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer b.Rollback()
				m, err := b.Member("ann")
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			runs := func(want string) {
				t.Helper()
				m := member()
				var got []string
				for _, c := range []string{"capped", "once", "rsvp"} {
					got = m.RunIDs(c, got)
				}
				if strings.Join(got, " ") != want {
					t.Errorf("runs %q; want %q", strings.Join(got, " "), want)
				}
			}

			stage(ev("r1", "meetup.rsvp", "ann", 0, 9, `{"meetup":"#42"}`))
			// Every message went out; the outbox keeps them (no prune).
			sent, err := store.ListOutbox(ctx, state.OutboxPending, 100)
			if err != nil || len(sent) != 3 {
				t.Fatalf("outbox %v, %v; want 3 messages", sent, err)
			}
			for _, e := range sent {
				if err := store.MarkSent(ctx, e.Key, 1, e.At); err != nil {
					t.Fatal(err)
				}
			}

			stage(ev("p1", "message.posted", "ann", 20, 9, ""))
			runs("capped[#42] once[#42] rsvp[#42]") // ended 20 days ago: all kept
			stage(ev("p2", "message.posted", "ann", 31, 9, ""))
			runs("capped[#42]") // past outbox_retention: rsvp's goes, once's is made compact
			ended := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
			if m := member(); m.RunsDropped["rsvp"] != 1 || m.RunsDropped["once"] != 1 || m.RunsDropped["capped"] != 0 {
				t.Errorf("runs dropped %v; want rsvp 1 and once 1", m.RunsDropped)
			}
			if m := member(); len(m.KeysEnded) != 1 || len(m.KeysEnded["once"]) != 1 {
				t.Errorf("ended keys %v; want once's #42 alone", m.KeysEnded)
			}
			if e, ok := member().KeyEnded("once", "#42"); !ok || !e.At.Equal(ended) || e.Reason != "finished" {
				t.Errorf("once's #42 kept as %+v, %v; want finished %s", e, ok, ended)
			}
			// member why campaign.rsvp[#42]: the run ended and was
			// dropped, as its outcomes tell; #43 never entered, which the
			// member alone cannot tell from a run dropped with its
			// outcomes; a run kept, or a campaign with none dropped, is
			// not a dropped run.
			outcomes := func() ([]state.Outcome, error) { return outs, nil }
			d, err := runtime.DroppedRun(member(), "campaign.rsvp[#42]", outcomes)
			if err != nil || d == nil || d.KeyKept || !d.Found || d.Number != 1 || !d.EnteredAt.Equal(ended) || !d.EndedAt.Equal(ended) || d.Reason != "finished" || d.DroppedUpTo != 1 {
				t.Errorf("rsvp[#42] dropped: %+v, %v; want run 1, entered and finished %s", d, err, ended)
			}
			if d, _ := runtime.DroppedRun(member(), "campaign.rsvp[#43]", outcomes); d == nil || d.Found || d.DroppedUpTo != 1 {
				t.Errorf("rsvp[#43], never entered: %+v; want not found, runs dropped up to 1", d)
			}
			// once's #42 is told of by its kept key, without outcomes too.
			for _, outs := range []func() ([]state.Outcome, error){outcomes, nil} {
				d, _ := runtime.DroppedRun(member(), "campaign.once[#42]", outs)
				if d == nil || !d.KeyKept || !d.EndedAt.Equal(ended) || d.Reason != "finished" || d.Found != (outs != nil) {
					t.Errorf("once[#42] made compact: %+v; want its key kept, finished %s", d, ended)
				}
			}
			if d, _ := runtime.DroppedRun(member(), "campaign.once[#43]", outcomes); d == nil || d.KeyKept || d.Found {
				t.Errorf("once[#43], never entered: %+v; want neither kept nor found", d)
			}
			for _, addr := range []string{"campaign.capped[#43]", "campaign.rsvp", "segment.x"} {
				if d, _ := runtime.DroppedRun(member(), addr, outcomes); d != nil {
					t.Errorf("%s: dropped %+v; want nil", addr, d)
				}
			}

			stage(ev("r2", "meetup.rsvp", "ann", 32, 9, `{"meetup":"#42"}`))
			runs("capped[#42] rsvp[#42]") // once refuses #42 by its kept key
			if r := member().Campaigns["rsvp[#42]"]; r.Runs != 2 || r.Seq != 1 {
				t.Errorf("rsvp #42 entering again: %+v; want run 2 with its confirmation", r)
			}
			stage(ev("p3", "message.posted", "ann", 80, 9, ""))
			runs("") // capped's past its 45-day window
			if _, ok := member().KeyEnded("once", "#42"); !ok {
				t.Error("once's #42 is no longer kept")
			}
			// The key's latest run is the one told of.
			again := time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC)
			if d, _ := runtime.DroppedRun(member(), "campaign.rsvp[#42]", outcomes); d == nil || d.Number != 2 || !d.EnteredAt.Equal(again) || !d.EndedAt.Equal(again) || d.DroppedUpTo != 2 {
				t.Errorf("rsvp[#42] dropped twice: %+v; want run 2 of %s", d, again)
			}

			want := []string{
				// Entering comes first, then each run goes its way.
				`01-01T09:00 enter run 1 (key "#42")`, // rsvp
				`01-01T09:00 enter run 1 (key "#42")`, // capped
				`01-01T09:00 enter run 1 (key "#42")`, // once
				`01-01T09:00 queue campaign/rsvp[%2342]/ann/1/1/confirm`,
				`01-01T09:00 exit finished (key "#42")`,
				`01-01T09:00 queue campaign/capped[%2342]/ann/1/1/confirm`,
				`01-01T09:00 exit finished (key "#42")`,
				`01-01T09:00 queue campaign/once[%2342]/ann/1/1/confirm`,
				`01-01T09:00 exit finished (key "#42")`,
				`02-02T09:00 enter run 2 (key "#42")`, // rsvp, after its run was dropped
				`02-02T09:00 enter run 2 (key "#42")`, // capped, its run kept
				// once: #42 refused, as ever
				`02-02T09:00 queue campaign/rsvp[%2342]/ann/2/1/confirm`,
				`02-02T09:00 exit finished (key "#42")`,
				`02-02T09:00 queue campaign/capped[%2342]/ann/2/1/confirm`,
				`02-02T09:00 exit finished (key "#42")`,
			}

			if got := campaignOutcomes(outs, "ann"); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("outcomes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// The confirmation of rsvp's second run is in the outbox to be
			// sent, next to the first run's, which went out.
			pending, err := store.ListOutbox(ctx, state.OutboxPending, 100)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, e := range pending {
				keys = append(keys, e.Key)
			}
			slices.Sort(keys)
			if w := "campaign/capped[%2342]/ann/2/1/confirm campaign/rsvp[%2342]/ann/2/1/confirm"; strings.Join(keys, " ") != w {
				t.Errorf("pending %q; want %q", strings.Join(keys, " "), w)
			}

			// once switched to reentry = "always": #42 is let in again,
			// numbered past its run made compact, and is a run again.
			cur = load(t, strings.Replace(src, "campaign \"once\" {\n", "campaign \"once\" {\n  reentry = \"always\"\n", 1))
			stage(ev("r3", "meetup.rsvp", "ann", 90, 9, `{"meetup":"#42"}`))
			if m := member(); len(m.KeysEnded) != 0 || m.Campaigns["once[#42]"] == nil || m.Campaigns["once[#42]"].Runs != 2 || m.Campaigns["once[#42]"].Seq != 1 {
				t.Errorf("once's #42 let in again: ended keys %v, run %+v; want run 2 with its confirmation, and no ended key", m.KeysEnded, m.Campaigns["once[#42]"])
			}
		})
	}
}
