package termsafe

import (
	"bytes"
	"testing"
)

func TestWriter(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain text and unicode", "Member ada, 名前 דני\u200f\tok\n", "Member ada, 名前 דני\u200f\tok\n"},
		{"hearth's colors", "\x1b[1m\x1b[31mError:\x1b[0m x\n\x1b[32;1mok\x1b[0m", "\x1b[1m\x1b[31mError:\x1b[0m x\n\x1b[32;1mok\x1b[0m"},
		{"erase line", "\r\x1b[K", "\r\x1b[K"},
		{"clear screen", "Eve\x1b[2J", `Eve\x1b[2J`},
		{"window title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"clipboard", "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07", `\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07`},
		{"hidden text", "a\x1b[8mb", `a\x1b[8mb`},
		{"black on black", "a\x1b[30;40mb", `a\x1b[30;40mb`},
		{"cursor up", "a\x1b[1Ab", `a\x1b[1Ab`},
		{"C1 CSI", "a\u009b2Jb", `a\u009b2Jb`},
		{"lone byte", "a\x9bb", `a\x9bb`},
		{"backspace and bell", "ab\x08\x08\x07", `ab\x08\x08\x07`},
		{"carriage return inside a line", "Member Eve\rAdmin\n", `Member Eve\rAdmin` + "\n"},
		{"line ends", "a\r\nb\r\n", "a\r\nb\r\n"},
		{"progress line", "\r  applied 10 events", "\r  applied 10 events"},
		{"delete", "a\x7fb", `a\x7fb`},
	}
	for _, c := range cases {
		var b bytes.Buffer
		w := NewWriter(&b)
		if n, err := w.Write([]byte(c.in)); err != nil || n != len(c.in) {
			t.Errorf("%s: Write = %d, %v", c.name, n, err)
		}
		if b.String() != c.want {
			t.Errorf("%s: wrote %q; want %q", c.name, b.String(), c.want)
		}
	}
}

// A sequence or a character split between two writes is judged whole.
func TestWriterAcrossWrites(t *testing.T) {
	cases := []struct {
		parts []string
		want  string
	}{
		{[]string{"a\x1b[3", "1mred\x1b[0m"}, "a\x1b[31mred\x1b[0m"},
		{[]string{"a\x1b", "]0;t\x07"}, `a\x1b]0;t\x07`},
		{[]string{"名"[:2], "名"[2:] + "!"}, "名!"},
		{[]string{"a\r", "\nb"}, "a\r\nb"},
		{[]string{"a\r", "b"}, `a\rb`},
	}
	for _, c := range cases {
		var b bytes.Buffer
		w := NewWriter(&b)
		for _, p := range c.parts {
			if _, err := w.Write([]byte(p)); err != nil {
				t.Fatal(err)
			}
		}
		if b.String() != c.want {
			t.Errorf("%q: wrote %q; want %q", c.parts, b.String(), c.want)
		}
	}
}
