package outbox_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/webhook"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// faultyNetwork stands between hearth and a platform and spoils a share
// of the calls the ways real platforms and networks do: a 429 with
// Retry-After, a 5xx, a stall before the request reaches the platform,
// and the worst case, a stall after the platform acted, so the response
// is lost and hearth must retry something that already happened.
type faultyNetwork struct {
	next  http.Handler
	rate  float64
	stall time.Duration // longer than the client's timeout

	mu     sync.Mutex
	rng    *rand.Rand
	calls  map[string]int // by idempotency key
	faults map[string]int // by kind
	doomed string         // text whose calls always get a 503
}

func (f *faultyNetwork) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	f.mu.Lock()
	f.calls[r.Header.Get("Idempotency-Key")]++
	fault := ""
	switch x := f.rng.Float64(); {
	case f.doomed != "" && strings.Contains(string(body), f.doomed):
		fault = "doomed"
	case x < f.rate/4:
		fault = "429"
	case x < f.rate/2:
		fault = "5xx"
	case x < 3*f.rate/4:
		fault = "stall-before"
	case x < f.rate:
		fault = "stall-after"
	}
	if fault != "" {
		f.faults[fault]++
	}
	status := []int{500, 502, 503}[f.rng.IntN(3)]
	f.mu.Unlock()
	switch fault {
	case "429":
		w.Header().Set("Retry-After", "2")
		http.Error(w, `{"error":"slow down"}`, http.StatusTooManyRequests)
	case "5xx", "doomed":
		http.Error(w, `{"error":"upstream trouble"}`, status)
	case "stall-before":
		time.Sleep(f.stall)
	case "stall-after":
		rec := httptest.NewRecorder()
		f.next.ServeHTTP(rec, r)
		time.Sleep(f.stall)
	default:
		f.next.ServeHTTP(w, r)
	}
}

// receiver is a webhook endpoint that honours idempotency keys, as the
// README asks receivers to: a key it has seen is acknowledged and not
// acted on again.
type receiver struct {
	mu       sync.Mutex
	applied  map[string]int
	received int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.received++
	if rc.applied[key] == 0 {
		rc.applied[key]++
	}
	w.WriteHeader(http.StatusNoContent)
}

// TestDeliveryThroughAFaultyNetwork is issue #10's adapter fault test,
// over real HTTP through the webhook adapter: 30% of calls answer 429 or
// 5xx or time out (some after the platform acted), and still every
// action is applied exactly once per idempotency key, none is lost, and
// only an action that never gets through becomes a dead letter, after
// exactly the configured number of tries.
func TestDeliveryThroughAFaultyNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("real HTTP with timeouts; skipped with -short")
	}
	ctx := context.Background()
	rc := &receiver{applied: map[string]int{}}
	net := &faultyNetwork{next: rc, rate: 0.3, stall: 400 * time.Millisecond, rng: rand.New(rand.NewPCG(7, 11)),
		calls: map[string]int{}, faults: map[string]int{}, doomed: "doomed"}
	srv := httptest.NewServer(net)
	defer func() {
		srv.CloseClientConnections()
		srv.Close()
	}()
	dir := t.TempDir()
	src := `
variable "s" {
  type      = string
  sensitive = true
}
platform "webhook" "crm" {
  url     = "` + srv.URL + `"
  secret  = var.s
  timeout = "150ms"
}
community "club" {
  title    = "Club"
  platform = platform.webhook.crm
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := platform.NewRegistry(webhook.New())
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: reg.Specs(), LookupEnv: func(k string) (string, bool) { return "s3cret", k == "HEARTH_VAR_s" }})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open()
			const n = 200
			const maxTries = 6
			clock := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
			b, err := s.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var as []state.Action
			for i := range n {
				as = append(as, state.Action{Key: fmt.Sprintf("%s-%03d", name, i), Kind: "send.webhook", Member: fmt.Sprintf("u%d", i), At: clock,
					Platform: "platform.webhook.crm", Community: "club", Target: fmt.Sprintf("u%d", i), Text: "hello"})
			}
			doomedKey := name + "-doomed"
			as = append(as, state.Action{Key: doomedKey, Kind: "send.webhook", Member: "u9", At: clock,
				Platform: "platform.webhook.crm", Community: "club", Target: "u9", Text: "doomed"})
			if err := b.Enqueue(as); err != nil {
				t.Fatal(err)
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
			sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
			defer sender.Close()
			d := outbox.New(s, sender, outbox.Options{MaxAttempts: maxTries, BaseDelay: time.Second, MaxDelay: 10 * time.Second,
				Now: func() time.Time { return clock }, Rand: rand.New(rand.NewPCG(1, 2)), Batch: 500})
			for round := 0; round < 100; round++ {
				if _, err := d.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				if pending, _ := s.ListOutbox(ctx, state.OutboxPending, 1); len(pending) == 0 {
					break
				}
				clock = clock.Add(15 * time.Second)
			}
			sent, _ := s.ListOutbox(ctx, state.OutboxSent, 1000)
			dead, _ := s.ListOutbox(ctx, state.OutboxDead, 1000)
			if len(sent) != n || len(dead) != 1 || dead[0].Key != doomedKey {
				t.Fatalf("%d sent, %d dead (%+v); want %d sent and only %s dead", len(sent), len(dead), dead, n, doomedKey)
			}
			if dead[0].Attempts != maxTries {
				t.Errorf("dead after %d tries; want exactly %d", dead[0].Attempts, maxTries)
			}
			net.mu.Lock()
			if got := net.calls[doomedKey]; got != maxTries {
				t.Errorf("the doomed action was tried %d times on the wire; want %d", got, maxTries)
			}
			net.mu.Unlock()
			rc.mu.Lock()
			defer rc.mu.Unlock()
			for _, e := range sent {
				if rc.applied[e.Key] != 1 {
					t.Errorf("%s applied %d times", e.Key, rc.applied[e.Key])
				}
			}
		})
	}
	net.mu.Lock()
	defer net.mu.Unlock()
	total := 0
	for _, c := range net.calls {
		total += c
	}
	t.Logf("%d calls; faults injected: %v; the receiver saw %d requests and applied %d actions", total, net.faults, rc.received, len(rc.applied))
	for _, kind := range []string{"429", "5xx", "stall-before", "stall-after"} {
		if net.faults[kind] == 0 {
			t.Errorf("no %s fault was injected", kind)
		}
	}
	// Lost responses make hearth send some actions again; the keys
	// keep the receiver from acting twice.
	if rc.received <= len(rc.applied) {
		t.Errorf("the receiver saw no repeated key (%d requests, %d actions): the lost-response case was not exercised", rc.received, len(rc.applied))
	}
}
