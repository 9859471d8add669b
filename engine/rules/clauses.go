package rules

import (
	"strings"
	"sync"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Clause is one part of a rule that && or || join to the others, compiled
// alone: run against what the rule ran on, the parts say which of them
// gave the rule its value (hearth test's failures, member why).
type Clause struct {
	// Source is the part as written, brackets and all, on one line.
	Source string
	// Program is the part compiled alone as a bool rule.
	Program *Program
	// Op joins Parts, "&&" or "||"; "" for a part without parts of its
	// own. Parts of a chain of the same operator are one list: a && b &&
	// c has three; a bracketed group of the other operator (a && (b ||
	// c)) is a part with parts.
	Op    string
	Parts []*Clause
}

// clauseSplit is what a bool (or Any) Program needs to split itself into its
// clauses when first asked: only explanations ask, so rules that are
// never explained cost nothing more to compile.
type clauseSplit struct {
	once  sync.Once
	c     *Compiler
	scope Scope
	root  *Clause
}

// Clauses is the rule split at its && and || (and those of bracketed
// groups in it), each part compiled alone; nil for a rule with no such
// operator at its top, for a rule that gives no bool, and for one a part
// of which does not compile alone (a half of a chained comparison, say),
// since a split it cannot evaluate would explain nothing.
func (p *Program) Clauses() *Clause {
	s := p.split
	if s == nil {
		return nil
	}
	s.once.Do(func() { s.root = s.build(p) })
	return s.root
}

func (s *clauseSplit) build(p *Program) *Clause {
	tree, err := parser.Parse(p.Source)
	if err != nil {
		return nil
	}
	w := clauseWalk{src: p.Source, s: s}
	root := w.clause(tree.Node, 0, len(p.Source), p)
	if root == nil || root.Op == "" || w.failed {
		return nil
	}
	return root
}

type clauseWalk struct {
	src    string
	s      *clauseSplit
	failed bool
}

// clause is the part of the rule that node n is, written at src[from:to]
// (with any brackets around it); prog is its program when known (the
// rule's own, for the root).
func (w *clauseWalk) clause(n ast.Node, from, to int, prog *Program) *Clause {
	// The part is shown as written, brackets and all: (b || c).
	from, to = w.trim(from, to)
	c := &Clause{Source: strings.Join(strings.Fields(w.src[from:to]), " "), Program: prog}
	from, to = w.unbracket(from, to)
	if c.Program == nil {
		scope := w.s.scope
		scope.Result = Bool
		p, errs, _, _ := w.s.c.compile(w.src[from:to], scope)
		if len(errs) > 0 || p == nil {
			w.failed = true
			return nil
		}
		c.Program = p
	}
	op := w.op(n)
	if op == "" {
		return c
	}
	c.Op = op
	for _, part := range w.chain(n, op, from, to) {
		pc := w.clause(part.n, part.from, part.to, nil)
		if pc == nil {
			return nil
		}
		c.Parts = append(c.Parts, pc)
	}
	return c
}

type partAt struct {
	n        ast.Node
	from, to int
}

// chain lists the operands of a chain of op starting at n, written at
// src[from:to]: an unbracketed operand with the same operator is part of
// the chain (a && b && c is ((a && b) && c) to expr).
func (w *clauseWalk) chain(n ast.Node, op string, from, to int) []partAt {
	b := n.(*ast.BinaryNode)
	at, end := w.bytes(b.Location().From), w.bytes(b.Location().To)
	var out []partAt
	for _, side := range []partAt{{b.Left, from, at}, {b.Right, end, to}} {
		f, t := w.trim(side.from, side.to)
		if w.op(side.n) == op && w.src[f] != '(' {
			out = append(out, w.chain(side.n, op, f, t)...)
			continue
		}
		out = append(out, partAt{side.n, f, t})
	}
	return out
}

// op is "&&" or "||" when n is that operator as written in the rule
// (and, or too), else "". expr writes a chained comparison, 1 < x < 3,
// as an && at the second comparison's token, which is no operator of the
// rule's: the token is read back to tell.
func (w *clauseWalk) op(n ast.Node) string {
	b, ok := n.(*ast.BinaryNode)
	if !ok {
		return ""
	}
	tok := w.src[w.bytes(b.Location().From):w.bytes(b.Location().To)]
	switch {
	case (b.Operator == "&&" || b.Operator == "and") && (tok == "&&" || tok == "and"):
		return "&&"
	case (b.Operator == "||" || b.Operator == "or") && (tok == "||" || tok == "or"):
		return "||"
	}
	return ""
}

func (w *clauseWalk) bytes(r int) int { return runeToByte(w.src, r) }

// trim narrows src[from:to] to what is not space.
func (w *clauseWalk) trim(from, to int) (int, int) {
	for from < to && isSpace(w.src[from]) {
		from++
	}
	for to > from && isSpace(w.src[to-1]) {
		to--
	}
	return from, to
}

// unbracket trims src[from:to] and drops brackets that enclose all of
// it: (a || b) is the part a || b.
func (w *clauseWalk) unbracket(from, to int) (int, int) {
	for {
		from, to = w.trim(from, to)
		if to-from < 2 || w.src[from] != '(' || w.src[to-1] != ')' || w.closing(from) != to-1 {
			return from, to
		}
		from, to = from+1, to-1
	}
}

// closing is the index of the bracket that closes the one at open,
// brackets in quoted strings aside; -1 when none does.
func (w *clauseWalk) closing(open int) int {
	var q quotes
	depth := 0
	for i := open; i < len(w.src); i++ {
		switch q.bracket(w.src, &i) {
		case +1:
			depth++
		case -1:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// SourceLines are the lines of a rule's source to show it: a rule
// written on several lines (a heredoc) keeps them, what is under the
// first line keeps its indentation relative to it, and what is left of
// it starts at the margin; blank lines before and after are dropped. A
// heredoc (<<EOT) keeps the indentation of the file, the first line's
// too, which would otherwise show the rule flush-left after its first
// line.
func SourceLines(src string) []string {
	lines := strings.Split(strings.TrimRight(src, " \t\r\n"), "\n")
	for len(lines) > 1 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	first := lines[0]
	indent := first[:len(first)-len(strings.TrimLeft(first, " \t"))]
	for i, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		// As much of the first line's indentation as the line has.
		n := 0
		for n < len(indent) && n < len(l) && l[n] == indent[n] {
			n++
		}
		lines[i] = l[n:]
	}
	return lines
}
