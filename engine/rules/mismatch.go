package rules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// mismatch says how to fix a comparison of a number with a string, which
// expr reports as "invalid operation: >= (mismatched types int and
// string)" at the operator: the usual slip is a number written in quotes
// (member.points >= '50'), and the error then points at the quotes. e is
// the error explain made of err; mismatch leaves it as it is for any
// other error.
func (p *precheck) mismatch(err error, e *Error) {
	var fe *file.Error
	if !errors.As(err, &fe) || p.root == nil {
		return
	}
	m := reMismatch.FindStringSubmatch(fe.Message)
	if m == nil || !comparison(m[1]) {
		return
	}
	n := p.binaryAt(p.root, m[1], fe.From)
	if n == nil {
		return
	}
	if m[2] == "time.Weekday" || m[3] == "time.Weekday" {
		e.Hint = weekdayHint
		return
	}
	left, right := typeKind(m[2]), typeKind(m[3])
	switch {
	case left == "number" && right == "string":
		p.numberAndString(e, n, n.Left, n.Right, false)
	case left == "string" && right == "number":
		p.numberAndString(e, n, n.Right, n.Left, true)
	}
}

// weekdayHint answers a comparison of Go's time.Weekday (now.Weekday())
// with a number or a string, which expr refuses: weekday() gives a
// number, on the member's clock.
const weekdayHint = "now.Weekday() is Go's time.Weekday, in UTC, which compares with no number or name: use weekday(now), the day of the week on the member's clock as a number from 1 (Monday) to 7 (Sunday), as in weekday(now) >= 6 for the weekend (hearth explain weekday)."

// numberAndString fills in the hint for num compared with str in n;
// flipped says the string stands on the left.
func (p *precheck) numberAndString(e *Error, n *ast.BinaryNode, num, str ast.Node, flipped bool) {
	numSrc, strSrc := p.source(num), p.source(str)
	// rewrite is the comparison with one side written anew, in the
	// order of the rule.
	rewrite := func(numSide, strSide string) string {
		if flipped {
			return strSide + " " + n.Operator + " " + numSide
		}
		return numSide + " " + n.Operator + " " + strSide
	}
	if lit, ok := str.(*ast.StringNode); ok {
		e.From, e.To = p.bytes(lit.Location())
		if v := strings.TrimSpace(lit.Value); isNumber(v) {
			e.Hint = fmt.Sprintf("%s is a string: write %s without quotes to compare numbers, as in %s.", strSrc, v, rewrite(numSrc, v))
			return
		}
		e.Hint = fmt.Sprintf("%s is a string and %s a number: compare %s with a number, as in %s.", strSrc, numSrc, numSrc, rewrite(numSrc, "10"))
		return
	}
	if lit, ok := numberLiteral(num); ok {
		e.From, e.To = p.bytes(lit.Location())
		e.Hint = fmt.Sprintf("%s is a number and %s a string: write '%s' in quotes to compare strings, or read a number from the string with int(%s) or float(%s).", numSrc, strSrc, numSrc, strSrc, strSrc)
		return
	}
	e.Hint = fmt.Sprintf("%s is a number and %s a string: convert one of them, with int(%s) or float(%s) to compare numbers, or string(%s) to compare strings.", numSrc, strSrc, strSrc, strSrc, numSrc)
}

// binaryAt finds the operator op at rune offset at in the tree.
func (p *precheck) binaryAt(n ast.Node, op string, at int) *ast.BinaryNode {
	if n == nil {
		return nil
	}
	if b, ok := n.(*ast.BinaryNode); ok && b.Operator == op && b.Location().From == at {
		return b
	}
	for _, c := range children(n) {
		if b := p.binaryAt(c, op, at); b != nil {
			return b
		}
	}
	return nil
}

// source is a value as the rule writes it, on one line.
func (p *precheck) source(n ast.Node) string {
	from, to := p.valueBytes(n)
	return strings.Join(strings.Fields(p.src[from:to]), " ")
}

func comparison(op string) bool {
	switch op {
	case "<", "<=", ">", ">=", "==", "!=":
		return true
	}
	return false
}

// typeKind sorts the Go type names of expr's messages into what a rule
// author knows: "number", "string", or "" for the rest.
func typeKind(name string) string {
	switch name {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "number"
	case "string":
		return "string"
	}
	return ""
}

func numberLiteral(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		return n, true
	}
	return nil, false
}

// isNumber reports whether a string literal holds a number as a rule
// would write it: 50, -3, 2.5.
func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && !strings.ContainsAny(s, "xXpP_") && !strings.EqualFold(s, "nan") && !strings.Contains(strings.ToLower(s), "inf")
}
