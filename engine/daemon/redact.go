package daemon

import (
	"context"
	"fmt"
	"log/slog"
)

// Secrets stay out of what the daemon logs: every record goes through
// the redactor of the configuration in force, so an error that quotes a
// token (a platform's error page echoing the URL it was called at) is
// logged with "(sensitive)" in its place, whichever part of hearth logs
// it: the daemon, the outbox or a platform adapter.

// Redact takes the sensitive values of the configuration in force out
// of s (config.Config.Redact).
func (d *Daemon) Redact(s string) string {
	if snap := d.snap.Load(); snap != nil {
		return snap.redactor.Redact(s)
	}
	return s
}

// Log is the daemon's logger, which redacts sensitive values; give it to
// what the daemon runs, such as the outbox's platform sender.
func (d *Daemon) Log() *slog.Logger { return d.log }

// redactHandler redacts every message and attribute before passing the
// record on.
type redactHandler struct {
	next   slog.Handler
	redact func(string) string
}

func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.attr(a)
	}
	return redactHandler{next: h.next.WithAttrs(red), redact: h.redact}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{next: h.next.WithGroup(name), redact: h.redact}
}

// attr redacts one attribute: strings, errors and whatever else would be
// printed as text.
func (h redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]slog.Attr, len(g))
		for i, ga := range g {
			red[i] = h.attr(ga)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, h.redact(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, h.redact(x.String()))
		default:
			if s := fmt.Sprint(x); h.redact(s) != s {
				return slog.String(a.Key, h.redact(s))
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
