package config

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/durations"
)

// ModerationLimits are the moderation actions a platform cannot take, or
// not for as long as asked (PlatformSpec.Moderation). validate refuses a
// ladder rung or a moderation rule asking for one: the adapter would
// refuse it when sent, and the offender would go unpunished.
type ModerationLimits struct {
	// Cannot names the actions ("warn", "mute", "remove", "kick",
	// "ban") the platform cannot take at all, each with why and what to
	// do instead.
	Cannot map[string]string
	// Mute and Ban bound how long a mute and a ban may last.
	Mute, Ban DurationLimit
}

// DurationLimit bounds a moderation action's duration.
type DurationLimit struct {
	// Min and Max bound the duration; zero is no bound.
	Min, Max time.Duration
	// Endless, when set, says why the action cannot have a duration at
	// all (a Discord ban has no end date), and what to do instead.
	Endless string
	// Why says the bounds in words with what to do instead ("Discord
	// timeouts last at most 28 days; for longer, ban").
	Why string
}

// Check says why the platform cannot take action lasting d (0: none
// written; a ban without one lasts until lifted), and whether it is the
// duration that is refused; "" when it can.
func (m ModerationLimits) Check(action string, d time.Duration) (why string, duration bool) {
	if why, ok := m.Cannot[action]; ok {
		return why, false
	}
	lim := map[string]DurationLimit{"mute": m.Mute, "ban": m.Ban}[action]
	switch {
	case d <= 0:
		return "", false
	case lim.Endless != "":
		return lim.Endless, true
	case lim.Min > 0 && d < lim.Min, lim.Max > 0 && d > lim.Max:
		return lim.Why, true
	}
	return "", false
}

// Lines are the limits in words, one per action, for hearth explain.
func (m ModerationLimits) Lines() []string {
	var out []string
	for _, a := range []string{"warn", "mute", "remove", "kick", "ban"} {
		if why, ok := m.Cannot[a]; ok {
			out = append(out, a+": "+why)
			continue
		}
		lim := map[string]DurationLimit{"mute": m.Mute, "ban": m.Ban}[a]
		switch {
		case lim.Endless != "":
			out = append(out, a+" with a duration: "+lim.Endless)
		case lim.Why != "":
			out = append(out, a+": "+lim.Why)
		}
	}
	return out
}

// checkModerationAction refuses a moderation action of community c its
// platform cannot take: at the duration when it is the duration that is
// refused, else at the action (at), or at the rule's block when neither
// is written. It runs after the community's platform is resolved.
func (l *loader) checkModerationAction(c *Community, what, action string, d time.Duration, at, dur *hcl.Attribute, block hcl.Range) {
	if c.Platform == nil || action == "" || action == "flag" {
		return
	}
	why, isDuration := l.opts.Platforms[c.Platform.Type].Moderation.Check(action, d)
	if why == "" {
		return
	}
	rng := block
	switch {
	case isDuration && dur != nil:
		rng = dur.Expr.Range()
	case at != nil:
		rng = at.Expr.Range()
	}
	summary := "Moderation action this platform cannot take"
	if isDuration {
		summary = "Moderation duration this platform cannot hold"
	}
	asked := action
	if d > 0 {
		asked += " for " + writtenDuration(dur, d)
	}
	l.errorf(&rng, summary, "%s of community %q asks %s to %s: %s. The platform would refuse every such action when sent, and the member would go unpunished.", what, c.Name, c.Platform.Addr(), asked, why)
}

// writtenDuration is a duration as its attribute writes it ("30d", not
// "4w2d"), so the message quotes the file; d formatted when it is not a
// literal.
func writtenDuration(a *hcl.Attribute, d time.Duration) string {
	if a != nil {
		if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.IsKnown() && v.Type() == cty.String {
			return v.AsString()
		}
	}
	return durations.Format(d)
}
