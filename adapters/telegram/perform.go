package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/hearth-community/hearth/adapters/internal/ledger"
	"github.com/hearth-community/hearth/engine/platform"
)

// Telegram's limits on restrictions and bans: an end less than 30
// seconds or more than 366 days away means forever, which hearth never
// asks for by accident.
const (
	minUntil = 30 * time.Second
	maxUntil = 366 * 24 * time.Hour
)

// Perform does one action at most once per key within the process.
func (c *Conn) Perform(ctx context.Context, req platform.PerformRequest) (platform.PerformResponse, error) {
	if err := platform.CheckPerform(req); err != nil {
		return platform.PerformResponse{}, err
	}
	if err := c.check(ctx); err != nil {
		return platform.PerformResponse{}, err
	}
	return c.keys.Do(ctx, req.Key, ledger.Fingerprint(req), func() (string, error) { return c.perform(ctx, req) })
}

// channelTarget reads a channel: the group's id, or "CHAT/THREAD" for a
// forum topic of it.
func channelTarget(community, channel string) (int64, int, error) {
	chatPart, thread, hasThread := strings.Cut(channel, "/")
	if chatPart != community {
		return 0, 0, fmt.Errorf("telegram channel %q is not in chat %s: %w", channel, community, platform.ErrNotFound)
	}
	chat, err := chatID(chatPart)
	if err != nil {
		return 0, 0, err
	}
	if !hasThread {
		return chat, 0, nil
	}
	t, err := strconv.Atoi(thread)
	if err != nil || t <= 0 {
		return 0, 0, fmt.Errorf("telegram topic %q: %w", channel, platform.ErrNotFound)
	}
	return chat, t, nil
}

func until(d time.Duration) (int, error) {
	if d < minUntil || d > maxUntil {
		return 0, fmt.Errorf("%w: Telegram restrictions and bans last from 30 seconds to 366 days; asked for %s", platform.ErrInvalid, d)
	}
	return int(time.Now().Add(d).Unix()), nil
}

func (c *Conn) perform(ctx context.Context, req platform.PerformRequest) (string, error) {
	chat, err := chatID(req.Community)
	if err != nil {
		return "", err
	}
	switch req.Action {
	case platform.ActionChannelMessage:
		target, thread, err := channelTarget(req.Community, req.Channel)
		if err != nil {
			return "", err
		}
		m, err := c.b.SendMessage(ctx, &bot.SendMessageParams{ChatID: target, MessageThreadID: thread, Text: req.Text, Entities: mentionEntities(req)})
		if err != nil {
			return "", classify("sendMessage", err)
		}
		return strconv.Itoa(m.ID), nil
	case platform.ActionDirectMessage:
		if _, err := c.chatMember(ctx, req.Community, req.Member); err != nil {
			return "", err
		}
		u, _ := userID(req.Member)
		// Works once the member has started a chat with the bot; until
		// then Telegram answers 403, a permanent failure.
		m, err := c.b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u, Text: req.Text, Entities: mentionEntities(req)})
		if err != nil {
			return "", classify("sendMessage", err)
		}
		return strconv.Itoa(m.ID), nil
	case platform.ActionRoleAdd, platform.ActionRoleRemove:
		rights, err := parseRole(req.Role)
		if err != nil {
			return "", err
		}
		if _, err := c.chatMember(ctx, req.Community, req.Member); err != nil {
			return "", err
		}
		if req.Action == platform.ActionRoleRemove {
			rights = map[string]bool{}
		}
		u, _ := userID(req.Member)
		if _, err := c.b.PromoteChatMember(ctx, promoteParams(chat, u, rights)); err != nil {
			return "", classify("promoteChatMember", err)
		}
		return "", nil
	case platform.ActionMute, platform.ActionUnmute:
		u, err := userID(req.Member)
		if err != nil {
			return "", err
		}
		p := &bot.RestrictChatMemberParams{ChatID: chat, UserID: u, Permissions: &models.ChatPermissions{}}
		if req.Action == platform.ActionMute {
			if p.UntilDate, err = until(req.Duration); err != nil {
				return "", err
			}
		} else {
			// Unmuting gives back what the group lets every member do.
			ch, err := c.chat(ctx, req.Community)
			if err != nil {
				return "", err
			}
			if ch.Permissions != nil {
				p.Permissions = ch.Permissions
			}
		}
		if _, err := c.b.RestrictChatMember(ctx, p); err != nil {
			return "", classify("restrictChatMember", err)
		}
		return "", nil
	case platform.ActionKick:
		if _, err := c.chatMember(ctx, req.Community, req.Member); err != nil {
			return "", err
		}
		u, _ := userID(req.Member)
		// Telegram kicks by banning and unbanning: the member may join
		// again.
		if _, err := c.b.BanChatMember(ctx, &bot.BanChatMemberParams{ChatID: chat, UserID: u}); err != nil {
			return "", classify("banChatMember", err)
		}
		if _, err := c.b.UnbanChatMember(ctx, &bot.UnbanChatMemberParams{ChatID: chat, UserID: u, OnlyIfBanned: true}); err != nil {
			return "", classify("unbanChatMember", err)
		}
		return "", nil
	case platform.ActionBan:
		u, err := userID(req.Member)
		if err != nil {
			return "", err
		}
		p := &bot.BanChatMemberParams{ChatID: chat, UserID: u}
		if req.Duration > 0 {
			if p.UntilDate, err = until(req.Duration); err != nil {
				return "", err
			}
		}
		if _, err := c.b.BanChatMember(ctx, p); err != nil {
			return "", classify("banChatMember", err)
		}
		return "", nil
	case platform.ActionUnban:
		m, err := c.chatMember(ctx, req.Community, req.Member)
		if m == nil || m.Type != models.ChatMemberTypeBanned {
			if err == nil || isNotFound(err) {
				return "", fmt.Errorf("telegram user %s is not banned from chat %s: %w", req.Member, req.Community, platform.ErrNotFound)
			}
			return "", err
		}
		u, _ := userID(req.Member)
		if _, err := c.b.UnbanChatMember(ctx, &bot.UnbanChatMemberParams{ChatID: chat, UserID: u, OnlyIfBanned: true}); err != nil {
			return "", classify("unbanChatMember", err)
		}
		return "", nil
	case platform.ActionDeleteMessage:
		target := chat
		if req.Channel != "" {
			if target, _, err = channelTarget(req.Community, req.Channel); err != nil {
				return "", err
			}
		}
		msg, err := strconv.Atoi(req.Message)
		if err != nil || msg <= 0 {
			return "", fmt.Errorf("telegram message %q: %w", req.Message, platform.ErrNotFound)
		}
		if _, err := c.b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: target, MessageID: msg}); err != nil {
			return "", classify("deleteMessage", err)
		}
		return "", nil
	}
	return "", fmt.Errorf("telegram cannot %s: %w", req.Action, platform.ErrUnsupported)
}

// mentionEntities are the text_mention entities of req's mentions: each
// over the part of the text that shows the member, counted in UTF-16
// code units as Telegram counts. A mention of no user id is left out.
func mentionEntities(req platform.PerformRequest) []models.MessageEntity {
	var out []models.MessageEntity
	for _, m := range req.Mentions {
		id, err := userID(m.ID)
		if err != nil {
			continue
		}
		out = append(out, models.MessageEntity{Type: models.MessageEntityTypeTextMention,
			Offset: utf16Len(req.Text[:m.Start]), Length: utf16Len(req.Text[m.Start:m.End]), User: &models.User{ID: id}})
	}
	return out
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
