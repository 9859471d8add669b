package analytics_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// A store upgraded from before segment moves were counted is anchored
// on its members (state.SizeAnchor): from the anchor's day the sizes
// are those of a store that counted everything, and the periods before
// have none, which the output says rather than inventing them.
func TestSegmentSizesKeptSinceTheAnchor(t *testing.T) {
	ctx := context.Background()
	cfg := loadConfig(t, healthConfig)
	sum, err := simulate.Run(ctx, cfg, strings.NewReader(healthEvents()), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	full, err := sum.Store.(state.TallyReader).Tallies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// As written before the moves and tiers by day were counted.
	old := state.Tallies{}
	for k, n := range full {
		if !strings.HasPrefix(k, "s/") && !strings.HasPrefix(k, "t/day/") && !strings.HasPrefix(k, "b/since/") {
			old[k] = n
		}
	}
	var c state.SizeCounter
	if err := sum.Store.Members(ctx, func(m *state.Member) error { c.Add(m); return nil }); err != nil {
		t.Fatal(err)
	}
	old.Merge(state.SizeAnchor(old, &c))

	want := analytics.BuildWith(cfg, full, time.Time{}, analytics.Options{By: "day", Periods: 5}).Series
	got := analytics.BuildWith(cfg, old, time.Time{}, analytics.Options{By: "day", Periods: 5})
	s := got.Series
	if s.SizesFrom != got.AsOf || s.TiersFrom != got.AsOf {
		t.Fatalf("sizes kept since %q, tiers since %q; want the latest day %s", s.SizesFrom, s.TiersFrom, got.AsOf)
	}
	last, wantLast := s.Periods[len(s.Periods)-1], want.Periods[len(want.Periods)-1]
	if len(last.Segments) == 0 || !equalCounts(last.Segments, wantLast.Segments) || !equalCounts(last.Tiers, wantLast.Tiers) {
		t.Errorf("the anchor's day: segments %v tiers %v; want %v and %v", last.Segments, last.Tiers, wantLast.Segments, wantLast.Tiers)
	}
	for _, p := range s.Periods[:len(s.Periods)-1] {
		if p.Segments != nil || p.Tiers != nil {
			t.Errorf("%s, before the anchor: segments %v tiers %v; want none", p.Start, p.Segments, p.Tiers)
		}
	}
	var text bytes.Buffer
	if err := analytics.WriteText(&text, got); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"segment sizes kept since " + got.AsOf + ": the state store holds members from before hearth kept them (–: not kept)",
		"members on each tier kept since " + got.AsOf,
		"2026-02-03  – (+0 -0)\n",
	} {
		if !strings.Contains(text.String(), line) {
			t.Errorf("the text lacks %q:\n%s", line, text.String())
		}
	}
	var csv bytes.Buffer
	if err := analytics.WriteCSV(&csv, got); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(csv.String(), "/engaged/members,"); n != 1 {
		t.Errorf("%d segment/engaged/members rows; want 1, of the anchor's day:\n%s", n, csv.String())
	}
}

func equalCounts(a, b []analytics.NamedCount) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The page draws the sizes by period, a line per segment, and tables
// them; a series without sizes (none kept yet) draws nothing.
func TestHTMLSegmentSizes(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	tallies := simulateTallies(t, cfg, healthEvents())
	var b bytes.Buffer
	if err := analytics.WriteHTML(&b, analytics.BuildWith(cfg, tallies, time.Time{}, analytics.Options{By: "week", Periods: 3})); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"<h2>Segments by week</h2>", `aria-label="members in each segment by week"`, "<title>engaged</title></polyline>",
		"<tr><th>week</th><th>engaged</th></tr>", "<tr><td>2026-02-02</td><td>3</td></tr>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	b.Reset()
	if err := analytics.WriteHTML(&b, analytics.Build(cfg, tallies, time.Time{})); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Segments by") {
		t.Error("a report without a series draws segment sizes")
	}
}
