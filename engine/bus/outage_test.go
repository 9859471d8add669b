package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hearth-community/hearth/engine/bus/bustest"
	"github.com/hearth-community/hearth/engine/lograte"
)

// streamMsgs is how many messages the stream holds, asked of NATS
// directly (not through the proxy).
func streamMsgs(t *testing.T, stream string) uint64 {
	t.Helper()
	nc, err := nats.Connect(natsURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// With NATS out of reach (the proxy to it cut), Publish fails at once
// with ErrUnavailable and sends nothing; with NATS stalled (the proxy
// holding every byte), it fails within the publish timeout, the events
// unconfirmed. Either way, the same events published again once NATS is
// back are stored and applied exactly once, and the failures of the
// outage are logged once each, with one line when they end.
func TestPublishWhileNATSIsOutOfReach(t *testing.T) {
	stream := freshStream(t)
	proxy := bustest.NewProxy(t, natsURL(t))
	var logs syncBuffer
	const timeout = 3 * time.Second
	b, err := Open(context.Background(), Options{URL: proxy.URL(), Stream: stream, Partitions: 2, Replica: "r1",
		Lease: time.Second, Batch: 100, PublishTimeout: timeout,
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = b.Run(ctx, rec, rec) })
	defer func() {
		cancel()
		proxy.Resume()
		wg.Wait()
	}()
	evs := workload(30, 4)
	publish(t, b, evs[:10])
	waitFor(t, "the first events applied", func() bool { return rec.count() == 10 })
	if v := gauge(t, b, "hearth_bus_connected"); v != 1 {
		t.Errorf("hearth_bus_connected %v while connected; want 1", v)
	}

	proxy.Cut()
	waitFor(t, "the client to see the connection drop", func() bool { return !b.Connected() })
	began := time.Now()
	err = b.Publish(context.Background(), evs[10:20], false)
	took := time.Since(began)
	var pe *PublishError
	if !errors.As(err, &pe) || !errors.Is(err, ErrUnavailable) || len(pe.ConfirmedIDs()) != 0 || pe.Total != 10 {
		t.Fatalf("publish with NATS out of reach: %v; want a PublishError, nothing confirmed", err)
	}
	// The connection had just dropped: the publish waited for it to come
	// back (connectWait), no longer.
	if took > connectWait+time.Second {
		t.Errorf("publish took %s with NATS out of reach; want at most %s", took, connectWait)
	}
	if !strings.Contains(err.Error(), "NATS connection is reconnecting") {
		t.Errorf("error: %v", err)
	}
	// Once down that long, refused at once.
	began = time.Now()
	if err := b.Publish(context.Background(), evs[10:20], false); !errors.Is(err, ErrUnavailable) || time.Since(began) > 500*time.Millisecond {
		t.Errorf("publish with NATS out of reach for a while: %v after %s; want ErrUnavailable at once", err, time.Since(began))
	}
	if v := gauge(t, b, "hearth_bus_connected"); v != 0 {
		t.Errorf("hearth_bus_connected %v while disconnected; want 0", v)
	}
	// Rebalancing rounds fail meanwhile, each after NATS calls time out
	// (5s): one warning for them all.
	waitFor(t, "two rebalancing rounds to fail", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.troubles["rebalance"] != nil && b.troubles["rebalance"].failures >= 2
	})
	if n := strings.Count(logs.String(), "bus: rebalancing failed"); n != 1 {
		t.Errorf("%d rebalancing warnings for two failed rounds; want 1\n%s", n, logs.String())
	}
	if n := streamMsgs(t, stream); n != 10 {
		t.Errorf("the stream holds %d messages after the refused publishes; want 10", n)
	}
	if b.Counts().Refused != 20 {
		t.Errorf("counts: %+v; want 20 refused", b.Counts())
	}

	proxy.Restore()
	waitFor(t, "the bus to reconnect", func() bool { return b.Ready(context.Background()) == nil })
	publish(t, b, evs[10:20])
	waitFor(t, "the events sent again applied", func() bool { return rec.count() == 20 })

	// Stalled: connected, nothing comes back.
	proxy.Pause()
	began = time.Now()
	err = b.Publish(context.Background(), evs[20:30], false)
	took = time.Since(began)
	if !errors.As(err, &pe) || len(pe.ConfirmedIDs()) != 0 || !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "did not confirm the events within 3s") {
		t.Fatalf("publish with NATS stalled: %v; want a PublishError after the timeout", err)
	}
	if took < timeout || took > timeout+time.Second {
		t.Errorf("publish with NATS stalled took %s; want the timeout, %s", took, timeout)
	}
	// What was held goes through: the events may be stored after all,
	// and sending them again stores and applies each once.
	proxy.Resume()
	waitFor(t, "the bus to answer", func() bool { return b.Ready(context.Background()) == nil })
	publish(t, b, evs[20:30])
	waitFor(t, "every event applied", func() bool { return rec.count() == 30 })
	time.Sleep(500 * time.Millisecond) // room for a duplicate delivery to show
	if n := streamMsgs(t, stream); n != 30 {
		t.Errorf("the stream holds %d messages; want 30, each event once", n)
	}
	rec.mu.Lock()
	dups := rec.dups
	rec.mu.Unlock()
	if dups != 0 {
		t.Errorf("%d duplicates applied; want none (the stream's duplicate window)", dups)
	}
	rec.check(t, 30)

	// Rebalancing failed at every round (every 250ms) through the cut:
	// one warning, and one line once it worked again.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "bus: rebalancing works again"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no line saying rebalancing works again:\n%s", logs.String())
		}
	}
	out := logs.String()
	if n := strings.Count(out, "bus: rebalancing failed"); n < 1 || n > 2 {
		t.Errorf("%d rebalancing warnings; want one per outage (the cut, maybe the stall)\n%s", n, out)
	}
	if !strings.Contains(out, "bus: reconnected to NATS") || !strings.Contains(out, "down_for=") {
		t.Errorf("no reconnection line with how long the bus was down:\n%s", out)
	}
	if n := strings.Count(out, "bus: lost partition leases"); n > 2 {
		t.Errorf("%d lines about lost leases; want at most one per outage", n)
	}
}

// gauge is the value of one of the bus's unlabelled gauges.
func gauge(t *testing.T, b *Bus, name string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(b)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// A failure that goes on is logged first, then once a minute with how
// many were held back, then once when it is over; a new one after that
// is logged at once. Partition readers recover when none fails any more;
// one dropped (its lease lost) is no recovery.
func TestRepeatedFailuresAreLoggedOnceAMinute(t *testing.T) {
	var logs syncBuffer
	clock := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	b := &Bus{log: slog.New(slog.NewTextHandler(&logs, nil)), logs: lograte.New(logEvery), troubles: map[string]*trouble{},
		now: func() time.Time { return clock }}
	for range 24 { // two minutes, every 5 seconds
		b.fail("rebalance", -1, "bus: rebalancing failed; trying again", "err", "heartbeat: context deadline exceeded")
		clock = clock.Add(5 * time.Second)
	}
	out := logs.String()
	if n := strings.Count(out, "rebalancing failed"); n != 2 {
		t.Errorf("%d lines for 24 failures in two minutes; want 2 (the first, then a minute later)\n%s", n, out)
	}
	if !strings.Contains(out, "not_logged=11 failing_for=1m0s") {
		t.Errorf("the minute's line does not count those held back:\n%s", out)
	}
	b.mend("rebalance", -1, "bus: rebalancing works again", false)
	if !strings.Contains(logs.String(), `msg="bus: rebalancing works again" failures=24 failed_for=2m0s`) {
		t.Errorf("no recovery line:\n%s", logs.String())
	}
	b.mend("rebalance", -1, "bus: rebalancing works again", false)
	if n := strings.Count(logs.String(), "works again"); n != 1 {
		t.Errorf("%d recovery lines; want 1", n)
	}
	b.fail("rebalance", -1, "bus: rebalancing failed; trying again")
	if n := strings.Count(logs.String(), "rebalancing failed"); n != 3 {
		t.Errorf("a new failure after the recovery was held back (%d lines)", n)
	}

	logs = syncBuffer{}
	for p := range 3 {
		b.fail("partition", p, "bus: partition reading stopped", "partition", p)
	}
	b.mend("partition", 0, "bus: partitions are read again", false)
	b.mend("partition", 1, "", true) // lost
	if strings.Contains(logs.String(), "read again") || fmt.Sprint(b.failingParts("partition")) != "[2]" {
		t.Errorf("recovery said while partition 2 still fails: %v\n%s", b.failingParts("partition"), logs.String())
	}
	b.mend("partition", 2, "bus: partitions are read again", false)
	if n := strings.Count(logs.String(), "partition reading stopped"); n != 1 || !strings.Contains(logs.String(), `msg="bus: partitions are read again" failures=3`) {
		t.Errorf("partition lines:\n%s", logs.String())
	}
}
