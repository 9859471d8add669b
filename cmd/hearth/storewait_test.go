package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-community/hearth/engine/state/postgres/cutproxy"
)

// pgURLSite writes planSite with its state at the PostgreSQL URL u.
func pgURLSite(t *testing.T, u string) string {
	t.Helper()
	dir := t.TempDir()
	site := planSite + fmt.Sprintf("\nhearth {\n  state {\n    backend = \"postgres\"\n    url     = %q\n  }\n}\n", u)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// logEntries are the JSON log lines of stderr whose msg is msg.
func logEntries(t *testing.T, stderr, msg string) []map[string]any {
	t.Helper()
	var got []map[string]any
	for _, line := range strings.Split(stderr, "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil && e["msg"] == msg {
			got = append(got, e)
		}
	}
	return got
}

const storeRetryMsg = "state store out of reach; trying again"

// A PostgreSQL state whose server refuses connections: -store-wait 0
// exits 1 at once; a short wait tries again, logging each try with its
// error, and exits 1 with the last error once the wait is over.
func TestRunStoreWaitUnreachable(t *testing.T) {
	dir := pgURLSite(t, "postgres://hearth:s3cret-pw@"+closedPort(t)+"/hearth?sslmode=disable")
	runFor := func(wait string) (int, string, time.Duration) {
		var errb bytes.Buffer
		s := &stdio{in: bytes.NewReader(nil), out: &bytes.Buffer{}, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
		start := time.Now()
		code := run(context.Background(), []string{"run", "-log-format", "json", "-listen", freeAddr(t), "-store-wait", wait, dir}, s)
		return code, errb.String(), time.Since(start)
	}

	code, stderr, took := runFor("0")
	if code != 1 || took > 5*time.Second || !strings.Contains(stderr, "connect") || len(logEntries(t, stderr, storeRetryMsg)) != 0 {
		t.Fatalf("-store-wait 0: exit %d after %s\n%s", code, took, stderr)
	}

	code, stderr, took = runFor("1200ms")
	tries := logEntries(t, stderr, storeRetryMsg)
	if code != 1 || took < time.Second || took > 10*time.Second {
		t.Fatalf("-store-wait 1200ms: exit %d after %s\n%s", code, took, stderr)
	}
	// Tries at 0, 0.5s and 1.2s: the first two are logged as retried,
	// the last is the error exited with.
	if len(tries) != 2 {
		t.Fatalf("want 2 retry lines, got %d\n%s", len(tries), stderr)
	}
	for i, e := range tries {
		if e["level"] != "WARN" || e["try"] != float64(i+1) || !strings.Contains(fmt.Sprint(e["err"]), "connect") {
			t.Errorf("retry line %d: %v", i, e)
		}
	}
	if tries[0]["retry_in"] != "500ms" {
		t.Errorf("first retry in %v, want 500ms", tries[0]["retry_in"])
	}
	if !strings.Contains(stderr, "still out of reach after 1.2s and 3 tries") || strings.Contains(stderr, "s3cret-pw") {
		t.Errorf("exit message:\n%s", stderr)
	}

	if code, stderr, _ := runFor("-1s"); code != 1 || !strings.Contains(stderr, "-store-wait -1s is negative") {
		t.Errorf("-store-wait -1s: exit %d\n%s", code, stderr)
	}
}

// A PostgreSQL server that starts answering during the wait (a proxy
// to the test server, closing every connection for the first second):
// the daemon starts once it does. One that answers with an error (no
// such database) is not waited for.
func TestRunStoreWaitPostgresComesBack(t *testing.T) {
	pgURL := os.Getenv("HEARTH_TEST_POSTGRES_URL")
	if pgURL == "" {
		t.Skip("skipping: set HEARTH_TEST_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to test -store-wait on PostgreSQL")
	}
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := cutproxy.Start(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	proxy.Cut()
	mend := time.AfterFunc(time.Second, proxy.Mend)
	t.Cleanup(func() { mend.Stop() })

	schema := fmt.Sprintf("hearth_wait_%d", rand.Uint64())
	c, err := pgx.Connect(context.Background(), pgURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
		c.Close(context.Background())
	})
	if _, err := c.Exec(context.Background(), `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	via := *u
	via.Host = proxy.Addr()
	q := via.Query()
	q.Set("search_path", schema)
	via.RawQuery = q.Encode()

	_, logs, stop := daemonLogged(t, pgURLSite(t, via.String()), "-log-format", "json", "-store-wait", "30s")
	stop()
	stderr := logs()
	if n := len(logEntries(t, stderr, storeRetryMsg)); n == 0 {
		t.Errorf("no retry logged while the proxy was cut\n%s", stderr)
	}
	if len(logEntries(t, stderr, "state store answered")) != 1 || len(logEntries(t, stderr, "started")) != 1 {
		t.Errorf("did not start once the server answered\n%s", stderr)
	}

	// The server answers "no such database": exit at once, no retry.
	wrong := *u
	wrong.Path = "/hearth_no_such_database"
	var errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &bytes.Buffer{}, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	start := time.Now()
	code := run(context.Background(), []string{"run", "-log-format", "json", "-listen", freeAddr(t), "-store-wait", "30s", pgURLSite(t, wrong.String())}, s)
	if code != 1 || time.Since(start) > 10*time.Second || len(logEntries(t, errb.String(), storeRetryMsg)) != 0 || !strings.Contains(errb.String(), "does not exist") {
		t.Errorf("no such database: exit %d after %s\n%s", code, time.Since(start), errb.String())
	}
}
