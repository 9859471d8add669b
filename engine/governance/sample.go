package governance

import (
	"maps"
	"regexp/syntax"
	"slices"
	"strings"
	"time"
)

// Sample is the evidence of a message the rule matches at at, for a
// preview of the message a decision sends (hearth template render): a
// message is made to match the rule's first check (its first keyword,
// in locale when it has some there; a text its first pattern matches;
// links or mentions at the limit; one message past its rate), and the
// rule's own Detect says what matched, so the evidence reads as a real
// match's. A rule with no checks matches by its when (RuleEvidence). ok
// is false when no message could be made to match.
func (r *Rule) Sample(locale string, at time.Time) (Evidence, bool) {
	m := r.Config
	var tries []Message
	if len(m.Keywords) > 0 {
		loc := locale
		if len(m.Keywords[loc]) == 0 {
			loc = slices.Sorted(maps.Keys(m.Keywords))[0]
		}
		if words := m.Keywords[loc]; len(words) > 0 {
			tries = append(tries, Message{Text: words[0], Links: -1, Mentions: -1, At: at})
		}
	}
	for _, p := range m.Patterns {
		if text, ok := matching(p); ok {
			tries = append(tries, Message{Text: text, Links: -1, Mentions: -1, At: at})
			break
		}
	}
	if m.Links > 0 {
		tries = append(tries, Message{Links: m.Links, Mentions: 0, At: at})
	}
	if m.Mentions > 0 {
		tries = append(tries, Message{Links: 0, Mentions: m.Mentions, At: at})
	}
	if m.Rate != nil {
		// As many messages as the rate allows, just now: this one is
		// past it.
		tries = append(tries, Message{Links: 0, Mentions: 0, At: at, Recent: slices.Repeat([]time.Time{at}, m.Rate.Count)})
	}
	for _, msg := range tries {
		if ev, ok := r.Detect(msg); ok {
			return ev, true
		}
	}
	if r.Detectors() {
		return Evidence{}, false
	}
	if m.When != nil {
		return RuleEvidence(m.When.Source), true
	}
	if len(m.On) > 0 {
		return EventEvidence(m.On[0]), true
	}
	return Evidence{}, true
}

// RuleEvidence is the evidence of a rule whose when held: a rule with no
// checks of its own matches by it.
func RuleEvidence(when string) Evidence {
	return Evidence{Kind: "rule", Phrase: when}
}

// EventEvidence is the evidence of a rule with no checks and no when,
// on events other than messages: the event itself (a join) matched.
func EventEvidence(eventType string) Evidence {
	return Evidence{Kind: "event", Phrase: eventType}
}

// matching is a short text the pattern matches, or false when none is
// found: each part of the pattern written once (an alternation's first
// branch, a repeat its least times, a class a letter, digit or space it
// holds), which Detect then checks.
func matching(pattern string) (string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	if !writeMatch(&b, re.Simplify()) {
		return "", false
	}
	return b.String(), b.Len() > 0
}

// classPicks are the runes a character class is written with, in the
// order they are tried: what reads as ordinary text first.
const classPicks = "ax0 1.-_/:@"

func writeMatch(b *strings.Builder, re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpNoMatch:
		return false
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			// (?i) keeps its literals in upper case; people write lower.
			b.WriteString(strings.ToLower(string(re.Rune)))
		} else {
			b.WriteString(string(re.Rune))
		}
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return false
		}
		pick := re.Rune[0]
		for _, c := range classPicks {
			if inClass(re.Rune, c) {
				pick = c
				break
			}
		}
		b.WriteRune(pick)
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte('x')
	case syntax.OpCapture, syntax.OpPlus:
		return writeMatch(b, re.Sub[0])
	case syntax.OpRepeat:
		for range re.Min {
			if !writeMatch(b, re.Sub[0]) {
				return false
			}
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !writeMatch(b, sub) {
				return false
			}
		}
	case syntax.OpAlternate:
		return writeMatch(b, re.Sub[0])
	}
	// Empty matches, anchors, boundaries, star and quest: nothing.
	return true
}

// inClass reports whether c is in a class's ranges (lo, hi pairs).
func inClass(ranges []rune, c rune) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] <= c && c <= ranges[i+1] {
			return true
		}
	}
	return false
}
