package matrix

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hearth-community/hearth/engine/platform"
)

// item is one object with its place in its kind's order.
type item struct {
	obj  platform.Object
	sort sortKey
	// warn is a warning about the object for the plan, or "".
	warn string
}

// sortKey orders a listing; page tokens carry the last one, so paging is
// by keyset and objects created or deleted between pages do not shift the
// others.
type sortKey struct {
	N1 int64  `json:"n1,omitempty"`
	S1 string `json:"s1,omitempty"`
	N2 int64  `json:"n2,omitempty"`
	S2 string `json:"s2,omitempty"`
}

func (a sortKey) compare(b sortKey) int {
	return cmp.Or(cmp.Compare(a.N1, b.N1), strings.Compare(a.S1, b.S1), cmp.Compare(a.N2, b.N2), strings.Compare(a.S2, b.S2))
}

type pageToken struct {
	Kind      platform.Kind `json:"k"`
	Community string        `json:"c,omitempty"`
	After     sortKey       `json:"a"`
}

func encodeToken(t pageToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string, kind platform.Kind, community string) (sortKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var t pageToken
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil {
		return sortKey{}, fmt.Errorf("%w: page token %q was not issued by this platform", platform.ErrInvalid, s)
	}
	if t.Kind != kind || t.Community != community {
		return sortKey{}, fmt.Errorf("%w: the page token is for %s in %q, not %s in %q", platform.ErrInvalid, t.Kind, t.Community, kind, community)
	}
	return t.After, nil
}

// Read lists one page of objects.
func (c *Conn) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	if err := c.check(ctx); err != nil {
		return platform.ReadResponse{}, err
	}
	spec, ok := platform.SpecOf(req.Kind)
	if !ok {
		return platform.ReadResponse{}, fmt.Errorf("%w: unknown kind %q", platform.ErrInvalid, req.Kind)
	}
	switch req.Kind {
	case platform.KindMessage, platform.KindDirectMessage:
		return platform.ReadResponse{}, fmt.Errorf("%w: reading %ss from Matrix", platform.ErrUnsupported, req.Kind)
	}
	if spec.Scoped && req.Community == "" {
		return platform.ReadResponse{}, fmt.Errorf("%w: reading %ss needs a community id", platform.ErrInvalid, req.Kind)
	}
	var after *sortKey
	if req.PageToken != "" {
		k, err := decodeToken(req.PageToken, req.Kind, req.Community)
		if err != nil {
			return platform.ReadResponse{}, err
		}
		after = &k
	}
	size := req.PageSize
	if size <= 0 || size > DefaultPageSize {
		size = DefaultPageSize
	}
	var items []item
	var err error
	// Channels are listed from the space's child entries, and only the
	// rooms of the page are read.
	var fill func([]item) error
	if req.Kind == platform.KindCommunity {
		items, err = c.communityItems(ctx)
	} else {
		var sp *space
		sp, err = c.space(ctx, id.RoomID(req.Community))
		if err == nil {
			items, fill, err = c.spaceItems(ctx, sp, req.Kind)
		}
	}
	if err != nil {
		return platform.ReadResponse{}, err
	}
	slices.SortFunc(items, func(a, b item) int { return a.sort.compare(b.sort) })
	if after != nil {
		i, _ := slices.BinarySearchFunc(items, *after, func(it item, k sortKey) int { return it.sort.compare(k) })
		for i < len(items) && items[i].sort.compare(*after) <= 0 {
			i++
		}
		items = items[i:]
	}
	var resp platform.ReadResponse
	if len(items) > size {
		items = items[:size]
		resp.NextPageToken = encodeToken(pageToken{Kind: req.Kind, Community: req.Community, After: items[size-1].sort})
	}
	if fill != nil {
		if err := fill(items); err != nil {
			return platform.ReadResponse{}, err
		}
	}
	for _, it := range items {
		if it.obj.ID != "" {
			resp.Objects = append(resp.Objects, it.obj)
		}
		if it.warn != "" {
			resp.Warnings = append(resp.Warnings, it.warn)
		}
	}
	return resp, nil
}

// space is a community's space and its state.
type space struct {
	id id.RoomID
	st mautrix.RoomStateMap
}

// space reads a community. A room that is not a hearth community (no
// marker, or one cleared by a delete) is ErrNotFound.
func (c *Conn) space(ctx context.Context, room id.RoomID) (*space, error) {
	st, err := c.state(ctx, room)
	if err != nil {
		return nil, fmt.Errorf("community %s: %w", room, err)
	}
	if raw(st, typeCommunity, "") == nil {
		return nil, fmt.Errorf("%w: room %s is not a hearth community", platform.ErrNotFound, room)
	}
	return &space{id: room, st: st}, nil
}

func (c *Conn) communityItems(ctx context.Context) ([]item, error) {
	spaces, err := c.communitySpaces(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]item, 0, len(spaces))
	for _, sp := range spaces {
		out = append(out, item{obj: communityObject(sp), sort: sortKey{N1: createdAt(sp.st), S2: string(sp.id)}})
	}
	return out, nil
}

func createdAt(st mautrix.RoomStateMap) int64 {
	if evs := st[event.StateCreate]; evs != nil && evs[""] != nil {
		return evs[""].Timestamp
	}
	return 0
}

func communityObject(sp *space) platform.Object {
	return platform.Object{Kind: platform.KindCommunity, ID: string(sp.id), Attrs: platform.Attrs{
		"name":        str(raw(sp.st, typeCommunity, ""), "name"),
		"title":       str(raw(sp.st, event.StateRoomName, ""), "name"),
		"description": str(raw(sp.st, event.StateTopic, ""), "topic"),
	}}
}

// child is a channel's entry in its space.
type child struct {
	room     id.RoomID
	position int64
	category string
	created  int64
}

const (
	keyPosition = "org.hearth.position"
	keyCategory = "org.hearth.category"
	keyCreated  = "org.hearth.created"
)

func children(sp *space) []child {
	var out []child
	for key, ev := range sp.st[event.StateSpaceChild] {
		if ev == nil || len(ev.Content.Raw) == 0 {
			continue
		}
		if via, _ := ev.Content.Raw["via"].([]any); len(via) == 0 {
			continue // the spec's "removed"
		}
		r := ev.Content.Raw
		out = append(out, child{room: id.RoomID(key), position: num(r, keyPosition), category: str(r, keyCategory), created: num(r, keyCreated)})
	}
	return out
}

func childOf(sp *space, room id.RoomID) (child, bool) {
	for _, ch := range children(sp) {
		if ch.room == room {
			return ch, true
		}
	}
	return child{}, false
}

func channelObject(community id.RoomID, ch child, st mautrix.RoomStateMap) platform.Object {
	o := platform.Object{Kind: platform.KindChannel, ID: string(ch.room), Community: string(community), Attrs: platform.Attrs{
		"name":     str(raw(st, event.StateRoomName, ""), "name"),
		"topic":    str(raw(st, event.StateTopic, ""), "topic"),
		"position": platform.FormatIntValue(int(ch.position)),
		"category": ch.category,
		"private":  platform.FormatBoolValue(private(st)),
	}}
	if oldOpen(st) == "" {
		o.Attrs["join_rule"] = joinRule(st)
	}
	return o
}

// joinRule is a room's join rule; "invite" when it has none, as the spec
// says.
func joinRule(st mautrix.RoomStateMap) string {
	if r := str(raw(st, event.StateJoinRules, ""), "join_rule"); r != "" {
		return r
	}
	return ruleInvite
}

// private reads a channel's join rule: hearth makes channels that are not
// private "restricted" to the space's members; those and the rules that
// also let the space's members or anyone in by themselves (public, made
// by older versions of hearth, and knock_restricted) are not private. Any
// other rule (invite, knock ...) lets nobody in by themselves.
func private(st mautrix.RoomStateMap) bool {
	switch joinRule(st) {
	case ruleRestricted, ruleKnockRestricted, rulePublic:
		return false
	}
	return true
}

// oldRoomWarning names the channel, its room and its community, says why
// its join rule stays, and what to do.
func oldRoomWarning(sp *space, o platform.Object, why string) string {
	return fmt.Sprintf("Matrix channel %q (room %s) of community %q %s"+
		"anyone may join it, not only the space's members. Upgrade the room to version %s "+
		"(in Element: /upgraderoom %s in the room, updating the space), then move hearth to the new room: "+
		"hearth state rm the channel's address, and hearth state import it with the new room's id.",
		o.Attrs["name"], o.ID, str(raw(sp.st, typeCommunity, ""), "name"), why, channelRoomVersion, channelRoomVersion)
}

// oldOpen says, for a channel that is not private in a room too old for
// the restricted rule hearth would give it, why it stays as it is; ""
// otherwise. Such a room reads without join_rule, since it cannot take
// the one hearth derives, so the plan changes nothing there and warns.
func oldOpen(st mautrix.RoomStateMap) string {
	if private(st) {
		return ""
	}
	v, n := roomVersion(st)
	if n == 0 || n >= ruleVersion[ruleRestricted] {
		return ""
	}
	return fmt.Sprintf("is room version %s, too old for join rule restricted (version %d or later), so its join rule stays %s: ", v, ruleVersion[ruleRestricted], joinRule(st))
}

func (c *Conn) spaceItems(ctx context.Context, sp *space, kind platform.Kind) ([]item, func([]item) error, error) {
	var out []item
	switch kind {
	case platform.KindChannel:
		for _, ch := range children(sp) {
			out = append(out, item{obj: platform.Object{ID: string(ch.room)}, sort: sortKey{N1: ch.position, N2: ch.created, S2: string(ch.room)}})
		}
		byRoom := map[string]child{}
		for _, ch := range children(sp) {
			byRoom[string(ch.room)] = ch
		}
		return out, func(items []item) error {
			for i := range items {
				ch := byRoom[items[i].obj.ID]
				st, err := c.state(ctx, ch.room)
				if err != nil {
					if isNotJoined(err) {
						items[i].obj.ID = "" // the bot was removed from it
						continue
					}
					return err
				}
				items[i].obj = channelObject(sp.id, ch, st)
				if why := oldOpen(st); why != "" {
					items[i].warn = oldRoomWarning(sp, items[i].obj, why)
				}
			}
			return nil
		}, nil
	case platform.KindRole:
		for _, r := range roles(sp) {
			out = append(out, item{obj: roleObject(sp.id, r), sort: sortKey{N1: r.position, N2: r.created, S2: r.id}})
		}
	case platform.KindRoleAssignment:
		rs := map[string]role{}
		for _, r := range roles(sp) {
			rs[r.id] = r
		}
		for _, a := range assignments(sp) {
			out = append(out, item{obj: assignmentObject(sp.id, a), sort: sortKey{S1: a.member, N2: rs[a.role].created, S2: a.role}})
		}
	case platform.KindMember:
		for _, m := range c.members(sp) {
			out = append(out, item{obj: memberObject(sp, m), sort: sortKey{N1: m.Timestamp, S2: *m.StateKey}})
		}
	case platform.KindPin:
		live, err := c.livePins(ctx, sp)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range live {
			out = append(out, item{obj: pinObject(sp.id, p), sort: sortKey{N1: p.created, S2: p.id}})
		}
	}
	return out, nil, nil
}

// role is a role as kept in its space.
type role struct {
	id          string
	name        string
	color       string
	permissions string
	hoist       bool
	mentionable bool
	position    int64
	created     int64
}

func roleFrom(key string, r map[string]any) role {
	b := func(k string) bool { v, _ := r[k].(bool); return v }
	return role{id: key, name: str(r, "name"), color: str(r, "color"), permissions: str(r, "permissions"),
		hoist: b("hoist"), mentionable: b("mentionable"), position: num(r, "position"), created: num(r, "created")}
}

func (r role) content() map[string]any {
	return map[string]any{"name": r.name, "color": r.color, "permissions": r.permissions, "hoist": r.hoist,
		"mentionable": r.mentionable, "position": r.position, "created": r.created}
}

func roles(sp *space) []role {
	var out []role
	for key, ev := range sp.st[typeRole] {
		if ev != nil && len(ev.Content.Raw) > 0 {
			out = append(out, roleFrom(key, ev.Content.Raw))
		}
	}
	return out
}

func roleByID(sp *space, rid string) (role, bool) {
	r := raw(sp.st, typeRole, rid)
	if r == nil {
		return role{}, false
	}
	return roleFrom(rid, r), true
}

func roleObject(community id.RoomID, r role) platform.Object {
	return platform.Object{Kind: platform.KindRole, ID: r.id, Community: string(community), Attrs: platform.Attrs{
		"name": r.name, "color": r.color, "permissions": r.permissions, "hoist": platform.FormatBoolValue(r.hoist),
		"mentionable": platform.FormatBoolValue(r.mentionable), "position": platform.FormatIntValue(int(r.position)),
	}}
}

type assignment struct{ role, member string }

func (a assignment) id() string { return a.role + "|" + a.member }

func assignments(sp *space) []assignment {
	var out []assignment
	for key, ev := range sp.st[typeAssignment] {
		if ev == nil || len(ev.Content.Raw) == 0 {
			continue
		}
		r, m, ok := strings.Cut(key, "|")
		if ok {
			out = append(out, assignment{role: r, member: m})
		}
	}
	return out
}

func assignmentObject(community id.RoomID, a assignment) platform.Object {
	return platform.Object{Kind: platform.KindRoleAssignment, ID: a.id(), Community: string(community),
		Attrs: platform.Attrs{"member": a.member, "role": a.role}}
}

// members are the space's joined members, the bot left out.
func (c *Conn) members(sp *space) []*event.Event {
	var out []*event.Event
	for key, ev := range sp.st[event.StateMember] {
		if ev == nil || key == string(c.me) || str(ev.Content.Raw, "membership") != "join" {
			continue
		}
		out = append(out, ev)
	}
	return out
}

func membership(sp *space, user string) string {
	return str(raw(sp.st, event.StateMember, user), "membership")
}

func memberObject(sp *space, ev *event.Event) platform.Object {
	user := *ev.StateKey
	name := str(ev.Content.Raw, "displayname")
	if name == "" {
		name = strings.TrimPrefix(strings.SplitN(user, ":", 2)[0], "@")
	}
	muted := ""
	if m := raw(sp.st, typeMute, muteKey(user)); m != nil {
		muted = str(m, "until")
	}
	return platform.Object{Kind: platform.KindMember, ID: user, Community: string(sp.id), Attrs: platform.Attrs{
		"name":        name,
		"joined_at":   platform.FormatTimeValue(time.UnixMilli(ev.Timestamp)),
		"muted_until": muted,
	}}
}

// Import finds one object by id.
func (c *Conn) Import(ctx context.Context, req platform.ImportRequest) (platform.ImportResponse, error) {
	if err := c.check(ctx); err != nil {
		return platform.ImportResponse{}, err
	}
	o, err := c.lookup(ctx, req.Kind, req.Community, req.ID)
	if err != nil {
		return platform.ImportResponse{}, err
	}
	o.Address = req.Address
	return platform.ImportResponse{Object: o}, nil
}

func (c *Conn) lookup(ctx context.Context, kind platform.Kind, community, oid string) (platform.Object, error) {
	notFound := fmt.Errorf("%w: no %s %q", platform.ErrNotFound, kind, oid)
	switch kind {
	case platform.KindCommunity:
		sp, err := c.space(ctx, id.RoomID(oid))
		if err != nil {
			return platform.Object{}, err
		}
		return communityObject(sp), nil
	case platform.KindChannel:
		st, err := c.state(ctx, id.RoomID(oid))
		if err != nil {
			return platform.Object{}, err
		}
		for parent := range st[event.StateSpaceParent] {
			if community != "" && parent != community {
				continue
			}
			sp, err := c.space(ctx, id.RoomID(parent))
			if err != nil {
				continue
			}
			if ch, ok := childOf(sp, id.RoomID(oid)); ok {
				return channelObject(sp.id, ch, st), nil
			}
		}
		return platform.Object{}, notFound
	case platform.KindMember:
		if community == "" {
			return platform.Object{}, fmt.Errorf("%w: importing a member needs its community", platform.ErrInvalid)
		}
		sp, err := c.space(ctx, id.RoomID(community))
		if err != nil {
			return platform.Object{}, err
		}
		for _, m := range c.members(sp) {
			if *m.StateKey == oid {
				return memberObject(sp, m), nil
			}
		}
		return platform.Object{}, notFound
	case platform.KindRole, platform.KindRoleAssignment, platform.KindPin:
		// Role ids do not name their space: look in the given one, or in
		// every community the bot is in.
		spaces := []id.RoomID{id.RoomID(community)}
		if community == "" {
			items, err := c.communityItems(ctx)
			if err != nil {
				return platform.Object{}, err
			}
			spaces = spaces[:0]
			for _, it := range items {
				spaces = append(spaces, id.RoomID(it.obj.ID))
			}
		}
		for _, s := range spaces {
			sp, err := c.space(ctx, s)
			if err != nil {
				if community != "" {
					return platform.Object{}, err
				}
				continue
			}
			switch kind {
			case platform.KindRole:
				if r, ok := roleByID(sp, oid); ok {
					return roleObject(sp.id, r), nil
				}
				continue
			case platform.KindPin:
				live, err := c.livePins(ctx, sp)
				if err != nil {
					return platform.Object{}, err
				}
				for _, p := range live {
					if p.id == oid {
						return pinObject(sp.id, p), nil
					}
				}
				continue
			}
			if raw(sp.st, typeAssignment, oid) != nil {
				r, m, _ := strings.Cut(oid, "|")
				return assignmentObject(sp.id, assignment{role: r, member: m}), nil
			}
		}
		return platform.Object{}, notFound
	case platform.KindMessage, platform.KindDirectMessage:
		return platform.Object{}, fmt.Errorf("%w: importing %ss from Matrix", platform.ErrUnsupported, kind)
	}
	return platform.Object{}, fmt.Errorf("%w: unknown kind %q", platform.ErrInvalid, kind)
}
