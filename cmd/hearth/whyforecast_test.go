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
)

// forumHistory writes the events of a regular of the Discourse example
// (trust level 3): 50 days of visits from 2026-01-11, 61 posts read on
// the first and 11 on each other, so that keep's 540 posts read in 100
// days fails when 2026-01-11 leaves the window, at 2026-04-21 00:00 UTC.
// Member lee has the same history and is silenced on 2026-03-05, inside
// the 14 days of grace after the promotion: keep fails then, and the
// grace period's end demotes.
func forumHistory(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	n := 0
	ev := func(member, typ string, at time.Time, attrs string) {
		n++
		fmt.Fprintf(&b, `{"id":"e%05d","type":%q,"member":{"id":%q},"at":%q,"source":"test","attrs":{%s}}`+"\n", n, typ, member, at.Format(time.RFC3339), attrs)
	}
	for _, m := range []string{"kim", "lee"} {
		start := time.Date(2026, 1, 11, 10, 0, 0, 0, time.UTC)
		ev(m, "member.joined", start.Add(-time.Hour), "")
		for i := range 50 {
			d := start.AddDate(0, 0, i)
			ev(m, "forum.visited", d, "")
			reads := 11
			if i == 0 {
				reads = 61
			}
			for j := range reads {
				ev(m, "post.read", d.Add(time.Duration(j+1)*time.Second), fmt.Sprintf(`"post_id":"p%d_%d"`, i, j))
			}
			if i == 0 {
				continue
			}
			for j := range 5 {
				ev(m, "topic.entered", d.Add(5*time.Minute+time.Duration(j)*time.Second), fmt.Sprintf(`"topic_id":"t%d_%d"`, i, j))
			}
			for k, typ := range []string{"topic.replied", "like.given", "like.received"} {
				ev(m, typ, d.Add(time.Duration(6+k)*time.Minute), "")
			}
			ev(m, "reading.time", d.Add(9*time.Minute), fmt.Sprintf(`"minutes":%d`, 2*i))
			ev(m, "reading.time", d.Add(10*time.Minute), fmt.Sprintf(`"minutes":%d`, 2*i+1))
		}
	}
	ev("lee", "account.silenced", time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC), "")
	path := filepath.Join(t.TempDir(), "forum.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// forumCLI runs hearth commands with the clock at 2026-11-25, long after
// the history.
func forumCLI() (cli func(args ...string) int, out, errb *bytes.Buffer) {
	out, errb = &bytes.Buffer{}, &bytes.Buffer{}
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	s := &stdio{in: bytes.NewReader(nil), out: out, err: errb, lookupEnv: func(string) (string, bool) { return "", false },
		now: func() time.Time { return now }}
	return func(args ...string) int {
		out.Reset()
		errb.Reset()
		return run(context.Background(), args, s)
	}, out, errb
}

// demotions are the tier demotions of a member in an outcomes file, by
// time.
func demotions(t *testing.T, path, member string) []time.Time {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var at []time.Time
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var o struct {
			Kind, Member, Change, Name string
			At                         time.Time
		}
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		if o.Kind == "tier" && o.Member == member && o.Change == "demote" && o.Name == "regular" {
			at = append(at, o.At)
		}
	}
	return at
}

// TestWhyForecastAgreesWithSimulate asks member why for the tier a
// member is demoted from by time alone, at times before, exactly at and
// after the demotion simulate's outcomes give, and wants the forecast to
// name that very time: the window's day leaving at 00:00 UTC, or the
// grace period's end, not the time asked plus whole days.
func TestWhyForecastAgreesWithSimulate(t *testing.T) {
	dir := exampleCopy(t, "discourse-trust-levels", nil)
	evs := forumHistory(t)
	sim := filepath.Join(t.TempDir(), "sim.jsonl")
	cli, out, errb := forumCLI()
	if c := cli("simulate", "-events", evs, "-to", "2026-07-01", "-outcomes", sim, dir); c != 0 {
		t.Fatalf("simulate: %d %s", c, errb.String())
	}
	if c := cli("replay", "-sort", "-events", evs, dir); c != 0 {
		t.Fatalf("replay: %d %s", c, errb.String())
	}
	for _, tc := range []struct {
		member string
		want   time.Time
		asks   []string
	}{
		{"kim", time.Date(2026, 4, 21, 0, 0, 0, 0, time.UTC),
			[]string{"2026-03-10T00:00:00Z", "2026-04-10T12:00:00Z", "2026-04-20T23:59:00Z", "2026-04-21T00:00:00Z", "2026-04-22T06:00:00Z", ""}},
		{"lee", time.Date(2026, 3, 15, 10, 0, 11, 0, time.UTC),
			[]string{"2026-03-06T00:00:00Z", "2026-03-15T10:00:00Z", "2026-03-15T10:00:11Z", "2026-03-20T00:00:00Z", ""}},
	} {
		if got := demotions(t, sim, tc.member); len(got) != 1 || !got[0].Equal(tc.want) {
			t.Fatalf("%s: simulate demoted at %v, want once at %v", tc.member, got, tc.want)
		}
		for _, at := range tc.asks {
			args := []string{"member", "why", "-json"}
			asked := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) // the clock: no -at
			if at != "" {
				args = append(args, "-at", at)
				asked, _ = time.Parse(time.RFC3339, at)
			}
			if c := cli(append(args, tc.member, "tier.regular", dir)...); c != 0 {
				t.Fatalf("%s why -at %q: %d %s", tc.member, at, c, errb.String())
			}
			var v struct {
				Forecast *struct {
					TierLost time.Time `json:"tier_lost"`
					Overdue  bool      `json:"overdue"`
				} `json:"forecast"`
				Stale time.Time `json:"stale_since"`
			}
			if err := json.Unmarshal(out.Bytes(), &v); err != nil {
				t.Fatalf("why -json: %v\n%s", err, out)
			}
			if v.Forecast == nil || !v.Forecast.TierLost.Equal(tc.want) {
				t.Errorf("%s why -at %q: forecast %+v, want the tier lost at %v as simulate has it", tc.member, at, v.Forecast, tc.want)
				continue
			}
			if v.Forecast.Overdue != !tc.want.After(asked) {
				t.Errorf("%s why -at %q: overdue %v, want %v", tc.member, at, v.Forecast.Overdue, !tc.want.After(asked))
			}
			// The stored member's recheck (2026-03-15, the grace end) is
			// months before the clock: stale, whatever -at asks.
			if v.Stale.IsZero() {
				t.Errorf("%s why -at %q: no stale_since for a member whose rechecks are due since March", tc.member, at)
			}
		}
	}
	// In words, exactly at the demotion: the verdict and the forecast
	// tell of the same move, not of one the day after.
	if c := cli("member", "why", "-at", "2026-04-21T00:00:00Z", "kim", "tier.regular", dir); c != 0 {
		t.Fatalf("why: %d %s", c, errb.String())
	}
	wantAll(t, "why -at the demotion", out.String(),
		"verdict: would be demoted to member at the next evaluation",
		"forecast: with no more events, the member loses the tier at 2026-04-21 00:00 UTC, at the runtime's recheck due then, which has not run on the stored member",
		// Which part of keep fails then, and on what: the day leaving
		// the window takes the posts read to one short.
		"the verdict at 2026-04-21 00:00 UTC: would be demoted to member at the next evaluation: keep fails and the grace period (14d) ended 2026-03-15 10:00; keep fails: count('post.read', '100d') >= 540 is false (count('post.read', '100d') = 539)\n",
		"stale: rechecks due since 2026-03-15 10:00 UTC have not run")
	if strings.Contains(out.String(), "2026-04-22") {
		t.Errorf("why -at the demotion names the day after:\n%s", out)
	}
	if c := cli("member", "show", "kim", dir); c != 0 {
		t.Fatalf("show: %d %s", c, errb.String())
	}
	wantAll(t, "member show", out.String(), "stale: rechecks due since 2026-03-15 10:00 UTC have not run", "next recheck 2026-03-15 10:00 UTC (overdue: not run)")
}

// TestReplayUntilRunsTimers replays a history and then runs its timers
// up to a later time with -until: the members move when and as simulate
// -to moves them (the same rechecks), where without it the replay stops
// at the last event and says how many members have rechecks due.
func TestReplayUntilRunsTimers(t *testing.T) {
	dir := exampleCopy(t, "discourse-trust-levels", nil)
	evs := forumHistory(t)
	tmp := t.TempDir()
	cli, out, errb := forumCLI()
	if c := cli("replay", "-sort", "-events", evs, dir); c != 0 {
		t.Fatalf("replay: %d %s", c, errb.String())
	}
	wantAll(t, "replay", out.String(), "2 members have rechecks due before now, from 2026-03-15 10:00 UTC: the replay ran the time-based rules up to 2026-03-05 12:00 UTC; hearth run runs the rest")
	if c := cli("report", "-at", "2026-11-25", dir); c != 0 || !strings.Contains(errb.String(), "2 members have rechecks due since 2026-03-15 10:00 UTC that have not run") {
		t.Errorf("report of today over stale members: %d %s", c, errb.String())
	}
	if c := cli("report", dir); c != 0 || strings.Contains(errb.String(), "rechecks due") {
		t.Errorf("report of the last event's day warned of rechecks due after it: %d %s", c, errb.String())
	}
	for _, bad := range []struct{ args []string }{
		{[]string{"replay", "-events", evs, "-until", "2027-01-01", dir}},
		{[]string{"replay", "-events", evs, "-until", "soon", dir}},
		{[]string{"replay", "-events", evs, "-until", "now", "-url", "http://127.0.0.1:1"}},
	} {
		if c := cli(bad.args...); c != 1 || !strings.Contains(errb.String(), "-until") {
			t.Errorf("%v: %d %s", bad.args, c, errb.String())
		}
	}
	// The events again (all duplicates) with the timers to July: the
	// outcomes are simulate -to's after the events.
	none := filepath.Join(tmp, "none.jsonl")
	if err := os.WriteFile(none, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, sim := filepath.Join(tmp, "rep.jsonl"), filepath.Join(tmp, "sim.jsonl")
	if c := cli("replay", "-events", none, "-until", "2026-07-01", "-outcomes", rep, dir); c != 0 {
		t.Fatalf("replay -until: %d %s", c, errb.String())
	}
	if c := cli("simulate", "-events", evs, "-to", "2026-07-01", "-outcomes", sim, dir); c != 0 {
		t.Fatalf("simulate: %d %s", c, errb.String())
	}
	for _, m := range []string{"kim", "lee"} {
		got, want := demotions(t, rep, m), demotions(t, sim, m)
		if len(want) != 1 || len(got) != 1 || !got[0].Equal(want[0]) {
			t.Errorf("%s: replay -until demoted at %v, simulate -to at %v", m, got, want)
		}
	}
	if c := cli("member", "show", "kim", dir); c != 0 {
		t.Fatalf("show: %d %s", c, errb.String())
	}
	wantAll(t, "member show after -until", out.String(), "tier member since 2026-04-21 00:00 UTC", "regular -> member  (event recheck:kim:")
}
