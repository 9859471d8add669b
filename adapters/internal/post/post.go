// Package post sends one JSON request for the adapters that talk to
// HTTP endpoints (webhooks, chat robots) and classifies what went wrong
// the same way for all of them.
//
// Endpoint URLs often carry the credential (a robot's access_token, a
// webhook key), so no error from this package contains the URL: only
// the method and the host.
package post

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/platform"
)

// MaxResponse bounds how much of an answer is read.
const MaxResponse = 1 << 20

// Response is an HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends method to rawURL with body as JSON (nil: no body) and the
// extra headers. A transport failure or timeout is a
// platform.TemporaryError without the URL; any status is returned as a
// Response for the caller to read.
func Do(ctx context.Context, client *http.Client, method, rawURL string, body []byte, headers http.Header) (Response, error) {
	host := "the endpoint"
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		host = u.Host
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return Response{}, platform.Permanent(fmt.Errorf("%w: the endpoint URL is not valid", platform.ErrInvalid))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	for k, vs := range headers {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error carries the full URL; keep only what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if ctx.Err() != nil {
			return Response{}, fmt.Errorf("%s %s: %w", method, host, ctx.Err())
		}
		return Response{}, platform.Temporary(fmt.Errorf("%s %s: %w", method, host, err), 0)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
	if err != nil {
		return Response{}, platform.Temporary(fmt.Errorf("%s %s: reading the answer: %w", method, host, err), 0)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// RetryAfter reads a Retry-After header: seconds or an HTTP date. It
// returns 0 when there is none or it cannot be read.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// StatusError classifies a non-2xx status: 408 and 429 are temporary
// (a 429 a RateLimitError), other 4xx permanent — 400 and 422
// ErrInvalid, 404 and 410 ErrNotFound, 409 ErrConflict — and 5xx
// temporary. Retry-After is honoured on every temporary answer. what
// describes the answer ("webhook answered") and detail is a short text
// from the body, already free of secrets.
func StatusError(r Response, now time.Time, what, detail string) error {
	msg := fmt.Sprintf("%s %d %s", what, r.Status, http.StatusText(r.Status))
	if detail != "" {
		msg += ": " + detail
	}
	wait := RetryAfter(r.Header, now)
	switch {
	case r.Status == http.StatusTooManyRequests:
		return &platform.RateLimitError{After: wait, Err: errors.New(msg)}
	case r.Status == http.StatusRequestTimeout || r.Status >= 500:
		return platform.Temporary(errors.New(msg), wait)
	case r.Status == http.StatusBadRequest || r.Status == http.StatusUnprocessableEntity:
		return fmt.Errorf("%s: %w", msg, platform.ErrInvalid)
	case r.Status == http.StatusNotFound || r.Status == http.StatusGone:
		return fmt.Errorf("%s: %w", msg, platform.ErrNotFound)
	case r.Status == http.StatusConflict:
		return fmt.Errorf("%s: %w", msg, platform.ErrConflict)
	}
	return platform.Permanent(errors.New(msg))
}

// Snippet is the start of a body for an error message, on one line.
func Snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
