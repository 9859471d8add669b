package matrix

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// A template quotes what members wrote: a member named "@room" must not
// notify a whole room through the bot. Messages say whom they mention
// (m.mentions), so the body's "@room" and names notify no one else.
func TestMemberTextNotifiesNoRoom(t *testing.T) {
	var mu sync.Mutex
	var sent []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || !strings.Contains(r.URL.Path, "/send/m.room.message/") {
			http.NotFound(w, r)
			return
		}
		var body map[string]any
		data, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(data, &body)
		mu.Lock()
		sent = append(sent, body)
		mu.Unlock()
		_, _ = io.WriteString(w, `{"event_id":"$e1"}`)
	}))
	defer srv.Close()
	cli, err := mautrix.NewClient(srv.URL, "@bot:example.org", "tok")
	if err != nil {
		t.Fatal(err)
	}
	c := &Conn{cli: cli, log: slog.New(slog.DiscardHandler), timeout: 5 * time.Second}
	ctx := context.Background()
	if _, err := c.send(ctx, id.RoomID("!r:example.org"), "Welcome @room, says @ann:example.org", "t1", "@ann:example.org"); err != nil {
		t.Fatal(err)
	}
	c.massMentions = true
	if _, err := c.send(ctx, id.RoomID("!r:example.org"), "Welcome @room", "t2", ""); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 2 {
		t.Fatalf("%d messages sent", len(sent))
	}
	m, ok := sent[0]["m.mentions"].(map[string]any)
	if !ok || m["room"] != nil {
		t.Fatalf("m.mentions %v: want it without room", sent[0]["m.mentions"])
	}
	if ids, _ := m["user_ids"].([]any); len(ids) != 1 || ids[0] != "@ann:example.org" {
		t.Errorf("user_ids %v: want the member the message is for", m["user_ids"])
	}
	if _, ok := sent[1]["m.mentions"]; ok {
		t.Errorf("with mass_mentions = true m.mentions was sent: %v", sent[1])
	}
}
