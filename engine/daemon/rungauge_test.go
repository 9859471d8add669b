package daemon

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// The active runs gauge counts each run once, whichever of a scan and
// the moves of committed work comes first: work begun before a scan
// moves it only until the scan's result is in (which counts that work),
// and work begun after is added to the result.
func TestCampaignRunGaugeScansAndMoves(t *testing.T) {
	g := &runGauge{sizes: sizes{vec: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "runs"}, []string{"campaign"})}}
	value := func() float64 { return gaugeValue(t, g.vec, "welcome") }
	names := []string{"welcome"}

	// The scan at start: 2 runs stored.
	g.settle(g.scanStarts(), names, map[string]int{"welcome": 2})
	if v := value(); v != 2 {
		t.Fatalf("after the first scan: %v, want 2", v)
	}
	// Work after it: 3 entered, 1 ended.
	w := g.current()
	g.move(w, map[string]int{"welcome": 3})
	g.move(w, map[string]int{"welcome": -1})
	if v := value(); v != 4 {
		t.Fatalf("after moves: %v, want 4", v)
	}
	// A scan starts; work begun before it (w) commits while the scan
	// reads, and work begun after (w2) commits before its result is in.
	scan := g.scanStarts()
	g.move(w, map[string]int{"welcome": 1}) // in the scan: 5 runs
	w2 := g.current()
	g.move(w2, map[string]int{"welcome": 2}) // not in it
	g.settle(scan, names, map[string]int{"welcome": 5})
	if v := value(); v != 7 {
		t.Fatalf("after the second scan: %v, want 7 (5 scanned, 2 since)", v)
	}
	// Late news of work from before the scan changes nothing: it was
	// counted.
	g.move(w, map[string]int{"welcome": 1})
	if v := value(); v != 7 {
		t.Fatalf("a move the scan counted: %v, want 7", v)
	}
	// A campaign with no series (removed by a reload) does not get one.
	g.move(g.current(), map[string]int{"gone": 1})
	ch := make(chan prometheus.Metric, 10)
	g.vec.Collect(ch)
	if n := len(ch); n != 1 {
		t.Fatalf("%d series, want 1", n)
	}
}

// gaugeValue reads a gauge vector's series for label, through the
// exposition hearth serves.
func gaugeValue(t *testing.T, vec *prometheus.GaugeVec, label string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(vec)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == label {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no series %q", label)
	return 0
}
