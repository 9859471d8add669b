package slack_test

import (
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/slack"
)

// Slack takes lower-case letters of any script, digits, "-" and "_";
// validate suggests the name to write for another.
func TestChannelNames(t *testing.T) {
	rule := slack.ChannelNames()
	for _, c := range []struct {
		name, fix string
		ok        bool
	}{
		{name: "show-and-tell", ok: true},
		{name: "雑談", ok: true},
		{name: "dev_ops", ok: true},
		{name: "Help & Support", fix: "help-support"},
		{name: "v1.2 releases", fix: "v1-2-releases"},
		{name: "📣-news", fix: "-news"},
		{name: "..."},
		{name: strings.Repeat("a", slack.MaxChannelName), ok: true},
		{name: strings.Repeat("a", slack.MaxChannelName+1)},
	} {
		problem, fix := rule.Check(c.name)
		if (problem == "") != c.ok || fix != c.fix {
			t.Errorf("Check(%q) = %q, %q; want ok %v, fix %q", c.name, problem, fix, c.ok, c.fix)
		}
	}
}
