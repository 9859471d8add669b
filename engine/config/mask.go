package config

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// SecretRanges are the ranges of f's text that hold secrets written in
// it: the literals of a platform's credentials (the settings its spec
// marks Secret), of a state URL with a password, of a sensitive
// variable's default, and of attributes at the top level of a file,
// which is a file of variable values (fmt formats those too). The
// source snippets of diagnostics and fmt's diffs show them masked: a
// secret written in plain text is worth a warning, and the warning must
// not copy it into a CI log. Only what a file says is looked at, so a
// broken file is masked as far as it parsed.
func SecretRanges(f *hcl.File, platforms map[string]PlatformSpec) []hcl.Range {
	if f == nil {
		return nil
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var out []hcl.Range
	for _, a := range body.Attributes {
		out = append(out, literalRanges(a.Expr)...)
	}
	for _, b := range body.Blocks {
		switch b.Type {
		case "platform":
			if len(b.Labels) == 0 {
				continue
			}
			spec := platforms[b.Labels[0]]
			for _, a := range b.Body.Attributes {
				if i := slices.IndexFunc(spec.Attrs, func(x Attr) bool { return x.Name == a.Name }); i >= 0 && spec.Attrs[i].Secret {
					out = append(out, literalRanges(a.Expr)...)
				}
			}
		case "variable":
			if s := b.Body.Attributes["sensitive"]; s != nil && isTrue(s.Expr) {
				if d := b.Body.Attributes["default"]; d != nil {
					out = append(out, literalRanges(d.Expr)...)
				}
			}
		case "hearth":
			for _, st := range b.Body.Blocks {
				if u := st.Body.Attributes["url"]; st.Type == "state" && u != nil {
					out = append(out, passwordRanges(u.Expr)...)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Byte < out[j].Start.Byte })
	return out
}

// literalRanges are the ranges of the string and number literals in
// expr: the text of "${var.host}/hooks/T0KEN" but not the reference.
func literalRanges(expr hclsyntax.Expression) []hcl.Range {
	var out []hcl.Range
	for _, lit := range literals(expr) {
		out = append(out, lit.SrcRange)
	}
	return out
}

// passwordRanges are the literals of a URL that hold a password,
// "postgres://hearth:pw@db/hearth" but not "postgres://hearth@db/".
func passwordRanges(expr hclsyntax.Expression) []hcl.Range {
	var out []hcl.Range
	for _, lit := range literals(expr) {
		if lit.Val.Type() != cty.String {
			continue
		}
		if u, err := url.Parse(lit.Val.AsString()); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				out = append(out, lit.SrcRange)
			}
		}
	}
	return out
}

// literals are the non-empty string and number literals in expr.
func literals(expr hclsyntax.Expression) []*hclsyntax.LiteralValueExpr {
	var out []*hclsyntax.LiteralValueExpr
	_ = hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		lit, ok := n.(*hclsyntax.LiteralValueExpr)
		if !ok || lit.SrcRange.Start.Byte >= lit.SrcRange.End.Byte || lit.Val.IsNull() || !lit.Val.IsKnown() {
			return nil
		}
		if t := lit.Val.Type(); t == cty.String || t == cty.Number {
			out = append(out, lit)
		}
		return nil
	})
	return out
}

// isTrue is whether expr is the constant true (sensitive = true).
func isTrue(expr hclsyntax.Expression) bool {
	v, diags := expr.Value(nil)
	return !diags.HasErrors() && v.Type() == cty.Bool && v.IsKnown() && !v.IsNull() && v.True()
}

// maskedNav stands in for the Nav of a file in Sources: the parser's
// navigation, for the "in platform ..." of a diagnostic, with what the
// file's snippets must hide. Nav is where HCL puts what diagnostic
// writers need, and a file in Sources is only for writing diagnostics,
// so every writer of them finds it without being told.
type maskedNav struct {
	nav any
	// secrets are SecretRanges, in order.
	secrets []hcl.Range
	// values are the configuration's sensitive values, for a secret
	// written elsewhere than where it is used (a local).
	values *Redactor
}

// masked wraps f's Nav with what its snippets hide.
func masked(f *hcl.File, secrets []hcl.Range, values *Redactor) *hcl.File {
	if len(secrets) == 0 && values == nil {
		return f
	}
	return &hcl.File{Body: f.Body, Bytes: f.Bytes, Nav: &maskedNav{nav: f.Nav, secrets: secrets, values: values}}
}

// MaskSecrets is f for diagnostics, with its SecretRanges masked in
// snippets: for files read without Load (fmt's).
func MaskSecrets(f *hcl.File, platforms map[string]PlatformSpec) *hcl.File {
	if f == nil {
		return nil
	}
	return masked(f, SecretRanges(f, platforms), nil)
}

// ContextString is the enclosing block, as the parser's navigation says.
func (n *maskedNav) ContextString(offset int) string {
	if cs, ok := n.nav.(interface{ ContextString(int) string }); ok {
		return cs.ContextString(offset)
	}
	return ""
}

// ContextDefRange is the enclosing block's range, as the parser's says.
func (n *maskedNav) ContextDefRange(offset int) hcl.Range {
	if cs, ok := n.nav.(interface{ ContextDefRange(int) hcl.Range }); ok {
		return cs.ContextDefRange(offset)
	}
	return hcl.Range{}
}

// hideLine masks a source line of f that starts at byte start in the
// file: the secrets the file knows, then the values of rd, with the
// highlight [from, to) (bytes in line) moved with the text.
func hideLine(f *hcl.File, rd *Redactor, line string, start, from, to int) (string, int, int) {
	if n, ok := f.Nav.(*maskedNav); ok {
		line, from, to = maskLine(line, n.spans(start, len(line)), from, to)
		line, from, to = redactSplit(n.values, line, from, to)
	}
	return redactSplit(rd, line, from, to)
}

// spans are the parts of the secrets on the line of n bytes starting at
// byte start of the file, as byte offsets in the line.
func (n *maskedNav) spans(start, size int) []span {
	var out []span
	for _, r := range n.secrets {
		from, to := max(r.Start.Byte, start)-start, min(r.End.Byte, start+size)-start
		if from < to {
			out = append(out, span{from, to})
		}
	}
	return out
}

// span is a half-open range of bytes in a line.
type span struct{ from, to int }

// maskLine replaces the spans of line with "(sensitive)", one for each
// run of touching spans, and moves the highlight [from, to) with the
// text: a highlight on a masked value ends up on its mask. Spans that
// cut a character are widened to whole characters.
func maskLine(line string, spans []span, from, to int) (string, int, int) {
	from = min(max(from, 0), len(line))
	to = min(max(to, from), len(line))
	spans = mergeSpans(line, spans)
	if len(spans) == 0 {
		return line, from, to
	}
	var b strings.Builder
	prev := 0
	for _, s := range spans {
		b.WriteString(line[prev:s.from])
		b.WriteString(Redacted)
		prev = s.to
	}
	b.WriteString(line[prev:])
	return b.String(), movePos(spans, from, false), movePos(spans, to, true)
}

// mergeSpans clamps spans to line, widens them to whole characters, and
// sorts and joins those that overlap or touch; empty ones are dropped.
func mergeSpans(line string, spans []span) []span {
	var out []span
	for _, s := range spans {
		s.from, s.to = min(max(s.from, 0), len(line)), min(max(s.to, 0), len(line))
		if s.from >= s.to {
			continue
		}
		for s.from > 0 && !utf8.RuneStart(line[s.from]) {
			s.from--
		}
		for s.to < len(line) && !utf8.RuneStart(line[s.to]) {
			s.to++
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].from < out[j].from })
	merged := out[:0]
	for _, s := range out {
		if k := len(merged) - 1; k >= 0 && s.from <= merged[k].to {
			merged[k].to = max(merged[k].to, s.to)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// movePos is where byte p of a line is once its spans are masked. A
// position inside a span goes to the start of its mask, or, for the end
// of a highlight (end), to the mask's end, so the mask is highlighted.
func movePos(spans []span, p int, end bool) int {
	shift := 0
	for _, s := range spans {
		switch {
		case p <= s.from:
			return p + shift
		case p >= s.to:
			shift += len(Redacted) - (s.to - s.from)
		case end:
			return s.from + shift + len(Redacted)
		default:
			return s.from + shift
		}
	}
	return p + shift
}

// MaskText is src with the ranges replaced by "(sensitive)", for
// showing a whole file (fmt -diff). A range that ends a line keeps its
// line break, so a masked heredoc still ends before its closing marker.
func MaskText(src []byte, ranges []hcl.Range) string {
	spans := make([]span, 0, len(ranges))
	for _, r := range ranges {
		s := span{r.Start.Byte, r.End.Byte}
		if s.to > s.from && s.to <= len(src) && src[s.to-1] == '\n' {
			s.to--
		}
		spans = append(spans, s)
	}
	out, _, _ := maskLine(string(src), spans, 0, 0)
	return out
}

// MaskedSource is src, a file named filename, with its SecretRanges
// replaced by "(sensitive)"; src as it is when it does not parse.
func MaskedSource(src []byte, filename string, platforms map[string]PlatformSpec) string {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return string(src)
	}
	return MaskText(src, SecretRanges(f, platforms))
}
