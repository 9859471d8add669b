package plan

import (
	"strings"
	"testing"
)

// A quoted value is cut by terminal cells: 30 Chinese characters fill
// the 60 cells 60 Latin letters do, so 40 of them are a long text shown
// as a line diff, and a quote of them stops at 30.
func TestQuoteByDisplayWidth(t *testing.T) {
	if long(strings.Repeat("新", 30)) || !long(strings.Repeat("新", 31)) || long(strings.Repeat("a", 60)) || !long(strings.Repeat("a", 61)) {
		t.Error("long does not count two cells for a Chinese character")
	}
	if got, want := quote(strings.Repeat("新", 40)), `"`+strings.Repeat("新", 30)+`"...`; got != want {
		t.Errorf("quote = %s; want %s", got, want)
	}
	if got, want := quote(strings.Repeat("a", 70)), `"`+strings.Repeat("a", 60)+`"...`; got != want {
		t.Errorf("quote = %s; want %s", got, want)
	}
	if got := quote("短"); got != `"短"` {
		t.Errorf("quote = %s", got)
	}
}

// A line break, shown escaped, counts as a character, as it always has.
func TestQuoteCountsEscapes(t *testing.T) {
	s := strings.Repeat("a", 30) + "\n" + strings.Repeat("b", 40)
	if got, want := quote(s), `"`+strings.Repeat("a", 30)+`\n`+strings.Repeat("b", 29)+`"...`; got != want {
		t.Errorf("quote = %s; want %s", got, want)
	}
}
