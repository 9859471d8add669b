// Package termsafe keeps text that members wrote from acting on the
// operator's terminal. Names, messages and platform errors reach hearth's
// output (member show, outbox list, local show); printed as they are, an
// escape sequence in one could clear the screen, set the window title,
// write the clipboard (OSC 52) or hide the lines after it. A Writer
// passes hearth's own colors through and shows every other control
// character as an escape, such as \x1b. Field goes further for a value
// printed as one field of a line, terminal or not: its line breaks and
// bidirectional overrides are escapes too, so a name cannot forge a line.
package termsafe

import (
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// maxSeq bounds an escape sequence held back for the next Write: longer
// ones are not hearth's.
const maxSeq = 16

// Writer filters what it writes to a terminal. It is safe for
// concurrent use, as the os.File it stands for is: the daemon's log and
// its messages write to one stderr.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
	// held is the end of the last Write that may begin a sequence or a
	// character the next Write completes.
	held []byte
	out  []byte // reused between writes
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes p with every control character shown as text but line
// feeds, tabs, hearth's colors (SGR sequences of the codes it uses),
// erase-line, and a carriage return that starts a write (a progress
// line) or ends a line.
func (t *Writer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	startsWrite := len(t.held) == 0
	buf := append(t.held, p...)
	t.held = nil
	t.out = t.out[:0]
	for i := 0; i < len(buf); {
		c := buf[i]
		switch {
		case c == '\n' || c == '\t' || c >= 0x20 && c < 0x7f:
			t.out = append(t.out, c)
			i++
		case c == '\r':
			switch {
			case i == len(buf)-1:
				// A line end may follow in the next write.
				t.held = append(t.held, c)
			case i == 0 && startsWrite, buf[i+1] == '\n':
				t.out = append(t.out, c)
			default:
				t.out = append(t.out, `\r`...)
			}
			i++
		case c == 0x1b:
			n, ok, complete := ownSequence(buf[i:])
			switch {
			case !complete:
				t.held = append(t.held, buf[i:]...)
				i = len(buf)
			case ok:
				t.out = append(t.out, buf[i:i+n]...)
				i += n
			default:
				t.out = append(t.out, `\x1b`...)
				i++
			}
		case c < 0x80:
			t.out = fmt.Appendf(t.out, `\x%02x`, c)
			i++
		default:
			r, size := utf8.DecodeRune(buf[i:])
			switch {
			case r == utf8.RuneError && size <= 1 && !utf8.FullRune(buf[i:]):
				t.held = append(t.held, buf[i:]...)
				i = len(buf)
				continue
			case r == utf8.RuneError && size <= 1:
				t.out = fmt.Appendf(t.out, `\x%02x`, c)
			case r >= 0x80 && r <= 0x9f:
				// C1 controls: U+009B is a CSI on terminals that read them.
				t.out = fmt.Appendf(t.out, `\u%04x`, r)
			default:
				t.out = append(t.out, buf[i:i+size]...)
			}
			i += size
		}
	}
	if len(t.out) > 0 {
		if _, err := t.w.Write(t.out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// ownSequence says whether b starts with an escape sequence hearth
// writes itself, and its length: SGR with the codes of its colors and
// styles, or erase to the end of the line. complete is false while b
// may be the beginning of one.
func ownSequence(b []byte) (n int, ok, complete bool) {
	if len(b) < 2 {
		return 0, false, len(b) >= maxSeq
	}
	if b[1] != '[' {
		return 0, false, true
	}
	param := 0
	digits := 0
	for i := 2; i < len(b) && i < maxSeq; i++ {
		switch c := b[i]; {
		case c >= '0' && c <= '9':
			param = param*10 + int(c-'0')
			digits++
			if digits > 2 {
				return 0, false, true
			}
		case c == ';' || c == 'm':
			if !sgrCode(param) {
				return 0, false, true
			}
			if c == 'm' {
				return i + 1, true, true
			}
			param, digits = 0, 0
		case c == 'K':
			return i + 1, i == 2, true
		default:
			return 0, false, true
		}
	}
	return 0, false, len(b) >= maxSeq
}

// sgrCode is a code of hearth's own output: reset, bold, underline, and
// the foreground colors red, green, yellow and magenta. Others (hidden
// text, a background the color of the text) are not let through.
func sgrCode(p int) bool {
	switch p {
	case 0, 1, 4, 31, 32, 33, 35:
		return true
	}
	return false
}
