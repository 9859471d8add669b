// Package discourse is hearth's adapter for Discourse forums, through a
// small typed client of Discourse's API (client.go).
//
// One platform block is one forum, which holds one hearth community:
// creating the community adopts the forum, and the community setting
// names the community block it holds. Inside it:
//
//   - channels are categories: name, topic (the category's description),
//     color, position, category (the parent category's name; Discourse
//     nests one level) and private (read-restricted: only staff can see
//     it until groups are given access in Discourse). A channel without
//     a color takes the color setting, and reads back as "" while it
//     has it; new categories take the text_color setting.
//   - roles are groups: the name hearth shows is the group's full_name,
//     the group's own name (its @mention) is the role block's name; new
//     groups take the group_visibility setting. Discourse's automatic
//     groups (staff, trust_level_N ...) are not listed.
//   - role assignments are group members (PUT and DELETE
//     /groups/{id}/members.json).
//   - members are active users (/admin/users/list/active.json), without
//     suspended ones; muted_until is their silence.
//
// Actions: a channel message is a reply in the category's About topic; a
// direct message a private message (POST /posts.json with archetype
// private_message); role changes are group membership; mute silences,
// ban suspends (for Duration, or 200 years for none), unban unsuspends;
// deleting a message deletes the post; badge grants go through POST
// /user_badges.json, and revocations delete the grants the API user made
// (GET /user-badges/{username}.json, DELETE /user_badges/{id}.json),
// leaving those staff made by hand; a trust level is set with PUT
// /admin/users/{id}/trust_level and locked or unlocked with PUT
// /admin/users/{id}/trust_level_lock. Discourse has no kick: a member stays until
// suspended. Discourse takes no idempotency key, so each post carries
// its key in an HTML comment, which a retry of a channel message looks
// for among the forum's latest posts before posting again. Private
// messages are not in that listing, so a private message is recognised
// as sent only by the process that sent it; silences, suspensions, group
// changes, badge grants (of badges held once) and revocations, and trust
// levels are idempotent on Discourse itself.
//
// Inbound, Stream serves the forum's webhooks on events_listen
// (webhooks.go).
package discourse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hearth-community/hearth/adapters/internal/ledger"
	"github.com/hearth-community/hearth/adapters/internal/single"
	"github.com/hearth-community/hearth/adapters/internal/wait"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// Type is the platform type name, `platform "discourse" "NAME"`.
const Type = "discourse"

// DefaultWebhookPath is where the webhook endpoint listens.
const DefaultWebhookPath = "/discourse/webhook"

// MaxCategoryName is the longest category name Discourse takes, in
// characters (its Category model's length validation).
const MaxCategoryName = 50

// DefaultPageSize is the page Read returns for categories.
const DefaultPageSize = 50

// Mention is how a message mentions a member (member.mention): their
// name, which the adapter replaces with @username when it posts, the
// username read from the forum by the member's user id (mentionNames),
// kept usernamesFor.
// An id that is no user id mentions no one.
func Mention(m config.MentionOf) config.Mention {
	if _, err := userID(m.ID); err != nil {
		return config.Mention{}
	}
	return config.Mention{Marked: true}
}

// Spec describes the settings of a discourse platform block.
func Spec() config.PlatformSpec {
	return config.PlatformSpec{
		Moderation: config.ModerationLimits{Cannot: map[string]string{
			"kick": "Discourse has no kick; ban with a duration suspends a member for a while",
		}},
		Type:    Type,
		Mention: Mention,
		// Groups are known only at send time; @here and @all always are.
		CrowdMentions: crowdMentions,
		Doc:           "A Discourse forum: categories, groups and their members, posts, private messages, silences, suspensions, badge grants and revocations, members' trust levels (a tier's discourse block), and webhooks for what members do. Needs an admin API key. Pins are not managed: pin_house_rules is refused.",
		Unsupported:   map[string]string{"channel.pin_house_rules": "hearth does not manage pinned topics on Discourse"},
		// A category's name: any text, of at most 50 characters.
		ChannelNames: &config.ChannelNames{Max: MaxCategoryName},
		// Discourse's automatic groups: it makes them itself and sets who
		// is in them, and refuses a new group of their name (422 "Name
		// has already been taken").
		ReservedRoles: []string{"everyone", "admins", "moderators", "staff", "trust_level_0", "trust_level_1", "trust_level_2", "trust_level_3", "trust_level_4"},
		Reserved:      "Discourse makes its automatic groups itself and sets their members by trust level and staff status, so creating one fails (422 Name has already been taken)",
		Ignored: map[string]string{
			"channel.purpose":  "a Discourse category has one description, which is the channel's topic",
			"role.color":       "a Discourse group has no color",
			"role.permissions": "a Discourse group's permissions are set per category in Discourse, not on the group",
			"role.hoist":       "hearth does not manage how Discourse shows a group",
			"role.mentionable": "hearth does not manage who may mention a Discourse group",
			"role.position":    "Discourse groups have no order",
		},
		Example: `variable "discourse_api_key" {
  type      = string
  sensitive = true
}

variable "discourse_webhook_secret" {
  type      = string
  sensitive = true
}

platform "discourse" "forum" {
  url            = "https://forum.example.org"
  api_key        = var.discourse_api_key
  api_username   = "system"
  webhook_secret = var.discourse_webhook_secret
  community      = "explorers"
  events_listen  = ":8791"
}`,
		// The block holds one community, named by this setting; validate
		// refuses a name no community block on it has.
		CommunitySetting: "community",
		// Creating that community adopts the forum (single.Block.Adopt).
		Adopts: map[string]string{"community": "the forum at url, as the community block the community setting names: hearth cannot create or delete a forum"},
		Attrs: []config.Attr{
			{Name: "url", Kind: config.KindSetting, Required: true, Doc: "The forum's address, such as \"https://forum.example.org\"."},
			{Name: "api_key", Kind: config.KindSetting, Required: true, Secret: true, Doc: "An admin API key (Admin > API > New key, scope \"global\" or the routes hearth uses), sent as the Api-Key header."},
			{Name: "api_username", Kind: config.KindString, Doc: "The user the API acts as, sent as Api-Username; an admin.", Default: "system"},
			{Name: "webhook_secret", Kind: config.KindSetting, Secret: true, Doc: "The secret of the forum's webhook to hearth; deliveries must carry a valid X-Discourse-Event-Signature made with it."},
			{Name: "community", Kind: config.KindString, Doc: "Name of the community block this forum holds: the one community on this platform block (validate refuses another, or a name no community on it has).", Default: "the platform block's name"},
			{Name: "color", Kind: config.KindString, Doc: "Background color of categories hearth creates, as Discourse writes it (hex without #).", Default: "0088CC"},
			{Name: "text_color", Kind: config.KindString, Doc: "Text color of categories hearth creates.", Default: "FFFFFF"},
			{Name: "group_visibility", Kind: config.KindNumber, Doc: "visibility_level of groups hearth creates: 0 public, 1 logged-in users, 2 members, 3 staff, 4 owners.", Default: "0"},
			{Name: "dm_title", Kind: config.KindString, Doc: "Title of the private messages hearth sends.", Default: "A message from the community team"},
			{Name: "mass_mentions", Kind: config.KindBool, Doc: "Let messages hearth sends notify groups (@staff, @moderators and every other group) and @here. Off, those are shown as text (a word joiner follows the @): templates quote names and messages members wrote, and a member named \"@staff\" would otherwise notify the staff through hearth's admin user. Mentions of single users still notify.", Default: "false"},
			{Name: "events_listen", Kind: config.KindSetting, Doc: "Address `hearth run` serves the webhook endpoint on, such as \":8791\"; the forum's webhook Payload URL points there. Empty: no inbound events."},
			{Name: "events_path", Kind: config.KindSetting, Doc: "Path of the webhook endpoint.", Default: DefaultWebhookPath},
		},
	}
}

// Adapter is the discourse platform type. Its zero value is ready to
// use; the fields are for tests.
type Adapter struct {
	// Now is the clock for silences and suspensions; nil means time.Now.
	Now func() time.Time
	// Listen opens the webhook listener; nil means net.Listen.
	Listen func(network, addr string) (net.Listener, error)
	// HTTPClient calls the API; nil means a client with a 30s timeout.
	HTTPClient *http.Client
	// Sleep waits out a rate limit in Read and Apply; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error

	// keys remembers performed keys across the Conns of this Adapter, so
	// concurrent callers with one key agree; the key in the post covers
	// other processes.
	keys ledger.Book
	// names keeps the usernames member.mention read, per forum, across
	// the Conns of this Adapter (a reload opens new ones).
	names usernames
}

// New returns the discourse adapter.
func New() *Adapter { return &Adapter{} }

var _ platform.Adapter = (*Adapter)(nil)

// Type is "discourse".
func (a *Adapter) Type() string { return Type }

// Spec describes the settings.
func (a *Adapter) Spec() config.PlatformSpec { return Spec() }

// Conn is one open forum. It is safe for concurrent use.
type Conn struct {
	a         *Adapter
	api       *Client
	id        string // the forum's host, its community id
	community string
	secret    string
	listen    string
	path      string
	color     string
	textColor string
	groupVis  int
	dmTitle   string
	// me is the API user's id: badge grants it made are hearth's.
	me int
	// massMentions lets sent messages notify groups and @here.
	massMentions bool
	crowds       crowds
	log          *slog.Logger
	closed       atomic.Bool
}

var (
	_ platform.Reader    = (*Conn)(nil)
	_ platform.Applier   = (*Conn)(nil)
	_ platform.Importer  = (*Conn)(nil)
	_ platform.Performer = (*Conn)(nil)
	_ platform.Streamer  = (*Conn)(nil)
)

// Open checks the settings and the key.
func (a *Adapter) Open(ctx context.Context, req platform.OpenRequest) (platform.Conn, error) {
	s := req.Settings
	c := &Conn{a: a, log: req.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	base, err := platform.SettingString(s, "url", "")
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: setting url must be the forum's http(s) address", platform.ErrInvalid)
	}
	key, err := platform.SettingString(s, "api_key", "")
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, platform.EmptySetting("api_key", "an admin API key of the forum (Admin, API, New API Key)")
	}
	user, err := platform.SettingString(s, "api_username", "system")
	if err != nil {
		return nil, err
	}
	for _, x := range []struct {
		name string
		dst  *string
		def  string
	}{{"community", &c.community, req.Name}, {"webhook_secret", &c.secret, ""}, {"events_listen", &c.listen, ""},
		{"events_path", &c.path, DefaultWebhookPath}, {"color", &c.color, "0088CC"}, {"text_color", &c.textColor, "FFFFFF"},
		{"dm_title", &c.dmTitle, "A message from the community team"}} {
		if *x.dst, err = platform.SettingString(s, x.name, x.def); err != nil {
			return nil, err
		}
	}
	if c.massMentions, err = platform.SettingBool(s, "mass_mentions", false); err != nil {
		return nil, err
	}
	if c.groupVis, err = platform.SettingInt(s, "group_visibility", 0); err != nil {
		return nil, err
	}
	if c.groupVis < 0 || c.groupVis > 4 {
		return nil, fmt.Errorf("%w: setting group_visibility is 0 to 4", platform.ErrInvalid)
	}
	if !strings.HasPrefix(c.path, "/") {
		return nil, fmt.Errorf("%w: setting events_path must start with /", platform.ErrInvalid)
	}
	if c.listen != "" && c.secret == "" {
		return nil, fmt.Errorf("%w: events_listen is set without webhook_secret; deliveries cannot be checked without it", platform.ErrInvalid)
	}
	hc := a.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c.api = &Client{Base: strings.TrimSuffix(u.String(), "/"), Key: key, Username: user, HTTP: hc}
	c.id = u.Host
	me, err := c.api.Me(ctx)
	var ae *APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden) {
		// Discourse answers a wrong key or username with 403 invalid_access.
		return nil, platform.Unauthorized(err, "api_key", "api_username")
	}
	if err != nil {
		return nil, err
	}
	c.me = me.ID
	return c, nil
}

// Close ends the connection; later calls fail.
func (c *Conn) Close() error {
	c.closed.Store(true)
	return nil
}

var errClosed = fmt.Errorf("%w: the discourse connection is closed", platform.ErrInvalid)

// block is the forum as the one community of this platform block.
// Keeps is platform.Keeper: the block's community is never deleted.
func (c *Conn) Keeps(kind platform.Kind) string { return c.block().Keeps(kind) }

var _ platform.Keeper = (*Conn)(nil)

func (c *Conn) block() single.Block {
	return single.Block{Platform: Type, Noun: "forum", ID: c.id, Name: c.community,
		NoDelete: "hearth does not delete a Discourse forum", Closed: &c.closed, ErrClosed: errClosed}
}

func (c *Conn) check(community string) error { return c.block().Check(community) }

func (c *Conn) now() time.Time {
	if c.a.Now != nil {
		return c.a.Now()
	}
	return time.Now()
}

// retry runs one API call for Read and Apply, waiting out rate limits as
// Discourse asks (at most 3 times); Perform leaves retries to the outbox.
func (c *Conn) retry(ctx context.Context, call func() error) error {
	for attempt := 0; ; attempt++ {
		err := call()
		var rl *platform.RateLimitError
		if err == nil || !errors.As(err, &rl) || attempt == 3 {
			return err
		}
		c.log.Info("discourse rate limit; waiting", "retry_after", rl.After)
		if err := c.sleep(ctx, rl.After); err != nil {
			return err
		}
	}
}

func (c *Conn) sleep(ctx context.Context, d time.Duration) error {
	return wait.For(ctx, d, c.a.Sleep)
}
