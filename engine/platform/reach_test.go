package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/config"
)

// closedURL is an http URL on loopback where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// get is an HTTP GET's error, wrapped as an adapter wraps it.
func get(t *testing.T, c *http.Client, u string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET %s answered %s; want a failure", u, resp.Status)
	}
	return Temporary(fmt.Errorf("adapter GET /x: %w", err), 0)
}

func TestDiagnoseConn(t *testing.T) {
	closed := closedURL(t)
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	plainSrv := httptest.NewServer(http.NotFoundHandler())
	defer plainSrv.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer slow.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	canceled, _ := http.NewRequestWithContext(ctx, http.MethodGet, plainSrv.URL, nil)
	_, cancelErr := http.DefaultClient.Do(canceled)

	for _, tc := range []struct {
		name string
		err  error
		kind Failure
		host string
	}{
		{"refused", get(t, http.DefaultClient, closed+"/bot123:secret/getMe"), FailRefused, closed},
		{"dns", fmt.Errorf("x: %w", &url2{&net.DNSError{Err: "no such host", Name: "forum.invalid", IsNotFound: true}}), FailDNS, "forum.invalid"},
		{"untrusted certificate", get(t, http.DefaultClient, tlsSrv.URL), FailTLS, tlsSrv.URL},
		{"https to plain http", get(t, http.DefaultClient, "https://"+strings.TrimPrefix(plainSrv.URL, "http://")), FailTLS, "https://" + strings.TrimPrefix(plainSrv.URL, "http://")},
		{"timeout", get(t, &http.Client{Timeout: 50 * time.Millisecond}, slow.URL), FailTimeout, slow.URL},
		{"unauthorized", fmt.Errorf("opening: %w", Unauthorized(errors.New("HTTP 403"), "api_key")), FailAuth, ""},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, Err: errors.New("connection reset by peer")}, FailNetwork, "127.0.0.1:80"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := DiagnoseConn(tc.err)
			if !ok || f.Kind != tc.kind || f.Host != tc.host {
				t.Errorf("DiagnoseConn(%v) = %+v, %v; want kind %d host %q", tc.err, f, ok, tc.kind, tc.host)
			}
		})
	}
	for _, err := range []error{nil, ErrNotFound, errors.New("discourse: unexpected answer"), cancelErr} {
		if f, ok := DiagnoseConn(err); ok {
			t.Errorf("DiagnoseConn(%v) = %+v; want none", err, f)
		}
	}
}

// url2 wraps a DNS error as net/http does, without a URL.
type url2 struct{ err error }

func (e *url2) Error() string { return "lookup: " + e.err.Error() }
func (e *url2) Unwrap() error { return e.err }

func TestUnauthorizedKeepsTextAndClass(t *testing.T) {
	inner := errors.New("discourse GET /session/current.json: HTTP 403: invalid_access")
	err := Unauthorized(inner, "api_key")
	if err.Error() != inner.Error() || !errors.Is(err, ErrUnauthorized) || !IsPermanent(err) {
		t.Errorf("Unauthorized: text %q, Is %v, permanent %v", err, errors.Is(err, ErrUnauthorized), IsPermanent(err))
	}
	if Unauthorized(nil) != nil {
		t.Error("Unauthorized(nil) is not nil")
	}
}

func TestConnHint(t *testing.T) {
	const secret = "d1s-real-key-value"
	p := &config.Platform{Type: "discourse", Name: "forum", Settings: map[string]cty.Value{
		"url":     cty.StringVal("https://forum.example.org/"),
		"api_key": cty.StringVal(secret).Mark(config.Sensitive),
	}, SecretVars: map[string]string{"api_key": "discourse_api_key"}}

	auth := ConnHint(p, Unauthorized(errors.New("HTTP 403"), "api_key", "api_username"))
	for _, want := range []string{"https://forum.example.org", `api_key (variable "discourse_api_key": set HEARTH_VAR_discourse_api_key`, "api_username"} {
		if !strings.Contains(auth, want) {
			t.Errorf("auth hint lacks %q:\n%s", want, auth)
		}
	}
	// Without named settings, the sensitive ones are named.
	if h := ConnHint(p, ErrUnauthorized); !strings.Contains(h, "discourse_api_key") {
		t.Errorf("hint for a bare ErrUnauthorized lacks the variable:\n%s", h)
	}
	refused := ConnHint(p, &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("x: %w", syscall.ECONNREFUSED)})
	if !strings.Contains(refused, "Is the server running") || !strings.Contains(refused, "https://forum.example.org") {
		t.Errorf("refused hint: %s", refused)
	}
	for _, h := range []string{auth, refused} {
		if strings.Contains(h, secret) {
			t.Errorf("hint shows the secret: %s", h)
		}
	}
	if h := ConnHint(p, ErrNotFound); h != "" {
		t.Errorf("hint for not found: %q; want none", h)
	}
}

// A timeout's hint says there is no flag, and names the block's timeout
// setting when it has one.
func TestConnHintTimeout(t *testing.T) {
	timeout := &net.OpError{Op: "dial", Net: "tcp", Err: context.DeadlineExceeded}
	p := &config.Platform{Type: "matrix", Name: "m", Settings: map[string]cty.Value{"homeserver": cty.StringVal("https://m.example")}}
	if h := ConnHint(p, timeout); !strings.Contains(h, "no -timeout flag") || !strings.Contains(h, "hearth explain platform.matrix") {
		t.Errorf("timeout hint: %s", h)
	}
	p.Settings["timeout"] = cty.StringVal("10s")
	if h := ConnHint(p, timeout); !strings.Contains(h, "longer timeout setting than 10s") {
		t.Errorf("timeout hint with a timeout setting: %s", h)
	}
}
