package matrix

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/platform"
)

// httpError builds the error mautrix returns for a homeserver's answer.
func httpError(status int, code, msg string, extra map[string]any) error {
	data := map[string]any{"errcode": code, "error": msg}
	for k, v := range extra {
		data[k] = v
	}
	return mautrix.HTTPError{
		Response:  &http.Response{StatusCode: status, Header: http.Header{}},
		RespError: &mautrix.RespError{ErrCode: code, Err: msg, ExtraData: data, StatusCode: status},
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err    error
		target error
		class  platform.Class
	}{
		{httpError(404, "M_NOT_FOUND", "Event not found", nil), platform.ErrNotFound, platform.ClassPermanent},
		{httpError(403, "M_FORBIDDEN", "not allowed", nil), nil, platform.ClassPermanent},
		{httpError(401, "M_UNKNOWN_TOKEN", "Unknown token", nil), nil, platform.ClassPermanent},
		{httpError(400, "M_BAD_JSON", "bad", nil), platform.ErrInvalid, platform.ClassPermanent},
		{httpError(413, "M_TOO_LARGE", "event too large", nil), platform.ErrInvalid, platform.ClassPermanent},
		{httpError(502, "", "", nil), nil, platform.ClassTemporary},
		{fmt.Errorf("dial tcp: connection refused"), nil, platform.ClassTemporary},
	} {
		got := classify(tc.err)
		if c, _ := platform.Classify(got); c != tc.class || (tc.target != nil && !errors.Is(got, tc.target)) {
			t.Errorf("classify(%v) = %v (%v); want %v wrapping %v", tc.err, got, c, tc.class, tc.target)
		}
	}
}

func TestRateLimited(t *testing.T) {
	d, ok := rateLimited(httpError(429, "M_LIMIT_EXCEEDED", "Too many requests", map[string]any{"retry_after_ms": float64(1500)}))
	if !ok || d != 1500*time.Millisecond {
		t.Errorf("retry_after_ms 1500: %v, %v", d, ok)
	}
	e := httpError(429, "M_LIMIT_EXCEEDED", "Too many requests", nil).(mautrix.HTTPError)
	e.Response.Header.Set("Retry-After", "7")
	if d, ok := rateLimited(e); !ok || d != 7*time.Second {
		t.Errorf("Retry-After 7: %v, %v", d, ok)
	}
	if _, ok := rateLimited(httpError(403, "M_FORBIDDEN", "no", nil)); ok {
		t.Error("a 403 counted as a rate limit")
	}
}

func TestOrder(t *testing.T) {
	// The m.space.child order strings sort as the positions do.
	ps := []int64{-100, -1, 0, 1, 9, 10, 1 << 40}
	for i := 1; i < len(ps); i++ {
		if a, b := order(ps[i-1]), order(ps[i]); a >= b || len(a) > 50 {
			t.Errorf("order(%d) = %q is not before order(%d) = %q", ps[i-1], a, ps[i], b)
		}
	}
}

func TestRoleLevel(t *testing.T) {
	for perms, want := range map[string]int{"": 0, "send_messages": 0, "manage_messages": LevelModerator, "ban_members,send_messages": LevelModerator, "administrator,manage_messages": LevelAdmin} {
		if got := RoleLevel(perms); got != want {
			t.Errorf("RoleLevel(%q) = %d; want %d", perms, got, want)
		}
	}
}

func FuzzPageToken(f *testing.F) {
	f.Add(encodeToken(pageToken{Kind: platform.KindChannel, Community: "!a:b", After: sortKey{N1: 3, S2: "!c:b"}}))
	f.Add("not-a-token")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := decodeToken(s, platform.KindChannel, "!a:b")
		if err != nil {
			if !errors.Is(err, platform.ErrInvalid) {
				t.Fatalf("decodeToken(%q): %v is not ErrInvalid", s, err)
			}
			return
		}
		again, err := decodeToken(encodeToken(pageToken{Kind: platform.KindChannel, Community: "!a:b", After: k}), platform.KindChannel, "!a:b")
		if err != nil || again != k {
			t.Fatalf("round trip of %+v: %+v, %v", k, again, err)
		}
	})
}

func FuzzCursor(f *testing.F) {
	f.Add(cursor{Since: "s12_3", Last: map[string]string{"!r:x": "$abc", "!s:x": "$def"}}.String())
	f.Add("")
	f.Add("e30")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCursor(s)
		if err != nil {
			if !errors.Is(err, platform.ErrInvalid) {
				t.Fatalf("parseCursor(%q): %v is not ErrInvalid", s, err)
			}
			return
		}
		if again, err := parseCursor(c.String()); err != nil || again.Since != c.Since || !maps.Equal(again.Last, c.Last) {
			t.Fatalf("round trip of %+v: %+v, %v", c, again, err)
		}
	})
}

// roomState is a room's state with a create event of version v ("" for
// none) and join rule rule ("" for none).
func roomState(v, rule string) mautrix.RoomStateMap {
	st := mautrix.RoomStateMap{}
	if v != "" {
		st[event.StateCreate] = map[string]*event.Event{"": stateEvent(event.StateCreate, "", map[string]any{"room_version": v})}
	}
	if rule != "" {
		st[event.StateJoinRules] = map[string]*event.Event{"": stateEvent(event.StateJoinRules, "", map[string]any{"join_rule": rule})}
	}
	return st
}

// TestPrivate: a channel reads as private when nobody joins it by
// themselves; knock_restricted lets the space's members in, so it is
// not private, and reads as itself.
func TestPrivate(t *testing.T) {
	for rule, want := range map[string]bool{"restricted": false, "knock_restricted": false, "public": false, "invite": true, "knock": true, "": true} {
		st := roomState("10", rule)
		if got := private(st); got != want {
			t.Errorf("join rule %q reads as private %v; want %v", rule, got, want)
		}
		o := channelObject("!sp:x", child{room: "!r:x"}, st)
		wantRule := rule
		if rule == "" {
			wantRule = "invite" // the spec's default
		}
		if o.Attrs["join_rule"] != wantRule || o.Attrs["private"] != platform.FormatBoolValue(want) {
			t.Errorf("join rule %q reads as join_rule %q, private %q", rule, o.Attrs["join_rule"], o.Attrs["private"])
		}
	}
}

// TestDerive: the join rule follows private, and an update or create
// sets the rule given, or the one private gives.
func TestDerive(t *testing.T) {
	c := &Conn{}
	for private, want := range map[string]string{"true": "invite", "false": "restricted"} {
		got := c.Derive(platform.DeriveRequest{Kind: platform.KindChannel, Attrs: platform.Attrs{"name": "a", "private": private}})
		if !maps.Equal(got.Attrs, platform.Attrs{"join_rule": want}) {
			t.Errorf("private %s derives %v; want join_rule %s", private, got.Attrs, want)
		}
	}
	if got := c.Derive(platform.DeriveRequest{Kind: platform.KindRole, Attrs: platform.Attrs{"name": "a"}}); len(got.Attrs) != 0 {
		t.Errorf("a role derives %v; want nothing", got.Attrs)
	}
	for _, tc := range []struct {
		attrs platform.Attrs
		want  string
	}{
		{platform.Attrs{"private": "false"}, "restricted"},
		{platform.Attrs{"private": "true"}, "invite"},
		{platform.Attrs{"join_rule": "knock_restricted"}, "knock_restricted"},
		{platform.Attrs{"private": "false", "join_rule": "restricted"}, "restricted"},
	} {
		if got := ruleOf(tc.attrs); got != tc.want {
			t.Errorf("ruleOf(%v) = %s; want %s", tc.attrs, got, tc.want)
		}
	}
	for _, rule := range []string{"restricted", "knock_restricted"} {
		jr, err := joinRules(rule, "!sp:x")
		if allow, _ := jr["allow"].([]any); err != nil || len(allow) != 1 || allow[0].(map[string]any)["room_id"] != "!sp:x" {
			t.Errorf("join rules %s: %v, %v; want the space's members allowed", rule, jr, err)
		}
	}
	if _, err := joinRules("private", "!sp:x"); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("join rule private: %v; want ErrInvalid", err)
	}
}

// TestOldRoom: a room older than version 8 cannot be restricted. Open
// (public), it reads without join_rule, so the plan changes nothing, and
// with a warning naming it, its version and what to do; an update that
// would restrict it is refused the same way before the homeserver is asked.
func TestOldRoom(t *testing.T) {
	sp := &space{id: "!sp:x", st: mautrix.RoomStateMap{typeCommunity: {"": stateEvent(typeCommunity, "", map[string]any{"name": "explorers"})}}}
	for _, tc := range []struct {
		version, rule string
		warn          bool
	}{
		{"6", "public", true},
		{"", "public", true}, // no room_version: version 1
		{"7", "public", true},
		{"6", "invite", false},
		{"8", "public", false},
		{"10", "public", false},
		{"org.example.custom", "public", false},
	} {
		st := roomState(tc.version, tc.rule)
		st[event.StateRoomName] = map[string]*event.Event{"": stateEvent(event.StateRoomName, "", map[string]any{"name": "general"})}
		o := channelObject(sp.id, child{room: "!old:x"}, st)
		why := oldOpen(st)
		if _, has := o.Attrs["join_rule"]; has == tc.warn || (why != "") != tc.warn {
			t.Errorf("version %q, rule %s: join_rule %q, warning %q; want a warning %v", tc.version, tc.rule, o.Attrs["join_rule"], why, tc.warn)
			continue
		}
		if !tc.warn {
			continue
		}
		w := oldRoomWarning(sp, o, why)
		v := tc.version
		if v == "" {
			v = "1"
		}
		for _, part := range []string{`"general"`, "!old:x", `"explorers"`, "room version " + v, "stays public", "/upgraderoom 10", "hearth state import"} {
			if !strings.Contains(w, part) {
				t.Errorf("warning %q does not say %q", w, part)
			}
		}
	}
	for _, tc := range []struct {
		version, rule string
		refused       bool
	}{
		{"6", "restricted", true},
		{"9", "knock_restricted", true},
		{"6", "knock", true},
		{"6", "invite", false},
		{"8", "restricted", false},
		{"10", "knock_restricted", false},
	} {
		why := tooOld("!old:x", roomState(tc.version, "public"), tc.rule)
		if (why != "") != tc.refused || (tc.refused && !strings.Contains(why, "upgrade the room")) {
			t.Errorf("version %s taking rule %s: %q; want refused %v, saying to upgrade", tc.version, tc.rule, why, tc.refused)
		}
	}
}

// TestJoinedAt: a message is weighed against its sender's membership in
// the space when it was sent.
func TestJoinedAt(t *testing.T) {
	move := func(ts int64, was, now string) *event.Event {
		ev := stateEvent(event.StateMember, "@bob:x", map[string]any{"membership": now})
		ev.Timestamp = ts
		if was != "" {
			ev.Unsigned.PrevContent = &event.Content{Raw: map[string]any{"membership": was}}
		}
		return ev
	}
	joinLeave := []*event.Event{move(10, "", "join"), move(20, "join", "leave")}
	for _, tc := range []struct {
		name   string
		joined bool
		moves  []*event.Event
		ts     int64
		want   bool
	}{
		{"no moves, known member", true, nil, 5, true},
		{"no moves, not known", false, nil, 5, false},
		{"before joining", true, joinLeave, 5, false},
		{"as he joined", false, joinLeave, 10, true},
		{"between join and leave", false, joinLeave, 15, true},
		{"after leaving", true, joinLeave, 25, false},
		{"before leaving, state read after", false, []*event.Event{move(20, "join", "leave")}, 15, true},
		{"before a rejoin", false, []*event.Event{move(20, "leave", "join")}, 15, false},
	} {
		if got := joinedAt(tc.joined, tc.moves, tc.ts); got != tc.want {
			t.Errorf("%s: joinedAt = %v; want %v", tc.name, got, tc.want)
		}
	}
}

// TestLongEventID: events of rooms of version 1 and 2, whose ids are
// "$opaque:server" up to 255 bytes, become hearth events (they were
// dropped as "id longer than 256 bytes"), each always with the same id.
func TestLongEventID(t *testing.T) {
	c := &Conn{me: "@hearth:x"}
	long := func(fill byte, n int) id.EventID {
		const server = ":old.example.org"
		return id.EventID("$" + strings.Repeat(string(fill), n-1-len(server)) + server)
	}
	mk := func(evID id.EventID) *event.Event {
		return &event.Event{ID: evID, Type: event.EventMessage, Sender: "@ann:x", RoomID: "!room:x", Timestamp: 1700000000000,
			Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": "hi"}}}
	}
	hearthID := func(evID id.EventID) string {
		t.Helper()
		e, ok := c.toEvent(mk(evID), roomInfo{community: "!space:x", name: "general"})
		if !ok {
			t.Fatalf("event %s is not an event", evID)
		}
		e.Community = "makers"
		if err := e.Check(); err != nil {
			t.Fatalf("event id of %d bytes: %v", len(evID), err)
		}
		return e.ID
	}
	// Up to the limit, the id is the event's own.
	fits := long('a', events.MaxIDLen-len("matrix."))
	if got := hearthID(fits); got != "matrix."+string(fits) {
		t.Errorf("an event id of %d bytes became %q; want it unchanged", len(fits), got)
	}
	a, b := long('a', 255), long('b', 255)
	ha := hearthID(a)
	if !strings.HasPrefix(ha, "matrix.sha256.") || len(ha) != len("matrix.sha256.")+64 {
		t.Errorf("an event id of 255 bytes became %q; want matrix.sha256. and 64 hex digits", ha)
	}
	if again := hearthID(a); again != ha {
		t.Errorf("the same event became %q, then %q", ha, again)
	}
	if hb := hearthID(b); hb == ha {
		t.Errorf("two event ids became the same %q", ha)
	}
	if over := hearthID(long('a', events.MaxIDLen-len("matrix.")+1)); over == ha || !strings.HasPrefix(over, "matrix.sha256.") {
		t.Errorf("an event id one byte over the limit became %q", over)
	}
}

// TestSpaceMove: which membership events of a space are a member joining
// or leaving the community, and so which departures kick_on_leave acts
// on.
func TestSpaceMove(t *testing.T) {
	c := &Conn{me: "@hearth:x"}
	mk := func(sender, target, was, now string) *event.Event {
		ev := stateEvent(event.StateMember, target, map[string]any{"membership": now})
		ev.Sender = id.UserID(sender)
		if was != "" {
			ev.Unsigned.PrevContent = &event.Content{Raw: map[string]any{"membership": was}}
		}
		return ev
	}
	for _, tc := range []struct {
		name string
		ev   *event.Event
		user string
		move string
	}{
		{"joins", mk("@bob:x", "@bob:x", "", "join"), "@bob:x", "joined"},
		{"accepts an invite", mk("@bob:x", "@bob:x", "invite", "join"), "@bob:x", "joined"},
		{"leaves", mk("@bob:x", "@bob:x", "join", "leave"), "@bob:x", "left"},
		{"is kicked in a client", mk("@mod:x", "@bob:x", "join", "leave"), "@bob:x", "kicked"},
		{"is banned", mk("@mod:x", "@bob:x", "join", "ban"), "@bob:x", "banned"},
		{"changes his name", mk("@bob:x", "@bob:x", "join", "join"), "@bob:x", ""},
		{"declines an invite", mk("@bob:x", "@bob:x", "invite", "leave"), "@bob:x", ""},
		{"banned after leaving", mk("@mod:x", "@bob:x", "leave", "ban"), "@bob:x", ""},
		{"the bot leaves", mk("@hearth:x", "@hearth:x", "join", "leave"), "", ""},
	} {
		user, move := c.spaceMove(tc.ev)
		if move != tc.move || (tc.move != "" && user != tc.user) {
			t.Errorf("%s: spaceMove = %q, %q; want %q, %q", tc.name, user, move, tc.user, tc.move)
		}
	}
	if _, move := c.spaceMove(&event.Event{Type: event.EventMessage}); move != "" {
		t.Errorf("a message is move %q", move)
	}
}

// TestDepartures: kick_on_leave acts on each departure from a space that
// a batch has not delivered yet, once per member and space, and on
// nothing in a channel.
func TestDepartures(t *testing.T) {
	c := &Conn{me: "@hearth:x"}
	mk := func(sender, target, was, now string) *event.Event {
		ev := stateEvent(event.StateMember, target, map[string]any{"membership": now})
		ev.Sender = id.UserID(sender)
		if was != "" {
			ev.Unsigned.PrevContent = &event.Content{Raw: map[string]any{"membership": was}}
		}
		return ev
	}
	sp := roomInfo{space: true, community: "!space:x"}
	rbs := []roomBatch{
		{room: "!space:x", in: sp, from: 1, evs: []*event.Event{
			mk("@old:x", "@old:x", "join", "leave"), // delivered before
			mk("@bob:x", "@bob:x", "join", "leave"),
			mk("@bob:x", "@bob:x", "leave", "join"),
			mk("@bob:x", "@bob:x", "join", "leave"),
			mk("@mod:x", "@cat:x", "join", "ban"),
			mk("@dan:x", "@dan:x", "", "join"),
			mk("@hearth:x", "@hearth:x", "join", "leave"),
		}},
		{room: "!chan:x", in: roomInfo{community: "!space:x"}, evs: []*event.Event{mk("@eve:x", "@eve:x", "join", "leave")}},
		{room: "!space2:x", in: roomInfo{space: true, community: "!space2:x"}, evs: []*event.Event{mk("@mod:x", "@bob:x", "join", "leave")}},
	}
	want := []departure{{"!space:x", "@bob:x"}, {"!space:x", "@cat:x"}, {"!space2:x", "@bob:x"}}
	if got := c.departures(rbs); !slices.Equal(got, want) {
		t.Errorf("departures = %v; want %v", got, want)
	}
}

// TestOutranks: kick_on_leave leaves alone whoever Matrix would not let
// the bot kick (a level at least its own), and lets the homeserver judge
// when the bot has no level of its own (a room version 12 creator).
func TestOutranks(t *testing.T) {
	const bot, u = id.UserID("@hearth:x"), id.UserID("@u:x")
	for _, tc := range []struct {
		name string
		pl   map[string]any
		want bool
	}{
		{"below", map[string]any{"users": map[string]any{"@hearth:x": float64(100), "@u:x": float64(99)}}, false},
		{"equal", map[string]any{"users": map[string]any{"@hearth:x": float64(100), "@u:x": float64(100)}}, true},
		{"default below", map[string]any{"users": map[string]any{"@hearth:x": float64(100)}}, false},
		{"default equal", map[string]any{"users": map[string]any{"@hearth:x": float64(50)}, "users_default": float64(50)}, true},
		{"bot without a level", map[string]any{"users": map[string]any{"@u:x": float64(100)}}, false},
		{"no power levels", nil, false},
	} {
		if got := outranks(tc.pl, u, bot); got != tc.want {
			t.Errorf("%s: outranks = %v; want %v", tc.name, got, tc.want)
		}
	}
}
