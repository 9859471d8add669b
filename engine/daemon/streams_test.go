package daemon_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	evpkg "github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// localClub opens the daemon's local platform (reg is for its Streams)
// and makes community c with its channel general there, as hearth apply
// would; the connection closes with the test.
func localClub(t *testing.T, f *fixture) (reg *platform.Registry, lc *local.Conn, co, ch platform.ApplyResponse) {
	t.Helper()
	reg, err := platform.NewRegistry(local.New())
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.d.Snapshot().Config
	conn, err := reg.Open(context.Background(), cfg.Platforms[0], cfg.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	lc = conn.(*local.Conn)
	ctx := context.Background()
	if co, err = lc.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: map[string]string{"name": "c", "title": "C"}}); err != nil {
		t.Fatal(err)
	}
	if ch, err = lc.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: co.Object.ID, Attrs: map[string]string{"name": "general"}}); err != nil {
		t.Fatal(err)
	}
	return reg, lc, co, ch
}

// What members do on the local platform reaches the daemon through the
// platform's event stream, once, also across a restart.
func TestPlatformEventStream(t *testing.T) {
	f := start(t, rulesA, "")
	reg, lc, co, ch := localClub(t, f)
	ctx := context.Background()
	mem, err := lc.Join(ctx, local.JoinRequest{Community: co.Object.ID, Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := lc.Post(ctx, local.PostRequest{Channel: ch.Object.ID, Member: mem.ID, Text: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	sctx, stop := context.WithCancel(context.Background())
	f.d.Streams(sctx, reg)
	points := func() int {
		p := -1
		_ = f.store.Members(ctx, func(m *state.Member) error {
			if m.Identities["local"] == mem.ID {
				p = m.Points
			}
			return nil
		})
		return p
	}
	waitFor(t, func() bool { return points() == 3 })
	stop()
	// Started again, the stream resumes after what was committed.
	time.Sleep(50 * time.Millisecond)
	if _, err := lc.Post(ctx, local.PostRequest{Channel: ch.Object.ID, Member: mem.ID, Text: "again"}); err != nil {
		t.Fatal(err)
	}
	sctx, stop = context.WithCancel(context.Background())
	defer stop()
	f.d.Streams(sctx, reg)
	waitFor(t, func() bool { return points() == 4 })
	time.Sleep(200 * time.Millisecond)
	if p := points(); p != 4 {
		t.Errorf("points %d after a restart; want 4 (no event twice)", p)
	}
}

// fixedStream is a local platform whose stream delivers evs, then waits.
type fixedStream struct{ evs []evpkg.Event }

func (f fixedStream) Type() string              { return "local" }
func (f fixedStream) Spec() config.PlatformSpec { return local.Spec() }
func (f fixedStream) Open(context.Context, platform.OpenRequest) (platform.Conn, error) {
	return f, nil
}
func (f fixedStream) Close() error { return nil }
func (f fixedStream) Stream(ctx context.Context, req platform.StreamRequest, handle func(context.Context, platform.Delivery) error) error {
	for i, ev := range f.evs {
		if n, err := strconv.Atoi(req.After); err == nil && i <= n {
			continue
		}
		if err := handle(ctx, platform.Delivery{Event: ev, Cursor: strconv.Itoa(i)}); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return ctx.Err()
}

// An event from a platform stream is checked as a posted one is: one
// with a NUL character, which PostgreSQL cannot store, is skipped and
// counted, instead of failing its commit again and again and holding up
// the stream behind it.
func TestPlatformStreamRefusesBadEvent(t *testing.T) {
	f := start(t, rulesA, "")
	at := time.Now().Add(-time.Minute).UTC()
	reg, err := platform.NewRegistry(fixedStream{evs: []evpkg.Event{
		{ID: "nul", Type: "message.posted", Member: evpkg.Member{ID: "u1", Name: "A\x00"}, At: at},
		{ID: "good", Type: "message.posted", Member: evpkg.Member{ID: "u1"}, At: at},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	f.d.Streams(ctx, reg)
	waitFor(t, func() bool { return f.d.Stats()["accepted"] == 1 })
	if got := f.d.Stats()["rejected"]; got != 1 {
		t.Errorf("rejected %d; want the event with a NUL refused", got)
	}
}

// limitedStream is a local platform whose stream is rate limited on its
// first start, asking for a wait of after, and records when it starts.
type limitedStream struct {
	after  time.Duration
	starts chan time.Time
	n      *atomic.Int32
}

func (f limitedStream) Type() string              { return "local" }
func (f limitedStream) Spec() config.PlatformSpec { return local.Spec() }
func (f limitedStream) Open(context.Context, platform.OpenRequest) (platform.Conn, error) {
	return f, nil
}
func (f limitedStream) Close() error { return nil }
func (f limitedStream) Stream(ctx context.Context, _ platform.StreamRequest, _ func(context.Context, platform.Delivery) error) error {
	f.starts <- time.Now()
	if f.n.Add(1) == 1 {
		return &platform.RateLimitError{After: f.after}
	}
	<-ctx.Done()
	return ctx.Err()
}

// A stream stopped by a rate limit is read again after the wait the
// platform asked for, not after the shorter backoff (one second).
func TestPlatformStreamHonoursRetryAfter(t *testing.T) {
	f := start(t, rulesA, "")
	ls := limitedStream{after: 1500 * time.Millisecond, starts: make(chan time.Time, 2), n: new(atomic.Int32)}
	reg, err := platform.NewRegistry(ls)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	f.d.Streams(ctx, reg)
	first := <-ls.starts
	select {
	case again := <-ls.starts:
		if gap := again.Sub(first); gap < ls.after {
			t.Errorf("the stream started again %s after a rate limit asking for %s", gap, ls.after)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream did not start again within 10s")
	}
}
