package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// checkTemplateLimits warns of a template a campaign sends whose own
// text, before any value is put in, is already over the limit of the
// platform the send goes through (PlatformSpec.TextLimit): every such
// send would fail. A longer rendered message is found where it is made
// (run, simulate, template render).
func (l *loader) checkTemplateLimits() {
	type seen struct {
		rng  hcl.Range
		plat *Platform
		kind string
	}
	reported := map[seen]bool{}
	for _, c := range l.cfg.Campaigns {
		for _, st := range c.Steps {
			if st.Send == nil || st.Send.Template == nil {
				continue
			}
			plat := l.sendPlatform(c, st.Send)
			lim := plat.Limit(st.Send.Channel)
			if lim.Bytes <= 0 {
				continue
			}
			t := st.Send.Template
			for _, loc := range sortedNames(t.Text) {
				expr := t.Text[loc]
				rng := expr.Range()
				key := seen{rng, plat, st.Send.Channel}
				if reported[key] {
					continue
				}
				err := lim.Check(literalText(expr))
				if err == nil {
					continue
				}
				reported[key] = true
				l.warnf(&rng, "Template too long for its platform", "campaign %q sends template %q (%s) at step %s through %s: its own text, before any value is put in, is already too long, so every such send fails: %s. Shorten it, or send it another way.", c.Name, t.Name, loc, st.Name, plat.Addr(), err)
			}
		}
	}
}

// sendPlatform is the platform a campaign's send goes through when the
// configuration alone tells, as the runtime picks it: the send's own,
// the campaign's community's, the only community's, or the target
// channel's community's; nil when it depends on the member.
func (l *loader) sendPlatform(c *Campaign, s *Send) *Platform {
	switch {
	case s.Platform != nil:
		return s.Platform
	case c.Community != nil:
		return c.Community.Platform
	case len(l.cfg.Communities) == 1:
		return l.cfg.Communities[0].Platform
	case s.Target != nil:
		for _, co := range l.cfg.Communities {
			for _, ch := range co.Channels {
				if ch == s.Target {
					return co.Platform
				}
			}
		}
	}
	return nil
}

// literalText is the text a template expression writes itself: its
// literal parts, without what interpolations and directives put in.
func literalText(e hcl.Expression) string {
	t, ok := e.(*hclsyntax.TemplateExpr)
	if !ok {
		return ""
	}
	var out []byte
	for _, p := range t.Parts {
		lit, ok := p.(*hclsyntax.LiteralValueExpr)
		if !ok || lit.Val.IsNull() || !lit.Val.IsKnown() || lit.Val.Type() != cty.String {
			continue
		}
		out = append(out, lit.Val.AsString()...)
	}
	return string(out)
}
