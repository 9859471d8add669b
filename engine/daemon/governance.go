package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/risk"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// PardonResult is the answer of POST /v1/members/{id}/pardon.
type PardonResult struct {
	Member  string `json:"member"`
	Rule    string `json:"rule,omitempty"`
	Cleared int    `json:"cleared"`
	Strikes int    `json:"strikes"`
	// Unmuted says the pardon lifted a mute still running: a
	// moderation.unmute is in the outbox.
	Unmuted bool `json:"unmuted,omitempty"`
	// A pardon clears strikes, not a ban they already led to: a ban
	// (and a mute of rules not pardoned) stays on the platform, said
	// here so the operator knows to lift it there.
	MutedUntil *time.Time `json:"muted_until,omitempty"`
	Banned     bool       `json:"banned,omitempty"`
	// BannedUntil is when a ban with a duration ends by itself.
	BannedUntil *time.Time `json:"banned_until,omitempty"`
}

// Standing fills in what a pardon leaves in force at now: a mute still
// running and a ban not yet over.
func (p *PardonResult) Standing(mod *state.Moderation, now time.Time) {
	if mod == nil {
		return
	}
	if mod.MutedUntil.After(now) {
		until := mod.MutedUntil.UTC()
		p.MutedUntil = &until
	}
	if banned, until := mod.BannedAt(now); banned {
		p.Banned = true
		if !until.IsZero() {
			until = until.UTC()
			p.BannedUntil = &until
		}
	}
}

// pardon clears a member's strikes between batches, like hearth member
// pardon does on the store: ?rule=NAME (or {"rule": NAME}) for one
// rule's strikes only.
func (d *Daemon) pardon(w http.ResponseWriter, r *http.Request) {
	rule := r.URL.Query().Get("rule")
	body, err := io.ReadAll(io.LimitReader(r.Body, 4096))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "reading the body: " + err.Error()})
		return
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		var in struct {
			Rule string `json:"rule"`
		}
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": `the body must be {"rule": "NAME"} or empty`})
			return
		}
		if in.Rule != "" {
			rule = in.Rule
		}
	}
	if rule != "" && !knownModeration(d.Snapshot(), rule) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "no moderation rule " + rule + " in the configuration"})
		return
	}
	var out PardonResult
	err = d.Query(r.Context(), func(ctx context.Context, rt *runtime.Runtime) error {
		b, err := d.opt.Store.Begin(ctx)
		if err != nil {
			return err
		}
		m, err := b.Member(r.PathValue("id"))
		if err != nil {
			_ = b.Rollback()
			return err
		}
		now := d.opt.Now().UTC()
		o, n, lifts := rt.Pardon(m, rule, now)
		if err := b.SaveMember(m); err != nil {
			_ = b.Rollback()
			return err
		}
		if len(lifts) > 0 {
			if err := b.Enqueue(lifts); err != nil {
				_ = b.Rollback()
				return err
			}
		}
		if err := b.AppendOutcomes([]state.Outcome{o}); err != nil {
			_ = b.Rollback()
			return err
		}
		out = PardonResult{Member: m.ID, Rule: rule, Cleared: n, Strikes: m.Strikes, Unmuted: len(lifts) > 0}
		out.Standing(m.Moderation, now)
		return b.Commit()
	})
	if errors.Is(err, state.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": (&noMemberError{r.PathValue("id")}).Error()})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func knownModeration(snap *Snapshot, rule string) bool {
	if snap == nil {
		return false
	}
	for _, c := range snap.Config.Communities {
		for _, m := range c.Moderation {
			if m.Name == rule || "community."+c.Name+".moderation."+m.Name == rule {
				return true
			}
		}
	}
	return false
}

// checkAlerts looks at the communities' alerts with no event, so an
// alert on activity dropping fires when nothing happens; the runtime
// looks at most once a minute.
func (d *Daemon) checkAlerts(ctx context.Context, rt *runtime.Runtime) {
	if !rt.AlertsDue(d.opt.Now()) {
		return
	}
	b, err := d.opt.Store.Begin(ctx)
	if err != nil {
		d.failed(ctx, "alerts: begin failed", "err", err)
		return
	}
	n, outs, err := rt.CheckAlerts(ctx, b, d.opt.Now())
	did := d.opt.Metrics.domain.tally()
	did.outcomes(outs)
	refused := rt.TakeRefused() // responders entering the alert's campaign
	if err != nil {
		_ = b.Rollback()
		d.failed(ctx, "alerts: check failed", "err", err)
		return
	}
	if err := b.Commit(); err != nil {
		d.failed(ctx, "alerts: commit failed", "err", err)
		return
	}
	d.opt.Metrics.refused(refused)
	did.add()
	if n > 0 {
		d.log.Warn("alerts fired", "count", n)
	}
}

// CommunityView is one community's figures and alert state, for
// GET /v1/communities.
type CommunityView struct {
	Figures rules.Community `json:"figures"`
	// Moderation is the number of moderation rules the community has.
	Moderation int `json:"moderation_rules"`
	// Alerts are every alert watching the community, those that never
	// fired included, with their severity.
	Alerts map[string]*AlertView `json:"alerts,omitempty"`
}

// AlertView is an alert's state and what it is for.
type AlertView struct {
	state.AlertState
	Severity    string `json:"severity,omitempty"`
	Description string `json:"description,omitempty"`
}

// communities answers GET /v1/communities: every community's figures now
// and the state of its alerts.
func (d *Daemon) communities(w http.ResponseWriter, r *http.Request) {
	cr, ok := d.opt.Store.(state.CommunityReader)
	if !ok {
		writeJSON(w, http.StatusNotImplemented, map[string]any{"error": "the state store keeps no community documents"})
		return
	}
	cfg := d.Snapshot().Config
	now := d.opt.Now()
	out := []CommunityView{}
	err := d.Query(r.Context(), func(context.Context, *runtime.Runtime) error {
		docs, err := cr.Communities()
		if err != nil {
			return err
		}
		byName := map[string]*state.Community{}
		for _, c := range docs {
			byName[c.Name] = c
		}
		for _, c := range cfg.Communities {
			doc := byName[c.Name]
			v := CommunityView{Figures: risk.Figures(doc, c, now), Moderation: len(c.Moderation)}
			for _, a := range cfg.Alerts {
				if a.Community != nil && a.Community.Name != c.Name {
					continue
				}
				if v.Alerts == nil {
					v.Alerts = map[string]*AlertView{}
				}
				av := &AlertView{Severity: a.Severity, Description: a.Description}
				if doc != nil && doc.Alerts[a.Name] != nil {
					// A copy: the answer is written after the processor moves on.
					av.AlertState = *doc.Alerts[a.Name]
				}
				v.Alerts[a.Name] = av
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"at": now.UTC(), "communities": out})
}
