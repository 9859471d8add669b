package state

import (
	"encoding/json"
	"time"

	"github.com/hearth-community/hearth/engine/durations"
)

// Moderation is a member's record with the moderation rules: strikes,
// recent message times for rate rules, and the decisions taken.
type Moderation struct {
	// Strikes are the member's strikes, oldest first; those older than
	// the ladder's decay no longer count and are pruned.
	Strikes []Strike `json:"strikes,omitempty"`
	// Recent are the times of the member's latest messages, kept only as
	// long as the longest rate window of a moderation rule.
	Recent     []time.Time `json:"recent,omitempty"`
	MutedUntil time.Time   `json:"muted_until,omitzero"`
	Banned     bool        `json:"banned,omitempty"`
	// Decisions are the latest decisions about the member, oldest first,
	// with their evidence (at most MaxDecisions).
	Decisions []Decision `json:"decisions,omitempty"`
}

// MaxDecisions bounds the decisions kept in a member's record; outcomes
// keep every one.
const MaxDecisions = 50

// Strike is one or more strikes from one match.
type Strike struct {
	Rule  string    `json:"rule"` // community.C.moderation.R
	At    time.Time `json:"at"`
	Count int       `json:"count"`
	Event string    `json:"event,omitempty"`
}

// Decision is one moderation decision and why it was taken.
type Decision struct {
	At       time.Time `json:"at"`
	Rule     string    `json:"rule"`
	Action   string    `json:"action"` // flag, warn, mute, remove, kick, ban, pardon
	Duration string    `json:"duration,omitempty"`
	Strikes  int       `json:"strikes"` // live strikes after the decision
	Evidence string    `json:"evidence"`
	Event    string    `json:"event,omitempty"`
}

// BannedAt reports whether the member is banned at now and until when
// (zero: for good). A ban with a duration (a Discourse suspension) ends
// by itself, as the platform lifts it: the latest ban decision says how
// long it was for. Without that decision (pruned past MaxDecisions) the
// ban counts as for good.
func (mod *Moderation) BannedAt(now time.Time) (bool, time.Time) {
	if mod == nil || !mod.Banned {
		return false, time.Time{}
	}
	until := mod.banEnd()
	return until.IsZero() || now.Before(until), until
}

// banEnd is when the latest ban ends by itself; zero for one without a
// duration.
func (mod *Moderation) banEnd() time.Time {
	for i := len(mod.Decisions) - 1; i >= 0; i-- {
		d := mod.Decisions[i]
		if d.Action != "ban" {
			continue
		}
		dur, err := durations.Parse(d.Duration)
		if d.Duration == "" || err != nil || dur <= 0 {
			return time.Time{}
		}
		return d.At.Add(dur)
	}
	return time.Time{}
}

// MarshalJSON adds banned_until, when the ban has an end, for readers of
// the member's JSON (the dashboard) that compare it with their clock.
func (mod Moderation) MarshalJSON() ([]byte, error) {
	type plain Moderation
	out := struct {
		plain
		BannedUntil time.Time `json:"banned_until,omitzero"`
	}{plain: plain(mod)}
	if mod.Banned {
		out.BannedUntil = mod.banEnd()
	}
	return json.Marshal(out)
}
