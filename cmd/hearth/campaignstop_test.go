package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Through a daemon, campaign stop asks it to skip the stopped runs'
// pending sends unless -keep-pending or -drop says otherwise, says what
// the daemon did with them, and says so when a daemon too old to skip
// them left them to go out. -dry-run says how many are pending.
func TestCampaignStopPendingThroughDaemon(t *testing.T) {
	var query string
	var answer map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/campaigns/welcome/stop" {
			http.NotFound(w, r)
			return
		}
		query = r.URL.RawQuery
		body := answer
		if r.Method == http.MethodGet {
			body = map[string]any{"campaign": "welcome", "members": 1, "pending_sends": 3,
				"runs": []map[string]any{{"member": "ann", "step": "hello", "entered_at": "2026-01-01T09:00:00Z"}}}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}))
	defer srv.Close()
	cli := func(args ...string) (int, string, string) {
		var out, errs bytes.Buffer
		s := &stdio{in: strings.NewReader(""), out: &out, err: &errs, lookupEnv: func(string) (string, bool) { return "", false }}
		code := run(context.Background(), append([]string{"campaign", "stop", "-url", srv.URL}, args...), s)
		return code, out.String(), errs.String()
	}
	for _, tc := range []struct {
		name   string
		args   []string
		answer map[string]any
		query  string
		code   int
		out    string
		errs   string
	}{
		{"skip", []string{"-member", "ann"}, map[string]any{"stopped": 1, "runs": 1, "skipped": 2, "reentry": "never"},
			"member=ann", 0, "Skipped 2 sends pending in the outbox: nothing more goes out for the stopped runs", ""},
		{"going out", []string{"-member", "ann"}, map[string]any{"stopped": 1, "runs": 1, "skipped": 0, "going_out": 1, "reentry": "never"},
			"member=ann", 0, "1 send going out at that moment was sent and kept as sent.", ""},
		{"keep", []string{"-keep-pending", "-member", "ann"}, map[string]any{"stopped": 1, "runs": 1, "kept": 1, "reentry": "never"},
			"keep_pending=true&member=ann", 0, "Kept 1 send pending in the outbox: it goes out as queued (-keep-pending).", ""},
		{"drop", []string{"-drop", "-member", "ann"}, map[string]any{"stopped": 1, "runs": 1, "dropped": 1, "reentry": "never"},
			"drop=true&member=ann", 0, "Dropped 1 send pending in the outbox.", ""},
		{"older daemon", []string{"-member", "ann"}, map[string]any{"stopped": 1, "runs": 1, "reentry": "never"},
			"member=ann", 1, "Stopped welcome for 1 member.", "the daemon did not skip the stopped runs' pending sends (it predates skipping them), so they still go out"},
		{"dry run", []string{"-dry-run", "-member", "ann"}, nil,
			"member=ann", 0, "3 sends of these runs are pending in the outbox: the stop would mark them skipped", ""},
		{"dry run, drop", []string{"-dry-run", "-drop", "-member", "ann"}, nil,
			"member=ann", 0, "3 sends of these runs are pending in the outbox: -drop would drop them, leaving no record.", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer, query = tc.answer, ""
			code, out, errs := cli(append(tc.args, "welcome")...)
			if code != tc.code || !strings.Contains(out, tc.out) || tc.errs != "" && !strings.Contains(errs, tc.errs) {
				t.Errorf("exit %d\n%s%s\nwant exit %d saying %q and %q", code, out, errs, tc.code, tc.out, tc.errs)
			}
			if query != tc.query {
				t.Errorf("query %q; want %q", query, tc.query)
			}
		})
	}
	if code, _, errs := cli("-drop", "-keep-pending", "welcome"); code != 1 || !strings.Contains(errs, "-drop and -keep-pending ask for opposite things") {
		t.Errorf("-drop -keep-pending: exit %d %s", code, errs)
	}
}
