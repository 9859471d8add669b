package matrix_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/matrix"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/testbin"
)

// Dendrite is the homeserver the tests run against: the real one, built
// from its module at a pinned version.
const (
	dendriteModule  = "github.com/element-hq/dendrite"
	dendriteVersion = "v0.15.2"
)

// Rate limiting is on, with a threshold no sequential client reaches, so
// TestRateLimit can provoke 429s with a burst.
const (
	rateThreshold = 40
	rateCooloffMS = 300
)

var homeserver struct {
	once sync.Once
	url  string
	err  error
}

// server starts one Dendrite for the whole test binary (it stops when
// the binary exits: see TestMain) and returns its URL.
func server(t *testing.T) string {
	t.Helper()
	testbin.Skip(t, "HEARTH_TEST_DENDRITE", "a real Dendrite homeserver ("+dendriteModule+" "+dendriteVersion+", built once from the Go module proxy)")
	homeserver.once.Do(func() { homeserver.url, homeserver.err = startDendrite(t) })
	if homeserver.err != nil {
		t.Fatal(homeserver.err)
	}
	return homeserver.url
}

var stopDendrite func()

func TestMain(m *testing.M) {
	code := m.Run()
	if stopDendrite != nil {
		stopDendrite()
	}
	os.Exit(code)
}

func startDendrite(t *testing.T) (string, error) {
	bin := testbin.Build(t, dendriteModule, dendriteVersion, "cmd/dendrite", "cmd/generate-config", "cmd/generate-keys")
	work, err := os.MkdirTemp("", "hearth-dendrite-")
	if err != nil {
		return "", err
	}
	data := filepath.Join(work, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		return "", err
	}
	run := func(name string, args ...string) ([]byte, error) {
		cmd := execIn(work, filepath.Join(bin, name), args...)
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("%s %v: %v", name, args, err)
		}
		return out, nil
	}
	cfg, err := run("generate-config", "-ci", "-dir", data)
	if err != nil {
		return "", err
	}
	yaml := string(cfg)
	for old, repl := range map[string]string{
		"disable_federation: false": "disable_federation: true",
		// Presence would move sync tokens while nothing happens.
		"enable_inbound: true":  "enable_inbound: false",
		"enable_outbound: true": "enable_outbound: false",
		"rate_limiting:\n    enabled: false\n    threshold: 5\n    cooloff_ms: 500": fmt.Sprintf("rate_limiting:\n    enabled: true\n    threshold: %d\n    cooloff_ms: %d", rateThreshold, rateCooloffMS),
	} {
		if !strings.Contains(yaml, old) {
			return "", fmt.Errorf("generate-config's output has no %q to change", old)
		}
		yaml = strings.Replace(yaml, old, repl, 1)
	}
	if err := os.WriteFile(filepath.Join(work, "dendrite.yaml"), []byte(yaml), 0o600); err != nil {
		return "", err
	}
	if _, err := run("generate-keys", "--private-key", "matrix_key.pem"); err != nil {
		return "", err
	}
	addr := testbin.FreeAddr(t)
	cmd := execIn(work, filepath.Join(bin, "dendrite"), "--config", "dendrite.yaml", "--really-enable-open-registration", "--http-bind-address", addr)
	logFile, err := os.Create(filepath.Join(work, "dendrite.log"))
	if err != nil {
		return "", err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return "", err
	}
	stopDendrite = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
		_ = os.RemoveAll(work)
	}
	url := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/_matrix/client/versions")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url, nil
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(work, "dendrite.log"))
			return "", fmt.Errorf("dendrite did not answer on %s within 60s: %v\n%s", addr, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// user is an account on the homeserver.
type user struct {
	ID    string
	Token string
}

var userN atomic.Int64

// register makes a new account through the registration API (open
// registration, the dummy auth stage), with a display name.
func register(t *testing.T, hs, prefix, display string) user {
	t.Helper()
	name := fmt.Sprintf("%s%d_%d", strings.ToLower(prefix), time.Now().UnixNano()%1e9, userN.Add(1))
	var u struct {
		UserID      string `json:"user_id"`
		AccessToken string `json:"access_token"`
	}
	body := map[string]any{"username": name, "password": "hearth-test-password-" + name, "auth": map[string]string{"type": "m.login.dummy"}}
	api(t, hs, "", http.MethodPost, "/_matrix/client/v3/register", body, &u)
	if display != "" {
		api(t, hs, u.AccessToken, http.MethodPut, "/_matrix/client/v3/profile/"+u.UserID+"/displayname", map[string]string{"displayname": display}, nil)
	}
	return user{ID: u.UserID, Token: u.AccessToken}
}

// api is a plain Client-Server call as a member's own client makes it,
// waiting out rate limits.
func api(t *testing.T, hs, token, method, path string, body, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	for attempt := 0; ; attempt++ {
		code, got := roundTrip(t, hs, token, method, path, b)
		if code == http.StatusTooManyRequests && attempt < 20 {
			time.Sleep(rateCooloffMS * time.Millisecond)
			continue
		}
		if code != http.StatusOK {
			t.Fatalf("%s %s: %d: %s", method, path, code, got)
		}
		if out != nil {
			if err := json.Unmarshal(got, out); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
		}
		return
	}
}

// roundTrip is one Client-Server request with a JSON body: its status and
// the body of the answer.
func roundTrip(t *testing.T, hs, token, method, path string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, hs+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

func settings(hs, token string, extra map[string]cty.Value) map[string]cty.Value {
	s := map[string]cty.Value{
		"homeserver":   cty.StringVal(hs),
		"access_token": cty.StringVal(token).Mark(config.Sensitive),
	}
	for k, v := range extra {
		s[k] = v
	}
	return s
}

func open(t *testing.T, a *matrix.Adapter, hs, token string, extra map[string]cty.Value) *matrix.Conn {
	t.Helper()
	c, err := a.Open(context.Background(), platform.OpenRequest{Name: "main", Settings: settings(hs, token, extra)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return c.(*matrix.Conn)
}
