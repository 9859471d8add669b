package inbound

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestServe(t *testing.T) {
	lnc := make(chan net.Listener, 1)
	ep := Endpoint{
		Listen: func(network, _ string) (net.Listener, error) {
			ln, err := net.Listen(network, "127.0.0.1:0")
			lnc <- ln
			return ln, err
		},
		Addr: ":0", Path: "/events", Log: slog.New(slog.DiscardHandler),
		Platform: "chat", Name: "the chat events", Failed: "chat events endpoint",
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ep.Serve(ctx, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	}()
	ln := <-lnc
	resp, err := http.Get("http://" + ln.Addr().String() + "/events")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Errorf("answer %q; want ok", b)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v", err)
	}

	refused := errors.New("address in use")
	ep.Listen = func(string, string) (net.Listener, error) { return nil, refused }
	if err := ep.Serve(context.Background(), http.NotFoundHandler()); !errors.Is(err, refused) || err.Error() != "chat events_listen: address in use" {
		t.Errorf("listen failure: %v", err)
	}

	ep.Addr, ep.Listen = "", nil
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if err := ep.Serve(ctx, http.NotFoundHandler()); !errors.Is(err, context.Canceled) {
		t.Errorf("no address: %v", err)
	}
}

// A client that sends its headers and then trickles (or stops sending)
// its body is cut off at the read timeout, rather than holding its
// connection for ever.
func TestServerCutsOffStalledBodies(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}), 300*time.Millisecond)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab"); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server still held the connection after %s", time.Since(start))
	}
	if NewServer(nil, 0).ReadTimeout != ReadTimeout || NewServer(nil, 0).IdleTimeout == 0 {
		t.Errorf("NewServer: read timeout %s, idle %s", NewServer(nil, 0).ReadTimeout, NewServer(nil, 0).IdleTimeout)
	}
}
