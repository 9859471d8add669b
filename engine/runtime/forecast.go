package runtime

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// ForecastHorizon is how far ahead Forecast looks for a tier lost.
const ForecastHorizon = 90 * 24 * time.Hour

// Forecast is what time alone will do to a member, with no event from
// them: the points their expiring grants take back, and for a tier they
// are on, when they would lose it. member why prints it.
type Forecast struct {
	// Expiring are the grants still to expire after the time asked
	// about, oldest first, each with the balance it leaves.
	Expiring []ExpiringLot `json:"expiring,omitempty"`
	// TierLost is when the member would be demoted from the tier asked
	// about, within ForecastHorizon; zero when not (or not on it).
	TierLost time.Time `json:"tier_lost,omitzero"`
	// TierText says why, in words: the verdict at TierFrom, the first
	// time keep fails (TierLost itself, or where a grace period or
	// demote_after holds the member then, earlier).
	TierText string    `json:"tier_text,omitempty"`
	TierFrom time.Time `json:"tier_from,omitzero"`
	// TierKeep is the rule that fails then, keep (when, for a tier
	// without one), run on the member as the recheck at TierFrom finds
	// them: its result and the value of everything it reads, so the
	// forecast says which rule fails and on what, not only that it does.
	// Absent when the tier is lost otherwise (the files dropped it).
	TierKeep *Explanation `json:"tier_keep,omitempty"`
	// Overdue says TierLost is at or before the time asked about: the
	// recheck that demotes the member was due then, and the stored
	// member has not had it (no daemon ran it yet).
	Overdue bool `json:"overdue,omitempty"`
}

// StaleAfter is how long past its recheck time a stored member counts as
// stale: a running daemon runs the rechecks due every second.
const StaleAfter = time.Minute

// StaleSince is when m's next recheck fell due, if that is more than
// StaleAfter before now: the rechecks due since have not run (no daemon
// ran while they came due; hearth replay runs them only up to its file's
// last event), so the stored tier, segments and campaign steps are as
// of before them. Zero when m is up to date.
func StaleSince(m *state.Member, now time.Time) time.Time {
	if m.RecheckAt.IsZero() || m.RecheckAt.After(now.Add(-StaleAfter)) {
		return time.Time{}
	}
	return m.RecheckAt.UTC()
}

// ExpiringLot is a grant of points that will expire, and what it takes
// from the balance then (at most what is left).
type ExpiringLot struct {
	state.Lot
	Takes   int `json:"takes"`
	Balance int `json:"balance"`
}

// Empty reports whether there is nothing to forecast.
func (f *Forecast) Empty() bool { return f == nil || len(f.Expiring) == 0 && f.TierLost.IsZero() }

// Forecast tells what time passing does to m from at, for member why
// about addr: the points expiring, and for a tier.NAME m is on, when the
// runtime's own rechecks, run on a copy of m at the times it schedules
// them, demote the member, within ForecastHorizon of at (forecastTier):
// the same times the daemon and a replay demote at. Nil when there is
// nothing to tell, and for an address other than a tier's or an
// incentive's, on which points do not bear.
func (r *Runtime) Forecast(m *state.Member, addr string, at time.Time) *Forecast {
	if kind, _, _ := strings.Cut(addr, "."); kind != "tier" && kind != "incentive" {
		return nil
	}
	f := &Forecast{}
	balance := m.Points
	for _, lot := range m.Expiring {
		if !lot.ExpiresAt.After(at) {
			balance -= min(lot.Points, max(balance, 0)) // due already: the next evaluation takes it
			continue
		}
		take := min(lot.Points, max(balance, 0))
		balance -= take
		f.Expiring = append(f.Expiring, ExpiringLot{Lot: lot, Takes: take, Balance: balance})
	}
	if tier, ok := strings.CutPrefix(addr, "tier."); ok && m.Tier.Name == tier {
		r.forecastTier(f, m, addr, at)
		f.Overdue = !f.TierLost.IsZero() && !f.TierLost.After(at)
	}
	if f.Empty() {
		return nil
	}
	return f
}

// forecastTier finds when m would lose the tier addr names, by running
// on a copy of m the rechecks the runtime itself runs (Recheck), each at
// the time the runtime scheduled it (schedule: a day's count leaving a
// window at 00:00 UTC, a grace period or demote_after ending, a grant
// expiring), until the tier changes or the next recheck is past
// ForecastHorizon from at. Rechecks due before at that the stored member
// has not had yet (no daemon ran them) come first, as the daemon runs
// them: TierLost may then be at or before at.
func (r *Runtime) forecastTier(f *Forecast, m *state.Member, addr string, at time.Time) {
	tier := strings.TrimPrefix(addr, "tier.")
	c, err := r.copyMember(m)
	if err != nil {
		return
	}
	defer r.aside()()
	tl := &timeline{sandbox: sandbox{m: c}}
	ctx := context.Background()
	if c.Rules != r.memberRules && !c.EvaluatedAt.IsZero() {
		// Evaluated under other rules: the daemon re-evaluates the member
		// when it loads these (Reevaluate); the forecast takes them as in
		// force from the member's last evaluation, and schedules from there.
		when := c.EvaluatedAt
		before := tierBefore(c.Tier)
		if _, _, err := r.Reevaluate(ctx, tl, []string{c.ID}, when); err != nil {
			return
		}
		if c.Tier.Name != tier {
			text, keep := r.lostWhy(c, before, addr, when)
			r.tierLost(f, m, c, tier, when, when, text, keep)
			return
		}
	}
	end := at.Add(ForecastHorizon)
	var from time.Time // the first recheck at which keep fails
	var text string
	var keep *Explanation
	for range maxCatchUp {
		t := c.RecheckAt
		if t.IsZero() || t.After(end) {
			return
		}
		if v, _, err := r.Verdict(c, addr, nil, nil, t); err == nil && v != nil && from.IsZero() {
			switch v.Decision {
			case VerdictDemote, VerdictGrace, VerdictDemoteAfter:
				from, text, keep = t, v.Text, r.keepAt(c, tier, t)
			}
		}
		before := tierBefore(c.Tier)
		n, _, err := r.Recheck(ctx, tl, t, 1)
		if err != nil || n == 0 {
			return
		}
		if c.Tier.Name != tier {
			if from.IsZero() {
				// What the recheck itself did made keep fail (a grant
				// expiring at t): the verdict before it could not see it.
				from = t
				text, keep = r.lostWhy(c, before, addr, t)
			}
			r.tierLost(f, m, c, tier, t, from, text, keep)
			return
		}
		if from.IsZero() {
			// Kept by a grace period or demote_after though the recheck
			// made keep fail (a grant expiring at t): keep fails from t.
			if v, _, err := r.Verdict(c, addr, nil, nil, t); err == nil && v != nil && (v.Decision == VerdictGrace || v.Decision == VerdictDemoteAfter) {
				from, text, keep = t, v.Text, r.keepAt(c, tier, t)
			}
		}
	}
}

// tierBefore is a copy of ts, kept across a recheck that may rewrite its
// lists in place.
func tierBefore(ts state.TierState) state.TierState {
	ts.Qualifying, ts.History = slices.Clone(ts.Qualifying), slices.Clone(ts.History)
	return ts
}

// lostWhy is the verdict and the failing keep at t for c, a copy a
// recheck or re-evaluation at t took off the tier addr names: c as that
// left it (points expired, counts moved) but back on its tier state
// before it, as the runtime weighed it in that very pass. text is ""
// when that verdict is no demotion (tierLost then says what happened).
func (r *Runtime) lostWhy(c *state.Member, before state.TierState, addr string, t time.Time) (text string, keep *Explanation) {
	after := c.Tier
	c.Tier = before
	defer func() { c.Tier = after }()
	if v, _, err := r.Verdict(c, addr, nil, nil, t); err == nil && v != nil && v.Decision == VerdictDemote {
		text = v.Text
	}
	return text, r.keepAt(c, strings.TrimPrefix(addr, "tier."), t)
}

// keepAt is the rule keeping m on tier (keep, or when without one) run
// for m at t; nil for a tier the configuration does not have.
func (r *Runtime) keepAt(m *state.Member, tier string, t time.Time) *Explanation {
	var rule string
	for _, ct := range r.cfg.Tiers {
		if ct.Name == tier {
			rule = "tier." + tier + ".when"
			if ct.Keep != nil {
				rule = "tier." + tier + ".keep"
			}
		}
	}
	if rule == "" {
		return nil
	}
	ex, err := r.Why(m, "tier."+tier, t)
	if err != nil {
		return nil
	}
	for i := range ex {
		if ex[i].Rule == rule {
			return &ex[i]
		}
	}
	return nil
}

// tierLost records in f that the rechecks took c, a copy of m, off tier
// at t, if that is a demotion: to no tier or one ranked lower. from and
// text are the first verdict that keep fails, where one said so, and keep
// the rule that failed then.
func (r *Runtime) tierLost(f *Forecast, m, c *state.Member, tier string, t, from time.Time, text string, keep *Explanation) {
	if c.Tier.Name != "" && c.Tier.Rank > m.Tier.Rank {
		return // promoted, by time alone (a qualifying window ending)
	}
	if text == "" {
		text = fmt.Sprintf("demoted from %s to %s", tier, orNoTier(r.tierNamed(c.Tier.Name)))
	}
	f.TierLost, f.TierFrom, f.TierText, f.TierKeep = t.UTC(), from.UTC(), text, keep
}

// timeline is the batch forecastTier runs its copy's rechecks in: the
// sandbox, whose member is due when its recheck time has come.
type timeline struct{ sandbox }

var _ state.Batch = (*timeline)(nil)

// Due is the copy, when its recheck is due by t.
func (b *timeline) Due(t time.Time, limit int) ([]string, error) {
	if limit <= 0 || b.m == nil || b.m.RecheckAt.IsZero() || b.m.RecheckAt.After(t) {
		return nil, nil
	}
	return []string{b.m.ID}, nil
}

// aside saves what running rules counts on the runtime (its stats, the
// evaluations not yet published, the runs refused) and returns what puts
// them back: a forecast's rechecks on a copy are no work of the daemon's.
func (r *Runtime) aside() func() {
	stats, pending, refused := r.stats, slices.Clone(r.pending), maps.Clone(r.refused)
	stats.Firings = maps.Clone(r.stats.Firings)
	return func() {
		r.stats, r.refused = stats, refused
		copy(r.pending, pending)
	}
}
