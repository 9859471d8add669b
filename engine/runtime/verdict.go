package runtime

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
)

// Verdict is what the runtime would do, at the time member why asks
// about, with the tier or incentive asked about: one sentence in plain
// words (Text, member why's "verdict:" line) and its parts. It comes from
// the decision the runtime itself takes (decideTier, grantGate), not
// from a second reading of the rules.
type Verdict struct {
	// Decision is one of the Verdict constants.
	Decision string `json:"decision"`
	Text     string `json:"text"`
	// On is the tier the member is on ("" none), and To where a move
	// would take them, for a tier ("" none after a demotion).
	On string `json:"on,omitempty"`
	To string `json:"to,omitempty"`
	// Since and Until bound what holds the decision back: the
	// qualifying window (since when holds), the grace period (since the
	// promotion), demote_after (since keep fails), an incentive's
	// cooldown (since the last grant) or limit (when a grant leaves its
	// window).
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
}

// Verdict decisions. For a tier: the member holds it (keep holds), is
// locked, would be promoted or demoted at the next evaluation, qualifies
// (when holds, its window runs), is held by the grace period or by
// demote_after though keep fails, has not reached it (when fails), or is
// on a tier above it. For an incentive: a grant on an event now (its
// when holding), or what stops one: once, cooldown, limit, points_cap
// (no points left to give), when, an event needed to know.
const (
	VerdictHolds       = "holds"
	VerdictLocked      = "locked"
	VerdictPromote     = "promote"
	VerdictQualifying  = "qualifying"
	VerdictGrace       = "grace"
	VerdictDemoteAfter = "demote_after"
	VerdictDemote      = "demote"
	VerdictNotReached  = "not_reached"
	VerdictAbove       = "above"

	VerdictGrant      = "grant"
	VerdictOnce       = "once"
	VerdictOncePer    = "once_per"
	VerdictCooldown   = "cooldown"
	VerdictLimit      = "limit"
	VerdictPointsCap  = "points_cap"
	VerdictWhenFails  = "when_fails"
	VerdictNeedsEvent = "needs_event"
	VerdictNotOnEvent = "not_on_event"
	// VerdictOtherMember: the event's grant would go to another member
	// (the event's own, or the one grant.to names).
	VerdictOtherMember = "other_member"
)

// Verdict is what the runtime would do at at with the tier or incentive
// addr names (tier.NAME, incentive.NAME), for member why: nil for another
// kind of address or a name the configuration does not have (Why says
// so). ev is the event an incentive is asked about on (nil: none), and by
// its member (nil: m), as WhyOn takes them. The IncentiveCheck is the
// incentive's bookkeeping behind its verdict.
func (r *Runtime) Verdict(m *state.Member, addr string, ev *events.Event, by *state.Member, at time.Time) (*Verdict, *IncentiveCheck, error) {
	kind, name, _ := strings.Cut(addr, ".")
	switch kind {
	case "tier":
		for _, t := range r.cfg.Tiers {
			if t.Name == name {
				return r.tierVerdict(m, t, at), nil, nil
			}
		}
	case "incentive":
		if in := r.incentiveNamed(name); in != nil {
			return r.incentiveVerdict(m, in, ev, by, at)
		}
	}
	return nil, nil, nil
}

// tierVerdict tells the tier decision for m at at as it bears on t.
func (r *Runtime) tierVerdict(m *state.Member, t *config.Tier, at time.Time) *Verdict {
	w := r.newWork(context.Background(), nil)
	r.bound = bindKey{}
	d := r.decideTier(w, m, at, false)
	// t's own rules, for what the decision leaves unsaid: why it is not
	// reached, and whether a promotion to it would last.
	r.bind(w, m, nil, nil, at)
	when := r.tierRule(t.When, t.Name, "when", false)
	keep := r.tierRule(keepRule(t), t.Name, "keep", false)
	r.bound = bindKey{}
	if d.renamed != nil {
		// On a tier a moved block renamed, not written back yet: the
		// member is on it under its new name.
		c := *m
		c.Tier.Name, c.Tier.Rank = d.renamed.Name, d.renamed.Rank
		m = &c
	}
	return tierText(r.cfg.Tiers, t, m, d, at, when, keep)
}

// keepRule is the rule that keeps a member on t: keep, or when without one.
func keepRule(t *config.Tier) *config.Rule {
	if t.Keep != nil {
		return t.Keep
	}
	return t.When
}

// tierText puts decision d for m at at into words for tier t, one of
// tiers, whose when and keep give what they are given.
func tierText(tiers []*config.Tier, t *config.Tier, m *state.Member, d tierDecision, at time.Time, when, keep bool) *Verdict {
	v := &Verdict{On: m.Tier.Name}
	name, on := t.Name, m.Tier.Name
	rank := m.Tier.Rank
	// Since when t's when has held, if the member qualifies for its
	// window: each tier's window counts on its own.
	since, qualifies := d.state.QualifyingSince(name)
	qualifies = qualifies && t.Window > 0
	if d.to != nil {
		v.To = d.to.Name
	}
	switch {
	case d.lock != nil:
		v.Decision = VerdictLocked
		switch {
		case d.lock != t:
			v.Text = fmt.Sprintf("not on %s: the member is locked on %s, whatever the rules say", name, d.lock.Name)
		case d.move != "":
			v.Text = fmt.Sprintf("would be moved to %s at the next evaluation: the member is locked on it, whatever its rules say", name)
		default:
			v.Text = fmt.Sprintf("holds %s: the member is locked on it, whatever its rules say", name)
		}
	case d.move == "promote":
		v.Decision = VerdictPromote
		to := d.to
		switch {
		case to == t:
			v.Text = fmt.Sprintf("would be promoted to %s at the next evaluation: when holds", name)
			if qualifies {
				v.Since, v.Until = since.UTC(), since.Add(t.Window).UTC()
				v.Text += fmt.Sprintf(", and has since %s, for the qualifying window (%s, ended %s)", stamp(v.Since), durations.FormatDays(t.Window), stamp(v.Until))
			}
			if !keep && t.Keep != nil && t.Grace == 0 && t.DemoteAfter == 0 {
				// The flapping a keep stricter than when makes: promoted
				// now, demoted at the evaluation after.
				v.Text += "; but its keep fails now, and with no grace or demote_after the member would be demoted again at a later evaluation (a keep stricter than when makes members flap: lower keep's threshold, or add grace or demote_after)"
			}
		case on == name:
			v.Text = fmt.Sprintf("would be promoted from %s to %s at the next evaluation: %s's when holds", name, to.Name, to.Name)
		case t.Rank < rank:
			v.Decision = VerdictAbove
			v.Text = fmt.Sprintf("on %s, above %s; would be promoted to %s at the next evaluation", on, name, to.Name)
		case t.Rank < to.Rank:
			v.Text = fmt.Sprintf("would be promoted past %s to %s at the next evaluation: %s's when holds", name, to.Name, to.Name)
		default:
			v.Text = fmt.Sprintf("would be promoted to %s at the next evaluation, not to %s: %s", to.Name, name, notReached(t, d, when))
		}
	case d.move == "demote":
		v.Decision = VerdictDemote
		whose := ""
		if on != name {
			whose = on + "'s "
		}
		reason := whose + demoteReason(d, m)
		switch {
		case on == name:
			v.Text = fmt.Sprintf("would be demoted to %s at the next evaluation: %s", orNoTier(d.to), reason)
		case d.to == t:
			v.Text = fmt.Sprintf("would be demoted from %s to %s at the next evaluation: %s", on, name, reason)
		case t.Rank > rank:
			v.Decision = VerdictNotReached
			v.Text = fmt.Sprintf("not on %s: %s; and the member would be demoted from %s to %s at the next evaluation: %s", name, notReached(t, d, when), on, orNoTier(d.to), reason)
		default:
			v.Text = fmt.Sprintf("would be demoted from %s past %s to %s at the next evaluation: %s", on, name, orNoTier(d.to), reason)
			if d.to != nil && d.to.Rank > t.Rank {
				v.Decision = VerdictAbove
				v.Text = fmt.Sprintf("on %s, above %s; would be demoted to %s at the next evaluation: %s", on, name, d.to.Name, reason)
			}
		}
	case qualifies:
		v.Decision = VerdictQualifying
		v.Since, v.Until = since.UTC(), since.Add(t.Window).UTC()
		v.Text = fmt.Sprintf("would be promoted to %s at the first evaluation from %s: when holds, and has since %s; it must hold for the qualifying window (%s)", name, stamp(v.Until), stamp(v.Since), durations.FormatDays(t.Window))
		if first, end, ok := firstWindow(tiers, d, t); ok {
			v.Text += fmt.Sprintf("; %s's own window ends first, at %s", first, stamp(end))
		}
	case on == name:
		switch d.keep {
		case keepHolds:
			v.Decision = VerdictHolds
			if t.Keep != nil {
				v.Text = fmt.Sprintf("holds %s: keep holds", name)
			} else {
				v.Text = fmt.Sprintf("holds %s: when holds (with no keep, when decides staying too)", name)
			}
		case keepGrace:
			if at.Before(m.Tier.Since) {
				// Asked of a time before the member reached the tier:
				// the runtime demotes for no time before a promotion.
				v.Decision = VerdictHolds
				v.Text = fmt.Sprintf("holds %s at this time, though keep fails: the member reached it %s, after it, and no time before a promotion demotes", name, stamp(m.Tier.Since))
				break
			}
			v.Decision = VerdictGrace
			grace := graceOf(t, m)
			v.Since, v.Until = m.Tier.Since.UTC(), m.Tier.Since.Add(grace).UTC()
			if tierImported(m) {
				v.Text = fmt.Sprintf("held by grace until %s: keep fails, but the tier was imported %s and an imported tier is held %s (its grace, or 30 days if that is longer) before keep is judged; ", stamp(v.Until), stamp(v.Since), durations.FormatDays(grace))
			} else {
				v.Text = fmt.Sprintf("held by grace until %s: keep fails, but the grace period (%s) after the promotion of %s runs; ", stamp(v.Until), durations.FormatDays(t.Grace), stamp(v.Since))
			}
			switch end := d.state.FailingSince.Add(t.DemoteAfter); {
			case t.DemoteAfter > 0 && tierImported(m):
				v.Text += fmt.Sprintf("then keep must go on failing for demote_after (%s) before a demotion", durations.FormatDays(t.DemoteAfter))
			case t.DemoteAfter == 0:
				v.Text += "demoted at the first evaluation from then unless keep holds again"
			case end.After(v.Until):
				// demote_after counts from when keep started failing,
				// grace or not: it ends after the grace here.
				v.Text += fmt.Sprintf("demote_after (%s) counts from when keep started failing, %s, so the member is demoted at %s unless keep holds again", durations.FormatDays(t.DemoteAfter), stamp(d.state.FailingSince), stamp(end))
			default:
				v.Text += fmt.Sprintf("demote_after (%s), counted from when keep started failing (%s), is over by then: demoted at the first evaluation from then unless keep holds again", durations.FormatDays(t.DemoteAfter), stamp(d.state.FailingSince))
			}
		case keepFailing:
			v.Decision = VerdictDemoteAfter
			v.Since, v.Until = d.state.FailingSince.UTC(), d.state.FailingSince.Add(t.DemoteAfter).UTC()
			v.Text = fmt.Sprintf("demote_after (%s): keep fails since %s; demoted at %s unless keep holds again", durations.FormatDays(t.DemoteAfter), stamp(v.Since), stamp(v.Until))
		default:
			v.Decision = VerdictHolds
			v.Text = fmt.Sprintf("holds %s", name)
		}
	case on != "" && t.Rank < rank:
		v.Decision = VerdictAbove
		v.Text = fmt.Sprintf("on %s, above %s: %s's rules decide only once the member loses %s", on, name, name, on)
	default:
		v.Decision = VerdictNotReached
		v.Text = fmt.Sprintf("not on %s: %s", name, notReached(t, d, when))
	}
	return v
}

// notReached says why a member below t is not promoted to it at
// decision d.
func notReached(t *config.Tier, d tierDecision, when bool) string {
	switch {
	case !when:
		return "its when does not hold"
	case t.Window > 0:
		if since, ok := d.state.QualifyingSince(t.Name); ok {
			return fmt.Sprintf("its when holds, since %s, but must hold for the qualifying window (%s), until %s", stamp(since), durations.FormatDays(t.Window), stamp(since.Add(t.Window)))
		}
		return fmt.Sprintf("its when holds, but must hold for the qualifying window (%s)", durations.FormatDays(t.Window))
	}
	return "its when holds"
}

// firstWindow is, when the member qualifies at decision d for another
// tier below t whose window ends before t's, the one whose window ends
// first, and when: the promotion that comes first. ok is false for none.
func firstWindow(tiers []*config.Tier, d tierDecision, t *config.Tier) (first string, end time.Time, ok bool) {
	since, _ := d.state.QualifyingSince(t.Name)
	end = since.Add(t.Window)
	for _, q := range d.state.Qualifying {
		for _, o := range tiers {
			if o.Name == q.Tier && o.Rank < t.Rank && q.Since.Add(o.Window).Before(end) {
				first, end, ok = o.Name, q.Since.Add(o.Window), true
			}
		}
	}
	return first, end, ok
}

// demoteReason says why the tier held is lost at a decision to demote.
func demoteReason(d tierDecision, m *state.Member) string {
	t := d.cur
	if t == nil {
		return fmt.Sprintf("tier %s is no longer in the configuration, so the member is placed by the promotion rules: on the highest tier ranked at most %d (the rank they held) whose when holds, with no grace on it", m.Tier.Name, m.Tier.Rank)
	}
	if d.reason == state.TierUnlocked {
		return fmt.Sprintf("the member is no longer locked on %s and its keep fails: a lock is no promotion, so no grace or demote_after holds them, and they are placed by the promotion rules, on the highest lower tier whose when holds, with no grace on it", t.Name)
	}
	graceEnded := ""
	if grace := graceOf(t, m); grace > 0 {
		graceEnded = fmt.Sprintf("the grace period (%s) ended %s", durations.FormatDays(grace), stamp(m.Tier.Since.Add(grace)))
	}
	switch {
	case t.DemoteAfter > 0:
		s := fmt.Sprintf("keep fails since %s, for demote_after (%s) or longer", stamp(d.state.FailingSince), durations.FormatDays(t.DemoteAfter))
		if graceEnded != "" {
			s += ", and " + graceEnded
		}
		return s
	case graceEnded != "":
		return "keep fails and " + graceEnded
	}
	return fmt.Sprintf("keep fails, and %s has no grace or demote_after to hold it", t.Name)
}

func orNoTier(t *config.Tier) string {
	if t == nil {
		return "no tier"
	}
	return t.Name
}

// stamp is a time in a verdict: to the minute, in UTC, as member why
// prints its other times.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

// IncentiveCheck is the member's bookkeeping for an incentive that
// decides, besides its when, whether it grants on an event at a time:
// member why's answer to "why no points from it?".
type IncentiveCheck struct {
	Incentive string   `json:"incentive"`
	On        []string `json:"on"`
	// GrantTo marks an incentive with grant.to: the grant goes to the
	// member it names, and once, cooldown, limit and points_cap count
	// that member's grants; those shown are this member's, as one.
	GrantTo bool `json:"grant_to,omitempty"`
	// Grants are the incentive's grants to the member, all time, and
	// LastGrant the latest (zero: none).
	Grants    int       `json:"grants"`
	LastGrant time.Time `json:"last_grant,omitzero"`
	Once      bool      `json:"once,omitempty"`
	// OncePer is the block's once_per rule, Keys how many keys it has
	// granted the member for, and Key the event's (given one).
	OncePer string `json:"once_per,omitempty"`
	Keys    int    `json:"once_per_keys,omitempty"`
	Key     string `json:"once_per_key,omitempty"`
	// Cooldown is the block's cooldown ("1h"), and CooldownUntil when the
	// one since the last grant ends (zero: none runs).
	Cooldown      string    `json:"cooldown,omitempty"`
	CooldownUntil time.Time `json:"cooldown_until,omitzero"`
	// Limit is the block's limit ("3/1d"), GrantsInWindow the grants in
	// its window ending at the time asked, and LimitUntil when one of
	// them leaves it, when the limit is reached (zero otherwise).
	Limit          string    `json:"limit,omitempty"`
	GrantsInWindow int       `json:"grants_in_window,omitempty"`
	LimitUntil     time.Time `json:"limit_until,omitzero"`
	// LimitPeriod is a calendar limit's period ("month"), its window the
	// current one, and LimitResets when the next starts, in the limit's
	// zone: "2026-12-01 00:00 Europe/Berlin".
	LimitPeriod string `json:"limit_period,omitempty"`
	LimitResets string `json:"limit_resets,omitempty"`
	// PointsCap is the block's points_cap ("20/7d") and PointsInWindow
	// the points granted in its window (whole days, ending the day asked).
	PointsCap      string `json:"points_cap,omitempty"`
	PointsInWindow int    `json:"points_in_window,omitempty"`
	// Points is what the block grants, and PointsNow what a grant would
	// give at the time asked, points_cap applied.
	Points    int `json:"points"`
	PointsNow int `json:"points_now"`
	// Blocked is what stops a grant at the time asked, whatever the
	// event: once, cooldown, limit, or points_cap when points are all
	// the grant gives; "" for nothing.
	Blocked string `json:"blocked,omitempty"`
	// AssumedEvent is the type of the event the rules saw the member
	// with, counted, when none was given (assumedEvent): the first the
	// incentive fires on.
	AssumedEvent string `json:"assumed_event,omitempty"`
}

// ruleProgram is a rule's program, nil for no rule.
func ruleProgram(r *config.Rule) *rules.Program {
	if r == nil {
		return nil
	}
	return r.Program
}

// incentiveVerdict says whether in would grant to m on an event at at
// (ev, or any event it fires on when nil), by the checks the runtime
// makes: the event's community and type, when, then once, cooldown,
// limit and points_cap (grantGate, grantPoints).
func (r *Runtime) incentiveVerdict(m *state.Member, in *config.Incentive, ev *events.Event, by *state.Member, at time.Time) (*Verdict, *IncentiveCheck, error) {
	if ev != nil {
		at = ev.At
	}
	log := m.Log(in.Name)
	c := &IncentiveCheck{Incentive: in.Name, On: in.On, GrantTo: in.Grant.To != nil, Once: in.Once, Points: in.Grant.Points}
	if log != nil {
		c.Grants, c.LastGrant = log.Count, log.Last.UTC()
	}
	if in.OncePer != nil {
		c.OncePer = in.OncePer.Source
		if log != nil {
			c.Keys = len(log.Keys)
		}
	}
	g := grantGate(in, m, log, at, "") // once_per's key is asked below, with the event
	c.PointsNow, c.PointsInWindow = grantPoints(in, log, at)
	if in.Cooldown > 0 {
		c.Cooldown = durations.FormatDays(in.Cooldown)
		if log != nil && at.Sub(log.Last) < in.Cooldown {
			c.CooldownUntil = log.Last.Add(in.Cooldown).UTC()
		}
	}
	if in.Limit != nil {
		c.Limit = rateText(*in.Limit)
		c.GrantsInWindow = m.GrantsSince(in.Name, in.Limit.Since(at))
		if p := in.Limit.Period; p != durations.PeriodNone {
			// A calendar period frees all at once, when the next starts.
			_, next := p.Bounds(at, in.Limit.Zone)
			c.LimitPeriod = p.String()
			c.LimitResets = next.Format("2006-01-02 15:04") + " " + next.Location().String()
			if c.GrantsInWindow >= in.Limit.Count {
				c.LimitUntil = next.UTC()
			}
		} else if n := c.GrantsInWindow; n >= in.Limit.Count && n > 0 && in.Limit.Count > 0 {
			// The grants in the window are the last ones recorded: the
			// limit frees when enough of them leave it.
			recent := log.Recent[len(log.Recent)-n:]
			c.LimitUntil = recent[n-in.Limit.Count].Add(in.Limit.Window).UTC()
		}
	}
	if in.PointsCap != nil {
		c.PointsCap = rateText(*in.PointsCap)
	}
	onlyPoints := in.Grant.Badge == nil && in.Grant.Role == nil && len(in.Grant.Set) == 0
	switch g {
	case gateOnce:
		c.Blocked = VerdictOnce
	case gateCooldown:
		c.Blocked = VerdictCooldown
	case gateLimit:
		c.Blocked = VerdictLimit
	default:
		if onlyPoints && in.PointsCap != nil && c.PointsNow == 0 && in.Grant.Points > 0 {
			c.Blocked = VerdictPointsCap
		}
	}
	v := &Verdict{}
	blocked := gateText(in, c, v)
	// The event's part: its type and community, then when, then whom
	// grant.to names, as the runtime asks them before the rest. Without
	// an event, the rules see the member with one assumed (assumedEvent).
	var reads []string
	whenHolds := true
	recipient := m.ID // who the grant goes to
	counting, who := ev, m
	if ev == nil {
		counting = assumedEvent(in, m, at)
		c.AssumedEvent = counting.Type
	} else {
		switch {
		case !slices.Contains(in.On, ev.Type):
			v.Decision, v.Text = VerdictNotOnEvent, fmt.Sprintf("no grant on a %s event: %s fires on %s", ev.Type, in.Name, strings.Join(in.On, ", "))
			return v, c, nil
		case in.Community != nil && ev.Community != "" && !r.inFamily(ev.Community, in.Community):
			v.Decision, v.Text = VerdictNotOnEvent, fmt.Sprintf("no grant on this event: it is of community %s, and %s is for %s", ev.Community, in.Name, in.Community.Name)
			return v, c, nil
		}
		if by != nil {
			who = by
		}
		recipient = who.ID
	}
	var view map[string]any
	if ev != nil {
		var err error
		if view, err = r.EventView(ev); err != nil {
			return nil, nil, err
		}
	}
	w := r.newWork(context.Background(), nil)
	seen, err := r.counted(w, who, counting)
	if err != nil {
		return nil, nil, err
	}
	r.bound = bindKey{}
	r.bind(w, seen, view, ev, at)
	if p := ruleProgram(in.When); p != nil {
		if ev == nil && p.Reads.Event {
			reads = eventReads(p)
		} else {
			ok, err := r.eval.Bool(p)
			whenHolds = err == nil && ok
		}
	}
	if p := ruleProgram(in.Grant.To); p != nil && ev != nil {
		id, err := r.eval.String(p)
		if err != nil {
			id = ""
		}
		recipient = id
	}
	if p := ruleProgram(in.OncePer); p != nil && ev != nil && c.Blocked == "" {
		// Only with an event: the key is the event's. The runtime asks
		// it before once, cooldown and limit, which come first here as
		// they stop any event.
		key, err := r.eval.String(p)
		if err != nil {
			key = ""
		}
		c.Key = key
		switch {
		case key == "":
			c.Blocked, v.Decision = VerdictOncePer, VerdictOncePer
			blocked = "once_per gives no key for it, and an event without a key grants nothing"
		case log.HasKey(key):
			c.Blocked, v.Decision = VerdictOncePer, VerdictOncePer
			blocked = fmt.Sprintf("once_per (%s), and already granted for the key %q", in.OncePer.Source, key)
		}
	}
	r.bound = bindKey{}
	if whenHolds && recipient != m.ID {
		// The grant is another member's: this one's bookkeeping has
		// nothing to do with it.
		v.Decision, v.Since, v.Until = VerdictOtherMember, time.Time{}, time.Time{}
		switch {
		case recipient == "":
			v.Text = fmt.Sprintf("no grant on this %s event: grant.to names no member", ev.Type)
		case in.Grant.To != nil:
			v.Text = fmt.Sprintf("no grant to this member on this %s event: grant.to names %s", ev.Type, recipient)
		default:
			v.Text = fmt.Sprintf("no grant to this member on this %s event: it is %s's, and the grant goes to the event's member", ev.Type, recipient)
		}
		return v, c, nil
	}
	on := counting.Type
	switch {
	case !whenHolds:
		v.Decision, v.Text = VerdictWhenFails, fmt.Sprintf("no grant on a %s event now: when does not hold", on)
		if ev != nil {
			v.Text = fmt.Sprintf("no grant on this %s event: when does not hold", on)
		}
		if blocked != "" {
			v.Text += "; and " + blocked
		}
	case blocked != "":
		v.Text = fmt.Sprintf("no grant on a %s event now: %s", on, blocked)
		if ev != nil {
			v.Text = fmt.Sprintf("no grant on this %s event: %s", on, blocked)
		}
	case len(reads) > 0:
		v.Decision = VerdictNeedsEvent
		v.Text = fmt.Sprintf("once, cooldown, limit and points_cap allow a grant now (%s); whether an event makes one is when's to say, and when reads %s, which member state does not keep: give one with -event", grantText(in, c.PointsNow), strings.Join(reads, ", "))
	default:
		v.Decision = VerdictGrant
		v.Text = fmt.Sprintf("a %s event now would grant %s", on, grantText(in, c.PointsNow))
		if ev != nil {
			v.Text = fmt.Sprintf("this %s event would grant %s", on, grantText(in, c.PointsNow))
		}
	}
	if in.Grant.To != nil && ev == nil {
		v.Text += "; with grant.to, the grant goes to the member it names, and once, cooldown, limit and points_cap count that member's grants (those above are this member's, as one)"
	}
	return v, c, nil
}

// gateText sets v's decision and bounds for what c says stops a grant,
// the runtime's first check that does, and says it in words with any
// later check that would stop it too, up to when the next grant is
// possible; "" when nothing stops one.
func gateText(in *config.Incentive, c *IncentiveCheck, v *Verdict) string {
	v.Decision = c.Blocked
	var parts []string
	var next time.Time
	switch c.Blocked {
	case "":
		return ""
	case VerdictOnce:
		return fmt.Sprintf("once, and already granted %s", stamp(c.LastGrant))
	case VerdictPointsCap:
		return fmt.Sprintf("the points_cap (%s) is reached, %d of %d points in its window: a grant would give 0 points", c.PointsCap, c.PointsInWindow, in.PointsCap.Count)
	case VerdictCooldown:
		v.Since = c.LastGrant
	}
	if !c.CooldownUntil.IsZero() {
		parts = append(parts, fmt.Sprintf("the cooldown (%s) since the last grant, %s, runs until %s", c.Cooldown, stamp(c.LastGrant), stamp(c.CooldownUntil)))
		next = c.CooldownUntil
	}
	if !c.LimitUntil.IsZero() && c.LimitPeriod != "" {
		parts = append(parts, fmt.Sprintf("limit %s reached, %s this %s; resets %s", c.Limit, plural(c.GrantsInWindow, "grant", "grants"), c.LimitPeriod, c.LimitResets))
		next = latest(next, c.LimitUntil)
		if len(parts) == 1 {
			v.Until = next
			return parts[0] // its reset is the next grant's time, said in its zone
		}
	} else if !c.LimitUntil.IsZero() {
		parts = append(parts, fmt.Sprintf("the limit (%s) is reached, %s in its window, until %s", c.Limit, plural(c.GrantsInWindow, "grant", "grants"), stamp(c.LimitUntil)))
		next = latest(next, c.LimitUntil)
	}
	v.Until = next
	return strings.Join(parts, ", and ") + fmt.Sprintf(": the next grant is possible from %s", stamp(next))
}

// rateText writes a rate as the file wrote it, or for one built in code
// as it is usually set: "2/7d", not "2/1w".
func rateText(r durations.Rate) string {
	if r.Written != "" {
		return r.Written // as the file wrote it: "1/24h" stays hours
	}
	if r.Period != durations.PeriodNone {
		return r.String() // "5/month"
	}
	return fmt.Sprintf("%d/%s", r.Count, durations.FormatDays(r.Window))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// grantText says what a grant of in gives, with points points.
func grantText(in *config.Incentive, points int) string {
	var parts []string
	if in.Grant.Points != 0 {
		s := plural(points, "point", "points")
		if points != in.Grant.Points {
			s += fmt.Sprintf(" (of %d: points_cap %s)", in.Grant.Points, rateText(*in.PointsCap))
		}
		parts = append(parts, s)
	}
	if b := in.Grant.Badge; b != nil {
		parts = append(parts, "badge "+b.Name)
	}
	if in.Grant.Role != nil {
		parts = append(parts, "a role")
	}
	if len(in.Grant.Set) > 0 {
		parts = append(parts, "profile attributes")
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}
