package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// plan -out - writes the saved plan alone to standard output, the text
// to standard error, and the document applies as a saved file does.
func TestPlanOutDash(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(planSite), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := hearthCmd(t, "", false, "plan", "-out", "-", dir)
	if code != 0 || !strings.Contains(errs, "to add") || !strings.Contains(errs, "Wrote the plan to standard output") {
		t.Fatalf("plan -out -: %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	p, err := plan.Read(strings.NewReader(out))
	if err != nil {
		t.Fatalf("standard output is not the plan alone: %v\n%s", err, out)
	}
	if !p.HasChanges() {
		t.Error("the plan written has no changes")
	}
	file := filepath.Join(t.TempDir(), "p.plan")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, o, e := hearthCmd(t, "", false, "apply", file, dir); code != 0 {
		t.Fatalf("apply of the plan from standard output: %d\n%s%s", code, o, e)
	}
	if code, out, errs := hearthCmd(t, "", false, "drift", "-out", "-", dir); code != 0 || !strings.Contains(errs, "Wrote the drift report to standard output") {
		t.Fatalf("drift -out -: %d\n%s%s", code, out, errs)
	} else if _, err := plan.Read(strings.NewReader(out)); err != nil {
		t.Fatalf("drift -out -: standard output is not the report alone: %v\n%s", err, out)
	}
	if code, out, errs := hearthCmd(t, "", false, "plan", "-out", "-", "-json", dir); code != 1 || !strings.Contains(out, "-out - and -json both write") {
		t.Errorf("plan -out - -json: %d\n%s%s", code, out, errs)
	}
}

// state backup -out - (or OUT -) streams the checked copy to standard
// output, made by the command or by a daemon serving the state, and
// never onto a terminal.
func TestStateBackupToStdout(t *testing.T) {
	dir := quickstartCopy(t)
	if code, o, e := cli("replay", "-events", "../../examples/quickstart/events.jsonl", dir); code != 0 {
		t.Fatalf("replay: %d\n%s%s", code, o, e)
	}
	check := func(what, data string) {
		t.Helper()
		file := filepath.Join(t.TempDir(), "b.db")
		if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		info, err := sqlite.Verify(context.Background(), file)
		if err != nil || info.Members == 0 {
			t.Fatalf("%s: standard output is no whole state (%d members): %v", what, info.Members, err)
		}
	}
	for _, args := range [][]string{{"state", "backup", "-out", "-", dir}, {"state", "backup", "-", dir}} {
		code, out, errs := cli(args...)
		if code != 0 || !strings.Contains(errs, "to standard output: ") {
			t.Fatalf("%v: %d\n%s", args, code, errs)
		}
		check(strings.Join(args, " "), out)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".hearth", ".hearth-backup-*")); len(left) != 0 {
		t.Errorf("left next to the state: %v", left)
	}

	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, outTTY: true, lookupEnv: func(string) (string, bool) { return "", false }}
	if code := run(context.Background(), []string{"state", "backup", "-out", "-", dir}, s); code != 1 || out.Len() != 0 || !strings.Contains(errb.String(), "refusing to write the backup, a binary SQLite file, to a terminal") {
		t.Errorf("to a terminal: %d %q %q", code, out.String(), errb.String())
	}

	url, _ := daemonAt(t, dir)
	for _, args := range [][]string{{"state", "backup", "-out", "-", dir}, {"state", "backup", "-url", url, "-out", "-"}} {
		code, out, errs := cli(args...)
		if code != 0 || !strings.Contains(errs, "to standard output: ") {
			t.Fatalf("%v with a daemon: %d\n%s", args, code, errs)
		}
		check(strings.Join(args, " ")+" with a daemon", out)
	}
}

// import stackexchange -out - is standard output, as no -out is: no
// "Wrote -." on standard error.
func TestImportOutDash(t *testing.T) {
	code, out, errs := cli("import", "stackexchange", "-out", "-", "../../engine/importer/stackexchange/testdata/small")
	if code != 0 || !strings.Contains(out, `"type"`) || strings.Contains(errs, "Wrote") {
		t.Errorf("import stackexchange -out -: %d\n%s", code, errs)
	}
}
