package bench

import (
	"context"
	"testing"

	"github.com/hearth-community/hearth/engine/state"
)

func BenchmarkApplyMemoryFull(b *testing.B) {
	cfg := loadExample(b)
	evs := Workload(20000, 200000, 1)
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

func BenchmarkLatencyZZ(b *testing.B) {
	cfg := loadExample(b)
	ctx := context.Background()
	var p50, p99 float64
	n := 0
	for b.Loop() {
		lat, err := latencyAt(ctx, cfg, b.TempDir()+"/lat.db", Workload(20000, 20000, 2), 10000)
		if err != nil {
			b.Fatal(err)
		}
		p50 += lat[0]
		p99 += lat[1]
		n++
	}
	b.ReportMetric(p50/float64(n), "p50ms")
	b.ReportMetric(p99/float64(n), "p99ms")
}
