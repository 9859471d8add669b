package runtime

import (
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
// about addr: the points expiring, and for a tier.NAME m is on, the first
// time within ForecastHorizon its verdict turns to a demotion, looked at
// each day and at each expiry, as the rules will then read the member
// (the windows of counts moving on, the points taken back). A grace
// period or demote_after the verdict then says runs puts the loss at its
// end. Nil when there is nothing to tell, and for an address other than
// a tier's or an incentive's, on which points do not bear.
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
	}
	if f.Empty() {
		return nil
	}
	return f
}

// forecastTier finds when m would lose the tier addr names.
func (r *Runtime) forecastTier(f *Forecast, m *state.Member, addr string, at time.Time) {
	times := []time.Time{}
	for d := 24 * time.Hour; d <= ForecastHorizon; d += 24 * time.Hour {
		times = append(times, at.Add(d))
	}
	for _, lot := range f.Expiring {
		times = append(times, lot.ExpiresAt)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	c := *m
	for _, t := range times {
		if t.After(at.Add(ForecastHorizon)) {
			return
		}
		c.Points, c.Expiring = m.Points, m.Expiring
		n := 0
		for n < len(c.Expiring) && !c.Expiring[n].ExpiresAt.After(t) {
			c.Points -= min(c.Expiring[n].Points, max(c.Points, 0))
			n++
		}
		c.Expiring = c.Expiring[n:]
		v, _, err := r.Verdict(&c, addr, nil, nil, t)
		if err != nil || v == nil {
			return
		}
		switch v.Decision {
		case VerdictDemote:
			f.TierLost, f.TierFrom, f.TierText = t.UTC(), t.UTC(), v.Text
			return
		case VerdictGrace, VerdictDemoteAfter:
			if !v.Until.IsZero() {
				f.TierLost, f.TierFrom, f.TierText = v.Until.UTC(), t.UTC(), v.Text
				return
			}
		}
	}
}
