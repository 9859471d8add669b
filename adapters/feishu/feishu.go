// Package feishu posts hearth's channel messages to a Feishu (飞书) or
// Lark group through a custom bot (自定义机器人).
//
// A custom bot is a webhook URL, https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN
// (https://open.larksuite.com/... for Lark), added to one group. With
// signature verification (签名校验) turned on, every request carries
// timestamp (seconds, within an hour of Feishu's clock) and sign:
// base64 of HMAC-SHA256 keyed with timestamp + "\n" + secret over an empty
// message. The body is {"timestamp", "sign", "msg_type": "text",
// "content": {"text"}} and the answer {"code", "msg", "data"}: code 0 is
// success, 19021 a bad signature or timestamp, 19024 a missing keyword,
// 19022 an address not allowed, 19001 an unknown hook, 9499 a malformed
// request and 11232 "frequency limited". A bot may send 100 messages a
// minute and 5 a second; the adapter keeps under both before sending,
// and a limit answered anyway (11232, or the gateway's HTTP 429 with code
// 99991400) is a platform.RateLimitError that waits x-ogw-ratelimit-reset
// seconds when the answer says.
//
// A request body may be at most 20 KB (MaxBody); a longer message is
// refused before sending. Templates show an <at ...> tag in what members
// wrote as text (AtTags), so a quoted message mentions no one; the
// template's own tags mention as written, <at user_id="all"> only with
// mass_mentions.
//
// The bot can only post in its group, so the adapter performs channel
// messages and nothing else: the block stands for one hearth channel
// (the channel setting), and direct messages, roles and moderation are
// platform.ErrUnsupported. Keys are remembered per process (a repeat is
// Duplicate without a request); Feishu has no idempotency key of its own.
package feishu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/internal/ledger"
	"github.com/hearth-community/hearth/adapters/internal/post"
	"github.com/hearth-community/hearth/adapters/internal/setting"
	"github.com/hearth-community/hearth/adapters/internal/shared"
	"github.com/hearth-community/hearth/adapters/internal/window"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// Type is the platform type name.
const Type = "feishu"

// MaxBody is Feishu's limit on a custom bot request (20 KB).
const MaxBody = 20 << 10

// Feishu's answer codes the adapter acts on.
const (
	CodeOK           = 0
	CodeBadRequest   = 9499
	CodeTokenInvalid = 19001
	CodeSignMismatch = 19021
	CodeIPNotAllowed = 19022
	CodeKeywordsMiss = 19024
	CodeFrequency    = 11232
	CodeRequestLimit = 99991400 // the open platform's general limit, with HTTP 429
)

// botOnly are the moderation actions Feishu cannot take: a group bot only
// posts in its group, so it cannot even warn a member in a direct
// message.
func botOnly() map[string]string {
	why := "a Feishu group bot only posts in its group; flag the match (action = \"flag\") and alert moderators"
	return map[string]string{"warn": why, "mute": why, "remove": why, "kick": why, "ban": why}
}

// Spec describes the settings.
func Spec() config.PlatformSpec {
	return config.PlatformSpec{
		SendsOnly:  true, // hearth plans nothing here: plan needs no credentials
		Moderation: config.ModerationLimits{Cannot: botOnly()},
		Type:       Type,
		// The robot's group stands for the channel this setting names;
		// validate refuses a name no channel block has.
		ChannelSetting: "channel",
		Doc: "A Feishu (飞书) or Lark custom bot: channel messages posted to the bot's group, signed with " +
			"base64(HMAC-SHA256(key = timestamp + \"\\n\" + secret, message = \"\")). The bot cannot send direct messages or change roles.",
		Example: `variable "feishu_webhook_url" {
  type      = string
  sensitive = true
}

variable "feishu_secret" {
  type      = string
  sensitive = true
}

platform "feishu" "group" {
  webhook_url = var.feishu_webhook_url
  secret      = var.feishu_secret
  channel     = "announcements"
}`,
		Attrs: []config.Attr{
			{Name: "webhook_url", Kind: config.KindSetting, Required: true, Secret: true, Doc: "The bot's webhook address, https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN; the token in it is the credential."},
			{Name: "secret", Kind: config.KindSetting, Secret: true, Doc: "The signing secret shown when signature verification (签名校验) is on; without it requests are not signed."},
			{Name: "channel", Kind: config.KindString, Doc: "Block name of the hearth channel the bot's group stands for (channel \"announcements\", not its title); messages for other channels are refused, and validate refuses a name no channel block has. Empty: every channel message goes to the group."},
			{Name: "timeout", Kind: config.KindDuration, Doc: "Longest wait for one request.", Default: "10s"},
			{Name: "mass_mentions", Kind: config.KindBool, Doc: "Let messages hearth sends mention everyone with <at user_id=\"all\"></at>. Off, such a tag is shown as text: templates quote names and messages members wrote, and a member who wrote one would otherwise notify the whole group through the bot.", Default: "false"},
		},
		// <at user_id="..."> in a text message mentions that user:
		// templates show such tags in what members wrote as text.
		AtTags:        true,
		Mention:       Mention,
		CrowdMentions: config.FindAll(mentionAllTag),
		TextLimit: func(kind string, s map[string]cty.Value) config.TextLimit {
			mass, _ := platform.SettingBool(s, "mass_mentions", false)
			secret, _ := platform.SettingString(s, "secret", "")
			return TextLimit(kind, secret != "", mass)
		},
	}
}

// TextLimit is how much text a channel message may hold: the request
// body it goes in, signed or not, may be at most MaxBody bytes. Spec and
// send both use it.
func TextLimit(kind string, signed, massMentions bool) config.TextLimit {
	if kind != "channel" {
		return config.TextLimit{}
	}
	return config.TextLimit{Bytes: MaxBody, What: "a Feishu bot request", Size: func(text string) int {
		msg := Message{MsgType: "text", Content: TextContent{Text: sentText(text, massMentions)}}
		if signed { // as long as a real timestamp and signature
			msg.Timestamp, msg.Sign = "1700000000", Sign("", 0)
		}
		body, err := json.Marshal(msg)
		if err != nil {
			return len(text)
		}
		return len(body)
	}}
}

// Adapter is the feishu platform type.
type Adapter struct {
	Client *http.Client
	Now    func() time.Time

	bots shared.Map[bot] // by webhook URL: shared by Conns, like the real quota
}

// bot is what all Conns to one bot share: the keys done and the quota.
type bot struct {
	ledger    ledger.Ledger
	perMinute window.Limiter
	perSecond window.Limiter
}

// New returns the adapter.
func New() *Adapter { return &Adapter{} }

var _ platform.Adapter = (*Adapter)(nil)

func (a *Adapter) Type() string              { return Type }
func (a *Adapter) Spec() config.PlatformSpec { return Spec() }

// Open reads the settings; it does not contact Feishu.
func (a *Adapter) Open(ctx context.Context, req platform.OpenRequest) (platform.Conn, error) {
	hook, err := platform.SettingString(req.Settings, "webhook_url", "")
	if err != nil {
		return nil, err
	}
	if u, err := url.Parse(hook); hook == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: setting webhook_url must be the bot's https webhook address", platform.ErrInvalid)
	}
	secret, err := platform.SettingString(req.Settings, "secret", "")
	if err != nil {
		return nil, err
	}
	channel, err := platform.SettingString(req.Settings, "channel", "")
	if err != nil {
		return nil, err
	}
	timeout, err := setting.Positive(req.Settings, "timeout", 10*time.Second)
	if err != nil {
		return nil, err
	}
	massMentions, err := platform.SettingBool(req.Settings, "mass_mentions", false)
	if err != nil {
		return nil, err
	}
	client := a.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	now := a.Now
	if now == nil {
		now = time.Now
	}
	log := req.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := a.bots.Get(hook, func() *bot {
		return &bot{perMinute: window.Limiter{N: 100, Per: time.Minute}, perSecond: window.Limiter{N: 5, Per: time.Second}}
	})
	return &Conn{hook: hook, secret: secret, channel: channel, massMentions: massMentions, client: client, now: now, log: log, bot: b}, nil
}

// Conn is an open bot. It is safe for concurrent use.
type Conn struct {
	hook, secret, channel string
	massMentions          bool
	client                *http.Client
	now                   func() time.Time
	log                   *slog.Logger
	bot                   *bot

	mu     sync.Mutex
	closed bool
}

var _ platform.Performer = (*Conn)(nil)

func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

// Sign is Feishu's custom bot signature for timestamp (seconds).
func Sign(secret string, timestamp int64) string {
	m := hmac.New(sha256.New, []byte(strconv.FormatInt(timestamp, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// mentionAll is an <at> tag for everyone in the group, as Feishu reads
// it in a text message: any case, spaces, quotes or none.
var mentionAll = regexp.MustCompile(`(?i)<(\s*at\s[^>]*user_id\s*=\s*["']?all\b)`)

// mentionAllTag is a whole such tag, for validate to name.
var mentionAllTag = regexp.MustCompile(mentionAll.String() + `[^>]*>?`)

// userIDChars is what an open_id (ou_...) or user_id is made of.
var userIDChars = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Mention is how a message mentions a member (member.mention): an
// <at user_id="ID"></at> tag of their open_id or user_id, which Feishu
// shows as their name and notifies them. It carries no name, so the
// member's cannot put markup in it; an id that is neither (or "all")
// mentions no one, and member.mention is the name.
func Mention(m config.MentionOf) config.Mention {
	if !userIDChars.MatchString(m.ID) || strings.EqualFold(m.ID, "all") {
		return config.Mention{}
	}
	return config.Mention{Text: `<at user_id="` + m.ID + `"></at>`}
}

// NoMentionAll shows every <at user_id="all"> tag in text as text: its
// '<' becomes a full-width '＜', which Feishu does not read as a tag.
func NoMentionAll(text string) string {
	return mentionAll.ReplaceAllString(text, "＜$1")
}

// sentText is the text Feishu gets for a message's: <at user_id="all">
// shown as text unless mass_mentions is on. send sends it and Shape
// shows it.
func sentText(text string, massMentions bool) string {
	if massMentions {
		return text
	}
	return NoMentionAll(text)
}

// Shape is the text Feishu gets for a message's (platform.Shaper).
func (a *Adapter) Shape(req platform.ShapeRequest) (platform.ShapeResponse, error) {
	mass, err := platform.SettingBool(req.Settings, "mass_mentions", false)
	if err != nil {
		return platform.ShapeResponse{}, err
	}
	return platform.ShapeResponse{Text: sentText(req.Text, mass)}, nil
}

// Message is the request body of a text message.
type Message struct {
	Timestamp string      `json:"timestamp,omitempty"`
	Sign      string      `json:"sign,omitempty"`
	MsgType   string      `json:"msg_type"`
	Content   TextContent `json:"content"`
}

// TextContent is a text message's content.
type TextContent struct {
	Text string `json:"text"`
}

// Answer is Feishu's reply.
type Answer struct {
	Code int             `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

// Perform posts channel messages; other actions are unsupported.
func (c *Conn) Perform(ctx context.Context, req platform.PerformRequest) (platform.PerformResponse, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return platform.PerformResponse{}, errors.New("feishu: the connection is closed")
	}
	if err := platform.CheckGroupBot(req, "Feishu custom bot", c.channel); err != nil {
		return platform.PerformResponse{}, err
	}
	if err := ctx.Err(); err != nil {
		return platform.PerformResponse{}, err
	}
	return c.bot.ledger.Do(ctx, req.Key, ledger.Fingerprint(req), func() (string, error) { return c.send(ctx, req.Text) })
}

func (c *Conn) send(ctx context.Context, text string) (string, error) {
	now := c.now()
	text = sentText(text, c.massMentions)
	msg := Message{MsgType: "text", Content: TextContent{Text: text}}
	if c.secret != "" {
		msg.Timestamp = strconv.FormatInt(now.Unix(), 10)
		msg.Sign = Sign(c.secret, now.Unix())
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return "", err
	}
	if len(body) > MaxBody {
		return "", fmt.Errorf("%w: %w", &config.OverLimitError{Size: len(body), Limit: TextLimit("channel", c.secret != "", c.massMentions)}, platform.ErrInvalid)
	}
	if wait := max(c.bot.perSecond.Take(now), c.bot.perMinute.Take(now)); wait > 0 {
		c.bot.perSecond.Give(now)
		c.bot.perMinute.Give(now)
		return "", &platform.RateLimitError{After: wait, Err: errors.New("a Feishu custom bot may send 5 messages a second and 100 a minute")}
	}
	resp, err := post.Do(ctx, c.client, http.MethodPost, c.hook, body, nil)
	if err != nil {
		return "", fmt.Errorf("feishu: %w", err)
	}
	var ans Answer
	if jerr := json.Unmarshal(resp.Body, &ans); jerr != nil {
		if resp.Status < 200 || resp.Status > 299 {
			return "", post.StatusError(resp, now, "feishu answered", post.Snippet(resp.Body))
		}
		return "", platform.Temporary(fmt.Errorf("feishu answered %d with a body that is not its JSON: %s", resp.Status, post.Snippet(resp.Body)), 0)
	}
	if ans.Code == CodeOK && resp.Status >= 200 && resp.Status <= 299 {
		return "", nil
	}
	return "", codeError(resp, ans, now)
}

// codeError maps Feishu's codes to hearth's failure classes.
func codeError(resp post.Response, ans Answer, now time.Time) error {
	msg := fmt.Errorf("feishu code %d: %s", ans.Code, ans.Msg)
	switch ans.Code {
	case CodeFrequency, CodeRequestLimit:
		return &platform.RateLimitError{After: max(resetAfter(resp.Header), post.RetryAfter(resp.Header, now), time.Second), Err: msg}
	case CodeSignMismatch:
		return platform.Permanent(fmt.Errorf("%w (check the secret and this machine's clock)", msg))
	case CodeTokenInvalid:
		return platform.Permanent(fmt.Errorf("%w (the webhook_url is wrong or the bot was removed from the group)", msg))
	case CodeKeywordsMiss:
		return fmt.Errorf("%w (the bot's keyword security wants one of its keywords in the text): %w", msg, platform.ErrInvalid)
	case CodeBadRequest:
		return fmt.Errorf("%w: %w", msg, platform.ErrInvalid)
	case CodeIPNotAllowed:
		return platform.Permanent(fmt.Errorf("%w (add this machine's address to the bot's IP allowlist)", msg))
	}
	if resp.Status >= 500 || resp.Status == http.StatusTooManyRequests {
		return post.StatusError(resp, now, "feishu answered", msg.Error())
	}
	return platform.Permanent(msg)
}

// resetAfter reads x-ogw-ratelimit-reset, the seconds Feishu's gateway
// says to wait after a frequency limit.
func resetAfter(h http.Header) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("x-ogw-ratelimit-reset")))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
