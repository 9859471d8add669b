package discord

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/hearth-community/hearth/engine/platform"
)

// Page sizes: Discord's own limits for the listings that page, and
// hearth's for those Discord answers whole (channels, roles).
const (
	guildPage   = 200
	memberPage  = 1000
	defaultPage = 100
)

// Page tokens are "KIND:COMMUNITY:KEY": the kind and community make a
// token from another listing an error; the key is where the next page
// starts (an "after" id, or position and id for lists Discord answers
// whole, so objects added or removed between pages do not shift the
// rest).
func token(k platform.Kind, community, key string) string {
	return string(k) + ":" + community + ":" + key
}

func parseToken(tok string, k platform.Kind, community string) (string, error) {
	if tok == "" {
		return "", nil
	}
	kind, rest, ok := strings.Cut(tok, ":")
	co, key, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || kind != string(k) || co != community || key == "" {
		return "", fmt.Errorf("%w: page token %q was not issued for this %s listing", platform.ErrInvalid, tok, k)
	}
	return key, nil
}

// positionKey is "POSITION/ID" for lists sorted by position.
func positionKey(pos int, id string) string { return strconv.Itoa(pos) + "/" + id }

func afterPosition(key string, pos int, id string) (bool, error) {
	p, kid, ok := strings.Cut(key, "/")
	n, err := strconv.Atoi(p)
	if !ok || err != nil || !snowflake(kid) {
		return false, fmt.Errorf("%w: bad page token", platform.ErrInvalid)
	}
	return pos > n || pos == n && cmpID(id, kid) > 0, nil
}

// Read lists one page of one kind. Messages and direct messages are not
// listed (ErrUnsupported): Discord keeps no list hearth could page
// through cheaply, and hearth sends them with Perform.
func (c *Conn) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	var out platform.ReadResponse
	spec, ok := platform.SpecOf(req.Kind)
	if !ok {
		return out, fmt.Errorf("%w: unknown kind %q", platform.ErrInvalid, req.Kind)
	}
	if spec.Scoped && req.Community == "" {
		return out, fmt.Errorf("%w: reading %ss needs a community (server) id", platform.ErrInvalid, req.Kind)
	}
	if c.isClosed() {
		return out, platform.Permanent(ErrClosed)
	}
	key, err := parseToken(req.PageToken, req.Kind, req.Community)
	if err != nil {
		return out, err
	}
	size := req.PageSize
	switch req.Kind {
	case platform.KindCommunity:
		return c.readGuilds(ctx, key, clamp(size, guildPage))
	case platform.KindChannel:
		return c.readChannels(ctx, req.Community, key, clamp(size, defaultPage))
	case platform.KindRole:
		return c.readRoles(ctx, req.Community, key, clamp(size, defaultPage))
	case platform.KindMember, platform.KindRoleAssignment:
		return c.readMembers(ctx, req.Kind, req.Community, key, clamp(size, memberPage))
	case platform.KindPin:
		return c.readPins(ctx, req.Community, key)
	}
	return out, fmt.Errorf("discord cannot list %ss: %w", req.Kind, platform.ErrUnsupported)
}

func clamp(size, most int) int {
	if size <= 0 || size > most {
		return most
	}
	return size
}

// guildIDs are the guilds hearth works in: the guilds setting, or every
// guild the bot is in.
func (c *Conn) guildIDs(ctx context.Context) ([]string, error) {
	if len(c.guilds) > 0 {
		return c.guilds, nil
	}
	var ids []string
	after := ""
	for {
		page, err := c.userGuilds(ctx, after, guildPage)
		if err != nil {
			return nil, err
		}
		for _, g := range page {
			ids = append(ids, g.ID)
		}
		if len(page) < guildPage {
			return ids, nil
		}
		after = page[len(page)-1].ID
	}
}

func (c *Conn) userGuilds(ctx context.Context, after string, limit int) ([]*discordgo.UserGuild, error) {
	url := discordgo.EndpointUserGuilds("@me") + "?limit=" + strconv.Itoa(limit)
	if after != "" {
		url += "&after=" + after
	}
	var page []*discordgo.UserGuild
	return page, c.call(ctx, "GET", url, nil, &page)
}

func (c *Conn) guildObject(ctx context.Context, id string) (platform.Object, error) {
	if !snowflake(id) {
		return platform.Object{}, notFound(platform.KindCommunity, id)
	}
	var g discordgo.Guild
	if err := c.call(ctx, "GET", discordgo.EndpointGuild(id), nil, &g); err != nil {
		return platform.Object{}, err
	}
	// A guild has a name people see and a description; hearth's own
	// community name is not on Discord, so it is not an attribute here.
	return platform.Object{Kind: platform.KindCommunity, ID: g.ID, Attrs: platform.Attrs{"title": g.Name, "description": g.Description}}, nil
}

func (c *Conn) readGuilds(ctx context.Context, after string, size int) (platform.ReadResponse, error) {
	var out platform.ReadResponse
	if after != "" && !snowflake(after) {
		return out, fmt.Errorf("%w: bad page token", platform.ErrInvalid)
	}
	var ids []string
	if len(c.guilds) > 0 {
		for _, id := range c.guilds {
			if after == "" || cmpID(id, after) > 0 {
				ids = append(ids, id)
			}
		}
		slices.SortFunc(ids, cmpID)
		if len(ids) > size {
			ids = ids[:size]
			out.NextPageToken = token(platform.KindCommunity, "", ids[size-1])
		}
	} else {
		page, err := c.userGuilds(ctx, after, size)
		if err != nil {
			return out, err
		}
		for _, g := range page {
			ids = append(ids, g.ID)
		}
		if len(page) == size {
			out.NextPageToken = token(platform.KindCommunity, "", ids[len(ids)-1])
		}
	}
	for _, id := range ids {
		o, err := c.guildObject(ctx, id)
		if isNotFound(err) {
			// A server in the guilds setting the bot is not in (any
			// more): not there, as if deleted.
			c.log.Warn("the bot is not in this Discord server", "guild", id)
			continue
		}
		if err != nil {
			return out, err
		}
		out.Objects = append(out.Objects, o)
	}
	return out, nil
}

func (c *Conn) readChannels(ctx context.Context, guild, key string, size int) (platform.ReadResponse, error) {
	var out platform.ReadResponse
	g, err := c.channels(ctx, guild)
	if err != nil {
		return out, err
	}
	var list []*discordgo.Channel
	for _, ch := range g.all {
		if slices.Contains(listedTypes, ch.Type) {
			list = append(list, ch)
		}
	}
	byPosition(list, func(ch *discordgo.Channel) int { return ch.Position }, func(ch *discordgo.Channel) string { return ch.ID })
	for _, ch := range list {
		if key != "" {
			after, err := afterPosition(key, ch.Position, ch.ID)
			if err != nil {
				return out, err
			}
			if !after {
				continue
			}
		}
		if len(out.Objects) == size {
			last := out.Objects[size-1]
			pos, _ := strconv.Atoi(last.Attrs["position"])
			out.NextPageToken = token(platform.KindChannel, guild, positionKey(pos, last.ID))
			break
		}
		out.Objects = append(out.Objects, channelObject(ch, g.categories))
	}
	return out, nil
}

func (c *Conn) roles(ctx context.Context, guild string) ([]*discordgo.Role, error) {
	if !snowflake(guild) {
		return nil, notFound(platform.KindCommunity, guild)
	}
	var roles []*discordgo.Role
	if err := c.call(ctx, "GET", discordgo.EndpointGuildRoles(guild), nil, &roles); err != nil {
		return nil, err
	}
	// @everyone (the guild's id) is every member's base role: not an
	// object hearth creates, deletes or assigns.
	roles = slices.DeleteFunc(roles, func(r *discordgo.Role) bool { return r.ID == guild })
	byPosition(roles, func(r *discordgo.Role) int { return r.Position }, func(r *discordgo.Role) string { return r.ID })
	return roles, nil
}

func (c *Conn) readRoles(ctx context.Context, guild, key string, size int) (platform.ReadResponse, error) {
	var out platform.ReadResponse
	roles, err := c.roles(ctx, guild)
	if err != nil {
		return out, err
	}
	for _, r := range roles {
		if key != "" {
			after, err := afterPosition(key, r.Position, r.ID)
			if err != nil {
				return out, err
			}
			if !after {
				continue
			}
		}
		if len(out.Objects) == size {
			last := out.Objects[size-1]
			pos, _ := strconv.Atoi(last.Attrs["position"])
			out.NextPageToken = token(platform.KindRole, guild, positionKey(pos, last.ID))
			break
		}
		out.Objects = append(out.Objects, roleObject(guild, r))
	}
	return out, nil
}

// members reads one page of a guild's members, in user id order, with
// Discord's after= and limit= (at most 1000).
func (c *Conn) members(ctx context.Context, guild, after string, limit int) ([]*discordgo.Member, error) {
	if !snowflake(guild) {
		return nil, notFound(platform.KindCommunity, guild)
	}
	url := discordgo.EndpointGuildMembers(guild) + "?limit=" + strconv.Itoa(limit)
	if after != "" {
		url += "&after=" + after
	}
	var page []*discordgo.Member
	return page, c.call(ctx, "GET", url, nil, &page)
}

func (c *Conn) readMembers(ctx context.Context, k platform.Kind, guild, after string, size int) (platform.ReadResponse, error) {
	var out platform.ReadResponse
	if after != "" && !snowflake(after) {
		return out, fmt.Errorf("%w: bad page token", platform.ErrInvalid)
	}
	page, err := c.members(ctx, guild, after, size)
	if err != nil {
		return out, err
	}
	var order map[string]int
	if k == platform.KindRoleAssignment {
		roles, err := c.roles(ctx, guild)
		if err != nil {
			return out, err
		}
		order = map[string]int{}
		for _, r := range roles {
			order[r.ID] = 0
		}
	}
	for _, m := range page {
		if m.User == nil {
			continue
		}
		if k == platform.KindMember {
			out.Objects = append(out.Objects, memberObject(guild, m))
			continue
		}
		held := slices.Clone(m.Roles)
		slices.SortFunc(held, cmpID)
		for _, r := range held {
			if _, ok := order[r]; ok {
				out.Objects = append(out.Objects, assignmentObject(guild, m.User.ID, r))
			}
		}
	}
	if len(page) == size && page[len(page)-1].User != nil {
		out.NextPageToken = token(k, guild, page[len(page)-1].User.ID)
	}
	return out, nil
}

// readPins lists the pinned messages of every text channel of a guild,
// one channel per page.
func (c *Conn) readPins(ctx context.Context, guild, key string) (platform.ReadResponse, error) {
	var out platform.ReadResponse
	g, err := c.channels(ctx, guild)
	if err != nil {
		return out, err
	}
	var list []*discordgo.Channel
	for _, ch := range g.all {
		if slices.Contains(textTypes, ch.Type) {
			list = append(list, ch)
		}
	}
	slices.SortFunc(list, func(a, b *discordgo.Channel) int { return cmpID(a.ID, b.ID) })
	if key != "" && !snowflake(key) {
		return out, fmt.Errorf("%w: bad page token", platform.ErrInvalid)
	}
	for i, ch := range list {
		if key != "" && cmpID(ch.ID, key) <= 0 {
			continue
		}
		pins, err := c.pins(ctx, ch.ID)
		if err != nil {
			return out, err
		}
		// Discord lists the newest pin first; hearth lists in pinning order.
		for j := len(pins) - 1; j >= 0; j-- {
			out.Objects = append(out.Objects, c.pinObject(guild, pins[j]))
		}
		if i < len(list)-1 && len(out.Objects) >= defaultPage {
			out.NextPageToken = token(platform.KindPin, guild, ch.ID)
			break
		}
	}
	return out, nil
}

func (c *Conn) pins(ctx context.Context, channel string) ([]*discordgo.Message, error) {
	var pins []*discordgo.Message
	if err := c.call(ctx, "GET", discordgo.EndpointChannelMessagesPins(channel), nil, &pins); err != nil {
		return nil, err
	}
	for _, m := range pins {
		m.ChannelID = channel
		c.remember(m.ID, channel)
	}
	return pins, nil
}

// remember notes a message's channel: Discord's message routes need it,
// and hearth's requests name messages by id alone.
func (c *Conn) remember(message, channel string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.channelOf) > 10000 {
		clear(c.channelOf)
	}
	c.channelOf[message] = channel
}

// Import looks up one object by id. Without a community, the guilds the
// bot works in are searched.
func (c *Conn) Import(ctx context.Context, req platform.ImportRequest) (platform.ImportResponse, error) {
	var out platform.ImportResponse
	if c.isClosed() {
		return out, platform.Permanent(ErrClosed)
	}
	if _, ok := platform.SpecOf(req.Kind); !ok {
		return out, fmt.Errorf("%w: unknown kind %q", platform.ErrInvalid, req.Kind)
	}
	o, err := c.lookup(ctx, req.Kind, req.Community, req.ID)
	if err != nil {
		return out, err
	}
	o.Address = req.Address
	out.Object = o
	return out, nil
}

func (c *Conn) lookup(ctx context.Context, k platform.Kind, community, id string) (platform.Object, error) {
	if k == platform.KindCommunity {
		return c.guildObject(ctx, id)
	}
	if k == platform.KindChannel {
		return c.channelByID(ctx, community, id)
	}
	guilds := []string{community}
	if community == "" {
		var err error
		if guilds, err = c.guildIDs(ctx); err != nil {
			return platform.Object{}, err
		}
	}
	for _, g := range guilds {
		o, err := c.lookupIn(ctx, k, g, id)
		if err == nil || !isNotFound(err) {
			return o, err
		}
	}
	return platform.Object{}, notFound(k, id)
}

func (c *Conn) lookupIn(ctx context.Context, k platform.Kind, guild, id string) (platform.Object, error) {
	switch k {
	case platform.KindRole:
		roles, err := c.roles(ctx, guild)
		if err != nil {
			return platform.Object{}, err
		}
		for _, r := range roles {
			if r.ID == id {
				return roleObject(guild, r), nil
			}
		}
	case platform.KindMember:
		m, err := c.member(ctx, guild, id)
		if err != nil {
			return platform.Object{}, err
		}
		return memberObject(guild, m), nil
	case platform.KindRoleAssignment:
		user, role, ok := strings.Cut(id, ":")
		if !ok {
			return platform.Object{}, notFound(k, id)
		}
		m, err := c.member(ctx, guild, user)
		if err != nil {
			return platform.Object{}, err
		}
		if slices.Contains(m.Roles, role) {
			return assignmentObject(guild, user, role), nil
		}
	case platform.KindPin:
		m, err := c.findPin(ctx, guild, id)
		if err != nil {
			return platform.Object{}, err
		}
		return c.pinObject(guild, m), nil
	default:
		return platform.Object{}, fmt.Errorf("discord cannot import %ss: %w", k, platform.ErrUnsupported)
	}
	return platform.Object{}, notFound(k, id)
}

func (c *Conn) member(ctx context.Context, guild, user string) (*discordgo.Member, error) {
	if !snowflake(guild) {
		return nil, notFound(platform.KindCommunity, guild)
	}
	if !snowflake(user) {
		return nil, notFound(platform.KindMember, user)
	}
	var m discordgo.Member
	if err := c.call(ctx, "GET", discordgo.EndpointGuildMember(guild, user), nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// channel reads a channel and checks it is in the guild (when given).
func (c *Conn) channel(ctx context.Context, guild, id string) (*discordgo.Channel, error) {
	if !snowflake(id) {
		return nil, notFound(platform.KindChannel, id)
	}
	var ch discordgo.Channel
	if err := c.call(ctx, "GET", discordgo.EndpointChannel(id), nil, &ch); err != nil {
		return nil, err
	}
	if ch.GuildID == "" || guild != "" && ch.GuildID != guild {
		return nil, notFound(platform.KindChannel, id)
	}
	return &ch, nil
}

func (c *Conn) channelByID(ctx context.Context, guild, id string) (platform.Object, error) {
	ch, err := c.channel(ctx, guild, id)
	if err != nil {
		return platform.Object{}, err
	}
	if !slices.Contains(listedTypes, ch.Type) {
		return platform.Object{}, notFound(platform.KindChannel, id)
	}
	cats := map[string]string{}
	if ch.ParentID != "" {
		parent, err := c.channel(ctx, ch.GuildID, ch.ParentID)
		if err != nil && !isNotFound(err) {
			return platform.Object{}, err
		}
		if parent != nil {
			cats[parent.ID] = parent.Name
		}
	}
	return channelObject(ch, cats), nil
}

// findPin finds a pinned message by id among a guild's channels,
// trying the channel it was last seen in first.
func (c *Conn) findPin(ctx context.Context, guild, id string) (*discordgo.Message, error) {
	if !snowflake(id) {
		return nil, notFound(platform.KindPin, id)
	}
	c.mu.Lock()
	known := c.channelOf[id]
	c.mu.Unlock()
	if known != "" {
		pins, err := c.pins(ctx, known)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		for _, m := range pins {
			if m.ID == id {
				return m, nil
			}
		}
	}
	g, err := c.channels(ctx, guild)
	if err != nil {
		return nil, err
	}
	for _, ch := range g.all {
		if !slices.Contains(textTypes, ch.Type) || ch.ID == known {
			continue
		}
		pins, err := c.pins(ctx, ch.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range pins {
			if m.ID == id {
				return m, nil
			}
		}
	}
	return nil, notFound(platform.KindPin, id)
}
