package daemon_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/hearth-community/hearth/engine/bus"
	"github.com/hearth-community/hearth/engine/daemon"
	evpkg "github.com/hearth-community/hearth/engine/events"
)

// fakeBus keeps what was published; the real one is tested against NATS
// in engine/bus.
type fakeBus struct {
	mu        sync.Mutex
	got       []evpkg.Event
	backfills int // events published as a backfill
	fail      error
	refusals  int // publishes still to refuse as a bus out of reach would
}

func (b *fakeBus) Publish(_ context.Context, evs []evpkg.Event, backfill bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	if b.refusals > 0 {
		b.refusals--
		return &bus.PublishError{Total: len(evs), Err: errors.New("the NATS connection is reconnecting (for 3s)")}
	}
	b.got = append(b.got, evs...)
	if backfill {
		b.backfills += len(evs)
	}
	return nil
}

func (b *fakeBus) Status() any { return map[string]any{"replica": "r1"} }

// With a bus, ingested events go to the bus, not to the state: they are
// applied when the bus hands them back through Apply, on whichever
// replica owns their partition.
func TestBusTakesIngestedEvents(t *testing.T) {
	eb := &fakeBus{}
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Bus = eb })
	code, body := post(t, f, "/v1/events", events(0, 5), "")
	if code != http.StatusAccepted || body["accepted"] != 5.0 {
		t.Fatalf("post: %d %v", code, body)
	}
	if len(eb.got) != 5 || eb.backfills != 0 {
		t.Fatalf("%d events published, %d as a backfill; want 5 and 0", len(eb.got), eb.backfills)
	}
	// A backfill is published as one, for the applying replica.
	if code, _ := post(t, f, "/v1/events?backfill=true", events(10, 2), ""); code != http.StatusAccepted || eb.backfills != 2 {
		t.Fatalf("backfill: %d, %d events published as a backfill; want 202 and 2", code, eb.backfills)
	}
	// So is an events file fed to the daemon (hearth run -events).
	if _, err := f.d.Feed(context.Background(), strings.NewReader(events(20, 3)), 10, nil); err != nil || eb.backfills != 5 {
		t.Fatalf("feed: %v, %d events published as a backfill; want 5", err, eb.backfills)
	}
	eb.got = eb.got[:5]
	if p := points(t, f); p != 0 {
		t.Fatalf("points %d before the bus handed the events back; want 0", p)
	}
	dups, err := f.d.Apply(context.Background(), eb.got)
	if err != nil || dups != 0 {
		t.Fatalf("apply: %d, %v", dups, err)
	}
	if dups, _ := f.d.Apply(context.Background(), eb.got); dups != 5 {
		t.Errorf("redelivered events: %d duplicates; want 5", dups)
	}
	if p := points(t, f); p != 5 {
		t.Errorf("points %d; want 5", p)
	}

	eb.fail = errors.New("nats: no responders available for request")
	if code, _ := post(t, f, "/v1/events", events(5, 1), ""); code != http.StatusInternalServerError {
		t.Errorf("a bus that cannot store the events: %d; want 500", code)
	}

	resp, err := http.Get(f.srv.URL + "/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&st)
	if bus, _ := st["bus"].(map[string]any); bus["replica"] != "r1" {
		t.Errorf("status bus = %v", st["bus"])
	}
}

// replicaBus is a bus that knows the live replicas, as the real one
// does from their heartbeats.
type replicaBus struct {
	fakeBus
	replicas []map[string]any
	mismatch bool
}

func (b *replicaBus) ReplicaStatus() (any, bool) { return b.replicas, b.mismatch }

// Replicas running different configurations show in /v1/status, and
// /readyz stays 200: during a rolling deploy that is normal.
func TestStatusShowsReplicasAndConfigMismatch(t *testing.T) {
	for _, mismatch := range []bool{false, true} {
		eb := &replicaBus{mismatch: mismatch, replicas: []map[string]any{
			{"id": "a", "hash": "h1", "partitions": []int{0, 1}}, {"id": "b", "hash": "h2", "partitions": []int{2}}}}
		f := start(t, rulesA, "", func(o *daemon.Options) { o.Bus = eb })
		var st map[string]any
		getJSON(t, f.srv.URL+"/v1/status", &st)
		rs, _ := st["replicas"].([]any)
		if st["config_mismatch"] != mismatch || len(rs) != 2 {
			t.Errorf("mismatch %v: status config_mismatch %v, replicas %v", mismatch, st["config_mismatch"], st["replicas"])
		}
		resp, err := http.Get(f.srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("mismatch %v: /readyz %d; want 200", mismatch, resp.StatusCode)
		}
	}
}

// A bus that cannot take events for now (bus.PublishError) gets the
// request answered 503 with Retry-After, not 500: with nothing accepted,
// or with exactly the events JetStream confirmed before it failed.
func TestBusRefusalAnswers503(t *testing.T) {
	eb := &fakeBus{}
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Bus = eb })
	for _, tc := range []struct {
		name      string
		confirmed []string
		want      string
	}{
		{"nothing stored", nil, "nothing was accepted: send the request again in 5 seconds"},
		{"some stored", []string{"e0", "e1"}, "the 2 under accepted_ids are accepted and will be applied, the other 1 are not"},
	} {
		eb.fail = &bus.PublishError{Confirmed: tc.confirmed, Total: 3, Err: errors.New("the NATS connection is reconnecting (for 4s)")}
		resp, err := http.Post(f.srv.URL+"/v1/events", "application/x-ndjson", strings.NewReader(events(0, 3)))
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		msg, _ := body["error"].(string)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" ||
			!strings.Contains(msg, "the event bus cannot take events now") || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d, Retry-After %q, %v", tc.name, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		if body["accepted"] != float64(len(tc.confirmed)) || body["not_accepted"] != float64(3-len(tc.confirmed)) {
			t.Errorf("%s: accepted %v, not_accepted %v", tc.name, body["accepted"], body["not_accepted"])
		}
		ids, _ := body["accepted_ids"].([]any)
		if fmt.Sprint(ids) != fmt.Sprint(tc.confirmed) && len(tc.confirmed) > 0 || len(tc.confirmed) == 0 && body["accepted_ids"] != nil {
			t.Errorf("%s: accepted_ids %v; want %v", tc.name, body["accepted_ids"], tc.confirmed)
		}
	}
}

// An events file fed through a bus out of reach for a while waits and
// sends the refused batch again, rather than stopping halfway.
func TestFeedWaitsForTheBus(t *testing.T) {
	eb := &fakeBus{refusals: 1}
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Bus = eb })
	res, err := f.d.Feed(context.Background(), strings.NewReader(events(0, 3)), 10, nil)
	if err != nil || res.Accepted != 3 || len(eb.got) != 3 || eb.refusals != 0 {
		t.Fatalf("feed: %+v, %v; %d published; want 3 accepted, 3 published after one refusal", res, err, len(eb.got))
	}
}
