package daemon

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/hearth-community/hearth/engine/bus"
)

// Every metric the daemon registers is in the README's table, and the
// table names none it does not register. The names come from each
// registered collector's Describe, not from gathering, which finds a
// labelled metric only once it has a series.
func TestMetricsAreDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// With -bus the bus's figures are served too; its Describe needs no
	// connection (its Collect does, so the gathering below has none).
	withBus := NewMetrics()
	withBus.registerDaemon(&Daemon{}, (*bus.Bus)(nil))
	served := describedNames(t, withBus.registered...)
	// Gathering finds no hearth_ family the registered collectors did
	// not describe: nothing reached the registry around register.
	m := NewMetrics()
	m.registerDaemon(&Daemon{}, nil)
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if n := f.GetName(); strings.HasPrefix(n, "hearth_") && !served[n] {
			t.Errorf("%s is registered but not through Metrics.register", n)
		}
	}
	row := regexp.MustCompile("(?m)^\\| `(hearth_[a-z_]+)` \\|")
	documented := map[string]bool{}
	for _, match := range row.FindAllStringSubmatch(string(readme), -1) {
		documented[match[1]] = true
	}
	for n := range served {
		if !documented[n] {
			t.Errorf("%s is served but has no row in the README's metrics table", n)
		}
	}
	for n := range documented {
		if !served[n] {
			t.Errorf("the README's metrics table lists %s, which the daemon does not serve", n)
		}
	}
	// The alerting rules (examples/monitoring's, the README's block)
	// read only metrics that are served.
	for _, match := range regexp.MustCompile(`hearth_[a-z_]+`).FindAllString(alertRulesYAML(t), -1) {
		if _, ok := servedName(served, match); !ok {
			t.Errorf("the alerting rules read %s, which the daemon does not serve", match)
		}
	}
	if len(documented) < 10 {
		t.Errorf("found %d rows in the README's metrics table; has its form changed?", len(documented))
	}
}

// describedNames is the hearth_ metric names the collectors describe.
func describedNames(t *testing.T, cs ...prometheus.Collector) map[string]bool {
	t.Helper()
	name := regexp.MustCompile(`fqName: "([^"]+)"`)
	names := map[string]bool{}
	for _, c := range cs {
		ch := make(chan *prometheus.Desc)
		go func() {
			c.Describe(ch)
			close(ch)
		}()
		for d := range ch {
			match := name.FindStringSubmatch(d.String())
			if match == nil {
				t.Fatalf("no name in %s", d)
			}
			if strings.HasPrefix(match[1], "hearth_") {
				names[match[1]] = true
			}
		}
	}
	return names
}

// A labelled metric with no series yet is still found, so one added
// without a README row fails TestMetricsAreDocumented.
func TestDescribedNamesSeeUnusedVecs(t *testing.T) {
	m := NewMetrics()
	m.register(prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hearth_undocumented_total", Help: "x"}, []string{"kind"}))
	if families, _ := m.Registry.Gather(); slices.ContainsFunc(families, func(f *dto.MetricFamily) bool { return f.GetName() == "hearth_undocumented_total" }) {
		t.Fatal("gathered a vec with no series; this test no longer shows anything")
	}
	if !describedNames(t, m.registered...)["hearth_undocumented_total"] {
		t.Error("a registered vec with no series is not among the described names")
	}
}

// Every registration in the package goes through Metrics.register, so
// m.registered is all the registry holds.
func TestMetricsRegisterOnlyThroughRegister(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	direct := regexp.MustCompile(`\.(?:Must)?Register\(`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if direct.MatchString(line) && !strings.Contains(line, "m.Registry.MustRegister(cs...)") {
				t.Errorf("%s:%d registers a collector directly; use Metrics.register so TestMetricsAreDocumented sees it: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}

func TestCommitTimesQuantiles(t *testing.T) {
	c := commitTimes{cap: 150}
	if _, _, n := c.take(); n != 0 {
		t.Fatalf("empty: %d", n)
	}
	for i := 200; i >= 1; i-- { // past the cap: the first 150 are kept
		c.add(time.Duration(i) * time.Millisecond)
	}
	p50, p99, n := c.take()
	if n != 150 || p50 != 126 || p99 != 199 {
		t.Fatalf("p50 %v, p99 %v over %d; want 126, 199 over 150 (nearest rank)", p50, p99, n)
	}
	if _, _, n := c.take(); n != 0 {
		t.Fatalf("a take starts the next interval empty; got %d", n)
	}
}

// Every reason the package refuses events for is among those its
// metrics start at 0, so an alert on the first refusal of a kind fires.
func TestRejectReasonsStartAtZero(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`(?:reject\(w, [^,]+, |rejected\.WithLabelValues\(|countRefusal\(|&refusal\{[^,]+, )"([a-z_]+)"`)
	known := map[string]bool{}
	for _, r := range rejectReasons {
		known[r] = true
	}
	for _, r := range refuseReasons {
		if known[r] {
			t.Errorf("reason %q is both an event's and a request's: it would be counted in one metric only", r)
		}
		known[r] = true
	}
	// Counting in hearth_events_rejected_total directly is for events.
	direct := regexp.MustCompile(`rejected\.WithLabelValues\("([a-z_]+)"`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(src), -1) {
			found++
			if !known[m[1]] {
				t.Errorf("%s refuses with reason %q, which is in neither rejectReasons nor refuseReasons: its series would appear only at its first count", f, m[1])
			}
		}
		for _, m := range direct.FindAllStringSubmatch(string(src), -1) {
			if !eventReason(m[1]) {
				t.Errorf("%s counts %q in hearth_events_rejected_total, but it is a request's reason (hearth_requests_refused_total)", f, m[1])
			}
		}
	}
	if found < 10 {
		t.Errorf("found %d refusals in the package's files; has their form changed?", found)
	}
}

// Every reason the runtime ends a campaign run with is among those
// hearth_campaign_exits_total starts at 0 and counts: an exit of
// another reason would be counted nowhere.
func TestCampaignExitReasonsAreCounted(t *testing.T) {
	src, err := os.ReadFile("../runtime/campaign.go")
	if err != nil {
		t.Fatal(err)
	}
	ends := regexp.MustCompile(`(?:endRuns?\([^()]*, "([a-z_]+)"\)|Reason = runDone, [^,]+, "([a-z_]+)")`)
	known := map[string]bool{}
	for _, r := range campaignExitReasons {
		known[r] = true
	}
	found := 0
	for _, m := range ends.FindAllStringSubmatch(string(src), -1) {
		found++
		if r := m[1] + m[2]; !known[r] {
			t.Errorf("the runtime ends runs with reason %q, which is not in campaignExitReasons", r)
		}
	}
	if found < 5 {
		t.Errorf("found %d run ends in the runtime's campaign.go; has their form changed?", found)
	}
}

// sharedGauges are the gauges counted from the shared state (the
// PostgreSQL database, the bus's buckets): every replica serves the same
// figure, so a sum multiplies it and a bare alert fires once per replica.
var sharedGauges = []string{"hearth_members", "hearth_members_left", "hearth_segment_members", "hearth_tier_members",
	"hearth_campaign_active_runs", "hearth_outbox_entries", "hearth_outbox_oldest_pending_seconds", "hearth_alerts_firing",
	"hearth_replicas", "hearth_config_mismatch"}

// The README names every shared gauge where it says how to aggregate
// them, and the alerting rules read each one under a max, never bare or
// summed.
func TestSharedGaugesAggregatedWithMax(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	_, rule, ok := strings.Cut(readme, "**Several replicas.**")
	if !ok {
		t.Fatal("the README's metrics section does not say how to aggregate across replicas")
	}
	rule, _, _ = strings.Cut(rule, "\n\n")
	for _, g := range sharedGauges {
		if !strings.Contains(rule, "`"+g+"`") {
			t.Errorf("the README's rule for several replicas does not name %s", g)
		}
	}
	rules := alertRulesYAML(t)
	name := regexp.MustCompile(`hearth_[a-z_]+`)
	read := 0
	for _, line := range strings.Split(rules, "\n") {
		for _, loc := range name.FindAllStringIndex(line, -1) {
			if !slices.Contains(sharedGauges, line[loc[0]:loc[1]]) {
				continue
			}
			read++
			before := line[:loc[0]]
			if !underMax(before) {
				t.Errorf("an alerting rule reads %s without a max over replicas: %s", line[loc[0]:loc[1]], strings.TrimSpace(line))
			}
		}
	}
	if read < 3 {
		t.Errorf("the alerting rules read %d shared gauges; has their form changed?", read)
	}
}
