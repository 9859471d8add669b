package config

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	exprtypes "github.com/expr-lang/expr/types"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/rules"
)

// Graph is the dependency graph between blocks, by address.
type Graph struct {
	Nodes []string
	Edges []Edge
}

// Edge says From refers to To.
type Edge struct {
	From, To string
	Via      string // the attribute or function that makes the reference
}

var refKinds = map[string]string{
	"platform":  "platform.TYPE.NAME",
	"community": "community.NAME",
	"role":      "community.NAME.role.ROLE",
	"channel":   "community.NAME.channel.CHANNEL",
	"segment":   "segment.NAME",
	"tier":      "tier.NAME",
	"badge":     "badge.NAME",
	"template":  "template.NAME",
	"campaign":  "campaign.NAME",
	"incentive": "incentive.NAME",
	"survey":    "survey.NAME",
}

// resolve turns a reference attribute into the block it names, or nil
// after reporting why not.
func (l *loader) resolve(a *hcl.Attribute, want, from string) any {
	rng := a.Expr.Range()
	trav, diags := hcl.AbsTraversalForExpr(a.Expr)
	if diags.HasErrors() {
		if text, ok := quotedText(a.Expr); ok {
			// Suggest the reference the text most likely means.
			hint := refKinds[want]
			if t, d := hclsyntax.ParseTraversalAbs([]byte(text), "", hcl.InitialPos); !d.HasErrors() {
				if _, isRoot := refKinds[t.RootName()]; isRoot {
					hint = text
				} else if len(t) == 1 && !strings.Contains(refKinds[want], ".NAME.") {
					hint = want + "." + text
				}
			}
			l.errorf(&rng, "Invalid reference", "%s must be a reference, not a quoted string: write %s = %s, without quotes.", a.Name, a.Name, hint)
			return nil
		}
		l.errorf(&rng, "Invalid reference", "%s must be a reference such as %s, not an expression.", a.Name, refKinds[want])
		return nil
	}
	var parts []string
	for _, step := range trav {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			parts = append(parts, s.Name)
		case hcl.TraverseAttr:
			parts = append(parts, s.Name)
		default:
			l.errorf(&rng, "Invalid reference", "%s must be a reference such as %s.", a.Name, refKinds[want])
			return nil
		}
	}
	if l.broken[strings.Join(parts, ".")] {
		return nil // the block's own error is reported; do not repeat it
	}
	target, kind, addr := l.lookup(parts, &rng)
	if target == nil {
		return nil
	}
	if kind != want {
		l.errorf(&rng, "Wrong kind of reference", "%s needs a %s (%s), but %s is a %s.", a.Name, want, refKinds[want], addr, kind)
		return nil
	}
	l.edges = append(l.edges, Edge{From: from, To: addr, Via: a.Name})
	return target
}

// quotedText is the value of a quoted string without interpolations.
func quotedText(e hcl.Expression) (string, bool) {
	t, ok := e.(*hclsyntax.TemplateExpr)
	if !ok || !t.IsStringLiteral() {
		return "", false
	}
	v, diags := t.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || v.IsNull() {
		return "", false
	}
	return v.AsString(), true
}

// lookup finds the block an address names.
func (l *loader) lookup(parts []string, rng *hcl.Range) (any, string, string) {
	addr := strings.Join(parts, ".")
	root := parts[0]
	if _, ok := refKinds[root]; !ok || root == "role" || root == "channel" {
		var kinds []string
		for k := range refKinds {
			if k != "role" && k != "channel" {
				kinds = append(kinds, k)
			}
		}
		sort.Strings(kinds)
		why := ""
		if root == "var" || root == "local" {
			why = " A reference names a block directly; it cannot come from a variable or a local value."
		}
		l.errorf(rng, "Invalid reference", "%q does not name a block.%s%s References start with %s.", addr, why, suggest(root, kinds), quoteList(kinds))
		return nil, "", ""
	}
	need := 2
	if root == "platform" {
		need = 3
	}
	if len(parts) < need {
		l.errorf(rng, "Incomplete reference", "%q is incomplete: write %s.", addr, refKinds[root])
		return nil, "", ""
	}
	notFound := func(kind, name string, names []string) (any, string, string) {
		l.errorf(rng, "Reference to undeclared "+kind, "There is no %s named %q.%s", kind, name, suggest(name, names))
		return nil, "", ""
	}
	notIn := func(kind, name string, c *Community, names []string) (any, string, string) {
		l.errorf(rng, "Reference to undeclared "+kind, "There is no %s %q in community %q.%s", kind, name, c.Name, suggest(name, names))
		return nil, "", ""
	}
	switch root {
	case "platform":
		var names []string
		for _, p := range l.cfg.Platforms {
			if p.Type == parts[1] && p.Name == parts[2] && len(parts) == 3 {
				return p, "platform", addr
			}
			names = append(names, p.Type+"."+p.Name)
		}
		if len(parts) > 3 {
			break
		}
		return notFound("platform", parts[1]+"."+parts[2], names)
	case "community":
		var c *Community
		var names []string
		for _, x := range l.cfg.Communities {
			names = append(names, x.Name)
			if x.Name == parts[1] {
				c = x
			}
		}
		if c == nil {
			return notFound("community", parts[1], names)
		}
		if len(parts) == 2 {
			return c, "community", addr
		}
		if len(parts) != 4 || (parts[2] != "role" && parts[2] != "channel") {
			l.errorf(rng, "Invalid reference", "%q: inside a community, refer to community.%s.role.ROLE or community.%s.channel.CHANNEL.", addr, c.Name, c.Name)
			return nil, "", ""
		}
		names = nil
		if parts[2] == "role" {
			for _, r := range c.Roles {
				if r.Name == parts[3] {
					return r, "role", addr
				}
				names = append(names, r.Name)
			}
			return notIn("role", parts[3], c, names)
		}
		for _, ch := range c.Channels {
			if ch.Name == parts[3] {
				return ch, "channel", addr
			}
			names = append(names, ch.Name)
		}
		return notIn("channel", parts[3], c, names)
	default:
		if len(parts) > 2 {
			break
		}
		name := parts[1]
		var names []string
		var found any
		each := func(n string, v any) {
			names = append(names, n)
			if n == name {
				found = v
			}
		}
		switch root {
		case "segment":
			for _, x := range l.cfg.Segments {
				each(x.Name, x)
			}
		case "tier":
			for _, x := range l.cfg.Tiers {
				each(x.Name, x)
			}
		case "badge":
			for _, x := range l.cfg.Badges {
				each(x.Name, x)
			}
		case "template":
			for _, x := range l.cfg.Templates {
				each(x.Name, x)
			}
		case "campaign":
			for _, x := range l.cfg.Campaigns {
				each(x.Name, x)
			}
		case "incentive":
			for _, x := range l.cfg.Incentives {
				each(x.Name, x)
			}
		case "survey":
			for _, x := range l.cfg.Surveys {
				each(x.Name, x)
			}
		}
		if found == nil {
			return notFound(root, name, names)
		}
		return found, root, addr
	}
	l.errorf(rng, "Invalid reference", "%q has too many parts: write %s.", addr, refKinds[root])
	return nil, "", ""
}

// baseScope is what every rule may name: the event types, segments,
// badges and tiers of the configuration.
func (c *Config) baseScope() rules.Scope {
	known := func(names []string) map[string]bool {
		m := make(map[string]bool, len(names))
		for _, n := range names {
			m[n] = true
		}
		return m
	}
	var segs, badges, tiers []string
	for _, s := range c.Segments {
		segs = append(segs, s.Name)
	}
	for _, b := range c.Badges {
		badges = append(badges, b.Name)
	}
	for _, t := range c.Tiers {
		tiers = append(tiers, t.Name)
	}
	var channels map[string]bool // nil without channel blocks: nothing to check against
	for _, co := range c.Communities {
		for _, ch := range co.Channels {
			if channels == nil {
				channels = map[string]bool{}
			}
			// Events carry the name on the platform, the title; a block
			// name that differs is warned about apart, by
			// checkChannelComparisons, with the title to write.
			channels[ch.Name] = true
			if ch.Title != "" {
				channels[ch.Title] = true
			}
		}
	}
	return rules.Scope{
		EventTypes: known(sortedNames(c.EventTypes)), Segments: known(segs),
		Badges: known(badges), Tiers: known(tiers), Channels: channels,
	}
}

// ExprScope is the scope of an expression tried out against this
// configuration (hearth member eval): what a member rule may read, and
// with eventType, what a rule listening to that type may read of
// `event` too. Its result may be of any type.
func (c *Config) ExprScope(eventType string) (rules.Scope, error) {
	sc := c.baseScope()
	sc.What, sc.Result = "expression", rules.Any
	sc.NoEventHint = `Bind one with -event '{"type": "message.posted", "attrs": {...}}'.`
	if eventType == "" {
		return sc, nil
	}
	et, ok := c.EventTypes[eventType]
	if !ok {
		msg := fmt.Sprintf("no event type %q in the configuration", eventType)
		if dym := rules.DidYouMean(eventType, sortedNames(c.EventTypes)); dym != "" {
			msg += ". " + dym
		}
		return sc, errors.New(msg)
	}
	sc.Event = map[string]rules.AttrType{}
	for k, t := range et.Attrs {
		sc.Event[k] = t
	}
	sc.EventNames = rules.EventNames([]string{eventType})
	sc.EventChoices = rules.EventChoices([]string{eventType})
	return sc, nil
}

// compileAll compiles every rule now that every name is known.
func (l *loader) compileAll() {
	base := l.cfg.baseScope()
	// eventScope is what `event` has in a rule listening to the types:
	// the attributes every one of them has, since the rule runs on each.
	// partial holds those only some have, for a better message.
	eventScope := func(types []string) (scope map[string]rules.AttrType, partial map[string]bool) {
		scope, partial = map[string]rules.AttrType{}, map[string]bool{}
		if len(types) == 0 {
			// No event types (already reported): any attribute is
			// accepted, so the rule's other mistakes still show.
			scope[exprtypes.Extra] = rules.TypeAny
			return scope, partial
		}
		count := map[string]int{}
		for _, t := range types {
			if _, known := l.cfg.EventTypes[t]; !known || l.openEvents[t] {
				scope[exprtypes.Extra] = rules.TypeAny
			}
			for k, v := range l.cfg.EventTypes[t].Attrs {
				count[k]++
				if prev, ok := scope[k]; ok && prev != v {
					scope[k] = rules.TypeAny
					continue
				}
				scope[k] = v
			}
		}
		all := len(distinct(types))
		for k, n := range count {
			if n < all {
				delete(scope, k)
				partial[k] = true
			}
		}
		return scope, partial
	}
	// Rules are gathered first, compiled in parallel (the compiler keeps
	// no state between calls), then applied in order, so diagnostics
	// and edges come out the same on every run.
	type job struct {
		r       *Rule
		from    string
		sc      rules.Scope
		event   []string
		partial map[string]bool
		prog    *rules.Program
		errs    []*rules.Error
		warns   []*rules.Error
	}
	var jobs []*job
	compile := func(r *Rule, from string, event []string, withEvent bool) {
		if r == nil {
			return
		}
		r.Address = from + "." + r.attr
		r.ID = len(l.cfg.Rules)
		l.cfg.Rules = append(l.cfg.Rules, r)
		j := &job{r: r, from: from, sc: base, event: event}
		j.sc.What, j.sc.Result = r.scope.What, r.scope.Result
		if withEvent {
			j.sc.Event, j.partial = eventScope(event)
			j.sc.EventNames = rules.EventNames(event)
			j.sc.EventChoices = rules.EventChoices(event)
		}
		jobs = append(jobs, j)
	}
	for _, s := range l.cfg.Segments {
		compile(s.When, "segment."+s.Name, nil, false)
	}
	for _, t := range l.cfg.Tiers {
		compile(t.When, "tier."+t.Name, nil, false)
		compile(t.Keep, "tier."+t.Name, nil, false)
	}
	for _, b := range l.cfg.Badges {
		compile(b.RevokeWhen, "badge."+b.Name, nil, false)
	}
	for _, in := range l.cfg.Incentives {
		compile(in.When, "incentive."+in.Name, in.On, true)
		compile(in.Grant.To, "incentive."+in.Name, in.On, true)
		compile(in.OncePer, "incentive."+in.Name, in.On, true)
	}
	for _, c := range l.cfg.Campaigns {
		from := "campaign." + c.Name
		compile(c.EnterWhen, from, c.EnterOn, true)
		// Like enter_when, run_key reads the entering event, whether or
		// not the run keeps it.
		compile(c.RunKey, from, c.EnterOn, true)
		// A run keeps the event it entered on, so every rule of a
		// campaign entered with enter_on reads it, for the whole run.
		// Runs entered by audience have none.
		runEvent := len(c.EnterOn) > 0 && c.Audience == nil
		noEvent := ""
		switch {
		case c.Audience != nil && len(c.EnterOn) > 0:
			noEvent = fmt.Sprintf("campaign %q also enrolls members when they enter segment.%s, and those runs have no entering event; event is read only in campaigns entered with enter_on alone.", c.Name, c.Audience.Name)
		case c.Audience != nil:
			noEvent = fmt.Sprintf("campaign %q enrolls members when they enter segment.%s, so its runs have no entering event; event is read only in campaigns entered with enter_on, where it is the event that enrolled the member.", c.Name, c.Audience.Name)
		}
		campaignRule := func(r *Rule) {
			compile(r, from, c.EnterOn, runEvent)
			if !runEvent && noEvent != "" && r != nil {
				jobs[len(jobs)-1].sc.NoEventHint = noEvent
			}
		}
		campaignRule(c.ExitWhen)
		campaignRule(c.StopWhen)
		for _, s := range c.Steps {
			stepRule := func(r *Rule, what string) {
				if r != nil {
					r.attr = "step." + s.Name + "." + what
				}
				campaignRule(r)
			}
			stepRule(s.Until, "until")
			stepRule(s.WaitUntil, "wait_until")
			stepRule(s.When, "when")
			if s.Send != nil {
				stepRule(s.Send.NotAfter, "send.not_after")
			}
			for i, b := range s.Branches {
				stepRule(b.When, fmt.Sprintf("branch.%d", i))
			}
		}
	}
	for _, c := range l.cfg.Communities {
		for _, m := range c.Moderation {
			if m.When != nil {
				m.When.attr = "moderation." + m.Name + ".when"
			}
			compile(m.When, "community."+c.Name, m.On, true)
		}
	}
	for _, a := range l.cfg.Alerts {
		compile(a.When, "alert."+a.Name, nil, false)
	}
	parallel(len(jobs), func(i int) {
		j := jobs[i]
		j.prog, j.errs, j.warns = l.rc.Validate(j.r.Source, j.sc)
	})
	for _, j := range jobs {
		r := j.r
		for _, e := range j.errs {
			rng := l.ruleRange(r, e.From, e.To)
			detail := plainRuleMessage(e.Message)
			hint := e.Hint
			if m := reNoEventAttr.FindStringSubmatch(e.Message); m != nil && j.partial[m[1]] {
				hint = fmt.Sprintf("Only some of the event types it listens to (%s) have %s; give it a rule of its own that listens to those.", strings.Join(j.event, ", "), m[1])
			}
			if hint != "" {
				detail += " " + hint
			}
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid rule", Detail: detail, Subject: &rng, Context: r.Range.Ptr()})
		}
		// The warnings of a rule with errors too: validate shows every
		// problem of a rule in one run.
		for _, w := range j.warns {
			rng := l.ruleRange(r, w.From, w.To)
			summary := "Rule may fail at run time"
			if w.Summary != "" {
				summary = w.Summary
			}
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: w.Message + " " + w.Hint, Subject: &rng, Context: r.Range.Ptr()})
		}
		if j.prog != nil {
			r.Program = j.prog
			for _, s := range j.prog.Reads.Segments {
				l.edges = append(l.edges, Edge{From: j.from, To: "segment." + s, Via: "in_segment"})
			}
			for _, b := range j.prog.Reads.Badges {
				l.edges = append(l.edges, Edge{From: j.from, To: "badge." + b, Via: "has_badge"})
			}
		}
	}
	l.checkSegmentCycles()
	l.checkTierSegmentLoops()
	l.checkTierLadder()
	l.checkRankGaps()
	l.checkRankComparisons()
	l.checkChannelComparisons()
	for _, c := range l.cfg.Campaigns {
		l.checkLeftRules(c)
	}
	for _, a := range l.cfg.Alerts {
		l.checkAlertRule(a)
	}
	l.checkTemplateEvents(eventScope)
	l.checkTemplateLimits()
	l.checkCrowdMentions()
}

// checkTemplateEvents checks the event attributes read by the templates
// campaigns send against the event they are rendered with: the one that
// enrolled the member, kept for the run. A template can only be checked
// here, where its campaigns are known, and a name that event lacks would
// fail every such send at run time, as it does in a rule.
func (l *loader) checkTemplateEvents(eventScope func([]string) (map[string]rules.AttrType, map[string]bool)) {
	reported := map[hcl.Range]bool{}
	for _, c := range l.cfg.Campaigns {
		if len(c.EnterOn) == 0 && c.Audience == nil {
			continue // already an error
		}
		runEvent := len(c.EnterOn) > 0 && c.Audience == nil
		var attrs map[string]rules.AttrType
		var partial map[string]bool
		if runEvent {
			attrs, partial = eventScope(c.EnterOn)
			if _, open := attrs[exprtypes.Extra]; open {
				continue // an event type whose attributes are not all known
			}
		}
		for _, st := range c.Steps {
			if st.Send == nil || st.Send.Template == nil {
				continue
			}
			t := st.Send.Template
			for _, texts := range []map[string]hcl.Expression{t.Text, t.Subject, t.HTML} {
				for _, loc := range sortedNames(texts) {
					for _, tr := range texts[loc].Variables() {
						if tr.RootName() != "event" || len(tr) < 2 {
							continue
						}
						a, ok := tr[1].(hcl.TraverseAttr)
						if !ok {
							continue
						}
						if _, common := rules.EventCommon[a.Name]; common && runEvent {
							continue
						}
						if _, has := attrs[a.Name]; has {
							continue
						}
						rng := tr.SourceRange()
						if reported[rng] {
							continue
						}
						reported[rng] = true
						if !runEvent {
							what := "enrolls members when they enter segment." + c.Audience.Name + ", so its runs have no entering event"
							if len(c.EnterOn) > 0 {
								what = "also enrolls members when they enter segment." + c.Audience.Name + ", and those runs have no entering event"
							}
							l.errorf(&rng, "Unknown template variable", "campaign %q sends this template (step %s) and %s: event.%s would fail the send. A template reads event only in campaigns entered with enter_on alone.", c.Name, st.Name, what, a.Name)
							continue
						}
						names := append(sortedNames(attrs), sortedNames(rules.EventCommon)...)
						sort.Strings(names)
						var detail string
						if partial[a.Name] {
							detail = fmt.Sprintf("campaign %q sends this template (step %s) with the event that enrolled the member, and only some of the event types it enters on (%s) have %q, so a send to a member who entered on another would fail.", c.Name, st.Name, strings.Join(c.EnterOn, ", "), a.Name)
						} else {
							detail = fmt.Sprintf("campaign %q sends this template (step %s) with the event that enrolled the member, %s, which has no attribute %q, so the send would fail.", c.Name, st.Name, strings.Join(c.EnterOn, " or "), a.Name) + suggest(a.Name, names)
						}
						if next, ok := traverseName(tr, 2); ok && a.Name == "attrs" {
							// Events files and test files write attributes
							// under attrs; a template reads them directly.
							detail += fmt.Sprintf(" Event attributes are read as event.%s in templates, as in rules; attrs is only where events files (JSONL) and test files write them.", next)
						}
						detail += fmt.Sprintf(" It has %s (`hearth explain events`; declare a custom type's attributes in its event block).", strings.Join(names, ", "))
						l.errorf(&rng, "Unknown template variable", "%s", detail)
					}
				}
			}
		}
	}
}

// traverseName is the attribute name step i of tr reads (event.attrs.x
// or event.attrs["x"]).
func traverseName(tr hcl.Traversal, i int) (string, bool) {
	if i >= len(tr) {
		return "", false
	}
	switch t := tr[i].(type) {
	case hcl.TraverseAttr:
		return t.Name, true
	case hcl.TraverseIndex:
		if t.Key.Type() == cty.String && t.Key.IsKnown() && !t.Key.IsNull() {
			return t.Key.AsString(), true
		}
	}
	return "", false
}

// parallel calls f(0) ... f(n-1) on up to GOMAXPROCS goroutines; small
// batches run inline, where goroutines would cost more than they save.
func parallel(n int, f func(i int)) { parallelBatch(n, 16, f) }

// parallelFiles is parallel for files, each worth a goroutine.
func parallelFiles(n int, f func(i int)) { parallelBatch(n, 1, f) }

func parallelBatch(n, per int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/per)
	if workers < 2 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		})
	}
	wg.Wait()
}

var reNoEventAttr = regexp.MustCompile(`^event has no attribute "(\w+)"`)

func distinct(s []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	return m
}

var reToken = regexp.MustCompile(`^Unexpected token (\w+)\("(.*)"\)\.$`)

// plainRuleMessage rewrites expr's parser wording ("Unexpected token
// EOF", "Unexpected token Operator(\"=\")") in the terms of a rule.
func plainRuleMessage(msg string) string {
	if msg == "Literal not terminated." {
		return "A quoted string in the rule is not closed."
	}
	if msg == "Unexpected token EOF." {
		return "The rule ends too early: an operand or a closing bracket is missing."
	}
	m := reToken.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	switch {
	case m[2] == "=":
		return "Unexpected \"=\": compare with ==."
	case m[1] == "EOF":
		return "The rule ends too early."
	}
	return fmt.Sprintf("Unexpected %q here.", m[2])
}

// checkSegmentCycles reports segments whose rules need each other.
func (l *loader) checkSegmentCycles() {
	deps := map[string][]string{}
	rng := map[string]*Rule{}
	for _, s := range l.cfg.Segments {
		if s.When != nil && s.When.Program != nil {
			deps[s.Name] = s.When.Program.Reads.Segments
			rng[s.Name] = s.When
		}
	}
	state := map[string]int{}
	var visit func(n string, path []string) bool
	visit = func(n string, path []string) bool {
		switch state[n] {
		case 1:
			cycle := append(path[indexOf(path, n):], n)
			r := rng[n]
			l.errorf(&r.Range, "Cycle between segments", "These segments are defined through each other, so none can be decided first: segment.%s. Define one of them without in_segment.", strings.Join(cycle, " → segment."))
			return true
		case 2:
			return false
		}
		state[n] = 1
		for _, d := range deps[n] {
			if visit(d, append(path, n)) {
				state[n] = 2
				return true
			}
		}
		state[n] = 2
		return false
	}
	for _, n := range sortedNames(deps) {
		visit(n, nil)
	}
}

// checkTierSegmentLoops warns about a tier whose rule reads a segment that
// reads the member's tier, directly or through other segments: each can
// move the other. The runtime settles such a pair in a few passes an
// event, but rules that contradict each other flip members back and
// forth, so it is worth a look (it is not an error: "senior" over
// tier_rank() >= 2 feeding a rank 3 tier is stable).
func (l *loader) checkTierSegmentLoops() {
	readsTier := func(r *Rule) bool {
		if r == nil || r.Program == nil {
			return false
		}
		rd := r.Program.Reads
		return slices.Contains(rd.Member, "tier") || slices.Contains(rd.Member, "tier_rank") || slices.Contains(rd.Functions, "tier_rank")
	}
	byName := map[string]*Segment{}
	for _, s := range l.cfg.Segments {
		byName[s.Name] = s
	}
	// via[S] is the segment through which S reads the tier ("" for S
	// itself), or absent when it does not; segment cycles are errors of
	// their own, and the visited map keeps one from looping here.
	via := map[string]string{}
	visited := map[string]bool{}
	var visit func(s *Segment) bool
	visit = func(s *Segment) bool {
		if visited[s.Name] {
			_, ok := via[s.Name]
			return ok
		}
		visited[s.Name] = true
		if readsTier(s.When) {
			via[s.Name] = ""
			return true
		}
		if s.When != nil && s.When.Program != nil {
			for _, d := range s.When.Program.Reads.Segments {
				if ds := byName[d]; ds != nil && visit(ds) {
					via[s.Name] = d
					return true
				}
			}
		}
		return false
	}
	for _, t := range l.cfg.Tiers {
		for _, r := range []*Rule{t.When, t.Keep} {
			if r == nil || r.Program == nil {
				continue
			}
			for _, name := range r.Program.Reads.Segments {
				s := byName[name]
				if s == nil || !visit(s) {
					continue
				}
				path := "segment." + name
				for n := name; via[n] != ""; n = via[n] {
					path += " → segment." + via[n]
				}
				l.warnf(&r.Range, "Tier and segment read each other", "tier.%s reads %s, which reads the member's tier: a promotion can move the segment and the segment the tier. hearth settles them in up to four passes an event; if the rules contradict each other, members flip between them.", t.Name, path)
			}
		}
	}
}

// ruleRange maps a byte range inside a rule's value to the file: the
// tokens themselves, inside a quoted string (escapes undone), a heredoc
// (indentation stripped) or a template with interpolations (a token an
// interpolation gives points at the interpolation). Otherwise, as for a
// rule a local or a function gives whole, it is the whole attribute.
func (l *loader) ruleRange(r *Rule, from, to int) hcl.Range {
	f := l.cfg.Files[r.Range.Filename]
	if f == nil || r.expr == nil || r.Range.End.Byte > len(f.Bytes) {
		return r.Range
	}
	from = min(max(from, 0), len(r.Source))
	to = min(max(to, from), len(r.Source))
	// Not the white space around: a heredoc's last line break would
	// take the range to its closing marker.
	for from < to && isSpaceByte(r.Source[to-1]) {
		to--
	}
	for from < to && isSpaceByte(r.Source[from]) {
		from++
	}
	if from == to {
		return r.Range // an empty rule: point at the quotes, not between them
	}
	starts, ends, ok := sourceOffsets(r.expr, l.ctx, r.Source, f.Bytes)
	if !ok {
		return r.Range
	}
	start, end := starts[from], ends[to-1]
	if end < start {
		end = start
	}
	return hcl.Range{Filename: r.Range.Filename, Start: posAt(f.Bytes, start), End: posAt(f.Bytes, end)}
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// posAt is the line and column of a byte offset.
func posAt(src []byte, off int) hcl.Pos {
	off = min(max(off, 0), len(src))
	line, col := 1, 1
	for i := 0; i < off; {
		r, size := utf8.DecodeRune(src[i:])
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
		i += size
	}
	return hcl.Pos{Line: line, Column: col, Byte: off}
}

// The field names of member and community, read once: rules lists them
// by reflection.
var (
	memberFieldNames    = sync.OnceValue(func() []string { return fieldNames(rules.MemberFields()) })
	communityFieldNames = sync.OnceValue(func() []string { return fieldNames(rules.CommunityFields()) })
)

func fieldNames(fields []rules.Field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Name
	}
	return out
}

// templateRoots are the names a template may read.
var templateRoots = []string{"member", "event", "community", TemplateNow, TemplateTiers, TemplateBadges, "var", "local"}

// checkTemplateExpr checks what a template reads and renders it once
// with placeholder values to catch type errors before send time.
func (l *loader) checkTemplateExpr(e hcl.Expression) {
	ok := true
	for _, t := range e.Variables() {
		root := t.RootName()
		rng := t.SourceRange()
		field := ""
		if len(t) > 1 {
			if a, isAttr := t[1].(hcl.TraverseAttr); isAttr {
				field = a.Name
			}
		}
		switch root {
		case "member", "community":
			names := append(slices.Clip(memberFieldNames()), MemberMention)
			if root == "community" {
				names = communityFieldNames()
			}
			if field != "" && !slices.Contains(names, field) {
				l.errorf(&rng, "Unknown template variable", "%s has no field %q.%s See `hearth explain %s`.", root, field, suggest(field, names), root)
				ok = false
			}
			if root == "member" && field == "attrs" && len(t) > 2 {
				// A member without the attribute has no such key: the
				// send would fail for them, not print an empty string.
				if a, isAttr := t[2].(hcl.TraverseAttr); isAttr {
					l.warnf(&rng, "Template may fail at send time", "member.attrs.%s is missing for a member who has no such attribute, and the send to them then fails. Give a default: ${lookup(member.attrs, %q, \"\")} (or a word such as \"there\"), unless every member has it.", a.Name, a.Name)
				}
			}
		case "var":
			for _, v := range l.cfg.Variables {
				if v.Name == field && v.Sensitive {
					l.errorf(&rng, "Sensitive value would be shown", "var.%s is sensitive and cannot be put in a message.", field)
					ok = false
				}
			}
		case TemplateNow:
			if len(t) > 1 {
				l.errorf(&rng, "Unknown template variable", "now is the time of the send, RFC 3339 text in UTC, and has no fields: show it with localdate(\"EEE D MMM hh:mm\", now).")
				ok = false
			}
		case "event", "local", TemplateTiers, TemplateBadges:
			// tiers and badges hold the configuration's: the sample
			// render below finds a name none of them has.
		default:
			l.errorf(&rng, "Unknown template variable", "A template can read %s; %q is none of them.%s", quoteList(templateRoots), root, suggest(root, templateRoots))
			ok = false
		}
	}
	if !ok {
		return
	}
	if l.templateCtx == nil {
		l.templateCtx = l.sampleTemplateContext()
	}
	v, diags := e.Value(l.templateCtx)
	for _, d := range l.explainEval(diags) {
		if d.Severity == hcl.DiagError {
			nowHint(d)
			l.diags = append(l.diags, d)
		}
	}
	if !diags.HasErrors() && v.ContainsMarked() {
		// A sensitive variable read through a local value.
		l.errorf(e.Range().Ptr(), "Sensitive value would be shown", "This text is computed from a sensitive variable, so it cannot be put in a message.")
	}
}

// nowHint adds to a call of an unknown function that reads as the time
// (timestamp(), as in Terraform; now()) where a template finds it: the
// variable now, the time of the send.
func nowHint(d *hcl.Diagnostic) {
	call, ok := d.Expression.(*hclsyntax.FunctionCallExpr)
	if d.Summary != "Call to unknown function" || !ok {
		return
	}
	name := strings.ToLower(call.Name)
	if !slices.ContainsFunc([]string{"time", "now", "date", "today", "clock"}, func(s string) bool { return strings.Contains(name, s) }) {
		return
	}
	// HCL's "Did you mean" picks a function spelled alike (log for
	// now), which is not what was meant.
	d.Detail = fmt.Sprintf("There is no function named %q.", call.Name) + " A template reads the time of the send as the variable now (not a function), RFC 3339 text in UTC: ${localdate(\"EEE D MMM hh:mm\", now)} shows it on the member's clock."
}

// sampleTemplateContext has the shape of the real render context, with
// unknown values, so rendering checks types without real data.
func (l *loader) sampleTemplateContext() *hcl.EvalContext {
	obj := func(fields []rules.Field) cty.Value {
		m := map[string]cty.Value{}
		for _, f := range fields {
			switch f.Type {
			case "int", "float":
				m[f.Name] = cty.UnknownVal(cty.Number)
			case "bool":
				m[f.Name] = cty.UnknownVal(cty.Bool)
			case "map":
				m[f.Name] = cty.DynamicVal
			case "list":
				m[f.Name] = cty.UnknownVal(cty.List(cty.String))
			default:
				m[f.Name] = cty.UnknownVal(cty.String)
			}
		}
		return cty.ObjectVal(m)
	}
	vars := map[string]cty.Value{}
	for k, v := range l.ctx.Variables {
		vars[k] = v
	}
	vars["member"] = obj(append(rules.MemberFields(), rules.Field{Name: MemberMention, Type: "string"}))
	vars["community"] = obj(rules.CommunityFields())
	vars[TemplateTiers] = TiersValue(l.cfg.Tiers)
	vars[TemplateBadges] = BadgesValue(l.cfg.Badges)
	vars["event"] = cty.DynamicVal
	vars[TemplateNow] = cty.UnknownVal(cty.String)
	return &hcl.EvalContext{Variables: vars, Functions: l.ctx.Functions}
}

func (l *loader) buildGraph() *Graph {
	g := &Graph{}
	add := func(addr string) { g.Nodes = append(g.Nodes, addr) }
	for _, p := range l.cfg.Platforms {
		add(p.Addr())
	}
	for _, c := range l.cfg.Communities {
		add("community." + c.Name)
		for _, r := range c.Roles {
			add(r.Addr())
			g.Edges = append(g.Edges, Edge{From: r.Addr(), To: "community." + c.Name, Via: "role"})
		}
		for _, ch := range c.Channels {
			a := "community." + c.Name + ".channel." + ch.Name
			add(a)
			g.Edges = append(g.Edges, Edge{From: a, To: "community." + c.Name, Via: "channel"})
		}
	}
	for _, s := range l.cfg.Segments {
		add("segment." + s.Name)
	}
	for _, t := range l.cfg.Tiers {
		add("tier." + t.Name)
	}
	for _, b := range l.cfg.Badges {
		add("badge." + b.Name)
	}
	for _, in := range l.cfg.Incentives {
		add("incentive." + in.Name)
	}
	for _, c := range l.cfg.Campaigns {
		add("campaign." + c.Name)
	}
	for _, t := range l.cfg.Templates {
		add("template." + t.Name)
	}
	for _, s := range l.cfg.Surveys {
		add("survey." + s.Name)
	}
	for _, a := range l.cfg.Alerts {
		add("alert." + a.Name)
	}
	sort.Strings(g.Nodes)
	seen := map[Edge]bool{}
	for _, e := range append(g.Edges, l.edges...) {
		if !seen[e] {
			seen[e] = true
		}
	}
	g.Edges = g.Edges[:0]
	for e := range seen {
		g.Edges = append(g.Edges, e)
	}
	sort.Slice(g.Edges, func(i, j int) bool {
		a, b := g.Edges[i], g.Edges[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.To != b.To {
			return a.To < b.To
		}
		return a.Via < b.Via
	})
	return g
}

// errConstraint marks a malformed constraint, as opposed to one not met.
var errConstraint = errors.New("invalid constraint")

// checkVersion checks a constraint such as ">= 0.1, < 2" or "~> 0.1".
// A malformed constraint is an error even in a development build, which
// has no version to compare.
func checkVersion(constraint, version string) error {
	type term struct {
		op   string
		want versionParts
	}
	var terms []term
	for _, part := range strings.Split(constraint, ",") {
		part = strings.TrimSpace(part)
		op := "="
		for _, o := range []string{">=", "<=", "!=", "~>", ">", "<", "="} {
			if strings.HasPrefix(part, o) {
				op, part = o, strings.TrimSpace(part[len(o):])
				break
			}
		}
		want, err := parseVersion(part)
		if err != nil {
			return fmt.Errorf("%w: %q is not a version constraint; write forms such as \">= 0.1\", \"~> 0.1\" or \">= 0.1, < 1.0\"", errConstraint, constraint)
		}
		terms = append(terms, term{op, want})
	}
	have, err := parseVersion(version)
	if version == "" || err != nil {
		return nil // a development build: no version to hold it to
	}
	for _, t := range terms {
		c := compareVersions(have, t.want.v)
		ok := false
		switch t.op {
		case "=":
			ok = c == 0
		case "!=":
			ok = c != 0
		case ">":
			ok = c > 0
		case ">=":
			ok = c >= 0
		case "<":
			ok = c < 0
		case "<=":
			ok = c <= 0
		case "~>":
			// ~> 0.1 allows 0.x from 0.1; ~> 0.1.2 allows 0.1.x from 0.1.2.
			upper := append([]int(nil), t.want.v[:t.want.n-1]...)
			upper[len(upper)-1]++
			for len(upper) < 3 {
				upper = append(upper, 0)
			}
			ok = c >= 0 && compareVersions(have, upper) < 0
		}
		if !ok {
			return fmt.Errorf("this configuration needs hearth %s; this is hearth %s", constraint, version)
		}
	}
	return nil
}

type versionParts struct {
	v []int
	n int // parts written
}

func parseVersion(s string) (versionParts, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) == 0 || len(parts) > 3 {
		return versionParts{}, fmt.Errorf("bad version %q", s)
	}
	out := versionParts{n: len(parts)}
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return versionParts{}, fmt.Errorf("bad version %q", s)
		}
		out.v = append(out.v, n)
	}
	for len(out.v) < 3 {
		out.v = append(out.v, 0)
	}
	if out.n == 1 {
		out.n = 2 // ~> 1 behaves as ~> 1.0
	}
	return out, nil
}

func compareVersions(a versionParts, b []int) int {
	for i := range 3 {
		if a.v[i] != b[i] {
			if a.v[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
