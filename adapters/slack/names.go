package slack

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxTopic is the longest topic or purpose Slack takes
// (conversations.setTopic and setPurpose answer too_long). Channel names
// are checked as every platform's are: ChannelNames.
const MaxTopic = 250

// textRules are Slack's rules for the texts hearth sets
// (config.PlatformSpec.TextRules).
func textRules(key, value string) string {
	switch key {
	case "channel.topic", "channel.purpose":
		if n := utf8.RuneCountInString(value); n > MaxTopic {
			_, attr, _ := strings.Cut(key, ".")
			return fmt.Sprintf("a Slack channel %s is at most %d characters; this one has %d", attr, MaxTopic, n)
		}
	}
	return ""
}
