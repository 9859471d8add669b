package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// checkRankGaps warns about ranks missing below the highest one: ranks
// are numbers written in the files, and tier_rank() compares them as
// numbers, so a rule written against the rank of a tier since removed
// (tier_rank() >= 2 once rank 2 is gone) still compiles and means
// something else. One warning a gap, at the rank just above it.
func (l *loader) checkRankGaps() {
	byRank := map[int]*Tier{}
	for _, t := range l.cfg.Tiers {
		if t.Rank >= 1 {
			byRank[t.Rank] = t
		}
	}
	ranks := sortedRanks(l.cfg.Tiers)
	if len(ranks) == 0 {
		return
	}
	next := 1 // the lowest rank not yet seen
	for _, r := range ranks {
		if r > next {
			t := byRank[r]
			l.warnf(t.RankRange.Ptr(), "Gap in the tier ladder",
				"the tiers' ranks are %s: no tier has %s. tier_rank() is compared as a number, so a rule written for a rank that is gone (a removed tier's) still compiles and now means something else (>= 2 without a rank 2 is >= 3). Number the tiers 1, 2, 3 ... without gaps, and compare with rank_of('NAME'), which follows a renumbering.",
				joinInts(ranks), missingText(next, r-1))
		}
		next = r + 1
	}
}

// sortedRanks are the distinct valid ranks of tiers, in order.
func sortedRanks(tiers []*Tier) []int {
	var out []int
	for _, t := range tiers {
		if t.Rank >= 1 && !slices.Contains(out, t.Rank) {
			out = append(out, t.Rank)
		}
	}
	slices.Sort(out)
	return out
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// missingText says which ranks from to to are missing: "rank 2", "ranks
// 2 and 3", "ranks 2 to 9".
func missingText(from, to int) string {
	switch {
	case from == to:
		return fmt.Sprintf("rank %d", from)
	case to == from+1:
		return fmt.Sprintf("ranks %d and %d", from, to)
	}
	return fmt.Sprintf("ranks %d to %d", from, to)
}

// rankCmp is a comparison of the member's rank with a number, written
// either way round, normalised to tier_rank() OP N.
type rankCmp struct {
	op       string
	n        float64
	text     string // as written
	from, to int    // runes into the rule's source
	top      bool   // a conjunct of the rule's top-level &&
}

// holds reports whether a member of rank r meets the comparison.
func (c rankCmp) holds(r float64) bool {
	switch c.op {
	case ">=":
		return r >= c.n
	case ">":
		return r > c.n
	case "<=":
		return r <= c.n
	case "<":
		return r < c.n
	case "==":
		return r == c.n
	case "!=":
		return r != c.n
	}
	return true
}

var mirrored = map[string]string{">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "==", "!=": "!="}

// rankComparisons finds the comparisons of tier_rank() (or
// member.tier_rank) with a literal number in a rule.
func rankComparisons(src string) []rankCmp {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil
	}
	top := map[ast.Node]bool{}
	var conj func(n ast.Node)
	conj = func(n ast.Node) {
		if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "&&" || b.Operator == "and") {
			conj(b.Left)
			conj(b.Right)
			return
		}
		top[n] = true
	}
	conj(tree.Node)
	v := &rankVisitor{top: top}
	ast.Walk(&tree.Node, v)
	return v.found
}

type rankVisitor struct {
	top   map[ast.Node]bool
	found []rankCmp
}

func (v *rankVisitor) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok {
		return
	}
	op, isCmp := mirrored[b.Operator]
	if !isCmp {
		return
	}
	c := rankCmp{op: b.Operator, text: b.String(), top: v.top[b]}
	switch n, isNum := number(b.Right); {
	case isNum && isRank(b.Left):
		c.n = n
	default:
		n, isNum := number(b.Left)
		if !isNum || !isRank(b.Right) {
			return
		}
		c.n, c.op = n, op
	}
	c.from, c.to = spanOf(b)
	v.found = append(v.found, c)
}

func isRank(n ast.Node) bool {
	s := n.String()
	return s == "tier_rank()" || s == "member.tier_rank"
}

// spanOf is the runes a subtree was written in: expr keeps only each
// node's own token.
func spanOf(n ast.Node) (int, int) {
	from, to := math.MaxInt, 0
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		loc := n.Location()
		from, to = min(from, loc.From), max(to, loc.To)
		switch x := n.(type) {
		case *ast.BinaryNode:
			walk(x.Left)
			walk(x.Right)
		case *ast.UnaryNode:
			walk(x.Node)
		case *ast.MemberNode:
			walk(x.Node)
			walk(x.Property)
		case *ast.CallNode:
			walk(x.Callee)
			for _, a := range x.Arguments {
				walk(a)
			}
		}
	}
	walk(n)
	return from, to
}

// runeOffset is the byte offset of the r-th rune of s.
func runeOffset(s string, r int) int {
	i := 0
	for n := 0; n < r && i < len(s); n++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// checkRankComparisons warns about a rule that compares the member's
// rank with a literal number the ladder does not back: one no member can
// meet, one no tier has, or, in a tier's when, one that only members
// already on the tier or above meet, so promotion never reaches it.
// Each warning points at the comparison.
func (l *loader) checkRankComparisons() {
	ranks := sortedRanks(l.cfg.Tiers)
	has := func(n float64) bool { return n == 0 || slices.Contains(ranks, int(n)) && float64(int(n)) == n }
	whenOf := map[*Rule]*Tier{}
	for _, t := range l.cfg.Tiers {
		if t.When != nil {
			whenOf[t.When] = t
		}
	}
	all := append([]int{0}, ranks...) // 0: on no tier
	for _, r := range l.cfg.Rules {
		if r.Program == nil || !slices.Contains(r.Program.Reads.Functions, "tier_rank") && !slices.Contains(r.Program.Reads.Member, "tier_rank") {
			continue
		}
		for _, c := range rankComparisons(r.Source) {
			rng := l.ruleRange(r, runeOffset(r.Source, c.from), runeOffset(r.Source, c.to))
			missing := ""
			if !has(c.n) {
				missing = fmt.Sprintf(" No tier has rank %s (the ranks are %s).", numText(c.n), rankList(ranks))
			}
			if t := whenOf[r]; t != nil && c.top && t.Rank >= 1 {
				below := l.ranksBelow(t)
				if !slices.ContainsFunc(below, func(b int) bool { return c.holds(float64(b)) }) {
					l.warnf(&rng, "Tier is never reached by promotion",
						"tier.%s (rank %d) promotes only members with %s, which no rank below it meets (0 is no tier%s): a member would have to be on tier.%s or above already.%s Compare with a rank the ladder has, or with rank_of('NAME') of the tier a member must reach first.",
						t.Name, t.Rank, c.text, belowText(below), t.Name, missing)
					continue
				}
			}
			if !slices.ContainsFunc(all, func(b int) bool { return c.holds(float64(b)) }) {
				l.warnf(&rng, "Rank comparison never holds",
					"no member's tier meets %s: the ranks are %s, and 0 is no tier. Compare with a rank the ladder has, or with rank_of('NAME').",
					c.text, rankList(ranks))
				continue
			}
			if missing != "" {
				l.warnf(&rng, "No tier has this rank",
					"%s compares with rank %s, and no tier has it: the ranks are %s (0 is no tier). A tier removed or renumbered? Compare with a rank the ladder has, or with rank_of('NAME'), which follows the tier's rank.",
					c.text, numText(c.n), rankList(ranks))
			}
		}
	}
}

// ranksBelow are the ranks a member can hold before promotion to t: no
// tier (0), and the lower tiers of t's community or of none.
func (l *loader) ranksBelow(t *Tier) []int {
	out := []int{0}
	for _, u := range l.cfg.Tiers {
		if u.Rank >= 1 && u.Rank < t.Rank && (u.Community == nil || t.Community == nil || u.Community == t.Community) && !slices.Contains(out, u.Rank) {
			out = append(out, u.Rank)
		}
	}
	slices.Sort(out)
	return out
}

func belowText(below []int) string {
	if len(below) == 1 {
		return ", and no tier ranks lower"
	}
	return ", the ranks below are " + joinInts(below[1:])
}

func rankList(ranks []int) string {
	if len(ranks) == 0 {
		return "none (the configuration has no tier)"
	}
	return joinInts(ranks)
}

func numText(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
