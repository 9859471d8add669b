package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/hearth-community/hearth/engine/state/postgres"
)

// stateServer is a shared state that records the daemons serving it
// (the PostgreSQL store): replicas on a bus split members by partition,
// so a daemon applying events outside that split (no -bus, or another
// stream) must not run beside them. A SQLite state has its file lock.
type stateServer interface {
	Serve(ctx context.Context, me postgres.Server, ttl time.Duration) ([]postgres.Server, error)
	Leave(ctx context.Context, id string) error
}

// serveTTL is how long a daemon's record stays fresh without a
// heartbeat: three leases, so a replica that was killed stops blocking
// a daemon of the other kind after that long.
func serveTTL(lease time.Duration) time.Duration { return 3 * lease }

// serveState records this daemon as serving store's state and keeps its
// heartbeat until the returned function is called (once or more, before
// the store closes), which forgets it. It
// fails with a *postgres.ServedError when daemons of another kind serve
// the state. A store that keeps no such record needs none of this.
func serveState(ctx context.Context, store any, me postgres.Server, lease time.Duration, log *slog.Logger) (func(), error) {
	ss, ok := store.(stateServer)
	if !ok {
		return func() {}, nil
	}
	ttl := serveTTL(lease)
	stale, err := ss.Serve(ctx, me, ttl)
	if err != nil {
		return nil, err
	}
	for _, o := range stale {
		if o.Bus == "" {
			log.Info("the daemon without -bus that served this state stopped beating its heartbeat; taking the state over", "server", o.ID, "address", o.Address, "last_seen_ago", o.Seen.Round(time.Second).String())
		} else {
			log.Info("the replicas on a bus that served this state stopped beating their heartbeat; taking the state over", "bus", o.Bus, "server", o.ID, "address", o.Address, "last_seen_ago", o.Seen.Round(time.Second).String())
		}
	}
	beatCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 6)
		defer t.Stop()
		for {
			select {
			case <-beatCtx.Done():
				return
			case <-t.C:
			}
			_, err := ss.Serve(beatCtx, me, ttl)
			var served *postgres.ServedError
			switch {
			case beatCtx.Err() != nil:
			case errors.As(err, &served):
				// This daemon's heartbeat lapsed (the database was out
				// of reach) and one of the other kind started meanwhile.
				log.Error("another kind of daemon took this state while this one's heartbeat lapsed; stop one of them", "err", err)
			case err != nil:
				log.Warn("could not beat the state's heartbeat; trying again", "err", err)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			stop()
			<-done
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = ss.Leave(ctx, me.ID)
		})
	}, nil
}
