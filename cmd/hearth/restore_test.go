package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// restoreSetup serves a copy of the quickstart with a daemon, posts the
// first events, backs the state up through it, posts more and stops it,
// leaving the journal files as a daemon killed at that moment would:
// holding the later batches, numbered after the backup's last one. It
// returns the directory, the backup, and a reference directory where the
// first events alone were replayed.
func restoreSetup(t *testing.T) (dir, backup, ref string) {
	t.Helper()
	data, err := os.ReadFile("../../examples/quickstart/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(data)), "\n")
	const early, late = 300, 600
	dir = quickstartCopy(t)
	url, stop := daemonAt(t, dir)
	if err := postLines(url, lines[:early]); err != nil {
		t.Fatal(err)
	}
	backup = filepath.Join(t.TempDir(), "backup.db")
	if code, stdout, stderr := cli("state", "backup", backup, dir); code != 0 {
		t.Fatalf("state backup: %d\n%s%s", code, stdout, stderr)
	}
	if err := postLines(url, lines[early:late]); err != nil {
		t.Fatal(err)
	}
	// What the journal holds now; a clean stop empties it.
	db := filepath.Join(dir, ".hearth", "state.db")
	journal := map[string][]byte{}
	for _, p := range []string{db + "-batches.0", db + "-batches.1"} {
		if journal[p], err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	if len(journal[db+"-batches.0"]) == 0 {
		t.Fatal("the daemon's journal is empty; this test needs its records")
	}
	stop()
	for p, data := range journal {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ref = quickstartCopy(t)
	prefix := filepath.Join(t.TempDir(), "early.jsonl")
	if err := os.WriteFile(prefix, []byte(strings.Join(lines[:early], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := cli("replay", "-events", prefix, ref); code != 0 {
		t.Fatalf("replay: %d\n%s%s", code, stdout, stderr)
	}
	return dir, backup, ref
}

// stateFiles maps each file under dir/.hearth to its content.
func stateFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := filepath.Join(dir, ".hearth")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameStateFiles(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for name, data := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: %s is gone", what, name)
		} else if g != data {
			t.Errorf("%s: %s changed", what, name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %s appeared", what, name)
		}
	}
}

// Restoring over a state whose journal holds batches newer than the
// backup gives the backup's state and nothing of that journal (copying
// the backup over state.db alone brings those batches back), leaves the
// backup file byte for byte as it was, and keeps every old file.
func TestStateRestoreLeavesTheOldJournalOut(t *testing.T) {
	dir, backup, ref := restoreSetup(t)
	db := filepath.Join(dir, ".hearth", "state.db")
	want := ledger(t, filepath.Join(ref, ".hearth", "state.db"))
	backupData, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}

	// The hazard: the manual procedure without the journal moved.
	manual := t.TempDir()
	for name, data := range stateFiles(t, dir) {
		if name == "state.db" {
			data = string(backupData)
		}
		if err := os.WriteFile(filepath.Join(manual, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	manualLedger := ledger(t, filepath.Join(manual, "state.db"))
	same := len(manualLedger) == len(want)
	for id, l := range want {
		same = same && manualLedger[id] == l
	}
	if same {
		t.Fatal("the backup copied over state.db alone is the backup's state: the old journal was not read, and this test no longer shows what restore guards against")
	}

	old := stateFiles(t, dir)
	code, stdout, stderr := cli("state", "restore", "-auto-approve", backup, dir)
	if code != 0 {
		t.Fatalf("state restore: %d\n%s%s", code, stdout, stderr)
	}
	for _, w := range []string{"Restoring replaces the state at " + db, "  now:     ", "  backup:  ", "Restored " + backup + " to " + db,
		"is in " + db + ".before-restore-", "Next: start hearth run."} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, stdout)
		}
	}
	sameLedger(t, "the restored state against the backup's events replayed", ledger(t, db), want)
	if got, _ := os.ReadFile(backup); !bytes.Equal(got, backupData) {
		t.Error("the backup file changed")
	}
	asides, _ := filepath.Glob(db + ".before-restore-*")
	if len(asides) != 1 {
		t.Fatalf("folders of replaced state: %v", asides)
	}
	got := map[string]string{}
	for name, data := range stateFiles(t, dir) {
		if rel, ok := strings.CutPrefix(name, filepath.Base(asides[0])+"/"); ok {
			got[rel] = data
		}
	}
	for name := range old {
		// The locks stay where they are; the local platform's files are
		// not the state's.
		if name == "state.db.lock" || name == "state.db.open.lock" || !strings.HasPrefix(name, "state.db") {
			delete(old, name)
		}
	}
	sameStateFiles(t, "the replaced state", got, old)
}

// While a daemon serves the state, restore refuses, names it, and
// changes nothing.
func TestStateRestoreRefusesWhileDaemonRuns(t *testing.T) {
	dir, backup, _ := restoreSetup(t)
	_, stop := daemonAt(t, dir)
	code, stdout, stderr := cli("state", "restore", "-auto-approve", backup, dir)
	if code != 1 || !strings.Contains(stderr, "hearth run (pid ") || !strings.Contains(stderr, "stop it first") || stdout != "" {
		t.Errorf("restore while hearth run serves the state: %d\n%s%s", code, stdout, stderr)
	}
	stop()
	if asides, _ := filepath.Glob(filepath.Join(dir, ".hearth", "state.db.before-restore-*")); len(asides) != 0 {
		t.Errorf("restore moved files while refusing: %v", asides)
	}
	// The daemon's state is what it was: the events posted after the
	// backup are in it.
	if code, stdout, _ := cli("replay", "-events", "../../examples/quickstart/events.jsonl", dir); code != 0 || !strings.Contains(stdout, "600 duplicates") {
		t.Errorf("replay after the refusal: %d %s", code, stdout)
	}
}

// A backup that fails the check is refused with its reason, before
// anything is asked or moved.
func TestStateRestoreRefusesABadBackup(t *testing.T) {
	dir, backup, _ := restoreSetup(t)
	data, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.db")
	if err := os.WriteFile(cut, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	before := stateFiles(t, dir)
	code, stdout, stderr := cli("state", "restore", "-auto-approve", cut, dir)
	if code != 1 || !strings.Contains(stderr, "cut.db is not a valid hearth state: it is truncated") ||
		!strings.Contains(stderr, "the state was not changed") || stdout != "" {
		t.Errorf("restore of a cut backup: %d\n%s%s", code, stdout, stderr)
	}
	sameStateFiles(t, "after refusing a bad backup", stateFiles(t, dir), before)
}

// Restore asks, and reads the answer from a terminal or a pipe; anything
// but yes, no answer at all, or Ctrl-C at the prompt, changes nothing.
// A pipe that ends with no line is told to pass -auto-approve.
func TestStateRestoreAsks(t *testing.T) {
	dir, backup, ref := restoreSetup(t)
	db := filepath.Join(dir, ".hearth", "state.db")
	before := stateFiles(t, dir)
	restoreWith := func(ctx context.Context, in io.Reader, tty bool) (int, string, string) {
		var out, errb bytes.Buffer
		s := &stdio{in: in, out: &out, err: &errb, inTTY: tty, lookupEnv: func(string) (string, bool) { return "", false }}
		code := run(ctx, []string{"state", "restore", backup, dir}, s)
		return code, out.String(), errb.String()
	}

	code, stdout, stderr := restoreWith(context.Background(), strings.NewReader(""), false)
	if code != 1 || !strings.Contains(stderr, "standard input is not a terminal and gave no answer") || !strings.Contains(stderr, "-auto-approve") ||
		!strings.Contains(stderr, "the state was not changed") {
		t.Errorf("no answer from a pipe: %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = restoreWith(context.Background(), strings.NewReader("yes please\n"), false)
	if code != 1 || !strings.Contains(stderr, "cancelled; the state was not changed") || strings.Contains(stderr, "-auto-approve") {
		t.Errorf("answered 'yes please' from a pipe: %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = restoreWith(context.Background(), strings.NewReader("no\n"), true)
	if code != 1 || !strings.Contains(stdout, "Only 'yes' will be accepted") || !strings.Contains(stderr, "cancelled; the state was not changed") {
		t.Errorf("answered no: %d\n%s%s", code, stdout, stderr)
	}
	// Ctrl-C at the prompt: the context ends while nothing is typed.
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	defer pw.Close()
	time.AfterFunc(300*time.Millisecond, cancel)
	code, stdout, stderr = restoreWith(ctx, pr, true)
	if code != 1 || !strings.Contains(stderr, "cancelled; the state was not changed") {
		t.Errorf("Ctrl-C at the prompt: %d\n%s%s", code, stdout, stderr)
	}
	sameStateFiles(t, "after four refusals", stateFiles(t, dir), before)

	// echo yes | hearth state restore: the pipe's answer is taken.
	code, stdout, stderr = restoreWith(context.Background(), strings.NewReader("yes\n"), false)
	if code != 0 || !strings.Contains(stdout, "Restored ") {
		t.Fatalf("answered yes from a pipe: %d\n%s%s", code, stdout, stderr)
	}
	sameLedger(t, "restored after yes", ledger(t, db), ledger(t, filepath.Join(ref, ".hearth", "state.db")))
}

// restore -undo puts back, byte for byte, the files a restore moved
// aside (the old journal too, unfolded: the state is as it was), and
// refuses while a daemon serves the state, changing nothing.
func TestStateRestoreUndo(t *testing.T) {
	dir, backup, _ := restoreSetup(t)
	db := filepath.Join(dir, ".hearth", "state.db")
	own := func(files map[string]string) map[string]string {
		for name := range files {
			if name == "state.db.lock" || name == "state.db.open.lock" || !strings.HasPrefix(name, "state.db") || strings.Contains(name, "/") {
				delete(files, name)
			}
		}
		return files
	}
	old := own(stateFiles(t, dir))
	if code, stdout, stderr := cli("state", "restore", "-auto-approve", backup, dir); code != 0 {
		t.Fatalf("state restore: %d\n%s%s", code, stdout, stderr)
	}

	_, stop := daemonAt(t, dir)
	code, stdout, stderr := cli("state", "restore", "-undo", "-auto-approve", dir)
	if code != 1 || !strings.Contains(stderr, "hearth run (pid ") || !strings.Contains(stderr, "stop it first") || stdout != "" {
		t.Errorf("undo while hearth run serves the state: %d\n%s%s", code, stdout, stderr)
	}
	stop()
	if asides, _ := filepath.Glob(db + ".before-restore-*"); len(asides) != 1 {
		t.Errorf("folders of replaced state after the refusal: %v", asides)
	}

	// The daemon served the restored state, writing to its files: as
	// it left them is how the undo moves them aside.
	restored := own(stateFiles(t, dir))
	code, stdout, stderr = cli("state", "restore", "-undo", "-auto-approve", dir)
	if code != 0 || !strings.Contains(stdout, "Put back the state from "+db+".before-restore-") {
		t.Fatalf("undo: %d\n%s%s", code, stdout, stderr)
	}
	sameStateFiles(t, "the state put back", own(stateFiles(t, dir)), old)
	asides, _ := filepath.Glob(db + ".before-restore-*")
	if len(asides) != 1 {
		t.Fatalf("folders of replaced state after the undo: %v", asides)
	}
	got := map[string]string{}
	for name, data := range stateFiles(t, dir) {
		if rel, ok := strings.CutPrefix(name, filepath.Base(asides[0])+"/"); ok {
			got[rel] = data
		}
	}
	sameStateFiles(t, "the restored state moved aside", got, restored)
}
