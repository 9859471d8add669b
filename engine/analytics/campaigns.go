package analytics

import (
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// CampaignCount is one campaign's runs as of the report's day, counted
// from its outcomes as they happened (the runs of members since erased
// included): entered, ended for any reason, and of those that reached
// the goal, while under way or, having finished, within the campaign's
// conversion_window. All are up to the report's day, and the 30 days
// ending on it.
type CampaignCount struct {
	Name    string `json:"name"`
	Entered int64  `json:"entered"`
	Ended   int64  `json:"ended"`
	// Goal is every run that reached the goal, Converted among them.
	Goal      int64 `json:"goal"`
	Converted int64 `json:"converted"`
	// GoalRate is Goal of Ended, as hearth campaign show's (running runs
	// may yet reach it); absent while no run has ended, and for a
	// campaign with no goal (NoGoal).
	GoalRate *float64 `json:"goal_rate,omitempty"`
	// NoGoal marks a configured campaign without exit_when: it has no
	// goal to reach, so no rate (hearth campaign show says "no goal").
	NoGoal      bool  `json:"no_goal,omitempty"`
	Entered30   int64 `json:"entered_30d"`
	Goal30      int64 `json:"goal_30d"`
	Converted30 int64 `json:"converted_30d"`
	// Removed marks a campaign the configuration no longer has.
	Removed bool `json:"removed,omitempty"`
}

// campaigns lists the configured campaigns in order, then those with
// tallies no longer configured, by name.
func (p *parsed) campaigns(cfg *config.Config, day state.Day) []CampaignCount {
	out := []CampaignCount{}
	names := p.campaignNames(cfg)
	for i, name := range names {
		removed := i >= len(cfg.Campaigns)
		c := CampaignCount{Name: name, Removed: removed, NoGoal: !removed && !cfg.Campaigns[i].HasGoal(),
			Entered: sumIn(p.campIn[name], 0, day, false), Ended: sumIn(p.campEnd[name], 0, day, false),
			Converted:   sumIn(p.campConv[name], 0, day, false),
			Entered30:   sumIn(p.campIn[name], day-29, day, true),
			Converted30: sumIn(p.campConv[name], day-29, day, true)}
		c.Goal = sumIn(p.campGoal[name], 0, day, false) + c.Converted
		c.Goal30 = sumIn(p.campGoal[name], day-29, day, true) + c.Converted30
		if c.Ended > 0 && !c.NoGoal {
			r := float64(c.Goal) / float64(c.Ended)
			c.GoalRate = &r
		}
		out = append(out, c)
	}
	return out
}

// campaignNames are the configured campaigns in order, then those
// counted that are no longer configured, by name.
func (p *parsed) campaignNames(cfg *config.Config) []string {
	var names []string
	for _, c := range cfg.Campaigns {
		names = append(names, c.Name)
	}
	return append(names, extraNames(names, p.campIn)...)
}
