package bus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// While NATS is out of reach, what the bus does every few seconds fails
// every few seconds: the rebalancing round, each partition's reader. The
// first failure of a kind is logged, then one line a minute with how many
// were not, then one line when it works again: an outage of ten minutes
// is a dozen lines, not hundreds.

// logEvery is how often a failure that goes on is logged again.
const logEvery = time.Minute

// connectWait is how long after the connection to NATS dropped a publish
// waits for it to come back before it is refused: about what a server
// restarting or a cluster moving its leader takes (the client tries
// again every 2 seconds). Once the connection has been down that long,
// publishes are refused at once.
const connectWait = 2 * time.Second

// DefaultPublishTimeout bounds a Publish when Options.PublishTimeout is
// zero: well within the minute a request to the daemon may take.
const DefaultPublishTimeout = 10 * time.Second

// ErrUnavailable is what the error of a Publish the bus could not take
// wraps (see PublishError).
var ErrUnavailable = errors.New("the event bus cannot take events now")

// PublishError is a Publish that did not get all of its events stored:
// NATS was out of reach, or JetStream did not confirm them within the
// publish timeout. Confirmed are the ids of the events JetStream
// confirmed storing, in the order given: those are kept and will be
// applied. The others are not accepted, though those sent and not
// confirmed may be in the stream all the same; sending them again under
// the same ids is safe (JetStream drops a message id it stored within
// its duplicate window, and the state an event id it applied before),
// and is what a client should do.
type PublishError struct {
	Confirmed []string
	Total     int // events in the Publish
	Err       error
}

func (e *PublishError) Error() string {
	if len(e.Confirmed) == 0 {
		return fmt.Sprintf("%v: %v", ErrUnavailable, e.Err)
	}
	return fmt.Sprintf("%v: JetStream confirmed %d of %d events, then: %v", ErrUnavailable, len(e.Confirmed), e.Total, e.Err)
}

// Unwrap makes the error both ErrUnavailable and its cause.
func (e *PublishError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// ConfirmedIDs are the ids of the events JetStream confirmed storing.
func (e *PublishError) ConfirmedIDs() []string { return e.Confirmed }

// trouble is a failure of one kind that goes on: since when, how many
// times, and (for partition readers) which partitions fail now.
type trouble struct {
	since    time.Time
	failures int
	parts    map[int]bool
}

// fail logs a failure of kind key (for partition p, or -1): the first,
// then at most one a minute with how many were held back
// (not_logged) and for how long it has gone on.
func (b *Bus) fail(key string, p int, msg string, args ...any) {
	now := b.now()
	b.mu.Lock()
	t := b.troubles[key]
	if t == nil {
		t = &trouble{since: now, parts: map[int]bool{}}
		b.troubles[key] = t
	}
	t.failures++
	if p >= 0 {
		t.parts[p] = true
	}
	since := t.since
	b.mu.Unlock()
	ok, held := b.logs.Allow(key, now)
	if !ok {
		return
	}
	if held > 0 {
		args = append(args, "not_logged", held, "failing_for", now.Sub(since).Round(time.Second).String())
	}
	b.log.Warn(msg, args...)
}

// mend says a failure of kind key is over (for partition p: once no
// partition fails any more) with one line, msg, if there was one; quiet
// drops partition p from it without a line, for a partition no longer
// read here: that is no recovery.
func (b *Bus) mend(key string, p int, msg string, quiet bool) {
	now := b.now()
	b.mu.Lock()
	t := b.troubles[key]
	if t == nil {
		b.mu.Unlock()
		return
	}
	delete(t.parts, p)
	if p >= 0 && len(t.parts) > 0 {
		b.mu.Unlock()
		return
	}
	delete(b.troubles, key)
	b.mu.Unlock()
	b.logs.Forget(key)
	if !quiet {
		b.log.Info(msg, "failures", t.failures, "failed_for", now.Sub(t.since).Round(time.Millisecond).String())
	}
}

// warnLimited logs a warning that can repeat without a recovery to speak
// of (an error NATS reports, an acknowledgement lost), at most once a
// minute per key, with how many were held back.
func (b *Bus) warnLimited(key, msg string, args ...any) {
	ok, held := b.logs.Allow(key, b.now())
	if !ok {
		return
	}
	if held > 0 {
		args = append(args, "not_logged", held)
	}
	b.log.Warn(msg, args...)
}

// disconnected and reconnected follow the connection to NATS.
func (b *Bus) disconnected(err error) {
	b.downSince.CompareAndSwap(0, b.now().UnixNano())
	b.disconnects.Add(1)
	if err != nil {
		b.log.Warn("bus: disconnected from NATS; reconnecting (events are refused with 503 until it is back)", "err", err)
	}
}

func (b *Bus) reconnected(c *nats.Conn) {
	args := []any{"server", c.ConnectedUrlRedacted()}
	if down := b.downSince.Swap(0); down != 0 {
		args = append(args, "down_for", b.now().Sub(time.Unix(0, down)).Round(time.Millisecond).String())
	}
	b.log.Info("bus: reconnected to NATS", args...)
}

// waitConnected returns once the connection to NATS is up, waiting for
// it while it has been down less than connectWait; it fails with why
// the bus cannot take events.
func (b *Bus) waitConnected(ctx context.Context) error {
	for {
		st := b.nc.Status()
		if st == nats.CONNECTED {
			return nil
		}
		if st == nats.CLOSED {
			return errors.New("the NATS connection is closed")
		}
		// A connection seen down before the handler said so counts from
		// now.
		b.downSince.CompareAndSwap(0, b.now().UnixNano())
		down := b.now().Sub(time.Unix(0, b.downSince.Load()))
		if down >= connectWait || ctx.Err() != nil {
			return fmt.Errorf("the NATS connection is %s (for %s)", strings.ToLower(st.String()), down.Round(100*time.Millisecond))
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Connected reports whether the connection to NATS is up.
func (b *Bus) Connected() bool { return b.nc.Status() == nats.CONNECTED }

// connectionStatus is GET /v1/status's word on the connection.
func (b *Bus) connectionStatus() map[string]any {
	st := map[string]any{"status": strings.ToLower(b.nc.Status().String()), "disconnects": b.disconnects.Load()}
	if down := b.downSince.Load(); down != 0 && !b.Connected() {
		st["down_since"] = time.Unix(0, down).UTC().Format(time.RFC3339Nano)
	}
	return st
}

// failingParts lists the partitions whose readers fail now, for tests.
func (b *Bus) failingParts(key string) []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.troubles[key]
	if t == nil {
		return nil
	}
	var out []int
	for p := range t.parts {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
