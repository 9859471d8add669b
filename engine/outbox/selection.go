package outbox

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
)

// Selection is a choice of outbox entries as people write it: hearth
// outbox list's and retry -status's flags, and the query parameters of
// GET /v1/outbox and POST /v1/outbox/retry. Both read it with this code,
// so a filter means the same from the command line and over HTTP. The
// empty selection selects every entry.
type Selection struct {
	Status, Member, Campaign string
	// Platform is an address (discord.main, platform.discord.main) or
	// a type (discord) for every platform of that type.
	Platform string
	// Since is a duration back from now (6h, 2d) or a time (RFC 3339 or
	// YYYY-MM-DD).
	Since string
}

// Narrowed reports whether a filter other than the status is set.
func (s Selection) Narrowed() bool {
	return s.Member != "" || s.Campaign != "" || s.Platform != "" || s.Since != ""
}

// Filter is the store's filter for s at now. Its error is a
// *SelectionError; the status is left to each caller to check, as each
// takes different ones.
func (s Selection) Filter(now time.Time) (state.OutboxFilter, error) {
	f := state.OutboxFilter{Member: s.Member, Campaign: s.Campaign, Platform: PlatformAddr(s.Platform)}
	if s.Status != "" {
		f.Statuses = []string{s.Status}
	}
	if s.Since != "" {
		at, err := ParseSince(s.Since, now)
		if err != nil {
			return f, err
		}
		f.Since = at
	}
	return f, nil
}

// PlatformAddr is a platform filter as actions keep platform addresses:
// "discord.main" and "platform.discord.main" alike are
// "platform.discord.main", and a type alone "platform.discord".
func PlatformAddr(p string) string {
	if p == "" || strings.HasPrefix(p, "platform.") {
		return p
	}
	return "platform." + p
}

// SelectionError is a filter's value that cannot be read. Its message
// names the filter as Named is told to, so the CLI says "-since" and the
// API "since" about the same mistake.
type SelectionError struct {
	Field, Value string
	// future: a time after now, when nothing has finished.
	future bool
}

// Error names the filter by its field ("since").
func (e *SelectionError) Error() string { return e.Named(e.Field) }

// Named is the message with the filter called name.
func (e *SelectionError) Named(name string) string {
	if e.future {
		return fmt.Sprintf("%s %s is after now: nothing has finished or been queued since", name, e.Value)
	}
	return fmt.Sprintf("%s: %q is neither a duration back from now (6h, 2d) nor a time (RFC 3339, 2026-11-22T10:00:00Z, or a date, 2026-11-22)", name, e.Value)
}

// ParseSince reads a since filter: a duration back from now, or a time,
// which cannot be after now (nothing has finished then, and stores count
// time in nanoseconds, which end in 2262).
func ParseSince(v string, now time.Time) (time.Time, error) {
	if d, err := durations.Parse(v); err == nil {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if t, err = time.Parse("2006-01-02", v); err != nil {
			return time.Time{}, &SelectionError{Field: "since", Value: v}
		}
	}
	if t.After(now) {
		return time.Time{}, &SelectionError{Field: "since", Value: v, future: true}
	}
	return t, nil
}

// UnknownName is a campaign or platform a selection names that the
// configuration does not have: for a selection that found nothing, a
// typo more likely than a campaign removed with entries left behind. It
// is not an error, since such entries stay until retention prunes them.
type UnknownName struct {
	// Filter is "campaign" or "platform".
	Filter string `json:"filter"`
	Value  string `json:"value"`
	// Suggestion is the configured name it looks like a typo of, if one.
	Suggestion string `json:"suggestion,omitempty"`
	// Warning says it in a sentence, with the suggestion or the names
	// there are.
	Warning string `json:"warning"`
}

// UnknownNames lists the campaign and platform of s that cfg does not
// have, each with the name meant or the names there are.
func (s Selection) UnknownNames(cfg *config.Config) []UnknownName {
	var out []UnknownName
	if s.Campaign != "" && !slices.ContainsFunc(cfg.Campaigns, func(c *config.Campaign) bool { return c.Name == s.Campaign }) {
		names := make([]string, 0, len(cfg.Campaigns))
		for _, c := range cfg.Campaigns {
			names = append(names, c.Name)
		}
		near := rules.Closest(s.Campaign, names)
		out = append(out, UnknownName{Filter: "campaign", Value: s.Campaign, Suggestion: near,
			Warning: fmt.Sprintf("there is no campaign named %q in the configuration.%s", s.Campaign, suggestOrList(near, names, "campaigns"))})
	}
	if s.Platform == "" {
		return out
	}
	want := PlatformAddr(s.Platform)
	var addrs, near []string // near: addresses and types, for a typo of either
	for _, p := range cfg.Platforms {
		addr := p.Addr()
		if state.PlatformMatches(addr, want) {
			return out
		}
		addrs = append(addrs, strings.TrimPrefix(addr, "platform."))
		near = append(near, strings.TrimPrefix(addr, "platform."), p.Type)
	}
	short := strings.TrimPrefix(want, "platform.")
	meant := rules.Closest(short, near)
	return append(out, UnknownName{Filter: "platform", Value: short, Suggestion: meant,
		Warning: fmt.Sprintf("there is no platform %q in the configuration.%s", short, suggestOrList(meant, addrs, "platforms"))})
}

// suggestOrList is " Did you mean NEAR?", or with no name near, the
// names there are.
func suggestOrList(near string, names []string, what string) string {
	switch {
	case near != "":
		return fmt.Sprintf(" Did you mean %q?", near)
	case len(names) == 0:
		return " There are no " + what + "."
	}
	return " The " + what + " are: " + strings.Join(names, ", ") + "."
}
