// Package inboundtest has test helpers for the platforms' inbound HTTP
// endpoints.
package inboundtest

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// RequireCutsOffStalled sends head (a request whose body is shorter than
// its Content-Length) to addr and fails the test unless the server closes
// the connection within five seconds: an endpoint must not hold a client
// that trickles its body for ever.
func RequireCutsOffStalled(t testing.TB, addr, head string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the endpoint still held a stalled request after %s", time.Since(start).Round(time.Millisecond))
	}
}
