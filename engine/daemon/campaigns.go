package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/campaignstats"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// StopResult is the answer of POST /v1/campaigns/{name}/stop.
type StopResult struct {
	Campaign string `json:"campaign"`
	Member   string `json:"member,omitempty"`
	// Key is the run stopped (?key=), of a campaign with run_key; all
	// the member's runs of the campaign without it.
	Key     string `json:"key,omitempty"`
	Stopped int    `json:"stopped"` // members
	Runs    int    `json:"runs"`    // their runs ended: several with run_key
	// Skipped is how many of the stopped runs' pending sends were
	// marked skipped in the outbox (state.OutboxSkippedStopped), so
	// that nothing more goes out for them: what a stop does unless
	// ?keep_pending=true or ?drop=true; absent with either.
	Skipped *int `json:"skipped,omitempty"`
	// Kept is how many pending sends of the stopped runs were left in
	// the outbox to go out (?keep_pending=true); absent without it.
	Kept *int `json:"kept,omitempty"`
	// Dropped is how many of the stopped runs' pending sends were
	// dropped from the outbox (?drop=true), leaving no record; absent
	// without it.
	Dropped *int `json:"dropped,omitempty"`
	// GoingOut is how many of them were being sent at that moment, and
	// so neither skipped nor dropped: they go out and stay recorded as
	// sent.
	GoingOut int `json:"going_out,omitempty"`
	// A stop ends runs, and holds nothing: unless the campaign is paused,
	// members still enter it, those stopped as Reentry ("never",
	// "always" or "after", with ReentryAfter) allows. paused = true in
	// its block holds it.
	Paused       bool   `json:"paused"`
	Reentry      string `json:"reentry"`
	ReentryAfter string `json:"reentry_after,omitempty"`
}

// stopCampaign ends a campaign's active runs between batches, for one
// member (?member=ID) or every member in it, as hearth campaign stop does
// on a store no daemon serves.
func (d *Daemon) stopCampaign(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	c := campaignNamed(w, d.Snapshot().Config, name)
	if c == nil {
		return
	}
	member, key := r.URL.Query().Get("member"), r.URL.Query().Get("key")
	drop, err := boolParam("drop", r.URL.Query().Get("drop"))
	var keep bool
	if err == nil {
		keep, err = boolParam("keep_pending", r.URL.Query().Get("keep_pending"))
	}
	if err == nil && drop && keep {
		err = errors.New("drop=true and keep_pending=true ask for opposite things: give one")
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	sel, isSel := d.opt.Store.(state.OutboxSelector)
	dr, isDr := d.opt.Store.(state.PendingDropper)
	sk, isSk := d.opt.Store.(state.PendingSkipper)
	if disp := d.disp.Load(); disp != nil {
		// While the daemon delivers, never under the send going out.
		if isDr {
			dr = disp.Dropper(dr)
		}
		if isSk {
			sk = disp.Skipper(sk)
		}
	}
	if drop && (!isSel || !isDr) {
		writeJSON(w, http.StatusNotImplemented, map[string]any{"error": "this state store keeps no outbox"})
		return
	}
	out := StopResult{Campaign: name, Member: member, Key: key, Paused: c.Paused, Reentry: c.Reentry}
	if c.Reentry == "after" {
		out.ReentryAfter = durations.Format(c.ReentryAfter)
	}
	err = d.Query(r.Context(), func(ctx context.Context, rt *runtime.Runtime) error {
		ids := []string{member}
		if member == "" {
			ids = nil
			err := d.opt.Store.Members(ctx, func(m *state.Member) error {
				if m.HasActiveRun(name, key) {
					ids = append(ids, m.ID)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		b, err := d.opt.Store.Begin(ctx)
		if err != nil {
			return err
		}
		now := d.opt.Now().UTC()
		var outs []state.Outcome
		var runs []state.StoppedRun
		for _, id := range ids {
			m, err := b.Member(id)
			if errors.Is(err, state.ErrNotFound) && member == "" {
				continue // gone since the scan
			}
			if err != nil {
				_ = b.Rollback()
				return err
			}
			ending := m.RunsToStop(name, key)
			if os := rt.StopCampaign(m, name, key, now); len(os) > 0 {
				outs = append(outs, os...)
				runs = append(runs, ending...)
				out.Stopped++
				if err := b.SaveMember(m); err != nil {
					_ = b.Rollback()
					return err
				}
			}
		}
		if err := b.AppendOutcomes(outs); err != nil {
			_ = b.Rollback()
			return err
		}
		out.Runs = len(outs)
		if err := b.Commit(); err != nil {
			return err
		}
		did := d.opt.Metrics.domain.tally()
		did.outcomes(outs)
		did.add()
		// After the commit, on the processor goroutine: the runs have
		// ended, so no batch queues a send of theirs again.
		switch {
		case drop:
			n, err := state.DropRunSends(ctx, sel, dr, runs, time.Now())
			if err != nil {
				return fmt.Errorf("the runs are stopped, but dropping their sends: %w", err)
			}
			out.Dropped, out.GoingOut = &n.Dropped, n.GoingOut
		case keep:
			n := 0
			if isSel {
				if n, err = state.CountRunSends(ctx, sel, runs); err != nil {
					return fmt.Errorf("the runs are stopped, but counting their sends: %w", err)
				}
			}
			out.Kept = &n
		case !isSel || !isSk:
			// A store that keeps no outbox has no send to skip.
			out.Skipped = new(int)
		default:
			n, err := state.SkipRunSends(ctx, sel, sk, runs, time.Now())
			if err != nil {
				return fmt.Errorf("the runs are stopped, but skipping their sends: %w", err)
			}
			out.Skipped, out.GoingOut = &n.Skipped, n.GoingOut
		}
		return nil
	})
	if errors.Is(err, state.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "no member " + member + " in the state"})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// StopPreview is the answer of GET /v1/campaigns/{name}/stop: the runs
// POST would end, with nothing changed (hearth campaign stop -dry-run,
// and the list it asks about).
type StopPreview struct {
	Campaign string    `json:"campaign"`
	Member   string    `json:"member,omitempty"`
	Key      string    `json:"key,omitempty"`
	Members  int       `json:"members"` // members with a run to stop
	Runs     []StopRun `json:"runs"`
	// PendingSends is how many sends of those runs wait in the outbox:
	// what POST skips (or drops with ?drop=true, or leaves to go out with
	// ?keep_pending=true).
	PendingSends int `json:"pending_sends"`
}

// StopRun is one run a stop would end.
type StopRun struct {
	Member    string    `json:"member"`
	Key       string    `json:"key,omitempty"`
	Step      string    `json:"step,omitempty"`
	EnteredAt time.Time `json:"entered_at"`
}

// previewStop answers which runs POST /v1/campaigns/{name}/stop with the
// same ?member= and ?key= would end, between batches, changing nothing.
func (d *Daemon) previewStop(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if campaignNamed(w, d.Snapshot().Config, name) == nil {
		return
	}
	member, key := r.URL.Query().Get("member"), r.URL.Query().Get("key")
	out := StopPreview{Campaign: name, Member: member, Key: key, Runs: []StopRun{}}
	err := d.Query(r.Context(), func(ctx context.Context, _ *runtime.Runtime) error {
		runs, err := state.RunsToStopIn(ctx, d.opt.Store, name, member, key)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, run := range runs {
			if !seen[run.Member] {
				seen[run.Member] = true
				out.Members++
			}
			out.Runs = append(out.Runs, StopRun{Member: run.Member, Key: run.Key, Step: run.Step, EnteredAt: run.EnteredAt})
		}
		if sel, ok := d.opt.Store.(state.OutboxSelector); ok {
			out.PendingSends, err = state.CountRunSends(ctx, sel, runs)
		}
		return err
	})
	if errors.Is(err, state.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "no member " + member + " in the state"})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// boolParam reads a query parameter that is true or false, absent as
// false (?drop=, ?keep_pending=).
func boolParam(name, v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s must be true or false, not %q", name, v)
	}
	return b, nil
}

// campaignNamed is cfg's campaign named name, or nil once it has
// answered 404 with the campaigns there are.
func campaignNamed(w http.ResponseWriter, cfg *config.Config, name string) *config.Campaign {
	var names []string
	for _, c := range cfg.Campaigns {
		if c.Name == name {
			return c
		}
		names = append(names, c.Name)
	}
	sort.Strings(names)
	writeJSON(w, http.StatusNotFound, map[string]any{"error": "no campaign " + name + " in the configuration in force; the campaigns are: " + strings.Join(names, ", ")})
	return nil
}

// campaignView answers GET /v1/campaigns/{name} with what hearth campaign
// show -json prints: the funnel, where running members wait, the A/B
// variants and each step's figures from the campaign's outcomes and
// outbox entries. It reads on the processor goroutine, as the population
// count does: it scans every member, and the store's wait for
// background commits must not overlap the processor starting one. The
// dashboard asks for it only when a campaign's steps are opened.
func (d *Daemon) campaignView(w http.ResponseWriter, r *http.Request) {
	// One configuration for the campaign and the settings, whatever a
	// reload meanwhile swaps in.
	cfg := d.Snapshot().Config
	c := campaignNamed(w, cfg, r.PathValue("name"))
	if c == nil {
		return
	}
	var rep *campaignstats.Report
	err := d.Query(r.Context(), func(ctx context.Context, rt *runtime.Runtime) error {
		// A run on a removed step waits where it goes on to.
		orders := d.storedStepOrders(ctx, cfg)
		if rt != nil {
			orders = rt.StepOrders()
		}
		var err error
		rep, err = campaignstats.Read(ctx, c, orders[c.Name], d.opt.Store, campaignstats.RetentionOf(cfg))
		return err
	})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	rep.NextAt(c, d.opt.Now(), cfg.Settings.Timezone)
	writeJSON(w, http.StatusOK, rep)
}

// CampaignSummary is one campaign of GET /v1/campaigns: its runs by
// where they are, counted as GET /v1/population counts them.
type CampaignSummary struct {
	Name string `json:"name"`
	// Status is "paused" for a campaign held with paused = true,
	// "active" otherwise.
	Status  string `json:"status"`
	Steps   int    `json:"steps"`
	Entered int    `json:"entered"`
	Running int    `json:"running"`
	// The runs that ended, by how (state.CampaignRun's reasons).
	Goal     int `json:"goal"`
	Finished int `json:"finished"`
	Exited   int `json:"exited"`
	Left     int `json:"left"`
	Stopped  int `json:"stopped"`
	// GoalRate is Goal of Entered (campaignstats.Counts.GoalRate), in a
	// campaign that has a goal; absent otherwise.
	GoalRate *float64 `json:"goal_rate,omitempty"`
}

// listCampaigns answers GET /v1/campaigns: every campaign of the
// configuration in force, in its order, with its runs counted. It scans
// every member, as GET /v1/population does, on the processor goroutine.
func (d *Daemon) listCampaigns(w http.ResponseWriter, r *http.Request) {
	cfg := d.Snapshot().Config
	var pop Population
	err := d.Query(r.Context(), func(ctx context.Context, rt *runtime.Runtime) error {
		var err error
		pop, err = d.countPopulation(ctx, rt)
		return err
	})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	out := []CampaignSummary{}
	for _, c := range cfg.Campaigns {
		n := pop.Campaigns[c.Name] // nil after a reload that added it: 0s
		s := CampaignSummary{Name: c.Name, Status: "active", Steps: len(c.Steps), Running: n["active"],
			Goal: n["goal"], Finished: n["finished"], Exited: n["exited"], Left: n["left"], Stopped: n["stopped"]}
		if c.Paused {
			s.Status = "paused"
		}
		for _, k := range n {
			s.Entered += k
		}
		if c.HasGoal() {
			rate := campaignstats.Counts{Entered: s.Entered, Goal: s.Goal}.GoalRate()
			s.GoalRate = &rate
		}
		out = append(out, s)
	}
	writeJSON(w, http.StatusOK, map[string]any{"campaigns": out})
}
