package telegram

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"github.com/hearth-community/hearth/engine/events"
)

// updateEvents maps one update to hearth events: a group message to
// message.posted, an edit to message.edited, a member's status change to
// member.joined or member.left, a new reaction to reaction.added. Bots,
// private chats and anonymous senders make none. Ids come from the
// update's content (chat, message, update_id), so a redelivered update
// makes the same events. seen remembers who wrote the messages it maps,
// so a later reaction names the member reacted to (target_member).
func updateEvents(u *models.Update, botID int64, communities map[string]string, seen *authors) []events.Event {
	var out []events.Event
	group := func(c models.Chat) bool {
		return c.Type == models.ChatTypeGroup || c.Type == models.ChatTypeSupergroup
	}
	person := func(x *models.User) bool { return x != nil && !x.IsBot && x.ID != botID && x.ID > 0 }
	member := func(x *models.User) events.Member {
		id := strconv.FormatInt(x.ID, 10)
		return events.Member{ID: id, Name: strings.TrimSpace(x.FirstName + " " + x.LastName), Identities: map[string]string{Type: id}}
	}
	ev := func(id, typ string, chat models.Chat, who *models.User, at int, attrs map[string]any) {
		e := events.Event{ID: id, Type: typ, Member: member(who), At: unix(int64(at)), Source: Type,
			Community: communities[strconv.FormatInt(chat.ID, 10)], Attrs: attrs}
		if e.Check() == nil {
			out = append(out, e)
		}
	}
	chatKey := func(c models.Chat) string { return "telegram." + strconv.FormatInt(c.ID, 10) }

	if m := u.Message; m != nil && group(m.Chat) && person(m.From) {
		seen.add(m.Chat.ID, m.ID, m.From.ID)
		if r := m.ReplyToMessage; r != nil && person(r.From) {
			seen.add(m.Chat.ID, r.ID, r.From.ID)
		}
		text := m.Text
		if text == "" {
			text = m.Caption
		}
		if text != "" {
			attrs := map[string]any{
				"channel": m.Chat.Title, "channel_id": strconv.FormatInt(m.Chat.ID, 10), "post_id": strconv.Itoa(m.ID),
				"text": text, "length": utf8.RuneCountInString(text),
			}
			links, mentions := 0, 0
			for _, e := range append(m.Entities, m.CaptionEntities...) {
				switch e.Type {
				case models.MessageEntityTypeURL, models.MessageEntityTypeTextLink:
					links++
				case models.MessageEntityTypeMention, models.MessageEntityTypeTextMention:
					mentions++
				}
			}
			attrs["links"], attrs["mentions"] = links, mentions
			if r := m.ReplyToMessage; r != nil && !topicStart(m, r) {
				attrs["reply_to"] = strconv.Itoa(r.ID)
			}
			if m.MessageThreadID != 0 {
				attrs["thread"] = strconv.Itoa(m.MessageThreadID)
			}
			ev(chatKey(m.Chat)+".msg."+strconv.Itoa(m.ID), "message.posted", m.Chat, m.From, m.Date, attrs)
		}
	}
	if m := u.EditedMessage; m != nil && group(m.Chat) && person(m.From) && m.Text != "" {
		seen.add(m.Chat.ID, m.ID, m.From.ID)
		ev(chatKey(m.Chat)+".msg."+strconv.Itoa(m.ID)+".edit."+strconv.Itoa(m.EditDate), "message.edited", m.Chat, m.From, m.EditDate,
			map[string]any{"channel": m.Chat.Title, "channel_id": strconv.FormatInt(m.Chat.ID, 10), "post_id": strconv.Itoa(m.ID), "text": m.Text})
	}
	if cm := u.ChatMember; cm != nil && group(cm.Chat) {
		was, is := inChat(cm.OldChatMember), inChat(cm.NewChatMember)
		who := memberUser(cm.NewChatMember)
		if person(who) && was != is {
			id := chatKey(cm.Chat) + ".update." + strconv.FormatInt(u.ID, 10)
			if is {
				attrs := map[string]any{"name": strings.TrimSpace(who.FirstName + " " + who.LastName)}
				if c := communities[strconv.FormatInt(cm.Chat.ID, 10)]; c != "" {
					attrs["community"] = c
				}
				if cm.InviteLink != nil && cm.InviteLink.Name != "" {
					attrs["invite"] = cm.InviteLink.Name
				}
				ev(id, "member.joined", cm.Chat, who, cm.Date, attrs)
			} else {
				reason := "left"
				if cm.NewChatMember.Type == models.ChatMemberTypeBanned {
					reason = "banned"
				}
				attrs := map[string]any{"reason": reason}
				if c := communities[strconv.FormatInt(cm.Chat.ID, 10)]; c != "" {
					attrs["community"] = c
				}
				ev(id, "member.left", cm.Chat, who, cm.Date, attrs)
			}
		}
	}
	if r := u.MessageReaction; r != nil && group(r.Chat) && person(r.User) {
		old := map[string]bool{}
		for _, x := range r.OldReaction {
			old[reactionName(x)] = true
		}
		for _, x := range r.NewReaction {
			name := reactionName(x)
			if name == "" || old[name] {
				continue
			}
			attrs := map[string]any{"emoji": name, "target": strconv.Itoa(r.MessageID), "channel": r.Chat.Title, "channel_id": strconv.FormatInt(r.Chat.ID, 10)}
			if author, ok := seen.author(r.Chat.ID, r.MessageID); ok {
				attrs["target_member"] = strconv.FormatInt(author, 10)
			}
			ev(chatKey(r.Chat)+".react."+strconv.Itoa(r.MessageID)+"."+strconv.FormatInt(r.User.ID, 10)+"."+name+"."+strconv.Itoa(r.Date),
				"reaction.added", r.Chat, r.User, r.Date, attrs)
		}
	}
	return out
}

// topicStart says whether a message's reply_to_message is only the
// service message that created its forum topic: Telegram sets it on
// every message posted in a topic, so it is no reply to anyone.
func topicStart(m, replied *models.Message) bool {
	return replied.ForumTopicCreated != nil || (m.IsTopicMessage && replied.ID == m.MessageThreadID)
}

// authorsMax bounds how many messages' authors a Conn remembers: about
// 32 bytes each, so at most a few megabytes.
const authorsMax = 100_000

// msgKey is a message: its chat and its id in the chat.
type msgKey struct {
	chat int64
	msg  int
}

// authors remembers who wrote the latest authorsMax group messages
// hearth saw, because Telegram's message_reaction update names the
// message reacted to but not its author. A reaction to a message from
// before (an older one, or one sent before hearth started) has no
// target_member. A nil *authors remembers nothing. It is safe for
// concurrent use.
type authors struct {
	mu    sync.Mutex
	by    map[msgKey]int64
	order []msgKey // a ring of the keys in by, oldest at next once full
	next  int
}

func (a *authors) add(chat int64, msg int, user int64) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	k := msgKey{chat, msg}
	if a.by == nil {
		a.by = map[msgKey]int64{}
	}
	if _, ok := a.by[k]; ok {
		a.by[k] = user
		return
	}
	a.by[k] = user
	if len(a.order) < authorsMax {
		a.order = append(a.order, k)
		return
	}
	delete(a.by, a.order[a.next])
	a.order[a.next] = k
	a.next = (a.next + 1) % authorsMax
}

func (a *authors) author(chat int64, msg int) (int64, bool) {
	if a == nil {
		return 0, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.by[msgKey{chat, msg}]
	return u, ok
}

// inChat says whether a status is being in the chat.
func inChat(m models.ChatMember) bool {
	switch m.Type {
	case models.ChatMemberTypeOwner, models.ChatMemberTypeAdministrator, models.ChatMemberTypeMember:
		return true
	case models.ChatMemberTypeRestricted:
		return m.Restricted != nil && m.Restricted.IsMember
	}
	return false
}

func memberUser(m models.ChatMember) *models.User {
	switch m.Type {
	case models.ChatMemberTypeOwner:
		if m.Owner != nil {
			return m.Owner.User
		}
	case models.ChatMemberTypeAdministrator:
		if m.Administrator != nil {
			return &m.Administrator.User
		}
	case models.ChatMemberTypeMember:
		if m.Member != nil {
			return m.Member.User
		}
	case models.ChatMemberTypeRestricted:
		if m.Restricted != nil {
			return m.Restricted.User
		}
	case models.ChatMemberTypeLeft:
		if m.Left != nil {
			return m.Left.User
		}
	case models.ChatMemberTypeBanned:
		if m.Banned != nil {
			return m.Banned.User
		}
	}
	return nil
}

func reactionName(r models.ReactionType) string {
	switch {
	case r.ReactionTypeEmoji != nil:
		return r.ReactionTypeEmoji.Emoji
	case r.ReactionTypeCustomEmoji != nil:
		return "custom:" + r.ReactionTypeCustomEmoji.CustomEmojiID
	}
	return ""
}
