// Package telegramfake is an in-process Telegram Bot API for tests: the
// methods hearth's Telegram adapter calls, at POST /bot<token>/<method>,
// taking parameters as multipart or URL-encoded forms or JSON, answering
// with the documented envelope ({"ok":true,"result":...} or
// {"ok":false,"error_code":400,"description":"Bad Request: chat not
// found"}), 429 with parameters.retry_after, getUpdates with offset
// confirmation, long polling, allowed_updates, and the 409 Conflict while
// a webhook is set.
//
// It is safe for concurrent use. Test hooks (AddChat, AddMember, Post,
// PostWith, AddTopic, React, Leave, StartBot, RateLimitNext) act as
// people and as Telegram. Posts carry the url and mention entities
// Telegram finds in plain text, so link and mention rules can be tried.
package telegramfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf16"
)

// Server is a fake Telegram Bot API.
type Server struct {
	*httptest.Server
	Token string

	mu       sync.Mutex
	now      func() time.Time
	bot      *User
	nextUser int64
	nextChat int64
	nextUpd  int64
	users    map[int64]*User
	started  map[int64]bool // users who started the bot: it may DM them
	chats    map[int64]*chat
	updates  []update
	allowed  []string
	changed  chan struct{}
	webhook  struct{ url, secret string }
	forced   map[string]int
	requests []string
}

type update struct {
	id   int64
	kind string
	body map[string]any
}

type chat struct {
	ID          int64
	Title       string
	Description string
	Permissions map[string]bool
	members     map[int64]*member
	messages    []*Message
	pins        []int // newest last
	nextMsg     int
	forum       bool // has topics (AddTopic)
}

type member struct {
	status string // creator, administrator, member, restricted, left, kicked
	rights map[string]bool
	until  int64
	perms  map[string]bool
}

// User is a Telegram user.
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	Username  string `json:"username,omitempty"`
}

// Message is a Telegram message.
type Message struct {
	MessageID int            `json:"message_id"`
	From      *User          `json:"from,omitempty"`
	Chat      map[string]any `json:"chat"`
	Date      int64          `json:"date"`
	Text      string         `json:"text,omitempty"`
	ThreadID  int            `json:"message_thread_id,omitempty"`
	Entities  []Entity       `json:"entities,omitempty"`
	// InTopic is is_topic_message: posted in a forum topic.
	InTopic bool     `json:"is_topic_message,omitempty"`
	ReplyTo *Message `json:"reply_to_message,omitempty"`
	// TopicCreated is the forum_topic_created of the service message
	// that starts a topic.
	TopicCreated map[string]any `json:"forum_topic_created,omitempty"`
}

// Entity is a message entity; Offset and Length count UTF-16 code units,
// as Telegram's do.
type Entity struct {
	Type   string `json:"type"` // url, text_link, mention ...
	Offset int    `json:"offset"`
	Length int    `json:"length"`
	URL    string `json:"url,omitempty"`  // a text_link's target
	User   *User  `json:"user,omitempty"` // a text_mention's user
}

// EntityOn is an entity of type typ over the first part of text that is
// part (none when text has no such part); url is a text_link's target.
func EntityOn(text, part, typ, url string) (Entity, bool) {
	at := strings.Index(text, part)
	if at < 0 || part == "" {
		return Entity{}, false
	}
	return Entity{Type: typ, Offset: utf16Len(text[:at]), Length: utf16Len(part), URL: url}, true
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// textEntities are the entities Telegram finds in plain text: words
// starting with http:// or https:// (url) and @ followed by a username
// (mention).
func textEntities(text string) []Entity {
	var out []Entity
	at := 0
	for _, word := range strings.FieldsFunc(text, unicode.IsSpace) {
		i := strings.Index(text[at:], word) + at
		at = i + len(word)
		word = strings.TrimRight(word, ".,;:!?)")
		switch {
		case strings.HasPrefix(word, "http://") || strings.HasPrefix(word, "https://"):
			out = append(out, Entity{Type: "url", Offset: utf16Len(text[:i]), Length: utf16Len(word)})
		case len(word) > 1 && word[0] == '@' && strings.IndexFunc(word[1:], notUsername) < 0:
			out = append(out, Entity{Type: "mention", Offset: utf16Len(text[:i]), Length: utf16Len(word)})
		}
	}
	return out
}

func notUsername(r rune) bool {
	return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

// Rights are the administrator rights promoteChatMember sets.
var Rights = []string{"can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
	"can_promote_members", "can_change_info", "can_invite_users", "can_pin_messages", "can_manage_topics",
	"can_post_stories", "can_edit_stories", "can_delete_stories"}

// memberPerms are what restrictChatMember takes away and gives back.
var memberPerms = []string{"can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
	"can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
	"can_add_web_page_previews", "can_change_info", "can_invite_users", "can_pin_messages", "can_manage_topics"}

// New starts a fake with a bot whose token is token ("ID:SECRET").
func New(token string) *Server {
	s := NewHandler(token)
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// NewHandler is a fake like New's that serves nothing itself: serve it
// as an http.Handler (hearth local serve telegram does). APIURL and
// Close are New's only.
func NewHandler(token string) *Server {
	id, _, _ := strings.Cut(token, ":")
	botID, _ := strconv.ParseInt(id, 10, 64)
	s := &Server{Token: token, now: time.Now, bot: &User{ID: botID, IsBot: true, FirstName: "hearth", Username: "hearth_bot"},
		nextUser: 5_000_000_000, nextChat: 1_000_000_000_000, users: map[int64]*User{}, started: map[int64]bool{},
		chats: map[int64]*chat{}, changed: make(chan struct{}), forced: map[string]int{}}
	s.users[botID] = s.bot
	return s
}

// ServeHTTP answers the Bot API's methods.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r) }

// APIURL is the server URL to give the adapter (api_url).
func (s *Server) APIURL() string { return s.URL }

// AddChat makes a supergroup with the bot as an administrator with
// every right, and returns its id (-100...).
func (s *Server) AddChat(title string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextChat++
	id := -s.nextChat
	perms := map[string]bool{}
	for _, p := range memberPerms {
		perms[p] = true
	}
	rights := map[string]bool{}
	for _, r := range Rights {
		rights[r] = true
	}
	s.chats[id] = &chat{ID: id, Title: title, Permissions: perms, members: map[int64]*member{s.bot.ID: {status: "administrator", rights: rights}}}
	return id
}

// AddMember has a new user join a chat and returns the user id.
func (s *Server) AddMember(chatID int64, name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUser++
	u := &User{ID: s.nextUser, FirstName: name, Username: strings.ToLower(strings.ReplaceAll(name, " ", ""))}
	s.users[u.ID] = u
	c := s.chats[chatID]
	if c == nil {
		return u.ID
	}
	c.members[u.ID] = &member{status: "member"}
	s.memberUpdate(c, u, "left", "member")
	return u.ID
}

// Leave has a user leave a chat.
func (s *Server) Leave(chatID, userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil || c.members[userID] == nil {
		return
	}
	old := c.members[userID].status
	c.members[userID] = &member{status: "left"}
	s.memberUpdate(c, s.users[userID], old, "left")
}

// StartBot records that a user pressed Start in a private chat with the
// bot, so the bot may message them.
func (s *Server) StartBot(userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started[userID] = true
}

// Post has a user post in a chat and returns the message id. The
// message carries the url and mention entities in its text.
func (s *Server) Post(chatID, userID int64, text string) int {
	return s.PostWith(chatID, userID, text, PostOptions{})
}

// PostOptions are what a post carries besides its text.
type PostOptions struct {
	// Entities are added to those found in the text (text_link ones,
	// say; see EntityOn).
	Entities []Entity
	// Topic is a forum topic's id (AddTopic): the post is in it and, as
	// Telegram does, replies to the message that created it unless
	// ReplyTo names another.
	Topic int
	// ReplyTo is the id of the message replied to.
	ReplyTo int
}

// PostWith is Post with entities, a forum topic or a reply.
func (s *Server) PostWith(chatID, userID int64, text string, o PostOptions) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	m := s.post(c, s.users[userID], text, o.Topic)
	m.Entities = append(textEntities(text), o.Entities...)
	m.InTopic = o.Topic != 0
	replied := o.ReplyTo
	if replied == 0 {
		replied = o.Topic
	}
	for _, r := range c.messages {
		if replied != 0 && r.MessageID == replied {
			quoted := *r
			quoted.ReplyTo = nil // Telegram quotes one level
			m.ReplyTo = &quoted
		}
	}
	s.push("message", map[string]any{"message": m})
	return m.MessageID
}

// AddTopic has a user make a forum topic in a chat (a forum then) and
// returns its id, the id of the service message that created it.
func (s *Server) AddTopic(chatID, userID int64, name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	c.forum = true
	c.nextMsg++
	m := &Message{MessageID: c.nextMsg, From: s.users[userID], Chat: chatJSON(c), Date: s.now().Unix(), ThreadID: c.nextMsg,
		InTopic: true, TopicCreated: map[string]any{"name": name, "icon_color": 7322096}}
	c.messages = append(c.messages, m)
	s.push("message", map[string]any{"message": m})
	return m.MessageID
}

// React has a user react to a message with an emoji.
func (s *Server) React(chatID, userID int64, messageID int, emoji string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	s.push("message_reaction", map[string]any{"message_reaction": map[string]any{
		"chat": chatJSON(c), "message_id": messageID, "user": s.users[userID], "date": s.now().Unix(),
		"old_reaction": []any{}, "new_reaction": []any{map[string]any{"type": "emoji", "emoji": emoji}},
	}})
}

// RateLimitNext makes the next call of method answer 429 with
// retry_after seconds.
func (s *Server) RateLimitNext(method string, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced[strings.ToLower(method)] = retryAfter
}

// Requests lists the methods called, with the chat_id when there is one.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Messages returns a chat's messages (a private chat's id is the user's).
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	if c := s.chats[chatID]; c != nil {
		for _, m := range c.messages {
			out = append(out, *m)
		}
	}
	return out
}

// Status is a member's status, rights (administrators) and until_date.
func (s *Server) Status(chatID, userID int64) (string, []string, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil || c.members[userID] == nil {
		return "left", nil, 0
	}
	m := c.members[userID]
	var rights []string
	for r, on := range m.rights {
		if on {
			rights = append(rights, r)
		}
	}
	slices.Sort(rights)
	return m.status, rights, m.until
}

// Chat returns a chat's title and description.
func (s *Server) Chat(chatID int64) (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		return c.Title, c.Description
	}
	return "", ""
}

// Webhook is the webhook URL and secret token set, if any.
func (s *Server) Webhook() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook.url, s.webhook.secret
}

func chatJSON(c *chat) map[string]any {
	j := map[string]any{"id": c.ID, "type": "supergroup", "title": c.Title}
	if c.forum {
		j["is_forum"] = true
	}
	return j
}

func (s *Server) post(c *chat, from *User, text string, thread int) *Message {
	c.nextMsg++
	m := &Message{MessageID: c.nextMsg, From: from, Chat: chatJSON(c), Date: s.now().Unix(), Text: text, ThreadID: thread}
	c.messages = append(c.messages, m)
	return m
}

func (s *Server) memberUpdate(c *chat, u *User, from, to string) {
	s.push("chat_member", map[string]any{"chat_member": map[string]any{
		"chat": chatJSON(c), "from": u, "date": s.now().Unix(),
		"old_chat_member": map[string]any{"status": from, "user": u},
		"new_chat_member": map[string]any{"status": to, "user": u},
	}})
}

// push queues an update and wakes long polls.
func (s *Server) push(kind string, body map[string]any) {
	s.nextUpd++
	body["update_id"] = s.nextUpd
	s.updates = append(s.updates, update{id: s.nextUpd, kind: kind, body: body})
	close(s.changed)
	s.changed = make(chan struct{})
}

// apiError is the documented error envelope.
type apiError struct {
	code  int
	desc  string
	retry int
}

func badRequest(desc string) *apiError { return &apiError{code: 400, desc: "Bad Request: " + desc} }

// params reads a call's parameters from a multipart or URL-encoded form
// or a JSON object; values of JSON objects stay JSON text.
func params(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range r.URL.Query() {
		out[k] = v[0]
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || len(b) == 0 {
		return out, err // a call without parameters may send no body
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		for k, raw := range m {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				out[k] = s
			} else {
				out[k] = string(raw)
			}
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return nil, err
		}
		for k, v := range r.MultipartForm.Value {
			out[k] = v[0]
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		for k, v := range r.PostForm {
			out[k] = v[0]
		}
	}
	return out, nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	tok, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		writeErr(w, &apiError{code: 404, desc: "Not Found"})
		return
	}
	if tok != s.Token {
		writeErr(w, &apiError{code: 401, desc: "Unauthorized"})
		return
	}
	p, err := params(r)
	if err != nil {
		writeErr(w, badRequest("can't parse request parameters"))
		return
	}
	method = strings.ToLower(method)
	s.mu.Lock()
	s.requests = append(s.requests, method+" "+p["chat_id"])
	if secs, ok := s.forced[method]; ok {
		delete(s.forced, method)
		s.mu.Unlock()
		writeErr(w, &apiError{code: 429, desc: fmt.Sprintf("Too Many Requests: retry after %d", secs), retry: secs})
		return
	}
	if method == "getupdates" {
		s.getUpdates(r.Context(), w, p) // unlocks
		return
	}
	h, ok := s.methods()[method]
	if !ok {
		s.mu.Unlock()
		writeErr(w, &apiError{code: 404, desc: "Not Found: method not found"})
		return
	}
	res, aerr := h(p)
	s.mu.Unlock()
	if aerr != nil {
		writeErr(w, aerr)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": res})
}

func writeErr(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"ok": false, "error_code": e.code, "description": e.desc}
	if e.retry > 0 {
		body["parameters"] = map[string]any{"retry_after": e.retry}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.code)
	_ = json.NewEncoder(w).Encode(body)
}

// defaultAllowed are the update types sent when allowed_updates was
// never given: all but chat_member, message_reaction and
// message_reaction_count, as Telegram documents.
var defaultAllowed = []string{"message", "edited_message"}

func (s *Server) getUpdates(ctx context.Context, w http.ResponseWriter, p map[string]string) {
	if s.webhook.url != "" {
		s.mu.Unlock()
		writeErr(w, &apiError{code: 409, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"})
		return
	}
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	limit, err := strconv.Atoi(p["limit"])
	if p["limit"] == "" {
		limit, err = 100, nil
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	if err != nil || limit < 1 {
		limit = 100
	}
	limit = min(limit, 100)
	if raw := p["allowed_updates"]; raw != "" {
		var a []string
		if json.Unmarshal([]byte(raw), &a) == nil {
			s.allowed = a
		}
	}
	if offset > 0 {
		// Confirms every update before offset: Telegram forgets them.
		s.updates = slices.DeleteFunc(s.updates, func(u update) bool { return u.id < offset })
	}
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		allowed := s.allowed
		if allowed == nil {
			allowed = defaultAllowed
		}
		var out []map[string]any
		for _, u := range s.updates {
			if u.id >= offset && slices.Contains(allowed, u.kind) && len(out) < limit {
				out = append(out, u.body)
			}
		}
		changed := s.changed
		if len(out) > 0 || timeout <= 0 {
			s.mu.Unlock()
			if out == nil {
				out = []map[string]any{}
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": out})
			return
		}
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			timeout = 0
		case <-ctx.Done():
			return
		}
		s.mu.Lock()
	}
}

func (s *Server) chat(p map[string]string) (*chat, *apiError) {
	id, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil {
		return nil, badRequest("chat not found")
	}
	c := s.chats[id]
	if c == nil {
		return nil, badRequest("chat not found")
	}
	return c, nil
}

func (s *Server) user(p map[string]string) (*User, *apiError) {
	id, err := strconv.ParseInt(p["user_id"], 10, 64)
	if err != nil || s.users[id] == nil {
		return nil, badRequest("user not found")
	}
	return s.users[id], nil
}

// chatUser is the chat_id and user_id parameters' chat and user.
func (s *Server) chatUser(p map[string]string) (*chat, *User, *apiError) {
	c, e := s.chat(p)
	if e != nil {
		return nil, nil, e
	}
	u, e := s.user(p)
	if e != nil {
		return nil, nil, e
	}
	return c, u, nil
}

// participant is chatUser for a user who is in the chat now, with their
// membership; Telegram answers USER_NOT_PARTICIPANT otherwise.
func (s *Server) participant(p map[string]string) (*chat, *User, *member, *apiError) {
	c, u, e := s.chatUser(p)
	if e != nil {
		return nil, nil, nil, e
	}
	m := c.members[u.ID]
	if m == nil || m.status == "left" || m.status == "kicked" {
		return nil, nil, nil, badRequest("USER_NOT_PARTICIPANT")
	}
	return c, u, m, nil
}

func (s *Server) methods() map[string]func(map[string]string) (any, *apiError) {
	return map[string]func(map[string]string) (any, *apiError){
		"getme":                 func(map[string]string) (any, *apiError) { return s.bot, nil },
		"getchat":               s.getChat,
		"setchattitle":          s.setChatTitle,
		"setchatdescription":    s.setChatDescription,
		"sendmessage":           s.sendMessage,
		"editmessagetext":       s.editMessageText,
		"deletemessage":         s.deleteMessage,
		"pinchatmessage":        s.pinChatMessage,
		"unpinchatmessage":      s.unpinChatMessage,
		"getchatmember":         s.getChatMember,
		"getchatadministrators": s.getChatAdministrators,
		"promotechatmember":     s.promoteChatMember,
		"restrictchatmember":    s.restrictChatMember,
		"banchatmember":         s.banChatMember,
		"unbanchatmember":       s.unbanChatMember,
		"setwebhook":            s.setWebhook,
		"deletewebhook":         s.deleteWebhook,
	}
}
