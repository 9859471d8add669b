package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/hearth-community/hearth/engine/rules"
)

// Sensitive is the cty mark carried by values of sensitive variables and
// everything computed from them.
const Sensitive = "sensitive"

// EnvVarPrefix is the prefix of environment variables that set variables.
const EnvVarPrefix = "HEARTH_VAR_"

type rawValue struct {
	text  string
	expr  hcl.Expression // from a var file or a test file
	where string
	// from is where, shorter, for Variable.From.
	from string
	env  bool // from a HEARTH_VAR_ environment variable
}

func (l *loader) loadVariables(blocks []*hcl.Block, needed map[string]bool) {
	spec := Root.block("variable")
	decls := map[string]*Variable{}
	type pending struct {
		v           *Variable
		def         hcl.Expression
		nullable    bool
		validations []*hcl.Block
		typeDefault *typeexpr.Defaults
		// broken: the declaration itself is wrong (already reported), so
		// the variable gets no value and no further diagnostics.
		broken bool
	}
	var all []*pending
	for _, b := range blocks {
		name := b.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			l.errorf(&b.LabelRanges[0], "Invalid variable name", "%q is not a valid name: variable names must be ASCII letters, digits, _ or -, starting with a letter.", name)
			continue
		}
		if !l.declare("variable", name, b.DefRange) {
			continue
		}
		content, diags := l.content(b.Body, spec)
		l.diags = append(l.diags, diags...)
		p := &pending{v: &Variable{Name: name, Type: cty.DynamicPseudoType, DeclRange: b.DefRange}, nullable: true}
		if a := content.Attributes["type"]; a != nil {
			ty, def, d := typeexpr.TypeConstraintWithDefaults(a.Expr)
			l.diags = append(l.diags, d...)
			if !d.HasErrors() {
				p.v.Type, p.typeDefault = ty, def
			} else {
				p.broken = true
			}
		}
		for _, attr := range []string{"description", "sensitive", "nullable"} {
			a := content.Attributes[attr]
			if a == nil {
				continue
			}
			val, d := a.Expr.Value(nil)
			if d.HasErrors() {
				l.errorf(a.Expr.Range().Ptr(), "Variable settings must be constant", "The %s of a variable cannot refer to anything; write a literal value.", attr)
				continue
			}
			switch attr {
			case "description":
				if s, ok := l.asString(val, a); ok {
					p.v.Description = s
				}
			case "sensitive", "nullable":
				b, err := convert.Convert(val, cty.Bool)
				if err != nil || b.IsNull() {
					l.errorf(a.Expr.Range().Ptr(), "Invalid "+attr+" value", "%s must be true or false.", attr)
					continue
				}
				if attr == "sensitive" {
					p.v.Sensitive = b.True()
				} else {
					p.nullable = b.True()
				}
			}
		}
		if a := content.Attributes["default"]; a != nil {
			if len(a.Expr.Variables()) > 0 {
				l.errorf(a.Expr.Range().Ptr(), "Variable default must be constant", "A default cannot refer to other variables or locals; compute it in a locals block instead.")
				p.broken = true
			} else {
				p.def = a.Expr
			}
		}
		for _, vb := range content.Blocks {
			if vb.Type == "validation" {
				p.validations = append(p.validations, vb)
			}
		}
		decls[name] = p.v
		all = append(all, p)
	}

	raw := l.rawVariableValues(decls)
	values := map[string]cty.Value{}
	for _, p := range all {
		v := p.v
		var val cty.Value
		var rng *hcl.Range
		where := "" // " from -var x" and the like, for messages
		if p.broken {
			continue
		}
		r, ok := raw[v.Name]
		// A required variable the environment sets to "" is taken as
		// unset, and said so: CI sets undefined secrets to "", and the
		// empty value would fail far from its cause (a state url, a
		// token the platform refuses).
		emptyEnv := ok && r.env && r.text == "" && p.def == nil
		if emptyEnv {
			ok = false
		}
		if ok {
			var diags hcl.Diagnostics
			val, diags = r.value(v.Type)
			if diags.HasErrors() {
				for _, d := range diags {
					if d.Subject == nil {
						d.Subject = v.DeclRange.Ptr()
					}
				}
				l.diags = append(l.diags, diags...)
				continue
			}
			if r.expr != nil {
				rng = r.expr.Range().Ptr()
			} else {
				where = " from " + r.where
			}
			v.From = r.from
		} else if p.def != nil {
			var d hcl.Diagnostics
			val, d = p.def.Value(nil)
			l.diags = append(l.diags, d...)
			if d.HasErrors() {
				continue
			}
			rng = p.def.Range().Ptr()
		} else if l.opts.SecretsOptional && v.Sensitive && (v.Type == cty.String || v.Type == cty.DynamicPseudoType) {
			// A command that reads only the state store needs no platform
			// token: an empty stand-in, which no validation checks.
			v.Value = cty.StringVal("").Mark(Sensitive)
			values[v.Name] = v.Value
			missing := v.Name
			if emptyEnv {
				missing += " (" + EnvVarPrefix + v.Name + " is set but empty)"
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Empty value for required variable",
					Detail: emptyEnvDetail(v), Subject: v.DeclRange.Ptr()})
			}
			l.cfg.MissingSecrets = append(l.cfg.MissingSecrets, missing)
			continue
		} else if l.opts.ValuesOptional && !needed[v.Name] {
			// Left unknown, as a variable whose value failed: what reads
			// it is left unset, quietly, but for an empty value the
			// environment gives, which the commands that need it refuse.
			if emptyEnv {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Empty value for required variable",
					Detail: emptyEnvDetail(v), Subject: v.DeclRange.Ptr()})
			}
			continue
		} else if emptyEnv {
			l.errorf(&v.DeclRange, "Empty value for required variable", "%s", emptyEnvDetail(v))
			continue
		} else {
			l.errorf(&v.DeclRange, "No value for required variable", "%s", noValueDetail(v))
			continue
		}
		if p.typeDefault != nil {
			val = p.typeDefault.Apply(val)
		}
		conv, err := convert.Convert(val, v.Type)
		if err != nil {
			subject := rng
			if subject == nil {
				subject = &v.DeclRange
			}
			l.errorf(subject, "Invalid value for variable", "The value for %q%s is not %s: %s.", v.Name, where, an(v.Type.FriendlyName()), err)
			continue
		}
		if conv.IsNull() && !p.nullable {
			subject := rng
			if subject == nil {
				subject = &v.DeclRange
			}
			l.errorf(subject, "Null value for non-nullable variable", "The variable %q does not accept null.", v.Name)
			continue
		}
		if v.Sensitive {
			conv = conv.Mark(Sensitive)
		}
		v.Value = conv
		values[v.Name] = conv
		l.checkValidations(v, p.validations)
	}
	for _, p := range all {
		if _, ok := values[p.v.Name]; ok {
			l.cfg.Variables = append(l.cfg.Variables, p.v)
		} else {
			l.failedVars = append(l.failedVars, p.v.Name)
		}
	}
}

// noValueDetail says how to give v a value. A sensitive one is not
// offered -var: a value on the command line stays in the shell's history
// and shows in the process list to every user of the machine.
func noValueDetail(v *Variable) string {
	if v.Sensitive {
		return fmt.Sprintf("The variable %q has no default. It is sensitive: set it with the environment variable %s%s, or in a file passed with -var-file and kept out of git; not with -var, which leaves it in the shell history and the process list.",
			v.Name, EnvVarPrefix, v.Name)
	}
	return fmt.Sprintf("The variable %q has no default. Set it with -var %s=VALUE, a -var-file, or the environment variable %s%s.",
		v.Name, v.Name, EnvVarPrefix, v.Name)
}

func (l *loader) checkValidations(v *Variable, blocks []*hcl.Block) {
	spec := Root.block("variable").block("validation")
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.Name: v.Value})},
		Functions: hclFunctions(l.dir, l.opts.LookupEnv, l.recordRead),
	}
	for _, b := range blocks {
		content, diags := l.content(b.Body, spec)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		cond := content.Attributes["condition"]
		for _, t := range cond.Expr.Variables() {
			if t.RootName() != "var" || len(t) < 2 {
				l.errorf(cond.Expr.Range().Ptr(), "Invalid validation condition", "A validation condition may only refer to var.%s.", v.Name)
				return
			}
			if a, ok := t[1].(hcl.TraverseAttr); !ok || a.Name != v.Name {
				l.errorf(cond.Expr.Range().Ptr(), "Invalid validation condition", "A validation condition may only refer to var.%s.", v.Name)
				return
			}
		}
		res, d := cond.Expr.Value(ctx)
		l.diags = append(l.diags, d...)
		if d.HasErrors() {
			continue
		}
		res, _ = res.Unmark()
		if !res.IsKnown() {
			continue // computed from something that already failed
		}
		if res.Type() != cty.Bool || res.IsNull() {
			l.errorf(cond.Expr.Range().Ptr(), "Invalid validation condition", "The condition must give true or false.")
			continue
		}
		if res.False() {
			msgVal, d := content.Attributes["error_message"].Expr.Value(nil)
			l.diags = append(l.diags, d...)
			msg := "The value is not valid."
			if s, ok := l.asString(msgVal, content.Attributes["error_message"]); ok {
				msg = s
			}
			l.errorf(cond.Expr.Range().Ptr(), "Invalid value for variable", "var.%s: %s", v.Name, msg)
		}
	}
}

// rawVariableValues gathers values from the environment, var files and
// -var arguments; later sources win, as in Terraform.
func (l *loader) rawVariableValues(decls map[string]*Variable) map[string]rawValue {
	out := map[string]rawValue{}
	names := make([]string, 0, len(decls))
	for n := range decls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if s, ok := l.opts.LookupEnv(EnvVarPrefix + n); ok {
			out[n] = rawValue{text: s, where: "environment variable " + EnvVarPrefix + n, from: EnvVarPrefix + n, env: true}
		}
	}
	l.envTypos(decls, names)
	for _, path := range l.opts.VarFiles {
		src, err := os.ReadFile(path)
		if err != nil {
			l.errorf(nil, "Cannot read variable file", "%s", err)
			continue
		}
		f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		if f != nil {
			l.files[path] = f
			l.varFiles[path] = true
		}
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		attrs, diags := f.Body.JustAttributes()
		l.diags = append(l.diags, diags...)
		for name, a := range attrs {
			if _, ok := decls[name]; !ok {
				l.errorf(a.NameRange.Ptr(), "Value for undeclared variable", "%s sets %q, but no variable block declares it.%s", path, name, suggest(name, names))
				continue
			}
			out[name] = rawValue{expr: a.Expr, where: path, from: "-var-file " + filepath.Base(path)}
		}
	}
	for _, arg := range l.opts.Vars {
		name, text, ok := strings.Cut(arg, "=")
		if !ok {
			l.errorf(nil, "Invalid -var option", "%q should be -var NAME=VALUE.", arg)
			continue
		}
		if _, ok := decls[name]; !ok {
			l.errorf(nil, "Value for undeclared variable", "-var sets %q, but no variable block declares it.%s", name, suggest(name, names))
			continue
		}
		out[name] = rawValue{text: text, where: "-var " + name, from: "-var"}
	}
	for _, p := range l.opts.Pinned {
		if _, ok := decls[p.Name]; !ok {
			l.errorf(p.NameRange.Ptr(), "Value for undeclared variable", "%s sets %q, but no variable block declares it.%s", p.Where, p.Name, suggest(p.Name, names))
			continue
		}
		out[p.Name] = rawValue{expr: p.Expr, where: p.Where, from: p.Where}
	}
	return out
}

// envTypos warns of HEARTH_VAR_ environment variables that declare no
// variable but are close to one that does (HEARTH_VAR_Database_URL,
// HEARTH_VAR_databse_url): the value meant for it is not used. Others
// are left alone: one environment may serve several configurations.
func (l *loader) envTypos(decls map[string]*Variable, names []string) {
	if l.opts.Environ == nil {
		return
	}
	var seen []string
	for _, kv := range l.opts.Environ() {
		key, _, _ := strings.Cut(kv, "=")
		name, ok := strings.CutPrefix(key, EnvVarPrefix)
		if !ok || name == "" || decls[name] != nil || slices.Contains(seen, name) {
			continue
		}
		seen = append(seen, name)
		near := ""
		for _, n := range names {
			if strings.EqualFold(n, name) {
				near = n
			}
		}
		if near == "" {
			near = rules.Closest(name, names)
		}
		if near == "" {
			continue
		}
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Value for undeclared variable",
			Detail: fmt.Sprintf("The environment variable %s%s sets %q, but no variable block declares it, so its value is not used. Did you mean %s%s? Variable names are case-sensitive.",
				EnvVarPrefix, name, name, EnvVarPrefix, near)})
	}
}

// emptyEnvDetail says why a variable with no default that the
// environment sets to "" gets no value.
func emptyEnvDetail(v *Variable) string {
	return fmt.Sprintf("%s%s is set but empty, and the variable %q has no default, so it is taken as unset. CI systems give a secret or variable that is not defined the empty string (GitHub Actions: ${{ secrets.NAME }}): define it where the job runs, or unset %s%s. A variable that may be empty needs default = \"\".",
		EnvVarPrefix, v.Name, v.Name, EnvVarPrefix, v.Name)
}

// value reads a raw value: strings stay strings for string variables;
// other types parse the text as an HCL expression ("[1, 2]", "true").
// Problems with command-line and environment text have no file to point
// into, so they come back without a range for the caller to place.
func (r rawValue) value(ty cty.Type) (cty.Value, hcl.Diagnostics) {
	if r.expr != nil {
		return r.expr.Value(nil)
	}
	if ty == cty.String || ty == cty.DynamicPseudoType {
		return cty.StringVal(r.text), nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(r.text), r.where, hcl.InitialPos)
	var v cty.Value
	if !diags.HasErrors() {
		v, diags = expr.Value(nil)
	}
	if diags.HasErrors() {
		// The text is not shown: the variable may be sensitive. Words
		// parse as references, whose "Variables not allowed" would
		// only confuse; syntax errors say what is wrong.
		why := ""
		if d := diags[0]; !strings.HasSuffix(d.Summary, "not allowed") {
			why = ": " + strings.TrimSuffix(d.Summary+": "+d.Detail, ".")
		}
		return cty.NilVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail: fmt.Sprintf("The value from %s is not %s%s. Write it as in HCL, such as 42, true or [\"a\", \"b\"]; only string variables take plain text.",
				r.where, an("valid "+ty.FriendlyName()), why)}}
	}
	return v, nil
}

func suggest(name string, candidates []string) string {
	if s := rules.DidYouMean(name, candidates); s != "" {
		return " " + s
	}
	return ""
}

// loadLocals evaluates locals in dependency order, reporting cycles.
// A local in a cycle, or one that reads a failed local, gets an unknown
// value without a further diagnostic, so one mistake is reported once.
func (l *loader) loadLocals(blocks []*hcl.Block) {
	attrs := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		as, diags := b.Body.JustAttributes()
		l.diags = append(l.diags, diags...)
		for _, name := range sortedNames(as) {
			a := as[name]
			if prev, ok := attrs[name]; ok {
				l.errorf(a.NameRange.Ptr(), "Duplicate local value", "local.%s is already defined at %s.", name, at(prev.NameRange))
				continue
			}
			attrs[name] = a
		}
	}
	names := sortedNames(attrs)
	l.localNames = names
	deps := map[string][]string{}
	for _, name := range names {
		for _, t := range attrs[name].Expr.Variables() {
			if t.RootName() != "local" || len(t) < 2 {
				continue
			}
			if ta, ok := t[1].(hcl.TraverseAttr); ok {
				deps[name] = append(deps[name], ta.Name)
			}
		}
	}
	state := map[string]int{} // 0 new, 1 visiting, 2 done
	failed := map[string]bool{}
	values := map[string]cty.Value{}
	var visit func(name string, path []string)
	visit = func(name string, path []string) {
		a, ok := attrs[name]
		if !ok || state[name] == 2 {
			return
		}
		if state[name] == 1 {
			cycle := append(path[indexOf(path, name):], name)
			l.errorf(a.NameRange.Ptr(), "Cycle in local values", "These locals refer to each other in a circle: local.%s.", strings.Join(cycle, " → local."))
			for _, n := range cycle {
				failed[n] = true
			}
			return
		}
		state[name] = 1
		for _, d := range deps[name] {
			visit(d, append(path, name))
		}
		state[name] = 2
		for _, d := range deps[name] {
			if failed[d] {
				failed[name] = true
			}
		}
		if failed[name] {
			values[name] = cty.DynamicVal
			return
		}
		l.ctx.Variables["local"] = cty.ObjectVal(values)
		v, diags := a.Expr.Value(l.ctx)
		l.diags = append(l.diags, l.explainEval(diags)...)
		if diags.HasErrors() {
			failed[name] = true
			v = cty.DynamicVal
		}
		values[name] = v
	}
	for _, n := range names {
		visit(n, nil)
	}
	l.ctx.Variables["local"] = cty.ObjectVal(values)
	l.cfg.Locals = values
	// Without the loader's record of files read: the daemon renders
	// with these, concurrently, long after the hashes were made.
	l.cfg.Functions = hclFunctions(l.dir, l.opts.LookupEnv, nil)
}

// explainEval rewrites hcl's "This object does not have an attribute"
// for var.X and local.X, which reads as if the user wrote an object.
func (l *loader) explainEval(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		if d.Summary != "Unsupported attribute" || d.Expression == nil {
			continue
		}
		st, ok := d.Expression.(*hclsyntax.ScopeTraversalExpr)
		if !ok || len(st.Traversal) < 2 {
			continue
		}
		attr, ok := st.Traversal[1].(hcl.TraverseAttr)
		if !ok {
			continue
		}
		switch st.Traversal.RootName() {
		case "local":
			d.Summary = "Reference to undeclared local value"
			d.Detail = fmt.Sprintf("There is no local value named %q.%s Declare it in a locals block.", attr.Name, suggest(attr.Name, l.localNames))
		case "var":
			names := append([]string(nil), l.failedVars...)
			for _, v := range l.cfg.Variables {
				names = append(names, v.Name)
			}
			d.Summary = "Reference to undeclared variable"
			d.Detail = fmt.Sprintf("There is no variable named %q.%s Declare it with a variable block.", attr.Name, suggest(attr.Name, names))
		}
	}
	return diags
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return 0
}

// asString converts a constant to a string, reporting when it is not one.
func (l *loader) asString(v cty.Value, a *hcl.Attribute) (string, bool) {
	c, err := convert.Convert(v, cty.String)
	if err != nil || c.IsNull() || !c.IsKnown() {
		l.errorf(a.Expr.Range().Ptr(), "Incorrect attribute value type", "%s must be a string.", a.Name)
		return "", false
	}
	return c.AsString(), true
}

// settingsVars are the variables the hearth blocks read, directly or
// through locals: where state lives, which a command needs even when it
// needs no other value.
func settingsVars(blocks map[string][]*hcl.Block) map[string]bool {
	locals := map[string]hcl.Expression{}
	for _, b := range blocks["locals"] {
		as, _ := b.Body.JustAttributes() // its errors are reported by loadLocals
		for name, a := range as {
			locals[name] = a.Expr
		}
	}
	needed := map[string]bool{}
	seen := map[string]bool{}
	var walk func(ts []hcl.Traversal)
	walk = func(ts []hcl.Traversal) {
		for _, t := range ts {
			if len(t) < 2 {
				continue
			}
			ta, ok := t[1].(hcl.TraverseAttr)
			if !ok {
				continue
			}
			switch t.RootName() {
			case "var":
				needed[ta.Name] = true
			case "local":
				if e, ok := locals[ta.Name]; ok && !seen[ta.Name] {
					seen[ta.Name] = true
					walk(e.Variables())
				}
			}
		}
	}
	for _, b := range blocks["hearth"] {
		walk(bodyVariables(b.Body))
	}
	return needed
}

// bodyVariables are the references of every attribute in a body and its
// nested blocks.
func bodyVariables(body hcl.Body) []hcl.Traversal {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var out []hcl.Traversal
	for _, a := range sb.Attributes {
		out = append(out, a.Expr.Variables()...)
	}
	for _, b := range sb.Blocks {
		out = append(out, bodyVariables(b.Body)...)
	}
	return out
}
