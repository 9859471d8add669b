package daemon

import (
	"context"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/platform"
)

// CursorStore keeps where each platform's event stream was read up to.
type CursorStore interface {
	Cursor(ctx context.Context, stream string) (string, error)
	SetCursor(ctx context.Context, stream, cursor string) error
}

// Streams reads the event stream of every configured platform that has
// one and feeds the events through Submit, until ctx ends. A stream's
// cursor is stored after its event is committed, so a restart resumes
// there; an event delivered twice around a crash is a duplicate by id and
// changes nothing. A stream that stops is read again after a backoff, or
// after the wait the platform asked for when that is longer. Platforms added by a later reload are read after the
// next start.
func (d *Daemon) Streams(ctx context.Context, reg *platform.Registry) {
	cs, ok := d.opt.Store.(CursorStore)
	if !ok || reg == nil {
		return
	}
	cfg := d.Snapshot().Config
	for _, p := range cfg.Platforms {
		conn, err := reg.Open(ctx, p, cfg.PathsDir(), d.log)
		if err != nil {
			d.log.Warn("platform not reachable; its events are not read", openFailed(p, err)...)
			continue
		}
		st, ok := conn.(platform.Streamer)
		if !ok {
			conn.Close()
			continue
		}
		go func(name string) {
			defer conn.Close()
			wait := time.Second
			for ctx.Err() == nil {
				cursor, err := cs.Cursor(ctx, name)
				if err == nil {
					err = st.Stream(ctx, platform.StreamRequest{After: cursor, Follow: true, Refused: d.refusedAt(name)}, func(ctx context.Context, dl platform.Delivery) error {
						if dl.Event.Source == "" {
							dl.Event.Source = name
						}
						if err := d.streamed(&dl.Event); err != nil {
							// Refused and passed over, so the stream
							// goes on past it.
							d.log.Warn("event from a platform stream refused; skipped", "platform", name, "event", dl.Event.ID, "err", err)
							return cs.SetCursor(ctx, name, dl.Cursor)
						}
						d.warnTaken([]events.Event{dl.Event})
						if _, err := d.Submit(ctx, []events.Event{dl.Event}); err != nil {
							return err
						}
						wait = time.Second
						return cs.SetCursor(ctx, name, dl.Cursor)
					})
				}
				if ctx.Err() != nil {
					return
				}
				// A platform that said how long to wait (a 429) is not
				// asked again sooner.
				pause := max(wait, platform.RetryAfter(err))
				d.log.Warn("event stream stopped; reading it again soon", "platform", name, "err", err, "in", pause.String())
				select {
				case <-ctx.Done():
					return
				case <-time.After(pause):
				}
				wait = min(wait*2, 30*time.Second)
			}
		}(p.Addr())
	}
}

// refusedAt counts and logs what a platform's own endpoint (Slack's
// events API, a Discourse or Telegram webhook, Discord interactions)
// refuses, as the daemon's own inbound routes are counted: a sender with
// a wrong secret shows in hearth_requests_refused_total{reason=
// "unverified"}, not only in the 401 the sender gets.
func (d *Daemon) refusedAt(platform string) func(reason string, err error) {
	return func(reason string, err error) {
		d.countRefusal(reason, 1)
		d.log.Warn("request to a platform endpoint refused; nothing was applied", "platform", platform, "reason", reason, "err", err)
	}
}

// streamed checks an event from a platform stream at the door, counting
// a refused one.
func (d *Daemon) streamed(ev *events.Event) error {
	reason := "future"
	err := d.checkAhead(d.opt.Now(), ev)
	if err == nil {
		// Adapters build their events themselves; one no store can keep
		// would fail its commit, and the stream would try it for ever.
		reason = "invalid"
		if err = ev.Check(); err == nil {
			err = checkEvent(d.snap.Load().Config, ev)
		}
	}
	if err != nil {
		d.countRefusal(reason, 1)
	}
	return err
}

// openFailed are the attributes of a log line about platform block p
// not opening: the block, the error, and with a platform out of reach
// or refusing the credentials, a hint of what to check.
func openFailed(p *config.Platform, err error) []any {
	attrs := []any{"platform", p.Addr(), "err", err}
	if h := platform.ConnHint(p, err); h != "" {
		attrs = append(attrs, "hint", h)
	}
	return attrs
}
