package config

import "encoding/json"

// StepOrders remembers, per campaign, which step followed each step name
// in the last order the runtime ran the campaign with ("" after the last
// step), names removed since included. A run left on a removed step goes
// on to the step that followed it, which the new order alone cannot tell
// when the same edit also inserted or moved steps; keeping it in the
// state store makes that hold after a restart too.
type StepOrders map[string]map[string]string

// StepOrdersRecord names the record of the step orders in the state
// store, kept with the stream cursors: a small record every store has,
// shared by replicas.
const StepOrdersRecord = "hearth.campaign-steps"

// ParseStepOrders reads what String wrote; "" is an empty record.
func ParseStepOrders(s string) (StepOrders, error) {
	o := StepOrders{}
	if s == "" {
		return o, nil
	}
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		return StepOrders{}, err
	}
	return o, nil
}

// String is the record as stored.
func (o StepOrders) String() string {
	b, _ := json.Marshal(map[string]map[string]string(o)) // maps of strings always encode
	return string(b)
}

// Merge records cfg's step orders: each step's successor is the one after
// it now; names no longer in a campaign keep the successor they had.
func (o StepOrders) Merge(cfg *Config) {
	for _, c := range cfg.Campaigns {
		next := o[c.Name]
		if next == nil {
			next = map[string]string{}
			o[c.Name] = next
		}
		for i, s := range c.Steps {
			after := ""
			if i+1 < len(c.Steps) {
				after = c.Steps[i+1].Name
			}
			next[s.Name] = after
		}
	}
}

// Prune forgets the names of steps cfg's campaigns no longer have that
// no run needs: on holds, by campaign, the names of removed steps active
// runs are on (runs on a step cfg has find it by name and read nothing
// here). Such a name is kept, and so is every removed name its
// successors lead through to a step cfg has or the end, which StepIndex
// follows. A campaign left with no names goes. Prune reports whether it
// forgot anything.
func (o StepOrders) Prune(cfg *Config, on map[string]map[string]bool) bool {
	have := make(map[string]*Campaign, len(cfg.Campaigns))
	for _, c := range cfg.Campaigns {
		have[c.Name] = c
	}
	pruned := false
	for name, next := range o {
		c := have[name]
		removed := func(step string) bool { return c == nil || c.stepNamed(step) < 0 }
		keep := map[string]bool{}
		for step := range on[name] {
			for step != "" && removed(step) && !keep[step] {
				keep[step] = true
				after, ok := next[step]
				if !ok {
					break
				}
				step = after
			}
		}
		for step := range next {
			if removed(step) && !keep[step] {
				delete(next, step)
				pruned = true
			}
		}
		if len(next) == 0 {
			delete(o, name)
			pruned = true
		}
	}
	return pruned
}
