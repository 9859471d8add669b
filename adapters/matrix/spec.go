// Package matrix is hearth's Matrix platform, through the Client-Server
// API with maunium.net/go/mautrix (its plain client, no end-to-end
// encryption and no cgo).
//
// hearth acts as one Matrix account (a bot, given by its access token).
// Objects map onto Matrix like this:
//
//   - A community is a space (a room with creation type m.space) that
//     carries the state event org.hearth.community {name}; title and
//     description are the space's m.room.name and m.room.topic. Anyone
//     on the homeserver may join it (join rule public; it is not listed
//     in the room directory), and Conn.Invite invites someone. Matrix
//     cannot delete rooms, so deleting a community deletes its channels,
//     kicks its members, clears the marker and leaves and forgets the
//     space.
//   - A channel is a room with m.space.parent pointing at the space and
//     an m.space.child entry in the space. The child entry also holds
//     hearth's position and category (Read orders by them) and the
//     spec's "order" key, so Matrix clients show rooms in the same order.
//     private is the join rule: "invite" when private, "restricted" to
//     the space's members when not (room version 10). Read reports the
//     rule as join_rule too, and Derive gives the one private implies, so
//     a room an older hearth made "public" is a change plan shows; a room
//     older than version 8 cannot be restricted and reads without
//     join_rule, with a warning saying to upgrade it.
//     Deleting a channel removes the child entry, kicks the room's
//     members and leaves and forgets it.
//   - A role is the state event org.hearth.role in the space (its
//     state_key is the role id). A role assignment is the state event
//     org.hearth.role_assignment with state_key "ROLE|MEMBER". Roles turn
//     into power levels: a member's level in the space and each of its
//     rooms is the highest of their roles' (RoleLevel: 99 for
//     "administrator", 50 for moderation permissions, 0 otherwise), so
//     hearth's tiers, synced as roles, become what Matrix enforces.
//   - A pin is a message the bot posts and lists in the room's
//     m.room.pinned_events; a new text is sent as an edit (m.replace), and
//     the current text is kept in the space as org.hearth.pin. One
//     unpinned in a Matrix client is no longer read, so plan pins it again.
//   - Members are the space's joined members (the bot not included);
//     their ids are Matrix user ids. Leaving the space is leaving the
//     community; with kick_on_leave the stream also kicks them from the
//     space's rooms, which would otherwise keep them, and when it starts
//     sweeps the rooms for those who left before. A mute sets their power level to -1
//     everywhere (below events_default, so they cannot post) and records
//     org.hearth.mute {until} (state_key "mute|USER").
//
// Perform sends messages with PUT /send/m.room.message/{txnId}, the txnId
// derived from the idempotency key, so the homeserver itself drops a
// repeat from the same device. The key and what it did are also kept in
// the bot's account data (org.hearth.action.HASH), so a repeat from
// another Conn or after a restart answers Duplicate with the first
// result. (That is one small account data entry per action, which stays;
// the stream's sync filter leaves account data out.) Direct messages go to a room recorded in the bot's m.direct
// account data, created with is_direct (an invite) when there is none.
//
// Stream reads /sync: member joins and departures in spaces, messages and
// reactions in their rooms become hearth events with ids
// "matrix.EVENT_ID" ("matrix.sha256.HEX", the event id's SHA-256, for
// an event id too long for hearth's 256 bytes); a cursor is the sync token of the batch plus the
// last event delivered in each of its rooms, so a resumed stream neither
// loses nor repeats events. When a room had more events than one sync
// shows (a "limited" timeline), the gap is fetched with /messages.
//
// A 429 M_LIMIT_EXCEEDED is waited out for retry_after_ms when that is
// at most max_retry_wait and retried; longer waits come back as
// platform.RateLimitError with that delay, which the outbox honours.
package matrix

import (
	"regexp"

	"maunium.net/go/mautrix/id"

	"github.com/hearth-community/hearth/engine/config"
)

// Type is the platform type name used in `platform "matrix" "NAME"`.
const Type = "matrix"

// Mention is how a message mentions a member (member.mention): their
// display name in the body, which the adapter makes a pill of in the
// formatted body (a matrix.to link to their user id) and lists in
// m.mentions, as the spec's user mentions are made. A member with no name
// shows as their user id; an id that is no user id mentions no one.
func Mention(m config.MentionOf) config.Mention {
	if _, _, err := id.UserID(m.ID).ParseAndValidateRelaxed(); err != nil {
		return config.Mention{}
	}
	if m.Name == "" {
		return config.Mention{Text: m.ID, Marked: true}
	}
	return config.Mention{Marked: true}
}

// Spec describes the settings of a matrix platform block.
func Spec() config.PlatformSpec {
	return config.PlatformSpec{
		Moderation: config.ModerationLimits{
			Ban: config.DurationLimit{Endless: "Matrix bans do not expire, and hearth does not lift them: ban without a duration (it lasts until lifted), or mute for a while"},
		},
		Type: Type,
		Doc: "A Matrix homeserver through the Client-Server API, as one bot account: communities are spaces, channels their rooms, " +
			"roles become power levels; messages, direct messages (m.direct), invites, kicks, bans and mutes; /sync as the event stream.",
		Example: `variable "matrix_token" {
  type      = string
  sensitive = true
}

platform "matrix" "main" {
  homeserver   = "https://matrix.example.org"
  access_token = var.matrix_token
}`,
		Mention: Mention,
		// Without mass_mentions each message's m.mentions names at most
		// its member, so a "@room" in it notifies no one.
		CrowdMentions: config.FindAll(atRoom),
		// A mute is a power level below the room's default, which stays
		// until changed: hearth lifts it when the mute ends.
		UnmuteAtEnd: true,
		Ignored: map[string]string{
			"channel.purpose": "a Matrix room has one description, its topic",
			"channel.color":   "a Matrix room has no color",
		},
		Attrs: []config.Attr{
			{Name: "homeserver", Kind: config.KindSetting, Required: true, Doc: "Base URL of the homeserver's Client-Server API, such as https://matrix.example.org."},
			{Name: "access_token", Kind: config.KindSetting, Required: true, Secret: true, Doc: "Access token of the bot account; from a sensitive variable.", Example: "var.matrix_token"},
			{Name: "kick_on_leave", Kind: config.KindBool, Doc: "Kick whoever leaves a community's space (or is removed from it in a Matrix client) from the community's rooms too, as hearth run's event stream sees them go; " +
				"each time the stream starts it also kicks those who left before (while hearth was not running, or before this was on) and are still in a room. " +
				"Leaving the space is leaving the community (member.left) either way, and their messages are no longer events; off, Matrix keeps them in the rooms they had joined, where they can still read and post.", Default: "false"},
			{Name: "max_retry_wait", Kind: config.KindDuration, Doc: "Longest 429 retry_after_ms waited out in place; longer ones are returned to the outbox as a rate limit.", Default: "10s"},
			{Name: "mass_mentions", Kind: config.KindBool, Doc: "Let messages hearth sends notify by what their text says (\"@room\", display names), as older clients did. Off, each message carries m.mentions naming at most the member it is for: templates quote names and messages members wrote, and a member named \"@room\" would otherwise notify the whole room.", Default: "false"},
			{Name: "timeout", Kind: config.KindDuration, Doc: "Longest one request may take (a /sync long poll waits up to 30s on top).", Default: "30s"},
		},
	}
}

// atRoom is a "@room" in a message's text, which notifies the whole
// room where the message carries no m.mentions (mass_mentions on).
var atRoom = regexp.MustCompile(`(?:^|\B)@room\b`)
