package slack_test

import (
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/slack"
)

// TestChannelNameProblem follows conversations.create's naming rules:
// lower case letters, digits, hyphens and underscores, at most 80.
func TestChannelNameProblem(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"show-and-tell", ""},
		{"help_2", ""},
		{"общий", ""}, // letters without case are letters
		{"Show and Tell", `without spaces: write "show-and-tell"`},
		{"Release.Notes", `without periods: write "release-notes"`},
		{"News", `without capital letters: write "news"`},
		{"q&a", `without '&': write "q-a"`},
		{"--", "punctuation alone"},
		{"", "needs a name"},
		{strings.Repeat("a", 81), "at most 80 characters"},
	} {
		got := slack.ChannelNameProblem(tc.name)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("ChannelNameProblem(%q) = %q; want %q", tc.name, got, tc.want)
		}
		if got == "" {
			continue
		}
		if fixed := slack.FixChannelName(tc.name); fixed != "" && slack.ChannelNameProblem(fixed) != "" {
			t.Errorf("FixChannelName(%q) = %q, which Slack refuses too", tc.name, fixed)
		}
	}
}
