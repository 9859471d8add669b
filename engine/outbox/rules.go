package outbox

import (
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/state"
)

// Rules are the campaign rules the outbox applies to a send when it goes
// out, not only when its step came due: a send goes out late after hearth
// run was stopped, after retries through an outage, or when it was
// decided from an event posted long after its time (the runtime works in
// event time and never reads the clock). A campaign's quiet hours hold a
// send whose delivery falls inside them until they end, its
// expire_after skips one not delivered within that long of when its step
// came due, and a send's not_after skips one not delivered by then.
// A community's welcome message expires as a campaign's sends do by
// default (config.DefaultExpireAfter): a join replayed from history
// posts no welcome today. A transactional send expires as its campaign's
// other sends do, but quiet hours do not hold it. Other actions (a role,
// a moderation decision) are left to go.
//
// The dispatcher decides with it, and the sandbox (hearth simulate, hearth
// test) at the time it would deliver, so the two cannot disagree. A Rules
// is for one goroutine at a time: it keeps the time zones it loaded.
type Rules struct {
	cfg       *config.Config
	campaigns map[string]*config.Campaign
	zones     map[string]*time.Location
}

// NewRules returns the rules of cfg; nil cfg applies none (Decide then
// says only what SkipReason does).
func NewRules(cfg *config.Config) *Rules {
	r := &Rules{cfg: cfg, campaigns: map[string]*config.Campaign{}, zones: map[string]*time.Location{}}
	if cfg != nil {
		for _, c := range cfg.Campaigns {
			r.campaigns[c.Name] = c
		}
	}
	return r
}

// Delivery is what the outbox does with a due action at a time: skip it
// (Skip, the reason it stores, Expired for expire_after), hold it until
// Until (Hold, the reason it stores; the action stays pending, using
// none of its tries), or, with both empty, send it.
type Delivery struct {
	Skip    string
	Expired bool
	Hold    string
	Until   time.Time
}

// Decide says what to do with a at at: skipped for its member's sake
// (SkipReason, by recipients), expired, held by its campaign's quiet
// hours, or sent.
func (r *Rules) Decide(a state.Action, recipients map[string]state.Recipient, at time.Time) Delivery {
	if reason := SkipReason(a, recipients); reason != "" {
		return Delivery{Skip: reason}
	}
	if r != nil && state.IsWelcome(&a) {
		if after := config.DefaultExpireAfter; at.Sub(a.At) > after {
			return Delivery{Skip: state.OutboxExpired(durations.Format(after), a.At), Expired: true}
		}
		return Delivery{}
	}
	if r == nil || r.cfg == nil || !campaignMessage(&a) {
		return Delivery{}
	}
	c := r.campaigns[a.Campaign]
	// A campaign no longer configured has no setting of its own: its
	// waiting sends expire as a campaign's do by default.
	after := config.DefaultExpireAfter
	if c != nil {
		after = c.ExpireAfter
	}
	// Transactional sends expire too: a confirmation decided from
	// history replayed months later is no news to anyone. From when the
	// step came due, not from when quiet hours or a cap let the runtime
	// queue it: a reminder held past its point is old.
	if due := a.DueAt(); after > 0 && at.Sub(due) > after {
		return Delivery{Skip: state.OutboxExpired(durations.Format(after), due), Expired: true}
	}
	if !a.NotAfter.IsZero() && at.After(a.NotAfter) {
		return Delivery{Skip: state.OutboxPastNotAfter(a.NotAfter), Expired: true}
	}
	if c == nil || c.QuietHours == nil || a.Transactional {
		return Delivery{}
	}
	if end, ok := c.QuietHours.End(at, r.zone(recipients[a.Member].Timezone)); ok {
		if !a.NotAfter.IsZero() && end.After(a.NotAfter) {
			// Held past its not_after: it could only be dropped then.
			return Delivery{Skip: state.OutboxPastNotAfter(a.NotAfter), Expired: true}
		}
		return Delivery{Hold: state.OutboxHeldQuietHours(c.QuietHours.Window(), c.QuietHours.Zone()), Until: end}
	}
	return Delivery{}
}

// campaignMessage reports whether a is a campaign's message, which its
// campaign's expire_after applies to; quiet hours apply to those not
// transactional, which the member asked for by what they did and get
// at any hour.
func campaignMessage(a *state.Action) bool {
	return a.Campaign != "" && strings.HasPrefix(a.Kind, "send.")
}

// zone is the member's time zone by name, as the runtime reads it: the
// hearth block's for none, or for a name that does not load.
func (r *Rules) zone(name string) *time.Location {
	if name != "" {
		if loc, ok := r.zones[name]; ok {
			return loc
		}
		if loc, err := time.LoadLocation(name); err == nil {
			if len(r.zones) >= 1000 {
				clear(r.zones) // a bound, should members bring many zones
			}
			r.zones[name] = loc
			return loc
		}
	}
	return r.cfg.Settings.Timezone
}
