// Package textwidth measures text as a terminal shows it and lines up
// tables by that measure. Go's text/tabwriter counts code points, so a
// column of Chinese, Japanese or Korean names (two cells each in a
// terminal) pushes the columns after it out of line; WeCom, Feishu and
// DingTalk communities name badges, segments and members in Chinese.
package textwidth

import (
	"bytes"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Width is how many terminal cells s takes: two for East Asian wide and
// fullwidth characters (CJK ideographs, kana, hangul, fullwidth forms,
// most emoji), none for combining marks, zero-width and control
// characters, one for the rest. Ambiguous characters (Greek, Cyrillic,
// box drawing) count one, as terminals outside East Asian locales show
// them.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += RuneWidth(r)
	}
	return n
}

// RuneWidth is Width of one rune.
func RuneWidth(r rune) int {
	switch {
	case r == utf8.RuneError:
		return 1
	case r < 0x20 || (r >= 0x7f && r < 0xa0):
		return 0
	case r == 0x200b || r == 0x200c || r == 0x200d || r == 0x2060 || r == 0xfeff:
		return 0 // zero-width space, joiners, word joiner, BOM
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r):
		return 0 // combining marks sit on the character before
	case unicode.Is(unicode.Variation_Selector, r):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// PadRight returns s followed by spaces up to n cells.
func PadRight(s string, n int) string {
	if w := Width(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// Flags change how a TabWriter lays out cells.
type Flags uint

// AlignRight puts each cell's padding before it, for columns of numbers.
const AlignRight Flags = 1

// TabWriter lines up tab-terminated cells in columns, as text/tabwriter
// does with padchar ' ', minwidth 0 and the given padding, but measuring
// cells with Width. Like text/tabwriter, a column is aligned over a run
// of consecutive lines that have a cell in it, and the last cell of a
// line (the text after its last tab) is not part of any column. Text is
// buffered until Flush.
type TabWriter struct {
	w       io.Writer
	padding int
	flags   Flags
	buf     bytes.Buffer
}

// NewTabWriter returns a TabWriter writing to w with padding spaces
// between columns.
func NewTabWriter(w io.Writer, padding int, flags Flags) *TabWriter {
	return &TabWriter{w: w, padding: padding, flags: flags}
}

// Write buffers p.
func (t *TabWriter) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes what was buffered, aligned, and empties the buffer.
func (t *TabWriter) Flush() error {
	text := t.buf.String()
	t.buf.Reset()
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	cells := make([][]string, len(lines))
	for i, l := range lines {
		cells[i] = strings.Split(l, "\t")
	}
	// text/tabwriter ends the unterminated last line at its last tab: an
	// empty cell after it is no cell, so the one before is the last.
	if last := cells[len(cells)-1]; len(last) > 1 && last[len(last)-1] == "" {
		cells[len(cells)-1] = last[:len(last)-1]
	}
	var out strings.Builder
	t.format(&out, cells, nil, 0, len(cells))
	_, err := io.WriteString(t.w, out.String())
	return err
}

// format writes lines[from:to], whose columns before len(widths) have
// those widths, finding the blocks of the next column.
func (t *TabWriter) format(out *strings.Builder, lines [][]string, widths []int, from, to int) {
	col := len(widths)
	start := from
	for i := from; i < to; i++ {
		if col >= len(lines[i])-1 {
			continue // no cell in this column
		}
		t.write(out, lines, widths, start, i)
		// A block: the run of lines from i with a cell in this column.
		w, end := 0, i
		for ; end < to && col < len(lines[end])-1; end++ {
			w = max(w, Width(lines[end][col])+t.padding)
		}
		t.format(out, lines, append(widths, w), i, end)
		start, i = end, end-1
	}
	t.write(out, lines, widths, start, to)
}

// write writes lines[from:to] with the column widths known.
func (t *TabWriter) write(out *strings.Builder, lines [][]string, widths []int, from, to int) {
	for i := from; i < to; i++ {
		for j, c := range lines[i] {
			pad := ""
			if j < len(widths) {
				pad = strings.Repeat(" ", max(widths[j]-Width(c), 0))
			}
			if t.flags&AlignRight != 0 && c != "" {
				out.WriteString(pad + c)
			} else {
				out.WriteString(c + pad)
			}
		}
		if i+1 < len(lines) {
			out.WriteByte('\n')
		}
	}
}
