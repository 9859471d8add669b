package local

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/hearth-community/hearth/engine/platform"
)

// Perform carries out an action at most once per key. The key is kept in
// the platform file in the same write as the action's effect, so "done"
// and "recorded" cannot come apart, and a retry from any process, at any
// later time, is recognised as a duplicate.
//
// Kicks and bans emit member.left events (reason "kicked" or "banned"),
// as a gateway reports members removed by a moderator; messages the app
// sends emit nothing, as adapters ignore their own messages, and neither
// does a move into a sub-community (ActionMoveMember): hearth decided it
// and counted it when it did.
func (c *Conn) Perform(ctx context.Context, req platform.PerformRequest) (platform.PerformResponse, error) {
	var resp platform.PerformResponse
	if err := platform.CheckPerform(req); err != nil {
		return resp, err
	}
	if req.Text != "" && utf8.RuneCountInString(req.Text) > MaxTextLen {
		return resp, fmt.Errorf("%w: text is longer than %d characters", platform.ErrInvalid, MaxTextLen)
	}
	if req.Action == platform.ActionMute && req.Duration > MaxMute {
		return resp, fmt.Errorf("%w: a mute lasts at most %s", platform.ErrInvalid, MaxMute)
	}
	if err := c.admit(ctx, Call{Perform: &req}); err != nil {
		return resp, err
	}
	fp := fingerprint(req)
	err := c.update(ctx, func(d *db) (bool, error) {
		if rec := d.actions[req.Key]; rec != nil {
			if rec.Fingerprint != fp {
				return false, fmt.Errorf("key %q was used for a %s on %s: %w", req.Key, rec.Action, rec.At.Format(time.RFC3339), platform.ErrKeyReused)
			}
			resp = platform.PerformResponse{ID: rec.Result, Duplicate: true, Held: platform.Holding(rec.Held)}
			return false, nil
		}
		if d.communities[req.Community] == nil {
			return false, fmt.Errorf("community %q: %w", req.Community, platform.ErrNotFound)
		}
		now := c.now().UTC()
		if req.Action == platform.ActionRoleAdd {
			resp.Held = platform.HeldIf(d.assignments[req.Member+":"+req.Role] != nil)
		}
		id, err := d.perform(req, now)
		if err != nil {
			return false, err
		}
		d.actions[req.Key] = &ActionRecord{Key: req.Key, Action: string(req.Action), Fingerprint: fp, Result: id, Held: string(resp.Held), At: now}
		resp.ID = id
		return true, nil
	})
	if err != nil {
		return platform.PerformResponse{}, fmt.Errorf("%s: %w", req.Action, err)
	}
	c.log.Debug("performed", "action", req.Action, "key", req.Key, "duplicate", resp.Duplicate, "id", resp.ID, "held", resp.Held)
	return resp, nil
}

// fingerprint identifies a request apart from its key.
func fingerprint(req platform.PerformRequest) string {
	req.Key = ""
	b, _ := json.Marshal(req) // a struct of strings and a number cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// notIn is the error of an action for a member not in community:
// ErrMemberNotFound, which the outbox tries a role or a direct message
// for a few more times, as a real platform may show a member who just
// joined only after a while. Here they appear when hearth local join
// brings them (or Adopt), which the error says; an mb-N id the file
// never issued cannot appear, and the error says that instead.
func (d *db) notIn(community, member string) error {
	e := &MemberMissingError{Community: community, Member: member, Known: d.members[member] != nil}
	if co := d.communities[community]; co != nil {
		e.CommunityName = co.Name
	}
	// Members are never deleted, so an mb-N the workspace lacks was
	// never given out (its number may have gone to a brought id).
	e.NeverIssued = !e.Known && idNum(preMember, member) >= 1
	return e
}

// MemberMissingError is an action's member not in its community on the
// local platform. It is platform.ErrMemberNotFound (errors.Is).
type MemberMissingError struct {
	// Community is the community's platform id, CommunityName its name.
	Community, CommunityName string
	Member                   string
	// Known says the member is on the platform, in other communities or
	// having left this one.
	Known bool
	// NeverIssued says Member has the form of the ids the platform
	// gives (mb-N) but no member has it: no join can make it.
	NeverIssued bool
}

func (e *MemberMissingError) Error() string {
	where := fmt.Sprintf("community %s", e.Community)
	if e.CommunityName != "" {
		where = fmt.Sprintf("community %s (%s)", e.CommunityName, e.Community)
	}
	name := cmp.Or(e.CommunityName, e.Community)
	switch {
	case e.NeverIssued:
		return fmt.Sprintf("member %q is not on the local platform, which never gave out that id (was its file made again?); hearth local show members %s lists those it has: not found", e.Member, name)
	case e.Known:
		return fmt.Sprintf("member %q is not in %s on the local platform; hearth local join -id %s %s brings them back: not found", e.Member, where, e.Member, name)
	}
	return fmt.Sprintf("member %q is not on the local platform; hearth local join -id %s %s adds them: not found", e.Member, e.Member, name)
}

// Unwrap makes it platform.ErrMemberNotFound.
func (e *MemberMissingError) Unwrap() error { return platform.ErrMemberNotFound }

// perform does the action and returns the id of what it made.
func (d *db) perform(req platform.PerformRequest, now time.Time) (string, error) {
	co := req.Community
	inCommunity := func() error {
		if d.membership(co, req.Member) == nil {
			return d.notIn(co, req.Member)
		}
		return nil
	}
	switch req.Action {
	case platform.ActionChannelMessage:
		ch := d.channels[req.Channel]
		if ch == nil || ch.Community != co {
			return "", notFound(platform.KindChannel, req.Channel)
		}
		m := &Message{ID: d.next(preMessage), Community: co, Channel: ch.ID, Text: req.Text, PostedAt: now}
		d.messages[m.ID] = m
		return m.ID, nil
	case platform.ActionDirectMessage:
		if err := inCommunity(); err != nil {
			return "", err
		}
		m := &DirectMessage{ID: d.next(preDM), Community: co, Member: req.Member, Text: req.Text, SentAt: now}
		d.dms[m.ID] = m
		return m.ID, nil
	case platform.ActionRoleAdd:
		_, _, err := d.assign(co, req.Member, req.Role, now)
		return "", err
	case platform.ActionRoleRemove:
		if err := inCommunity(); err != nil {
			return "", err
		}
		if r := d.roles[req.Role]; r == nil || r.Community != co {
			return "", notFound(platform.KindRole, req.Role)
		}
		delete(d.assignments, req.Member+":"+req.Role)
		return "", nil
	case platform.ActionMute, platform.ActionUnmute:
		if err := inCommunity(); err != nil {
			return "", err
		}
		ms := d.membership(co, req.Member)
		ms.MutedUntil = time.Time{}
		if req.Action == platform.ActionMute {
			ms.MutedUntil = now.Add(req.Duration)
		}
		return "", nil
	case platform.ActionKick:
		if err := inCommunity(); err != nil {
			return "", err
		}
		d.removeMember(co, req.Member)
		return "", d.emitLeft(co, req.Member, "kicked", req.Reason, now)
	case platform.ActionBan:
		if d.members[req.Member] == nil {
			return "", notFound(platform.KindMember, req.Member)
		}
		b := &Ban{Community: co, Member: req.Member, Reason: req.Reason, At: now}
		if req.Duration > 0 {
			b.Until = now.Add(req.Duration)
		}
		if d.bans[co] == nil {
			d.bans[co] = map[string]*Ban{}
		}
		d.bans[co][req.Member] = b
		if d.membership(co, req.Member) != nil {
			d.removeMember(co, req.Member)
			return "", d.emitLeft(co, req.Member, "banned", req.Reason, now)
		}
		return "", nil
	case platform.ActionUnban:
		if d.bans[co][req.Member] == nil {
			return "", fmt.Errorf("ban of %q in community %s: %w", req.Member, co, platform.ErrNotFound)
		}
		delete(d.bans[co], req.Member)
		return "", nil
	case platform.ActionMoveMember:
		return "", d.move(co, req.Into, req.Member, now)
	case platform.ActionDeleteMessage:
		m := d.messages[req.Message]
		if m == nil || m.Community != co || (req.Channel != "" && m.Channel != req.Channel) {
			return "", notFound(platform.KindMessage, req.Message)
		}
		delete(d.messages, m.ID)
		return "", nil
	}
	return "", fmt.Errorf("%w: action %q", platform.ErrUnsupported, req.Action)
}

// move takes member out of community from, with their roles there,
// into community into, keeping a mute. Moved already is success; a ban
// from into is ErrConflict.
func (d *db) move(from, into, member string, now time.Time) error {
	if d.communities[into] == nil {
		return fmt.Errorf("community %q: %w", into, platform.ErrNotFound)
	}
	ms := d.membership(from, member)
	if ms == nil {
		if d.membership(into, member) != nil {
			return nil
		}
		return fmt.Errorf("member %q is not in community %q: %w", member, d.communityName(from), platform.ErrNotFound)
	}
	if d.banned(into, member, now) {
		return fmt.Errorf("%w: member %s is banned from community %q", platform.ErrConflict, member, d.communityName(into))
	}
	d.removeMember(from, member)
	if d.membership(into, member) == nil {
		d.setMembership(&Membership{Community: into, Member: member, JoinedAt: now, MutedUntil: ms.MutedUntil})
	}
	return nil
}

// banned reports whether a ban keeps member out of community now.
func (d *db) banned(community, member string, now time.Time) bool {
	b := d.bans[community][member]
	return b != nil && (b.Until.IsZero() || now.Before(b.Until))
}
