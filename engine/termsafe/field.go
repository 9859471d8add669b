package termsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Field is s made safe to print as one field of a line, on a terminal or
// into a file: a member's name in "Member u1, NAME", a cell of a table.
// Line breaks (\n, \r, \v, \f, U+0085, U+2028, U+2029), tabs and every
// other control character are shown as escapes (\n, \r, \t, \x1b,
// \u2028), as are the bidirectional embeddings, overrides and isolates
// (U+202A-U+202E, U+2066-U+2069), which would reorder the rest of the
// line, and bytes that are not UTF-8. So a name "Bob\r\n  tier core"
// cannot print a line of its own, and one with U+202E cannot show the
// fields after it reversed. The marks (U+200E, U+200F, U+061C) stay:
// names written right to left use them, and they move no other text.
// A string that needs none of this is returned as it is.
func Field(s string) string {
	i := unsafeAt(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// IsField reports whether s prints as one field as it is (Field(s) == s).
func IsField(s string) bool { return unsafeAt(s) < 0 }

// unsafeAt is the index of the first byte of s that Field escapes, or -1.
func unsafeAt(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// unsafeRune reports whether a rune beyond ASCII breaks a line, is a C1
// control, or reorders the text after it.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls, NEL (U+0085) among them
		return true
	case r == '\u2028' || r == '\u2029': // line and paragraph separators
		return true
	case r >= '\u202a' && r <= '\u202e': // embeddings and overrides
		return true
	case r >= '\u2066' && r <= '\u2069': // isolates
		return true
	}
	return false
}
