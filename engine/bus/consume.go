package bus

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hearth-community/hearth/engine/events"
)

// Run takes part in the group of replicas until ctx ends: it announces
// this replica, takes the partitions that fall to it, applies their
// events through sink in order, and gives partitions up when replicas
// join. On return it has released every partition, so others take them
// over at once rather than after the lease.
func (b *Bus) Run(ctx context.Context, sink Sink, cursors Cursors) error {
	every := b.opt.Lease / 4
	t := time.NewTicker(every)
	defer t.Stop()
	defer b.releaseAll()
	for {
		switch err := b.rebalance(ctx, sink, cursors); {
		case ctx.Err() != nil:
		case err != nil:
			b.fail("rebalance", -1, "bus: rebalancing failed; trying again", "err", err)
		default:
			b.mend("rebalance", -1, "bus: rebalancing works again", false)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// rebalance renews this replica's heartbeat and leases, gives up the
// partitions that belong to another live replica, and takes the free
// ones that belong to it.
func (b *Bus) rebalance(ctx context.Context, sink Sink, cursors Cursors) error {
	// Leases first, all at once: a slow round must not let them lapse.
	b.renew(ctx)
	if err := b.heartbeat(ctx); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	live, err := b.liveReplicas(ctx)
	if err != nil {
		return err
	}
	for p := range b.opt.Partitions {
		key := "p" + strconv.Itoa(p)
		mine := owner(live, p) == b.opt.Replica
		b.mu.Lock()
		l := b.owned[p]
		releasing := l != nil && l.releasing
		b.mu.Unlock()
		switch {
		case releasing:
		case l != nil && !mine:
			b.release(p, l, key)
		case l == nil && mine:
			rev, err := b.leases.Create(ctx, key, []byte(b.opt.Replica))
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue // the former owner still holds it; it gives it up or its lease runs out
			}
			if err != nil {
				return err
			}
			b.acquire(ctx, p, rev, sink, cursors)
		}
	}
	return nil
}

// renew renews every held lease concurrently. A lease that cannot be
// renewed (it ran out, or another replica took the partition) stops its
// consumer at once; the consumer also checks the lease before each
// commit.
func (b *Bus) renew(ctx context.Context) {
	b.mu.Lock()
	held := map[int]*lease{}
	for p, l := range b.owned {
		if !l.releasing {
			held[p] = l
		}
	}
	b.mu.Unlock()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lost []int
	var lostErr error
	for p, l := range held {
		wg.Go(func() {
			sent := time.Now()
			rev, err := b.leases.Update(ctx, "p"+strconv.Itoa(p), []byte(b.opt.Replica), l.rev)
			if err == nil {
				l.rev = rev
				l.renewed.Store(sent.UnixNano())
				return
			}
			if ctx.Err() != nil {
				return
			}
			mu.Lock()
			lost = append(lost, p)
			lostErr = err
			mu.Unlock()
			l.stop()
			<-l.done
			b.mu.Lock()
			if b.owned[p] == l {
				delete(b.owned, p)
			}
			b.counts.Lost++
			b.mu.Unlock()
		})
	}
	wg.Wait()
	// One line for the round: NATS out of reach loses every lease at once.
	if len(lost) > 0 {
		slices.Sort(lost)
		b.log.Warn("bus: lost partition leases", "partitions", lost, "err", lostErr)
	}
}

func (b *Bus) liveReplicas(ctx context.Context) ([]string, error) {
	lister, err := b.members.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return []string{b.opt.Replica}, nil
		}
		return nil, err
	}
	defer lister.Stop()
	var live []string
	for k := range lister.Keys() {
		live = append(live, k)
	}
	// A key written while the list is read can come twice.
	slices.Sort(live)
	live = slices.Compact(live)
	rs, err := b.readReplicas(ctx, live)
	if err != nil {
		return nil, err
	}
	b.noteReplicas(rs)
	if !contains(live, b.opt.Replica) {
		live = append(live, b.opt.Replica)
	}
	sort.Strings(live)
	return live, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// owner is the replica a partition belongs to: the highest hash of
// replica and partition (rendezvous hashing), so a replica joining or
// leaving moves only its share of partitions.
func owner(live []string, p int) string {
	var best string
	var bestH uint64
	for _, r := range live {
		h := fnv.New64a()
		fmt.Fprintf(h, "%s/%d", r, p)
		if v := mix(h.Sum64()); best == "" || v > bestH {
			best, bestH = r, v
		}
	}
	return best
}

// mix is splitmix64's finalizer: FNV alone leaves names that differ in
// one letter ordered the same way for every partition.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func (b *Bus) acquire(ctx context.Context, p int, rev uint64, sink Sink, cursors Cursors) {
	cctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	l := &lease{rev: rev, stop: stop, done: make(chan struct{})}
	l.renewed.Store(time.Now().UnixNano())
	b.mu.Lock()
	b.owned[p] = l
	b.counts.Acquired++
	b.mu.Unlock()
	b.log.Info("bus: partition taken", "partition", p)
	go func() {
		defer close(l.done)
		defer func() {
			b.mu.Lock()
			delete(b.pending, p) // no longer read here
			b.mu.Unlock()
			b.mend("partition", p, "", true)
		}()
		wait := 100 * time.Millisecond
		for cctx.Err() == nil {
			began := time.Now()
			err := b.consume(cctx, p, l, sink, cursors)
			if cctx.Err() != nil {
				return
			}
			// Start again from the committed cursor: nothing after a
			// failed batch is applied before it.
			b.mu.Lock()
			b.counts.Resets++
			b.mu.Unlock()
			b.fail("partition", p, "bus: partition reading stopped; starting again from the committed position", "partition", p, "err", err, "in", wait)
			if err == nil || time.Since(began) > time.Minute {
				wait = 100 * time.Millisecond // it ran well for a while
			}
			select {
			case <-cctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(wait*2, 5*time.Second)
		}
	}()
}

// release stops the partition's consumer after its current batch, then
// deletes the lease so the new owner need not wait for it to expire.
func (b *Bus) release(p int, l *lease, key string) {
	b.mu.Lock()
	l.releasing = true
	b.mu.Unlock()
	go func() {
		l.stop()
		<-l.done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := b.leases.Delete(ctx, key, jetstream.LastRevision(l.rev)); err != nil {
			b.log.Warn("bus: could not give a partition lease back; it expires by itself", "partition", p, "err", err)
		}
		b.mu.Lock()
		if b.owned[p] == l {
			delete(b.owned, p)
		}
		b.counts.Released++
		b.mu.Unlock()
		b.log.Info("bus: partition given up", "partition", p)
	}()
}

// releaseAll gives every partition back and leaves the group.
func (b *Bus) releaseAll() {
	b.mu.Lock()
	held := map[int]*lease{}
	for p, l := range b.owned {
		if !l.releasing {
			held[p] = l
		}
	}
	b.mu.Unlock()
	for p, l := range held {
		b.release(p, l, "p"+strconv.Itoa(p))
	}
	// release finishes in the background: wait for every lease to be
	// given back.
	for {
		b.mu.Lock()
		n := len(b.owned)
		b.mu.Unlock()
		if n == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = b.members.Delete(ctx, b.opt.Replica)
}

// valid reports whether the lease is surely still ours: renewed within
// the lease less a margin for clocks and the time a commit takes.
func (b *Bus) valid(l *lease) bool {
	return time.Since(time.Unix(0, l.renewed.Load())) < b.opt.Lease*2/3
}

func (b *Bus) cursorName(p int) string { return fmt.Sprintf("bus:%s:p%d", b.opt.Stream, p) }

// consume reads partition p from its committed cursor on, applying and
// acknowledging batch by batch, until ctx ends or something fails.
func (b *Bus) consume(ctx context.Context, p int, l *lease, sink Sink, cursors Cursors) error {
	start, err := b.startSeq(ctx, p, cursors)
	if err != nil {
		return err
	}
	// The durable consumer is made anew at the committed position: what a
	// former owner fetched and never acknowledged is not waiting in it.
	name := fmt.Sprintf("hearth-p%d", p)
	if err := b.js.DeleteConsumer(ctx, b.opt.Stream, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("resetting consumer %s: %w", name, err)
	}
	cons, err := b.js.CreateConsumer(ctx, b.opt.Stream, jetstream.ConsumerConfig{
		Durable:       name,
		Description:   "hearth partition " + strconv.Itoa(p),
		FilterSubject: b.subjectOf(p),
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   start,
		AckPolicy:     jetstream.AckAllPolicy,
		AckWait:       time.Minute,
		MaxAckPending: b.opt.Batch * 4,
	})
	if err != nil {
		return fmt.Errorf("consumer %s: %w", name, err)
	}
	// One long-lived pull: a message the server sends is always received,
	// unlike with separate fetches, where one sent as a fetch times out
	// would be missed and then covered by the next acknowledgement.
	var it reader
	it, err = cons.Messages(jetstream.PullMaxMessages(b.opt.Batch))
	if err != nil {
		return fmt.Errorf("consumer %s: %w", name, err)
	}
	if b.wrapReader != nil {
		it = b.wrapReader(p, it)
	}
	defer it.Stop()
	b.mend("partition", p, "bus: partitions are read again", false)
	var delivered, applied uint64 // consumer and stream sequence so far
	heard := time.Now()           // when a message last came
	checked := heard              // when the server was last asked about a quiet partition
	for ctx.Err() == nil {
		// Wait for one message, then take what has arrived, up to a batch.
		var evs []events.Event
		var last jetstream.Msg
		backfill := false
		pending, received := uint64(0), false
		wait := time.Second
		for n := 0; n < b.opt.Batch; n++ {
			msg, err := it.Next(jetstream.NextMaxWait(wait))
			if errors.Is(err, nats.ErrTimeout) {
				break
			}
			if err != nil {
				return err
			}
			wait = time.Millisecond
			heard = time.Now()
			meta, err := msg.Metadata()
			if err != nil {
				return err
			}
			pending, received = meta.NumPending, true
			// Every delivery counts: a gap means a message went missing
			// on the way, and acknowledging past it would lose it.
			if meta.Sequence.Consumer != delivered+1 {
				return fmt.Errorf("delivery %d came after %d; reading again from the committed position", meta.Sequence.Consumer, delivered)
			}
			delivered = meta.Sequence.Consumer
			if meta.Sequence.Stream <= applied {
				continue // a redelivery of what this consumer had
			}
			applied = meta.Sequence.Stream
			last = msg
			if msg.Headers().Get(backfillHeader) != "" {
				backfill = true
			}
			ev, err := events.ParseStored(msg.Data())
			if err != nil {
				// Publish only stores valid events; anything else was
				// put there by hand and is skipped, loudly.
				b.log.Error("bus: a message that is no hearth event was skipped", "partition", p, "seq", meta.Sequence.Stream, "err", err)
				continue
			}
			evs = append(evs, ev)
		}
		if received {
			b.setPending(p, pending)
		}
		if h, ok := sink.(TimerHolder); ok && backfill {
			h.HoldTimers(backfillHold)
		}
		if last == nil {
			// A quiet partition. Now and then ask the server whether it
			// really is: a pull request lost on the way leaves the reader
			// waiting while events pile up (nats-server#3969).
			if since := time.Since(heard); since >= b.quietCheck() && time.Since(checked) >= b.quietCheck() {
				checked = time.Now()
				if err := b.checkQuiet(ctx, p, cons, since, delivered); err != nil {
					return err
				}
			}
			continue
		}
		dups, err := b.apply(ctx, l, sink, evs)
		if err != nil {
			return err
		}
		if h, ok := sink.(TimerHolder); ok && backfill {
			h.HoldTimers(backfillHold) // from the commit on
		}
		if err := cursors.SetCursor(context.WithoutCancel(ctx), b.cursorName(p), b.cursor(applied)); err != nil {
			return fmt.Errorf("storing the cursor: %w", err)
		}
		// AckAll: one ack covers the batch. If it is lost, the messages
		// come again and are duplicates by id.
		if err := last.Ack(); err != nil {
			b.warnLimited("ack", "bus: acknowledgement failed", "partition", p, "err", err)
		}
		b.mu.Lock()
		b.counts.Applied += int64(len(evs) - dups)
		b.counts.Duplicates += int64(dups)
		b.mu.Unlock()
	}
	return nil
}

// quietCheck is how long a partition may deliver nothing before the
// server is asked whether events wait for it: a lease, at most 5 seconds,
// so a reader gone silent costs seconds, not a lease and more.
func (b *Bus) quietCheck() time.Duration { return min(b.opt.Lease, 5*time.Second) }

// reader is what consume needs of a pull iterator; tests put a faulty
// one around the real one.
type reader interface {
	Next(opts ...jetstream.NextOpt) (jetstream.Msg, error)
	Stop()
}

// checkQuiet asks the server about a partition that delivered nothing for
// a while and fails when it holds events this reader has not seen: ones
// waiting to be delivered, or ones delivered (to a pull this reader no
// longer waits on) and never acknowledged. Reading again from the
// committed position picks them up. When the server cannot be asked, the
// reader goes on: a slow server is no reason to start over.
func (b *Bus) checkQuiet(ctx context.Context, p int, cons jetstream.Consumer, quiet time.Duration, delivered uint64) error {
	ictx, cancel := context.WithTimeout(ctx, b.opt.Lease)
	defer cancel()
	info, err := cons.Info(ictx)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		return fmt.Errorf("the partition's consumer is gone: %w", err)
	case err != nil:
		b.log.Debug("bus: could not check a quiet partition", "partition", p, "err", err)
		return nil
	}
	b.setPending(p, info.NumPending)
	// Events waiting with no pull request waiting for them: the reader's
	// request is gone. Events waiting with a request there is a server
	// slow to deliver (under load, seconds), not worth starting over.
	// Events delivered and never acknowledged went to a pull this reader
	// no longer waits on.
	if info.NumPending > 0 && info.NumWaiting == 0 || info.NumAckPending > 0 {
		// How many came before the silence tells a pull lost at the start
		// from one lost later.
		return fmt.Errorf("nothing came for %s (%d deliveries before), but the server holds %d events for this partition, with no pull request waiting, and %d delivered and unacknowledged",
			quiet.Round(time.Second), delivered, info.NumPending, info.NumAckPending)
	}
	return nil
}

// apply applies a batch, trying the same batch again a few times when the
// commit fails (another replica changed one of its members: the batch
// was kept whole or not at all), so nothing after it goes first.
func (b *Bus) apply(ctx context.Context, l *lease, sink Sink, evs []events.Event) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	wait := 10 * time.Millisecond
	for try := 1; ; try++ {
		if !b.valid(l) {
			return 0, errors.New("the partition lease may have run out; not applying")
		}
		dups, err := sink.Apply(ctx, evs)
		if err == nil || try == 8 || ctx.Err() != nil {
			if err != nil {
				return 0, fmt.Errorf("applying: %w", err)
			}
			return dups, nil
		}
		b.mu.Lock()
		b.counts.Retries++
		b.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Second)
	}
}

// A cursor is the stream's creation time and a sequence: a stream
// deleted and made again restarts its sequences, and a cursor from the
// old one must not skip the new one's events.
func (b *Bus) cursor(seq uint64) string {
	return fmt.Sprintf("%d:%d", b.created.UnixNano(), seq)
}

func (b *Bus) startSeq(ctx context.Context, p int, cursors Cursors) (uint64, error) {
	c, err := cursors.Cursor(ctx, b.cursorName(p))
	if err != nil || c == "" {
		return 1, err
	}
	created, seq, ok := strings.Cut(c, ":")
	n, err := strconv.ParseUint(seq, 10, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("cursor %q of partition %d is damaged", c, p)
	}
	if created != strconv.FormatInt(b.created.UnixNano(), 10) {
		b.log.Warn("bus: the stream was made anew since this partition was last read; reading it from the start (events applied before are duplicates by id)", "partition", p)
		return 1, nil
	}
	return n + 1, nil
}
