// Package slack is hearth's adapter for Slack workspaces, built on
// github.com/slack-go/slack.
//
// One platform block is one workspace (team_id), which holds one hearth
// community: the workspace cannot be created or deleted by an app, so
// creating the community adopts the workspace, and the community setting
// names the community block it holds. Inside it:
//
//   - channels are conversations (name, topic, purpose, private); Slack has no
//     channel positions or categories, so those attributes are not read
//     and are ignored when set. Deleting a channel archives it (apps
//     cannot delete conversations); archived ones are not listed.
//     Making a public channel private needs admin_token
//     (admin.conversations.convertToPrivate, Enterprise Grid); Slack has
//     no way to make a private channel public.
//   - roles are user groups (name; the handle is the role block's name);
//     deleting one disables it, as Slack never deletes user groups.
//   - role assignments are user group members (usergroups.users.update
//     with the whole list). Slack refuses an empty user group, so taking
//     the last member out disables the group; giving it to someone again
//     enables it.
//   - members are the workspace's people (users.list), without bots and
//     deactivated accounts.
//   - pins are messages the app posts and pins (chat.postMessage,
//     pins.add).
//
// Actions: channel and direct messages (conversations.open), role changes
// as user group membership, kick (conversations.kick from every
// conversation the member is in; with admin_token, admin.users.remove
// from the workspace), and deleting the app's messages. Slack has no
// mute or ban an app can use; those actions answer ErrUnsupported.
//
// Slack takes no idempotency key for chat.postMessage, so each message
// carries its key in message metadata (event_type "hearth_action"); a
// call with a key first looks for it in the conversation's latest
// messages, so a retry after a crash or from another process finds the
// message it already posted instead of posting again.
//
// Inbound, Stream serves the Events API on events_listen (see events.go).
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/slack-go/slack"

	"github.com/hearth-community/hearth/adapters/internal/ledger"
	"github.com/hearth-community/hearth/adapters/internal/single"
	"github.com/hearth-community/hearth/adapters/internal/wait"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// Type is the platform type name, `platform "slack" "NAME"`.
const Type = "slack"

// DefaultAPIURL is Slack's Web API.
const DefaultAPIURL = "https://slack.com/api/"

// DefaultEventsPath is where the Events API endpoint listens.
const DefaultEventsPath = "/slack/events"

// DefaultPageSize is the page Read asks Slack for: Slack recommends 100
// to 200 for cursor-paginated methods.
const DefaultPageSize = 100

// Scopes are the bot token scopes the adapter's Web API calls and the
// events it maps need, as the app's OAuth & Permissions page names them:
// history scopes because a message looks for its key among the
// conversation's latest before posting (conversations.history), which
// in a direct message takes im:history; reactions:read for
// reaction_added and reaction_removed; users:read for team_join and
// user_change.
func Scopes() []string {
	return []string{
		"channels:read", "channels:manage", "channels:join", "channels:history",
		"groups:read", "groups:write", "groups:history",
		"im:write", "im:history", "chat:write",
		"pins:read", "pins:write", "reactions:read",
		"usergroups:read", "usergroups:write", "users:read", "team:read",
	}
}

// Mention is how a message mentions the user whose id is id (U0123ABCD,
// W... on Enterprise Grid): <@id>, which notifies them. "" for an id
// with anything but letters and digits, which would be no mention.
func Mention(id string) string {
	if id == "" || strings.TrimFunc(id, func(r rune) bool { return r < 128 && (unicode.IsUpper(r) || unicode.IsDigit(r)) }) != "" {
		return ""
	}
	return "<@" + id + ">"
}

// Spec describes the settings of a slack platform block.
func Spec() config.PlatformSpec {
	return config.PlatformSpec{
		Moderation: config.ModerationLimits{Cannot: map[string]string{
			"mute": "Slack has no mute an app can set; remove the message, or kick",
			"ban":  "Slack has no ban; kick removes the member (from the workspace with admin_token)",
		}},
		Type:    Type,
		Mention: config.TextMention(Mention),
		// What sentText shows as text while mass_mentions is off.
		CrowdMentions: config.FindAll(crowdMention),
		Doc:           "A Slack workspace: conversations, user groups and their members, messages and direct messages, and the Events API for what members do. Needs a Slack app installed in the workspace with a bot token.",
		Example: `variable "slack_bot_token" {
  type      = string
  sensitive = true
}

variable "slack_signing_secret" {
  type      = string
  sensitive = true
}

platform "slack" "main" {
  token          = var.slack_bot_token
  signing_secret = var.slack_signing_secret
  team_id        = "T0123ABCD"
  community      = "explorers"
  events_listen  = ":8790"
}`,
		ChannelNames: ChannelNames(),
		Ignored: map[string]string{
			"channel.color":    "a Slack channel has no color",
			"channel.position": "Slack orders channels itself (each member sorts their sidebar)",
			"channel.category": "Slack has no channel categories an app can set (sidebar sections are each member's own)",
			"role.color":       "a Slack user group has no color",
			"role.permissions": "a Slack user group carries no permissions",
			"role.hoist":       "a Slack user group is not listed apart",
			"role.mentionable": "every Slack user group can be mentioned by its handle",
			"role.position":    "Slack user groups have no order",
		},
		TextRules:   textRules,
		RoleHandles: "Slack mentions a user group by its @handle, made of the role block's name in lower case, and a handle must differ from every channel's name and other user group's handle",
		// The block holds one community, named by this setting; validate
		// refuses a name no community block on it has.
		CommunitySetting: "community",
		// Creating that community adopts the workspace (single.Block.Adopt).
		Adopts: map[string]string{"community": "the workspace team_id names, as the community block the community setting names: an app cannot create or delete a workspace"},
		Attrs: []config.Attr{
			{Name: "token", Kind: config.KindSetting, Required: true, Secret: true, Doc: "The app's bot token (xoxb-...). Scopes: " + strings.Join(Scopes(), ", ") + " (im:history: a direct message looks for its key among the conversation's latest messages, and message.im events need it; reactions:read: reaction events)."},
			{Name: "signing_secret", Kind: config.KindSetting, Secret: true, Doc: "The app's signing secret; requests to the Events API endpoint must carry a valid X-Slack-Signature made with it."},
			{Name: "team_id", Kind: config.KindString, Required: true, Doc: "The workspace's id (T...), the platform id of the community it holds."},
			{Name: "community", Kind: config.KindString, Doc: "Name of the community block this workspace holds: the one community on this platform block (validate refuses another, or a name no community on it has).", Default: "the platform block's name"},
			{Name: "admin_token", Kind: config.KindSetting, Secret: true, Doc: "An org admin token (Enterprise Grid) for what bot tokens cannot do: removing members from the workspace on kick, changing whether a channel is private."},
			{Name: "events_listen", Kind: config.KindSetting, Doc: "Address `hearth run` serves the Events API endpoint on, such as \":8790\"; the app's Request URL points there. Empty: no inbound events."},
			{Name: "events_path", Kind: config.KindSetting, Doc: "Path of the Events API endpoint.", Default: DefaultEventsPath},
			{Name: "api_url", Kind: config.KindSetting, Doc: "Base URL of the Web API, for tests and proxies.", Default: DefaultAPIURL},
			{Name: "mass_mentions", Kind: config.KindBool, Doc: "Let messages hearth sends notify <!channel>, <!here>, <!everyone> and user groups. Off, those are shown as text: templates quote names and messages members wrote, and a member named \"<!channel>\" would otherwise notify a whole channel through the app.", Default: "false"},
		},
	}
}

// Adapter is the slack platform type. Its zero value is ready to use;
// the fields are for tests.
type Adapter struct {
	// Now is the clock for request timestamps; nil means time.Now.
	Now func() time.Time
	// Listen opens the Events API listener; nil means net.Listen.
	Listen func(network, addr string) (net.Listener, error)
	// HTTPClient calls the Web API; nil means a client with a 30s timeout.
	HTTPClient *http.Client
	// Sleep waits out a rate limit in Read and Apply; nil means a timer
	// that ends with ctx.
	Sleep func(ctx context.Context, d time.Duration) error

	once sync.Once
	// keys remembers performed keys across the Conns of this Adapter, so
	// concurrent callers with one key agree; the platform's own record
	// (message metadata) covers other processes.
	keys ledger.Book
	pace *pacer
}

func (a *Adapter) init() {
	a.once.Do(func() {
		a.pace = &pacer{buckets: map[string]*bucket{}}
	})
}

func (a *Adapter) pacer() *pacer {
	a.init()
	return a.pace
}

// New returns the slack adapter.
func New() *Adapter { return &Adapter{} }

var _ platform.Adapter = (*Adapter)(nil)

// Type is "slack".
func (a *Adapter) Type() string { return Type }

// Spec describes the settings.
func (a *Adapter) Spec() config.PlatformSpec { return Spec() }

// Conn is one open workspace. It is safe for concurrent use.
type Conn struct {
	a         *Adapter
	api       *slack.Client
	admin     *slack.Client
	team      string
	community string
	secret    string
	listen    string
	path      string
	log       *slog.Logger
	closed    atomic.Bool
	botUser   string
	// massMentions lets sent messages notify channels and user groups.
	massMentions bool

	apiURL     string
	adminToken string
	hc         *http.Client

	namesMu sync.Mutex
	names   map[string]channelName // channel id -> name, for inbound events
}

var (
	_ platform.Reader    = (*Conn)(nil)
	_ platform.Applier   = (*Conn)(nil)
	_ platform.Importer  = (*Conn)(nil)
	_ platform.Performer = (*Conn)(nil)
	_ platform.Streamer  = (*Conn)(nil)
)

// Open checks the settings and the token (auth.test), so a wrong token
// or workspace is reported before anything else runs.
func (a *Adapter) Open(ctx context.Context, req platform.OpenRequest) (platform.Conn, error) {
	a.init()
	s := req.Settings
	token, err := platform.SettingString(s, "token", "")
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, platform.EmptySetting("token", "the app's bot token (xoxb-..., OAuth & Permissions, Bot User OAuth Token)")
	}
	c := &Conn{a: a, log: req.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.team, err = platform.SettingString(s, "team_id", ""); err != nil {
		return nil, err
	}
	if c.team == "" {
		return nil, fmt.Errorf("%w: setting team_id is empty; give the workspace's id (T...)", platform.ErrInvalid)
	}
	if c.community, err = platform.SettingString(s, "community", req.Name); err != nil {
		return nil, err
	}
	if c.secret, err = platform.SettingString(s, "signing_secret", ""); err != nil {
		return nil, err
	}
	if c.listen, err = platform.SettingString(s, "events_listen", ""); err != nil {
		return nil, err
	}
	if c.path, err = platform.SettingString(s, "events_path", DefaultEventsPath); err != nil {
		return nil, err
	}
	if c.massMentions, err = platform.SettingBool(s, "mass_mentions", false); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(c.path, "/") {
		return nil, fmt.Errorf("%w: setting events_path must start with /", platform.ErrInvalid)
	}
	if c.listen != "" && c.secret == "" {
		return nil, fmt.Errorf("%w: events_listen is set without signing_secret; Slack's requests cannot be checked without it", platform.ErrInvalid)
	}
	apiURL, err := platform.SettingString(s, "api_url", DefaultAPIURL)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	hc := a.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c.api = slack.New(token, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(hc))
	adminToken, err := platform.SettingString(s, "admin_token", "")
	if err != nil {
		return nil, err
	}
	c.apiURL, c.adminToken, c.hc = apiURL, adminToken, hc
	if adminToken != "" {
		c.admin = slack.New(adminToken, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(hc))
	}
	auth, err := c.api.AuthTestContext(ctx)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && refusedToken[se.Err] {
			return nil, platform.Unauthorized(fmt.Errorf("%w; Slack refuses the token: copy the Bot User OAuth Token (xoxb-...) again from the app's OAuth & Permissions page", wrap("auth.test", err)), "token")
		}
		return nil, wrap("auth.test", err)
	}
	if auth.TeamID != c.team {
		return nil, fmt.Errorf("%w: the token belongs to workspace %s, not team_id %s", platform.ErrInvalid, auth.TeamID, c.team)
	}
	c.botUser = auth.UserID
	return c, nil
}

// refusedToken are Slack's answers to a token that is wrong, revoked or
// of a deactivated account.
var refusedToken = map[string]bool{"invalid_auth": true, "not_authed": true, "token_revoked": true, "token_expired": true, "account_inactive": true}

// Close ends the connection; later calls fail.
func (c *Conn) Close() error {
	c.closed.Store(true)
	return nil
}

var errClosed = fmt.Errorf("%w: the slack connection is closed", platform.ErrInvalid)

// block is the workspace as the one community of this platform block.
// Keeps is platform.Keeper: the block's community is never deleted.
func (c *Conn) Keeps(kind platform.Kind) string { return c.block().Keeps(kind) }

var _ platform.Keeper = (*Conn)(nil)

func (c *Conn) block() single.Block {
	return single.Block{Platform: Type, Noun: "workspace", ID: c.team, Name: c.community,
		NoDelete: "an app cannot delete a Slack workspace", Closed: &c.closed, ErrClosed: errClosed}
}

func (c *Conn) check(community string) error { return c.block().Check(community) }

func (c *Conn) now() time.Time {
	if c.a.Now != nil {
		return c.a.Now()
	}
	return time.Now()
}

// caller runs one Web API call: retry for Read and Apply, once for
// Perform.
type caller func(ctx context.Context, method string, call func() error) error

// retry runs one Web API call for Read and Apply, waiting out rate
// limits as Slack asks (at most 3 times), since plan and apply have no
// outbox to come back later. Perform does not retry: the outbox does.
func (c *Conn) retry(ctx context.Context, method string, call func() error) error {
	for attempt := 0; ; attempt++ {
		if err := c.pace(func(d time.Duration) error { return c.sleep(ctx, d) }, method, method); err != nil {
			return err
		}
		err := wrap(method, call())
		var rl *platform.RateLimitError
		if err == nil || !errors.As(err, &rl) || attempt == 3 {
			return err
		}
		c.log.Info("slack rate limit; waiting", "method", method, "retry_after", rl.After)
		if err := c.sleep(ctx, rl.After); err != nil {
			return err
		}
	}
}

func (c *Conn) sleep(ctx context.Context, d time.Duration) error {
	return wait.For(ctx, d, c.a.Sleep)
}
