package config

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
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

func (l *loader) decodeAll(blocks map[string][]*hcl.Block) {
	l.decodeSettings(blocks["hearth"])
	l.cfg.EventTypes = map[string]rules.EventType{}
	for _, e := range rules.StandardEvents() {
		l.cfg.EventTypes[e.Name] = e
	}
	// A block for a standard type adds its attributes to the type's
	// there and then; the custom types join after, so none is taken for
	// a standard one.
	for _, b := range blocks["event"] {
		l.decodeEvent(b)
	}
	for _, e := range l.cfg.Events {
		if !e.Standard {
			l.cfg.EventTypes[e.Type.Name] = e.Type
		}
	}
	// Order matters only for messages: references resolve after all.
	for _, step := range []struct {
		typ    string
		decode func(*hcl.Block)
	}{
		// Templates after tiers and badges: they read their titles
		// (tiers, badges), checked with the sample context.
		{"platform", l.decodePlatform}, {"community", l.decodeCommunity},
		{"badge", l.decodeBadge}, {"segment", l.decodeSegment}, {"tier", l.decodeTier}, {"template", l.decodeTemplate},
		{"incentive", l.decodeIncentive}, {"survey", l.decodeSurvey}, {"campaign", l.decodeCampaign},
	} {
		for _, b := range blocks[step.typ] {
			step.decode(b)
		}
	}
	l.checkSubCommunityNames()
	for _, b := range blocks["moved"] {
		l.decodeMoved(b)
	}
	l.checkMoved()
	for _, b := range blocks["sentiment"] {
		l.decodeSentiment(b, blocks["sentiment"][0])
	}
	for _, b := range blocks["alert"] {
		l.decodeAlert(b)
	}
	seenImports := map[string]bool{}
	for _, b := range blocks["import"] {
		l.decodeImport(b, seenImports)
	}
	sort.SliceStable(l.cfg.Tiers, func(i, j int) bool { return l.cfg.Tiers[i].Rank < l.cfg.Tiers[j].Rank })
}

// minIDRetention is the shortest event_id_retention: events a day late
// must still be recognised when sent again.
const minIDRetention = 24 * time.Hour

// minOutboxRetention is the shortest outbox_retention: a dead letter
// must last until someone can look at it.
const minOutboxRetention = 24 * time.Hour

func (l *loader) decodeSettings(blocks []*hcl.Block) {
	s := &l.cfg.Settings
	s.Timezone, s.TimezoneName, s.DefaultLocale = time.UTC, "UTC", "en"
	s.State = StateSettings{Backend: "sqlite", Path: filepath.Join(l.cfg.BaseDir, ".hearth", "state.db"), OutboxRetention: DefaultOutboxRetention}
	if len(blocks) == 0 {
		return
	}
	b := l.open(blocks[0], Root.block("hearth"))
	if a := b.attr("required_version"); a != nil {
		if c := b.str("required_version"); c != "" {
			if err := checkVersion(c, l.opts.Version); err != nil {
				if errors.Is(err, errConstraint) {
					l.errorf(a.Expr.Range().Ptr(), "Invalid required_version", "%s.", strings.TrimPrefix(err.Error(), errConstraint.Error()+": "))
				} else {
					l.errorf(a.Expr.Range().Ptr(), "Unsupported hearth version", "%s.", upperFirst(err.Error()))
				}
			}
			s.RequiredVersion = c
		}
	}
	if a := b.attr("ignore_changes"); a != nil {
		for _, pat := range b.strList("ignore_changes") {
			if _, err := path.Match(pat, ""); err != nil || pat == "" {
				l.errorf(a.Expr.Range().Ptr(), "Invalid pattern", "%q is not a pattern of ADDRESS.ATTRIBUTE; use * for any text, such as \"community.*.channel.*.position\".", pat)
				continue
			}
			s.IgnoreChanges = append(s.IgnoreChanges, pat)
		}
	}
	if a := b.attr("timezone"); a != nil {
		name := b.str("timezone")
		loc, err := time.LoadLocation(name)
		if err != nil || name == "" {
			l.errorf(a.Expr.Range().Ptr(), "Unknown time zone", "%q is not an IANA time zone name, such as \"UTC\", \"Europe/Berlin\" or \"Asia/Shanghai\".", name)
		} else {
			s.Timezone, s.TimezoneName = loc, name
		}
	}
	if a := b.attr("default_locale"); a != nil {
		loc := b.str("default_locale")
		if !localeRe.MatchString(loc) {
			l.errorf(a.Expr.Range().Ptr(), "Invalid locale", "%q is not a locale tag; use forms such as en or zh-CN.%s", loc, localeHint(loc))
		} else {
			s.DefaultLocale = loc
		}
	}
	s.FrequencyCap = b.rate("frequency_cap", durations.Long)
	for _, sb := range b.blocks("state") {
		st := l.open(sb, Root.block("hearth").block("state"))
		s.State.Backend = st.enum("backend")
		if p := st.str("path"); p != "" {
			if !filepath.IsAbs(p) {
				p = filepath.Join(l.cfg.BaseDir, p)
			}
			s.State.Path = p
		}
		if u, ok := st.setting("url"); ok {
			s.State.URL = u
			if !u.IsMarked() {
				if parsed, err := url.Parse(u.AsString()); err == nil && parsed.User != nil {
					if _, hasPassword := parsed.User.Password(); hasPassword {
						l.warnf(st.attr("url").Expr.Range().Ptr(), "Secret written in plain text",
							"The state URL holds a password. Keep it out of files in git: declare a variable with sensitive = true and set it with %s<name>, then write url = var.<name>.", EnvVarPrefix)
						// Still a secret: redacted wherever the daemon
						// shows text, as a plain platform credential is.
						s.State.URL = u.Mark(Sensitive)
					}
				}
			}
		}
		s.State.EventIDRetention = st.dur("event_id_retention")
		if a := st.attr("event_id_retention"); a != nil && s.State.EventIDRetention > 0 && s.State.EventIDRetention < minIDRetention {
			l.errorf(a.Expr.Range().Ptr(), "Event id retention too short", "Events older than event_id_retention are refused, so it must cover events that arrive late or are sent again: use at least \"1d\".")
		}
		s.State.OutcomeRetention = st.dur("outcome_retention")
		if a := st.attr("outbox_retention"); a != nil {
			s.State.OutboxRetention = st.dur("outbox_retention")
			if s.State.OutboxRetention > 0 && s.State.OutboxRetention < minOutboxRetention {
				l.errorf(a.Expr.Range().Ptr(), "Outbox retention too short", "Dead letters must stay long enough to be seen and retried: use at least \"1d\", or \"0s\" to keep every entry forever.")
			}
		}
		// No url, or a null one; not one whose variable failed, which is
		// reported already.
		if s.State.Backend == "postgres" && s.State.URL.IsNull() && !l.readsFailedVar(st.attr("url")) {
			l.errorf(&sb.DefRange, "Missing state URL", "The postgres backend needs url = \"postgres://user@host/db\"; pass it through a sensitive variable if it holds a password.")
		}
	}
}

// readsFailedVar reports whether an attribute reads a variable that had
// no valid value (its error is reported already).
func (l *loader) readsFailedVar(a *hcl.Attribute) bool {
	if a == nil {
		return false
	}
	for _, t := range a.Expr.Variables() {
		if t.RootName() != "var" || len(t) < 2 {
			continue
		}
		if name, ok := t[1].(hcl.TraverseAttr); ok && slices.Contains(l.failedVars, name.Name) {
			return true
		}
	}
	return false
}

func (l *loader) decodeEvent(hb *hcl.Block) {
	name := hb.Labels[0]
	if !eventNameRe.MatchString(name) {
		l.errorf(&hb.LabelRanges[0], "Invalid event type name", "%q is not a valid event type; use lower-case names of letters, digits and _, dotted or not, such as \"meetup.attended\" or \"checkin\".", name)
		l.broken["event."+name] = true // its uses in on are not unknown types too
		return
	}
	if !l.declare("event", name, hb.DefRange) {
		return
	}
	b := l.open(hb, Root.block("event"))
	if std, ok := l.cfg.EventTypes[name]; ok {
		l.extendEvent(b, hb, std)
		return
	}
	et := rules.EventType{Name: name, Doc: b.str("description"), Activity: b.boolean("activity", false), Attrs: map[string]rules.AttrType{}}
	if !l.eventAttrs(b, et.Attrs, nil) {
		l.openEvents[name] = true
	}
	l.cfg.Events = append(l.cfg.Events, &EventDecl{Type: et, DeclRange: hb.DefRange})
}

// extendEvent reads an event block for std, a standard type: it adds
// attributes a platform or a rule sends with it (referral.converted's
// campaign), so rules reading them are type-checked. What hearth
// itself knows of the type is not the block's to change: its own
// attributes, its activity and description.
func (l *loader) extendEvent(b *body, hb *hcl.Block, std rules.EventType) {
	name := std.Name
	for _, attr := range []string{"activity", "description"} {
		if a := b.attr(attr); a != nil {
			l.errorf(a.NameRange.Ptr(), "Standard event type", "%q is a standard event type, and its %s is hearth's: an event block for it only adds attributes (attributes = { ... }). For an event of your own, pick another name, such as \"custom.%s\".", name, attr, name)
		}
	}
	added := map[string]rules.AttrType{}
	if !l.eventAttrs(b, added, std.Attrs) {
		l.openEvents[name] = true
	}
	attrs := maps.Clone(std.Attrs)
	maps.Copy(attrs, added)
	std.Attrs = attrs
	l.cfg.EventTypes[name] = std
	l.cfg.Events = append(l.cfg.Events, &EventDecl{Type: rules.EventType{Name: name, Attrs: added}, Standard: true, DeclRange: hb.DefRange})
}

// eventAttrs reads an event block's attributes into out, item by item so
// each problem points at its own line. It reports false when some could
// not be read: rules over the event then accept any attribute rather
// than report each use of a missing one. std are the attributes of the
// standard type the block adds to, which it may not declare again.
func (l *loader) eventAttrs(b *body, out map[string]rules.AttrType, std map[string]rules.AttrType) bool {
	a := b.attr("attributes")
	if a == nil {
		return true
	}
	type item struct {
		key       string
		keyRng    *hcl.Range
		val       hcl.Expression
		valueText string
	}
	var items []item
	ok := true
	if obj, isObj := a.Expr.(*hclsyntax.ObjectConsExpr); isObj {
		for _, it := range obj.Items {
			k, diags := it.KeyExpr.Value(nil)
			if diags.HasErrors() || k.Type() != cty.String || k.IsNull() || !k.IsKnown() {
				l.errorf(it.KeyExpr.Range().Ptr(), "Invalid attribute name", "Attribute names are plain names, such as guests = \"int\".")
				ok = false
				continue
			}
			items = append(items, item{key: k.AsString(), keyRng: it.KeyExpr.Range().Ptr(), val: it.ValueExpr})
		}
	} else {
		m := b.strMap("attributes")
		if m == nil {
			return false
		}
		for _, k := range sortedNames(m) {
			items = append(items, item{key: k, keyRng: a.Expr.Range().Ptr(), valueText: m[k]})
		}
	}
	for _, it := range items {
		rng := it.keyRng
		text := it.valueText
		if it.val != nil {
			rng = it.val.Range().Ptr()
			if t, diags := hcl.AbsTraversalForExpr(it.val); !diags.HasErrors() && len(t) == 1 {
				l.errorf(rng, "Invalid attribute type", "Write the type of %q in quotes: %s = %q.", it.key, it.key, t.RootName())
				ok = false
				continue
			}
			v, diags := it.val.Value(l.ctx)
			l.diags = append(l.diags, l.explainEval(diags)...)
			if diags.HasErrors() {
				ok = false
				continue
			}
			v, err := convert.Convert(v, cty.String)
			if err != nil || v.IsNull() || !v.IsKnown() || v.IsMarked() {
				l.errorf(rng, "Invalid attribute type", "The type of %q must be one of %s.", it.key, quoteList(attrTypeNames()))
				ok = false
				continue
			}
			text = v.AsString()
		}
		if _, common := rules.EventCommon[it.key]; common {
			l.errorf(it.keyRng, "Reserved attribute", "Every event already has %q; pick another name. Every event has %s.", it.key, strings.Join(sortedNames(rules.EventCommon), ", "))
			continue
		}
		if typ, ok := std[it.key]; ok {
			l.errorf(it.keyRng, "Standard attribute", "%q is already an attribute of this standard event type, of type %s; an event block adds attributes to a standard type and does not redefine its own. Remove it here.", it.key, typ)
			continue
		}
		if !validAttrType(rules.AttrType(text)) {
			l.errorf(rng, "Invalid attribute type", "Attribute %q has type %q; use one of %s.%s", it.key, text, quoteList(attrTypeNames()), suggest(text, attrTypeNames()))
			ok = false
			continue
		}
		out[it.key] = rules.AttrType(text)
	}
	return ok
}

func validAttrType(t rules.AttrType) bool {
	for _, x := range rules.AttrTypes {
		if x == t {
			return true
		}
	}
	return false
}

func attrTypeNames() []string {
	var out []string
	for _, t := range rules.AttrTypes {
		out = append(out, string(t))
	}
	return out
}

// secretVar is the variable a credential setting is written from
// (var.discourse_api_key), or "" when it names none or several.
func secretVar(expr hcl.Expression) string {
	name := ""
	for _, tr := range expr.Variables() {
		if tr.RootName() != "var" || len(tr) < 2 {
			continue
		}
		a, ok := tr[1].(hcl.TraverseAttr)
		if !ok || (name != "" && name != a.Name) {
			return ""
		}
		name = a.Name
	}
	return name
}

// warnEmptySecret warns of a required credential set from a sensitive
// variable that has no value here (its HEARTH_VAR_ unset, no default):
// validate passes, but plan, apply and run cannot open the platform. A
// variable given an empty default on purpose (an example that
// validates anywhere) is left alone.
func (l *loader) warnEmptySecret(p *Platform, name string, attr *hcl.Attribute) {
	vr := p.SecretVars[name]
	if vr == "" || !slices.Contains(l.cfg.MissingSecrets, vr) || l.opts.QuietCredentials {
		return
	}
	who := "plan, apply and run"
	if l.opts.Platforms[p.Type].SendsOnly {
		who = "hearth run" // plan plans nothing there
	}
	l.warnf(attr.Expr.Range().Ptr(), "Credential without a value",
		"%s of %s comes from variable %q, which has no value, so %s cannot open the platform. Set %s%s (or give it with -var-file).",
		name, p.Addr(), vr, who, EnvVarPrefix, vr)
}

// checkNeeds reports settings a platform block needs and lacks: an
// error at the setting that needs one left unset or empty, a warning
// when the one needed comes from a sensitive variable with no value
// here (validate in CI, without the production secrets).
func (l *loader) checkNeeds(p *Platform, needs []SettingNeed) {
	for _, n := range needs {
		rng, ok := p.SettingRanges[n.Setting]
		if !ok {
			continue
		}
		v, set := p.Settings[n.Needs]
		if set && (!v.IsKnown() || v.IsNull()) {
			continue // a value only known later: nothing to say yet
		}
		if set {
			v, _ = v.Unmark()
			if v.Type() != cty.String || strings.TrimSpace(v.AsString()) != "" {
				continue
			}
		}
		if vr := p.SecretVars[n.Needs]; vr != "" && l.unsetVar(vr) {
			// The operator gives it where hearth runs; an empty default
			// lets CI and examples validate without it.
			if l.opts.QuietCredentials {
				continue
			}
			nr := p.SettingRanges[n.Needs]
			l.warnf(&nr, "Credential without a value",
				"%s of %s comes from variable %q, which is not set here, and %s needs it: %s Set %s%s (or give it with -var-file).",
				n.Needs, p.Addr(), vr, n.Setting, n.Why, EnvVarPrefix, vr)
			continue
		}
		what := "is not set"
		if set {
			what = "is empty"
		}
		l.errorf(&rng, "Missing setting", "%s of %s needs %s, which %s: %s", n.Setting, p.Addr(), n.Needs, what, n.Why)
	}
}

// unsetVar reports whether the variable was given no value: none at
// all, or only its declared default.
func (l *loader) unsetVar(name string) bool {
	if slices.Contains(l.cfg.MissingSecrets, name) {
		return true
	}
	for _, v := range l.cfg.Variables {
		if v.Name == name {
			return v.From == ""
		}
	}
	return false
}

func (l *loader) decodePlatform(hb *hcl.Block) {
	typ, name := hb.Labels[0], hb.Labels[1]
	spec, ok := l.opts.Platforms[typ]
	if !ok {
		l.errorf(&hb.LabelRanges[0], "Unknown platform type", "There is no platform type %q.%s Known types: %s.", typ, suggest(typ, sortedNames(l.opts.Platforms)), quoteList(sortedNames(l.opts.Platforms)))
		l.broken["platform."+typ+"."+name] = true
		return
	}
	if !l.declare("platform", typ+"."+name, hb.DefRange) {
		return
	}
	block := &Block{Type: "platform", Attrs: spec.Attrs}
	b := l.open(hb, block)
	p := &Platform{Type: typ, Name: name, Settings: map[string]cty.Value{}, DeclRange: hb.DefRange, SettingRanges: map[string]hcl.Range{}, SecretVars: map[string]string{}}
	for _, a := range spec.Attrs {
		attr := b.attr(a.Name)
		if attr == nil {
			continue
		}
		p.SettingRanges[a.Name] = attr.Expr.Range()
		if a.Secret {
			if v := secretVar(attr.Expr); v != "" {
				p.SecretVars[a.Name] = v
			}
		}
		var v cty.Value
		var ok bool
		switch a.Kind {
		case KindSetting, KindString:
			v, ok = b.setting(a.Name)
		case KindNumber:
			var n int
			n, ok = b.numOK(a.Name)
			v = cty.NumberIntVal(int64(n))
		case KindBool:
			v, ok = cty.BoolVal(b.boolean(a.Name, false)), true
		case KindEnum:
			v, ok = cty.StringVal(b.enum(a.Name)), true
		case KindDuration:
			v, ok = cty.StringVal(b.dur(a.Name).String()), true
		case KindStringList:
			var list []string
			list, ok = b.strListOK(a.Name)
			v = cty.ListValEmpty(cty.String)
			if len(list) > 0 { // cty.ListVal panics on an empty slice
				vals := make([]cty.Value, len(list))
				for i, s := range list {
					vals[i] = cty.StringVal(s)
				}
				v = cty.ListVal(vals)
			}
		default:
			v, _, ok = b.value(a.Name)
		}
		if !ok {
			continue
		}
		if a.Secret && !v.IsMarked() {
			l.warnf(attr.Expr.Range().Ptr(), "Secret written in plain text",
				"%s is a credential. Keep it out of files in git: declare a variable with sensitive = true and set it with %s<name>, then write %s = var.<name>.", a.Name, EnvVarPrefix, a.Name)
			v = v.Mark(Sensitive)
		}
		p.Settings[a.Name] = v
		if a.Required && a.Secret {
			l.warnEmptySecret(p, a.Name, attr)
		}
	}
	if spec.Needs != nil {
		l.checkNeeds(p, spec.Needs(p.Settings))
	}
	if spec.ChannelMarkdown != nil {
		p.ChannelMarkdown = spec.ChannelMarkdown(p.Settings)
	}
	p.AtMentions = spec.AtMentions
	p.AtTags = spec.AtTags
	p.CrowdMentions = spec.CrowdMentions
	p.DirectMarkup = spec.DirectMarkup
	p.Mention = spec.Mention
	if spec.TextLimit != nil {
		p.ChannelLimit = spec.TextLimit("channel", p.Settings)
		p.DirectLimit = spec.TextLimit("dm", p.Settings)
	}
	p.MovesMembers = spec.MovesMembers
	p.SendsOnly = spec.SendsOnly
	p.Unheld = slices.Sorted(maps.Keys(spec.Ignored))
	for k := range spec.Unsupported {
		if !slices.Contains(p.Unheld, k) {
			p.Unheld = append(p.Unheld, k)
		}
	}
	slices.Sort(p.Unheld)
	p.Adopts = slices.Sorted(maps.Keys(spec.Adopts))
	p.UnmuteAtEnd = spec.UnmuteAtEnd
	l.cfg.Platforms = append(l.cfg.Platforms, p)
}

func lifecycle(b *body) Lifecycle {
	lc := Lifecycle{PreventDestroy: b.boolean("prevent_destroy", false)}
	if b.spec.attr("ignore_changes") != nil {
		lc.IgnoreChanges = b.strList("ignore_changes")
		for _, name := range lc.IgnoreChanges {
			if b.spec.attr(name) == nil || name == "prevent_destroy" || name == "ignore_changes" {
				a := b.attr("ignore_changes")
				var names []string
				for _, x := range b.spec.Attrs {
					names = append(names, x.Name)
				}
				l := b.l
				l.errorf(l.elemRange(a.Expr, name), "Unknown attribute in ignore_changes", "%s has no attribute %q.%s", b.what, name, suggest(name, names))
			}
		}
	}
	return lc
}

func (l *loader) decodeCommunity(hb *hcl.Block) {
	name := hb.Labels[0]
	if !l.checkName("community", hb) || !l.declare("community", name, hb.DefRange) {
		return
	}
	spec := Root.block("community")
	b := l.open(hb, spec)
	c := &Community{
		Name: name, Title: b.str("title"), Purpose: b.str("purpose"), Audience: b.str("audience"),
		Capacity: b.num("capacity", 0), OnCapacity: b.enum("on_capacity"), SubTitle: b.str("sub_title"),
		HouseRules: b.str("house_rules"), WelcomeMessage: b.str("welcome_message"),
		Lifecycle: Lifecycle{PreventDestroy: b.boolean("prevent_destroy", false)}, DeclRange: hb.DefRange,
	}
	if a := b.attr("sub_title"); a != nil {
		l.checkSubTitle(c, a)
	}
	if a := b.attr("capacity"); a != nil && c.Capacity < 0 {
		l.errorf(a.Expr.Range().Ptr(), "Invalid capacity", "capacity must be 0 (no limit) or more.")
	}
	var set []setting       // channel and role settings, checked against the platform
	var names []channelName // channels' names on the platform, checked against it
	var texts []text        // channel and role texts, checked against the platform's rules
	if a := b.attr("platform"); a != nil {
		l.later = append(l.later, func() {
			if p, ok := l.resolve(a, "platform", "community."+name).(*Platform); ok {
				c.Platform = p
				l.checkSupported(p, set)
				l.checkChannelNames(p, names)
				l.checkReservedRoles(p, c)
				for _, t := range texts {
					l.checkText(p, t)
				}
				l.checkRoleHandles(p, c)
				l.checkRobotSplit(p, c, b)
				if why := l.opts.Platforms[p.Type].OneChannel; why != "" && len(c.Channels) > 1 {
					l.errorf(&c.Channels[1].DeclRange, "Too many channels for this platform", "%s: %s. Keep one channel block in community %q; the first is at %s.", p.Addr(), why, name, at(c.Channels[0].DeclRange))
				}
			}
		})
	}
	seen := map[string]hcl.Range{}
	for i, cb := range b.blocks("channel") {
		if !l.checkName("channel", cb) {
			// Its error is the one to read: a robot's channel setting
			// naming it is not unknown too (checkBotChannel).
			l.broken["community."+name+".channel."+cb.Labels[0]] = true
			continue
		}
		if !l.unique(seen, "channel", cb) {
			continue
		}
		cs := l.open(cb, spec.block("channel"))
		ch := &Channel{Name: cb.Labels[0], Title: cs.str("title"), Topic: cs.str("topic"), Purpose: cs.str("purpose"), Color: cs.color("color"), Position: cs.num("position", i), Category: cs.str("category"),
			Private: cs.boolean("private", false), PinHouseRules: cs.boolean("pin_house_rules", false), Lifecycle: lifecycle(cs), DeclRange: cb.DefRange}
		set = append(set, settings(cs, "channel", []bool{ch.Title != "", ch.Topic != "", ch.Purpose != "", ch.Color != "", ch.Position != i, ch.Category != "", ch.Private, ch.PinHouseRules},
			"title", "topic", "purpose", "color", "position", "category", "private", "pin_house_rules")...)
		named := channelName{ch: ch, rng: cb.LabelRanges[0]}
		if a := cs.attr("title"); a != nil {
			named.rng, named.titled = a.Expr.Range(), true
		}
		if ch.Title == "" {
			ch.Title = ch.Name
		}
		names = append(names, named)
		// The name is checked as a channel name (checkChannelNames);
		// the texts here are the rest.
		texts = append(texts, attrTexts(cs, "channel", map[string]string{"topic": ch.Topic, "purpose": ch.Purpose})...)
		c.Channels = append(c.Channels, ch)
	}
	l.checkChannelTitles(c, names)
	seen = map[string]hcl.Range{}
	for i, rb := range b.blocks("role") {
		if !l.checkName("role", rb) || !l.unique(seen, "role", rb) {
			continue
		}
		rs := l.open(rb, spec.block("role"))
		r := &Role{Name: rb.Labels[0], Title: rs.str("title"), Color: rs.color("color"), Permissions: rs.strList("permissions"),
			Hoist: rs.boolean("hoist", false), Mentionable: rs.boolean("mentionable", false), Position: rs.num("position", i),
			Lifecycle: lifecycle(rs), Community: c, DeclRange: rb.DefRange}
		if r.Title == "" {
			r.Title = r.Name
		}
		set = append(set, settings(rs, "role", []bool{r.Color != "", len(r.Permissions) > 0, r.Hoist, r.Mentionable, r.Position != i},
			"color", "permissions", "hoist", "mentionable", "position")...)
		if a := rs.attr("title"); a != nil {
			texts = append(texts, text{"role.name", r.Title, a.Expr.Range()})
		} else {
			texts = append(texts, text{"role.name", r.Title, rb.LabelRanges[0]})
		}
		c.Roles = append(c.Roles, r)
	}
	l.decodeLadder(c, b, spec)
	l.decodeModeration(c, hb, b, spec)
	if c.Capacity > 0 && c.Capacity < 2 {
		l.errorf(b.attr("capacity").Expr.Range().Ptr(), "Invalid capacity", "A capacity below 2 would split on every member.")
	}
	l.cfg.Communities = append(l.cfg.Communities, c)
}

// subTitlePlaceholder matches a {word} in a sub_title.
var subTitlePlaceholder = regexp.MustCompile(`\{[^{}]*\}`)

// checkSubTitle refuses a sub_title without {n}, which would give every
// sub-community one title, or with a placeholder other than {title} and
// {n}, which would be written as it is; and warns of one that does
// nothing, on a community that never splits.
func (l *loader) checkSubTitle(c *Community, a *hcl.Attribute) {
	rng := a.Expr.Range()
	for _, p := range subTitlePlaceholder.FindAllString(c.SubTitle, -1) {
		if p != "{title}" && p != "{n}" {
			hint := ""
			if near := rules.Closest(strings.Trim(p, "{}"), []string{"title", "n"}); near != "" {
				hint = fmt.Sprintf(" Did you mean {%s}?", near)
			}
			l.errorf(&rng, "Unknown placeholder in sub_title", "sub_title takes {title} (the community's title) and {n} (the sub-community's number), not %s.%s", p, hint)
			return
		}
	}
	if !strings.Contains(c.SubTitle, "{n}") {
		l.errorf(&rng, "sub_title without {n}", "Every sub-community would get the title %q: write {n}, the sub-community's number, where it goes, such as %q.", SubTitle(c.SubTitle, c.Title, 2), c.SubTitle+"{n}")
		return
	}
	if !c.Splits() {
		l.warnf(&rng, "sub_title does nothing here", "community %q opens no sub-community (it needs a capacity, and on_capacity = \"split\", the default), so sub_title is never used.", c.Name)
	}
}

// checkRobotSplit warns of a community that splits past its capacity on
// a platform hearth only sends through (a WeCom, Feishu or DingTalk
// robot): hearth cannot open a group there, so no sub-community is ever
// made; it counts the members from the joins and leaves it hears, and
// plan warns past the capacity, which on_capacity = "warn" says.
func (l *loader) checkRobotSplit(p *Platform, c *Community, b *body) {
	if !p.SendsOnly || !c.Splits() {
		return
	}
	rng := b.attr("capacity").Expr.Range()
	if a := b.attr("on_capacity"); a != nil {
		rng = a.Expr.Range()
	}
	l.warnf(&rng, "Community cannot split on this platform",
		"community %q splits past its capacity of %d (on_capacity = \"split\", the default), but %s only sends messages: hearth cannot open a group there, so no sub-community is ever made and members stay where they join. "+
			"hearth counts the community's members from the joins and leaves it hears, and plan warns once they pass %d: then open a new group by hand for newcomers (a community block of its own, with its own robot). Set on_capacity = \"warn\" to say so.",
		c.Name, c.Capacity, p.Addr(), c.Capacity)
}

// checkSubCommunityNames refuses a community block named as another
// block's sub-community (oss-2 beside an oss that splits): plan would
// take the one for the other, merging two communities into one object
// and sending one's members the other's messages.
func (l *loader) checkSubCommunityNames() {
	for _, c := range l.cfg.Communities {
		parent, n, ok := SplitName(c.Name)
		if !ok {
			continue
		}
		for _, p := range l.cfg.Communities {
			if p.Name != parent || !p.Splits() {
				continue
			}
			l.errorf(&c.DeclRange, "Community name taken by a sub-community",
				"community %q splits past its capacity of %d (%s), and %q is the name hearth gives its sub-community number %d. Rename community %q, or set on_capacity = \"warn\" on community %q.",
				parent, p.Capacity, at(p.DeclRange), c.Name, n, c.Name, parent)
		}
	}
}

// setting is a channel or role attribute set to something other than
// its default, as "channel.purpose".
type setting struct {
	key  string
	attr *hcl.Attribute
}

// settings lists the attributes among names whose value is not the
// default (on[i] true), in the order given.
func settings(b *body, block string, on []bool, names ...string) []setting {
	var out []setting
	for i, n := range names {
		if a := b.attr(n); on[i] && a != nil {
			out = append(out, setting{block + "." + n, a})
		}
	}
	return out
}

// text is a channel's or role's text as the platform will have it
// (PlatformSpec.TextRules): key as "channel.topic", and where it is
// written, for the diagnostic.
type text struct {
	key, value string
	rng        hcl.Range
}

// attrTexts lists the texts among values whose attribute is written,
// at their attributes.
func attrTexts(b *body, block string, values map[string]string) []text {
	var out []text
	for _, n := range slices.Sorted(maps.Keys(values)) {
		if a := b.attr(n); a != nil {
			out = append(out, text{block + "." + n, values[n], a.Expr.Range()})
		}
	}
	return out
}

// checkText refuses a text the platform's rules refuse (a Slack channel
// name in capitals, a topic over 250 characters): every apply would
// fail on it. A display name added to channels checks the same way,
// with key "channel.name".
func (l *loader) checkText(p *Platform, t text) {
	rules := l.opts.Platforms[p.Type].TextRules
	if rules == nil {
		return
	}
	if why := rules(t.key, t.value); why != "" {
		block, attr, _ := strings.Cut(t.key, ".")
		l.errorf(&t.rng, "Invalid "+block+" "+attr+" for this platform", "%s: %s", p.Addr(), why)
	}
}

// checkRoleHandles refuses roles whose handle (their block name in lower
// case, on platforms that mention roles by one) is a channel's name or
// another role's handle: the platform refuses a taken handle.
func (l *loader) checkRoleHandles(p *Platform, c *Community) {
	why := l.opts.Platforms[p.Type].RoleHandles
	if why == "" {
		return
	}
	channels := map[string]*Channel{}
	for _, ch := range c.Channels {
		channels[strings.ToLower(ch.Name)] = ch
	}
	roles := map[string]*Role{}
	for _, r := range c.Roles {
		h := strings.ToLower(r.Name)
		if ch, ok := channels[h]; ok {
			l.errorf(r.DeclRange.Ptr(), "Role handle taken", "%s: %s. Role %q would have the handle @%s, which channel %q at %s has as its name. Rename the role block (its title, the name people see, can stay).", p.Addr(), why, r.Name, h, ch.Name, at(ch.DeclRange))
		} else if o, ok := roles[h]; ok {
			l.errorf(r.DeclRange.Ptr(), "Role handle taken", "%s: %s. Roles %q and %q at %s would both have the handle @%s. Rename one of the role blocks.", p.Addr(), why, r.Name, o.Name, at(o.DeclRange), h)
		} else {
			roles[h] = r
		}
	}
}

// checkSupported refuses settings the community's platform cannot hold,
// such as a purpose on Discord or a pin on Discourse: the plan would show
// a change that every apply fails to make. Settings the platform ignores
// (a role color on Slack) only get a warning: plans converge, but the
// writer should know the setting does nothing there.
func (l *loader) checkSupported(p *Platform, set []setting) {
	spec := l.opts.Platforms[p.Type]
	for _, s := range set {
		block, attr, _ := strings.Cut(s.key, ".")
		if why, ok := spec.Unsupported[s.key]; ok {
			l.errorf(s.attr.Expr.Range().Ptr(), "Unsupported on this platform", "%s: %s. Remove %s from the %s block.", p.Addr(), why, attr, block)
		} else if why, ok := spec.Ignored[s.key]; ok {
			l.warnf(s.attr.Expr.Range().Ptr(), "Ignored on this platform", "%s: %s, so %s has no effect there. Remove it from the %s block.", p.Addr(), why, attr, block)
		} else if s.key == "role.permissions" && len(spec.Permissions) > 0 {
			l.checkPermissions(p, spec.Permissions, s.attr)
		}
	}
}

// checkPermissions refuses a role's permission names the platform does
// not have, at the name when the list is written out, else at the list:
// apply would create the roles before it and fail there.
func (l *loader) checkPermissions(p *Platform, known []string, a *hcl.Attribute) {
	bad := func(name string, rng hcl.Range) {
		l.errorf(&rng, "Unknown permission", "%s has no permission %q.%s Its permissions are %s.", p.Addr(), name, suggest(name, known), strings.Join(known, ", "))
	}
	check := func(v cty.Value, rng hcl.Range) {
		if !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
			return
		}
		if name := v.AsString(); !slices.Contains(known, name) {
			bad(name, rng)
		}
	}
	if items, diags := hcl.ExprList(a.Expr); !diags.HasErrors() {
		for _, item := range items {
			v, _ := item.Value(l.ctx)
			check(v, item.Range())
		}
		return
	}
	// A list from a variable or a local: placed at the attribute.
	v, diags := a.Expr.Value(l.ctx)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || !v.CanIterateElements() {
		return
	}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		check(e, a.Expr.Range())
	}
}

// checkReservedRoles refuses roles named as a group the platform keeps
// for itself, at the role's block.
func (l *loader) checkReservedRoles(p *Platform, c *Community) {
	spec := l.opts.Platforms[p.Type]
	for _, r := range c.Roles {
		if !slices.Contains(spec.ReservedRoles, strings.ToLower(r.Name)) {
			continue
		}
		l.errorf(r.DeclRange.Ptr(), "Reserved role name",
			"%s: %q is the name of one of the platform's own groups (%s); %s. Give the role another name, here and where community.%s.role.%s is referred to.",
			p.Addr(), r.Name, strings.Join(spec.ReservedRoles, ", "), spec.Reserved, c.Name, r.Name)
	}
}

var (
	nameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
	// The same names events.Event.Check takes: dotted or not, as "checkin".
	eventNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)
)

func (l *loader) checkName(kind string, hb *hcl.Block) bool {
	name := hb.Labels[len(hb.Labels)-1]
	if !nameRe.MatchString(name) {
		// "Start with a letter" misleads for 公告: 公 is a letter, just
		// not an ASCII one. Say so, and where a display name goes.
		hint := ""
		switch {
		case titled[kind]:
			hint = fmt.Sprintf(" Put the name people see in title (title = %q).", name)
		}
		l.errorf(&hb.LabelRanges[len(hb.Labels)-1], "Invalid "+kind+" name", "%q is not a valid %s name: block names must be ASCII letters, digits, _ or -, starting with a letter; they are what references, state and the CLI use.%s", name, kind, hint)
		return false
	}
	return true
}

// titled are the blocks with a title, the name people see, which may be
// in any script.
var titled = map[string]bool{"community": true, "channel": true, "role": true, "tier": true, "badge": true, "survey": true}

func (l *loader) unique(seen map[string]hcl.Range, kind string, hb *hcl.Block) bool {
	name := hb.Labels[0]
	if prev, ok := seen[name]; ok {
		l.errorf(&hb.DefRange, "Duplicate "+kind, "%s named %q is already defined at %s.", upperFirst(an(kind)), name, at(prev))
		return false
	}
	seen[name] = hb.DefRange
	return true
}

func (l *loader) decodeTemplate(hb *hcl.Block) {
	name := hb.Labels[0]
	if !l.checkName("template", hb) || !l.declare("template", name, hb.DefRange) {
		return
	}
	b := l.open(hb, Root.block("template"))
	t := &Template{Name: name, Description: b.str("description"), DefaultLocale: b.str("default_locale"), DeclRange: hb.DefRange}
	localeOK := true
	if a := b.attr("default_locale"); a != nil && t.DefaultLocale != "" && !localeRe.MatchString(t.DefaultLocale) {
		l.errorf(a.Expr.Range().Ptr(), "Invalid locale", "%q is not a locale tag; use forms such as en, en-GB or zh-CN.", t.DefaultLocale)
		localeOK = false
	}
	if t.DefaultLocale == "" || !localeOK {
		t.DefaultLocale = l.cfg.Settings.DefaultLocale
	}
	for _, part := range []struct {
		name string
		dst  *map[string]hcl.Expression
	}{{"text", &t.Text}, {"subject", &t.Subject}, {"html", &t.HTML}} {
		m, ok := b.localeText(part.name)
		*part.dst = m
		// Every text a member can get falls back to the default locale,
		// so it must be there; skip when the keys were already reported.
		if a := b.attr(part.name); a != nil && m != nil && ok && localeOK {
			if _, has := m[t.DefaultLocale]; !has {
				l.errorf(a.Expr.Range().Ptr(), "No text for the default locale", "template %q falls back to %q, but %s has no %q entry. Add one or set default_locale.", name, t.DefaultLocale, part.name, t.DefaultLocale)
			}
		}
		for _, loc := range sortedNames(m) {
			l.checkTemplateExpr(m[loc])
		}
	}
	l.cfg.Templates = append(l.cfg.Templates, t)
}

func (l *loader) decodeBadge(hb *hcl.Block) {
	name := hb.Labels[0]
	if !l.checkName("badge", hb) || !l.declare("badge", name, hb.DefRange) {
		return
	}
	b := l.open(hb, Root.block("badge"))
	bd := &Badge{Name: name, Title: b.str("title"), Description: b.str("description"), Class: b.enum("class"),
		Repeat: b.boolean("repeat", false), RevokeWhen: b.rule("revoke_when", rules.Scope{}), DeclRange: hb.DefRange}
	if bd.Title == "" {
		bd.Title = name
	}
	bd.PlatformBadge = b.str("platform_badge")
	if bd.PlatformBadge == "" {
		bd.PlatformBadge = bd.Title
	}
	l.refLater(b, "platform", "badge."+name, func(v any) { bd.Platform, _ = v.(*Platform) })
	l.cfg.Badges = append(l.cfg.Badges, bd)
}

func (l *loader) decodeSegment(hb *hcl.Block) {
	name := hb.Labels[0]
	if !l.checkName("segment", hb) || !l.declare("segment", name, hb.DefRange) {
		return
	}
	b := l.open(hb, Root.block("segment"))
	s := &Segment{Name: name, Description: b.str("description"), When: b.rule("when", rules.Scope{}), DeclRange: hb.DefRange}
	addr := "segment." + name
	l.refLater(b, "community", addr, func(v any) { s.Community, _ = v.(*Community) })
	l.refLater(b, "role", addr, func(v any) { s.Role, _ = v.(*Role) })
	l.cfg.Segments = append(l.cfg.Segments, s)
}

// refLater resolves a reference attribute once every block is decoded.
func (l *loader) refLater(b *body, name, from string, set func(any)) {
	a := b.attr(name)
	if a == nil {
		return
	}
	kinds := b.spec.attr(name).Refs
	l.later = append(l.later, func() {
		if v := l.resolve(a, kinds[0], from); v != nil {
			set(v)
		}
	})
}

func (l *loader) decodeTier(hb *hcl.Block) {
	name := hb.Labels[0]
	if !l.checkName("tier", hb) || !l.declare("tier", name, hb.DefRange) {
		return
	}
	if name == NoTier {
		l.errorf(&hb.LabelRanges[0], "Reserved tier name", "%q stands for members on no tier (hearth_tier_members{tier=%q}); name the tier differently.", NoTier, NoTier)
	}
	b := l.open(hb, Root.block("tier"))
	rank, rankOK := b.numOK("rank")
	t := &Tier{Name: name, Rank: rank, Title: b.str("title"), Description: b.str("description"),
		When: b.rule("when", rules.Scope{}), Keep: b.rule("keep", rules.Scope{}), Grace: b.dur("grace"),
		DemoteAfter: b.dur("demote_after"), Window: b.dur("window"), Benefits: b.strList("benefits"),
		Locked: b.strList("locked"), DeclRange: hb.DefRange}
	if t.Title == "" {
		t.Title = name
	}
	if a := b.attr("rank"); a != nil && rankOK {
		t.RankRange = a.Expr.Range()
		if t.Rank < 1 {
			l.errorf(a.Expr.Range().Ptr(), "Invalid rank", "rank must be 1 or more: 1 is the first rung above no tier.")
		}
		for _, other := range l.cfg.Tiers {
			if other.Rank == t.Rank && t.Rank >= 1 {
				l.errorf(a.Expr.Range().Ptr(), "Duplicate tier rank", "tier %q already has rank %d (at %s); each rung needs its own rank.", other.Name, t.Rank, at(other.DeclRange))
			}
		}
	}
	addr := "tier." + name
	l.refLater(b, "community", addr, func(v any) { t.Community, _ = v.(*Community) })
	l.refLater(b, "role", addr, func(v any) { t.Role, _ = v.(*Role) })
	for _, hd := range b.blocks(TrustPlatform) {
		l.decodeTierTrust(t, hd, addr)
	}
	l.cfg.Tiers = append(l.cfg.Tiers, t)
}

// decodeTierTrust reads a tier's discourse block. Its forum is found
// once references resolve: the one named, else the tier's community's or
// role's platform when a discourse one, else the only discourse
// platform block.
func (l *loader) decodeTierTrust(t *Tier, hd *hcl.Block, addr string) {
	db := l.open(hd, Root.block("tier").block(TrustPlatform))
	level, ok := db.numOK("trust_level")
	tt := &TierTrust{Level: level, Lock: db.boolean("lock", false), DeclRange: hd.DefRange}
	if a := db.attr("trust_level"); a != nil && ok && (level < 0 || level > 4) {
		l.errorf(a.Expr.Range().Ptr(), "Invalid trust level", "Discourse trust levels are 0 to 4; %d is none of them.", level)
	}
	named := db.attr("platform")
	l.refLater(db, "platform", addr, func(v any) { tt.Platform, _ = v.(*Platform) })
	l.later = append(l.later, func() {
		switch {
		case named != nil && tt.Platform == nil:
			return // the reference's own error says why
		case named != nil && tt.Platform.Type != TrustPlatform:
			l.errorf(named.Expr.Range().Ptr(), "Not a Discourse forum", "tier %q sets a Discourse trust level, but %s is a %s platform; name a platform.%s.NAME block.", t.Name, tt.Platform.Addr(), tt.Platform.Type, TrustPlatform)
			return
		case named != nil:
			t.Trust = tt
			return
		}
		for _, c := range []*Community{t.Community, roleCommunity(t.Role)} {
			if c != nil && c.Platform != nil && c.Platform.Type == TrustPlatform {
				tt.Platform = c.Platform
				t.Trust = tt
				return
			}
		}
		var forums []*Platform
		for _, p := range l.cfg.Platforms {
			if p.Type == TrustPlatform {
				forums = append(forums, p)
			}
		}
		if len(forums) == 1 {
			tt.Platform = forums[0]
			t.Trust = tt
			return
		}
		why := "the configuration has no platform \"" + TrustPlatform + "\" block"
		if len(forums) > 1 {
			why = fmt.Sprintf("the configuration has %d discourse platform blocks and the tier's community is on none of them", len(forums))
		}
		l.errorf(&hd.DefRange, "No Discourse forum for the trust level", "tier %q sets a Discourse trust level, but %s. Set platform = platform.%s.NAME in the block.", t.Name, why, TrustPlatform)
	})
}

func roleCommunity(r *Role) *Community {
	if r == nil {
		return nil
	}
	return r.Community
}

func (l *loader) decodeIncentive(hb *hcl.Block) {
	name := hb.Labels[0]
	if !l.checkName("incentive", hb) || !l.declare("incentive", name, hb.DefRange) {
		return
	}
	spec := Root.block("incentive")
	b := l.open(hb, spec)
	in := &Incentive{Name: name, Description: b.str("description"), Once: b.boolean("once", false),
		Cooldown: b.dur("cooldown"), Limit: b.limit("limit", l.cfg.Settings.Timezone), PointsCap: b.dayRate("points_cap"), Expires: b.dur("expires"),
		DeclRange: hb.DefRange}
	on, onAttr := b.eventTypes("on")
	in.On = on
	l.later = append(l.later, func() { l.checkEventTypes(onAttr, in.On) })
	in.When = b.rule("when", rules.Scope{})
	in.OncePer = b.rule("once_per", rules.Scope{Result: rules.String})
	addr := "incentive." + name
	l.refLater(b, "community", addr, func(v any) { in.Community, _ = v.(*Community) })
	grants := b.blocks("grant")
	if len(grants) == 0 && !written(hb.Body, "grant") {
		l.errorf(&hb.DefRange, "Missing grant block", "incentive %q grants nothing: add a grant block with points, badge, role or set.", name)
	}
	for _, gb := range grants {
		g := l.open(gb, spec.block("grant"))
		in.Grant.Points = g.num("points", 0)
		in.Grant.Set = g.strMap("set")
		in.Grant.Reason = g.str("reason")
		in.Grant.To = g.rule("to", rules.Scope{Result: rules.String})
		l.refLater(g, "badge", addr, func(v any) { in.Grant.Badge, _ = v.(*Badge) })
		l.refLater(g, "role", addr, func(v any) { in.Grant.Role, _ = v.(*Role) })
		if g.attr("points") == nil && g.attr("badge") == nil && g.attr("role") == nil && g.attr("set") == nil {
			l.errorf(&gb.DefRange, "Empty grant", "A grant needs at least one of points, badge, role or set.")
		}
	}
	if in.Grant.Reason == "" {
		in.Grant.Reason = name
	}
	if in.Once && in.OncePer != nil {
		l.warnf(b.attr("once_per").Expr.Range().Ptr(), "once_per has no effect with once", "incentive %q grants at most once per member, ever, so once per key never applies: drop once = true to grant once per key.", name)
	}
	if in.Once && in.Limit != nil {
		l.warnf(b.attr("limit").Expr.Range().Ptr(), "limit has no effect with once", "incentive %q grants at most once per member, so its limit never applies.", name)
	}
	l.cfg.Incentives = append(l.cfg.Incentives, in)
}

// expireAfter reads a campaign's expire_after: a duration of at least
// MinExpireAfter, or "never"; DefaultExpireAfter when absent (or wrong,
// reported at the value).
func (b *body) expireAfter() time.Duration {
	v, a, ok := b.convert("expire_after", cty.String)
	if !ok {
		return DefaultExpireAfter
	}
	if strings.TrimSpace(v.AsString()) == ExpireNever {
		return 0
	}
	d := b.dur("expire_after")
	switch {
	case b.reported("expire_after"):
		return DefaultExpireAfter
	case d < MinExpireAfter:
		b.l.errorf(a.Expr.Range().Ptr(), "Invalid expire_after", "expire_after must be at least %s (the outbox delivers in rounds a second or so apart), or %q for sends that never expire; got %q.", durations.Format(MinExpireAfter), ExpireNever, v.AsString())
		return DefaultExpireAfter
	}
	return d
}

func (l *loader) decodeCampaign(hb *hcl.Block) {
	name := hb.Labels[0]
	if !l.checkName("campaign", hb) || !l.declare("campaign", name, hb.DefRange) {
		return
	}
	spec := Root.block("campaign")
	b := l.open(hb, spec)
	c := &Campaign{Name: name, Description: b.str("description"), ExitOnLeave: b.boolean("exit_on_leave", true),
		ExitWhen: b.rule("exit_when", rules.Scope{}), StopWhen: b.rule("stop_when", rules.Scope{}), Reentry: b.enum("reentry"), ReentryAfter: b.dur("reentry_after"),
		FrequencyCap: b.rate("frequency_cap", durations.Long), OnCap: b.enum("on_cap"), Paused: b.boolean("paused", false), DeclRange: hb.DefRange}
	on, onAttr := b.eventTypes("enter_on")
	c.EnterOn = on
	l.later = append(l.later, func() { l.checkEventTypes(onAttr, c.EnterOn) })
	c.EnterWhen = b.rule("enter_when", rules.Scope{})
	c.RunKey = b.rule("run_key", rules.Scope{Result: rules.String})
	c.MaxRuns = b.num("max_runs", DefaultMaxRuns)
	before := len(l.diags)
	c.Members = b.enum("members")
	// Nobody is in the community and gone from it at once: the type
	// would never enroll anyone, and the campaign would look broken. A
	// mistyped members is reported for itself.
	for _, t := range on {
		switch {
		case onAttr == nil || len(l.diags) > before:
		case t == "member.left" && c.Members == MembersCurrent:
			l.warnf(l.elemRange(onAttr.Expr, t), "member.left enrolls nobody here", "campaign %q is for members of the community (members = \"current\", the default), and someone who has just left is not one. For a win-back, set members = \"left\" and send by email.", name)
		case t == "member.joined" && c.Members == MembersLeft:
			l.warnf(l.elemRange(onAttr.Expr, t), "member.joined enrolls nobody here", "campaign %q is for members who have left (members = \"left\"), and someone who has just joined has not. Coming back is this campaign's goal: a member.joined ends the run as goal.", name)
		case (t == "tier.changed" || t == "badge.awarded") && b.attr("reentry") == nil && b.attr("run_key") == nil:
			// A level-up announcement that fires once and never again
			// looks like a bug days later; the default suits onboarding.
			l.warnf(l.elemRange(onAttr.Expr, t), t+" enrolls each member once", "campaign %q has no reentry, so it takes the default, \"never\": a member goes through it for their first %s only, and later ones pass unheard. Set reentry = \"always\" to hear every one (or reentry = \"never\" to say once is meant).", name, map[string]string{"tier.changed": "change of tier", "badge.awarded": "badge"}[t])
		}
	}
	addr := "campaign." + name
	l.refLater(b, "community", addr, func(v any) { c.Community, _ = v.(*Community) })
	l.refLater(b, "audience", addr, func(v any) { c.Audience, _ = v.(*Segment) })
	if b.attr("enter_on") == nil && b.attr("audience") == nil && len(b.content.Blocks.OfType("schedule")) == 0 {
		l.errorf(&hb.DefRange, "Campaign has no entry", "campaign %q enrolls nobody: set enter_on (an event type) or audience (a segment).", name)
	}
	if c.EnterWhen != nil && b.attr("enter_on") == nil {
		l.errorf(&c.EnterWhen.Range, "enter_when without enter_on", "enter_when checks the entering event, so it needs enter_on.")
	}
	if c.RunKey != nil && b.attr("enter_on") == nil {
		l.errorf(&c.RunKey.Range, "run_key without enter_on", "run_key gives each entering event's key its own run, so it needs enter_on; campaign %q enrolls by audience alone, one run per member.", name)
	}
	if a := b.attr("max_runs"); a != nil {
		switch {
		case c.RunKey == nil && !b.reported("run_key") && len(b.content.Blocks.OfType("schedule")) == 0:
			l.errorf(a.Expr.Range().Ptr(), "max_runs without run_key", "max_runs limits the runs a member has under way at once, one per key; without run_key a member has one run of campaign %q at a time.", name)
		case c.MaxRuns < 1:
			l.errorf(a.Expr.Range().Ptr(), "Invalid max_runs", "max_runs must be 1 or more.")
		}
	}
	if a := b.attr("exit_on_leave"); a != nil && b.attr("audience") == nil {
		l.warnf(a.Expr.Range().Ptr(), "exit_on_leave without audience", "exit_on_leave ends a run when the member leaves the audience segment, and campaign %q has none. To end runs on a condition, use stop_when (or exit_when, when the condition is the goal)%s.", name, map[bool]string{true: "; leaving the community ends them anyway"}[c.Members == MembersCurrent])
	}
	// A reentry or reentry_after that is written but wrong is reported
	// for itself, not again as missing or unused.
	if c.Reentry == "after" && c.ReentryAfter == 0 && !b.reported("reentry_after") {
		l.errorf(b.attr("reentry").Expr.Range().Ptr(), "Missing reentry_after", "reentry = \"after\" needs reentry_after, such as \"30d\".")
	}
	if c.ReentryAfter != 0 && c.Reentry != "after" && !b.reported("reentry") {
		l.errorf(b.attr("reentry_after").Expr.Range().Ptr(), "reentry_after without reentry = \"after\"", "Set reentry = \"after\" for reentry_after to apply.")
	}
	c.ExpireAfter = b.expireAfter()
	l.decodeSchedule(c, b, hb)
	c.ConversionWindow = b.dur("conversion_window")
	if a := b.attr("conversion_window"); a != nil && !b.reported("conversion_window") {
		switch {
		case c.ConversionWindow <= 0:
			l.errorf(a.Expr.Range().Ptr(), "Invalid conversion_window", "conversion_window must be longer than zero, such as \"7d\".")
		case !c.HasGoal() && !b.reported("exit_when"):
			l.errorf(a.Expr.Range().Ptr(), "conversion_window without a goal", "conversion_window counts a finished run as goal when the goal holds within it of entering, and campaign %q has none: add exit_when, such as exit_when = \"member.messages > 0\".", name)
		}
	}
	c.ConversionFrom = b.enum("conversion_from")
	if a := b.attr("conversion_from"); a != nil && !b.reported("conversion_from") && b.attr("conversion_window") == nil {
		l.errorf(a.Expr.Range().Ptr(), "conversion_from without conversion_window", "conversion_from says what the conversion window counts from, and campaign %q has none: add conversion_window, such as conversion_window = \"7d\".", name)
	}
	for _, qb := range b.blocks("quiet_hours") {
		q := l.open(qb, spec.block("quiet_hours"))
		from, to := q.clock("from"), q.clock("to")
		qh := &QuietHours{}
		if from != nil && to != nil {
			qh.From, qh.To = *from, *to
			if *from == *to {
				l.errorf(&qb.DefRange, "Empty quiet hours", "from and to are the same time.")
			}
		}
		if a := q.attr("timezone"); a != nil {
			tz := q.str("timezone")
			loc, err := time.LoadLocation(tz)
			if err != nil || tz == "" {
				l.errorf(a.Expr.Range().Ptr(), "Unknown time zone", "%q is not an IANA time zone name.", tz)
			} else {
				qh.Timezone = loc
			}
		}
		c.QuietHours = qh
	}
	stepSpec := spec.block("step")
	seen := map[string]hcl.Range{}
	var gotos []gotoRef
	var from string // the step being read, for the loop check
	// waiting steps have a wait written, valid or not (an invalid one is
	// reported for itself, not again as a loop).
	waiting := map[string]bool{}
	// A run holds one variant: a second split would find it among none of
	// its arms and send every member the same way.
	var firstSplit *hcl.Block
	var firstSplitStep string
	addGoto := func(b *body, attr, target string) {
		if a := b.attr(attr); a != nil && target != "" {
			gotos = append(gotos, gotoRef{from: from, name: target, attr: attr, rng: a.Expr.Range()})
		}
	}
	for _, sb := range b.blocks("step") {
		if !l.checkName("step", sb) || !l.unique(seen, "step", sb) {
			continue
		}
		s := l.open(sb, stepSpec)
		from = sb.Labels[0]
		// until is no wait in a loop: the second time round its time
		// has passed.
		waiting[from] = s.attr("wait") != nil || s.attr("at") != nil || s.attr("wait_until") != nil
		st := &Step{Name: sb.Labels[0], Wait: s.dur("wait"), At: s.clock("at"), WaitUntil: s.rule("wait_until", rules.Scope{}),
			Until: s.rule("until", rules.Scope{Result: rules.Time}), IfPast: s.enum("if_past"),
			Timeout: s.dur("timeout"), OnTimeout: s.str("on_timeout"), When: s.rule("when", rules.Scope{}), Goto: s.str("goto"), DeclRange: sb.DefRange}
		if st.IfPast == "" {
			st.IfPast = "skip"
		}
		if a := s.attr("until"); a != nil {
			// One step, one time to wait for: until gives it in full, and
			// a wait or time of day on top would leave it unclear which
			// counts. Steps in a row wait one after the other.
			for _, other := range []string{"wait", "at", "wait_until"} {
				if o := s.attr(other); o != nil {
					l.errorf(o.NameRange.Ptr(), "until with "+other, "step %q waits until the time its until gives, so it cannot also have %s. Put the %s in a step of its own, before or after this one.", st.Name, other, other)
				}
			}
		} else if a := s.attr("if_past"); a != nil {
			l.errorf(a.Expr.Range().Ptr(), "if_past without until", "if_past says what happens when the time until gives has passed; add until or remove if_past.")
		}
		if st.Name == Exit {
			l.errorf(&sb.LabelRanges[0], "Reserved step name", "\"exit\" means the end of the campaign; name the step differently.")
		}
		addGoto(s, "goto", st.Goto)
		addGoto(s, "on_timeout", st.OnTimeout)
		// As above: a timeout or wait_until written but wrong (timeout =
		// "-1d") is reported for itself, not again as missing.
		if st.Timeout != 0 && st.WaitUntil == nil && !s.reported("wait_until") {
			l.errorf(s.attr("timeout").Expr.Range().Ptr(), "timeout without wait_until", "timeout limits a wait_until; add one or remove timeout.")
		}
		if st.OnTimeout != "" && st.Timeout == 0 && !s.reported("timeout") {
			l.errorf(s.attr("on_timeout").Expr.Range().Ptr(), "on_timeout without timeout", "Set timeout for on_timeout to apply.")
		}
		if a := s.attr("wait_until"); a != nil && s.attr("timeout") == nil && s.attr("until") == nil && !s.reported("wait_until") {
			l.warnf(a.NameRange.Ptr(), "wait_until without timeout", "step %q of campaign %q waits until its wait_until holds, with nothing to end the wait: a member for whom it never holds waits for ever, counted as running by hearth campaign show and kept in the state. Add timeout = \"7d\": the run then goes on to the next step, or to on_timeout = \"STEP\" (\"exit\" ends it).", st.Name, name)
		}
		// Both in the member's zone: a send at that time never goes then.
		if q := c.QuietHours; st.At != nil && q != nil && q.Timezone == nil && q.From != q.To && len(s.content.Blocks.OfType("send")) > 0 && q.Holds(*st.At) {
			l.warnf(s.attr("at").Expr.Range().Ptr(), "Time of day in quiet hours", "%s is inside campaign %q's quiet hours (%s to %s), so this step's message always waits until %s. Pick a time outside them, or say %s.", st.At, name, q.From, q.To, q.To, q.To)
		}
		for _, sendb := range s.blocks("send") {
			sd := l.open(sendb, stepSpec.block("send"))
			send := &Send{Channel: sd.enum("channel"), Transactional: sd.boolean("transactional", false), NotAfter: sd.rule("not_after", rules.Scope{Result: rules.Time})}
			from := addr
			l.refLater(sd, "template", from, func(v any) { send.Template, _ = v.(*Template) })
			l.refLater(sd, "survey", from, func(v any) { send.Survey, _ = v.(*Survey) })
			if sd.attr("template") == nil && sd.attr("survey") == nil {
				l.errorf(&sendb.DefRange, "Nothing to send", "A send needs template = template.NAME, survey = survey.NAME, or both.")
			}
			l.refLater(sd, "target", from, func(v any) { send.Target, _ = v.(*Channel) })
			l.refLater(sd, "platform", from, func(v any) { send.Platform, _ = v.(*Platform) })
			if send.Channel == "channel" && sd.attr("target") == nil {
				l.errorf(&sendb.DefRange, "Missing target", "A send with channel = \"channel\" needs target = community.NAME.channel.CHANNEL.")
			}
			if a := sd.attr("target"); a != nil && sd.attr("channel") != nil && send.Channel != "channel" && !sd.reported("channel") {
				l.errorf(a.Expr.Range().Ptr(), "target without channel = \"channel\"", "target names the channel of a channel message; a %s send does not use it. Set channel = \"channel\" or remove target.", send.Channel)
			}
			if a := sd.attr("transactional"); a != nil && sd.attr("channel") != nil && send.Channel != "email" && send.Transactional && !sd.reported("channel") {
				l.errorf(a.Expr.Range().Ptr(), "transactional without channel = \"email\"", "transactional lets an email reach a member who unsubscribed from email; a %s send is not stopped by an unsubscribe. Remove transactional.", send.Channel)
			}
			if a := sd.attr("not_after"); a != nil && send.Transactional && !sd.reported("transactional") {
				l.errorf(a.Expr.Range().Ptr(), "not_after with transactional", "A transactional send goes whenever it is due, so not_after would never drop it. Remove one of them.")
			}
			if a := sd.attr("channel"); a != nil {
				rng := a.Expr.Range()
				// A template written but not resolved (a typo in its
				// name) is reported for itself, not as a missing subject.
				wrote := sd.attr("template") != nil
				l.later = append(l.later, func() { l.checkSend(c, send, rng, wrote) })
			}
			st.Send = send
		}
		for _, bb := range s.blocks("branch") {
			br := l.open(bb, stepSpec.block("branch"))
			branch := &Branch{When: br.rule("when", rules.Scope{}), Goto: br.str("goto")}
			addGoto(br, "goto", branch.Goto)
			st.Branches = append(st.Branches, branch)
		}
		for _, spb := range s.blocks("split") {
			if firstSplit == nil {
				firstSplit, firstSplitStep = spb, st.Name
			} else {
				l.errorf(&spb.DefRange, "Second A/B split", "campaign %q already splits members at step %q (%s); a member gets one variant per run, so a second split would send every member down the same path. Keep one split and give each variant its own steps.", name, firstSplitStep, at(firstSplit.DefRange))
			}
			sp := l.open(spb, stepSpec.block("split"))
			vseen := map[string]hcl.Range{}
			total := 0
			for _, vb := range sp.blocks("variant") {
				if !l.checkName("variant", vb) || !l.unique(vseen, "variant", vb) {
					continue
				}
				vr := l.open(vb, stepSpec.block("split").block("variant"))
				v := &Variant{Name: vb.Labels[0], Weight: vr.num("weight", 0), Goto: vr.str("goto")}
				if v.Weight < 0 {
					l.errorf(vr.attr("weight").Expr.Range().Ptr(), "Invalid weight", "weight must be 0 or more.")
				}
				total += max(v.Weight, 0)
				addGoto(vr, "goto", v.Goto)
				st.Split = append(st.Split, v)
			}
			if len(st.Split) > 0 {
				st.Control = st.Split[0].Name
			}
			if a := sp.attr("control"); a != nil {
				names := make([]string, 0, len(st.Split))
				for _, v := range st.Split {
					names = append(names, v.Name)
				}
				if ctl := sp.str("control"); slices.Contains(names, ctl) {
					st.Control = ctl
				} else if !sp.reported("control") {
					l.errorf(a.Expr.Range().Ptr(), "Unknown control variant", "the split of campaign %q has no variant %q to compare the others with.%s The variants are: %s.", name, ctl, suggest(ctl, names), strings.Join(names, ", "))
				}
			}
			if len(st.Split) < 2 {
				l.errorf(&spb.DefRange, "Split needs two variants", "An A/B split needs at least two variant blocks.")
			} else if total == 0 {
				l.errorf(&spb.DefRange, "Split weights are all zero", "Give at least one variant a weight above 0.")
			} else if total != 100 && !evenWeights(st.Split) && !slices.ContainsFunc(st.Split, func(v *Variant) bool { return v.Weight < 0 }) {
				l.warnf(&spb.DefRange, "Split weights are relative", "the weights of campaign %q's split add up to %d, not 100: each variant gets its weight's share of the sum, so members split %s. Write weights that add up to 100 to say the shares as they are.", name, total, splitShares(st.Split, total))
			}
		}
		// By what is written, not what decoded: a step whose wait is
		// invalid is reported for that alone.
		if len(s.content.Blocks) == 0 && s.attr("wait") == nil && s.attr("at") == nil && s.attr("wait_until") == nil && s.attr("until") == nil && s.attr("goto") == nil {
			l.errorf(&sb.DefRange, "Step does nothing", "step %q has no wait, wait_until, until, at, send, branch, split or goto.", st.Name)
		}
		c.Steps = append(c.Steps, st)
	}
	if len(c.Steps) == 0 && !written(hb.Body, "step") {
		l.errorf(&hb.DefRange, "Campaign has no steps", "campaign %q needs at least one step block.", name)
	}
	var stepNames []string
	for _, s := range c.Steps {
		stepNames = append(stepNames, s.Name)
	}
	unknown := false // a goto naming no step: what reaches what is unclear
	for _, g := range gotos {
		if g.name == Exit || seen[g.name] != (hcl.Range{}) {
			continue
		}
		unknown = true
		rng := g.rng
		l.errorf(&rng, "Unknown step", "campaign %q has no step %q.%s Use \"exit\" to end the campaign.", name, g.name, suggest(g.name, stepNames))
	}
	if firstSplit != nil && !c.HasGoal() {
		l.warnf(&firstSplit.DefRange, "A/B split without a goal", "campaign %q has no exit_when, so no variant can do better than another: hearth campaign show compares the share of each variant's runs that reach the goal. Add exit_when, such as exit_when = \"member.messages > 0\".", name)
	}
	l.checkStepLoops(c, gotos, waiting)
	if !unknown {
		l.checkUnreachable(c)
	}
	l.cfg.Campaigns = append(l.cfg.Campaigns, c)
}

// evenWeights reports whether every variant has the same weight: 1 and
// 1 split members in halves as plainly as 50 and 50 do.
func evenWeights(vs []*Variant) bool {
	for _, v := range vs {
		if v.Weight != vs[0].Weight {
			return false
		}
	}
	return true
}

// splitShares writes the share of members each variant gets, "a 66.7%,
// b 33.3%", from weights adding up to total.
func splitShares(vs []*Variant, total int) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		w := max(v.Weight, 0)
		if 100*w%total == 0 {
			parts = append(parts, fmt.Sprintf("%s %d%%", v.Name, 100*w/total))
		} else {
			parts = append(parts, fmt.Sprintf("%s %.1f%%", v.Name, 100*float64(w)/float64(total)))
		}
	}
	return strings.Join(parts, ", ")
}

// stepNext are the steps a run on step i of c can go on to: the goto,
// or the next step when there is none (also when its when is false),
// each branch's, each variant's (the next step when it has no goto),
// and on_timeout's (likewise) when it has a timeout. "" stands for the
// end of the campaign.
func stepNext(c *Campaign, i int) []string {
	st := c.Steps[i]
	or := func(name string) string {
		if name == "" {
			if i+1 < len(c.Steps) {
				return c.Steps[i+1].Name
			}
			return ""
		}
		if name == Exit {
			return ""
		}
		return name
	}
	var out []string
	if len(st.Split) == 0 || st.When != nil {
		out = append(out, or(st.Goto))
	}
	for _, v := range st.Split {
		out = append(out, or(v.Goto))
	}
	for _, b := range st.Branches {
		out = append(out, or(b.Goto))
	}
	if st.WaitUntil != nil && st.Timeout > 0 {
		out = append(out, or(st.OnTimeout))
	}
	return out
}

// checkUnreachable warns about steps no run can reach from the first:
// after a step that always goes elsewhere (goto = "exit"), with no goto,
// branch, variant or on_timeout naming them. Such a step is most often
// one a goto was meant to name. The first of a run of such steps is
// reported, with those only it leads to.
func (l *loader) checkUnreachable(c *Campaign) {
	if len(c.Steps) == 0 {
		return
	}
	index := map[string]int{}
	for i, st := range c.Steps {
		index[st.Name] = i
	}
	reached := make([]bool, len(c.Steps))
	var visit func(i int)
	visit = func(i int) {
		if reached[i] {
			return
		}
		reached[i] = true
		for _, n := range stepNext(c, i) {
			if j, ok := index[n]; ok {
				visit(j)
			}
		}
	}
	visit(0)
	// led[i]: some other unreached step leads to step i.
	led := make([]bool, len(c.Steps))
	for i := range c.Steps {
		if reached[i] {
			continue
		}
		for _, n := range stepNext(c, i) {
			if j, ok := index[n]; ok && j != i {
				led[j] = true
			}
		}
	}
	for i, st := range c.Steps {
		if reached[i] || led[i] {
			continue
		}
		// The unreached steps only this one leads to.
		var after []string
		seen := map[int]bool{i: true}
		var follow func(k int)
		follow = func(k int) {
			for _, n := range stepNext(c, k) {
				if j, ok := index[n]; ok && !reached[j] && !seen[j] {
					seen[j] = true
					after = append(after, fmt.Sprintf("%q", c.Steps[j].Name))
					follow(j)
				}
			}
		}
		follow(i)
		why := "it is not the first step"
		if i > 0 {
			prev := c.Steps[i-1]
			switch {
			case !reached[i-1]:
				why = fmt.Sprintf("step %q before it is not reached either", prev.Name)
			case prev.Goto == Exit:
				why = fmt.Sprintf("step %q before it ends the run (goto = \"exit\")", prev.Name)
			case prev.Goto != "":
				why = fmt.Sprintf("step %q before it goes to %q", prev.Name, prev.Goto)
			default:
				why = fmt.Sprintf("step %q before it sends every member elsewhere", prev.Name)
			}
		}
		also := ""
		if len(after) > 0 {
			also = fmt.Sprintf(", nor, through it, step %s", strings.Join(after, ", "))
		}
		l.warnf(&st.DeclRange, "Step nobody reaches", "no run of campaign %q reaches step %q%s: %s, and no goto, branch, variant or on_timeout names it. Name it in a goto (or on_timeout) of a step that should lead to it, or remove it.", c.Name, st.Name, also, why)
	}
}

// checkSend checks a send against what its platform can deliver: email
// only through an email platform, for every campaign (anything else ends
// in the dead letters); and, in a campaign for members who left (or for
// all members), what can reach someone no longer in the community: email
// or a webhook platform, not a direct message on a chat platform. It runs
// once references are resolved.
func (l *loader) checkSend(c *Campaign, send *Send, rng hcl.Range, wroteTemplate bool) {
	plat := send.Platform
	if plat == nil && c.Community != nil {
		plat = c.Community.Platform
	}
	if plat == nil && c.Community == nil && len(l.cfg.Communities) == 1 {
		plat = l.cfg.Communities[0].Platform
	}
	if plat == nil && c.Community == nil && send.Target == nil && len(c.EnterOn) == 0 && len(l.cfg.Communities) > 1 {
		// Decided once every reference is resolved: the audience
		// segment's community may be.
		l.homeless = append(l.homeless, homelessSend{c, rng})
	}
	if plat == nil {
		return // no platform to judge by: reported elsewhere, or none yet
	}
	switch send.Channel {
	case "email":
		switch {
		case send.Template == nil:
			if !wroteTemplate {
				l.errorf(&rng, "Email without a subject", "campaign %q sends an email with no template, and an email needs a subject: every such message would end in the outbox's dead letters. Add template = template.NAME with a subject (the survey's question follows its text).", c.Name)
			}
		case len(send.Template.Subject) == 0:
			l.errorf(&rng, "Email without a subject", "campaign %q sends template %q by email, and it has no subject: every such message would end in the outbox's dead letters. Add subject = { en = \"...\" } to template %q (%s).", c.Name, send.Template.Name, send.Template.Name, at(send.Template.DeclRange))
		}
		if plat.Type != "email" {
			l.errorf(&rng, "Email through a platform that cannot send it", "campaign %q sends email through %s, which cannot send it: every such message would end in the outbox's dead letters. Add a platform \"email\" block and platform = platform.email.NAME to the send; the address is the member's email identity (events carry it as member.identities.email).", c.Name, plat.Addr())
		}
	case "dm":
		if c.Members == MembersCurrent || plat.Type == "webhook" {
			return // the receiving system (a CRM, an SMS gateway) reaches them
		}
		if c.Members == MembersLeft {
			l.errorf(&rng, "Direct message to members who left", "campaign %q is for members who have left the community (members = \"left\"), and a direct message through %s cannot reach someone who is no longer in it. Send by email: channel = \"email\" with platform = platform.email.NAME (the address is the member's email identity, member.identities.email in events), or through a webhook platform.", c.Name, plat.Addr())
		}
	case "channel":
		if c.Members == MembersLeft {
			l.warnf(&rng, "Channel message in a campaign for members who left", "campaign %q is for members who have left the community (members = \"left\"): they cannot read a message in its channels. That is fine for a note to the team; to reach the member, send by email (channel = \"email\", platform = platform.email.NAME).", c.Name)
		}
	}
}

// homelessSend is a send of a campaign that may not tell which of
// several communities its messages go through (checkHomeless).
type homelessSend struct {
	c   *Campaign
	rng hcl.Range
}

// checkHomeless refuses sends of a campaign that names no community, in
// a configuration with several, when nothing tells the runtime which
// community a member is reached through: no entering event (the
// community the member joined), an audience segment with none, and
// several communities on one type of platform (a member's platform
// tells the others apart).
func (l *loader) checkHomeless() {
	byType := map[string][]string{}
	var shared []string
	for _, co := range l.cfg.Communities {
		if co.Platform == nil {
			continue
		}
		t := co.Platform.Type
		byType[t] = append(byType[t], co.Name)
		if len(byType[t]) == 2 {
			shared = append(shared, t)
		}
	}
	if len(shared) == 0 {
		return
	}
	for _, h := range l.homeless {
		a := h.c.Audience
		if a == nil || a.Community != nil {
			continue // no audience is reported for itself
		}
		l.errorf(&h.rng, "Campaign send with no community", "campaign %q names no community and enters members by audience, with no event to tell which community each joined, and communities %s are all on %s platforms: its messages to their members would have no community to go through. Set community = community.NAME in the campaign or in segment %q, or platform in the send.", h.c.Name, strings.Join(byType[shared[0]], ", "), shared[0], a.Name)
	}
}

type gotoRef struct {
	from, name string
	attr       string // goto or on_timeout
	rng        hcl.Range
}

// checkStepLoops reports steps that can go round without ever waiting:
// the runtime would move a member through them forever (and send on
// every round). on_timeout is not followed: it is taken after a wait.
func (l *loader) checkStepLoops(c *Campaign, gotos []gotoRef, waiting map[string]bool) {
	steps := map[string]*Step{}
	for _, s := range c.Steps {
		steps[s.Name] = s
	}
	type edge struct {
		to  string
		rng *hcl.Range // nil: falling through to the next step
	}
	next := map[string][]edge{}
	for i, s := range c.Steps {
		if s.Goto == "" && len(s.Split) == 0 && i+1 < len(c.Steps) {
			next[s.Name] = append(next[s.Name], edge{to: c.Steps[i+1].Name})
		}
	}
	for _, g := range gotos {
		if g.attr != "on_timeout" {
			next[g.from] = append(next[g.from], edge{to: g.name, rng: g.rng.Ptr()})
		}
	}
	state := map[string]int{}
	var visit func(n string, path []string) bool
	visit = func(n string, path []string) bool {
		s := steps[n]
		if s == nil || waiting[n] || state[n] == 2 {
			return false
		}
		if state[n] == 1 {
			loop := append(path[indexOf(path, n):], n)
			rng := &s.DeclRange
			for _, e := range next[path[len(path)-1]] {
				if e.to == n && e.rng != nil {
					rng = e.rng
				}
			}
			l.errorf(rng, "Steps loop without waiting", "In campaign %q, steps %s go round with no wait, at or wait_until, so a member would cycle through them forever. Add a wait to one of them, or end the loop with \"exit\".", c.Name, strings.Join(loop, " → "))
			return true
		}
		state[n] = 1
		for _, e := range next[n] {
			if visit(e.to, append(path, n)) {
				return true
			}
		}
		state[n] = 2
		return false
	}
	for _, s := range c.Steps {
		if visit(s.Name, nil) {
			return // one loop per campaign is enough to fix first
		}
	}
}

// checkEventTypes reports unknown event types once all are declared.
func (l *loader) checkEventTypes(a *hcl.Attribute, names []string) {
	for _, n := range names {
		if _, ok := l.cfg.EventTypes[n]; !ok && a != nil && !l.broken["event."+n] {
			l.errorf(l.elemRange(a.Expr, n), "Unknown event type", "There is no event type %q.%s Declare custom types with an event block; `hearth explain events` lists the standard ones.", n, suggest(n, sortedNames(l.cfg.EventTypes)))
		}
	}
}

// movedAddrRe matches the addresses plan manages: community.C,
// community.C.channel.X, community.C.role.R.
var movedAddrRe = regexp.MustCompile(`^community\.[A-Za-z][A-Za-z0-9_-]*(\.(channel|role)\.[A-Za-z][A-Za-z0-9_-]*)?$`)

// stepAddrRe matches a campaign step's address, campaign.C.step.S,
// which a moved block may rename: the daemon carries the runs waiting at
// the old name over to the new one.
var stepAddrRe = regexp.MustCompile(`^campaign\.([A-Za-z][A-Za-z0-9_-]*)\.step\.([A-Za-z][A-Za-z0-9_-]*)$`)

// tierAddrRe matches a tier's address, tier.NAME, which a moved block
// may rename: the members stored on the old name stay on the tier.
var tierAddrRe = regexp.MustCompile(`^tier\.([A-Za-z][A-Za-z0-9_-]*)$`)

// badAddress is the detail of an address a moved block cannot take.
const badAddress = "write community.NAME, community.NAME.channel.NAME or community.NAME.role.NAME (an object plan manages), campaign.NAME.step.NAME (a campaign's step) or tier.NAME (a tier, whose members stay on it)"

// address reads a moved or import block's address, written as Terraform
// writes it (from = community.c.channel.chat) or quoted. It is a name,
// not a reference: the block it names may be gone from the files.
func (b *body) address(name string) string {
	a := b.attr(name)
	if a == nil {
		return ""
	}
	t, diags := hcl.AbsTraversalForExpr(a.Expr)
	if diags.HasErrors() {
		return b.str(name) // quoted
	}
	if root := t.RootName(); root == "var" || root == "local" {
		return b.str(name) // read from a variable
	}
	// Any other name is an address, never a variable: one of a kind the
	// block does not take (tier.x in an import, segment.x) gets the
	// caller's "not an address" error, not "There is no variable named".
	parts := []string{t.RootName()}
	for _, step := range t[1:] {
		attr, ok := step.(hcl.TraverseAttr)
		if !ok {
			b.l.errorf(a.Expr.Range().Ptr(), "Invalid address", "This is not an address hearth knows; %s.", badAddress)
			return ""
		}
		parts = append(parts, attr.Name)
	}
	return strings.Join(parts, ".")
}

func (l *loader) decodeMoved(hb *hcl.Block) {
	b := l.open(hb, Root.block("moved"))
	m := &Moved{From: b.address("from"), To: b.address("to"), DeclRange: hb.DefRange, FromRange: hb.DefRange, ToRange: hb.DefRange}
	for _, name := range []string{"from", "to"} {
		a := b.attr(name)
		v := m.From
		if name == "to" {
			v = m.To
		}
		if a != nil {
			if name == "to" {
				m.ToRange = a.Expr.Range()
			} else {
				m.FromRange = a.Expr.Range()
			}
		}
		if a != nil && v != "" && !movedAddrRe.MatchString(v) && !stepAddrRe.MatchString(v) && !tierAddrRe.MatchString(v) {
			l.errorf(a.Expr.Range().Ptr(), "Invalid address", "%q is not an address a moved block takes; %s.", v, badAddress)
			return
		}
	}
	if m.From == "" || m.To == "" {
		return
	}
	if ft, tt := tierAddrRe.MatchString(m.From), tierAddrRe.MatchString(m.To); ft != tt {
		l.errorf(&hb.DefRange, "Moved to another kind", "%s and %s are not the same kind of object; moved only renames.", m.From, m.To)
		return
	}
	if fs, ts := stepAddrRe.FindStringSubmatch(m.From), stepAddrRe.FindStringSubmatch(m.To); fs != nil || ts != nil {
		switch {
		case fs == nil || ts == nil:
			l.errorf(&hb.DefRange, "Moved to another kind", "%s and %s are not the same kind of object; moved only renames.", m.From, m.To)
			return
		case fs[1] != ts[1]:
			l.errorf(&hb.DefRange, "Moved to another campaign", "%s and %s are steps of different campaigns; a moved block renames a step within its campaign (campaign.%s.step.NEW).", m.From, m.To, fs[1])
			return
		}
	} else if strings.Count(m.From, ".") != strings.Count(m.To, ".") || strings.Contains(m.From, ".channel.") != strings.Contains(m.To, ".channel.") {
		l.errorf(&hb.DefRange, "Moved to another kind", "%s and %s are not the same kind of object; moved only renames.", m.From, m.To)
		return
	}
	if m.From == m.To {
		l.errorf(&hb.DefRange, "Moved to itself", "from and to are both %s.", m.From)
		return
	}
	l.cfg.Moved = append(l.cfg.Moved, m)
}

// checkMoved refuses moved blocks that contradict each other, as
// Terraform does: one address moved to two places, two moved to one, or
// a chain that comes back to where it started. Plan would otherwise
// follow whichever block came first, and destroy what the other meant
// to keep.
func (l *loader) checkMoved() {
	byFrom := map[string]*Moved{}
	byTo := map[string]*Moved{}
	var ok []*Moved
	for _, m := range l.cfg.Moved {
		if o := byFrom[m.From]; o != nil && o.To != m.To {
			l.errorf(&m.DeclRange, "Ambiguous move statements", "The moved block at %s moves %s to %s, and this one moves it to %s. An object can move to one place only.", at(o.DeclRange), m.From, o.To, m.To)
			continue
		}
		if o := byTo[m.To]; o != nil && o.From != m.From {
			l.errorf(&m.DeclRange, "Ambiguous move statements", "The moved block at %s moves %s to %s, and this one moves %s there too. One address holds one object.", at(o.DeclRange), o.From, m.To, m.From)
			continue
		}
		if byFrom[m.From] != nil {
			continue // the same move twice
		}
		byFrom[m.From], byTo[m.To] = m, m
		ok = append(ok, m)
	}
	for _, m := range ok {
		seen := []string{m.From}
		for cur := m; len(seen) <= len(ok); {
			next := byFrom[cur.To]
			if next == nil {
				break
			}
			seen = append(seen, cur.To)
			if next == m {
				l.errorf(&m.DeclRange, "Cyclic move statements", "These moved blocks go round in a circle: %s. Remove the one that undoes the others.", strings.Join(seen, " → "))
				l.cfg.Moved = nil
				return
			}
			cur = next
		}
	}
	l.cfg.Moved = ok
	l.checkMovedAddresses()
}

// checkMovedAddresses refuses moved blocks whose addresses contradict
// the configuration, as Terraform does. A to naming no block (a typo,
// channel.rulez) would leave the object at an address the configuration
// no longer has: the plan would destroy it, and what is in it, and
// create the block's object anew, which is what the moved block was
// written to prevent. A from that still names a block would take that
// block's object away from it, and the plan would create another. A to
// that is the from of another moved block is a step of a chain, whose
// last to is checked.
func (l *loader) checkMovedAddresses() {
	froms := map[string]bool{}
	for _, m := range l.cfg.Moved {
		froms[m.From] = true
	}
	var objects []*Moved
	for _, m := range l.cfg.Moved {
		if stepAddrRe.MatchString(m.From) {
			l.checkStepMove(m, froms)
			continue
		}
		if tierAddrRe.MatchString(m.From) {
			l.checkTierMove(m, froms)
			continue
		}
		objects = append(objects, m)
		if !froms[m.To] {
			if msg := l.importTarget(m.To); msg != "" {
				l.errorf(m.ToRange.Ptr(), "Moved target not in the configuration",
					"%s A moved block renames an object to the block at its to address; without that block, the plan would destroy the object (and what is in it) and create nothing in its place. Correct to, or write the block.", msg)
			}
		}
		if r, ok := l.blockAt(m.From); ok {
			l.errorf(m.FromRange.Ptr(), "Moved object still declared",
				"%s still has its block, at %s, so this moved block would take its object from it and the plan would create another. Rename that block to %s (the move), or remove the moved block.", m.From, at(r), m.To)
		}
	}
	// Steps and tiers are no platform objects: the plan's moves are the
	// rest.
	l.cfg.Moved = objects
}

// checkStepMove checks a moved block that renames a campaign's step
// and records it on the campaign (Campaign.StepMoves). Its campaign and
// its to step must be in the configuration, and its from step must not:
// a run on a name the campaign still has stays on that step.
func (l *loader) checkStepMove(m *Moved, froms map[string]bool) {
	fs, ts := stepAddrRe.FindStringSubmatch(m.From), stepAddrRe.FindStringSubmatch(m.To)
	var c *Campaign
	names := make([]string, 0, len(l.cfg.Campaigns))
	for _, cc := range l.cfg.Campaigns {
		names = append(names, cc.Name)
		if cc.Name == fs[1] {
			c = cc
		}
	}
	if c == nil {
		l.errorf(m.FromRange.Ptr(), "Moved step of no campaign",
			"There is no campaign %q.%s A moved block renames a step of a campaign the configuration has; a campaign itself cannot be renamed (its runs would stop).", fs[1], suggest(fs[1], names))
		return
	}
	steps := make([]string, 0, len(c.Steps))
	for _, st := range c.Steps {
		steps = append(steps, st.Name)
	}
	if !froms[m.To] && !c.HasStep(ts[2]) {
		l.errorf(m.ToRange.Ptr(), "Moved target not in the configuration",
			"There is no step %q in campaign %q.%s A moved block carries the runs waiting at the old step to the step at its to address; without that step they would go on past it. Correct to, or write the step.", ts[2], c.Name, suggest(ts[2], steps))
		return
	}
	for _, st := range c.Steps {
		if st.Name == fs[2] {
			l.errorf(m.FromRange.Ptr(), "Moved object still declared",
				"Campaign %s still has step %q, at %s, so its runs stay on it and this moved block would do nothing. Rename that step to %q (the move), or remove the moved block.", c.Name, fs[2], at(st.DeclRange), ts[2])
			return
		}
	}
	if c.StepMoves == nil {
		c.StepMoves = map[string]string{}
	}
	c.StepMoves[fs[2]] = ts[2]
}

// checkTierMove checks a moved block that renames a tier and records it
// (Config.TierMoves). Its to tier must be in the configuration (or moved
// on), and its from tier must not: members on a tier the files still
// have stay on it.
func (l *loader) checkTierMove(m *Moved, froms map[string]bool) {
	from, to := strings.TrimPrefix(m.From, "tier."), strings.TrimPrefix(m.To, "tier.")
	names := make([]string, 0, len(l.cfg.Tiers))
	for _, t := range l.cfg.Tiers {
		names = append(names, t.Name)
		if t.Name == from {
			l.errorf(m.FromRange.Ptr(), "Moved object still declared",
				"Tier %q is still declared, at %s, so its members stay on it and this moved block would do nothing. Rename that tier to %q (the move), or remove the moved block.", from, at(t.DeclRange), to)
			return
		}
	}
	if !froms[m.To] && !slices.Contains(names, to) {
		l.errorf(m.ToRange.Ptr(), "Moved target not in the configuration",
			"There is no tier %q.%s A moved block keeps the members of the old tier on the tier at its to address; without that tier they would be placed by the promotion rules. Correct to, or write the tier.", to, suggest(to, names))
		return
	}
	if l.cfg.TierMoves == nil {
		l.cfg.TierMoves = map[string]string{}
	}
	l.cfg.TierMoves[from] = to
}

// blockAt is where the block of a community, channel or role address
// is declared, if the configuration has one.
func (l *loader) blockAt(addr string) (hcl.Range, bool) {
	parts := strings.Split(addr, ".")
	if len(parts) < 2 {
		return hcl.Range{}, false
	}
	for _, c := range l.cfg.Communities {
		if c.Name != parts[1] {
			continue
		}
		if len(parts) == 2 {
			return c.DeclRange, true
		}
		if len(parts) != 4 {
			return hcl.Range{}, false
		}
		if parts[2] == "channel" {
			for _, ch := range c.Channels {
				if ch.Name == parts[3] {
					return ch.DeclRange, true
				}
			}
		} else {
			for _, r := range c.Roles {
				if r.Name == parts[3] {
					return r.DeclRange, true
				}
			}
		}
	}
	return hcl.Range{}, false
}

// importTarget says what an import block's address lacks in the
// configuration, or "" when its block is there. Sub-communities
// (NAME-2 ...) of a community that splits have no block of their own.
func (l *loader) importTarget(addr string) string {
	parts := strings.Split(addr, ".")
	var co *Community
	for _, c := range l.cfg.Communities {
		if c.Name == parts[1] {
			co = c
		}
	}
	if co == nil {
		if parent, _, ok := SplitName(parts[1]); ok {
			for _, c := range l.cfg.Communities {
				if c.Name == parent && c.Splits() {
					co = c
				}
			}
		}
	}
	switch {
	case co == nil:
		names := make([]string, 0, len(l.cfg.Communities))
		for _, c := range l.cfg.Communities {
			names = append(names, c.Name)
		}
		return fmt.Sprintf("There is no community %q.%s", parts[1], suggest(parts[1], names))
	case len(parts) == 2:
		return ""
	}
	var names []string
	if parts[2] == "channel" {
		for _, ch := range co.Channels {
			names = append(names, ch.Name)
		}
	} else {
		for _, r := range co.Roles {
			names = append(names, r.Name)
		}
	}
	if slices.Contains(names, parts[3]) {
		return ""
	}
	return fmt.Sprintf("There is no %s %q in community %q.%s", parts[2], parts[3], co.Name, suggest(parts[3], names))
}

func (l *loader) decodeImport(hb *hcl.Block, seen map[string]bool) {
	b := l.open(hb, Root.block("import"))
	im := &Import{To: b.address("to"), ID: b.str("id"), DeclRange: hb.DefRange, ToRange: hb.DefRange, IDRange: hb.DefRange}
	if a := b.attr("to"); a != nil {
		im.ToRange = a.Expr.Range()
	}
	if a := b.attr("id"); a != nil {
		im.IDRange = a.Expr.Range()
	}
	if a := b.attr("to"); a != nil && im.To != "" && !movedAddrRe.MatchString(im.To) {
		l.errorf(a.Expr.Range().Ptr(), "Invalid address", "%q is not an address plan manages; write community.NAME, community.NAME.channel.NAME or community.NAME.role.NAME.", im.To)
		return
	}
	if im.To == "" || im.ID == "" {
		return
	}
	if seen[im.To] {
		l.errorf(&hb.DefRange, "Duplicate import", "%s is imported twice; one object per address.", im.To)
		return
	}
	if msg := l.importTarget(im.To); msg != "" {
		l.errorf(b.attr("to").Expr.Range().Ptr(), "Import target not in the configuration", "%s Write its block first: an import adopts an object into a block.", msg)
		return
	}
	seen[im.To] = true
	l.cfg.Imports = append(l.cfg.Imports, im)
}

// checkLeftRules warns of a stop_when or exit_when on member.left in a
// campaign for members of the community: the run ends as left the moment
// the member leaves, before its rules are asked, so the rule never holds
// on leaving, and a test expecting "exited" of a leaver fails.
func (l *loader) checkLeftRules(c *Campaign) {
	if c.Members != MembersCurrent {
		return
	}
	for _, r := range []struct {
		attr string
		rule *Rule
	}{{"stop_when", c.StopWhen}, {"exit_when", c.ExitWhen}} {
		if r.rule == nil || r.rule.Program == nil || !slices.Contains(r.rule.Program.Reads.Member, "left") {
			continue
		}
		l.warnf(&r.rule.Range, r.attr+" on member.left never holds", "campaign %q is for members of the community (members = \"current\", the default): a member who leaves ends their run as left at once, on its own, before %s is asked, so member.left is false whenever it is. Leave member.left out of it; to keep runs going after the member leaves, set members = \"all\".", c.Name, r.attr)
	}
}
