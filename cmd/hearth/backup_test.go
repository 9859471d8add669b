package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// daemonAt runs hearth run on dir, with flags, until the returned stop
// is called (or the test ends), and fails the test unless it is ready
// within 10 s and stops with exit 0 within 30 s.
func daemonAt(t *testing.T, dir string, flags ...string) (url string, stop func()) {
	t.Helper()
	url, _, stop = daemonLogged(t, dir, flags...)
	return url, stop
}

// daemonLogged is daemonAt that also gives what the daemon has logged
// so far.
func daemonLogged(t *testing.T, dir string, flags ...string) (url string, log func() string, stop func()) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	s := &stdio{in: bytes.NewReader(nil), out: &bytes.Buffer{}, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	args := append(append([]string{"run", "-listen", addr}, flags...), dir)
	go func() { code <- run(ctx, args, s) }()
	url = "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("not ready: %v\n%s", err, errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case c := <-code:
			if c != 0 {
				t.Errorf("hearth run on %s: exit %d\n%s", dir, c, errb.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("hearth run on %s did not stop", dir)
		}
	}
	t.Cleanup(stop)
	return url, errb.String, stop
}

// cli runs hearth with args and returns its exit code and output.
func cli(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := run(context.Background(), args, s)
	return code, out.String(), errb.String()
}

// postLines posts events lines to a daemon and requires 202.
func postLines(url string, lines []string) error {
	resp, err := http.Post(url+"/v1/events", "application/x-ndjson", strings.NewReader(strings.Join(lines, "")))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("post: %s", resp.Status)
	}
	return nil
}

// ledger describes each member of the SQLite state at db by what its
// events did: points, referrals, events counted per type, badges. An
// event applied twice, or lost, shows in it; segment and tier moves,
// which also follow the clock, are left out.
func ledger(t *testing.T, db string) map[string]string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]string{}
	err = st.Members(context.Background(), func(m *state.Member) error {
		var b strings.Builder
		fmt.Fprintf(&b, "points %d earned %d referrals %d", m.Points, m.PointsEarned, m.Referrals)
		types := map[string]int{}
		for _, tc := range m.Types {
			// Segment and tier moves depend on when timers ran, not
			// only on the events.
			if !strings.HasPrefix(tc.Type, "segment.") && !strings.HasPrefix(tc.Type, "tier.") {
				types[tc.Type] = tc.Total
			}
		}
		for _, name := range slices.Sorted(maps.Keys(types)) {
			fmt.Fprintf(&b, " %s×%d", name, types[name])
		}
		for _, name := range slices.Sorted(maps.Keys(m.Badges)) {
			fmt.Fprintf(&b, " badge %s×%d", name, m.Badges[name].Count)
		}
		out[m.ID] = b.String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameLedger(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d members, want %d", what, len(got), len(want))
	}
	for _, id := range slices.Sorted(maps.Keys(want)) {
		if got[id] != want[id] {
			t.Errorf("%s: member %s\n got:  %s\n want: %s", what, id, got[id], want[id])
		}
	}
}

// A backup taken through a running daemon while events flow into it is
// the state as of one point of the stream: restored into a fresh
// directory, its members are those of the same events replayed from
// scratch up to that point, and replaying the whole file into it applies
// only what came after (nothing twice: the event ids survived), leaving
// every member as in the original.
func TestStateBackupWhileEventsFlow(t *testing.T) {
	const eventsFile = "../../examples/quickstart/events.jsonl"
	data, err := os.ReadFile(eventsFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(data)), "\n")
	lines[len(lines)-1] += "\n"
	const early = 1000 // posted before the backup starts

	orig := quickstartCopy(t)
	url, stop := daemonAt(t, orig)
	for i := 0; i < early; i += 50 {
		if err := postLines(url, lines[i:min(i+50, early)]); err != nil {
			t.Fatal(err)
		}
	}
	started := make(chan struct{})
	posted := make(chan error, 1)
	go func() {
		for i := early; i < len(lines); i += 5 {
			if i == early+100 {
				close(started)
			}
			if err := postLines(url, lines[i:min(i+5, len(lines))]); err != nil {
				posted <- err
				return
			}
		}
		posted <- nil
	}()
	<-started
	out := filepath.Join(t.TempDir(), "backup.db")
	code, stdout, stderr := cli("state", "backup", out, orig)
	if code != 0 || !strings.Contains(stdout, "Backed up hearth run (pid ") || !strings.Contains(stderr, "the backup is made through its API") {
		t.Fatalf("state backup: %d\n%s%s", code, stdout, stderr)
	}
	if err := <-posted; err != nil {
		t.Fatal(err)
	}
	// It was not made by copying state.db: the daemon's files are as
	// they were, and nothing is left next to them.
	if left, _ := filepath.Glob(filepath.Join(orig, ".hearth", "state.db.backup-*")); len(left) != 0 {
		t.Errorf("left next to the state: %v", left)
	}
	if code, stdout, stderr := cli("state", "backup", "-check", out); code != 0 || !strings.Contains(stdout, "is a valid hearth state") {
		t.Fatalf("state backup -check: %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := cli("state", "backup", out, orig); code != 1 || !strings.Contains(stderr, "exists: give another name, or -force") {
		t.Errorf("a second backup to the same file: %d %s", code, stderr)
	}
	stop()
	final := ledger(t, filepath.Join(orig, ".hearth", "state.db"))

	// The backup's event ids are the stream up to one point.
	db, err := sql.Open("sqlite", "file:"+out+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	rows, err := db.Query(`SELECT id FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		ids[id] = true
	}
	rows.Close()
	db.Close()
	k := len(ids)
	if k < early {
		t.Fatalf("the backup holds %d event ids; the %d posted before it began should all be there", k, early)
	}
	for i, l := range lines[:k] {
		var ev struct{ ID string }
		if err := json.Unmarshal([]byte(l), &ev); err != nil || !ids[ev.ID] {
			t.Fatalf("line %d (%.40s) is not in the backup, which holds %d ids: not the stream up to one point", i+1, l, k)
		}
	}
	t.Logf("the backup holds %d of %d events", k, len(lines))

	// Restored alone into a fresh directory, its members are those of
	// the first k events replayed from scratch.
	restored := quickstartCopy(t)
	if err := os.MkdirAll(filepath.Join(restored, ".hearth"), 0o700); err != nil {
		t.Fatal(err)
	}
	backupData, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, ".hearth", "state.db"), backupData, 0o600); err != nil {
		t.Fatal(err)
	}
	ref := quickstartCopy(t)
	prefix := filepath.Join(t.TempDir(), "prefix.jsonl")
	if err := os.WriteFile(prefix, []byte(strings.Join(lines[:k], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := cli("replay", "-events", prefix, ref); code != 0 {
		t.Fatalf("replay of the first %d events: %d\n%s%s", k, code, stdout, stderr)
	}
	sameLedger(t, "restored backup against the same events replayed", ledger(t, filepath.Join(restored, ".hearth", "state.db")), ledger(t, filepath.Join(ref, ".hearth", "state.db")))

	// The whole file sent to a daemon on the restored state: what the
	// backup holds is recognised, the rest applied once.
	url2, stop2 := daemonAt(t, restored)
	code, stdout, stderr = cli("replay", "-events", eventsFile, "-url", url2)
	want := fmt.Sprintf("%d applied, %d duplicates", len(lines)-k, k)
	if code != 0 || !strings.Contains(stdout, want) {
		t.Fatalf("replay into the restored state: %d, want %q\n%s%s", code, want, stdout, stderr)
	}
	stop2()
	sameLedger(t, "restored and replayed against the original", ledger(t, filepath.Join(restored, ".hearth", "state.db")), final)
}

// -check tells a backup from a file that is cut short or is not one,
// and says what is wrong.
func TestStateBackupCheckRefuses(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	_ = os.WriteFile(garbage, bytes.Repeat([]byte("not a state\n"), 1000), 0o600)
	empty := filepath.Join(dir, "empty.db")
	_ = os.WriteFile(empty, nil, 0o600)
	for _, tc := range []struct{ file, want string }{
		{garbage, "garbage.db is not a valid hearth state: it is not a SQLite database"},
		{empty, "empty.db is not a valid hearth state: the file is empty"},
		{filepath.Join(dir, "none.db"), "none.db: no such file or directory"},
	} {
		code, stdout, stderr := cli("state", "backup", "-check", tc.file)
		if code != 1 || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("-check %s: %d %q %q, want %q", filepath.Base(tc.file), code, stdout, stderr, tc.want)
		}
	}
}
