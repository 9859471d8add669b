package bench

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

func loadExample(b *testing.B) *config.Config {
	b.Helper()
	cfg, _, diags := config.Load("../../examples/stackexchange", config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	return cfg
}

// BenchmarkApplyMemory is events per second through the Stack Exchange
// rules with the in-memory store; ns/op is per event.
func BenchmarkApplyMemory(b *testing.B) {
	cfg := loadExample(b)
	evs := Workload(2000, 20000, 1)
	ctx := context.Background()
	n := 0
	for b.Loop() {
		if _, _, err := applyAll(ctx, cfg, state.NewMemory(), evs, 1000, false); err != nil {
			b.Fatal(err)
		}
		n += len(evs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEngineOverhead is hearth bench's engine_overhead_ratio as a
// Go benchmark, over the same workload (20,000 members, 200,000 events),
// for benchstat: ns/op is per event, and "ratio" is the engine's time
// over the time its rules took, the timing's own cost taken off.
func BenchmarkEngineOverhead(b *testing.B) {
	cfg := loadExample(b)
	evs := Workload(20000, 200000, 1)
	ctx := context.Background()
	// One run first, untimed, as hearth bench runs the events in memory
	// before it times the rules: a first run in a fresh process also pays
	// for growing the heap, which made runs differ by a third.
	if _, _, err := applyAll(ctx, cfg, state.NewMemory(), evs, 1000, false); err != nil {
		b.Fatal(err)
	}
	var engineNs, ruleNs float64
	n := 0
	for b.Loop() {
		secs, rt, err := applyAll(ctx, cfg, state.NewMemory(), evs, 1000, true)
		if err != nil {
			b.Fatal(err)
		}
		st := rt.Stats()
		if st.TimedEvals == 0 {
			b.Fatal("no evaluation was timed")
		}
		engineNs += secs*1e9 - float64(st.TimingNanos)
		ruleNs += float64(st.EvalNanos) / float64(st.TimedEvals) * float64(st.Evaluations)
		n += len(evs)
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(n), "ns/op")
	b.ReportMetric(engineNs/ruleNs, "ratio")
}

// BenchmarkApplySQLite is the same committed to SQLite.
func BenchmarkApplySQLite(b *testing.B) {
	cfg := loadExample(b)
	evs := Workload(20000, 100000, 1)
	ctx := context.Background()
	n := 0
	for b.Loop() {
		s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "s.db"))
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := applyAll(ctx, cfg, s, evs, 2000, false); err != nil {
			b.Fatal(err)
		}
		s.Close()
		n += len(evs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkSegment100k(b *testing.B) {
	for b.Loop() {
		segmentMs(100000)
	}
}

// BenchmarkMemberImpact100k is hearth bench's impact_1m_ms over 100,000
// members, for benchstat: "ms" is the preview's own time, without making
// the members.
func BenchmarkMemberImpact100k(b *testing.B) {
	cfg := loadExample(b)
	var total float64
	n := 0
	for b.Loop() {
		ms, err := impactMs(context.Background(), cfg, 100000)
		if err != nil {
			b.Fatal(err)
		}
		total += ms
		n++
	}
	b.ReportMetric(total/float64(n), "ms")
}

// FollowOn goes on where a Workload stopped: later, at the given pace,
// no joins, and only members the Workload made.
func TestFollowOn(t *testing.T) {
	after := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	evs := FollowOn(50, 500, 2, after, time.Minute)
	if len(evs) != 500 {
		t.Fatalf("%d events; want 500", len(evs))
	}
	known := map[string]bool{}
	for _, ev := range Workload(50, 50, 1) {
		known[ev.Member.ID] = true
	}
	for i, ev := range evs {
		if want := after.Add(time.Duration(i+1) * time.Minute); !ev.At.Equal(want) {
			t.Fatalf("event %d at %v; want %v", i, ev.At, want)
		}
		if ev.Type == "member.joined" || !known[ev.Member.ID] {
			t.Fatalf("event %d: %s for %s; want activity of a member who joined", i, ev.Type, ev.Member.ID)
		}
	}
}
