// Package dingtalk posts hearth's channel messages to a DingTalk (钉钉)
// group through a custom robot (自定义机器人).
//
// A custom robot is a webhook, https://oapi.dingtalk.com/robot/send?access_token=TOKEN,
// added to one group. With signing (加签) on, each request adds
// &timestamp=MS&sign=SIGN to that URL: MS is the time in milliseconds
// (within an hour of DingTalk's clock) and SIGN the URL-encoded base64 of
// HMAC-SHA256 keyed with the secret (the "SEC..." string) over
// MS + "\n" + secret. The body is {"msgtype": "text", "text": {"content"}}
// or {"msgtype": "markdown", "markdown": {"title", "text"}}; the answer is
// {"errcode", "errmsg"} with 0 for success.
//
// A robot may send 20 messages a minute; beyond that DingTalk answers
// errcode 130101 or 410100 ("send too fast") and throttles it for ten
// minutes. The adapter counts its own sends and waits
// (platform.RateLimitError) before reaching the limit; a limit answered
// anyway (another sender on the same robot) is a RateLimitError of ten
// minutes, and -1 (system busy) is retried. Codes that no retry mends
// are permanent with what to fix: 310000 (signature, keyword or IP
// allowlist refused), 300001 and 400101 (unknown token), 400102 (robot
// disabled), 400106 (no such robot), 400013 (group dissolved). A message
// DingTalk's content security refuses (430101-430104: an unsafe link,
// text, image or content) or cannot take (40035, 400105) is
// platform.ErrInvalid: that message fails, the next may go. A request
// body may be at most 20000 bytes; a longer one is refused before
// sending.
//
// A markdown message's title is what the notification shows: the first
// line of the text without its markdown (headings, emphasis, links).
//
// The robot can only post in its group: the block stands for one hearth
// channel, and other actions are platform.ErrUnsupported. Keys are
// remembered per process; DingTalk has no idempotency key of its own.
package dingtalk

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
	"slices"
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
const Type = "dingtalk"

// DingTalk's answer codes the adapter acts on: the custom robot's error
// table (open.dingtalk.com, 自定义机器人发送群消息) and the server API's
// global codes.
const (
	CodeBusy           = -1 // 系统繁忙: retry
	CodeOK             = 0
	CodeTokenAbsent    = 300001 // token is not exist
	CodeRefused        = 310000 // sign not match, keywords not in content, ip not in whitelist
	CodeTooFast        = 130101 // send too fast, exceed 20 times per minute
	CodeTooFastLimited = 410100 // 发送速度太快而限流
	CodeBadParam       = 40035  // a required parameter is missing or invalid
	CodeDissolved      = 400013 // 群已被解散
	CodeTokenMissing   = 400101 // access_token 不存在
	CodeRobotDisabled  = 400102 // 机器人已停用
	CodeBadMsgType     = 400105 // 不支持的消息类型
	CodeNoRobot        = 400106 // 机器人不存在
	CodeUnsafeLink     = 430101 // 含有不安全的外链
	CodeUnsafeText     = 430102 // 含有不合适的文本
	CodeUnsafeImage    = 430103 // 含有不合适的图片
	CodeUnsafeContent  = 430104 // 含有不合适的内容
)

// MaxBody is the most a request body may hold: DingTalk refuses a larger
// one ("body 大小不合法 ... 请保持大小在 20000bytes 以内").
const MaxBody = 20000

// PerMinute is a robot's documented quota, and Throttle how long
// DingTalk stops a robot that went over it.
const (
	PerMinute = 20
	Throttle  = 10 * time.Minute
)

// robotOnly are the moderation actions DingTalk cannot take: a group
// robot only posts in its group, so it cannot even warn a member in a
// direct message.
func robotOnly() map[string]string {
	why := "a DingTalk group robot only posts in its group; flag the match (action = \"flag\") and alert moderators"
	return map[string]string{"warn": why, "mute": why, "remove": why, "kick": why, "ban": why}
}

// Spec describes the settings.
func Spec() config.PlatformSpec {
	return config.PlatformSpec{
		SendsOnly:  true, // hearth plans nothing here: plan needs no credentials
		Moderation: config.ModerationLimits{Cannot: robotOnly()},
		Type:       Type,
		// The robot's group stands for the channel this setting names;
		// validate refuses a name no channel block has.
		ChannelSetting: "channel",
		Doc: "A DingTalk (钉钉) custom robot: channel messages posted to the robot's group, signed with timestamp (ms) and " +
			"sign = urlencode(base64(HMAC-SHA256(secret, timestamp + \"\\n\" + secret))); at most 20 messages a minute. " +
			"The robot cannot send direct messages or change roles.",
		Example: `variable "dingtalk_webhook_url" {
  type      = string
  sensitive = true
}

variable "dingtalk_secret" {
  type      = string
  sensitive = true
}

platform "dingtalk" "group" {
  webhook_url = var.dingtalk_webhook_url
  secret      = var.dingtalk_secret
  channel     = "announcements"
}`,
		Attrs: []config.Attr{
			{Name: "webhook_url", Kind: config.KindSetting, Required: true, Secret: true, Doc: "The robot's webhook, https://oapi.dingtalk.com/robot/send?access_token=TOKEN; the token is the credential."},
			{Name: "secret", Kind: config.KindSetting, Secret: true, Doc: "The signing secret (加签, \"SEC...\"); without it requests are not signed."},
			{Name: "channel", Kind: config.KindString, Doc: "Block name of the hearth channel the robot's group stands for (channel \"announcements\", not its title); messages for other channels are refused, and validate refuses a name no channel block has. Empty: every channel message goes to the group."},
			{Name: "msgtype", Kind: config.KindEnum, Enum: []string{"text", "markdown"}, Doc: "text, or markdown (the first line of the message is its title; templates quote what members wrote, so a name adds no link or image).", Default: "text"},
			{Name: "timeout", Kind: config.KindDuration, Doc: "Longest wait for one request.", Default: "10s"},
		},
		// Markdown messages render links, images and tags: templates
		// quote what members wrote in them.
		ChannelMarkdown: func(s map[string]cty.Value) bool { return setting.Equals(s, "msgtype", "markdown") },
		Mention:         Mention,
		TextLimit: func(kind string, s map[string]cty.Value) config.TextLimit {
			msgtype := "text"
			if setting.Equals(s, "msgtype", "markdown") {
				msgtype = "markdown"
			}
			return TextLimit(kind, msgtype)
		},
	}
}

// userIDChars is what a DingTalk userId is made of, as far as hearth
// writes one into a message.
var userIDChars = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Mention is how a message mentions a member (member.mention): @userId in
// the text, which DingTalk shows as the member's name where the userId
// is in the message's at.atUserIds, which the adapter fills from the
// message's mentions. An id that is no userId mentions no one.
func Mention(m config.MentionOf) config.Mention {
	if !userIDChars.MatchString(m.ID) {
		return config.Mention{}
	}
	return config.Mention{Text: "@" + m.ID, Marked: true}
}

// TextLimit is how much text a channel message of msgtype may hold: the
// request body it goes in may be at most MaxBody bytes. Spec and send
// both use it. The robot sends nothing else.
func TextLimit(kind, msgtype string) config.TextLimit {
	if kind != "channel" {
		return config.TextLimit{}
	}
	return config.TextLimit{Bytes: MaxBody, What: "a DingTalk robot request", Size: func(text string) int {
		body, err := json.Marshal(message(msgtype, text))
		if err != nil {
			return len(text)
		}
		return len(body)
	}}
}

// Adapter is the dingtalk platform type.
type Adapter struct {
	Client *http.Client
	Now    func() time.Time

	robots shared.Map[robot] // by webhook URL
}

type robot struct {
	ledger ledger.Ledger
	quota  window.Limiter
}

// New returns the adapter.
func New() *Adapter { return &Adapter{} }

var _ platform.Adapter = (*Adapter)(nil)

func (a *Adapter) Type() string              { return Type }
func (a *Adapter) Spec() config.PlatformSpec { return Spec() }

// Open reads the settings; it does not contact DingTalk.
func (a *Adapter) Open(ctx context.Context, req platform.OpenRequest) (platform.Conn, error) {
	hook, err := platform.SettingString(req.Settings, "webhook_url", "")
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(hook)
	if hook == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Query().Get("access_token") == "" {
		return nil, fmt.Errorf("%w: setting webhook_url must be the robot's webhook, https://oapi.dingtalk.com/robot/send?access_token=TOKEN", platform.ErrInvalid)
	}
	secret, err := platform.SettingString(req.Settings, "secret", "")
	if err != nil {
		return nil, err
	}
	channel, err := platform.SettingString(req.Settings, "channel", "")
	if err != nil {
		return nil, err
	}
	msgtype, err := platform.SettingString(req.Settings, "msgtype", "text")
	if err != nil {
		return nil, err
	}
	if msgtype != "text" && msgtype != "markdown" {
		return nil, fmt.Errorf("%w: setting msgtype must be text or markdown", platform.ErrInvalid)
	}
	timeout, err := setting.Positive(req.Settings, "timeout", 10*time.Second)
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
	r := a.robots.Get(hook, func() *robot { return &robot{quota: window.Limiter{N: PerMinute, Per: time.Minute}} })
	return &Conn{hook: u, secret: secret, channel: channel, msgtype: msgtype, client: client, now: now, log: log, robot: r}, nil
}

// Conn is an open robot. It is safe for concurrent use.
type Conn struct {
	hook                     *url.URL
	secret, channel, msgtype string
	client                   *http.Client
	now                      func() time.Time
	log                      *slog.Logger
	robot                    *robot

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

// Sign is DingTalk's robot signature for a timestamp in milliseconds,
// before URL encoding.
func Sign(secret string, ms int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ms, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Message is a request body.
type Message struct {
	MsgType  string    `json:"msgtype"`
	Text     *Text     `json:"text,omitempty"`
	Markdown *Markdown `json:"markdown,omitempty"`
	At       *At       `json:"at,omitempty"`
}

// At is whom a message mentions and notifies: each userId is also
// written @userId in the text, where DingTalk shows the mention.
type At struct {
	AtUserIDs []string `json:"atUserIds"`
}

// Text is a text message.
type Text struct {
	Content string `json:"content"`
}

// Markdown is a markdown message.
type Markdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Answer is DingTalk's reply.
type Answer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Perform posts channel messages; other actions are unsupported.
func (c *Conn) Perform(ctx context.Context, req platform.PerformRequest) (platform.PerformResponse, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return platform.PerformResponse{}, errors.New("dingtalk: the connection is closed")
	}
	if err := platform.CheckGroupBot(req, "DingTalk custom robot", c.channel); err != nil {
		return platform.PerformResponse{}, err
	}
	if err := ctx.Err(); err != nil {
		return platform.PerformResponse{}, err
	}
	return c.robot.ledger.Do(ctx, req.Key, ledger.Fingerprint(req), func() (string, error) { return c.send(ctx, req.Text, mentioned(req.Mentions)) })
}

// message is the request body for text.
func message(msgtype, text string) Message {
	if msgtype == "markdown" {
		return Message{MsgType: msgtype, Markdown: &Markdown{Title: Title(text), Text: text}}
	}
	return Message{MsgType: msgtype, Text: &Text{Content: text}}
}

var (
	mdImage    = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLink     = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdTag      = regexp.MustCompile(`</?[A-Za-z][^>]*>`)
	mdEmphasis = strings.NewReplacer("**", "", "__", "", "~~", "", "`", "")
	mdStars    = regexp.MustCompile(`\*([^*\s][^*]*)\*`)
)

// Title is a markdown message's title, which DingTalk shows in the
// notification as plain text: the first line of text that is not blank,
// without heading or quote marks, emphasis, tags (<font>), and with a
// link's or image's text for it, at most 64 characters. Markup a template quoted from what a
// member wrote carries word joiners (templates.MarkdownText) and stays as
// they wrote it.
func Title(text string) string {
	var line string
	for l := range strings.SplitSeq(text, "\n") {
		if line = strings.TrimSpace(l); line != "" {
			break
		}
	}
	raw := line
	line = strings.TrimSpace(strings.TrimLeft(line, "#>"))
	line = mdImage.ReplaceAllString(line, "$1")
	line = mdLink.ReplaceAllString(line, "$1")
	line = mdTag.ReplaceAllString(line, "")
	line = mdEmphasis.Replace(line)
	line = strings.TrimSpace(mdStars.ReplaceAllString(line, "$1"))
	if line == "" {
		line = raw // all markup: better than no title
	}
	// The notification shows one short line, and the title counts
	// against the body's 20000 bytes a second time.
	if r := []rune(line); len(r) > maxTitle {
		line = string(r[:maxTitle-1]) + "…"
	}
	return line
}

// maxTitle is the most characters of a title.
const maxTitle = 64

// mentioned are the userIds of mentions, once each.
func mentioned(ms []platform.Mention) []string {
	var out []string
	for _, m := range ms {
		if userIDChars.MatchString(m.ID) && !slices.Contains(out, m.ID) {
			out = append(out, m.ID)
		}
	}
	return out
}

func (c *Conn) send(ctx context.Context, text string, at []string) (string, error) {
	if err := TextLimit("channel", c.msgtype).Check(text); err != nil {
		return "", fmt.Errorf("%w: %w", err, platform.ErrInvalid)
	}
	msg := message(c.msgtype, text)
	if len(at) > 0 {
		msg.At = &At{AtUserIDs: at}
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return "", err
	}
	now := c.now()
	if wait := c.robot.quota.Take(now); wait > 0 {
		return "", &platform.RateLimitError{After: wait, Err: fmt.Errorf("a DingTalk robot may send %d messages a minute", PerMinute)}
	}
	u := *c.hook
	if c.secret != "" {
		ms := now.UnixMilli()
		q := u.Query()
		q.Set("timestamp", strconv.FormatInt(ms, 10))
		q.Set("sign", Sign(c.secret, ms)) // Encode URL-encodes it, as the documentation asks
		u.RawQuery = q.Encode()
	}
	resp, err := post.Do(ctx, c.client, http.MethodPost, u.String(), body, nil)
	if err != nil {
		return "", fmt.Errorf("dingtalk: %w", err)
	}
	var ans Answer
	if jerr := json.Unmarshal(resp.Body, &ans); jerr != nil {
		if resp.Status < 200 || resp.Status > 299 {
			return "", post.StatusError(resp, now, "dingtalk answered", post.Snippet(resp.Body))
		}
		return "", platform.Temporary(fmt.Errorf("dingtalk answered %d with a body that is not its JSON: %s", resp.Status, post.Snippet(resp.Body)), 0)
	}
	if ans.ErrCode == CodeOK && resp.Status >= 200 && resp.Status <= 299 {
		return "", nil
	}
	e := fmt.Errorf("dingtalk errcode %d: %s", ans.ErrCode, ans.ErrMsg)
	return "", codeError(resp, ans, e, now)
}

// codeError maps DingTalk's answer to hearth's failure classes.
func codeError(resp post.Response, ans Answer, e error, now time.Time) error {
	switch ans.ErrCode {
	case CodeTooFast, CodeTooFastLimited:
		return &platform.RateLimitError{After: Throttle, Err: e}
	case CodeRefused:
		return platform.Permanent(fmt.Errorf("%w (check the secret, this machine's clock, the robot's keywords and IP allowlist)", e))
	case CodeTokenAbsent, CodeTokenMissing, CodeNoRobot:
		return platform.Permanent(fmt.Errorf("%w (the webhook_url is wrong or the robot was removed)", e))
	case CodeRobotDisabled:
		return platform.Permanent(fmt.Errorf("%w (the robot is disabled: turn it on again in the group's robot settings)", e))
	case CodeDissolved:
		return platform.Permanent(fmt.Errorf("%w (the robot's group was dissolved: add a robot to another group)", e))
	case CodeUnsafeLink, CodeUnsafeText, CodeUnsafeImage, CodeUnsafeContent:
		return fmt.Errorf("%w (DingTalk's content security refused this message; others still go): %w", e, platform.ErrInvalid)
	case CodeBadParam, CodeBadMsgType:
		return fmt.Errorf("%w: %w", e, platform.ErrInvalid)
	}
	if resp.Status >= 500 || ans.ErrCode == CodeBusy {
		return platform.Temporary(e, post.RetryAfter(resp.Header, now))
	}
	return platform.Permanent(e)
}
