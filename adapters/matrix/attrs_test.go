package matrix

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Messages carry links, mentions, reply_to and thread as the other
// adapters' do, and an m.replace edit is message.edited, not a new
// message.
func TestMessageAttrs(t *testing.T) {
	c := &Conn{me: "@hearth:x"}
	in := roomInfo{community: "!space:x", name: "general"}
	const room = "!room:x"
	post := func(evID string) string { return room + "|" + evID }
	cases := []struct {
		name    string
		content map[string]any
		typ     string
		want    map[string]any // attrs that must be so; nil: must be absent
	}{
		{"plain", map[string]any{"msgtype": "m.text", "body": "see https://a.example and www.b.example, ask @ann:x"},
			"message.posted", map[string]any{"links": 2, "mentions": 1, "reply_to": nil, "thread": nil}},
		{"m.mentions", map[string]any{"msgtype": "m.text", "body": "Ann and @room",
			"m.mentions": map[string]any{"user_ids": []any{"@ann:x", "@bo:x"}, "room": true}},
			"message.posted", map[string]any{"mentions": 3, "links": 0}},
		{"pills", map[string]any{"msgtype": "m.text", "body": "Ann: hi Bo", "format": "org.matrix.custom.html",
			"formatted_body": `<a href="https://matrix.to/#/@ann:x">Ann</a>: hi <a href="https://matrix.to/#/%40bo%3Ax">Bo</a>`},
			"message.posted", map[string]any{"mentions": 2}},
		{"reply", map[string]any{"msgtype": "m.text", "body": "> <@ann:x> https://quoted.example\n\nagreed",
			"m.relates_to": map[string]any{"m.in_reply_to": map[string]any{"event_id": "$orig"}}},
			"message.posted", map[string]any{"reply_to": post("$orig"), "thread": nil, "text": "agreed", "length": 6, "links": 0}},
		{"in a thread", map[string]any{"msgtype": "m.text", "body": "more",
			"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": "$root", "is_falling_back": true,
				"m.in_reply_to": map[string]any{"event_id": "$latest"}}},
			"message.posted", map[string]any{"thread": post("$root"), "reply_to": nil}},
		{"a reply in a thread", map[string]any{"msgtype": "m.text", "body": "to you",
			"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": "$root",
				"m.in_reply_to": map[string]any{"event_id": "$other"}}},
			"message.posted", map[string]any{"thread": post("$root"), "reply_to": post("$other")}},
		{"edit", map[string]any{"msgtype": "m.text", "body": "* fixed text",
			"m.new_content": map[string]any{"msgtype": "m.text", "body": "fixed text"},
			"m.relates_to":  map[string]any{"rel_type": "m.replace", "event_id": "$orig"}},
			"message.edited", map[string]any{"post_id": post("$orig"), "text": "fixed text", "channel": "general", "links": nil}},
	}
	for _, tc := range cases {
		ev := &event.Event{ID: "$ev", Type: event.EventMessage, Sender: "@bo:x", RoomID: room, Timestamp: 1700000000000,
			Content: event.Content{Raw: tc.content}}
		e, ok := c.toEvent(ev, in)
		if !ok || e.Type != tc.typ {
			t.Errorf("%s: %v %q; want %s", tc.name, ok, e.Type, tc.typ)
			continue
		}
		for k, want := range tc.want {
			if got, has := e.Attrs[k]; want == nil && has || want != nil && got != want {
				t.Errorf("%s: %s = %#v; want %#v", tc.name, k, got, want)
			}
		}
		e.Community = "makers"
		if err := e.Check(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// A reaction names the member reacted to (target_member): the sender of
// the event it relates to, from the batch when it is there, else asked
// of the homeserver once; none for the bot's own messages or an event
// the bot cannot read.
func TestReactedTo(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		switch {
		case strings.HasSuffix(r.URL.Path, "/event/$old"):
			_, _ = io.WriteString(w, `{"event_id":"$old","type":"m.room.message","sender":"@cy:x","room_id":"!r:x","origin_server_ts":1,"content":{"body":"hi"}}`)
		case strings.HasSuffix(r.URL.Path, "/event/$mine"):
			_, _ = io.WriteString(w, `{"event_id":"$mine","type":"m.room.message","sender":"@hearth:x","room_id":"!r:x","origin_server_ts":1,"content":{"body":"welcome"}}`)
		case strings.HasSuffix(r.URL.Path, "/event/$broken"):
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, `{"errcode":"M_UNKNOWN","error":"upstream"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"errcode":"M_NOT_FOUND","error":"Event not found."}`)
		}
	}))
	defer srv.Close()
	cli, err := mautrix.NewClient(srv.URL, "@hearth:x", "tok")
	if err != nil {
		t.Fatal(err)
	}
	c := &Conn{cli: cli, me: "@hearth:x", log: slog.New(slog.DiscardHandler), timeout: 5 * time.Second}
	ctx := context.Background()
	senders := map[id.EventID]id.UserID{"$new": "@ann:x"}
	for _, tc := range []struct {
		target id.EventID
		want   id.UserID
		asks   int32
	}{
		{"$new", "@ann:x", 0},
		{"$old", "@cy:x", 1},
		{"$old", "@cy:x", 1}, // remembered
		{"$mine", "", 2},
		{"$gone", "", 3},
	} {
		got, err := c.reactedTo(ctx, "!r:x", tc.target, senders)
		if err != nil || got != tc.want || asked.Load() != tc.asks {
			t.Errorf("%s: %q, %v after %d requests; want %q after %d", tc.target, got, err, asked.Load(), tc.want, tc.asks)
		}
	}
	// A failure that may pass stops the batch, to be read again.
	if _, err := c.reactedTo(ctx, "!r:x", "$broken", senders); err == nil {
		t.Error("a 502 reading the event: no error")
	}
}
