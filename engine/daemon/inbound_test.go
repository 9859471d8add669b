package daemon_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/platform"
)

// pusher is a platform whose Conn takes inbound events: a request is
// verified when it carries X-Test-Key: ok; "replay" is refused with 409
// and anything else with an error that has no status (401).
type pusher struct{ commits atomic.Int32 }

func (p *pusher) Type() string { return "pusher" }
func (p *pusher) Spec() config.PlatformSpec {
	return config.PlatformSpec{Type: "pusher", Doc: "test"}
}
func (p *pusher) Open(context.Context, platform.OpenRequest) (platform.Conn, error) {
	return &pusherConn{p: p}, nil
}

type pusherConn struct{ p *pusher }

func (c *pusherConn) Close() error { return nil }

type statusErr int

func (e statusErr) Error() string   { return "refused" }
func (e statusErr) HTTPStatus() int { return int(e) }

func (c *pusherConn) VerifyInbound(h http.Header, body []byte) (func() bool, error) {
	switch h.Get("X-Test-Key") {
	case "ok":
		return func() bool { c.p.commits.Add(1); return true }, nil
	case "replay":
		return nil, statusErr(http.StatusConflict)
	}
	return nil, errors.New("bad signature")
}

func TestInbound(t *testing.T) {
	p := &pusher{}
	f := start(t, rulesA+`platform "pusher" "in" {}`+"\n", "api-token", func(o *daemon.Options) {
		o.Load.Platforms = map[string]config.PlatformSpec{"local": local.Spec(), "pusher": p.Spec()}
	})
	reg, err := platform.NewRegistry(local.New(), p)
	if err != nil {
		t.Fatal(err)
	}
	closeAll := f.d.Receivers(context.Background(), reg)
	defer closeAll()
	send := func(path, key, body string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(body))
		if key != "" {
			req.Header.Set("X-Test-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		path, key, body string
		want            int
	}{
		{"/v1/inbound/pusher/in", "", events(0, 3), http.StatusUnauthorized},
		{"/v1/inbound/pusher/in", "wrong", events(0, 3), http.StatusUnauthorized},
		{"/v1/inbound/pusher/in", "replay", events(0, 3), http.StatusConflict},
		{"/v1/inbound/pusher/in", "ok", events(0, 2) + `{"id":"x"}` + "\n", http.StatusBadRequest},
		{"/v1/inbound/pusher/in", "ok", "", http.StatusBadRequest},
		{"/v1/inbound/pusher/other", "ok", events(0, 3), http.StatusNotFound},
		{"/v1/inbound/local/main", "ok", events(0, 3), http.StatusNotFound}, // not a Receiver
	} {
		if got := send(tc.path, tc.key, tc.body); got != tc.want {
			t.Errorf("%s with key %q: %d; want %d", tc.path, tc.key, got, tc.want)
		}
	}
	// A Receiver takes POSTs only.
	if resp, err := http.Get(f.srv.URL + "/v1/inbound/pusher/in"); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
		t.Errorf("GET of a receiver: %d, Allow %q; want 405 and POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if n := points(t, f); n != 0 || p.commits.Load() != 0 {
		t.Fatalf("refused requests changed state: %d points, %d commits", n, p.commits.Load())
	}
	// No API token needed: the receiver authenticates.
	if got := send("/v1/inbound/pusher/in", "ok", events(0, 3)); got != http.StatusAccepted {
		t.Fatalf("verified request: %d", got)
	}
	if n := points(t, f); n != 3 || p.commits.Load() != 1 {
		t.Errorf("after a verified request: %d points, %d commits; want 3 and 1", n, p.commits.Load())
	}
	// The other routes still need the token.
	if code, _ := post(t, f, "/v1/events", events(10, 1), ""); code != http.StatusUnauthorized {
		t.Errorf("/v1/events without the token: %d", code)
	}
}
