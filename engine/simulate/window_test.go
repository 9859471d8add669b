package simulate_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

const windowRules = `
platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

incentive "post" {
  on = "message.posted"
  grant {
    points = 2
  }
}

event "message.flagged" {}

incentive "spam" {
  on = "message.flagged"
  grant {
    points = -1
  }
}

incentive "third_post" {
  on   = "message.posted"
  when = "member.messages >= 3"
  once = true
  grant {
    badge = badge.poster
  }
}

badge "poster" {
  title = "Poster"
}

badge "unused" {
  title = "Unused"
}

tier "regular" {
  rank = 1
  when = "member.points >= 6"
}
`

func loadRules(t *testing.T, rules string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/main.hcl", []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

// -from warms up on the events before it: a member's fourth post in the
// window is their fourth, so the badge for the third and the tier their
// points reach are already theirs, and the window counts only what it
// adds. -cold starts every member from nothing instead.
func TestWindowWarmsUp(t *testing.T) {
	cfg := loadRules(t, windowRules)
	events := `{"id":"j","type":"member.joined","member":"ann","at":"2026-09-01T10:00:00Z"}
{"id":"p1","type":"message.posted","member":"ann","at":"2026-09-02T10:00:00Z"}
{"id":"p2","type":"message.posted","member":"ann","at":"2026-09-03T10:00:00Z"}
{"id":"p3","type":"message.posted","member":"ann","at":"2026-09-04T10:00:00Z"}
{"id":"f1","type":"message.flagged","member":"ann","at":"2026-09-05T10:00:00Z"}
{"id":"p4","type":"message.posted","member":"ann","at":"2026-10-02T10:00:00Z"}
{"id":"f2","type":"message.flagged","member":"ann","at":"2026-10-03T10:00:00Z"}
{"id":"p5","type":"message.posted","member":"ann","at":"2026-11-02T10:00:00Z"}
`
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 10, 31, 23, 59, 59, 0, time.UTC)
	run := func(cold bool) (*simulate.Summary, []state.Outcome) {
		t.Helper()
		var outs []state.Outcome
		sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(events), simulate.Options{From: from, To: to, Cold: cold,
			Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil }})
		if err != nil {
			t.Fatal(err)
		}
		return sum, outs
	}

	warm, outs := run(false)
	if warm.Schema != simulate.Schema {
		t.Errorf("schema %q", warm.Schema)
	}
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"events", warm.Events, 2},
		{"warm-up events", warm.Warmup, 5},
		{"skipped (after -to)", warm.Skipped, 1},
		{"members", warm.Members, 1},
		{"post grants", warm.Firings["post"], 1},
		{"third_post grants", warm.Firings["third_post"], 0},
		{"points granted", warm.Granted, 2},
		{"points deducted", warm.Deducted, 1},
		{"points net", warm.Points, 1},
		{"poster awards", warm.Awards["poster"], 0},
		{"poster holders", warm.Badges["poster"], 1},
		{"regular members", warm.Tiers["regular"], 1},
	} {
		if c.got != c.want {
			t.Errorf("warm: %s = %d, want %d", c.what, c.got, c.want)
		}
	}
	if len(outs) == 0 {
		t.Fatal("warm: no outcomes")
	}
	for _, o := range outs {
		if o.At.Before(from) || o.At.After(to) {
			t.Errorf("warm: outcome outside the window: %+v", o)
		}
	}
	if !warm.From.Equal(from) || !warm.To.Equal(to) || warm.Cold {
		t.Errorf("warm: window %v to %v, cold %v", warm.From, warm.To, warm.Cold)
	}

	cold, _ := run(true)
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"events", cold.Events, 2},
		{"warm-up events", cold.Warmup, 0},
		{"skipped (before -from and after -to)", cold.Skipped, 6},
		{"post grants", cold.Firings["post"], 1},
		{"poster holders", cold.Badges["poster"], 0},
		{"regular members", cold.Tiers["regular"], 0},
	} {
		if c.got != c.want {
			t.Errorf("cold: %s = %d, want %d", c.what, c.got, c.want)
		}
	}
	if !cold.Cold {
		t.Error("cold: the summary does not say so")
	}

	// Configured and zero is listed; not configured is not.
	for name, m := range map[string]map[string]int{"firings": warm.Firings, "badge_awards": warm.Awards, "badge_holders": warm.Badges} {
		for _, k := range []string{"spam", "third_post", "unused", "post", "poster"} {
			_, listed := m[k]
			configured := (name == "firings") == (k == "spam" || k == "third_post" || k == "post")
			if listed != configured {
				t.Errorf("%s[%s] listed %v, configured %v", name, k, listed, configured)
			}
		}
	}
}

// Cut at any time, the window before it (-to) and the one after it
// (-from, warmed up on the first) add up to the whole: every grant and
// award is counted once, in one window or the other, and the runs under
// way at the cut are the second window's carried in.
func TestWindowsAddUp(t *testing.T) {
	cfg, _, diags := config.Load("../../examples/quickstart", config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	run := func(opt simulate.Options) *simulate.Summary {
		t.Helper()
		f, err := os.Open("../../examples/quickstart/events.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sum, err := simulate.Run(context.Background(), cfg, f, opt)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	whole := run(simulate.Options{})
	carried := 0
	for _, cut := range []time.Time{time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)} {
		before := run(simulate.Options{To: cut.Add(-time.Nanosecond)})
		after := run(simulate.Options{From: cut, To: whole.To.Time})
		if before.Events+after.Events != whole.Events || after.Warmup != before.Events {
			t.Errorf("cut %s: events %d + %d (warm-up %d), want %d", cut, before.Events, after.Events, after.Warmup, whole.Events)
		}
		for name, n := range whole.Firings {
			if got := before.Firings[name] + after.Firings[name]; got != n {
				t.Errorf("cut %s: %s grants %d + %d, want %d", cut, name, before.Firings[name], after.Firings[name], n)
			}
		}
		for name, n := range whole.Awards {
			if got := before.Awards[name] + after.Awards[name]; got != n {
				t.Errorf("cut %s: %s awards %d + %d, want %d", cut, name, before.Awards[name], after.Awards[name], n)
			}
		}
		if before.Points+after.Points != whole.Points || before.Granted+after.Granted != whole.Granted {
			t.Errorf("cut %s: points %d + %d, want %d", cut, before.Points, after.Points, whole.Points)
		}
		// The state at the end is the whole replay's.
		for name, n := range whole.Tiers {
			if after.Tiers[name] != n {
				t.Errorf("cut %s: tier %q has %d members, want %d", cut, name, after.Tiers[name], n)
			}
		}
		for name, f := range after.Campaigns {
			carried += f.CarriedIn
			if ended := f.Goal + f.Exited + f.Finished + f.Left + f.Stopped; f.CarriedIn+f.Entered != ended+f.Active || f.Ended() != ended {
				t.Errorf("cut %s: campaign %s: carried in %d + entered %d != ended %d + active %d", cut, name, f.CarriedIn, f.Entered, ended, f.Active)
			}
			b := before.Campaigns[name]
			if b.Active != f.CarriedIn {
				t.Errorf("cut %s: campaign %s: %d runs active at the cut, %d carried in", cut, name, b.Active, f.CarriedIn)
			}
			if b.Entered+f.Entered != whole.Campaigns[name].Entered {
				t.Errorf("cut %s: campaign %s entered %d + %d, want %d", cut, name, b.Entered, f.Entered, whole.Campaigns[name].Entered)
			}
		}
	}
	if carried == 0 {
		t.Error("no run carried in at any cut")
	}
}
