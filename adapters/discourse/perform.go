package discourse

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/adapters/internal/ledger"
	"github.com/hearth-community/hearth/engine/platform"
)

// forever is how long a ban without a duration suspends: Discourse has no
// unlimited suspension, and its own "forever" is a date far ahead.
const forever = 200 * 365 * 24 * time.Hour

// marker is the HTML comment a post carries its key in; Discourse does
// not show comments, and keeps the raw text.
func marker(key, fp string) string {
	return "<!-- hearth:" + strings.NewReplacer("-->", "", "\n", " ").Replace(key) + " " + fp + " -->"
}

// Perform does one action at most once per key: within a process by the
// Adapter's record of keys; for channel messages also across processes,
// by the key in the post, looked for among the forum's latest posts.
func (c *Conn) Perform(ctx context.Context, req platform.PerformRequest) (platform.PerformResponse, error) {
	var resp platform.PerformResponse
	if c.closed.Load() {
		return resp, errClosed
	}
	if err := platform.CheckPerform(req); err != nil {
		return resp, err
	}
	if err := c.check(req.Community); err != nil {
		return resp, err
	}
	fp := ledger.Digest(req)
	unlock := c.a.keys.Lock(req.Key)
	defer unlock()
	if r, done, err := c.a.keys.Done(req.Key, fp); done {
		return r, err
	}
	reason := req.Reason
	if reason == "" {
		reason = "hearth: " + string(req.Action)
	}
	var id string
	var dup bool
	var held platform.Holding
	text, err := c.mentionNames(ctx, req.Text, req.Mentions)
	if err != nil {
		return resp, err
	}
	req.Text = text
	switch req.Action {
	case platform.ActionChannelMessage:
		id, dup, err = c.reply(ctx, req, fp)
	case platform.ActionDirectMessage:
		var u User
		if u, err = c.api.User(ctx, mustUser(req.Member)); err == nil {
			var p Post
			p, err = c.api.CreatePost(ctx, map[string]any{"title": c.dmTitle, "raw": c.quietMentions(ctx, req.Text) + "\n\n" + marker(req.Key, fp),
				"target_recipients": u.Username, "archetype": "private_message"})
			id = strconv.Itoa(p.ID)
		}
	case platform.ActionRoleAdd, platform.ActionRoleRemove:
		var had bool
		had, err = c.setMember(ctx, req.Member, req.Role, req.Action == platform.ActionRoleAdd, once)
		if req.Action == platform.ActionRoleAdd {
			held = platform.HeldIf(had)
		}
	case platform.ActionMute:
		err = c.moderate(ctx, req.Member, func(uid int) error { return c.api.Silence(ctx, uid, c.now().Add(req.Duration), reason) })
	case platform.ActionUnmute:
		err = c.moderate(ctx, req.Member, func(uid int) error { return c.api.Unsilence(ctx, uid) })
	case platform.ActionBan:
		d := req.Duration
		if d == 0 {
			d = forever
		}
		err = c.moderate(ctx, req.Member, func(uid int) error { return c.api.Suspend(ctx, uid, c.now().Add(d), reason) })
	case platform.ActionUnban:
		err = c.moderate(ctx, req.Member, func(uid int) error {
			u, err := c.api.User(ctx, uid)
			if err != nil {
				return err
			}
			if u.SuspendedTill == nil || !u.SuspendedTill.After(c.now()) {
				return fmt.Errorf("%s is not suspended: %w", req.Member, platform.ErrNotFound)
			}
			return c.api.Unsuspend(ctx, uid)
		})
	case platform.ActionDeleteMessage:
		var n int
		if n, err = strconv.Atoi(req.Message); err != nil {
			err = fmt.Errorf("post %q: %w", req.Message, platform.ErrNotFound)
		} else {
			err = c.api.DeletePost(ctx, n)
		}
	case platform.ActionBadgeGrant:
		err = c.grant(ctx, req, reason)
	case platform.ActionBadgeRevoke:
		err = c.revoke(ctx, req)
	case platform.ActionTrustLevel:
		err = c.trustLevel(ctx, req)
	case platform.ActionKick:
		err = fmt.Errorf("%w: Discourse has no kick; ban suspends a member for a while", platform.ErrUnsupported)
	}
	if err != nil {
		return resp, fmt.Errorf("%s: %w", req.Action, err)
	}
	c.a.keys.PutHeld(req.Key, fp, id, held)
	return platform.PerformResponse{ID: id, Duplicate: dup, Held: held}, nil
}

// mustUser reads a member id for a call that will answer not found for
// a bad one (user 0 does not exist).
// mentionNames puts @username for each mention in text, in place of the
// name it shows, the username read from the forum by user id (kept for
// usernamesFor: see usernames), so the post mentions and notifies the
// member. A user the forum no longer has keeps their name, as text.
func (c *Conn) mentionNames(ctx context.Context, text string, marks []platform.Mention) (string, error) {
	if len(marks) == 0 {
		return text, nil
	}
	var b strings.Builder
	at := 0
	for _, m := range marks {
		b.WriteString(text[at:m.Start])
		at = m.End
		uid, err := userID(m.ID)
		if err != nil {
			b.WriteString(text[m.Start:m.End])
			continue
		}
		if name, ok := c.a.names.get(c.api.Base, uid, c.now()); ok {
			b.WriteString("@" + name)
			continue
		}
		u, err := c.api.User(ctx, uid)
		switch {
		case errors.Is(err, platform.ErrNotFound) || (err == nil && u.Username == ""):
			b.WriteString(text[m.Start:m.End])
		case err != nil:
			return "", err
		default:
			c.a.names.put(c.api.Base, uid, u.Username, c.now())
			b.WriteString("@" + u.Username)
		}
	}
	b.WriteString(text[at:])
	return b.String(), nil
}

func mustUser(id string) int {
	n, _ := userID(id)
	return n
}

func (c *Conn) moderate(ctx context.Context, member string, do func(uid int) error) error {
	uid, err := userID(member)
	if err != nil {
		return err
	}
	return do(uid)
}

// reply posts text in a category's About topic, unless a post with the
// key is among the forum's latest.
func (c *Conn) reply(ctx context.Context, req platform.PerformRequest, fp string) (string, bool, error) {
	cid, err := strconv.Atoi(req.Channel)
	if err != nil {
		return "", false, fmt.Errorf("category %q: %w", req.Channel, platform.ErrNotFound)
	}
	cat, err := c.api.Category(ctx, cid)
	if err != nil {
		return "", false, err
	}
	latest, err := c.api.LatestPosts(ctx)
	if err != nil {
		return "", false, err
	}
	prefix := "<!-- hearth:" + strings.NewReplacer("-->", "", "\n", " ").Replace(req.Key) + " "
	for _, p := range latest {
		if !strings.EqualFold(p.Username, c.api.Username) {
			continue
		}
		if i := strings.Index(p.Raw, prefix); i >= 0 {
			if !strings.HasPrefix(p.Raw[i+len(prefix):], fp+" ") {
				return "", false, fmt.Errorf("key %q: %w", req.Key, platform.ErrKeyReused)
			}
			return strconv.Itoa(p.ID), true, nil
		}
	}
	p, err := c.api.CreatePost(ctx, map[string]any{"topic_id": cat.TopicID, "raw": c.quietMentions(ctx, req.Text) + "\n\n" + marker(req.Key, fp)})
	if err != nil {
		return "", false, err
	}
	return strconv.Itoa(p.ID), false, nil
}

// grant gives a member the forum's badge of that name. Discourse grants a
// badge that cannot be held twice only once, so a retry after a crash
// grants nothing more.
func (c *Conn) grant(ctx context.Context, req platform.PerformRequest, reason string) error {
	b, u, err := c.badgeAndUser(ctx, req, badgeEnabled)
	if err != nil {
		return err
	}
	return c.api.GrantBadge(ctx, u.Username, b.ID, reason)
}

// badgeEnabled refuses a badge the forum has disabled: Discourse would
// not grant it.
func badgeEnabled(b Badge) error {
	if !b.Enabled {
		return fmt.Errorf("%w: badge %q is disabled in the forum", platform.ErrConflict, b.Name)
	}
	return nil
}

// badgeAndUser looks up what granting and revoking both need: the
// forum's badge of the request's name and the member's forum user. vet,
// when not nil, checks the badge before the user is looked up, so a badge
// that cannot be used costs no call for the user.
func (c *Conn) badgeAndUser(ctx context.Context, req platform.PerformRequest, vet func(Badge) error) (Badge, User, error) {
	uid, err := userID(req.Member)
	if err != nil {
		return Badge{}, User{}, err
	}
	b, err := c.badgeNamed(ctx, req.Badge)
	if err != nil {
		return Badge{}, User{}, err
	}
	if vet != nil {
		if err := vet(b); err != nil {
			return Badge{}, User{}, err
		}
	}
	u, err := c.api.User(ctx, uid)
	if err != nil {
		return Badge{}, User{}, err
	}
	return b, u, nil
}

// badgeNamed finds the forum's badge of that name.
func (c *Conn) badgeNamed(ctx context.Context, name string) (Badge, error) {
	badges, err := c.api.Badges(ctx)
	if err != nil {
		return Badge{}, err
	}
	for _, b := range badges {
		if strings.EqualFold(b.Name, name) {
			return b, nil
		}
	}
	return Badge{}, fmt.Errorf("badge %q: create it in the forum (Admin > Badges): %w", name, platform.ErrNotFound)
}

// revoke takes back the member's grants of the forum's badge of that
// name that the API user made; grants staff made by hand stay theirs to
// take. A member without the badge, or a grant gone meanwhile, is
// success: the badge is not held, which is what was asked.
func (c *Conn) revoke(ctx context.Context, req platform.PerformRequest) error {
	b, u, err := c.badgeAndUser(ctx, req, nil)
	if err != nil {
		return err
	}
	held, err := c.api.UserBadges(ctx, u.Username)
	if err != nil {
		return err
	}
	for _, ub := range held {
		if ub.BadgeID != b.ID || ub.GrantedBy != c.me {
			continue
		}
		if err := c.api.RevokeBadge(ctx, ub.ID); err != nil && !errors.Is(err, platform.ErrNotFound) {
			return err
		}
	}
	return nil
}

// trustLevel sets the member's trust level. Locking comes after the
// level, as Discourse locks the level the user has; lifting a lock comes
// before it, as Discourse then works the level out again from its
// settings, which would undo a level set first.
func (c *Conn) trustLevel(ctx context.Context, req platform.PerformRequest) error {
	uid, err := userID(req.Member)
	if err != nil {
		return err
	}
	u, err := c.api.User(ctx, uid)
	if err != nil {
		return err
	}
	if !req.Lock && u.LockedTrustLevel != nil {
		if err := c.api.LockTrustLevel(ctx, uid, false); err != nil {
			return err
		}
		// Discourse has worked the level out again.
		if u, err = c.api.User(ctx, uid); err != nil {
			return err
		}
	}
	if req.Level == "" {
		return nil
	}
	level, err := strconv.Atoi(req.Level)
	if err != nil {
		return fmt.Errorf("%w: trust level %q", platform.ErrInvalid, req.Level)
	}
	if req.Raise && u.TrustLevel >= level {
		// Discourse's own promotions went as far already.
		return nil
	}
	if err := c.api.SetTrustLevel(ctx, uid, level); err != nil {
		return err
	}
	if req.Lock {
		return c.api.LockTrustLevel(ctx, uid, true)
	}
	return nil
}
