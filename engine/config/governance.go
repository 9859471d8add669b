package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/rules"
)

// Governance blocks: a community's moderation rules and violation ladder,
// the sentiment word lists, and alerts over community figures.

// decodeLadder reads a community's ladder block.
func (l *loader) decodeLadder(c *Community, b *body, spec *Block) {
	for _, lb := range b.blocks("ladder") {
		ls := l.open(lb, spec.block("ladder"))
		ld := &Ladder{Decay: ls.dur("decay"), DeclRange: lb.DefRange}
		l.refLater(ls, "template", "community."+c.Name+".ladder", func(v any) { ld.Template, _ = v.(*Template) })
		prev := 0
		for i, rb := range ls.blocks("rung") {
			rs := l.open(rb, spec.block("ladder").block("rung"))
			r := &Rung{Strikes: rs.num("strikes", i+1), Action: rs.enum("action"), Duration: rs.dur("duration")}
			if a := rs.attr("strikes"); a != nil && r.Strikes <= prev {
				l.errorf(a.Expr.Range().Ptr(), "Rungs out of order", "strikes must be more than the rung before (%d): rungs are climbed in order.", prev)
			}
			if r.Action == "mute" && rs.attr("duration") == nil {
				l.errorf(&rb.DefRange, "Missing mute duration", "A mute needs duration = \"1h\" (or another duration).")
			}
			if a := rs.attr("duration"); a != nil && r.Action != "mute" && r.Action != "ban" && rs.attr("action") != nil && !rs.reported("action") {
				l.errorf(a.Expr.Range().Ptr(), "duration without mute or ban", "Only a mute or a ban lasts; a %s does not use duration.", r.Action)
			}
			prev = max(prev, r.Strikes)
			ld.Rungs = append(ld.Rungs, r)
			if !rs.reported("action") && !rs.reported("duration") {
				what, at, dur, block := fmt.Sprintf("ladder rung %d", i+1), rs.attr("action"), rs.attr("duration"), rb.DefRange
				l.later = append(l.later, func() { l.checkModerationAction(c, what, r.Action, r.Duration, at, dur, block) })
			}
		}
		if len(ld.Rungs) == 0 && !written(lb.Body, "rung") {
			l.errorf(&lb.DefRange, "Ladder has no rungs", "Add rung blocks, such as rung { action = \"warn\" }.")
		}
		c.Ladder = ld
	}
}

// decodeModeration reads a community's moderation blocks; the ladder is
// decoded first, since a rule without an action climbs it.
func (l *loader) decodeModeration(c *Community, hb *hcl.Block, b *body, spec *Block) {
	seen := map[string]hcl.Range{}
	for _, mb := range b.blocks("moderation") {
		if !l.checkName("moderation", mb) || !l.unique(seen, "moderation", mb) {
			continue
		}
		ms := l.open(mb, spec.block("moderation"))
		m := &Moderation{Name: mb.Labels[0], Keywords: ms.localeLists("keywords"), Patterns: ms.strList("patterns"),
			Links: ms.num("links", 0), Mentions: ms.num("mentions", 0), Rate: ms.rate("rate", durations.Short),
			Action: ms.enum("action"), Duration: ms.dur("duration"), Delete: ms.boolean("delete", false),
			Reason: ms.str("reason"), DeclRange: mb.DefRange}
		if ms.attr("action") == nil {
			m.Action = "" // the ladder decides (explain shows that as the default)
		}
		def := 1
		if m.Action == "flag" {
			def = 0
		}
		m.Strikes = ms.num("strikes", def)
		if a := ms.attr("strikes"); a != nil && m.Strikes < 0 {
			l.errorf(a.Expr.Range().Ptr(), "Invalid strikes", "strikes must be 0 or more.")
		}
		for _, name := range []string{"links", "mentions"} {
			if a := ms.attr(name); a != nil && ms.num(name, 0) < 1 {
				l.errorf(a.Expr.Range().Ptr(), "Invalid "+name, "%s must be 1 or more: a message with at least that many matches.", name)
			}
		}
		on, onAttr := ms.eventTypes("on")
		if on == nil {
			on = []string{"message.posted"}
		}
		m.On = on
		l.later = append(l.later, func() { l.checkEventTypes(onAttr, m.On) })
		m.When = ms.rule("when", rules.Scope{Event: map[string]rules.AttrType{}})
		if m.When != nil {
			m.When.scope.Event = nil // filled from m.On in compileAll
		}
		if a := ms.attr("patterns"); a != nil {
			for _, p := range m.Patterns {
				if _, err := regexp.Compile(p); err != nil {
					l.errorf(l.elemRange(a.Expr, p), "Invalid pattern", "%q is not a valid regular expression: %s.", p, err)
				}
			}
		}
		// By what is written: an invalid duration or keywords are
		// reported for themselves.
		if m.Action == "mute" && ms.attr("duration") == nil {
			l.errorf(&mb.DefRange, "Missing mute duration", "A mute needs duration = \"1h\" (or another duration).")
		}
		if a := ms.attr("duration"); a != nil && ms.attr("action") != nil && m.Action != "mute" && m.Action != "ban" && !ms.reported("action") {
			l.errorf(a.Expr.Range().Ptr(), "duration without mute or ban", "Only a mute or a ban lasts; a %s does not use duration.", m.Action)
		}
		if ms.attr("action") == nil && c.Ladder == nil && !written(hb.Body, "ladder") {
			l.errorf(&mb.DefRange, "No action and no ladder", "moderation %q has no action, so the community's ladder decides, but community %q has no ladder block. Set action, or add a ladder.", m.Name, c.Name)
		}
		// Checks read a message's text; a rule on other events (a join)
		// needs none and, without when, matches each of its events.
		detectors := ms.attr("keywords") != nil || ms.attr("patterns") != nil || ms.attr("links") != nil || ms.attr("mentions") != nil || ms.attr("rate") != nil
		onMessages := slices.ContainsFunc(m.On, func(t string) bool { return strings.HasPrefix(t, "message.") })
		if ms.attr("when") == nil && !detectors && onMessages {
			l.errorf(&mb.DefRange, "Moderation rule matches nothing", "Give keywords, patterns, links, mentions, rate or a when rule. A rule on other events than messages, such as on = [\"member.joined\"], needs none: it matches each of them.")
		}
		c.Moderation = append(c.Moderation, m)
		if !ms.reported("action") && !ms.reported("duration") && !ms.reported("delete") {
			what, at, dur, del, block := fmt.Sprintf("moderation %q", m.Name), ms.attr("action"), ms.attr("duration"), ms.attr("delete"), mb.DefRange
			l.later = append(l.later, func() {
				l.checkModerationAction(c, what, m.Action, m.Duration, at, dur, block)
				if m.Delete && m.Action != "remove" {
					l.checkModerationAction(c, what, "remove", 0, del, nil, block)
				}
			})
		}
	}
}

func (l *loader) decodeSentiment(hb *hcl.Block, first *hcl.Block) {
	if first != hb {
		l.errorf(&hb.DefRange, "Duplicate sentiment block", "Only one sentiment block is allowed; the first is at %s.", at(first.DefRange))
		return
	}
	b := l.open(hb, Root.block("sentiment"))
	l.cfg.Sentiment = &Sentiment{Negative: b.localeLists("negative"), Positive: b.localeLists("positive"), Builtin: b.boolean("builtin", true)}
}

func (l *loader) decodeAlert(hb *hcl.Block) {
	name := hb.Labels[0]
	if !l.checkName("alert", hb) || !l.declare("alert", name, hb.DefRange) {
		return
	}
	spec := Root.block("alert")
	b := l.open(hb, spec)
	a := &Alert{Name: name, Description: b.str("description"), When: b.rule("when", rules.Scope{}),
		Severity: b.enum("severity"), Cooldown: b.dur("cooldown"), Responders: b.strList("responders"), DeclRange: hb.DefRange}
	if a.Severity == "" {
		a.Severity = "warning"
	}
	if b.attr("cooldown") == nil {
		a.Cooldown = defaultAlertCooldown
	}
	addr := "alert." + name
	l.refLater(b, "community", addr, func(v any) { a.Community, _ = v.(*Community) })
	l.refLater(b, "campaign", addr, func(v any) { a.Campaign, _ = v.(*Campaign) })
	if at := b.attr("campaign"); at != nil && len(a.Responders) == 0 && b.attr("responders") == nil {
		l.errorf(at.Expr.Range().Ptr(), "Campaign without responders", "alert %q starts a campaign, which runs for members: list them in responders, such as [\"mod-ana\"].", name)
	}
	for _, nb := range b.blocks("notify") {
		ns := l.open(nb, spec.block("notify"))
		n := &Notify{Channel: ns.enum("channel"), To: ns.str("to")}
		l.refLater(ns, "target", addr, func(v any) { n.Target, _ = v.(*Channel) })
		l.refLater(ns, "platform", addr, func(v any) { n.Platform, _ = v.(*Platform) })
		l.refLater(ns, "template", addr, func(v any) { n.Template, _ = v.(*Template) })
		switch {
		case n.Channel == "channel" && ns.attr("target") == nil:
			l.errorf(&nb.DefRange, "Missing target", "A notify with channel = \"channel\" needs target = community.NAME.channel.CHANNEL.")
		case (n.Channel == "email" || n.Channel == "webhook") && n.To == "" && ns.attr("to") == nil:
			l.errorf(&nb.DefRange, "Missing to", "A notify with channel = %q needs to, the %s.", n.Channel, map[string]string{"email": "address", "webhook": "recipient the receiving system knows"}[n.Channel])
		}
		if t := ns.attr("target"); t != nil && n.Channel != "channel" && ns.attr("channel") != nil && !ns.reported("channel") {
			l.errorf(t.Expr.Range().Ptr(), "target without channel = \"channel\"", "target names the channel of a channel message; a %s notify does not use it.", n.Channel)
		}
		a.Notify = append(a.Notify, n)
	}
	l.cfg.Alerts = append(l.cfg.Alerts, a)
}

// defaultAlertCooldown is how long an alert stays quiet after firing when
// its block does not say.
const defaultAlertCooldown = time.Hour

// checkAlertRule refuses an alert rule that reads member state: an alert
// runs for a community, with no member.
func (l *loader) checkAlertRule(a *Alert) {
	r := a.When
	if r == nil || r.Program == nil {
		return
	}
	rd := r.Program.Reads
	if len(rd.Member) > 0 || rd.Event || len(rd.EventTypes) > 0 || len(rd.Segments) > 0 || len(rd.Badges) > 0 || len(rd.Tiers) > 0 {
		l.errorf(r.Range.Ptr(), "Alert rule reads a member", "An alert rule runs for a community, with no member or event: use community figures such as community.messages_24h (see hearth explain rules).")
	}
}
