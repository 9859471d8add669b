package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/events"
)

// testKey is a fixed key pair, so the fuzz corpus stays meaningful.
var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

func sign(body []byte, ts string) string {
	return hex.EncodeToString(ed25519.Sign(testKey, append([]byte(ts), body...)))
}

var now = time.Unix(1_790_000_000, 0)

func post(t *testing.T, h http.Handler, body []byte, sig, ts string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("POST", "/interactions", bytes.NewReader(body))
	r.Header.Set("X-Signature-Ed25519", sig)
	r.Header.Set("X-Signature-Timestamp", ts)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestInteractions(t *testing.T) {
	var got []events.Event
	var fail error
	h := &interactionHandler{pub: testKey.Public().(ed25519.PublicKey), communities: map[string]string{"1100000000000000001": "explorers"},
		now: func() time.Time { return now },
		deliver: func(_ context.Context, ev events.Event) error {
			if fail != nil {
				return fail
			}
			got = append(got, ev)
			return nil
		}}
	ts := strconv.FormatInt(now.Unix(), 10)

	ping := []byte(`{"id":"1","type":1,"application_id":"2"}`)
	w := post(t, h, ping, sign(ping, ts), ts)
	if w.Code != 200 || w.Body.String() != "{\"type\":1}\n" {
		t.Errorf("PING: %d %q; want PONG", w.Code, w.Body.String())
	}

	cmd := []byte(`{"id":"1300000000000000000","type":2,"guild_id":"1100000000000000001","channel_id":"1100000000000000005",
		"member":{"user":{"id":"1100000000000000009","username":"ann","global_name":"Ann"}},
		"data":{"name":"checkin","options":[{"name":"place","type":3,"value":"Berlin"}]}}`)
	for _, tc := range []struct {
		what, sig, ts string
		body          []byte
		code          int
	}{
		{"no signature", "", ts, cmd, 401},
		{"a signature of other bytes", sign([]byte("x"), ts), ts, cmd, 401},
		{"another timestamp", sign(cmd, ts), strconv.FormatInt(now.Unix()+1, 10), cmd, 401},
		{"an old request replayed", sign(cmd, "1700000000"), "1700000000", cmd, 401},
		{"not JSON", sign([]byte("{"), ts), ts, []byte("{"), 400},
	} {
		if w := post(t, h, tc.body, tc.sig, tc.ts); w.Code != tc.code {
			t.Errorf("%s: %d; want %d", tc.what, w.Code, tc.code)
		}
	}
	if len(got) != 0 {
		t.Fatalf("refused requests delivered %d events", len(got))
	}

	w = post(t, h, cmd, sign(cmd, ts), ts)
	var resp struct {
		Type int `json:"type"`
		Data struct {
			Flags int `json:"flags"`
		} `json:"data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != 200 || resp.Type != 4 || resp.Data.Flags != 64 {
		t.Errorf("command: %d %s; want an ephemeral reply", w.Code, w.Body.String())
	}
	if len(got) != 1 {
		t.Fatalf("delivered %d events; want 1", len(got))
	}
	ev := got[0]
	if ev.Type != "command.used" || ev.Member.ID != "1100000000000000009" || ev.Community != "explorers" ||
		ev.Attrs["command"] != "checkin" || ev.Attrs["option_place"] != "Berlin" || ev.ID != "discord.interaction.1300000000000000000" {
		t.Errorf("event %+v", ev)
	}

	// Not committed: Discord is told to try again, not that it worked.
	fail = errors.New("store down")
	if w := post(t, h, cmd, sign(cmd, ts), ts); w.Code != http.StatusServiceUnavailable {
		t.Errorf("when the event is not committed: %d; want 503", w.Code)
	}
	if w := httptest.NewRecorder(); true {
		h.ServeHTTP(w, httptest.NewRequest("GET", "/interactions", nil))
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("GET: %d", w.Code)
		}
	}
}

// FuzzInteraction feeds the verifier and decoder arbitrary requests: it
// must never panic, never accept a forged signature, and accept every
// correctly signed body it can decode as an event that passes Check.
func FuzzInteraction(f *testing.F) {
	f.Add([]byte(`{"id":"1","type":1}`), "1790000000", []byte{1, 2, 3})
	f.Add([]byte(`{"id":"1300000000000000000","type":2,"member":{"user":{"id":"1100000000000000009"}},"data":{"name":"x","options":[{"name":"a","value":1.5}]}}`), "1790000000", []byte{})
	f.Add([]byte(`{"id":"1300000000000000000","type":3,"user":{"id":"1"},"data":{"custom_id":"b"}}`), "1790000001", []byte{0})
	f.Add([]byte(`{"type":9}`), "abc", []byte{})
	pub := testKey.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, body []byte, ts string, forged []byte) {
		if _, err := verifyInteraction(pub, hex.EncodeToString(forged), ts, body, now); !errors.Is(err, errSignature) {
			t.Fatalf("a forged signature was accepted: %v", err)
		}
		in, err := verifyInteraction(pub, sign(body, ts), ts, body, now)
		if err != nil {
			return
		}
		ev, ok, err := in.event(nil)
		if ok && err == nil {
			if cerr := ev.Check(); cerr != nil {
				t.Fatalf("event %+v fails Check: %v", ev, cerr)
			}
		}
	})
}
