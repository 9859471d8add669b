package runtime

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/state"
)

// ImportedTierHold is how long a tier a member.imported event set is held
// at least before its keep is judged: the tier's grace period when that is
// longer. Keep rules mostly read activity windows (points_in(30), a count
// over 30d) that hearth saw nothing of before the import; the hold lets a
// full 30-day window of activity under hearth fill first, so an import is
// not a mass demotion on its first day.
const ImportedTierHold = 30 * 24 * time.Hour

// importedReserved are the attributes of a member.imported event that are
// opening state rather than profile attributes.
var importedReserved = []string{events.ImportedJoined, events.ImportedPoints, events.ImportedBadges, events.ImportedTier}

// CheckImported refuses a member.imported event that names a tier or badge
// the configuration has no block for, so the whole line is skipped with
// the reason (hearth replay, POST /v1/events) and can be imported again
// once the name is fixed: applied in part, its id would be taken and the
// corrected line refused as a duplicate. Events of other types pass.
func CheckImported(cfg *config.Config, ev *events.Event) error {
	if ev.Type != events.MemberImported {
		return nil
	}
	if tier := importedString(ev.Attrs[events.ImportedTier]); tier != "" && !slices.ContainsFunc(cfg.Tiers, func(t *config.Tier) bool { return t.Name == tier }) {
		names := make([]string, 0, len(cfg.Tiers))
		for _, t := range cfg.Tiers {
			names = append(names, t.Name)
		}
		return fmt.Errorf("%w: member.imported of %s: tier %q is not a tier block of the configuration (tiers: %s); fix the tier column and import again", events.ErrInvalid, ev.Member.ID, tier, listOrNone(names))
	}
	for _, name := range importedBadges(ev.Attrs[events.ImportedBadges]) {
		if badgeNamed(cfg, name) == nil {
			names := make([]string, 0, len(cfg.Badges))
			for _, b := range cfg.Badges {
				names = append(names, b.Name)
			}
			return fmt.Errorf("%w: member.imported of %s: badge %q is not a badge block of the configuration (badges: %s); fix the badges column and import again", events.ErrInvalid, ev.Member.ID, name, listOrNone(names))
		}
	}
	return nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func badgeNamed(cfg *config.Config, name string) *config.Badge {
	for _, b := range cfg.Badges {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// importMember sets the opening state a member.imported event brings:
// the join time, the profile, a points balance, badges and a tier. It
// queues nothing for the platforms (hearth takes them to hold what the
// old tool gave already) and, through settle, fires nothing: no incentive
// or campaign listens to what settling it derives.
func (r *Runtime) importMember(w *work, m *state.Member, ev *events.Event, created bool) {
	id := m.ID
	if joined, ok := importedTime(ev.Attrs[events.ImportedJoined]); ok && (created || joined.Before(m.JoinedAt)) {
		// The earliest join hearth knows of wins: a member seen before
		// the import keeps an earlier join, and a new one joined when the
		// old community says, not on the day of the import.
		m.JoinedAt = joined
		w.mark(id, r.keyIdx.joined)
	}
	profile := make(map[string]any, len(ev.Attrs))
	for k, v := range ev.Attrs {
		if !slices.Contains(importedReserved, k) {
			profile[k] = v
		}
	}
	if len(profile) > 0 {
		r.profile(w, m, profile)
	}
	if n, ok := importedInt(ev.Attrs[events.ImportedPoints]); ok && n != 0 {
		// An opening balance: on the balance and among the points ever
		// earned (tiers over points_earned place the member as the old
		// tool did), but not in the per-day earnings that points_in
		// windows read: the member did not earn them this month.
		m.Points += n
		if n > 0 {
			m.PointsEarned += n
		}
		w.mark(id, r.keyIdx.points)
		w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindPoints, Member: id, Name: state.RuleImported, Change: "import",
			At: ev.At, Rule: state.RuleImported, Event: ev.ID, Points: n})
	}
	for _, name := range importedBadges(ev.Attrs[events.ImportedBadges]) {
		b := badgeNamed(r.cfg, name)
		if b == nil {
			// CheckImported refuses such events where they come in; one
			// that got past (an event applied directly) keeps the rest.
			r.log.Warn("member.imported names a badge the configuration does not have; the badge is skipped", "event", ev.ID, "member", id, "badge", name)
			continue
		}
		r.importBadge(w, m, b, ev)
	}
	if name := importedString(ev.Attrs[events.ImportedTier]); name != "" {
		t := r.tierNamed(name)
		if t == nil {
			r.log.Warn("member.imported names a tier the configuration does not have; the tier is skipped", "event", ev.ID, "member", id, "tier", name)
		} else {
			r.importTier(w, m, t, ev)
		}
	}
}

// importBadge gives a badge the member brought, unless they hold it: an
// import never adds to a badge already held, repeatable or not.
func (r *Runtime) importBadge(w *work, m *state.Member, b *config.Badge, ev *events.Event) {
	if h := m.Badges[b.Name]; h != nil && h.Count > 0 {
		return
	}
	if m.Badges == nil {
		m.Badges = map[string]*state.BadgeHold{}
	}
	m.Badges[b.Name] = &state.BadgeHold{Count: 1, First: ev.At, Last: ev.At, Event: ev.ID}
	if d := w.talliesOf(); d != nil {
		analytics.BadgeHolders(d, b.Name, ev.At, 1)
	}
	w.mark(m.ID, named(r.keyIdx.badge, b.Name), r.keyIdx.anyBadge)
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindBadge, Member: m.ID, Name: b.Name, Change: "import",
		At: ev.At, Rule: state.RuleImported, Event: ev.ID, Detail: b.Class})
}

// importTier puts the member on the tier they brought, unless they are on
// it or higher already: an import never demotes. The move is in the tier
// history with the reason "imported", and the tier is held for
// ImportedTierHold (or its grace, if longer) before keep is judged.
func (r *Runtime) importTier(w *work, m *state.Member, t *config.Tier, ev *events.Event) {
	if m.Tier.Name == t.Name || m.Tier.Rank >= t.Rank && r.tierNamed(m.Tier.Name) != nil {
		return
	}
	from := m.Tier.Name
	m.Tier.History = append(m.Tier.History, state.TierChange{From: from, To: t.Name, At: ev.At, Event: ev.ID, Reason: state.RuleImported})
	m.Tier.Name, m.Tier.Rank, m.Tier.Since = t.Name, t.Rank, ev.At
	m.Tier.FailingSince = time.Time{}
	m.Tier.Qualifying = slices.DeleteFunc(m.Tier.Qualifying, func(x state.Qualification) bool {
		q := r.tierNamed(x.Tier)
		return q == nil || q.Rank <= t.Rank
	})
	if len(m.Tier.Qualifying) == 0 {
		m.Tier.Qualifying = nil
	}
	w.mark(m.ID, r.keyIdx.tier)
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindTier, Member: m.ID, Name: t.Name, Change: "import",
		At: ev.At, Rule: state.RuleImported, Event: ev.ID, From: from, To: t.Name})
}

// tierImported says the member holds their tier since a member.imported
// event set it, and has not moved since.
func tierImported(m *state.Member) bool {
	h := m.Tier.History
	if len(h) == 0 {
		return false
	}
	last := h[len(h)-1]
	return last.Reason == state.RuleImported && last.To == m.Tier.Name && last.At.Equal(m.Tier.Since)
}

// graceOf is how long after reaching tier t the member holds it whatever
// its keep says: its grace period, or for a tier an import set, at least
// ImportedTierHold.
func graceOf(t *config.Tier, m *state.Member) time.Duration {
	if t.Name == m.Tier.Name && tierImported(m) {
		return max(t.Grace, ImportedTierHold)
	}
	if t.Name == m.Tier.Name && placedOn(m) {
		return 0 // placed there by the files, not promoted: no grace
	}
	return t.Grace
}

// importedAnnounced says a member.joined is a platform announcing a member
// an import brought, not a join: the member was imported, has not left,
// and had no member.joined before this one (joins). It gets no welcome,
// enters no campaign and fires no incentive, and does not move the
// imported join time. A member who left and comes back is welcomed.
func importedAnnounced(m *state.Member, ev *events.Event, created bool, joins int) bool {
	return ev.Type == "member.joined" && !created && !m.Left && joins == 0 && m.Total(events.MemberImported) > 0
}

// importedTime reads the joined attribute: an RFC 3339 string as events
// carry it in JSON, or a time.Time.
func importedTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, !x.IsZero()
	case string:
		t, err := time.Parse(time.RFC3339, x)
		return t, err == nil
	}
	return time.Time{}, false
}

func importedInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case float64:
		if x == float64(int(x)) {
			return int(x), true
		}
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	}
	return 0, false
}

func importedString(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

// importedBadges reads the badges attribute: a list of names, or one
// string of names separated by ";" as the CSV column has them.
func importedBadges(v any) []string {
	var names []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if s := importedString(e); s != "" {
				names = append(names, s)
			}
		}
	case []string:
		for _, e := range x {
			if s := strings.TrimSpace(e); s != "" {
				names = append(names, s)
			}
		}
	case string:
		for _, e := range strings.Split(x, ";") {
			if s := strings.TrimSpace(e); s != "" {
				names = append(names, s)
			}
		}
	}
	return names
}
