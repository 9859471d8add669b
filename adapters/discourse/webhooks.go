package discourse

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hearth-community/hearth/adapters/internal/inbound"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/platform"
)

// A Discourse webhook POSTs each event as JSON with the headers
// X-Discourse-Event-Type (post, user ...), X-Discourse-Event
// (post_created ...), X-Discourse-Event-Id and X-Discourse-Event-Signature
// ("sha256=" and the hex HMAC-SHA256 of the body keyed with the webhook's
// secret). hearth answers 200 only after the event is committed, so
// Discourse redelivers (from its webhook's event log) what was not
// stored; a delivery already committed is acknowledged again without
// delivering it twice.

// MaxWebhookBody bounds a request body.
const MaxWebhookBody = 1 << 20

// ErrSignature is a delivery whose signature does not verify.
var ErrSignature = errors.New("discourse webhook signature does not verify")

// Verify checks X-Discourse-Event-Signature.
func Verify(secret string, h http.Header, body []byte) error {
	sig, ok := strings.CutPrefix(h.Get("X-Discourse-Event-Signature"), "sha256=")
	if secret == "" || !ok {
		return fmt.Errorf("%w: missing X-Discourse-Event-Signature", ErrSignature)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: signature is not hex", ErrSignature)
	}
	if !hmac.Equal(got, Sign(secret, body)) {
		return ErrSignature
	}
	return nil
}

// Sign computes a delivery's raw signature, as Discourse does.
func Sign(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

type hookUser struct {
	ID        int       `json:"id"`
	Username  string    `json:"username"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

type hookPost struct {
	ID         int       `json:"id"`
	TopicID    int       `json:"topic_id"`
	PostNumber int       `json:"post_number"`
	UserID     int       `json:"user_id"`
	Username   string    `json:"username"`
	Name       string    `json:"name"`
	Raw        string    `json:"raw"`
	CategoryID int       `json:"category_id"`
	TopicTitle string    `json:"topic_title"`
	CreatedAt  time.Time `json:"created_at"`
	Archetype  string    `json:"archetype"`
}

type payload struct {
	Post *hookPost `json:"post"`
	User *hookUser `json:"user"`
	Like *struct {
		Post hookPost `json:"post"`
		User hookUser `json:"user"`
	} `json:"like"`
}

// Decode maps one verified delivery to hearth events: none (and no
// error) for events hearth does not map, such as ping. instance names
// the forum, for event ids; at is when it arrived, for events without
// their own time.
func Decode(h http.Header, body []byte, instance, community string, at time.Time) ([]events.Event, error) {
	event := h.Get("X-Discourse-Event")
	idStr := h.Get("X-Discourse-Event-Id")
	if event == "" || event == "ping" {
		return nil, nil
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("%w: X-Discourse-Event-Id %q is not a delivery id", platform.ErrInvalid, idStr)
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%w: body is not a webhook JSON object: %v", platform.ErrInvalid, err)
	}
	e := events.Event{ID: "discourse." + instance + "." + strconv.FormatInt(id, 10), Source: Type, Community: community, At: at.UTC()}
	member := func(uid int, username, name string) {
		sid := strconv.Itoa(uid)
		e.Member = events.Member{ID: sid, Name: name, Identities: map[string]string{Type: sid}}
		if name == "" {
			e.Member.Name = username
		}
	}
	when := func(t time.Time) {
		if !t.IsZero() {
			e.At = t.UTC()
		}
	}
	switch event {
	case "user_created":
		if p.User == nil {
			return nil, fmt.Errorf("%w: user_created without a user", platform.ErrInvalid)
		}
		member(p.User.ID, p.User.Username, p.User.Name)
		when(p.User.CreatedAt)
		e.Type, e.Attrs = "member.joined", map[string]any{"name": e.Member.Name}
	case "user_destroyed":
		if p.User == nil {
			return nil, fmt.Errorf("%w: user_destroyed without a user", platform.ErrInvalid)
		}
		member(p.User.ID, p.User.Username, p.User.Name)
		e.Type, e.Attrs = "member.left", map[string]any{"reason": "deleted"}
	case "post_created", "post_edited":
		if p.Post == nil {
			return nil, fmt.Errorf("%w: %s without a post", platform.ErrInvalid, event)
		}
		po := p.Post
		if po.Archetype == "private_message" {
			return nil, nil
		}
		member(po.UserID, po.Username, po.Name)
		when(po.CreatedAt)
		pid := strconv.Itoa(po.ID)
		switch {
		case event == "post_edited":
			e.Type, e.Attrs = "post.edited", map[string]any{"post_id": pid, "kind": kind(po)}
		case po.PostNumber == 1:
			e.Type, e.Attrs = "post.created", map[string]any{"post_id": pid, "kind": "topic", "title": po.TopicTitle,
				"length": utf8.RuneCountInString(po.Raw)}
		default:
			e.Type, e.Attrs = "message.posted", map[string]any{"post_id": pid, "thread": strconv.Itoa(po.TopicID), "text": po.Raw,
				"length": utf8.RuneCountInString(po.Raw), "channel": strconv.Itoa(po.CategoryID)}
		}
	case "post_liked":
		if p.Like == nil {
			return nil, fmt.Errorf("%w: post_liked without a like", platform.ErrInvalid)
		}
		member(p.Like.User.ID, p.Like.User.Username, p.Like.User.Name)
		e.Type, e.Attrs = "reaction.added", map[string]any{"emoji": "heart", "target": strconv.Itoa(p.Like.Post.ID),
			"target_member": strconv.Itoa(p.Like.Post.UserID), "channel": strconv.Itoa(p.Like.Post.CategoryID)}
	default:
		return nil, nil
	}
	if e.Member.ID == "0" {
		return nil, fmt.Errorf("%w: %s without a user id", platform.ErrInvalid, event)
	}
	if err := e.Check(); err != nil {
		return nil, fmt.Errorf("%w: %v", platform.ErrInvalid, err)
	}
	return []events.Event{e}, nil
}

func kind(p *hookPost) string {
	if p.PostNumber == 1 {
		return "topic"
	}
	return "reply"
}

// Receiver is the webhook endpoint: an http.Handler that verifies,
// decodes and delivers events one at a time through Handle.
type Receiver struct {
	Secret    string
	Instance  string
	Community string
	Handle    func(context.Context, platform.Delivery) error
	Now       func() time.Time
	Log       *slog.Logger
	// Refused, when set, hears each request refused for its signature
	// (platform.StreamRequest.Refused); otherwise it is logged.
	Refused func(reason string, err error)

	mu   sync.Mutex
	seen inbound.Recent // so a redelivery of a committed event is not delivered again
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err := Verify(rc.Secret, r.Header, body); err != nil {
		switch {
		case rc.Refused != nil:
			rc.Refused("unverified", fmt.Errorf("discourse webhook from %s: %w", r.RemoteAddr, err))
		case rc.Log != nil:
			rc.Log.Warn("discourse webhook refused", "err", err, "remote", r.RemoteAddr)
		}
		http.Error(w, "signature does not verify", http.StatusUnauthorized)
		return
	}
	now := time.Now
	if rc.Now != nil {
		now = rc.Now
	}
	evs, err := Decode(r.Header, body, rc.Instance, rc.Community, now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// The commit runs to its end even when the sender hangs up (Slack
	// waits 3 seconds): a committed event is acknowledged on the retry.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
	defer cancel()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, e := range evs {
		if rc.seen.Has(e.ID) {
			continue
		}
		if err := rc.Handle(ctx, platform.Delivery{Event: e, Cursor: e.ID}); err != nil {
			if rc.Log != nil {
				rc.Log.Error("discourse event not committed; redeliver it from the webhook's events", "event", e.ID, "err", err)
			}
			http.Error(w, "event not stored; retry", http.StatusServiceUnavailable)
			return
		}
		rc.seen.Add(e.ID)
	}
	w.WriteHeader(http.StatusOK)
}

// Stream delivers what members do. Discourse pushes webhooks and keeps
// none for hearth to read back, so without Follow there is nothing to
// deliver; with Follow it serves the webhook endpoint on events_listen
// until ctx ends.
func (c *Conn) Stream(ctx context.Context, req platform.StreamRequest, handle func(context.Context, platform.Delivery) error) error {
	if c.closed.Load() {
		return errClosed
	}
	if !req.Follow {
		return nil
	}
	community := c.community
	if name := req.Communities[c.id]; name != "" {
		community = name
	}
	ep := inbound.Endpoint{Listen: c.a.Listen, Addr: c.listen, Path: c.path, Log: c.log,
		Platform: Type, Name: "the Discourse webhook", Failed: "discourse webhook endpoint",
		Unset: "discourse webhooks are not received: set events_listen and a webhook in the forum to receive them"}
	return ep.Serve(ctx, &Receiver{Secret: c.secret, Instance: c.id, Community: community, Handle: handle, Now: c.a.Now, Log: c.log, Refused: req.Refused})
}
