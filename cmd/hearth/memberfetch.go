package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// memberFromDaemon reads a member through the daemon serving the
// configuration's state, when one answers: what it has committed may
// still be in its journal, not yet in the database a reader opens, so
// right after a 202 the store alone would not show it. ok is false when
// no daemon serves the state; err is state.ErrNotFound for an unknown
// member.
func memberFromDaemon(ctx context.Context, s *stdio, cfg *config.Config, id string) (m *state.Member, ok bool, err error) {
	a, found := readAnnouncement(cfg)
	if !found {
		return nil, false, nil
	}
	endpoint := strings.TrimRight(a.URL, "/") + "/v1/members/" + url.PathEscape(id) + "?form=stored"
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", endpoint, nil)
	if err != nil {
		return nil, false, nil
	}
	token, _ := s.lookupEnv("HEARTH_API_TOKEN")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, false, nil // a stale announcement: read the store
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	switch {
	case err != nil:
		return nil, true, err
	case resp.StatusCode == http.StatusNotFound:
		return nil, true, state.ErrNotFound
	case resp.StatusCode != http.StatusOK:
		return nil, true, errors.New(daemonRefusal(endpoint, resp.Status, errorText(data), resp.StatusCode, token != ""))
	}
	m = &state.Member{}
	if err := state.DecodeMember(data, m); err != nil {
		return nil, true, fmt.Errorf("%s: %w", endpoint, err)
	}
	return m, true, nil
}

// postToDaemon POSTs to a running daemon's endpoint (with HEARTH_API_TOKEN
// when set) and decodes its 200 answer into out; anything else is
// reported as the command name and false returned.
func postToDaemon(ctx context.Context, s *stdio, name, endpoint string, out any) bool {
	return callDaemon(ctx, s, name, "POST", endpoint, out)
}

// callDaemon is postToDaemon with another method.
func callDaemon(ctx context.Context, s *stdio, name, method, endpoint string, out any) bool {
	req, err := http.NewRequestWithContext(ctx, method, endpoint, nil)
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return false
	}
	token, _ := s.lookupEnv("HEARTH_API_TOKEN")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
	}
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return false
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20)) // an export holds every outcome
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %s: %v\n", name, endpoint, err)
		return false
	}
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(s.err, "hearth %s: %s\n", name, daemonRefusal(endpoint, resp.Status, errorText(data), resp.StatusCode, token != ""))
		return false
	}
	if err := json.Unmarshal(data, out); err != nil {
		fmt.Fprintf(s.err, "hearth %s: %s: the answer: %v\n", name, endpoint, err)
		return false
	}
	return true
}

// daemonRefusal says why a daemon refused a command's request: its own
// words first ("no such member"), then which endpoint answered with which
// status, then what to do about a token, so the reason does not run on
// from the status line ("404 Not Found no such member").
func daemonRefusal(endpoint, status, msg string, code int, tokenSent bool) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return fmt.Sprintf("%s answered %s%s", endpoint, status, tokenHint(code, tokenSent))
	}
	return fmt.Sprintf("%s (%s answered %s)%s", msg, endpoint, status, tokenHint(code, tokenSent))
}

// errorText is the "error" of a daemon's JSON answer, or the answer
// itself when it is not such an object (a proxy's page, plain text).
func errorText(data []byte) string {
	var failure struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(data, &failure) == nil && failure.Error != "" {
		return failure.Error
	}
	if len(data) > 0 && data[0] == '{' {
		return ""
	}
	text, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	if r := []rune(text); len(r) > 200 {
		text = string(r[:200]) + "…"
	}
	return text
}

// tokenHint says what to do when a daemon refuses the API token that
// went with a request (sent) or its absence; "" for any other answer.
// The daemon may read its token from -token-file, which commands beside
// it cannot know of.
func tokenHint(status int, sent bool) string {
	switch {
	case status != http.StatusUnauthorized:
		return ""
	case sent:
		return "; HEARTH_API_TOKEN is not the token the daemon takes"
	}
	return "; the daemon takes an API token: set HEARTH_API_TOKEN to it (the content of hearth run's -token-file)"
}
