package telegramfake

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

func (s *Server) chatFull(c *chat) map[string]any {
	out := chatJSON(c)
	if c.Description != "" {
		out["description"] = c.Description
	}
	out["permissions"] = c.Permissions
	out["accent_color_id"] = 0
	out["max_reaction_count"] = 11
	if n := len(c.pins); n > 0 {
		for _, m := range c.messages {
			if m.MessageID == c.pins[n-1] {
				out["pinned_message"] = m
			}
		}
	}
	return out
}

func (s *Server) getChat(p map[string]string) (any, *apiError) {
	c, e := s.chat(p)
	if e != nil {
		return nil, e
	}
	return s.chatFull(c), nil
}

func (s *Server) setChatTitle(p map[string]string) (any, *apiError) {
	c, e := s.chat(p)
	if e != nil {
		return nil, e
	}
	t := p["title"]
	if n := utf8.RuneCountInString(t); n < 1 || n > 128 {
		return nil, badRequest("chat title can't be empty or longer than 128 characters")
	}
	if t == c.Title {
		return nil, badRequest("chat title is not modified")
	}
	c.Title = t
	return true, nil
}

func (s *Server) setChatDescription(p map[string]string) (any, *apiError) {
	c, e := s.chat(p)
	if e != nil {
		return nil, e
	}
	d := p["description"]
	if utf8.RuneCountInString(d) > 255 {
		return nil, badRequest("chat description is too long")
	}
	if d == c.Description {
		return nil, badRequest("chat description is not modified")
	}
	c.Description = d
	return true, nil
}

func (s *Server) sendMessage(p map[string]string) (any, *apiError) {
	text := p["text"]
	if text == "" {
		return nil, badRequest("message text is empty")
	}
	if utf8.RuneCountInString(text) > 4096 {
		return nil, badRequest("message is too long")
	}
	id, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil {
		return nil, badRequest("chat not found")
	}
	c := s.chats[id]
	if c == nil && id > 0 {
		// A private chat with a user: only once they started the bot.
		if s.users[id] == nil {
			return nil, badRequest("chat not found")
		}
		if !s.started[id] {
			return nil, &apiError{code: 403, desc: "Forbidden: bot can't initiate conversation with a user"}
		}
		c = &chat{ID: id, members: map[int64]*member{}}
		s.chats[id] = c
	}
	if c == nil {
		return nil, badRequest("chat not found")
	}
	entities, e := sentEntities(text, p["entities"])
	if e != nil {
		return nil, e
	}
	thread, _ := strconv.Atoi(p["message_thread_id"])
	m := s.post(c, s.bot, text, thread)
	m.Entities = entities
	if id > 0 {
		m.Chat = map[string]any{"id": id, "type": "private", "first_name": s.users[id].FirstName}
	}
	return m, nil
}

// sentEntities are the entities a sendMessage gives (a JSON array), as
// Telegram checks them: inside the text, and a text_mention with a user.
func sentEntities(text, param string) ([]Entity, *apiError) {
	if param == "" {
		return nil, nil
	}
	var es []Entity
	if err := json.Unmarshal([]byte(param), &es); err != nil {
		return nil, badRequest("can't parse entities: " + err.Error())
	}
	n := utf16Len(text)
	for _, e := range es {
		if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > n {
			return nil, badRequest("can't parse entities: entity is out of the text")
		}
		if e.Type == "text_mention" && (e.User == nil || e.User.ID <= 0) {
			return nil, badRequest("can't parse entities: text_mention without a user")
		}
	}
	return es, nil
}

func (s *Server) message(c *chat, p map[string]string) (*Message, int, *apiError) {
	id, _ := strconv.Atoi(p["message_id"])
	for i, m := range c.messages {
		if m.MessageID == id {
			return m, i, nil
		}
	}
	return nil, 0, nil
}

func (s *Server) editMessageText(p map[string]string) (any, *apiError) {
	c, e := s.chat(p)
	if e != nil {
		return nil, e
	}
	m, _, _ := s.message(c, p)
	if m == nil {
		return nil, badRequest("message to edit not found")
	}
	if m.From == nil || m.From.ID != s.bot.ID {
		return nil, badRequest("message can't be edited")
	}
	if p["text"] == "" {
		return nil, badRequest("message text is empty")
	}
	if p["text"] == m.Text {
		return nil, badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	m.Text = p["text"]
	return m, nil
}

func (s *Server) deleteMessage(p map[string]string) (any, *apiError) {
	c, e := s.chat(p)
	if e != nil {
		return nil, e
	}
	m, i, _ := s.message(c, p)
	if m == nil {
		return nil, badRequest("message to delete not found")
	}
	c.messages = slices.Delete(c.messages, i, i+1)
	c.pins = slices.DeleteFunc(c.pins, func(x int) bool { return x == m.MessageID })
	return true, nil
}

func (s *Server) pinChatMessage(p map[string]string) (any, *apiError) {
	c, e := s.chat(p)
	if e != nil {
		return nil, e
	}
	m, _, _ := s.message(c, p)
	if m == nil {
		return nil, badRequest("message to pin not found")
	}
	c.pins = slices.DeleteFunc(c.pins, func(x int) bool { return x == m.MessageID })
	c.pins = append(c.pins, m.MessageID)
	return true, nil
}

func (s *Server) unpinChatMessage(p map[string]string) (any, *apiError) {
	c, e := s.chat(p)
	if e != nil {
		return nil, e
	}
	if p["message_id"] == "" {
		if len(c.pins) > 0 {
			c.pins = c.pins[:len(c.pins)-1]
		}
		return true, nil
	}
	m, _, _ := s.message(c, p)
	if m == nil || !slices.Contains(c.pins, m.MessageID) {
		return nil, badRequest("message to unpin not found")
	}
	c.pins = slices.DeleteFunc(c.pins, func(x int) bool { return x == m.MessageID })
	return true, nil
}

func (s *Server) memberJSON(c *chat, u *User) map[string]any {
	m := c.members[u.ID]
	if m == nil {
		return map[string]any{"status": "left", "user": u}
	}
	out := map[string]any{"status": m.status, "user": u}
	switch m.status {
	case "administrator":
		out["can_be_edited"] = true
		out["is_anonymous"] = false
		for _, r := range Rights {
			out[r] = m.rights[r]
		}
	case "restricted":
		out["is_member"] = true
		out["until_date"] = m.until
		for _, r := range memberPerms {
			out[r] = m.perms[r]
		}
	case "kicked":
		out["until_date"] = m.until
	}
	return out
}

func (s *Server) getChatMember(p map[string]string) (any, *apiError) {
	c, u, e := s.chatUser(p)
	if e != nil {
		return nil, e
	}
	return s.memberJSON(c, u), nil
}

func (s *Server) getChatAdministrators(p map[string]string) (any, *apiError) {
	c, e := s.chat(p)
	if e != nil {
		return nil, e
	}
	var ids []int64
	for id, m := range c.members {
		if m.status == "administrator" || m.status == "creator" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := []any{}
	for _, id := range ids {
		out = append(out, s.memberJSON(c, s.users[id]))
	}
	return out, nil
}

func (s *Server) promoteChatMember(p map[string]string) (any, *apiError) {
	_, u, m, e := s.participant(p)
	if e != nil {
		return nil, e
	}
	if u.ID == s.bot.ID {
		return nil, badRequest("can't promote self")
	}
	rights := map[string]bool{}
	granted := false
	for _, r := range Rights {
		if v := p[r]; v == "true" {
			rights[r] = true
			granted = true
		}
	}
	if granted {
		// Any right also grants can_manage_chat, as Telegram does.
		rights["can_manage_chat"] = true
		m.status, m.rights = "administrator", rights
	} else if m.status == "administrator" {
		m.status, m.rights = "member", nil
	}
	return true, nil
}

func (s *Server) restrictChatMember(p map[string]string) (any, *apiError) {
	c, _, m, e := s.participant(p)
	if e != nil {
		return nil, e
	}
	if m.status == "administrator" || m.status == "creator" {
		return nil, badRequest("user is an administrator of the chat")
	}
	var perms map[string]bool
	if err := json.Unmarshal([]byte(p["permissions"]), &perms); err != nil {
		return nil, badRequest("can't parse permissions JSON object")
	}
	until, _ := strconv.ParseInt(p["until_date"], 10, 64)
	all := true
	for _, r := range memberPerms {
		if !perms[r] && c.Permissions[r] {
			all = false
		}
	}
	if all {
		m.status, m.perms, m.until = "member", nil, 0
		return true, nil
	}
	m.status, m.perms, m.until = "restricted", perms, s.clampUntil(until)
	return true, nil
}

// clampUntil is Telegram's rule: an end less than 30 seconds or more
// than 366 days away is forever (0).
func (s *Server) clampUntil(until int64) int64 {
	now := s.now().Unix()
	if until < now+30 || until > now+366*24*3600 {
		return 0
	}
	return until
}

func (s *Server) banChatMember(p map[string]string) (any, *apiError) {
	c, u, e := s.chatUser(p)
	if e != nil {
		return nil, e
	}
	if m := c.members[u.ID]; m != nil && (m.status == "creator") {
		return nil, badRequest("can't remove chat owner")
	}
	until, _ := strconv.ParseInt(p["until_date"], 10, 64)
	old := "left"
	if m := c.members[u.ID]; m != nil {
		old = m.status
	}
	c.members[u.ID] = &member{status: "kicked", until: s.clampUntil(until)}
	if old != "left" && old != "kicked" {
		s.memberUpdate(c, u, old, "kicked")
	}
	return true, nil
}

func (s *Server) unbanChatMember(p map[string]string) (any, *apiError) {
	c, u, e := s.chatUser(p)
	if e != nil {
		return nil, e
	}
	m := c.members[u.ID]
	if m != nil && m.status == "kicked" {
		c.members[u.ID] = &member{status: "left"}
		return true, nil
	}
	if p["only_if_banned"] == "true" {
		return true, nil
	}
	if m != nil && m.status != "left" {
		// Without only_if_banned Telegram removes a member being unbanned.
		c.members[u.ID] = &member{status: "left"}
	}
	return true, nil
}

func (s *Server) setWebhook(p map[string]string) (any, *apiError) {
	if p["url"] == "" {
		s.webhook.url, s.webhook.secret = "", ""
		return true, nil
	}
	sec := p["secret_token"]
	if len(sec) > 256 {
		return nil, badRequest("secret token is too long")
	}
	for _, r := range sec {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return nil, badRequest("secret token contains unallowed characters")
		}
	}
	s.webhook.url, s.webhook.secret = p["url"], sec
	if raw := p["allowed_updates"]; raw != "" {
		var a []string
		if json.Unmarshal([]byte(raw), &a) == nil {
			s.allowed = a
		}
	}
	return true, nil
}

func (s *Server) deleteWebhook(map[string]string) (any, *apiError) {
	s.webhook.url, s.webhook.secret = "", ""
	return true, nil
}
