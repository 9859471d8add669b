package discord

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/hearth-community/hearth/adapters/internal/ledger"
	"github.com/hearth-community/hearth/engine/platform"
)

// maxTimeout is the longest timeout Discord allows.
const maxTimeout = 28 * 24 * time.Hour

// Perform does one action at most once per key. Within a process every
// Conn to one bot shares its keys (the key ledger). Across restarts messages are
// still sent once: they carry a nonce derived from the key with
// enforce_nonce, and Discord answers a repeat within its nonce window
// with the message already posted. Role changes, timeouts, kicks and
// bans are idempotent on Discord by themselves.
func (c *Conn) Perform(ctx context.Context, req platform.PerformRequest) (platform.PerformResponse, error) {
	if err := platform.CheckPerform(req); err != nil {
		return platform.PerformResponse{}, err
	}
	if c.isClosed() {
		return platform.PerformResponse{}, platform.Permanent(ErrClosed)
	}
	if req.Action == platform.ActionRoleAdd {
		return c.keys.DoHeld(ctx, req.Key, ledger.Fingerprint(req), func() (string, platform.Holding, error) { return c.addRole(ctx, req) })
	}
	return c.keys.Do(ctx, req.Key, ledger.Fingerprint(req), func() (string, error) { return c.perform(ctx, req) })
}

// addRole gives a member a role and says whether they held it: Discord's
// PUT answers 204 either way, so the member is read first (one more
// call, for an action that comes with a tier change), and a member who
// holds it already is left as they are.
func (c *Conn) addRole(ctx context.Context, req platform.PerformRequest) (string, platform.Holding, error) {
	if !snowflake(req.Role) {
		return "", platform.HeldUnknown, notFound(platform.KindRole, req.Role)
	}
	m, err := c.member(ctx, req.Community, req.Member)
	if err != nil {
		return "", platform.HeldUnknown, err
	}
	if slices.Contains(m.Roles, req.Role) {
		return "", platform.HeldYes, nil
	}
	_, err = c.perform(ctx, req)
	return "", platform.HeldNo, err
}

func (c *Conn) perform(ctx context.Context, req platform.PerformRequest) (string, error) {
	guild := req.Community
	if !snowflake(guild) {
		return "", notFound(platform.KindCommunity, guild)
	}
	var opts []discordgo.RequestOption
	if req.Reason != "" {
		// Discord reads the audit log reason URL-encoded.
		opts = append(opts, discordgo.WithAuditLogReason(url.PathEscape(req.Reason)))
	}
	switch req.Action {
	case platform.ActionChannelMessage:
		ch, err := c.channel(ctx, guild, req.Channel)
		if err != nil {
			return "", err
		}
		return c.send(ctx, ch.ID, req)
	case platform.ActionDirectMessage:
		if _, err := c.member(ctx, guild, req.Member); err != nil {
			return "", err
		}
		var dm discordgo.Channel
		if err := c.call(ctx, "POST", discordgo.EndpointUserChannels("@me"), map[string]any{"recipient_id": req.Member}, &dm); err != nil {
			return "", err
		}
		return c.send(ctx, dm.ID, req)
	case platform.ActionRoleAdd, platform.ActionRoleRemove:
		if !snowflake(req.Member) {
			return "", notFound(platform.KindMember, req.Member)
		}
		if !snowflake(req.Role) {
			return "", notFound(platform.KindRole, req.Role)
		}
		method := "PUT"
		if req.Action == platform.ActionRoleRemove {
			method = "DELETE"
		}
		return "", c.call(ctx, method, discordgo.EndpointGuildMemberRole(guild, req.Member, req.Role), nil, nil, opts...)
	case platform.ActionMute, platform.ActionUnmute:
		if !snowflake(req.Member) {
			return "", notFound(platform.KindMember, req.Member)
		}
		var until any
		if req.Action == platform.ActionMute {
			if req.Duration > maxTimeout {
				return "", fmt.Errorf("%w: Discord timeouts last at most 28 days; asked for %s", platform.ErrInvalid, req.Duration)
			}
			until = time.Now().Add(req.Duration).UTC().Format(time.RFC3339)
		}
		return "", c.call(ctx, "PATCH", discordgo.EndpointGuildMember(guild, req.Member), map[string]any{"communication_disabled_until": until}, nil, opts...)
	case platform.ActionKick:
		if !snowflake(req.Member) {
			return "", notFound(platform.KindMember, req.Member)
		}
		return "", c.call(ctx, "DELETE", discordgo.EndpointGuildMember(guild, req.Member), nil, nil, opts...)
	case platform.ActionBan:
		if req.Duration > 0 {
			return "", fmt.Errorf("discord bans have no end date; ban without a duration and unban later, or mute (timeout) for up to 28 days: %w", platform.ErrUnsupported)
		}
		if !snowflake(req.Member) {
			return "", notFound(platform.KindMember, req.Member)
		}
		return "", c.call(ctx, "PUT", discordgo.EndpointGuildBan(guild, req.Member), map[string]any{"delete_message_seconds": 0}, nil, opts...)
	case platform.ActionUnban:
		if !snowflake(req.Member) {
			return "", notFound(platform.KindMember, req.Member)
		}
		return "", c.call(ctx, "DELETE", discordgo.EndpointGuildBan(guild, req.Member), nil, nil, opts...)
	case platform.ActionDeleteMessage:
		ch, err := c.messageChannel(ctx, guild, req.Channel, req.Message)
		if err != nil {
			return "", err
		}
		return "", c.call(ctx, "DELETE", discordgo.EndpointChannelMessage(ch, req.Message), nil, nil, opts...)
	}
	return "", fmt.Errorf("discord cannot %s: %w", req.Action, platform.ErrUnsupported)
}

// Shape is the text of a message as Discord gets it (platform.Shaper):
// as it is, since allowed_mentions, not the text, keeps crowd mentions
// quiet; the note says so where the text has one.
func (a *Adapter) Shape(req platform.ShapeRequest) (platform.ShapeResponse, error) {
	mass, err := platform.SettingBool(req.Settings, "mass_mentions", false)
	if err != nil {
		return platform.ShapeResponse{}, err
	}
	out := platform.ShapeResponse{Text: req.Text}
	if !mass && crowdMention.MatchString(req.Text) {
		out.Note = "Discord shows @everyone, @here and role mentions in this text as written, and they notify no one (mass_mentions is off): only mentions of single users do."
	}
	return out, nil
}

// crowdMention is a mention allowed_mentions keeps quiet unless
// mass_mentions: @everyone, @here and a role's <@&ID>.
var crowdMention = regexp.MustCompile(`@(?:everyone|here)\b|<@&\d+>`)

// send posts a message with a nonce from the key and enforce_nonce, so
// Discord itself refuses a second copy (it answers with the first).
func (c *Conn) send(ctx context.Context, channel string, req platform.PerformRequest) (string, error) {
	var m discordgo.Message
	body := map[string]any{"content": req.Text, "nonce": nonce(req.Key), "enforce_nonce": true}
	if !c.massMentions {
		// The text may quote members (their names, their messages): only
		// user mentions ping, never @everyone, @here or a role.
		body["allowed_mentions"] = map[string]any{"parse": []string{"users"}}
	}
	if err := c.call(ctx, "POST", discordgo.EndpointChannelMessages(channel), body, &m); err != nil {
		return "", err
	}
	if m.Content != req.Text {
		// Discord returned an earlier message with this nonce.
		return "", fmt.Errorf("discord: key %q was used for another message (%s): %w", req.Key, m.ID, platform.ErrKeyReused)
	}
	c.remember(m.ID, channel)
	return m.ID, nil
}

// messageChannel finds the channel of a message: the one given, the
// one it was seen in, or by asking each text channel of the guild.
func (c *Conn) messageChannel(ctx context.Context, guild, channel, message string) (string, error) {
	if !snowflake(message) {
		return "", notFound(platform.KindMessage, message)
	}
	if channel != "" {
		ch, err := c.channel(ctx, guild, channel)
		if err != nil {
			return "", err
		}
		return ch.ID, nil
	}
	c.mu.Lock()
	known := c.channelOf[message]
	c.mu.Unlock()
	g, err := c.channels(ctx, guild)
	if err != nil {
		return "", err
	}
	order := []string{}
	if _, ok := g.byID[known]; ok {
		order = append(order, known)
	}
	for _, ch := range g.all {
		if slices.Contains(textTypes, ch.Type) && ch.ID != known {
			order = append(order, ch.ID)
		}
	}
	for _, id := range order {
		err := c.call(ctx, "GET", discordgo.EndpointChannelMessage(id, message), nil, nil)
		if err == nil {
			return id, nil
		}
		if !isNotFound(err) {
			return "", err
		}
	}
	return "", notFound(platform.KindMessage, message)
}
