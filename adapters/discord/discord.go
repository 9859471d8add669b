// Package discord is hearth's Discord platform: a bot that manages a
// server's categories, channels, roles and member roles, pins the house
// rules, performs actions (messages, direct messages, role changes,
// timeouts, kicks, bans) and reads what members do.
//
// It is built on github.com/bwmarrin/discordgo: its REST methods, types,
// request machinery and per-route rate-limit buckets. Requests go to the
// api_url setting (Discord's own by default), so tests point the adapter
// at discordfake, an in-process Discord API.
//
// How Discord concepts map onto hearth's kinds:
//
//   - A community is a guild (server). Bots cannot create servers, so a
//     community is adopted with an import block naming the guild id;
//     Apply only renames it or changes its description.
//   - A channel is a text channel. Its category is the name of its
//     parent category channel; a category hearth names and the guild
//     lacks is created. Categories themselves are not listed as channels.
//     private is an overwrite denying View Channel to @everyone; hearth
//     changes only that bit and leaves every other overwrite alone.
//   - Positions change through the bulk position routes (PATCH
//     /guilds/{id}/channels and /roles), which Discord applies at once,
//     so two changes never interleave into a half-moved list.
//   - A role's permissions are names (permissionNames); bits hearth has
//     no name for are kept as they are on update. @everyone is not
//     listed: it cannot be created, renamed or deleted. Discord counts
//     role positions from @everyone at 0; hearth's count from 0 above it
//     (Discord's 1), higher being higher in the member list.
//   - A role assignment's id is "USER:ROLE".
//   - A pin is a message the bot posted and pinned; its id is the
//     message id.
//
// Rate limits: discordgo keeps a bucket per route from the
// X-RateLimit-* headers. A wait shorter than the max_wait setting is
// waited out; a longer one, and every 429, comes back as a
// platform.RateLimitError with the delay Discord asked for (Global set
// for the global limit), so the outbox retries at the right time.
package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	neturl "net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/hearth-community/hearth/adapters/internal/ledger"
	"github.com/hearth-community/hearth/adapters/internal/setting"
	"github.com/hearth-community/hearth/adapters/internal/shared"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// Type is the platform type name used in `platform "discord" "NAME"`.
const Type = "discord"

// DefaultAPIURL is Discord's HTTP API.
const DefaultAPIURL = "https://discord.com/api/v10"

// Mention is how a message mentions the user whose id (a snowflake) is
// id: <@id>, which notifies them (allowed_mentions lets users be
// pinged). "" for an id that is no snowflake, which would mention no one.
func Mention(id string) string {
	if id == "" || strings.Trim(id, "0123456789") != "" {
		return ""
	}
	return "<@" + id + ">"
}

// Spec describes the settings of a discord platform block.
func Spec() config.PlatformSpec {
	return config.PlatformSpec{
		Moderation: config.ModerationLimits{
			Mute: config.DurationLimit{Max: maxTimeout, Why: "Discord timeouts last at most 28 days; for longer, ban (a Discord ban has no end date: it lasts until lifted on Discord)"},
			Ban:  config.DurationLimit{Endless: "Discord bans have no end date, and hearth does not lift them: ban without a duration (it lasts until lifted on Discord), or mute (a timeout) for up to 28 days"},
		},
		Type:        Type,
		Permissions: permissionNamesSorted(),
		Mention:     config.TextMention(Mention),
		// What allowed_mentions keeps quiet while mass_mentions is off.
		CrowdMentions: config.FindAll(crowdMention),
		Doc:           "A Discord bot: manages a server's categories, channels, roles and member roles, pins house rules, sends messages and DMs, times out, kicks and bans, and reads members' messages and joins (and slash-command interactions when interactions_listen is set). Adopt the server with an import block: bots cannot create servers.",
		Example: `variable "discord_token" {
  type      = string
  sensitive = true
}

variable "discord_public_key" {
  type = string
}

platform "discord" "main" {
  token      = var.discord_token
  public_key = var.discord_public_key
}

community "explorers" {
  title    = "Explorers"
  platform = platform.discord.main
}

import {
  to = "community.explorers"
  id = "1100000000000000001" # the server (guild) id
}`,
		ChannelNames: ChannelNames(),
		Unsupported: map[string]string{
			"channel.purpose": "a Discord channel has no purpose apart from its topic; use topic",
			"channel.color":   "a Discord channel has no color",
		},
		Attrs: []config.Attr{
			{Name: "token", Kind: config.KindSetting, Required: true, Secret: true, Doc: "The bot's token (Developer Portal, Bot, Reset Token). Give it from a sensitive variable."},
			{Name: "public_key", Kind: config.KindSetting, Doc: "The application's public key (Developer Portal, General Information), hex; needed to verify interactions."},
			{Name: "guilds", Kind: config.KindStringList, Doc: "Server (guild) ids hearth may read and stream; empty means every server the bot is in."},
			{Name: "api_url", Kind: config.KindSetting, Doc: "Base URL of Discord's HTTP API; change it only to test against a fake.", Default: DefaultAPIURL},
			{Name: "gateway", Kind: config.KindBool, Doc: "Also connect to the gateway while `hearth run` runs, for joins, leaves, messages and reactions as they happen (needs the Server Members and Message Content intents); without it only messages and joins are read, by polling.", Default: "false"},
			{Name: "interactions_listen", Kind: config.KindSetting, Doc: "Address (host:port) where `hearth run` serves the Interactions Endpoint URL at /interactions, verifying Discord's Ed25519 signatures; empty serves none.", Default: ""},
			{Name: "mass_mentions", Kind: config.KindBool, Doc: "Let messages hearth sends ping @everyone, @here and roles. Off, only user mentions ping: templates quote names and messages members wrote, and a member named \"@everyone\" would otherwise ping the whole server through the bot.", Default: "false"},
			{Name: "poll_interval", Kind: config.KindDuration, Doc: "How often `hearth run` asks Discord for new messages and members.", Default: "5s"},
			{Name: "max_wait", Kind: config.KindDuration, Doc: "Longest rate-limit wait done in place; a longer one is handed back to the outbox to retry later.", Default: "2s"},
		},
	}
}

// Adapter is the Discord platform type.
type Adapter struct {
	// HTTPClient, when set, sends the requests (tests may count them);
	// nil uses a client with a 20 s timeout.
	HTTPClient *http.Client

	// ListenReadTimeout, when more than 0, is how long the interactions endpoint
	// waits for a whole request (inbound.ReadTimeout otherwise): tests
	// set it short to see a client that stalls cut off.
	ListenReadTimeout time.Duration

	// ledgers are the idempotency keys per bot (token and API URL),
	// shared by the Conns this adapter opens.
	ledgers shared.Map[ledger.Ledger]
}

// New returns the Discord adapter.
func New() *Adapter { return &Adapter{} }

var _ platform.Adapter = (*Adapter)(nil)

// Type is "discord".
func (a *Adapter) Type() string { return Type }

// Spec describes the settings.
func (a *Adapter) Spec() config.PlatformSpec { return Spec() }

// Open checks the settings and asks Discord who the bot is, so a wrong
// token fails here with a clear message.
func (a *Adapter) Open(ctx context.Context, req platform.OpenRequest) (platform.Conn, error) {
	log := req.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	token, err := platform.SettingString(req.Settings, "token", "")
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, platform.EmptySetting("token", "the bot's token (Developer Portal, Bot, Reset Token)")
	}
	token = strings.TrimPrefix(token, "Bot ")
	apiURL, err := platform.SettingString(req.Settings, "api_url", DefaultAPIURL)
	if err != nil {
		return nil, err
	}
	apiURL = strings.TrimRight(apiURL, "/")
	if !strings.HasPrefix(apiURL, "https://") && !strings.HasPrefix(apiURL, "http://") {
		return nil, fmt.Errorf("%w: setting api_url %q is not an http(s) URL", platform.ErrInvalid, apiURL)
	}
	keyHex, err := platform.SettingString(req.Settings, "public_key", "")
	if err != nil {
		return nil, err
	}
	var pub ed25519.PublicKey
	if keyHex != "" {
		b, err := hex.DecodeString(keyHex)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: setting public_key must be %d bytes in hex, as the Developer Portal shows it", platform.ErrInvalid, ed25519.PublicKeySize)
		}
		pub = b
	}
	guilds, err := setting.List(req.Settings, "guilds")
	if err != nil {
		return nil, err
	}
	listen, err := platform.SettingString(req.Settings, "interactions_listen", "")
	if err != nil {
		return nil, err
	}
	if listen != "" && pub == nil {
		return nil, fmt.Errorf("%w: interactions_listen needs public_key to verify Discord's signatures", platform.ErrInvalid)
	}
	poll, err := setting.Duration(req.Settings, "poll_interval", 5*time.Second)
	if err != nil {
		return nil, err
	}
	if poll < time.Second {
		return nil, fmt.Errorf("%w: setting poll_interval must be at least 1s", platform.ErrInvalid)
	}
	maxWait, err := setting.Duration(req.Settings, "max_wait", 2*time.Second)
	if err != nil {
		return nil, err
	}

	s, err := discordgo.New("Bot " + token)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	inner := http.DefaultTransport
	timeout := 20 * time.Second
	if a.HTTPClient != nil {
		if a.HTTPClient.Transport != nil {
			inner = a.HTTPClient.Transport
		}
		timeout = a.HTTPClient.Timeout
	}
	s.Client = &http.Client{Timeout: timeout, Transport: &transport{base: apiURL + "/", inner: inner}}
	// 429s come back to hearth rather than being slept on inside a call.
	s.ShouldRetryOnRateLimit = false
	s.StateEnabled = false
	s.LogLevel = quiet
	gateway, err := platform.SettingBool(req.Settings, "gateway", false)
	if err != nil {
		return nil, err
	}
	massMentions, err := platform.SettingBool(req.Settings, "mass_mentions", false)
	if err != nil {
		return nil, err
	}
	c := &Conn{readTimeout: a.ListenReadTimeout, s: s, log: log, guilds: guilds, pub: pub, listen: listen, poll: poll, maxWait: maxWait, token: token, gateway: gateway, massMentions: massMentions,
		keys: a.ledgers.Get(token+"\x00"+apiURL, nil), channelOf: map[string]string{}, names: map[string]string{}}
	var me discordgo.User
	if err := c.call(ctx, "GET", discordgo.EndpointUser("@me"), nil, &me); err != nil {
		return nil, fmt.Errorf("discord: checking the bot token: %w", err)
	}
	c.botID = me.ID
	return c, nil
}

// Conn is an open Discord bot. It is safe for concurrent use.
type Conn struct {
	s       *discordgo.Session
	log     *slog.Logger
	botID   string
	guilds  []string
	pub     ed25519.PublicKey
	listen  string
	poll    time.Duration
	maxWait time.Duration
	keys    *ledger.Ledger
	token   string // for the gateway's Identify; never logged
	gateway bool
	// massMentions lets sent messages ping @everyone, @here and roles.
	massMentions bool
	// readTimeout bounds an interactions request (0: inbound.ReadTimeout).
	readTimeout time.Duration

	mu        sync.Mutex
	closed    bool
	channelOf map[string]string // message id -> channel id, as learnt
	bound     string            // the interactions endpoint's address
	names     map[string]string // channel id -> name, for gateway events
}

var (
	_ platform.Reader    = (*Conn)(nil)
	_ platform.Applier   = (*Conn)(nil)
	_ platform.Importer  = (*Conn)(nil)
	_ platform.Performer = (*Conn)(nil)
	_ platform.Streamer  = (*Conn)(nil)
)

// quiet turns discordgo's own logging (the standard logger, to stderr)
// off: its failures come back as errors, which hearth logs with slog.
const quiet = discordgo.LogError - 1

// ErrClosed is returned by calls on a closed Conn.
var ErrClosed = errors.New("discord connection is closed")

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

// transport sends discordgo's requests, built for discord.com, to the
// configured API, and notes what a 429 said for the call's error.
type transport struct {
	base  string
	inner http.RoundTripper
}

type rateNote struct {
	global bool
	after  time.Duration
	bucket string
}

type noteKey struct{}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL.String()
	if rest, ok := strings.CutPrefix(u, discordgo.EndpointAPI); ok {
		r2 := req.Clone(req.Context())
		nu, err := req.URL.Parse(t.base + rest)
		if err != nil {
			return nil, err
		}
		r2.URL = nu
		r2.Host = nu.Host
		req = r2
	}
	resp, err := t.inner.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		return resp, err
	}
	if n, ok := req.Context().Value(noteKey{}).(*rateNote); ok {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		var body struct {
			RetryAfter float64 `json:"retry_after"`
			Global     bool    `json:"global"`
		}
		_ = json.Unmarshal(b, &body)
		n.global = body.Global || resp.Header.Get("X-RateLimit-Global") != ""
		n.after = time.Duration(body.RetryAfter * float64(time.Second))
		if ra, err := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64); err == nil && n.after == 0 {
			n.after = time.Duration(ra * float64(time.Second))
		}
		n.bucket = resp.Header.Get("X-RateLimit-Bucket")
	}
	return resp, nil
}

// call sends one request through discordgo and decodes the answer into
// out (when not nil). The rate-limit bucket is the method and the URL
// without the query: Discord limits GET and POST of one path apart.
func (c *Conn) call(ctx context.Context, method, url string, body, out any, opts ...discordgo.RequestOption) error {
	if c.isClosed() {
		return platform.Permanent(ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	path, _, _ := strings.Cut(url, "?")
	bucket := method + " " + path
	if wait := c.bucketWait(bucket); wait > c.maxWait {
		return &platform.RateLimitError{After: wait, Err: fmt.Errorf("discord bucket for %s %s is spent", method, route(path))}
	}
	note := &rateNote{}
	ctx = context.WithValue(ctx, noteKey{}, note)
	opts = append(opts, discordgo.WithContext(ctx))
	resp, err := c.s.RequestWithBucketID(method, url, body, bucket, opts...)
	if err != nil {
		return c.classify(ctx, method, path, c.realURL(err), note)
	}
	if out != nil && len(resp) > 0 {
		if err := json.Unmarshal(resp, out); err != nil {
			return platform.Temporary(fmt.Errorf("discord %s %s: decoding the answer: %v", method, route(path), err), 0)
		}
	}
	return nil
}

// realURL names, in a failed request's error, the address the request
// went to: discordgo builds its URLs on its own base (API v9), which the
// transport turns into api_url, and the client's error names the first,
// so "dial tcp ... discord.com/api/v9" sent someone checking api_url
// after the wrong host.
func (c *Conn) realURL(err error) error {
	t, ok := c.s.Client.Transport.(*transport)
	var ue *neturl.Error
	if ok && errors.As(err, &ue) {
		if rest, cut := strings.CutPrefix(ue.URL, discordgo.EndpointAPI); cut {
			ue.URL = t.base + rest
		}
	}
	return err
}

// bucketWait is how long discordgo would sleep before this route's next
// call.
func (c *Conn) bucketWait(bucket string) time.Duration {
	b := c.s.Ratelimiter.GetBucket(bucket)
	b.Lock()
	defer b.Unlock()
	return c.s.Ratelimiter.GetWaitTime(b, 1)
}

// route is the URL without Discord's base, for messages.
func route(url string) string {
	return strings.TrimPrefix(url, strings.TrimSuffix(discordgo.EndpointAPI, "/"))
}

// Discord's JSON error codes hearth tells apart.
const (
	codeUnknownChannel = 10003
	codeUnknownGuild   = 10004
	codeUnknownMember  = 10007
	codeUnknownMessage = 10008
	codeUnknownRole    = 10011
	codeUnknownUser    = 10013
	codeUnknownBan     = 10026
	codeMaxPins        = 30003
	codeMissingAccess  = 50001
	// codeCannotMessage: the user does not take direct messages from the
	// bot (closed to the server's members, or the bot blocked).
	codeCannotMessage = 50007
)

// classify turns a discordgo error into a platform error: 404 is
// ErrNotFound, other 4xx are permanent, 429 a RateLimitError, 5xx and
// network failures temporary.
func (c *Conn) classify(ctx context.Context, method, path string, err error, note *rateNote) error {
	what := "discord " + method + " " + route(path)
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		after := note.after
		if after == 0 && rl.RateLimit != nil && rl.TooManyRequests != nil {
			after = rl.TooManyRequests.RetryAfter
		}
		msg := "rate limited"
		if rl.RateLimit != nil && rl.TooManyRequests != nil && rl.TooManyRequests.Message != "" {
			msg = rl.TooManyRequests.Message
		}
		return &platform.RateLimitError{After: after, Global: note.global, Err: fmt.Errorf("%s: %s", what, msg)}
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		code, text := 0, http.StatusText(re.Response.StatusCode)
		if re.Message != nil {
			code, text = re.Message.Code, re.Message.Message
		}
		// Discord's own text may repeat the status ("401: Unauthorized").
		text = strings.TrimPrefix(text, strconv.Itoa(re.Response.StatusCode)+": ")
		if fields := formErrors(re.ResponseBody); fields != "" {
			text += ": " + fields
		}
		detail := fmt.Errorf("%s: %d %s (code %d)", what, re.Response.StatusCode, text, code)
		switch st := re.Response.StatusCode; {
		case st == http.StatusNotFound && (code == codeUnknownMember || code == codeUnknownUser):
			// A member who just joined may not be there yet for a while:
			// the outbox tries their role or message again a few times.
			return fmt.Errorf("%w: %v", platform.ErrMemberNotFound, detail)
		case st == http.StatusNotFound, code == codeMissingAccess && method == http.MethodGet:
			// What the bot cannot see (a server it left) reads as absent.
			return fmt.Errorf("%w: %v", platform.ErrNotFound, detail)
		case code == codeCannotMessage:
			return fmt.Errorf("%w: %v; the member does not take direct messages from the bot (closed to the server's members, or the bot blocked)", platform.ErrMemberUnreachable, detail)
		case code == codeMaxPins:
			return fmt.Errorf("%w: %v", platform.ErrConflict, detail)
		case st == http.StatusBadRequest:
			return fmt.Errorf("%w: %v", platform.ErrInvalid, detail)
		case st == http.StatusUnauthorized:
			return platform.Unauthorized(platform.Permanent(fmt.Errorf("%v; Discord refuses the bot token: copy it again (Developer Portal, Bot, Reset Token)", detail)), "token")
		case st >= 500:
			return platform.Temporary(detail, 0)
		default:
			return platform.Permanent(detail)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if strings.Contains(err.Error(), "Exceeded Max retries") {
		return platform.Temporary(fmt.Errorf("%s: %v", what, err), 0)
	}
	// A network error: temporary, say nothing that could hold the token.
	return platform.Temporary(fmt.Errorf("%s: %w", what, err), 0)
}

func isNotFound(err error) bool { return errors.Is(err, platform.ErrNotFound) }

// formErrors flattens the "errors" of Discord's Invalid Form Body answer
// ({"errors": {"name": {"_errors": [{"message": "..."}]}}}) into
// "name: ...", so a refused change says which field and why.
func formErrors(body []byte) string {
	var b struct {
		Errors map[string]any `json:"errors"`
	}
	if json.Unmarshal(body, &b) != nil || len(b.Errors) == 0 {
		return ""
	}
	var out []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for k, x := range m {
			if k != "_errors" {
				walk(strings.TrimPrefix(path+"."+k, "."), x)
				continue
			}
			list, _ := x.([]any)
			for _, e := range list {
				if em, ok := e.(map[string]any); ok {
					out = append(out, fmt.Sprintf("%s: %v", path, em["message"]))
				}
			}
		}
	}
	walk("", b.Errors)
	slices.Sort(out)
	return strings.Join(out, "; ")
}
