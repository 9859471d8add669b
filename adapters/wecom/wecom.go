// Package wecom sends hearth's messages through WeCom (企业微信): channel
// messages through a group robot (群机器人) and direct messages to members
// through an application (应用消息).
//
// Group robot: POST {api_base}/cgi-bin/webhook/send?key=KEY with
// {"msgtype": "text", "text": {"content"}} (at most 2048 bytes) or
// {"msgtype": "markdown", "markdown": {"content"}} (at most 4096 bytes).
// A robot may send 20 messages a minute; the adapter keeps under that
// itself, and errcode 45009 is a platform.RateLimitError. 93000 (the key
// is wrong or the robot left the group) is permanent.
//
// Application messages: GET {api_base}/cgi-bin/gettoken?corpid=ID&corpsecret=SECRET
// gives an access_token valid for expires_in seconds (7200). The adapter
// keeps it, shared by every Conn of the same application, renews it a
// few minutes early, and when WeCom answers 40014 (invalid) or 42001
// (expired) it fetches a new one and sends once more. Messages are
// POST {api_base}/cgi-bin/message/send?access_token=TOKEN with
// {"touser": MEMBER, "msgtype": "text", "agentid": N, "text": {"content"}}:
// a member is known by their WeCom userid. 81013 (no such member in the
// application's visible range) is platform.ErrNotFound. With
// duplicate_check set, requests ask WeCom to drop an identical message
// within that interval (enable_duplicate_check), which covers a resend
// after a crash between sending and recording it.
//
// Application text messages render <a href="..."> links, so templates
// quote what members wrote in direct messages as in markdown ones
// (DirectMarkup).
//
// Answers are {"errcode", "errmsg", ...} with HTTP 200. WeCom's global
// error code list says to retry -1 (system busy) and 6000 (data version
// conflict) shortly; 45009 (api freq out of limit) and 45033 (api
// concurrent out of limit) are its rate limits, and wait. Keys are remembered per process; WeCom has no
// idempotency key of its own.
package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
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
const Type = "wecom"

// DefaultAPIBase is WeCom's server API.
const DefaultAPIBase = "https://qyapi.weixin.qq.com"

// WeCom's errcodes the adapter acts on.
const (
	CodeBusy          = -1
	CodeOK            = 0
	CodeConflict      = 6000  // data version conflict: "retry later"
	CodeBadSecret     = 40001 // invalid credential
	CodeBadCorpID     = 40013
	CodeTokenInvalid  = 40014
	CodeTokenMissing  = 41001
	CodeTokenExpired  = 42001
	CodeBadAgentID    = 40056
	CodeEmptyContent  = 44004
	CodeTooLong       = 45002
	CodeFrequency     = 45009 // api freq out of limit
	CodeConcurrent    = 45033 // api concurrent out of limit
	CodeMarkdownLong  = 40058 // "markdown.content exceed max length 4096"
	CodeIPNotAllowed  = 60020
	CodeNoReceiver    = 81013 // user & party & tag all invalid
	CodeRobotKeyWrong = 93000
)

// Limits from the documentation.
const (
	MaxText        = 2048 // bytes of a text message
	MaxMarkdown    = 4096 // bytes of a robot markdown message
	RobotPerMinute = 20
	// MaxDuplicateCheck is the longest duplicate_check_interval WeCom takes.
	MaxDuplicateCheck = 4 * time.Hour
	tokenEarlyRenew   = 5 * time.Minute
	frequencyBackoff  = time.Minute
	// concurrentBackoff is the wait after 45033: too many calls at once,
	// which clears as soon as the others finish.
	concurrentBackoff = 5 * time.Second
)

// TextLimit is the most text a message sent as kind ("channel": by the
// robot with msgtype; "dm": an application text message) may hold: the
// documentation's 2048 bytes for text content and 4096 for robot
// markdown. Spec and Perform both use it.
func TextLimit(kind, msgtype string) config.TextLimit {
	switch {
	case kind == "channel" && msgtype == "markdown":
		return config.TextLimit{Bytes: MaxMarkdown, What: "a WeCom robot markdown message"}
	case kind == "channel":
		return config.TextLimit{Bytes: MaxText, What: "a WeCom robot text message"}
	case kind == "dm":
		return config.TextLimit{Bytes: MaxText, What: "a WeCom application text message"}
	}
	return config.TextLimit{}
}

// robotOnly are the moderation actions WeCom cannot take: its robots and
// application messages only send messages.
func robotOnly() map[string]string {
	why := "WeCom robots and application messages only send messages; flag the match (action = \"flag\") and alert moderators"
	return map[string]string{"mute": why, "remove": why, "kick": why, "ban": why}
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
		Doc: "WeCom (企业微信): channel messages through a group robot (robot_key) and direct messages to members " +
			"(by WeCom userid) through an application (corp_id, corp_secret, agent_id). Give either or both. " +
			"Robots send at most 20 messages a minute; application tokens are cached and renewed on errcode 40014/42001.",
		Example: `variable "wecom_robot_key" {
  type      = string
  sensitive = true
}

variable "wecom_corp_secret" {
  type      = string
  sensitive = true
}

platform "wecom" "corp" {
  robot_key   = var.wecom_robot_key
  channel     = "announcements"
  corp_id     = "ww0123456789abcdef"
  corp_secret = var.wecom_corp_secret
  agent_id    = 1000002
}`,
		Attrs: []config.Attr{
			{Name: "robot_key", Kind: config.KindSetting, Secret: true, Doc: "The group robot's key, the key= part of its webhook address; channel messages go to that group."},
			{Name: "channel", Kind: config.KindString, Doc: "Block name of the hearth channel the robot's group stands for (channel \"announcements\", not its title); messages for other channels are refused, and validate refuses a name no channel block has. Empty: every channel message goes to the group."},
			{Name: "msgtype", Kind: config.KindEnum, Enum: []string{"text", "markdown"}, Doc: "How robot messages are sent: text (2048 bytes) or markdown (4096 bytes; templates quote what members wrote, so a name adds no link or <@userid> mention).", Default: "text"},
			{Name: "corp_id", Kind: config.KindSetting, Doc: "The company's corpid, for application messages (direct messages)."},
			{Name: "corp_secret", Kind: config.KindSetting, Secret: true, Doc: "The application's Secret, for gettoken."},
			{Name: "agent_id", Kind: config.KindNumber, Doc: "The application's AgentId."},
			{Name: "duplicate_check", Kind: config.KindDuration, Doc: "Application messages: ask WeCom to drop a message identical to one sent to the same member within this long (enable_duplicate_check), which also covers a resend after a crash; at most 4h. Unset: off."},
			{Name: "api_base", Kind: config.KindSetting, Doc: "WeCom's API address (a proxy, or a test server).", Default: DefaultAPIBase},
			{Name: "timeout", Kind: config.KindDuration, Doc: "Longest wait for one request.", Default: "10s"},
		},
		// Markdown messages render links, images and tags: templates
		// quote what members wrote in them.
		ChannelMarkdown: func(s map[string]cty.Value) bool { return setting.Equals(s, "msgtype", "markdown") },
		// Application text messages render <a href> links.
		DirectMarkup: true,
		Mention:      Mention,
		TextLimit: func(kind string, s map[string]cty.Value) config.TextLimit {
			msgtype := "text"
			if setting.Equals(s, "msgtype", "markdown") {
				msgtype = "markdown"
			}
			return TextLimit(kind, msgtype)
		},
	}
}

// userIDChars is what a WeCom userid is made of: letters, digits and
// _-@. (at most 64).
var userIDChars = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

// Mention is how a message mentions a member (member.mention). A markdown
// robot message writes <@userid>, which WeCom shows as the member's name
// and notifies them; a text robot message shows the name and lists the
// userid in mentioned_list, which the adapter fills from the message's
// mentions (WeCom adds the @mention at the end of the message). A direct
// message, and an id that is no userid, show the name.
func Mention(m config.MentionOf) config.Mention {
	if m.Kind != "channel" || m.ID == "@all" || !userIDChars.MatchString(m.ID) {
		return config.Mention{}
	}
	if setting.Equals(m.Settings, "msgtype", "markdown") {
		return config.Mention{Text: "<@" + m.ID + ">"}
	}
	return config.Mention{Marked: true}
}

// Adapter is the wecom platform type.
type Adapter struct {
	Client *http.Client
	Now    func() time.Time

	robots shared.Map[robot] // by api base and key
	apps   shared.Map[app]   // by api base, corp id and agent id
}

type robot struct {
	ledger ledger.Ledger
	quota  window.Limiter
}

// app is what Conns of one application share: the keys done and the
// access token.
type app struct {
	ledger ledger.Ledger

	mu      sync.Mutex
	token   string
	expires time.Time
}

// New returns the adapter.
func New() *Adapter { return &Adapter{} }

var _ platform.Adapter = (*Adapter)(nil)

func (a *Adapter) Type() string              { return Type }
func (a *Adapter) Spec() config.PlatformSpec { return Spec() }

// Open reads the settings; it does not contact WeCom.
func (a *Adapter) Open(ctx context.Context, req platform.OpenRequest) (platform.Conn, error) {
	s := req.Settings
	var c Conn
	var err error
	str := func(name, def string) string {
		if err != nil {
			return ""
		}
		var v string
		v, err = platform.SettingString(s, name, def)
		return v
	}
	c.base = strings.TrimRight(str("api_base", DefaultAPIBase), "/")
	c.robotKey = str("robot_key", "")
	c.channel = str("channel", "")
	c.msgtype = str("msgtype", "text")
	c.corpID = str("corp_id", "")
	c.corpSecret = str("corp_secret", "")
	if err != nil {
		return nil, err
	}
	if d, derr := setting.Duration(s, "duplicate_check", 0); derr != nil || (d != 0 && (d < time.Second || d > MaxDuplicateCheck)) {
		return nil, fmt.Errorf("%w: setting duplicate_check must be between 1s and %s", platform.ErrInvalid, MaxDuplicateCheck)
	} else {
		c.dupCheck = d
	}
	if c.agentID, err = platform.SettingInt(s, "agent_id", 0); err != nil {
		return nil, err
	}
	if u, perr := url.Parse(c.base); perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: setting api_base must be an http or https URL", platform.ErrInvalid)
	}
	if c.msgtype != "text" && c.msgtype != "markdown" {
		return nil, fmt.Errorf("%w: setting msgtype must be text or markdown", platform.ErrInvalid)
	}
	appSet := c.corpID != "" || c.corpSecret != "" || c.agentID != 0
	if appSet && (c.corpID == "" || c.corpSecret == "" || c.agentID <= 0) {
		return nil, fmt.Errorf("%w: application messages need corp_id, corp_secret and agent_id together", platform.ErrInvalid)
	}
	if c.robotKey == "" && !appSet {
		return nil, fmt.Errorf("%w: a wecom block needs robot_key (channel messages), or corp_id, corp_secret and agent_id (direct messages), or both", platform.ErrInvalid)
	}
	timeout, err := setting.Positive(s, "timeout", 10*time.Second)
	if err != nil {
		return nil, err
	}
	c.client = a.Client
	if c.client == nil {
		c.client = &http.Client{Timeout: timeout}
	}
	c.now = a.Now
	if c.now == nil {
		c.now = time.Now
	}
	c.log = req.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.robotKey != "" {
		c.robot = a.robots.Get(c.base+"\x00"+c.robotKey, func() *robot {
			return &robot{quota: window.Limiter{N: RobotPerMinute, Per: time.Minute}}
		})
	}
	if appSet {
		c.app = a.apps.Get(fmt.Sprintf("%s\x00%s\x00%d", c.base, c.corpID, c.agentID), nil)
	}
	return &c, nil
}

// Conn is an open wecom block. It is safe for concurrent use.
type Conn struct {
	base, robotKey, channel, msgtype string
	corpID, corpSecret               string
	agentID                          int
	dupCheck                         time.Duration // 0: off
	client                           *http.Client
	now                              func() time.Time
	log                              *slog.Logger
	robot                            *robot // nil without robot_key
	app                              *app   // nil without an application

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

// Answer is the common shape of WeCom's replies.
type Answer struct {
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	AccessToken string `json:"access_token,omitempty"`
	ExpiresIn   int    `json:"expires_in,omitempty"`
	InvalidUser string `json:"invaliduser,omitempty"`
	MsgID       string `json:"msgid,omitempty"`
}

// Perform sends channel messages by the robot and direct messages by the
// application; other actions are unsupported.
func (c *Conn) Perform(ctx context.Context, req platform.PerformRequest) (platform.PerformResponse, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return platform.PerformResponse{}, errors.New("wecom: the connection is closed")
	}
	if err := platform.CheckPerform(req); err != nil {
		return platform.PerformResponse{}, err
	}
	switch req.Action {
	case platform.ActionChannelMessage:
		if c.robot == nil {
			return platform.PerformResponse{}, fmt.Errorf("channel messages need a group robot (robot_key): %w", platform.ErrUnsupported)
		}
		if err := platform.CheckGroupBot(req, "WeCom robot", c.channel); err != nil {
			return platform.PerformResponse{}, err
		}
		if err := TextLimit("channel", c.msgtype).Check(req.Text); err != nil {
			return platform.PerformResponse{}, fmt.Errorf("%w: %w", err, platform.ErrInvalid)
		}
		if err := ctx.Err(); err != nil {
			return platform.PerformResponse{}, err
		}
		return c.robot.ledger.Do(ctx, req.Key, ledger.Fingerprint(req), func() (string, error) { return c.robotSend(ctx, req.Text, req.Mentions) })
	case platform.ActionDirectMessage:
		if c.app == nil {
			return platform.PerformResponse{}, fmt.Errorf("direct messages need an application (corp_id, corp_secret, agent_id): %w", platform.ErrUnsupported)
		}
		if err := TextLimit("dm", "text").Check(req.Text); err != nil {
			return platform.PerformResponse{}, fmt.Errorf("%w: %w", err, platform.ErrInvalid)
		}
		if strings.ContainsAny(req.Member, "|") || req.Member == "@all" {
			return platform.PerformResponse{}, fmt.Errorf("%q is not one WeCom userid: %w", req.Member, platform.ErrInvalid)
		}
		if err := ctx.Err(); err != nil {
			return platform.PerformResponse{}, err
		}
		return c.app.ledger.Do(ctx, req.Key, ledger.Fingerprint(req), func() (string, error) { return c.appSend(ctx, req.Member, req.Text) })
	}
	return platform.PerformResponse{}, fmt.Errorf("WeCom robots and application messages cannot %s: %w", req.Action, platform.ErrUnsupported)
}

func (c *Conn) robotSend(ctx context.Context, text string, mentions []platform.Mention) (string, error) {
	content := map[string]any{"content": text}
	if c.msgtype == "text" {
		var ids []string
		for _, m := range mentions {
			if m.ID != "@all" && userIDChars.MatchString(m.ID) && !slices.Contains(ids, m.ID) {
				ids = append(ids, m.ID)
			}
		}
		if len(ids) > 0 {
			content["mentioned_list"] = ids
		}
	}
	body := map[string]any{"msgtype": c.msgtype, c.msgtype: content}
	now := c.now()
	if wait := c.robot.quota.Take(now); wait > 0 {
		return "", &platform.RateLimitError{After: wait, Err: fmt.Errorf("a WeCom group robot may send %d messages a minute", RobotPerMinute)}
	}
	ans, err := c.call(ctx, http.MethodPost, "/cgi-bin/webhook/send?key="+url.QueryEscape(c.robotKey), body)
	if err != nil {
		return "", err
	}
	return "", codeError(ans, "robot")
}

func (c *Conn) appSend(ctx context.Context, member, text string) (string, error) {
	body := map[string]any{"touser": member, "msgtype": "text", "agentid": c.agentID, "text": map[string]string{"content": text}, "safe": 0}
	if c.dupCheck > 0 {
		body["enable_duplicate_check"] = 1
		body["duplicate_check_interval"] = int(c.dupCheck / time.Second)
	}
	for attempt := 0; ; attempt++ {
		token, err := c.token(ctx, attempt > 0)
		if err != nil {
			return "", err
		}
		ans, err := c.call(ctx, http.MethodPost, "/cgi-bin/message/send?access_token="+url.QueryEscape(token), body)
		if err != nil {
			return "", err
		}
		switch ans.ErrCode {
		case CodeTokenInvalid, CodeTokenExpired, CodeTokenMissing:
			c.app.forget(token)
			if attempt == 0 {
				continue // renew and send once more
			}
		case CodeOK:
			if ans.InvalidUser != "" {
				return "", fmt.Errorf("WeCom does not know member %q in this application's visible range: %w", member, platform.ErrNotFound)
			}
			return ans.MsgID, nil
		}
		return "", codeError(ans, "message/send")
	}
}

// token returns the cached access token, or fetches one when there is
// none, it is about to expire, or renew is set.
func (c *Conn) token(ctx context.Context, renew bool) (string, error) {
	c.app.mu.Lock()
	defer c.app.mu.Unlock()
	now := c.now()
	if !renew && c.app.token != "" && now.Before(c.app.expires) {
		return c.app.token, nil
	}
	ans, err := c.call(ctx, http.MethodGet, "/cgi-bin/gettoken?corpid="+url.QueryEscape(c.corpID)+"&corpsecret="+url.QueryEscape(c.corpSecret), nil)
	if err != nil {
		return "", err
	}
	if ans.ErrCode != CodeOK || ans.AccessToken == "" {
		return "", codeError(ans, "gettoken")
	}
	life := time.Duration(ans.ExpiresIn) * time.Second
	if life <= 0 {
		life = 2 * time.Hour
	}
	c.app.token = ans.AccessToken
	c.app.expires = now.Add(max(life-tokenEarlyRenew, life/2))
	return c.app.token, nil
}

// forget drops a token WeCom refused, unless another call renewed it
// already.
func (a *app) forget(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token == token {
		a.token = ""
	}
}

func (c *Conn) call(ctx context.Context, method, path string, body any) (Answer, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return Answer{}, err
		}
	}
	resp, err := post.Do(ctx, c.client, method, c.base+path, raw, nil)
	if err != nil {
		return Answer{}, fmt.Errorf("wecom: %w", err)
	}
	if resp.Status < 200 || resp.Status > 299 {
		return Answer{}, post.StatusError(resp, c.now(), "wecom answered", post.Snippet(resp.Body))
	}
	var ans Answer
	if err := json.Unmarshal(resp.Body, &ans); err != nil {
		return Answer{}, platform.Temporary(fmt.Errorf("wecom answered with a body that is not its JSON: %s", post.Snippet(resp.Body)), 0)
	}
	return ans, nil
}

// codeError maps an errcode to hearth's failure classes; 0 is nil.
func codeError(ans Answer, what string) error {
	if ans.ErrCode == CodeOK {
		return nil
	}
	e := fmt.Errorf("wecom %s errcode %d: %s", what, ans.ErrCode, ans.ErrMsg)
	switch ans.ErrCode {
	case CodeBusy, CodeConflict:
		return platform.Temporary(e, 0)
	case CodeFrequency:
		return &platform.RateLimitError{After: frequencyBackoff, Err: e}
	case CodeConcurrent:
		return &platform.RateLimitError{After: concurrentBackoff, Err: e}
	case CodeNoReceiver:
		return fmt.Errorf("%w: %w", e, platform.ErrNotFound)
	case CodeEmptyContent, CodeTooLong, CodeMarkdownLong:
		return fmt.Errorf("%w: %w", e, platform.ErrInvalid)
	case CodeBadSecret, CodeBadCorpID:
		return platform.Permanent(fmt.Errorf("%w (check corp_id and corp_secret)", e))
	case CodeBadAgentID:
		return platform.Permanent(fmt.Errorf("%w (check agent_id)", e))
	case CodeIPNotAllowed:
		return platform.Permanent(fmt.Errorf("%w (add this machine's address to the application's trusted IPs)", e))
	case CodeRobotKeyWrong:
		return platform.Permanent(fmt.Errorf("%w (the robot_key is wrong or the robot was removed from the group)", e))
	case CodeTokenInvalid, CodeTokenExpired, CodeTokenMissing:
		return platform.Temporary(fmt.Errorf("%w (a renewed token was refused too)", e), 0)
	}
	return platform.Permanent(e)
}
