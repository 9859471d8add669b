package simulate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// counting counts the commits of a store's batches. With probe false it
// hides the batches' DueBy, as a store that cannot tell would.
type counting struct {
	state.Store
	probe   bool
	commits int
}

func (c *counting) Begin(ctx context.Context) (state.Batch, error) {
	b, err := c.Store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if c.probe {
		return &probing{countingBatch{b, c}}, nil
	}
	return &countingBatch{b, c}, nil
}

type countingBatch struct {
	state.Batch
	c *counting
}

func (b *countingBatch) Commit() error {
	b.c.commits++
	return b.Batch.Commit()
}

type probing struct{ countingBatch }

func (p *probing) DueBy(t time.Time) (bool, error) { return p.Batch.(state.DueProber).DueBy(t) }

// A replay commits to run rechecks only when one can be due, and what it
// does is the same as committing at every step of event time: on the
// quickstart's two months (newcomers, lurkers, a campaign with waits and
// quiet hours), in memory and in SQLite.
func TestReplayCommitsOnlyWhenRechecksAreDue(t *testing.T) {
	cfg, _, diags := config.Load("../../examples/quickstart", config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	run := func(store state.Store) ([]string, map[string]string, int) {
		t.Helper()
		f, err := os.Open("../../examples/quickstart/events.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var log []string
		sum, err := simulate.Run(context.Background(), cfg, f, simulate.Options{Store: store, Outcome: func(o state.Outcome) error {
			log = append(log, fmt.Sprintf("%s %s %s %s %s %d %s", o.At.UTC().Format(time.RFC3339), o.Member, o.Kind, o.Name, o.Change, o.Points, o.Rule))
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Rechecks == 0 {
			t.Fatal("the quickstart ran no recheck: the test would show nothing")
		}
		members := map[string]string{}
		err = store.Members(context.Background(), func(m *state.Member) error {
			doc, err := json.Marshal(m)
			members[m.ID] = string(doc)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return log, members, sum.Rechecks
	}
	every := &counting{Store: state.NewMemory()}
	want, wantMembers, wantRechecks := run(every)

	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, store := range map[string]state.Store{"memory": state.NewMemory(), "SQLite": db} {
		probed := &counting{Store: store, probe: true}
		got, gotMembers, rechecks := run(probed)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: the outcomes differ when the replay skips idle steps (%d against %d)", name, len(got), len(want))
		}
		if !maps.Equal(gotMembers, wantMembers) {
			t.Fatalf("%s: the member states differ when the replay skips idle steps", name)
		}
		if rechecks != wantRechecks {
			t.Errorf("%s: %d rechecks against %d", name, rechecks, wantRechecks)
		}
		if probed.commits*3 > every.commits {
			t.Errorf("%s: %d commits with the probe against %d without: expected far fewer", name, probed.commits, every.commits)
		}
		t.Logf("%s: %d commits when rechecks can be due, %d at every step of time; %d outcomes", name, probed.commits, every.commits, len(want))
	}
}

// The summary reports the window simulated: -from and -to where given
// (time-based rules run up to -to, past the last event), else the first
// and last events. Events of a type nothing knows are counted by type.
func TestSummaryWindowAndUnknownTypes(t *testing.T) {
	cfg, _, diags := config.Load("../../examples/quickstart", config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	stream := `{"id":"e1","type":"member.joined","member":"u1","at":"2026-10-01T10:00:00Z"}
{"id":"e2","type":"mesage.posted","member":"u1","at":"2026-10-02T10:00:00Z"}
{"id":"e3","type":"mesage.posted","member":"u1","at":"2026-10-03T10:00:00Z"}
{"id":"e4","type":"message.posted","member":"u1","at":"2026-10-07T10:00:00Z","attrs":{"channel":"general","text":"hi"}}
{"id":"e5","type":"mesage.posted","member":"u1","at":"2026-12-01T10:00:00Z"}
`
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		name             string
		opt              simulate.Options
		wantFrom, wantTo time.Time
		unknown          int
	}{
		{"events", simulate.Options{}, day("2026-10-01").Add(10 * time.Hour), day("2026-12-01").Add(10 * time.Hour), 3},
		{"to past the last event", simulate.Options{To: day("2026-10-20")}, day("2026-10-01").Add(10 * time.Hour), day("2026-10-20"), 2},
		{"from and to", simulate.Options{From: day("2026-09-01"), To: day("2026-10-02").Add(12 * time.Hour)}, day("2026-09-01"), day("2026-10-02").Add(12 * time.Hour), 1},
	} {
		sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(stream), c.opt)
		if err != nil {
			t.Fatal(err)
		}
		if !sum.From.Equal(c.wantFrom) || !sum.To.Equal(c.wantTo) {
			t.Errorf("%s: window %s to %s; want %s to %s", c.name, sum.From, sum.To, c.wantFrom, c.wantTo)
		}
		if len(sum.UnknownTypes) != 1 || sum.UnknownTypes["mesage.posted"] != c.unknown {
			t.Errorf("%s: unknown types %v; want mesage.posted: %d", c.name, sum.UnknownTypes, c.unknown)
		}
		if len(sum.UnknownTypeSuggestions) != 1 || sum.UnknownTypeSuggestions["mesage.posted"] != "message.posted" {
			t.Errorf("%s: suggestions %v; want mesage.posted: message.posted", c.name, sum.UnknownTypeSuggestions)
		}
	}
}

// Bad lines reach BadEvent placed in the file, malformed JSON with its
// column, in the words POST /v1/events uses; undeclared types are
// counted, and only those that look like a known type get a suggestion.
func TestBadLinesAndUndeclaredTypes(t *testing.T) {
	cfg, _, diags := config.Load("../../examples/quickstart", config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	stream := `{"id":"e1","type":"member.joined","member":"u1","at":"2026-10-01T10:00:00Z"}
{"id":
  xyz
{"id":"e2","type":"member.jioned","member":"u2","at":"2026-10-01T11:00:00Z"}
{"id":"e3","type":"meetup.attended","member":"u2","at":"2026-10-01T12:00:00Z"}
{"id":"e4","type":"meetup.attended","member":"u2","at":"2026-10-01T13:00:00Z"}
`
	var bad []string
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(stream), simulate.Options{
		BadEvent: func(e *events.Error) { bad = append(bad, e.In("h.jsonl")) },
	})
	if err != nil {
		t.Fatal(err)
	}
	wantBad := []string{
		`h.jsonl line 2, column 7: invalid event: malformed JSON: the JSON ends inside a value: a closing }, ] or " is missing; each line must hold a whole event`,
		`h.jsonl line 3, column 3: invalid event: malformed JSON: invalid character 'x' where a value should start`,
	}
	if strings.Join(bad, "\n") != strings.Join(wantBad, "\n") || sum.Rejected != 2 {
		t.Errorf("bad lines (%d rejected):\n%s\nwant:\n%s", sum.Rejected, strings.Join(bad, "\n"), strings.Join(wantBad, "\n"))
	}
	if fmt.Sprint(sum.UnknownTypes) != "map[meetup.attended:2 member.jioned:1]" || fmt.Sprint(sum.UnknownTypeSuggestions) != "map[member.jioned:member.joined]" {
		t.Errorf("unknown types %v, suggestions %v", sum.UnknownTypes, sum.UnknownTypeSuggestions)
	}
	if got := simulate.ByCount(sum.UnknownTypes); fmt.Sprint(got) != "[meetup.attended member.jioned]" {
		t.Errorf("by count: %v", got)
	}
}

// A keep stricter than when, with nothing to hold the member, makes them
// flap: promoted on a busy day, demoted when the week thins, promoted
// again. The summary counts the returns per tier, names the member who
// came back most, and says what stops it; a member promoted once and
// never demoted is not counted, nor a tier nobody came back to.
func TestSummaryReportsFlappingTiers(t *testing.T) {
	dir := t.TempDir()
	src := `
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
}
tier "member" {
  rank = 1
  when = "true"
}
tier "regular" {
  rank = 2
  when = "active_days('30d') >= 3"
  keep = "active_days('7d') >= 2"
}
tier "core" {
  rank  = 3
  when  = "active_days('30d') >= 20"
  grace = "30d"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	type post struct {
		member string
		day    int
	}
	var posts []post
	// m1 and m2 post every few days: three active days a month reach
	// regular, and a week with fewer than two loses it, while when still
	// holds. m3 posts every third day: reaches regular and keeps it.
	for _, d := range []int{0, 3, 7, 30, 33, 60} {
		posts = append(posts, post{"m1", d})
	}
	for _, d := range []int{1, 4, 8, 31} {
		posts = append(posts, post{"m2", d})
	}
	for d := 0; d <= 60; d += 3 {
		posts = append(posts, post{"m3", d})
	}
	slices.SortStableFunc(posts, func(a, b post) int { return a.day - b.day })
	var lines strings.Builder
	for _, p := range posts {
		at := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, p.day)
		fmt.Fprintf(&lines, `{"id":"%s-%d","type":"message.posted","member":%q,"at":%q}`+"\n", p.member, p.day, p.member, at.Format(time.RFC3339))
	}
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(lines.String()), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := sum.Flapping["regular"]
	if f == nil || len(sum.Flapping) != 1 {
		t.Fatalf("flapping = %v; want regular only", sum.Flapping)
	}
	// m1 comes back to regular 5 times, m2 4 times (the daily rechecks
	// of its windows flip it on each evaluation).
	if f.Members != 2 || f.Returns != 9 || f.Example != "m1" || f.ExampleReturns != 5 {
		t.Errorf("regular: %+v; want 2 members, 9 returns, m1 the most with 5", *f)
	}
	if !strings.Contains(f.Hint, "keep stricter than when") || !strings.Contains(f.Hint, "grace or demote_after") {
		t.Errorf("hint %q", f.Hint)
	}
	b, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"flapping":{"regular":{"members":2,`) {
		t.Errorf("JSON: %s", b)
	}
}
