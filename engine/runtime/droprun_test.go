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

// Ended keyed runs go once no rule needs them: "rsvp" (reentry always)
// keeps #42's run for outbox_retention (30d), "capped" for its cap's
// window (45d), and "once" (reentry never) keeps it for ever, since the
// run is what refuses the key. #42 entering rsvp again after its run was
// dropped is run 2, not 1 again: its confirmation gets an outbox key of
// its own and is sent, where run 1's key, whose message was sent and is
// still in the outbox, would have swallowed it. Each stage runs on the
// store opened afresh, so SQLite reads RunsDropped back.
func TestRunKeyDroppedRuns(t *testing.T) {
	cfg := load(t, templates+`
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
`)
	ctx := context.Background()
	for name, open := range map[string]func(t *testing.T) func() outboxStore{
		"memory": func(t *testing.T) func() outboxStore {
			s := state.NewMemory()
			return func() outboxStore { return s }
		},
		"sqlite": func(t *testing.T) func() outboxStore {
			path := filepath.Join(t.TempDir(), "state.db")
			return func() outboxStore {
				s, err := sqlite.Open(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			open := open(t)
			var outs []state.Outcome
			var store outboxStore
			stage := func(lines ...string) {
				t.Helper()
				store = open()
				if _, err := simulate.Run(ctx, cfg, strings.NewReader(strings.Join(lines, "")), simulate.Options{Store: store, Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil }}); err != nil {
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
			runs("capped[#42] once[#42]") // past outbox_retention: rsvp's goes
			if m := member(); m.RunsDropped["rsvp"] != 1 || m.RunsDropped["once"] != 0 {
				t.Errorf("runs dropped %v; want rsvp 1", m.RunsDropped)
			}
			// member why campaign.rsvp[#42]: the run ended and was
			// dropped, as its outcomes tell; #43 never entered, which the
			// member alone cannot tell from a run dropped with its
			// outcomes; a run kept, or a campaign with none dropped, is
			// not a dropped run.
			outcomes := func() ([]state.Outcome, error) { return outs, nil }
			d, err := runtime.DroppedRun(member(), "campaign.rsvp[#42]", outcomes)
			ended := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
			if err != nil || d == nil || !d.Found || d.Number != 1 || !d.EnteredAt.Equal(ended) || !d.EndedAt.Equal(ended) || d.Reason != "finished" || d.DroppedUpTo != 1 {
				t.Errorf("rsvp[#42] dropped: %+v, %v; want run 1, entered and finished %s", d, err, ended)
			}
			if d, _ := runtime.DroppedRun(member(), "campaign.rsvp[#43]", outcomes); d == nil || d.Found || d.DroppedUpTo != 1 {
				t.Errorf("rsvp[#43], never entered: %+v; want not found, runs dropped up to 1", d)
			}
			for _, addr := range []string{"campaign.once[#42]", "campaign.capped[#43]", "campaign.rsvp", "segment.x"} {
				if d, _ := runtime.DroppedRun(member(), addr, outcomes); d != nil {
					t.Errorf("%s: dropped %+v; want nil", addr, d)
				}
			}

			stage(ev("r2", "meetup.rsvp", "ann", 32, 9, `{"meetup":"#42"}`))
			runs("capped[#42] once[#42] rsvp[#42]")
			if r := member().Campaigns["rsvp[#42]"]; r.Runs != 2 || r.Seq != 1 {
				t.Errorf("rsvp #42 entering again: %+v; want run 2 with its confirmation", r)
			}
			stage(ev("p3", "message.posted", "ann", 80, 9, ""))
			runs("once[#42]") // capped's past its 45-day window; once's stays
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
		})
	}
}
