package telegram

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/hearth-community/hearth/engine/platform"
)

// chatID reads a chat id; one that cannot be is ErrNotFound.
func chatID(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("telegram chat %q: %w", s, platform.ErrNotFound)
	}
	return n, nil
}

// userID reads a user id; one that cannot be is ErrNotFound.
func userID(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("telegram user %q: %w", s, platform.ErrNotFound)
	}
	return n, nil
}

// rightNames are the administrator rights hearth gives, by the names
// used in "admin:RIGHTS" (Telegram's can_ names without can_).
var rightNames = []string{"change_info", "delete_messages", "delete_stories", "edit_stories", "invite_users",
	"manage_chat", "manage_topics", "manage_video_chats", "pin_messages", "post_stories", "promote_members", "restrict_members"}

// rolePrefix starts every role id: Telegram's only roles are
// administrator rights.
const rolePrefix = "admin:"

// parseRole reads "admin:RIGHTS" into the set of rights.
func parseRole(role string) (map[string]bool, error) {
	list, ok := strings.CutPrefix(role, rolePrefix)
	canon, err := platform.Canonical(platform.FormatList, list)
	if !ok || err != nil || canon == "" {
		return nil, fmt.Errorf("telegram role %q (roles are administrator rights, such as %q): %w", role, "admin:delete_messages,pin_messages", platform.ErrNotFound)
	}
	rights := map[string]bool{}
	for _, r := range platform.SplitList(canon) {
		if !slices.Contains(rightNames, r) {
			return nil, fmt.Errorf("%w: %q is not a Telegram administrator right (they are %s)", platform.ErrInvalid, r, strings.Join(rightNames, ", "))
		}
		rights[r] = true
	}
	return rights, nil
}

func promoteParams(chat, user int64, r map[string]bool) *bot.PromoteChatMemberParams {
	return &bot.PromoteChatMemberParams{ChatID: chat, UserID: user,
		CanManageChat: r["manage_chat"], CanDeleteMessages: r["delete_messages"], CanManageVideoChats: r["manage_video_chats"],
		CanRestrictMembers: r["restrict_members"], CanPromoteMembers: r["promote_members"], CanChangeInfo: r["change_info"],
		CanInviteUsers: r["invite_users"], CanPinMessages: r["pin_messages"], CanPostStories: r["post_stories"],
		CanEditStories: r["edit_stories"], CanDeleteStories: r["delete_stories"], CanManageTopics: r["manage_topics"]}
}

// adminRole is the role id of an administrator's rights.
func adminRole(a *models.ChatMemberAdministrator) string {
	return roleOf(map[string]bool{
		"change_info": a.CanChangeInfo, "delete_messages": a.CanDeleteMessages, "delete_stories": a.CanDeleteStories,
		"edit_stories": a.CanEditStories, "invite_users": a.CanInviteUsers, "manage_topics": a.CanManageTopics,
		"manage_video_chats": a.CanManageVideoChats, "pin_messages": a.CanPinMessages, "post_stories": a.CanPostStories,
		"promote_members": a.CanPromoteMembers, "restrict_members": a.CanRestrictMembers,
	})
}

// roleOf is the canonical role id of a set of rights. manage_chat comes
// with every other right on Telegram, so it is named only alone.
func roleOf(have map[string]bool) string {
	var list []string
	for _, r := range rightNames {
		if have[r] && r != "manage_chat" {
			list = append(list, r)
		}
	}
	if len(list) == 0 {
		list = []string{"manage_chat"}
	}
	return rolePrefix + strings.Join(list, ",")
}

// Read lists one kind. Every listing fits one page: the Bot API lists
// few things (the configured chats, a group's latest pin, its
// administrators). It lists no channels, roles or members
// (ErrUnsupported); plan then takes them from state as last applied.
func (c *Conn) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	var out platform.ReadResponse
	spec, ok := platform.SpecOf(req.Kind)
	if !ok {
		return out, fmt.Errorf("%w: unknown kind %q", platform.ErrInvalid, req.Kind)
	}
	if spec.Scoped && req.Community == "" {
		return out, fmt.Errorf("%w: reading %ss needs a community (chat) id", platform.ErrInvalid, req.Kind)
	}
	if err := c.check(ctx); err != nil {
		return out, err
	}
	if req.PageToken != "" {
		return out, fmt.Errorf("%w: page token %q was not issued by the Telegram adapter (its listings have one page)", platform.ErrInvalid, req.PageToken)
	}
	switch req.Kind {
	case platform.KindCommunity:
		for _, id := range c.chats {
			o, err := c.community(ctx, id)
			if isNotFound(err) {
				// A group in the chats setting the bot is not in (any
				// more): not there, as if deleted.
				c.log.Warn("the bot is not in this Telegram group", "chat", id)
				continue
			}
			if err != nil {
				return out, err
			}
			out.Objects = append(out.Objects, o)
		}
		return out, nil
	case platform.KindPin:
		o, ok, err := c.pin(ctx, req.Community)
		if err != nil {
			return out, err
		}
		if ok {
			out.Objects = []platform.Object{o}
		}
		return out, nil
	case platform.KindRoleAssignment:
		objs, err := c.admins(ctx, req.Community)
		out.Objects = objs
		return out, err
	}
	return out, fmt.Errorf("the Telegram Bot API cannot list %ss: %w", req.Kind, platform.ErrUnsupported)
}

func (c *Conn) chat(ctx context.Context, id string) (*models.ChatFullInfo, error) {
	n, err := chatID(id)
	if err != nil {
		return nil, err
	}
	ch, err := c.b.GetChat(ctx, &bot.GetChatParams{ChatID: n})
	if err != nil {
		return nil, classify("getChat", err)
	}
	return ch, nil
}

func (c *Conn) community(ctx context.Context, id string) (platform.Object, error) {
	ch, err := c.chat(ctx, id)
	if err != nil {
		return platform.Object{}, err
	}
	if ch.Type != models.ChatTypeGroup && ch.Type != models.ChatTypeSupergroup {
		return platform.Object{}, fmt.Errorf("telegram chat %s is a %s, not a group: %w", id, ch.Type, platform.ErrNotFound)
	}
	return platform.Object{Kind: platform.KindCommunity, ID: strconv.FormatInt(ch.ID, 10),
		Attrs: platform.Attrs{"title": ch.Title, "description": ch.Description}}, nil
}

// channelObject is a group as its own channel: it has no attributes of
// its own (title and description are the community's).
func channelObject(community string) platform.Object {
	return platform.Object{Kind: platform.KindChannel, ID: community, Community: community, Attrs: platform.Attrs{}}
}

func (c *Conn) pinObject(community string, m *models.Message) platform.Object {
	author := ""
	if m.From != nil && m.From.ID != c.botID {
		author = strconv.FormatInt(m.From.ID, 10)
	}
	return platform.Object{Kind: platform.KindPin, ID: strconv.Itoa(m.ID), Community: community,
		Attrs: platform.Attrs{"channel": community, "text": m.Text, "author": author}}
}

// pin is the group's pinned message, if any.
func (c *Conn) pin(ctx context.Context, community string) (platform.Object, bool, error) {
	ch, err := c.chat(ctx, community)
	if err != nil {
		return platform.Object{}, false, err
	}
	if ch.PinnedMessage == nil {
		return platform.Object{}, false, nil
	}
	return c.pinObject(community, ch.PinnedMessage), true, nil
}

func (c *Conn) admins(ctx context.Context, community string) ([]platform.Object, error) {
	n, err := chatID(community)
	if err != nil {
		return nil, err
	}
	list, err := c.b.GetChatAdministrators(ctx, &bot.GetChatAdministratorsParams{ChatID: n})
	if err != nil {
		return nil, classify("getChatAdministrators", err)
	}
	var out []platform.Object
	for _, m := range list {
		a := m.Administrator
		if a == nil || a.User.ID == c.botID || a.User.IsBot {
			continue // the owner's rights are not given; bots are not members
		}
		out = append(out, assignment(community, strconv.FormatInt(a.User.ID, 10), adminRole(a)))
	}
	slices.SortFunc(out, func(a, b platform.Object) int {
		x, _ := strconv.ParseInt(a.Attrs["member"], 10, 64)
		y, _ := strconv.ParseInt(b.Attrs["member"], 10, 64)
		return int(x - y)
	})
	return out, nil
}

func assignment(community, user, role string) platform.Object {
	return platform.Object{Kind: platform.KindRoleAssignment, ID: user + ":" + role, Community: community,
		Attrs: platform.Attrs{"member": user, "role": role}}
}

// chatMember looks a member up; one who left or was banned is
// ErrNotFound.
func (c *Conn) chatMember(ctx context.Context, community, user string) (*models.ChatMember, error) {
	chat, err := chatID(community)
	if err != nil {
		return nil, err
	}
	u, err := userID(user)
	if err != nil {
		return nil, err
	}
	m, err := c.b.GetChatMember(ctx, &bot.GetChatMemberParams{ChatID: chat, UserID: u})
	if err != nil {
		return nil, classify("getChatMember", err)
	}
	switch m.Type {
	case models.ChatMemberTypeLeft, models.ChatMemberTypeBanned:
		return m, fmt.Errorf("telegram user %s is not in chat %s (%s): %w", user, community, m.Type, platform.ErrNotFound)
	case models.ChatMemberTypeRestricted:
		if m.Restricted != nil && !m.Restricted.IsMember {
			return m, fmt.Errorf("telegram user %s is not in chat %s: %w", user, community, platform.ErrNotFound)
		}
	}
	return m, nil
}

func memberObject(community, user string, m *models.ChatMember) platform.Object {
	var u *models.User
	muted := ""
	switch m.Type {
	case models.ChatMemberTypeOwner:
		u = m.Owner.User
	case models.ChatMemberTypeAdministrator:
		u = &m.Administrator.User
	case models.ChatMemberTypeMember:
		u = m.Member.User
	case models.ChatMemberTypeRestricted:
		u = m.Restricted.User
		if !m.Restricted.CanSendMessages && m.Restricted.UntilDate > 0 {
			muted = platform.FormatTimeValue(unix(int64(m.Restricted.UntilDate)))
		}
	}
	name := ""
	if u != nil {
		name = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	return platform.Object{Kind: platform.KindMember, ID: user, Community: community,
		Attrs: platform.Attrs{"name": name, "muted_until": muted}}
}

// Import looks up one object by id. Without a community, the chats
// setting's groups are searched.
func (c *Conn) Import(ctx context.Context, req platform.ImportRequest) (platform.ImportResponse, error) {
	if err := c.check(ctx); err != nil {
		return platform.ImportResponse{}, err
	}
	switch req.Kind {
	case platform.KindPin, platform.KindMember, platform.KindRoleAssignment:
		if req.Community == "" {
			for _, chat := range c.chats {
				req.Community = chat
				out, err := c.importIn(ctx, req)
				if !isNotFound(err) {
					return out, err
				}
			}
			return platform.ImportResponse{}, fmt.Errorf("telegram %s %q in the chats setting's groups: %w", req.Kind, req.ID, platform.ErrNotFound)
		}
	}
	return c.importIn(ctx, req)
}

func (c *Conn) importIn(ctx context.Context, req platform.ImportRequest) (platform.ImportResponse, error) {
	var out platform.ImportResponse
	var o platform.Object
	var err error
	switch req.Kind {
	case platform.KindCommunity:
		o, err = c.community(ctx, req.ID)
	case platform.KindChannel:
		if req.Community != "" && req.Community != req.ID {
			return out, fmt.Errorf("telegram channel %s is not in chat %s: %w", req.ID, req.Community, platform.ErrNotFound)
		}
		if _, err = c.community(ctx, req.ID); err == nil {
			o = channelObject(req.ID)
		}
	case platform.KindPin:
		var ok bool
		o, ok, err = c.pin(ctx, req.Community)
		if err == nil && (!ok || o.ID != req.ID) {
			err = fmt.Errorf("telegram pin %s (only the latest pin can be read): %w", req.ID, platform.ErrNotFound)
		}
	case platform.KindMember:
		var m *models.ChatMember
		if m, err = c.chatMember(ctx, req.Community, req.ID); err == nil {
			o = memberObject(req.Community, req.ID, m)
		}
	case platform.KindRole:
		var rights map[string]bool
		if rights, err = parseRole(req.ID); err == nil {
			o = roleObject(req.Community, "", rights)
		}
	case platform.KindRoleAssignment:
		var list []platform.Object
		if list, err = c.admins(ctx, req.Community); err == nil {
			err = fmt.Errorf("telegram role assignment %s: %w", req.ID, platform.ErrNotFound)
			for _, a := range list {
				if a.ID == req.ID {
					o, err = a, nil
				}
			}
		}
	default:
		_, known := platform.SpecOf(req.Kind)
		if !known {
			return out, fmt.Errorf("%w: unknown kind %q", platform.ErrInvalid, req.Kind)
		}
		return out, fmt.Errorf("telegram cannot import %ss: %w", req.Kind, platform.ErrUnsupported)
	}
	if err != nil {
		return out, err
	}
	o.Address = req.Address
	out.Object = o
	return out, nil
}

// Apply changes a group's title and description, its pinned message and
// administrator rights.
func (c *Conn) Apply(ctx context.Context, req platform.ApplyRequest) (platform.ApplyResponse, error) {
	var out platform.ApplyResponse
	req, err := platform.CheckApply(req)
	if err != nil {
		return out, err
	}
	if err := c.check(ctx); err != nil {
		return out, err
	}
	var o platform.Object
	switch req.Kind {
	case platform.KindCommunity:
		o, err = c.applyCommunity(ctx, req)
	case platform.KindPin:
		o, err = c.applyPin(ctx, req)
	case platform.KindRoleAssignment:
		o, err = c.applyAdmin(ctx, req)
	case platform.KindChannel:
		o, err = c.applyChannel(ctx, req)
	case platform.KindRole:
		o, err = c.applyRole(ctx, req)
	default:
		err = fmt.Errorf("telegram cannot apply %ss: %w", req.Kind, platform.ErrUnsupported)
	}
	if err != nil {
		return out, err
	}
	o.Address = req.Address
	out.Object = o
	return out, nil
}

// applyChannel: a group is its community's one channel, with no
// attributes of its own. Creating the channel takes the group as it;
// deleting it only lets go of it (the group stays); there is nothing to
// update.
func (c *Conn) applyChannel(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	if req.Op != platform.OpCreate && req.ID != req.Community {
		return platform.Object{}, fmt.Errorf("telegram channel %q (a group's only channel is the group itself): %w", req.ID, platform.ErrNotFound)
	}
	if _, err := c.community(ctx, req.Community); err != nil {
		return platform.Object{}, err
	}
	if req.Op == platform.OpUpdate {
		return platform.Object{}, fmt.Errorf("a Telegram group has no channel name, topic, position or category of its own; set the community's title and description: %w", platform.ErrUnsupported)
	}
	if req.Op == platform.OpCreate {
		// What a group cannot hold is refused rather than dropped; the
		// defaults plan sends (position 0, not private) are what it is.
		// A second channel block has position 1 and is refused here.
		for k, ok := range map[string]string{"topic": "", "position": "0", "category": "", "private": "false", "purpose": "", "color": ""} {
			if v, set := req.Attrs[k]; set && v != ok {
				return platform.Object{}, fmt.Errorf("a Telegram community has one channel, the group itself, which has no %s (asked for %q): %w", k, v, platform.ErrUnsupported)
			}
		}
	}
	return channelObject(req.Community), nil
}

// roleObject is a set of administrator rights as a role.
func roleObject(community, name string, rights map[string]bool) platform.Object {
	var list []string
	for r, on := range rights {
		if on {
			list = append(list, r)
		}
	}
	perms, _ := platform.FormatListValue(list)
	attrs := platform.Attrs{"permissions": perms}
	if name != "" {
		attrs["name"] = name
	}
	return platform.Object{Kind: platform.KindRole, ID: roleOf(rights), Community: community, Attrs: attrs}
}

// applyRole: a Telegram role is a set of administrator rights, made
// real by role assignments (promoteChatMember); its id is "admin:RIGHTS".
// Nothing is stored on Telegram until a member holds it. Changing a
// role's rights would change its id, so it is refused; deleting one
// takes its rights from every administrator holding exactly them.
func (c *Conn) applyRole(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	if _, err := c.community(ctx, req.Community); err != nil {
		return platform.Object{}, err
	}
	for k, ok := range map[string]string{"color": "", "hoist": "false", "mentionable": "false"} {
		if v, set := req.Attrs[k]; set && v != ok {
			return platform.Object{}, fmt.Errorf("telegram roles (administrator rights) have no %s (asked for %q): %w", k, v, platform.ErrUnsupported)
		}
	}
	// position is accepted and has no effect: plan gives every role one,
	// and Telegram administrators have no order.
	if req.Op == platform.OpCreate {
		rights := map[string]bool{"manage_chat": true}
		if v := req.Attrs["permissions"]; v != "" {
			var err error
			if rights, err = parseRole(rolePrefix + v); err != nil {
				return platform.Object{}, err
			}
		}
		return roleObject(req.Community, req.Attrs["name"], rights), nil
	}
	rights, err := parseRole(req.ID)
	if err != nil {
		return platform.Object{}, err
	}
	if req.Op == platform.OpUpdate {
		if v, ok := req.Attrs["permissions"]; ok {
			next, err := parseRole(rolePrefix + v)
			if err != nil {
				return platform.Object{}, err
			}
			if roleOf(next) != roleOf(rights) {
				return platform.Object{}, fmt.Errorf("%w: a Telegram role is its administrator rights; to change them, make a role block with the new rights and move the tier or segment to it", platform.ErrInvalid)
			}
		}
		return roleObject(req.Community, req.Attrs["name"], rights), nil
	}
	holders, err := c.admins(ctx, req.Community)
	if err != nil {
		return platform.Object{}, err
	}
	chat, _ := chatID(req.Community)
	for _, a := range holders {
		if a.Attrs["role"] != req.ID {
			continue
		}
		u, _ := userID(a.Attrs["member"])
		if _, err := c.b.PromoteChatMember(ctx, promoteParams(chat, u, map[string]bool{})); err != nil {
			return platform.Object{}, classify("promoteChatMember", err)
		}
	}
	return roleObject(req.Community, "", rights), nil
}

// noDeleteGroup is why a community (a group) is never deleted.
const noDeleteGroup = "hearth does not delete Telegram groups"

// Keeps is platform.Keeper: bots cannot make groups, and hearth does not
// delete one it adopted.
func (c *Conn) Keeps(kind platform.Kind) string {
	if kind == platform.KindCommunity {
		return noDeleteGroup
	}
	return ""
}

var _ platform.Keeper = (*Conn)(nil)

func (c *Conn) applyCommunity(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	switch req.Op {
	case platform.OpCreate:
		return platform.Object{}, fmt.Errorf("bots cannot create Telegram groups; create the group, make the bot an administrator, and adopt it with an import block (id = the chat id): %w", platform.ErrUnsupported)
	case platform.OpDelete:
		return platform.Object{}, fmt.Errorf("%s; remove the community from state with `hearth state rm`: %w", noDeleteGroup, platform.ErrUnsupported)
	}
	if _, ok := req.Attrs["name"]; ok {
		return platform.Object{}, fmt.Errorf("%w: a Telegram group has no hearth name; change its title", platform.ErrInvalid)
	}
	id, err := chatID(req.ID)
	if err != nil {
		return platform.Object{}, err
	}
	if t, ok := req.Attrs["title"]; ok {
		if _, err := c.b.SetChatTitle(ctx, &bot.SetChatTitleParams{ChatID: id, Title: t}); err != nil && !notModified(err) {
			return platform.Object{}, classify("setChatTitle", err)
		}
	}
	if d, ok := req.Attrs["description"]; ok {
		if _, err := c.b.SetChatDescription(ctx, &bot.SetChatDescriptionParams{ChatID: id, Description: d}); err != nil && !notModified(err) {
			return platform.Object{}, classify("setChatDescription", err)
		}
	}
	return c.community(ctx, req.ID)
}

func (c *Conn) applyPin(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	chat, err := chatID(req.Community)
	if err != nil {
		return platform.Object{}, err
	}
	switch req.Op {
	case platform.OpCreate:
		if req.Attrs["channel"] != req.Community {
			return platform.Object{}, fmt.Errorf("telegram channel %q is not chat %s: %w", req.Attrs["channel"], req.Community, platform.ErrNotFound)
		}
		m, err := c.b.SendMessage(ctx, &bot.SendMessageParams{ChatID: chat, Text: req.Attrs["text"]})
		if err != nil {
			return platform.Object{}, classify("sendMessage", err)
		}
		if _, err := c.b.PinChatMessage(ctx, &bot.PinChatMessageParams{ChatID: chat, MessageID: m.ID, DisableNotification: true}); err != nil {
			return platform.Object{}, classify("pinChatMessage", err)
		}
		return c.pinObject(req.Community, m), nil
	}
	cur, ok, err := c.pin(ctx, req.Community)
	if err != nil {
		return platform.Object{}, err
	}
	if !ok || cur.ID != req.ID {
		return platform.Object{}, fmt.Errorf("telegram pin %s (the chat's pinned message is another): %w", req.ID, platform.ErrNotFound)
	}
	msg, _ := strconv.Atoi(req.ID)
	if req.Op == platform.OpDelete {
		if _, err := c.b.UnpinChatMessage(ctx, &bot.UnpinChatMessageParams{ChatID: chat, MessageID: msg}); err != nil {
			return platform.Object{}, classify("unpinChatMessage", err)
		}
		if cur.Attrs["author"] == "" {
			// hearth posted it to pin it; unpinned, it goes.
			if _, err := c.b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: chat, MessageID: msg}); err != nil {
				if e := classify("deleteMessage", err); !isNotFound(e) {
					return platform.Object{}, e
				}
			}
		}
		return cur, nil
	}
	if cur.Attrs["author"] != "" {
		return platform.Object{}, platform.Permanent(fmt.Errorf("telegram pin %s was written by a member; the bot can only edit its own messages", req.ID))
	}
	m, err := c.b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: chat, MessageID: msg, Text: req.Attrs["text"]})
	if notModified(err) {
		return cur, nil
	}
	if err != nil {
		return platform.Object{}, classify("editMessageText", err)
	}
	return c.pinObject(req.Community, m), nil
}

func (c *Conn) applyAdmin(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	if req.Op == platform.OpUpdate {
		return platform.Object{}, fmt.Errorf("%w: a role assignment cannot change; delete it and create another", platform.ErrInvalid)
	}
	user, role := req.Attrs["member"], req.Attrs["role"]
	if req.Op == platform.OpDelete {
		var ok bool
		if user, role, ok = strings.Cut(req.ID, ":"); !ok {
			return platform.Object{}, fmt.Errorf("telegram role assignment %q: %w", req.ID, platform.ErrNotFound)
		}
	}
	rights, err := parseRole(role)
	if err != nil {
		return platform.Object{}, err
	}
	role = roleOf(rights)
	if _, err := c.chatMember(ctx, req.Community, user); err != nil {
		return platform.Object{}, err
	}
	chat, _ := chatID(req.Community)
	u, _ := userID(user)
	if req.Op == platform.OpDelete {
		list, err := c.admins(ctx, req.Community)
		if err != nil {
			return platform.Object{}, err
		}
		if !slices.ContainsFunc(list, func(o platform.Object) bool { return o.ID == req.ID }) {
			return platform.Object{}, fmt.Errorf("telegram role assignment %s: %w", req.ID, platform.ErrNotFound)
		}
		rights = map[string]bool{}
	}
	if _, err := c.b.PromoteChatMember(ctx, promoteParams(chat, u, rights)); err != nil {
		return platform.Object{}, classify("promoteChatMember", err)
	}
	return assignment(req.Community, user, role), nil
}
