package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is an in-process webhook endpoint that does what the package
// documentation asks of receivers: it checks the signature independently
// (its own HMAC code, not the package's), answers a key it has seen with
// the first answer, and keeps a small community so actions on missing
// channels, members, messages or bans get 404. Scripted answers let a
// test make it fail like a real server.
type receiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server

	mu       sync.Mutex
	script   []scripted
	answers  map[string]string // idempotency key -> id answered
	got      []received        // every accepted delivery, in order
	requests int
	channels map[string]bool
	members  map[string]bool
	banned   map[string]bool
	messages map[string]bool
	nextID   int
}

type scripted struct {
	status     int
	retryAfter string
	body       string
	hang       bool // never answer (until the client gives up)
}

type received struct {
	Header  http.Header
	Body    []byte
	Payload map[string]any
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: secret, answers: map[string]string{}, channels: map[string]bool{}, members: map[string]bool{},
		banned: map[string]bool{}, messages: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) fail(s ...scripted) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.script = append(r.script, s...)
}

func (r *receiver) deliveries() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func answer(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests++
	var next *scripted
	if len(r.script) > 0 {
		s := r.script[0]
		r.script = r.script[1:]
		next = &s
	}
	r.mu.Unlock()
	if next != nil {
		if next.hang {
			<-req.Context().Done()
			return
		}
		if next.retryAfter != "" {
			w.Header().Set("Retry-After", next.retryAfter)
		}
		w.WriteHeader(next.status)
		_, _ = io.WriteString(w, next.body)
		return
	}
	if req.Method != http.MethodPost || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		answer(w, http.StatusBadRequest, map[string]string{"error": "want a JSON POST"})
		return
	}
	ts := req.Header.Get("X-Hearth-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		answer(w, http.StatusUnauthorized, map[string]string{"error": "stale or missing timestamp"})
		return
	}
	m := hmac.New(sha256.New, []byte(r.secret))
	m.Write([]byte(ts + "." + string(body)))
	if req.Header.Get("X-Hearth-Signature") != "v1="+hex.EncodeToString(m.Sum(nil)) {
		answer(w, http.StatusUnauthorized, map[string]string{"error": "bad signature"})
		return
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		answer(w, http.StatusBadRequest, map[string]string{"error": "not JSON"})
		return
	}
	key := req.Header.Get("Idempotency-Key")
	if key == "" || key != p["id"] {
		answer(w, http.StatusBadRequest, map[string]string{"error": "Idempotency-Key must equal the payload id"})
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if id, ok := r.answers[key]; ok {
		answer(w, http.StatusOK, map[string]string{"id": id})
		return
	}
	str := func(k string) string { s, _ := p[k].(string); return s }
	notFound := func(what string) { answer(w, http.StatusNotFound, map[string]string{"error": "no such " + what}) }
	id := ""
	switch str("action") {
	case "channel_message":
		if !r.channels[str("channel")] {
			notFound("channel")
			return
		}
		r.nextID++
		id = fmt.Sprintf("m%d", r.nextID)
		r.messages[id] = true
	case "direct_message", "mute", "unmute", "role_add", "role_remove":
		if !r.members[str("member")] {
			notFound("member")
			return
		}
	case "kick":
		if !r.members[str("member")] {
			notFound("member")
			return
		}
		delete(r.members, str("member"))
	case "ban":
		delete(r.members, str("member"))
		r.banned[str("member")] = true
	case "unban":
		if !r.banned[str("member")] {
			notFound("ban")
			return
		}
		delete(r.banned, str("member"))
	case "message_delete":
		if !r.messages[str("message")] {
			notFound("message")
			return
		}
		delete(r.messages, str("message"))
	default:
		answer(w, http.StatusUnprocessableEntity, map[string]string{"error": "unknown action"})
		return
	}
	if id == "" {
		id = "ok-" + key
	}
	r.answers[key] = id
	r.got = append(r.got, received{Header: req.Header.Clone(), Body: body, Payload: p})
	answer(w, http.StatusOK, map[string]string{"id": id})
}
