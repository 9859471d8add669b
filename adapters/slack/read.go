package slack

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/hearth-community/hearth/adapters/internal/pagetoken"
	"github.com/hearth-community/hearth/engine/platform"
)

// Page tokens wrap Slack's cursor with the kind it pages, so a token of
// one listing is refused by another.
const tokens pagetoken.Prefix = "slack1:"

// Read returns one page of objects.
func (c *Conn) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	resp, done, err := c.block().Read(req, tokens)
	if done {
		return resp, err
	}
	cursor, err := tokens.Parse(req.Kind, req.PageToken)
	if err != nil {
		return resp, err
	}
	size := req.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	switch req.Kind {
	case platform.KindChannel:
		var chans []slack.Channel
		var next string
		err = c.retry(ctx, "conversations.list", func() (err error) {
			chans, next, err = c.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
				Cursor: cursor, Limit: size, ExcludeArchived: true, Types: []string{"public_channel", "private_channel"}, TeamID: c.team})
			return err
		})
		for _, ch := range chans {
			if !ch.IsArchived {
				resp.Objects = append(resp.Objects, c.channelObject(ch))
			}
		}
		resp.NextPageToken = tokens.Make(req.Kind, next)
	case platform.KindRole:
		if cursor != "" { // one page: usergroups.list does not page
			return resp, fmt.Errorf("%w: roles come in one page", platform.ErrInvalid)
		}
		groups, err := c.groups(ctx, false, false)
		if err != nil {
			return resp, err
		}
		for _, g := range groups {
			resp.Objects = append(resp.Objects, c.roleObject(g))
		}
	case platform.KindRoleAssignment:
		if cursor != "" {
			return resp, fmt.Errorf("%w: role assignments come in one page", platform.ErrInvalid)
		}
		groups, err := c.groups(ctx, true, false)
		if err != nil {
			return resp, err
		}
		for _, g := range groups {
			for _, u := range g.Users {
				resp.Objects = append(resp.Objects, c.assignmentObject(u, g.ID))
			}
		}
		slices.SortStableFunc(resp.Objects, func(a, b platform.Object) int { return cmp.Compare(a.Attrs["member"], b.Attrs["member"]) })
	case platform.KindMember:
		var users []slack.User
		var next string
		err = c.retry(ctx, "users.list", func() error {
			p := c.api.GetUsersPaginated(slack.GetUsersOptionLimit(size), slack.GetUsersOptionTeamID(c.team))
			p.Cursor = cursor
			p, err := p.Next(ctx)
			if err != nil {
				return err
			}
			users, next = p.Users, p.Cursor
			return nil
		})
		for _, u := range users {
			if person(u) {
				resp.Objects = append(resp.Objects, c.memberObject(u))
			}
		}
		resp.NextPageToken = tokens.Make(req.Kind, next)
	case platform.KindPin:
		if cursor != "" {
			return resp, fmt.Errorf("%w: pins come in one page", platform.ErrInvalid)
		}
		resp.Objects, err = c.allPins(ctx)
	default:
		return resp, fmt.Errorf("%w: slack cannot list %ss", platform.ErrUnsupported, req.Kind)
	}
	if err != nil {
		return platform.ReadResponse{}, err
	}
	return resp, nil
}

// person tells people from bots, Slackbot and deactivated accounts.
func person(u slack.User) bool {
	return !u.Deleted && !u.IsBot && !u.IsAppUser && u.ID != "USLACKBOT"
}

func (c *Conn) channelObject(ch slack.Channel) platform.Object {
	return platform.Object{Kind: platform.KindChannel, ID: ch.ID, Community: c.team, Attrs: platform.Attrs{
		"name": ch.Name, "topic": ch.Topic.Value, "purpose": ch.Purpose.Value, "private": platform.FormatBoolValue(ch.IsPrivate)}}
}

func (c *Conn) roleObject(g slack.UserGroup) platform.Object {
	return platform.Object{Kind: platform.KindRole, ID: g.ID, Community: c.team, Attrs: platform.Attrs{"name": g.Name}}
}

func (c *Conn) assignmentObject(member, role string) platform.Object {
	return platform.Object{Kind: platform.KindRoleAssignment, ID: member + ":" + role, Community: c.team,
		Attrs: platform.Attrs{"member": member, "role": role}}
}

func (c *Conn) memberObject(u slack.User) platform.Object {
	name := u.RealName
	if name == "" {
		name = u.Name
	}
	return platform.Object{Kind: platform.KindMember, ID: u.ID, Community: c.team, Attrs: platform.Attrs{"name": name}}
}

// groups lists user groups; enabled ones unless disabled is set.
func (c *Conn) groups(ctx context.Context, users, disabled bool) ([]slack.UserGroup, error) {
	var out []slack.UserGroup
	err := c.retry(ctx, "usergroups.list", func() (err error) {
		out, err = c.api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(users),
			slack.GetUserGroupsOptionIncludeDisabled(disabled), slack.GetUserGroupsOptionTeamID(c.team))
		return err
	})
	if !disabled {
		out = slices.DeleteFunc(out, func(g slack.UserGroup) bool { return g.DateDelete != 0 })
	}
	return out, err
}

// group finds one user group, enabled or not.
func (c *Conn) group(ctx context.Context, id string) (slack.UserGroup, error) {
	all, err := c.groups(ctx, true, true)
	if err != nil {
		return slack.UserGroup{}, err
	}
	for _, g := range all {
		if g.ID == id {
			return g, nil
		}
	}
	return slack.UserGroup{}, fmt.Errorf("user group %s: %w", id, platform.ErrNotFound)
}

// conversation reads one live (not archived) conversation.
func (c *Conn) conversation(ctx context.Context, id string) (slack.Channel, error) {
	var ch *slack.Channel
	err := c.retry(ctx, "conversations.info", func() (err error) {
		ch, err = c.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
		return err
	})
	if err != nil {
		return slack.Channel{}, err
	}
	if ch.IsArchived || ch.IsIM || ch.IsMpIM {
		return slack.Channel{}, fmt.Errorf("conversation %s is archived: %w", id, platform.ErrNotFound)
	}
	return *ch, nil
}

// allPins lists the pinned messages of every conversation.
func (c *Conn) allPins(ctx context.Context) ([]platform.Object, error) {
	var out []platform.Object
	cursor := ""
	for {
		var chans []slack.Channel
		var next string
		err := c.retry(ctx, "conversations.list", func() (err error) {
			chans, next, err = c.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
				Cursor: cursor, Limit: 200, ExcludeArchived: true, Types: []string{"public_channel", "private_channel"}, TeamID: c.team})
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, ch := range chans {
			pins, err := c.pins(ctx, ch.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, pins...)
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

func (c *Conn) pins(ctx context.Context, channel string) ([]platform.Object, error) {
	var items []slack.Item
	err := c.retry(ctx, "pins.list", func() (err error) {
		items, _, err = c.api.ListPinsContext(ctx, channel)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []platform.Object
	for _, it := range items {
		if it.Type != "message" || it.Message == nil {
			continue
		}
		out = append(out, c.pinObject(channel, *it.Message))
	}
	return out, nil
}

func (c *Conn) pinObject(channel string, m slack.Message) platform.Object {
	author := m.User
	if m.BotID != "" {
		author = ""
	}
	return platform.Object{Kind: platform.KindPin, ID: channel + "/" + m.Timestamp, Community: c.team,
		Attrs: platform.Attrs{"channel": channel, "text": m.Text, "author": author}}
}

// Import looks up one object by id.
func (c *Conn) Import(ctx context.Context, req platform.ImportRequest) (platform.ImportResponse, error) {
	var resp platform.ImportResponse
	if c.closed.Load() {
		return resp, errClosed
	}
	if req.Community != "" && req.Community != c.team {
		return resp, fmt.Errorf("community %q: %w", req.Community, platform.ErrNotFound)
	}
	var o platform.Object
	var err error
	switch req.Kind {
	case platform.KindCommunity:
		if req.ID != c.team {
			return resp, fmt.Errorf("workspace %q: this platform block is %s: %w", req.ID, c.team, platform.ErrNotFound)
		}
		o = c.block().Object()
	case platform.KindChannel:
		var ch slack.Channel
		if ch, err = c.conversation(ctx, req.ID); err == nil {
			o = c.channelObject(ch)
		}
	case platform.KindRole:
		var g slack.UserGroup
		if g, err = c.group(ctx, req.ID); err == nil {
			if g.DateDelete != 0 {
				err = fmt.Errorf("user group %s is disabled: %w", req.ID, platform.ErrNotFound)
			}
			o = c.roleObject(g)
		}
	case platform.KindRoleAssignment:
		member, role, ok := strings.Cut(req.ID, ":")
		if !ok {
			return resp, fmt.Errorf("%w: a role assignment id is MEMBER:ROLE", platform.ErrInvalid)
		}
		var g slack.UserGroup
		if g, err = c.group(ctx, role); err == nil {
			if g.DateDelete != 0 || !slices.Contains(g.Users, member) {
				err = fmt.Errorf("%s does not hold user group %s: %w", member, role, platform.ErrNotFound)
			}
			o = c.assignmentObject(member, role)
		}
	case platform.KindMember:
		var u *slack.User
		err = c.retry(ctx, "users.info", func() (err error) {
			u, err = c.api.GetUserInfoContext(ctx, req.ID)
			return err
		})
		if err == nil {
			if !person(*u) {
				err = fmt.Errorf("user %s is not a member: %w", req.ID, platform.ErrNotFound)
			}
			o = c.memberObject(*u)
		}
	case platform.KindPin:
		o, err = c.pin(ctx, req.ID)
	default:
		return resp, fmt.Errorf("%w: slack cannot import %ss", platform.ErrUnsupported, req.Kind)
	}
	if err != nil {
		return resp, err
	}
	o.Address = req.Address
	resp.Object = o
	return resp, nil
}

// pin finds one pinned message by its id, CHANNEL/TS.
func (c *Conn) pin(ctx context.Context, id string) (platform.Object, error) {
	channel, ts, ok := strings.Cut(id, "/")
	if !ok {
		return platform.Object{}, fmt.Errorf("%w: a pin id is CHANNEL/TS", platform.ErrInvalid)
	}
	pins, err := c.pins(ctx, channel)
	if err != nil {
		return platform.Object{}, err
	}
	for _, p := range pins {
		if p.ID == channel+"/"+ts {
			return p, nil
		}
	}
	return platform.Object{}, fmt.Errorf("pin %s: %w", id, platform.ErrNotFound)
}
