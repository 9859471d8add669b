package discord

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/hearth-community/hearth/engine/platform"
)

// maxTimeout is the longest timeout Discord allows.
const maxTimeout = 28 * 24 * time.Hour

// keyStore remembers the actions performed per idempotency key for the
// life of the process, shared by every Conn to one bot. Across restarts
// messages are still sent once: Perform passes a nonce derived from the
// key with enforce_nonce, and Discord answers a repeat within its nonce
// window with the message already posted. Role changes, timeouts, kicks
// and bans are idempotent on Discord by themselves.
type keyStore struct {
	mu   sync.Mutex
	done map[string]keyRecord
	busy map[string]chan struct{}
}

type keyRecord struct {
	fingerprint string
	id          string
}

// fingerprint is what makes two requests the same action.
func fingerprint(req platform.PerformRequest) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%d", req.Action, req.Community, req.Channel,
		req.Member, req.Role, req.Message, req.Text, req.Reason, req.Duration)
}

// claim waits while another call holds the key, then returns the record
// of a finished one, or takes the key (release must follow).
func (k *keyStore) claim(ctx context.Context, key string) (keyRecord, bool, error) {
	for {
		k.mu.Lock()
		if r, ok := k.done[key]; ok {
			k.mu.Unlock()
			return r, true, nil
		}
		wait, busy := k.busy[key]
		if !busy {
			k.busy[key] = make(chan struct{})
			k.mu.Unlock()
			return keyRecord{}, false, nil
		}
		k.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return keyRecord{}, false, ctx.Err()
		}
	}
}

func (k *keyStore) release(key string, rec *keyRecord) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if rec != nil {
		k.done[key] = *rec
	}
	close(k.busy[key])
	delete(k.busy, key)
}

// Perform does one action at most once per key (see keyStore).
func (c *Conn) Perform(ctx context.Context, req platform.PerformRequest) (platform.PerformResponse, error) {
	var out platform.PerformResponse
	if err := platform.CheckPerform(req); err != nil {
		return out, err
	}
	if c.isClosed() {
		return out, platform.Permanent(ErrClosed)
	}
	fp := fingerprint(req)
	rec, done, err := c.keys.claim(ctx, req.Key)
	if err != nil {
		return out, err
	}
	if done {
		if rec.fingerprint != fp {
			return out, fmt.Errorf("discord: key %q: %w", req.Key, platform.ErrKeyReused)
		}
		return platform.PerformResponse{ID: rec.id, Duplicate: true}, nil
	}
	id, err := c.perform(ctx, req)
	if err != nil {
		c.keys.release(req.Key, nil)
		return out, err
	}
	c.keys.release(req.Key, &keyRecord{fingerprint: fp, id: id})
	return platform.PerformResponse{ID: id}, nil
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

// send posts a message with a nonce from the key and enforce_nonce, so
// Discord itself refuses a second copy (it answers with the first).
func (c *Conn) send(ctx context.Context, channel string, req platform.PerformRequest) (string, error) {
	var m discordgo.Message
	body := map[string]any{"content": req.Text, "nonce": nonce(req.Key), "enforce_nonce": true}
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
