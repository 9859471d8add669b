package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// A daemon without a bus is refused the state while replicas on a bus
// beat their heartbeat, and the other way round; once the heartbeat
// expires (or its replica leaves) the other kind starts, told what it
// replaces.
func TestServeKeepsBusAndNonBusApart(t *testing.T) {
	ctx := context.Background()
	schema := freshSchema(t)
	a, b := open(t, schema, Options{}), open(t, schema, Options{})
	const ttl = 800 * time.Millisecond
	r1 := Server{ID: "r1", Bus: "HT_STREAM", Address: "10.0.0.1:7341"}
	if stale, err := a.Serve(ctx, r1, ttl); err != nil || stale != nil {
		t.Fatalf("first replica: %v, %v", stale, err)
	}
	// Another replica on the same bus is welcome; its heartbeat too.
	if _, err := b.Serve(ctx, Server{ID: "r2", Bus: "HT_STREAM"}, ttl); err != nil {
		t.Fatalf("a second replica on the same bus: %v", err)
	}
	_ = b.Leave(ctx, "r2")
	plain := Server{ID: "plain", Address: "127.0.0.1:7341"}
	_, err := b.Serve(ctx, plain, ttl)
	var served *ServedError
	if !errors.As(err, &served) || served.Other.ID != "r1" || !strings.Contains(err.Error(), "served by replicas on bus HT_STREAM (r1 at 10.0.0.1:7341, last seen ") {
		t.Fatalf("a daemon without a bus beside a live replica: %v", err)
	}
	// On another stream is no better: partitions would be owned twice.
	if _, err := b.Serve(ctx, Server{ID: "r9", Bus: "OTHER"}, ttl); !errors.As(err, &served) {
		t.Fatalf("a replica on another stream: %v", err)
	}
	// The replica stops beating (killed): once its heartbeat expired,
	// the daemon starts and is told about it.
	time.Sleep(ttl + 200*time.Millisecond)
	stale, err := b.Serve(ctx, plain, ttl)
	if err != nil || len(stale) != 1 || stale[0].ID != "r1" || stale[0].Bus != "HT_STREAM" || stale[0].Seen < ttl {
		t.Fatalf("after the heartbeat expired: %+v, %v", stale, err)
	}
	// Now the replica is the one refused, with what holds the state.
	_, err = a.Serve(ctx, r1, ttl)
	if !errors.As(err, &served) || !strings.Contains(err.Error(), "served by hearth run without -bus (plain at 127.0.0.1:7341") {
		t.Fatalf("a replica beside a daemon without a bus: %v", err)
	}
	// Until the daemon leaves.
	if err := b.Leave(ctx, "plain"); err != nil {
		t.Fatal(err)
	}
	if stale, err := a.Serve(ctx, r1, ttl); err != nil || stale != nil {
		t.Fatalf("after the daemon left: %v, %v", stale, err)
	}
}
