package daemon_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/adapters/webhook"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/platform"
)

// Issue #10's hostile input, for signed inbound webhooks through the real
// webhook adapter: bad, stale, tampered and replayed signatures, in
// 3,000 requests, all get a 4xx and leave state as it was; one good
// request afterwards still gets in.
func TestHostileSignedWebhooks(t *testing.T) {
	secret := []byte("hook-secret")
	f := start(t, rulesA+`
variable "hook" {
  type      = string
  sensitive = true
}
platform "webhook" "in" {
  secret  = var.hook
  inbound = true
}
`, "api-token", func(o *daemon.Options) {
		o.Load.Platforms = map[string]config.PlatformSpec{"local": local.Spec(), "webhook": webhook.Spec()}
		o.Load.LookupEnv = func(k string) (string, bool) { return string(secret), k == "HEARTH_VAR_hook" }
	})
	reg, err := platform.NewRegistry(local.New(), webhook.New())
	if err != nil {
		t.Fatal(err)
	}
	closeAll := f.d.Receivers(context.Background(), reg)
	defer closeAll()
	url := f.srv.URL + "/v1/inbound/webhook/in"
	send := func(body string, header http.Header) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		for k, vs := range header {
			req.Header[k] = vs
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	signed := func(body string, key []byte, ts int64) http.Header {
		h := http.Header{}
		h.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
		h.Set(webhook.HeaderSignature, webhook.Sign(key, ts, []byte(body)))
		return h
	}
	now := time.Now().Unix()
	// One good request, so there is a signature to replay.
	good := events(0, 2)
	goodHeader := signed(good, secret, now)
	if code := send(good, goodHeader); code != http.StatusAccepted {
		t.Fatalf("a well-signed request: %d", code)
	}
	before := points(t, f)
	rng := rand.New(rand.NewPCG(3, 5))
	for i := range 3000 {
		body := events(10000+i, 1)
		var h http.Header
		switch i % 10 {
		case 0:
			h = http.Header{} // no signature at all
		case 1:
			h = signed(body, []byte("hook-secreT"), now) // the wrong secret
		case 2:
			h = signed(body, secret, now)
			body = strings.Replace(body, `"m`, `"x`, 1) // tampered after signing
		case 3:
			h = signed(body, secret, now-int64(10*time.Minute/time.Second)) // stale
		case 4:
			h = signed(body, secret, now+int64(10*time.Minute/time.Second)) // from the future
		case 5:
			body, h = good, goodHeader // a replay of the good request
		case 6:
			h = signed(body, secret, now)
			h.Set(webhook.HeaderSignature, "v1="+strings.Repeat("z", 64)) // not hex
		case 7:
			h = signed(body, secret, now)
			h.Set(webhook.HeaderTimestamp, "-1")
		case 8:
			h = signed(body, secret, now)
			h.Set(webhook.HeaderSignature, "v2="+h.Get(webhook.HeaderSignature)[3:]) // unknown scheme
		case 9:
			// a random byte changed in a signed body
			h = signed(body, secret, now)
			b := []byte(body)
			j := rng.IntN(len(b) - 1)
			b[j] ^= byte(1 + rng.IntN(255))
			body = string(b)
		}
		if code := send(body, h); code < 400 || code > 499 {
			t.Fatalf("request %d (case %d) got %d; want a 4xx", i, i%10, code)
		}
	}
	if after := points(t, f); after != before {
		t.Fatalf("hostile signed requests changed points: %d -> %d", before, after)
	}
	fresh := events(50000, 1)
	if code := send(fresh, signed(fresh, secret, time.Now().Unix())); code != http.StatusAccepted {
		t.Fatalf("a good request after the storm: %d", code)
	}
	if after := points(t, f); after != before+1 {
		t.Errorf("the good request gave %d points; want 1", after-before)
	}
}

// A webhook block without inbound = true is not announced as taking
// events at start (an operator reading the log would look for events
// there), and a request to it is told how to turn it on.
func TestWebhookWithoutInboundIsNotAnnounced(t *testing.T) {
	var logs syncBuffer
	f := start(t, rulesA+`
variable "hook" {
  type      = string
  sensitive = true
}
platform "webhook" "out" {
  url    = "http://127.0.0.1:9/hook"
  secret = var.hook
}
platform "webhook" "in" {
  secret  = var.hook
  inbound = true
}
`, "api-token", func(o *daemon.Options) {
		o.Load.Platforms = map[string]config.PlatformSpec{"local": local.Spec(), "webhook": webhook.Spec()}
		o.Load.LookupEnv = func(k string) (string, bool) { return "hook-secret", k == "HEARTH_VAR_hook" }
		o.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	reg, err := platform.NewRegistry(local.New(), webhook.New())
	if err != nil {
		t.Fatal(err)
	}
	closeAll := f.d.Receivers(context.Background(), reg)
	defer closeAll()
	got := logs.String()
	if !strings.Contains(got, `"msg":"taking inbound events","platform":"platform.webhook.in"`) {
		t.Errorf("the inbound webhook is not announced:\n%s", got)
	}
	if strings.Contains(got, `"platform":"platform.webhook.out"`) {
		t.Errorf("a webhook without inbound = true is announced as taking events:\n%s", got)
	}
	resp, err := http.Post(f.srv.URL+"/v1/inbound/webhook/out", "application/json", strings.NewReader(events(0, 1)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "set inbound = true") {
		t.Errorf("a request to the outbound-only webhook: %d %s; want 404 saying to set inbound = true", resp.StatusCode, body)
	}
}
