// Package discoursetest is an in-process fake of a Discourse forum's API,
// for tests of the discourse adapter and what is built on it, and for
// `hearth local serve discourse`, which serves one on loopback so that a
// configuration can be tried without a forum. It is a stand-in: it keeps
// everything in memory and checks requests only as far as hearth needs.
//
// It follows Discourse's published API where hearth depends on it:
// requests authenticate with the Api-Key and Api-Username headers
// (without them admin routes answer 403 {"error_type":"invalid_access"});
// bodies are JSON; errors are {"errors":[...],"error_type":...} with the
// HTTP status Discourse uses (404 not_found, 403 invalid_access, 422 for
// validation); listings page like Discourse's (/groups.json by page,
// group members by offset and limit, /admin/users/list by page); and a
// route can be made to answer 429 with Retry-After and
// {"error_type":"rate_limit","extras":{"wait_seconds":N}}.
//
// Members act through AddUser and Post, which queue the webhook deliveries
// Discourse would send (Webhooks).
//
// Trust levels follow Discourse's admin routes: PUT
// /admin/users/{id}/trust_level sets one, locking it (as Discourse does)
// when it demotes a user below the level their activity earns (Deserve)
// or promotes one to 3 who does not earn 3; PUT .../trust_level_lock with
// locked "true" locks the level the user has, and "false" lifts the lock
// and works the level out again, which is the earned one. Badge grants
// have ids and the user who granted them, listed by GET
// /user-badges/{username}.json and taken back by DELETE
// /user_badges/{id}.json.
package discoursetest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Fake is one forum behind an httptest server.
type Fake struct {
	URL    string
	server *httptest.Server

	APIKey, APIUsername string

	mu         sync.Mutex
	seq        int
	now        time.Time
	categories []*category
	groups     []*group
	users      []*user
	posts      []*post
	badges     []*badge
	grants     []grant
	limits     map[string][]int
	calls      map[string]int
	hooks      []Webhook
	hookSeq    int
}

type category struct {
	ID, Position, Parent, TopicID int
	Name, Slug, Color, TextColor  string
	Description                   string
	ReadRestricted                bool
}

type group struct {
	ID, Visibility, GrantTrustLevel int
	Name, FullName, Title           string
	Automatic                       bool
	Members                         []int
}

type user struct {
	ID             int
	Username, Name string
	TrustLevel     int
	Locked         *int // manual_locked_trust_level
	Deserved       int  // the level Discourse's settings give

	Created             time.Time
	SilencedTill        time.Time
	SuspendedTill       time.Time
	Admin, Deleted, Bot bool
}

type post struct {
	ID, TopicID, PostNumber, UserID int
	Raw, Title, Archetype           string
	CategoryID                      int
	Recipients                      []string
	Deleted                         bool
}

type badge struct {
	ID          int
	Name        string
	Enabled     bool
	Multiple    bool
	Description string
}

type grant struct {
	ID, UserID, BadgeID, GrantedBy int
	Reason                         string
}

// Webhook is one delivery Discourse would POST to a webhook.
type Webhook struct {
	ID    int
	Type  string // X-Discourse-Event-Type: post, user, like ...
	Event string // X-Discourse-Event: post_created ...
	Body  []byte
}

// New starts a fake forum (NewForum) on a loopback test server; it is
// closed when the test ends.
func New(t interface {
	Helper()
	Cleanup(func())
}) *Fake {
	t.Helper()
	f := NewForum()
	f.server = httptest.NewServer(f)
	f.URL = f.server.URL
	t.Cleanup(f.server.Close)
	return f
}

// NewForum makes a fake forum with a staff user for the API (APIKey,
// APIUsername) and the automatic groups, held in memory, which no server
// serves yet: it is the http.Handler of its API. New serves one for a
// test; `hearth local serve discourse` serves one on loopback, as a
// stand-in to try a configuration against. A caller that changes APIKey
// does so before serving.
func NewForum() *Fake {
	f := &Fake{APIKey: "d1s-test-key", APIUsername: "system", now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC),
		limits: map[string][]int{}, calls: map[string]int{}}
	f.addUser("system", "System", true)
	for _, n := range []string{"everyone", "admins", "moderators", "staff", "trust_level_0", "trust_level_1", "trust_level_2", "trust_level_3", "trust_level_4"} {
		f.seq++
		f.groups = append(f.groups, &group{ID: f.seq, Name: n, Automatic: true})
	}
	return f
}

// ServeHTTP answers a request to the forum's API.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.serve(w, r) }

func (f *Fake) addUser(username, name string, admin bool) *user {
	f.seq++
	u := &user{ID: f.seq, Username: username, Name: name, Created: f.now, Admin: admin}
	f.users = append(f.users, u)
	return u
}

// AddUser has someone sign up and returns their user id; it queues a
// user_created webhook.
func (f *Fake) AddUser(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.addUser(strings.ToLower(strings.ReplaceAll(name, " ", "_")), name, false)
	f.hook("user", "user_created", map[string]any{"user": f.userJSON(u)})
	return strconv.Itoa(u.ID)
}

// Rename changes a user's username, as the user or an admin may.
func (f *Fake) Rename(userID, username string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, _ := strconv.Atoi(userID)
	if u := f.user(id); u != nil {
		u.Username = username
	}
}

// Post has a user reply in a category's topic and returns the post id; it
// queues a post_created webhook.
func (f *Fake) Post(categoryID, userID, text string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cid, _ := strconv.Atoi(categoryID)
	uid, _ := strconv.Atoi(userID)
	c, u := f.category(cid), f.user(uid)
	if c == nil || u == nil {
		return "", fmt.Errorf("no category %s or user %s", categoryID, userID)
	}
	p := f.addPost(c.TopicID, u.ID, text, "", "regular", c.ID)
	f.hook("post", "post_created", map[string]any{"post": f.postJSON(p)})
	return strconv.Itoa(p.ID), nil
}

// Badge adds a badge to the forum and returns its id.
func (f *Fake) Badge(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	f.badges = append(f.badges, &badge{ID: f.seq, Name: name, Enabled: true})
	return f.seq
}

// DisableBadge turns a badge off, as an admin does in Admin > Badges.
func (f *Fake) DisableBadge(id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.badges {
		if b.ID == id {
			b.Enabled = false
		}
	}
}

// GrantByHand records a grant of a badge made by a moderator in the
// admin pages, not through the API user.
func (f *Fake) GrantByHand(userID string, badgeID int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	uid, _ := strconv.Atoi(userID)
	mod := f.userByName("moderator")
	if mod == nil {
		mod = f.addUser("moderator", "Moderator", true)
	}
	f.seq++
	f.grants = append(f.grants, grant{ID: f.seq, UserID: uid, BadgeID: badgeID, GrantedBy: mod.ID})
}

// TrustLevel returns a user's trust level and whether it is locked.
func (f *Fake) TrustLevel(userID string) (level int, locked bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	uid, _ := strconv.Atoi(userID)
	if u := f.user(uid); u != nil {
		return u.TrustLevel, u.Locked != nil
	}
	return 0, false
}

// Deserve sets the trust level a user's activity earns under the
// forum's settings: where Discourse's own promotions take them, and
// what an unlock works the level out as.
func (f *Fake) Deserve(userID string, level int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	uid, _ := strconv.Atoi(userID)
	if u := f.user(uid); u != nil {
		u.Deserved = level
		if u.Locked == nil && level > u.TrustLevel {
			u.TrustLevel = level
		}
	}
}

// LockByHand locks a user's trust level at a level, as staff do in the
// admin pages.
func (f *Fake) LockByHand(userID string, level int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	uid, _ := strconv.Atoi(userID)
	if u := f.user(uid); u != nil {
		u.TrustLevel = level
		u.Locked = &level
	}
}

// Granted lists the names of the badges granted to a user.
func (f *Fake) Granted(userID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	uid, _ := strconv.Atoi(userID)
	var out []string
	for _, g := range f.grants {
		if g.UserID == uid {
			for _, b := range f.badges {
				if b.ID == g.BadgeID {
					out = append(out, b.Name)
				}
			}
		}
	}
	return out
}

// Posts returns the raw text of the live posts in a topic.
func (f *Fake) Posts(topicID int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, p := range f.posts {
		if p.TopicID == topicID && !p.Deleted {
			out = append(out, p.Raw)
		}
	}
	return out
}

// Raw returns the raw text of a post by its id, "" when there is none.
func (f *Fake) Raw(postID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.posts {
		if strconv.Itoa(p.ID) == postID {
			return p.Raw
		}
	}
	return ""
}

// Messages returns the raw text of the private messages to a username.
func (f *Fake) Messages(username string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, p := range f.posts {
		if p.Archetype == "private_message" && slices.Contains(p.Recipients, username) && !p.Deleted {
			out = append(out, p.Raw)
		}
	}
	return out
}

// Webhooks returns the deliveries queued since the last call.
func (f *Fake) Webhooks() []Webhook {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.hooks
	f.hooks = nil
	return out
}

func (f *Fake) hook(typ, event string, payload map[string]any) {
	f.hookSeq++
	b, _ := json.Marshal(payload)
	f.hooks = append(f.hooks, Webhook{ID: f.hookSeq, Type: typ, Event: event, Body: b})
}

// RateLimit makes the next requests to a route ("POST /posts.json")
// answer 429 with these waits in seconds, one request each.
func (f *Fake) RateLimit(route string, waits ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits[route] = append(f.limits[route], waits...)
}

// Calls counts the requests to a route.
func (f *Fake) Calls(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[route]
}

func (f *Fake) category(id int) *category {
	for _, c := range f.categories {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (f *Fake) user(id int) *user {
	for _, u := range f.users {
		if u.ID == id && !u.Deleted {
			return u
		}
	}
	return nil
}

func (f *Fake) userByName(name string) *user {
	for _, u := range f.users {
		if strings.EqualFold(u.Username, name) && !u.Deleted {
			return u
		}
	}
	return nil
}

func (f *Fake) group(id int) *group {
	for _, g := range f.groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

// failure is an error answer.
type failure struct {
	status int
	body   map[string]any
}

func (e *failure) Error() string { return fmt.Sprint(e.body) }

func notFound() error {
	return &failure{404, map[string]any{"errors": []string{"The requested URL or resource could not be found."}, "error_type": "not_found"}}
}

func invalid(msgs ...string) error {
	return &failure{422, map[string]any{"errors": msgs}}
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	route := r.Method + " " + path
	var body map[string]any
	if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodDelete {
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err == nil && len(raw) > 0 {
			if err := json.Unmarshal(raw, &body); err != nil {
				writeJSON(w, 400, map[string]any{"errors": []string{"invalid JSON"}, "error_type": "invalid_parameters"})
				return
			}
		}
	}
	if body == nil {
		body = map[string]any{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	key := routeKey(r.Method, path)
	f.calls[key]++
	if q := f.limits[key]; len(q) > 0 {
		f.limits[key] = q[1:]
		w.Header().Set("Retry-After", strconv.Itoa(q[0]))
		writeJSON(w, 429, map[string]any{"errors": []string{fmt.Sprintf("You’ve performed this action too many times. Please wait %d seconds before trying again.", q[0])},
			"error_type": "rate_limit", "extras": map[string]any{"wait_seconds": q[0], "time_left": fmt.Sprintf("%d seconds", q[0])}})
		return
	}
	if r.Header.Get("Api-Key") != f.APIKey || f.userByName(r.Header.Get("Api-Username")) == nil {
		writeJSON(w, 403, map[string]any{"errors": []string{"You are not permitted to view the requested resource. The API username or key is invalid."}, "error_type": "invalid_access"})
		return
	}
	out, err := f.route(r, route, body)
	if err != nil {
		if fe, ok := err.(*failure); ok {
			writeJSON(w, fe.status, fe.body)
			return
		}
		writeJSON(w, 500, map[string]any{"errors": []string{err.Error()}})
		return
	}
	if out == nil {
		// Routes that answer render body: nil, such as trust_level_lock.
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, 200, out)
}

var numRe = regexp.MustCompile(`/\d+`)

// routeKey names a route with its ids replaced, "PUT /groups/{id}/members.json".
func routeKey(method, path string) string {
	return method + " " + numRe.ReplaceAllString(path, "/{id}")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// pathID reads the id in a path such as /categories/12.json.
func pathID(path, prefix, suffix string) (int, bool) {
	s, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, suffix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func (f *Fake) route(r *http.Request, route string, body map[string]any) (any, error) {
	p := r.URL.Path
	q := r.URL.Query()
	switch {
	case route == "GET /session/current.json":
		u := f.userByName(r.Header.Get("Api-Username"))
		return map[string]any{"current_user": map[string]any{"id": u.ID, "username": u.Username, "admin": u.Admin}}, nil
	case route == "GET /site.json":
		cats := []any{}
		for _, c := range f.categories {
			cats = append(cats, f.categoryJSON(c))
		}
		return map[string]any{"categories": cats}, nil
	case route == "POST /categories.json":
		return f.createCategory(body)
	case r.Method == "GET" && strings.HasPrefix(p, "/c/"):
		id, ok := pathID(p, "/c/", "/show.json")
		if c := f.category(id); ok && c != nil {
			return map[string]any{"category": f.categoryJSON(c)}, nil
		}
		return nil, notFound()
	case r.Method == "PUT" && strings.HasPrefix(p, "/categories/"):
		id, _ := pathID(p, "/categories/", ".json")
		return f.updateCategory(id, body)
	case r.Method == "DELETE" && strings.HasPrefix(p, "/categories/"):
		id, _ := pathID(p, "/categories/", ".json")
		c := f.category(id)
		if c == nil {
			return nil, notFound()
		}
		for _, o := range f.categories {
			if o.Parent == c.ID {
				return nil, invalid("Can't delete this category because it has sub-categories.")
			}
		}
		f.categories = slices.DeleteFunc(f.categories, func(o *category) bool { return o == c })
		return map[string]any{"success": "OK"}, nil
	case route == "GET /groups.json":
		return f.listGroups(q)
	case route == "POST /admin/groups.json":
		return f.createGroup(body)
	case r.Method == "GET" && strings.HasPrefix(p, "/groups/") && strings.HasSuffix(p, "/members.json"):
		return f.listMembers(strings.TrimSuffix(strings.TrimPrefix(p, "/groups/"), "/members.json"), q)
	case strings.HasPrefix(p, "/groups/") && strings.HasSuffix(p, "/members.json"):
		id, _ := pathID(p, "/groups/", "/members.json")
		return f.changeMembers(id, r.Method == "PUT", body)
	case r.Method == "PUT" && strings.HasPrefix(p, "/groups/"):
		id, _ := pathID(p, "/groups/", ".json")
		return f.updateGroup(id, body)
	case r.Method == "DELETE" && strings.HasPrefix(p, "/admin/groups/"):
		id, _ := pathID(p, "/admin/groups/", ".json")
		g := f.group(id)
		if g == nil {
			return nil, notFound()
		}
		if g.Automatic {
			return nil, &failure{403, map[string]any{"errors": []string{"You are not permitted to view the requested resource."}, "error_type": "invalid_access"}}
		}
		f.groups = slices.DeleteFunc(f.groups, func(o *group) bool { return o == g })
		return map[string]any{"success": "OK"}, nil
	case route == "GET /admin/users/list/active.json":
		return f.listUsers(q)
	case r.Method == "GET" && strings.HasPrefix(p, "/admin/users/"):
		id, _ := pathID(p, "/admin/users/", ".json")
		if u := f.user(id); u != nil {
			return f.userJSON(u), nil
		}
		return nil, notFound()
	case r.Method == "PUT" && strings.HasPrefix(p, "/admin/users/") && (strings.HasSuffix(p, "/trust_level") || strings.HasSuffix(p, "/trust_level.json")):
		return f.setTrustLevel(p, body)
	case r.Method == "PUT" && strings.HasPrefix(p, "/admin/users/") && (strings.HasSuffix(p, "/trust_level_lock") || strings.HasSuffix(p, "/trust_level_lock.json")):
		return f.lockTrustLevel(p, body)
	case r.Method == "PUT" && strings.HasPrefix(p, "/admin/users/"):
		return f.moderate(p, body)
	case route == "POST /posts.json":
		return f.createPost(r.Header.Get("Api-Username"), body)
	case route == "GET /posts.json":
		return f.latestPosts(q)
	case r.Method == "DELETE" && strings.HasPrefix(p, "/posts/"):
		id, _ := pathID(p, "/posts/", ".json")
		for _, po := range f.posts {
			if po.ID == id && !po.Deleted {
				po.Deleted = true
				return map[string]any{"success": "OK"}, nil
			}
		}
		return nil, notFound()
	case route == "GET /admin/badges.json":
		out := []any{}
		for _, b := range f.badges {
			out = append(out, map[string]any{"id": b.ID, "name": b.Name, "enabled": b.Enabled, "multiple_grant": b.Multiple, "description": b.Description})
		}
		return map[string]any{"badges": out}, nil
	case route == "POST /user_badges.json":
		return f.grantBadge(f.userByName(r.Header.Get("Api-Username")), body)
	case r.Method == "GET" && strings.HasPrefix(p, "/user-badges/") && strings.HasSuffix(p, ".json"):
		return f.userBadges(strings.TrimSuffix(strings.TrimPrefix(p, "/user-badges/"), ".json"))
	case r.Method == "DELETE" && strings.HasPrefix(p, "/user_badges/"):
		id, ok := pathID(p, "/user_badges/", ".json")
		for i, g := range f.grants {
			if ok && g.ID == id {
				f.grants = slices.Delete(f.grants, i, i+1)
				return map[string]any{"success": "OK"}, nil
			}
		}
		return nil, notFound()
	}
	return nil, notFound()
}

func str(body map[string]any, k string) (string, bool) {
	switch v := body[k].(type) {
	case string:
		return v, true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

func num(body map[string]any, k string) (int, bool, error) {
	s, ok := str(body, k)
	if !ok || s == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, true, invalid(k + " is not a number")
	}
	return n, true, nil
}

var hexColor = regexp.MustCompile(`^[0-9A-Fa-f]{6}$|^[0-9A-Fa-f]{3}$`)

func (f *Fake) categoryJSON(c *category) map[string]any {
	out := map[string]any{"id": c.ID, "name": c.Name, "slug": c.Slug, "color": c.Color, "text_color": c.TextColor,
		"description": c.Description, "position": c.Position, "read_restricted": c.ReadRestricted, "topic_id": c.TopicID}
	if c.Parent != 0 {
		out["parent_category_id"] = c.Parent
	}
	return out
}

func (f *Fake) setCategory(c *category, body map[string]any, create bool) error {
	if v, ok := str(body, "name"); ok || create {
		if strings.TrimSpace(v) == "" {
			return invalid("Name can't be blank")
		}
		if utf8.RuneCountInString(v) > 50 {
			return invalid("Name is too long (maximum is 50 characters)")
		}
		for _, o := range f.categories {
			if o != c && strings.EqualFold(o.Name, v) && o.Parent == c.Parent {
				return invalid("Category Name has already been taken")
			}
		}
		c.Name = v
		c.Slug = strings.ToLower(strings.ReplaceAll(v, " ", "-"))
	}
	for _, k := range []string{"color", "text_color"} {
		v, ok := str(body, k)
		if !ok && create {
			return &failure{400, map[string]any{"errors": []string{"param is missing or the value is empty: " + k}, "error_type": "invalid_parameters"}}
		}
		if ok {
			if !hexColor.MatchString(v) {
				return invalid(strings.ReplaceAll(k, "_", " ") + " is invalid")
			}
			if k == "color" {
				c.Color = strings.ToUpper(v)
			} else {
				c.TextColor = strings.ToUpper(v)
			}
		}
	}
	if v, ok := str(body, "description"); ok {
		c.Description = v
	}
	if n, ok, err := num(body, "position"); err != nil {
		return err
	} else if ok {
		c.Position = n
	}
	if _, ok := body["parent_category_id"]; ok {
		n, _, err := num(body, "parent_category_id")
		if err != nil {
			return err
		}
		if n != 0 && (f.category(n) == nil || n == c.ID) {
			return invalid("Parent category is invalid")
		}
		if n != 0 && f.category(n).Parent != 0 {
			return invalid("Subcategories cannot have subcategories")
		}
		c.Parent = n
	}
	if perms, ok := body["permissions"].(map[string]any); ok {
		_, everyone := perms["everyone"]
		c.ReadRestricted = !everyone
	}
	return nil
}

func (f *Fake) createCategory(body map[string]any) (any, error) {
	f.seq++
	// New categories go after the last, as Discourse's default position.
	pos := 0
	for _, o := range f.categories {
		pos = max(pos, o.Position+1)
	}
	c := &category{ID: f.seq, Position: pos}
	if err := f.setCategory(c, body, true); err != nil {
		return nil, err
	}
	// Each category has an "About the NAME category" topic.
	about := f.addPost(0, f.users[0].ID, "About the "+c.Name+" category", "About the "+c.Name+" category", "regular", c.ID)
	c.TopicID = about.TopicID
	f.categories = append(f.categories, c)
	return map[string]any{"category": f.categoryJSON(c)}, nil
}

func (f *Fake) updateCategory(id int, body map[string]any) (any, error) {
	c := f.category(id)
	if c == nil {
		return nil, notFound()
	}
	cp := *c
	if err := f.setCategory(&cp, body, false); err != nil {
		return nil, err
	}
	*c = cp
	return map[string]any{"success": "OK", "category": f.categoryJSON(c)}, nil
}

func (f *Fake) groupJSON(g *group) map[string]any {
	return map[string]any{"id": g.ID, "name": g.Name, "full_name": g.FullName, "automatic": g.Automatic, "user_count": len(g.Members),
		"visibility_level": g.Visibility, "title": g.Title, "grant_trust_level": g.GrantTrustLevel}
}

// groupsPage is Discourse's page of /groups.json.
const groupsPage = 36

func (f *Fake) listGroups(q map[string][]string) (any, error) {
	page := 0
	if v := first(q, "page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, invalid("page is invalid")
		}
		page = n
	}
	var out []any
	for i, g := range f.groups {
		if i >= page*groupsPage && i < (page+1)*groupsPage {
			out = append(out, f.groupJSON(g))
		}
	}
	if out == nil {
		out = []any{}
	}
	res := map[string]any{"groups": out, "total_rows_groups": len(f.groups)}
	if (page+1)*groupsPage < len(f.groups) {
		res["load_more_groups"] = fmt.Sprintf("/groups?page=%d", page+1)
	}
	return res, nil
}

func first(q map[string][]string, k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

var groupNameRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

func (f *Fake) setGroup(g *group, body map[string]any, create bool) error {
	gb, _ := body["group"].(map[string]any)
	if gb == nil {
		return &failure{400, map[string]any{"errors": []string{"param is missing or the value is empty: group"}, "error_type": "invalid_parameters"}}
	}
	if v, ok := str(gb, "name"); ok || create {
		if !groupNameRe.MatchString(v) || len(v) > 60 {
			return invalid("Name must only include numbers, letters, dashes, dots, and underscores")
		}
		for _, o := range f.groups {
			if o != g && strings.EqualFold(o.Name, v) {
				return invalid("Name has already been taken")
			}
		}
		if f.userByName(v) != nil {
			return invalid("Name has already been taken")
		}
		g.Name = v
	}
	if v, ok := str(gb, "full_name"); ok {
		g.FullName = v
	}
	if v, ok := str(gb, "title"); ok {
		g.Title = v
	}
	for k, dst := range map[string]*int{"visibility_level": &g.Visibility, "grant_trust_level": &g.GrantTrustLevel} {
		if n, ok, err := num(gb, k); err != nil {
			return err
		} else if ok {
			if n < 0 || n > 4 {
				return invalid(k + " is invalid")
			}
			*dst = n
		}
	}
	return nil
}

func (f *Fake) createGroup(body map[string]any) (any, error) {
	f.seq++
	g := &group{ID: f.seq}
	if err := f.setGroup(g, body, true); err != nil {
		return nil, err
	}
	f.groups = append(f.groups, g)
	return map[string]any{"basic_group": f.groupJSON(g)}, nil
}

func (f *Fake) updateGroup(id int, body map[string]any) (any, error) {
	g := f.group(id)
	if g == nil {
		return nil, notFound()
	}
	if g.Automatic {
		return nil, invalid("automatic groups cannot be changed")
	}
	cp := *g
	if err := f.setGroup(&cp, body, false); err != nil {
		return nil, err
	}
	*g = cp
	return map[string]any{"success": "OK"}, nil
}

func (f *Fake) listMembers(name string, q map[string][]string) (any, error) {
	var g *group
	for _, o := range f.groups {
		if strings.EqualFold(o.Name, name) {
			g = o
		}
	}
	if g == nil {
		return nil, notFound()
	}
	limit, offset := 50, 0
	if v := first(q, "limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, invalid("limit is invalid")
		}
		limit = min(n, 1000)
	}
	if v := first(q, "offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, invalid("offset is invalid")
		}
		offset = n
	}
	members := []any{}
	for i, id := range g.Members {
		if i >= offset && i < offset+limit {
			if u := f.user(id); u != nil {
				members = append(members, map[string]any{"id": u.ID, "username": u.Username, "name": u.Name})
			}
		}
	}
	return map[string]any{"members": members, "owners": []any{}, "meta": map[string]any{"total": len(g.Members), "limit": limit, "offset": offset}}, nil
}

// changeMembers adds (PUT) or removes (DELETE) members by usernames or
// user_ids, comma separated.
func (f *Fake) changeMembers(id int, add bool, body map[string]any) (any, error) {
	g := f.group(id)
	if g == nil {
		return nil, notFound()
	}
	if g.Automatic {
		return nil, invalid("You cannot modify an automatic group")
	}
	var users []*user
	if s, ok := str(body, "user_ids"); ok && s != "" {
		for v := range strings.SplitSeq(s, ",") {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			u := f.user(n)
			if u == nil {
				return nil, &failure{400, map[string]any{"errors": []string{"You supplied invalid parameters to the request: user_ids"}, "error_type": "invalid_parameters"}}
			}
			users = append(users, u)
		}
	} else if s, ok := str(body, "usernames"); ok && s != "" {
		for v := range strings.SplitSeq(s, ",") {
			u := f.userByName(strings.TrimSpace(v))
			if u == nil {
				return nil, &failure{400, map[string]any{"errors": []string{"You supplied invalid parameters to the request: usernames"}, "error_type": "invalid_parameters"}}
			}
			users = append(users, u)
		}
	} else {
		return nil, &failure{400, map[string]any{"errors": []string{"param is missing or the value is empty: usernames"}, "error_type": "invalid_parameters"}}
	}
	var done, skipped []string
	for _, u := range users {
		in := slices.Contains(g.Members, u.ID)
		switch {
		case add && in, !add && !in:
			skipped = append(skipped, u.Username)
		case add:
			g.Members = append(g.Members, u.ID)
			done = append(done, u.Username)
		default:
			g.Members = slices.DeleteFunc(g.Members, func(m int) bool { return m == u.ID })
			done = append(done, u.Username)
		}
	}
	if add && len(done) == 0 {
		return nil, invalid(fmt.Sprintf("%s is already a member of this group", strings.Join(skipped, ", ")))
	}
	return map[string]any{"success": "OK", "usernames": done, "skipped_usernames": skipped}, nil
}

func (f *Fake) userJSON(u *user) map[string]any {
	out := map[string]any{"id": u.ID, "username": u.Username, "name": u.Name, "created_at": u.Created.Format(time.RFC3339), "admin": u.Admin,
		"silenced_till": nil, "suspended_till": nil, "active": true, "trust_level": u.TrustLevel, "manual_locked_trust_level": nil}
	if u.Locked != nil {
		out["manual_locked_trust_level"] = *u.Locked
	}
	if !u.SilencedTill.IsZero() {
		out["silenced_till"] = u.SilencedTill.Format(time.RFC3339)
	}
	if !u.SuspendedTill.IsZero() {
		out["suspended_till"] = u.SuspendedTill.Format(time.RFC3339)
	}
	return out
}

// usersPage is the page of /admin/users/list.
const usersPage = 100

func (f *Fake) listUsers(q map[string][]string) (any, error) {
	page := 1
	if v := first(q, "page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, invalid("page is invalid")
		}
		page = n
	}
	out := []any{}
	i := 0
	for _, u := range f.users {
		if u.Deleted {
			continue
		}
		if i >= (page-1)*usersPage && i < page*usersPage {
			out = append(out, f.userJSON(u))
		}
		i++
	}
	return out, nil
}

func parseTime(body map[string]any, k string) (time.Time, error) {
	s, _ := str(body, k)
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, invalid(k + " is invalid")
	}
	return t, nil
}

// moderate handles silence, unsilence, suspend and unsuspend.
func (f *Fake) moderate(p string, body map[string]any) (any, error) {
	rest := strings.TrimPrefix(p, "/admin/users/")
	idStr, action, ok := strings.Cut(rest, "/")
	id, err := strconv.Atoi(idStr)
	u := f.user(id)
	if !ok || err != nil || u == nil {
		return nil, notFound()
	}
	if u.Admin {
		return nil, &failure{403, map[string]any{"errors": []string{"You are not permitted to view the requested resource."}, "error_type": "invalid_access"}}
	}
	switch action {
	case "silence.json":
		t, err := parseTime(body, "silenced_till")
		if err != nil {
			return nil, err
		}
		if r, _ := str(body, "reason"); r == "" {
			return nil, invalid("Reason can't be blank")
		}
		u.SilencedTill = t
		return map[string]any{"success": "OK", "silence": map[string]any{"silenced": true, "silenced_till": t.Format(time.RFC3339)}}, nil
	case "unsilence.json":
		u.SilencedTill = time.Time{}
		return map[string]any{"success": "OK"}, nil
	case "suspend.json":
		t, err := parseTime(body, "suspend_until")
		if err != nil {
			return nil, err
		}
		if r, _ := str(body, "reason"); r == "" {
			return nil, invalid("Reason can't be blank")
		}
		u.SuspendedTill = t
		return map[string]any{"suspension": map[string]any{"suspended_till": t.Format(time.RFC3339)}}, nil
	case "unsuspend.json":
		u.SuspendedTill = time.Time{}
		return map[string]any{"suspension": map[string]any{"suspended_till": nil}}, nil
	}
	return nil, notFound()
}

func (f *Fake) addPost(topic, uid int, raw, title, archetype string, category int) *post {
	f.seq++
	p := &post{ID: f.seq, TopicID: topic, UserID: uid, Raw: raw, Title: title, Archetype: archetype, CategoryID: category, PostNumber: 1}
	if topic == 0 {
		f.seq++
		p.TopicID = f.seq
	} else {
		for _, o := range f.posts {
			if o.TopicID == topic {
				p.PostNumber = max(p.PostNumber, o.PostNumber+1)
			}
		}
	}
	f.posts = append(f.posts, p)
	return p
}

func (f *Fake) postJSON(p *post) map[string]any {
	u := f.user(p.UserID)
	name := ""
	if u != nil {
		name = u.Username
	}
	return map[string]any{"id": p.ID, "topic_id": p.TopicID, "post_number": p.PostNumber, "user_id": p.UserID, "username": name,
		"raw": p.Raw, "cooked": "<p>" + p.Raw + "</p>", "category_id": p.CategoryID, "topic_title": p.Title, "archetype": p.Archetype,
		"created_at": f.now.Format(time.RFC3339)}
}

// createPost makes a topic (title), a reply (topic_id) or a private
// message (archetype private_message, target_recipients), with
// Discourse's default minimum lengths.
func (f *Fake) createPost(username string, body map[string]any) (any, error) {
	raw, _ := str(body, "raw")
	title, _ := str(body, "title")
	archetype, _ := str(body, "archetype")
	u := f.userByName(username)
	switch {
	case strings.TrimSpace(raw) == "":
		return nil, invalid("Body can't be blank")
	case utf8.RuneCountInString(raw) > 32000:
		return nil, invalid("Body is limited to 32000 characters")
	}
	if archetype == "private_message" {
		to, _ := str(body, "target_recipients")
		if utf8.RuneCountInString(strings.TrimSpace(raw)) < 10 {
			return nil, invalid("Body is too short (minimum is 10 characters)")
		}
		var names []string
		for n := range strings.SplitSeq(to, ",") {
			r := f.userByName(strings.TrimSpace(n))
			if r == nil {
				return nil, invalid("Sorry, there is no user named " + n + ".")
			}
			names = append(names, r.Username)
		}
		if utf8.RuneCountInString(title) < 2 {
			return nil, invalid("Title is too short")
		}
		p := f.addPost(0, u.ID, raw, title, "private_message", 0)
		p.Recipients = names
		return f.postJSON(p), nil
	}
	if tid, ok, err := num(body, "topic_id"); err != nil {
		return nil, err
	} else if ok {
		found := false
		for _, p := range f.posts {
			if p.TopicID == tid && !p.Deleted && p.Archetype != "private_message" {
				found = true
			}
		}
		if !found {
			return nil, notFound()
		}
		if utf8.RuneCountInString(strings.TrimSpace(raw)) < 20 {
			return nil, invalid("Body is too short (minimum is 20 characters)")
		}
		cat := 0
		for _, c := range f.categories {
			if c.TopicID == tid {
				cat = c.ID
			}
		}
		return f.postJSON(f.addPost(tid, u.ID, raw, "", "regular", cat)), nil
	}
	cid, _, err := num(body, "category")
	if err != nil {
		return nil, err
	}
	if cid != 0 && f.category(cid) == nil {
		return nil, invalid("Category can't be blank")
	}
	if utf8.RuneCountInString(title) < 15 {
		return nil, invalid("Title is too short (minimum is 15 characters)")
	}
	return f.postJSON(f.addPost(0, u.ID, raw, title, "regular", cid)), nil
}

// latestPosts lists the latest public posts, newest first, with raw, as
// GET /posts.json does; before pages back.
func (f *Fake) latestPosts(q map[string][]string) (any, error) {
	before := 0
	if v := first(q, "before"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, invalid("before is invalid")
		}
		before = n
	}
	out := []any{}
	for i := len(f.posts) - 1; i >= 0 && len(out) < 50; i-- {
		p := f.posts[i]
		if p.Deleted || before != 0 && p.ID >= before {
			continue
		}
		out = append(out, f.postJSON(p))
	}
	return map[string]any{"latest_posts": out}, nil
}

// adminUser finds the user of an /admin/users/{id}/ACTION path.
func (f *Fake) adminUser(p string) (*user, error) {
	idStr, _, _ := strings.Cut(strings.TrimPrefix(p, "/admin/users/"), "/")
	id, err := strconv.Atoi(idStr)
	if u := f.user(id); err == nil && u != nil {
		return u, nil
	}
	return nil, notFound()
}

// setTrustLevel is PUT /admin/users/{id}/trust_level. Discourse locks a
// level not locked yet when it is below what the user earns, or is 3 for
// a user who does not earn 3, so its own promotions do not undo it; it
// answers the user. (Discourse answers a level that is not 0 to 4 with a
// server error; the fake says 400.)
func (f *Fake) setTrustLevel(p string, body map[string]any) (any, error) {
	u, err := f.adminUser(p)
	if err != nil {
		return nil, err
	}
	level, ok, err := num(body, "level")
	if err != nil || !ok || level < 0 || level > 4 {
		return nil, &failure{400, map[string]any{"errors": []string{"Invalid trust level"}, "error_type": "invalid_parameters"}}
	}
	if u.Locked == nil && (level <= 2 && u.Deserved > level || level == 3 && u.Deserved < 3) {
		l := level
		u.Locked = &l
	}
	u.TrustLevel = level
	return f.userJSON(u), nil
}

// lockTrustLevel is PUT /admin/users/{id}/trust_level_lock: locked "true"
// locks the level the user has; "false" lifts the lock and works the
// level out again, and it answers an empty body.
func (f *Fake) lockTrustLevel(p string, body map[string]any) (any, error) {
	u, err := f.adminUser(p)
	if err != nil {
		return nil, err
	}
	switch v, _ := str(body, "locked"); v {
	case "true":
		l := u.TrustLevel
		u.Locked = &l
	case "false":
		u.Locked = nil
		u.TrustLevel = u.Deserved
	default:
		return nil, invalid("Invalid boolean.")
	}
	return nil, nil
}

// userBadges is GET /user-badges/{username}.json: the user's grants,
// with the badges they are of.
func (f *Fake) userBadges(username string) (any, error) {
	u := f.userByName(username)
	if u == nil {
		return nil, notFound()
	}
	ubs, badges := []any{}, []any{}
	seen := map[int]bool{}
	for _, g := range f.grants {
		if g.UserID != u.ID {
			continue
		}
		ubs = append(ubs, map[string]any{"id": g.ID, "badge_id": g.BadgeID, "granted_by_id": g.GrantedBy, "granted_at": f.now.Format(time.RFC3339)})
		for _, b := range f.badges {
			if b.ID == g.BadgeID && !seen[b.ID] {
				seen[b.ID] = true
				badges = append(badges, map[string]any{"id": b.ID, "name": b.Name, "enabled": b.Enabled, "multiple_grant": b.Multiple})
			}
		}
	}
	return map[string]any{"badges": badges, "user_badges": ubs}, nil
}

func (f *Fake) grantBadge(by *user, body map[string]any) (any, error) {
	name, _ := str(body, "username")
	u := f.userByName(name)
	if u == nil {
		return nil, notFound()
	}
	bid, _, err := num(body, "badge_id")
	if err != nil {
		return nil, err
	}
	var b *badge
	for _, o := range f.badges {
		if o.ID == bid {
			b = o
		}
	}
	if b == nil {
		return nil, notFound()
	}
	if !b.Enabled {
		return nil, invalid("badge is not enabled")
	}
	reason, _ := str(body, "reason")
	// A badge without multiple_grant is held once; granting it again
	// answers the existing grant.
	for _, g := range f.grants {
		if g.UserID == u.ID && g.BadgeID == b.ID && !b.Multiple {
			return map[string]any{"badges": []any{map[string]any{"id": b.ID, "name": b.Name}},
				"user_badge": map[string]any{"id": g.ID, "badge_id": b.ID, "user_id": u.ID, "granted_by_id": g.GrantedBy, "granted_at": f.now.Format(time.RFC3339)}}, nil
		}
	}
	f.seq++
	g := grant{ID: f.seq, UserID: u.ID, BadgeID: b.ID, GrantedBy: by.ID, Reason: reason}
	f.grants = append(f.grants, g)
	return map[string]any{"badges": []any{map[string]any{"id": b.ID, "name": b.Name}},
		"user_badge": map[string]any{"id": g.ID, "badge_id": b.ID, "user_id": u.ID, "granted_by_id": g.GrantedBy, "granted_at": f.now.Format(time.RFC3339)}}, nil
}

// Advance moves the fake's clock, for silences and suspensions.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}
