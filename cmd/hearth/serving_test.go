package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A daemon without -bus refuses a PostgreSQL state that replicas on a
// bus serve, saying which and what to do, and starts once their
// heartbeat has expired, saying so in the log.
func TestRunWithoutBusRefusesAStateServedByABus(t *testing.T) {
	pgURL, natsURL := os.Getenv("HEARTH_TEST_POSTGRES_URL"), os.Getenv("HEARTH_TEST_NATS_URL")
	if pgURL == "" || natsURL == "" {
		t.Skip("skipping: set HEARTH_TEST_POSTGRES_URL and HEARTH_TEST_NATS_URL")
	}
	stateURL, schema := withSchema(t, pgURL)
	stream := fmt.Sprintf("HEARTH_SERVING_%d_%d", os.Getpid(), rand.Uint32())
	t.Cleanup(func() { deleteStream(natsURL, stream) })
	dir := quickstartCopy(t)
	cfgPath := filepath.Join(dir, "community.hcl")
	src, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	pg := strings.Replace(string(src), "backend = \"sqlite\"\n    path    = \".hearth/state.db\"", "backend = \"postgres\"\n    url     = var.database_url", 1)
	pg = "variable \"database_url\" {\n  type      = string\n  sensitive = true\n}\n\n" + pg
	if err := os.WriteFile(cfgPath, []byte(pg), 0o644); err != nil {
		t.Fatal(err)
	}
	env := envOf(map[string]string{"HEARTH_VAR_database_url": stateURL})
	start := func(ctx context.Context, args ...string) (chan int, *syncBuffer) {
		var errb syncBuffer
		s := &stdio{in: bytes.NewReader(nil), out: &bytes.Buffer{}, err: &errb, lookupEnv: env}
		code := make(chan int, 1)
		go func() { code <- run(ctx, append(append([]string{"run", "-listen", freeAddr(t)}, args...), dir), s) }()
		return code, &errb
	}
	waitStarted := func(code chan int, errb *syncBuffer) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(errb.String(), `"msg":"started"`) {
			select {
			case c := <-code:
				t.Fatalf("exit %d before starting:\n%s", c, errb.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("not started:\n%s", errb.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	ctx, stopBus := context.WithCancel(context.Background())
	busCode, busLog := start(ctx, "-bus", natsURL, "-bus-stream", stream, "-bus-lease", "500ms", "-replica", "r1")
	waitStarted(busCode, busLog)

	plainCode, plainLog := start(context.Background())
	if c := <-plainCode; c != 1 || !strings.Contains(plainLog.String(), "this state is served by replicas on bus "+stream+" (r1 at 127.0.0.1:") ||
		!strings.Contains(plainLog.String(), "Start this one with -bus NATS_URL -bus-stream "+stream) {
		t.Fatalf("beside a bus replica: exit %d\n%s", c, plainLog.String())
	}
	stopBus()
	if c := <-busCode; c != 0 {
		t.Fatalf("bus replica: exit %d\n%s", c, busLog.String())
	}

	// A replica killed a moment ago left its record behind: refused
	// until its heartbeat expires, then started, with a log line.
	c, err := pgx.Connect(context.Background(), stateURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), `INSERT INTO `+pgx.Identifier{schema, "servers"}.Sanitize()+` (id, bus, address, seen_at, expires_at)
		VALUES ('killed', $1, '10.0.0.9:7341', `+"(extract(epoch FROM clock_timestamp()) * 1000000000)::bigint"+`, `+"(extract(epoch FROM clock_timestamp()) * 1000000000)::bigint"+` + 1500000000)`, stream); err != nil {
		t.Fatal(err)
	}
	plainCode, plainLog = start(context.Background())
	if c := <-plainCode; c != 1 || !strings.Contains(plainLog.String(), "(killed at 10.0.0.9:7341, last seen ") {
		t.Fatalf("beside a killed replica's fresh record: exit %d\n%s", c, plainLog.String())
	}
	time.Sleep(1600 * time.Millisecond)
	ctx, stopPlain := context.WithCancel(context.Background())
	plainCode, plainLog = start(ctx)
	waitStarted(plainCode, plainLog)
	if !strings.Contains(plainLog.String(), "stopped beating their heartbeat; taking the state over") || !strings.Contains(plainLog.String(), `"server":"killed"`) {
		t.Errorf("no log line about the replica taken over:\n%s", plainLog.String())
	}
	// And now a bus replica is the one refused.
	busCode, busLog = start(context.Background(), "-bus", natsURL, "-bus-stream", stream, "-replica", "r2")
	if c := <-busCode; c != 1 || !strings.Contains(busLog.String(), "this state is served by hearth run without -bus") {
		t.Errorf("a bus replica beside a daemon without one: exit %d\n%s", c, busLog.String())
	}
	stopPlain()
	if c := <-plainCode; c != 0 {
		t.Fatalf("exit %d\n%s", c, plainLog.String())
	}
}
