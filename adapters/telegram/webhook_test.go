package telegram

import (
	"errors"
	"testing"
)

// FuzzWebhook feeds the webhook decoder and the update mapping
// arbitrary bodies: no panic, a wrong secret never gets through, and
// every event made passes Check.
func FuzzWebhook(f *testing.F) {
	f.Add([]byte(`{"update_id":1,"message":{"message_id":1,"date":1,"text":"hi","chat":{"id":-100,"type":"supergroup"},"from":{"id":5,"first_name":"A"}}}`), "s")
	f.Add([]byte(`{"update_id":2,"chat_member":{"chat":{"id":-100,"type":"group"},"from":{"id":5},"date":1,"old_chat_member":{"status":"left","user":{"id":5}},"new_chat_member":{"status":"member","user":{"id":5}}}}`), "s")
	f.Add([]byte(`{"update_id":3,"message_reaction":{"chat":{"id":-100,"type":"supergroup"},"message_id":1,"user":{"id":5},"date":1,"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"👍"}]}}`), "x")
	f.Add([]byte(`{"update_id":4,"chat_member":{"chat":{"id":-100,"type":"supergroup"},"old_chat_member":{"status":"restricted","is_member":true},"new_chat_member":{"status":"kicked","user":{"id":5}}}}`), "s")
	f.Fuzz(func(t *testing.T, body []byte, got string) {
		if got != "secret" {
			if _, err := decodeWebhook("secret", got, body); !errors.Is(err, errSecret) {
				t.Fatalf("secret %q accepted: %v", got, err)
			}
		}
		u, err := decodeWebhook("secret", "secret", body)
		if err != nil {
			return
		}
		for _, ev := range updateEvents(u, 42, map[string]string{"-100": "makers"}, &authors{}) {
			if err := ev.Check(); err != nil {
				t.Fatalf("event %+v: %v", ev, err)
			}
		}
	})
}
