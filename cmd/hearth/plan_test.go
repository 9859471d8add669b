package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// hearthCmd runs one hearth command in-process with the given stdin.
func hearthCmd(t *testing.T, in string, tty bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	s := &stdio{in: strings.NewReader(in), inTTY: tty, out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := run(context.Background(), args, s)
	return code, out.String(), errb.String()
}

const planSite = `platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
  channel "general" {
    topic = "Hello"
  }
}
`

func TestApplyLockAndForceUnlock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(planSite), 0o644); err != nil {
		t.Fatal(err)
	}
	// Another apply, killed part way, left its lock.
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, ".hearth", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Lock(context.Background(), state.LockInfo{ID: "dead1234", Who: "ann@ci", When: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, _, stderr := hearthCmd(t, "", false, "apply", "-auto-approve", dir)
	if code != 1 || !strings.Contains(stderr, "locked by ann@ci") || !strings.Contains(stderr, "hearth force-unlock dead1234") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if code, stdout, stderr := hearthCmd(t, "", false, "force-unlock", "dead1234", dir); code != 0 || !strings.Contains(stdout, "Removed lock dead1234") {
		t.Fatalf("force-unlock: exit %d\n%s%s", code, stdout, stderr)
	}
	// Confirmation on a terminal: anything but "yes" changes nothing.
	if code, _, stderr := hearthCmd(t, "no\n", true, "apply", dir); code != 1 || !strings.Contains(stderr, "cancelled") {
		t.Fatalf("declined: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := hearthCmd(t, "yes\n", true, "apply", dir)
	if code != 0 || !strings.Contains(stdout, "Do you want to perform these actions? Only 'yes' will be accepted.") ||
		!strings.Contains(stdout, "Apply complete! Resources: 2 added, 0 changed, 0 destroyed.") {
		t.Fatalf("approved: exit %d\n%s%s", code, stdout, stderr)
	}
}
