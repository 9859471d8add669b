package post

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/platform"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"30":                            30 * time.Second,
		"-4":                            0,
		"soon":                          0,
		"Sun, 22 Nov 2026 12:02:00 GMT": 2 * time.Minute,
		"Sun, 22 Nov 2026 11:00:00 GMT": 0,
	} {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		if got := RetryAfter(h, now); got != want {
			t.Errorf("Retry-After %q: %s; want %s", v, got, want)
		}
	}
}

func TestStatusError(t *testing.T) {
	now := time.Now()
	for status, want := range map[int]struct {
		class platform.Class
		is    error
	}{
		400: {platform.ClassPermanent, platform.ErrInvalid},
		401: {platform.ClassPermanent, nil},
		404: {platform.ClassPermanent, platform.ErrNotFound},
		408: {platform.ClassTemporary, nil},
		409: {platform.ClassPermanent, platform.ErrConflict},
		410: {platform.ClassPermanent, platform.ErrNotFound},
		422: {platform.ClassPermanent, platform.ErrInvalid},
		429: {platform.ClassTemporary, nil},
		500: {platform.ClassTemporary, nil},
		503: {platform.ClassTemporary, nil},
	} {
		err := StatusError(Response{Status: status, Header: http.Header{"Retry-After": {"5"}}}, now, "x answered", "")
		class, wait := platform.Classify(err)
		if class != want.class || (want.is != nil && !errors.Is(err, want.is)) {
			t.Errorf("%d: %v is %v; want %v %v", status, err, class, want.class, want.is)
		}
		if class == platform.ClassTemporary && wait != 5*time.Second {
			t.Errorf("%d: wait %s; want the Retry-After", status, wait)
		}
	}
	var rl *platform.RateLimitError
	if !errors.As(StatusError(Response{Status: 429}, now, "x", ""), &rl) {
		t.Error("429 is not a RateLimitError")
	}
}

func TestDoHidesTheURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: the connection is refused
	_, err = Do(context.Background(), http.DefaultClient, http.MethodPost, "http://"+addr+"/send?access_token=SECRET-TOKEN", []byte(`{}`), nil)
	if err == nil || !platform.IsTemporary(err) || strings.Contains(err.Error(), "SECRET-TOKEN") || !strings.Contains(err.Error(), addr) {
		t.Errorf("refused connection: %v; want a temporary error naming the host, not the token", err)
	}
	if _, err := Do(context.Background(), http.DefaultClient, http.MethodPost, "http://bad host/?token=SECRET-TOKEN", nil, nil); err == nil || strings.Contains(err.Error(), "SECRET-TOKEN") {
		t.Errorf("bad URL: %v", err)
	}
}
