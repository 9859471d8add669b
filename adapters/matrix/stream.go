package matrix

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hearth-community/hearth/engine/events"
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
// with ("" for the initial sync) and the last event delivered in it.
type cursor struct {
	Since string `json:"s"`
	Event string `json:"e"`
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Event == "" {
		return cursor{}, fmt.Errorf("%w: stream cursor %q was not issued by the matrix platform", platform.ErrInvalid, s)
	}
	return c, nil
}

// roomInfo says what a room is to hearth.
type roomInfo struct {
	space     bool      // a community's space
	community id.RoomID // the space, for a space or one of its channels
	name      string    // the community's hearth name, or the channel's name
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
	since, skip := cur.Since, cur.Event
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
		batch, err := c.batch(ctx, resp, since, req.Communities, infos)
		if err != nil {
			return err
		}
		if skip != "" {
			if i := slices.IndexFunc(batch, func(d platform.Delivery) bool { return d.Event.ID == "matrix."+skip }); i >= 0 {
				batch = batch[i+1:]
			}
			skip = ""
		}
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
			in = roomInfo{space: true, community: room, name: str(m, "name")}
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

// batch turns one sync response into deliveries: rooms in id order, each
// room's timeline in its order.
func (c *Conn) batch(ctx context.Context, resp *mautrix.RespSync, since string, names map[string]string, infos map[id.RoomID]roomInfo) ([]platform.Delivery, error) {
	rooms := make([]id.RoomID, 0, len(resp.Rooms.Join))
	for r := range resp.Rooms.Join {
		rooms = append(rooms, r)
	}
	slices.Sort(rooms)
	var out []platform.Delivery
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
		for _, ev := range resp.Rooms.Join[r].Timeline.Events {
			ev.RoomID = r
			e, ok := c.toEvent(ev, in)
			if !ok {
				continue
			}
			e.Community = community
			if err := e.Check(); err != nil {
				c.log.Warn("skipping a Matrix event hearth cannot take", "event", ev.ID, "error", err)
				continue
			}
			out = append(out, platform.Delivery{Event: e, Cursor: cursor{Since: since, Event: string(ev.ID)}.String()})
		}
	}
	return out, nil
}

func (c *Conn) toEvent(ev *event.Event, in roomInfo) (events.Event, bool) {
	if ev.Sender == c.me {
		return events.Event{}, false
	}
	e := events.Event{ID: "matrix." + string(ev.ID), At: time.UnixMilli(ev.Timestamp).UTC(), Source: Type}
	user := string(ev.Sender)
	content := ev.Content.Raw
	switch {
	case in.space && ev.Type == event.StateMember && ev.StateKey != nil && *ev.StateKey != string(c.me):
		user = *ev.StateKey
		now := str(content, "membership")
		was := ""
		if ev.Unsigned.PrevContent != nil {
			was = str(ev.Unsigned.PrevContent.Raw, "membership")
		}
		switch {
		case now == "join" && was != "join":
			e.Type = "member.joined"
			e.Member.Name = str(content, "displayname")
		case (now == "leave" || now == "ban") && was == "join":
			e.Type = "member.left"
			reason := "left"
			if now == "ban" {
				reason = "banned"
			} else if string(ev.Sender) != user {
				reason = "kicked"
			}
			e.Attrs = map[string]any{"reason": reason}
		default:
			return events.Event{}, false
		}
	case !in.space && ev.Type == event.EventMessage:
		body := str(content, "body")
		e.Type = "message.posted"
		e.Attrs = map[string]any{"channel": in.name, "channel_id": string(ev.RoomID), "post_id": messageID(ev.RoomID, ev.ID),
			"text": body, "length": utf8.RuneCountInString(body)}
	case !in.space && ev.Type == event.EventReaction:
		rel, _ := content["m.relates_to"].(map[string]any)
		target := str(rel, "event_id")
		if target == "" {
			return events.Event{}, false
		}
		e.Type = "reaction.added"
		e.Attrs = map[string]any{"emoji": str(rel, "key"), "target": messageID(ev.RoomID, id.EventID(target)), "channel": in.name}
	default:
		return events.Event{}, false
	}
	e.Member.ID = user
	e.Member.Identities = map[string]string{Type: user}
	return e, true
}
