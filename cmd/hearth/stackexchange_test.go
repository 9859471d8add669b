package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/importer/stackexchange"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// recallFloor is the recall each badge must reach. It is 0.95 except where
// the dump provably lacks what the award was based on; each exception
// says why (the importer's sanity test shows the same members).
var recallFloor = map[string]struct {
	floor  float64
	reason string
}{
	"Commentator":    {0.75, "two holders' comments were deleted: users 31 and 8 keep 9 and 4 of them"},
	"Scholar":        {0.83, "user 14's accepted answer belongs to a deleted account; user 24's accept vote is gone"},
	"Nice Answer":    {0.90, "user 31's award came from an answer deleted from Posts.xml"},
	"Autobiographer": {0.94, "11 holders' About Me is empty in the dump, which keeps only the final text"},
}

// TestStackExchangeBadges is the proof on real data: the conlang.meta
// dump, imported as events and replayed through examples/stackexchange,
// must award the badges of Badges.xml to the same members at about the
// same time.
func TestStackExchangeBadges(t *testing.T) {
	dump, err := filepath.Abs("../../../shared/data/stackexchange/conlang.meta")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dump, "Badges.xml")); err != nil {
		t.Skip("skipping: the Stack Exchange dump is not at ../shared/data/stackexchange/conlang.meta")
	}
	ctx := context.Background()
	evs, _, err := stackexchange.Import(ctx, dump, stackexchange.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var stream bytes.Buffer
	enc := json.NewEncoder(&stream)
	for _, e := range evs {
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
	}
	cfg, _, diags := config.Load("../../examples/stackexchange", config.Options{Platforms: platformSpecs(), Version: Version})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	titles := map[string]string{} // badge block name -> Stack Exchange name
	for _, b := range cfg.Badges {
		titles[b.Name] = b.Title
	}
	got := map[string]map[string]time.Time{} // title -> member -> first award
	sum, err := simulate.Run(ctx, cfg, &stream, simulate.Options{Outcome: func(o state.Outcome) error {
		if o.Kind == state.KindBadge && o.Change == "award" {
			title := titles[o.Name]
			if got[title] == nil {
				got[title] = map[string]time.Time{}
			}
			if _, ok := got[title][o.Member]; !ok {
				got[title][o.Member] = o.At
			}
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The importer writes its events in time order, so a replay of them
	// needs no -sort.
	if sum.OutOfOrder != nil {
		t.Errorf("the imported events are out of time order: %+v", *sum.OutOfOrder)
	}
	// Placed post by post instead of in vote Id order, a day's votes made
	// score dips that never happened, and tiers flapped on them (member 57
	// lost vote_down on 2018-02-08 to a downvote cast after two upvotes
	// placed around it). In Id order conlang.meta has no flapping tier.
	for tier, f := range sum.Flapping {
		t.Errorf("tier %s flapped for %d members (most: %s): reputation went back and forth", tier, f.Members, f.Example)
	}
	want := readBadges(t, filepath.Join(dump, "Badges.xml"))

	names := []string{"Student", "Teacher", "Scholar", "Commentator", "Editor", "Nice Question", "Nice Answer", "Self-Learner", "Popular Question", "Autobiographer"}
	var table strings.Builder
	fmt.Fprintf(&table, "%-17s %5s %5s %9s %6s %12s\n", "badge", "real", "ours", "precision", "recall", "median diff")
	for _, name := range names {
		if _, ok := titles[strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(name, " ", "_"), "-", "_"))]; !ok {
			t.Errorf("examples/stackexchange has no badge for %q", name)
		}
		real, ours := want[name], got[name]
		tp := 0
		var diffs []time.Duration
		for m, at := range ours {
			if r, ok := real[m]; ok {
				tp++
				diffs = append(diffs, at.Sub(r))
			}
		}
		precision, recall := ratio(tp, len(ours)), ratio(tp, len(real))
		median := medianOf(diffs)
		fmt.Fprintf(&table, "%-17s %5d %5d %9.2f %6.2f %12s\n", name, len(real), len(ours), precision, recall, median.Round(time.Minute))
		if os.Getenv("HEARTH_SE_DIFFS") != "" {
			t.Logf("%s diffs: %v", name, diffs)
		}
		if precision < 0.95 {
			t.Errorf("%s: precision %.2f < 0.95", name, precision)
		}
		floor := 0.95
		if f, ok := recallFloor[name]; ok {
			floor = f.floor
		}
		if recall < floor {
			t.Errorf("%s: recall %.2f < %.2f", name, recall, floor)
		}
		if len(diffs) > 0 && (median > 24*time.Hour || median < -24*time.Hour) {
			t.Errorf("%s: median award time off by %s (more than a day)", name, median)
		}
	}
	t.Logf("badges over conlang.meta:\n%s", table.String())
	for name, f := range recallFloor {
		t.Logf("known dump limit, %s: %s", name, f.reason)
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func medianOf(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	if len(d)%2 == 0 {
		return (d[len(d)/2-1] + d[len(d)/2]) / 2
	}
	return d[len(d)/2]
}

// readBadges reads Badges.xml: badge name -> member -> first award time.
func readBadges(t *testing.T, path string) map[string]map[string]time.Time {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Rows []struct {
			UserID string `xml:"UserId,attr"`
			Name   string `xml:"Name,attr"`
			Date   string `xml:"Date,attr"`
		} `xml:"row"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]time.Time{}
	for _, r := range doc.Rows {
		at, err := time.Parse("2006-01-02T15:04:05.999", r.Date)
		if err != nil {
			t.Fatalf("badge date %q: %v", r.Date, err)
		}
		if out[r.Name] == nil {
			out[r.Name] = map[string]time.Time{}
		}
		if prev, ok := out[r.Name][r.UserID]; !ok || at.Before(prev) {
			out[r.Name][r.UserID] = at
		}
	}
	return out
}
