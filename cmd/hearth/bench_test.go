package main

import (
	"encoding/json"
	"strings"
	"testing"
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
