package governance

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/state"
)

// DefaultDecay is how long strikes count in a community without a ladder
// (strikes still feed member.strikes there).
const DefaultDecay = 30 * 24 * time.Hour

// Set is the compiled moderation of one community.
type Set struct {
	Community *config.Community
	Rules     []*Rule
	// RateWindow is the longest rate window of its rules: how long a
	// member's message times are worth keeping.
	RateWindow time.Duration
}

// Rule is one compiled moderation rule.
type Rule struct {
	Config   *config.Moderation
	Address  string // community.C.moderation.R
	lex      *Lexicon
	patterns []*regexp.Regexp
}

// Compile prepares a community's moderation rules. Patterns were checked
// at validate time; one that fails to compile here is left out.
func Compile(c *config.Community) *Set {
	s := &Set{Community: c}
	for _, m := range c.Moderation {
		r := &Rule{Config: m, Address: "community." + c.Name + ".moderation." + m.Name, lex: NewLexicon(m.Keywords)}
		for _, p := range m.Patterns {
			if re, err := regexp.Compile(p); err == nil {
				r.patterns = append(r.patterns, re)
			}
		}
		if m.Rate != nil {
			s.RateWindow = max(s.RateWindow, m.Rate.Window)
		}
		s.Rules = append(s.Rules, r)
	}
	return s
}

// Decay is how long a strike counts in the community.
func (s *Set) Decay() time.Duration {
	if l := s.Community.Ladder; l != nil && l.Decay > 0 {
		return l.Decay
	}
	return DefaultDecay
}

// Message is what the rules look at.
type Message struct {
	Text string
	// Links and Mentions are the event's own counts, or -1 when it has
	// none and they are counted in Text.
	Links    int
	Mentions int
	At       time.Time
	// Recent are the member's earlier message times, oldest first.
	Recent []time.Time
}

// Evidence is why a rule matched.
type Evidence struct {
	Kind   string `json:"kind"` // keyword, pattern, links, mentions, rate, rule, event
	Text   string `json:"text,omitempty"`
	Phrase string `json:"phrase,omitempty"`
	Locale string `json:"locale,omitempty"`
	Start  int    `json:"start,omitempty"`
	End    int    `json:"end,omitempty"`
	Count  int    `json:"count,omitempty"`
	Limit  int    `json:"limit,omitempty"`
	Window string `json:"window,omitempty"`
}

// String writes the evidence for people: the matched span with its byte
// offsets, or the count against its limit.
func (e Evidence) String() string {
	switch e.Kind {
	case "keyword":
		return fmt.Sprintf("keyword %q (%s) at %d-%d: %q", e.Phrase, e.Locale, e.Start, e.End, e.Text)
	case "pattern":
		return fmt.Sprintf("pattern %q at %d-%d: %q", e.Phrase, e.Start, e.End, e.Text)
	case "links":
		return fmt.Sprintf("%d links (limit %d)", e.Count, e.Limit)
	case "mentions":
		return fmt.Sprintf("%d mentions (limit %d)", e.Count, e.Limit)
	case "rate":
		return fmt.Sprintf("%d messages in %s (limit %d)", e.Count, e.Window, e.Limit)
	case "event":
		return e.Phrase
	}
	return fmt.Sprintf("when %q held", e.Phrase)
}

var (
	linkRe    = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"]+`)
	mentionRe = regexp.MustCompile(`<@[!&]?\d+>|(?:^|[^\p{L}\p{N}_.@])@[\p{L}\p{N}_][\p{L}\p{N}_.-]*`)
)

// CountLinks counts the links written in a text.
func CountLinks(text string) int { return len(linkRe.FindAllStringIndex(text, -1)) }

// CountMentions counts @name and <@id> mentions in a text.
func CountMentions(text string) int { return len(mentionRe.FindAllStringIndex(text, -1)) }

// Detectors reports whether the rule has checks of its own besides when.
func (r *Rule) Detectors() bool {
	m := r.Config
	return r.lex.Len() > 0 || len(r.patterns) > 0 || m.Links > 0 || m.Mentions > 0 || m.Rate != nil
}

// Detect runs the rule's checks on a message, in a fixed order, and
// returns the first that matched.
func (r *Rule) Detect(msg Message) (Evidence, bool) {
	m := r.Config
	if h, ok := r.lex.First(msg.Text); ok {
		return Evidence{Kind: "keyword", Text: h.Text, Phrase: h.Phrase, Locale: h.Locale, Start: h.Start, End: h.End}, true
	}
	for _, re := range r.patterns {
		if loc := re.FindStringIndex(msg.Text); loc != nil {
			return Evidence{Kind: "pattern", Text: msg.Text[loc[0]:loc[1]], Phrase: re.String(), Start: loc[0], End: loc[1]}, true
		}
	}
	if m.Links > 0 {
		n := msg.Links
		if n < 0 {
			n = CountLinks(msg.Text)
		}
		if n >= m.Links {
			return Evidence{Kind: "links", Count: n, Limit: m.Links}, true
		}
	}
	if m.Mentions > 0 {
		n := msg.Mentions
		if n < 0 {
			n = CountMentions(msg.Text)
		}
		if n >= m.Mentions {
			return Evidence{Kind: "mentions", Count: n, Limit: m.Mentions}, true
		}
	}
	if m.Rate != nil {
		n := 1 + inWindow(msg.Recent, msg.At, m.Rate.Window)
		if n > m.Rate.Count {
			return Evidence{Kind: "rate", Count: n, Limit: m.Rate.Count, Window: rateWindow(m.Rate)}, true
		}
	}
	return Evidence{}, false
}

// inWindow counts times in (at-window, at].
func inWindow(ts []time.Time, at time.Time, window time.Duration) int {
	n := 0
	for _, t := range ts {
		if t.After(at.Add(-window)) && !t.After(at) {
			n++
		}
	}
	return n
}

// Remember adds a message time to the member's recent ones, dropping
// those no rate window can see any more.
func (s *Set) Remember(mod *state.Moderation, at time.Time) {
	if s.RateWindow <= 0 {
		return
	}
	keep := mod.Recent[:0]
	for _, t := range mod.Recent {
		if t.After(at.Add(-s.RateWindow)) {
			keep = append(keep, t)
		}
	}
	mod.Recent = append(keep, at)
}

// Decision is what a match leads to.
type Decision struct {
	Rule     *Rule
	Evidence Evidence
	// Action is flag, warn, mute, remove, kick or ban.
	Action   string
	Duration time.Duration
	// Delete also removes the message.
	Delete bool
	Added  int // strikes added
	Live   int // live strikes after
	// Rung is the ladder rung reached, from 1; 0 when the rule's own
	// action decided or no rung was reached.
	Rung int
}

// Decide adds the match's strikes to the member's record and picks the
// action: the rule's own, or the highest ladder rung the live strikes
// reach (past the last rung, the last one). Below the first rung the
// match is only flagged. Decayed strikes are pruned first. A message
// rate is one offence per window: the rest of a burst that already cost
// strikes is flagged (and removed, if the rule removes) at no cost.
func (s *Set) Decide(mod *state.Moderation, r *Rule, ev Evidence, at time.Time, event string) Decision {
	s.Prune(mod, at)
	m := r.Config
	if ev.Kind == "rate" && m.Rate != nil && s.inBurst(mod, r, at, m.Rate.Window) {
		// Ten quick lines are one flood: without this each message past
		// the limit would climb a rung, from a warning to a ban within
		// seconds, before the first mute reached the platform.
		d := Decision{Rule: r, Evidence: ev, Action: "flag", Delete: m.Delete, Live: s.Live(mod, at)}
		if m.Action == "remove" {
			d.Action, d.Delete = "remove", true
		}
		return d
	}
	if m.Strikes > 0 {
		mod.Strikes = append(mod.Strikes, state.Strike{Rule: r.Address, At: at, Count: m.Strikes, Event: event})
	}
	d := Decision{Rule: r, Evidence: ev, Action: m.Action, Duration: m.Duration, Delete: m.Delete, Added: m.Strikes, Live: s.Live(mod, at)}
	if d.Action == "" {
		d.Action = "flag"
		if l := s.Community.Ladder; l != nil {
			for i, rung := range l.Rungs {
				if d.Live >= rung.Strikes {
					d.Action, d.Duration, d.Rung = rung.Action, rung.Duration, i+1
				}
			}
		}
	}
	switch d.Action {
	case "mute":
		mod.MutedUntil = at.Add(d.Duration)
	case "ban":
		mod.Banned = true
	case "remove":
		d.Delete = true
	}
	return d
}

// inBurst reports whether the rule took strikes from the member less
// than window before at: the same burst of messages.
func (s *Set) inBurst(mod *state.Moderation, r *Rule, at time.Time, window time.Duration) bool {
	for _, st := range mod.Strikes {
		if st.Rule == r.Address && !st.At.After(at) && at.Sub(st.At) < window {
			return true
		}
	}
	return false
}

// Record appends a decision to the member's record, keeping the latest
// state.MaxDecisions.
func Record(mod *state.Moderation, d state.Decision) {
	mod.Decisions = append(mod.Decisions, d)
	if n := len(mod.Decisions) - state.MaxDecisions; n > 0 {
		mod.Decisions = append(mod.Decisions[:0], mod.Decisions[n:]...)
	}
}

// owns reports whether a strike came from one of the set's rules.
func (s *Set) owns(st state.Strike) bool {
	return strings.HasPrefix(st.Rule, "community."+s.Community.Name+".moderation.")
}

// Live counts the member's strikes from this community's rules that are
// younger than its decay at at.
func (s *Set) Live(mod *state.Moderation, at time.Time) int {
	if mod == nil {
		return 0
	}
	decay := s.Decay()
	n := 0
	for _, st := range mod.Strikes {
		if s.owns(st) && st.At.After(at.Add(-decay)) && !st.At.After(at) {
			n += st.Count
		}
	}
	return n
}

// Prune drops this community's strikes that have decayed by at.
func (s *Set) Prune(mod *state.Moderation, at time.Time) {
	decay := s.Decay()
	keep := mod.Strikes[:0]
	for _, st := range mod.Strikes {
		if !s.owns(st) || st.At.After(at.Add(-decay)) {
			keep = append(keep, st)
		}
	}
	mod.Strikes = keep
}

// NextDecay is when the member's live strikes in this community next go
// down after at, zero when never.
func (s *Set) NextDecay(mod *state.Moderation, at time.Time) time.Time {
	if mod == nil {
		return time.Time{}
	}
	for _, st := range mod.Strikes {
		if end := st.At.Add(s.Decay()); s.owns(st) && end.After(at) {
			return end
		}
	}
	return time.Time{}
}

// Pardon clears the member's strikes, or only those of rules whose
// address or name is rule, and returns how many strikes it cleared.
func Pardon(mod *state.Moderation, rule string) int {
	if mod == nil {
		return 0
	}
	n := 0
	keep := mod.Strikes[:0]
	for _, s := range mod.Strikes {
		if rule == "" || s.Rule == rule || strings.HasSuffix(s.Rule, ".moderation."+rule) {
			n += s.Count
			continue
		}
		keep = append(keep, s)
	}
	mod.Strikes = keep
	return n
}

// FormatDuration writes a mute or ban length, "" for none.
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return durations.Format(d)
}

// rateWindow is a rate's window in the unit its rule wrote ("60s" stays
// seconds), for the evidence.
func rateWindow(r *durations.Rate) string {
	if _, w, ok := strings.Cut(r.Written, "/"); ok {
		return w
	}
	return durations.Format(r.Window)
}
