package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A replay through a daemon that refuses many lines (history older than
// the retention) reports the first ten and counts the rest, as a replay
// straight to the store does, rather than a line for each.
func TestReplayToDaemonCapsRefusedLines(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		type refusal struct {
			Line  int    `json:"line"`
			Error string `json:"error"`
		}
		var refused []refusal
		sc := bufio.NewScanner(r.Body)
		for n := 1; sc.Scan(); n++ {
			refused = append(refused, refusal{n, "too old"})
		}
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": "too old", "events": refused})
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "old.jsonl")
	var b strings.Builder
	for i := range 25 {
		fmt.Fprintf(&b, `{"id":"o%d","type":"message.posted","member":"m1","at":"2020-01-01T00:00:00Z"}`+"\n", i)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	if c := run(context.Background(), []string{"replay", "-events", file, "-url", srv.URL}, s); c != 0 {
		t.Fatalf("exit %d: %s", c, errb.String())
	}
	if n := strings.Count(errb.String(), "(skipped)"); n != 10 || !strings.Contains(errb.String(), "hearth replay: 15 more bad lines skipped") {
		t.Errorf("%d lines reported:\n%s", n, errb.String())
	}
	if !strings.Contains(out.String(), "0 applied, 0 duplicates, 25 rejected") {
		t.Errorf("summary: %s", out.String())
	}
}
