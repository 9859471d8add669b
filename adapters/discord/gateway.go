package discord

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/hearth-community/hearth/engine/events"
)

// gatewayIntents are the gateway events hearth reads: members (a
// privileged intent), messages with their content (privileged too) and
// reactions in servers.
const gatewayIntents = discordgo.IntentsGuilds | discordgo.IntentsGuildMembers | discordgo.IntentsGuildMessages |
	discordgo.IntentsGuildMessageReactions | discordgo.IntentsMessageContent

// openGateway connects to Discord's gateway with discordgo and hands
// what members do to the stream through inbox, in the order Discord
// sends it: joins, leaves, messages and reactions. The gateway cannot
// replay, so these events carry the cursor of the last polled event;
// joins and messages have the ids polling gives them, so an event seen
// both ways counts once. stop closes the connection.
func (c *Conn) openGateway(ctx context.Context, guilds []string, names map[string]string, inbox chan inbound) (func(), error) {
	s, err := discordgo.New("Bot " + c.token)
	if err != nil {
		return nil, fmt.Errorf("discord gateway: %w", err)
	}
	s.Client = c.s.Client // the same API URL
	s.StateEnabled = false
	s.SyncEvents = true // handlers in order, on the read loop
	s.ShouldRetryOnRateLimit = false
	s.LogLevel = quiet
	s.Identify.Intents = gatewayIntents
	stopped := make(chan struct{})
	wanted := map[string]bool{}
	for _, g := range guilds {
		wanted[g] = true
	}
	send := func(ev events.Event) {
		in := inbound{ev: ev, done: make(chan error, 1)}
		select {
		case inbox <- in:
		case <-stopped:
			return
		}
		select {
		case <-in.done:
		case <-stopped:
		}
	}
	s.AddHandler(func(_ *discordgo.Session, m *discordgo.GuildMemberAdd) {
		if m.Member != nil && m.User != nil && !m.User.Bot && wanted[m.GuildID] {
			send(joinEvent(m.GuildID, names[m.GuildID], m.Member))
		}
	})
	s.AddHandler(func(_ *discordgo.Session, m *discordgo.GuildMemberRemove) {
		if m.Member != nil && m.User != nil && !m.User.Bot && wanted[m.GuildID] {
			send(leaveEvent(m.GuildID, names[m.GuildID], m.Member, time.Now()))
		}
	})
	s.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) {
		if m.Message == nil || m.Author == nil || m.Author.Bot || m.Author.ID == c.botID || !wanted[m.GuildID] {
			return
		}
		send(messageEvent(m.GuildID, names[m.GuildID], c.channelNamed(ctx, m.ChannelID), m.Message))
	})
	s.AddHandler(func(_ *discordgo.Session, r *discordgo.MessageReactionAdd) {
		if r.MessageReaction == nil || r.UserID == c.botID || !wanted[r.GuildID] || (r.Member != nil && r.Member.User != nil && r.Member.User.Bot) {
			return
		}
		send(reactionEvent(names[r.GuildID], c.channelNamed(ctx, r.ChannelID), r))
	})
	if err := s.Open(); err != nil {
		return nil, fmt.Errorf("discord gateway: %w", err)
	}
	c.log.Info("connected to the Discord gateway")
	return func() {
		close(stopped)
		_ = s.Close()
	}, nil
}

// channelNamed is a channel with its name, for events; a channel that
// cannot be read keeps only its id.
func (c *Conn) channelNamed(ctx context.Context, id string) *discordgo.Channel {
	c.mu.Lock()
	name, ok := c.names[id]
	c.mu.Unlock()
	if !ok {
		if ch, err := c.channel(ctx, "", id); err == nil {
			name = ch.Name
			c.mu.Lock()
			if len(c.names) > 10000 {
				clear(c.names)
			}
			c.names[id] = name
			c.mu.Unlock()
		}
	}
	return &discordgo.Channel{ID: id, Name: name}
}

func leaveEvent(guild, community string, m *discordgo.Member, at time.Time) events.Event {
	name := memberName(m)
	attrs := map[string]any{"reason": "left"}
	if community != "" {
		attrs["community"] = community
	}
	return events.Event{
		ID:        "discord.left." + guild + "." + m.User.ID + "." + strconv.FormatInt(at.UnixMilli(), 10),
		Type:      "member.left",
		Member:    events.Member{ID: m.User.ID, Name: name, Identities: map[string]string{Type: m.User.ID}},
		At:        at.UTC(),
		Source:    Type,
		Community: community,
		Attrs:     attrs,
	}
}

func reactionEvent(community string, ch *discordgo.Channel, r *discordgo.MessageReactionAdd) events.Event {
	emoji := r.Emoji.Name
	if r.Emoji.ID != "" {
		emoji = "custom:" + r.Emoji.ID
	}
	m := events.Member{ID: r.UserID, Identities: map[string]string{Type: r.UserID}}
	if r.Member != nil {
		m.Name = memberName(r.Member)
	}
	return events.Event{
		ID:        "discord.reaction." + r.MessageID + "." + r.UserID + "." + emoji,
		Type:      "reaction.added",
		Member:    m,
		At:        time.Now().UTC(),
		Source:    Type,
		Community: community,
		Attrs:     map[string]any{"emoji": emoji, "target": r.MessageID, "channel": ch.Name, "channel_id": ch.ID},
	}
}
