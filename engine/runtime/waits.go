package runtime

import (
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// Wait is what a campaign run on a wait_until step waits for. The run's
// due time (state.CampaignRun.Due) is when its step's own wait is over
// and the rule is first checked; past it, the run waits for the rule,
// which is checked at each of the member's events, at the member's
// time-based rechecks, and at the deadline, when the run gives up. So a
// due time in the past says nothing of what comes next: member show and
// member why say this instead ("waiting" in JSON).
type Wait struct {
	Run  string `json:"run"`  // the run's id: NAME, or NAME[KEY] with run_key
	Step string `json:"step"` // the step it waits on
	Rule string `json:"rule"` // the step's wait_until, as written
	// From is when the rule is first checked: the end of the step's own
	// wait (or time of day); Checking says it is being checked already.
	From     time.Time `json:"from"`
	Checking bool      `json:"checking"`
	// NextCheck is the next time it is checked with no event: From, while
	// it is ahead, else the member's next time-based recheck when that
	// comes before the deadline; absent otherwise (then it is checked at
	// the member's next event, or at the deadline).
	NextCheck time.Time `json:"next_check,omitzero"`
	// Deadline is when the run gives up waiting (the step's timeout after
	// From), and OnTimeout where it goes then: a step's name, or "exit"
	// when the run ends. Both absent when the step has no timeout: the
	// run waits until the rule holds.
	Deadline  time.Time `json:"deadline,omitzero"`
	OnTimeout string    `json:"on_timeout,omitempty"`
	// Paused says the campaign is paused: nothing is checked until it
	// goes on.
	Paused bool `json:"paused,omitempty"`
}

// Waits says what the member's runs at addr (campaign.NAME, each keyed
// run of it, or campaign.NAME[KEY]) that are on a wait_until step wait for, as of at (the later of at and
// when the rules last looked at the member, whose rechecks are set from
// then). Nothing for a run whose rule held already (its send is then
// made, or held: see Holds), on a step removed from the configuration,
// or of a campaign removed.
func (r *Runtime) Waits(m *state.Member, addr string, at time.Time) []Wait {
	kind, id, _ := strings.Cut(addr, ".")
	if kind != "campaign" {
		return nil
	}
	ids := []string{id}
	if _, _, keyed := state.SplitRunID(id); !keyed && m.HasKeyedRuns() {
		ids = m.RunIDs(id, nil)
	}
	if m.EvaluatedAt.After(at) {
		at = m.EvaluatedAt
	}
	var out []Wait
	for _, id := range ids {
		if w, ok := r.wait(m, id, at); ok {
			out = append(out, w)
		}
	}
	return out
}

// WaitOf is Waits of the one run id (NAME or NAME[KEY]), as member show
// prints each run on its line.
func (r *Runtime) WaitOf(m *state.Member, id string, at time.Time) (Wait, bool) {
	if m.EvaluatedAt.After(at) {
		at = m.EvaluatedAt
	}
	return r.wait(m, id, at)
}

func (r *Runtime) wait(m *state.Member, id string, at time.Time) (Wait, bool) {
	run := m.Campaigns[id]
	c := r.campaigns[state.RunCampaign(id)]
	if c == nil || !run.Active() || run.WaitMet {
		return Wait{}, false
	}
	i := c.StepIndex(run.Step, run.StepName, r.stepOrders[c.Name])
	if i < 0 || i >= len(c.Steps) || c.StepRemoved(run.StepName) {
		return Wait{}, false // on a removed step: member show says where it goes
	}
	st := c.Steps[i]
	if st.WaitUntil == nil {
		return Wait{}, false
	}
	w := Wait{Run: id, Step: st.Name, Rule: st.WaitUntil.Source, From: run.Due.UTC(), Checking: !at.Before(run.Due), Paused: c.Paused}
	if !run.Deadline.IsZero() {
		w.Deadline = run.Deadline.UTC()
		w.OnTimeout = onTimeout(c, i)
	}
	switch {
	case c.Paused:
	case !w.Checking:
		w.NextCheck = w.From
	case m.RecheckAt.After(at) && (w.Deadline.IsZero() || m.RecheckAt.Before(w.Deadline)):
		w.NextCheck = m.RecheckAt.UTC()
	}
	return w, true
}

// onTimeout is where a run of c whose wait_until on step i timed out
// goes: its on_timeout, or the next step; "exit" when the run ends.
func onTimeout(c *config.Campaign, i int) string {
	if next := c.Steps[i].OnTimeout; next != "" {
		return next
	}
	if i+1 < len(c.Steps) {
		return c.Steps[i+1].Name
	}
	return config.Exit
}

// WaitNote is, for state.Member.ViewNoted, what each of the member's runs
// on a wait_until step waits for at at (WaitOf): member show -json and
// GET /v1/members/ID carry it as the run's "waiting".
func (r *Runtime) WaitNote(m *state.Member, at time.Time) state.RunNote {
	return func(id string) any {
		if w, ok := r.WaitOf(m, id, at); ok {
			return w
		}
		return nil
	}
}
