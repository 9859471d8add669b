package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/bench"
)

// hearth bench -json has every figure the README's table shows, each
// measured (a zero would mean a step was skipped or broke).
func TestBenchJSONHasEveryFigure(t *testing.T) {
	if testing.Short() {
		t.Skip("bench runs the whole engine; skipped with -short")
	}
	code, stdout, stderr := hearthCmd(t, "", false, "bench", "-json", "-config", "../../examples/stackexchange",
		"-events", "10000", "-members", "1000", "-segment-members", "2000", "-impact-members", "2000")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	for _, name := range []string{"events_per_sec_memory", "events_per_sec_durable", "p50_ms_at_10k", "p99_ms_at_10k",
		"p999_ms_at_10k", "engine_overhead_ratio", "segment_1m_ms", "impact_1m_ms", "plan_10k_ms",
		"reload_1000_rules_ms", "bytes_per_member"} {
		v, ok := rep[name].(float64)
		if !ok || v <= 0 {
			t.Errorf("%s = %v; want a positive number", name, rep[name])
		}
	}
	for _, name := range []string{"segment_members", "impact_members"} {
		if v, _ := rep[name].(float64); v != 2000 {
			t.Errorf("%s = %v; want 2000, the members asked for", name, rep[name])
		}
	}
	missed, ok := rep["missed"].([]any)
	if !ok {
		t.Errorf("missed = %v; want a list", rep["missed"])
	}
	for _, m := range missed {
		if _, isFigure := rep[m.(string)]; !isFigure {
			t.Errorf("missed names %v, which is no figure", m)
		}
	}
	if ratio, _ := rep["engine_overhead_ratio"].(float64); ratio < 1 {
		t.Errorf("engine_overhead_ratio %v: the engine cannot cost less than its rules", ratio)
	}
}

// A workload with no events past the joins has nothing to measure: it is
// refused before any work starts, with the reason.
func TestBenchRefusesTooFewEvents(t *testing.T) {
	for _, args := range [][]string{{"-events", "0"}, {"-events", "100", "-members", "100"}, {"-members", "0"}} {
		code, _, stderr := hearthCmd(t, "", false, append([]string{"bench", "-config", "../../examples/stackexchange"}, args...)...)
		if code != 1 || !strings.Contains(stderr, "must be more than -members") {
			t.Errorf("bench %v: exit %d, stderr %q; want exit 1 and the reason", args, code, stderr)
		}
	}
}

// Each figure with a target says whether it met it; one measured over
// fewer members than its target is for is not judged; -check turns a
// miss into exit 1 with the figures named.
func TestBenchTableJudgesTargets(t *testing.T) {
	rep := &bench.Report{
		EventsPerSecMemory: 150000, EventsPerSecDurable: 25000, P50MsAt10k: 2, P99MsAt10k: 8, P999MsAt10k: 12,
		EngineOverheadRatio: 2.5, RuleEvalNs: 90, RulesPerEvent: 15,
		Segment1MMs: 30, SegmentMembers: 100000, Impact1MMs: 1500, ImpactMembers: 1000000,
		Plan10kMs: 80, Reload1000RulesMs: 40, BytesPerMember: 2000,
	}
	rep.CheckTargets()
	if want := []string{"events_per_sec_durable", "engine_overhead_ratio"}; !slices.Equal(rep.Missed, want) {
		t.Fatalf("missed %v; want %v", rep.Missed, want)
	}
	var out strings.Builder
	writeBenchTable(&out, rep, false)
	want := `figure                  value   target
events_per_sec_memory   150000  >= 100000  met
events_per_sec_durable  25000   >= 30000   MISSED
p50_ms_at_10k           2.00
p99_ms_at_10k           8.00    <= 10      met
p999_ms_at_10k          12.00
engine_overhead_ratio   2.50    <= 2       MISSED
  rule_eval_ns          90
  rules_per_event       15.0
segment_1m_ms           30      <= 1000    not judged: over 100,000 members, the target is for 1,000,000
impact_1m_ms            1500    <= 2000    met
plan_10k_ms             80      <= 250     met
reload_1000_rules_ms    40.0    <= 100     met
bytes_per_member        2000
`
	if out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
	}

	var errb strings.Builder
	s := &stdio{err: &errb}
	if code := benchCheck(s, rep, false); code != 0 {
		t.Errorf("without -check: exit %d", code)
	}
	if code := benchCheck(s, rep, true); code != 1 || !strings.Contains(errb.String(), "events_per_sec_durable 25000.00 (target >= 30000); engine_overhead_ratio 2.50 (target <= 2)") {
		t.Errorf("-check: exit %d, %q", code, errb.String())
	}
	rep.EventsPerSecDurable, rep.EngineOverheadRatio = 40000, 1.9
	rep.CheckTargets()
	if code := benchCheck(s, rep, true); code != 0 || len(rep.Missed) != 0 {
		t.Errorf("all met: exit %d, missed %v", code, rep.Missed)
	}
}

// Run where the default rules directory is not (outside a checkout),
// bench names the flag that says where the rules are.
func TestBenchNamesConfigFlagWhenNoRules(t *testing.T) {
	code, _, stderr := hearthCmd(t, "", false, "bench", "-config", t.TempDir()+"/none")
	if code != 1 || !strings.Contains(stderr, "-config DIR") {
		t.Errorf("exit %d, stderr %q; want exit 1 naming -config DIR", code, stderr)
	}
}

// A figure skipped by its flag is null in -json, not 0, and is no miss.
func TestBenchJSONSkippedFiguresAreNull(t *testing.T) {
	rep := &bench.Report{EventsPerSecMemory: 150000, EventsPerSecDurable: 40000, P99MsAt10k: 8,
		EngineOverheadRatio: 1.5, Impact1MMs: 1500, ImpactMembers: 1000000, Reload1000RulesMs: 40}
	rep.CheckTargets()
	if len(rep.Missed) != 0 {
		t.Errorf("missed %v; want none: skipped figures are not judged", rep.Missed)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"segment_1m_ms", "plan_10k_ms"} {
		if v, ok := doc[name]; !ok || v != nil {
			t.Errorf("%s = %v (present %v); want null", name, v, ok)
		}
	}
	if doc["impact_1m_ms"] != 1500.0 {
		t.Errorf("impact_1m_ms = %v; want 1500", doc["impact_1m_ms"])
	}
}
