package daemon

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// alertRule is one rule of the alerting rules (examples/monitoring and
// the README).
type alertRule struct {
	line                         int
	name, expr, forDur, severity string
	summary                      string
	hasLabels, hasAnnotations    bool
}

// alertRules reads the alerting rules of examples/monitoring (which
// TestReadmeAlertRulesAreTheFile keeps the README's block equal to) in
// the form they are written in: a rule per "- alert:" line, its keys
// indented under it, labels and annotations as flow mappings on one line.
func alertRules(t *testing.T) []alertRule {
	t.Helper()
	block := strings.TrimSuffix(alertRulesYAML(t), "\n")
	lines := strings.Split(block, "\n")
	if want := []string{"groups:", "  - name: hearth", "    rules:"}; len(lines) < 3 || !slices.Equal(lines[:3], want) {
		t.Fatalf("the block starts %q; want %q", lines[:min(3, len(lines))], want)
	}
	severity := regexp.MustCompile(`^\{severity: ("\{\{ \$labels\.severity \}\}"|[a-z]+)\}$`)
	summary := regexp.MustCompile(`^\{summary: "((?:[^"\\]|\\.)*)"\}$`)
	var rules []alertRule
	for i, line := range lines[3:] {
		n := i + 4
		if strings.Contains(line, "\t") {
			t.Errorf("line %d of the rules has a tab, which YAML refuses: %q", n, line)
		}
		if name, ok := strings.CutPrefix(line, "      - alert: "); ok {
			rules = append(rules, alertRule{line: n, name: name})
			continue
		}
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "        "), ": ")
		if len(rules) == 0 || !ok || !strings.HasPrefix(line, "        ") || strings.HasPrefix(line, "         ") {
			t.Errorf("line %d of the rules is no rule's key at the rules' indentation: %q", n, line)
			continue
		}
		r := &rules[len(rules)-1]
		switch key {
		case "expr":
			r.expr = value
		case "for":
			r.forDur = value
		case "labels":
			r.hasLabels = true
			if m := severity.FindStringSubmatch(value); m != nil {
				r.severity = strings.Trim(m[1], `"`)
			}
		case "annotations":
			r.hasAnnotations = true
			if m := summary.FindStringSubmatch(value); m != nil {
				r.summary = m[1]
			}
		default:
			t.Errorf("line %d: a rule key Prometheus does not take: %q", n, key)
		}
	}
	return rules
}

// The alerting rules are rules Prometheus loads and that page
// sensibly: each with an expression, a severity label Alertmanager can
// route by, a summary, a for: that is a duration; the reasons and codes
// their matchers name are ones the daemon serves, and the rule on events
// refused one by one leaves out those refused as they should be
// (suppressed: members who asked to be forgotten).
func TestReadmeAlertRules(t *testing.T) {
	rules := alertRules(t)
	if len(rules) < 10 {
		t.Fatalf("found %d rules; has the block's form changed?", len(rules))
	}
	names := map[string]bool{}
	for _, r := range rules {
		if names[r.name] {
			t.Errorf("line %d: %s twice", r.line, r.name)
		}
		names[r.name] = true
		if r.expr == "" || strings.Count(r.expr, "(") != strings.Count(r.expr, ")") {
			t.Errorf("%s: expression %q missing or unbalanced", r.name, r.expr)
		}
		if !slices.Contains([]string{"critical", "warning", "info", "{{ $labels.severity }}"}, r.severity) {
			t.Errorf("%s: no labels: {severity: critical|warning|info} (labels %v)", r.name, r.hasLabels)
		}
		if r.summary == "" {
			t.Errorf("%s: no annotations: {summary: \"...\"} (annotations %v)", r.name, r.hasAnnotations)
		}
		if r.forDur != "" {
			if d, err := time.ParseDuration(r.forDur); err != nil || d <= 0 {
				t.Errorf("%s: for: %q is no duration", r.name, r.forDur)
			}
		}
	}
	for _, want := range []string{"HearthDown", "HearthStateStoreFailing", "HearthEventsRejected", "HearthEventsUnavailable"} {
		if !names[want] {
			t.Errorf("no rule %s", want)
		}
	}
	suppressedLeftOut := false
	for _, r := range rules {
		for _, problem := range unknownLabelValues(r.expr) {
			t.Errorf("%s: %s", r.name, problem)
		}
		if r.name == "HearthEventsRejected" && strings.Contains(r.expr, `hearth_events_rejected_total{reason!="suppressed"}`) {
			suppressedLeftOut = true
		}
	}
	if !suppressedLeftOut {
		t.Error(`HearthEventsRejected does not leave out reason="suppressed", which is no sender's fault`)
	}
}

// knownLabelValues are the values the daemon serves for the labels the
// alerting rules and the dashboard match on, by metric: a matcher on
// any other value would match nothing.
func knownLabelValues() map[string]map[string][]string {
	return map[string]map[string][]string{
		"hearth_events_rejected_total":          {"reason": rejectReasons},
		"hearth_requests_refused_total":         {"reason": refuseReasons},
		"hearth_outbox_deliveries_total":        {"result": {"sent", "retry", "wait", "held", "dead", "skipped", "expired"}},
		"hearth_alerts_firing":                  {"severity": {"info", "warning", "critical"}},
		"hearth_http_requests_total":            {"route": {"POST /v1/events"}, "code": presetCodes(Route{Events: true})},
		"hearth_config_reloads_total":           {"result": reloadResults},
		"hearth_state_pruned_total":             {"kind": pruneKinds},
		"hearth_campaign_exits_total":           {"reason": campaignExitReasons},
		"hearth_moderation_actions_total":       {"action": moderationActions},
		"hearth_http_unauthorized_total":        {"reason": unauthorizedReasons},
		"hearth_events_processed_total":         {"duplicate": {"true", "false"}},
		"hearth_campaign_goals_total":           {},
		"hearth_bus_events_total":               {"result": {"published", "refused", "applied", "duplicate"}},
		"hearth_bus_lease_changes_total":        {"change": {"acquired", "released", "lost"}},
		"hearth_outbox_entries":                 {"status": {"pending", "sent", "dead", "skipped"}},
		"hearth_campaign_variant_entries_total": {},
	}
}

// unknownLabelValues says which of a PromQL expression's matchers on
// hearth_ metrics name a label value the daemon does not serve (or a
// label this table does not know, to be added to it). A matcher on ""
// is about the label being set, which any label can be.
func unknownLabelValues(expr string) []string {
	matcher := regexp.MustCompile(`(hearth_[a-z_]+)\{([^}]*)\}`)
	label := regexp.MustCompile(`([a-z]+)!?=~?"([^"]*)"`)
	allowed := knownLabelValues()
	var problems []string
	for _, m := range matcher.FindAllStringSubmatch(expr, -1) {
		for _, l := range label.FindAllStringSubmatch(m[2], -1) {
			if l[2] == "" {
				continue
			}
			values, known := allowed[m[1]][l[1]]
			if !known {
				problems = append(problems, fmt.Sprintf("%s{%s}: no label values known to check %s against; add them to knownLabelValues", m[1], m[2], l[1]))
				continue
			}
			if !slices.Contains(values, l[2]) {
				problems = append(problems, fmt.Sprintf("%s{%s=%q}: the daemon serves no such %s (it has %q)", m[1], l[1], l[2], l[1], values))
			}
		}
	}
	return problems
}
