package matrix

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hearth-community/hearth/engine/platform"
)

// A pin is a message the bot posted and listed in the room's
// m.room.pinned_events. Its current text is also kept in the space as
// org.hearth.pin (state_key: the pin's id), because a changed text is an
// edit (m.replace) that clients show in place of the original, and the
// original event keeps its first text.
var typePin = event.Type{Type: "org.hearth.pin", Class: event.StateEventType}

type pin struct {
	id      string // messageID: ROOM|EVENT
	room    id.RoomID
	event   id.EventID
	text    string
	created int64
}

func pins(sp *space) []pin {
	var out []pin
	for key, ev := range sp.st[typePin] {
		if ev == nil || len(ev.Content.Raw) == 0 {
			continue
		}
		room, evID, ok := strings.Cut(key, "|")
		if !ok {
			continue
		}
		out = append(out, pin{id: key, room: id.RoomID(room), event: id.EventID(evID), text: str(ev.Content.Raw, "text"), created: num(ev.Content.Raw, "created")})
	}
	return out
}

func pinObject(community id.RoomID, p pin) platform.Object {
	return platform.Object{Kind: platform.KindPin, ID: p.id, Community: string(community), Attrs: platform.Attrs{
		"channel": string(p.room), "text": p.text, "author": "",
	}}
}

// pinned reads a room's m.room.pinned_events.
func (c *Conn) pinned(ctx context.Context, room id.RoomID) ([]string, error) {
	var content struct {
		Pinned []string `json:"pinned"`
	}
	err := do(ctx, c, func(ctx context.Context) error {
		return c.cli.StateEvent(ctx, room, event.StatePinnedEvents, "", &content)
	})
	if err != nil && !isNotJoined(err) {
		return nil, err
	}
	return content.Pinned, nil
}

func (c *Conn) setPinned(ctx context.Context, room id.RoomID, list []string) error {
	if list == nil {
		list = []string{}
	}
	return c.putState(ctx, room, event.StatePinnedEvents, "", map[string]any{"pinned": list})
}

// livePins are the space's pins that are still pinned in their rooms
// (someone may have unpinned one in a Matrix client).
func (c *Conn) livePins(ctx context.Context, sp *space) ([]pin, error) {
	all := pins(sp)
	lists := map[id.RoomID][]string{}
	var out []pin
	for _, p := range all {
		list, ok := lists[p.room]
		if !ok {
			var err error
			if list, err = c.pinned(ctx, p.room); err != nil {
				return nil, err
			}
			lists[p.room] = list
		}
		if slices.Contains(list, string(p.event)) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (c *Conn) applyPin(ctx context.Context, req platform.ApplyRequest) (platform.Object, error) {
	sp, err := c.space(ctx, id.RoomID(req.Community))
	if err != nil {
		return platform.Object{}, err
	}
	if req.Op == platform.OpCreate {
		room := id.RoomID(req.Attrs["channel"])
		if _, ok := childOf(sp, room); !ok {
			return platform.Object{}, fmt.Errorf("%w: no channel %s in community %s", platform.ErrNotFound, room, sp.id)
		}
		msg, err := c.send(ctx, room, req.Attrs["text"], "", "", nil)
		if err != nil {
			return platform.Object{}, err
		}
		_, evID, _ := strings.Cut(msg, "|")
		p := pin{id: msg, room: room, event: id.EventID(evID), text: req.Attrs["text"], created: time.Now().UnixMilli()}
		list, err := c.pinned(ctx, room)
		if err != nil {
			return platform.Object{}, err
		}
		if err := c.setPinned(ctx, room, append(list, evID)); err != nil {
			return platform.Object{}, err
		}
		if err := c.putState(ctx, sp.id, typePin, p.id, map[string]any{"text": p.text, "created": p.created}); err != nil {
			return platform.Object{}, err
		}
		return pinObject(sp.id, p), nil
	}
	live, err := c.livePins(ctx, sp)
	if err != nil {
		return platform.Object{}, err
	}
	i := slices.IndexFunc(live, func(p pin) bool { return p.id == req.ID })
	if i < 0 {
		return platform.Object{}, fmt.Errorf("%w: no pin %s in community %s", platform.ErrNotFound, req.ID, sp.id)
	}
	p := live[i]
	if req.Op == platform.OpDelete {
		list, err := c.pinned(ctx, p.room)
		if err != nil {
			return platform.Object{}, err
		}
		list = slices.DeleteFunc(list, func(e string) bool { return e == string(p.event) })
		if err := c.setPinned(ctx, p.room, list); err != nil {
			return platform.Object{}, err
		}
		if err := c.putState(ctx, sp.id, typePin, p.id, map[string]any{}); err != nil {
			return platform.Object{}, err
		}
		err = do(ctx, c, func(ctx context.Context) error {
			_, err := c.cli.RedactEvent(ctx, p.room, p.event, mautrix.ReqRedact{Reason: "unpinned by hearth"})
			return err
		})
		return pinObject(sp.id, p), err
	}
	// Update: only the text can change in place (CheckApply refuses a
	// new channel).
	text := req.Attrs["text"]
	newContent := map[string]any{"msgtype": "m.text", "body": text}
	edit := map[string]any{
		"msgtype":       "m.text",
		"body":          "* " + text,
		"m.new_content": newContent,
		"m.relates_to":  map[string]any{"rel_type": "m.replace", "event_id": string(p.event)},
	}
	if !c.massMentions {
		// As for every message (see send): clients evaluate the edit on
		// its own, and without m.mentions a "@room" in the rules would
		// notify the whole room.
		edit["m.mentions"] = map[string]any{}
		newContent["m.mentions"] = map[string]any{}
	}
	if err := do(ctx, c, func(ctx context.Context) error {
		_, err := c.cli.SendMessageEvent(ctx, p.room, event.EventMessage, edit)
		return err
	}); err != nil {
		return platform.Object{}, err
	}
	p.text = text
	if err := c.putState(ctx, sp.id, typePin, p.id, map[string]any{"text": p.text, "created": p.created}); err != nil {
		return platform.Object{}, err
	}
	return pinObject(sp.id, p), nil
}
