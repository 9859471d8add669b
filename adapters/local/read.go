package local

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hearth-community/hearth/engine/platform"
)

// viewItem is an object with its place in its kind's order.
type viewItem struct {
	key [2]int64
	obj platform.Object
}

func cmpKey(a, b [2]int64) int {
	return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
}

// Read returns a page of objects. Pages are keyset pages, like Discord's
// "after" parameter: the token holds the sort key of the last object
// returned and the next page starts after it, so objects created or
// deleted between pages never make the listing skip or repeat the
// others. (An object whose position changes while a listing pages may be
// seen twice or not at all, as on every platform.)
func (c *Conn) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	var resp platform.ReadResponse
	spec, ok := platform.SpecOf(req.Kind)
	if !ok {
		return resp, fmt.Errorf("reading %q: %w: the local platform has no such kind", req.Kind, platform.ErrUnsupported)
	}
	if req.PageSize < 0 {
		return resp, fmt.Errorf("%w: negative page size", platform.ErrInvalid)
	}
	size := req.PageSize
	if size == 0 || size > c.pageSize {
		size = c.pageSize
	}
	after, hasAfter, err := parseToken(req.Kind, req.PageToken)
	if err != nil {
		return resp, err
	}
	err = c.view(ctx, func(d *db) error {
		if err := checkScope(d, spec, req.Community); err != nil {
			return err
		}
		items := d.view(req.Kind, req.Community)
		start := 0
		if hasAfter {
			start, _ = slices.BinarySearchFunc(items, after, func(it viewItem, k [2]int64) int {
				if cmpKey(it.key, k) <= 0 {
					return -1
				}
				return 1
			})
		}
		end := min(start+size, len(items))
		resp.Objects = make([]platform.Object, 0, end-start)
		for _, it := range items[start:end] {
			resp.Objects = append(resp.Objects, it.obj.Clone())
		}
		if end < len(items) {
			resp.NextPageToken = makeToken(req.Kind, items[end-1].key)
		}
		return nil
	})
	return resp, err
}

func checkScope(d *db, spec platform.KindSpec, community string) error {
	switch {
	case spec.Scoped && community == "":
		return fmt.Errorf("%w: a %s is in a community; the request has no community id", platform.ErrInvalid, spec.Kind)
	case !spec.Scoped && community != "":
		return fmt.Errorf("%w: a %s is not in a community, yet the request names one", platform.ErrInvalid, spec.Kind)
	case spec.Scoped && d.communities[community] == nil:
		return fmt.Errorf("community %q: %w", community, platform.ErrNotFound)
	}
	return nil
}

// Tokens are opaque to callers; inside they are "KIND|A|B", base64url.
func makeToken(k platform.Kind, key [2]int64) string {
	raw := string(k) + "|" + strconv.FormatInt(key[0], 10) + "|" + strconv.FormatInt(key[1], 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func parseToken(k platform.Kind, tok string) ([2]int64, bool, error) {
	if tok == "" {
		return [2]int64{}, false, nil
	}
	bad := fmt.Errorf("%w: page token %q was not issued by the local platform for %s", platform.ErrInvalid, tok, k)
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return [2]int64{}, false, bad
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] != string(k) {
		return [2]int64{}, false, bad
	}
	a, err1 := strconv.ParseInt(parts[1], 10, 64)
	b, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return [2]int64{}, false, bad
	}
	return [2]int64{a, b}, true, nil
}

// view is the sorted listing of one kind in one community, built once
// per version of the data: a plan reading ten thousand channels in pages
// of fifty sorts them once, not two hundred times.
func (d *db) view(k platform.Kind, community string) []viewItem {
	vk := string(k) + "/" + community
	if v, ok := d.views[vk]; ok {
		return v
	}
	var items []viewItem
	add := func(key [2]int64, o platform.Object) { items = append(items, viewItem{key, o}) }
	switch k {
	case platform.KindCommunity:
		for _, co := range d.communities {
			add([2]int64{0, idNum(preCommunity, co.ID)}, communityObject(co))
		}
	case platform.KindChannel:
		for _, ch := range d.channels {
			if ch.Community == community {
				add([2]int64{int64(ch.Position), idNum(preChannel, ch.ID)}, channelObject(ch))
			}
		}
	case platform.KindRole:
		for _, r := range d.roles {
			if r.Community == community {
				add([2]int64{int64(r.Position), idNum(preRole, r.ID)}, roleObject(r))
			}
		}
	case platform.KindRoleAssignment:
		for _, a := range d.assignments {
			if a.Community == community {
				add([2]int64{d.memberNum(a.Member), idNum(preRole, a.Role)}, assignmentObject(a))
			}
		}
	case platform.KindPin:
		for _, m := range d.messages {
			if m.Community == community && m.Pinned {
				add([2]int64{m.PinnedAt.UnixNano(), idNum(preMessage, m.ID)}, pinObject(m))
			}
		}
	case platform.KindMember:
		for _, ms := range d.memberships[community] {
			add([2]int64{ms.JoinedAt.UnixNano(), d.memberNum(ms.Member)}, memberObject(d.members[ms.Member], ms))
		}
	case platform.KindMessage:
		for _, m := range d.messages {
			if m.Community == community {
				add([2]int64{0, idNum(preMessage, m.ID)}, messageObject(m))
			}
		}
	case platform.KindDirectMessage:
		for _, m := range d.dms {
			if m.Community == community {
				add([2]int64{0, idNum(preDM, m.ID)}, dmObject(m))
			}
		}
	}
	slices.SortFunc(items, func(a, b viewItem) int { return cmpKey(a.key, b.key) })
	if d.views == nil {
		d.views = map[string][]viewItem{}
	}
	d.views[vk] = items
	return items
}

// Import looks one object up by id.
func (c *Conn) Import(ctx context.Context, req platform.ImportRequest) (platform.ImportResponse, error) {
	var resp platform.ImportResponse
	spec, ok := platform.SpecOf(req.Kind)
	if !ok {
		return resp, fmt.Errorf("importing %q: %w: the local platform has no such kind", req.Kind, platform.ErrUnsupported)
	}
	if !spec.Scoped && req.Community != "" {
		return resp, fmt.Errorf("%w: a %s is not in a community, yet the request names one", platform.ErrInvalid, req.Kind)
	}
	if req.Kind == platform.KindMember && req.Community == "" {
		return resp, fmt.Errorf("%w: a member is looked up within a community; the request has no community id", platform.ErrInvalid)
	}
	err := c.view(ctx, func(d *db) error {
		o, ok := d.lookup(req.Kind, req.ID, req.Community)
		if !ok {
			return notFound(req.Kind, req.ID)
		}
		o.Address = req.Address
		resp.Object = o
		return nil
	})
	return resp, err
}

func notFound(k platform.Kind, id string) error {
	return fmt.Errorf("%s %q: %w", k, id, platform.ErrNotFound)
}

// lookup finds one object; with a community, only in it.
func (d *db) lookup(k platform.Kind, id, community string) (platform.Object, bool) {
	var o platform.Object
	switch k {
	case platform.KindCommunity:
		if co := d.communities[id]; co != nil {
			o = communityObject(co)
		}
	case platform.KindChannel:
		if ch := d.channels[id]; ch != nil {
			o = channelObject(ch)
		}
	case platform.KindRole:
		if r := d.roles[id]; r != nil {
			o = roleObject(r)
		}
	case platform.KindRoleAssignment:
		if a := d.assignments[id]; a != nil {
			o = assignmentObject(a)
		}
	case platform.KindPin:
		if m := d.messages[id]; m != nil && m.Pinned {
			o = pinObject(m)
		}
	case platform.KindMessage:
		if m := d.messages[id]; m != nil {
			o = messageObject(m)
		}
	case platform.KindDirectMessage:
		if m := d.dms[id]; m != nil {
			o = dmObject(m)
		}
	case platform.KindMember:
		// A member is only an object within a community.
		if ms := d.membership(community, id); ms != nil {
			o = memberObject(d.members[id], ms)
		}
	}
	if o.ID == "" || (community != "" && o.Community != community) {
		return platform.Object{}, false
	}
	return o, true
}

// The conversions write every documented attribute, in canonical form.

func communityObject(c *Community) platform.Object {
	return platform.Object{Kind: platform.KindCommunity, ID: c.ID, Attrs: platform.Attrs{
		"name": c.Name, "title": c.Title, "description": c.Description,
	}}
}

func channelObject(c *Channel) platform.Object {
	return platform.Object{Kind: platform.KindChannel, ID: c.ID, Community: c.Community, Attrs: platform.Attrs{
		"name": c.Name, "topic": c.Topic, "position": platform.FormatIntValue(c.Position),
		"category": c.Category, "private": platform.FormatBoolValue(c.Private),
	}}
}

func roleObject(r *Role) platform.Object {
	perms, _ := platform.FormatListValue(r.Permissions) // checked when set
	return platform.Object{Kind: platform.KindRole, ID: r.ID, Community: r.Community, Attrs: platform.Attrs{
		"name": r.Name, "color": r.Color, "permissions": perms,
		"hoist": platform.FormatBoolValue(r.Hoist), "mentionable": platform.FormatBoolValue(r.Mentionable),
		"position": platform.FormatIntValue(r.Position),
	}}
}

func assignmentObject(a *RoleAssignment) platform.Object {
	return platform.Object{Kind: platform.KindRoleAssignment, ID: a.ID(), Community: a.Community, Attrs: platform.Attrs{
		"member": a.Member, "role": a.Role,
	}}
}

func pinObject(m *Message) platform.Object {
	return platform.Object{Kind: platform.KindPin, ID: m.ID, Community: m.Community, Attrs: platform.Attrs{
		"channel": m.Channel, "text": m.Text, "author": m.Author,
	}}
}

func memberObject(m *Member, ms *Membership) platform.Object {
	return platform.Object{Kind: platform.KindMember, ID: m.ID, Community: ms.Community, Attrs: platform.Attrs{
		"name": m.Name, "joined_at": platform.FormatTimeValue(ms.JoinedAt),
		"muted_until": platform.FormatTimeValue(ms.MutedUntil),
	}}
}

func messageObject(m *Message) platform.Object {
	return platform.Object{Kind: platform.KindMessage, ID: m.ID, Community: m.Community, Attrs: platform.Attrs{
		"channel": m.Channel, "author": m.Author, "text": m.Text,
		"pinned": platform.FormatBoolValue(m.Pinned), "posted_at": platform.FormatTimeValue(m.PostedAt),
	}}
}

func dmObject(m *DirectMessage) platform.Object {
	return platform.Object{Kind: platform.KindDirectMessage, ID: m.ID, Community: m.Community, Attrs: platform.Attrs{
		"member": m.Member, "author": m.Author, "text": m.Text,
		"posted_at": platform.FormatTimeValue(m.SentAt),
	}}
}
