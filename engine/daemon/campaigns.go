package daemon

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"

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
}

// stopCampaign ends a campaign's active runs between batches, for one
// member (?member=ID) or every member in it, as hearth campaign stop does
// on a store no daemon serves.
func (d *Daemon) stopCampaign(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	snap := d.Snapshot()
	known := false
	var names []string
	for _, c := range snap.Config.Campaigns {
		names = append(names, c.Name)
		known = known || c.Name == name
	}
	if !known {
		sort.Strings(names)
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "no campaign " + name + " in the configuration in force; the campaigns are: " + strings.Join(names, ", ")})
		return
	}
	member, key := r.URL.Query().Get("member"), r.URL.Query().Get("key")
	out := StopResult{Campaign: name, Member: member, Key: key}
	err := d.Query(r.Context(), func(ctx context.Context, rt *runtime.Runtime) error {
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
		for _, id := range ids {
			m, err := b.Member(id)
			if errors.Is(err, state.ErrNotFound) && member == "" {
				continue // gone since the scan
			}
			if err != nil {
				_ = b.Rollback()
				return err
			}
			if os := rt.StopCampaign(m, name, key, now); len(os) > 0 {
				outs = append(outs, os...)
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
		return b.Commit()
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
