package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hearth-community/hearth/engine/bus/bustest"
)

// With NATS out of reach (the TCP proxy between the replica and NATS
// cut), POST /v1/events answers 503 with Retry-After within the bound,
// not once NATS is back, and nothing of the events is stored or applied;
// once the proxy is back, the same request is accepted, and its events
// are applied exactly once however often it is sent again. The outage
// shows in /readyz, /metrics and the log.
func TestRunEventsWhileNATSIsOutOfReach(t *testing.T) {
	natsURL := os.Getenv("HEARTH_TEST_NATS_URL")
	if natsURL == "" {
		t.Skip("skipping: set HEARTH_TEST_NATS_URL (nats://127.0.0.1:4222, with JetStream) to test the event bus")
	}
	stream := fmt.Sprintf("HEARTH_DOWN_%d_%d", os.Getpid(), rand.Uint32())
	t.Cleanup(func() { deleteStream(natsURL, stream) })
	proxy := bustest.NewProxy(t, natsURL)
	dir := quickstartCopy(t)
	addr := freeAddr(t)
	base := "http://" + addr
	var errb syncBuffer
	s := &stdio{in: bytes.NewReader(nil), out: &bytes.Buffer{}, err: &errb, lookupEnv: envOf(nil)}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"run", "-listen", addr, "-bus", proxy.URL(), "-bus-stream", stream, "-bus-lease", "1s",
			"-bus-publish-timeout", "3s", "-replica", "r1", dir}, s)
	}()
	defer func() {
		cancel()
		if c := <-code; c != 0 {
			t.Errorf("exit %d\n%s", c, errb.String())
		}
	}()
	waitReady(t, base, errb.String)

	at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	ev := func(id, member string) string {
		return fmt.Sprintf(`{"id":%q,"type":"message.posted","member":%q,"at":%q}`+"\n", id, member, at)
	}
	if c, _, body, _ := postEvents(t, base, ev("d1", "m1")); c != http.StatusAccepted {
		t.Fatalf("with NATS in reach: %d %v", c, body)
	}
	waitFor(t, 30*time.Second, "the first event applied", func() bool { return memberMessages(t, base, "m1") == 1 })

	proxy.Cut()
	request := ev("d2", "m2") + ev("d3", "m2")
	c, header, body, took := postEvents(t, base, request)
	msg, _ := body["error"].(string)
	if c != http.StatusServiceUnavailable || header.Get("Retry-After") != "5" || body["accepted"] != 0.0 || body["not_accepted"] != 2.0 ||
		!strings.Contains(msg, "the event bus cannot take events now") || !strings.Contains(msg, "nothing was accepted") {
		t.Fatalf("with NATS out of reach: %d, Retry-After %q, %v", c, header.Get("Retry-After"), body)
	}
	// Cut a moment ago: the request waited for a reconnection, at most
	// the 2 seconds one takes, and never the publish timeout.
	if took > 3*time.Second {
		t.Errorf("answered after %s; want within the 3s publish timeout", took)
	}
	if c, _ := getStatus(t, base+"/readyz"); c != http.StatusServiceUnavailable {
		t.Errorf("/readyz %d with NATS out of reach; want 503", c)
	}
	// Down for longer than that: refused at once.
	time.Sleep(2 * time.Second)
	if c, _, _, took := postEvents(t, base, request); c != http.StatusServiceUnavailable || took > time.Second {
		t.Errorf("sent again during the outage: %d after %s; want 503 at once", c, took)
	}
	if _, metrics := getStatus(t, base+"/metrics"); !strings.Contains(metrics, "hearth_bus_connected 0") ||
		!strings.Contains(metrics, `hearth_bus_events_total{result="refused"} 4`) || !strings.Contains(metrics, "hearth_bus_disconnects_total 1") {
		t.Errorf("metrics during the outage:\n%s", grepLines(metrics, "hearth_bus_"))
	}
	if n := streamMessages(t, natsURL, stream); n != 1 {
		t.Errorf("the stream holds %d messages after the refusals; want 1", n)
	}

	proxy.Restore()
	waitReady(t, base, errb.String)
	if c, _, body, _ := postEvents(t, base, request); c != http.StatusAccepted || body["accepted"] != 2.0 {
		t.Fatalf("sent again once NATS is back: %d %v", c, body)
	}
	if c, _, body, _ := postEvents(t, base, request); c != http.StatusAccepted {
		t.Fatalf("sent once more: %d %v", c, body)
	}
	waitFor(t, 30*time.Second, "the events sent again applied", func() bool { return memberMessages(t, base, "m2") == 2 })
	time.Sleep(time.Second) // room for a second application to show
	if n := memberMessages(t, base, "m2"); n != 2 {
		t.Errorf("m2 has %d messages; want 2, each event applied once", n)
	}
	if n := streamMessages(t, natsURL, stream); n != 3 {
		t.Errorf("the stream holds %d messages; want 3 (the duplicate window drops the one sent twice)", n)
	}
	if _, metrics := getStatus(t, base+"/metrics"); !strings.Contains(metrics, "hearth_bus_connected 1") {
		t.Errorf("metrics after the outage:\n%s", grepLines(metrics, "hearth_bus_"))
	}
	logs := errb.String()
	for _, want := range []string{`"msg":"bus: disconnected from NATS; reconnecting`, `"msg":"bus: reconnected to NATS"`, `"reason":"bus_unavailable"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log has no %s:\n%s", want, logs)
		}
	}
	// Two requests refused within the minute: one line.
	if n := strings.Count(logs, `"reason":"bus_unavailable"`); n != 1 {
		t.Errorf("%d log lines for two refused requests; want 1", n)
	}
}

// postEvents posts a body of events and says how long the answer took.
func postEvents(t *testing.T, base, body string) (int, http.Header, map[string]any, time.Duration) {
	t.Helper()
	began := time.Now()
	// A request held until NATS comes back fails the test, not hangs it.
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Post(base+"/v1/events", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	took := time.Since(began)
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header, out, took
}

func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// memberMessages is the member's count of messages posted, 0 for a
// member not stored.
func memberMessages(t *testing.T, base, id string) int {
	t.Helper()
	c, body := getStatus(t, base+"/v1/members/"+id)
	if c == http.StatusNotFound {
		return 0
	}
	var m struct {
		Totals map[string]int `json:"totals"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil || c != http.StatusOK {
		t.Fatalf("member %s: %d %s", id, c, body)
	}
	return m.Totals["message.posted"]
}

func streamMessages(t *testing.T, natsURL, stream string) uint64 {
	t.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func grepLines(text, prefix string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
