package main

import (
	"context"
	"encoding/json"
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
		return nil, true, fmt.Errorf("%s: %s %s%s", endpoint, resp.Status, strings.TrimSpace(string(data)), tokenHint(resp.StatusCode, token != ""))
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
		var failure struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(data, &failure)
		fmt.Fprintf(s.err, "hearth %s: %s: %s %s%s\n", name, endpoint, resp.Status, failure.Error, tokenHint(resp.StatusCode, token != ""))
		return false
	}
	if err := json.Unmarshal(data, out); err != nil {
		fmt.Fprintf(s.err, "hearth %s: %s: the answer: %v\n", name, endpoint, err)
		return false
	}
	return true
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
