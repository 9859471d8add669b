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
// case. Chinese, Japanese and Korean are written without spaces between
// words, so a phrase with such characters matches anywhere as a
// substring; any other phrase matches only as whole words, so "ass"
// does not match "class".
type Lexicon struct {
	entries []entry
}

type entry struct {
	phrase string // lower case
	locale string
	cjk    bool
}

// Hit is one phrase found in a text.
type Hit struct {
	Phrase string // as listed
	Locale string
	Text   string // the span as written in the text
	Start  int    // byte offsets into the text
	End    int
}

// NewLexicon compiles per-locale lists. Empty phrases are ignored.
func NewLexicon(lists map[string][]string) *Lexicon {
	l := &Lexicon{}
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
			low, _ := lower(p)
			l.entries = append(l.entries, entry{phrase: low, locale: loc, cjk: hasCJK(p)})
		}
	}
	return l
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

// lower lowers s rune by rune and maps every byte of the result to the
// byte of s it came from (one past the end maps to len(s)), so spans
// found in the lowered text point into the original.
func lower(s string) (string, []int) {
	var b strings.Builder
	b.Grow(len(s))
	idx := make([]int, 0, len(s)+1)
	for i, r := range s {
		n := b.Len()
		b.WriteRune(unicode.ToLower(r))
		for range b.Len() - n {
			idx = append(idx, i)
		}
	}
	idx = append(idx, len(s))
	return b.String(), idx
}

// wordRune is a rune that continues a word of a spaced script.
func wordRune(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || unicode.Is(unicode.Mn, r)) && !IsCJK(r)
}

// Find returns every phrase found in text, in order of position.
func (l *Lexicon) Find(text string) []Hit {
	if len(l.entries) == 0 || text == "" {
		return nil
	}
	low, idx := lower(text)
	var hits []Hit
	for _, e := range l.entries {
		from := 0
		for from <= len(low) {
			i := strings.Index(low[from:], e.phrase)
			if i < 0 {
				break
			}
			start, end := from+i, from+i+len(e.phrase)
			if e.cjk || boundary(low, start, end) {
				hits = append(hits, Hit{Phrase: e.phrase, Locale: e.locale, Text: text[idx[start]:idx[end]], Start: idx[start], End: idx[end]})
			}
			_, size := utf8.DecodeRuneInString(low[start:])
			from = start + max(size, 1)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Start < hits[j].Start })
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
