package bus

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metricDescs describe the bus's metrics; they are read from the bus's
// running totals when Prometheus scrapes, so nothing on the hot path
// updates a metric.
type metricDescs struct {
	owned, pending, events, leases, resets, retries *prometheus.Desc
	replicas, mismatch                              *prometheus.Desc
	connected, disconnects                          *prometheus.Desc
}

func newMetricDescs() metricDescs {
	return metricDescs{
		owned: prometheus.NewDesc("hearth_bus_partitions_owned",
			"Partitions of the event bus this replica owns and reads.", nil, nil),
		pending: prometheus.NewDesc("hearth_bus_partition_pending",
			"Events waiting in the stream past the last one this replica received, per partition it reads: the replica's lag.", []string{"partition"}, nil),
		events: prometheus.NewDesc("hearth_bus_events_total",
			"Events this replica published to the bus, refused (not confirmed by JetStream: answered 503), and applied from it (duplicates by id apart), by result.", []string{"result"}, nil),
		leases: prometheus.NewDesc("hearth_bus_lease_changes_total",
			"Partition leases this replica acquired, released (to a replica that joined) and lost (not renewed in time).", []string{"change"}, nil),
		resets: prometheus.NewDesc("hearth_bus_partition_resets_total",
			"Times a partition was read again from its committed position after a failure.", nil, nil),
		retries: prometheus.NewDesc("hearth_bus_apply_retries_total",
			"Batches applied again after a commit failed (another replica changed one of their members).", nil, nil),
		replicas: prometheus.NewDesc("hearth_replicas",
			"Live replicas on the event bus, this one included, by their heartbeats.", nil, nil),
		connected: prometheus.NewDesc("hearth_bus_connected",
			"1 while this replica's connection to NATS is up, 0 while it is down (events are refused with 503 then).", nil, nil),
		disconnects: prometheus.NewDesc("hearth_bus_disconnects_total",
			"Times this replica's connection to NATS dropped.", nil, nil),
		mismatch: prometheus.NewDesc("hearth_config_mismatch",
			"1 when live replicas run configurations with different fingerprints (hearth_config_info's hash), 0 when they agree.", nil, nil),
	}
}

// Describe implements prometheus.Collector, so the daemon serves the
// bus's metrics on /metrics beside its own.
func (b *Bus) Describe(ch chan<- *prometheus.Desc) {
	d := newMetricDescs()
	for _, desc := range []*prometheus.Desc{d.owned, d.pending, d.events, d.leases, d.resets, d.retries, d.replicas, d.mismatch, d.connected, d.disconnects} {
		ch <- desc
	}
}

// Collect implements prometheus.Collector.
func (b *Bus) Collect(ch chan<- prometheus.Metric) {
	d := newMetricDescs()
	c := b.Counts()
	ch <- prometheus.MustNewConstMetric(d.owned, prometheus.GaugeValue, float64(len(b.Owned())))
	for p, n := range b.Pending() {
		ch <- prometheus.MustNewConstMetric(d.pending, prometheus.GaugeValue, float64(n), strconv.Itoa(p))
	}
	for result, n := range map[string]int64{"published": c.Published, "refused": c.Refused, "applied": c.Applied, "duplicate": c.Duplicates} {
		ch <- prometheus.MustNewConstMetric(d.events, prometheus.CounterValue, float64(n), result)
	}
	for change, n := range map[string]int64{"acquired": c.Acquired, "released": c.Released, "lost": c.Lost} {
		ch <- prometheus.MustNewConstMetric(d.leases, prometheus.CounterValue, float64(n), change)
	}
	ch <- prometheus.MustNewConstMetric(d.resets, prometheus.CounterValue, float64(c.Resets))
	ch <- prometheus.MustNewConstMetric(d.retries, prometheus.CounterValue, float64(c.Retries))
	rs, mismatched := b.Replicas()
	ch <- prometheus.MustNewConstMetric(d.replicas, prometheus.GaugeValue, float64(len(rs)))
	flag := 0.0
	if mismatched {
		flag = 1
	}
	ch <- prometheus.MustNewConstMetric(d.mismatch, prometheus.GaugeValue, flag)
	up := 0.0
	if b.Connected() {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(d.connected, prometheus.GaugeValue, up)
	ch <- prometheus.MustNewConstMetric(d.disconnects, prometheus.CounterValue, float64(b.disconnects.Load()))
}
