package daemon

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// placeEvent is the i-th event of the tests below: one line, with a
// character of two bytes and a comma in a string, so that columns
// count characters and commas in text are not taken for separators.
func placeEvent(i int) string {
	return fmt.Sprintf(`{"id":"e%d","type":"message.posted","member":"m%d","at":"2026-01-01T10:00:00Z","attrs":{"n":%d,"s":"é, [x]"}}`, i, i, i)
}

// structural are the offsets in s of the characters outside its strings.
func structural(s string) []int {
	var out []int
	in, esc := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case !in:
			out = append(out, i)
		}
	}
	return out
}

// lineCol is the line and column, from 1 and in characters, of byte off
// of s.
func lineCol(s string, off int) (int, int) {
	before := s[:off]
	return 1 + strings.Count(before, "\n"), 1 + utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:])
}

var atRe = regexp.MustCompile(`malformed JSON at line (\d+), column (\d+)`)

// brokenArray lays out n events as an array, each between the blanks
// before and after its comma, with the k-th one's structural character
// number p (of those outside strings) made a '#', which is wrong
// anywhere outside a string. It returns the body and the offset of '#'.
func brokenArray(n, k, p int, lead, before, after string) (string, int) {
	var b strings.Builder
	b.WriteString("[" + lead)
	off := 0
	for i := range n {
		if i > 0 {
			b.WriteString(before + "," + after)
		}
		ev := placeEvent(i)
		if i == k {
			at := structural(ev)
			q := at[p%len(at)]
			ev = ev[:q] + "#" + ev[q+1:]
			off = b.Len() + q
		}
		b.WriteString(ev)
	}
	b.WriteString(before + "]\n")
	return b.String(), off
}

// checkPlaced parses body and checks that exactly one problem is
// reported, for event k, at off's line and column.
func checkPlaced(t *testing.T, name, body string, k, off, read int) {
	t.Helper()
	evs, _, bad := parseBody([]byte(body))
	if len(bad) != 1 {
		t.Fatalf("%s: %d problems, want 1: %+v\n%s", name, len(bad), bad, body)
	}
	wantLine, wantCol := lineCol(body, off)
	m := atRe.FindStringSubmatch(bad[0].Error)
	if m == nil || m[1] != fmt.Sprint(wantLine) || m[2] != fmt.Sprint(wantCol) || bad[0].Index != k {
		t.Fatalf("%s: event %d reported as %+v; want index %d, line %d, column %d\n%q", name, bad[0].Index, bad[0], k, wantLine, wantCol, body)
	}
	if read >= 0 && len(evs) != read {
		t.Fatalf("%s: %d events read, want %d", name, len(evs), read)
	}
}

// Malformed JSON in an array is placed where it breaks, however the
// array is laid out: as the same event is placed in JSON lines and as a
// value of its own. A decoder reading the array's tokens does not count
// the [ and the commas in its errors' offsets, which put the column a
// character short for each event before the broken one.
func TestArrayMalformedPlaced(t *testing.T) {
	for _, tc := range []struct {
		name                string
		n, k, p             int
		lead, before, after string
	}{
		{"one line, the first event", 3, 0, 3, "", "", ""},
		{"one line, the fourth event", 5, 3, 5, "", "", ""},
		{"one line with spaces", 5, 4, 2, " ", " ", " "},
		{"pretty-printed", 4, 2, 7, "\n  ", "", "\n  "},
		{"pretty-printed, commas first", 4, 3, 1, "\n  ", "\n  ", " "},
		{"CRLF", 4, 3, 4, "\r\n  ", "", "\r\n  "},
		{"the broken event's closing brace", 3, 2, -1, "", "", ""},
	} {
		p := tc.p
		if p < 0 {
			p = len(structural(placeEvent(tc.k))) - 1
		}
		body, off := brokenArray(tc.n, tc.k, p, tc.lead, tc.before, tc.after)
		checkPlaced(t, tc.name, body, tc.k, off, tc.k)
		// The same events as JSON lines, and the broken one alone:
		// the same column on its own line.
		var lines strings.Builder
		lineOff := 0
		for i := range tc.n {
			ev := placeEvent(i)
			if i == tc.k {
				at := structural(ev)
				q := at[p%len(at)]
				ev = ev[:q] + "#" + ev[q+1:]
				lineOff = lines.Len() + q
			}
			lines.WriteString(ev + "\n")
		}
		checkPlaced(t, tc.name+" as JSON lines", lines.String(), tc.k, lineOff, -1)
		_, arrayCol := lineCol(body, off)
		_, lineCol := lineCol(lines.String(), lineOff)
		if tc.after == "\n  " && tc.k > 0 && arrayCol != lineCol+2 {
			t.Errorf("%s: column %d in the array, %d in JSON lines; want 2 more in the indented array", tc.name, arrayCol, lineCol)
		}
	}
}

// FuzzArrayMalformedPlaced checks the placing above for any layout of
// blanks, number of events and broken character.
func FuzzArrayMalformedPlaced(f *testing.F) {
	f.Add(uint8(3), uint8(1), uint16(4), "", "", "")
	f.Add(uint8(6), uint8(5), uint16(9), "\n  ", "", "\n  ")
	f.Add(uint8(2), uint8(1), uint16(0), "\r\n", "\n", "\t")
	f.Fuzz(func(t *testing.T, n, k uint8, p uint16, lead, before, after string) {
		blank := func(s string) string { // the fuzzer's bytes as blanks
			var b strings.Builder
			for _, c := range []byte(s) {
				b.WriteByte(" \t\n\r"[c%4])
			}
			return b.String()
		}
		count := 1 + int(n)%20
		body, off := brokenArray(count, int(k)%count, int(p), blank(lead), blank(before), blank(after))
		checkPlaced(t, "fuzzed", body, int(k)%count, off, int(k)%count)
	})
}

// FuzzParseBody reads any body: every problem is placed on a line of
// the body, and malformed JSON at a line and column in it.
func FuzzParseBody(f *testing.F) {
	f.Add([]byte("[\n  " + placeEvent(0) + ",\n  " + placeEvent(1) + "\n]"))
	f.Add([]byte(placeEvent(0) + "\n" + `{"id":` + "\n"))
	f.Add([]byte("\x1e" + placeEvent(0) + "\n\x1e{\n"))
	f.Add([]byte("[1, null, \"x\", {}]"))
	f.Add([]byte("\xff\xfe{\x00"))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, places, bad := parseBody(body)
		if len(places) != len(evs) {
			t.Fatalf("%d events, %d places", len(evs), len(places))
		}
		lines := strings.Split(string(body), "\n")
		for _, e := range bad {
			if e.Line < 1 || e.Line > len(lines)+1 {
				t.Fatalf("problem on line %d of %d: %+v", e.Line, len(lines), e)
			}
			if m := atRe.FindStringSubmatch(e.Error); m != nil {
				var line, col int
				fmt.Sscan(m[1], &line)
				fmt.Sscan(m[2], &col)
				if line < 1 || line > len(lines) || col < 1 || col > utf8.RuneCountInString(lines[line-1])+1 {
					t.Fatalf("line %d, column %d is not in %q: %s", line, col, body, e.Error)
				}
			}
		}
	})
}
