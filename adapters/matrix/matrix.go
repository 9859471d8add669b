package matrix

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/platform"
)

// DefaultPageSize is the largest page Read returns when the request does
// not say.
const DefaultPageSize = 50

// Adapter is the Matrix platform type. Its zero value is ready to use.
// Conns opened from one Adapter share a lock per idempotency key, so
// concurrent calls with one key in one process perform once.
type Adapter struct {
	// HTTPClient makes the requests; nil means a client with the
	// timeout setting.
	HTTPClient *http.Client

	mu   sync.Mutex
	keys map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

// New returns the Matrix adapter.
func New() *Adapter { return &Adapter{} }

var _ platform.Adapter = (*Adapter)(nil)

// Type is "matrix".
func (a *Adapter) Type() string { return Type }

// Spec describes the settings.
func (a *Adapter) Spec() config.PlatformSpec { return Spec() }

// Open checks the settings and asks the homeserver who the token
// belongs to (GET /account/whoami), so a wrong token fails here.
func (a *Adapter) Open(ctx context.Context, req platform.OpenRequest) (platform.Conn, error) {
	hs, err := platform.SettingString(req.Settings, "homeserver", "")
	if err != nil {
		return nil, err
	}
	token, err := platform.SettingString(req.Settings, "access_token", "")
	if err != nil {
		return nil, err
	}
	u, perr := url.Parse(hs)
	if hs == "" || perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: homeserver %q is not an http(s) URL", platform.ErrInvalid, hs)
	}
	if token == "" {
		return nil, platform.EmptySetting("access_token", "the bot account's access token")
	}
	maxWait, err := durationSetting(req, "max_retry_wait", 10*time.Second)
	if err != nil {
		return nil, err
	}
	timeout, err := durationSetting(req, "timeout", 30*time.Second)
	if err != nil {
		return nil, err
	}
	if timeout == 0 {
		// Every request would time out at once.
		return nil, fmt.Errorf("%w: setting timeout must be a positive duration", platform.ErrInvalid)
	}
	massMentions, err := platform.SettingBool(req.Settings, "mass_mentions", false)
	if err != nil {
		return nil, err
	}
	kickOnLeave, err := platform.SettingBool(req.Settings, "kick_on_leave", false)
	if err != nil {
		return nil, err
	}
	cli, err := mautrix.NewClient(hs, "", token)
	if err != nil {
		return nil, fmt.Errorf("%w: homeserver: %v", platform.ErrInvalid, err)
	}
	// hearth classifies and retries itself: mautrix's own retries and
	// 429 sleeps would hide rate limits from the outbox.
	cli.DefaultHTTPRetries = 0
	cli.IgnoreRateLimit = true
	cli.StateStore = nil
	cli.Client = a.HTTPClient
	if cli.Client == nil {
		cli.Client = &http.Client{Timeout: timeout + 35*time.Second}
	}
	log := req.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Conn{a: a, cli: cli, log: log, maxWait: maxWait, timeout: timeout, massMentions: massMentions, kickOnLeave: kickOnLeave}
	who, err := call(ctx, c, func(ctx context.Context) (*mautrix.RespWhoami, error) { return cli.Whoami(ctx) })
	if err != nil {
		return nil, fmt.Errorf("asking %s who the access token belongs to: %w", u.Host, err)
	}
	cli.UserID = who.UserID
	cli.DeviceID = who.DeviceID
	c.me = who.UserID
	c.server = c.me.Homeserver()
	return c, nil
}

func durationSetting(req platform.OpenRequest, name string, def time.Duration) (time.Duration, error) {
	s, err := platform.SettingString(req.Settings, name, "")
	if err != nil || s == "" {
		return def, err
	}
	d, err := durations.Parse(s)
	if err != nil {
		return def, fmt.Errorf("%w: %s: %v", platform.ErrInvalid, name, err)
	}
	return d, nil
}

// Conn is one bot session. It is safe for concurrent use.
type Conn struct {
	a       *Adapter
	cli     *mautrix.Client
	log     *slog.Logger
	me      id.UserID
	server  string
	maxWait time.Duration
	timeout time.Duration
	// massMentions lets sent messages notify by "@room" and names in the
	// body.
	massMentions bool
	// kickOnLeave kicks whoever leaves a community's space from its rooms
	// too, when the stream sees them go.
	kickOnLeave bool

	mu     sync.Mutex
	closed bool
	// noted are the kick_on_leave failures already logged.
	noted map[string]bool
}

var (
	_ platform.Reader    = (*Conn)(nil)
	_ platform.Applier   = (*Conn)(nil)
	_ platform.Importer  = (*Conn)(nil)
	_ platform.Performer = (*Conn)(nil)
	_ platform.Streamer  = (*Conn)(nil)
	_ platform.Deriver   = (*Conn)(nil)
)

// UserID is the bot's Matrix user id.
func (c *Conn) UserID() string { return string(c.me) }

// Close ends the Conn; later calls fail. The access token stays valid:
// it belongs to the operator, not to this Conn.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

var errClosed = fmt.Errorf("%w: the matrix connection is closed", platform.ErrInvalid)

func (c *Conn) check(ctx context.Context) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return errClosed
	}
	return ctx.Err()
}

// call runs one request, waiting out short rate limits, and classifies
// its failure.
func call[T any](ctx context.Context, c *Conn, f func(context.Context) (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		rctx, cancel := context.WithTimeout(ctx, c.timeout)
		v, err := f(rctx)
		cancel()
		if err == nil {
			return v, nil
		}
		if wait, limited := rateLimited(err); limited {
			if wait <= c.maxWait && attempt < 10 {
				c.log.Debug("rate limited; waiting as the homeserver asked", "retry_after", wait)
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return v, ctx.Err()
				case <-t.C:
				}
				continue
			}
			return v, &platform.RateLimitError{After: wait, Err: errors.New("the homeserver answered 429 M_LIMIT_EXCEEDED")}
		}
		if ctx.Err() != nil {
			return v, ctx.Err()
		}
		return v, classify(err)
	}
}

// do is call for requests without a result.
func do(ctx context.Context, c *Conn, f func(context.Context) error) error {
	_, err := call(ctx, c, func(ctx context.Context) (struct{}, error) { return struct{}{}, f(ctx) })
	return err
}

// rateLimited reads a 429's retry_after_ms (the spec's field; the
// Retry-After header as a fallback).
func rateLimited(err error) (time.Duration, bool) {
	var he mautrix.HTTPError
	if !errors.As(err, &he) || he.Response == nil || he.Response.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if he.RespError != nil {
		if ms, ok := he.RespError.ExtraData["retry_after_ms"].(float64); ok && ms >= 0 {
			return time.Duration(ms) * time.Millisecond, true
		}
	}
	if s := he.Response.Header.Get("Retry-After"); s != "" {
		if d, err := time.ParseDuration(strings.TrimSpace(s) + "s"); err == nil {
			return d, true
		}
	}
	return time.Second, true
}

// classify maps the homeserver's errors onto platform errors.
func classify(err error) error {
	var he mautrix.HTTPError
	if !errors.As(err, &he) || he.Response == nil {
		return err // a network failure: unmarked, so temporary
	}
	code, msg := "", he.Error()
	if he.RespError != nil {
		code = he.RespError.ErrCode
	}
	status := he.Response.StatusCode
	switch {
	case code == "M_NOT_FOUND" || status == http.StatusNotFound:
		return fmt.Errorf("%w: %s", platform.ErrNotFound, msg)
	case code == "M_UNKNOWN_TOKEN" || code == "M_MISSING_TOKEN" || status == http.StatusUnauthorized:
		return platform.Unauthorized(platform.Permanent(fmt.Errorf("the homeserver refused the access token: %s", msg)), "access_token")
	case code == "M_FORBIDDEN" || status == http.StatusForbidden:
		return platform.Permanent(fmt.Errorf("forbidden: %s", msg))
	case code == "M_TOO_LARGE" || status == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("%w: too large: %s", platform.ErrInvalid, msg)
	case status == http.StatusBadRequest:
		return fmt.Errorf("%w: %s", platform.ErrInvalid, msg)
	case status >= 500:
		return platform.Temporary(errors.New(msg), 0)
	}
	return platform.Permanent(errors.New(msg))
}

// isNotJoined reports an error that means the bot is not in a room or
// the room does not exist: the homeserver answers 403 for rooms one is
// not in, 404 or 400 for ids it does not know.
func isNotJoined(err error) bool {
	var he mautrix.HTTPError
	if errors.Is(err, platform.ErrNotFound) {
		return true
	}
	if errors.As(err, &he) && he.Response != nil {
		s := he.Response.StatusCode
		return s == http.StatusForbidden || s == http.StatusNotFound || s == http.StatusBadRequest
	}
	var pe *platform.PermanentError
	return errors.As(err, &pe) && strings.Contains(pe.Error(), "forbidden")
}

// Custom state event types hearth keeps in spaces.
var (
	typeCommunity  = event.Type{Type: "org.hearth.community", Class: event.StateEventType}
	typeRole       = event.Type{Type: "org.hearth.role", Class: event.StateEventType}
	typeAssignment = event.Type{Type: "org.hearth.role_assignment", Class: event.StateEventType}
	typeMute       = event.Type{Type: "org.hearth.mute", Class: event.StateEventType}
)

// state reads a room's whole state. A room the bot is not in, or that
// does not exist, is ErrNotFound.
func (c *Conn) state(ctx context.Context, room id.RoomID) (mautrix.RoomStateMap, error) {
	if !validRoomID(room) {
		return nil, fmt.Errorf("%w: %q is not a Matrix room id", platform.ErrNotFound, room)
	}
	st, err := call(ctx, c, func(ctx context.Context) (mautrix.RoomStateMap, error) { return c.cli.State(ctx, room) })
	if err != nil {
		if isNotJoined(err) {
			return nil, fmt.Errorf("%w: room %s (the bot is not in it)", platform.ErrNotFound, room)
		}
		return nil, err
	}
	return st, nil
}

func validRoomID(r id.RoomID) bool {
	s := string(r)
	return strings.HasPrefix(s, "!") && strings.Contains(s, ":") && !strings.ContainsAny(s, "/ ")
}

func validUserID(u string) bool {
	return strings.HasPrefix(u, "@") && strings.Contains(u, ":") && !strings.ContainsAny(u, "/ |")
}

// raw is the content of a state event, nil when missing or emptied
// (hearth and the spec treat {} as removed).
func raw(st mautrix.RoomStateMap, t event.Type, key string) map[string]any {
	evs := st[t]
	if evs == nil {
		return nil
	}
	ev := evs[key]
	if ev == nil || len(ev.Content.Raw) == 0 {
		return nil
	}
	return ev.Content.Raw
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func num(m map[string]any, k string) int64 {
	switch v := m[k].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case int:
		return int64(v)
	}
	return 0
}

func (c *Conn) putState(ctx context.Context, room id.RoomID, t event.Type, key string, content any) error {
	return do(ctx, c, func(ctx context.Context) error {
		_, err := c.cli.SendStateEvent(ctx, room, t, key, content)
		return err
	})
}

// muteKey is the state_key of a member's org.hearth.mute: not the user id
// itself, since Matrix lets only the user set state keyed by their id.
func muteKey(user string) string { return "mute|" + user }
