package discord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/hearth-community/hearth/engine/platform"
)

// Apply carries out one change. Updates send Discord only the fields
// asked for; positions go through the bulk position routes.
func (c *Conn) Apply(ctx context.Context, req platform.ApplyRequest) (platform.ApplyResponse, error) {
	var out platform.ApplyResponse
	req, err := platform.CheckApply(req)
	if err != nil {
		return out, err
	}
	if c.isClosed() {
		return out, platform.Permanent(ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	var o platform.Object
	switch req.Kind {
	case platform.KindCommunity:
		o, err = c.applyGuild(ctx, req)
	case platform.KindChannel:
		o, err = c.applyChannel(ctx, req)
	case platform.KindRole:
		o, err = c.applyRole(ctx, req)
	case platform.KindRoleAssignment:
		o, err = c.applyAssignment(ctx, req)
	case platform.KindPin:
		o, err = c.applyPin(ctx, req)
	default:
		err = fmt.Errorf("discord cannot apply %ss: %w", req.Kind, platform.ErrUnsupported)
	}
	if err != nil {
		return out, err
	}
	o.Address = req.Address
	out.Object = o
	return out, nil
}

// noDeleteServer is why a community (a server) is never deleted.
const noDeleteServer = "hearth does not delete Discord servers"

// Keeps is platform.Keeper: bots cannot make servers, and hearth does
// not delete one it adopted.
func (c *Conn) Keeps(kind platform.Kind) string {
	if kind == platform.KindCommunity {
		return noDeleteServer
	}
	return ""
}

var _ platform.Keeper = (*Conn)(nil)

func (c *Conn) applyGuild(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	switch req.Op {
	case platform.OpCreate:
		return platform.Object{}, fmt.Errorf("bots cannot create Discord servers; create the server in Discord, invite the bot, and adopt it with an import block (to = the community, id = the server id): %w", platform.ErrUnsupported)
	case platform.OpDelete:
		return platform.Object{}, fmt.Errorf("%s; remove the community from state with `hearth state rm` and delete the server in Discord: %w", noDeleteServer, platform.ErrUnsupported)
	}
	if _, ok := req.Attrs["name"]; ok {
		return platform.Object{}, fmt.Errorf("%w: a Discord server has no hearth name; change its title", platform.ErrInvalid)
	}
	if !snowflake(req.ID) {
		return platform.Object{}, notFound(platform.KindCommunity, req.ID)
	}
	body := map[string]any{}
	if v, ok := req.Attrs["title"]; ok {
		body["name"] = v
	}
	if v, ok := req.Attrs["description"]; ok {
		body["description"] = nullable(v)
	}
	if len(body) > 0 {
		if err := c.call(ctx, "PATCH", discordgo.EndpointGuild(req.ID), body, nil); err != nil {
			return platform.Object{}, err
		}
	}
	return c.guildObject(ctx, req.ID)
}

// nullable is JSON null for "", which Discord takes as "clear".
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// category returns the id of the guild's category with that name,
// creating it when there is none; "" is no category.
func (c *Conn) category(ctx context.Context, guild, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	g, err := c.channels(ctx, guild)
	if err != nil {
		return "", err
	}
	for id, n := range g.categories {
		if n == name {
			return id, nil
		}
	}
	var ch discordgo.Channel
	err = c.call(ctx, "POST", discordgo.EndpointGuildChannels(guild), map[string]any{"name": name, "type": discordgo.ChannelTypeGuildCategory}, &ch)
	if err != nil {
		return "", fmt.Errorf("creating category %q: %w", name, err)
	}
	c.log.Info("created a Discord category", "guild", guild, "category", name, "id", ch.ID)
	return ch.ID, nil
}

func (c *Conn) applyChannel(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	guild := req.Community
	if !snowflake(guild) {
		return platform.Object{}, notFound(platform.KindCommunity, guild)
	}
	a := req.Attrs
	// A Discord channel has no purpose apart from its topic and no color:
	// refused rather than dropped; empty is what it has.
	for _, k := range []string{"purpose", "color"} {
		if a[k] != "" {
			return platform.Object{}, fmt.Errorf("a Discord channel has no %s (asked for %q); use topic: %w", k, a[k], platform.ErrUnsupported)
		}
	}
	switch req.Op {
	case platform.OpCreate:
		body := map[string]any{"name": a["name"], "type": discordgo.ChannelTypeGuildText}
		if v, ok := a["topic"]; ok && v != "" {
			body["topic"] = v
		}
		if v, ok := a["position"]; ok {
			n, _ := strconv.Atoi(v)
			body["position"] = n
		}
		if a["private"] == "true" {
			body["permission_overwrites"] = []map[string]any{{"id": guild, "type": discordgo.PermissionOverwriteTypeRole, "allow": "0", "deny": strconv.FormatInt(discordgo.PermissionViewChannel, 10)}}
		}
		// Check the guild before making a category in it.
		g, err := c.channels(ctx, guild)
		if err != nil {
			return platform.Object{}, err
		}
		if name := a["category"]; name != "" {
			id, err := c.category(ctx, guild, name)
			if err != nil {
				return platform.Object{}, err
			}
			body["parent_id"] = id
			g.categories[id] = name
		}
		var ch discordgo.Channel
		if err := c.call(ctx, "POST", discordgo.EndpointGuildChannels(guild), body, &ch); err != nil {
			return platform.Object{}, err
		}
		return channelObject(&ch, g.categories), nil
	case platform.OpDelete:
		before, err := c.channelByID(ctx, guild, req.ID)
		if err != nil {
			return platform.Object{}, err
		}
		if err := c.call(ctx, "DELETE", discordgo.EndpointChannel(req.ID), nil, nil); err != nil {
			return platform.Object{}, err
		}
		return before, nil
	}
	ch, err := c.channel(ctx, guild, req.ID)
	if err != nil {
		return platform.Object{}, err
	}
	body := map[string]any{}
	if v, ok := a["name"]; ok {
		body["name"] = v
	}
	if v, ok := a["topic"]; ok {
		body["topic"] = nullable(v)
	}
	if name, ok := a["category"]; ok {
		id, err := c.category(ctx, guild, name)
		if err != nil {
			return platform.Object{}, err
		}
		body["parent_id"] = nullable(id)
	}
	if len(body) > 0 {
		if err := c.call(ctx, "PATCH", discordgo.EndpointChannel(req.ID), body, nil); err != nil {
			return platform.Object{}, err
		}
	}
	if v, ok := a["position"]; ok {
		n, _ := strconv.Atoi(v)
		// One bulk call, which Discord applies whole: a position change
		// never races another client's edit of the same channel.
		move := []map[string]any{{"id": req.ID, "position": n}}
		if err := c.call(ctx, "PATCH", discordgo.EndpointGuildChannels(guild), move, nil); err != nil {
			return platform.Object{}, err
		}
	}
	if v, ok := a["private"]; ok && (v == "true") != viewDenied(ch) {
		if err := c.setPrivate(ctx, ch, v == "true"); err != nil {
			return platform.Object{}, err
		}
	}
	return c.channelByID(ctx, guild, req.ID)
}

// setPrivate flips View Channel in @everyone's overwrite and nothing
// else: other bits of that overwrite and other overwrites stay.
func (c *Conn) setPrivate(ctx context.Context, ch *discordgo.Channel, private bool) error {
	var allow, deny int64
	for _, o := range ch.PermissionOverwrites {
		if o.ID == ch.GuildID && o.Type == discordgo.PermissionOverwriteTypeRole {
			allow, deny = o.Allow, o.Deny
		}
	}
	if private {
		deny |= discordgo.PermissionViewChannel
		allow &^= discordgo.PermissionViewChannel
	} else {
		deny &^= discordgo.PermissionViewChannel
	}
	url := discordgo.EndpointChannelPermission(ch.ID, ch.GuildID)
	if allow == 0 && deny == 0 {
		err := c.call(ctx, "DELETE", url, nil, nil)
		if isNotFound(err) {
			return nil
		}
		return err
	}
	return c.call(ctx, "PUT", url, map[string]any{"type": discordgo.PermissionOverwriteTypeRole,
		"allow": strconv.FormatInt(allow, 10), "deny": strconv.FormatInt(deny, 10)}, nil)
}

func colorNumber(v string) int {
	if v == "" {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimPrefix(v, "#"), 16, 32)
	return int(n)
}

func (c *Conn) findRole(ctx context.Context, guild, id string) (*discordgo.Role, error) {
	roles, err := c.roles(ctx, guild)
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, notFound(platform.KindRole, id)
}

func (c *Conn) applyRole(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	guild := req.Community
	if !snowflake(guild) {
		return platform.Object{}, notFound(platform.KindCommunity, guild)
	}
	a := req.Attrs
	var old *discordgo.Role
	if req.Op != platform.OpCreate {
		var err error
		if old, err = c.findRole(ctx, guild, req.ID); err != nil {
			return platform.Object{}, err
		}
	}
	if req.Op == platform.OpDelete {
		if err := c.call(ctx, "DELETE", discordgo.EndpointGuildRole(guild, req.ID), nil, nil); err != nil {
			return platform.Object{}, err
		}
		return roleObject(guild, old), nil
	}
	body := map[string]any{}
	if v, ok := a["name"]; ok {
		body["name"] = v
	}
	if v, ok := a["color"]; ok {
		body["color"] = colorNumber(v)
	}
	if v, ok := a["permissions"]; ok {
		var base int64
		if old != nil {
			base = old.Permissions
		}
		field, err := mergePermissions(base, v)
		if err != nil {
			return platform.Object{}, err
		}
		body["permissions"] = strconv.FormatInt(field, 10)
	}
	for _, k := range []string{"hoist", "mentionable"} {
		if v, ok := a[k]; ok {
			body[k] = v == "true"
		}
	}
	id := req.ID
	if req.Op == platform.OpCreate {
		if _, ok := body["permissions"]; !ok {
			// Without permissions Discord copies @everyone's; a role
			// hearth makes grants only what it says.
			body["permissions"] = "0"
		}
		var r discordgo.Role
		if err := c.call(ctx, "POST", discordgo.EndpointGuildRoles(guild), body, &r); err != nil {
			return platform.Object{}, err
		}
		id = r.ID
	} else if len(body) > 0 {
		if err := c.call(ctx, "PATCH", discordgo.EndpointGuildRole(guild, id), body, nil); err != nil {
			return platform.Object{}, err
		}
	}
	if v, ok := a["position"]; ok {
		n, _ := strconv.Atoi(v)
		move := []map[string]any{{"id": id, "position": n + roleBase}}
		if err := c.call(ctx, "PATCH", discordgo.EndpointGuildRoles(guild), move, nil); err != nil {
			return platform.Object{}, err
		}
	}
	r, err := c.findRole(ctx, guild, id)
	if err != nil {
		return platform.Object{}, err
	}
	return roleObject(guild, r), nil
}

func (c *Conn) applyAssignment(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	guild := req.Community
	user, role := req.Attrs["member"], req.Attrs["role"]
	if req.Op == platform.OpDelete {
		var ok bool
		if user, role, ok = strings.Cut(req.ID, ":"); !ok {
			return platform.Object{}, notFound(platform.KindRoleAssignment, req.ID)
		}
	}
	if req.Op == platform.OpUpdate {
		return platform.Object{}, fmt.Errorf("%w: a role assignment cannot change; delete it and create another", platform.ErrInvalid)
	}
	m, err := c.member(ctx, guild, user)
	if err != nil {
		return platform.Object{}, err
	}
	if !snowflake(role) {
		return platform.Object{}, notFound(platform.KindRole, role)
	}
	url := discordgo.EndpointGuildMemberRole(guild, user, role)
	if req.Op == platform.OpDelete {
		if !containsID(m.Roles, role) {
			return platform.Object{}, notFound(platform.KindRoleAssignment, req.ID)
		}
		return assignmentObject(guild, user, role), c.call(ctx, "DELETE", url, nil, nil)
	}
	// PUT is idempotent on Discord: holding the role already is success.
	if err := c.call(ctx, "PUT", url, nil, nil); err != nil {
		return platform.Object{}, err
	}
	return assignmentObject(guild, user, role), nil
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// nonce is the value Discord dedupes message creation by (25 characters
// at most): a digest of the idempotency key.
func nonce(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])[:25]
}

func (c *Conn) applyPin(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	guild := req.Community
	if !snowflake(guild) {
		return platform.Object{}, notFound(platform.KindCommunity, guild)
	}
	switch req.Op {
	case platform.OpCreate:
		ch, err := c.channel(ctx, guild, req.Attrs["channel"])
		if err != nil {
			return platform.Object{}, err
		}
		// The nonce makes a retried create (a timeout after Discord
		// posted) return the message already posted rather than a second.
		var m discordgo.Message
		body := map[string]any{"content": req.Attrs["text"], "nonce": nonce("pin\x00" + ch.ID + "\x00" + req.Address + "\x00" + req.Attrs["text"]), "enforce_nonce": true}
		if err := c.call(ctx, "POST", discordgo.EndpointChannelMessages(ch.ID), body, &m); err != nil {
			return platform.Object{}, err
		}
		m.ChannelID = ch.ID
		c.remember(m.ID, ch.ID)
		if err := c.call(ctx, "PUT", discordgo.EndpointChannelMessagePin(ch.ID, m.ID), nil, nil); err != nil {
			return platform.Object{}, err
		}
		return c.pinObject(guild, &m), nil
	case platform.OpDelete:
		m, err := c.findPin(ctx, guild, req.ID)
		if err != nil {
			return platform.Object{}, err
		}
		before := c.pinObject(guild, m)
		if err := c.call(ctx, "DELETE", discordgo.EndpointChannelMessagePin(m.ChannelID, m.ID), nil, nil); err != nil {
			return platform.Object{}, err
		}
		if m.Author != nil && m.Author.ID == c.botID {
			// hearth posted it to pin it; unpinned, it goes.
			if err := c.call(ctx, "DELETE", discordgo.EndpointChannelMessage(m.ChannelID, m.ID), nil, nil); err != nil && !isNotFound(err) {
				return platform.Object{}, err
			}
		}
		return before, nil
	}
	m, err := c.findPin(ctx, guild, req.ID)
	if err != nil {
		return platform.Object{}, err
	}
	if m.Author == nil || m.Author.ID != c.botID {
		return platform.Object{}, platform.Permanent(fmt.Errorf("discord pin %s was written by a member; the bot can only edit its own messages", req.ID))
	}
	var edited discordgo.Message
	if err := c.call(ctx, "PATCH", discordgo.EndpointChannelMessage(m.ChannelID, m.ID), map[string]any{"content": req.Attrs["text"]}, &edited); err != nil {
		return platform.Object{}, err
	}
	edited.ChannelID = m.ChannelID
	return c.pinObject(guild, &edited), nil
}
