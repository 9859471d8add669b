package webhook_test

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/webhook"
	"github.com/hearth-community/hearth/engine/platform"
)

var clock = time.Unix(1_790_000_000, 0)

func signed(secretKey string, ts int64, body string) http.Header {
	h := http.Header{}
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(webhook.HeaderSignature, webhook.Sign([]byte(secretKey), ts, []byte(body)))
	return h
}

func status(err error) int {
	var ve *webhook.VerifyError
	if errors.As(err, &ve) {
		return ve.Status
	}
	return 0
}

func TestVerifier(t *testing.T) {
	body := `{"id":"e1","type":"member.joined","member":"u1","at":"2026-09-21T00:00:00Z"}`
	v := &webhook.Verifier{Secret: []byte(secret), Window: 5 * time.Minute}
	ts := clock.Unix()
	for _, tc := range []struct {
		name string
		h    http.Header
		body string
		want int
	}{
		{"no headers", http.Header{}, body, 401},
		{"wrong secret", signed("other", ts, body), body, 401},
		{"body changed", signed(secret, ts, body), body + " ", 401},
		{"timestamp changed", func() http.Header {
			h := signed(secret, ts, body)
			h.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts+1, 10))
			return h
		}(), body, 401},
		{"too old", signed(secret, ts-301, body), body, 401},
		{"too far ahead", signed(secret, ts+301, body), body, 401},
		{"not a number", func() http.Header {
			h := signed(secret, ts, body)
			h.Set(webhook.HeaderTimestamp, "yesterday")
			return h
		}(), body, 401},
		{"huge timestamp", signed(secret, 1<<62, body), body, 401},
		{"v0 only", func() http.Header { h := signed(secret, ts, body); h.Set(webhook.HeaderSignature, "v0=abc"); return h }(), body, 401},
	} {
		if _, err := v.Check(tc.h, []byte(tc.body), clock); status(err) != tc.want {
			t.Errorf("%s: %v; want %d", tc.name, err, tc.want)
		}
	}
	// Inside the window, with a rotated secret listed first.
	h := signed(secret, ts-299, body)
	h.Set(webhook.HeaderSignature, webhook.Sign([]byte("old"), ts-299, []byte(body))+", "+h.Get(webhook.HeaderSignature))
	key, err := v.Check(h, []byte(body), clock)
	if err != nil {
		t.Fatalf("good request: %v", err)
	}
	// Until it is committed, the same request may come again (the first
	// try failed to store); afterwards it is a replay.
	if _, err := v.Check(h, []byte(body), clock); err != nil {
		t.Fatalf("before commit: %v", err)
	}
	if !v.Accept(key, clock) || v.Accept(key, clock) {
		t.Error("Accept: want true once, then false")
	}
	if _, err := v.Check(h, []byte(body), clock.Add(time.Second)); !errors.Is(err, webhook.ErrReplayed) || status(err) != 409 {
		t.Errorf("replay: %v; want 409", err)
	}
	// A fresh signature of the same event is not a replay (the runtime
	// drops the event as a duplicate by id).
	if _, err := v.Check(signed(secret, ts+1, body), []byte(body), clock); err != nil {
		t.Errorf("re-signed: %v", err)
	}
}

func TestVerifyInboundOnConn(t *testing.T) {
	c := open(t, webhook.New(), map[string]cty.Value{"secret": cty.StringVal(secret), "inbound": cty.True})
	body := []byte(`{"id":"e1"}`)
	commit, err := c.VerifyInbound(signed(secret, time.Now().Unix(), string(body)), body)
	if err != nil {
		t.Fatal(err)
	}
	commit()
	if _, err := c.VerifyInbound(signed(secret, time.Now().Unix()-1, "x"), body); status(err) != 401 {
		t.Errorf("bad signature: %v", err)
	}
	out := open(t, webhook.New(), settings("https://example.com/h"))
	if _, err := out.VerifyInbound(signed(secret, time.Now().Unix(), string(body)), body); status(err) != 404 {
		t.Errorf("outbound-only block: %v; want 404", err)
	}
}

// TestConcurrentKey: many callers with one key make one delivery.
func TestConcurrentKey(t *testing.T) {
	r := newReceiver(t, secret)
	r.members["u1"] = true
	c := open(t, webhook.New(), settings(r.srv.URL))
	var wg sync.WaitGroup
	var fresh atomic.Int32
	for range 16 {
		wg.Go(func() {
			resp, err := c.Perform(t.Context(), platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "same", Community: "c", Member: "u1", Text: "once"})
			if err != nil {
				t.Error(err)
			}
			if !resp.Duplicate {
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	if fresh.Load() != 1 || len(r.deliveries()) != 1 || r.requests != 1 {
		t.Errorf("%d fresh answers, %d deliveries, %d requests; want 1 each", fresh.Load(), len(r.deliveries()), r.requests)
	}
}

// FuzzVerify: the verifier never panics, accepts only what was signed
// with the secret for exactly that body and timestamp, and always
// accepts a correct signature inside the window.
func FuzzVerify(f *testing.F) {
	f.Add(int64(0), []byte(`{"id":"e1"}`), "v1=00", "1790000000", false)
	f.Add(int64(-200), []byte("x"), "", "", true)
	f.Add(int64(400), []byte{}, "v1=zz,v1=", "-5", true)
	f.Fuzz(func(t *testing.T, offset int64, body []byte, sig, ts string, sign bool) {
		v := &webhook.Verifier{Secret: []byte(secret), Window: 5 * time.Minute}
		h := http.Header{}
		if sign {
			at := clock.Unix() + offset
			ts = strconv.FormatInt(at, 10)
			sig = webhook.Sign([]byte(secret), at, body)
		}
		h.Set(webhook.HeaderTimestamp, ts)
		h.Set(webhook.HeaderSignature, sig)
		_, err := v.Check(h, body, clock)
		inWindow := offset >= -300 && offset <= 300
		if sign && inWindow && err != nil {
			t.Fatalf("a correct signature %d s off was refused: %v", offset, err)
		}
		if err == nil {
			n, perr := strconv.ParseInt(ts, 10, 64)
			if perr != nil || webhook.Sign([]byte(secret), n, body) != sig && !bytes.Contains([]byte(sig), []byte(webhook.Sign([]byte(secret), n, body)[3:])) {
				t.Fatalf("accepted a signature that is not the secret's: ts %q sig %q", ts, sig)
			}
		}
	})
}
