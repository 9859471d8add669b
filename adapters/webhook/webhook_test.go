package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/webhook"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/platform/platformtest"
)

const secret = "whsec-test-0123456789"

func open(t *testing.T, a *webhook.Adapter, settings map[string]cty.Value) *webhook.Conn {
	t.Helper()
	c, err := a.Open(context.Background(), platform.OpenRequest{Name: "crm", Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*webhook.Conn)
}

func settings(url string) map[string]cty.Value {
	return map[string]cty.Value{"url": cty.StringVal(url), "secret": cty.StringVal(secret).Mark(config.Sensitive)}
}

func TestConformance(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Platform {
		r := newReceiver(t, secret)
		a := webhook.New()
		return platformtest.Platform{
			Open:      func(t *testing.T) platform.Conn { return open(t, a, settings(r.srv.URL)) },
			Community: func(*testing.T, platform.Conn) string { return "explorers" },
			Channel: func(_ *testing.T, _ platform.Conn, _ string) string {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.channels["general"] = true
				return "general"
			},
			AddMember: func(_ *testing.T, _ platform.Conn, _, name string) string {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.members["u-"+name] = true
				return "u-" + name
			},
		}
	})
}

// TestSignedDelivery checks the exact wire format the README documents.
func TestSignedDelivery(t *testing.T) {
	r := newReceiver(t, secret)
	r.members["u1"] = true
	c := open(t, webhook.New(), settings(r.srv.URL))
	resp, err := c.Perform(context.Background(), platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "campaign/welcome/u1/1/1/hello",
		Community: "explorers", Member: "u1", Text: "欢迎, Ann!"})
	if err != nil || resp.ID != "ok-campaign/welcome/u1/1/1/hello" || resp.Duplicate {
		t.Fatalf("perform: %+v %v", resp, err)
	}
	got := r.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d deliveries; want 1", len(got))
	}
	d := got[0]
	wantBody := `{"id":"campaign/welcome/u1/1/1/hello","type":"hearth.action","action":"direct_message","community":"explorers","member":"u1","text":"欢迎, Ann!"}`
	if string(d.Body) != wantBody {
		t.Errorf("body\n%s\nwant\n%s", d.Body, wantBody)
	}
	ts := d.Header.Get("X-Hearth-Timestamp")
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + wantBody))
	if sig := d.Header.Get("X-Hearth-Signature"); sig != "v1="+hex.EncodeToString(m.Sum(nil)) {
		t.Errorf("signature %q", sig)
	}
	if d.Header.Get("Idempotency-Key") != "campaign/welcome/u1/1/1/hello" || d.Header.Get("X-Hearth-Action") != "direct_message" {
		t.Errorf("headers %v", d.Header)
	}
	// Sign is the documented formula.
	if got, want := webhook.Sign([]byte(secret), 1790000000, []byte(wantBody)), hmacHex(secret, "1790000000."+wantBody); got != "v1="+want {
		t.Errorf("Sign = %s; want v1=%s", got, want)
	}
}

func hmacHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// TestFailures checks how answers are classified for the outbox.
func TestFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     []scripted
		class platform.Class
		wait  time.Duration
		is    error
	}{
		{"429 with Retry-After", []scripted{{status: 429, retryAfter: "7"}}, platform.ClassTemporary, 7 * time.Second, nil},
		{"408", []scripted{{status: 408}}, platform.ClassTemporary, 0, nil},
		{"503 with Retry-After", []scripted{{status: 503, retryAfter: "120"}}, platform.ClassTemporary, 2 * time.Minute, nil},
		{"500", []scripted{{status: 500, body: "boom"}}, platform.ClassTemporary, 0, nil},
		{"400", []scripted{{status: 400, body: `{"error":"bad member"}`}}, platform.ClassPermanent, 0, platform.ErrInvalid},
		{"401", []scripted{{status: 401}}, platform.ClassPermanent, 0, nil},
		{"404", []scripted{{status: 404}}, platform.ClassPermanent, 0, platform.ErrNotFound},
		{"409", []scripted{{status: 409}}, platform.ClassPermanent, 0, platform.ErrConflict},
		{"timeout", []scripted{{hang: true}}, platform.ClassTemporary, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReceiver(t, secret)
			r.members["u1"] = true
			r.fail(tc.s...)
			a := &webhook.Adapter{Client: &http.Client{Timeout: 200 * time.Millisecond}}
			c := open(t, a, settings(r.srv.URL))
			req := platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "k1", Community: "c", Member: "u1", Text: "hi"}
			_, err := c.Perform(context.Background(), req)
			class, wait := platform.Classify(err)
			if err == nil || class != tc.class || wait != tc.wait || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("error %v: class %v wait %v; want %v %v %v", err, class, wait, tc.class, tc.wait, tc.is)
			}
			if strings.Contains(err.Error(), r.srv.URL) {
				t.Errorf("error shows the URL: %v", err)
			}
			// A failed key is not remembered: the retry delivers, once.
			resp, err := c.Perform(context.Background(), req)
			if err != nil || resp.Duplicate {
				t.Fatalf("retry: %+v %v", resp, err)
			}
			if again, err := c.Perform(context.Background(), req); err != nil || !again.Duplicate || again.ID != resp.ID {
				t.Errorf("after success: %+v %v", again, err)
			}
			if n := len(r.deliveries()); n != 1 {
				t.Errorf("%d deliveries; want 1", n)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	a := webhook.New()
	for name, s := range map[string]map[string]cty.Value{
		"no secret":     {"url": cty.StringVal("https://example.com/h")},
		"bad url":       {"url": cty.StringVal("ftp://example.com/"), "secret": cty.StringVal("x")},
		"neither":       {"secret": cty.StringVal("x")},
		"bad timeout":   {"url": cty.StringVal("https://example.com/h"), "secret": cty.StringVal("x"), "timeout": cty.StringVal("soon")},
		"empty secret":  {"url": cty.StringVal("https://example.com/h"), "secret": cty.StringVal("").Mark(config.Sensitive)},
		"bad secret ty": {"url": cty.StringVal("https://example.com/h"), "secret": cty.ListValEmpty(cty.String).Mark(config.Sensitive)},
	} {
		_, err := a.Open(context.Background(), platform.OpenRequest{Name: "x", Settings: s})
		if !errors.Is(err, platform.ErrInvalid) {
			t.Errorf("%s: %v; want ErrInvalid", name, err)
		}
	}
	// Receiving only: Perform is unsupported, VerifyInbound works.
	c := open(t, a, map[string]cty.Value{"secret": cty.StringVal(secret), "inbound": cty.True})
	_, err := c.Perform(context.Background(), platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "k", Community: "c", Member: "m", Text: "t"})
	if !errors.Is(err, platform.ErrUnsupported) {
		t.Errorf("perform without url: %v", err)
	}
}
