// Package webhook connects hearth to anything that speaks HTTP: actions
// go out as signed JSON POSTs, and events come in as signed POSTs to
// `hearth run`.
//
// Outbound, each action (a campaign's send with channel = "webhook", a
// channel or direct message, a role change ...) is one POST of a JSON
// Payload to the block's url with the headers
//
//	Content-Type:       application/json; charset=utf-8
//	X-Hearth-Timestamp: UNIX-SECONDS
//	X-Hearth-Signature: v1=HEX(HMAC-SHA256(secret, UNIX-SECONDS + "." + BODY))
//	Idempotency-Key:    the action's outbox key (also the payload's id)
//	X-Hearth-Action:    the action, such as direct_message
//
// The body is the same bytes on every retry; only the timestamp and
// signature change. A 2xx answer is success. 408, 429 and 5xx answers
// and network failures are temporary: the outbox retries with the same
// key after the Retry-After the receiver sent (or its own backoff).
// Every other 4xx is permanent: 400/422 invalid, 404/410 not found, 409
// conflict, the rest refused; the action goes to the dead letters.
//
// Inbound, a block with inbound = true makes `hearth run` accept events
// at POST /v1/inbound/webhook/NAME, signed the same way with the same
// secret (see Verifier). The body is one JSON event or JSON lines, as for
// POST /v1/events.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/hearth-community/hearth/adapters/internal/ledger"
	"github.com/hearth-community/hearth/adapters/internal/post"
	"github.com/hearth-community/hearth/adapters/internal/setting"
	"github.com/hearth-community/hearth/adapters/internal/shared"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// Type is the platform type name.
const Type = "webhook"

// DefaultTimeout bounds one delivery attempt.
const DefaultTimeout = 10 * time.Second

// Spec describes the settings of a webhook platform block.
func Spec() config.PlatformSpec {
	return config.PlatformSpec{
		SendsOnly: true, // hearth plans nothing here: plan needs no credentials
		Type:      Type,
		Doc: "A generic HTTP endpoint. Actions are POSTed to url as JSON signed with HMAC-SHA256 " +
			"(X-Hearth-Timestamp, X-Hearth-Signature: v1=hex of HMAC(secret, timestamp + \".\" + body)) with an Idempotency-Key header; " +
			"408, 429 and 5xx answers are retried through the outbox honouring Retry-After, other 4xx answers are permanent. " +
			"With inbound = true, `hearth run` also takes events signed the same way at POST /v1/inbound/webhook/NAME.",
		Example: `variable "crm_webhook_secret" {
  type      = string
  sensitive = true
}

platform "webhook" "crm" {
  url     = "https://crm.example.com/hooks/hearth"
  secret  = var.crm_webhook_secret
  inbound = true
}`,
		Attrs: []config.Attr{
			{Name: "url", Kind: config.KindSetting, Doc: "Where actions are POSTed (http or https). Without it the block only receives events."},
			{Name: "secret", Kind: config.KindSetting, Required: true, Secret: true, Doc: "Shared HMAC-SHA256 secret that signs outbound requests and verifies inbound ones."},
			{Name: "timeout", Kind: config.KindDuration, Doc: "Longest wait for one delivery attempt; a timeout is retried.", Default: "10s"},
			{Name: "inbound", Kind: config.KindBool, Doc: "Accept signed events at POST /v1/inbound/webhook/NAME on `hearth run`.", Default: "false"},
			{Name: "replay_window", Kind: config.KindDuration, Doc: "Inbound: how far a request's timestamp may be from the clock; a signature is accepted once inside it.", Default: "5m"},
		},
	}
}

// Adapter is the webhook platform type.
type Adapter struct {
	// Client sends the requests; nil is a client with the block's timeout.
	Client *http.Client
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	ledgers shared.Map[ledger.Ledger] // by block name and url: shared by its Conns
}

// New returns the adapter.
func New() *Adapter { return &Adapter{} }

var _ platform.Adapter = (*Adapter)(nil)

// Type is "webhook".
func (a *Adapter) Type() string { return Type }

// Spec describes the settings.
func (a *Adapter) Spec() config.PlatformSpec { return Spec() }

// Open reads the settings; it does not contact the endpoint.
func (a *Adapter) Open(ctx context.Context, req platform.OpenRequest) (platform.Conn, error) {
	rawURL, err := platform.SettingString(req.Settings, "url", "")
	if err != nil {
		return nil, err
	}
	if rawURL != "" {
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: setting url must be an http or https URL", platform.ErrInvalid)
		}
	}
	secret, err := platform.SettingString(req.Settings, "secret", "")
	if err != nil {
		return nil, err
	}
	if secret == "" {
		return nil, fmt.Errorf("%w: %w (set it from a sensitive variable)", platform.ErrInvalid, errNoSecret)
	}
	timeout, err := durationSetting(req, "timeout", DefaultTimeout)
	if err != nil {
		return nil, err
	}
	inbound, err := platform.SettingBool(req.Settings, "inbound", false)
	if err != nil {
		return nil, err
	}
	window, err := durationSetting(req, "replay_window", DefaultReplayWindow)
	if err != nil {
		return nil, err
	}
	if rawURL == "" && !inbound {
		return nil, fmt.Errorf("%w: a webhook block needs url (to send actions), inbound = true (to take events), or both", platform.ErrInvalid)
	}
	log := req.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := a.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	now := a.Now
	if now == nil {
		now = time.Now
	}
	lg := a.ledgers.Get(req.Name+"\x00"+rawURL, nil)
	c := &Conn{url: rawURL, secret: []byte(secret), client: client, now: now, log: log, ledger: lg}
	if inbound {
		c.verifier = &Verifier{Secret: []byte(secret), Window: window}
	}
	return c, nil
}

func durationSetting(req platform.OpenRequest, name string, def time.Duration) (time.Duration, error) {
	return setting.Positive(req.Settings, name, def)
}

// Conn is an open webhook block. It is safe for concurrent use.
type Conn struct {
	url      string
	secret   []byte
	client   *http.Client
	now      func() time.Time
	log      *slog.Logger
	ledger   *ledger.Ledger
	verifier *Verifier // nil unless inbound

	mu     sync.Mutex
	closed bool
}

var _ platform.Performer = (*Conn)(nil)

// Payload is the JSON body of an outbound action. Fields an action does
// not use are left out.
type Payload struct {
	// ID is the idempotency key, also sent as Idempotency-Key: a
	// receiver that has seen it must answer 2xx and do nothing.
	ID     string `json:"id"`
	Type   string `json:"type"` // always "hearth.action"
	Action string `json:"action"`
	// Community, Channel, Member, Role and Message are the ids hearth
	// knows the objects by: for a webhook platform, the hearth names
	// (community and channel blocks, the member's id).
	Community       string `json:"community"`
	Channel         string `json:"channel,omitempty"`
	Member          string `json:"member,omitempty"`
	Role            string `json:"role,omitempty"`
	Message         string `json:"message,omitempty"`
	Text            string `json:"text,omitempty"`
	Reason          string `json:"reason,omitempty"`
	DurationSeconds int64  `json:"duration_seconds,omitempty"`
}

// Answer is what a receiver may send back; every field is optional.
type Answer struct {
	// ID is the id of what the receiver made (a ticket, a message).
	ID    string `json:"id"`
	Error string `json:"error"`
}

// Close ends the Conn.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Perform POSTs the action once per key. The key is remembered for the
// life of the process (a repeat answers Duplicate without a request);
// across restarts the receiver deduplicates by Idempotency-Key.
func (c *Conn) Perform(ctx context.Context, req platform.PerformRequest) (platform.PerformResponse, error) {
	if c.isClosed() {
		return platform.PerformResponse{}, errors.New("webhook: the connection is closed")
	}
	if err := platform.CheckPerform(req); err != nil {
		return platform.PerformResponse{}, err
	}
	if c.url == "" {
		return platform.PerformResponse{}, fmt.Errorf("this webhook block has no url, so it only receives events: %w", platform.ErrUnsupported)
	}
	if err := ctx.Err(); err != nil {
		return platform.PerformResponse{}, err
	}
	body, err := json.Marshal(Payload{ID: req.Key, Type: "hearth.action", Action: string(req.Action), Community: req.Community,
		Channel: req.Channel, Member: req.Member, Role: req.Role, Message: req.Message, Text: req.Text, Reason: req.Reason,
		DurationSeconds: int64(req.Duration / time.Second)})
	if err != nil {
		return platform.PerformResponse{}, err
	}
	return c.ledger.Do(ctx, req.Key, ledger.Fingerprint(req), func() (string, error) {
		return c.deliver(ctx, req, body)
	})
}

func (c *Conn) deliver(ctx context.Context, req platform.PerformRequest, body []byte) (string, error) {
	ts := c.now().Unix()
	h := http.Header{}
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, Sign(c.secret, ts, body))
	h.Set(HeaderIdempotency, req.Key)
	h.Set(HeaderAction, string(req.Action))
	h.Set("User-Agent", "hearth-webhook/1")
	resp, err := post.Do(ctx, c.client, http.MethodPost, c.url, body, h)
	if err != nil {
		return "", fmt.Errorf("webhook %s: %w", req.Action, err)
	}
	var ans Answer
	_ = json.Unmarshal(resp.Body, &ans) // the answer is optional
	if resp.Status < 200 || resp.Status > 299 {
		detail := ans.Error
		if detail == "" {
			detail = post.Snippet(resp.Body)
		}
		return "", post.StatusError(resp, c.now(), "webhook answered", detail)
	}
	c.log.Debug("webhook delivered", "action", req.Action, "key", req.Key, "status", resp.Status)
	if ans.ID != "" {
		return ans.ID, nil
	}
	return req.Key, nil
}

// TakesInbound reports whether the block takes events (inbound = true);
// hearth run announces only those.
func (c *Conn) TakesInbound() bool { return c.verifier != nil }

// VerifyInbound checks a request to the block's inbound endpoint; commit
// is to be called once its events are durably stored, after which the
// same signed request is refused as a replay. Errors carry HTTPStatus:
// 401 for a missing, stale or wrong signature, 409 for a replay, 404
// when the block does not take events.
func (c *Conn) VerifyInbound(h http.Header, body []byte) (commit func() bool, err error) {
	if c.verifier == nil {
		return nil, &VerifyError{Status: http.StatusNotFound, Msg: "this webhook block does not take events (set inbound = true)"}
	}
	if c.isClosed() {
		return nil, &VerifyError{Status: http.StatusServiceUnavailable, Msg: "the webhook connection is closed"}
	}
	key, err := c.verifier.Check(h, body, c.now())
	if err != nil {
		return nil, err
	}
	return func() bool { return c.verifier.Accept(key, c.now()) }, nil
}
