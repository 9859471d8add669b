package discord

import (
	"unicode"

	"github.com/hearth-community/hearth/engine/config"
)

// MaxChannelName is the longest channel name Discord takes, in
// characters.
const MaxChannelName = 100

// ChannelNames are the text channel names Discord keeps as written:
// lower case, "-" for spaces, no ASCII punctuation but "-" and "_".
// Letters of any script, digits and emoji stay ("📣-公告"). Discord
// changes a name written otherwise ("Help & Support" becomes
// "help-support"), so validate refuses it rather than let every plan
// rename the channel back.
func ChannelNames() *config.ChannelNames {
	return &config.ChannelNames{
		What:  "Discord keeps text channel names in lower case, with \"-\" for spaces and without punctuation other than \"-\" and \"_\"",
		Max:   MaxChannelName,
		Lower: true,
		Sep:   '-',
		Keep: func(r rune) bool {
			return r == '-' || r == '_' || r > unicode.MaxASCII || unicode.IsLetter(r) || unicode.IsDigit(r)
		},
	}
}
