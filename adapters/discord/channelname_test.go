package discord_test

import (
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/discord"
)

// Discord keeps lower-case names with "-" for spaces, in any script and
// with emoji; validate suggests the name it would keep for another.
func TestChannelNames(t *testing.T) {
	rule := discord.ChannelNames()
	for _, c := range []struct {
		name, fix string
		ok        bool
	}{
		{name: "general", ok: true},
		{name: "📣-announcements", ok: true},
		{name: "公告", ok: true},
		{name: "show_and-tell", ok: true},
		{name: "Help & Support", fix: "help-support"},
		{name: "General", fix: "general"},
		{name: "off  topic", fix: "off-topic"},
		{name: "what's new?", fix: "whats-new"},
		{name: "!!!"},
		{name: strings.Repeat("a", discord.MaxChannelName), ok: true},
		{name: strings.Repeat("a", discord.MaxChannelName+1)},
	} {
		problem, fix := rule.Check(c.name)
		if (problem == "") != c.ok || fix != c.fix {
			t.Errorf("Check(%q) = %q, %q; want ok %v, fix %q", c.name, problem, fix, c.ok, c.fix)
		}
	}
}
