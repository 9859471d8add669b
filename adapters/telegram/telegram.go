// Package telegram is hearth's Telegram platform: a bot that is an
// administrator of a group (a supergroup), keeps its title, description
// and pinned house rules, gives members administrator rights, sends
// messages and DMs, mutes, kicks and bans, and reads what members do
// through getUpdates or a webhook.
//
// It is built on github.com/go-telegram/bot (its methods, parameter
// types, models and errors), pointed at the api_url setting so tests
// use telegramfake, an in-process Bot API. getUpdates is the one call
// made here: the library drives it only inside its own update loop, and
// hearth needs the offset as its stream cursor.
//
// How Telegram maps onto hearth's kinds:
//
//   - A community is a group; bots cannot create groups, so it is adopted
//     with an import block naming the chat id (-100...). Its title and
//     description are managed. The Bot API lists no chats, so the chats
//     setting names them.
//   - The group itself is the community's one channel (bots cannot list
//     forum topics): a community has one channel block, which "creating"
//     takes the group as, with no attributes of its own; pins and
//     messages go there. The Bot API cannot list channels, so plan takes
//     the channel from state.
//   - A pin is the group's pinned message; the Bot API shows only the
//     latest, so Read lists that one.
//   - A role is a set of administrator rights (its permissions, named as
//     Telegram's can_ rights without can_: delete_messages, pin_messages
//     ...); its id is "admin:RIGHTS". Telegram keeps nothing until a
//     member holds it: a role assignment is promoteChatMember with those
//     rights, and deleting it takes them away. Roles have no color, hoist
//     or order; the Bot API lists administrators, not roles, so plan
//     takes roles from state.
//   - Members cannot be listed, only looked up by id (Import).
//
// Messages are plain text (no parse mode), where Telegram makes
// "@username" a mention that notifies; the spec's AtMentions has
// templates put a word joiner after each @ in what members wrote. A
// template's member.mention is the member's name with a text_mention
// entity of their user id over it (Mention), so no markup is parsed.
//
// Telegram takes no idempotency key; within a process a key is performed
// once (the key ledger), across a restart a message may be sent again. A 429 comes
// back as a platform.RateLimitError with parameters.retry_after.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot"

	"github.com/hearth-community/hearth/adapters/internal/ledger"
	"github.com/hearth-community/hearth/adapters/internal/setting"
	"github.com/hearth-community/hearth/adapters/internal/shared"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// Type is the platform type name used in `platform "telegram" "NAME"`.
const Type = "telegram"

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// Spec describes the settings of a telegram platform block.
func Spec() config.PlatformSpec {
	return config.PlatformSpec{
		Moderation: config.ModerationLimits{
			Mute: config.DurationLimit{Min: minUntil, Max: maxUntil, Why: "Telegram restrictions last from 30 seconds to 366 days; for longer, ban without a duration (it lasts until lifted)"},
			Ban:  config.DurationLimit{Min: minUntil, Max: maxUntil, Why: "Telegram bans with an end last from 30 seconds to 366 days; for longer, ban without a duration (it lasts until lifted)"},
		},
		Type:        Type,
		Permissions: slices.Clone(rightNames),
		Doc:         "A Telegram bot that is an administrator of your groups: keeps their title, description and pinned house rules, gives administrator rights, sends messages and DMs, mutes, kicks and bans, and reads messages, joins, leaves and reactions through getUpdates or a webhook. Adopt each group with an import block: bots cannot create groups.",
		Example: `variable "telegram_token" {
  type      = string
  sensitive = true
}

platform "telegram" "main" {
  token = var.telegram_token
  chats = ["-1001234567890"]
}

community "explorers" {
  title    = "Explorers"
  platform = platform.telegram.main
}

import {
  to = "community.explorers"
  id = "-1001234567890"
}`,
		Unsupported: map[string]string{
			"channel.topic":    "a Telegram community has one channel, the group itself, which has no topic of its own; set the community's purpose (the group's description)",
			"channel.purpose":  "a Telegram community has one channel, the group itself, which has no purpose of its own; set the community's purpose (the group's description)",
			"channel.color":    "a Telegram group has no color",
			"channel.category": "a Telegram group has no category",
			"channel.position": "a Telegram community has one channel, the group itself, which has no position",
			"channel.private":  "a Telegram group's privacy is not a channel setting",
			"role.color":       "Telegram roles (administrator rights) have no color",
			"role.hoist":       "Telegram roles (administrator rights) are not listed apart",
			"role.mentionable": "Telegram roles (administrator rights) cannot be mentioned",
		},
		Ignored: map[string]string{
			"role.position": "Telegram administrators have no order",
			"channel.title": "a Telegram community has one channel, the group itself, whose name is the community's title",
		},
		OneChannel: "a Telegram community has one channel, the group itself",
		// Creating that channel takes the group as it (applyChannel).
		Adopts: map[string]string{"channel": "the group itself, as its community's one channel block: a group has no channels of its own, and a bot cannot create one"},
		// Messages go without a parse mode, but Telegram still makes
		// "@username" in plain text a mention that notifies the user.
		AtMentions: true,
		Mention:    Mention,
		Attrs: []config.Attr{
			{Name: "token", Kind: config.KindSetting, Required: true, Secret: true, Doc: "The bot's token from @BotFather (123456:ABC-...). Give it from a sensitive variable."},
			{Name: "chats", Kind: config.KindStringList, Doc: "Ids of the groups hearth manages (-100...); the Bot API cannot list a bot's chats."},
			{Name: "api_url", Kind: config.KindSetting, Doc: "Base URL of the Bot API server; change it for a local Bot API server or a test fake.", Default: DefaultAPIURL},
			{Name: "poll_timeout", Kind: config.KindDuration, Doc: "How long one getUpdates long poll waits for updates.", Default: "25s"},
			{Name: "webhook_listen", Kind: config.KindSetting, Doc: "Address (host:port) where `hearth run` takes updates by webhook instead of getUpdates; empty polls.", Default: ""},
			{Name: "webhook_url", Kind: config.KindSetting, Doc: "Public HTTPS URL Telegram posts updates to (your proxy in front of webhook_listen); when set, `hearth run` calls setWebhook with it. Its path is the path served."},
			{Name: "webhook_secret", Kind: config.KindSetting, Secret: true, Doc: "Secret token Telegram sends in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z, a-z, 0-9, _ and -); required with webhook_listen."},
		},
	}
}

// Mention is how a message mentions a member (member.mention): their
// name, which the adapter sends as a text_mention entity of their user
// id, so it notifies them whether or not they have a username (Telegram
// makes such mentions work for members of the chat, and for others who
// have started the bot). A member with no name shows as their id; an id
// that is no user's id mentions no one.
func Mention(m config.MentionOf) config.Mention {
	if _, err := userID(m.ID); err != nil {
		return config.Mention{}
	}
	if strings.TrimSpace(m.Name) == "" {
		return config.Mention{Text: m.ID, Marked: true}
	}
	return config.Mention{Marked: true}
}

// Adapter is the Telegram platform type.
type Adapter struct {
	// HTTPClient, when set, sends the requests; nil uses one whose
	// timeout covers a long poll.
	HTTPClient *http.Client

	// ListenReadTimeout, when more than 0, is how long the webhook
	// waits for a whole request (inbound.ReadTimeout otherwise): tests
	// set it short to see a client that stalls cut off.
	ListenReadTimeout time.Duration

	// ledgers are the idempotency keys per bot (token and API URL),
	// shared by the Conns this adapter opens.
	ledgers shared.Map[ledger.Ledger]
}

// New returns the Telegram adapter.
func New() *Adapter { return &Adapter{} }

var _ platform.Adapter = (*Adapter)(nil)

// Type is "telegram".
func (a *Adapter) Type() string { return Type }

// Spec describes the settings.
func (a *Adapter) Spec() config.PlatformSpec { return Spec() }

// Open checks the settings and asks Telegram who the bot is (getMe), so
// a wrong token fails here.
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
		return nil, platform.EmptySetting("token", "the bot's token (from @BotFather)")
	}
	if strings.ContainsAny(token, "/?# \t\n") {
		return nil, fmt.Errorf("%w: setting token is not a bot token (123456:ABC-...)", platform.ErrInvalid)
	}
	apiURL, err := platform.SettingString(req.Settings, "api_url", DefaultAPIURL)
	if err != nil {
		return nil, err
	}
	apiURL = strings.TrimRight(apiURL, "/")
	if u, err := url.Parse(apiURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: setting api_url %q is not an http(s) URL", platform.ErrInvalid, apiURL)
	}
	chats, err := setting.List(req.Settings, "chats")
	if err != nil {
		return nil, err
	}
	for _, c := range chats {
		if _, err := strconv.ParseInt(c, 10, 64); err != nil {
			return nil, fmt.Errorf("%w: chats: %q is not a chat id (such as -1001234567890)", platform.ErrInvalid, c)
		}
	}
	poll, err := setting.Duration(req.Settings, "poll_timeout", 25*time.Second)
	if err != nil {
		return nil, err
	}
	if poll < time.Second {
		return nil, fmt.Errorf("%w: setting poll_timeout must be at least 1s", platform.ErrInvalid)
	}
	listen, err := platform.SettingString(req.Settings, "webhook_listen", "")
	if err != nil {
		return nil, err
	}
	hookURL, err := platform.SettingString(req.Settings, "webhook_url", "")
	if err != nil {
		return nil, err
	}
	secret, err := platform.SettingString(req.Settings, "webhook_secret", "")
	if err != nil {
		return nil, err
	}
	if listen != "" && !validSecret(secret) {
		return nil, fmt.Errorf("%w: webhook_listen needs webhook_secret: 1 to 256 of A-Z, a-z, 0-9, _ and -", platform.ErrInvalid)
	}
	if hookURL != "" && listen == "" {
		return nil, fmt.Errorf("%w: webhook_url needs webhook_listen, the address hearth serves it on", platform.ErrInvalid)
	}
	client := a.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: poll + 15*time.Second}
	}
	b, err := bot.New(token, bot.WithServerURL(apiURL), bot.WithHTTPClient(poll, client), bot.WithSkipGetMe(),
		bot.WithErrorsHandler(func(err error) { log.Warn("telegram client", "err", err) }))
	if err != nil {
		return nil, fmt.Errorf("%w: setting token: %v", platform.ErrInvalid, err)
	}
	c := &Conn{readTimeout: a.ListenReadTimeout, b: b, api: apiURL, token: token, client: client, log: log, chats: chats, poll: poll,
		listen: listen, hookURL: hookURL, secret: secret, keys: a.ledgers.Get(token+"\x00"+apiURL, nil)}
	me, err := b.GetMe(ctx)
	if errors.Is(err, bot.ErrorUnauthorized) || errors.Is(err, bot.ErrorNotFound) {
		// The Bot API answers a wrong or revoked token with 401, and one
		// not shaped like a token with 404.
		return nil, platform.Unauthorized(fmt.Errorf("telegram: checking the bot token: %w; Telegram does not know this token: copy it again from @BotFather (/token)", classify("getMe", err)), "token")
	}
	if err != nil {
		return nil, fmt.Errorf("telegram: checking the bot token: %w", classify("getMe", err))
	}
	c.botID = me.ID
	return c, nil
}

func validSecret(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Conn is an open Telegram bot. It is safe for concurrent use.
type Conn struct {
	b       *bot.Bot
	api     string
	token   string
	client  *http.Client
	log     *slog.Logger
	botID   int64
	chats   []string
	poll    time.Duration
	listen  string
	hookURL string
	secret  string
	keys    *ledger.Ledger
	// readTimeout bounds a webhook request (0: inbound.ReadTimeout).
	readTimeout time.Duration
	// authors are who wrote the messages the stream saw lately, for
	// reactions' target_member.
	authors authors

	mu     sync.Mutex
	closed bool
	bound  string
}

var (
	_ platform.Reader    = (*Conn)(nil)
	_ platform.Applier   = (*Conn)(nil)
	_ platform.Importer  = (*Conn)(nil)
	_ platform.Performer = (*Conn)(nil)
	_ platform.Streamer  = (*Conn)(nil)
)

// ErrClosed is returned by calls on a closed Conn.
var ErrClosed = errors.New("telegram connection is closed")

// Close ends the Conn.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

func (c *Conn) check(ctx context.Context) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return platform.Permanent(ErrClosed)
	}
	return ctx.Err()
}

// classify turns a client error into a platform error. Telegram answers
// a missing chat, user or message with 400 and a description, not 404.
func classify(method string, err error) error {
	if err == nil {
		return nil
	}
	var tm *bot.TooManyRequestsError
	if errors.As(err, &tm) {
		return &platform.RateLimitError{After: time.Duration(tm.RetryAfter) * time.Second, Err: fmt.Errorf("telegram %s: %s", method, tm.Message)}
	}
	msg := err.Error()
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, bot.ErrorBadRequest):
		if notFoundText(msg) {
			return fmt.Errorf("telegram %s: %s: %w", method, msg, platform.ErrNotFound)
		}
		return fmt.Errorf("telegram %s: %s: %w", method, msg, platform.ErrInvalid)
	case errors.Is(err, bot.ErrorForbidden) && unreachableText(msg):
		return fmt.Errorf("telegram %s: %s: %w", method, msg, platform.ErrMemberUnreachable)
	case errors.Is(err, bot.ErrorForbidden), errors.Is(err, bot.ErrorUnauthorized), errors.Is(err, bot.ErrorNotFound), errors.Is(err, bot.ErrorConflict):
		return platform.Permanent(fmt.Errorf("telegram %s: %s", method, msg))
	}
	// %w keeps a network error in the chain, for platform.DiagnoseConn.
	return platform.Temporary(fmt.Errorf("telegram %s: %w", method, err), 0)
}

// notFoundText recognises Telegram's descriptions of things that are
// not there.
func notFoundText(desc string) bool {
	d := strings.ToLower(desc)
	for _, s := range []string{"not found", "user_not_participant", "participant_id_invalid", "user_id_invalid", "chat_id_invalid"} {
		if strings.Contains(d, s) {
			return true
		}
	}
	return false
}

// unreachableText recognises Telegram's descriptions of a user who will
// not take a message from the bot: blocked it, never started a chat
// with it, or deleted their account. A bot removed from a group is not
// among them: that is hearth's problem, not the member's choice.
func unreachableText(desc string) bool {
	d := strings.ToLower(desc)
	for _, s := range []string{"bot was blocked by the user", "bot can't initiate conversation", "user is deactivated"} {
		if strings.Contains(d, s) {
			return true
		}
	}
	return false
}

// notModified is Telegram refusing a change that changes nothing, which
// for hearth is success.
func notModified(err error) bool {
	return err != nil && strings.Contains(err.Error(), "not modified")
}

func isNotFound(err error) bool { return errors.Is(err, platform.ErrNotFound) }

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }
