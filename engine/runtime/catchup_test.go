package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// A member's own next event sees the state its due rechecks would have
// made, whether or not the recheck loop reached it first: results do not
// depend on timing.
func TestEventsCatchUpOnMissedRechecks(t *testing.T) {
	cfg := load(t, `
segment "active" {
  when = "count('message.posted', '7d') >= 2"
}
segment "newcomer" {
  when = "member.days_since_joined < 3"
}
incentive "welcome_reply" {
  on   = "message.posted"
  when = "in_segment('newcomer')"
  grant { points = 5 }
}
incentive "regular_reply" {
  on   = "message.posted"
  when = "!in_segment('active')"
  grant { points = 1 }
}
`)
	var stream []events.Event
	for _, line := range strings.Split(strings.TrimSpace(
		ev("j", "member.joined", "u", 0, 9, "")+
			ev("m1", "message.posted", "u", 0, 10, "")+
			ev("m2", "message.posted", "u", 1, 10, "")+
			ev("m3", "message.posted", "u", 5, 10, "")+ // newcomer left on day 3
			ev("m4", "message.posted", "u", 9, 10, "")+ // active left on day 7
			ev("m5", "message.posted", "u", 30, 10, "")), "\n") {
		e, err := events.Parse([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, e)
	}
	replay := func(loop bool) (string, *state.Member) {
		ctx := context.Background()
		store := state.NewMemory()
		rt := runtime.New(cfg, nil)
		var log []string
		for i := range stream {
			b, _ := store.Begin(ctx)
			var outs []state.Outcome
			if loop {
				// Without it, the recheck loop has not come round yet, as
				// in a daemon between ticks or with a commit in flight.
				var err error
				if _, outs, err = rt.Recheck(ctx, b, stream[i].At, 100); err != nil {
					t.Fatal(err)
				}
			}
			res, err := rt.Apply(ctx, b, &stream[i])
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range append(outs, res.Outcomes...) {
				log = append(log, fmt.Sprintf("%s %s %s %s %d", o.At.Format("01-02"), o.Kind, o.Name, o.Change, o.Points))
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		return strings.Join(log, "\n"), storedMember(t, store, "u")
	}
	withLoop, a := replay(true)
	without, b := replay(false)
	if withLoop != without {
		t.Errorf("outcomes differ with and without the recheck loop\nwith:\n%s\nwithout:\n%s", withLoop, without)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("member differs\nwith:    %s\nwithout: %s", ja, jb)
	}
	// m3 earns nothing (no longer a newcomer, still active) and m4 earns
	// 1 (active was left on day 8): both saw what time alone changed.
	if want := 6 + 6 + 0 + 1 + 1; a.Points != want {
		t.Errorf("points %d; want %d\n%s", a.Points, want, withLoop)
	}
}

// preloading is a batch that records what it was asked to preload.
type preloading struct {
	state.Batch
	asked [][]string
}

func (p *preloading) Preload(_, members []string) error {
	p.asked = append(p.asked, members)
	return nil
}

// The members a recheck finds due are read in one go, where the store can:
// they are due because time passed, so most are not in memory.
func TestRecheckPreloadsDueMembers(t *testing.T) {
	cfg := load(t, `
segment "newcomer" {
  when = "member.days_since_joined < 3"
}
`)
	ctx := context.Background()
	store := state.NewMemory()
	rt := runtime.New(cfg, nil)
	b, _ := store.Begin(ctx)
	for _, line := range []string{ev("j1", "member.joined", "u1", 0, 9, ""), ev("j2", "member.joined", "u2", 0, 10, ""), ev("j3", "member.joined", "u3", 2, 10, "")} {
		e, err := events.Parse([]byte(strings.TrimSpace(line)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rt.Apply(ctx, b, &e); err != nil {
			t.Fatal(err)
		}
	}
	_ = b.Commit()
	b, _ = store.Begin(ctx)
	p := &preloading{Batch: b}
	due := time.Date(2026, 1, 4, 12, 0, 0, 0, time.UTC) // u1 and u2 are three days in, u3 two
	n, _, err := rt.Recheck(ctx, p, due, 10)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Commit()
	if n != 2 || len(p.asked) != 1 || strings.Join(p.asked[0], ",") != "u1,u2" {
		t.Fatalf("rechecked %d, preloaded %v; want 2 and one preload of u1,u2", n, p.asked)
	}
}

// An event that arrives after the recheck loop has taken its member
// further in time (a platform's delayed delivery, or a backfill fed to a
// running daemon) is applied at its own time, and the member is then due
// again where it had been evaluated: time-dependent rules must not be
// left as of the late event. Here the late post's window ends on
// day 4, long before the member's last recheck on day 10, so no recheck
// of its own would come.
func TestLateEventCatchesForward(t *testing.T) {
	cfg := load(t, `
segment "lurker" {
  when = "member.days_since_joined >= 1 && count('message.posted', '3d') == 0"
}
segment "veteran" {
  when = "member.days_since_joined >= 9"
}
`)
	parse := func(line string) events.Event {
		e, err := events.Parse([]byte(strings.TrimSpace(line)))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	joined := parse(ev("j", "member.joined", "u", 0, 9, ""))
	post := parse(ev("p", "message.posted", "u", 1, 10, ""))
	until := time.Date(2026, 1, 13, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	replay := func(order ...*events.Event) *state.Member {
		store := state.NewMemory()
		rt := runtime.New(cfg, nil)
		for _, e := range order {
			// nil is the recheck loop, run until nothing is due, a batch
			// a round, as the daemon's does at every tick.
			for done := false; !done; {
				b, _ := store.Begin(ctx)
				if e == nil {
					n, _, err := rt.Recheck(ctx, b, until, 100)
					if err != nil {
						t.Fatal(err)
					}
					done = n == 0
				} else if _, err := rt.Apply(ctx, b, e); err != nil {
					t.Fatal(err)
				} else {
					done = true
				}
				if err := b.Commit(); err != nil {
					t.Fatal(err)
				}
			}
		}
		return storedMember(t, store, "u")
	}
	segments := func(m *state.Member) string {
		var names []string
		for s := range m.Segments {
			names = append(names, s)
		}
		slices.Sort(names)
		return strings.Join(names, ",")
	}
	inOrder := replay(&joined, &post, nil)
	// The late post makes its member due at once: the loop's next round
	// looks at it again.
	late := replay(&joined, nil, &post, nil)
	if got := segments(inOrder); got != "lurker,veteran" {
		t.Fatalf("in order: segments %q; want lurker,veteran", got)
	}
	if got, want := segments(late), segments(inOrder); got != want {
		t.Errorf("late post: segments %q; want %q, as when it came in order", got, want)
	}
	if !late.EvaluatedAt.Equal(inOrder.EvaluatedAt) {
		t.Errorf("late post: evaluated at %v; want %v", late.EvaluatedAt, inOrder.EvaluatedAt)
	}
}

// storedMember reads member id as the store holds it.
func storedMember(t *testing.T, store state.Store, id string) *state.Member {
	t.Helper()
	b, err := store.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback()
	m, err := b.Member(id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// applyAll applies events to store one batch each, nil being a run of
// the recheck loop at until, as replicas' partitions or a late delivery
// would bring them.
func applyAll(t *testing.T, rt *runtime.Runtime, store state.Store, until time.Time, lines ...string) {
	t.Helper()
	ctx := context.Background()
	for _, line := range lines {
		for done := false; !done; {
			b, err := store.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if line == "" {
				n, _, err := rt.Recheck(ctx, b, until, 100)
				if err != nil {
					t.Fatal(err)
				}
				done = n == 0
			} else {
				e, err := events.Parse([]byte(strings.TrimSpace(line)))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := rt.Apply(ctx, b, &e); err != nil {
					t.Fatal(err)
				}
				done = true
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Rules on an event read the member's counts as of the event's day. With
// replicas, a reaction credits its author from the reacting member's
// partition, which can be ahead of the author's own: here the reaction of
// day 30 is applied before the author's post of day 10, and the post's
// rule must not count it (it did: a badge 20 days early, where one
// process gives none for that post).
func TestRulesCountAsOfTheirEvent(t *testing.T) {
	cfg := load(t, `
badge "liked" {}
incentive "liked" {
  on   = "message.posted"
  when = "total('reaction.received') >= 1 && member.reactions == 0"
  once = true
  grant { badge = badge.liked }
}
`)
	until := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	store := state.NewMemory()
	rt := runtime.New(cfg, nil)
	applyAll(t, rt, store, until,
		ev("j", "member.joined", "ann", 0, 9, ""),
		ev("r", "reaction.added", "cat", 30, 9, `{"target_member":"ann"}`),
		ev("p1", "message.posted", "ann", 10, 9, ""),
		"")
	if ann := storedMember(t, store, "ann"); ann.Badges["liked"] != nil {
		t.Fatalf("post of day 10 counted the reaction of day 30: badge %+v", ann.Badges["liked"])
	}
	applyAll(t, rt, store, until,
		ev("ra", "reaction.added", "ann", 32, 9, `{"target_member":"cat"}`),
		ev("p2", "message.posted", "ann", 31, 9, ""))
	ann := storedMember(t, store, "ann")
	want := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, 31)
	if h := ann.Badges["liked"]; h == nil || !h.First.Equal(want) {
		t.Fatalf("badge %+v; want one awarded at %v, the post after the reaction", h, want)
	}
	// member.reactions is as of the event too: ann's own reaction of
	// day 32, applied first, did not stop the badge of day 31.
	if ann.Total("reaction.added") != 1 || ann.Total("reaction.received") != 1 {
		t.Errorf("totals %+v", ann.Types)
	}
}

// A late event's rules see counts as of its day, lower than the member's
// rules last saw; the recheck it makes due at the time the member had
// been evaluated at looks at every rule again, so one that reads only
// member.messages (and no time) ends as it would in order.
func TestLateEventRecheckReadsEveryRule(t *testing.T) {
	cfg := load(t, `
segment "talker" {
  when = "member.messages >= 2"
}
`)
	until := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	store := state.NewMemory()
	rt := runtime.New(cfg, nil)
	applyAll(t, rt, store, until,
		ev("j", "member.joined", "ann", 0, 9, ""),
		ev("p20", "message.posted", "ann", 20, 9, ""),
		ev("p21", "message.posted", "ann", 21, 9, ""),
		ev("p5", "message.posted", "ann", 5, 9, ""))
	// The late post of day 5 counts one message then: out.
	if _, in := storedMember(t, store, "ann").Segments["talker"]; in {
		t.Fatal("after the late post: in talker; want out, one message as of day 5")
	}
	applyAll(t, rt, store, until, "")
	ann := storedMember(t, store, "ann")
	if _, ok := ann.Segments["talker"]; !ok {
		t.Errorf("after the recheck: segments %v; want talker, as in order", ann.Segments)
	}
	if !ann.RecheckAt.IsZero() && !ann.RecheckAt.After(ann.EvaluatedAt) {
		t.Errorf("recheck at %v, evaluated at %v: still due", ann.RecheckAt, ann.EvaluatedAt)
	}
}
