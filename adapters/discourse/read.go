package discourse

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hearth-community/hearth/adapters/internal/pagetoken"
	"github.com/hearth-community/hearth/engine/platform"
)

// Page tokens: "discourse1:" and base64 of KIND, a NUL and the position
// to continue at: "POSITION:ID" of the last category listed (keyset, so
// categories added or removed between pages shift nothing), or the next
// page number for groups and members.
const tokens pagetoken.Prefix = "discourse1:"

func pageNumber(k platform.Kind, tok string, first int) (int, error) {
	at, err := tokens.Parse(k, tok)
	if err != nil || at == "" {
		return first, err
	}
	n, err := strconv.Atoi(at)
	if err != nil || n < first {
		return 0, fmt.Errorf("%w: page token %q is damaged", platform.ErrInvalid, tok)
	}
	return n, nil
}

// Read returns one page of objects.
func (c *Conn) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	resp, done, err := c.block().Read(req, tokens)
	if done {
		return resp, err
	}
	switch req.Kind {
	case platform.KindChannel:
		resp, err = c.readCategories(ctx, req)
	case platform.KindRole:
		var page int
		if page, err = pageNumber(req.Kind, req.PageToken, 0); err != nil {
			return resp, err
		}
		var groups []Group
		var more bool
		err = c.retry(ctx, func() (err error) { groups, more, err = c.api.Groups(ctx, page); return err })
		for _, g := range groups {
			if !g.Automatic {
				resp.Objects = append(resp.Objects, c.roleObject(g))
			}
		}
		if more {
			resp.NextPageToken = tokens.Make(req.Kind, strconv.Itoa(page+1))
		}
	case platform.KindRoleAssignment:
		if req.PageToken != "" {
			return resp, fmt.Errorf("%w: role assignments come in one page", platform.ErrInvalid)
		}
		resp.Objects, err = c.assignments(ctx)
	case platform.KindMember:
		var page int
		if page, err = pageNumber(req.Kind, req.PageToken, 1); err != nil {
			return resp, err
		}
		var users []User
		err = c.retry(ctx, func() (err error) { users, err = c.api.Users(ctx, page); return err })
		for _, u := range users {
			if c.member(u) {
				resp.Objects = append(resp.Objects, c.memberObject(u))
			}
		}
		if len(users) == UsersPage {
			resp.NextPageToken = tokens.Make(req.Kind, strconv.Itoa(page+1))
		}
	default:
		return resp, fmt.Errorf("%w: discourse cannot list %ss", platform.ErrUnsupported, req.Kind)
	}
	if err != nil {
		return platform.ReadResponse{}, err
	}
	return resp, nil
}

// readCategories pages the categories, which /site.json gives at once, in
// position order.
func (c *Conn) readCategories(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	var resp platform.ReadResponse
	after, err := tokens.Parse(req.Kind, req.PageToken)
	if err != nil {
		return resp, err
	}
	var afterPos, afterID int
	if after != "" {
		p, i, ok := strings.Cut(after, ":")
		var e1, e2 error
		afterPos, e1 = strconv.Atoi(p)
		afterID, e2 = strconv.Atoi(i)
		if !ok || e1 != nil || e2 != nil {
			return resp, fmt.Errorf("%w: page token %q is damaged", platform.ErrInvalid, req.PageToken)
		}
	}
	cats, err := c.categories(ctx)
	if err != nil {
		return resp, err
	}
	size := req.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	names := map[int]string{}
	for _, ct := range cats {
		names[ct.ID] = ct.Name
	}
	for _, ct := range cats {
		if after != "" && cmp.Or(cmp.Compare(ct.Position, afterPos), cmp.Compare(ct.ID, afterID)) <= 0 {
			continue
		}
		if len(resp.Objects) == size {
			last := resp.Objects[len(resp.Objects)-1]
			resp.NextPageToken = tokens.Make(req.Kind, last.Attrs["position"]+":"+last.ID)
			break
		}
		resp.Objects = append(resp.Objects, c.channelObject(ct, names))
	}
	return resp, nil
}

// categories lists every category in position order.
func (c *Conn) categories(ctx context.Context) ([]Category, error) {
	var cats []Category
	err := c.retry(ctx, func() (err error) { cats, err = c.api.Categories(ctx); return err })
	slices.SortFunc(cats, func(a, b Category) int { return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID)) })
	return cats, err
}

func (c *Conn) channelObject(ct Category, names map[int]string) platform.Object {
	return platform.Object{Kind: platform.KindChannel, ID: strconv.Itoa(ct.ID), Community: c.id, Attrs: platform.Attrs{
		"name": ct.Name, "topic": ct.Description, "position": strconv.Itoa(ct.Position), "category": names[ct.ParentID],
		"private": platform.FormatBoolValue(ct.ReadRestricted), "color": c.colorOf(ct.Color)}}
}

// colorOf reads a category's color: "" when it is the color setting
// (what categories get when the configuration gives none), else #rrggbb.
func (c *Conn) colorOf(hex string) string {
	if strings.EqualFold(hex, c.color) || len(hex) != 6 {
		return ""
	}
	v, err := platform.Canonical(platform.FormatColor, "#"+hex)
	if err != nil {
		return ""
	}
	return v
}

// colorFor writes a channel's color as Discourse takes it.
func (c *Conn) colorFor(v string) string {
	if v == "" {
		return c.color
	}
	return strings.ToUpper(strings.TrimPrefix(v, "#"))
}

func (c *Conn) roleObject(g Group) platform.Object {
	name := g.FullName
	if name == "" {
		name = g.Name
	}
	return platform.Object{Kind: platform.KindRole, ID: strconv.Itoa(g.ID), Community: c.id, Attrs: platform.Attrs{"name": name}}
}

func (c *Conn) assignmentObject(member, role string) platform.Object {
	return platform.Object{Kind: platform.KindRoleAssignment, ID: member + ":" + role, Community: c.id,
		Attrs: platform.Attrs{"member": member, "role": role}}
}

// member tells community members from the API's own user and suspended
// (banned) users.
func (c *Conn) member(u User) bool {
	return !strings.EqualFold(u.Username, c.api.Username) && (u.SuspendedTill == nil || !u.SuspendedTill.After(c.now()))
}

func (c *Conn) memberObject(u User) platform.Object {
	name := u.Name
	if name == "" {
		name = u.Username
	}
	muted := ""
	if u.SilencedTill != nil {
		muted = platform.FormatTimeValue(*u.SilencedTill)
	}
	return platform.Object{Kind: platform.KindMember, ID: strconv.Itoa(u.ID), Community: c.id, Attrs: platform.Attrs{
		"name": name, "joined_at": platform.FormatTimeValue(u.CreatedAt), "muted_until": muted}}
}

// allGroups lists the groups hearth can manage (not automatic ones).
func (c *Conn) allGroups(ctx context.Context) ([]Group, error) {
	var out []Group
	for page := 0; ; page++ {
		var groups []Group
		var more bool
		if err := c.retry(ctx, func() (err error) { groups, more, err = c.api.Groups(ctx, page); return err }); err != nil {
			return nil, err
		}
		for _, g := range groups {
			if !g.Automatic {
				out = append(out, g)
			}
		}
		if !more || len(groups) == 0 {
			return out, nil
		}
	}
}

func (c *Conn) group(ctx context.Context, id string) (Group, error) {
	groups, err := c.allGroups(ctx)
	if err != nil {
		return Group{}, err
	}
	for _, g := range groups {
		if strconv.Itoa(g.ID) == id {
			return g, nil
		}
	}
	return Group{}, fmt.Errorf("group %s: %w", id, platform.ErrNotFound)
}

func (c *Conn) assignments(ctx context.Context) ([]platform.Object, error) {
	groups, err := c.allGroups(ctx)
	if err != nil {
		return nil, err
	}
	var out []platform.Object
	for _, g := range groups {
		var ms []GroupMember
		if err := c.retry(ctx, func() (err error) { ms, err = c.api.GroupMembers(ctx, g.Name); return err }); err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, c.assignmentObject(strconv.Itoa(m.ID), strconv.Itoa(g.ID)))
		}
	}
	slices.SortStableFunc(out, func(a, b platform.Object) int { return cmp.Compare(a.Attrs["member"], b.Attrs["member"]) })
	return out, nil
}

// userID reads a member id; one that is not a number names no user.
func userID(id string) (int, error) {
	n, err := strconv.Atoi(id)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("user %q: %w", id, platform.ErrNotFound)
	}
	return n, nil
}

// user reads one user who is a member.
func (c *Conn) user(ctx context.Context, id string) (User, error) {
	n, err := userID(id)
	if err != nil {
		return User{}, err
	}
	var u User
	if err := c.retry(ctx, func() (err error) { u, err = c.api.User(ctx, n); return err }); err != nil {
		return User{}, err
	}
	return u, nil
}

// Import looks up one object by id.
func (c *Conn) Import(ctx context.Context, req platform.ImportRequest) (platform.ImportResponse, error) {
	var resp platform.ImportResponse
	if c.closed.Load() {
		return resp, errClosed
	}
	if req.Community != "" && req.Community != c.id {
		return resp, fmt.Errorf("community %q: %w", req.Community, platform.ErrNotFound)
	}
	var o platform.Object
	var err error
	switch req.Kind {
	case platform.KindCommunity:
		if req.ID != c.id {
			return resp, fmt.Errorf("forum %q: this platform block is %s: %w", req.ID, c.id, platform.ErrNotFound)
		}
		o = c.block().Object()
	case platform.KindChannel:
		o, err = c.channel(ctx, req.ID)
	case platform.KindRole:
		var g Group
		if g, err = c.group(ctx, req.ID); err == nil {
			o = c.roleObject(g)
		}
	case platform.KindRoleAssignment:
		member, role, ok := strings.Cut(req.ID, ":")
		if !ok {
			return resp, fmt.Errorf("%w: a role assignment id is MEMBER:ROLE", platform.ErrInvalid)
		}
		var held bool
		if held, err = c.holds(ctx, member, role); err == nil && !held {
			err = fmt.Errorf("%s is not in group %s: %w", member, role, platform.ErrNotFound)
		}
		o = c.assignmentObject(member, role)
	case platform.KindMember:
		var u User
		if u, err = c.user(ctx, req.ID); err == nil {
			if !c.member(u) {
				err = fmt.Errorf("user %s is not a member (suspended): %w", req.ID, platform.ErrNotFound)
			}
			o = c.memberObject(u)
		}
	default:
		return resp, fmt.Errorf("%w: discourse cannot import %ss", platform.ErrUnsupported, req.Kind)
	}
	if err != nil {
		return resp, err
	}
	o.Address = req.Address
	resp.Object = o
	return resp, nil
}

// channel reads one category as a channel.
func (c *Conn) channel(ctx context.Context, id string) (platform.Object, error) {
	cats, err := c.categories(ctx)
	if err != nil {
		return platform.Object{}, err
	}
	names := map[int]string{}
	for _, ct := range cats {
		names[ct.ID] = ct.Name
	}
	for _, ct := range cats {
		if strconv.Itoa(ct.ID) == id {
			return c.channelObject(ct, names), nil
		}
	}
	return platform.Object{}, fmt.Errorf("category %s: %w", id, platform.ErrNotFound)
}

func (c *Conn) holds(ctx context.Context, member, role string) (bool, error) {
	g, err := c.group(ctx, role)
	if err != nil {
		return false, err
	}
	var ms []GroupMember
	if err := c.retry(ctx, func() (err error) { ms, err = c.api.GroupMembers(ctx, g.Name); return err }); err != nil {
		return false, err
	}
	return slices.ContainsFunc(ms, func(m GroupMember) bool { return strconv.Itoa(m.ID) == member }), nil
}
