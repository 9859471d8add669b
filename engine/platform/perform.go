package platform

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxKeyLen bounds idempotency keys, so a platform can store them.
const MaxKeyLen = 256

// actionFields says which request fields each action reads: required
// ones first, then "?" and the optional ones.
var actionFields = map[Action][]string{
	ActionChannelMessage: {"channel", "text", "?", "mentions"},
	ActionDirectMessage:  {"member", "text", "?", "mentions"},
	ActionRoleAdd:        {"member", "role", "?", "reason"},
	ActionRoleRemove:     {"member", "role", "?", "reason"},
	ActionMute:           {"member", "duration", "?", "reason"},
	ActionUnmute:         {"member", "?", "reason"},
	ActionKick:           {"member", "?", "reason"},
	ActionBan:            {"member", "?", "duration", "reason"},
	ActionUnban:          {"member", "?", "reason"},
	ActionDeleteMessage:  {"message", "?", "channel", "reason"},
	ActionBadgeGrant:     {"member", "badge", "?", "reason"},
	ActionBadgeRevoke:    {"member", "badge", "?", "reason"},
	ActionTrustLevel:     {"member", "?", "level", "lock", "raise", "reason"},
	ActionMoveMember:     {"member", "into", "?", "reason"},
}

// CheckPerform checks the shape of a request — a known action, a key, a
// community, the fields the action needs and no others — so every
// adapter refuses the same malformed requests. A field the action does
// not read is an error rather than ignored, because it means the caller
// meant something the action will not do. Problems wrap ErrInvalid, an
// unknown action ErrUnsupported.
func CheckPerform(req PerformRequest) error {
	fields, ok := actionFields[req.Action]
	if !ok {
		return fmt.Errorf("%w: unknown action %q", ErrUnsupported, req.Action)
	}
	switch {
	case req.Key == "":
		return fmt.Errorf("%w: %s needs an idempotency key", ErrInvalid, req.Action)
	case len(req.Key) > MaxKeyLen:
		return fmt.Errorf("%w: idempotency key longer than %d bytes", ErrInvalid, MaxKeyLen)
	case req.Community == "":
		return fmt.Errorf("%w: %s needs a community id", ErrInvalid, req.Action)
	case req.Duration < 0:
		return fmt.Errorf("%w: negative duration", ErrInvalid)
	}
	have := map[string]bool{
		"channel": req.Channel != "", "member": req.Member != "", "role": req.Role != "",
		"message": req.Message != "", "text": req.Text != "", "reason": req.Reason != "",
		"duration": req.Duration != 0, "badge": req.Badge != "", "into": req.Into != "",
		"level": req.Level != "", "lock": req.Lock, "raise": req.Raise, "mentions": len(req.Mentions) > 0,
	}
	allowed := map[string]bool{}
	optional := false
	for _, f := range fields {
		if f == "?" {
			optional = true
			continue
		}
		allowed[f] = true
		if !optional && !have[f] {
			return fmt.Errorf("%w: %s needs %s", ErrInvalid, req.Action, f)
		}
	}
	var extra []string
	for _, f := range []string{"channel", "member", "role", "message", "badge", "into", "text", "mentions", "reason", "duration", "level", "lock", "raise"} {
		if have[f] && !allowed[f] {
			extra = append(extra, f)
		}
	}
	if len(extra) > 0 {
		return fmt.Errorf("%w: %s does not take %s", ErrInvalid, req.Action, strings.Join(extra, ", "))
	}
	if req.Action == ActionTrustLevel {
		if n, err := strconv.Atoi(req.Level); req.Level != "" && (err != nil || n < 0 || n > 4) {
			return fmt.Errorf("%w: trust level %q is not 0 to 4", ErrInvalid, req.Level)
		}
		if (req.Lock || req.Raise) && req.Level == "" {
			return fmt.Errorf("%w: %s needs a level to lock or raise to", ErrInvalid, req.Action)
		}
		if req.Lock && req.Raise {
			return fmt.Errorf("%w: %s either locks a level or only raises to it", ErrInvalid, req.Action)
		}
	}
	if err := CheckMentions(req.Text, req.Mentions); err != nil {
		return err
	}
	if req.Action == ActionMoveMember && req.Into == req.Community {
		return fmt.Errorf("%w: %s into the community the member is in", ErrInvalid, req.Action)
	}
	return nil
}

// CheckGroupBot is CheckPerform for a bot that posts through a webhook
// into one group and can do nothing else (DingTalk's and Feishu's custom
// bots, WeCom's group robot): only channel messages, and only to channel
// when it is set. bot names it in errors: "DingTalk custom robot".
func CheckGroupBot(req PerformRequest, bot, channel string) error {
	if err := CheckPerform(req); err != nil {
		return err
	}
	if req.Action != ActionChannelMessage {
		return fmt.Errorf("a %s only posts in its group, it cannot %s: %w", bot, req.Action, ErrUnsupported)
	}
	if channel != "" && req.Channel != channel {
		return fmt.Errorf("this %s posts in channel %q, not %q: %w", bot, channel, req.Channel, ErrNotFound)
	}
	return nil
}

// CheckMentions checks that mentions mark parts of text, in order, apart,
// each on character boundaries and with an id, so adapters can cut the
// text at them. Problems wrap ErrInvalid.
func CheckMentions(text string, mentions []Mention) error {
	at := 0
	for _, m := range mentions {
		switch {
		case m.ID == "":
			return fmt.Errorf("%w: a mention without an id", ErrInvalid)
		case m.Start < at || m.End <= m.Start || m.End > len(text):
			return fmt.Errorf("%w: mention of %s at %d-%d is not a part of the text after the one before", ErrInvalid, m.ID, m.Start, m.End)
		case !utf8.RuneStart(text[m.Start]) || (m.End < len(text) && !utf8.RuneStart(text[m.End])):
			return fmt.Errorf("%w: mention of %s at %d-%d cuts a character", ErrInvalid, m.ID, m.Start, m.End)
		}
		at = m.End
	}
	return nil
}
