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

// A meetup RSVP campaign with a run per meetup. The goal reads the run's
// own event: a check-in on the day of that meetup.
const runKeyConfig = templates + `
event "meetup.rsvp" {
  attributes = {
    meetup    = "string"
    starts_at = "time"
  }
}
event "meetup.checked_in" {
  activity   = true
  attributes = {
    meetup = "string"
  }
}
campaign "rsvp" {
  enter_on  = "meetup.rsvp"
  run_key   = "event.meetup"
  reentry   = "always"
  max_runs  = 2
  exit_when = "count('meetup.checked_in', '1d') > 0 && now >= event.starts_at - duration('12h')"
  step "confirm" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "reminder" {
    until = "event.starts_at - duration('24h')"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "missed" {
    until = "event.starts_at + duration('2h')"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`

// Each meetup is a run of its own: an RSVP for #43 while #42's run is
// under way gets its own confirmation and reminder, checking in at #42
// ends #42's run alone, an RSVP for #42 again while its run goes on
// (with another id) starts nothing, and a third meetup at once is
// refused by max_runs without touching the two runs. Every event is
// replayed on a store opened afresh, so SQLite reads the runs back from
// the member document each time.
func TestRunKeyRunPerMeetup(t *testing.T) {
	cfg := load(t, runKeyConfig)
	const at42, at43 = `"starts_at":"2026-01-11T18:00:00Z"`, `"starts_at":"2026-01-21T18:00:00Z"`
	lines := []string{
		ev("r42", "meetup.rsvp", "ann", 0, 9, `{"meetup":"Go Night #42",`+at42+`}`),
		ev("r43", "meetup.rsvp", "ann", 1, 9, `{"meetup":"Go Night #43",`+at43+`}`),
		ev("r42b", "meetup.rsvp", "ann", 2, 9, `{"meetup":"Go Night #42",`+at42+`}`), // the same meetup again
		ev("r43", "meetup.rsvp", "ann", 2, 10, `{"meetup":"Go Night #43",`+at43+`}`), // a replay
		ev("r44", "meetup.rsvp", "ann", 3, 9, `{"meetup":"Go Night #44","starts_at":"2026-02-01T18:00:00Z"}`),
		ev("c42", "meetup.checked_in", "ann", 10, 18, `{"meetup":"Go Night #42"}`),
		ev("tick", "checkin", "other", 25, 0, ""),
	}
	want := []string{
		`01-01T09:00 enter run 1 (key "Go Night #42")`,
		`01-01T09:00 queue campaign/rsvp[Go%20Night%20%2342]/ann/1/1/confirm`,
		`01-02T09:00 enter run 1 (key "Go Night #43")`,
		`01-02T09:00 queue campaign/rsvp[Go%20Night%20%2343]/ann/1/1/confirm`,
		`01-04T09:00 refused max_runs: 2 runs under way (key "Go Night #44")`,
		`01-10T18:00 queue campaign/rsvp[Go%20Night%20%2342]/ann/1/2/reminder`,
		`01-11T18:00 exit goal (key "Go Night #42")`,
		`01-20T18:00 queue campaign/rsvp[Go%20Night%20%2343]/ann/1/2/reminder`,
		`01-21T20:00 queue campaign/rsvp[Go%20Night%20%2343]/ann/1/3/missed`,
		`01-21T20:00 exit finished (key "Go Night #43")`,
	}
	ctx := context.Background()
	for name, open := range reopenableStores() {
		t.Run(name, func(t *testing.T) {
			open := open(t)
			var outs []state.Outcome
			var store state.Store
			refused := 0
			for _, l := range lines {
				store = open()
				sum, err := simulate.Run(ctx, cfg, strings.NewReader(l), simulate.Options{Store: store, Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil }})
				if err != nil {
					t.Fatal(err)
				}
				refused += sum.Campaigns["rsvp"].Refused
			}
			if got := campaignOutcomes(outs, "ann"); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("outcomes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if refused != 1 {
				t.Errorf("simulate counted %d refused entries, want 1", refused)
			}
			b, err := store.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Rollback()
			m, err := b.Member("ann")
			if err != nil {
				t.Fatal(err)
			}
			if ids := m.RunIDs("rsvp", nil); !slices.Equal(ids, []string{"rsvp[Go Night #42]", "rsvp[Go Night #43]"}) {
				t.Fatalf("runs %q", ids)
			}
			r42, r43 := m.Campaigns["rsvp[Go Night #42]"], m.Campaigns["rsvp[Go Night #43]"]
			if r42.Key != "Go Night #42" || r42.Reason != "goal" || r42.Seq != 2 || r42.Runs != 1 {
				t.Errorf("#42 run %+v", r42)
			}
			if r43.Key != "Go Night #43" || r43.Reason != "finished" || r43.Seq != 3 {
				t.Errorf("#43 run %+v", r43)
			}
			// The messages say which meetup: each run renders with its event.
			pending, err := store.(interface {
				DueActions(context.Context, time.Time, int) ([]state.OutboxEntry, error)
			}).DueActions(ctx, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 100)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, e := range pending {
				if a := e.Action; a.Member == "ann" {
					keys = append(keys, a.RunKey+" "+a.Step)
				}
			}
			slices.Sort(keys)
			if w := "Go Night #42 confirm|Go Night #42 reminder|Go Night #43 confirm|Go Night #43 missed|Go Night #43 reminder"; strings.Join(keys, "|") != w {
				t.Errorf("outbox %q", keys)
			}
		})
	}
}

// The campaign's frequency cap counts the sends of all the member's runs:
// a second meetup's confirmation waits for the first one's to leave the
// window. reentry = "never" is per key: #42 again after its run ended
// starts nothing, #43 does. A key longer than hearth keeps is a rule
// error, and starts no run (not even one without a key).
func TestRunKeyCapReentryAndLongKeys(t *testing.T) {
	cfg := load(t, templates+`
event "meetup.rsvp" {
  attributes = {
    meetup = "string"
  }
}
campaign "rsvp" {
  enter_on      = "meetup.rsvp"
  run_key       = "event.meetup"
  frequency_cap = "1/24h"
  step "confirm" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	long := strings.Repeat("x", 201)
	stream := ev("a", "meetup.rsvp", "ann", 0, 9, `{"meetup":"#42"}`) +
		ev("b", "meetup.rsvp", "ann", 0, 10, `{"meetup":"#43"}`) +
		ev("c", "meetup.rsvp", "ann", 3, 9, `{"meetup":"#42"}`) +
		ev("d", "meetup.rsvp", "ann", 3, 10, `{"meetup":"`+long+`"}`) +
		ev("tick", "checkin", "other", 5, 0, "")
	sum, outs, members := run(t, cfg, stream)
	want := []string{
		`01-01T09:00 enter run 1 (key "#42")`,
		`01-01T09:00 queue campaign/rsvp[%2342]/ann/1/1/confirm`,
		`01-01T09:00 exit finished (key "#42")`,
		`01-01T10:00 enter run 1 (key "#43")`,
		`01-01T10:00 defer confirm: frequency cap until 2026-01-02T09:00:00Z (key "#43")`,
		`01-02T09:00 queue campaign/rsvp[%2343]/ann/1/1/confirm`,
		`01-02T09:00 exit finished (key "#43")`,
	}
	if got := campaignOutcomes(outs, "ann"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outcomes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(members["ann"].Campaigns); n != 2 {
		t.Errorf("runs %v", members["ann"].Campaigns)
	}
	if sum.RuleErrors != 1 {
		t.Errorf("rule errors %d, want 1 (the long key)", sum.RuleErrors)
	}
}

// Without run_key a member has one run at a time, as before: the RSVP for
// a second meetup while the first runs starts nothing.
func TestWithoutRunKeyOneRun(t *testing.T) {
	cfg := load(t, strings.Replace(runKeyConfig, `  run_key   = "event.meetup"
  reentry   = "always"
  max_runs  = 2
`, `  reentry   = "always"
`, 1))
	stream := ev("r42", "meetup.rsvp", "ann", 0, 9, `{"meetup":"Go Night #42","starts_at":"2026-01-11T18:00:00Z"}`) +
		ev("r43", "meetup.rsvp", "ann", 1, 9, `{"meetup":"Go Night #43","starts_at":"2026-01-21T18:00:00Z"}`)
	_, outs, members := run(t, cfg, stream)
	want := []string{
		`01-01T09:00 enter run 1`,
		`01-01T09:00 queue campaign/rsvp/ann/1/1/confirm`,
	}
	if got := campaignOutcomes(outs, "ann"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outcomes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ids := members["ann"].RunIDs("rsvp", nil); !slices.Equal(ids, []string{"rsvp"}) {
		t.Errorf("runs %q", ids)
	}
}

// hearth campaign stop ends every run of the member, or with a key the
// run with that key alone.
func TestRunKeyStop(t *testing.T) {
	cfg := load(t, runKeyConfig)
	stream := ev("r42", "meetup.rsvp", "ann", 0, 9, `{"meetup":"Go Night #42","starts_at":"2026-01-11T18:00:00Z"}`) +
		ev("r43", "meetup.rsvp", "ann", 1, 9, `{"meetup":"Go Night #43","starts_at":"2026-01-21T18:00:00Z"}`)
	_, _, members := run(t, cfg, stream)
	m := members["ann"]
	rt := runtime.New(cfg, nil)
	at := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
	if outs := rt.StopCampaign(m, "rsvp", "Go Night #43", at); len(outs) != 1 || outs[0].Detail != `stopped (key "Go Night #43")` {
		t.Fatalf("stop with key: %+v", outs)
	}
	if !m.Campaigns["rsvp[Go Night #42]"].Active() || m.Campaigns["rsvp[Go Night #43]"].Active() {
		t.Fatalf("after stopping #43: %+v", m.Campaigns)
	}
	if outs := rt.StopCampaign(m, "rsvp", "Go Night #43", at); len(outs) != 0 {
		t.Fatalf("stopping a stopped run: %+v", outs)
	}
	if outs := rt.StopCampaign(m, "rsvp", "", at); len(outs) != 1 || m.ActiveRuns("rsvp") != 0 {
		t.Fatalf("stop all: %+v, %d active", outs, m.ActiveRuns("rsvp"))
	}
}

// With run_key, an event with the key of a run under way becomes the
// run's event, whatever enter_when says of it, and starts nothing: a
// yes changed to no ends the run by stop_when before the reminder, and
// the no enters the regrets campaign. Without run_key the run keeps its
// entering event. Each event is applied on a SQLite store opened afresh,
// so the followed event is read back from the member's document.
func TestRunKeyFollowsTheLatestEvent(t *testing.T) {
	cfg := load(t, templates+`
event "meetup.rsvp" {
  attributes = {
    meetup    = "string"
    answer    = "string"
    starts_at = "time"
  }
}
campaign "rsvp" {
  enter_on   = "meetup.rsvp"
  enter_when = "event.answer == 'yes'"
  run_key    = "event.meetup"
  reentry    = "always"
  stop_when  = "event.answer != 'yes'"
  step "confirm" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "reminder" {
    until = "event.starts_at - duration('24h')"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
campaign "regrets" {
  enter_on   = "meetup.rsvp"
  enter_when = "event.answer != 'yes'"
  run_key    = "event.meetup"
  reentry    = "always"
  step "thanks" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
campaign "plain" {
  enter_on  = "meetup.rsvp"
  stop_when = "event.answer != 'yes'"
  step "later" {
    wait = "30d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	const at42 = `"starts_at":"2026-01-11T18:00:00Z"`
	lines := []string{
		ev("y", "meetup.rsvp", "ann", 0, 9, `{"meetup":"#42","answer":"yes",`+at42+`}`),
		ev("n", "meetup.rsvp", "ann", 2, 9, `{"meetup":"#42","answer":"no",`+at42+`}`),
		ev("tick", "checkin", "other", 12, 0, ""),
	}
	path := filepath.Join(t.TempDir(), "state.db")
	ctx := context.Background()
	var outs []state.Outcome
	for _, l := range lines {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = simulate.Run(ctx, cfg, strings.NewReader(l), simulate.Options{Store: s, Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil }})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	// rsvp and plain enter on the yes; on the no, regrets enters and
	// rsvp's run exits (stop_when), while plain's keeps its yes.
	want := []string{
		`01-01T09:00 enter run 1 (key "#42")`,
		`01-01T09:00 enter run 1`,
		`01-01T09:00 queue campaign/rsvp[%2342]/ann/1/1/confirm`,
		`01-03T09:00 enter run 1 (key "#42")`,
		`01-03T09:00 exit exited (key "#42")`,
		`01-03T09:00 queue campaign/regrets[%2342]/ann/1/1/thanks`,
		`01-03T09:00 exit finished (key "#42")`,
	}
	if got := campaignOutcomes(outs, "ann"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outcomes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A second RSVP for the same meetup with another starts_at (the meetup
// moved) moves the reminder the run waits for: two days later moves it
// two days on; moved earlier, to before the reminder's time, it is
// skipped as if the member had answered late. Steps done stay done.
func TestRunKeyMeetupMoved(t *testing.T) {
	cfg := load(t, runKeyConfig)
	rsvp := func(id, member string, day int, starts string) string {
		return ev(id, "meetup.rsvp", member, day, 9, `{"meetup":"#42","starts_at":"`+starts+`"}`)
	}
	stream := rsvp("a1", "ann", 0, "2026-01-11T18:00:00Z") +
		rsvp("b1", "bob", 0, "2026-01-11T18:00:00Z") +
		rsvp("a2", "ann", 2, "2026-01-13T18:00:00Z") + // two days later
		rsvp("b2", "bob", 2, "2026-01-03T18:00:00Z") + // tomorrow: a day before is gone
		ev("tick", "checkin", "other", 20, 0, "")
	_, outs, _ := run(t, cfg, stream)
	want := map[string][]string{
		"ann": {
			"01-01T09:00 enter run 1 (key \"#42\")",
			"01-01T09:00 queue campaign/rsvp[%2342]/ann/1/1/confirm",
			"01-12T18:00 queue campaign/rsvp[%2342]/ann/1/2/reminder",
			"01-13T20:00 queue campaign/rsvp[%2342]/ann/1/3/missed",
			"01-13T20:00 exit finished (key \"#42\")",
		},
		"bob": {
			"01-01T09:00 enter run 1 (key \"#42\")",
			"01-01T09:00 queue campaign/rsvp[%2342]/bob/1/1/confirm",
			"01-03T09:00 skip reminder: until 2026-01-02T18:00:00Z had passed (key \"#42\")",
			"01-03T20:00 queue campaign/rsvp[%2342]/bob/1/2/missed",
			"01-03T20:00 exit finished (key \"#42\")",
		},
	}
	for member, w := range want {
		if got := campaignOutcomes(outs, member); strings.Join(got, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s:\n%s\nwant\n%s", member, strings.Join(got, "\n"), strings.Join(w, "\n"))
		}
	}
}
