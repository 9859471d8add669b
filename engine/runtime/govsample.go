package runtime

import (
	"fmt"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/governance"
	"github.com/hearth-community/hearth/engine/risk"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
)

// GovernSample is a sample of what a moderation ladder's or an alert's
// template reads, made by the code that makes the real ones (ladderEvent,
// alertEvent), for hearth template render to preview a message no
// campaign sends.
type GovernSample struct {
	// Event is what the template reads as event: a decision's rule,
	// action, reason, strikes, evidence, duration, decision and
	// community, or an alert's alert, severity, community, summary and
	// description, of the types a real one has.
	Event map[string]any
	// Community is what the template reads as community: the figures
	// the alert fires at; nil for a ladder's warning, which reads none.
	Community *rules.Community
	// About says what the sample is, for people; FiguresAbout what its
	// figures are.
	About, FiguresAbout string
	// Note says what is off about it, "" when nothing is.
	Note string
	// Strikes are the member's live strikes after a ladder's sample
	// decision, for the sample member to have as member.strikes; 0 for
	// an alert.
	Strikes int
}

// SampleLadder is a decision of community c's moderation that its
// ladder's template is sent with, at now: the ladder's first rung,
// reached by the first moderation rule that climbs the ladder (one that
// adds no more strikes than the rung needs, when there is one) matching
// a message made to match it (governance.Rule.Sample, with a keyword in
// locale when it has some there), earlier strikes of the rule making up
// the rest of the rung's; without a rule that climbs the ladder, the
// first whose own action sends the member a message. ok is false when no
// rule does, so the template is never sent.
func (r *Runtime) SampleLadder(c *config.Community, locale string, now time.Time) (GovernSample, bool) {
	set := r.gov.sets[c.Name]
	if c.Ladder == nil || len(c.Ladder.Rungs) == 0 || set == nil {
		return GovernSample{}, false
	}
	rung := c.Ladder.Rungs[0]
	var fits, climbs, own []*governance.Rule
	for _, x := range set.Rules {
		switch m := x.Config; {
		case m.Action == "" && m.Strikes > 0 && m.Strikes <= rung.Strikes:
			fits = append(fits, x)
		case m.Action == "" && m.Strikes > 0:
			climbs = append(climbs, x)
		case m.Action != "" && m.Action != "flag":
			own = append(own, x)
		}
	}
	for _, rule := range append(append(fits, climbs...), own...) {
		ev, ok := rule.Sample(locale, now)
		if !ok {
			continue
		}
		mod := &state.Moderation{}
		if earlier := rung.Strikes - rule.Config.Strikes; earlier > 0 && rule.Config.Action == "" {
			// Half a decay ago: live, and no burst of the same flood.
			mod.Strikes = append(mod.Strikes, state.Strike{Rule: rule.Address, At: now.Add(-set.Decay() / 2), Count: earlier, Event: "sample"})
		}
		d := set.Decide(mod, rule, ev, now, "sample")
		if d.Action == "flag" {
			continue
		}
		s := GovernSample{Event: ladderEvent(c, d, decisionReason(d), d.Evidence.String()), Strikes: d.Live}
		decision := s.Event["decision"]
		if d.Rung > 0 {
			s.About = fmt.Sprintf("moderation rule %s matched, reaching rung %d of the ladder (%s at %s)", rule.Config.Name, d.Rung, decision, strikes(d.Live))
		} else {
			s.About = fmt.Sprintf("moderation rule %s matched, its own action deciding (%s, %s)", rule.Config.Name, decision, strikes(d.Live))
		}
		return s, true
	}
	return GovernSample{}, false
}

func strikes(n int) string {
	if n == 1 {
		return "1 live strike"
	}
	return fmt.Sprintf("%d live strikes", n)
}

// SampleAlert is what alert a's notify templates are sent with when it
// fires at now: in its community (the first, for an alert on every
// community), figures at which its rule holds (risk.Sample) and its
// summary of them. ok is false when there is no community for it to
// fire in. When no figures tried make the rule hold, the sample has a
// quiet community's, and Note says so.
func (r *Runtime) SampleAlert(a *config.Alert, now time.Time) (GovernSample, bool) {
	c := a.Community
	if c == nil && len(r.cfg.Communities) > 0 {
		c = r.cfg.Communities[0]
	}
	if c == nil {
		return GovernSample{}, false
	}
	f, holds := risk.Sample(a, risk.Figures(nil, c, now), now)
	s := GovernSample{Event: alertEvent(a, c.Name, risk.Summary(a, f)), Community: &f}
	s.About = fmt.Sprintf("alert %s firing in community %s, at the sample figures below", a.Name, c.Name)
	s.FiguresAbout = fmt.Sprintf("a sample at which alert %s's rule holds", a.Name)
	if !holds {
		s.About = fmt.Sprintf("alert %s in community %s, at the sample figures below", a.Name, c.Name)
		s.FiguresAbout = fmt.Sprintf("a quiet community's sample, at which alert %s's rule does not hold", a.Name)
		s.Note = fmt.Sprintf("alert %s's rule (%s) holds at none of the sample figures tried, so the figures are a quiet community's, at which it would not fire.", a.Name, a.When.Source)
	}
	return s, true
}
