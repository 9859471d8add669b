package slack

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Slack's rules for the texts of conversations (conversations.create,
// rename, setTopic and setPurpose): a name is lower case letters,
// digits, hyphens and underscores, at most MaxChannelName characters,
// and not punctuation alone; a topic or purpose at most MaxTopic
// characters.
const (
	MaxChannelName = 80
	MaxTopic       = 250
)

// ChannelNameProblem says why Slack refuses name as a conversation's
// name, with the name to write instead, or "" when Slack takes it.
// Validate checks a channel's name with it; a display name the channel
// is created under goes through the same rules.
func ChannelNameProblem(name string) string {
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return "a Slack channel needs a name"
	case n > MaxChannelName:
		return fmt.Sprintf("a Slack channel name is at most %d characters; %q has %d", MaxChannelName, name, n)
	}
	bad, letters := "", false
	for _, r := range name {
		switch {
		case r == '-' || r == '_':
		case unicode.IsDigit(r) || unicode.IsLetter(r) && !unicode.IsUpper(r) && !unicode.IsTitle(r):
			letters = true
		case unicode.IsUpper(r) || unicode.IsTitle(r):
			if bad == "" {
				bad = "capital letters"
			}
		case unicode.IsSpace(r):
			bad = "spaces"
		case r == '.':
			bad = "periods"
		default:
			bad = fmt.Sprintf("%q", r)
		}
	}
	if bad != "" {
		return fmt.Sprintf("Slack channel names are lower case letters, digits, hyphens and underscores, without %s: write %q", bad, FixChannelName(name))
	}
	if !letters {
		return fmt.Sprintf("Slack refuses a channel name of punctuation alone (%q)", name)
	}
	return ""
}

// FixChannelName is name as Slack takes it: lower case, with each run
// of other characters made one hyphen, at most MaxChannelName
// characters.
func FixChannelName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r == '-' || r == '_' || unicode.IsDigit(r) || unicode.IsLetter(r) && !unicode.IsUpper(r):
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if utf8.RuneCountInString(out) > MaxChannelName {
		out = string([]rune(out)[:MaxChannelName])
	}
	return out
}

// textRules are Slack's rules for the texts hearth sets
// (config.PlatformSpec.TextRules).
func textRules(key, value string) string {
	switch key {
	case "channel.name":
		return ChannelNameProblem(value)
	case "channel.topic", "channel.purpose":
		if n := utf8.RuneCountInString(value); n > MaxTopic {
			_, attr, _ := strings.Cut(key, ".")
			return fmt.Sprintf("a Slack channel %s is at most %d characters; this one has %d", attr, MaxTopic, n)
		}
	}
	return ""
}
