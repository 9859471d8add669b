package local

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/platform"
)

// What members do. On a real platform people join, post and react by
// themselves and hearth only hears about it; on the local platform these
// methods play the people, for tests and for a CLI that lets a user try
// their rules by hand. Each one changes the platform and records the
// event Stream then delivers.

// JoinRequest is a person joining a community.
type JoinRequest struct {
	// Community is the platform id of the community.
	Community string
	// Member is the id of a person already on the workspace (in another
	// community, or who left); empty makes a new person.
	Member string
	// ID, with Member empty, is the id the new person gets instead of one
	// the platform issues (mb-N): a member hearth knows from events (u07)
	// who is not on the platform yet. A person the workspace has under
	// that id joins again, as with Member.
	ID string
	// Name is the new person's display name, required when Member is
	// empty; with ID, it defaults to the id.
	Name     string
	Locale   string
	Timezone string
	// Referrer is the member id of whoever invited them, if anyone.
	Referrer string
	// At is when they joined; zero means now. Set it to replay history.
	At time.Time
}

// Join makes a person join a community and emits member.joined. Joining
// a community one is in already changes nothing; a member banned from it
// is refused with ErrConflict.
func (c *Conn) Join(ctx context.Context, req JoinRequest) (platform.Object, error) {
	var out platform.Object
	if req.Member == "" && req.ID != "" {
		if strings.TrimSpace(req.Name) == "" {
			req.Name = req.ID
		}
		// One the workspace has joins again; a new one is checked in
		// the update, where the workspace is read.
		req.Member = req.ID
	}
	if req.Member == "" && strings.TrimSpace(req.Name) == "" {
		return out, fmt.Errorf("%w: a new member needs a name", platform.ErrInvalid)
	}
	if utf8.RuneCountInString(req.Name) > MaxNameLen {
		return out, fmt.Errorf("%w: name is longer than %d characters", platform.ErrInvalid, MaxNameLen)
	}
	err := c.update(ctx, func(d *db) (bool, error) {
		now := c.now().UTC()
		at := atOr(req.At, now)
		if d.communities[req.Community] == nil {
			return false, fmt.Errorf("community %q: %w", req.Community, platform.ErrNotFound)
		}
		if req.Referrer != "" && d.members[req.Referrer] == nil {
			return false, notFound(platform.KindMember, req.Referrer)
		}
		var m *Member
		if req.ID != "" && d.members[req.ID] == nil {
			var err error
			if m, err = d.bring(req.ID, req.Name, at); err != nil {
				return false, err
			}
			m.Locale, m.Timezone = req.Locale, req.Timezone
		} else if req.Member != "" {
			m = d.members[req.Member]
			if m == nil {
				return false, notFound(platform.KindMember, req.Member)
			}
			if ms := d.membership(req.Community, m.ID); ms != nil {
				out = memberObject(m, ms)
				return false, nil
			}
			if d.banned(req.Community, m.ID, now) {
				return false, fmt.Errorf("%w: member %s is banned from community %q", platform.ErrConflict, m.ID, d.communityName(req.Community))
			}
		} else {
			m = &Member{ID: d.next(preMember), Name: req.Name, Locale: req.Locale, Timezone: req.Timezone, CreatedAt: at}
			d.members[m.ID] = m
		}
		ms := &Membership{Community: req.Community, Member: m.ID, JoinedAt: at}
		d.setMembership(ms)
		attrs := map[string]any{"community": d.communities[req.Community].Name, "name": m.Name}
		putIf(attrs, "locale", m.Locale)
		putIf(attrs, "timezone", m.Timezone)
		putIf(attrs, "referrer", req.Referrer)
		if err := d.emit(req.Community, "member.joined", m.ID, at, attrs); err != nil {
			return false, err
		}
		out = memberObject(m, ms)
		return true, nil
	})
	return out, err
}

// bring adds a person whose id hearth brought (not one the platform
// issues), taking a number from the member sequence for them.
func (d *db) bring(id, name string, at time.Time) (*Member, error) {
	if err := checkBroughtID(id); err != nil {
		return nil, fmt.Errorf("%w: member id %q: %v", platform.ErrInvalid, id, err)
	}
	if utf8.RuneCountInString(name) > MaxNameLen {
		return nil, fmt.Errorf("%w: name is longer than %d characters", platform.ErrInvalid, MaxNameLen)
	}
	d.seq[seqBrought]++
	m := &Member{ID: id, Num: d.seq[seqBrought], Name: cmp.Or(strings.TrimSpace(name), id), CreatedAt: at}
	d.members[id] = m
	return m, nil
}

// AdoptRequest is a member hearth knows from events, to be put on the
// platform without a join.
type AdoptRequest struct {
	// Community is the platform id of the community they are in.
	Community string
	// Member is their id, as hearth's events give it (u07).
	Member string
	// Name is their display name; empty is the id.
	Name string
	// JoinedAt is when hearth says they joined; zero means now.
	JoinedAt time.Time
}

// Adopt puts a member hearth knows from its events, and the platform
// does not, into a community, as the real platform the local one stands
// for has everyone who posts there. No member.joined is emitted: hearth
// has their join already. It reports whether anything changed: a member
// in the community already is left as they are. An id of the form the
// platform issues (mb-N) is not adopted (ErrNotFound unless the platform
// has it), nor a member banned from the community (ErrConflict).
func (c *Conn) Adopt(ctx context.Context, req AdoptRequest) (bool, error) {
	changed := false
	err := c.update(ctx, func(d *db) (bool, error) {
		now := c.now().UTC()
		if d.communities[req.Community] == nil {
			return false, fmt.Errorf("community %q: %w", req.Community, platform.ErrNotFound)
		}
		if d.membership(req.Community, req.Member) != nil {
			return false, nil
		}
		if d.banned(req.Community, req.Member, now) {
			return false, fmt.Errorf("%w: member %s is banned from community %q", platform.ErrConflict, req.Member, d.communityName(req.Community))
		}
		at := atOr(req.JoinedAt, now)
		if d.members[req.Member] == nil {
			if idNum(preMember, req.Member) >= 1 {
				return false, notFound(platform.KindMember, req.Member)
			}
			if _, err := d.bring(req.Member, req.Name, at); err != nil {
				return false, err
			}
		}
		d.setMembership(&Membership{Community: req.Community, Member: req.Member, JoinedAt: at})
		changed = true
		return true, nil
	})
	return changed, err
}

// Leave takes a member out of a community, with their roles, and emits
// member.left with reason "left".
func (c *Conn) Leave(ctx context.Context, community, member string) error {
	return c.update(ctx, func(d *db) (bool, error) {
		if d.membership(community, member) == nil {
			return false, fmt.Errorf("member %q is not in community %q: %w", member, d.communityName(community), platform.ErrNotFound)
		}
		d.removeMember(community, member)
		return true, d.emitLeft(community, member, "left", "", c.now().UTC())
	})
}

// PostRequest is a member posting in a channel.
type PostRequest struct {
	// Channel is the platform id of the channel.
	Channel string
	Member  string
	Text    string
	// ReplyTo is the id of a message in the same channel, if any.
	ReplyTo string
	// At is when it was posted; zero means now.
	At time.Time
}

// Post has a member post a message and emits message.posted. A member
// who is not in the channel's community or is muted is refused
// (ErrNotFound, ErrConflict).
func (c *Conn) Post(ctx context.Context, req PostRequest) (platform.Object, error) {
	var out platform.Object
	switch n := utf8.RuneCountInString(req.Text); {
	case strings.TrimSpace(req.Text) == "":
		return out, fmt.Errorf("%w: empty message", platform.ErrInvalid)
	case n > MaxTextLen:
		return out, fmt.Errorf("%w: text is longer than %d characters", platform.ErrInvalid, MaxTextLen)
	}
	err := c.update(ctx, func(d *db) (bool, error) {
		now := c.now().UTC()
		at := atOr(req.At, now)
		ch := d.channels[req.Channel]
		if ch == nil {
			return false, notFound(platform.KindChannel, req.Channel)
		}
		ms := d.membership(ch.Community, req.Member)
		if ms == nil {
			return false, fmt.Errorf("member %q is not in community %q: %w", req.Member, d.communityName(ch.Community), platform.ErrNotFound)
		}
		if now.Before(ms.MutedUntil) {
			return false, fmt.Errorf("%w: member %s is muted until %s", platform.ErrConflict, req.Member, ms.MutedUntil.Format(time.RFC3339))
		}
		if req.ReplyTo != "" {
			if r := d.messages[req.ReplyTo]; r == nil || r.Channel != ch.ID {
				return false, notFound(platform.KindMessage, req.ReplyTo)
			}
		}
		m := &Message{ID: d.next(preMessage), Community: ch.Community, Channel: ch.ID, Author: req.Member, Text: req.Text, ReplyTo: req.ReplyTo, PostedAt: at}
		d.messages[m.ID] = m
		attrs := map[string]any{
			"channel": ch.Name, "channel_id": ch.ID, "post_id": m.ID, "text": m.Text,
			"length": utf8.RuneCountInString(m.Text), "links": countLinks(m.Text), "mentions": countMentions(m.Text),
		}
		putIf(attrs, "reply_to", req.ReplyTo)
		if err := d.emit(ch.Community, "message.posted", req.Member, at, attrs); err != nil {
			return false, err
		}
		out = messageObject(m)
		return true, nil
	})
	return out, err
}

// ReactRequest is a member reacting to a message.
type ReactRequest struct {
	Message string
	Member  string
	Emoji   string
	At      time.Time // zero means now
}

// React emits reaction.added for a member's reaction to a message in a
// community they are in. It reports false, emitting nothing, for an
// emoji the member has on the message already: platforms keep one of
// each per member, so repeating it earns nothing there either.
func (c *Conn) React(ctx context.Context, req ReactRequest) (bool, error) {
	if req.Emoji == "" || utf8.RuneCountInString(req.Emoji) > 64 {
		return false, fmt.Errorf("%w: an emoji has 1 to 64 characters", platform.ErrInvalid)
	}
	added := false
	err := c.update(ctx, func(d *db) (bool, error) {
		now := c.now().UTC()
		m := d.messages[req.Message]
		if m == nil {
			return false, notFound(platform.KindMessage, req.Message)
		}
		if d.membership(m.Community, req.Member) == nil {
			return false, fmt.Errorf("member %q is not in community %q: %w", req.Member, d.communityName(m.Community), platform.ErrNotFound)
		}
		key := req.Member + " " + req.Emoji
		if slices.Contains(m.Reactions, key) {
			return false, nil
		}
		m.Reactions = append(m.Reactions, key)
		added = true
		attrs := map[string]any{"emoji": req.Emoji, "target": m.ID, "channel": d.channels[m.Channel].Name, "channel_id": m.Channel}
		putIf(attrs, "target_member", m.Author)
		return true, d.emit(m.Community, "reaction.added", req.Member, atOr(req.At, now), attrs)
	})
	return added && err == nil, err
}

// Pin pins or unpins a message by hand, as a moderator does outside
// hearth; plan then sees a pin it did not make. Pinning a pinned message
// or unpinning an unpinned one changes nothing; a full channel is
// ErrConflict.
func (c *Conn) Pin(ctx context.Context, message string, pinned bool) error {
	return c.update(ctx, func(d *db) (bool, error) {
		m := d.messages[message]
		if m == nil {
			return false, notFound(platform.KindMessage, message)
		}
		if m.Pinned == pinned {
			return false, nil
		}
		if pinned {
			if n := d.pinCount(m.Channel); n >= MaxPins {
				return false, fmt.Errorf("%w: channel %s already has %d pinned messages", platform.ErrConflict, m.Channel, n)
			}
			m.Pinned, m.PinnedAt = true, c.now().UTC()
		} else {
			m.Pinned, m.PinnedAt = false, time.Time{}
		}
		return true, nil
	})
}

// SetRole gives a member a role (hold) or takes it, by hand, as a
// moderator does outside hearth: with no idempotency key, so nothing
// records it as hearth's, and plan then sees an assignment it did not
// make (or one it made gone). It reports whether anything changed: a
// member who holds the role already is not given it again.
func (c *Conn) SetRole(ctx context.Context, community, member, role string, hold bool) (bool, error) {
	changed := false
	err := c.update(ctx, func(d *db) (bool, error) {
		if !hold {
			if d.membership(community, member) == nil {
				return false, fmt.Errorf("member %q is not in community %q: %w", member, d.communityName(community), platform.ErrNotFound)
			}
			if r := d.roles[role]; r == nil || r.Community != community {
				return false, notFound(platform.KindRole, role)
			}
			id := member + ":" + role
			changed = d.assignments[id] != nil
			delete(d.assignments, id)
			return changed, nil
		}
		var err error
		_, changed, err = d.assign(community, member, role, c.now().UTC())
		return changed, err
	})
	return changed, err
}

// WriteToApp has a member send the app a direct message, which the app
// can read back as a direct_message object, and emits message.direct, so
// replies (to a survey, say) reach the rules.
func (c *Conn) WriteToApp(ctx context.Context, community, member, text string) (platform.Object, error) {
	var out platform.Object
	if strings.TrimSpace(text) == "" || utf8.RuneCountInString(text) > MaxTextLen {
		return out, fmt.Errorf("%w: a direct message has 1 to %d characters", platform.ErrInvalid, MaxTextLen)
	}
	err := c.update(ctx, func(d *db) (bool, error) {
		if d.membership(community, member) == nil {
			return false, fmt.Errorf("member %q is not in community %q: %w", member, d.communityName(community), platform.ErrNotFound)
		}
		m := &DirectMessage{ID: d.next(preDM), Community: community, Member: member, Author: member, Text: text, SentAt: c.now().UTC()}
		d.dms[m.ID] = m
		out = dmObject(m)
		if err := d.emit(community, "message.direct", member, m.SentAt, map[string]any{"text": text}); err != nil {
			return false, err
		}
		return true, nil
	})
	return out, err
}

func atOr(at, now time.Time) time.Time {
	if at.IsZero() {
		return now
	}
	return at.UTC()
}

func putIf(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func countLinks(s string) int {
	return strings.Count(s, "http://") + strings.Count(s, "https://")
}

// countMentions counts words starting with @, as platforms render them.
func countMentions(s string) int {
	n := 0
	prev := ' '
	for i, r := range s {
		if r == '@' && unicode.IsSpace(prev) && i+1 < len(s) && !unicode.IsSpace(rune(s[i+1])) {
			n++
		}
		prev = r
	}
	return n
}

func (d *db) emitLeft(community, member, reason, detail string, at time.Time) error {
	attrs := map[string]any{"community": d.communities[community].Name, "reason": reason}
	putIf(attrs, "detail", detail)
	return d.emit(community, "member.left", member, at, attrs)
}

// emit records an event. Its id is the workspace id and the event's
// number, so it is the same on every delivery and unique across local
// platforms.
func (d *db) emit(community, typ, member string, at time.Time, attrs map[string]any) error {
	seqID := d.next(preEvent)
	seq := idNum(preEvent, seqID)
	m := d.members[member]
	ev := events.Event{
		ID:        d.ws.ID + "." + seqID,
		Type:      typ,
		Member:    events.Member{ID: m.ID, Name: m.Name, Identities: map[string]string{Type: m.ID}},
		At:        at,
		Source:    Type,
		Community: d.communities[community].Name,
		Attrs:     attrs,
	}
	if err := ev.Check(); err != nil {
		return err
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	d.events = append(d.events, &EventRecord{Seq: seq, Community: community, Event: raw})
	return nil
}

// streamBatch is how many events Stream reads under one lock.
const streamBatch = 256

// Stream delivers the events members caused, from the first ever (empty
// After) or after a cursor. A cursor is "WORKSPACE:SEQ"; one from another
// workspace (the file was deleted and made again) is ErrInvalid rather
// than a silent gap.
func (c *Conn) Stream(ctx context.Context, req platform.StreamRequest, handle func(context.Context, platform.Delivery) error) error {
	cursorWS, after, err := parseCursor(req.After)
	if err != nil {
		return err
	}
	timer := time.NewTimer(c.poll)
	defer timer.Stop()
	for {
		// Take the wake-up channel before reading, so a write between
		// the read and the wait still wakes us.
		c.mu.Lock()
		wake := c.changed
		c.mu.Unlock()
		var batch []*EventRecord
		var ws string
		err := c.view(ctx, func(d *db) error {
			ws = d.ws.ID
			if cursorWS != "" && cursorWS != ws {
				return fmt.Errorf("%w: cursor %q is from local workspace %s, but the platform file is now workspace %s", platform.ErrInvalid, req.After, cursorWS, ws)
			}
			i := sort.Search(len(d.events), func(i int) bool { return d.events[i].Seq > after })
			batch = append(batch, d.events[i:min(i+streamBatch, len(d.events))]...)
			return nil
		})
		if err != nil {
			return err
		}
		for _, rec := range batch {
			ev, err := events.Parse(rec.Event)
			if err != nil {
				return fmt.Errorf("%s: event %d: %w", c.st.path, rec.Seq, corrupt("%v", err))
			}
			if name, ok := req.Communities[rec.Community]; ok {
				ev.Community = name
			}
			cursor := ws + ":" + strconv.FormatInt(rec.Seq, 10)
			if err := handle(ctx, platform.Delivery{Event: ev, Cursor: cursor}); err != nil {
				return err
			}
			after = rec.Seq
		}
		if len(batch) == streamBatch {
			continue
		}
		if !req.Follow {
			return nil
		}
		timer.Reset(c.poll)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-timer.C:
		}
	}
}

func parseCursor(s string) (string, int64, error) {
	if s == "" {
		return "", 0, nil
	}
	ws, num, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || ws == "" || err != nil || n < 0 {
		return "", 0, fmt.Errorf("%w: %q is not a local platform cursor", platform.ErrInvalid, s)
	}
	return ws, n, nil
}
