package daemon_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/state"
)

// sentKeys is an outbox sender that records what it sends.
type sentKeys struct {
	mu   sync.Mutex
	keys []string
}

func (s *sentKeys) Send(_ context.Context, a state.Action) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, a.Key)
	return nil
}

func (s *sentKeys) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.keys...)
}

const welcomeDM = `
campaign "welcome" {
  enter_on = "member.joined"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hello
    }
  }
}
template "hello" {
  text = { en = "Welcome!" }
}
`

// A direct message queued while the member was in the community, who
// left before it went out, is skipped by the running daemon: never sent,
// listed by GET /v1/outbox?status=skipped. Another member's goes.
func TestDaemonSkipsMessagesToMembersWhoLeft(t *testing.T) {
	sender := &sentKeys{}
	f := start(t, welcomeDM, "", func(o *daemon.Options) {
		o.Sender = sender
		o.DeliverEvery = 20 * time.Millisecond
	})
	now := time.Now().UTC().Format(time.RFC3339)
	body := `{"id":"j1","type":"member.joined","member":"ann","at":"` + now + `"}
{"id":"l1","type":"member.left","member":"ann","at":"` + now + `"}
{"id":"j2","type":"member.joined","member":"bob","at":"` + now + `"}`
	if code, out := post(t, f, "/v1/events", body, ""); code != http.StatusAccepted {
		t.Fatalf("post: %d %v", code, out)
	}
	// The platform has the message a moment before the outbox records it
	// as sent: wait for the record, not only for the platform.
	var skipped, sent []any
	waitFor(t, func() bool {
		_, out := get(t, f, "/v1/outbox?status=skipped")
		skipped, _ = out["entries"].([]any)
		_, out = get(t, f, "/v1/outbox?status=sent")
		sent, _ = out["entries"].([]any)
		return len(skipped) == 1 && len(sent) == 1 && len(sender.list()) == 1
	})
	e := skipped[0].(map[string]any)
	if e["member"] != "ann" || e["kind"] != "send.dm" || e["last_error"] != "member left the community before it was sent" {
		t.Errorf("skipped entry %v; want Ann's direct message, saying she left", e)
	}
	// Each finished entry says when it finished, the skipped one and the
	// sent one alike: at delivery, after the events were posted.
	posted, _ := time.Parse(time.RFC3339, now)
	for _, x := range []map[string]any{e, sent[0].(map[string]any)} {
		s, _ := x["finished_at"].(string)
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || at.Before(posted) || time.Since(at) > time.Minute {
			t.Errorf("%s entry finished_at %q; want the time it was delivered, just now", x["status"], x["finished_at"])
		}
	}
	if got := sender.list(); len(got) != 1 || got[0] != "campaign/welcome/bob/1/1/hello" {
		t.Errorf("sent %q; want only Bob's welcome", got)
	}
}
