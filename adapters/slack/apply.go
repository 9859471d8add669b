package slack

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/hearth-community/hearth/adapters/internal/single"
	"github.com/hearth-community/hearth/engine/platform"
)

// Apply carries out one change. Attributes Slack does not have (channel
// position and category, role color, permissions, hoist, mentionable and
// position, community title and description) are not read, so plan never
// changes them; when a create or update carries them they are left out.
func (c *Conn) Apply(ctx context.Context, req platform.ApplyRequest) (platform.ApplyResponse, error) {
	return c.block().Apply(ctx, req, map[platform.Kind]single.Func{
		platform.KindChannel:        c.applyChannel,
		platform.KindRole:           c.applyRole,
		platform.KindRoleAssignment: c.applyAssignment,
		platform.KindPin:            c.applyPin,
	})
}

func (c *Conn) applyChannel(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	a := req.Attrs
	if req.Op == platform.OpCreate {
		var ch *slack.Channel
		err := c.retry(ctx, "conversations.create", func() (err error) {
			ch, err = c.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: a["name"], IsPrivate: a["private"] == "true", TeamID: c.team})
			return err
		})
		if code(err) == "name_taken" {
			return platform.Object{}, c.nameTaken(ctx, a["name"], err)
		}
		if err != nil {
			return platform.Object{}, err
		}
		// The channel exists from here on: a failed topic or purpose
		// gives it back with the error (platform.Applier), so state
		// records it and the next plan sets what is left.
		made := *ch
		if t := a["topic"]; t != "" {
			next, err := c.setTopic(ctx, made.ID, t)
			if err != nil {
				return c.channelObject(made), err
			}
			made.Topic = next.Topic
		}
		if p := a["purpose"]; p != "" {
			next, err := c.setPurpose(ctx, made.ID, p)
			if err != nil {
				return c.channelObject(made), err
			}
			made.Purpose = next.Purpose
		}
		return c.channelObject(made), nil
	}
	cur, err := c.conversation(ctx, req.ID)
	if err != nil {
		return platform.Object{}, err
	}
	if req.Op == platform.OpDelete {
		// Apps cannot delete conversations; archiving takes them out of
		// every listing and keeps their history.
		return c.channelObject(cur), c.retry(ctx, "conversations.archive", func() error {
			return c.api.ArchiveConversationContext(ctx, cur.ID)
		})
	}
	if p, ok := a["private"]; ok && p != platform.FormatBoolValue(cur.IsPrivate) {
		if c.admin == nil {
			return platform.Object{}, fmt.Errorf("%w: changing whether a channel is private needs admin_token (admin.conversations.convertToPrivate and convertToPublic)", platform.ErrUnsupported)
		}
		method, convert := "admin.conversations.convertToPrivate", c.admin.AdminConversationsConvertToPrivate
		if p == "false" {
			method, convert = "admin.conversations.convertToPublic", c.admin.AdminConversationsConvertToPublic
		}
		if err := c.retry(ctx, method, func() error { return convert(ctx, cur.ID) }); err != nil {
			return platform.Object{}, err
		}
		cur.IsPrivate = p == "true"
	}
	if n, ok := a["name"]; ok && n != cur.Name {
		err := c.retry(ctx, "conversations.rename", func() error {
			ch, err := c.api.RenameConversationContext(ctx, cur.ID, n)
			if err == nil {
				cur.Name = ch.Name
			}
			return err
		})
		if err != nil {
			return platform.Object{}, err
		}
	}
	if t, ok := a["topic"]; ok && t != cur.Topic.Value {
		ch, err := c.setTopic(ctx, cur.ID, t)
		if err != nil {
			return platform.Object{}, err
		}
		cur.Topic = ch.Topic
	}
	if p, ok := a["purpose"]; ok && p != cur.Purpose.Value {
		ch, err := c.setPurpose(ctx, cur.ID, p)
		if err != nil {
			return platform.Object{}, err
		}
		cur.Purpose = ch.Purpose
	}
	return c.channelObject(cur), nil
}

// nameTaken explains a create refused with name_taken: the conversation
// that has the name, with its id for an import block when it is live;
// an archived one keeps its name, and cannot be adopted until it is
// unarchived.
func (c *Conn) nameTaken(ctx context.Context, name string, err error) error {
	cursor := ""
	for {
		var chans []slack.Channel
		var next string
		if lerr := c.retry(ctx, "conversations.list", func() (lerr error) {
			chans, next, lerr = c.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
				Cursor: cursor, Limit: 200, Types: []string{"public_channel", "private_channel"}, TeamID: c.team})
			return lerr
		}); lerr != nil {
			return err
		}
		for _, ch := range chans {
			if ch.Name != name {
				continue
			}
			if ch.IsArchived {
				return fmt.Errorf("%w: the archived conversation %s (id %s) keeps the name #%s; unarchive it in Slack to adopt it with an import block, or rename it or the channel block", err, ch.Name, ch.ID, name)
			}
			return platform.Exists(fmt.Errorf("%w: conversation #%s exists already (id %s)", err, name, ch.ID), ch.ID)
		}
		if next == "" {
			return err
		}
		cursor = next
	}
}

func (c *Conn) setPurpose(ctx context.Context, id, purpose string) (*slack.Channel, error) {
	var ch *slack.Channel
	err := c.retry(ctx, "conversations.setPurpose", func() (err error) {
		ch, err = c.api.SetPurposeOfConversationContext(ctx, id, purpose)
		return err
	})
	return ch, err
}

func (c *Conn) setTopic(ctx context.Context, id, topic string) (*slack.Channel, error) {
	var ch *slack.Channel
	err := c.retry(ctx, "conversations.setTopic", func() (err error) {
		ch, err = c.api.SetTopicOfConversationContext(ctx, id, topic)
		return err
	})
	return ch, err
}

var handleRe = regexp.MustCompile(`[^a-z0-9._-]+`)

// handle makes a user group's mention handle: the role block's name from
// the address, or else the name, in Slack's handle characters.
func handle(address, name string) string {
	h := name
	if i := strings.LastIndex(address, ".role."); i >= 0 {
		h = address[i+len(".role."):]
	}
	h = strings.Trim(handleRe.ReplaceAllString(strings.ToLower(h), "-"), "-")
	if h == "" {
		h = "group"
	}
	return h
}

func (c *Conn) applyRole(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	switch req.Op {
	case platform.OpCreate:
		name := req.Attrs["name"]
		h := handle(req.Address, name)
		// Slack keeps disabled groups and their names: one hearth
		// disabled (deleted, or emptied) is enabled again.
		all, err := c.groups(ctx, false, true)
		if err != nil {
			return platform.Object{}, err
		}
		for _, g := range all {
			if g.DateDelete != 0 && (strings.EqualFold(g.Name, name) || g.Handle == h) {
				if err := c.retry(ctx, "usergroups.enable", func() error {
					_, err := c.api.EnableUserGroupContext(ctx, g.ID, slack.EnableUserGroupOptionTeamID(c.team))
					return err
				}); err != nil {
					return platform.Object{}, err
				}
				return c.updateGroup(ctx, g.ID, name)
			}
		}
		var g slack.UserGroup
		err = c.retry(ctx, "usergroups.create", func() (err error) {
			g, err = c.api.CreateUserGroupContext(ctx, slack.UserGroup{Name: name, Handle: h, TeamID: c.team})
			return err
		})
		if err != nil {
			return platform.Object{}, err
		}
		return c.roleObject(g), nil
	case platform.OpUpdate:
		g, err := c.group(ctx, req.ID)
		if err == nil && g.DateDelete != 0 {
			err = fmt.Errorf("user group %s is disabled: %w", req.ID, platform.ErrNotFound)
		}
		if err != nil {
			return platform.Object{}, err
		}
		if n, ok := req.Attrs["name"]; ok && n != g.Name {
			return c.updateGroup(ctx, g.ID, n)
		}
		return c.roleObject(g), nil
	default:
		g, err := c.group(ctx, req.ID)
		if err == nil && g.DateDelete != 0 {
			err = fmt.Errorf("user group %s is disabled: %w", req.ID, platform.ErrNotFound)
		}
		if err != nil {
			return platform.Object{}, err
		}
		// Slack never deletes user groups; disabling one takes it off
		// its members and out of every listing.
		return c.roleObject(g), c.retry(ctx, "usergroups.disable", func() error {
			_, err := c.api.DisableUserGroupContext(ctx, g.ID, slack.DisableUserGroupOptionTeamID(c.team))
			return err
		})
	}
}

func (c *Conn) updateGroup(ctx context.Context, id, name string) (platform.Object, error) {
	var g slack.UserGroup
	err := c.retry(ctx, "usergroups.update", func() (err error) {
		g, err = c.api.UpdateUserGroupContext(ctx, id, slack.UpdateUserGroupsOptionName(name), slack.UpdateUserGroupsOptionTeamID(c.team))
		return err
	})
	return c.roleObject(g), err
}

func (c *Conn) applyAssignment(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	member, role := req.Attrs["member"], req.Attrs["role"]
	if req.Op == platform.OpDelete {
		var ok bool
		if member, role, ok = strings.Cut(req.ID, ":"); !ok {
			return platform.Object{}, fmt.Errorf("%w: a role assignment id is MEMBER:ROLE", platform.ErrInvalid)
		}
		held, err := c.setMember(ctx, member, role, false, c.retry)
		if err != nil {
			return platform.Object{}, err
		}
		if !held {
			return platform.Object{}, fmt.Errorf("%s does not hold user group %s: %w", member, role, platform.ErrNotFound)
		}
		return c.assignmentObject(member, role), nil
	}
	if req.Op == platform.OpUpdate {
		return platform.Object{}, fmt.Errorf("%w: a role assignment has nothing to update", platform.ErrInvalid)
	}
	_, err := c.setMember(ctx, member, role, true, c.retry)
	return c.assignmentObject(member, role), err
}

// setMember adds a member to a user group or takes them out, and reports
// whether they held it before. Slack replaces the whole list
// (usergroups.users.update) and refuses an empty one, so taking the last
// member out disables the group and adding to a disabled group enables
// it. The read and the write are two calls: a change made by someone
// else between them is overwritten, which Slack gives no way to avoid.
func (c *Conn) setMember(ctx context.Context, member, role string, add bool, call caller) (bool, error) {
	g, err := c.group(ctx, role)
	if err != nil {
		return false, err
	}
	disabled := g.DateDelete != 0
	held := !disabled && slices.Contains(g.Users, member)
	switch {
	case add && held, !add && !held:
		return held, nil
	case !add && len(g.Users) == 1:
		return true, call(ctx, "usergroups.disable", func() error {
			_, err := c.api.DisableUserGroupContext(ctx, g.ID, slack.DisableUserGroupOptionTeamID(c.team))
			return err
		})
	}
	users := slices.DeleteFunc(slices.Clone(g.Users), func(u string) bool { return u == member })
	if add {
		if disabled {
			users = nil
		}
		users = append(users, member)
	}
	if err := call(ctx, "usergroups.users.update", func() error {
		_, err := c.api.UpdateUserGroupMembersContext(ctx, g.ID, strings.Join(users, ","), slack.UpdateUserGroupMembersOptionTeamID(c.team))
		return err
	}); err != nil {
		return held, err
	}
	if add && disabled {
		return held, call(ctx, "usergroups.enable", func() error {
			_, err := c.api.EnableUserGroupContext(ctx, g.ID, slack.EnableUserGroupOptionTeamID(c.team))
			return err
		})
	}
	return held, nil
}

func (c *Conn) applyPin(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	switch req.Op {
	case platform.OpCreate:
		ch := req.Attrs["channel"]
		var ts string
		err := c.retry(ctx, "chat.postMessage", func() (err error) {
			_, ts, err = c.api.PostMessageContext(ctx, ch, slack.MsgOptionText(req.Attrs["text"], false))
			return err
		})
		if err != nil {
			return platform.Object{}, err
		}
		if err := c.retry(ctx, "pins.add", func() error {
			return c.api.AddPinContext(ctx, ch, slack.NewRefToMessage(ch, ts))
		}); err != nil {
			return platform.Object{}, err
		}
		return c.pinObject(ch, slack.Message{Msg: slack.Msg{Timestamp: ts, Text: req.Attrs["text"], BotID: "app"}}), nil
	case platform.OpUpdate:
		p, err := c.pin(ctx, req.ID)
		if err != nil {
			return platform.Object{}, err
		}
		if p.Attrs["author"] != "" {
			return platform.Object{}, fmt.Errorf("%w: pin %s was written by %s; the app can only edit its own messages", platform.ErrConflict, req.ID, p.Attrs["author"])
		}
		ch, ts, _ := strings.Cut(req.ID, "/")
		if err := c.retry(ctx, "chat.update", func() error {
			_, _, _, err := c.api.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText(req.Attrs["text"], false))
			return err
		}); err != nil {
			return platform.Object{}, err
		}
		p.Attrs["text"] = req.Attrs["text"]
		return p, nil
	default:
		p, err := c.pin(ctx, req.ID)
		if err != nil {
			return platform.Object{}, err
		}
		ch, ts, _ := strings.Cut(req.ID, "/")
		if err := c.retry(ctx, "pins.remove", func() error {
			return c.api.RemovePinContext(ctx, ch, slack.NewRefToMessage(ch, ts))
		}); err != nil {
			return platform.Object{}, err
		}
		// The app's own pinned message goes with its pin; a member's
		// message stays.
		if p.Attrs["author"] == "" {
			err = c.retry(ctx, "chat.delete", func() error {
				_, _, err := c.api.DeleteMessageContext(ctx, ch, ts)
				return err
			})
		}
		return p, err
	}
}
