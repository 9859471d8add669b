package config

import "testing"

// A run on a removed step goes on to the first step that followed it in
// the orders recorded, through steps removed too; past the end when none
// is left; at its index when nothing was recorded.
func TestStepIndexFollowsRemovedSteps(t *testing.T) {
	camp := func(names ...string) *Campaign {
		c := &Campaign{Name: "tour"}
		for _, n := range names {
			c.Steps = append(c.Steps, &Step{Name: n})
		}
		return c
	}
	o := StepOrders{}
	o.Merge(&Config{Campaigns: []*Campaign{camp("a", "b", "c", "d")}})
	o.Merge(&Config{Campaigns: []*Campaign{camp("a", "b", "y", "c", "d")}})
	back, err := ParseStepOrders(o.String())
	if err != nil {
		t.Fatal(err)
	}
	after := back["tour"]
	for _, tc := range []struct {
		c       *Campaign
		i       int
		name    string
		after   map[string]string
		want    int
		removed bool
	}{
		{camp("x", "a", "c", "d"), 1, "b", after, 2, true},                  // b's successor is c
		{camp("x", "a", "y", "d"), 1, "b", after, 2, true},                  // the step inserted after b last
		{camp("x", "a", "d"), 1, "b", after, 2, true},                       // b, y and c gone: d
		{camp("x", "a"), 1, "b", after, 2, true},                            // all after b gone: past the end
		{camp("x", "a", "c"), 1, "b", nil, 1, true},                         // nothing recorded: the index
		{camp("x", "a", "b"), 1, "b", after, 2, false},                      // moved: found by name
		{camp("a", "b"), 1, "", after, 1, false},                            // stored before names were kept
		{camp("q"), 0, "b", map[string]string{"b": "z", "z": "b"}, 0, true}, // a cycle ends
	} {
		if got := tc.c.StepIndex(tc.i, tc.name, tc.after); got != tc.want {
			t.Errorf("%v at %d %q: %d; want %d", tc.c.Steps, tc.i, tc.name, got, tc.want)
		}
		if got := tc.c.StepRemoved(tc.name); got != tc.removed {
			t.Errorf("StepRemoved(%q) = %v", tc.name, got)
		}
	}
	if _, err := ParseStepOrders("{"); err == nil {
		t.Error("a broken record read without error")
	}
}

// Prune forgets removed names no run needs: not those runs are on, nor
// the removed names their successors lead through; never a name the
// configuration has; a campaign no longer configured goes whole unless a
// run is on one of its steps.
func TestStepOrdersPrune(t *testing.T) {
	camp := func(name string, steps ...string) *Campaign {
		c := &Campaign{Name: name}
		for _, n := range steps {
			c.Steps = append(c.Steps, &Step{Name: n})
		}
		return c
	}
	record := func() StepOrders {
		o, err := ParseStepOrders(`{"tour":{"a":"b","b":"c","c":"d","d":"","x":"d","p":"q","q":"p"},"gone":{"g":""},"kept":{"k":"l","l":""}}`)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	cfg := &Config{Campaigns: []*Campaign{camp("tour", "x", "d")}}
	for _, tc := range []struct {
		name string
		on   map[string]map[string]bool
		want string
	}{
		{"no run on a removed step", nil, `{"tour":{"d":"","x":"d"}}`},
		{"a run on a: b and c lead on to d", map[string]map[string]bool{"tour": {"a": true}}, `{"tour":{"a":"b","b":"c","c":"d","d":"","x":"d"}}`},
		{"a run on c", map[string]map[string]bool{"tour": {"c": true}}, `{"tour":{"c":"d","d":"","x":"d"}}`},
		{"a cycle of removed names", map[string]map[string]bool{"tour": {"p": true}}, `{"tour":{"d":"","p":"q","q":"p","x":"d"}}`},
		{"a run of a campaign no longer configured", map[string]map[string]bool{"kept": {"k": true}}, `{"kept":{"k":"l","l":""},"tour":{"d":"","x":"d"}}`},
		{"a removed name not recorded", map[string]map[string]bool{"tour": {"zz": true}}, `{"tour":{"d":"","x":"d"}}`},
	} {
		o := record()
		if !o.Prune(cfg, tc.on) {
			t.Errorf("%s: nothing pruned", tc.name)
		}
		if got := o.String(); got != tc.want {
			t.Errorf("%s: %s; want %s", tc.name, got, tc.want)
		}
	}
	o := StepOrders{}
	o.Merge(cfg)
	if o.Prune(cfg, nil) {
		t.Errorf("a record of the configuration alone pruned: %s", o)
	}
}

// A step renamed by moved blocks, in one go or a chain (a to b, b to
// c), is where its runs are: not removed, and not the step after it.
func TestStepIndexFollowsMovedSteps(t *testing.T) {
	c := &Campaign{Name: "tour", Steps: []*Step{{Name: "intro"}, {Name: "c"}, {Name: "end"}}, StepMoves: map[string]string{"a": "b", "b": "c", "x": "gone"}}
	after := map[string]string{"a": "end", "x": "end"}
	for _, tc := range []struct {
		name    string
		index   int
		removed bool
	}{
		{"a", 1, false},
		{"b", 1, false},
		{"c", 1, false},
		{"x", 2, true}, // moved to a step the campaign does not have: removed, goes on
	} {
		if got := c.StepIndex(0, tc.name, after); got != tc.index || c.StepRemoved(tc.name) != tc.removed {
			t.Errorf("%s: index %d, removed %v; want %d, %v", tc.name, got, c.StepRemoved(tc.name), tc.index, tc.removed)
		}
	}
	if c.StepMovedTo("a") != "c" || c.StepMovedTo("c") != "" || c.StepMovedTo("x") != "" {
		t.Errorf("StepMovedTo: a %q, c %q, x %q", c.StepMovedTo("a"), c.StepMovedTo("c"), c.StepMovedTo("x"))
	}
}
