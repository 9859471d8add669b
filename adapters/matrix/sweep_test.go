package matrix_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/matrix"
	"github.com/hearth-community/hearth/engine/platform"
)

// fakeHS is an in-process homeserver with what kick_on_leave's sweep
// reads and does (whoami, joined_rooms, room state, members, kick) and a
// /sync with nothing new, answering as the Client-Server API does: 403
// M_FORBIDDEN in rooms the caller is not in, 404 M_NOT_FOUND for missing
// state, 429 M_LIMIT_EXCEEDED with retry_after_ms, and kicks only of
// members below the kicker's power level.
type fakeHS struct {
	bot string

	mu    sync.Mutex
	rooms map[string]map[string]map[string]map[string]any // room, type, state key: content
	kicks []string                                        // "ROOM USER REASON", in order
	// limitKicks answers the next kicks 429.
	limitKicks int
	limited    int
	syncs      int
}

func newFakeHS(bot string) *fakeHS {
	return &fakeHS{bot: bot, rooms: map[string]map[string]map[string]map[string]any{}}
}

func (f *fakeHS) put(room, typ, key string, content map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rooms[room] == nil {
		f.rooms[room] = map[string]map[string]map[string]any{}
	}
	if f.rooms[room][typ] == nil {
		f.rooms[room][typ] = map[string]map[string]any{}
	}
	f.rooms[room][typ][key] = content
}

// members sets memberships in a room: user, membership, user, membership ...
func (f *fakeHS) members(room string, pairs ...string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		f.put(room, "m.room.member", pairs[i], map[string]any{"membership": pairs[i+1]})
	}
}

func (f *fakeHS) membership(room, user string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, _ := f.rooms[room]["m.room.member"][user]["membership"].(string)
	return m
}

func (f *fakeHS) counts() (kicks []string, limited, syncs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.kicks), f.limited, f.syncs
}

func plLevel(pl map[string]any, user string) float64 {
	users, _ := pl["users"].(map[string]any)
	if l, ok := users[user].(float64); ok {
		return l
	}
	if l, ok := users[user].(int); ok {
		return float64(l)
	}
	return 0
}

func (f *fakeHS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	answer := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(code int, errcode, msg string) {
		answer(code, map[string]any{"errcode": errcode, "error": msg})
	}
	path := strings.Split(strings.TrimPrefix(r.URL.Path, "/_matrix/client/v3/"), "/")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case path[0] == "account" && len(path) == 2 && path[1] == "whoami":
		answer(200, map[string]any{"user_id": f.bot, "device_id": "DEV"})
		return
	case path[0] == "joined_rooms":
		rooms := []string{}
		for id, st := range f.rooms {
			if st["m.room.member"][f.bot]["membership"] == "join" {
				rooms = append(rooms, id)
			}
		}
		slices.Sort(rooms)
		answer(200, map[string]any{"joined_rooms": rooms})
		return
	case path[0] == "sync":
		f.syncs++
		if r.URL.Query().Get("since") != "" {
			f.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			f.mu.Lock()
		}
		answer(200, map[string]any{"next_batch": "s1"})
		return
	case path[0] != "rooms" || len(path) < 3:
		fail(404, "M_UNRECOGNIZED", "unrecognized request")
		return
	}
	room, st := path[1], f.rooms[path[1]]
	if st["m.room.member"][f.bot]["membership"] != "join" {
		fail(403, "M_FORBIDDEN", "You aren't a member of the room")
		return
	}
	switch {
	case r.Method == http.MethodGet && path[2] == "state" && len(path) == 3:
		var evs []map[string]any
		for typ, byKey := range st {
			for key, content := range byKey {
				evs = append(evs, map[string]any{"type": typ, "state_key": key, "content": content, "sender": f.bot,
					"event_id": "$" + typ + key, "room_id": room, "origin_server_ts": 1})
			}
		}
		answer(200, evs)
	case r.Method == http.MethodGet && path[2] == "state":
		key := ""
		if len(path) > 4 {
			key = path[4]
		}
		content, ok := st[path[3]][key]
		if !ok {
			fail(404, "M_NOT_FOUND", "Event not found")
			return
		}
		answer(200, content)
	case r.Method == http.MethodGet && path[2] == "members":
		not := r.URL.Query().Get("not_membership")
		chunk := []map[string]any{}
		for user, content := range st["m.room.member"] {
			if content["membership"] == not {
				continue
			}
			chunk = append(chunk, map[string]any{"type": "m.room.member", "state_key": user, "content": content, "sender": user,
				"event_id": "$m" + user, "room_id": room, "origin_server_ts": 1})
		}
		answer(200, map[string]any{"chunk": chunk})
	case r.Method == http.MethodPost && path[2] == "kick":
		var req struct {
			UserID string `json:"user_id"`
			Reason string `json:"reason"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		if f.limitKicks > 0 {
			f.limitKicks--
			f.limited++
			answer(429, map[string]any{"errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests", "retry_after_ms": 30})
			return
		}
		pl := st["m.room.power_levels"][""]
		if m := st["m.room.member"][req.UserID]["membership"]; (m != "join" && m != "invite") || plLevel(pl, req.UserID) >= plLevel(pl, f.bot) {
			fail(403, "M_FORBIDDEN", "You cannot kick user "+req.UserID)
			return
		}
		st["m.room.member"][req.UserID] = map[string]any{"membership": "leave"}
		f.kicks = append(f.kicks, room+" "+req.UserID+" "+req.Reason)
		answer(200, map[string]any{})
	default:
		fail(404, "M_UNRECOGNIZED", "unrecognized request")
	}
}

// TestSweepDeparted: when the stream starts with kick_on_leave, members
// the space shows gone (left or banned) while the stream was not reading
// are kicked from the community's rooms they are still joined or invited
// to, with the live path's reason, a 429 waited out; the bot, members
// back in the space, invitees, accounts the space never had and anyone
// whose power level matches the bot's stay. The next start (a
// reconnect) kicks no one and logs nothing again; without kick_on_leave
// nothing is kicked.
func TestSweepDeparted(t *testing.T) {
	const (
		bot   = "@hearth:x"
		sp    = "!space:x"
		gen   = "!general:x"
		quiet = "!quiet:x"
		gone  = "!abandoned:x" // a child room the bot has left
		dm    = "!dm:x"        // not a community's room
	)
	f := newFakeHS(bot)
	f.put(sp, "m.room.create", "", map[string]any{"type": "m.space"})
	f.put(sp, "org.hearth.community", "", map[string]any{"name": "explorers"})
	for _, r := range []string{gen, quiet, gone} {
		f.put(sp, "m.space.child", r, map[string]any{"via": []any{"x"}})
	}
	f.members(sp, bot, "join", "@ann:x", "join", "@bob:x", "leave", "@cat:x", "ban", "@dan:x", "join",
		"@mod:x", "leave", "@eve:x", "invite")
	f.put(gen, "m.room.power_levels", "", map[string]any{"users": map[string]any{bot: 100, "@mod:x": 100}})
	f.members(gen, bot, "join", "@ann:x", "join", "@bob:x", "join", "@cat:x", "join", "@dan:x", "join",
		"@mod:x", "join", "@bridge:x", "join")
	f.put(quiet, "m.room.power_levels", "", map[string]any{"users": map[string]any{bot: 100}})
	f.members(quiet, bot, "join", "@bob:x", "invite", "@cat:x", "leave", "@eve:x", "invite")
	f.members(gone, bot, "leave", "@bob:x", "join")
	f.members(dm, bot, "join", "@bob:x", "join")
	f.limitKicks = 1
	srv := httptest.NewServer(f)
	defer srv.Close()

	stream := func(c platform.Conn) {
		t.Helper()
		ctx, cancel := context.WithCancel(ctxBG)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			done <- c.(*matrix.Conn).Stream(ctx, platform.StreamRequest{Follow: true}, func(context.Context, platform.Delivery) error { return nil })
		}()
		deadline := time.After(10 * time.Second)
		for {
			if _, _, syncs := f.counts(); syncs > 0 {
				break // the sweep is over: the stream syncs after it
			}
			select {
			case err := <-done:
				t.Fatalf("the stream ended before its first /sync: %v", err)
			case <-deadline:
				t.Fatal("the stream did not reach /sync within 10s")
			case <-time.After(5 * time.Millisecond):
			}
		}
		cancel()
		<-done
		f.mu.Lock()
		f.syncs = 0
		f.mu.Unlock()
	}
	openConn := func(kick bool, logs *bytes.Buffer) platform.Conn {
		t.Helper()
		c, err := matrix.New().Open(ctxBG, platform.OpenRequest{Name: "main", Settings: settings(srv.URL, "tok", map[string]cty.Value{"kick_on_leave": cty.BoolVal(kick)}),
			Logger: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	// Off, the stream kicks no one.
	var offLogs bytes.Buffer
	stream(openConn(false, &offLogs))
	if kicks, _, _ := f.counts(); len(kicks) != 0 {
		t.Fatalf("without kick_on_leave the stream kicked %q", kicks)
	}

	var logs bytes.Buffer
	c := openConn(true, &logs)
	stream(c)
	kicks, limited, _ := f.counts()
	slices.Sort(kicks)
	want := []string{
		gen + " @bob:x left the community",
		gen + " @cat:x left the community",
		quiet + " @bob:x left the community",
	}
	if !slices.Equal(kicks, want) {
		t.Errorf("kicks\n%q\nwant\n%q", kicks, want)
	}
	if limited != 1 {
		t.Errorf("%d kicks answered 429; want the one the homeserver limited, waited out and retried", limited)
	}
	for room, users := range map[string][]string{gen: {bot, "@ann:x", "@dan:x", "@mod:x", "@bridge:x"}, quiet: {bot}, gone: {"@bob:x"}, dm: {bot, "@bob:x"}} {
		for _, u := range users {
			if m := f.membership(room, u); m != "join" {
				t.Errorf("%s has membership %q in %s; want join (not kicked)", u, m, room)
			}
		}
	}
	if m := f.membership(quiet, "@eve:x"); m != "invite" {
		t.Errorf("Eve, invited to the space, has membership %q in %s; want her invite kept", m, quiet)
	}
	first := logs.String()
	lines := func(s, substr string) int { return strings.Count(s, substr) }
	for _, tc := range []struct {
		what string
		n    int
	}{
		{"kicked from the community's rooms someone who had left its space before the stream saw it (kick_on_leave)\" user=@bob:x space=" + sp + " rooms=\"[" + gen + " " + quiet + "]\"", 1},
		{"kicked from the community's rooms someone who had left its space before the stream saw it (kick_on_leave)\" user=@cat:x", 1},
		{"kicked from the community's rooms", 2},
		{"could not kick from the community's rooms someone who had left its space (kick_on_leave); not said again until hearth restarts\" user=@mod:x", 1},
		{"could not kick", 1},
	} {
		if got := lines(first, tc.what); got != tc.n {
			t.Errorf("the log has %d lines with %q; want %d:\n%s", got, tc.what, tc.n, first)
		}
	}

	// The stream starting again (a reconnect) finds nothing to do and
	// says nothing again.
	stream(c)
	if again, _, _ := f.counts(); len(again) != len(want) {
		t.Errorf("a second sweep kicked again: %q", again[len(want):])
	}
	if more := strings.TrimPrefix(logs.String(), first); strings.Contains(more, "kick") {
		t.Errorf("a second sweep logged:\n%s", more)
	}
	if strings.Contains(offLogs.String(), "kick") {
		t.Errorf("without kick_on_leave the adapter logged:\n%s", offLogs.String())
	}
}
