// Package bus carries member events between hearth replicas over NATS
// JetStream (`hearth run -bus nats://...`).
//
// Ingested events are published to one stream, on a subject per
// partition: the partition is a hash of the member id, so all of a
// member's events are in one partition, in order. Each partition is owned
// by one replica at a time, through a lease in a JetStream key-value
// bucket that the owner renews and that expires when the owner dies;
// partitions are spread over the live replicas by rendezvous hashing and
// move when replicas come and go. The owner reads its partitions through
// durable consumers and acknowledges a message only after the state
// commit that applied it. Where it got to is kept in the state store too
// (a cursor per partition), so a new owner starts exactly there; events
// redelivered around a crash are duplicates by event id and change
// nothing.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/lograte"
	"github.com/hearth-community/hearth/engine/state"
)

// Options configure a bus connection.
type Options struct {
	URL string // nats://host:4222, or several separated by commas
	// Stream is the JetStream stream's name (default HEARTH_EVENTS); its
	// subjects are Stream's lower-case name, dot, partition.
	Stream string
	// Partitions is how many partitions events are spread over (default
	// 16). Every replica must use the same number: the first one to
	// start records it, and the others refuse to start with another.
	Partitions int
	// Replica names this process; default host-pid-random.
	Replica string
	// Lease is how long a partition stays with a replica that stopped
	// renewing it (default 10s): a killed replica's partitions move after
	// that long.
	Lease time.Duration
	// Batch is how many events are fetched and applied at a time
	// (default 500).
	Batch int
	// PublishTimeout bounds a Publish (default DefaultPublishTimeout):
	// how long it waits for JetStream to confirm the events, a moment's
	// wait for a dropped connection to come back included.
	PublishTimeout time.Duration
	// Info, when set, is what each heartbeat says about this replica
	// besides the partitions it holds: other replicas compare
	// configurations by it (Replicas).
	Info func() Info
	Log  *slog.Logger
}

// Sink applies events durably: Apply returns once they are committed.
// The daemon is one.
type Sink interface {
	Apply(ctx context.Context, evs []events.Event) (dups int, err error)
}

// TimerHolder is a sink that can hold its timers for a while; the daemon
// is one. A batch with events of a backfill holds them (see Publish).
type TimerHolder interface {
	HoldTimers(time.Duration)
}

// backfillHeader marks a message as part of a backfill; backfillHold is
// how long a batch of one holds the applying replica's timers.
const (
	backfillHeader = "Hearth-Backfill"
	backfillHold   = 10 * time.Second
)

// Cursors keeps where each partition was read up to; the state stores
// implement it.
type Cursors interface {
	Cursor(ctx context.Context, stream string) (string, error)
	SetCursor(ctx context.Context, stream, cursor string) error
}

// Bus is a connection to the event bus.
type Bus struct {
	opt     Options
	log     *slog.Logger
	nc      *nats.Conn
	js      jetstream.JetStream
	leases  jetstream.KeyValue
	members jetstream.KeyValue
	subject string
	created time.Time // the stream's creation, part of each cursor
	started time.Time

	mu     sync.Mutex
	owned  map[int]*lease
	counts Counts
	// pending is, per partition this replica reads, how many events the
	// stream holds past the last one it received: its lag.
	pending map[int]uint64
	// replicas are the live replicas as last read; mismatch describes
	// their differing configurations ("" when they agree).
	replicas []Replica
	mismatch string
	// warned is the mismatch last logged, agreeSince when replicas
	// were first seen to agree after it (noteReplicas).
	warned     string
	agreeSince time.Time

	// logs and troubles keep failures that repeat during an outage to
	// a line a minute (fail, mend); downSince is when the connection to
	// NATS dropped (unix nanos, 0 while it is up).
	logs        *lograte.Limiter
	troubles    map[string]*trouble
	downSince   atomic.Int64
	disconnects atomic.Int64
	now         func() time.Time

	// wrapReader, when set (by tests), wraps each partition's reader.
	wrapReader func(p int, r reader) reader
}

// Counts are running totals, for status and tests.
type Counts struct {
	Published  int64 `json:"published"`
	Applied    int64 `json:"applied"`
	Duplicates int64 `json:"duplicates"`
	// Retries are batches applied again after a failed commit; Resets
	// are partitions read again from the committed position.
	Retries  int64 `json:"retries"`
	Resets   int64 `json:"resets"`
	Acquired int64 `json:"acquired"`
	Released int64 `json:"released"`
	Lost     int64 `json:"lost"`
	// Refused are events a Publish did not get confirmed: the request
	// was answered that they were not accepted.
	Refused int64 `json:"refused"`
}

// lease is one partition this replica owns, and its consumer.
type lease struct {
	rev       uint64
	renewed   atomic.Int64 // unix nanos of the last successful renewal
	stop      context.CancelFunc
	done      chan struct{}
	releasing bool
}

var keyChars = regexp.MustCompile(`[^-_=a-zA-Z0-9]`)

// Open connects, and creates the stream and the lease buckets when they
// are missing. Settings of an existing stream are kept: operators size
// its retention and replicas themselves.
func Open(ctx context.Context, opt Options) (*Bus, error) {
	if opt.Stream == "" {
		opt.Stream = "HEARTH_EVENTS"
	}
	if opt.Partitions <= 0 {
		opt.Partitions = 16
	}
	if opt.Lease <= 0 {
		opt.Lease = 10 * time.Second
	}
	if opt.Batch <= 0 {
		opt.Batch = 500
	}
	if opt.PublishTimeout <= 0 {
		opt.PublishTimeout = DefaultPublishTimeout
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	opt.Replica = ReplicaName(opt.Replica)
	b := &Bus{opt: opt, log: opt.Log.With("replica", opt.Replica), owned: map[int]*lease{}, pending: map[int]uint64{},
		subject: strings.ToLower(opt.Stream), started: time.Now().UTC(),
		logs: lograte.New(logEvery), troubles: map[string]*trouble{}, now: time.Now}
	nc, err := nats.Connect(opt.URL, nats.Name("hearth "+opt.Replica), nats.MaxReconnects(-1),
		// What the connection goes through is logged: a slow consumer
		// or a reconnect explains a partition read again.
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			b.warnLimited("nats-error", "bus: NATS reported an error", "subject", subject, "err", err)
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { b.disconnected(err) }),
		nats.ReconnectHandler(b.reconnected))
	if err != nil {
		return nil, fmt.Errorf("NATS %s: %w", redact(opt.URL), err)
	}
	b.nc = nc
	if err := b.setup(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("NATS %s: %w", redact(opt.URL), err)
	}
	return b, nil
}

func (b *Bus) setup(ctx context.Context) error {
	// A publish not confirmed in time is given up by the client too, so
	// that it does not count against the publishes it lets wait; a
	// moment after Publish gave up on it, so that Publish says why.
	js, err := jetstream.New(b.nc, jetstream.WithPublishAsyncTimeout(b.opt.PublishTimeout+time.Second))
	if err != nil {
		return err
	}
	b.js = js
	st, err := js.Stream(ctx, b.opt.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        b.opt.Stream,
			Description: "hearth member events, partitioned by member",
			Subjects:    []string{b.subject + ".>"},
			Storage:     jetstream.FileStorage,
			Retention:   jetstream.LimitsPolicy,
			MaxAge:      7 * 24 * time.Hour,
			Duplicates:  2 * time.Minute,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			st, err = js.Stream(ctx, b.opt.Stream)
		}
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", b.opt.Stream, err)
	}
	b.created = st.CachedInfo().Created
	prefix := keyChars.ReplaceAllString(b.opt.Stream, "_")
	if b.leases, err = bucket(ctx, js, prefix+"_leases", b.opt.Lease); err != nil {
		return err
	}
	if b.members, err = bucket(ctx, js, prefix+"_replicas", b.opt.Lease); err != nil {
		return err
	}
	// The partition count is recorded once; all replicas must agree, or
	// one member's events could be in two partitions.
	want := strconv.Itoa(b.opt.Partitions)
	cfgKV, err := bucket(ctx, js, prefix+"_config", 0)
	if err != nil {
		return err
	}
	if _, err := cfgKV.Create(ctx, "partitions", []byte(want)); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return err
	}
	got, err := cfgKV.Get(ctx, "partitions")
	if err != nil {
		return err
	}
	if string(got.Value()) != want {
		return fmt.Errorf("the bus was set up with %s partitions and this replica was started with %s; start it with -bus-partitions %s", got.Value(), want, got.Value())
	}
	return nil
}

func bucket(ctx context.Context, js jetstream.JetStream, name string, ttl time.Duration) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, TTL: ttl, Storage: jetstream.FileStorage, History: 1})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			kv, err = js.KeyValue(ctx, name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("key-value bucket %s: %w", name, err)
	}
	return kv, nil
}

func defaultReplica() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%04x", host, os.Getpid(), rand.IntN(1<<16))
}

// redact drops credentials from a NATS URL for messages.
func redact(u string) string {
	if i := strings.Index(u, "@"); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "xxxxx" + u[i:]
		}
		return "xxxxx" + u[i:]
	}
	return u
}

// Replica is this process's name on the bus.
func (b *Bus) Replica() string { return b.opt.Replica }

// Partition is the partition of a member's events.
func Partition(member string, partitions int) int {
	return int(state.MemberHash(member) % uint32(partitions))
}

// Partitions is how many partitions there are.
func (b *Bus) Partitions() int { return b.opt.Partitions }

func (b *Bus) subjectOf(p int) string { return fmt.Sprintf("%s.%d", b.subject, p) }

// Publish stores events in the stream and returns once JetStream holds
// every one durably. The event id is the message id, so a retried publish
// within the stream's duplicate window is stored once.
//
// It takes at most Options.PublishTimeout. While the connection to NATS
// is down (for longer than connectWait) it sends nothing and fails at
// once; when JetStream does not confirm every event in time it fails
// with the ids of those it confirmed. Either way the error is a
// *PublishError, which wraps ErrUnavailable.
//
// Events of a backfill (history, in time order) carry a header that makes
// the replica applying them hold its timers (TimerHolder).
func (b *Bus) Publish(ctx context.Context, evs []events.Event, backfill bool) error {
	msgs := make([]*nats.Msg, len(evs))
	for i := range evs {
		data, err := events.Marshal(&evs[i])
		if err != nil {
			return fmt.Errorf("event %s: %w", evs[i].ID, err)
		}
		msgs[i] = &nats.Msg{Subject: b.subjectOf(Partition(evs[i].Member.ID, b.opt.Partitions)), Data: data}
		if backfill {
			msgs[i].Header = nats.Header{backfillHeader: []string{"true"}}
		}
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, b.opt.PublishTimeout)
	defer cancel()
	if err := b.waitConnected(ctx); err != nil {
		return b.refused(parent, evs, nil, err)
	}
	futures := make([]jetstream.PubAckFuture, 0, len(evs))
	var failed error
	for i, msg := range msgs {
		f, err := b.js.PublishMsgAsync(msg, jetstream.WithMsgID(evs[i].ID))
		if err != nil {
			failed = err // what was sent is still waited for, to say which are kept
			break
		}
		futures = append(futures, f)
	}
	confirmed := make([]string, 0, len(futures))
	for i, f := range futures {
		select {
		case <-f.Ok():
			confirmed = append(confirmed, evs[i].ID)
			continue
		case err := <-f.Err():
			if failed == nil {
				failed = err
			}
			continue
		case <-ctx.Done():
		}
		if failed == nil {
			failed = ctx.Err()
		}
		// Out of time: those confirmed meanwhile still count.
		for j := i; j < len(futures); j++ {
			select {
			case <-futures[j].Ok():
				confirmed = append(confirmed, evs[j].ID)
			default:
			}
		}
		break
	}
	if failed != nil {
		return b.refused(parent, evs, confirmed, failed)
	}
	b.mu.Lock()
	b.counts.Published += int64(len(evs))
	b.mu.Unlock()
	return nil
}

// refused counts a Publish that failed and says why: with the timeout
// when that ran out (not the caller's context).
func (b *Bus) refused(parent context.Context, evs []events.Event, confirmed []string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) && parent.Err() == nil || errors.Is(err, jetstream.ErrAsyncPublishTimeout) {
		err = fmt.Errorf("JetStream did not confirm the events within %s (-bus-publish-timeout): %w", b.opt.PublishTimeout, err)
	}
	b.mu.Lock()
	b.counts.Published += int64(len(confirmed))
	b.counts.Refused += int64(len(evs) - len(confirmed))
	b.mu.Unlock()
	return &PublishError{Confirmed: confirmed, Total: len(evs), Err: err}
}

// Counts returns the running totals.
func (b *Bus) Counts() Counts {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.counts
}

// Owned lists the partitions this replica owns now.
func (b *Bus) Owned() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []int
	for p := range b.opt.Partitions {
		if l := b.owned[p]; l != nil && !l.releasing {
			out = append(out, p)
		}
	}
	return out
}

// Pending is, per partition this replica reads, how many events wait in
// the stream past the last one it received.
func (b *Bus) Pending() map[int]uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.pending)
}

func (b *Bus) setPending(p int, n uint64) {
	b.mu.Lock()
	b.pending[p] = n
	b.mu.Unlock()
}

// Status is the replica's name, the partitions it owns, how many events
// wait in each and the running totals, for GET /v1/status.
func (b *Bus) Status() any {
	pending := map[string]uint64{}
	var waiting uint64
	for p, n := range b.Pending() {
		pending[strconv.Itoa(p)] = n
		waiting += n
	}
	return map[string]any{"replica": b.opt.Replica, "stream": b.opt.Stream, "partitions": b.opt.Partitions,
		"owned": b.Owned(), "pending": pending, "waiting": waiting, "counts": b.Counts(), "connection": b.connectionStatus()}
}

// Ready reports whether the NATS server answers a round trip, for a
// readiness probe: while the connection is down, events taken would only
// wait in the client.
func (b *Bus) Ready(ctx context.Context) error {
	if st := b.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("NATS connection is %s", strings.ToLower(st.String()))
	}
	if _, ok := ctx.Deadline(); !ok {
		// The client refuses a round trip that could wait for ever.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
	}
	return b.nc.FlushWithContext(ctx)
}

// Close disconnects. Call it after Run returned.
func (b *Bus) Close() { b.nc.Close() }
