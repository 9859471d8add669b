package matrix

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hearth-community/hearth/engine/events"
)

// FuzzToEvent maps arbitrary timeline events, as any member of a
// federated room can send them, to hearth events: no panic, and an event
// made from one within Matrix's own limits passes Check, since one that
// does not is dropped.
func FuzzToEvent(f *testing.F) {
	f.Add([]byte(`{"type":"m.room.message","event_id":"$a","sender":"@ann:x","origin_server_ts":1700000000000,"content":{"msgtype":"m.text","body":"hi"}}`), false)
	f.Add([]byte(`{"type":"m.reaction","event_id":"$b","sender":"@ann:x","origin_server_ts":1700000000000,"content":{"m.relates_to":{"rel_type":"m.annotation","event_id":"$a","key":"👍"}}}`), false)
	f.Add([]byte(`{"type":"m.room.member","event_id":"$c","sender":"@ann:x","state_key":"@ann:x","origin_server_ts":1700000000000,"content":{"membership":"join","displayname":"Ann"}}`), true)
	f.Add([]byte(`{"type":"m.room.member","event_id":"$d","sender":"@mod:x","state_key":"@ann:x","origin_server_ts":1700000000000,"content":{"membership":"ban"},"unsigned":{"prev_content":{"membership":"join"}}}`), true)
	f.Add([]byte(`{"type":"m.room.message","content":{"body":7}}`), false)
	// An event id of a version 1 room, as long as Matrix allows.
	f.Add([]byte(`{"type":"m.room.message","event_id":"$`+strings.Repeat("o", 240)+`:old.example","sender":"@ann:x","origin_server_ts":1700000000000,"content":{"body":"hi"}}`), false)
	c := &Conn{me: "@hearth:x"}
	f.Fuzz(func(t *testing.T, data []byte, space bool) {
		var ev event.Event
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		ev.RoomID = id.RoomID("!room:x")
		e, ok := c.toEvent(&ev, roomInfo{space: space, community: "!space:x", name: "general"})
		if !ok {
			return
		}
		e.Community = "makers"
		year := time.UnixMilli(ev.Timestamp).UTC().Year()
		within := len(ev.ID) <= 255 && len(ev.Sender) <= 255 && (ev.StateKey == nil || len(*ev.StateKey) <= 255) &&
			len(ev.Sender) > 0 && year >= 1970 && year <= 9999 && len(data) <= events.MaxStringLen
		if space && ev.StateKey != nil && *ev.StateKey == "" {
			within = false // a membership event of no one
		}
		if err := e.Check(); err != nil && within {
			t.Fatalf("%s: %v", data, err)
		}
	})
}
