package slack

import (
	"unicode"

	"github.com/hearth-community/hearth/engine/config"
)

// MaxChannelName is the longest channel name Slack takes, in characters
// (conversations.create's invalid_name_maxlength).
const MaxChannelName = 80

// ChannelNames are the channel names Slack takes: lower-case letters of
// any script, digits, "-" and "_", at most 80 characters; no spaces,
// periods or other punctuation (conversations.create answers
// invalid_name_specials). validate refuses another, with the name to
// write instead, periods made "-" as Slack's own client does ("Help &
// Support": "help-support", "v1.2": "v1-2").
func ChannelNames() *config.ChannelNames {
	return &config.ChannelNames{
		What:   "Slack channel names are lower case, without spaces, periods or punctuation other than \"-\" and \"_\"",
		Max:    MaxChannelName,
		Lower:  true,
		Sep:    '-',
		Spaced: func(r rune) bool { return r == '.' },
		Keep: func(r rune) bool {
			return r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
		},
	}
}
