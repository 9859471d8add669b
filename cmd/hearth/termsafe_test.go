package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// On a terminal, a member's name is printed with its escape sequences
// shown as text: a name that sets the window title or clears the screen
// must not do it to the operator running hearth member show.
func TestTerminalShowsEscapesAsText(t *testing.T) {
	out := eveOnTerminal(t, "member", "show", "eve")
	if want := `Member eve, Eve\x1b]0;pwned\x07\x1b[2J`; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

// A template quotes what members wrote: on a terminal, hearth template
// render shows the escape sequences in a member's name as text, in the
// rendered message and the lines about the member alike.
func TestTemplateRenderShowsEscapesAsText(t *testing.T) {
	out := eveOnTerminal(t, "template", "render", "-member", "eve", "welcome")
	if want := `Welcome, Eve\x1b]0;pwned\x07\x1b[2J!`; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

// eveOnTerminal replays Eve, whose name holds escape sequences, into a
// copy of the quickstart, runs hearth with args and the copy's directory
// on a terminal, and returns what it printed, failing the test where a
// raw escape character reached the terminal.
func eveOnTerminal(t *testing.T, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../examples/quickstart")); err != nil {
		t.Fatal(err)
	}
	_ = os.RemoveAll(filepath.Join(dir, ".hearth"))
	tmp := t.TempDir()
	evs := filepath.Join(tmp, "events.jsonl")
	line := `{"id":"e1","type":"member.joined","member":{"id":"eve","name":"Eve\u001b]0;pwned\u0007\u001b[2J"},"at":"2026-01-01T00:00:00Z"}` + "\n"
	if err := os.WriteFile(evs, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	open := func(name string) *os.File {
		f, err := os.Create(filepath.Join(tmp, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	s := fileIO(open("in"), open("out"), open("err"), func(int) bool { return true })
	if code := run(context.Background(), []string{"replay", "-events", evs, dir}, s); code != 0 {
		t.Fatalf("replay exited %d", code)
	}
	if code := run(context.Background(), append(args, dir), s); code != 0 {
		t.Fatalf("%s exited %d", strings.Join(args[:2], " "), code)
	}
	out, err := os.ReadFile(filepath.Join(tmp, "out"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsRune(string(out), 0x1b) || strings.ContainsRune(string(out), 0x07) {
		t.Errorf("the terminal got raw escape characters:\n%q", out)
	}
	return string(out)
}
