// Package slacktest is an in-process fake of the Slack Web API, for tests
// of the slack adapter and of anything built on it.
//
// It follows Slack's published method documentation where hearth depends
// on it: methods are POST (or GET) requests to /api/METHOD with form or
// JSON arguments and a token (form "token" or "Authorization: Bearer");
// every answer is HTTP 200 with {"ok":true,...} or {"ok":false,
// "error":"CODE"} using Slack's error codes (channel_not_found,
// name_taken, invalid_users, message_not_found ...); listings page with
// an opaque response_metadata.next_cursor, which encodes the next id
// (keyset), so objects created or deleted between pages do not shift
// others; a method can be made to answer HTTP 429 with Retry-After as
// Slack's per-method tiers do.
//
// Members act through AddUser and Post, which also queue the Events API
// callbacks Slack would send (Events).
//
// Scopes, when set, are the bot token's OAuth scopes: each method then
// answers missing_scope with the scope it needs ("needed"), as Slack does,
// so a test can show which scopes hearth's calls require. Nil grants all.
package slacktest

import (
	"encoding/base64"
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
	"unicode/utf8"
)

// Fake is one Slack workspace behind an httptest server.
type Fake struct {
	// URL is the Web API base for slack.OptionAPIURL, ending in "/".
	URL    string
	server *httptest.Server

	// Token is the bot token the fake accepts; AdminToken an org admin
	// token, the only one the admin.* methods accept.
	Token, AdminToken string
	TeamID, TeamName  string
	BotUserID         string
	// Scopes are the bot token's scopes; nil grants every scope. Set it
	// before the first call.
	Scopes []string

	mu       sync.Mutex
	seq      int
	clock    int64
	channels []*channel
	groups   []*group
	users    []*user
	limits   map[string][]int
	fails    map[string][]string
	calls    map[string]int
	events   []map[string]any
}

type channel struct {
	ID, Name, Topic, Purpose string
	Private, Archived, IM    bool
	IMUser                   string
	Created                  int64
	Members                  map[string]bool
	Messages                 []*message
}

type message struct {
	TS, User, BotID, Text string
	Metadata              map[string]any
	Pinned                bool
}

type group struct {
	ID, Name, Handle, Description string
	Disabled                      bool
	Users                         []string
	Created                       int64
}

type user struct {
	ID, Name, RealName string
	// TZ is an IANA zone name and Locale a language tag, as Slack's
	// user object has them (tz, locale); empty leaves them out.
	TZ, Locale   string
	Deleted, Bot bool
}

// New starts a fake workspace; it is closed when the test ends.
func New(t interface {
	Helper()
	Cleanup(func())
}) *Fake {
	t.Helper()
	f := NewWorkspace()
	f.server = httptest.NewServer(f)
	f.URL = f.server.URL + "/api/"
	t.Cleanup(f.server.Close)
	return f
}

// NewWorkspace makes a fake workspace with the app's bot user, held in
// memory, which no server serves yet: it is the http.Handler of the Web
// API (under /api/). New serves one for a test; `hearth local serve
// slack` serves one on loopback, as a stand-in to try a configuration
// against. URL is New's; a caller that changes Token or TeamID does so
// before serving.
func NewWorkspace() *Fake {
	f := &Fake{Token: "xoxb-test-token", AdminToken: "xoxp-admin-token", TeamID: "T0000001", TeamName: "Test Workspace",
		limits: map[string][]int{}, calls: map[string]int{}, clock: 1_700_000_000}
	f.BotUserID = f.addUser("hearth", true)
	return f
}

// ServeHTTP answers a request to the Web API.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.serve(w, r) }

// AddUser has a person join the workspace and returns their user id; it
// queues a team_join event.
func (f *Fake) AddUser(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.addUser(name, false)
	f.event(map[string]any{"type": "team_join", "user": f.userJSON(f.user(id))})
	return id
}

// AddUserIn is AddUser for a person with a time zone (IANA, as Slack's
// tz) and a locale ("en-US"), which the team_join event carries.
func (f *Fake) AddUserIn(name, tz, locale string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.addUser(name, false)
	u := f.user(id)
	u.TZ, u.Locale = tz, locale
	f.event(map[string]any{"type": "team_join", "user": f.userJSON(u)})
	return id
}

// SetProfile changes a person's name, time zone and locale, as they do
// in their profile; it queues a user_change event with the whole user.
func (f *Fake) SetProfile(userID, realName, tz, locale string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.user(userID)
	if u == nil {
		return fmt.Errorf("no user %s", userID)
	}
	u.RealName, u.TZ, u.Locale = realName, tz, locale
	f.event(map[string]any{"type": "user_change", "user": f.userJSON(u)})
	return nil
}

// RenameChannel renames a conversation as a person does in Slack; it
// queues a channel_rename event.
func (f *Fake) RenameChannel(channelID, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.channel(channelID)
	if c == nil || c.IM {
		return fmt.Errorf("no channel %s", channelID)
	}
	c.Name = name
	f.event(map[string]any{"type": "channel_rename", "channel": map[string]any{"id": c.ID, "name": name, "created": c.Created}})
	return nil
}

func (f *Fake) addUser(name string, bot bool) string {
	f.seq++
	u := &user{ID: fmt.Sprintf("U%07d", f.seq), Name: strings.ToLower(strings.ReplaceAll(name, " ", ".")), RealName: name, Bot: bot}
	f.users = append(f.users, u)
	return u.ID
}

// Join puts a user in a conversation, as when they join it themselves.
func (f *Fake) Join(channelID, userID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.channel(channelID)
	if c == nil || f.user(userID) == nil {
		return fmt.Errorf("no channel %s or user %s", channelID, userID)
	}
	c.Members[userID] = true
	f.event(map[string]any{"type": "member_joined_channel", "user": userID, "channel": channelID, "channel_type": "C", "team": f.TeamID})
	return nil
}

// Post has a user post text in a conversation and returns the message
// ts; it queues a message event.
func (f *Fake) Post(channelID, userID, text string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.channel(channelID)
	if c == nil || f.user(userID) == nil {
		return "", fmt.Errorf("no channel %s or user %s", channelID, userID)
	}
	m := &message{TS: f.ts(), User: userID, Text: text}
	c.Messages = append(c.Messages, m)
	f.event(map[string]any{"type": "message", "user": userID, "channel": channelID, "text": text, "ts": m.TS, "channel_type": "channel"})
	return m.TS, nil
}

// Events returns the event_callback envelopes queued since the last call,
// as Slack would POST them to the app's Request URL.
func (f *Fake) Events() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.events
	f.events = nil
	return out
}

func (f *Fake) event(inner map[string]any) {
	f.seq++
	inner["event_ts"] = f.ts()
	f.events = append(f.events, map[string]any{
		"token": "verification-token", "team_id": f.TeamID, "api_app_id": "A0000001", "type": "event_callback",
		"event": inner, "event_id": fmt.Sprintf("Ev%08d", f.seq), "event_time": f.clock,
	})
}

// RateLimit makes the next calls of method answer HTTP 429 with these
// Retry-After values in seconds, one call each.
func (f *Fake) RateLimit(method string, retryAfter ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits[method] = append(f.limits[method], retryAfter...)
}

// Fail makes the next call of method answer {"ok":false} with Slack's
// error code, once.
func (f *Fake) Fail(method, code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails == nil {
		f.fails = map[string][]string{}
	}
	f.fails[method] = append(f.fails[method], code)
}

// Calls counts the calls of a method answered so far (rate limited ones
// included).
func (f *Fake) Calls(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// Messages returns the texts in a conversation, oldest first.
func (f *Fake) Messages(channelID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	if c := f.channel(channelID); c != nil {
		for _, m := range c.Messages {
			out = append(out, m.Text)
		}
	}
	return out
}

// DMChannel returns the id of the app's direct conversation with a user,
// or "".
func (f *Fake) DMChannel(userID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.channels {
		if c.IM && c.IMUser == userID {
			return c.ID
		}
	}
	return ""
}

// InChannel reports whether a user is a member of a conversation.
func (f *Fake) InChannel(channelID, userID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.channel(channelID)
	return c != nil && c.Members[userID]
}

// ts issues increasing message timestamps, as Slack's are unique per
// channel.
func (f *Fake) ts() string {
	f.clock++
	return fmt.Sprintf("%d.%06d", f.clock, f.seq)
}

func (f *Fake) channel(id string) *channel {
	for _, c := range f.channels {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (f *Fake) user(id string) *user {
	for _, u := range f.users {
		if u.ID == id && !u.Deleted {
			return u
		}
	}
	return nil
}

func (f *Fake) group(id string) *group {
	for _, g := range f.groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

// apiError is an {"ok":false} answer.
type apiError string

func (e apiError) Error() string { return string(e) }

type args map[string]string

func (a args) bool(k string) bool { v := a[k]; return v == "true" || v == "1" }

// parse reads form or JSON arguments, as Slack accepts both for write
// methods.
func parse(r *http.Request) (args, error) {
	a := args{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				a[k] = v
			default:
				b, _ := json.Marshal(v)
				a[k] = string(b)
			}
		}
		for k, v := range r.URL.Query() {
			a[k] = v[0]
		}
		return a, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	for k, v := range r.Form {
		a[k] = v[0]
	}
	return a, nil
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok || (r.Method != http.MethodPost && r.Method != http.MethodGet) {
		http.NotFound(w, r)
		return
	}
	a, err := parse(r)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	token := a["token"]
	if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		token = h
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[method]++
	if q := f.limits[method]; len(q) > 0 {
		f.limits[method] = q[1:]
		w.Header().Set("Retry-After", strconv.Itoa(q[0]))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	switch {
	case token == "":
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "not_authed"})
		return
	case strings.HasPrefix(method, "admin.") && token != f.AdminToken:
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "not_allowed_token_type"})
		return
	case !strings.HasPrefix(method, "admin.") && token != f.Token:
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	h, ok := f.methods()[method]
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	if q := f.fails[method]; len(q) > 0 {
		f.fails[method] = q[1:]
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": q[0]})
		return
	}
	if needed := f.missingScope(method, a); needed != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "missing_scope", "needed": needed, "provided": strings.Join(f.Scopes, ",")})
		return
	}
	out, err := h(a)
	if err != nil {
		if e, ok := err.(apiError); ok {
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": string(e)})
			return
		}
		writeJSON(w, http.StatusInternalServerError, map[string]any{"ok": false, "error": "internal_error"})
		return
	}
	if out == nil {
		out = map[string]any{}
	}
	out["ok"] = true
	writeJSON(w, http.StatusOK, out)
}

// methodScopes are the bot token scopes each method takes, any one of
// them, from the methods' documentation. Methods on a conversation take
// the scope of its type instead (conversationScopes); admin methods use
// the admin token, whose scopes the fake does not check.
var methodScopes = map[string][]string{
	"conversations.list":      {"channels:read", "groups:read"},
	"conversations.create":    {"channels:manage", "groups:write"},
	"conversations.open":      {"im:write"},
	"conversations.join":      {"channels:join"},
	"users.conversations":     {"channels:read", "groups:read"},
	"users.list":              {"users:read"},
	"users.info":              {"users:read"},
	"chat.postMessage":        {"chat:write"},
	"chat.update":             {"chat:write"},
	"chat.delete":             {"chat:write"},
	"pins.add":                {"pins:write"},
	"pins.remove":             {"pins:write"},
	"pins.list":               {"pins:read"},
	"team.info":               {"team:read"},
	"usergroups.list":         {"usergroups:read"},
	"usergroups.users.list":   {"usergroups:read"},
	"usergroups.create":       {"usergroups:write"},
	"usergroups.update":       {"usergroups:write"},
	"usergroups.disable":      {"usergroups:write"},
	"usergroups.enable":       {"usergroups:write"},
	"usergroups.users.update": {"usergroups:write"},
}

// conversationScopes are the scopes of methods on one conversation, by
// its type: public, private, direct.
var conversationScopes = map[string][3]string{
	"conversations.history":    {"channels:history", "groups:history", "im:history"},
	"conversations.info":       {"channels:read", "groups:read", "im:read"},
	"conversations.rename":     {"channels:manage", "groups:write", "im:write"},
	"conversations.setTopic":   {"channels:manage", "groups:write", "im:write"},
	"conversations.setPurpose": {"channels:manage", "groups:write", "im:write"},
	"conversations.archive":    {"channels:manage", "groups:write", "im:write"},
	"conversations.kick":       {"channels:manage", "groups:write", "im:write"},
}

// missingScope names the scope a call needs that Scopes lacks, or "".
func (f *Fake) missingScope(method string, a args) string {
	if f.Scopes == nil || strings.HasPrefix(method, "admin.") {
		return ""
	}
	need := methodScopes[method]
	if byType, ok := conversationScopes[method]; ok {
		i := 0
		if c := f.channel(a["channel"]); c != nil && c.IM {
			i = 2
		} else if c != nil && c.Private {
			i = 1
		}
		need = []string{byType[i]}
	}
	if method == "conversations.create" {
		need = need[:1]
		if a.bool("is_private") {
			need = []string{"groups:write"}
		}
	}
	for _, s := range need {
		if slices.Contains(f.Scopes, s) {
			return ""
		}
	}
	return strings.Join(need, ",")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type handler func(args) (map[string]any, error)

func (f *Fake) methods() map[string]handler {
	return map[string]handler{
		"auth.test":                            f.authTest,
		"team.info":                            f.teamInfo,
		"conversations.list":                   f.conversationsList,
		"conversations.create":                 f.conversationsCreate,
		"conversations.info":                   f.conversationsInfo,
		"conversations.rename":                 f.conversationsRename,
		"conversations.setTopic":               f.setTopicPurpose("topic"),
		"conversations.setPurpose":             f.setTopicPurpose("purpose"),
		"conversations.archive":                f.conversationsArchive,
		"conversations.kick":                   f.conversationsKick,
		"conversations.open":                   f.conversationsOpen,
		"conversations.join":                   f.conversationsJoin,
		"conversations.history":                f.conversationsHistory,
		"users.conversations":                  f.usersConversations,
		"users.list":                           f.usersList,
		"users.info":                           f.usersInfo,
		"chat.postMessage":                     f.chatPostMessage,
		"chat.update":                          f.chatUpdate,
		"chat.delete":                          f.chatDelete,
		"pins.add":                             f.pinsAdd,
		"pins.remove":                          f.pinsRemove,
		"pins.list":                            f.pinsList,
		"usergroups.list":                      f.usergroupsList,
		"usergroups.create":                    f.usergroupsCreate,
		"usergroups.update":                    f.usergroupsUpdate,
		"usergroups.disable":                   f.usergroupsEnable(true),
		"usergroups.enable":                    f.usergroupsEnable(false),
		"usergroups.users.list":                f.usergroupsUsersList,
		"usergroups.users.update":              f.usergroupsUsersUpdate,
		"admin.conversations.convertToPrivate": f.convertToPrivate,
		"admin.conversations.convertToPublic":  f.convertToPublic,
		"admin.users.remove":                   f.adminUsersRemove,
	}
}

func (f *Fake) authTest(args) (map[string]any, error) {
	return map[string]any{"url": "https://test.slack.com/", "team": f.TeamName, "team_id": f.TeamID, "user": "hearth", "user_id": f.BotUserID, "bot_id": "B0000001"}, nil
}

func (f *Fake) teamInfo(a args) (map[string]any, error) {
	if t := a["team"]; t != "" && t != f.TeamID {
		return nil, apiError("team_not_found")
	}
	return map[string]any{"team": map[string]any{"id": f.TeamID, "name": f.TeamName, "domain": "test"}}, nil
}

func (f *Fake) channelJSON(c *channel) map[string]any {
	return map[string]any{
		"id": c.ID, "name": c.Name, "is_channel": !c.Private && !c.IM, "is_group": c.Private, "is_im": c.IM,
		"is_private": c.Private || c.IM, "is_archived": c.Archived, "created": c.Created, "is_member": c.Members[f.BotUserID],
		"topic":       map[string]any{"value": c.Topic, "creator": "", "last_set": 0},
		"purpose":     map[string]any{"value": c.Purpose, "creator": "", "last_set": 0},
		"num_members": len(c.Members), "user": c.IMUser,
	}
}

// cursor encodes the id a listing continues at, as Slack's cursors are
// base64 of a keyset position ("dXNlcjpVMEc5V0ZYTlo=" is "user:U0G9WFXNZ").
func cursor(kind, id string) string {
	return base64.StdEncoding.EncodeToString([]byte(kind + ":" + id))
}

func uncursor(kind, c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return "", apiError("invalid_cursor")
	}
	id, ok := strings.CutPrefix(string(b), kind+":")
	if !ok {
		return "", apiError("invalid_cursor")
	}
	return id, nil
}

// limit reads a page size: Slack's default is 100, at most 1000.
func limit(a args) (int, error) {
	if a["limit"] == "" || a["limit"] == "0" {
		return 100, nil
	}
	n, err := strconv.Atoi(a["limit"])
	if err != nil || n < 0 {
		return 0, apiError("invalid_limit")
	}
	return min(n, 1000), nil
}

func (f *Fake) conversationsList(a args) (map[string]any, error) {
	n, err := limit(a)
	if err != nil {
		return nil, err
	}
	after, err := uncursor("channel", a["cursor"])
	if err != nil {
		return nil, err
	}
	types := strings.Split(a["types"], ",")
	if a["types"] == "" {
		types = []string{"public_channel"}
	}
	var page []any
	next := ""
	for _, c := range f.channels {
		if c.ID < after || c.Archived && a.bool("exclude_archived") {
			continue
		}
		kind := "public_channel"
		switch {
		case c.IM:
			kind = "im"
		case c.Private:
			kind = "private_channel"
		}
		if !slices.Contains(types, kind) {
			continue
		}
		if len(page) == n {
			next = cursor("channel", c.ID)
			break
		}
		page = append(page, f.channelJSON(c))
	}
	return map[string]any{"channels": page, "response_metadata": map[string]any{"next_cursor": next}}, nil
}

// validName follows Slack's channel naming: lower case letters, digits,
// hyphens and underscores, at most 80 characters, not only hyphens and
// underscores.
func validName(name string) error {
	switch {
	case name == "":
		return apiError("invalid_name_required")
	case utf8.RuneCountInString(name) > 80:
		return apiError("invalid_name_maxlength")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return apiError("invalid_name_specials")
		}
	}
	if strings.Trim(name, "-_") == "" {
		return apiError("invalid_name_punctuation")
	}
	return nil
}

func (f *Fake) nameTaken(name, except string) bool {
	for _, c := range f.channels {
		if !c.IM && c.Name == name && c.ID != except {
			return true
		}
	}
	return false
}

func (f *Fake) conversationsCreate(a args) (map[string]any, error) {
	if err := validName(a["name"]); err != nil {
		return nil, err
	}
	if f.nameTaken(a["name"], "") {
		return nil, apiError("name_taken")
	}
	f.seq++
	c := &channel{ID: fmt.Sprintf("C%07d", f.seq), Name: a["name"], Private: a.bool("is_private"), Created: f.clock, Members: map[string]bool{f.BotUserID: true}}
	f.channels = append(f.channels, c)
	return map[string]any{"channel": f.channelJSON(c)}, nil
}

// live finds a conversation the method may change.
func (f *Fake) live(id string) (*channel, error) {
	c := f.channel(id)
	switch {
	case c == nil:
		return nil, apiError("channel_not_found")
	case c.Archived:
		return nil, apiError("is_archived")
	}
	return c, nil
}

func (f *Fake) conversationsInfo(a args) (map[string]any, error) {
	c := f.channel(a["channel"])
	if c == nil {
		return nil, apiError("channel_not_found")
	}
	return map[string]any{"channel": f.channelJSON(c)}, nil
}

func (f *Fake) conversationsRename(a args) (map[string]any, error) {
	c, err := f.live(a["channel"])
	if err != nil {
		return nil, err
	}
	if err := validName(a["name"]); err != nil {
		return nil, err
	}
	if f.nameTaken(a["name"], c.ID) {
		return nil, apiError("name_taken")
	}
	c.Name = a["name"]
	return map[string]any{"channel": f.channelJSON(c)}, nil
}

func (f *Fake) setTopicPurpose(field string) handler {
	return func(a args) (map[string]any, error) {
		c, err := f.live(a["channel"])
		if err != nil {
			return nil, err
		}
		// Topics and purposes are limited to 250 characters.
		if utf8.RuneCountInString(a[field]) > 250 {
			return nil, apiError("too_long")
		}
		if field == "topic" {
			c.Topic = a[field]
		} else {
			c.Purpose = a[field]
		}
		return map[string]any{"channel": f.channelJSON(c)}, nil
	}
}

func (f *Fake) conversationsArchive(a args) (map[string]any, error) {
	c := f.channel(a["channel"])
	switch {
	case c == nil:
		return nil, apiError("channel_not_found")
	case c.Archived:
		return nil, apiError("already_archived")
	}
	c.Archived = true
	return nil, nil
}

func (f *Fake) conversationsKick(a args) (map[string]any, error) {
	c, err := f.live(a["channel"])
	if err != nil {
		return nil, err
	}
	switch {
	case f.user(a["user"]) == nil:
		return nil, apiError("user_not_found")
	case a["user"] == f.BotUserID:
		return nil, apiError("cant_kick_self")
	case !c.Members[a["user"]]:
		return nil, apiError("not_in_channel")
	}
	delete(c.Members, a["user"])
	return map[string]any{"errors": map[string]any{}}, nil
}

// conversationsJoin puts the app in a public conversation; private ones
// need an invitation.
func (f *Fake) conversationsJoin(a args) (map[string]any, error) {
	c, err := f.live(a["channel"])
	if err != nil {
		return nil, err
	}
	if c.Private || c.IM {
		return nil, apiError("method_not_supported_for_channel_type")
	}
	already := c.Members[f.BotUserID]
	c.Members[f.BotUserID] = true
	out := map[string]any{"channel": f.channelJSON(c)}
	if already {
		out["warning"] = "already_in_channel"
	}
	return out, nil
}

// CreateChannel makes a conversation as a person does, without the app
// in it, and returns its id.
func (f *Fake) CreateChannel(name string, private bool) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	c := &channel{ID: fmt.Sprintf("C%07d", f.seq), Name: name, Private: private, Created: f.clock, Members: map[string]bool{}}
	f.channels = append(f.channels, c)
	return c.ID
}

func (f *Fake) conversationsOpen(a args) (map[string]any, error) {
	uid := a["users"]
	if uid == "" || strings.Contains(uid, ",") {
		return nil, apiError("users_list_not_supplied")
	}
	if f.user(uid) == nil {
		return nil, apiError("user_not_found")
	}
	for _, c := range f.channels {
		if c.IM && c.IMUser == uid {
			return map[string]any{"channel": map[string]any{"id": c.ID}, "already_open": true, "no_op": true}, nil
		}
	}
	f.seq++
	c := &channel{ID: fmt.Sprintf("D%07d", f.seq), IM: true, IMUser: uid, Created: f.clock, Members: map[string]bool{uid: true, f.BotUserID: true}}
	f.channels = append(f.channels, c)
	return map[string]any{"channel": map[string]any{"id": c.ID}}, nil
}

func (f *Fake) messageJSON(m *message, meta bool) map[string]any {
	out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text}
	if m.User != "" {
		out["user"] = m.User
	}
	if m.BotID != "" {
		out["bot_id"] = m.BotID
	}
	if meta && m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	return out
}

// conversationsHistory lists messages newest first; message metadata
// only with include_all_metadata, as Slack does.
func (f *Fake) conversationsHistory(a args) (map[string]any, error) {
	c := f.channel(a["channel"])
	if c == nil {
		return nil, apiError("channel_not_found")
	}
	// A bot token reads only conversations the app is in.
	if !c.Members[f.BotUserID] {
		return nil, apiError("not_in_channel")
	}
	n, err := limit(a)
	if err != nil {
		return nil, err
	}
	before, err := uncursor("ts", a["cursor"])
	if err != nil {
		return nil, err
	}
	var page []any
	next := ""
	for i := len(c.Messages) - 1; i >= 0; i-- {
		m := c.Messages[i]
		if before != "" && tsAfter(m.TS, before) {
			continue
		}
		if len(page) == n {
			next = cursor("ts", m.TS)
			break
		}
		page = append(page, f.messageJSON(m, a.bool("include_all_metadata")))
	}
	return map[string]any{"messages": page, "has_more": next != "", "response_metadata": map[string]any{"next_cursor": next}}, nil
}

// tsAfter compares message timestamps, "SECONDS.MICROS".
func tsAfter(a, b string) bool {
	x, _ := strconv.ParseFloat(a, 64)
	y, _ := strconv.ParseFloat(b, 64)
	return x > y
}

func (f *Fake) usersConversations(a args) (map[string]any, error) {
	uid := a["user"]
	if uid == "" {
		uid = f.BotUserID
	}
	if f.user(uid) == nil {
		return nil, apiError("user_not_found")
	}
	var out []any
	for _, c := range f.channels {
		if !c.IM && !c.Archived && c.Members[uid] {
			out = append(out, f.channelJSON(c))
		}
	}
	return map[string]any{"channels": out, "response_metadata": map[string]any{"next_cursor": ""}}, nil
}

func (f *Fake) userJSON(u *user) map[string]any {
	out := map[string]any{"id": u.ID, "team_id": f.TeamID, "name": u.Name, "real_name": u.RealName, "deleted": u.Deleted, "is_bot": u.Bot,
		"profile": map[string]any{"real_name": u.RealName, "display_name": u.RealName}}
	if u.TZ != "" {
		out["tz"] = u.TZ
	}
	if u.Locale != "" {
		out["locale"] = u.Locale
	}
	return out
}

func (f *Fake) usersList(a args) (map[string]any, error) {
	n, err := limit(a)
	if err != nil {
		return nil, err
	}
	after, err := uncursor("user", a["cursor"])
	if err != nil {
		return nil, err
	}
	var page []any
	next := ""
	for _, u := range f.users {
		if u.ID < after {
			continue
		}
		if len(page) == n {
			next = cursor("user", u.ID)
			break
		}
		page = append(page, f.userJSON(u))
	}
	return map[string]any{"members": page, "response_metadata": map[string]any{"next_cursor": next}}, nil
}

func (f *Fake) usersInfo(a args) (map[string]any, error) {
	for _, u := range f.users {
		if u.ID == a["user"] {
			return map[string]any{"user": f.userJSON(u)}, nil
		}
	}
	return nil, apiError("user_not_found")
}

func (f *Fake) chatPostMessage(a args) (map[string]any, error) {
	c, err := f.live(a["channel"])
	if err != nil {
		return nil, err
	}
	switch {
	case a["text"] == "" && a["blocks"] == "":
		return nil, apiError("no_text")
	case utf8.RuneCountInString(a["text"]) > 40000:
		return nil, apiError("msg_too_long")
	case !c.Members[f.BotUserID]:
		return nil, apiError("not_in_channel")
	}
	m := &message{TS: f.ts(), BotID: "B0000001", Text: a["text"]}
	if raw := a["metadata"]; raw != "" {
		var meta map[string]any
		if json.Unmarshal([]byte(raw), &meta) != nil || meta["event_type"] == nil {
			return nil, apiError("invalid_metadata_format")
		}
		m.Metadata = meta
	}
	c.Messages = append(c.Messages, m)
	return map[string]any{"channel": c.ID, "ts": m.TS, "message": f.messageJSON(m, false)}, nil
}

func (f *Fake) findMessage(a args, tsKey string) (*channel, int, error) {
	c, err := f.live(a["channel"])
	if err != nil {
		return nil, 0, err
	}
	for i, m := range c.Messages {
		if m.TS == a[tsKey] {
			return c, i, nil
		}
	}
	return nil, 0, apiError("message_not_found")
}

func (f *Fake) chatUpdate(a args) (map[string]any, error) {
	c, i, err := f.findMessage(a, "ts")
	if err != nil {
		return nil, err
	}
	m := c.Messages[i]
	switch {
	case m.BotID == "":
		return nil, apiError("cant_update_message")
	case a["text"] == "":
		return nil, apiError("no_text")
	}
	m.Text = a["text"]
	return map[string]any{"channel": c.ID, "ts": m.TS, "text": m.Text}, nil
}

func (f *Fake) chatDelete(a args) (map[string]any, error) {
	c, i, err := f.findMessage(a, "ts")
	if err != nil {
		return nil, err
	}
	// A bot token deletes only the app's own messages.
	if c.Messages[i].BotID == "" {
		return nil, apiError("cant_delete_message")
	}
	ts := c.Messages[i].TS
	c.Messages = slices.Delete(c.Messages, i, i+1)
	return map[string]any{"channel": c.ID, "ts": ts}, nil
}

func (f *Fake) pinsAdd(a args) (map[string]any, error) {
	c, i, err := f.findMessage(a, "timestamp")
	if err != nil {
		return nil, err
	}
	if c.Messages[i].Pinned {
		return nil, apiError("already_pinned")
	}
	n := 0
	for _, m := range c.Messages {
		if m.Pinned {
			n++
		}
	}
	if n >= 100 {
		return nil, apiError("too_many_pins")
	}
	c.Messages[i].Pinned = true
	return nil, nil
}

func (f *Fake) pinsRemove(a args) (map[string]any, error) {
	c, i, err := f.findMessage(a, "timestamp")
	if err != nil {
		return nil, err
	}
	if !c.Messages[i].Pinned {
		return nil, apiError("no_pin")
	}
	c.Messages[i].Pinned = false
	return nil, nil
}

func (f *Fake) pinsList(a args) (map[string]any, error) {
	c := f.channel(a["channel"])
	if c == nil {
		return nil, apiError("channel_not_found")
	}
	items := []any{}
	for _, m := range c.Messages {
		if m.Pinned {
			items = append(items, map[string]any{"type": "message", "channel": c.ID, "created": f.clock, "message": f.messageJSON(m, false)})
		}
	}
	return map[string]any{"items": items}, nil
}

func (f *Fake) groupJSON(g *group, users bool) map[string]any {
	out := map[string]any{"id": g.ID, "team_id": f.TeamID, "is_usergroup": true, "name": g.Name, "handle": g.Handle,
		"description": g.Description, "date_create": g.Created, "date_delete": 0, "user_count": len(g.Users)}
	if g.Disabled {
		out["date_delete"] = g.Created + 1
	}
	if users {
		out["users"] = g.Users
	}
	return out
}

func (f *Fake) usergroupsList(a args) (map[string]any, error) {
	out := []any{}
	for _, g := range f.groups {
		if g.Disabled && !a.bool("include_disabled") {
			continue
		}
		out = append(out, f.groupJSON(g, a.bool("include_users")))
	}
	return map[string]any{"usergroups": out}, nil
}

// handleTaken: a handle must be unique among user groups, users and
// channels, as Slack's usergroups.create documents.
func (f *Fake) handleTaken(h, except string) bool {
	for _, g := range f.groups {
		if g.Handle == h && g.ID != except {
			return true
		}
	}
	if f.nameTaken(h, "") {
		return true
	}
	for _, u := range f.users {
		if u.Name == h {
			return true
		}
	}
	return false
}

func (f *Fake) nameUsed(name, except string) bool {
	for _, g := range f.groups {
		if strings.EqualFold(g.Name, name) && g.ID != except {
			return true
		}
	}
	return false
}

func (f *Fake) usergroupsCreate(a args) (map[string]any, error) {
	switch {
	case a["name"] == "":
		return nil, apiError("missing_argument")
	case f.nameUsed(a["name"], ""):
		return nil, apiError("name_already_exists")
	case a["handle"] != "" && f.handleTaken(a["handle"], ""):
		return nil, apiError("handle_already_exists")
	}
	f.seq++
	g := &group{ID: fmt.Sprintf("S%07d", f.seq), Name: a["name"], Handle: a["handle"], Description: a["description"], Created: f.clock}
	f.groups = append(f.groups, g)
	return map[string]any{"usergroup": f.groupJSON(g, true)}, nil
}

func (f *Fake) usergroupsUpdate(a args) (map[string]any, error) {
	g := f.group(a["usergroup"])
	if g == nil {
		return nil, apiError("no_such_subteam")
	}
	if name, ok := a["name"]; ok {
		if name == "" {
			return nil, apiError("invalid_name")
		}
		if f.nameUsed(name, g.ID) {
			return nil, apiError("name_already_exists")
		}
		g.Name = name
	}
	if h, ok := a["handle"]; ok && h != "" {
		if f.handleTaken(h, g.ID) {
			return nil, apiError("handle_already_exists")
		}
		g.Handle = h
	}
	if d, ok := a["description"]; ok {
		g.Description = d
	}
	return map[string]any{"usergroup": f.groupJSON(g, true)}, nil
}

func (f *Fake) usergroupsEnable(disable bool) handler {
	return func(a args) (map[string]any, error) {
		g := f.group(a["usergroup"])
		switch {
		case g == nil:
			return nil, apiError("no_such_subteam")
		case disable && g.Disabled:
			return nil, apiError("usergroup_already_disabled")
		case !disable && !g.Disabled:
			return nil, apiError("usergroup_already_enabled")
		}
		g.Disabled = disable
		return map[string]any{"usergroup": f.groupJSON(g, true)}, nil
	}
}

func (f *Fake) usergroupsUsersList(a args) (map[string]any, error) {
	g := f.group(a["usergroup"])
	if g == nil || g.Disabled && !a.bool("include_disabled") {
		return nil, apiError("no_such_subteam")
	}
	return map[string]any{"users": slices.Clone(g.Users)}, nil
}

// usergroupsUsersUpdate replaces the whole member list; Slack refuses an
// empty one.
func (f *Fake) usergroupsUsersUpdate(a args) (map[string]any, error) {
	g := f.group(a["usergroup"])
	if g == nil {
		return nil, apiError("no_such_subteam")
	}
	raw, ok := a["users"]
	if !ok {
		return nil, apiError("no_users_provided")
	}
	var users []string
	for u := range strings.SplitSeq(raw, ",") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		if f.user(u) == nil {
			return nil, apiError("invalid_users")
		}
		if !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return nil, apiError("invalid_users")
	}
	g.Users = users
	return map[string]any{"usergroup": f.groupJSON(g, true)}, nil
}

func (f *Fake) convertToPrivate(a args) (map[string]any, error) {
	c, err := f.live(a["channel_id"])
	if err != nil {
		return nil, err
	}
	if c.Private || c.IM {
		return nil, apiError("channel_type_not_supported")
	}
	c.Private = true
	return nil, nil
}

func (f *Fake) convertToPublic(a args) (map[string]any, error) {
	c, err := f.live(a["channel_id"])
	if err != nil {
		return nil, err
	}
	if !c.Private || c.IM {
		return nil, apiError("channel_type_not_supported")
	}
	c.Private = false
	return nil, nil
}

func (f *Fake) adminUsersRemove(a args) (map[string]any, error) {
	if a["team_id"] != f.TeamID {
		return nil, apiError("team_not_found")
	}
	u := f.user(a["user_id"])
	if u == nil {
		return nil, apiError("user_not_found")
	}
	u.Deleted = true
	for _, c := range f.channels {
		delete(c.Members, u.ID)
	}
	return nil, nil
}

// Now is the fake's clock, for Events API timestamps.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Unix(f.clock, 0)
}
