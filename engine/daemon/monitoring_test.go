package daemon

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/bus"
)

// The monitoring example's files, which operators load as they are.
const (
	alertRulesPath = "../../examples/monitoring/prometheus-rules.yml"
	dashboardPath  = "../../examples/monitoring/grafana-dashboard.json"
)

// servedMetrics is every hearth_ metric the daemon registers, with -bus
// too: the names from each registered collector's Describe (see
// TestMetricsAreDocumented).
func servedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	m := NewMetrics()
	// Its Describe needs no connection to NATS.
	m.registerDaemon(&Daemon{}, (*bus.Bus)(nil))
	return describedNames(t, m.registered...)
}

// servedName is the metric a name in a query reads: itself, or the
// histogram whose _bucket, _sum or _count series it is.
func servedName(served map[string]bool, name string) (string, bool) {
	if served[name] {
		return name, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && served[base] {
			return base, true
		}
	}
	return name, false
}

// alertRulesYAML is examples/monitoring/prometheus-rules.yml below its
// leading comment lines: the rules themselves.
func alertRulesYAML(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(alertRulesPath)
	if err != nil {
		t.Fatal(err)
	}
	rest := string(raw)
	for strings.HasPrefix(rest, "#") {
		_, rest, _ = strings.Cut(rest, "\n")
	}
	if !strings.HasPrefix(rest, "groups:\n") {
		t.Fatalf("%s: after its comments it starts %.40q; want groups:", alertRulesPath, rest)
	}
	return rest
}

// The README shows the alerting rules an operator loads: its block is
// the example's file, less the file's comments, so neither drifts from
// the other (and the tests of the rules check both).
func TestReadmeAlertRulesAreTheFile(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "Alerting rules to start from")
	if !ok {
		t.Fatal("the README has no alerting rules")
	}
	if !strings.Contains(section[:min(len(section), 600)], "examples/monitoring/prometheus-rules.yml") {
		t.Error("the README's alerting rules do not say they are examples/monitoring/prometheus-rules.yml")
	}
	_, block, ok := strings.Cut(section, "```yaml\n")
	if !ok {
		t.Fatal("the README's alerting rules are not a yaml block")
	}
	block, _, _ = strings.Cut(block, "\n```\n")
	file := alertRulesYAML(t)
	if block+"\n" != file {
		readme, rules := strings.Split(block, "\n"), strings.Split(strings.TrimSuffix(file, "\n"), "\n")
		for i := range max(len(readme), len(rules)) {
			var a, b string
			if i < len(readme) {
				a = readme[i]
			}
			if i < len(rules) {
				b = rules[i]
			}
			if a != b {
				t.Fatalf("the README's alerting rules differ from %s at their line %d:\nREADME: %q\nfile:   %q", alertRulesPath, i+1, a, b)
			}
		}
	}
}

// grafanaDashboard is what the test reads of a Grafana dashboard.
type grafanaDashboard struct {
	Inputs []struct {
		Name, Type, PluginID string
	} `json:"__inputs"`
	SchemaVersion int `json:"schemaVersion"`
	UID, Title    string
	Panels        []grafanaPanel `json:"panels"`
}

type grafanaPanel struct {
	ID         int
	Type       string
	Title      string
	Datasource *struct{ Type, UID string }
	GridPos    struct{ H, W, X, Y int }
	Targets    []struct {
		Expr, RefID string
		Datasource  *struct{ Type, UID string }
	}
	Panels []grafanaPanel // a collapsed row's
}

// The Grafana dashboard imports as it is: a schema Grafana 10 and 11
// read, its data source an input named at import, each panel on it, and
// every query reads metrics the daemon serves, with label values it
// serves, and the shared state's gauges under a max over replicas. A
// renamed metric breaks this test, not the dashboard in production.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d grafanaDashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	if d.SchemaVersion < 36 || d.SchemaVersion > 41 {
		t.Errorf("schemaVersion %d; want one Grafana 10 and 11 import (36-41)", d.SchemaVersion)
	}
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q: both are needed for an import that overwrites the previous one", d.UID, d.Title)
	}
	if len(d.Inputs) != 1 || d.Inputs[0].Name != "DS_PROMETHEUS" || d.Inputs[0].Type != "datasource" || d.Inputs[0].PluginID != "prometheus" {
		t.Errorf("__inputs %+v; want one Prometheus data source input DS_PROMETHEUS", d.Inputs)
	}
	served := servedMetrics(t)
	read := map[string]bool{}
	ids := map[int]bool{}
	titles := map[string]bool{}
	name := regexp.MustCompile(`\bhearth_[a-z_]+`)
	var panels []grafanaPanel
	for _, p := range d.Panels {
		panels = append(panels, p)
		panels = append(panels, p.Panels...)
	}
	queries := 0
	for _, p := range panels {
		if ids[p.ID] || p.ID == 0 {
			t.Errorf("panel %q: id %d is missing or used twice", p.Title, p.ID)
		}
		ids[p.ID] = true
		if titles[p.Title] || p.Title == "" {
			t.Errorf("panel title %q missing or used twice", p.Title)
		}
		titles[p.Title] = true
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v is off the 24-column grid", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${DS_PROMETHEUS}" {
			t.Errorf("panel %q: datasource %+v; want the ${DS_PROMETHEUS} input", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			queries++
			where := p.Title + " " + q.RefID
			if q.Datasource == nil || q.Datasource.UID != "${DS_PROMETHEUS}" {
				t.Errorf("%s: datasource %+v; want the ${DS_PROMETHEUS} input", where, q.Datasource)
			}
			if strings.Count(q.Expr, "(") != strings.Count(q.Expr, ")") || strings.Count(q.Expr, "{") != strings.Count(q.Expr, "}") {
				t.Errorf("%s: unbalanced expression %q", where, q.Expr)
			}
			names := name.FindAllStringIndex(q.Expr, -1)
			if len(names) == 0 {
				t.Errorf("%s: %q reads no hearth metric", where, q.Expr)
			}
			for _, loc := range names {
				n := q.Expr[loc[0]:loc[1]]
				base, ok := servedName(served, n)
				if !ok {
					t.Errorf("%s: reads %s, which the daemon does not serve", where, n)
				}
				read[base] = true
				if slices.Contains(sharedGauges, base) && !underMax(q.Expr[:loc[0]]) {
					t.Errorf("%s: reads %s, a gauge of the shared state, without a max over replicas: %s", where, n, q.Expr)
				}
			}
			for _, problem := range unknownLabelValues(q.Expr) {
				t.Errorf("%s: %s", where, problem)
			}
		}
	}
	if queries < 10 {
		t.Fatalf("found %d queries; has the dashboard's form changed?", queries)
	}
	// What an operator watches first has its panel.
	for _, want := range []string{
		"hearth_events_ingested_total", "hearth_events_rejected_total", "hearth_batch_commit_seconds",
		"hearth_outbox_entries", "hearth_outbox_deliveries_total", "hearth_segment_members", "hearth_tier_members",
		"hearth_campaign_entries_total", "hearth_campaign_variant_entries_total", "hearth_campaign_goals_total",
		"hearth_campaign_sends_total", "hearth_config_reloads_total", "hearth_config_info", "hearth_state_store_failing",
	} {
		if !read[want] {
			t.Errorf("no panel reads %s", want)
		}
	}
}

// underMax says whether a metric that follows before is read under a max
// over replicas: max without (instance, pod) (...), max by (...) (...)
// or max(...).
func underMax(before string) bool {
	return strings.HasSuffix(before, "max without (instance, pod) (") || regexp.MustCompile(`max(?: by \([a-z_, ]+\))? ?\($`).MatchString(before)
}
