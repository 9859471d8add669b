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
