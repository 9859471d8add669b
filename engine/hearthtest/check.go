package hearthtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
)

// line is one event of a test's stream: at is when the test receives
// it, its own time or its received.
type line struct {
	at time.Time
	// happened is the event's own time, before at when received later.
	happened time.Time
	id       string
	json     []byte
	src      *Event
}

// profileType is the event type whose attributes all become member
// attributes, declared or not.
const profileType = "member.profile_updated"

// Reload loads the configuration again with a test file's variables
// pinned over the other sources: config.Load with Options.Pinned.
type Reload func(pinned []config.PinnedVar) (*config.Config, hcl.Diagnostics)

// Reloader is the Reload of the configuration in dir loaded with opts.
func Reloader(dir string, opts config.Options) Reload {
	return func(pinned []config.PinnedVar) (*config.Config, hcl.Diagnostics) {
		o := opts
		o.Pinned = pinned
		c, _, diags := config.Load(dir, o)
		return c, diags
	}
}

// Load parses test files and checks them against cfg: Parse, then
// Check, with the problems of both in file order. The tests of a file
// that sets variables are checked, and later run, against the
// configuration reload gives with them. Files are named relative to
// base in what tests print (the directory the command runs in, as
// validate names them; "" names them as given).
func Load(cfg *config.Config, files []string, reload Reload, base string) (*Suite, hcl.Diagnostics) {
	s, diags := Parse(files)
	s.base = base
	diags = append(diags, s.bind(reload)...)
	diags = append(diags, s.Check(cfg)...)
	sortDiagnostics(diags)
	return s, diags
}

// bind loads the configuration of each file that pins variables, once
// for files that pin the same values, and gives it to the file's tests.
// Only a reload's errors are kept: its warnings are the configuration's
// own, already reported. An error in the configuration's files says
// which test file's values led to it.
func (s *Suite) bind(reload Reload) hcl.Diagnostics {
	var diags hcl.Diagnostics
	loaded := map[string]*config.Config{}
	failed := map[string]bool{}
	for _, t := range s.Tests {
		if len(t.Pinned) == 0 {
			continue
		}
		key := s.pinKey(t.Pinned)
		if c, ok := loaded[key]; ok {
			t.cfg = c
			continue
		}
		if failed[key] {
			continue
		}
		if reload == nil {
			diags = append(diags, errorAt(t.Pinned[0].NameRange, "Variables not applied", "this command cannot load the configuration with the variables of %s.", config.RelPath(t.File, s.base)))
			failed[key] = true
			continue
		}
		c, d := reload(t.Pinned)
		for _, e := range d {
			if e.Severity != hcl.DiagError {
				continue
			}
			if e.Subject == nil || e.Subject.Filename != t.File {
				e.Detail = strings.TrimSpace(e.Detail + " (with the variables " + config.RelPath(t.File, s.base) + " sets)")
				if e.Subject == nil {
					e.Subject = t.Pinned[0].NameRange.Ptr()
				}
			}
			diags = append(diags, e)
		}
		if d.HasErrors() {
			failed[key] = true
			continue
		}
		loaded[key], t.cfg = c, c
	}
	return diags
}

// pinKey identifies a set of pinned values by their text, so files that
// pin the same values share a configuration.
func (s *Suite) pinKey(pinned []config.PinnedVar) string {
	var b strings.Builder
	for _, p := range pinned {
		b.WriteString(p.Name)
		b.WriteByte('=')
		rng := p.Expr.Range()
		if f := s.Sources[rng.Filename]; f != nil {
			b.Write(rng.SliceBytes(f.Bytes))
		} else {
			fmt.Fprintf(&b, "%s:%d", rng.Filename, rng.Start.Byte)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// on is the configuration t runs on: its file's, or cfg.
func (t *Test) on(cfg *config.Config) *config.Config {
	if t.cfg != nil {
		return t.cfg
	}
	return cfg
}

// sortDiagnostics orders diagnostics by file and position, so they read
// from top to bottom whichever check found them.
func sortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		if a == nil || b == nil {
			return a != nil && b == nil
		}
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}

// Check checks the tests against the configuration they run on: event
// types and attribute types, the tiers, badges, segments, alerts and
// campaigns the expectations name, and the variants member blocks pin.
// It prepares the events and pins Run sends; Run only a suite whose Parse
// and Check found no errors.
func (s *Suite) Check(cfg *config.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	base := cfg
	for _, t := range s.Tests {
		start := len(diags)
		cfg := t.on(base)
		t.base = s.base
		t.variants = nil
		for _, p := range t.Members {
			if pins := checkMember(cfg, p, &diags); len(pins) > 0 {
				if t.variants == nil {
					t.variants = map[string]map[string]string{}
				}
				t.variants[p.ID] = pins
			}
		}
		checkIdentities(t, &diags)
		for _, e := range t.Events {
			checkEvent(cfg, s.base, e, &diags)
			checkBounce(t, e, &diags)
		}
		for _, x := range t.Expects {
			checkExpect(cfg, x, &diags)
		}
		for _, x := range t.Alerts {
			var names []string
			for _, a := range cfg.Alerts {
				names = append(names, a.Name)
			}
			known(x.NameRange, "alert", x.Name, names, "", &diags)
		}
		t.stream = stream(t)
		for _, d := range diags[start:] {
			n, _ := d.Extra.(*note)
			if n == nil {
				n = &note{}
				d.Extra = n
			}
			n.test = t.Name
		}
	}
	return diags
}

// note is what Check knows of a diagnostic it gives, for Summarize: the
// test it is in, and the kind and name of what the test names that the
// configuration lacks ("" when it is about something else).
type note struct {
	test, kind, name string
}

// LoadBroken is Load for a configuration with errors, as validate reads
// test files then: Parse, and Check against as much of cfg as loaded,
// with no variables pinned (their load would repeat cfg's errors). all
// is every diagnostic, in file order; shown is all with what Check gave
// summarized one a file (Summarize), paths relative to base.
func LoadBroken(cfg *config.Config, files []string, base string) (s *Suite, all, shown hcl.Diagnostics) {
	s, all = Parse(files)
	s.base = base
	all = append(all, s.Check(cfg)...)
	sortDiagnostics(all)
	return s, all, Summarize(all, base)
}

// Summarize makes the diagnostics Check gave one a test file, for a
// configuration with errors, which those may only follow from: a tier
// removed with a mistake left behind makes every test naming it an
// error too. Each says how many of the file's tests name what the
// configuration lacks, and what, at the first; the other problems are
// counted. Diagnostics not from Check are left as they are.
func Summarize(diags hcl.Diagnostics, base string) hcl.Diagnostics {
	type file struct {
		first  *hcl.Diagnostic
		tests  []string
		kinds  []string            // in order of first mention
		names  map[string][]string // kind -> names
		others int
		errs   bool
	}
	var order []string
	files := map[string]*file{}
	var out hcl.Diagnostics
	for _, d := range diags {
		n, ok := d.Extra.(*note)
		if !ok || d.Subject == nil {
			out = append(out, d)
			continue
		}
		f := files[d.Subject.Filename]
		if f == nil {
			f = &file{first: d, names: map[string][]string{}}
			files[d.Subject.Filename] = f
			order = append(order, d.Subject.Filename)
		}
		f.errs = f.errs || d.Severity == hcl.DiagError
		if !slices.Contains(f.tests, n.test) {
			f.tests = append(f.tests, n.test)
		}
		switch {
		case n.kind == "":
			f.others++
		case !slices.Contains(f.kinds, n.kind):
			f.kinds = append(f.kinds, n.kind)
			fallthrough
		default:
			if !slices.Contains(f.names[n.kind], n.name) {
				f.names[n.kind] = append(f.names[n.kind], n.name)
			}
		}
	}
	for _, path := range order {
		f := files[path]
		first := f.first.Subject
		where := fmt.Sprintf("%s:%d", config.RelPath(first.Filename, base), first.Start.Line)
		var detail string
		summary := "Test file names what the configuration lacks"
		if len(f.kinds) > 0 {
			var kinds, names []string
			for _, k := range f.kinds {
				kinds = append(kinds, k+"s")
				for _, n := range f.names[k] {
					if len(f.kinds) > 1 {
						n = k + " " + n
					}
					names = append(names, n)
				}
			}
			detail = fmt.Sprintf("%s %s %s the configuration does not have: %s (first at %s).",
				plural(len(f.tests), "test case", "test cases"), map[bool]string{true: "names", false: "name"}[len(f.tests) == 1],
				strings.Join(kinds, "/"), strings.Join(names, ", "), where)
			if f.others > 0 {
				detail += fmt.Sprintf(" There %s %s against the configuration too.", map[bool]string{true: "is", false: "are"}[f.others == 1], plural(f.others, "other problem", "other problems"))
			}
		} else {
			summary = "Test file problems against the configuration"
			detail = fmt.Sprintf("%s %s %s against the configuration (first at %s).",
				plural(len(f.tests), "test case", "test cases"), map[bool]string{true: "has", false: "have"}[len(f.tests) == 1],
				plural(f.others, "problem", "problems"), where)
		}
		detail += " The configuration has errors, which these may only follow from: fix those first, and each is then reported where it is (-json lists each now)."
		sev := hcl.DiagWarning
		if f.errs {
			sev = hcl.DiagError
		}
		out = append(out, &hcl.Diagnostic{Severity: sev, Summary: summary, Detail: detail, Subject: first})
	}
	return out
}

// checkEvent checks an event as the runtime will read it: its type must
// be one rules can listen to, and its attributes must have the types the
// type declares, or the rules on it are skipped.
func checkEvent(cfg *config.Config, base string, e *Event, diags *hcl.Diagnostics) {
	et, ok := cfg.EventTypes[e.Type]
	if !ok {
		d := errorAt(e.TypeRange, "Unknown event type",
			"There is no event type %q.%s Declare custom types with an event block; `hearth explain events` lists the standard ones.",
			e.Type, suggest(e.Type, sortedKeys(cfg.EventTypes)))
		d.Extra = &note{kind: "event type", name: e.Type}
		*diags = append(*diags, d)
		e.bad = true
	}
	if e.bad {
		return
	}
	// The event as simulate reads it: what it rejects is an error here,
	// at the attribute it is about.
	ev, err := events.Parse(eventJSON(e, "test", e.At, nil))
	if err != nil {
		*diags = append(*diags, errorAt(e.attrs.rng("attrs"), "Invalid event", "%s.", strings.TrimPrefix(err.Error(), events.ErrInvalid.Error()+": ")))
		e.bad = true
		return
	}
	attrsExpr := e.attrs.Attributes["attrs"]
	for _, k := range sortedKeys(ev.Attrs) {
		rng := e.DeclRange
		if attrsExpr != nil {
			rng = element(attrsExpr.Expr, k)
		}
		typ, declared := et.Attrs[k]
		if !declared {
			if e.Type == profileType {
				continue
			}
			// The runtime ignores it, as simulate does; a typo of a
			// declared name would leave the rules reading "".
			*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Undeclared event attribute",
				Detail:  fmt.Sprintf("%s has no attribute %q, so no rule can read it.%s %s", e.Type, k, suggest(k, sortedKeys(et.Attrs)), declaredAttrs(cfg, base, et)),
				Subject: rng.Ptr()})
			continue
		}
		one := &events.Event{Type: e.Type, Attrs: map[string]any{k: ev.Attrs[k]}}
		if _, err := events.RuleView(one, &rules.EventType{Name: et.Name, Attrs: map[string]rules.AttrType{k: typ}}); err != nil {
			*diags = append(*diags, errorAt(rng, "Invalid event attribute",
				"attrs.%s of %s must be %s, not %s: %s declares %s as %s%s. hearth run, simulate and replay refuse an event with a mistyped attribute.",
				k, e.Type, typeWant(typ), got(e.Attrs, k), e.Type, k, typ, declaredWhere(cfg, base, e.Type)))
			e.bad = true
		}
	}
}

func checkExpect(cfg *config.Config, x *Expect, diags *hcl.Diagnostics) {
	a := &x.attrs
	if x.Tier != nil && *x.Tier != "" {
		var names []string
		for _, t := range cfg.Tiers {
			names = append(names, t.Name)
		}
		known(a.rng("tier"), "tier", *x.Tier, names, "", diags)
	}
	var badges, segments []string
	for _, b := range cfg.Badges {
		badges = append(badges, b.Name)
	}
	for _, s := range cfg.Segments {
		segments = append(segments, s.Name)
	}
	if x.Badges != nil {
		knownAll(a, "badges", "badge", *x.Badges, badges, "", diags)
	}
	knownAll(a, "in_segments", "segment", x.InSegments, segments, "", diags)
	knownAll(a, "not_in_segments", "segment", x.NotInSegments, segments, "", diags)
	var campaigns []string
	for _, c := range cfg.Campaigns {
		campaigns = append(campaigns, c.Name)
	}
	for _, xc := range x.Campaigns {
		c := campaign(cfg, xc.Name)
		if c == nil {
			known(xc.NameRange, "campaign", xc.Name, campaigns, "", diags)
			continue
		}
		var steps, variants []string
		for _, st := range c.Steps {
			steps = append(steps, st.Name)
			for _, v := range st.Split {
				variants = append(variants, v.Name)
			}
		}
		ca, owner := &xc.attrs, "campaign "+c.Name
		switch {
		case xc.Key != nil && !c.Keyed():
			*diags = append(*diags, errorAt(ca.rng("key"), "Campaign has no run_key", "campaign %q has one run per member, without a key: remove key, or give the campaign run_key.", c.Name))
		case xc.Key == nil && c.Keyed():
			// Which run's state? Each key has its own.
			for _, attr := range []string{"status", "step", "ended", "variant", "runs", "held", "held_until"} {
				if _, ok := ca.Attributes[attr]; ok {
					*diags = append(*diags, errorAt(ca.rng(attr), "Which run?", "campaign %q has a run per key (%s): add key = \"...\" to this campaign block to say which run %s is about.", c.Name, c.KeyText(), attr))
					break
				}
			}
		}
		if xc.Step != nil && *xc.Step != "" {
			known(ca.rng("step"), "step", *xc.Step, steps, owner, diags)
		}
		if xc.Variant != nil && *xc.Variant != "" {
			known(ca.rng("variant"), "variant", *xc.Variant, variants, owner, diags)
		}
		if xc.Sent != nil {
			knownAll(ca, "sent", "step", *xc.Sent, steps, owner, diags)
		}
		if xc.Skipped != nil {
			knownAll(ca, "skipped", "step", *xc.Skipped, steps, owner, diags)
		}
		checkHeld(cfg, c, xc, diags)
		var sends []string
		for _, st := range c.Steps {
			if st.Send != nil {
				sends = append(sends, st.Name)
			}
		}
		for _, xm := range xc.Messages {
			switch {
			case !slices.Contains(steps, xm.Step):
				known(xm.NameRange, "step", xm.Step, steps, owner, diags)
			case !slices.Contains(sends, xm.Step):
				others := " It has no step that sends."
				if len(sends) > 0 {
					others = " Steps that send: " + quoteList(sends) + "."
				}
				*diags = append(*diags, errorAt(xm.NameRange, "Step sends nothing",
					"step %q of campaign %q has no send, so it has no message to check.%s", xm.Step, c.Name, others))
			}
		}
	}
}

// checkMember checks a member block's pinned variants: each campaign
// must exist and have a split, and each variant be one of its split's; a
// run's pin (rsvp[#43]) needs a campaign with run_key and a key. It
// returns the pins that are (campaign or run id -> variant).
func checkMember(cfg *config.Config, p *Member, diags *hcl.Diagnostics) map[string]string {
	if len(p.Variants) == 0 {
		return nil
	}
	expr := p.attrs.Attributes["variants"].Expr
	var campaigns, splits []string
	for _, c := range cfg.Campaigns {
		campaigns = append(campaigns, c.Name)
		if split(c) != nil {
			splits = append(splits, c.Name)
		}
	}
	pins := map[string]string{}
	for _, name := range sortedKeys(p.Variants) {
		keyRng, valueRng := keyAndValue(expr, name)
		// campaign[key] pins the member's run with that key alone.
		cname, runKey, keyed := state.SplitRunID(name)
		c := campaign(cfg, cname)
		if c == nil {
			known(keyRng, "campaign", cname, campaigns, "", diags)
			continue
		}
		if keyed && !c.Keyed() {
			*diags = append(*diags, errorAt(keyRng, "Campaign has no run_key",
				"campaign %q has no run_key, so a member has one run of it, not one per key: pin it as %s = %q.", c.Name, c.Name, p.Variants[name]))
			continue
		}
		if keyed && runKey == "" {
			*diags = append(*diags, errorAt(keyRng, "Empty run key",
				"%q names no key: write the key of the run to pin between the brackets, as run_key gives it (\"%s[Go Night #43]\"), or pin every run of the campaign as %s.", name, c.Name, c.Name))
			continue
		}
		st := split(c)
		if st == nil {
			others := " The configuration has no campaign with a split."
			if len(splits) > 0 {
				others = " Campaigns with a split: " + quoteList(splits) + "."
			}
			*diags = append(*diags, errorAt(keyRng, "Campaign has no split",
				"campaign %q has no split step, so it gives no member a variant to pin: remove it from variants.%s", c.Name, others))
			continue
		}
		v := p.Variants[name]
		var names []string
		weight := -1
		for _, x := range st.Split {
			names = append(names, x.Name)
			if x.Name == v {
				weight = x.Weight
			}
		}
		if weight < 0 {
			known(valueRng, "variant", v, names, "campaign "+c.Name, diags)
			continue
		}
		if weight == 0 {
			// A run under way may have it from before its weight went to
			// 0, so the test may run it; no new run gets it.
			*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Variant no member gets",
				Detail:  fmt.Sprintf("Variant %q of campaign %q has weight 0, so its split gives it to no new run; the test runs it all the same. Pin a variant with a weight, unless the test is about runs given it before its weight went to 0.", v, c.Name),
				Subject: valueRng.Ptr()})
		}
		pins[name] = v
	}
	return pins
}

// split is a campaign's split step (one per campaign at most), or nil.
func split(c *config.Campaign) *config.Step {
	for _, st := range c.Steps {
		if len(st.Split) > 0 {
			return st
		}
	}
	return nil
}

// checkHeld refuses a hold the campaign can never have, so a test
// that could only fail says why before it runs.
func checkHeld(cfg *config.Config, c *config.Campaign, xc *ExpectCampaign, diags *hcl.Diagnostics) {
	if xc.Held == nil {
		return
	}
	ca := &xc.attrs
	switch *xc.Held {
	case heldQuietHours:
		if c.QuietHours == nil {
			*diags = append(*diags, errorAt(ca.rng("held"), "Campaign has no quiet hours",
				"campaign %q has no quiet_hours block, so quiet hours never hold its sends: give it one, or expect another hold.", c.Name))
		}
	case heldFrequencyCap:
		if c.FrequencyCap == nil && cfg.Settings.FrequencyCap == nil {
			*diags = append(*diags, errorAt(ca.rng("held"), "No frequency cap",
				"Neither campaign %q nor the hearth block has a frequency_cap, so no cap holds its sends: give one a frequency_cap, or expect another hold.", c.Name))
		}
	}
}

// known reports name at rng unless it is one of names. owner is what
// holds names, such as "campaign onboarding"; "" for the configuration.
func known(rng hcl.Range, kind, name string, names []string, owner string, diags *hcl.Diagnostics) {
	if slices.Contains(names, name) {
		return
	}
	msg := fmt.Sprintf("There is no %s %q.", kind, name)
	none := " The configuration has none."
	if owner != "" {
		msg = fmt.Sprintf("%s has no %s %q.", upperFirst(owner), kind, name)
		none = " It has none."
	}
	hint := suggest(name, names)
	switch {
	case hint != "":
	case len(names) == 0:
		hint = none
	default:
		sorted := slices.Sorted(slices.Values(names))
		hint = " There are " + quoteList(sorted) + "."
	}
	d := errorAt(rng, "Unknown "+kind, "%s%s", msg, hint)
	if owner == "" {
		// Inside a campaign, a step or variant is not the
		// configuration's own name: Summarize counts it apart.
		d.Extra = &note{kind: kind, name: name}
	}
	*diags = append(*diags, d)
}

// knownAll reports each element of a list attribute that is not one of
// names, at the element.
func knownAll(a *attrs, attr, kind string, values, names []string, owner string, diags *hcl.Diagnostics) {
	for _, v := range values {
		rng := a.rng(attr)
		if at, ok := a.Attributes[attr]; ok {
			rng = element(at.Expr, v)
		}
		known(rng, kind, v, names, owner, diags)
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func campaign(cfg *config.Config, name string) *config.Campaign {
	for _, c := range cfg.Campaigns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// checkIdentities refuses an identity two member blocks of a test give:
// an identity belongs to one member, and the runtime would give it to
// the first only.
func checkIdentities(t *Test, diags *hcl.Diagnostics) {
	holder := map[string]string{}
	for _, p := range t.Members {
		for _, k := range sortedKeys(p.Identities) {
			id := k + ":" + p.Identities[k]
			if o, ok := holder[id]; ok && o != p.ID {
				*diags = append(*diags, errorAt(element(p.attrs.Attributes["identities"].Expr, k), "Identity of two members",
					"Member %q has %s = %q too: an identity belongs to one member, so hearth would not give it to this one. Give each member their own.", o, k, p.Identities[k]))
				continue
			}
			holder[id] = p.ID
		}
	}
}

// checkBounce warns of an email.bounced of a member the test gives no
// email address: the runtime records a bounce of the member's address,
// and with none it records nothing, so bounced = [...] and the skips a
// bounce makes could never show.
func checkBounce(t *Test, e *Event, diags *hcl.Diagnostics) {
	if e.Type != "email.bounced" || e.bad || e.Member == "" || e.Repeat == 0 {
		return
	}
	for _, p := range t.Members {
		if p.ID == e.Member && p.Identities["email"] != "" {
			return
		}
	}
	*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Bounce of no address",
		Detail: fmt.Sprintf("Member %q has no email address in this test, so this email.bounced records nothing: hearth records a bounce of the member's address (member.identities.email), and skips email to that address only. Give them one: member %q { identities = { email = \"%s@example.org\" } }.",
			e.Member, e.Member, exampleLocal(e.Member)),
		Subject: e.TypeRange.Ptr()})
}

// exampleLocal is a member id made into the local part of an example
// address: letters, digits, '.', '-' and '_' kept, the rest dropped.
func exampleLocal(id string) string {
	var b strings.Builder
	for _, r := range id {
		if r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "member"
	}
	return b.String()
}

// stream is the test's events as JSON lines in the order they are
// received (their time, or received), or nil when one of them is wrong.
func stream(t *Test) []line {
	var out []line
	who := map[string]*Member{}
	for _, p := range t.Members {
		who[p.ID] = p
	}
	for i, e := range t.Events {
		if e.bad {
			return nil
		}
		for n := range e.Repeat {
			id := e.ID
			if id == "" {
				id = fmt.Sprintf("test-%d", i+1)
			}
			if e.Repeat > 1 {
				id = fmt.Sprintf("%s-%d", id, n+1)
			}
			at := e.At.Add(time.Duration(n) * e.Every)
			l := line{at: at, happened: at, id: id, json: eventJSON(e, id, at, who[e.Member]), src: e}
			if e.Received != nil && e.Received.After(at) {
				l.at = *e.Received
			}
			out = append(out, l)
		}
	}
	// In the order the test receives them, as hearth run would.
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// eventJSON is event e as hearth run reads it, with the name and
// identities of p, the member block of its member (nil: none), in its
// member object.
func eventJSON(e *Event, id string, at time.Time, p *Member) []byte {
	obj := map[string]any{"id": id, "type": e.Type, "member": e.Member, "at": at.Format(time.RFC3339Nano)}
	if p != nil && (p.Name != "" || len(p.Identities) > 0) {
		obj["member"] = events.Member{ID: e.Member, Name: p.Name, Identities: p.Identities}
	}
	if !e.Attrs.IsNull() {
		if b, err := ctyjson.Marshal(e.Attrs, e.Attrs.Type()); err == nil {
			obj["attrs"] = json.RawMessage(b)
		}
	}
	b, _ := json.Marshal(obj)
	return b
}

// got describes attribute k of an object or map value: its kind and
// the value, `a string ("monday")`.
func got(v cty.Value, k string) string {
	if v.IsNull() || !v.CanIterateElements() {
		return "what it is"
	}
	e, ok := v.AsValueMap()[k]
	if !ok || e.IsNull() {
		return "null"
	}
	if e.Type() == cty.String {
		return fmt.Sprintf("a string (%q)", e.AsString())
	}
	return fmt.Sprintf("%s (%s)", friendly(e.Type()), ctyString(e))
}

func typeWant(t rules.AttrType) string {
	switch t {
	case rules.TypeString:
		return "a string"
	case rules.TypeInt:
		return "a whole number"
	case rules.TypeFloat:
		return "a number"
	case rules.TypeBool:
		return "true or false"
	case rules.TypeTime:
		return "an RFC 3339 time string"
	case rules.TypeList:
		return "a list"
	}
	return string(t)
}

// declaredWhere says where an event type's attributes are declared.
func declaredWhere(cfg *config.Config, base, typ string) string {
	for _, d := range cfg.Events {
		if d.Type.Name == typ {
			return fmt.Sprintf(" (in its event block at %s)", pos(base, d.DeclRange))
		}
	}
	return fmt.Sprintf(" (`hearth explain %s`)", typ)
}

func declaredAttrs(cfg *config.Config, base string, et rules.EventType) string {
	if len(et.Attrs) == 0 {
		return fmt.Sprintf("%s declares no attributes%s.", et.Name, declaredWhere(cfg, base, et.Name))
	}
	return fmt.Sprintf("Its attributes are %s%s.", strings.Join(sortedKeys(et.Attrs), ", "), declaredWhere(cfg, base, et.Name))
}

func suggest(name string, candidates []string) string {
	if s := rules.DidYouMean(name, candidates); s != "" {
		return " " + s
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
