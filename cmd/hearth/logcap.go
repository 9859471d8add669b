package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
)

// warnCap passes on the first few log records of each kind (message and
// rule) and counts the rest: a replay of a year of events through a rule
// that fails on every one would otherwise print the same warning a
// hundred thousand times.
type warnCap struct {
	next slog.Handler
	st   *capState
}

type capState struct {
	mu      sync.Mutex
	limit   int
	seen    map[string]int
	dropped int
}

func newWarnCap(next slog.Handler, limit int) *warnCap {
	return &warnCap{next: next, st: &capState{limit: limit, seen: map[string]int{}}}
}

func (c *warnCap) Enabled(ctx context.Context, l slog.Level) bool { return c.next.Enabled(ctx, l) }

func (c *warnCap) Handle(ctx context.Context, r slog.Record) error {
	key := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "rule" {
			key += "\x00" + a.Value.String()
			return false
		}
		return true
	})
	c.st.mu.Lock()
	n := c.st.seen[key]
	if n >= c.st.limit {
		c.st.dropped++
		c.st.mu.Unlock()
		return nil
	}
	c.st.seen[key] = n + 1
	c.st.mu.Unlock()
	return c.next.Handle(ctx, r)
}

func (c *warnCap) WithAttrs(as []slog.Attr) slog.Handler {
	return &warnCap{next: c.next.WithAttrs(as), st: c.st}
}

func (c *warnCap) WithGroup(name string) slog.Handler {
	return &warnCap{next: c.next.WithGroup(name), st: c.st}
}

// report says how many records were held back, if any.
func (c *warnCap) report(w io.Writer, cmd string) {
	c.st.mu.Lock()
	n := c.st.dropped
	c.st.mu.Unlock()
	if n > 0 {
		fmt.Fprintf(w, "hearth %s: %s like those above %s not shown (each kind is shown %d times).\n", cmd, plural(n, "more log line", "more log lines"), map[bool]string{true: "was", false: "were"}[n == 1], c.st.limit)
	}
}

// sandboxLogger is the log of a replay: warnings and errors only (rule
// failures, events that do not match their declared types), each kind
// shown a few times. The lines are text, among the command's own human
// output, and JSON only with -json (asJSON), for a machine reading both;
// the wall-clock time is left out of text lines, as a replay's events
// carry their own times.
func sandboxLogger(s *stdio, asJSON bool) (*slog.Logger, *warnCap) {
	opts := &slog.HandlerOptions{Level: slog.LevelWarn}
	var h slog.Handler
	if asJSON {
		h = slog.NewJSONHandler(s.err, opts)
	} else {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
		h = slog.NewTextHandler(s.err, opts)
	}
	c := newWarnCap(h, 3)
	return slog.New(c), c
}
