package discourse

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hearth-community/hearth/adapters/internal/single"
	"github.com/hearth-community/hearth/engine/platform"
)

// Apply carries out one change. Attributes Discourse does not have (role
// color, permissions, hoist, mentionable and position; community title
// and description) are not read, so plan never changes them; when a
// create or update carries them they are left out.
func (c *Conn) Apply(ctx context.Context, req platform.ApplyRequest) (platform.ApplyResponse, error) {
	return c.block().Apply(ctx, req, map[platform.Kind]single.Func{
		platform.KindChannel:        c.applyCategory,
		platform.KindRole:           c.applyGroup,
		platform.KindRoleAssignment: c.applyMembership,
	})
}

func permissions(private string) map[string]any {
	if private == "true" {
		return map[string]any{"staff": 1}
	}
	return map[string]any{"everyone": 1}
}

// parent finds the top-level category a channel's "category" names,
// creating it when the forum has none, as a section is made on first use.
func (c *Conn) parent(ctx context.Context, name string) (int, error) {
	if name == "" {
		return 0, nil
	}
	cats, err := c.categories(ctx)
	if err != nil {
		return 0, err
	}
	for _, ct := range cats {
		if ct.ParentID == 0 && strings.EqualFold(ct.Name, name) {
			return ct.ID, nil
		}
	}
	var ct Category
	err = c.retry(ctx, func() (err error) {
		ct, err = c.api.CreateCategory(ctx, map[string]any{"name": name, "color": c.color, "text_color": c.textColor})
		return err
	})
	return ct.ID, err
}

func (c *Conn) applyCategory(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	a := req.Attrs
	fields := map[string]any{}
	if v, ok := a["name"]; ok {
		fields["name"] = v
	}
	if v, ok := a["topic"]; ok {
		fields["description"] = v
	}
	if v, ok := a["position"]; ok {
		n, _ := strconv.Atoi(v)
		fields["position"] = n
	}
	if v, ok := a["private"]; ok {
		fields["permissions"] = permissions(v)
	}
	if v, ok := a["color"]; ok {
		fields["color"] = c.colorFor(v)
	}
	var id int
	if req.Op != platform.OpCreate {
		if _, err := c.channel(ctx, req.ID); err != nil {
			return platform.Object{}, err
		}
		id, _ = strconv.Atoi(req.ID)
	}
	if req.Op == platform.OpDelete {
		o, _ := c.channel(ctx, req.ID)
		return o, c.retry(ctx, func() error { return c.api.DeleteCategory(ctx, id) })
	}
	if v, ok := a["category"]; ok {
		p, err := c.parent(ctx, v)
		if err != nil {
			return platform.Object{}, err
		}
		fields["parent_category_id"] = p
	}
	var ct Category
	var err error
	if req.Op == platform.OpCreate {
		if _, ok := fields["color"]; !ok {
			fields["color"] = c.color
		}
		fields["text_color"] = c.textColor
		if _, ok := fields["permissions"]; !ok {
			fields["permissions"] = permissions("false")
		}
		err = c.retry(ctx, func() (err error) { ct, err = c.api.CreateCategory(ctx, fields); return err })
	} else {
		err = c.retry(ctx, func() (err error) { ct, err = c.api.UpdateCategory(ctx, id, fields); return err })
	}
	if err != nil {
		return platform.Object{}, err
	}
	return c.channel(ctx, strconv.Itoa(ct.ID))
}

var groupNameRe = regexp.MustCompile(`[^a-z0-9_]+`)

// groupName makes a group's name (its @mention, letters, digits and
// underscores): the role block's name from the address, or else the
// shown name.
func groupName(address, name string) string {
	n := name
	if i := strings.LastIndex(address, ".role."); i >= 0 {
		n = address[i+len(".role."):]
	}
	n = strings.Trim(groupNameRe.ReplaceAllString(strings.ToLower(n), "_"), "_")
	if n == "" {
		n = "group"
	}
	if len(n) > 60 {
		n = n[:60]
	}
	return n
}

func (c *Conn) applyGroup(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	switch req.Op {
	case platform.OpCreate:
		name := req.Attrs["name"]
		var g Group
		err := c.retry(ctx, func() (err error) {
			g, err = c.api.CreateGroup(ctx, map[string]any{"name": groupName(req.Address, name), "full_name": name, "visibility_level": c.groupVis})
			return err
		})
		if err != nil {
			return platform.Object{}, err
		}
		return c.roleObject(g), nil
	case platform.OpUpdate:
		g, err := c.group(ctx, req.ID)
		if err != nil {
			return platform.Object{}, err
		}
		if n, ok := req.Attrs["name"]; ok && n != g.FullName {
			if err := c.retry(ctx, func() error { return c.api.UpdateGroup(ctx, g.ID, map[string]any{"full_name": n}) }); err != nil {
				return platform.Object{}, err
			}
			g.FullName = n
		}
		return c.roleObject(g), nil
	default:
		g, err := c.group(ctx, req.ID)
		if err != nil {
			return platform.Object{}, err
		}
		return c.roleObject(g), c.retry(ctx, func() error { return c.api.DeleteGroup(ctx, g.ID) })
	}
}

func (c *Conn) applyMembership(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	member, role := req.Attrs["member"], req.Attrs["role"]
	switch req.Op {
	case platform.OpUpdate:
		return platform.Object{}, fmt.Errorf("%w: a role assignment has nothing to update", platform.ErrInvalid)
	case platform.OpDelete:
		var ok bool
		if member, role, ok = strings.Cut(req.ID, ":"); !ok {
			return platform.Object{}, fmt.Errorf("%w: a role assignment id is MEMBER:ROLE", platform.ErrInvalid)
		}
		held, err := c.setMember(ctx, member, role, false, c.retry)
		if err == nil && !held {
			err = fmt.Errorf("%s is not in group %s: %w", member, role, platform.ErrNotFound)
		}
		return c.assignmentObject(member, role), err
	}
	_, err := c.setMember(ctx, member, role, true, c.retry)
	return c.assignmentObject(member, role), err
}

// caller runs one API call: retry for Apply, once for Perform.
type caller func(ctx context.Context, call func() error) error

func once(_ context.Context, call func() error) error { return call() }

// setMember puts a member in a group or takes them out and reports
// whether they were in it. Adding someone already in it, or taking out
// someone not in it, changes nothing.
func (c *Conn) setMember(ctx context.Context, member, role string, add bool, call caller) (bool, error) {
	uid, err := userID(member)
	if err != nil {
		return false, err
	}
	gid, err := strconv.Atoi(role)
	if err != nil {
		return false, fmt.Errorf("group %q: %w", role, platform.ErrNotFound)
	}
	// A user that does not exist would be "invalid parameters"; say
	// not found, as for every other missing member.
	if err := call(ctx, func() error { _, err := c.api.User(ctx, uid); return err }); err != nil {
		return false, err
	}
	if add {
		err := call(ctx, func() error { return c.api.AddMembers(ctx, gid, uid) })
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == 422 && strings.Contains(strings.Join(ae.Errors, " "), "already a member") {
			return true, nil
		}
		return false, err
	}
	var n int
	err = call(ctx, func() (err error) { n, err = c.api.RemoveMembers(ctx, gid, uid); return err })
	return n > 0, err
}
