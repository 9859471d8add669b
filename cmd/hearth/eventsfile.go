package main

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
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

// eventsInput is the events file being read. It counts the bytes read,
// so the progress line can say how far through a regular file it is and
// how long the rest should take.
type eventsInput struct {
	r    io.Reader
	size int64 // of a regular file; 0 for standard input or a pipe
	read atomic.Int64
}

func (e *eventsInput) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.read.Add(int64(n))
	return n, err
}

// fraction is the share of the file read so far; ok is false when its
// size is unknown (not a regular file) or zero.
func (e *eventsInput) fraction() (float64, bool) {
	if e == nil || e.size <= 0 {
		return 0, false
	}
	return min(float64(e.read.Load())/float64(e.size), 1), true
}

// openEvents opens the events file of -events ("-" is standard input).
func openEvents(s *stdio, cmd, path string) (*eventsInput, func(), bool) {
	if path == "-" {
		return &eventsInput{r: s.in}, func() {}, true
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", cmd, err)
		return nil, nil, false
	}
	in := &eventsInput{r: f}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		in.size = fi.Size()
	}
	return in, func() { _ = f.Close() }, true
}

// progressLine is a progress line on a terminal: n things done and the
// rate, then, where the share done is known (a regular file), the percent
// and the time left at the rate so far. It clears to the line's end, as a
// shorter line would leave the longer one's tail.
func progressLine(what string, n int, elapsed time.Duration, frac float64, known bool) string {
	line := fmt.Sprintf("\r  %s (%.0f/s)", fmt.Sprintf(what, n), float64(n)/max(elapsed.Seconds(), 1e-9))
	if known {
		line += fmt.Sprintf(", %.0f%%", 100*frac)
		// Under a second in, or a percent done, the rate says little yet.
		if frac > 0.01 && frac < 1 && elapsed >= time.Second {
			left := time.Duration(float64(elapsed) * (1 - frac) / frac)
			line += ", about " + left.Round(time.Second).String() + " left"
		}
	}
	return line + "...\033[K"
}

// eventsProgress is the progress line of simulate and replay applying
// the events of in, on a terminal; nil elsewhere. what is the line's
// start with a %d for the events ("replayed %d events"). With -sort the
// file was read whole first (sortProgress), so the share done is of the
// lines it held.
func eventsProgress(s *stdio, in *eventsInput, what string, sorted *int) func(int) {
	if !s.errTTY {
		return nil
	}
	start := time.Now()
	return func(n int) {
		frac, known := in.fraction()
		if *sorted > 0 {
			frac, known = min(float64(n)/float64(*sorted), 1), true
		}
		fmt.Fprint(s.err, progressLine(what, n, time.Since(start), frac, known))
	}
}

// sortProgress is the progress line of -sort reading the whole file, on
// a terminal; nil elsewhere. It keeps the lines read in *lines, for the
// share done while they are applied.
func sortProgress(s *stdio, in *eventsInput, lines *int) func(int) {
	if !s.errTTY {
		return nil
	}
	start := time.Now()
	return func(n int) {
		*lines = n
		frac, known := in.fraction()
		fmt.Fprint(s.err, progressLine("read %d lines to sort", n, time.Since(start), frac, known))
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
			plural(o.Count, "event was", "events were"), map[bool]string{true: "it", false: "them"}[o.Count == 1], file, o.Line, at(o.At.Time), o.LatestLine, at(o.Latest.Time))
		return
	}
	first := fmt.Sprintf("line %d (%s) comes after line %d (%s)", o.Line, at(o.At.Time), o.LatestLine, at(o.Latest.Time))
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
