package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/governance"
	"github.com/hearth-community/hearth/engine/lograte"
	"github.com/hearth-community/hearth/engine/risk"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/templates"
)

// govern is the runtime's part of governance and risk: the compiled
// moderation of each community, the alerts watching it, the sentiment
// scorer, and whether community figures are kept at all (only with
// moderation rules, alerts or rules reading them, so configurations
// without them pay nothing).
type govern struct {
	sets      map[string]*governance.Set
	alerts    map[string][]*config.Alert
	scorer    risk.Scorer
	track     bool // keep community figures
	readsComm bool // some member or event rule reads community.*
	view      map[string]any
	noStore   bool // the store keeps no community documents (warned once)
	lastCheck time.Time
	alertEval time.Duration // how often CheckAlerts looks with no event
	// noPost holds back repeats of the warning for removals an event
	// without post_id left undone, per rule.
	noPost *lograte.Limiter
}

func newGovern(cfg *config.Config) govern {
	g := govern{sets: map[string]*governance.Set{}, alerts: map[string][]*config.Alert{}, alertEval: time.Minute, noPost: lograte.New(time.Minute)}
	for _, c := range cfg.Communities {
		if len(c.Moderation) > 0 {
			g.sets[c.Name] = governance.Compile(c)
		}
	}
	for _, a := range cfg.Alerts {
		for _, c := range cfg.Communities {
			if a.Community == nil || a.Community == c {
				g.alerts[c.Name] = append(g.alerts[c.Name], a)
			}
		}
	}
	for _, r := range cfg.Rules {
		if r.Program != nil && r.Program.Reads.Community && !isAlertRule(cfg, r) {
			g.readsComm = true
		}
	}
	g.track = len(cfg.Alerts) > 0 || g.readsComm || len(g.sets) > 0
	if g.track {
		g.scorer = risk.NewLexiconScorer(cfg.Sentiment)
	}
	return g
}

func isAlertRule(cfg *config.Config, r *config.Rule) bool {
	for _, a := range cfg.Alerts {
		if a.When == r {
			return true
		}
	}
	return false
}

// SetScorer replaces the built-in lexicon sentiment scorer.
func (r *Runtime) SetScorer(s risk.Scorer) {
	if s != nil {
		r.gov.scorer = s
	}
}

// communityOf is the community block an event belongs to: the one it
// names, the one whose capacity family the sub-community it names is in
// (its moderation and alerts apply there too), or the only one
// configured.
func (r *Runtime) communityOf(ev *events.Event) *config.Community {
	for _, c := range r.cfg.Communities {
		if ev.Community == "" && len(r.cfg.Communities) == 1 || ev.Community != "" && r.inFamily(ev.Community, c) {
			return c
		}
	}
	return nil
}

// whereOf is the community an event of block c happened in: c itself or
// its sub-community the event names. Figures are kept, and moderation
// acts, there.
func whereOf(ev *events.Event, c *config.Community) string {
	if ev.Community == "" {
		return c.Name
	}
	return ev.Community
}

// before is what governance needs of a member as it was before an event.
type before struct {
	active time.Time
	left   bool
	joins  int
}

func snapshot(m *state.Member) before {
	return before{active: m.LastActiveAt, left: m.Left, joins: m.Total("member.joined")}
}

// governEvent moderates a message and counts the event in its
// community's figures, then checks the community's alerts. removed
// says a moderation decision removes the message: incentives and
// campaigns then do not hear it (a removed message earns nothing).
func (r *Runtime) governEvent(w *work, m *state.Member, ev *events.Event, was before, activity bool) (removed bool, err error) {
	if !r.gov.track && len(r.gov.sets) == 0 {
		return false, nil // nothing to moderate or count: no cost per event
	}
	c := r.communityOf(ev)
	if c == nil {
		return false, nil
	}
	flagged := false
	// History is not moderated: its messages were posted long ago.
	if set := r.gov.sets[c.Name]; set != nil && !r.history {
		if flagged, removed, err = r.moderate(w, m, ev, c, set); err != nil {
			return removed, err
		}
	}
	if !r.gov.track {
		return removed, nil
	}
	where := whereOf(ev, c)
	doc, cb, err := r.communityDoc(w, where)
	if doc == nil || err != nil {
		return removed, err
	}
	_, place := r.cfg.Family(where)
	// In a capacity family, joinFamily and leaveFamily keep the count.
	sig := risk.Signal{Active: activity, PrevActive: was.active, KeepMembers: placesKept(c, place)}
	switch ev.Type {
	case "message.posted":
		sig.Message, sig.Flagged = true, flagged
		if text, _ := ev.Attrs["text"].(string); text != "" && r.gov.scorer != nil {
			sig.Negative = r.gov.scorer.Score(text) < 0
		}
	case "message.reported":
		sig.Report = true
	case "member.joined":
		sig.Joined = was.joins == 0 || was.left
	case "member.left":
		sig.Left = !was.left
	}
	risk.Observe(doc, ev.At, sig)
	if r.history {
		// The figures are state; an alert on history would page someone
		// about a year ago.
		return removed, cb.SaveCommunity(doc)
	}
	if err := r.checkAlerts(w, c, doc, ev.At, ev.ID); err != nil {
		return removed, err
	}
	return removed, cb.SaveCommunity(doc)
}

// communityDoc reads (or starts) a community's document; nil when the
// store keeps none.
func (r *Runtime) communityDoc(w *work, name string) (*state.Community, state.CommunityBatch, error) {
	cb, ok := w.b.(state.CommunityBatch)
	if !ok {
		if !r.gov.noStore {
			r.gov.noStore = true
			r.log.Warn("the state store keeps no community documents: community figures and alerts are off")
		}
		return nil, nil, nil
	}
	doc, err := cb.Community(name)
	if err == state.ErrNotFound {
		doc, err = &state.Community{Name: name}, nil
	}
	return doc, cb, err
}

// figures are what rules see as community for an event, when some rule
// reads them. Member rules have no event: they see the only community,
// or none when there are several. The preview, on its scratch copy as
// in its sandboxes, reads the documents PreviewCommunities gave it as
// the runtime reads the stored ones: a community with none stored has
// the figures of a new one.
func (r *Runtime) figures(w *work, ev *events.Event, now time.Time) *rules.Community {
	if !r.gov.readsComm || w == nil {
		return nil
	}
	preview := w == r.preview.w
	switch w.b.(type) {
	case nil:
		if !preview {
			return nil // an explanation (member why, member eval): no store
		}
	case *sandbox, *groupBox:
		preview = true
	}
	if ev == nil {
		ev = &events.Event{}
	}
	c := r.communityOf(ev)
	if c == nil {
		return nil
	}
	var doc *state.Community
	if preview {
		// One with no document stored is new: no figures, its name.
		if doc = r.preview.comms[whereOf(ev, c)]; doc == nil {
			doc = &state.Community{Name: whereOf(ev, c)}
		}
	} else {
		var err error
		if doc, _, err = r.communityDoc(w, whereOf(ev, c)); err != nil {
			return nil
		}
	}
	f := risk.Figures(doc, c, now)
	return &f
}

// PreviewCommunities gives the previews (Preview, PreviewEnds,
// PreviewGroup) the stored community documents, which rules over
// community figures read; without, they read those of new communities.
// The documents are read, never changed.
func (r *Runtime) PreviewCommunities(docs []*state.Community) {
	r.preview.comms = make(map[string]*state.Community, len(docs))
	for _, d := range docs {
		r.preview.comms[d.Name] = d
	}
}

func intAttr(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case float64:
		return int(x)
	}
	return -1
}

// moderate runs the community's moderation rules on the event. The first
// rule that matches decides; one message gets one decision. It says
// whether a rule matched and whether its decision removes the message.
func (r *Runtime) moderate(w *work, m *state.Member, ev *events.Event, c *config.Community, set *governance.Set) (matched, removed bool, err error) {
	text, _ := ev.Attrs["text"].(string)
	mod := m.Moderation
	if mod == nil {
		mod = &state.Moderation{}
	}
	msg := governance.Message{Text: text, Links: intAttr(ev.Attrs["links"]), Mentions: intAttr(ev.Attrs["mentions"]), At: ev.At, Recent: mod.Recent}
	for _, rule := range set.Rules {
		if !slices.Contains(rule.Config.On, ev.Type) {
			continue
		}
		evd, ok := rule.Detect(msg)
		if !ok && rule.Detectors() {
			continue
		}
		if when := rule.Config.When; when != nil {
			et := r.cfg.EventTypes[ev.Type]
			if r.gov.view == nil {
				r.gov.view = make(map[string]any, 16)
			}
			view, err := r.viewPlan(ev.Type, &et, true).Build(r.gov.view, ev)
			if err != nil {
				continue // reported where incentives see the same event
			}
			r.bound = bindKey{} // bound to another view map before and after
			r.bind(w, m, view, ev, ev.At)
			holds := r.ruleBool(when, "community."+c.Name+".moderation", rule.Config.Name, "when")
			r.bound = bindKey{}
			if !holds {
				continue
			}
			if !ok {
				evd = governance.RuleEvidence(when.Source)
			}
		} else if !ok {
			// No checks and no when: a rule on other events than
			// messages (config allows it) matches each of them.
			evd = governance.EventEvidence(ev.Type)
		}
		m.Moderation = mod
		d := set.Decide(mod, rule, evd, ev.At, ev.ID)
		r.enforce(w, m, ev, c, d)
		matched, removed = true, d.Delete
		break
	}
	if ev.Type == "message.posted" {
		set.Remember(mod, ev.At)
	}
	if m.Moderation == nil && (matched || len(mod.Recent) > 0) {
		m.Moderation = mod
	}
	r.refreshStrikes(w, m, ev.At)
	return matched, removed, nil
}

// refreshStrikes sets member.strikes to the live strikes at at.
func (r *Runtime) refreshStrikes(w *work, m *state.Member, at time.Time) {
	n := 0
	for _, set := range r.gov.sets {
		if m.Moderation != nil {
			set.Prune(m.Moderation, at)
		}
		n += set.Live(m.Moderation, at)
	}
	if n != m.Strikes {
		m.Strikes = n
		w.mark(m.ID, r.keyIdx.strikes)
	}
}

// enforce records a decision and puts its actions in the outbox: a
// direct message telling the member why, then the mute, kick, ban or
// deletion, each keyed by the event so it is applied once.
func (r *Runtime) enforce(w *work, m *state.Member, ev *events.Event, c *config.Community, d governance.Decision) {
	rule := d.Rule.Address
	dur := governance.FormatDuration(d.Duration)
	evidence := d.Evidence.String()
	governance.Record(m.Moderation, state.Decision{At: ev.At, Rule: rule, Action: d.Action, Duration: dur, Strikes: d.Live, Evidence: evidence, Event: ev.ID})
	detail := fmt.Sprintf("%s; +%d strikes, %d live", evidence, d.Added, d.Live)
	if d.Rung > 0 {
		detail += fmt.Sprintf(" (rung %d)", d.Rung)
	}
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindModeration, Member: m.ID, Name: d.Rule.Config.Name, Change: d.Action,
		At: ev.At, Rule: rule, Event: ev.ID, To: dur, Detail: detail})
	w.mark(m.ID, r.keyIdx.strikes)
	w.extra = append(w.extra, derivedEvent(ev, m, "moderation.violated", d.Rule.Config.Name, map[string]any{
		"rule": d.Rule.Config.Name, "action": d.Action, "strikes": d.Live, "evidence": evidence}))
	if d.Action == "flag" && !d.Delete {
		return
	}
	platformAddr, target := "", m.ID
	if c.Platform != nil {
		platformAddr = c.Platform.Addr()
		if id := m.Identities[c.Platform.Type]; id != "" {
			target = id
		}
	}
	reason := decisionReason(d)
	queue := func(kind string, a state.Action) {
		a.Key = "moderation/" + ev.ID + "/" + kind
		if a.At.IsZero() {
			a.At = ev.At
		}
		a.Kind, a.Member, a.Platform, a.Community, a.Event = kind, m.ID, platformAddr, whereOf(ev, c), ev.ID
		if a.Target == "" {
			a.Target = target
		}
		a.Reason = reason
		w.actions = append(w.actions, a)
		w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAction, Member: m.ID, Name: kind, Change: "queue", At: ev.At, Rule: rule, Event: ev.ID, To: a.Target, Detail: a.Key})
	}
	if d.Action != "flag" {
		msg := r.warning(m, ev, c, d, reason, evidence)
		queue("send.dm", state.Action{Text: msg.Text, Locale: msg.Locale, Mentions: actionMentions(msg.Mentions)})
	}
	post, _ := ev.Attrs["post_id"].(string)
	switch {
	case d.Delete && post != "":
		queue("moderation.delete", state.Action{Message: post})
	case d.Delete:
		r.noPostID(w, m, ev, rule)
	}
	switch d.Action {
	case "mute":
		queue("moderation.mute", state.Action{Duration: d.Duration})
	case "kick", "ban":
		// The outbox sends what is due first first: the notice goes
		// while the member can still get it, and the removal follows
		// whether or not it could be delivered.
		queue("moderation."+d.Action, state.Action{Duration: d.Duration, At: ev.At.Add(noticeLead)})
	}
}

// NoPostID is why a decision that removes the message deleted nothing:
// the event did not say which message it was.
const NoPostID = "no post_id on the event: nothing to delete"

// noPostID records a removal that could not be queued, an event without
// post_id, as a skipped moderation.delete, so simulate counts it and
// the member's history says why the message stayed; and logs it, once a
// minute per rule at most, since a feed that never sends post_id makes
// every such event a line.
func (r *Runtime) noPostID(w *work, m *state.Member, ev *events.Event, rule string) {
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAction, Member: m.ID, Name: "moderation.delete", Change: "skip",
		At: ev.At, Rule: rule, Event: ev.ID, Detail: NoPostID})
	if ok, held := r.gov.noPost.Allow(rule, time.Now()); ok {
		args := []any{"reason", NoPostID, "rule", rule, "event", ev.ID, "type", ev.Type}
		if held > 0 {
			args = append(args, "held_back", held)
		}
		r.log.Warn("moderation removed no message", args...)
	}
}

// noticeLead is how long after its notice (the direct message telling
// the member why) a kick or ban is due: once removed, a member can no
// longer be written to on most platforms. The outbox delivers in due
// order, so the notice is tried first, and a notice that fails is
// retried within the lead before the removal goes ahead without it.
const noticeLead = 5 * time.Second

// decisionReason is the reason a decision gives: its rule's, else the
// rule's name.
func decisionReason(d governance.Decision) string {
	if d.Rule.Config.Reason != "" {
		return d.Rule.Config.Reason
	}
	return d.Rule.Config.Name
}

// ladderEvent is what a ladder's template reads as event with decision d
// of community c: the warning's, and hearth template render's sample
// (SampleLadder), so both have the same fields of the same types.
func ladderEvent(c *config.Community, d governance.Decision, reason, evidence string) map[string]any {
	decision := strings.TrimSpace(d.Action + " " + governance.FormatDuration(d.Duration))
	return map[string]any{"rule": d.Rule.Config.Name, "action": d.Action, "reason": reason, "strikes": d.Live,
		"evidence": evidence, "duration": governance.FormatDuration(d.Duration), "decision": decision, "community": c.Name}
}

// warning is the direct message a member gets with a decision: the
// ladder's template, or a plain text.
func (r *Runtime) warning(m *state.Member, ev *events.Event, c *config.Community, d governance.Decision, reason, evidence string) templates.Message {
	if c.Ladder != nil && c.Ladder.Template != nil {
		fillMember(&r.rm, m, ev.At, r.noAttrs)
		msg, err := r.render.RenderTo(c.Ladder.Template, &r.rm, ladderEvent(c, d, reason, evidence), nil, ev.At, target("dm", c.Platform, m))
		if err == nil {
			return msg
		}
		r.log.Warn("moderation warning template failed; sending the plain text", "community", c.Name, "err", err)
	}
	return templates.Message{Text: plainWarning(c, d)}
}

// plainWarning is the direct message of a decision in a community with
// no ladder template: what happened, where, and the rule's reason when
// it has one, in words a member reads. The rule's name, its evidence and
// its when expression stay in the outcome and the member's record.
func plainWarning(c *config.Community, d governance.Decision) string {
	what := map[string]string{"warn": "This is a warning", "mute": "You are muted for " + durations.Words(d.Duration),
		"remove": "Your message was removed", "kick": "You were removed from", "ban": "You are banned from"}[d.Action]
	title := c.Title
	if title == "" {
		title = c.Name
	}
	where := " in "
	if d.Action == "kick" || d.Action == "ban" {
		where = " "
	}
	text := what + where + title
	if d.Action == "ban" && d.Duration > 0 {
		text += " for " + durations.Words(d.Duration)
	}
	if r := strings.TrimSpace(d.Rule.Config.Reason); r != "" {
		text += ": " + r
		if last, _ := utf8.DecodeLastRuneInString(r); !strings.ContainsRune(".!?。！？", last) {
			text += "."
		}
	} else {
		text += "."
	}
	if d.Live > 0 && c.Ladder != nil {
		// Strikes tell where the member is on the ladder; without one
		// they decide nothing.
		text += fmt.Sprintf(" You have %d %s.", d.Live, map[bool]string{true: "strike", false: "strikes"}[d.Live == 1])
	}
	return text
}

// Pardon clears a member's strikes (those of one rule, by name or
// address, when rule is given), as an operator asks with hearth member
// pardon. A mute still running that the rules pardoned decided is
// lifted too: its end is forgotten and the returned moderation.unmute,
// for the caller to put in the outbox, lifts it on the platform. It
// returns the outcome, how many strikes were cleared and those actions.
func (r *Runtime) Pardon(m *state.Member, rule string, at time.Time) (state.Outcome, int, []state.Action) {
	if m.Moderation != nil {
		for _, set := range r.gov.sets {
			set.Prune(m.Moderation, at) // decayed strikes are not pardoned, they are gone
		}
	}
	n := governance.Pardon(m.Moderation, rule)
	live := 0
	for _, set := range r.gov.sets {
		live += set.Live(m.Moderation, at)
	}
	m.Strikes = live
	what := "all rules"
	if rule != "" {
		what = rule
	}
	detail := fmt.Sprintf("%d strikes cleared; strikes %d", n, live)
	var actions []state.Action
	if mod := m.Moderation; mod != nil && mod.MutedUntil.After(at) {
		c, muteRule := r.mutedIn(m)
		if rule == "" || muteRule == rule || strings.HasSuffix(muteRule, ".moderation."+rule) {
			mod.MutedUntil = time.Time{}
			detail += "; mute lifted"
			if c != nil && c.Platform != nil {
				actions = append(actions, unmuteAction(m, c, at, fmt.Sprintf("moderation/pardon/%s/%d", m.ID, at.UnixNano()), "pardoned", "operator"))
			}
		}
	}
	if m.Moderation != nil {
		governance.Record(m.Moderation, state.Decision{At: at, Rule: what, Action: "pardon", Strikes: live, Evidence: strconv.Itoa(n) + " strikes cleared", Event: "operator"})
	}
	r.schedule(m)
	return state.Outcome{Kind: state.KindModeration, Member: m.ID, Name: what, Change: "pardon", At: at, Rule: what, Event: "operator",
		Detail: detail}, n, actions
}

// mutedIn is the community block of the member's latest mute, and the
// address of the rule that decided it; nil when no mute decision is
// kept or its community is no longer configured.
func (r *Runtime) mutedIn(m *state.Member) (*config.Community, string) {
	if m.Moderation == nil {
		return nil, ""
	}
	ds := m.Moderation.Decisions
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].Action != "mute" {
			continue
		}
		name, _, ok := strings.Cut(strings.TrimPrefix(ds[i].Rule, "community."), ".moderation.")
		if !ok {
			return nil, ds[i].Rule
		}
		for _, c := range r.cfg.Communities {
			if c.Name == name {
				return c, ds[i].Rule
			}
		}
		return nil, ds[i].Rule
	}
	return nil, ""
}

// muteEnd is when hearth must lift the member's mute, for schedule: its
// end on a platform whose mutes last until lifted
// (config.Platform.UnmuteAtEnd); zero elsewhere, where the platform
// ends it by itself.
func (r *Runtime) muteEnd(m *state.Member) time.Time {
	if m.Moderation == nil || m.Moderation.MutedUntil.IsZero() {
		return time.Time{}
	}
	if c, _ := r.mutedIn(m); c != nil && c.Platform != nil && c.Platform.UnmuteAtEnd {
		return m.Moderation.MutedUntil
	}
	return time.Time{}
}

// endMute lifts a mute whose time is over at at on a platform that does
// not end it by itself: it queues moderation.unmute, keyed by the member
// and the mute's end so it is applied once, and forgets the mute.
func (r *Runtime) endMute(w *work, m *state.Member, at time.Time) {
	until := r.muteEnd(m)
	if until.IsZero() || until.After(at) || r.history {
		return
	}
	c, rule := r.mutedIn(m)
	m.Moderation.MutedUntil = time.Time{}
	cause := fmt.Sprintf("recheck:%s:%d", m.ID, at.Unix())
	a := unmuteAction(m, c, until, fmt.Sprintf("moderation/unmute/%s/%d", m.ID, until.Unix()), "mute ended", cause)
	governance.Record(m.Moderation, state.Decision{At: until, Rule: rule, Action: "unmute", Strikes: m.Strikes, Evidence: "mute ended", Event: cause})
	w.actions = append(w.actions, a)
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAction, Member: m.ID, Name: a.Kind, Change: "queue", At: until, Rule: rule, Event: a.Event, To: a.Target, Detail: a.Key})
}

// unmuteAction is the moderation.unmute lifting m's mute in community
// block c (its sub-community the member is in, in a capacity family).
func unmuteAction(m *state.Member, c *config.Community, at time.Time, key, reason, cause string) state.Action {
	target := m.ID
	if id := m.Identities[c.Platform.Type]; id != "" {
		target = id
	}
	return state.Action{Key: key, Kind: "moderation.unmute", Member: m.ID, At: at, Platform: c.Platform.Addr(),
		Community: m.Place(c.Name), Target: target, Reason: reason, Event: cause}
}

// nextDecay is when the member's strikes next decay, for schedule.
func (r *Runtime) nextDecay(m *state.Member, now time.Time) time.Time {
	var next time.Time
	for _, set := range r.gov.sets {
		if t := set.NextDecay(m.Moderation, now); !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// checkAlerts evaluates the community's alerts against its figures at
// now and acts on what changed.
func (r *Runtime) checkAlerts(w *work, c *config.Community, doc *state.Community, now time.Time, cause string) error {
	alerts := r.gov.alerts[c.Name]
	if len(alerts) == 0 {
		return nil
	}
	f := risk.Figures(doc, c, now)
	r.bound = bindKey{}
	r.eval.Bind(&rules.Member{}, nil, &f, now, nil)
	for _, a := range alerts {
		holds := r.ruleBool(a.When, "alert", a.Name, "when")
		if doc.Alerts == nil {
			doc.Alerts = map[string]*state.AlertState{}
		}
		st := doc.Alerts[a.Name]
		if st == nil {
			st = &state.AlertState{}
			doc.Alerts[a.Name] = st
		}
		switch risk.Step(st, holds, now, a.Cooldown) {
		case risk.Fire:
			if err := r.raise(w, a, c, doc.Name, f, st, now, cause); err != nil {
				return err
			}
		case risk.Suppressed:
			w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAlert, Name: a.Name, Change: "suppressed", At: now, Rule: "alert." + a.Name, Event: cause,
				Detail: fmt.Sprintf("within the %s cool-down of %s", governance.FormatDuration(a.Cooldown), st.LastFired.UTC().Format(time.RFC3339))})
		case risk.Resolved:
			w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAlert, Name: a.Name, Change: "resolved", At: now, Rule: "alert." + a.Name, Event: cause, Detail: doc.Name})
		}
	}
	r.bound = bindKey{}
	return nil
}

// alertEvent is what an alert's notify template reads as event when it
// fires in community name (c's, or its sub-community's): raise's, and
// hearth template render's sample (SampleAlert), so both have the same
// fields of the same types.
func alertEvent(a *config.Alert, name string, summary string) map[string]any {
	return map[string]any{"alert": a.Name, "severity": a.Severity, "community": name, "summary": summary, "description": a.Description}
}

// raise sends an alert of block c's, fired in community name (c or its
// sub-community), to its ops channels (there) and its responders.
func (r *Runtime) raise(w *work, a *config.Alert, c *config.Community, name string, f rules.Community, st *state.AlertState, now time.Time, cause string) error {
	summary := risk.Summary(a, f)
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAlert, Name: a.Name, Change: "fire", At: now, Rule: "alert." + a.Name, Event: cause, Detail: summary})
	vars := alertEvent(a, name, summary)
	for i, n := range a.Notify {
		plat := c.Platform
		if n.Platform != nil {
			plat = n.Platform
		}
		text, subject := summary, summary
		if n.Template != nil {
			msg, err := r.render.Render(n.Template, &rules.Member{}, vars, &f, now, markup(n.Channel, plat))
			if err != nil {
				r.log.Warn("alert template failed; sending the summary", "alert", a.Name, "err", err)
			} else {
				text = msg.Text
				if msg.Subject != "" {
					subject = msg.Subject
				}
			}
		}
		act := state.Action{Key: fmt.Sprintf("alert/%s/%s/%d/%d", name, a.Name, st.Fired, i), Kind: "send." + n.Channel, At: now,
			Community: name, Target: n.To, Text: text, Event: cause, Reason: "alert." + a.Name}
		if plat != nil {
			act.Platform = plat.Addr()
		}
		if n.Channel == "channel" && n.Target != nil {
			act.Target = n.Target.Name
		}
		if n.Channel == "email" {
			act.Subject = templates.SubjectLine(subject) // a summary may run to lines
		}
		w.actions = append(w.actions, act)
		w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAction, Name: act.Kind, Change: "queue", At: now, Rule: "alert." + a.Name, Event: cause, To: act.Target, Detail: act.Key})
	}
	for _, id := range a.Responders {
		m, _, err := w.member(id, now)
		if errors.Is(err, state.ErrSuppressed) {
			continue // a responder who asked to be forgotten
		}
		if err != nil {
			return err
		}
		ev := &events.Event{ID: fmt.Sprintf("alert/%s/%s/%d/%s", name, a.Name, st.Fired, id), Type: "alert.raised", Member: events.Member{ID: id},
			At: now, Source: "hearth", Community: name, Attrs: map[string]any{"alert": a.Name, "severity": a.Severity, "community": name, "summary": summary}}
		if a.Campaign != nil {
			r.enroll(w, m, a.Campaign, ev, ev.Attrs)
		}
		w.extra = append(w.extra, ev)
	}
	return nil
}

// AlertsDue reports whether CheckAlerts would look at now.
func (r *Runtime) AlertsDue(now time.Time) bool {
	return len(r.cfg.Alerts) > 0 && r.gov.track && now.Sub(r.gov.lastCheck) >= r.gov.alertEval
}

// CheckAlerts evaluates every community's alerts at now with no event,
// so an alert on activity dropping fires when nothing happens. It looks
// at most once per minute of now and returns how many alerts fired and
// the outcomes.
func (r *Runtime) CheckAlerts(ctx context.Context, b state.Batch, now time.Time) (int, []state.Outcome, error) {
	if r.history || !r.AlertsDue(now) {
		return 0, nil, nil
	}
	r.gov.lastCheck = now
	w := r.newWork(ctx, b)
	cause := "check:" + now.UTC().Format(time.RFC3339)
	for _, c := range r.cfg.Communities {
		if len(r.gov.alerts[c.Name]) == 0 {
			continue
		}
		// The community, then its sub-communities hearth keeps figures
		// of, in order.
		for i := 1; ; i++ {
			doc, cb, err := r.communityDoc(w, c.Place(i))
			if doc == nil || err != nil {
				return 0, nil, err
			}
			if i > 1 && doc.Hours == nil && doc.Members == 0 && doc.Alerts == nil {
				break // no figures kept there: a new document, not stored
			}
			if err := r.checkAlerts(w, c, doc, now, cause); err != nil {
				return 0, nil, err
			}
			if err := cb.SaveCommunity(doc); err != nil {
				return 0, nil, err
			}
		}
	}
	fired := 0
	for _, o := range w.outcomes {
		if o.Kind == state.KindAlert && o.Change == "fire" {
			fired++
		}
	}
	derived := w.extra
	w.extra = nil
	for _, d := range derived {
		if err := r.applyEvent(w, d, 1); err != nil {
			return 0, nil, err
		}
	}
	if err := r.finish(w, now); err != nil {
		return 0, nil, err
	}
	return fired, w.outcomes, nil
}

// whyModeration explains a member's moderation record: the live strikes
// and, for each decision of the rules addressed ("moderation" for all,
// moderation.NAME, community.C.moderation.NAME), the action, the rule
// and the evidence.
func (r *Runtime) whyModeration(m *state.Member, addr string, now time.Time) ([]Explanation, error) {
	name := ""
	if addr != "moderation" {
		name = addr[strings.LastIndex(addr, ".")+1:]
	}
	blocks := map[string]*config.Moderation{}
	where := map[string]string{}
	for _, c := range r.cfg.Communities {
		for _, mod := range c.Moderation {
			a := "community." + c.Name + ".moderation." + mod.Name
			blocks[a] = mod
			where[a] = fmt.Sprintf("%s:%d", shortPath(mod.DeclRange.Filename), mod.DeclRange.Start.Line)
		}
	}
	if name != "" {
		known := false
		for a := range blocks {
			known = known || strings.HasSuffix(a, ".moderation."+name)
		}
		if !known {
			return nil, fmt.Errorf("%q: no moderation rule %q in the configuration", addr, name)
		}
	}
	live := 0
	for _, set := range r.gov.sets {
		live += set.Live(m.Moderation, now)
	}
	var next any = "none"
	if t := r.nextDecay(m, now); !t.IsZero() {
		next = t.UTC().Format(time.RFC3339)
	}
	out := []Explanation{{Rule: "member.strikes", Source: "live strikes: younger than their community's ladder decay", Result: live,
		Values: []Value{{Name: "next decay", Value: next}}}}
	for _, c := range r.cfg.Communities {
		if c.Ladder != nil && out[0].At == "" {
			out[0].At = fmt.Sprintf("%s:%d", shortPath(c.Ladder.DeclRange.Filename), c.Ladder.DeclRange.Start.Line)
		}
	}
	if m.Moderation != nil {
		muted := "no"
		if m.Moderation.MutedUntil.After(now) {
			muted = "until " + m.Moderation.MutedUntil.UTC().Format(time.RFC3339)
		}
		banned := "no"
		if is, until := m.Moderation.BannedAt(now); is && until.IsZero() {
			banned = "yes"
		} else if is {
			banned = "until " + until.UTC().Format(time.RFC3339)
		}
		out[0].Values = append(out[0].Values, Value{Name: "muted", Value: muted}, Value{Name: "banned", Value: banned})
		for _, d := range m.Moderation.Decisions {
			if name != "" && !strings.HasSuffix(d.Rule, ".moderation."+name) && d.Rule != name {
				continue
			}
			result := d.Action
			if d.Duration != "" {
				result += " " + d.Duration
			}
			ex := Explanation{Rule: d.Rule, At: where[d.Rule], Result: result, Values: []Value{
				{Name: "at", Value: d.At.UTC().Format(time.RFC3339)}, {Name: "event", Value: d.Event},
				{Name: "evidence", Value: d.Evidence}, {Name: "strikes after", Value: d.Strikes}}}
			if b := blocks[d.Rule]; b != nil {
				ex.Source = describe(b)
			}
			out = append(out, ex)
		}
	}
	return out, nil
}

// describe writes what a moderation rule checks, for why.
func describe(m *config.Moderation) string {
	var parts []string
	for _, loc := range slices.Sorted(maps.Keys(m.Keywords)) {
		parts = append(parts, fmt.Sprintf("keywords %s %q", loc, m.Keywords[loc]))
	}
	if len(m.Patterns) > 0 {
		parts = append(parts, fmt.Sprintf("patterns %q", m.Patterns))
	}
	if m.Links > 0 {
		parts = append(parts, fmt.Sprintf("links >= %d", m.Links))
	}
	if m.Mentions > 0 {
		parts = append(parts, fmt.Sprintf("mentions >= %d", m.Mentions))
	}
	if m.Rate != nil {
		parts = append(parts, "rate > "+m.Rate.String())
	}
	if m.When != nil {
		parts = append(parts, "when "+m.When.Source)
	}
	action := m.Action
	if action == "" {
		action = "the ladder"
	}
	return strings.Join(parts, ", ") + "; action: " + action
}
