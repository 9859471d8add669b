package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hearth-community/hearth/engine/events"
)

func natsURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("HEARTH_TEST_NATS_URL")
	if u == "" {
		t.Skip("skipping: set HEARTH_TEST_NATS_URL (nats://127.0.0.1:4222, with JetStream) to test the event bus")
	}
	return u
}

// freshStream names a stream of its own for one test and deletes it and
// its buckets after.
func freshStream(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("HT%d_%d", os.Getpid(), rand.Uint32())
	u := natsURL(t)
	t.Cleanup(func() {
		nc, err := nats.Connect(u)
		if err != nil {
			return
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		ctx := context.Background()
		_ = js.DeleteStream(ctx, name)
		for _, b := range []string{"_leases", "_replicas", "_config"} {
			_ = js.DeleteKeyValue(ctx, name+b)
		}
	})
	return name
}

func openBus(t testing.TB, stream, replica string, partitions int) *Bus {
	t.Helper()
	b, err := Open(context.Background(), Options{URL: natsURL(t), Stream: stream, Partitions: partitions, Replica: replica,
		Lease: time.Second, Batch: 100, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// recorder is a sink standing in for the daemon and its store: it keeps
// applied event ids (the state's dedup), the order each member's events
// came in, and cursors, shared by all replicas as the database is.
type recorder struct {
	mu       sync.Mutex
	applied  map[string]bool
	order    map[string][]int
	dups     int
	failures int // Apply calls still to fail
	cursors  map[string]string
	holds    int // HoldTimers calls
}

// HoldTimers counts the holds a backfill asks for, as the daemon would
// hold its timers.
func (r *recorder) HoldTimers(time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.holds++
}

func newRecorder() *recorder {
	return &recorder{applied: map[string]bool{}, order: map[string][]int{}, cursors: map[string]string{}}
}

func (r *recorder) Apply(_ context.Context, evs []events.Event) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		return 0, errors.New("injected failure")
	}
	dups := 0
	for _, ev := range evs {
		if r.applied[ev.ID] {
			dups++
			continue
		}
		r.applied[ev.ID] = true
		n, err := strconv.Atoi(fmt.Sprint(ev.Attrs["n"]))
		if err != nil {
			return 0, err
		}
		r.order[ev.Member.ID] = append(r.order[ev.Member.ID], int(n))
	}
	r.dups += dups
	return dups, nil
}

func (r *recorder) Cursor(_ context.Context, s string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cursors[s], nil
}

func (r *recorder) SetCursor(_ context.Context, s, c string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cursors[s] = c
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.applied)
}

// check fails unless every member's events were applied once each, in
// the order they were published.
func (r *recorder) check(t *testing.T, want int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.applied) != want {
		t.Errorf("%d events applied; want %d", len(r.applied), want)
	}
	for m, ns := range r.order {
		if !slices.IsSorted(ns) {
			t.Errorf("member %s: events applied out of order: %v", m, ns)
		}
	}
}

// workload makes n events over members, numbered in publishing order.
func workload(n, members int) []events.Event {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	out := make([]events.Event, n)
	for i := range out {
		out[i] = events.Event{ID: fmt.Sprintf("e%06d", i), Type: "message.posted", Member: events.Member{ID: fmt.Sprintf("m%03d", i%members)},
			At: t0.Add(time.Duration(i) * time.Second), Attrs: map[string]any{"n": i}}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func publish(t *testing.T, b *Bus, evs []events.Event) {
	t.Helper()
	publishAs(t, b, evs, false)
}

func publishAs(t *testing.T, b *Bus, evs []events.Event, backfill bool) {
	t.Helper()
	for start := 0; start < len(evs); start += 250 {
		if err := b.Publish(context.Background(), evs[start:min(start+250, len(evs))], backfill); err != nil {
			t.Fatal(err)
		}
	}
}

// Two replicas share the partitions; every event is applied once, each
// member's in order; publishing the same events again stores nothing new
// (the stream's duplicate window) and applies nothing new (the ids).
func TestTwoReplicasShareThePartitions(t *testing.T) {
	stream := freshStream(t)
	rec := newRecorder()
	a, b := openBus(t, stream, "a", 8), openBus(t, stream, "b", 8)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, x := range []*Bus{a, b} {
		wg.Go(func() { _ = x.Run(ctx, rec, rec) })
	}
	evs := workload(3000, 40)
	publish(t, a, evs[:1500])
	publish(t, b, evs[1500:])
	publish(t, a, evs[:500]) // a client retrying
	waitFor(t, "all events applied", func() bool { return rec.count() == 3000 })
	// Between two rounds a partition may be on its way from one to the
	// other; once settled, each is owned once.
	waitFor(t, "both replicas owning partitions, 8 in all", func() bool {
		x, y := a.Owned(), b.Owned()
		return len(x) > 0 && len(y) > 0 && len(x)+len(y) == 8 && !overlap(x, y)
	})
	cancel()
	wg.Wait()
	rec.check(t, 3000)
	if len(a.Owned())+len(b.Owned()) != 0 {
		t.Error("partitions still owned after Run returned")
	}
}

// A replica that leaves hands its partitions over; one that joins takes
// its share; events go on being applied in order throughout.
func TestRebalanceWhenReplicasComeAndGo(t *testing.T) {
	stream := freshStream(t)
	rec := newRecorder()
	a := openBus(t, stream, "a", 6)
	actx, stopA := context.WithCancel(context.Background())
	aDone := make(chan struct{})
	go func() { _ = a.Run(actx, rec, rec); close(aDone) }()
	waitFor(t, "a owning every partition", func() bool { return len(a.Owned()) == 6 })

	evs := workload(2000, 30)
	publish(t, a, evs[:700])
	b := openBus(t, stream, "b", 6)
	bctx, stopB := context.WithCancel(context.Background())
	bDone := make(chan struct{})
	go func() { _ = b.Run(bctx, rec, rec); close(bDone) }()
	waitFor(t, "b taking its share", func() bool { return len(b.Owned()) > 0 && len(a.Owned())+len(b.Owned()) == 6 })
	publish(t, b, evs[700:1400])
	stopA()
	<-aDone
	waitFor(t, "b owning every partition", func() bool { return len(b.Owned()) == 6 })
	publish(t, b, evs[1400:])
	waitFor(t, "all events applied", func() bool { return rec.count() == 2000 })
	stopB()
	<-bDone
	rec.check(t, 2000)
}

// A failed apply (the database refused the commit) is tried again, and
// after repeated failures read again from the committed position:
// nothing after it overtakes it.
func TestFailedApplyKeepsOrder(t *testing.T) {
	stream := freshStream(t)
	rec := newRecorder()
	rec.failures = 10 // eight tries of one batch, then a reset, then two more
	a := openBus(t, stream, "a", 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx, rec, rec); close(done) }()
	publish(t, a, workload(1000, 10))
	waitFor(t, "all events applied", func() bool { return rec.count() == 1000 })
	cancel()
	<-done
	rec.check(t, 1000)
	if c := a.Counts(); c.Resets < 1 || c.Retries < 8 {
		t.Errorf("resets %d, retries %d; want at least 1 and 8", c.Resets, c.Retries)
	}
}

// A replica killed without giving its partitions back loses them when
// its lease runs out.
func TestLeaseExpiresForADeadReplica(t *testing.T) {
	stream := freshStream(t)
	rec := newRecorder()
	dead := openBus(t, stream, "dead", 4)
	ctx := context.Background()
	// Take the leases by hand, as a replica would, and then vanish.
	for p := range 4 {
		if _, err := dead.leases.Create(ctx, fmt.Sprintf("p%d", p), []byte("dead")); err != nil {
			t.Fatal(err)
		}
	}
	live := openBus(t, stream, "live", 4)
	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = live.Run(lctx, rec, rec); close(done) }()
	publish(t, live, workload(400, 8))
	waitFor(t, "the live replica taking over after the lease", func() bool { return len(live.Owned()) == 4 })
	waitFor(t, "all events applied", func() bool { return rec.count() == 400 })
	stop()
	<-done
	rec.check(t, 400)
}

func overlap(x, y []int) bool {
	for _, p := range x {
		if slices.Contains(y, p) {
			return true
		}
	}
	return false
}

func TestPartitionCountMustAgree(t *testing.T) {
	stream := freshStream(t)
	openBus(t, stream, "a", 4)
	_, err := Open(context.Background(), Options{URL: natsURL(t), Stream: stream, Partitions: 5})
	if err == nil || !strings.Contains(err.Error(), "-bus-partitions 4") {
		t.Fatalf("error %v", err)
	}
}

func TestPartitionIsStable(t *testing.T) {
	seen := map[int]bool{}
	for i := range 1000 {
		m := fmt.Sprintf("member-%d", i)
		p := Partition(m, 16)
		if p != Partition(m, 16) || p < 0 || p >= 16 {
			t.Fatalf("partition of %s: %d", m, p)
		}
		seen[p] = true
	}
	if len(seen) != 16 {
		t.Errorf("1000 members fell in %d of 16 partitions", len(seen))
	}
}

func TestOwnerMovesOnlyItsShare(t *testing.T) {
	three := []string{"a", "b", "c"}
	two := []string{"a", "b"}
	moved := 0
	for p := range 300 {
		before, after := owner(three, p), owner(two, p)
		if before != "c" && before != after {
			moved++
		}
	}
	if moved != 0 {
		t.Errorf("%d partitions moved between replicas that stayed", moved)
	}
	share := map[string]int{}
	for p := range 300 {
		share[owner(three, p)]++
	}
	for _, r := range three {
		if share[r] < 60 {
			t.Errorf("replica %s owns %d of 300 partitions: %v", r, share[r], share)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := redact("nats://ann:hunter2@127.0.0.1:4222"); strings.Contains(got, "hunter2") {
		t.Errorf("redact: %s", got)
	}
}

// testLog shows the bus's log with -v.
func testLog(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// A partition whose consumer is deleted under it (another replica took
// the partition for a moment and gave it back) is read again: events
// published after are all applied.
func TestConsumerDeletedUnderAReader(t *testing.T) {
	stream := freshStream(t)
	rec := newRecorder()
	b := openBus(t, stream, "a", 1)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = b.Run(ctx, rec, rec); close(done) }()
	evs := workload(200, 4)
	publish(t, b, evs[:100])
	waitFor(t, "the first events applied", func() bool { return rec.count() == 100 })
	if err := b.js.DeleteConsumer(context.Background(), stream, "hearth-p0"); err != nil {
		t.Fatal(err)
	}
	publish(t, b, evs[100:])
	waitFor(t, "the events after the deletion applied", func() bool { return rec.count() == 200 })
	stop()
	<-done
	rec.check(t, 200)
}

// silentReader stands for a pull iterator that lost its pull request
// (nats-server#3969): after some messages it hears nothing more, either
// because it asks the server for nothing (pulls) or because what the
// server sends goes nowhere (drops).
type silentReader struct {
	inner reader
	after int
	drops bool
	seen  int
}

func (r *silentReader) Next(opts ...jetstream.NextOpt) (jetstream.Msg, error) {
	if r.seen < r.after {
		msg, err := r.inner.Next(opts...)
		if err == nil {
			r.seen++
		}
		return msg, err
	}
	if r.drops {
		if _, err := r.inner.Next(opts...); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, err
		}
	} else {
		time.Sleep(20 * time.Millisecond)
	}
	return nil, nats.ErrTimeout
}

func (r *silentReader) Stop() { r.inner.Stop() }

// A partition whose reader goes silent while events wait for it is read
// again from the committed position: the events published after are all
// applied, in order.
func TestSilentReaderIsReplaced(t *testing.T) {
	for _, drops := range []bool{false, true} {
		t.Run(map[bool]string{false: "stops pulling", true: "drops what comes"}[drops], func(t *testing.T) {
			stream := freshStream(t)
			rec := newRecorder()
			b := openBus(t, stream, "a", 1)
			var mu sync.Mutex
			readers := 0
			b.wrapReader = func(_ int, r reader) reader {
				mu.Lock()
				defer mu.Unlock()
				readers++
				if readers == 1 {
					return &silentReader{inner: r, after: 50, drops: drops}
				}
				return r
			}
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { _ = b.Run(ctx, rec, rec); close(done) }()
			evs := workload(400, 4)
			publish(t, b, evs[:50])
			waitFor(t, "the first events applied", func() bool { return rec.count() == 50 })
			publish(t, b, evs[50:])
			waitFor(t, "the events after the reader went silent applied", func() bool { return rec.count() == 400 })
			stop()
			<-done
			rec.check(t, 400)
			if c := b.Counts(); c.Resets == 0 {
				t.Errorf("no reset counted: %+v", c)
			}
		})
	}
}

// Events published as a backfill make the replica that applies them hold
// its timers; other events do not.
func TestBackfillHoldsTheApplyingReplicasTimers(t *testing.T) {
	stream := freshStream(t)
	rec := newRecorder()
	b := openBus(t, stream, "a", 2)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = b.Run(ctx, rec, rec); close(done) }()
	defer func() { stop(); <-done }()
	evs := workload(200, 4)
	publish(t, b, evs[:100])
	waitFor(t, "the live events applied", func() bool { return rec.count() == 100 })
	rec.mu.Lock()
	holds := rec.holds
	rec.mu.Unlock()
	if holds != 0 {
		t.Fatalf("live events held timers %d times", holds)
	}
	publishAs(t, b, evs[100:], true)
	waitFor(t, "the backfill applied", func() bool { return rec.count() == 200 })
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.holds == 0 {
		t.Error("a backfill applied without holding timers")
	}
}

// gate is a sink that applies nothing until opened: the partition's lag
// shows meanwhile.
type gate struct {
	*recorder
	open    chan struct{}
	entered chan struct{}
	once    sync.Once
	first   int // events in the first batch, set before entered closes
}

func (g *gate) Apply(ctx context.Context, evs []events.Event) (int, error) {
	g.once.Do(func() { g.first = len(evs); close(g.entered) })
	<-g.open
	return g.recorder.Apply(ctx, evs)
}

// The bus's metrics: partitions owned, and each one's lag, which grows
// while the replica is held up and is back to 0 once it caught up.
func TestMetricsShowLag(t *testing.T) {
	stream := freshStream(t)
	g := &gate{recorder: newRecorder(), open: make(chan struct{}), entered: make(chan struct{})}
	b := openBus(t, stream, "a", 1)
	reg := prometheus.NewRegistry()
	reg.MustRegister(b)
	gauge := func(name string) (float64, bool) {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == name && len(f.GetMetric()) > 0 {
				return f.GetMetric()[0].GetGauge().GetValue(), true
			}
		}
		return 0, false
	}
	// All published first: the first batch (100 at most; fewer when the
	// server hands over what it has sooner, as under the race detector)
	// leaves the rest behind it.
	publish(t, b, workload(500, 4))
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = b.Run(ctx, g, g); close(done) }()
	defer func() { stop(); <-done }()
	<-g.entered
	if want := float64(500 - g.first); g.first < 1 || g.first > 100 {
		t.Errorf("first batch of %d events; want 1 to 100", g.first)
	} else if lag, ok := gauge("hearth_bus_partition_pending"); !ok || lag != want {
		t.Errorf("lag while held up: %v (reported %v); want %v, behind a first batch of %d", lag, ok, want, g.first)
	}
	if owned, _ := gauge("hearth_bus_partitions_owned"); owned != 1 {
		t.Errorf("partitions owned: %v", owned)
	}
	close(g.open)
	waitFor(t, "every event applied", func() bool { return g.count() == 500 })
	waitFor(t, "the lag back to 0", func() bool { lag, ok := gauge("hearth_bus_partition_pending"); return ok && lag == 0 })
}

// Ready is the readiness probe's question: a round trip to the server
// while connected, an error once the connection is gone.
func TestReady(t *testing.T) {
	b := openBus(t, freshStream(t), "r1", 2)
	if err := b.Ready(context.Background()); err != nil {
		t.Fatalf("a connected bus is not ready: %v", err)
	}
	b.Close()
	if err := b.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("a closed bus: %v", err)
	}
}
