package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/state"
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

// A member's name is one field of a line wherever hearth prints it, on
// a terminal or not: its line breaks and a right-to-left override are
// shown as escapes, so "Bob\r\n  tier core" cannot print a line that
// reads as the member's tier. A rendered message is the message as it
// is sent, and is shown so: only template render's Member line is
// checked.
func TestNamesStayOnTheirLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../examples/quickstart")); err != nil {
		t.Fatal(err)
	}
	_ = os.RemoveAll(filepath.Join(dir, ".hearth"))
	evs := filepath.Join(t.TempDir(), "events.jsonl")
	line := `{"id":"e1","type":"member.joined","member":{"id":"bob","name":"Bob\r\n  tier core\u2028\u202eeroc"},"at":"2026-01-01T00:00:00Z"}` + "\n"
	if err := os.WriteFile(evs, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := hearthCmd(t, "", false, "replay", "-events", evs, dir); code != 0 {
		t.Fatalf("replay: %d\n%s%s", code, out, errs)
	}
	const shown = `Bob\r\n  tier core\u2028\u202eeroc`
	for _, args := range [][]string{
		{"member", "show", "bob"},
		{"member", "list"},
		{"member", "eval", "bob", `member.name != ""`},
		{"template", "render", "-member", "bob", "welcome"},
	} {
		code, out, errs := hearthCmd(t, "", false, append(args, dir)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
		}
		if !strings.Contains(out, shown) {
			t.Errorf("%v: the name is not shown as %s:\n%s", args, shown, out)
		}
		if args[0] == "template" {
			out, _, _ = strings.Cut(out, "\n---")
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimLeft(l, "\r"), "  tier core") || strings.ContainsAny(l, "\r\u2028\u202e") {
				t.Errorf("%v: the name breaks or reorders a line: %q", args, l)
			}
		}
	}
}

// The tables of outbox list and local show keep each row on its line:
// a run key or an error with a line break, a name with one, are shown
// escaped; a message, the last cell of local show, keeps its lines,
// each escaped on its own.
func TestTableCellsStayOnTheirLine(t *testing.T) {
	var b strings.Builder
	e := outbox.Entry{Action: state.Action{Kind: "send.dm", Member: "u1", Key: "campaign/meetup/u1/x\r\n  sent/1"},
		Status: outbox.Dead, Attempts: 1, LastError: "webhook answered 500:\r\nFORGED 0\t1"}
	printOutboxTable(&b, []outbox.Entry{e})
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], `campaign/meetup/u1/x\r\n  sent/1`) || !strings.Contains(lines[1], `webhook answered 500:\r FORGED 0\t1`) {
		t.Errorf("outbox list:\n%s", b.String())
	}
	b.Reset()
	writeTextRows(&b, [][]string{{"ms-1", "Eve\n  ms-2", "hello\u202e\nsecond line"}})
	head := `ms-1  Eve\n  ms-2  `
	if want := head + `hello\u202e` + "\n" + strings.Repeat(" ", len(head)) + "second line\n"; b.String() != want {
		t.Errorf("local show:\n%q\nwant\n%q", b.String(), want)
	}
}
