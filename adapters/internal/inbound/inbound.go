// Package inbound serves the HTTP endpoint a platform pushes events to
// (an events_listen address and an events_path), for the adapters whose
// Stream waits for the platform to call rather than asking it, and
// remembers what it delivered lately, as platforms retry.
package inbound

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts of the servers platforms push to: these listeners face the
// internet, and a client that sends its headers or body a byte at a
// time, or holds idle connections open, must not hold a connection (and
// its goroutine) for ever.
const (
	HeaderTimeout = 10 * time.Second
	ReadTimeout   = 30 * time.Second
	IdleTimeout   = 2 * time.Minute
)

// NewServer is an HTTP server for h with those timeouts, for every
// listener a platform pushes to (Slack, Discourse, Telegram webhooks,
// Discord interactions). read, when more than 0, replaces ReadTimeout
// (and bounds the header timeout), so tests can see a stalled client
// cut off without waiting 30 seconds.
func NewServer(h http.Handler, read time.Duration) *http.Server {
	if read <= 0 {
		read = ReadTimeout
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: min(HeaderTimeout, read), ReadTimeout: read, IdleTimeout: IdleTimeout}
}

// Endpoint is one inbound endpoint.
type Endpoint struct {
	// Listen opens the listener; nil means net.Listen.
	Listen func(network, addr string) (net.Listener, error)
	Addr   string // the events_listen setting; "": no endpoint
	Path   string // the events_path setting
	Log    *slog.Logger
	// Platform starts error messages ("slack events_listen: ..."); Name
	// is what the endpoint is in the log ("the Slack Events API") and
	// Failed in the error when the server stops ("slack events endpoint").
	Platform, Name, Failed string
	// Unset is logged when Addr is empty, saying how to receive events.
	Unset string
}

// Serve answers h at the endpoint's path until ctx ends, then shuts the
// server down, giving requests under way 5 seconds, and returns
// ctx.Err(). It returns early when the listener cannot be opened or the
// server fails. Without an address it only waits for ctx, so Stream
// still runs as long as asked.
func (e Endpoint) Serve(ctx context.Context, h http.Handler) error {
	if e.Addr == "" {
		e.Log.Info(e.Unset)
		<-ctx.Done()
		return ctx.Err()
	}
	listen := e.Listen
	if listen == nil {
		listen = net.Listen
	}
	ln, err := listen("tcp", e.Addr)
	if err != nil {
		return fmt.Errorf("%s events_listen: %w", e.Platform, err)
	}
	mux := http.NewServeMux()
	mux.Handle(e.Path, h)
	srv := NewServer(mux, 0)
	e.Log.Info("serving inbound endpoint", "name", e.Name, "addr", ln.Addr().String(), "path", e.Path)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		// ctx has ended: a fresh context bounds the wait for requests under way.
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
		return ctx.Err()
	case err := <-errc:
		return fmt.Errorf("%s: %w", e.Failed, err)
	}
}
