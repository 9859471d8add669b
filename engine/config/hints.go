package config

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// content reads a body with a block's schema and rewrites hcl's generic
// "not expected here" messages when the name is valid elsewhere, which is
// the usual cause: a block or an attribute one level off.
func (l *loader) content(body hcl.Body, spec *Block) (*hcl.BodyContent, hcl.Diagnostics) {
	content, diags := body.Content(spec.HCLSchema())
	missingInstead(diags)
	for _, d := range diags {
		l.improve(d, spec)
	}
	return content, diags
}

var (
	requiredName = regexp.MustCompile(`^The argument "([^"]+)" is required`)
	suggested    = regexp.MustCompile(` Did you mean "[^"]+"\?$`)
)

// missingInstead points an argument the block does not take at the one
// required argument it lacks, the likelier meaning (rule = ... where when
// is required), in place of hcl's nearest name by spelling (role).
func missingInstead(diags hcl.Diagnostics) {
	var missing []string
	var unsupported []*hcl.Diagnostic
	for _, d := range diags {
		switch d.Summary {
		case "Missing required argument":
			if m := requiredName.FindStringSubmatch(d.Detail); m != nil {
				missing = append(missing, m[1])
			}
		case "Unsupported argument":
			unsupported = append(unsupported, d)
		}
	}
	// One for one, or the pairing is a guess.
	if len(missing) != 1 || len(unsupported) != 1 {
		return
	}
	d := unsupported[0]
	d.Detail = suggested.ReplaceAllString(d.Detail, "") +
		fmt.Sprintf(" Did you mean %q? This block requires it and does not set it.", missing[0])
}

func (l *loader) improve(d *hcl.Diagnostic, spec *Block) {
	if d.Subject == nil || strings.Contains(d.Detail, "Did you mean") {
		return
	}
	name := l.sourceText(*d.Subject)
	if name == "" {
		return
	}
	paths := schemaPaths()
	switch d.Summary {
	case "Unsupported block type":
		if name == "lifecycle" {
			// Terraform's lifecycle block: hearth has its settings as
			// attributes of the block they guard.
			var here []string
			for _, a := range []string{"prevent_destroy", "ignore_changes"} {
				if spec.attr(a) != nil {
					here = append(here, a)
				}
			}
			if len(here) > 0 {
				what := "is an attribute"
				if len(here) > 1 {
					what = "are attributes"
				}
				d.Detail = fmt.Sprintf("hearth has no lifecycle block: %s %s of the %s block itself, such as prevent_destroy = true.", strings.Join(here, " and "), what, spec.Type)
			} else {
				d.Detail = fmt.Sprintf("hearth has no lifecycle block; prevent_destroy and ignore_changes are attributes of communities, channels and roles, and %s block has neither.", an(spec.Type))
			}
			return
		}
		path, ok := paths[name]
		if !ok {
			return
		}
		d.Summary = "Block in the wrong place"
		i := strings.LastIndex(path, ".")
		if i < 0 {
			d.Detail = fmt.Sprintf("A %s block goes at the top level of a file, not inside %s block. See `hearth explain %s`.", name, an(spec.Type), name)
			return
		}
		parent := path[:i]
		d.Detail = fmt.Sprintf("%s block belongs inside %s block (%s). See `hearth explain %s`.", upperFirst(an(name)), an(lastPart(parent)), path, parent)
	case "Unsupported argument":
		// An attribute of a block nested in this one, such as points
		// written directly in an incentive instead of in its grant.
		if child := childWithAttr(spec, name); child != "" {
			d.Detail += fmt.Sprintf(" %s is set inside the %s block: %s { %s = ... }.", name, child, child, name)
		} else if len(spec.Attrs) > 0 && !spec.FreeAttrs {
			names := make([]string, len(spec.Attrs))
			for i, a := range spec.Attrs {
				names[i] = a.Name
			}
			d.Detail += fmt.Sprintf(" Valid here: %s.", strings.Join(names, ", "))
		}
	}
}

func lastPart(path string) string {
	return path[strings.LastIndex(path, ".")+1:]
}

// childWithAttr names the nearest nested block type of spec that has the
// attribute, or "".
func childWithAttr(spec *Block, attr string) string {
	for _, c := range spec.Blocks {
		if c.attr(attr) != nil {
			return c.Type
		}
	}
	for _, c := range spec.Blocks {
		if n := childWithAttr(c, attr); n != "" {
			return c.Type + " { " + n
		}
	}
	return ""
}

var (
	pathsOnce sync.Once
	paths     map[string]string
)

// schemaPaths maps every block type to its dotted path in the schema,
// such as "send" to "campaign.step.send". Block types are unique.
func schemaPaths() map[string]string {
	pathsOnce.Do(func() {
		paths = map[string]string{}
		var walk func(b *Block, prefix string)
		walk = func(b *Block, prefix string) {
			for _, c := range b.Blocks {
				p := prefix + c.Type
				if _, seen := paths[c.Type]; !seen {
					paths[c.Type] = p
				}
				walk(c, p+".")
			}
		}
		walk(Root, "")
	})
	return paths
}

// sourceText is the text of a range of a parsed file, or "".
func (l *loader) sourceText(r hcl.Range) string {
	f := l.files[r.Filename]
	if f == nil || r.Start.Byte < 0 || r.End.Byte > len(f.Bytes) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return string(f.Bytes[r.Start.Byte:r.End.Byte])
}

// an puts "a" or "an" before a word, for messages.
func an(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// elemRange is the range of the element equal to value in a list
// written as [a, b, c], so a diagnostic can point at the bad element;
// otherwise it is the whole expression.
func (l *loader) elemRange(e hcl.Expression, value string) *hcl.Range {
	if t, ok := e.(*hclsyntax.TupleConsExpr); ok {
		for _, x := range t.Exprs {
			v, diags := x.Value(l.ctx)
			if !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() && !v.IsMarked() && v.AsString() == value {
				return x.Range().Ptr()
			}
		}
	}
	return e.Range().Ptr()
}

// written reports whether a body has a block of the type at all, even
// one hcl rejected (with wrong labels, say), so "missing block" is not
// reported on top of the block's own error.
func written(body hcl.Body, typ string) bool {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return false
	}
	for _, b := range sb.Blocks {
		if b.Type == typ {
			return true
		}
	}
	return false
}
