package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPardonThroughRunningDaemon pardons through hearth run's admin API
// while it serves the moderated-community example.
func TestPardonThroughRunningDaemon(t *testing.T) {
	dir := t.TempDir()
	files, _ := filepath.Glob("../../examples/moderated-community/*.hcl")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, dir}, s) }()
	url := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil && resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v\n%s", err, errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Strikes count from the daemon's clock: the messages are an hour old.
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	body := fmt.Sprintf(`{"id":"p1","type":"message.posted","member":"u1","community":"tea_house","at":%q,"attrs":{"text":"加微信买茶"}}
{"id":"p2","type":"message.posted","member":"u1","community":"tea_house","at":%q,"attrs":{"text":"FREE USDT https://bit.ly/x"}}
`, at, at)
	resp, err := http.Post(url+"/v1/events", "application/x-ndjson", strings.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("post: %v %v", err, resp)
	}
	var pout, perr bytes.Buffer
	ps := &stdio{in: bytes.NewReader(nil), out: &pout, err: &perr, lookupEnv: func(string) (string, bool) { return "", false }}
	if c := run(context.Background(), []string{"member", "pardon", "-url", url, "-rule", "ads", "u1"}, ps); c != 0 ||
		!strings.Contains(pout.String(), "Pardoned u1 (ads): 1 strikes cleared, 2 left.") {
		t.Errorf("pardon -rule ads: %d %s %s", c, pout.String(), perr.String())
	}
	pout.Reset()
	if c := run(context.Background(), []string{"member", "pardon", "-url", url, "-rule", "nope", "u1"}, ps); c != 1 ||
		!strings.Contains(perr.String(), "400 Bad Request no moderation rule nope") {
		t.Errorf("pardon unknown rule: %d %s", c, perr.String())
	}
	if c := run(context.Background(), []string{"member", "pardon", "-url", url, "u1"}, ps); c != 0 ||
		!strings.Contains(pout.String(), "Pardoned u1 (all rules): 2 strikes cleared, 0 left.") {
		t.Errorf("pardon all: %d %s %s", c, pout.String(), perr.String())
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d\n%s", c, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop")
	}
	out.Reset()
	if c := run(context.Background(), []string{"member", "show", "u1", dir}, s); c != 0 || !strings.Contains(out.String(), "moderation: 0 live strikes") ||
		!strings.Contains(out.String(), "pardon     all rules: 2 strikes cleared") {
		t.Errorf("member show after the pardons: %d %s %s", c, out.String(), errb.String())
	}
}
