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
