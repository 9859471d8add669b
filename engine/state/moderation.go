package state

import "time"

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
