package matrix

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hearth-community/hearth/engine/platform"
)

// Apply carries out one change.
func (c *Conn) Apply(ctx context.Context, req platform.ApplyRequest) (platform.ApplyResponse, error) {
	req, err := platform.CheckApply(req)
	if err != nil {
		return platform.ApplyResponse{}, err
	}
	if err := c.check(ctx); err != nil {
		return platform.ApplyResponse{}, err
	}
	var o platform.Object
	switch req.Kind {
	case platform.KindCommunity:
		o, err = c.applyCommunity(ctx, req)
	case platform.KindChannel:
		o, err = c.applyChannel(ctx, req)
	case platform.KindRole:
		o, err = c.applyRole(ctx, req)
	case platform.KindRoleAssignment:
		o, err = c.applyAssignment(ctx, req)
	case platform.KindPin:
		o, err = c.applyPin(ctx, req)
	default:
		err = fmt.Errorf("%w: %ss on Matrix", platform.ErrUnsupported, req.Kind)
	}
	if err != nil {
		return platform.ApplyResponse{}, err
	}
	o.Address = req.Address
	return platform.ApplyResponse{Object: o}, nil
}

func (c *Conn) createRoom(ctx context.Context, r *mautrix.ReqCreateRoom) (id.RoomID, error) {
	resp, err := call(ctx, c, func(ctx context.Context) (*mautrix.RespCreateRoom, error) { return c.cli.CreateRoom(ctx, r) })
	if err != nil {
		return "", err
	}
	return resp.RoomID, nil
}

func stateEvent(t event.Type, key string, content map[string]any) *event.Event {
	return &event.Event{Type: t, StateKey: &key, Content: event.Content{Raw: content}}
}

func (c *Conn) applyCommunity(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	switch req.Op {
	case platform.OpCreate:
		// People join a community by themselves, as on other platforms:
		// the space is public to join, though not listed in the room
		// directory; private channels inside it are invite-only.
		r := &mautrix.ReqCreateRoom{
			Visibility:      "private",
			Preset:          "public_chat",
			Name:            req.Attrs["title"],
			Topic:           req.Attrs["description"],
			CreationContent: map[string]any{"type": "m.space"},
			InitialState:    []*event.Event{stateEvent(typeCommunity, "", map[string]any{"name": req.Attrs["name"]})},
		}
		room, err := c.createRoom(ctx, r)
		if err != nil {
			return platform.Object{}, err
		}
		return c.lookup(ctx, platform.KindCommunity, "", string(room))
	case platform.OpUpdate:
		sp, err := c.space(ctx, id.RoomID(req.ID))
		if err != nil {
			return platform.Object{}, err
		}
		if v, ok := req.Attrs["name"]; ok {
			if err := c.putState(ctx, sp.id, typeCommunity, "", map[string]any{"name": v}); err != nil {
				return platform.Object{}, err
			}
		}
		if err := c.nameAndTopic(ctx, sp.id, req.Attrs, "title", "description"); err != nil {
			return platform.Object{}, err
		}
		return c.lookup(ctx, platform.KindCommunity, "", req.ID)
	}
	sp, err := c.space(ctx, id.RoomID(req.ID))
	if err != nil {
		return platform.Object{}, err
	}
	before := communityObject(sp)
	for _, ch := range children(sp) {
		if err := c.deleteChannel(ctx, sp, ch.room); err != nil {
			return platform.Object{}, err
		}
	}
	// The marker goes first: a delete that fails after it leaves a room
	// hearth no longer counts as a community, not a half-deleted one.
	if err := c.putState(ctx, sp.id, typeCommunity, "", map[string]any{}); err != nil {
		return platform.Object{}, err
	}
	if err := c.abandon(ctx, sp.id, sp.st, "the community was deleted"); err != nil {
		return platform.Object{}, err
	}
	return before, nil
}

// nameAndTopic sets m.room.name and m.room.topic from the attributes
// that hold them, when the request has them.
func (c *Conn) nameAndTopic(ctx context.Context, room id.RoomID, attrs platform.Attrs, nameKey, topicKey string) error {
	if v, ok := attrs[nameKey]; ok {
		if err := c.putState(ctx, room, event.StateRoomName, "", map[string]any{"name": v}); err != nil {
			return err
		}
	}
	if v, ok := attrs[topicKey]; ok {
		if err := c.putState(ctx, room, event.StateTopic, "", map[string]any{"topic": v}); err != nil {
			return err
		}
	}
	return nil
}

// abandon kicks a room's members and leaves and forgets it: Matrix has no
// delete, and a room nobody is in is gone for its members.
func (c *Conn) abandon(ctx context.Context, room id.RoomID, st mautrix.RoomStateMap, reason string) error {
	for user, ev := range st[event.StateMember] {
		if user == string(c.me) || ev == nil {
			continue
		}
		switch str(ev.Content.Raw, "membership") {
		case "join", "invite", "knock":
			err := do(ctx, c, func(ctx context.Context) error {
				_, err := c.cli.KickUser(ctx, room, &mautrix.ReqKickUser{UserID: id.UserID(user), Reason: reason})
				return err
			})
			if err != nil {
				return err
			}
		}
	}
	if err := do(ctx, c, func(ctx context.Context) error { _, err := c.cli.LeaveRoom(ctx, room); return err }); err != nil {
		return err
	}
	return do(ctx, c, func(ctx context.Context) error { _, err := c.cli.ForgetRoom(ctx, room); return err })
}

// order writes a position as the m.space.child "order" string, which
// clients sort as text: offset so negative positions sort first, padded
// so numbers sort as numbers.
func order(pos int64) string {
	return fmt.Sprintf("%020d", uint64(pos)+1<<63)
}

func (c *Conn) putChild(ctx context.Context, sp *space, ch child) error {
	return c.putState(ctx, sp.id, event.StateSpaceChild, string(ch.room), map[string]any{
		"via": []string{c.server}, "order": order(ch.position),
		keyPosition: ch.position, keyCategory: ch.category, keyCreated: ch.created,
	})
}

// channelRoomVersion is the room version of new channels: restricted
// joins need 8 or later, and 10 is the stable version Synapse and
// Dendrite default to.
const channelRoomVersion = "10"

// Join rules of channels. A channel that is not private is open to the
// members of its community's space, as a Discord or Slack channel is to
// its server's members, and closed to the rest of the world: people
// outside the space are not community members.
const (
	ruleInvite          = "invite"
	ruleRestricted      = "restricted"
	ruleKnockRestricted = "knock_restricted"
	rulePublic          = "public"
	ruleKnock           = "knock"
)

// ruleVersion is the room version each join rule needs first; rules not
// listed are in every version.
var ruleVersion = map[string]int{ruleKnock: 7, ruleRestricted: 8, ruleKnockRestricted: 10}

// ruleOf is the join rule hearth gives a channel: the one given, or the
// one that follows from private.
func ruleOf(attrs platform.Attrs) string {
	if r, ok := attrs["join_rule"]; ok {
		return r
	}
	if attrs["private"] == "true" {
		return ruleInvite
	}
	return ruleRestricted
}

// Derive gives a channel the join rule that follows from private, so a
// room whose rule is another (public, made by an older hearth) is a
// change the plan shows and apply makes.
func (c *Conn) Derive(req platform.DeriveRequest) platform.DeriveResponse {
	if req.Kind != platform.KindChannel {
		return platform.DeriveResponse{}
	}
	return platform.DeriveResponse{Attrs: platform.Attrs{"join_rule": ruleOf(platform.Attrs{"private": req.Attrs["private"]})}}
}

// joinRules is the m.room.join_rules content of a rule; the restricted
// ones allow the members of the community's space.
func joinRules(rule string, sp id.RoomID) (map[string]any, error) {
	switch rule {
	case ruleInvite, rulePublic, ruleKnock:
		return map[string]any{"join_rule": rule}, nil
	case ruleRestricted, ruleKnockRestricted:
		return map[string]any{"join_rule": rule, "allow": []any{
			map[string]any{"type": "m.room_membership", "room_id": string(sp)},
		}}, nil
	}
	return nil, fmt.Errorf("%w: join_rule %q; hearth sets invite, restricted, knock_restricted, public or knock", platform.ErrInvalid, rule)
}

// roomVersion is a room's version as a number; 0 for a version that is
// not a number (an experimental one), which is taken to hold every rule.
func roomVersion(st mautrix.RoomStateMap) (string, int) {
	v := str(raw(st, event.StateCreate, ""), "room_version")
	if v == "" {
		v = "1" // the spec's default when the create event has none
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return v, 0
	}
	return v, n
}

// tooOld says why a room cannot hold rule, or "" when it can.
func tooOld(room id.RoomID, st mautrix.RoomStateMap, rule string) string {
	v, n := roomVersion(st)
	need := ruleVersion[rule]
	if n == 0 || n >= need {
		return ""
	}
	return fmt.Sprintf("room %s is room version %s, and join rule %s needs version %d or later: upgrade the room (in Element, /upgraderoom %s in the room), "+
		"then adopt the new room with an import block and remove the old one from state (hearth state rm)", room, v, rule, need, channelRoomVersion)
}

func (c *Conn) applyChannel(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	sp, err := c.space(ctx, id.RoomID(req.Community))
	if err != nil {
		return platform.Object{}, err
	}
	switch req.Op {
	case platform.OpCreate:
		ch := child{category: req.Attrs["category"], created: time.Now().UnixMilli()}
		if p, ok := req.Attrs["position"]; ok {
			ch.position, _ = strconv.ParseInt(p, 10, 64)
		} else {
			for _, other := range children(sp) {
				ch.position = max(ch.position, other.position+1)
			}
		}
		preset := "public_chat"
		if req.Attrs["private"] == "true" {
			preset = "private_chat"
		}
		rules, err := joinRules(ruleOf(req.Attrs), sp.id)
		if err != nil {
			return platform.Object{}, err
		}
		parent := string(sp.id)
		r := &mautrix.ReqCreateRoom{
			Visibility:  "private",
			Preset:      preset,
			Name:        req.Attrs["name"],
			Topic:       req.Attrs["topic"],
			RoomVersion: channelRoomVersion,
			InitialState: []*event.Event{
				stateEvent(event.StateSpaceParent, parent, map[string]any{"via": []string{c.server}, "canonical": true}),
				stateEvent(event.StateJoinRules, "", rules),
			},
		}
		ch.room, err = c.createRoom(ctx, r)
		if err != nil {
			return platform.Object{}, err
		}
		if err := c.putChild(ctx, sp, ch); err != nil {
			return platform.Object{}, err
		}
		// Members' power levels from their roles hold in the new room too.
		if err := c.copyLevels(ctx, sp, ch.room); err != nil {
			return platform.Object{}, err
		}
		return c.lookup(ctx, platform.KindChannel, req.Community, string(ch.room))
	case platform.OpUpdate:
		ch, ok := childOf(sp, id.RoomID(req.ID))
		if !ok {
			return platform.Object{}, fmt.Errorf("%w: no channel %s in community %s", platform.ErrNotFound, req.ID, sp.id)
		}
		if err := c.nameAndTopic(ctx, ch.room, req.Attrs, "name", "topic"); err != nil {
			return platform.Object{}, err
		}
		if err := c.updateJoinRule(ctx, sp, ch.room, req.Attrs); err != nil {
			return platform.Object{}, err
		}
		_, posOK := req.Attrs["position"]
		_, catOK := req.Attrs["category"]
		if posOK || catOK {
			if posOK {
				ch.position, _ = strconv.ParseInt(req.Attrs["position"], 10, 64)
			}
			if catOK {
				ch.category = req.Attrs["category"]
			}
			if err := c.putChild(ctx, sp, ch); err != nil {
				return platform.Object{}, err
			}
		}
	case platform.OpDelete:
		o, err := c.lookup(ctx, platform.KindChannel, req.Community, req.ID)
		if err != nil {
			return platform.Object{}, err
		}
		return o, c.deleteChannel(ctx, sp, id.RoomID(req.ID))
	}
	return c.lookup(ctx, platform.KindChannel, req.Community, req.ID)
}

// updateJoinRule sets the join rule an update gives (join_rule, or one
// that follows from private), first checking that the room's version can
// hold it, so an old room fails with what to do rather than with the
// homeserver's refusal.
func (c *Conn) updateJoinRule(ctx context.Context, sp *space, room id.RoomID, attrs platform.Attrs) error {
	_, rule := attrs["join_rule"]
	_, private := attrs["private"]
	if !rule && !private {
		return nil
	}
	r := ruleOf(attrs)
	rules, err := joinRules(r, sp.id)
	if err != nil {
		return err
	}
	st, err := c.state(ctx, room)
	if err != nil {
		return err
	}
	if why := tooOld(room, st, r); why != "" {
		return fmt.Errorf("%w: %s", platform.ErrInvalid, why)
	}
	return c.putState(ctx, room, event.StateJoinRules, "", rules)
}

func (c *Conn) deleteChannel(ctx context.Context, sp *space, room id.RoomID) error {
	if _, ok := childOf(sp, room); !ok {
		return fmt.Errorf("%w: no channel %s in community %s", platform.ErrNotFound, room, sp.id)
	}
	if err := c.putState(ctx, sp.id, event.StateSpaceChild, string(room), map[string]any{}); err != nil {
		return err
	}
	// Its pins go with it.
	for _, p := range pins(sp) {
		if p.room == room {
			if err := c.putState(ctx, sp.id, typePin, p.id, map[string]any{}); err != nil {
				return err
			}
		}
	}
	st, err := c.state(ctx, room)
	if err != nil {
		if isNotJoined(err) {
			return nil
		}
		return err
	}
	return c.abandon(ctx, room, st, "the channel was deleted")
}

func newRoleID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "role-" + hex.EncodeToString(b)
}

func (c *Conn) applyRole(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	sp, err := c.space(ctx, id.RoomID(req.Community))
	if err != nil {
		return platform.Object{}, err
	}
	var r role
	if req.Op == platform.OpCreate {
		r = role{id: newRoleID(), created: time.Now().UnixMilli()}
		if _, ok := req.Attrs["position"]; !ok {
			for _, other := range roles(sp) {
				r.position = max(r.position, other.position+1)
			}
		}
	} else {
		var ok bool
		if r, ok = roleByID(sp, req.ID); !ok {
			return platform.Object{}, fmt.Errorf("%w: no role %s in community %s", platform.ErrNotFound, req.ID, sp.id)
		}
	}
	if req.Op == platform.OpDelete {
		if err := c.putState(ctx, sp.id, typeRole, r.id, map[string]any{}); err != nil {
			return platform.Object{}, err
		}
		// Deleting a role takes it from its holders.
		delete(sp.st[typeRole], r.id)
		for _, a := range assignments(sp) {
			if a.role != r.id {
				continue
			}
			if err := c.putState(ctx, sp.id, typeAssignment, a.id(), map[string]any{}); err != nil {
				return platform.Object{}, err
			}
			delete(sp.st[typeAssignment], a.id())
			if err := c.syncLevel(ctx, sp, a.member); err != nil {
				return platform.Object{}, err
			}
		}
		return roleObject(sp.id, r), nil
	}
	for k, v := range req.Attrs {
		switch k {
		case "name":
			r.name = v
		case "color":
			r.color = v
		case "permissions":
			r.permissions = v
		case "hoist":
			r.hoist = v == "true"
		case "mentionable":
			r.mentionable = v == "true"
		case "position":
			r.position, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if err := c.putState(ctx, sp.id, typeRole, r.id, r.content()); err != nil {
		return platform.Object{}, err
	}
	if _, ok := req.Attrs["permissions"]; ok && req.Op == platform.OpUpdate {
		sp.st[typeRole][r.id] = stateEvent(typeRole, r.id, r.content())
		for _, a := range assignments(sp) {
			if a.role == r.id {
				if err := c.syncLevel(ctx, sp, a.member); err != nil {
					return platform.Object{}, err
				}
			}
		}
	}
	return roleObject(sp.id, r), nil
}

func (c *Conn) applyAssignment(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	sp, err := c.space(ctx, id.RoomID(req.Community))
	if err != nil {
		return platform.Object{}, err
	}
	if req.Op == platform.OpDelete {
		if raw(sp.st, typeAssignment, req.ID) == nil {
			return platform.Object{}, fmt.Errorf("%w: no role assignment %s in community %s", platform.ErrNotFound, req.ID, sp.id)
		}
		r, m, _ := strings.Cut(req.ID, "|")
		return assignmentObject(sp.id, assignment{role: r, member: m}), c.unassign(ctx, sp, assignment{role: r, member: m})
	}
	a := assignment{role: req.Attrs["role"], member: req.Attrs["member"]}
	if err := c.assign(ctx, sp, a); err != nil {
		return platform.Object{}, err
	}
	return assignmentObject(sp.id, a), nil
}

// assign gives a role to a member of the space; holding it already is
// success.
func (c *Conn) assign(ctx context.Context, sp *space, a assignment) error {
	if membership(sp, a.member) != "join" {
		return fmt.Errorf("%w: %s is not a member of community %s", platform.ErrNotFound, a.member, sp.id)
	}
	if _, ok := roleByID(sp, a.role); !ok {
		return fmt.Errorf("%w: no role %s in community %s", platform.ErrNotFound, a.role, sp.id)
	}
	if raw(sp.st, typeAssignment, a.id()) != nil {
		return nil
	}
	if err := c.putState(ctx, sp.id, typeAssignment, a.id(), map[string]any{"member": a.member, "role": a.role}); err != nil {
		return err
	}
	if sp.st[typeAssignment] == nil {
		sp.st[typeAssignment] = map[string]*event.Event{}
	}
	sp.st[typeAssignment][a.id()] = stateEvent(typeAssignment, a.id(), map[string]any{"member": a.member, "role": a.role})
	return c.syncLevel(ctx, sp, a.member)
}

// unassign takes a role; not holding it is success.
func (c *Conn) unassign(ctx context.Context, sp *space, a assignment) error {
	if raw(sp.st, typeAssignment, a.id()) == nil {
		return nil
	}
	if err := c.putState(ctx, sp.id, typeAssignment, a.id(), map[string]any{}); err != nil {
		return err
	}
	delete(sp.st[typeAssignment], a.id())
	return c.syncLevel(ctx, sp, a.member)
}
