package textwidth

import (
	"math/rand/v2"
	"strings"
	"testing"
	"text/tabwriter"
)

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{
		"":            0,
		"abc":         3,
		"首次发言":        8,
		"ｈｅｌｌｏ":       10, // fullwidth Latin
		"にほん":         6,
		"한국어":         6,
		"café":        4,
		"cafe\u0301":  4, // e and a combining acute
		"a\u200db":    2,
		"Ωμέγα":       5, // ambiguous Greek: one cell each
		"😀":           2,
		"tab\there":   7,
		"bronze 铜牌 ✓": 13, // the check mark is one cell
	} {
		if got := Width(s); got != want {
			t.Errorf("Width(%q) = %d; want %d", s, got, want)
		}
	}
}

// tabwrite lays text out with text/tabwriter, which this package must
// match wherever every character is one cell wide.
func tabwrite(text string, flags uint) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', flags)
	_, _ = tw.Write([]byte(text))
	_ = tw.Flush()
	return b.String()
}

func ours(text string, flags Flags) string {
	var b strings.Builder
	tw := NewTabWriter(&b, 2, flags)
	_, _ = tw.Write([]byte(text))
	_ = tw.Flush()
	return b.String()
}

// With one-cell characters the layout is text/tabwriter's: random tables
// of ragged rows, blank lines and lines without tabs, left and right
// aligned.
func TestSameAsTabwriter(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	words := []string{"", "a", "bb", "ccc", "dddd dd", "12", "3456", "x"}
	for i := range 2000 {
		var b strings.Builder
		for range rng.IntN(8) {
			for range rng.IntN(5) {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteByte('\t')
			}
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(6) > 0 {
				b.WriteByte('\n')
			}
		}
		text := b.String()
		if got, want := ours(text, 0), tabwrite(text, 0); got != want {
			t.Fatalf("case %d, %q:\ngot:\n%s\nwant (text/tabwriter):\n%s", i, text, got, want)
		}
		if got, want := ours(text, AlignRight), tabwrite(text, tabwriter.AlignRight); got != want {
			t.Fatalf("case %d right-aligned, %q:\ngot:\n%s\nwant (text/tabwriter):\n%s", i, text, got, want)
		}
	}
}

// Wide characters line up by the cells they take.
func TestWideColumns(t *testing.T) {
	got := ours("  首次发言\t12\t3\n  first_post\t4\t5\n  ｈｉ\t6\t7\n", 0)
	want := "" +
		"  首次发言    12  3\n" +
		"  first_post  4   5\n" +
		"  ｈｉ        6   7\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if i := strings.Index(l, "1"); i >= 0 && Width(l[:i]) != 14 {
			t.Errorf("line %q: the second column starts at cell %d; want 14", l, Width(l[:i]))
		}
	}
	if got := ours("名\t1\nname\t22\n", AlignRight); got != "    名1\n  name22\n" {
		t.Errorf("right-aligned:\n%q", got)
	}
}

func TestPadRight(t *testing.T) {
	if got := PadRight("铜牌", 6); got != "铜牌  " {
		t.Errorf("PadRight = %q", got)
	}
	if got := PadRight("toolong", 3); got != "toolong" {
		t.Errorf("PadRight = %q", got)
	}
}
