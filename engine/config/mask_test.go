package config

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// maskLine replaces each run of touching spans with one "(sensitive)"
// and moves the highlight with the text: onto the mask when it was on
// the secret, unchanged before it, shifted after it.
func TestMaskLine(t *testing.T) {
	const line = `  secret = "abc123" # note`
	//            0123456789012345678901234
	value := span{12, 18} // abc123, inside the quotes
	for _, tc := range []struct {
		name     string
		spans    []span
		from, to int
		want     string
		under    string // the highlighted text after masking
	}{
		{"no spans", nil, 2, 8, line, "secret"},
		{"the value, quotes and all", []span{value}, 11, 19, `  secret = "(sensitive)" # note`, `"(sensitive)"`},
		{"inside the value", []span{value}, 13, 15, `  secret = "(sensitive)" # note`, `(sensitive)`},
		{"an empty highlight in it", []span{value}, 14, 14, `  secret = "(sensitive)" # note`, `(sensitive)`},
		{"before it", []span{value}, 2, 8, `  secret = "(sensitive)" # note`, "secret"},
		{"after it", []span{value}, 20, 26, `  secret = "(sensitive)" # note`, "# note"},
		{"across its start", []span{value}, 9, 14, `  secret = "(sensitive)" # note`, `= "(sensitive)`},
		{"ending where it starts", []span{value}, 2, 12, `  secret = "(sensitive)" # note`, `secret = "`},
		{"starting where it ends", []span{value}, 18, 19, `  secret = "(sensitive)" # note`, `"`},
		{"touching spans are one", []span{{15, 18}, {12, 15}}, 11, 19, `  secret = "(sensitive)" # note`, `"(sensitive)"`},
		{"overlapping spans are one", []span{{12, 16}, {14, 18}}, 11, 19, `  secret = "(sensitive)" # note`, `"(sensitive)"`},
		{"two apart", []span{{2, 8}, value}, 0, 26, `  (sensitive) = "(sensitive)" # note`, `  (sensitive) = "(sensitive)" # note`},
		{"empty and outside spans", []span{{5, 5}, {40, 50}, {-3, -1}}, 2, 8, line, "secret"},
		{"a span past the end is cut", []span{{20, 99}}, 2, 8, `  secret = "abc123" (sensitive)`, "secret"},
		{"a highlight past the end is cut", nil, 20, 99, line, "# note"},
	} {
		got, from, to := maskLine(line, tc.spans, tc.from, tc.to)
		if got != tc.want {
			t.Errorf("%s: %q; want %q", tc.name, got, tc.want)
			continue
		}
		if from < 0 || from > to || to > len(got) || got[from:to] != tc.under {
			t.Errorf("%s: highlight [%d, %d) of %q; want it on %q", tc.name, from, to, got, tc.under)
		}
	}
}

// A span that cuts a character takes all of it: the line stays UTF-8.
func TestMaskLineWidensToCharacters(t *testing.T) {
	line := `token = "密码是秘密"`
	i := strings.Index(line, "码") + 1 // inside 码
	got, _, _ := maskLine(line, []span{{i, i + 4}}, 0, 0)
	if want := `token = "密(sensitive)秘密"`; got != want {
		t.Errorf("%q; want %q", got, want)
	}
}

// FuzzMaskLine checks maskLine against a plainer model: mark every byte
// a span covers (widened to whole characters), replace each run of
// marked bytes with the mask. The highlight must stay inside the line,
// in order, and, when it was on whole characters, stay on them and show
// its text unchanged unless a span touches it.
func FuzzMaskLine(f *testing.F) {
	f.Add(`  secret = "abc123" # note`, 12, 18, 30, 31, 11, 19)
	f.Add(`token = "密码是秘密"`, 10, 12, 12, 20, 0, 5)
	f.Add("", 0, 1, -1, 2, 0, 0)
	f.Fuzz(func(t *testing.T, line string, a, b, c, d, from, to int) {
		spans := []span{{a, b}, {c, d}}
		got, gf, gt := maskLine(line, spans, from, to)
		if want := maskModel(line, spans); got != want {
			t.Fatalf("maskLine(%q, %v) = %q; the model says %q", line, spans, got, want)
		}
		if gf < 0 || gf > gt || gt > len(got) {
			t.Fatalf("highlight [%d, %d) outside %q", gf, gt, got)
		}
		if utf8.ValidString(line) && !utf8.ValidString(got) {
			t.Fatalf("%q masked into invalid UTF-8 %q", line, got)
		}
		from = min(max(from, 0), len(line))
		to = min(max(to, from), len(line))
		if !utf8.ValidString(line[:from]) || !utf8.ValidString(line[from:to]) || !utf8.ValidString(line[to:]) {
			return // no text of whole characters to keep
		}
		if !utf8.ValidString(got[:gf]) || !utf8.ValidString(got[gf:gt]) {
			t.Fatalf("highlight [%d, %d) cuts a character of %q", gf, gt, got)
		}
		if !touches(line, spans, from, to) && got[gf:gt] != line[from:to] {
			t.Fatalf("highlight %q of %q became %q in %q", line[from:to], line, got[gf:gt], got)
		}
	})
}

// maskModel marks the bytes the spans cover and masks each run of them.
func maskModel(line string, spans []span) string {
	marked := make([]bool, len(line))
	for _, s := range spans {
		from, to := min(max(s.from, 0), len(line)), min(max(s.to, 0), len(line))
		if from >= to {
			continue
		}
		for from > 0 && !utf8.RuneStart(line[from]) {
			from--
		}
		for to < len(line) && !utf8.RuneStart(line[to]) {
			to++
		}
		for i := from; i < to; i++ {
			marked[i] = true
		}
	}
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		if !marked[i] {
			b.WriteByte(line[i])
			continue
		}
		if i == 0 || !marked[i-1] {
			b.WriteString(Redacted)
		}
	}
	return b.String()
}

// touches is whether a span, widened as maskModel widens it, shares a
// byte with [from, to) or lies inside an empty one.
func touches(line string, spans []span, from, to int) bool {
	for _, s := range spans {
		a, b := min(max(s.from, 0), len(line)), min(max(s.to, 0), len(line))
		if a >= b {
			continue
		}
		for a > 0 && !utf8.RuneStart(line[a]) {
			a--
		}
		for b < len(line) && !utf8.RuneStart(line[b]) {
			b++
		}
		if a < to && from < b || from == to && a < from && from < b {
			return true
		}
	}
	return false
}
