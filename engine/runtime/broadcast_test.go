package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// A monthly digest on the 1st at 10:00 Berlin (09:00 UTC in winter) to
// the members who posted: ann posts before the first occurrence and gets
// January's and February's, each a run of its own keyed by the date; bo
// posts on January 2nd and gets February's only; cy posts no more and
// leaves the segment (30 days without a post) before February, so gets
// January's only. No member enters on segment.entered.
const broadcastConfig = templates + `
segment "posters" {
  when = "count('message.posted', '30d') > 0"
}
campaign "digest" {
  audience = segment.posters
  schedule {
    every     = "month"
    day       = 1
    at        = "10:00"
    time_zone = "Europe/Berlin"
  }
  step "send" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`

func TestBroadcastMonthly(t *testing.T) {
	cfg := load(t, broadcastConfig)
	// Day 0 is 2026-01-01; the events go to day 40 so February's
	// occurrence (day 31) is run.
	lines := []string{
		ev("a1", "message.posted", "ann", -5, 9, ""),
		ev("c1", "message.posted", "cy", -4, 9, ""),
		ev("b1", "message.posted", "bo", 1, 9, ""),
		ev("a2", "message.posted", "ann", 20, 9, ""),
		ev("b2", "message.posted", "bo", 15, 9, ""),
		ev("tick", "message.posted", "other", 40, 0, ""),
	}
	want := map[string][]string{
		"ann": {
			`01-01T09:00 enter run 1 (key "2026-01-01")`,
			`01-01T09:00 queue campaign/digest[2026-01-01]/ann/1/1/send`,
			`01-01T09:00 exit finished (key "2026-01-01")`,
			`02-01T09:00 enter run 1 (key "2026-02-01")`,
			`02-01T09:00 queue campaign/digest[2026-02-01]/ann/1/1/send`,
			`02-01T09:00 exit finished (key "2026-02-01")`,
		},
		"bo": {
			`02-01T09:00 enter run 1 (key "2026-02-01")`,
			`02-01T09:00 queue campaign/digest[2026-02-01]/bo/1/1/send`,
			`02-01T09:00 exit finished (key "2026-02-01")`,
		},
		"cy": {
			`01-01T09:00 enter run 1 (key "2026-01-01")`,
			`01-01T09:00 queue campaign/digest[2026-01-01]/cy/1/1/send`,
			`01-01T09:00 exit finished (key "2026-01-01")`,
		},
	}
	ctx := context.Background()
	for name, open := range reopenableStores() {
		t.Run(name, func(t *testing.T) {
			open := open(t)
			var outs []state.Outcome
			// Each line on a store opened afresh (SQLite reads the
			// member back each time), and the whole stream a second
			// time: events are applied once by id, and an occurrence
			// is never run twice.
			for _, l := range append(lines, lines...) {
				if _, err := simulate.Run(ctx, cfg, strings.NewReader(l), simulate.Options{Store: open(), Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil }}); err != nil {
					t.Fatal(err)
				}
			}
			for member, w := range want {
				if got := campaignOutcomes(outs, member); strings.Join(got, "\n") != strings.Join(w, "\n") {
					t.Errorf("%s:\n%s\nwant\n%s", member, strings.Join(got, "\n"), strings.Join(w, "\n"))
				}
			}
		})
	}
}

// A schedule added by a reload reaches the members already in the
// audience through the sweep (Reevaluate): each gets the next occurrence
// as a recheck, with no event of theirs, and only the next one, not one
// before the reload. Removing the schedule clears it again.
func TestBroadcastAddedByReload(t *testing.T) {
	const segment = `
segment "everyone" {
  when = "true"
}
`
	before := load(t, templates+segment)
	after := load(t, templates+segment+`
campaign "digest" {
  audience = segment.everyone
  schedule {
    every     = "month"
    day       = 1
    at        = "10:00"
    time_zone = "Europe/Berlin"
  }
  step "send" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	if runtime.MemberRules(before) == runtime.MemberRules(after) {
		t.Fatal("a schedule added leaves the rules' fingerprint alone: no sweep would set the occurrences")
	}
	ctx := context.Background()
	store := state.NewMemory()
	at := time.Date(2025, 12, 20, 10, 0, 0, 0, time.UTC)
	commit := func(f func(b state.Batch) error) {
		t.Helper()
		b, err := store.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := f(b); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	old := runtime.New(before, nil)
	commit(func(b state.Batch) error {
		_, err := old.Apply(ctx, b, &events.Event{ID: "j", Type: "member.joined", Member: events.Member{ID: "ann"}, At: at})
		return err
	})
	// Reloaded on 2026-01-05: the occurrence of 2026-01-01 had passed.
	rt := runtime.New(after, nil)
	reload := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	commit(func(b state.Batch) error {
		_, _, err := rt.Reevaluate(ctx, b, []string{"ann"}, reload)
		return err
	})
	var ann *state.Member
	commit(func(b state.Batch) error {
		var err error
		ann, err = b.Member("ann")
		return err
	})
	if want := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC); !ann.RecheckAt.Equal(want) {
		t.Fatalf("ann's recheck at %v after the reload; want February's occurrence, %v", ann.RecheckAt, want)
	}
	var outs []state.Outcome
	commit(func(b state.Batch) error {
		_, o, err := rt.Recheck(ctx, b, time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC), 10)
		outs = o
		return err
	})
	got := campaignOutcomes(outs, "ann")
	if len(got) == 0 || got[0] != `02-01T09:00 enter run 1 (key "2026-02-01")` {
		t.Fatalf("outcomes of the recheck:\n%s\nwant February's run", strings.Join(got, "\n"))
	}
	// Removed again: the sweep clears the occurrence.
	plain := runtime.New(before, nil)
	commit(func(b state.Batch) error {
		_, _, err := plain.Reevaluate(ctx, b, []string{"ann"}, time.Date(2026, 2, 5, 0, 0, 0, 0, time.UTC))
		return err
	})
	commit(func(b state.Batch) error {
		var err error
		ann, err = b.Member("ann")
		return err
	})
	if !ann.RecheckAt.IsZero() {
		t.Errorf("ann still has a recheck at %v with no schedule", ann.RecheckAt)
	}
}

// With time_zone = "member" each member gets the occurrence at ten on
// their own clock, keyed by the date there; quiet hours hold a send as
// in any campaign.
func TestBroadcastMemberZoneAndQuietHours(t *testing.T) {
	cfg := load(t, templates+`
segment "everyone" {
  when = "true"
}
campaign "daily" {
  audience = segment.everyone
  schedule {
    every     = "day"
    at        = "10:00"
    time_zone = "member"
    starts    = "2026-01-02T00:00:00Z"
    ends      = "2026-01-02T23:59:00Z"
  }
  step "send" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
campaign "weekly" {
  audience = segment.everyone
  schedule {
    every     = "week"
    day       = "friday"
    at        = "23:00"
    time_zone = "UTC"
  }
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "send" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`)
	_, outs, _ := run(t, cfg, ev("t", "member.joined", "tokyo", 0, 0, `{"timezone":"Asia/Tokyo"}`)+
		ev("u", "member.joined", "utc", 0, 0, "")+
		ev("tick", "message.posted", "other", 4, 0, ""))
	want := map[string][]string{
		// 2026-01-02 10:00 in Tokyo is 01:00 UTC; the weekly one on
		// Friday 2026-01-02 at 23:00 UTC is 08:00 in Tokyo, past the
		// quiet hours there, and inside them in UTC until 08:00.
		"tokyo": {
			`01-02T01:00 enter run 1 (key "2026-01-02")`,
			`01-02T01:00 queue campaign/daily[2026-01-02]/tokyo/1/1/send`,
			`01-02T01:00 exit finished (key "2026-01-02")`,
			`01-02T23:00 enter run 1 (key "2026-01-02")`,
			`01-02T23:00 queue campaign/weekly[2026-01-02]/tokyo/1/1/send`,
			`01-02T23:00 exit finished (key "2026-01-02")`,
		},
		"utc": {
			`01-02T10:00 enter run 1 (key "2026-01-02")`,
			`01-02T10:00 queue campaign/daily[2026-01-02]/utc/1/1/send`,
			`01-02T10:00 exit finished (key "2026-01-02")`,
			`01-02T23:00 enter run 1 (key "2026-01-02")`,
			`01-02T23:00 defer send: quiet hours until 2026-01-03T08:00:00Z (key "2026-01-02")`,
			`01-03T08:00 queue campaign/weekly[2026-01-02]/utc/1/1/send`,
			`01-03T08:00 exit finished (key "2026-01-02")`,
		},
	}
	for member, w := range want {
		if got := campaignOutcomes(outs, member); strings.Join(got, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s:\n%s\nwant\n%s", member, strings.Join(got, "\n"), strings.Join(w, "\n"))
		}
	}
}
