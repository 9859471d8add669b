package daemon

import (
	"fmt"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/hearth-community/hearth/engine/config"
)

// series lists what a gauge vec serves, as "alert severity value".
func series(t *testing.T, vec *prometheus.GaugeVec) []string {
	t.Helper()
	ch := make(chan prometheus.Metric)
	go func() { vec.Collect(ch); close(ch) }()
	var out []string
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		labels := map[string]string{}
		for _, l := range pb.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		out = append(out, fmt.Sprintf("%s %s %v", labels["alert"], labels["severity"], pb.GetGauge().GetValue()))
	}
	slices.Sort(out)
	return out
}

// hearth_alerts_firing is labelled with each alert's severity; a reload
// that changes it moves the series, and one that removes the alert
// deletes it.
func TestAlertsFiringCarrySeverity(t *testing.T) {
	g := alertGauge{vec: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hearth_alerts_firing", Help: "x"}, []string{"alert", "severity"})}
	g.keep(&config.Config{Alerts: []*config.Alert{{Name: "spam", Severity: "critical"}, {Name: "quiet", Severity: "info"}}}, map[string]int{"spam": 2})
	if got, want := series(t, g.vec), []string{"quiet info 0", "spam critical 2"}; !slices.Equal(got, want) {
		t.Errorf("served %q; want %q", got, want)
	}
	g.keep(&config.Config{Alerts: []*config.Alert{{Name: "spam", Severity: "warning"}}}, nil)
	if got, want := series(t, g.vec), []string{"spam warning 0"}; !slices.Equal(got, want) {
		t.Errorf("after the reload: served %q; want %q", got, want)
	}
}
