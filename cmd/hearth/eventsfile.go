package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hearth-community/hearth/engine/simulate"
)

// maxSkipsShown bounds the skipped lines a replay names on stderr: history
// past the retention can be refused by the thousand.
const maxSkipsShown = 10

// skips reports the lines of an events file that simulate and replay
// skip: the first ten on stderr as text, the rest counted at the end.
// With -json it prints nothing: the summary lists them (rejected_lines).
type skips struct {
	s      *stdio
	cmd    string
	asJSON bool
	n      int
}

// skip reports one line; msg places it ("events.jsonl line 2: ...").
func (k *skips) skip(msg string) {
	if !k.asJSON && k.n < maxSkipsShown {
		fmt.Fprintf(k.s.err, "hearth %s: %s (skipped)\n", k.cmd, msg)
	}
	k.n++
}

// done counts the lines skip did not name.
func (k *skips) done() {
	if !k.asJSON && k.n > maxSkipsShown {
		fmt.Fprintf(k.s.err, "hearth %s: %d more bad lines skipped\n", k.cmd, k.n-maxSkipsShown)
	}
}

// openEvents opens the events file of -events ("-" is standard input).
func openEvents(s *stdio, cmd, path string) (io.Reader, func(), bool) {
	if path == "-" {
		return s.in, func() {}, true
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", cmd, err)
		return nil, nil, false
	}
	return f, func() { _ = f.Close() }, true
}

// sortProgress is the progress line of -sort reading the whole file, on
// a terminal; nil elsewhere.
func sortProgress(s *stdio) func(int) {
	if !s.errTTY {
		return nil
	}
	start := time.Now()
	return func(n int) {
		fmt.Fprintf(s.err, "\r  read %d lines to sort (%.0f/s)...", n, float64(n)/time.Since(start).Seconds())
	}
}

// printOutOfOrder says, after a summary, that events of the file were
// dated before an event above them: replayed as they came, with what to
// do about it; sorted by -sort, that it was done. daemon is for a replay
// through a daemon, which holds its timers while the events come.
func printOutOfOrder(w io.Writer, file string, o *simulate.OutOfOrder, daemon bool) {
	if o == nil {
		return
	}
	at := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	if o.Sorted {
		fmt.Fprintf(w, "\nSorted: %s dated before an event above %s in %s, the first on line %d (%s) after line %d (%s); -sort replayed every event in time order.\n",
			plural(o.Count, "event was", "events were"), map[bool]string{true: "it", false: "them"}[o.Count == 1], file, o.Line, at(o.At), o.LatestLine, at(o.Latest))
		return
	}
	first := fmt.Sprintf("line %d (%s) comes after line %d (%s)", o.Line, at(o.At), o.LatestLine, at(o.Latest))
	if o.Count == 1 {
		fmt.Fprintf(w, "\nWarning: 1 event is dated before an event above it in %s: %s.", file, first)
	} else {
		fmt.Fprintf(w, "\nWarning: %d events are dated before an event above them in %s; the first, %s.", o.Count, file, first)
	}
	if daemon {
		fmt.Fprint(w, " The daemon applies a late event at its own time; it holds its timers while a backfill comes, but its rules saw the events in the file's order,")
	} else {
		fmt.Fprint(w, " A late event is applied at its own time, as hearth run applies one, but time-based rules and campaign timers had already run to the later time,")
	}
	fmt.Fprintln(w, " so this result can differ from that of the same events in time order. Sort the file by \"at\", or run again with -sort.")
}

// strictFails says on stderr why -strict fails, if it does: lines were
// rejected, or events out of time order were replayed as they came.
func strictFails(s *stdio, cmd string, rejected int, o *simulate.OutOfOrder) bool {
	failed := false
	if rejected > 0 {
		fmt.Fprintf(s.err, "hearth %s: %s rejected (-strict).\n", cmd, plural(rejected, "line was", "lines were"))
		failed = true
	}
	if o != nil && !o.Sorted {
		fmt.Fprintf(s.err, "hearth %s: %s out of time order (-strict); sort the file by \"at\" or give -sort.\n", cmd, plural(o.Count, "event was", "events were"))
		failed = true
	}
	return failed
}
