package runtime

import (
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// OnRemovedSteps adds to on, by campaign, the steps the member's active
// runs are on that the configuration no longer has (every step of a
// campaign it no longer has): the names the recorded step orders must
// keep (config.StepOrders.Prune).
func (r *Runtime) OnRemovedSteps(m *state.Member, on map[string]map[string]bool) {
	for id, run := range m.Campaigns {
		if !run.Active() || run.StepName == "" {
			continue // a run stored before step names goes by its index
		}
		name := state.RunCampaign(id)
		if c := r.campaigns[name]; c != nil && c.HasStep(run.StepName) {
			continue // a renamed step's old name is kept while runs are on it
		}
		if on[name] == nil {
			on[name] = map[string]bool{}
		}
		on[name][run.StepName] = true
	}
}

// PruneStepOrders forgets, in the runtime's step orders and in o (the
// record the store keeps, nil for none), the names of steps the
// configuration no longer has that no active run is on or goes on
// through: on must come from OnRemovedSteps over every stored member,
// with nothing handled by this runtime in between. It reports whether
// o changed.
func (r *Runtime) PruneStepOrders(o config.StepOrders, on map[string]map[string]bool) bool {
	if r.stepOrders != nil {
		r.stepOrders.Prune(r.cfg, on)
	}
	return o != nil && o.Prune(r.cfg, on)
}
