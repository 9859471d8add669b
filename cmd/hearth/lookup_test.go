package main

import (
	"bytes"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// TestLookupNamed pins the answer every NAME lookup gives: the block, or
// one line naming what is missing with a near name, else the names there
// are, else that there are none. Scripts and users read these lines.
func TestLookupNamed(t *testing.T) {
	cfg := &config.Config{
		Campaigns: []*config.Campaign{{Name: "welcome"}, {Name: "winback"}},
		Templates: []*config.Template{{Name: "nudge"}},
	}
	cases := []struct {
		kind, name string
		cfg        *config.Config
		found      bool
		err        string
	}{
		{"campaign", "winback", cfg, true, ""},
		{"campaign", "welcom", cfg, false, "hearth campaign show: there is no campaign named \"welcom\" in the configuration. Did you mean \"welcome\"?\n"},
		{"campaign", "onboarding", cfg, false, "hearth campaign show: there is no campaign named \"onboarding\" in the configuration. The campaigns are: welcome, winback.\n"},
		{"campaign", "x", &config.Config{}, false, "hearth campaign show: there is no campaign named \"x\" in the configuration. There are no campaigns.\n"},
		{"template", "nudge", cfg, true, ""},
		{"template", "nugde", cfg, false, "hearth campaign show: there is no template named \"nugde\" in the configuration. Did you mean \"nudge\"?\n"},
		{"template", "welcome", cfg, false, "hearth campaign show: there is no template named \"welcome\" in the configuration. The templates are: nudge.\n"},
	}
	for _, c := range cases {
		var errb bytes.Buffer
		s := &stdio{out: &bytes.Buffer{}, err: &errb}
		var found bool
		var got string
		if c.kind == "campaign" {
			b, ok := lookupCampaign(s, "campaign show", c.cfg, c.name)
			found = ok
			if ok {
				got = b.Name
			}
		} else {
			b, ok := lookupTemplate(s, "campaign show", c.cfg, c.name)
			found = ok
			if ok {
				got = b.Name
			}
		}
		if found != c.found || errb.String() != c.err || found && got != c.name {
			t.Errorf("%s %q: found %v (%q), said %q; want %v, %q", c.kind, c.name, found, got, errb.String(), c.found, c.err)
		}
	}
}
