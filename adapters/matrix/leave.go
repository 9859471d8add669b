package matrix

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hearth-community/hearth/engine/platform"
)

// kick_on_leave: whoever leaves a community's space is kicked from its
// rooms, which Matrix would let them keep. The stream acts on the
// departures it reads (kickFromRooms); sweepDeparted, when the stream
// starts, on those it never will.

// leaveReason is the reason Matrix clients show for these kicks.
const leaveReason = "left the community"

// errOutranks is a kick passed over because Matrix would refuse it.
var errOutranks = platform.Permanent(errors.New("their power level in the room is at least the bot's, and Matrix lets no one kick a user of their own level or higher"))

// kickFromRooms kicks a user who is not joined to a space from each of
// its rooms they are joined or invited to. What it acts on is read now,
// not taken from the event: a member who has come back since, or a
// stream replaying old departures, kicks no one. A room that refuses
// (the bot lost its power there) is logged and passed over, so one room
// does not stop the stream.
func (c *Conn) kickFromRooms(ctx context.Context, spaceID id.RoomID, user id.UserID) error {
	sp, err := c.space(ctx, spaceID)
	if errors.Is(err, platform.ErrNotFound) {
		return nil // no longer a community the bot is in
	}
	if err != nil {
		return err
	}
	if membership(sp, string(user)) == "join" {
		return nil
	}
	var kicked []id.RoomID
	// One line for the member, also when a failure stops the stream
	// part way: the rooms done are not kicked again.
	defer func() {
		if len(kicked) > 0 {
			c.log.Info("kicked from the community's rooms someone who left its space (kick_on_leave)", "user", user, "space", spaceID, "rooms", kicked)
		}
	}()
	for _, ch := range children(sp) {
		var m map[string]any
		err := do(ctx, c, func(ctx context.Context) error {
			return c.cli.StateEvent(ctx, ch.room, event.StateMember, string(user), &m)
		})
		if err != nil && !isNotJoined(err) {
			return err
		}
		if now := str(m, "membership"); err != nil || (now != "join" && now != "invite") {
			continue
		}
		done, err := c.kickLeaver(ctx, ch.room, user)
		switch {
		case done:
			kicked = append(kicked, ch.room)
		case err == nil:
		case passOver(err):
			c.log.Warn("could not kick from a room someone who left the community's space (kick_on_leave)", "room", ch.room, "user", user, "space", spaceID, "error", err)
		default:
			return fmt.Errorf("kicking %s, who left community %s, from room %s: %w", user, spaceID, ch.room, err)
		}
	}
	return nil
}

// kickLeaver kicks from a room someone joined or invited there who is no
// longer joined to its space. It never kicks the bot, nor anyone whose
// power level there is at least the bot's (errOutranks: the homeserver
// would refuse). False with no error: the bot is not in the room.
func (c *Conn) kickLeaver(ctx context.Context, room id.RoomID, user id.UserID) (bool, error) {
	if user == c.me {
		return false, nil
	}
	var pl map[string]any
	err := do(ctx, c, func(ctx context.Context) error {
		return c.cli.StateEvent(ctx, room, event.StatePowerLevels, "", &pl)
	})
	if err != nil {
		if isNotJoined(err) {
			return false, nil
		}
		return false, err
	}
	if outranks(pl, user, c.me) {
		return false, errOutranks
	}
	err = do(ctx, c, func(ctx context.Context) error {
		_, err := c.cli.KickUser(ctx, room, &mautrix.ReqKickUser{UserID: user, Reason: leaveReason})
		return err
	})
	return err == nil, err
}

// passOver says whether a failed kick is logged and passed over (the
// homeserver refused it, or kickLeaver would not try) rather than
// stopping the stream, which tries again when it resumes.
func passOver(err error) bool {
	return platform.IsPermanent(err) || errors.Is(err, platform.ErrNotFound)
}

// outranks says whether a room's m.room.power_levels content gives user a
// level at least the bot's. A bot without an entry of its own (a room's
// creator in room version 12 has unlimited power and none) is left to
// the homeserver to judge.
func outranks(pl map[string]any, user, bot id.UserID) bool {
	users, _ := pl["users"].(map[string]any)
	if _, ok := users[string(bot)]; !ok {
		return false
	}
	theirs := num(pl, "users_default")
	if _, ok := users[string(user)]; ok {
		theirs = num(users, string(user))
	}
	return theirs >= num(users, string(bot))
}

// sweepDeparted kicks from each community's rooms those the space shows
// gone (membership leave or ban) who are still joined or invited to one
// of its rooms (kick_on_leave): departures the stream never reads, from
// while hearth was not running or kick_on_leave was off. The stream calls
// it each time it starts, so again after a failure stopped it. It reads
// what is there now, so it is idempotent: a member kicked once is not
// there the next time. Someone the space never had (another bot, an
// account the operator added to a room by hand) is not a departure and
// stays, as the stream leaves them too.
func (c *Conn) sweepDeparted(ctx context.Context) error {
	spaces, err := c.communitySpaces(ctx)
	if err != nil {
		return err
	}
	for _, sp := range spaces {
		if err := c.sweepSpace(ctx, sp); err != nil {
			return err
		}
	}
	return nil
}

// swept is what a sweep did to one member of one space.
type swept struct {
	kicked, passed []id.RoomID
	why            error // the last reason a room was passed over
}

func (c *Conn) sweepSpace(ctx context.Context, sp *space) error {
	gone := map[id.UserID]bool{}
	for user, ev := range sp.st[event.StateMember] {
		if ev == nil || user == string(c.me) {
			continue
		}
		if m := str(ev.Content.Raw, "membership"); m == "leave" || m == "ban" {
			gone[id.UserID(user)] = true
		}
	}
	if len(gone) == 0 {
		return nil
	}
	rooms := children(sp)
	slices.SortFunc(rooms, func(a, b child) int { return cmp.Compare(a.room, b.room) })
	done := map[id.UserID]*swept{}
	defer c.logSweep(sp.id, done)
	for _, ch := range rooms {
		// Not "leave": the room's past members are many and stay.
		resp, err := call(ctx, c, func(ctx context.Context) (*mautrix.RespMembers, error) {
			return c.cli.Members(ctx, ch.room, mautrix.ReqMembers{NotMembership: event.MembershipLeave})
		})
		if err != nil {
			if isNotJoined(err) {
				continue
			}
			return fmt.Errorf("reading the members of room %s of community %s: %w", ch.room, sp.id, err)
		}
		for _, ev := range resp.Chunk {
			if ev == nil || ev.StateKey == nil {
				continue
			}
			user := id.UserID(*ev.StateKey)
			if m := str(ev.Content.Raw, "membership"); !gone[user] || (m != "join" && m != "invite") {
				continue
			}
			ok, err := c.kickLeaver(ctx, ch.room, user)
			if err != nil && !passOver(err) {
				return fmt.Errorf("kicking %s, who left community %s, from room %s: %w", user, sp.id, ch.room, err)
			}
			if !ok && err == nil {
				continue
			}
			s := done[user]
			if s == nil {
				s = &swept{}
				done[user] = s
			}
			if ok {
				s.kicked = append(s.kicked, ch.room)
			} else {
				s.passed, s.why = append(s.passed, ch.room), err
			}
		}
	}
	return nil
}

// logSweep logs one line per member a sweep kicked, and one per member it
// could not kick, the first time only: the next sweep finds them again.
func (c *Conn) logSweep(spaceID id.RoomID, done map[id.UserID]*swept) {
	users := make([]id.UserID, 0, len(done))
	for u := range done {
		users = append(users, u)
	}
	slices.Sort(users)
	for _, u := range users {
		s := done[u]
		if len(s.kicked) > 0 {
			c.log.Info("kicked from the community's rooms someone who had left its space before the stream saw it (kick_on_leave)", "user", u, "space", spaceID, "rooms", s.kicked)
		}
		if len(s.passed) > 0 && c.firstNote("passed|"+string(spaceID)+"|"+string(u)) {
			c.log.Warn("could not kick from the community's rooms someone who had left its space (kick_on_leave); not said again until hearth restarts", "user", u, "space", spaceID, "rooms", s.passed, "error", s.why)
		}
	}
}

// firstNote says whether key is noted for the first time on this Conn.
func (c *Conn) firstNote(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.noted[key] {
		return false
	}
	if c.noted == nil {
		c.noted = map[string]bool{}
	}
	c.noted[key] = true
	return true
}

// communitySpaces reads every community the bot is in.
func (c *Conn) communitySpaces(ctx context.Context) ([]*space, error) {
	rooms, err := call(ctx, c, func(ctx context.Context) (*mautrix.RespJoinedRooms, error) { return c.cli.JoinedRooms(ctx) })
	if err != nil {
		return nil, err
	}
	var out []*space
	for _, r := range rooms.JoinedRooms {
		// A cheap probe first: most joined rooms are channels.
		var marker map[string]any
		err := do(ctx, c, func(ctx context.Context) error { return c.cli.StateEvent(ctx, r, typeCommunity, "", &marker) })
		if err != nil || len(marker) == 0 {
			if err != nil && !isNotJoined(err) {
				return nil, err
			}
			continue
		}
		sp, err := c.space(ctx, r)
		if errors.Is(err, platform.ErrNotFound) {
			continue // left between the two calls
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, nil
}
