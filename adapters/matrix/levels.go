package matrix

import (
	"context"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hearth-community/hearth/engine/platform"
)

// Power levels hearth gives: Matrix's conventions for moderators, and one
// below the bot's 100 for administrators, since Matrix lets nobody lower
// a level equal to their own and hearth must be able to take roles back.
const (
	LevelAdmin     = 99
	LevelModerator = 50
	levelMuted     = -1
)

// moderation are the permissions that make a role a moderator role.
var moderation = map[string]bool{
	"manage_messages": true, "kick_members": true, "ban_members": true, "moderate_members": true,
	"manage_channels": true, "manage_roles": true, "mute_members": true,
}

// RoleLevel is the power level a role's permissions give (a FormatList
// value): LevelAdmin with "administrator", LevelModerator with any
// moderation permission, 0 otherwise.
func RoleLevel(permissions string) int {
	level := 0
	for _, p := range platform.SplitList(permissions) {
		switch {
		case p == "administrator":
			return LevelAdmin
		case moderation[p]:
			level = LevelModerator
		}
	}
	return level
}

// level is what a member's power level should be: the highest of their
// roles', or levelMuted while a mute lasts.
func level(sp *space, member string) int {
	if m := raw(sp.st, typeMute, muteKey(member)); m != nil {
		if until, err := time.Parse(time.RFC3339, str(m, "until")); err == nil && time.Now().Before(until) {
			return levelMuted
		}
	}
	l := 0
	for _, a := range assignments(sp) {
		if a.member != member {
			continue
		}
		if r, ok := roleByID(sp, a.role); ok {
			l = max(l, RoleLevel(r.permissions))
		}
	}
	return l
}

// syncLevel sets a member's power level in the space and each of its
// rooms to what their roles and mute say.
func (c *Conn) syncLevel(ctx context.Context, sp *space, member string) error {
	want := level(sp, member)
	rooms := []id.RoomID{sp.id}
	for _, ch := range children(sp) {
		rooms = append(rooms, ch.room)
	}
	for _, r := range rooms {
		if err := c.setLevel(ctx, r, member, want); err != nil {
			if r != sp.id && isNotJoined(err) {
				continue
			}
			return err
		}
	}
	return nil
}

// copyLevels gives a new room of the space the levels members have in
// the space.
func (c *Conn) copyLevels(ctx context.Context, sp *space, room id.RoomID) error {
	pl := raw(sp.st, event.StatePowerLevels, "")
	users, _ := pl["users"].(map[string]any)
	for u := range users {
		if u == string(c.me) {
			continue
		}
		if err := c.setLevel(ctx, room, u, level(sp, u)); err != nil {
			return err
		}
	}
	return nil
}

// setLevel changes one user's entry in a room's m.room.power_levels,
// leaving the rest as it is.
func (c *Conn) setLevel(ctx context.Context, room id.RoomID, user string, want int) error {
	var pl map[string]any
	if err := do(ctx, c, func(ctx context.Context) error {
		return c.cli.StateEvent(ctx, room, event.StatePowerLevels, "", &pl)
	}); err != nil {
		return err
	}
	users, _ := pl["users"].(map[string]any)
	if users == nil {
		users = map[string]any{}
	}
	cur, has := users[user].(float64)
	if (has && int(cur) == want) || (!has && want == 0) {
		return nil
	}
	if want == 0 {
		delete(users, user)
	} else {
		users[user] = want
	}
	pl["users"] = users
	return c.putState(ctx, room, event.StatePowerLevels, "", pl)
}
