package matrix

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/governance"
	"github.com/hearth-community/hearth/engine/platform"
)

// syncFilter keeps /sync to what becomes events: no presence, typing,
// receipts or account data (where hearth keeps its idempotency keys),
// and timelines of up to 100 events per room.
const syncFilter = `{"presence":{"not_types":["*"]},"account_data":{"not_types":["*"]},` +
	`"room":{"ephemeral":{"not_types":["*"]},"account_data":{"not_types":["*"]},` +
	`"state":{"types":["m.room.create"]},` +
	`"timeline":{"limit":100,"types":["m.room.member","m.room.message","m.reaction"]}}}`

// cursor is where a stream resumes: the sync token the batch was asked
// with ("" for the initial sync), and for each room of the batch
// delivered so far the id of its last event delivered. A resumed stream
// asks /sync from the same token again and, in each of those rooms,
// leaves out the events up to and including that one: a room's timeline
// from one token only grows, so what is left is exactly what was not
// delivered, including events that arrived since.
type cursor struct {
	Since string            `json:"s"`
	Last  map[string]string `json:"l"`
}

func (c cursor) String() string {
	b, _ := json.Marshal(c) // map keys come out sorted: equal cursors are equal strings
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || len(c.Last) == 0 {
		return cursor{}, fmt.Errorf("%w: stream cursor %q was not issued by the matrix platform", platform.ErrInvalid, s)
	}
	return c, nil
}

// roomInfo says what a room is to hearth.
type roomInfo struct {
	space     bool      // a community's space
	community id.RoomID // the space, for a space or one of its channels
	name      string    // the community's hearth name, or the channel's name
	// members are a space's joined users as its state said when read,
	// kept up to date from the membership events of later syncs.
	members map[id.UserID]bool
}

// Stream delivers member joins and departures, messages and reactions as
// hearth events; see platform.Streamer.
func (c *Conn) Stream(ctx context.Context, req platform.StreamRequest, handle func(context.Context, platform.Delivery) error) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	var cur cursor
	if req.After != "" {
		var err error
		if cur, err = parseCursor(req.After); err != nil {
			return err
		}
	}
	// Departures from before the stream reads on: the daemon was down,
	// or kick_on_leave was off. The stream starts again after a failure,
	// so they are also swept after a reconnect.
	if c.kickOnLeave && req.Follow {
		if err := c.sweepDeparted(ctx); err != nil {
			return fmt.Errorf("kick_on_leave: kicking who left a community's space before the stream saw it: %w", err)
		}
	}
	since := cur.Since
	var skip *cursor
	if req.After != "" {
		skip = &cur
	}
	infos := map[id.RoomID]roomInfo{}
	// Long polls stay inside the request timeout.
	poll := 25 * time.Second
	if c.timeout < 30*time.Second {
		poll = c.timeout / 2
	}
	for {
		timeout := 0
		if req.Follow && since != "" {
			timeout = int(poll.Milliseconds())
		}
		resp, err := call(ctx, c, func(ctx context.Context) (*mautrix.RespSync, error) {
			return c.cli.FullSyncRequest(ctx, mautrix.ReqSync{Timeout: timeout, Since: since, FilterID: syncFilter, SetPresence: event.PresenceOffline})
		})
		if err != nil {
			return err
		}
		batch, err := c.batch(ctx, resp, since, req.Communities, infos, skip)
		if err != nil {
			return err
		}
		skip = nil
		for _, d := range batch {
			if err := handle(ctx, d); err != nil {
				return err
			}
		}
		if !req.Follow && since != "" && (resp.NextBatch == since || len(batch) == 0) {
			return nil
		}
		if resp.NextBatch == "" {
			return fmt.Errorf("the homeserver's /sync answered without next_batch")
		}
		since = resp.NextBatch
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

func (c *Conn) info(ctx context.Context, room id.RoomID, infos map[id.RoomID]roomInfo) (roomInfo, error) {
	if in, ok := infos[room]; ok {
		return in, nil
	}
	var in roomInfo
	st, err := c.state(ctx, room)
	if err != nil && !isNotJoined(err) {
		return in, err
	}
	if st != nil {
		if m := raw(st, typeCommunity, ""); m != nil {
			in = roomInfo{space: true, community: room, name: str(m, "name"), members: map[id.UserID]bool{}}
			for user, ev := range st[event.StateMember] {
				if ev != nil && str(ev.Content.Raw, "membership") == "join" {
					in.members[id.UserID(user)] = true
				}
			}
		} else {
			for parent := range st[event.StateSpaceParent] {
				if p, err := c.info(ctx, id.RoomID(parent), infos); err == nil && p.space {
					in = roomInfo{community: p.community, name: str(raw(st, event.StateRoomName, ""), "name")}
					break
				}
			}
		}
	}
	infos[room] = in
	return in, nil
}

// roomBatch is one room's part of a sync response.
type roomBatch struct {
	room      id.RoomID
	in        roomInfo
	community string         // the community's hearth name
	evs       []*event.Event // the timeline, with any gap fetched
	from      int            // evs[from:] are the events not delivered yet
}

// batch turns one sync response into deliveries: rooms in id order, each
// room's timeline in its order. Messages and reactions from people who
// are not joined to the community's space are left out: they are not
// community members (a room made public by hand, or one an older hearth
// made public, lets anyone in).
func (c *Conn) batch(ctx context.Context, resp *mautrix.RespSync, since string, names map[string]string, infos map[id.RoomID]roomInfo, skip *cursor) ([]platform.Delivery, error) {
	rooms := make([]id.RoomID, 0, len(resp.Rooms.Join))
	for r := range resp.Rooms.Join {
		rooms = append(rooms, r)
	}
	slices.Sort(rooms)
	var rbs []roomBatch
	last := map[string]string{}
	for _, r := range rooms {
		in, err := c.info(ctx, r, infos)
		if err != nil {
			return nil, err
		}
		if in.community == "" {
			continue // a direct chat or a room hearth does not manage
		}
		community := names[string(in.community)]
		if community == "" {
			if sp, err := c.info(ctx, in.community, infos); err == nil {
				community = sp.name
			}
		}
		tl := resp.Rooms.Join[r].Timeline
		evs := tl.Events
		// More happened in the room than one sync shows: fetch the gap
		// back to where the last batch ended, so no event is lost while
		// hearth was away. (The initial sync has no "since"; it starts
		// with the latest events.)
		if tl.Limited && since != "" && tl.PrevBatch != "" {
			older, err := c.backfill(ctx, r, tl.PrevBatch, since)
			if err != nil {
				return nil, err
			}
			evs = append(older, evs...)
		}
		from := 0
		if x, ok := skip.lastIn(r); ok {
			at := slices.IndexFunc(evs, func(ev *event.Event) bool { return ev.ID == x })
			// Resuming on an initial sync whose window has moved past
			// the event: fetch back to it.
			if at < 0 && since == "" && tl.PrevBatch != "" {
				older, err := c.backfillTo(ctx, r, tl.PrevBatch, x)
				if err != nil {
					return nil, err
				}
				evs = append(older, evs...)
				at = slices.IndexFunc(evs, func(ev *event.Event) bool { return ev.ID == x })
			}
			from = at + 1
			last[string(r)] = string(x)
		}
		rbs = append(rbs, roomBatch{room: r, in: in, community: community, evs: evs, from: from})
	}
	// Who joined or left each space in this batch, in order, delivered
	// before or not: a message is weighed against the sender's membership
	// when it was sent.
	moves := map[id.RoomID]map[id.UserID][]*event.Event{}
	for _, rb := range rbs {
		if !rb.in.space {
			continue
		}
		for _, ev := range rb.evs {
			if ev.Type == event.StateMember && ev.StateKey != nil {
				if moves[rb.room] == nil {
					moves[rb.room] = map[id.UserID][]*event.Event{}
				}
				u := id.UserID(*ev.StateKey)
				moves[rb.room][u] = append(moves[rb.room][u], ev)
			}
		}
	}
	if c.kickOnLeave {
		if err := c.kickDeparted(ctx, rbs); err != nil {
			return nil, err
		}
	}
	var out []platform.Delivery
	for _, rb := range rbs {
		r := rb.room
		// Who sent each message of the room's timeline, delivered before
		// or not, so a reaction to one needs no request.
		senders := map[id.EventID]id.UserID{}
		for _, ev := range rb.evs {
			if ev.Type == event.EventMessage {
				senders[ev.ID] = ev.Sender
			}
		}
		for _, ev := range rb.evs[rb.from:] {
			ev.RoomID = r
			e, ok := c.toEvent(ev, rb.in)
			if !ok {
				continue
			}
			if !rb.in.space && !joinedAt(infos[rb.in.community].members[ev.Sender], moves[rb.in.community][ev.Sender], ev.Timestamp) {
				c.log.Debug("skipping a Matrix event from someone outside the community's space", "room", r, "sender", ev.Sender, "event", ev.ID)
				continue
			}
			if e.Type == "reaction.added" {
				rel, _ := ev.Content.Raw["m.relates_to"].(map[string]any)
				who, err := c.reactedTo(ctx, r, id.EventID(str(rel, "event_id")), senders)
				if err != nil {
					return nil, err
				}
				if who != "" {
					e.Attrs["target_member"] = string(who)
				}
			}
			e.Community = rb.community
			if err := e.Check(); err != nil {
				c.log.Warn("skipping a Matrix event hearth cannot take", "event", ev.ID, "error", err)
				continue
			}
			last[string(r)] = string(ev.ID)
			out = append(out, platform.Delivery{Event: e, Cursor: cursor{Since: since, Last: maps.Clone(last)}.String()})
		}
	}
	// The next batch starts from where this one leaves the spaces.
	for sp, users := range moves {
		members := infos[sp].members
		for u, evs := range users {
			if str(evs[len(evs)-1].Content.Raw, "membership") == "join" {
				members[u] = true
			} else {
				delete(members, u)
			}
		}
	}
	return out, nil
}

// kickDeparted kicks from a community's rooms each member this batch
// shows leaving its space (kick_on_leave): a restricted room lets only
// the space's members join but keeps those already in. It runs before
// the batch is delivered, so a stream stopped by a failure here tries
// again when it resumes.
func (c *Conn) kickDeparted(ctx context.Context, rbs []roomBatch) error {
	for _, d := range c.departures(rbs) {
		if err := c.kickFromRooms(ctx, d.space, d.user); err != nil {
			return err
		}
	}
	return nil
}

// departure is someone leaving a space.
type departure struct {
	space id.RoomID
	user  id.UserID
}

// departures are the members a batch shows leaving spaces, once each
// per space, in the order they left, among the events not delivered yet
// (those a resumed stream delivered before were acted on then).
func (c *Conn) departures(rbs []roomBatch) []departure {
	var out []departure
	for _, rb := range rbs {
		if !rb.in.space {
			continue
		}
		for _, ev := range rb.evs[rb.from:] {
			user, move := c.spaceMove(ev)
			d := departure{space: rb.room, user: id.UserID(user)}
			if move != "" && move != "joined" && !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out
}

// joinedAt says whether a user was joined to a space at a time (a
// message's timestamp): by their last membership event of the batch sent
// by then, else by the membership the batch's first one replaced, else by
// what was known before the batch (joined).
func joinedAt(joined bool, moves []*event.Event, ts int64) bool {
	if len(moves) == 0 {
		return joined
	}
	var at *event.Event
	for _, ev := range moves {
		if ev.Timestamp > ts {
			break
		}
		at = ev
	}
	if at != nil {
		return str(at.Content.Raw, "membership") == "join"
	}
	if prev := moves[0].Unsigned.PrevContent; prev != nil {
		return str(prev.Raw, "membership") == "join"
	}
	return false
}

// lastIn is the event a resumed stream delivered last in a room.
func (c *cursor) lastIn(room id.RoomID) (id.EventID, bool) {
	if c == nil {
		return "", false
	}
	x, ok := c.Last[string(room)]
	return id.EventID(x), ok
}

// maxBackfill bounds how many missed events one room's gap may fetch.
const maxBackfill = 10_000

// backfillTo reads a room's timeline backwards from from until it meets
// the event stop (included) and returns the events oldest first; without
// meeting it, at most maxBackfill events.
func (c *Conn) backfillTo(ctx context.Context, room id.RoomID, from string, stop id.EventID) ([]*event.Event, error) {
	var rev []*event.Event
	for len(rev) < maxBackfill {
		page, err := call(ctx, c, func(ctx context.Context) (*mautrix.RespMessages, error) {
			return c.cli.Messages(ctx, room, from, "", mautrix.DirectionBackward, nil, 100)
		})
		if err != nil {
			return nil, err
		}
		for _, ev := range page.Chunk {
			rev = append(rev, ev)
			if ev.ID == stop {
				slices.Reverse(rev)
				return rev, nil
			}
		}
		if len(page.Chunk) == 0 || page.End == "" || page.End == from {
			break
		}
		from = page.End
	}
	slices.Reverse(rev)
	return rev, nil
}

// backfill reads a room's timeline backwards from a sync's prev_batch to
// the previous sync's token, and returns the events oldest first. The
// homeserver may include the last event before the gap again; it keeps
// its id, so the runtime drops it as a duplicate.
func (c *Conn) backfill(ctx context.Context, room id.RoomID, from, to string) ([]*event.Event, error) {
	var rev []*event.Event
	for len(rev) < maxBackfill {
		page, err := call(ctx, c, func(ctx context.Context) (*mautrix.RespMessages, error) {
			return c.cli.Messages(ctx, room, from, to, mautrix.DirectionBackward, nil, 100)
		})
		if err != nil {
			return nil, err
		}
		rev = append(rev, page.Chunk...)
		if len(page.Chunk) == 0 || page.End == "" || page.End == from {
			break
		}
		from = page.End
	}
	slices.Reverse(rev)
	return rev, nil
}

// eventID is the hearth id of a Matrix event: "matrix." and the event
// id, or, when that would pass events.MaxIDLen (event ids of rooms of
// version 1 and 2 are "$opaque:server", up to 255 bytes),
// "matrix.sha256." and the hex SHA-256 of the event id. The same event
// always gets the same id, so redelivery stays a duplicate, and a hashed
// id cannot equal a plain one: Matrix event ids start with "$".
func eventID(ev id.EventID) string {
	if s := "matrix." + string(ev); len(s) <= events.MaxIDLen {
		return s
	}
	sum := sha256.Sum256([]byte(ev))
	return "matrix.sha256." + hex.EncodeToString(sum[:])
}

// spaceMove reads a membership event of a space: the user it is about
// and "joined", or "left", "kicked" or "banned" for a member who was
// joined; move is "" for anything else (an invite, a new display name,
// the bot itself).
func (c *Conn) spaceMove(ev *event.Event) (user, move string) {
	if ev.Type != event.StateMember || ev.StateKey == nil || *ev.StateKey == string(c.me) {
		return "", ""
	}
	user = *ev.StateKey
	now := str(ev.Content.Raw, "membership")
	was := ""
	if ev.Unsigned.PrevContent != nil {
		was = str(ev.Unsigned.PrevContent.Raw, "membership")
	}
	switch {
	case now == "join" && was != "join":
		return user, "joined"
	case now == "ban" && was == "join":
		return user, "banned"
	case now == "leave" && was == "join" && string(ev.Sender) != user:
		return user, "kicked"
	case now == "leave" && was == "join":
		return user, "left"
	}
	return user, ""
}

func (c *Conn) toEvent(ev *event.Event, in roomInfo) (events.Event, bool) {
	// The bot's own messages are not member events; its kicks and bans
	// are (about the member they remove).
	if ev.Sender == c.me && ev.Type != event.StateMember {
		return events.Event{}, false
	}
	e := events.Event{ID: eventID(ev.ID), At: time.UnixMilli(ev.Timestamp).UTC(), Source: Type}
	user := string(ev.Sender)
	content := ev.Content.Raw
	switch {
	case in.space && ev.Type == event.StateMember:
		var move string
		user, move = c.spaceMove(ev)
		switch move {
		case "":
			return events.Event{}, false
		case "joined":
			e.Type = "member.joined"
			e.Member.Name = str(content, "displayname")
		default:
			e.Type = "member.left"
			e.Attrs = map[string]any{"reason": move}
		}
	case !in.space && ev.Type == event.EventMessage:
		rel, _ := content["m.relates_to"].(map[string]any)
		if str(rel, "rel_type") == "m.replace" {
			// An edit: m.new_content is the message as it is now; the body
			// beside it is a "* ..." fallback for clients without edits.
			original := str(rel, "event_id")
			if original == "" {
				return events.Event{}, false
			}
			now, _ := content["m.new_content"].(map[string]any)
			text := str(now, "body")
			if now == nil {
				text = strings.TrimPrefix(str(content, "body"), "* ")
			}
			e.Type = "message.edited"
			e.Attrs = map[string]any{"channel": in.name, "post_id": messageID(ev.RoomID, id.EventID(original)), "text": text}
			break
		}
		e.Type = "message.posted"
		e.Attrs = messageAttrs(ev.RoomID, ev.ID, content, rel, in.name)
	case !in.space && ev.Type == event.EventReaction:
		rel, _ := content["m.relates_to"].(map[string]any)
		target := str(rel, "event_id")
		if target == "" {
			return events.Event{}, false
		}
		e.Type = "reaction.added"
		e.Attrs = map[string]any{"emoji": str(rel, "key"), "target": messageID(ev.RoomID, id.EventID(target)), "channel": in.name, "channel_id": string(ev.RoomID)}
	default:
		return events.Event{}, false
	}
	e.Member.ID = user
	e.Member.Identities = map[string]string{Type: user}
	return e, true
}

// messageAttrs are a message's attributes: the text without a reply's
// quoted fallback, links counted as the moderation rules count them,
// mentions from m.mentions (else the formatted body's pills, else
// @names in the body), reply_to from m.in_reply_to and thread from an
// m.thread relation. Posts, replies and threads are named as post_id
// names them (room|event).
func messageAttrs(room id.RoomID, evID id.EventID, content, rel map[string]any, channel string) map[string]any {
	body := str(content, "body")
	inReply, _ := rel["m.in_reply_to"].(map[string]any)
	replyTo := str(inReply, "event_id")
	if replyTo != "" {
		body = stripReplyFallback(body)
	}
	attrs := map[string]any{"channel": channel, "channel_id": string(room), "post_id": messageID(room, evID),
		"text": body, "length": utf8.RuneCountInString(body), "links": governance.CountLinks(body),
		"mentions": mentionCount(content, body)}
	if str(rel, "rel_type") == "m.thread" {
		if root := str(rel, "event_id"); root != "" {
			attrs["thread"] = messageID(room, id.EventID(root))
		}
		// In a thread, m.in_reply_to with is_falling_back is the thread's
		// latest message, for clients without threads: no reply.
		if fallback, _ := rel["is_falling_back"].(bool); fallback {
			replyTo = ""
		}
	}
	if replyTo != "" {
		attrs["reply_to"] = messageID(room, id.EventID(replyTo))
	}
	return attrs
}

// stripReplyFallback drops the "> " lines a reply's body starts with
// (the quoted message, as clients before Matrix 1.13 wrote it) and the
// blank line after them.
func stripReplyFallback(body string) string {
	if !strings.HasPrefix(body, "> ") {
		return body
	}
	rest := body
	for strings.HasPrefix(rest, ">") {
		_, after, found := strings.Cut(rest, "\n")
		if !found {
			return body // only a quote: keep what was written
		}
		rest = after
	}
	return strings.TrimPrefix(rest, "\n")
}

// mentionCount is how many users (and the room, for @room) a message
// mentions: its m.mentions when it has them (Matrix 1.7), else the
// user pills (matrix.to links) of its formatted body, else the @names
// of its body.
func mentionCount(content map[string]any, body string) int {
	if m, ok := content["m.mentions"].(map[string]any); ok {
		n := 0
		if ids, ok := m["user_ids"].([]any); ok {
			n = len(ids)
		}
		if room, _ := m["room"].(bool); room {
			n++
		}
		return n
	}
	if f := str(content, "formatted_body"); f != "" {
		return strings.Count(f, "matrix.to/#/@") + strings.Count(f, "matrix.to/#/%40") + strings.Count(f, "matrix:u/")
	}
	return governance.CountMentions(body)
}

// reactedTo is who sent the event a reaction relates to: from senders
// (the events of the batch) when it is there, else as the homeserver
// says. An event the bot cannot see (redacted, from before it joined)
// has no sender, and nor do the bot's own messages, as it is no member.
func (c *Conn) reactedTo(ctx context.Context, room id.RoomID, target id.EventID, senders map[id.EventID]id.UserID) (id.UserID, error) {
	who, ok := senders[target]
	if !ok {
		ev, err := call(ctx, c, func(ctx context.Context) (*event.Event, error) { return c.cli.GetEvent(ctx, room, target) })
		if isNotJoined(err) {
			c.log.Debug("the event a reaction is to is not there to read", "room", room, "event", target, "error", err)
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("reading the event %s a reaction is to: %w", target, err)
		}
		who = ev.Sender
		senders[target] = who
	}
	if who == c.me {
		return "", nil
	}
	return who, nil
}
