package config

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/hashicorp/hcl/v2"
)

// ChannelNames describes the channel names a platform keeps as they are
// written (PlatformSpec.ChannelNames).
type ChannelNames struct {
	// What says what the platform does to other names, for messages:
	// "Discord keeps text channel names in lower case ...".
	What string
	// Max is the most characters a name may have; 0 is no limit.
	Max int
	// Lower says the platform keeps names in lower case.
	Lower bool
	// Sep, when set, is what the platform puts for spaces, and for the
	// characters Spaced reports.
	Sep    rune
	Spaced func(r rune) bool
	// Keep, when set, reports whether a character stays in a name as
	// it is; the platform drops the others (spaces aside, with Sep).
	Keep func(r rune) bool
}

// Check says why the platform would not keep name as it is ("" when it
// would), and the nearest name it keeps, if any, to suggest.
func (n *ChannelNames) Check(name string) (problem, fix string) {
	if n.Max > 0 {
		if c := utf8.RuneCountInString(name); c > n.Max {
			return fmt.Sprintf("channel names there are at most %d characters, and %q has %d, so apply would fail on it", n.Max, name, c), ""
		}
	}
	fix = n.normalize(name)
	switch {
	case fix == name:
		return "", ""
	case fix == "":
		return fmt.Sprintf("%s, which leaves nothing of %q, so apply would fail on it", n.What, name), ""
	}
	return fmt.Sprintf("%s, so it would name the channel %q, not %q, and every plan would rename it back", n.What, fix, name), fix
}

// normalize is name as the platform would keep it.
func (n *ChannelNames) normalize(name string) string {
	if n.Lower {
		name = strings.ToLower(name)
	}
	if n.Sep == 0 && n.Keep == nil {
		return name
	}
	var b strings.Builder
	sep := false // a separator is pending: put once, between kept characters
	for _, r := range name {
		switch {
		case n.Sep != 0 && (unicode.IsSpace(r) || n.Spaced != nil && n.Spaced(r)):
			sep = true
		case n.Keep == nil || n.Keep(r):
			if sep && b.Len() > 0 {
				b.WriteRune(n.Sep)
			}
			sep = false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// channelName is a channel block with where its name on the platform is
// written: its title, or, without one, its label.
type channelName struct {
	ch     *Channel
	rng    hcl.Range
	titled bool
}

// checkChannelTitles refuses names no platform keeps (control
// characters, spaces around them), and warns of two channels of one
// community with one name on the platform (in any case), which people
// and hearth local post cannot tell apart. Only a warning: platforms
// such as Discord let names repeat, and adopting a second "general"
// made by hand keeps its name.
func (l *loader) checkChannelTitles(c *Community, names []channelName) {
	seen := map[string]channelName{}
	for _, n := range names {
		title := n.ch.Title
		switch {
		case strings.IndexFunc(title, unicode.IsControl) >= 0:
			l.errorf(&n.rng, "Invalid channel title", "The title of channel %q has a control character (a line break or a tab); platforms take channel names on one line.", n.ch.Name)
			continue
		case strings.TrimSpace(title) != title:
			l.errorf(&n.rng, "Invalid channel title", "The title of channel %q starts or ends with spaces, which platforms drop, so every plan would rename it back: write title = %q.", n.ch.Name, strings.TrimSpace(title))
			continue
		}
		key := strings.ToLower(title)
		if prev, ok := seen[key]; ok {
			l.warnf(&n.rng, "Duplicate channel name", "Channels %q and %q of community %q would both be named %q on the platform (%s); people and hearth local post cannot tell them apart, and a platform that keeps names unique (Slack) refuses the second. Give one another title.",
				prev.ch.Name, n.ch.Name, c.Name, title, at(prev.rng))
			continue
		}
		seen[key] = n
	}
}

// checkChannelNames refuses channel names p would refuse or change.
func (l *loader) checkChannelNames(p *Platform, names []channelName) {
	rule := l.opts.Platforms[p.Type].ChannelNames
	if rule == nil {
		return
	}
	for _, n := range names {
		problem, fix := rule.Check(n.ch.Title)
		if problem == "" {
			continue
		}
		hint := ""
		switch {
		case fix != "" && n.titled:
			hint = fmt.Sprintf(" Write title = %q.", fix)
		case fix != "":
			hint = fmt.Sprintf(" Set title = %q: the block name %q stays the channel's address.", fix, n.ch.Name)
		}
		l.errorf(&n.rng, "Channel name the platform does not keep", "%s: %s.%s", p.Addr(), problem, hint)
	}
}

// checkChannelComparisons warns about a rule comparing event.channel
// with the block name of a channel whose title differs: events carry a
// channel's name on the platform, its title, so the comparison never
// matches that channel. Channels of robot platforms (ChannelSetting),
// whose events a bridge writes, are left out: hearth names nothing
// there, and a bridge may well send block names.
func (l *loader) checkChannelComparisons() {
	titled := map[string]*Channel{} // by block name, where the title differs
	titles := map[string]bool{}
	for _, c := range l.cfg.Communities {
		if c.Platform == nil || l.opts.Platforms[c.Platform.Type].ChannelSetting != "" {
			continue
		}
		for _, ch := range c.Channels {
			titles[ch.Title] = true
			if ch.Title != ch.Name {
				titled[ch.Name] = ch
			}
		}
	}
	if len(titled) == 0 {
		return
	}
	for _, r := range l.cfg.Rules {
		if r.Program == nil || !slices.Contains(r.Program.Reads.EventFields, "channel") {
			continue
		}
		for _, lit := range channelLiterals(r.Source) {
			ch := titled[lit.value]
			if ch == nil || titles[lit.value] {
				continue
			}
			rng := l.ruleRange(r, runeOffset(r.Source, lit.from), runeOffset(r.Source, lit.to))
			l.warnf(&rng, "Channel compared by its block name",
				"event.channel is a channel's name on the platform, its title, and channel %q is named %q there, so this never matches it. Compare with '%s'.",
				ch.Name, ch.Title, strings.ReplaceAll(ch.Title, "'", `\'`))
		}
	}
}

// channelLiteral is a string compared with event.channel, and the runes
// it was written in.
type channelLiteral struct {
	value    string
	from, to int
}

// channelLiterals finds the strings a rule compares event.channel with:
// event.channel == 'x', != 'x' and in ['x', 'y'].
func channelLiterals(src string) []channelLiteral {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil
	}
	v := &channelVisitor{}
	ast.Walk(&tree.Node, v)
	return v.found
}

type channelVisitor struct{ found []channelLiteral }

func (v *channelVisitor) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || b.Operator != "==" && b.Operator != "!=" && b.Operator != "in" && b.Operator != "not in" {
		return
	}
	other := b.Right
	switch {
	case b.Left.String() == "event.channel":
	case b.Right.String() == "event.channel" && b.Operator != "in" && b.Operator != "not in":
		other = b.Left
	default:
		return
	}
	add := func(n ast.Node) {
		if s, ok := n.(*ast.StringNode); ok {
			from, to := spanOf(s)
			v.found = append(v.found, channelLiteral{value: s.Value, from: from, to: to})
		}
	}
	if list, ok := other.(*ast.ArrayNode); ok {
		for _, n := range list.Nodes {
			add(n)
		}
		return
	}
	add(other)
}
