package matrix

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hearth-community/hearth/engine/platform"
)

// performed is what the bot's account data keeps per idempotency key.
type performed struct {
	Digest string `json:"digest"`
	ID     string `json:"id"`
	Action string `json:"action"`
	At     string `json:"at"`
	// Held is, for a role_add, whether the member held the role before
	// (platform.Holding), so a retry answers as the first call did.
	Held string `json:"held,omitempty"`
}

// keyHash names a key in account data types and transaction ids, which
// must be short and URL-safe.
func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

func digestOf(req platform.PerformRequest) string {
	h := sha256.New()
	for _, s := range []string{string(req.Action), req.Community, req.Channel, req.Member, req.Role, req.Message, req.Text, req.Reason, req.Duration.String()} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	// Mentions only where there are some, so the digest of a request
	// without stays what it was.
	for _, m := range req.Mentions {
		fmt.Fprintf(h, "m%d:%s%d-%d", len(m.ID), m.ID, m.Start, m.End)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// lock serialises the calls with one key in this process.
func (a *Adapter) lock(key string) func() {
	a.mu.Lock()
	if a.keys == nil {
		a.keys = map[string]*keyLock{}
	}
	l := a.keys[key]
	if l == nil {
		l = &keyLock{}
		a.keys[key] = l
	}
	l.refs++
	a.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		a.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(a.keys, key)
		}
		a.mu.Unlock()
	}
}

// Perform does one action at most once per key; see the package
// documentation for how keys are kept.
func (c *Conn) Perform(ctx context.Context, req platform.PerformRequest) (platform.PerformResponse, error) {
	if err := platform.CheckPerform(req); err != nil {
		return platform.PerformResponse{}, err
	}
	if err := c.check(ctx); err != nil {
		return platform.PerformResponse{}, err
	}
	unlock := c.a.lock(req.Key)
	defer unlock()
	h := keyHash(req.Key)
	dataType := "org.hearth.action." + h
	digest := digestOf(req)
	var prev performed
	err := do(ctx, c, func(ctx context.Context) error { return c.cli.GetAccountData(ctx, dataType, &prev) })
	switch {
	case err == nil && prev.Digest != "":
		if prev.Digest != digest {
			return platform.PerformResponse{}, fmt.Errorf("%w: key %q was used for %s", platform.ErrKeyReused, req.Key, prev.Action)
		}
		return platform.PerformResponse{ID: prev.ID, Duplicate: true, Held: platform.Holding(prev.Held)}, nil
	case err != nil && !errors.Is(err, platform.ErrNotFound):
		return platform.PerformResponse{}, err
	}
	var held platform.Holding
	resultID, err := c.perform(ctx, req, "hearth."+h, &held)
	if err != nil {
		return platform.PerformResponse{}, err
	}
	rec := performed{Digest: digest, ID: resultID, Action: string(req.Action), At: time.Now().UTC().Format(time.RFC3339), Held: string(held)}
	if err := do(ctx, c, func(ctx context.Context) error { return c.cli.SetAccountData(ctx, dataType, rec) }); err != nil {
		// Done but not recorded: a retry repeats it, and for messages the
		// homeserver's transaction id makes that harmless.
		return platform.PerformResponse{}, fmt.Errorf("%s was done, but recording its key failed: %w", req.Action, err)
	}
	return platform.PerformResponse{ID: resultID, Held: held}, nil
}

// messageID is the platform id of a message: its room and event, since
// redacting needs both.
func messageID(room id.RoomID, ev id.EventID) string { return string(room) + "|" + string(ev) }

// send posts text to room. member, when not empty, is the member the
// message is for: mentioned if the text names their user id. Each of
// marks (a template's member.mention) becomes a pill in the formatted
// body and is listed in m.mentions.
func (c *Conn) send(ctx context.Context, room id.RoomID, text, txn, member string, marks []platform.Mention) (string, error) {
	content := map[string]any{"msgtype": "m.text", "body": text}
	var users []string
	if member != "" && strings.Contains(text, member) {
		users = append(users, member)
	}
	if len(marks) > 0 {
		content["format"] = "org.matrix.custom.html"
		content["formatted_body"] = pills(text, marks)
		for _, m := range marks {
			if !slices.Contains(users, m.ID) {
				users = append(users, m.ID)
			}
		}
	}
	if !c.massMentions {
		// The text may quote what members wrote. With m.mentions, clients
		// and servers notify whom it lists, not whoever a "@room" or a
		// display name in the body would (intentional mentions, Matrix
		// 1.7).
		mentions := map[string]any{}
		if len(users) > 0 {
			mentions["user_ids"] = users
		}
		content["m.mentions"] = mentions
	}
	resp, err := call(ctx, c, func(ctx context.Context) (*mautrix.RespSendEvent, error) {
		return c.cli.SendMessageEvent(ctx, room, event.EventMessage, content, mautrix.ReqSendEvent{TransactionID: txn})
	})
	if err != nil {
		return "", err
	}
	return messageID(room, resp.EventID), nil
}

// pills is text as HTML (org.matrix.custom.html): escaped, line breaks
// as <br>, each mark a link to its user's matrix.to permalink around the
// text that shows them, which Matrix clients show as a pill.
func pills(text string, marks []platform.Mention) string {
	var b strings.Builder
	write := func(s string) { b.WriteString(strings.ReplaceAll(html.EscapeString(s), "\n", "<br>")) }
	at := 0
	for _, m := range marks {
		write(text[at:m.Start])
		b.WriteString(`<a href="` + html.EscapeString(id.UserID(m.ID).URI().MatrixToURL()) + `">`)
		write(text[m.Start:m.End])
		b.WriteString("</a>")
		at = m.End
	}
	write(text[at:])
	return b.String()
}

// perform does the action; for a role_add it sets held to whether the
// member held the role before.
func (c *Conn) perform(ctx context.Context, req platform.PerformRequest, txn string, held *platform.Holding) (string, error) {
	sp, err := c.space(ctx, id.RoomID(req.Community))
	if err != nil {
		return "", err
	}
	member := id.UserID(req.Member)
	joined := func() error {
		if membership(sp, req.Member) != "join" {
			return fmt.Errorf("%w: %s is not a member of community %s", platform.ErrNotFound, req.Member, sp.id)
		}
		return nil
	}
	switch req.Action {
	case platform.ActionChannelMessage:
		if _, ok := childOf(sp, id.RoomID(req.Channel)); !ok {
			return "", fmt.Errorf("%w: no channel %s in community %s", platform.ErrNotFound, req.Channel, sp.id)
		}
		return c.send(ctx, id.RoomID(req.Channel), req.Text, txn, req.Member, req.Mentions)
	case platform.ActionDirectMessage:
		if err := joined(); err != nil {
			return "", err
		}
		room, err := c.directRoom(ctx, member)
		if err != nil {
			return "", err
		}
		return c.send(ctx, room, req.Text, txn, req.Member, req.Mentions)
	case platform.ActionRoleAdd:
		a := assignment{role: req.Role, member: req.Member}
		*held = platform.HeldIf(raw(sp.st, typeAssignment, a.id()) != nil)
		return "", c.assign(ctx, sp, a)
	case platform.ActionRoleRemove:
		if _, ok := roleByID(sp, req.Role); !ok {
			return "", fmt.Errorf("%w: no role %s in community %s", platform.ErrNotFound, req.Role, sp.id)
		}
		return "", c.unassign(ctx, sp, assignment{role: req.Role, member: req.Member})
	case platform.ActionMute, platform.ActionUnmute:
		if err := joined(); err != nil {
			return "", err
		}
		content := map[string]any{}
		if req.Action == platform.ActionMute {
			content["until"] = platform.FormatTimeValue(time.Now().Add(req.Duration))
			content["reason"] = req.Reason
		}
		if err := c.putState(ctx, sp.id, typeMute, muteKey(req.Member), content); err != nil {
			return "", err
		}
		if sp.st[typeMute] == nil {
			sp.st[typeMute] = map[string]*event.Event{}
		}
		sp.st[typeMute][muteKey(req.Member)] = stateEvent(typeMute, muteKey(req.Member), content)
		return "", c.syncLevel(ctx, sp, req.Member)
	case platform.ActionKick:
		if err := joined(); err != nil {
			return "", err
		}
		return "", c.everywhere(ctx, sp, func(ctx context.Context, room id.RoomID) error {
			_, err := c.cli.KickUser(ctx, room, &mautrix.ReqKickUser{UserID: member, Reason: req.Reason})
			return err
		})
	case platform.ActionBan:
		if req.Duration > 0 {
			return "", fmt.Errorf("%w: Matrix bans do not expire; ban without a duration and unban later", platform.ErrUnsupported)
		}
		return "", c.everywhere(ctx, sp, func(ctx context.Context, room id.RoomID) error {
			_, err := c.cli.BanUser(ctx, room, &mautrix.ReqBanUser{UserID: member, Reason: req.Reason})
			return err
		})
	case platform.ActionUnban:
		if membership(sp, req.Member) != "ban" {
			return "", fmt.Errorf("%w: %s is not banned from community %s", platform.ErrNotFound, req.Member, sp.id)
		}
		return "", c.everywhere(ctx, sp, func(ctx context.Context, room id.RoomID) error {
			_, err := c.cli.UnbanUser(ctx, room, &mautrix.ReqUnbanUser{UserID: member, Reason: req.Reason})
			return err
		})
	case platform.ActionDeleteMessage:
		return "", c.redact(ctx, sp, req, txn)
	}
	return "", fmt.Errorf("%w: %s on Matrix", platform.ErrUnsupported, req.Action)
}

// everywhere does a moderation call in the space and then in each of its
// rooms; rooms the member never joined answer errors that are skipped.
func (c *Conn) everywhere(ctx context.Context, sp *space, f func(context.Context, id.RoomID) error) error {
	if err := do(ctx, c, func(ctx context.Context) error { return f(ctx, sp.id) }); err != nil {
		return err
	}
	for _, ch := range children(sp) {
		err := do(ctx, c, func(ctx context.Context) error { return f(ctx, ch.room) })
		if err != nil && !platform.IsPermanent(err) {
			return err
		}
	}
	return nil
}

func (c *Conn) redact(ctx context.Context, sp *space, req platform.PerformRequest, txn string) error {
	roomS, evS, ok := strings.Cut(req.Message, "|")
	room, ev := id.RoomID(roomS), id.EventID(evS)
	if !ok || (req.Channel != "" && req.Channel != roomS) {
		return fmt.Errorf("%w: no message %s", platform.ErrNotFound, req.Message)
	}
	if _, ok := childOf(sp, room); !ok {
		return fmt.Errorf("%w: message %s is not in a channel of community %s", platform.ErrNotFound, req.Message, sp.id)
	}
	got, err := c.eventSoon(ctx, room, ev)
	if err != nil {
		if isNotJoined(err) {
			return fmt.Errorf("%w: no message %s", platform.ErrNotFound, req.Message)
		}
		return err
	}
	if got.Unsigned.RedactedBecause != nil || len(got.Content.Raw) == 0 {
		return fmt.Errorf("%w: message %s was deleted", platform.ErrNotFound, req.Message)
	}
	err = do(ctx, c, func(ctx context.Context) error {
		_, err := c.cli.RedactEvent(ctx, room, ev, mautrix.ReqRedact{Reason: req.Reason, TxnID: txn})
		return err
	})
	if err != nil {
		return err
	}
	return c.untilRedacted(ctx, room, ev)
}

// untilRedacted waits, briefly, until the server reads the event back as
// redacted. Dendrite applies a redaction after it has answered, so without
// this a second delete right after the first would find the message intact
// and redact it again instead of answering not found.
func (c *Conn) untilRedacted(ctx context.Context, room id.RoomID, ev id.EventID) error {
	wait := 25 * time.Millisecond
	for {
		got, err := call(ctx, c, func(ctx context.Context) (*event.Event, error) { return c.cli.GetEvent(ctx, room, ev) })
		if err != nil || got.Unsigned.RedactedBecause != nil || len(got.Content.Raw) == 0 || wait > 2*time.Second {
			// The redaction was accepted; a failed or slow read-back does
			// not make it fail.
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// eventSoon reads an event, asking again for a moment while the server
// answers 404: a homeserver may accept an event before it can be read
// back (Dendrite stores events asynchronously), and a message deleted
// right after it was posted must not be taken for one that never was.
func (c *Conn) eventSoon(ctx context.Context, room id.RoomID, ev id.EventID) (*event.Event, error) {
	wait := 50 * time.Millisecond
	for {
		got, err := call(ctx, c, func(ctx context.Context) (*event.Event, error) { return c.cli.GetEvent(ctx, room, ev) })
		if !errors.Is(err, platform.ErrNotFound) || wait > time.Second {
			return got, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// directRoom is the bot's direct room with a user, from m.direct, or a
// new one (an invite with is_direct) recorded there.
func (c *Conn) directRoom(ctx context.Context, user id.UserID) (id.RoomID, error) {
	unlock := c.a.lock("m.direct " + string(c.me))
	defer unlock()
	direct := map[string][]string{}
	err := do(ctx, c, func(ctx context.Context) error { return c.cli.GetAccountData(ctx, "m.direct", &direct) })
	if err != nil && !errors.Is(err, platform.ErrNotFound) {
		return "", err
	}
	rooms := direct[string(user)]
	for i := len(rooms) - 1; i >= 0; i-- {
		var m map[string]any
		r := id.RoomID(rooms[i])
		err := do(ctx, c, func(ctx context.Context) error { return c.cli.StateEvent(ctx, r, event.StateMember, string(user), &m) })
		if err == nil && (str(m, "membership") == "join" || str(m, "membership") == "invite") {
			return r, nil
		}
	}
	room, err := c.createRoom(ctx, &mautrix.ReqCreateRoom{Preset: "trusted_private_chat", IsDirect: true, Invite: []id.UserID{user}, Visibility: "private"})
	if err != nil {
		return "", err
	}
	if direct == nil {
		direct = map[string][]string{}
	}
	direct[string(user)] = append(direct[string(user)], string(room))
	if err := do(ctx, c, func(ctx context.Context) error { return c.cli.SetAccountData(ctx, "m.direct", direct) }); err != nil {
		return "", err
	}
	return room, nil
}

// Invite invites a user to a community's space, as a moderator does;
// they become a member when they accept.
func (c *Conn) Invite(ctx context.Context, community, user string) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	if !validUserID(user) {
		return fmt.Errorf("%w: %q is not a Matrix user id", platform.ErrInvalid, user)
	}
	sp, err := c.space(ctx, id.RoomID(community))
	if err != nil {
		return err
	}
	return do(ctx, c, func(ctx context.Context) error {
		_, err := c.cli.InviteUser(ctx, sp.id, &mautrix.ReqInviteUser{UserID: id.UserID(user)})
		return err
	})
}
