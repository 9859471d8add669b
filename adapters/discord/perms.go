package discord

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hearth-community/hearth/engine/platform"
)

// permissionNames are Discord's permission flags by the names hearth
// uses in a role's permissions: Discord's own flag names in lower case
// (SEND_MESSAGES is send_messages), bit by bit as the API documents them.
var permissionNames = map[string]int64{
	"create_instant_invite":               1 << 0,
	"kick_members":                        1 << 1,
	"ban_members":                         1 << 2,
	"administrator":                       1 << 3,
	"manage_channels":                     1 << 4,
	"manage_guild":                        1 << 5,
	"add_reactions":                       1 << 6,
	"view_audit_log":                      1 << 7,
	"priority_speaker":                    1 << 8,
	"stream":                              1 << 9,
	"view_channel":                        1 << 10,
	"send_messages":                       1 << 11,
	"send_tts_messages":                   1 << 12,
	"manage_messages":                     1 << 13,
	"embed_links":                         1 << 14,
	"attach_files":                        1 << 15,
	"read_message_history":                1 << 16,
	"mention_everyone":                    1 << 17,
	"use_external_emojis":                 1 << 18,
	"view_guild_insights":                 1 << 19,
	"connect":                             1 << 20,
	"speak":                               1 << 21,
	"mute_members":                        1 << 22,
	"deafen_members":                      1 << 23,
	"move_members":                        1 << 24,
	"use_vad":                             1 << 25,
	"change_nickname":                     1 << 26,
	"manage_nicknames":                    1 << 27,
	"manage_roles":                        1 << 28,
	"manage_webhooks":                     1 << 29,
	"manage_guild_expressions":            1 << 30,
	"use_application_commands":            1 << 31,
	"request_to_speak":                    1 << 32,
	"manage_events":                       1 << 33,
	"manage_threads":                      1 << 34,
	"create_public_threads":               1 << 35,
	"create_private_threads":              1 << 36,
	"use_external_stickers":               1 << 37,
	"send_messages_in_threads":            1 << 38,
	"use_embedded_activities":             1 << 39,
	"moderate_members":                    1 << 40,
	"view_creator_monetization_analytics": 1 << 41,
	"use_soundboard":                      1 << 42,
	"create_guild_expressions":            1 << 43,
	"create_events":                       1 << 44,
	"use_external_sounds":                 1 << 45,
	"send_voice_messages":                 1 << 46,
	"send_polls":                          1 << 49,
	"use_external_apps":                   1 << 50,
}

// permissionNamesSorted are the names permissionNames has, in order:
// validate refuses others (config.PlatformSpec.Permissions).
func permissionNamesSorted() []string {
	names := make([]string, 0, len(permissionNames))
	for n := range permissionNames {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// knownPermissions has every bit permissionNames names.
var knownPermissions = func() int64 {
	var all int64
	for _, b := range permissionNames {
		all |= b
	}
	return all
}()

// permissionList names the bits of a bitfield that hearth knows.
func permissionList(field int64) []string {
	var out []string
	for name, b := range permissionNames {
		if field&b != 0 {
			out = append(out, name)
		}
	}
	return out
}

// permissionBits turns a FormatList of names into a bitfield.
func permissionBits(list string) (int64, error) {
	var field int64
	for _, name := range platform.SplitList(list) {
		b, ok := permissionNames[name]
		if !ok {
			return 0, fmt.Errorf("%w: %q is not a Discord permission (they are Discord's flag names in lower case, such as send_messages, manage_messages, moderate_members)", platform.ErrInvalid, name)
		}
		field |= b
	}
	return field, nil
}

// mergePermissions sets the bits hearth knows as the list says and keeps
// the others as they are, so a flag Discord adds later is not wiped.
func mergePermissions(old int64, list string) (int64, error) {
	field, err := permissionBits(list)
	if err != nil {
		return 0, err
	}
	return old&^knownPermissions | field, nil
}

// PermissionNames lists the names hearth accepts, for documentation.
func PermissionNames() string {
	var out []string
	for n := range permissionNames {
		out = append(out, n)
	}
	s, _ := platform.FormatListValue(out)
	return strings.ReplaceAll(s, ",", ", ")
}
