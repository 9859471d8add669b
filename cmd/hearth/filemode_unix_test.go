//go:build unix

package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The files hearth writes that name members (a saved plan, outcome
// lines, reports, imported events) are readable by their owner only,
// under the usual umask 022 as the state is; a plan file left with a
// wider mode is narrowed when written again, and a device such as
// /dev/null is written without a change of mode.
func TestMemberFilesPrivate(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0o022))
	out := t.TempDir()
	at := func(name string) string { return filepath.Join(out, name) }

	site := t.TempDir()
	if err := os.WriteFile(filepath.Join(site, "main.hcl"), []byte(planSite), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(at("old.plan"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	health := exampleCopy(t, "health-report", nil)
	events := "../../examples/health-report/events.jsonl"
	for _, c := range []struct {
		name string
		args []string
	}{
		{"plan -out", []string{"plan", "-out", at("p.plan"), site}},
		{"plan -out over a 0644 file", []string{"plan", "-out", at("old.plan"), site}},
		{"plan -out /dev/null", []string{"plan", "-out", os.DevNull, site}},
		{"simulate -outcomes -report-json", []string{"simulate", "-events", events, "-outcomes", at("sim.jsonl"), "-report-json", at("sim-report.json"), health}},
		{"replay -outcomes", []string{"replay", "-events", events, "-outcomes", at("replay.jsonl"), health}},
		{"report -html", []string{"report", "-html", at("report.html"), health}},
		{"import stackexchange -out", []string{"import", "stackexchange", "-out", at("se.jsonl"), "../../engine/importer/stackexchange/testdata/small"}},
	} {
		if code, stdout, stderr := hearthCmd(t, "", false, c.args...); code != 0 && code != 2 {
			t.Fatalf("%s: exit %d\n%s%s", c.name, code, stdout, stderr)
		}
	}
	for _, name := range []string{"p.plan", "old.plan", "sim.jsonl", "sim-report.json", "replay.jsonl", "report.html", "se.jsonl"} {
		fi, err := os.Stat(at(name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if fi.Size() == 0 {
			t.Errorf("%s is empty", name)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %#o; want 0600", name, mode)
		}
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode().Perm() != 0o666 {
		t.Errorf("%s: %v %v; want its mode kept", os.DevNull, fi.Mode(), err)
	}
}

// TestOutputsKeepSpecialFiles: an -out that names a device or pipe is
// written into, never renamed over (as root, -out /dev/null once
// replaced the device with a file). A FIFO stands in for the device, so
// a regression cannot break the machine running the test.
func TestOutputsKeepSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	// A second name for the FIFO reaches it even if the command renamed
	// a file over the first, to let a reader still waiting go.
	keep := filepath.Join(dir, "pipe-link")
	if err := os.Link(fifo, keep); err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- -1
			return
		}
		defer f.Close()
		data, _ := io.ReadAll(f)
		got <- len(data)
	}()
	code, stdout, stderr := hearthCmd(t, "", false, "import", "stackexchange", "-out", fifo, "../../engine/importer/stackexchange/testdata/small")
	if w, err := os.OpenFile(keep, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		w.Close()
	}
	n := <-got
	if code != 0 {
		t.Fatalf("import -out FIFO: exit %d\n%s%s", code, stdout, stderr)
	}
	if n <= 0 {
		t.Errorf("the reader of the FIFO got %d bytes; want the events", n)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("after import -out: %v %v; want the FIFO still there", fi.Mode(), err)
	}
	if err := placeBackup(filepath.Join(dir, "nothing"), fifo, true); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("backup -force over a FIFO: %v; want it refused", err)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("after backup: %v %v; want the FIFO still there", fi.Mode(), err)
	}
}
