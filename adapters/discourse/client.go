package discourse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/platform"
)

// Client is a small typed client of the Discourse API routes hearth
// uses. No maintained Go client of Discourse exists; this one follows the
// API documentation (docs.discourse.org): JSON bodies, Api-Key and
// Api-Username headers, {"errors":[...],"error_type":...} failures.
type Client struct {
	Base     string // the forum's URL, without a trailing slash
	Key      string // secret: sent only as the Api-Key header
	Username string
	HTTP     *http.Client
}

// APIError is a Discourse error answer.
type APIError struct {
	Status    int
	Route     string
	Errors    []string
	ErrorType string
}

func (e *APIError) Error() string {
	msg := strings.Join(e.Errors, "; ")
	if msg == "" {
		msg = e.ErrorType
	}
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("discourse %s: HTTP %d: %s", e.Route, e.Status, msg)
}

// errorBody is Discourse's error JSON.
type errorBody struct {
	Errors    []string `json:"errors"`
	ErrorType string   `json:"error_type"`
	Extras    struct {
		WaitSeconds float64 `json:"wait_seconds"`
	} `json:"extras"`
}

// maxBody bounds an answer read into memory.
const maxBody = 8 << 20

// do sends one request and decodes a 200 answer into out. Failures are
// classified: 429 is a RateLimitError with Retry-After (or
// extras.wait_seconds), 404 ErrNotFound, 422 ErrInvalid (ErrConflict when
// a name is taken), 5xx temporary, other 4xx permanent.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	u := c.Base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("%w: %v", platform.ErrInvalid, err)
	}
	req.Header.Set("Api-Key", c.Key)
	req.Header.Set("Api-Username", c.Username)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	route := method + " " + path
	resp, err := hc.Do(req)
	if err != nil {
		// The URL carries no secret (the key is a header), so the error
		// may name it.
		return fmt.Errorf("discourse %s: %w", route, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return platform.Temporary(fmt.Errorf("discourse %s: reading the answer: %w", route, err), 0)
	}
	if resp.StatusCode == http.StatusOK {
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return platform.Permanent(fmt.Errorf("discourse %s: unexpected answer: %v", route, err))
		}
		return nil
	}
	var eb errorBody
	_ = json.Unmarshal(raw, &eb)
	apiErr := &APIError{Status: resp.StatusCode, Route: route, Errors: eb.Errors, ErrorType: eb.ErrorType}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		wait := time.Duration(eb.Extras.WaitSeconds * float64(time.Second))
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			wait = time.Duration(s) * time.Second
		}
		return &platform.RateLimitError{After: wait, Err: apiErr}
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %w", apiErr, platform.ErrNotFound)
	case resp.StatusCode == http.StatusUnprocessableEntity && taken(eb.Errors):
		return fmt.Errorf("%w: %w", apiErr, platform.ErrConflict)
	case resp.StatusCode == http.StatusUnprocessableEntity, resp.StatusCode == http.StatusBadRequest:
		return fmt.Errorf("%w: %w", apiErr, platform.ErrInvalid)
	case resp.StatusCode >= 500:
		return platform.Temporary(apiErr, 0)
	}
	return platform.Permanent(apiErr)
}

func taken(msgs []string) bool {
	for _, m := range msgs {
		if strings.Contains(m, "already been taken") {
			return true
		}
	}
	return false
}

// Category is a Discourse category.
type Category struct {
	ID             int    `json:"id"`
	Name           string `json:"name"`
	Slug           string `json:"slug"`
	Color          string `json:"color"`
	TextColor      string `json:"text_color"`
	Description    string `json:"description"`
	Position       int    `json:"position"`
	ParentID       int    `json:"parent_category_id"`
	ReadRestricted bool   `json:"read_restricted"`
	TopicID        int    `json:"topic_id"`
}

// Categories lists every category, subcategories included (/site.json).
func (c *Client) Categories(ctx context.Context) ([]Category, error) {
	var out struct {
		Categories []Category `json:"categories"`
	}
	err := c.do(ctx, http.MethodGet, "/site.json", nil, nil, &out)
	return out.Categories, err
}

// Category reads one category.
func (c *Client) Category(ctx context.Context, id int) (Category, error) {
	var out struct {
		Category Category `json:"category"`
	}
	err := c.do(ctx, http.MethodGet, "/c/"+strconv.Itoa(id)+"/show.json", nil, nil, &out)
	return out.Category, err
}

// CreateCategory makes a category from the fields given.
func (c *Client) CreateCategory(ctx context.Context, fields map[string]any) (Category, error) {
	var out struct {
		Category Category `json:"category"`
	}
	err := c.do(ctx, http.MethodPost, "/categories.json", nil, fields, &out)
	return out.Category, err
}

// UpdateCategory changes only the fields given.
func (c *Client) UpdateCategory(ctx context.Context, id int, fields map[string]any) (Category, error) {
	var out struct {
		Category Category `json:"category"`
	}
	err := c.do(ctx, http.MethodPut, "/categories/"+strconv.Itoa(id)+".json", nil, fields, &out)
	return out.Category, err
}

// DeleteCategory deletes a category.
func (c *Client) DeleteCategory(ctx context.Context, id int) error {
	return c.do(ctx, http.MethodDelete, "/categories/"+strconv.Itoa(id)+".json", nil, nil, nil)
}

// Group is a Discourse group.
type Group struct {
	ID              int    `json:"id"`
	Name            string `json:"name"`
	FullName        string `json:"full_name"`
	Automatic       bool   `json:"automatic"`
	Visibility      int    `json:"visibility_level"`
	Title           string `json:"title"`
	GrantTrustLevel int    `json:"grant_trust_level"`
}

// Groups reads one page of groups (pages count from 0) and whether more
// follow.
func (c *Client) Groups(ctx context.Context, page int) ([]Group, bool, error) {
	var out struct {
		Groups   []Group `json:"groups"`
		LoadMore string  `json:"load_more_groups"`
	}
	err := c.do(ctx, http.MethodGet, "/groups.json", url.Values{"page": {strconv.Itoa(page)}}, nil, &out)
	return out.Groups, out.LoadMore != "", err
}

// CreateGroup makes a group from the fields given.
func (c *Client) CreateGroup(ctx context.Context, fields map[string]any) (Group, error) {
	var out struct {
		Group Group `json:"basic_group"`
	}
	err := c.do(ctx, http.MethodPost, "/admin/groups.json", nil, map[string]any{"group": fields}, &out)
	return out.Group, err
}

// UpdateGroup changes only the fields given.
func (c *Client) UpdateGroup(ctx context.Context, id int, fields map[string]any) error {
	return c.do(ctx, http.MethodPut, "/groups/"+strconv.Itoa(id)+".json", nil, map[string]any{"group": fields}, nil)
}

// DeleteGroup deletes a group.
func (c *Client) DeleteGroup(ctx context.Context, id int) error {
	return c.do(ctx, http.MethodDelete, "/admin/groups/"+strconv.Itoa(id)+".json", nil, nil, nil)
}

// GroupMember is a member in a group's member listing.
type GroupMember struct {
	ID       int    `json:"id"`
	Username string `json:"username"`
}

// GroupMembers lists every member of a group, paging by offset.
func (c *Client) GroupMembers(ctx context.Context, name string) ([]GroupMember, error) {
	var all []GroupMember
	const limit = 200
	for offset := 0; ; offset += limit {
		var out struct {
			Members []GroupMember `json:"members"`
			Meta    struct {
				Total int `json:"total"`
			} `json:"meta"`
		}
		q := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset)}}
		if err := c.do(ctx, http.MethodGet, "/groups/"+url.PathEscape(name)+"/members.json", q, nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Members...)
		if len(out.Members) == 0 || offset+limit >= out.Meta.Total {
			return all, nil
		}
	}
}

// AddMembers puts users in a group (PUT /groups/{id}/members.json).
func (c *Client) AddMembers(ctx context.Context, group int, userIDs ...int) error {
	return c.do(ctx, http.MethodPut, "/groups/"+strconv.Itoa(group)+"/members.json", nil, map[string]any{"user_ids": joinInts(userIDs)}, nil)
}

// RemoveMembers takes users out of a group and reports how many were in
// it.
func (c *Client) RemoveMembers(ctx context.Context, group int, userIDs ...int) (int, error) {
	var out struct {
		Usernames []string `json:"usernames"`
	}
	err := c.do(ctx, http.MethodDelete, "/groups/"+strconv.Itoa(group)+"/members.json", nil, map[string]any{"user_ids": joinInts(userIDs)}, &out)
	return len(out.Usernames), err
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// User is a user as the admin routes show it.
type User struct {
	ID            int        `json:"id"`
	Username      string     `json:"username"`
	Name          string     `json:"name"`
	CreatedAt     time.Time  `json:"created_at"`
	SilencedTill  *time.Time `json:"silenced_till"`
	SuspendedTill *time.Time `json:"suspended_till"`
	Admin         bool       `json:"admin"`
	TrustLevel    int        `json:"trust_level"`
	// LockedTrustLevel is manual_locked_trust_level: the level staff (or
	// hearth) locked the user at, nil when not locked.
	LockedTrustLevel *int `json:"manual_locked_trust_level"`
}

// UsersPage is the page size of the admin user list.
const UsersPage = 100

// Users reads one page of active users, pages counting from 1.
func (c *Client) Users(ctx context.Context, page int) ([]User, error) {
	var out []User
	err := c.do(ctx, http.MethodGet, "/admin/users/list/active.json", url.Values{"page": {strconv.Itoa(page)}, "order": {"created"}, "asc": {"true"}}, nil, &out)
	return out, err
}

// User reads one user.
func (c *Client) User(ctx context.Context, id int) (User, error) {
	var out User
	err := c.do(ctx, http.MethodGet, "/admin/users/"+strconv.Itoa(id)+".json", nil, nil, &out)
	return out, err
}

// Silence stops a user posting until a time.
func (c *Client) Silence(ctx context.Context, id int, until time.Time, reason string) error {
	return c.do(ctx, http.MethodPut, "/admin/users/"+strconv.Itoa(id)+"/silence.json", nil,
		map[string]any{"silenced_till": until.UTC().Format(time.RFC3339), "reason": reason}, nil)
}

// Unsilence ends a silence.
func (c *Client) Unsilence(ctx context.Context, id int) error {
	return c.do(ctx, http.MethodPut, "/admin/users/"+strconv.Itoa(id)+"/unsilence.json", nil, map[string]any{}, nil)
}

// Suspend keeps a user out until a time.
func (c *Client) Suspend(ctx context.Context, id int, until time.Time, reason string) error {
	return c.do(ctx, http.MethodPut, "/admin/users/"+strconv.Itoa(id)+"/suspend.json", nil,
		map[string]any{"suspend_until": until.UTC().Format(time.RFC3339), "reason": reason}, nil)
}

// Unsuspend lets a suspended user back.
func (c *Client) Unsuspend(ctx context.Context, id int) error {
	return c.do(ctx, http.MethodPut, "/admin/users/"+strconv.Itoa(id)+"/unsuspend.json", nil, map[string]any{}, nil)
}

// SetTrustLevel sets a user's trust level (PUT
// /admin/users/{id}/trust_level). Discourse itself locks the level when
// it demotes a user below what its settings give, or promotes one to 3
// who does not keep level 3's requirements.
func (c *Client) SetTrustLevel(ctx context.Context, id, level int) error {
	return c.do(ctx, http.MethodPut, "/admin/users/"+strconv.Itoa(id)+"/trust_level.json", nil, map[string]any{"level": level}, nil)
}

// LockTrustLevel locks a user's trust level where it is, or lifts the
// lock, after which Discourse works the level out again from its
// settings (PUT /admin/users/{id}/trust_level_lock).
func (c *Client) LockTrustLevel(ctx context.Context, id int, locked bool) error {
	return c.do(ctx, http.MethodPut, "/admin/users/"+strconv.Itoa(id)+"/trust_level_lock.json", nil, map[string]any{"locked": strconv.FormatBool(locked)}, nil)
}

// Post is a post as /posts.json shows it.
type Post struct {
	ID       int    `json:"id"`
	TopicID  int    `json:"topic_id"`
	UserID   int    `json:"user_id"`
	Username string `json:"username"`
	Raw      string `json:"raw"`
}

// CreatePost creates a topic, a reply or a private message from the
// fields given (POST /posts.json).
func (c *Client) CreatePost(ctx context.Context, fields map[string]any) (Post, error) {
	var out Post
	err := c.do(ctx, http.MethodPost, "/posts.json", nil, fields, &out)
	return out, err
}

// LatestPosts lists the forum's latest posts, newest first.
func (c *Client) LatestPosts(ctx context.Context) ([]Post, error) {
	var out struct {
		Posts []Post `json:"latest_posts"`
	}
	err := c.do(ctx, http.MethodGet, "/posts.json", nil, nil, &out)
	return out.Posts, err
}

// DeletePost deletes a post.
func (c *Client) DeletePost(ctx context.Context, id int) error {
	return c.do(ctx, http.MethodDelete, "/posts/"+strconv.Itoa(id)+".json", nil, nil, nil)
}

// Badge is a badge the forum has.
type Badge struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
}

// Badges lists the forum's badges.
func (c *Client) Badges(ctx context.Context) ([]Badge, error) {
	var out struct {
		Badges []Badge `json:"badges"`
	}
	err := c.do(ctx, http.MethodGet, "/admin/badges.json", nil, nil, &out)
	return out.Badges, err
}

// GrantBadge grants a badge to a user (POST /user_badges.json).
func (c *Client) GrantBadge(ctx context.Context, username string, badge int, reason string) error {
	return c.do(ctx, http.MethodPost, "/user_badges.json", nil, map[string]any{"username": username, "badge_id": badge, "reason": reason}, nil)
}

// UserBadge is one grant of a badge to a user.
type UserBadge struct {
	ID        int `json:"id"`
	BadgeID   int `json:"badge_id"`
	GrantedBy int `json:"granted_by_id"`
}

// UserBadges lists the badges granted to a user (GET
// /user-badges/{username}.json).
func (c *Client) UserBadges(ctx context.Context, username string) ([]UserBadge, error) {
	var out struct {
		UserBadges []UserBadge `json:"user_badges"`
	}
	err := c.do(ctx, http.MethodGet, "/user-badges/"+url.PathEscape(username)+".json", nil, nil, &out)
	return out.UserBadges, err
}

// RevokeBadge takes back one grant (DELETE /user_badges/{id}.json).
func (c *Client) RevokeBadge(ctx context.Context, userBadge int) error {
	return c.do(ctx, http.MethodDelete, "/user_badges/"+strconv.Itoa(userBadge)+".json", nil, nil, nil)
}

// CurrentUser checks the key and returns the API user's name.
func (c *Client) CurrentUser(ctx context.Context) (string, error) {
	u, err := c.Me(ctx)
	return u.Username, err
}

// Me checks the key and returns the API user: its id tells the badges
// hearth granted from those staff granted by hand.
func (c *Client) Me(ctx context.Context) (User, error) {
	var out struct {
		CurrentUser User `json:"current_user"`
	}
	err := c.do(ctx, http.MethodGet, "/session/current.json", nil, nil, &out)
	if err == nil && out.CurrentUser.Username == "" {
		err = errors.New("discourse: the API key has no user")
	}
	return out.CurrentUser, err
}
