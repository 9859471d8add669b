package config

import (
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/rules"
)

// body reads the attributes of one decoded block by their schema kinds.
type body struct {
	l       *loader
	spec    *Block
	content *hcl.BodyContent
	what    string // "segment \"lurkers\"", for messages
}

func (l *loader) open(b *hcl.Block, spec *Block) *body {
	content, diags := l.content(b.Body, spec)
	l.diags = append(l.diags, diags...)
	what := b.Type
	for _, lab := range b.Labels {
		what += fmt.Sprintf(" %q", lab)
	}
	return &body{l: l, spec: spec, content: content, what: what}
}

func (b *body) blocks(typ string) []*hcl.Block {
	var out []*hcl.Block
	for _, c := range b.content.Blocks {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	if len(out) > 1 {
		if s := b.spec.block(typ); s != nil && s.Single {
			b.l.errorf(&out[1].DefRange, "Duplicate "+typ+" block", "The %s block has at most one %s block; the first is at %s.", b.what, typ, at(out[0].DefRange))
			out = out[:1]
		}
	}
	return out
}

func (b *body) attr(name string) *hcl.Attribute {
	if b.spec.attr(name) == nil {
		// A programming error: the decoder asked for an attribute the
		// schema does not declare. Tests catch it; users never see it.
		b.l.errorf(nil, "Internal error", "schema of %s has no attribute %q", b.spec.Type, name)
		return nil
	}
	return b.content.Attributes[name]
}

// reported says whether an error was reported about the attribute, such
// as an invalid duration or a value not in its enum. A check that depends
// on the attribute's value (on_timeout without timeout) keeps quiet then:
// the attribute is written, only wrong, and its own error says so.
func (b *body) reported(name string) bool {
	a := b.content.Attributes[name]
	if a == nil {
		return false
	}
	for _, d := range b.l.diags {
		if d.Severity == hcl.DiagError && d.Subject != nil && within(*d.Subject, a.Range) {
			return true
		}
	}
	return false
}

// within reports whether r lies inside outer.
func within(r, outer hcl.Range) bool {
	return r.Filename == outer.Filename && r.Start.Byte >= outer.Start.Byte && r.End.Byte <= outer.End.Byte
}

// value evaluates an attribute. ok is false when it is absent, null,
// unknown (an earlier error) or failed to evaluate.
func (b *body) value(name string) (cty.Value, *hcl.Attribute, bool) {
	a := b.attr(name)
	if a == nil {
		return cty.NilVal, nil, false
	}
	v, diags := a.Expr.Value(b.l.ctx)
	b.l.diags = append(b.l.diags, b.l.explainEval(diags)...)
	if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return cty.NilVal, a, false
	}
	// A number put into a string shows as a person would write it.
	v = shortNumbers(a.Expr, b.l.ctx, v)
	spec := b.spec.attr(name)
	if spec.Kind != KindSetting && spec.Kind != KindAny && v.ContainsMarked() {
		b.l.errorf(a.Expr.Range().Ptr(), "Sensitive value would be shown",
			"%s.%s is shown to people or written to plans, but its value comes from a sensitive variable. Only secret settings such as tokens may use sensitive values.", b.what, name)
		return cty.NilVal, a, false
	}
	return v, a, true
}

func (b *body) convert(name string, ty cty.Type) (cty.Value, *hcl.Attribute, bool) {
	v, a, ok := b.value(name)
	if !ok {
		return v, a, false
	}
	c, err := convert.Convert(v, ty)
	if err != nil || c.IsNull() {
		b.l.errorf(a.Expr.Range().Ptr(), "Incorrect attribute value type", "%s must be a %s; got %s.", name, ty.FriendlyName(), v.Type().FriendlyName())
		return cty.NilVal, a, false
	}
	return c, a, true
}

func (b *body) str(name string) string {
	v, _, ok := b.convert(name, cty.String)
	if !ok {
		return ""
	}
	return v.AsString()
}

// setting reads a value that may be sensitive, keeping its marks.
func (b *body) setting(name string) (cty.Value, bool) {
	v, a, ok := b.value(name)
	if !ok {
		return cty.NilVal, false
	}
	inner, marks := v.Unmark()
	c, err := convert.Convert(inner, cty.String)
	if err != nil {
		b.l.errorf(a.Expr.Range().Ptr(), "Incorrect attribute value type", "%s must be a string; got %s.", name, inner.Type().FriendlyName())
		return cty.NilVal, false
	}
	return c.WithMarks(marks), true
}

func (b *body) num(name string, def int) int {
	if n, ok := b.numOK(name); ok {
		return n
	}
	return def
}

// numOK is num that also says whether a valid number was read, so
// callers do not check a value that was already reported.
func (b *body) numOK(name string) (int, bool) {
	v, a, ok := b.convert(name, cty.Number)
	if !ok {
		return 0, false
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		b.l.errorf(a.Expr.Range().Ptr(), "Invalid number", "%s must be a whole number; got %s.", name, NumberText(bf))
		return 0, false
	}
	i, acc := bf.Int64()
	if acc != big.Exact || i >= 1<<31 || i < -(1<<31) {
		b.l.errorf(a.Expr.Range().Ptr(), "Invalid number", "%s is out of range.", name)
		return 0, false
	}
	return int(i), true
}

func (b *body) boolean(name string, def bool) bool {
	v, _, ok := b.convert(name, cty.Bool)
	if !ok {
		return def
	}
	return v.True()
}

func (b *body) dur(name string) time.Duration {
	v, a, ok := b.convert(name, cty.String)
	if !ok {
		return 0
	}
	d, err := durations.Parse(v.AsString())
	if err != nil {
		b.l.errorf(a.Expr.Range().Ptr(), "Invalid duration", "%s: %s.", name, durationMessage(err))
		return 0
	}
	return d
}

// durationMessage drops the "invalid duration" prefix of a parse error,
// which the diagnostic's summary already says.
func durationMessage(err error) string {
	msg := err.Error()
	for _, p := range []string{durations.ErrSyntax.Error() + ": ", durations.ErrSyntax.Error() + " "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

// rate reads a rate; scale is what its window is usually counted in.
func (b *body) rate(name string, scale durations.Scale) *durations.Rate {
	v, a, ok := b.convert(name, cty.String)
	if !ok {
		return nil
	}
	r, err := durations.ParseRate(v.AsString(), scale)
	if err != nil {
		b.l.errorf(a.Expr.Range().Ptr(), "Invalid rate", "%s: %s.", name, durationMessage(err))
		return nil
	}
	return &r
}

// limit is rate that also takes a calendar period ("5/month"), counted
// in zone loc: an incentive's limit.
func (b *body) limit(name string, loc *time.Location) *durations.Rate {
	v, a, ok := b.convert(name, cty.String)
	if !ok {
		return nil
	}
	r, err := durations.ParseLimit(v.AsString(), durations.Long, loc)
	if err != nil {
		b.l.errorf(a.Expr.Range().Ptr(), "Invalid rate", "%s: %s.", name, durationMessage(err))
		return nil
	}
	return &r
}

// dayRate is rate for a window counted in whole UTC days (points_cap):
// a window that is not a whole number of days, such as "36h", is an error.
// A calendar period ("100/month") is the UTC one, the days being UTC's.
func (b *body) dayRate(name string) *durations.Rate {
	r := b.limit(name, time.UTC)
	if r != nil && r.Period != durations.PeriodNone && b.l.cfg.Settings.Timezone != time.UTC {
		// A limit's period beside it turns at midnight in the zone, this
		// one at midnight UTC: say so before a payout run finds out.
		b.l.warnf(b.attr(name).Expr.Range().Ptr(), name+" counts UTC "+r.Period.String()+"s",
			"%s keeps points by UTC day, so %q is the UTC %s: it starts again at 00:00 UTC, not at midnight in hearth.timezone (%s) as a limit's calendar period does.",
			name, r.String(), r.Period, b.l.cfg.Settings.TimezoneName)
	}
	if r == nil || r.Period != durations.PeriodNone || r.Window%durations.Day == 0 {
		return r
	}
	days := r.Window / durations.Day
	fix := fmt.Sprintf("%d/%dd", r.Count, days+1)
	if days > 0 {
		fix = fmt.Sprintf("%d/%dd\" or \"%d/%dd", r.Count, days, r.Count, days+1)
	}
	b.l.errorf(b.attr(name).Expr.Range().Ptr(), "Invalid "+name+" window",
		"%s counts whole UTC days (\"N/7d\" is the current UTC day and the 6 days before it), so its window must be a whole number of days, such as \"1d\", \"24h\" or \"7d\", not %s. Write \"%s\".",
		name, durations.Format(r.Window), fix)
	return nil
}

func (b *body) clock(name string) *durations.ClockTime {
	v, a, ok := b.convert(name, cty.String)
	if !ok {
		return nil
	}
	c, err := durations.ParseClock(v.AsString())
	if err != nil {
		b.l.errorf(a.Expr.Range().Ptr(), "Invalid time of day", "%s: %s.", name, durationMessage(err))
		return nil
	}
	return &c
}

func (b *body) enum(name string) string {
	spec := b.spec.attr(name)
	v, a, ok := b.convert(name, cty.String)
	if !ok {
		return spec.Default
	}
	s := v.AsString()
	for _, e := range spec.Enum {
		if s == e {
			return s
		}
	}
	if why, ok := spec.Dropped[s]; ok {
		b.l.errorf(a.Expr.Range().Ptr(), "Unsupported value for "+name, "%s = %q is no longer supported: %s.", name, s, why)
		return spec.Default
	}
	b.l.errorf(a.Expr.Range().Ptr(), "Invalid value for "+name, "%q is not one of %s.%s", s, quoteList(spec.Enum), suggest(s, spec.Enum))
	return spec.Default
}

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func (b *body) color(name string) string {
	v, a, ok := b.convert(name, cty.String)
	if !ok {
		return ""
	}
	if !colorRe.MatchString(v.AsString()) {
		b.l.errorf(a.Expr.Range().Ptr(), "Invalid color", "%q is not a color; write \"#rrggbb\", such as \"#f1c40f\".", v.AsString())
		return ""
	}
	return strings.ToLower(v.AsString())
}

func (b *body) strList(name string) []string {
	out, _ := b.strListOK(name)
	return out
}

// strListOK is strList that also says whether the attribute was read.
func (b *body) strListOK(name string) ([]string, bool) {
	v, _, ok := b.convert(name, cty.List(cty.String))
	if !ok {
		return nil, false
	}
	var out []string
	for _, e := range v.AsValueSlice() {
		if !e.IsNull() {
			out = append(out, e.AsString())
		}
	}
	return out, true
}

func (b *body) strMap(name string) map[string]string {
	v, _, ok := b.convert(name, cty.Map(cty.String))
	if !ok {
		return nil
	}
	out := map[string]string{}
	for k, e := range v.AsValueMap() {
		if !e.IsNull() {
			out[k] = e.AsString()
		}
	}
	return out
}

func (b *body) localeLists(name string) map[string][]string {
	v, _, ok := b.convert(name, cty.Map(cty.List(cty.String)))
	if !ok {
		return nil
	}
	out := map[string][]string{}
	for k, list := range v.AsValueMap() {
		if list.IsNull() {
			continue // { en = null }: nothing for that locale
		}
		for _, e := range list.AsValueSlice() {
			if !e.IsNull() {
				out[k] = append(out[k], e.AsString())
			}
		}
	}
	return out
}

// eventTypes reads a string or a list of strings; names are checked once
// all event blocks are known.
func (b *body) eventTypes(name string) ([]string, *hcl.Attribute) {
	v, a, ok := b.value(name)
	if !ok {
		return nil, a
	}
	if v.Type() == cty.String {
		return []string{v.AsString()}, a
	}
	c, err := convert.Convert(v, cty.List(cty.String))
	if err != nil {
		b.l.errorf(a.Expr.Range().Ptr(), "Invalid event types", "%s must be an event type or a list of them, such as \"message.posted\" or [\"message.posted\", \"reaction.added\"].", name)
		return nil, a
	}
	var out []string
	for _, e := range c.AsValueSlice() {
		if !e.IsNull() { // [null] names nothing; an empty list is reported below
			out = append(out, e.AsString())
		}
	}
	if len(out) == 0 {
		b.l.errorf(a.Expr.Range().Ptr(), "No event types", "%s must name at least one event type.", name)
	}
	return out, a
}

// rule reads a rule's source; it is compiled once every name is known.
func (b *body) rule(name string, scope rules.Scope) *Rule {
	if a := b.attr(name); a != nil && b.l.unquotedRule(a) {
		return nil
	}
	v, a, ok := b.convert(name, cty.String)
	if !ok {
		return nil
	}
	scope.What = b.spec.Type + " rule"
	return &Rule{Source: v.AsString(), Range: a.Expr.Range(), expr: a.Expr, scope: scope, attr: name}
}

// unquotedRule reports a rule written as an HCL expression rather than
// a string (when = member.points > 5, a Terraform habit): HCL would say
// only that there is no variable named member. A reference to a
// variable or local, which may hold a rule's text, is left to convert.
func (l *loader) unquotedRule(a *hcl.Attribute) bool {
	switch e := a.Expr.(type) {
	case *hclsyntax.BinaryOpExpr, *hclsyntax.UnaryOpExpr, *hclsyntax.ConditionalExpr:
	case *hclsyntax.ScopeTraversalExpr:
		if root := e.Traversal.RootName(); root == "var" || root == "local" {
			return false
		}
	default:
		return false
	}
	rng := a.Expr.Range()
	text := ""
	if f := l.files[rng.Filename]; f != nil && rng.End.Byte <= len(f.Bytes) {
		text = string(f.Bytes[rng.Start.Byte:rng.End.Byte])
	}
	fix := "in double quotes"
	if text != "" && !strings.ContainsAny(text, "\"\n") {
		fix = fmt.Sprintf("in double quotes: %s = %q", a.Name, text)
	}
	l.errorf(rng.Ptr(), "Rule not in quotes", "%s is a rule, written as a string of the rule language (expr) rather than as an HCL expression; put it %s.", a.Name, fix)
	return true
}

// localeText keeps each locale's template unevaluated for send time. ok
// is false when some key was reported as invalid.
func (b *body) localeText(name string) (map[string]hcl.Expression, bool) {
	a := b.attr(name)
	if a == nil {
		return nil, true
	}
	obj, isObj := a.Expr.(*hclsyntax.ObjectConsExpr)
	if !isObj {
		b.l.errorf(a.Expr.Range().Ptr(), "Invalid "+name, "%s must be an object of locale = text, such as { en = \"Hi ${member.name}\" }.", name)
		return nil, false
	}
	out := map[string]hcl.Expression{}
	ok := true
	for _, item := range obj.Items {
		k, diags := item.KeyExpr.Value(nil)
		if diags.HasErrors() || k.Type() != cty.String || k.IsNull() || !k.IsKnown() {
			b.l.errorf(item.KeyExpr.Range().Ptr(), "Invalid locale", "Locale keys must be names such as en or zh-CN.")
			ok = false
			continue
		}
		loc := k.AsString()
		if !localeRe.MatchString(loc) {
			b.l.errorf(item.KeyExpr.Range().Ptr(), "Invalid locale", "%q is not a locale tag; use forms such as en, en-GB or zh-CN.%s", loc, localeHint(loc))
			ok = false
			continue
		}
		if _, dup := out[loc]; dup {
			b.l.errorf(item.KeyExpr.Range().Ptr(), "Duplicate locale", "%s has text for %q twice.", name, loc)
			continue
		}
		out[loc] = item.ValueExpr
	}
	return out, ok
}

// localeHint suggests the canonical form of a tag such as "EN" or
// "zh_CN": lower-case language, dash, region.
func localeHint(loc string) string {
	fixed := strings.ReplaceAll(loc, "_", "-")
	if lang, region, found := strings.Cut(fixed, "-"); found {
		fixed = strings.ToLower(lang) + "-" + region
	} else {
		fixed = strings.ToLower(fixed)
	}
	if fixed != loc && localeRe.MatchString(fixed) {
		return fmt.Sprintf(" Did you mean %q?", fixed)
	}
	return ""
}

var localeRe = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	if len(q) > 1 {
		return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
	}
	return strings.Join(q, "")
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
