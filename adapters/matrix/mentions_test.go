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

	"github.com/hearth-community/hearth/adapters/internal/mentiontest"
	"github.com/hearth-community/hearth/engine/config"
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
	if _, err := c.send(ctx, id.RoomID("!r:example.org"), "Welcome @room, says @ann:example.org", "t1", "@ann:example.org", nil); err != nil {
		t.Fatal(err)
	}
	c.massMentions = true
	if _, err := c.send(ctx, id.RoomID("!r:example.org"), "Welcome @room", "t2", "", nil); err != nil {
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

// member.mention is a pill: the display name in the body, a matrix.to
// link around it in formatted_body, and the user in m.mentions. The name
// is the member's: escaped, it adds no markup to the formatted body.
func TestMentionPill(t *testing.T) {
	var mu sync.Mutex
	var sent map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		mu.Lock()
		_ = json.Unmarshal(data, &sent)
		mu.Unlock()
		_, _ = io.WriteString(w, `{"event_id":"$e1"}`)
	}))
	defer srv.Close()
	cli, err := mautrix.NewClient(srv.URL, "@bot:example.org", "tok")
	if err != nil {
		t.Fatal(err)
	}
	c := &Conn{cli: cli, log: slog.New(slog.DiscardHandler), timeout: 5 * time.Second}
	name := `Ann <img src=x onerror=alert(1)> & "co"`
	msg := mentiontest.Render(t, Spec(), nil, "channel", "@ann:example.org", name, "Welcome ${member.mention}!\nSay hi <3")
	if want := "Welcome " + name + "!\nSay hi <3"; msg.Text != want {
		t.Fatalf("text %q; want %q", msg.Text, want)
	}
	if _, err := c.send(context.Background(), id.RoomID("!r:example.org"), msg.Text, "t1", "", msg.Mentions); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"msgtype": "m.text", "body": msg.Text, "format": "org.matrix.custom.html",
		"formatted_body": `Welcome <a href="https://matrix.to/#/@ann:example.org">Ann &lt;img src=x onerror=alert(1)&gt; &amp; &#34;co&#34;</a>!<br>Say hi &lt;3`,
		"m.mentions":     map[string]any{"user_ids": []any{"@ann:example.org"}},
	}
	for k, v := range want {
		if got, _ := json.Marshal(sent[k]); string(got) != mustJSON(t, v) {
			t.Errorf("%s = %s; want %s", k, got, mustJSON(t, v))
		}
	}
	// No user id: the name, and nothing to make a pill of.
	if m := Mention(config.MentionOf{ID: "u07", Name: "Ann"}); m.Marked || m.Text != "" {
		t.Errorf("Mention of a hearth id: %+v; want the name unmarked", m)
	}
	if m := Mention(config.MentionOf{ID: "@ann:example.org"}); m.Text != "@ann:example.org" || !m.Marked {
		t.Errorf("Mention of a member without a name: %+v; want their user id, marked", m)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
