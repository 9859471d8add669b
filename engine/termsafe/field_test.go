package termsafe

import (
	"strings"
	"testing"
)

// A field prints on one line, whatever a member put in it: line breaks,
// controls, bidirectional overrides and invalid bytes are escapes;
// letters of every script, marks and the right-to-left mark stay.
func TestField(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain", "Ada Lovelace", "Ada Lovelace"},
		{"unicode and the RTL mark", "名前 דני\u200f é", "名前 דני\u200f é"},
		{"empty", "", ""},
		{"a forged field line", "Bob\r\n  tier core", `Bob\r\n  tier core`},
		{"line feed", "a\nb", `a\nb`},
		{"tab", "a\tb", `a\tb`},
		{"vertical tab and form feed", "a\vb\fc", `a\x0bb\x0cc`},
		{"escape sequence", "Eve\x1b]0;pwned\x07", `Eve\x1b]0;pwned\x07`},
		{"delete", "a\x7f", `a\x7f`},
		{"next line (C1)", "a\u0085b", `a\u0085b`},
		{"C1 CSI", "a\u009b2J", `a\u009b2J`},
		{"line separator", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"right-to-left override", "Eve\u202e eroc reit", `Eve\u202e eroc reit`},
		{"embeddings and isolates", "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069", `\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"a backslash stays", `C:\temp`, `C:\temp`},
	} {
		got := Field(c.in)
		if got != c.want {
			t.Errorf("%s: Field(%q) = %q; want %q", c.name, c.in, got, c.want)
		}
		if IsField(c.in) != (c.in == c.want) {
			t.Errorf("%s: IsField(%q) = %v", c.name, c.in, IsField(c.in))
		}
		if strings.ContainsAny(got, "\n\r\x1b\u2028\u202e") {
			t.Errorf("%s: Field(%q) = %q still breaks the line or reorders it", c.name, c.in, got)
		}
	}
}
