package config

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// NumberText is a configuration number as people read it: a whole
// number in full, any other the shortest decimal that reads back as the
// same float64, which is what a rule computes with. HCL keeps numbers
// at 512 bits, so 0.9 * 601 would otherwise print as 540.8999…9995 with
// 150 digits. A number float64 cannot hold keeps its exact text.
func NumberText(bf *big.Float) string {
	if bf.IsInt() {
		return bf.Text('f', 0)
	}
	f, _ := bf.Float64()
	if math.IsInf(f, 0) || f == 0 {
		return bf.Text('g', -1)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		// Rounded to a whole float64: keep it a float in a rule, as
		// the exact text was, so 2.0000…1 / x does not change type.
		s += ".0"
	}
	return s
}

// textSpan is where a part of a template's value, [from, to), was
// written: a literal part char by char, any other part as a whole.
type textSpan struct {
	from, to int
	literal  bool
	src      hcl.Range
}

// templateText renders a string template as HCL does, but with numbers
// as NumberText, and says which part of the source each part of the
// result comes from. ok is false when expr is no template or a part has
// no known string value; the caller then keeps HCL's value.
func templateText(expr hcl.Expression, ctx *hcl.EvalContext) (string, []textSpan, bool) {
	var parts []hclsyntax.Expression
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		parts = e.Parts
	case *hclsyntax.TemplateWrapExpr:
		parts = []hclsyntax.Expression{e.Wrapped}
	default:
		return "", nil, false
	}
	var b strings.Builder
	spans := make([]textSpan, 0, len(parts))
	for _, p := range parts {
		lit, literal := p.(*hclsyntax.LiteralValueExpr)
		var v cty.Value
		if literal {
			v = lit.Val
		} else {
			var diags hcl.Diagnostics
			v, diags = p.Value(ctx)
			if diags.HasErrors() {
				return "", nil, false
			}
		}
		s, ok := valueText(v)
		if !ok {
			return "", nil, false
		}
		// HCL's value above stands for the part's errors; a directive's
		// body is rendered again with its numbers short.
		if d, ok := directiveText(p, ctx); ok {
			s = d
		}
		spans = append(spans, textSpan{from: b.Len(), to: b.Len() + len(s), literal: literal, src: p.Range()})
		b.WriteString(s)
	}
	return b.String(), spans, true
}

// valueText is a template part's value as text: a number as NumberText,
// anything else as HCL converts it to a string. ok is false for a value
// with no text (null, unknown, a list).
func valueText(v cty.Value) (string, bool) {
	v, _ = v.Unmark()
	if v.IsNull() || !v.IsKnown() {
		return "", false
	}
	if v.Type() == cty.Number {
		return NumberText(v.AsBigFloat()), true
	}
	c, err := convert.Convert(v, cty.String)
	if err != nil || c.IsNull() || !c.IsKnown() {
		return "", false
	}
	return c.AsString(), true
}

// directiveText renders a template's %{if} or %{for} directive (or a
// conditional inside ${}) with the numbers of its body as NumberText,
// as templateText does a template's own parts: HCL would render the
// body itself, numbers in their 512-bit form. ok is false for any other
// part, or one it cannot render, which keeps HCL's text. Iteration
// follows HCL's ForExpr: the collection unmarked, key and value bound
// in a child context, element by element in cty's order.
func directiveText(p hclsyntax.Expression, ctx *hcl.EvalContext) (string, bool) {
	switch e := p.(type) {
	case *hclsyntax.ConditionalExpr:
		c, diags := e.Condition.Value(ctx)
		if diags.HasErrors() {
			return "", false
		}
		c, _ = c.Unmark()
		if c.IsNull() || !c.IsKnown() || c.Type() != cty.Bool {
			return "", false
		}
		if c.True() {
			return partText(e.TrueResult, ctx)
		}
		return partText(e.FalseResult, ctx)
	case *hclsyntax.TemplateJoinExpr:
		f, ok := e.Tuple.(*hclsyntax.ForExpr)
		if !ok || f.KeyExpr != nil || f.CondExpr != nil {
			return "", false // no %{for} writes these
		}
		coll, diags := f.CollExpr.Value(ctx)
		if diags.HasErrors() {
			return "", false
		}
		coll, _ = coll.Unmark()
		if coll.IsNull() || !coll.IsKnown() || !coll.CanIterateElements() {
			return "", false
		}
		var b strings.Builder
		for it := coll.ElementIterator(); it.Next(); {
			k, v := it.Element()
			child := ctx.NewChild()
			child.Variables = map[string]cty.Value{f.ValVar: v}
			if f.KeyVar != "" {
				child.Variables[f.KeyVar] = k
			}
			s, ok := partText(f.ValExpr, child)
			if !ok {
				return "", false
			}
			b.WriteString(s)
		}
		return b.String(), true
	}
	return "", false
}

// partText is the text of a directive's body or a branch of a
// conditional: a nested template by templateText, a nested directive
// by directiveText, any other expression's value by valueText.
func partText(e hclsyntax.Expression, ctx *hcl.EvalContext) (string, bool) {
	if _, ok := e.(*hclsyntax.TemplateExpr); ok {
		s, _, ok := templateText(e, ctx)
		return s, ok
	}
	if s, ok := directiveText(e, ctx); ok {
		return s, true
	}
	v, diags := e.Value(ctx)
	if diags.HasErrors() {
		return "", false
	}
	return valueText(v)
}

// TemplateString renders a string template (a message's text) with its
// numbers as NumberText. ok is false when expr is no template or cannot
// be rendered: then evaluate it as HCL does, for its diagnostics.
func TemplateString(expr hcl.Expression, ctx *hcl.EvalContext) (string, bool) {
	if w, ok := expr.(*hclsyntax.TemplateWrapExpr); ok {
		// "${x}" gives x itself, which may be no text; a conditional
		// that gives text has its numbers short as a directive's.
		v, diags := w.Value(ctx)
		if diags.HasErrors() || v.Type() != cty.String {
			return "", false
		}
		return directiveText(w.Wrapped, ctx)
	}
	if _, ok := expr.(*hclsyntax.TemplateExpr); !ok {
		return "", false
	}
	s, _, ok := templateText(expr, ctx)
	return s, ok
}

// shortNumbers gives the value of a string template with its numbers as
// NumberText (v keeps its marks); any other value is returned as it is.
func shortNumbers(expr hcl.Expression, ctx *hcl.EvalContext, v cty.Value) cty.Value {
	te, ok := expr.(*hclsyntax.TemplateExpr)
	if !ok || te.IsStringLiteral() || v.Type() != cty.String || !v.IsWhollyKnown() || v.IsNull() {
		return v
	}
	s, _, ok := templateText(te, ctx)
	if !ok {
		return v
	}
	_, marks := v.Unmark()
	return cty.StringVal(s).WithMarks(marks)
}

// sourceOffsets maps each byte of a rule's value to the bytes of the
// file it was read from: starts[i] and ends[i] bound where byte i was
// written. A byte a literal part of the template gives maps to its own
// character (an escape such as \" as a whole); a byte an interpolation
// gives, to the whole expression inside ${}. Heredocs are handled as
// HCL reads them: <<- strips the indentation of each line, and only $${
// and %%{ are escapes there.
func sourceOffsets(expr hcl.Expression, ctx *hcl.EvalContext, value string, src []byte) (starts, ends []int, ok bool) {
	text, spans, ok := templateText(expr, ctx)
	if !ok || text != value {
		return nil, nil, false
	}
	rng := expr.Range()
	if rng.Start.Byte < 0 || rng.End.Byte > len(src) {
		return nil, nil, false
	}
	quoted := rng.Start.Byte < len(src) && src[rng.Start.Byte] == '"'
	starts, ends = make([]int, len(value)), make([]int, len(value))
	for _, sp := range spans {
		r := sp.src
		if r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
			return nil, nil, false
		}
		if !sp.literal {
			for i := sp.from; i < sp.to; i++ {
				starts[i], ends[i] = r.Start.Byte, r.End.Byte
			}
			continue
		}
		if !alignLiteral(src[r.Start.Byte:r.End.Byte], value[sp.from:sp.to], quoted, r.Start.Byte, starts[sp.from:sp.to], ends[sp.from:sp.to]) {
			return nil, nil, false
		}
	}
	return starts, ends, true
}

// alignLiteral walks raw, the source of a template's literal part, and
// val, its value, together, filling starts and ends (offset by base)
// for each byte of val. White space in raw that val lacks is skipped:
// the indentation <<- strips, and what a ~ strip marker takes off.
func alignLiteral(raw []byte, val string, quoted bool, base int, starts, ends []int) bool {
	i, j := 0, 0
	for j < len(val) {
		if i >= len(raw) {
			return false
		}
		out, n := literalChar(raw[i:], quoted)
		if n > 0 && strings.HasPrefix(val[j:], out) {
			for k := range len(out) {
				starts[j+k], ends[j+k] = base+i, base+i+n
			}
			i += n
			j += len(out)
			continue
		}
		r, size := utf8.DecodeRune(raw[i:])
		if !unicode.IsSpace(r) {
			return false
		}
		i += size
	}
	return true
}

// literalChar decodes the character at the start of raw as a template
// literal reads it: what it gives and how many bytes it takes (0 for an
// escape that cannot be decoded).
func literalChar(raw []byte, quoted bool) (string, int) {
	c := raw[0]
	if (c == '$' || c == '%') && len(raw) >= 3 && raw[1] == c && raw[2] == '{' {
		return string([]byte{c, '{'}), 3
	}
	if quoted && c == '\\' && len(raw) >= 2 {
		switch raw[1] {
		case 'n':
			return "\n", 2
		case 'r':
			return "\r", 2
		case 't':
			return "\t", 2
		case '"', '\\':
			return string(raw[1]), 2
		case 'u', 'U':
			size := 4
			if raw[1] == 'U' {
				size = 8
			}
			if len(raw) < 2+size {
				return "", 0
			}
			cp, err := strconv.ParseUint(string(raw[2:2+size]), 16, 32)
			if err != nil {
				return "", 0
			}
			return string(rune(cp)), 2 + size
		}
		return "", 0
	}
	_, size := utf8.DecodeRune(raw)
	return string(raw[:size]), size
}
