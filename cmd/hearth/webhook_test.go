package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRunWebhooks runs `hearth run` with a webhook platform both ways: a
// signed member.joined comes in at /v1/inbound/webhook/crm (a replay, a
// bad and a stale signature are refused), the welcome campaign's
// channel = "webhook" send goes out to a receiver that fails once with
// 503 and Retry-After, and the outbox delivers it signed on the retry,
// once.
func TestRunWebhooks(t *testing.T) {
	const secret = "e2e-webhook-secret"
	type delivery struct {
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	var got []delivery
	calls := 0
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		got = append(got, delivery{r.Header.Clone(), body})
		w.WriteHeader(http.StatusOK)
	}))
	defer recv.Close()

	dir := t.TempDir()
	cfg := `hearth {
  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

variable "crm_secret" {
  type      = string
  sensitive = true
}

platform "local" "main" {
  path = ".hearth/local-platform.json"
}

platform "webhook" "crm" {
  url     = "` + recv.URL + `/hooks/hearth"
  secret  = var.crm_secret
  inbound = true
}

community "club" {
  title    = "Club"
  platform = platform.local.main
}

campaign "welcome" {
  community = community.club
  enter_on  = "member.joined"
  step "hello" {
    send {
      channel  = "webhook"
      platform = platform.webhook.crm
      template = template.hello
    }
  }
}

template "hello" {
  text = {
    en = "Hello, ${member.name}!"
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	env := func(k string) (string, bool) {
		if k == "HEARTH_VAR_crm_secret" {
			return secret, true
		}
		return "", false
	}
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: env}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, dir}, s) }()
	base := "http://" + addr
	waitReady(t, base, errb.String)

	event := `{"id":"crm-1","type":"member.joined","member":{"id":"u1","name":"Ann"},"at":"` + time.Now().UTC().Format(time.RFC3339) + `","attrs":{"name":"Ann"}}`
	sign := func(ts int64, body string) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(strconv.FormatInt(ts, 10) + "." + body))
		return "v1=" + hex.EncodeToString(m.Sum(nil))
	}
	send := func(ts int64, sig, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/inbound/webhook/crm", strings.NewReader(body))
		req.Header.Set("X-Hearth-Timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("X-Hearth-Signature", sig)
		return doRequest(t, req)
	}
	now := time.Now().Unix()
	if c, b := send(now, sign(now, event), event+"x"); c != http.StatusUnauthorized {
		t.Errorf("tampered body: %d %s", c, b)
	}
	if c, b := send(now-3600, sign(now-3600, event), event); c != http.StatusUnauthorized || !strings.Contains(b, "replay window") {
		t.Errorf("stale timestamp: %d %s", c, b)
	}
	if c, b := send(now, sign(now, event), event); c != http.StatusAccepted || !strings.Contains(b, `"accepted": 1`) {
		t.Fatalf("signed event: %d %s", c, b)
	}
	if c, b := send(now, sign(now, event), event); c != http.StatusConflict {
		t.Errorf("replayed request: %d %s", c, b)
	}
	// Signed afresh, the same event is accepted and changes nothing.
	if c, b := send(now+1, sign(now+1, event), event); c != http.StatusAccepted || !strings.Contains(b, `"duplicates": 1`) {
		t.Errorf("re-signed duplicate: %d %s", c, b)
	}
	if c, _ := send(now, sign(now, event), event); c != http.StatusConflict {
		t.Errorf("replay after the duplicate: %d", c)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/inbound/webhook/nope", strings.NewReader(event))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown inbound platform: %v %v", resp.StatusCode, err)
	}

	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook action was not delivered; receiver saw %d calls\n%s", calls, errb.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	stoppedWith0(t, code, errb.String)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || calls != 2 {
		t.Fatalf("%d deliveries in %d calls; want 1 in 2 (a 503, then success)", len(got), calls)
	}
	d := got[0]
	var p map[string]any
	if err := json.Unmarshal(d.body, &p); err != nil {
		t.Fatal(err)
	}
	key := d.header.Get("Idempotency-Key")
	if p["action"] != "direct_message" || p["member"] != "u1" || p["text"] != "Hello, Ann!" || p["community"] != "club" ||
		!strings.HasPrefix(key, "campaign/welcome/u1/") || p["id"] != key {
		t.Errorf("delivery %s with key %q", d.body, key)
	}
	ts, _ := strconv.ParseInt(d.header.Get("X-Hearth-Timestamp"), 10, 64)
	if d.header.Get("X-Hearth-Signature") != sign(ts, string(d.body)) {
		t.Errorf("delivery signature %q does not verify", d.header.Get("X-Hearth-Signature"))
	}
	if strings.Contains(errb.String(), secret) {
		t.Error("the secret appears in the logs")
	}
}
