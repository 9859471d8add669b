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

// Discord channel types hearth lists as channels: text, voice,
// announcement, stage, forum and media channels. Categories (4) are
// channel attributes; threads and DMs are not community objects.
var listedTypes = []discordgo.ChannelType{
	discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildVoice, discordgo.ChannelTypeGuildNews,
	discordgo.ChannelTypeGuildStageVoice, discordgo.ChannelTypeGuildForum, discordgo.ChannelTypeGuildMedia,
}

// textTypes are channels with messages to read and post in.
var textTypes = []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews}

// snowflake reports whether s can be a Discord id. Ids that cannot be
// are answered ErrNotFound without asking Discord, which would answer
// 400 (not a snowflake) rather than 404.
func snowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

func notFound(k platform.Kind, id string) error {
	return fmt.Errorf("discord %s %q: %w", k, id, platform.ErrNotFound)
}

// guild is what hearth reads of a guild in one go: its channels, by id,
// and the names of its categories.
type guildChannels struct {
	all        []*discordgo.Channel
	byID       map[string]*discordgo.Channel
	categories map[string]string // id -> name
}

func (c *Conn) channels(ctx context.Context, guild string) (*guildChannels, error) {
	if !snowflake(guild) {
		return nil, notFound(platform.KindCommunity, guild)
	}
	var list []*discordgo.Channel
	if err := c.call(ctx, "GET", discordgo.EndpointGuildChannels(guild), nil, &list); err != nil {
		return nil, err
	}
	g := &guildChannels{all: list, byID: map[string]*discordgo.Channel{}, categories: map[string]string{}}
	for _, ch := range list {
		g.byID[ch.ID] = ch
		if ch.Type == discordgo.ChannelTypeGuildCategory {
			g.categories[ch.ID] = ch.Name
		}
	}
	return g, nil
}

// viewDenied says whether an overwrite list hides the channel from
// @everyone (whose overwrite id is the guild's id).
func viewDenied(ch *discordgo.Channel) bool {
	for _, o := range ch.PermissionOverwrites {
		if o.ID == ch.GuildID && o.Type == discordgo.PermissionOverwriteTypeRole {
			return o.Deny&discordgo.PermissionViewChannel != 0
		}
	}
	return false
}

func channelObject(ch *discordgo.Channel, categories map[string]string) platform.Object {
	return platform.Object{Kind: platform.KindChannel, ID: ch.ID, Community: ch.GuildID, Attrs: platform.Attrs{
		"name":     ch.Name,
		"topic":    ch.Topic,
		"position": platform.FormatIntValue(ch.Position),
		"category": categories[ch.ParentID],
		"private":  platform.FormatBoolValue(viewDenied(ch)),
	}}
}

func colorValue(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("#%06x", n&0xffffff)
}

func roleObject(guild string, r *discordgo.Role) platform.Object {
	perms, _ := platform.FormatListValue(permissionList(r.Permissions))
	return platform.Object{Kind: platform.KindRole, ID: r.ID, Community: guild, Attrs: platform.Attrs{
		"name":        r.Name,
		"color":       colorValue(r.Color),
		"permissions": perms,
		"hoist":       platform.FormatBoolValue(r.Hoist),
		"mentionable": platform.FormatBoolValue(r.Mentionable),
		"position":    platform.FormatIntValue(r.Position - roleBase),
	}}
}

// roleBase is where hearth's role positions start on Discord: @everyone
// holds 0 and every other role sits above it, so hearth's position 0 is
// Discord's 1.
const roleBase = 1

func memberName(m *discordgo.Member) string {
	if m.Nick != "" {
		return m.Nick
	}
	if m.User == nil {
		return ""
	}
	if m.User.GlobalName != "" {
		return m.User.GlobalName
	}
	return m.User.Username
}

func memberObject(guild string, m *discordgo.Member) platform.Object {
	muted := ""
	if m.CommunicationDisabledUntil != nil {
		muted = platform.FormatTimeValue(*m.CommunicationDisabledUntil)
	}
	return platform.Object{Kind: platform.KindMember, ID: m.User.ID, Community: guild, Attrs: platform.Attrs{
		"name":        memberName(m),
		"joined_at":   platform.FormatTimeValue(m.JoinedAt),
		"muted_until": muted,
	}}
}

func assignmentObject(guild, user, role string) platform.Object {
	return platform.Object{Kind: platform.KindRoleAssignment, ID: user + ":" + role, Community: guild,
		Attrs: platform.Attrs{"member": user, "role": role}}
}

func (c *Conn) pinObject(guild string, m *discordgo.Message) platform.Object {
	author := ""
	if m.Author != nil && m.Author.ID != c.botID {
		author = m.Author.ID
	}
	return platform.Object{Kind: platform.KindPin, ID: m.ID, Community: guild, Attrs: platform.Attrs{
		"channel": m.ChannelID, "text": m.Content, "author": author,
	}}
}

// byPosition sorts Discord's lists as hearth orders them: by position,
// then by id (creation).
func byPosition[T any](items []T, pos func(T) int, id func(T) string) {
	slices.SortStableFunc(items, func(a, b T) int {
		if d := pos(a) - pos(b); d != 0 {
			return d
		}
		return cmpID(id(a), id(b))
	})
}

// cmpID compares snowflakes as numbers.
func cmpID(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}
