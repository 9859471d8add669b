package config

import "testing"

// Loop finds where a campaign's steps go back, and whether a run can
// still finish: a digest looping for ever, one whose branch leaves the
// loop, a step going back to itself, and a straight campaign.
func TestCampaignLoop(t *testing.T) {
	for _, tc := range []struct {
		name            string
		steps           []*Step
		from, back      string
		finishes, loops bool
	}{
		{"digest", []*Step{{Name: "pick"}, {Name: "send"}, {Name: "week", Goto: "pick"}}, "week", "pick", false, true},
		{"leaves", []*Step{{Name: "send"}, {Name: "week", Branches: []*Branch{{Goto: "exit"}}, Goto: "send"}}, "week", "send", true, true},
		{"itself", []*Step{{Name: "poll", OnTimeout: "poll"}, {Name: "done"}}, "poll", "poll", true, true},
		{"straight", []*Step{{Name: "a"}, {Name: "b", Goto: "exit"}}, "", "", true, false},
		{"unreached", []*Step{{Name: "a", Goto: "exit"}, {Name: "b", Goto: "b"}}, "", "", true, false},
	} {
		c := &Campaign{Name: tc.name, Steps: tc.steps}
		from, back, finishes, ok := c.Loop()
		if from != tc.from || back != tc.back || finishes != tc.finishes || ok != tc.loops {
			t.Errorf("%s: Loop() = %q, %q, %v, %v; want %q, %q, %v, %v", tc.name, from, back, finishes, ok, tc.from, tc.back, tc.finishes, tc.loops)
		}
	}
}
