// Package discordfake is an in-process Discord HTTP API (v9/v10) for
// tests: the routes hearth's Discord adapter uses, with Discord's payload
// shapes, status codes, JSON error bodies ({"code": 10003, "message":
// "Unknown Channel"}), per-route rate-limit headers (X-RateLimit-Limit,
// -Remaining, -Reset, -Reset-After, -Bucket), 429 answers with
// retry_after and the global flag, pagination with after= and limit=,
// and message nonces with enforce_nonce.
//
// It keeps its state in memory and is safe for concurrent use. Test
// hooks (AddGuild, AddMember, Post, RateLimitNext) act as people and as
// Discord do, outside the API.
package discordfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Channel types used here, as Discord numbers them.
const (
	TypeText     = 0
	TypeDM       = 1
	TypeCategory = 4
)

// Server is a fake Discord API.
type Server struct {
	*httptest.Server
	// Token is the bot token requests must carry ("Bot TOKEN").
	Token string

	mu       sync.Mutex
	now      func() time.Time
	last     uint64
	botID    string
	users    map[string]*User
	guilds   map[string]*guild
	channels map[string]*Channel
	messages map[string][]*Message // by channel, in id order
	pins     map[string][]string   // by channel: message ids, newest first
	nonces   map[string]string     // channel/author/nonce -> message id
	dms      map[string]string     // user -> DM channel
	forced   []forced
	buckets  map[string]*bucket
	// BucketLimit is how many calls a route's bucket allows per
	// BucketWindow; 0 means no limit beyond forced 429s.
	BucketLimit  int
	BucketWindow time.Duration
	requests     []string
	routes       []route
	gateways     []*gatewayClient
}

type forced struct {
	route      string // METHOD and path prefix, such as "POST /channels/"
	retryAfter float64
	global     bool
}

type bucket struct {
	hash      string
	remaining int
	reset     time.Time
}

type guild struct {
	ID          string
	Name        string
	Description string
	OwnerID     string
	roles       map[string]*Role
	members     map[string]*Member
	bans        map[string]string // user -> reason
}

// User is a Discord user object.
type User struct {
	ID         string `json:"id"`
	Username   string `json:"username"`
	GlobalName string `json:"global_name,omitempty"`
	Bot        bool   `json:"bot,omitempty"`
}

// Overwrite is a permission overwrite.
type Overwrite struct {
	ID    string `json:"id"`
	Type  int    `json:"type"`
	Allow string `json:"allow"`
	Deny  string `json:"deny"`
}

// Channel is a Discord channel object.
type Channel struct {
	ID         string      `json:"id"`
	Type       int         `json:"type"`
	GuildID    string      `json:"guild_id,omitempty"`
	Name       string      `json:"name,omitempty"`
	Topic      *string     `json:"topic"`
	Position   int         `json:"position"`
	ParentID   *string     `json:"parent_id"`
	Overwrites []Overwrite `json:"permission_overwrites"`
	Recipients []*User     `json:"recipients,omitempty"`
}

// Role is a Discord role object.
type Role struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Color       int    `json:"color"`
	Hoist       bool   `json:"hoist"`
	Position    int    `json:"position"`
	Permissions string `json:"permissions"`
	Managed     bool   `json:"managed"`
	Mentionable bool   `json:"mentionable"`
}

// Member is a Discord guild member object.
type Member struct {
	User                       *User      `json:"user"`
	Nick                       *string    `json:"nick"`
	Roles                      []string   `json:"roles"`
	JoinedAt                   time.Time  `json:"joined_at"`
	CommunicationDisabledUntil *time.Time `json:"communication_disabled_until"`
	Deaf                       bool       `json:"deaf"`
	Mute                       bool       `json:"mute"`
}

// Message is a Discord message object.
type Message struct {
	ID        string    `json:"id"`
	ChannelID string    `json:"channel_id"`
	GuildID   string    `json:"guild_id,omitempty"`
	Author    *User     `json:"author"`
	Content   string    `json:"content"`
	Timestamp time.Time `json:"timestamp"`
	Pinned    bool      `json:"pinned"`
	Nonce     any       `json:"nonce,omitempty"`
	Type      int       `json:"type"`
	// MentionEveryone and MentionRoles are what the message pinged, as
	// Discord works it out from the content and allowed_mentions.
	MentionEveryone bool     `json:"mention_everyone"`
	MentionRoles    []string `json:"mention_roles"`
}

// New starts a fake with a bot user; close it with Close.
func New(token string) *Server {
	s := NewAPI(token, time.Now)
	s.Server = httptest.NewServer(s)
	return s
}

// NewAPI makes a fake with a bot user, held in memory, which no server
// serves yet: it is the http.Handler of its API (and gateway, at /ws).
// New serves one for a test; `hearth local serve discord` serves one on
// loopback, as a stand-in to try a configuration against. Its embedded
// httptest.Server is nil, so URL, APIURL and Close are New's only.
//
// Snowflakes are made from clock until SetClock changes it: a stand-in
// gives a fixed time there, so its bot and first server have the same
// ids every time it starts.
func NewAPI(token string, clock func() time.Time) *Server {
	s := &Server{
		Token: token, now: clock,
		users: map[string]*User{}, guilds: map[string]*guild{}, channels: map[string]*Channel{},
		messages: map[string][]*Message{}, pins: map[string][]string{}, nonces: map[string]string{},
		dms: map[string]string{}, buckets: map[string]*bucket{}, BucketWindow: time.Second,
	}
	s.routes = routeTable()
	s.botID = s.id()
	s.users[s.botID] = &User{ID: s.botID, Username: "hearth", Bot: true}
	return s
}

// ServeHTTP answers a request to the fake's API or gateway.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r) }

// APIURL is the base URL to give the adapter (api_url).
func (s *Server) APIURL() string { return s.URL + "/api/v10" }

// BotID is the bot user's id.
func (s *Server) BotID() string { return s.botID }

// discordEpoch is where snowflake time starts (2015-01-01).
const discordEpoch = 1420070400000

// id issues a snowflake as Discord makes them: milliseconds since 2015
// above 22 low bits, growing; today's have 19 digits, so string order is
// numeric order.
func (s *Server) id() string {
	n := uint64(s.now().UnixMilli()-discordEpoch) << 22
	if n <= s.last {
		n = s.last + 1
	}
	s.last = n
	return strconv.FormatUint(n, 10)
}

// AddGuild makes a guild the bot is in, with its @everyone role, and
// returns its id.
func (s *Server) AddGuild(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &guild{ID: s.id(), Name: name, OwnerID: s.botID, roles: map[string]*Role{}, members: map[string]*Member{}, bans: map[string]string{}}
	// @everyone has the guild's id and position 0.
	g.roles[g.ID] = &Role{ID: g.ID, Name: "@everyone", Permissions: "1071698660929"}
	g.members[s.botID] = &Member{User: s.users[s.botID], Roles: []string{}, JoinedAt: s.now().UTC()}
	s.guilds[g.ID] = g
	return g.ID
}

// AddMember has a new user join a guild and returns the user id.
func (s *Server) AddMember(guildID, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{ID: s.id(), Username: strings.ToLower(strings.ReplaceAll(name, " ", "")), GlobalName: name}
	s.users[u.ID] = u
	if g := s.guilds[guildID]; g != nil {
		m := &Member{User: u, Roles: []string{}, JoinedAt: s.now().UTC()}
		g.members[u.ID] = m
		s.dispatch("GUILD_MEMBER_ADD", map[string]any{"guild_id": guildID, "user": u, "roles": m.Roles, "joined_at": m.JoinedAt, "deaf": false, "mute": false})
	}
	return u.ID
}

// Post has a user post in a channel and returns the message id.
func (s *Server) Post(channelID, userID, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.post(s.channels[channelID], s.users[userID], text, nil)
	s.dispatch("MESSAGE_CREATE", m)
	return m.ID
}

// RateLimitNext makes the next request whose "METHOD /path" starts with
// route answer 429 with retry_after seconds; global marks it as the
// global limit.
func (s *Server) RateLimitNext(route string, retryAfter float64, global bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced = append(s.forced, forced{route: route, retryAfter: retryAfter, global: global})
}

// SetClock replaces the fake's clock (time.Now), so a test can make
// things happen in the past.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetBucketLimit makes every route's bucket allow n calls per window
// (0: no limit), answering 429 past that.
func (s *Server) SetBucketLimit(n int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.BucketLimit, s.BucketWindow = n, window
	clear(s.buckets)
}

// Requests lists the "METHOD /path?query" of every request so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Channels returns copies of a guild's channels.
func (s *Server) Channels(guildID string) []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Channel
	for _, c := range s.channels {
		if c.GuildID == guildID {
			out = append(out, *c)
		}
	}
	return out
}

// Roles returns copies of a guild's roles, @everyone included.
func (s *Server) Roles(guildID string) []Role {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Role
	if g := s.guilds[guildID]; g != nil {
		for _, r := range s.roleList(g) {
			out = append(out, *r)
		}
	}
	return out
}

// Guild returns a guild's name and description.
func (s *Server) Guild(guildID string) (name, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.guilds[guildID]; g != nil {
		return g.Name, g.Description
	}
	return "", ""
}

// MemberRoles returns the role ids a member holds.
func (s *Server) MemberRoles(guildID, userID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.guilds[guildID]; g != nil && g.members[userID] != nil {
		return slices.Clone(g.members[userID].Roles)
	}
	return nil
}

// Messages returns copies of a channel's messages.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages[channelID] {
		out = append(out, *m)
	}
	return out
}

// DMChannel is the id of the DM channel with a user, "" if none.
func (s *Server) DMChannel(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dms[userID]
}

// SetOverwrite puts a permission overwrite on a channel, as a moderator
// would in Discord's client.
func (s *Server) SetOverwrite(channelID string, o Overwrite) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[channelID]; c != nil {
		c.Overwrites = append(c.Overwrites, o)
	}
}

// apiError is Discord's JSON error body.
type apiError struct {
	status int
	Code   int            `json:"code"`
	Msg    string         `json:"message"`
	Errors map[string]any `json:"errors,omitempty"`
}

func (e *apiError) Error() string { return e.Msg }

func notFound(code int, what string) *apiError {
	return &apiError{status: http.StatusNotFound, Code: code, Msg: "Unknown " + what}
}

func invalidForm(field, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, Code: 50035, Msg: "Invalid Form Body",
		Errors: map[string]any{field: map[string]any{"_errors": []map[string]string{{"code": "BASE_TYPE_BAD", "message": msg}}}}}
}

var versionPrefix = regexp.MustCompile(`^/api/v\d+`)

// route is one handled request.
type route struct {
	method  string
	pattern []string // segments; "{x}" captures
	bucket  string   // the route's bucket key, with the major parameter
	handle  func(s *Server, r *http.Request, p map[string]string) (any, *apiError)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ws" || r.URL.Path == "/ws/" {
		s.serveGateway(w, r)
		return
	}
	path := versionPrefix.ReplaceAllString(r.URL.Path, "")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+path+query(r))
	if r.Header.Get("Authorization") != "Bot "+s.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401: Unauthorized", "code": 0})
		return
	}
	rt, params := s.match(r.Method, path)
	if rt == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "404: Not Found", "code": 0})
		return
	}
	for i, f := range s.forced {
		if strings.HasPrefix(r.Method+" "+path, f.route) {
			s.forced = slices.Delete(s.forced, i, i+1)
			s.tooMany(w, f.retryAfter, f.global, rt, params)
			return
		}
	}
	b := s.bucketFor(rt, params)
	if s.BucketLimit > 0 && b.remaining <= 0 {
		s.tooMany(w, b.reset.Sub(s.now()).Seconds(), false, rt, params)
		return
	}
	b.remaining--
	{
		// Discord sends a route's bucket with every answer; without a
		// limit set, the bucket is one no test exhausts.
		h := w.Header()
		h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit()))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(b.remaining))
		h.Set("X-RateLimit-Reset", fmt.Sprintf("%.3f", float64(b.reset.UnixMilli())/1000))
		h.Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", max(b.reset.Sub(s.now()).Seconds(), 0)))
		h.Set("X-RateLimit-Bucket", b.hash)
	}
	out, aerr := rt.handle(s, r, params)
	if aerr != nil {
		writeJSON(w, aerr.status, aerr)
		return
	}
	if out == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	status := http.StatusOK
	if c, ok := out.(created); ok {
		status, out = http.StatusCreated, c.v
	}
	writeJSON(w, status, out)
}

// created marks a 201 answer.
type created struct{ v any }

func query(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return "?" + r.URL.RawQuery
}

func (s *Server) bucketFor(rt *route, p map[string]string) *bucket {
	key := rt.method + " " + rt.bucket
	for _, major := range []string{"guild", "channel"} {
		if v, ok := p[major]; ok {
			key += " " + v
		}
	}
	b := s.buckets[key]
	now := s.now()
	if b == nil {
		b = &bucket{hash: fmt.Sprintf("%08x", len(s.buckets)+1)}
		s.buckets[key] = b
	}
	if !now.Before(b.reset) {
		b.remaining = s.limit()
		b.reset = now.Add(s.BucketWindow)
	}
	return b
}

// limit is the calls a bucket allows per window.
func (s *Server) limit() int {
	if s.BucketLimit > 0 {
		return s.BucketLimit
	}
	return 1 << 30
}

func (s *Server) tooMany(w http.ResponseWriter, after float64, global bool, rt *route, p map[string]string) {
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(int(after+0.999)))
	if global {
		h.Set("X-RateLimit-Global", "true")
		h.Set("X-RateLimit-Scope", "global")
	} else {
		b := s.bucketFor(rt, p)
		h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit()))
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", after))
		h.Set("X-RateLimit-Bucket", b.hash)
		h.Set("X-RateLimit-Scope", "user")
	}
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": after, "global": global, "code": 0})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) match(method, path string) (*route, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.method != method || len(rt.pattern) != len(segs) {
			continue
		}
		p := map[string]string{}
		ok := true
		for j, pat := range rt.pattern {
			if strings.HasPrefix(pat, "{") {
				p[strings.Trim(pat, "{}")] = segs[j]
			} else if pat != segs[j] {
				ok = false
				break
			}
		}
		if ok {
			return rt, p
		}
	}
	return nil, nil
}

func r(method, path string, h func(s *Server, r *http.Request, p map[string]string) (any, *apiError)) route {
	pat := strings.Split(strings.Trim(path, "/"), "/")
	return route{method: method, pattern: pat, bucket: path, handle: h}
}

func routeTable() []route {
	return []route{
		r("GET", "/gateway", (*Server).getGateway),
		r("GET", "/gateway/bot", (*Server).getGateway),
		r("GET", "/users/@me", (*Server).me),
		r("GET", "/users/@me/guilds", (*Server).myGuilds),
		r("POST", "/users/@me/channels", (*Server).createDM),
		r("GET", "/guilds/{guild}", (*Server).getGuild),
		r("PATCH", "/guilds/{guild}", (*Server).editGuild),
		r("GET", "/guilds/{guild}/channels", (*Server).listChannels),
		r("POST", "/guilds/{guild}/channels", (*Server).createChannel),
		r("PATCH", "/guilds/{guild}/channels", (*Server).channelPositions),
		r("GET", "/channels/{channel}", (*Server).getChannel),
		r("PATCH", "/channels/{channel}", (*Server).editChannel),
		r("DELETE", "/channels/{channel}", (*Server).deleteChannel),
		r("PUT", "/channels/{channel}/permissions/{overwrite}", (*Server).putOverwrite),
		r("DELETE", "/channels/{channel}/permissions/{overwrite}", (*Server).deleteOverwrite),
		r("GET", "/channels/{channel}/messages", (*Server).listMessages),
		r("POST", "/channels/{channel}/messages", (*Server).createMessage),
		r("GET", "/channels/{channel}/messages/{message}", (*Server).getMessage),
		r("PATCH", "/channels/{channel}/messages/{message}", (*Server).editMessage),
		r("DELETE", "/channels/{channel}/messages/{message}", (*Server).deleteMessage),
		r("GET", "/channels/{channel}/pins", (*Server).listPins),
		r("PUT", "/channels/{channel}/pins/{message}", (*Server).pin),
		r("DELETE", "/channels/{channel}/pins/{message}", (*Server).unpin),
		r("GET", "/guilds/{guild}/roles", (*Server).listRoles),
		r("POST", "/guilds/{guild}/roles", (*Server).createRole),
		r("PATCH", "/guilds/{guild}/roles", (*Server).rolePositions),
		r("PATCH", "/guilds/{guild}/roles/{role}", (*Server).editRole),
		r("DELETE", "/guilds/{guild}/roles/{role}", (*Server).deleteRole),
		r("GET", "/guilds/{guild}/members", (*Server).listMembers),
		r("GET", "/guilds/{guild}/members/{user}", (*Server).getMember),
		r("PATCH", "/guilds/{guild}/members/{user}", (*Server).editMember),
		r("DELETE", "/guilds/{guild}/members/{user}", (*Server).kick),
		r("PUT", "/guilds/{guild}/members/{user}/roles/{role}", (*Server).addRole),
		r("DELETE", "/guilds/{guild}/members/{user}/roles/{role}", (*Server).removeRole),
		r("GET", "/guilds/{guild}/bans/{user}", (*Server).getBan),
		r("PUT", "/guilds/{guild}/bans/{user}", (*Server).ban),
		r("DELETE", "/guilds/{guild}/bans/{user}", (*Server).unban),
	}
}
