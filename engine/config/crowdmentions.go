package config

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Found is a piece of a text: Text as written, at byte offset Start.
type Found struct {
	Text  string
	Start int
}

// checkCrowdMentions warns of a template whose own text mentions a
// crowd (@everyone, <!channel>, <at user_id="all">) sent through a
// platform whose mass_mentions is off: its adapter sends those as text,
// notifying no one, which render shows but nothing else says before a
// send. Only the template's literal text counts: what members wrote,
// put in by values, is meant to stay quiet.
func (l *loader) checkCrowdMentions() {
	type seen struct {
		rng  hcl.Range
		plat *Platform
	}
	reported := map[seen]bool{}
	check := func(t *Template, plat *Platform, what string) {
		if t == nil || plat == nil || plat.CrowdMentions == nil || massMentionsOn(plat) {
			return
		}
		for _, loc := range sortedNames(t.Text) {
			for _, m := range l.crowdMentionsIn(t.Text[loc], plat.CrowdMentions) {
				key := seen{m.rng, plat}
				if reported[key] {
					continue
				}
				reported[key] = true
				l.warnf(&m.rng, "Crowd mention sent as text", "template %q (%s) mentions %s, sent by %s through %s, whose mass_mentions is off: it is sent as text and notifies no one (hearth template render %s shows it). Set mass_mentions = true in %s for it to notify, or take it out of the template.",
					t.Name, loc, strings.Join(m.texts, ", "), what, plat.Addr(), t.Name, plat.Addr())
			}
		}
	}
	for _, c := range l.cfg.Campaigns {
		for _, st := range c.Steps {
			if st.Send == nil || st.Send.Channel == "email" || st.Send.Channel == "webhook" {
				continue
			}
			check(st.Send.Template, l.sendPlatform(c, st.Send), fmt.Sprintf("campaign %q at step %s", c.Name, st.Name))
		}
	}
	for _, a := range l.cfg.Alerts {
		for _, n := range a.Notify {
			if n.Channel != "channel" {
				continue
			}
			plat := n.Platform
			switch {
			case plat != nil:
			case a.Community != nil:
				plat = a.Community.Platform
			case len(l.cfg.Communities) == 1:
				plat = l.cfg.Communities[0].Platform
			}
			check(n.Template, plat, fmt.Sprintf("alert %q", a.Name))
		}
	}
}

// massMentionsOn says whether a platform block's mass_mentions is true,
// or may be (a value not known until run time): no warning then.
func massMentionsOn(p *Platform) bool {
	v, ok := p.Settings["mass_mentions"]
	if !ok || v.IsNull() {
		return false
	}
	v, _ = v.Unmark()
	if !v.IsKnown() || !v.Type().Equals(cty.Bool) {
		return true
	}
	return v.True()
}

// crowdLine is the crowd mentions on one line of a template's text, and
// where that line is.
type crowdLine struct {
	rng   hcl.Range
	texts []string
}

// crowdMentionsIn finds crowd mentions in the literal parts of a
// template expression, one result per source line (the warning names
// the line, not the whole heredoc).
func (l *loader) crowdMentionsIn(e hcl.Expression, find func(string) []Found) []crowdLine {
	t, ok := e.(*hclsyntax.TemplateExpr)
	if !ok {
		return nil
	}
	byLine := map[int]*crowdLine{}
	for _, p := range t.Parts {
		lit, ok := p.(*hclsyntax.LiteralValueExpr)
		if !ok || lit.Val.IsNull() || !lit.Val.IsKnown() || lit.Val.Type() != cty.String {
			continue
		}
		text := lit.Val.AsString()
		for _, f := range find(text) {
			rng := lit.SrcRange
			// The value's lines are the source's; its columns are not
			// where a heredoc's indent was taken off or an escape
			// written, so the mention is looked for on its line.
			before := text[:f.Start]
			if nl := strings.Count(before, "\n"); nl > 0 {
				rng.Start.Line += nl
				rng.Start.Column = f.Start - strings.LastIndex(before, "\n")
			} else {
				rng.Start.Column += f.Start
			}
			rng.Start.Byte += f.Start
			rng.End = rng.Start
			rng.End.Column += len(f.Text)
			rng.End.Byte += len(f.Text)
			if file := l.files[rng.Filename]; file != nil {
				rng = onLine(file.Bytes, rng, f.Text)
			}
			cl := byLine[rng.Start.Line]
			if cl == nil {
				cl = &crowdLine{rng: rng}
				byLine[rng.Start.Line] = cl
			}
			cl.texts = append(cl.texts, f.Text)
		}
	}
	var out []crowdLine
	for _, cl := range byLine {
		out = append(out, *cl)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rng.Start.Line < out[j].rng.Start.Line })
	return out
}

// FindAll is a PlatformSpec.CrowdMentions that finds every match of re.
func FindAll(re interface{ FindAllStringIndex(string, int) [][]int }) func(string) []Found {
	return func(text string) []Found {
		var out []Found
		for _, m := range re.FindAllStringIndex(text, -1) {
			out = append(out, Found{Text: text[m[0]:m[1]], Start: m[0]})
		}
		return out
	}
}

// onLine is rng put where text is written on rng's line of src, the
// first time; rng as it was when it is not (an escape in it).
func onLine(src []byte, rng hcl.Range, text string) hcl.Range {
	start := 0
	for line := 1; line < rng.Start.Line; line++ {
		i := bytes.IndexByte(src[start:], '\n')
		if i < 0 {
			return rng
		}
		start += i + 1
	}
	end := len(src)
	if i := bytes.IndexByte(src[start:], '\n'); i >= 0 {
		end = start + i
	}
	at := bytes.Index(src[start:end], []byte(text))
	if at < 0 {
		return rng
	}
	col := utf8.RuneCount(src[start:start+at]) + 1 // hcl counts columns in characters
	return hcl.Range{Filename: rng.Filename,
		Start: hcl.Pos{Line: rng.Start.Line, Column: col, Byte: start + at},
		End:   hcl.Pos{Line: rng.Start.Line, Column: col + utf8.RuneCountInString(text), Byte: start + at + len(text)}}
}
