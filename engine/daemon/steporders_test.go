package daemon_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
)

// orderCampaign is a campaign of steps that each wait two days and send.
func orderCampaign(steps ...string) string {
	var b strings.Builder
	b.WriteString(`
template "hi" {
  text = { en = "Hi" }
}
campaign "tour" {
  community = community.c
  enter_on  = "member.joined"
`)
	for i, s := range steps {
		wait := "2d"
		if i == 0 {
			wait = "0s"
		}
		fmt.Fprintf(&b, `  step %q {
    wait = %q
    send {
      channel  = "dm"
      template = template.hi
    }
  }
`, s, wait)
	}
	b.WriteString("}\n")
	return b.String()
}

// settableClock is a daemon clock standing at t0 until the test sets it:
// set moves it, opt gives it to a daemon.
func settableClock(t0 time.Time) (set func(time.Time), opt func(*daemon.Options)) {
	var now atomic.Pointer[time.Time]
	set = func(at time.Time) { now.Store(&at) }
	set(t0)
	return set, func(o *daemon.Options) { o.Now = func() time.Time { return *now.Load() } }
}

// stepsSentTo waits until f has queued n messages to member, gives it a
// moment to queue any more, and returns the steps of all it queued.
func stepsSentTo(t *testing.T, f *fixture, member string, n int) string {
	t.Helper()
	steps := func() []string {
		entries, err := f.store.MemberOutbox(context.Background(), member)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Step)
		}
		return out
	}
	waitFor(t, func() bool { return len(steps()) >= n })
	time.Sleep(100 * time.Millisecond) // anything more would show now
	return strings.Join(steps(), " ")
}

// A member waiting on a step that an edit removes, while the same edit
// inserts a step earlier, goes on to the step that followed theirs in
// the order they were on: not to the step now at their index, which
// they already had. It holds after a reload and after a restart with
// the files edited meanwhile, when the old configuration is gone.
func TestRemovedStepGoesOnToItsSuccessor(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(map[bool]string{false: "reload", true: "restart"}[restart], func(t *testing.T) {
			t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			set, clock := settableClock(t0)
			f := start(t, orderCampaign("a", "b", "c"), "", clock)
			join := fmt.Sprintf(`{"id":"j1","type":"member.joined","member":"u","at":%q}`+"\n", t0.Format(time.RFC3339))
			if code, body := post(t, f, "/v1/events", join, ""); code != http.StatusAccepted {
				t.Fatalf("join: %d %v", code, body)
			}
			// u had a and waits on b; the edit drops b and puts x first.
			write(t, f.dir, "rules.hcl", orderCampaign("x", "a", "c"))
			g := f
			if restart {
				f.stop()
				g = startOn(t, f.dir, f.db, "", clock)
			} else if code, body := post(t, f, "/v1/reload", "", ""); code != http.StatusOK {
				t.Fatalf("reload: %d %v", code, body)
			}
			set(t0.Add(50 * time.Hour)) // b's wait is over
			if got := stepsSentTo(t, g, "u", 2); got != "a c" {
				t.Errorf("u was sent %q; want %q", got, "a c")
			}
		})
	}
}

// The recorded step order forgets a removed step's name once no run is
// on it or goes on through it, at the population scan: here a, which u
// had already, at the first scan after the edit; b, which u waits on,
// only once u has gone on to c; and the removed campaign "gone", which
// nobody entered, at once. u still goes on from b to c in between.
func TestRemovedStepNamesForgotten(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	set, clock := settableClock(t0)
	gone := `
campaign "gone" {
  enter_on = "reaction.added"
  step "g" {
    wait = "1d"
  }
}
`
	f := start(t, orderCampaign("a", "b", "c")+gone, "", clock)
	join := fmt.Sprintf(`{"id":"j1","type":"member.joined","member":"u","at":%q}`+"\n", t0.Format(time.RFC3339))
	if code, body := post(t, f, "/v1/events", join, ""); code != http.StatusAccepted {
		t.Fatalf("join: %d %v", code, body)
	}
	record := func() string {
		t.Helper()
		s, err := f.store.Cursor(ctx, config.StepOrdersRecord)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	scan := func() {
		t.Helper()
		if code, body := get(t, f, "/v1/population"); code != http.StatusOK {
			t.Fatalf("population: %d %v", code, body)
		}
	}
	scan()
	if got, want := record(), `{"gone":{"g":""},"tour":{"a":"b","b":"c","c":""}}`; got != want {
		t.Fatalf("record before the edit: %s; want %s", got, want)
	}

	// u had a and waits on b; the edit drops a, b and the campaign gone.
	write(t, f.dir, "rules.hcl", orderCampaign("x", "c"))
	if code, body := post(t, f, "/v1/reload", "", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %v", code, body)
	}
	scan()
	if got, want := record(), `{"tour":{"b":"c","c":"","x":"c"}}`; got != want {
		t.Fatalf("record with u on b: %s; want %s", got, want)
	}

	set(t0.Add(50 * time.Hour)) // b's wait is over: u goes on to c
	waitFor(t, func() bool {
		entries, err := f.store.MemberOutbox(ctx, "u")
		if err != nil {
			t.Fatal(err)
		}
		return len(entries) >= 2
	})
	entries, _ := f.store.MemberOutbox(ctx, "u")
	var steps []string
	for _, e := range entries {
		steps = append(steps, e.Step)
	}
	if got := strings.Join(steps, " "); got != "a c" {
		t.Errorf("u was sent %q; want %q", got, "a c")
	}
	scan()
	if got, want := record(), `{"tour":{"c":"","x":"c"}}`; got != want {
		t.Fatalf("record with u on c: %s; want %s", got, want)
	}
}

// A step renamed with a moved block keeps the runs waiting at it: u,
// waiting on b when b becomes bb, is sent bb when b's wait is over (not
// sent on past it to c), after a reload and after a restart with the
// files edited meanwhile. The sweep the moved block starts carries u's
// stored step over to the new name, with the time u got there, so the
// block can go once it is done; and the reload removed no step.
func TestMovedStepKeepsItsRuns(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(map[bool]string{false: "reload", true: "restart"}[restart], func(t *testing.T) {
			t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			set, clock := settableClock(t0)
			f := start(t, orderCampaign("a", "b", "c"), "", clock)
			join := fmt.Sprintf(`{"id":"j1","type":"member.joined","member":"u","at":%q}`+"\n", t0.Format(time.RFC3339))
			if code, body := post(t, f, "/v1/events", join, ""); code != http.StatusAccepted {
				t.Fatalf("join: %d %v", code, body)
			}
			write(t, f.dir, "rules.hcl", orderCampaign("a", "bb", "c")+`
moved {
  from = campaign.tour.step.b
  to   = campaign.tour.step.bb
}
`)
			g := f
			if restart {
				f.stop()
				g = startOn(t, f.dir, f.db, "", clock)
			} else if code, body := post(t, f, "/v1/reload", "", ""); code != http.StatusOK || body["removed_steps"] != nil {
				t.Fatalf("reload: %d %v; want no removed_steps", code, body)
			}
			waitFor(t, func() bool { run := runOf(t, g, "u", "tour"); return run != nil && run.StepName == "bb" })
			if run := runOf(t, g, "u", "tour"); !run.StepAt.Equal(t0) || !run.Due.Equal(t0.Add(48*time.Hour)) {
				t.Errorf("u's run carried over to bb at %v, due %v; want its time at b (%v) and b's due time kept", run.StepAt, run.Due, t0)
			}
			set(t0.Add(50 * time.Hour)) // b's wait is over
			if got := stepsSentTo(t, g, "u", 2); got != "a bb" {
				t.Errorf("u was sent %q; want %q", got, "a bb")
			}
		})
	}
}

// A reload that removes a step of a campaign it keeps, with no moved
// block, counts the runs waiting at it and says where they go, in its
// answer, the status and a warning with the moved block that would
// have kept them.
func TestReloadRemovingStepCountsItsRuns(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", base)
	write(t, dir, "rules.hcl", orderCampaign("a", "b", "c"))
	f, logs := startLogged(t, dir)
	joinAnHourAgo(t, f, "j1", "m1")
	joinAnHourAgo(t, f, "j2", "m2")
	waitFor(t, func() bool { run := runOf(t, f, "m2", "tour"); return run != nil && run.StepName == "b" })
	write(t, dir, "rules.hcl", orderCampaign("a", "bb", "c"))
	code, body := post(t, f, "/v1/reload", "", "")
	if code != http.StatusOK {
		t.Fatalf("reload: %d %v", code, body)
	}
	want := "[map[active_runs:2 campaign:tour goes_on:c step:b]]"
	if got := fmt.Sprint(body["removed_steps"]); got != want {
		t.Errorf("removed_steps: %s; want %s", got, want)
	}
	if _, st := get(t, f, "/v1/status"); fmt.Sprint(st["last_reload"].(map[string]any)["removed_steps"]) != want {
		t.Errorf("status last_reload: %v", st["last_reload"])
	}
	for _, s := range []string{`msg="the reload removed a step of a campaign with runs waiting at it: each moves on (then) when its wait is over, without the step's send"`,
		`campaign=tour step=b active_runs=2 then="go on to step c"`,
		"add moved { from = campaign.tour.step.b  to = campaign.tour.step.NEW }"} {
		if !strings.Contains(logs.String(), s) {
			t.Errorf("the log does not say %q:\n%s", s, logs.String())
		}
	}
}
