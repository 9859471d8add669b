package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// floor is a lower bound a rule sets on one quantity it reads:
// `member.points >= 100` (value 100) or `count('x', '30d') > 3` (strict).
type floor struct {
	value  float64
	strict bool
	text   string // the comparison as written, for messages
}

// above reports whether f asks for more than g: some value meets g and
// not f.
func (f floor) above(g floor) bool {
	return f.value > g.value || (f.value == g.value && f.strict && !g.strict)
}

// floors reads a rule that is a conjunction of comparisons: the lower
// bounds it sets, by the quantity's text, and the other conjuncts as
// written (an upper bound, a call, an ||). ok is false when the rule does
// not parse or holds an || at the top.
func floors(src string) (bounds map[string]floor, others []string, ok bool) {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, nil, false
	}
	bounds = map[string]floor{}
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		if b, isBin := n.(*ast.BinaryNode); isBin && (b.Operator == "&&" || b.Operator == "and") {
			walk(b.Left)
			walk(b.Right)
			return
		}
		key, f, isFloor := floorOf(n)
		if !isFloor {
			others = append(others, n.String())
			return
		}
		// Two floors on one quantity: the higher one is the rule's.
		if old, seen := bounds[key]; !seen || f.above(old) {
			bounds[key] = f
		}
	}
	walk(tree.Node)
	return bounds, others, true
}

// floorOf reads `X >= N`, `X > N`, `N <= X` and `N < X` with N a number.
func floorOf(n ast.Node) (string, floor, bool) {
	b, ok := n.(*ast.BinaryNode)
	if !ok {
		return "", floor{}, false
	}
	if v, isNum := number(b.Right); isNum && (b.Operator == ">=" || b.Operator == ">") {
		return b.Left.String(), floor{value: v, strict: b.Operator == ">", text: n.String()}, true
	}
	if v, isNum := number(b.Left); isNum && (b.Operator == "<=" || b.Operator == "<") {
		return b.Right.String(), floor{value: v, strict: b.Operator == "<", text: n.String()}, true
	}
	return "", floor{}, false
}

func number(n ast.Node) (float64, bool) {
	switch v := n.(type) {
	case *ast.IntegerNode:
		return float64(v.Value), true
	case *ast.FloatNode:
		return v.Value, true
	case *ast.UnaryNode:
		if x, ok := number(v.Node); ok && v.Operator == "-" {
			return -x, true
		}
	}
	return 0, false
}

// mentions reports whether any of the conjuncts reads the quantity, so
// that it may bound it in a way floors cannot see (`x < 12`).
func mentions(others []string, key string) bool {
	for _, o := range others {
		if strings.Contains(o, key) {
			return true
		}
	}
	return false
}

// checkTierLadder warns about two mistakes in a ladder that validate can
// see from the rules' thresholds alone, before simulate shows their
// effect: a keep that asks for more than the when, with nothing to hold a
// promoted member (no grace, no demote_after), so the member flips on
// every evaluation; and a tier whose when admits only members that a
// higher tier's when admits too, so promotion (which takes the highest
// tier whose when holds) never stops at it. Only plain thresholds are
// compared; rules joined by || or bounded another way are left alone.
func (l *loader) checkTierLadder() {
	for _, t := range l.cfg.Tiers {
		if t.When == nil || t.Keep == nil || t.Grace > 0 || t.DemoteAfter > 0 {
			continue
		}
		when, whenOthers, ok1 := floors(t.When.Source)
		keep, _, ok2 := floors(t.Keep.Source)
		if !ok1 || !ok2 {
			continue
		}
		for _, key := range slices.Sorted(maps.Keys(keep)) {
			k := keep[key]
			w, both := when[key]
			if !both || !k.above(w) || mentions(whenOthers, key) {
				continue
			}
			l.warnf(&t.Keep.Range, "Tier members will flap",
				"tier.%s keeps a member only while %s, but promotes at %s, and it has no grace or demote_after: a member between the two is promoted and demoted again at every evaluation, each flip queueing a role change. Make keep the lower threshold (hysteresis: promote at the higher one, keep at the lower) or add a grace period.",
				t.Name, k.text, w.text)
			break
		}
	}
	for i, low := range l.cfg.Tiers {
		if low.When == nil {
			continue
		}
		lowFloors, lowOthers, ok := floors(low.When.Source)
		if !ok {
			continue
		}
		for _, high := range l.cfg.Tiers[i+1:] {
			if high.Rank == low.Rank || high.When == nil || high.Window > 0 || (high.Community != low.Community && high.Community != nil) {
				continue
			}
			if why, skipped := admitsAll(high.When.Source, lowFloors, lowOthers); skipped {
				l.warnf(&low.When.Range, "Tier is never reached by promotion",
					"every member tier.%s (rank %d) admits also meets the when of tier.%s (rank %d): %s. Promotion takes the highest tier whose when holds, so members go past tier.%s; a higher rank usually asks for more.",
					low.Name, low.Rank, high.Name, high.Rank, why, low.Name)
				break
			}
		}
	}
}

// admitsAll reports whether the rule src holds for every member the
// lower tier's floors and other conjuncts admit: each of its conjuncts is
// a floor no higher than the lower tier's on the same quantity, or a
// conjunct the lower tier has too. why lists the floors compared.
func admitsAll(src string, low map[string]floor, lowOthers []string) (string, bool) {
	high, highOthers, ok := floors(src)
	if !ok || len(high) == 0 {
		return "", false
	}
	for _, o := range highOthers {
		if !slices.Contains(lowOthers, o) {
			return "", false
		}
	}
	var why []string
	for _, key := range slices.Sorted(maps.Keys(high)) {
		h := high[key]
		l, both := low[key]
		if !both || h.above(l) {
			return "", false
		}
		why = append(why, fmt.Sprintf("%s against %s", h.text, l.text))
	}
	return strings.Join(why, ", "), true
}
