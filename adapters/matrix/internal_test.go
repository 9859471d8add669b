package matrix

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"

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

func TestPrivate(t *testing.T) {
	for rule, want := range map[string]bool{"restricted": false, "public": false, "invite": true, "knock": true, "": true} {
		st := mautrix.RoomStateMap{}
		if rule != "" {
			st[event.StateJoinRules] = map[string]*event.Event{"": stateEvent(event.StateJoinRules, "", map[string]any{"join_rule": rule})}
		}
		if got := private(st); got != want {
			t.Errorf("join rule %q reads as private %v; want %v", rule, got, want)
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
