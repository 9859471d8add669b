package local

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hearth-community/hearth/engine/platform"
)

// Limits of the emulated platform, Discord's where it has one, so that
// a configuration that applies here does not fail on the real thing for
// a reason the local platform could have shown.
const (
	MaxNameLen  = 100  // channel, role, community, category and member names
	MaxTopicLen = 1024 // channel topics
	MaxTextLen  = 2000 // messages, pins, direct messages
	MaxPins     = 50   // pinned messages per channel
	MaxMute     = 28 * 24 * time.Hour
)

// Permissions are the role permissions the local platform knows; others
// are refused, as a real platform refuses a permission it does not have.
var Permissions = []string{
	"add_reactions", "administrator", "attach_files", "ban_members", "create_invites",
	"embed_links", "kick_members", "manage_channels", "manage_community", "manage_messages",
	"manage_roles", "mention_everyone", "moderate_members", "mute_members",
	"read_message_history", "send_messages", "view_channel",
}

// Apply carries out one change.
//
// Names: channel and role names may repeat within a community, as on
// Discord, so the engine must track objects by id and never by name.
// Community names are unique in the workspace (ErrConflict), because
// events name their community by it.
//
// Deletes cascade as on a real platform: deleting a community deletes
// everything in it, a channel its messages, a role its assignments.
// Deleting a pin unpins the message and deletes it when the app (hearth)
// wrote it; a member's message stays, unpinned.
func (c *Conn) Apply(ctx context.Context, req platform.ApplyRequest) (platform.ApplyResponse, error) {
	var resp platform.ApplyResponse
	req, err := platform.CheckApply(req)
	if err != nil {
		return resp, err
	}
	if err := checkLimits(req.Attrs); err != nil {
		return resp, err
	}
	if err := c.admit(ctx, Call{Apply: &req}); err != nil {
		return resp, err
	}
	err = c.update(ctx, func(d *db) (bool, error) {
		if req.Community != "" && d.communities[req.Community] == nil {
			return false, fmt.Errorf("community %q: %w", req.Community, platform.ErrNotFound)
		}
		now := c.now().UTC()
		var err error
		switch req.Op {
		case platform.OpCreate:
			resp.Object, err = d.create(req, now)
		case platform.OpUpdate:
			resp.Object, err = d.modify(req)
		case platform.OpDelete:
			resp.Object, err = d.remove(req)
		}
		return err == nil, err
	})
	if err != nil {
		return platform.ApplyResponse{}, fmt.Errorf("%s %s: %w", req.Op, describe(req.Kind, req.ID, req.Address), err)
	}
	resp.Object.Address = req.Address
	c.log.Debug("applied", "op", req.Op, "kind", req.Kind, "id", resp.Object.ID, "address", req.Address)
	return resp, nil
}

func describe(k platform.Kind, id, addr string) string {
	switch {
	case addr != "":
		return addr
	case id != "":
		return string(k) + " " + id
	}
	return string(k)
}

// checkLimits enforces the platform's length limits and permission
// names; keys are already known to be valid for the kind.
func checkLimits(attrs platform.Attrs) error {
	for k, v := range attrs {
		limit := 0
		switch k {
		case "name", "title", "category":
			limit = MaxNameLen
		case "topic", "description":
			limit = MaxTopicLen
		case "text":
			limit = MaxTextLen
		case "permissions":
			for _, p := range platform.SplitList(v) {
				if _, ok := slices.BinarySearch(Permissions, p); !ok {
					return fmt.Errorf("%w: the local platform has no permission %q (it has %s)", platform.ErrInvalid, p, strings.Join(Permissions, ", "))
				}
			}
		}
		if limit > 0 && utf8.RuneCountInString(v) > limit {
			return fmt.Errorf("%w: %s is longer than %d characters", platform.ErrInvalid, k, limit)
		}
	}
	return nil
}

func (d *db) create(req platform.ApplyRequest, now time.Time) (platform.Object, error) {
	a := req.Attrs
	switch req.Kind {
	case platform.KindCommunity:
		if err := d.uniqueCommunity(a["name"], ""); err != nil {
			return platform.Object{}, err
		}
		co := &Community{ID: d.next(preCommunity), Name: a["name"], Title: a["title"], Description: a["description"], CreatedAt: now}
		d.communities[co.ID] = co
		return communityObject(co), nil
	case platform.KindChannel:
		ch := &Channel{Community: req.Community, CreatedAt: now, Position: d.nextPosition(req.Community, platform.KindChannel)}
		if err := setChannel(ch, a); err != nil {
			return platform.Object{}, err
		}
		ch.ID = d.next(preChannel)
		d.channels[ch.ID] = ch
		return channelObject(ch), nil
	case platform.KindRole:
		r := &Role{Community: req.Community, CreatedAt: now, Position: d.nextPosition(req.Community, platform.KindRole)}
		if err := setRole(r, a); err != nil {
			return platform.Object{}, err
		}
		r.ID = d.next(preRole)
		d.roles[r.ID] = r
		return roleObject(r), nil
	case platform.KindRoleAssignment:
		ra, _, err := d.assign(req.Community, a["member"], a["role"], now)
		if err != nil {
			return platform.Object{}, err
		}
		return assignmentObject(ra), nil
	case platform.KindPin:
		ch := d.channels[a["channel"]]
		if ch == nil || ch.Community != req.Community {
			return platform.Object{}, notFound(platform.KindChannel, a["channel"])
		}
		if n := d.pinCount(ch.ID); n >= MaxPins {
			return platform.Object{}, fmt.Errorf("%w: channel %s already has %d pinned messages, the most it can have", platform.ErrConflict, ch.ID, n)
		}
		m := &Message{ID: d.next(preMessage), Community: req.Community, Channel: ch.ID, Text: a["text"], PostedAt: now, Pinned: true, PinnedAt: now}
		d.messages[m.ID] = m
		return pinObject(m), nil
	}
	return platform.Object{}, fmt.Errorf("%w: cannot create a %s", platform.ErrUnsupported, req.Kind)
}

func (d *db) modify(req platform.ApplyRequest) (platform.Object, error) {
	o, ok := d.lookup(req.Kind, req.ID, req.Community)
	if !ok {
		return platform.Object{}, notFound(req.Kind, req.ID)
	}
	a := req.Attrs
	switch req.Kind {
	case platform.KindCommunity:
		co := d.communities[req.ID]
		if name, ok := a["name"]; ok {
			if err := d.uniqueCommunity(name, co.ID); err != nil {
				return platform.Object{}, err
			}
		}
		next := *co
		setIf(&next.Name, a, "name")
		setIf(&next.Title, a, "title")
		setIf(&next.Description, a, "description")
		*co = next
		return communityObject(co), nil
	case platform.KindChannel:
		ch := d.channels[req.ID]
		next := *ch
		if err := setChannel(&next, a); err != nil {
			return platform.Object{}, err
		}
		*ch = next
		return channelObject(ch), nil
	case platform.KindRole:
		r := d.roles[req.ID]
		next := *r
		if err := setRole(&next, a); err != nil {
			return platform.Object{}, err
		}
		*r = next
		return roleObject(r), nil
	case platform.KindPin:
		m := d.messages[req.ID]
		if text, ok := a["text"]; ok {
			if m.Author != "" {
				return platform.Object{}, platform.Permanent(fmt.Errorf("message %s was written by %s; only the app's own messages can be edited", m.ID, m.Author))
			}
			m.Text = text
		}
		return pinObject(m), nil
	}
	// Kinds without changeable attributes: CheckApply let through only
	// an update that changes nothing.
	return o, nil
}

func (d *db) remove(req platform.ApplyRequest) (platform.Object, error) {
	o, ok := d.lookup(req.Kind, req.ID, req.Community)
	if !ok {
		return platform.Object{}, notFound(req.Kind, req.ID)
	}
	switch req.Kind {
	case platform.KindCommunity:
		d.deleteCommunity(req.ID)
	case platform.KindChannel:
		d.deleteChannel(req.ID)
	case platform.KindRole:
		delete(d.roles, req.ID)
		for id, a := range d.assignments {
			if a.Role == req.ID {
				delete(d.assignments, id)
			}
		}
	case platform.KindRoleAssignment:
		delete(d.assignments, req.ID)
	case platform.KindPin:
		m := d.messages[req.ID]
		if m.Author == "" {
			delete(d.messages, m.ID)
		} else {
			m.Pinned, m.PinnedAt = false, time.Time{}
		}
	default:
		return platform.Object{}, fmt.Errorf("%w: cannot delete a %s", platform.ErrUnsupported, req.Kind)
	}
	return o, nil
}

func setIf(dst *string, a platform.Attrs, key string) {
	if v, ok := a[key]; ok {
		*dst = v
	}
}

func setChannel(ch *Channel, a platform.Attrs) error {
	setIf(&ch.Name, a, "name")
	setIf(&ch.Topic, a, "topic")
	setIf(&ch.Category, a, "category")
	if v, ok := a["position"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%w: position %q: %v", platform.ErrInvalid, v, err)
		}
		ch.Position = n
	}
	if v, ok := a["private"]; ok {
		ch.Private = v == "true"
	}
	return nil
}

func setRole(r *Role, a platform.Attrs) error {
	setIf(&r.Name, a, "name")
	setIf(&r.Color, a, "color")
	if v, ok := a["permissions"]; ok {
		r.Permissions = platform.SplitList(v)
	}
	if v, ok := a["hoist"]; ok {
		r.Hoist = v == "true"
	}
	if v, ok := a["mentionable"]; ok {
		r.Mentionable = v == "true"
	}
	if v, ok := a["position"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%w: position %q: %v", platform.ErrInvalid, v, err)
		}
		r.Position = n
	}
	return nil
}

func (d *db) uniqueCommunity(name, self string) error {
	for _, co := range d.communities {
		if co.Name == name && co.ID != self {
			return fmt.Errorf("%w: community %s is already named %q; community names are unique in a local workspace", platform.ErrConflict, co.ID, name)
		}
	}
	return nil
}

// nextPosition puts a new channel or role after the last, as platforms
// do when no position is given.
func (d *db) nextPosition(community string, k platform.Kind) int {
	last := -1
	switch k {
	case platform.KindChannel:
		for _, ch := range d.channels {
			if ch.Community == community {
				last = max(last, ch.Position)
			}
		}
	case platform.KindRole:
		for _, r := range d.roles {
			if r.Community == community {
				last = max(last, r.Position)
			}
		}
	}
	return last + 1
}

func (d *db) pinCount(channel string) int {
	n := 0
	for _, m := range d.messages {
		if m.Channel == channel && m.Pinned {
			n++
		}
	}
	return n
}

// assign gives a member a role; holding it already returns the existing
// assignment and false.
func (d *db) assign(community, member, role string, now time.Time) (*RoleAssignment, bool, error) {
	if d.membership(community, member) == nil {
		return nil, false, d.notIn(community, member)
	}
	if r := d.roles[role]; r == nil || r.Community != community {
		return nil, false, notFound(platform.KindRole, role)
	}
	ra := &RoleAssignment{Community: community, Member: member, Role: role, AssignedAt: now}
	if old := d.assignments[ra.ID()]; old != nil {
		return old, false, nil
	}
	d.assignments[ra.ID()] = ra
	return ra, true, nil
}

func (d *db) deleteChannel(id string) {
	delete(d.channels, id)
	for mid, m := range d.messages {
		if m.Channel == id {
			delete(d.messages, mid)
		}
	}
}

func (d *db) deleteCommunity(id string) {
	delete(d.communities, id)
	for cid, ch := range d.channels {
		if ch.Community == id {
			d.deleteChannel(cid)
		}
	}
	for rid, r := range d.roles {
		if r.Community == id {
			delete(d.roles, rid)
		}
	}
	for aid, a := range d.assignments {
		if a.Community == id {
			delete(d.assignments, aid)
		}
	}
	for mid, m := range d.dms {
		if m.Community == id {
			delete(d.dms, mid)
		}
	}
	delete(d.memberships, id)
	delete(d.bans, id)
}

// removeMember takes a member out of a community with their roles and
// mute, as leaving, a kick and a ban all do.
func (d *db) removeMember(community, member string) {
	delete(d.memberships[community], member)
	for aid, a := range d.assignments {
		if a.Community == community && a.Member == member {
			delete(d.assignments, aid)
		}
	}
}
