package analytics_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/state"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestTextGolden(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	r := analytics.Build(cfg, simulateTallies(t, cfg, healthEvents()), time.Time{})
	var b bytes.Buffer
	if err := analytics.WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.txt", b.Bytes())
}

// TestJSONSchemaStable pins the report's JSON field names: version 1 may
// gain fields, never lose or rename one. The golden lists every path of
// the latest day's report, of an earlier day's, which has the fields
// naming what is not as of that day, and of one with a series (-by).
func TestJSONSchemaStable(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	tallies := simulateTallies(t, cfg, healthEvents())
	var doc, earlier, series, anchored any
	for _, x := range []struct {
		day  time.Time
		by   string
		into *any
	}{{time.Time{}, "", &doc}, {at(1, 15, 0), "", &earlier}, {time.Time{}, "week", &series}, {time.Time{}, "day", &anchored}} {
		day, into := x.day, x.into
		tl := tallies
		switch x.by {
		case "day":
			// As a store whose segment and tier sizes were anchored
			// on an upgrade: kept since that day.
			tl = maps.Clone(tallies)
			anchor := strconv.Itoa(int(state.DayOf(at(2, 1, 0))))
			tl[state.TallySizesAnchor+anchor], tl[state.TallyTiersAnchor+anchor] = 1, 1
		case "week":
			// As a store upgraded from before badges and campaigns were
			// counted: badges_counted_from and campaigns_counted_from say
			// since when.
			tl = maps.Clone(tallies)
			maps.DeleteFunc(tl, func(k string, _ int64) bool {
				return strings.HasPrefix(k, "b/since/") || strings.HasPrefix(k, "c/since/")
			})
		}
		var b bytes.Buffer
		if err := analytics.WriteJSON(&b, analytics.BuildWith(cfg, tl, day, analytics.Options{By: x.by})); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b.Bytes(), into); err != nil {
			t.Fatal(err)
		}
	}
	paths := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(prefix+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(prefix+"[]", e)
			}
		default:
			paths[prefix] = true
		}
	}
	walk("", doc)
	walk("", earlier)
	walk("", series)
	walk("", anchored)
	var list []string
	for p := range paths {
		list = append(list, p)
	}
	sort.Strings(list)
	golden(t, "report.schema.txt", []byte(strings.Join(list, "\n")+"\n"))
	if doc.(map[string]any)["schema"] != analytics.Schema {
		t.Errorf("schema = %v", doc.(map[string]any)["schema"])
	}
}

func TestHTML(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	r := analytics.Build(cfg, simulateTallies(t, cfg, healthEvents()), time.Time{})
	var b bytes.Buffer
	if err := analytics.WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"<title>Community health of C · 2026-02-04</title>", `<div class="scroll"><table><tr><th>week of</th>`, `text-anchor="end" dominant-baseline="middle">0</text>`, "NPS <b>-25.0</b>", "K-factor<b>0.67</b>",
		`<td>2026-01-05</td><td>2</td><td style="background: rgba(61, 111, 180, 0.43)">50.0%</td>`, "<title>2026-02-04: 1 active</title>", "<h2>Badges</h2>", "<tr><td>Welcome</td><td>5</td><td>5</td><td>2</td><td>4</td><td>–</td><td>2026-01-05</td><td>2026-02-04</td></tr>", "<script"} {
		if has := strings.Contains(page, want); has != (want != "<script") {
			t.Errorf("page: %q present = %v", want, has)
		}
	}
}

// TestNothingToRate: referred joins with no invite.sent events (links
// shared outside hearth) are not a 0% conversion rate, and a community
// that sells nothing gets a line saying so, not a table of zeros.
func TestNothingToRate(t *testing.T) {
	r := &analytics.Report{}
	r.Referrals.Conversions = 10
	var text, page bytes.Buffer
	if err := analytics.WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	if err := analytics.WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "html": page.String()} {
		if !strings.Contains(out, "no invites counted") || strings.Contains(out, "of invites") {
			t.Errorf("%s: want \"no invites counted\" and no rate of invites:\n%s", name, out)
		}
		if !strings.Contains(out, "no purchases counted") || strings.Contains(out, "paying member") {
			t.Errorf("%s: want \"no purchases counted\" and no revenue figures:\n%s", name, out)
		}
	}
}

// TestTextLeavesOutEmptyTables: a report as of a day long after the
// events has no month with referrals, points or revenue in its window; a
// table header over no row would say nothing, so none is printed.
func TestTextLeavesOutEmptyTables(t *testing.T) {
	cfg := loadConfig(t, healthConfig)
	r := analytics.Build(cfg, simulateTallies(t, cfg, healthEvents()), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	var b bytes.Buffer
	if err := analytics.WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, head := range []string{"month  base", "month  granted", "cohort  members"} {
		if strings.Contains(b.String(), head) {
			t.Errorf("the report prints the header %q over no row:\n%s", head, b.String())
		}
	}
	if !strings.Contains(b.String(), "1 promoter, 1 passive, 2 detractors") {
		t.Errorf("the survey line should count in the singular where it is one:\n%s", b.String())
	}
}
