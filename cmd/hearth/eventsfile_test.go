package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// On a terminal the progress line gives the count and the rate and, for
// a regular file, the percent read and the time left at that rate.
func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		n       int
		elapsed time.Duration
		frac    float64
		known   bool
		want    string
	}{
		{20000, 2 * time.Second, 0.25, true, "\r  replayed 20000 events (10000/s), 25%, about 6s left...\x1b[K"},
		{20000, 2 * time.Second, 0, false, "\r  replayed 20000 events (10000/s)...\x1b[K"},              // standard input: no size
		{10000, 500 * time.Millisecond, 0.5, true, "\r  replayed 10000 events (20000/s), 50%...\x1b[K"}, // too early to tell
		{40000, 4 * time.Second, 1, true, "\r  replayed 40000 events (10000/s), 100%...\x1b[K"},
	} {
		if got := progressLine("replayed %d events", tc.n, tc.elapsed, tc.frac, tc.known); got != tc.want {
			t.Errorf("progressLine(%d, %v, %v, %v) = %q; want %q", tc.n, tc.elapsed, tc.frac, tc.known, got, tc.want)
		}
	}
}

// The events file counts what was read against its size; standard input
// has none, and its line has no percent.
func TestEventsProgressOfAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	s := &stdio{err: &errb, errTTY: true, in: strings.NewReader("")}
	in, closeIn, ok := openEvents(s, "simulate", path)
	if !ok {
		t.Fatal(errb.String())
	}
	defer closeIn()
	if _, err := io.ReadFull(in, make([]byte, 400)); err != nil {
		t.Fatal(err)
	}
	lines := 0
	eventsProgress(s, in, "replayed %d events", &lines)(10000)
	if !strings.Contains(errb.String(), "replayed 10000 events (") || !strings.Contains(errb.String(), "), 40%") {
		t.Errorf("file: %q; want the count, the rate and 40%%", errb.String())
	}

	errb.Reset()
	stdin, _, _ := openEvents(s, "simulate", "-")
	eventsProgress(s, stdin, "replayed %d events", &lines)(10000)
	if strings.Contains(errb.String(), "%") {
		t.Errorf("standard input: %q; want no percent", errb.String())
	}

	// With -sort the file was read whole first: the share is of its lines.
	errb.Reset()
	lines = 40000
	eventsProgress(s, in, "replayed %d events", &lines)(10000)
	if !strings.Contains(errb.String(), "), 25%") {
		t.Errorf("sorted: %q; want 25%% of the lines", errb.String())
	}

	if eventsProgress(&stdio{err: &errb}, in, "replayed %d events", &lines) != nil {
		t.Error("not a terminal: want no progress line")
	}
}
