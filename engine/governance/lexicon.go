// Package governance decides what the moderation rules of a community do
// with a message: which rule matches and on what evidence (the matched
// span, a count), how many strikes that adds, which rung of the
// violation ladder it reaches, and how strikes decay and are pardoned.
// It holds no state of its own: the runtime keeps the member's record
// and turns decisions into outbox actions.
package governance

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lexicon finds words and phrases from per-locale lists in text, ignoring
// case, spacing and full-width forms (see fold). Chinese, Japanese and Korean are written without spaces between
// words, so a phrase with such characters matches anywhere as a
// substring; any other phrase matches only as whole words, so "ass"
// does not match "class". All phrases are found in one pass over the
// text (an Aho-Corasick automaton over the lowered bytes), so a long
// list costs little more than a short one.
type Lexicon struct {
	entries []entry
	nodes   []node
	root    [256]int32 // the root's edges, by byte: the hot path
}

type entry struct {
	phrase string // lower case
	locale string
	cjk    bool
}

// node is a state of the automaton: the phrase prefix spelled by the path
// to it.
type node struct {
	edges []edge
	fail  int32 // the longest proper suffix that is also a prefix
	dict  int32 // the nearest suffix state that ends a phrase, -1 none
	ends  []int32
}

type edge struct {
	b  byte
	to int32
}

func (l *Lexicon) step(s int32, b byte) int32 {
	if s == 0 {
		return l.root[b]
	}
	for _, e := range l.nodes[s].edges {
		if e.b == b {
			return e.to
		}
	}
	return -1
}

// Hit is one phrase found in a text.
type Hit struct {
	Phrase string // as listed
	Locale string
	Text   string // the span as written in the text
	Start  int    // byte offsets into the text
	End    int
	entry  int
}

// NewLexicon compiles per-locale lists. Empty phrases are ignored.
func NewLexicon(lists map[string][]string) *Lexicon {
	l := &Lexicon{nodes: []node{{dict: -1}}}
	locales := make([]string, 0, len(lists))
	for loc := range lists {
		locales = append(locales, loc)
	}
	sort.Strings(locales)
	for _, loc := range locales {
		for _, p := range lists[loc] {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			low, _ := fold(p)
			if low == "" {
				continue // only invisible characters
			}
			l.entries = append(l.entries, entry{phrase: low, locale: loc, cjk: hasCJK(p)})
		}
	}
	l.build()
	return l
}

// build makes the trie of the phrases, then the failure and dictionary
// links breadth first.
func (l *Lexicon) build() {
	for i := range l.root {
		l.root[i] = -1
	}
	for i, e := range l.entries {
		s := int32(0)
		for j := 0; j < len(e.phrase); j++ {
			next := l.step(s, e.phrase[j])
			if next < 0 {
				next = int32(len(l.nodes))
				l.nodes = append(l.nodes, node{dict: -1})
				if s == 0 {
					l.root[e.phrase[j]] = next
				} else {
					l.nodes[s].edges = append(l.nodes[s].edges, edge{e.phrase[j], next})
				}
			}
			s = next
		}
		l.nodes[s].ends = append(l.nodes[s].ends, int32(i))
	}
	var queue []int32
	for b := range l.root {
		if t := l.root[b]; t > 0 {
			l.nodes[t].fail = 0
			queue = append(queue, t)
		} else {
			l.root[b] = 0 // no edge: stay at the root
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, e := range l.nodes[s].edges {
			f := l.nodes[s].fail
			for f != 0 && l.step(f, e.b) < 0 {
				f = l.nodes[f].fail
			}
			target := l.step(f, e.b)
			if target < 0 || target == e.to {
				target = 0
			}
			l.nodes[e.to].fail = target
			if len(l.nodes[target].ends) > 0 {
				l.nodes[e.to].dict = target
			} else {
				l.nodes[e.to].dict = l.nodes[target].dict
			}
			queue = append(queue, e.to)
		}
	}
}

// Len is the number of phrases.
func (l *Lexicon) Len() int { return len(l.entries) }

// IsCJK reports whether r belongs to a script written without spaces
// between words.
func IsCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func hasCJK(s string) bool {
	for _, r := range s {
		if IsCJK(r) {
			return true
		}
	}
	return false
}

// fold is the form phrases and texts are compared in, so that spacing
// and look-alike characters do not hide a phrase from the list: lower
// case; full-width letters, digits and signs (typed by Chinese and
// Japanese input methods) as ASCII; every run of spaces, line breaks and
// other Unicode spaces as one space, or none between two Chinese or
// Japanese characters ("加 微 信" is "加微信"); invisible format
// characters (zero-width spaces and joiners, soft hyphens) left out.
// idx maps every byte of the result to the start of the rune of s it
// came from, and idx[len(result)] is len(s).
func fold(s string) (string, []int) {
	var b strings.Builder
	b.Grow(len(s))
	idx := make([]int, 0, len(s)+1)
	space := -1   // where a run of spaces not yet written began
	var prev rune // the last rune written
	put := func(r rune, at int) {
		n := b.Len()
		b.WriteRune(r)
		for range b.Len() - n {
			idx = append(idx, at)
		}
		prev = r
	}
	for i, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if r == ' ' || (r >= '\t' && r <= '\r') {
				if space < 0 {
					space = i
				}
				continue
			}
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
		case unicode.IsSpace(r):
			if space < 0 {
				space = i
			}
			continue
		case unicode.Is(unicode.Cf, r):
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			r = unicode.ToLower(r - 0xFF01 + '!')
		default:
			r = unicode.ToLower(r)
		}
		if space >= 0 {
			if prev != 0 && !(unspaced(prev) && unspaced(r)) {
				put(' ', space)
			}
			space = -1
		}
		put(r, i)
	}
	idx = append(idx, len(s))
	return b.String(), idx
}

// unspaced is a rune of Chinese or Japanese, where a space between two
// characters separates no words. Korean puts spaces between words, so
// Hangul is not one.
func unspaced(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// span is where the folded bytes low[start:end] come from in s.
func span(s string, idx []int, start, end int) (int, int) {
	last := idx[end-1]
	_, n := utf8.DecodeRuneInString(s[last:])
	return idx[start], last + n
}

// wordRune is a rune that continues a word of a spaced script.
func wordRune(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || unicode.Is(unicode.Mn, r)) && !IsCJK(r)
}

// Find returns every phrase found in text, in order of position (and of
// the lists, for phrases starting at the same place).
func (l *Lexicon) Find(text string) []Hit {
	if len(l.entries) == 0 || text == "" {
		return nil
	}
	low, idx := fold(text)
	var hits []Hit
	s := int32(0)
	for i := 0; i < len(low); i++ {
		b := low[i]
		next := l.step(s, b)
		for next < 0 {
			s = l.nodes[s].fail
			next = l.step(s, b)
		}
		s = next
		for out := s; out > 0; out = l.nodes[out].dict {
			for _, ei := range l.nodes[out].ends {
				e := l.entries[ei]
				start, end := i+1-len(e.phrase), i+1
				if e.cjk || boundary(low, start, end) {
					from, to := span(text, idx, start, end)
					hits = append(hits, Hit{Phrase: e.phrase, Locale: e.locale, Text: text[from:to], Start: from, End: to, entry: int(ei)})
				}
			}
			if l.nodes[out].dict < 0 {
				break
			}
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Start != hits[j].Start {
			return hits[i].Start < hits[j].Start
		}
		return hits[i].entry < hits[j].entry
	})
	return hits
}

// First returns the earliest phrase found in text.
func (l *Lexicon) First(text string) (Hit, bool) {
	hits := l.Find(text)
	if len(hits) == 0 {
		return Hit{}, false
	}
	return hits[0], true
}

// boundary reports whether low[start:end] stands as whole words: the
// phrase's own edges are word edges only where it has word runes there.
func boundary(low string, start, end int) bool {
	if start > 0 {
		before, _ := utf8.DecodeLastRuneInString(low[:start])
		first, _ := utf8.DecodeRuneInString(low[start:])
		if wordRune(before) && wordRune(first) {
			return false
		}
	}
	if end < len(low) {
		after, _ := utf8.DecodeRuneInString(low[end:])
		last, _ := utf8.DecodeLastRuneInString(low[:end])
		if wordRune(after) && wordRune(last) {
			return false
		}
	}
	return true
}
