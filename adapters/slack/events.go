package slack

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

	"github.com/slack-go/slack"

	"github.com/hearth-community/hearth/adapters/internal/inbound"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/platform"
)

// The Events API: Slack POSTs each event to the app's Request URL, signed
// with the signing secret, and expects a 2xx within 3 seconds, else it
// retries (up to 3 times, with X-Slack-Retry-Num). hearth answers 200
// only after the event is committed (handle returned nil), so an event
// Slack counts as delivered is never lost; a retry of one already
// committed is answered 200 without delivering it again.

// MaxEventBody bounds a request body; Slack's events are a few KiB.
const MaxEventBody = 1 << 20

// ReplayWindow is how far a request's timestamp may be from now, as
// Slack recommends, so a captured request cannot be replayed later.
const ReplayWindow = 5 * time.Minute

// ErrSignature is a request whose signature or timestamp does not check.
var ErrSignature = errors.New("slack request signature does not verify")

// Verify checks Slack's request signature: X-Slack-Signature is "v0=" and
// the hex HMAC-SHA256, keyed with the signing secret, of
// "v0:TIMESTAMP:BODY", where TIMESTAMP is X-Slack-Request-Timestamp
// (Unix seconds) and must be within ReplayWindow of now.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	ts := h.Get("X-Slack-Request-Timestamp")
	sig, ok := strings.CutPrefix(h.Get("X-Slack-Signature"), "v0=")
	if secret == "" || ts == "" || !ok {
		return fmt.Errorf("%w: missing X-Slack-Signature or X-Slack-Request-Timestamp", ErrSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad timestamp", ErrSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > ReplayWindow || d < -ReplayWindow {
		return fmt.Errorf("%w: timestamp outside the %s replay window", ErrSignature, ReplayWindow)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: signature is not hex", ErrSignature)
	}
	if !hmac.Equal(got, Sign(secret, ts, body)) {
		return ErrSignature
	}
	return nil
}

// Sign computes the raw signature of a request, as Slack does.
func Sign(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + timestamp + ":"))
	m.Write(body)
	return m.Sum(nil)
}

// envelope is the outer JSON of an Events API request.
type envelope struct {
	Type      string          `json:"type"`
	Challenge string          `json:"challenge"`
	TeamID    string          `json:"team_id"`
	EventID   string          `json:"event_id"`
	EventTime int64           `json:"event_time"`
	Event     json.RawMessage `json:"event"`
}

// inner is the fields hearth reads of the events it maps.
type inner struct {
	Type        string          `json:"type"`
	Subtype     string          `json:"subtype"`
	User        json.RawMessage `json:"user"` // an id, or a user object in team_join
	BotID       string          `json:"bot_id"`
	Channel     channelRef      `json:"channel"` // an id, or an object in channel_rename
	ChannelType string          `json:"channel_type"`
	Text        string          `json:"text"`
	TS          string          `json:"ts"`
	ThreadTS    string          `json:"thread_ts"`
	EventTS     string          `json:"event_ts"`
	Reaction    string          `json:"reaction"`
	ItemUser    string          `json:"item_user"`
	Item        struct {
		Channel string `json:"channel"`
		TS      string `json:"ts"`
	} `json:"item"`
}

// channelRef is a conversation's id, which most events give as a
// string and channel_rename in an object ({"id":...,"name":...}).
type channelRef string

func (c *channelRef) UnmarshalJSON(b []byte) error {
	var id string
	if json.Unmarshal(b, &id) == nil {
		*c = channelRef(id)
		return nil
	}
	var o struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*c = channelRef(o.ID)
	return nil
}

// Decode maps one verified Events API body to hearth events: nil events
// (and no error) for requests hearth does not turn into events, such as
// bot messages, edits or event types it does not map. challenge is set
// for url_verification. community names the hearth community events go
// to; team is the workspace whose events are accepted.
func Decode(body []byte, team, community string) (evs []events.Event, challenge string, err error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, "", fmt.Errorf("%w: body is not an Events API JSON object: %v", platform.ErrInvalid, err)
	}
	switch env.Type {
	case "url_verification":
		if env.Challenge == "" || len(env.Challenge) > 1024 {
			return nil, "", fmt.Errorf("%w: url_verification without a challenge", platform.ErrInvalid)
		}
		return nil, env.Challenge, nil
	case "event_callback":
	default:
		return nil, "", nil // app_rate_limited and future types: acknowledged, nothing to do
	}
	if env.TeamID != team {
		return nil, "", fmt.Errorf("%w: event of workspace %q; this platform block is %s", platform.ErrInvalid, env.TeamID, team)
	}
	if env.EventID == "" || len(env.EventID) > 128 {
		return nil, "", fmt.Errorf("%w: event_callback without a usable event_id", platform.ErrInvalid)
	}
	var ev inner
	if err := json.Unmarshal(env.Event, &ev); err != nil {
		return nil, "", fmt.Errorf("%w: event is not an object: %v", platform.ErrInvalid, err)
	}
	channel := string(ev.Channel)
	user := userID(ev.User)
	at := time.Unix(env.EventTime, 0).UTC()
	if env.EventTime <= 0 {
		at = tsTime(ev.EventTS)
	}
	e := events.Event{ID: "slack." + team + "." + env.EventID, Member: events.Member{ID: user, Identities: map[string]string{Type: user}},
		At: at, Source: Type, Community: community}
	switch ev.Type {
	case "team_join", "user_change":
		// Both carry the whole user object: its time zone and locale
		// are the member's, so quiet hours and times of day follow the
		// member's own zone.
		u := userProfile(ev.User)
		if u.IsBot || u.Deleted && ev.Type == "user_change" {
			return nil, "", nil
		}
		e.Type = "member.joined"
		if ev.Type == "user_change" {
			e.Type = "member.profile_updated"
		}
		e.Member.Name = u.name()
		e.Attrs = u.attrs()
	case "member_joined_channel", "member_left_channel":
		// Joining a channel is not joining the community (team_join is):
		// mapping it to member.joined would welcome people again each
		// time they open a channel.
		e.Type = "channel.joined"
		if ev.Type == "member_left_channel" {
			e.Type = "channel.left"
		}
		e.Attrs = map[string]any{"channel": channel, "channel_id": channel}
	case "message":
		// Edits, deletions, joins and bot posts are subtypes; only what a
		// person wrote counts as a post.
		if ev.Subtype != "" && ev.Subtype != "thread_broadcast" && ev.Subtype != "file_share" || ev.BotID != "" {
			return nil, "", nil
		}
		e.Type = "message.posted"
		e.Attrs = map[string]any{"channel": channel, "channel_id": channel, "post_id": channel + "/" + ev.TS, "text": ev.Text,
			"length": utf8.RuneCountInString(ev.Text)}
		if ev.ChannelType == "im" {
			e.Type = "message.direct"
		}
		if ev.ThreadTS != "" && ev.ThreadTS != ev.TS {
			e.Attrs["reply_to"] = channel + "/" + ev.ThreadTS
		}
	case "reaction_added", "reaction_removed":
		e.Type = "reaction.added"
		if ev.Type == "reaction_removed" {
			e.Type = "reaction.removed"
		}
		e.Attrs = map[string]any{"emoji": ev.Reaction, "target": ev.Item.Channel + "/" + ev.Item.TS, "channel": ev.Item.Channel, "channel_id": ev.Item.Channel}
		if ev.ItemUser != "" {
			e.Attrs["target_member"] = ev.ItemUser
		}
	default:
		return nil, "", nil
	}
	if user == "" {
		return nil, "", nil
	}
	if err := e.Check(); err != nil {
		return nil, "", fmt.Errorf("%w: %v", platform.ErrInvalid, err)
	}
	return []events.Event{e}, "", nil
}

func userID(raw json.RawMessage) string {
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id
	}
	var u struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &u)
	return u.ID
}

// user is what hearth reads of the user object in team_join and
// user_change.
type user struct {
	Name     string `json:"name"`
	RealName string `json:"real_name"`
	TZ       string `json:"tz"`
	Locale   string `json:"locale"`
	IsBot    bool   `json:"is_bot"`
	Deleted  bool   `json:"deleted"`
}

func userProfile(raw json.RawMessage) user {
	var u user
	_ = json.Unmarshal(raw, &u)
	return u
}

func (u user) name() string {
	if u.RealName != "" {
		return u.RealName
	}
	return u.Name
}

// attrs are the event attributes of the member's profile: name, and
// timezone and locale when Slack gives them (the standard attributes
// the runtime takes into the member's profile).
func (u user) attrs() map[string]any {
	out := map[string]any{}
	if n := u.name(); n != "" {
		out["name"] = n
	}
	if u.TZ != "" {
		out["timezone"] = u.TZ
	}
	if u.Locale != "" {
		out["locale"] = u.Locale
	}
	return out
}

func tsTime(ts string) time.Time {
	sec, _, _ := strings.Cut(ts, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// Receiver is the Events API endpoint: an http.Handler that verifies,
// decodes and delivers events one at a time through Handle.
type Receiver struct {
	Secret    string
	Team      string
	Community string
	// Handle delivers one event; the request is answered 200 only when
	// it returns nil.
	Handle func(context.Context, platform.Delivery) error
	Now    func() time.Time
	Log    *slog.Logger
	// ChannelName, when set, turns the channel id Slack sends into the
	// channel's name for the "channel" attribute rules compare with;
	// "" keeps the id.
	ChannelName func(ctx context.Context, id string) string
	// Renamed, when set, hears channel_rename and group_rename events:
	// the channel's id and new name, for ChannelName's cache.
	Renamed func(id, name string)
	// Refused, when set, hears each request refused for its signature
	// (platform.StreamRequest.Refused); otherwise it is logged.
	Refused func(reason string, err error)

	mu sync.Mutex // one delivery at a time, in arrival order
	// seen holds the event ids delivered lately, so Slack's retries of a
	// committed event are answered without delivering it again (the
	// runtime would also drop it by its id).
	seen inbound.Recent
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxEventBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	now := time.Now
	if rc.Now != nil {
		now = rc.Now
	}
	if err := Verify(rc.Secret, r.Header, body, now()); err != nil {
		if rc.Refused != nil {
			rc.Refused("unverified", fmt.Errorf("slack request from %s: %w", r.RemoteAddr, err))
		} else {
			rc.log().Warn("slack event refused", "err", err, "remote", r.RemoteAddr)
		}
		http.Error(w, "signature does not verify", http.StatusUnauthorized)
		return
	}
	evs, challenge, err := Decode(body, rc.Team, rc.Community)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if len(evs) == 0 && challenge == "" {
		rc.notice(body)
	}
	if challenge != "" {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, challenge)
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
		// A direct message's conversation has no name to look up.
		if id, ok := e.Attrs["channel_id"].(string); ok && rc.ChannelName != nil && e.Type != "message.direct" {
			if name := rc.ChannelName(ctx, id); name != "" {
				e.Attrs["channel"] = name
			}
		}
		if err := rc.Handle(ctx, platform.Delivery{Event: e, Cursor: e.ID}); err != nil {
			rc.log().Error("slack event not committed; Slack will retry", "event", e.ID, "err", err)
			http.Error(w, "event not stored; retry", http.StatusServiceUnavailable)
			return
		}
		rc.seen.Add(e.ID)
	}
	w.WriteHeader(http.StatusOK)
}

// notice acts on a request that maps to no hearth event: Slack's
// app_rate_limited (events it holds back are lost, so rules miss them:
// a warning), and channel renames, which the channel name cache takes.
func (rc *Receiver) notice(body []byte) {
	var n struct {
		Type              string `json:"type"`
		MinuteRateLimited int64  `json:"minute_rate_limited"`
		Event             struct {
			Type    string `json:"type"`
			Channel struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"channel"`
		} `json:"event"`
	}
	if json.Unmarshal(body, &n) != nil {
		return
	}
	switch {
	case n.Type == "app_rate_limited":
		rc.log().Warn("slack rate limits this app's events (app_rate_limited: over 30,000 an hour from the workspace); events it holds back are never delivered",
			"minute", time.Unix(n.MinuteRateLimited, 0).UTC())
	case (n.Event.Type == "channel_rename" || n.Event.Type == "group_rename") && n.Event.Channel.ID != "" && rc.Renamed != nil:
		rc.Renamed(n.Event.Channel.ID, n.Event.Channel.Name)
	}
}

func (rc *Receiver) log() *slog.Logger {
	if rc.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return rc.Log
}

// Stream delivers what members do. Slack pushes events and keeps none to
// read back, so without Follow there is nothing to deliver; with Follow
// it serves the Events API endpoint on events_listen until ctx ends.
// Cursors are event ids: Slack retries what was not acknowledged, so
// there is nothing to resume from After.
func (c *Conn) Stream(ctx context.Context, req platform.StreamRequest, handle func(context.Context, platform.Delivery) error) error {
	if c.closed.Load() {
		return errClosed
	}
	if !req.Follow {
		return nil
	}
	community := c.community
	if name := req.Communities[c.team]; name != "" {
		community = name
	}
	ep := inbound.Endpoint{Listen: c.a.Listen, Addr: c.listen, Path: c.path, Log: c.log,
		Platform: Type, Name: "the Slack Events API", Failed: "slack events endpoint",
		Unset: "slack events are not received: set events_listen and the app's Request URL to receive them"}
	return ep.Serve(ctx, &Receiver{Secret: c.secret, Team: c.team, Community: community, Handle: handle, Now: c.a.Now, Log: c.log, ChannelName: c.channelName,
		Renamed: c.renamed, Refused: req.Refused})
}

// ChannelNameTTL is how long a conversation's name is remembered for
// inbound events: channel_rename events update it at once, and this
// bounds how long a rename is missed without them.
const ChannelNameTTL = 10 * time.Minute

// channelName is a conversation's name, looked up (conversations.info)
// once per ChannelNameTTL; a direct or group message's conversation
// has none ("", remembered too, so each DM costs no call). A failed
// lookup keeps the id rather than delaying the event.
func (c *Conn) channelName(ctx context.Context, id string) string {
	now := c.now()
	c.namesMu.Lock()
	n, ok := c.names[id]
	c.namesMu.Unlock()
	if ok && now.Sub(n.at) < ChannelNameTTL {
		return n.name
	}
	if err := c.paced("conversations.info", "conversations.info"); err != nil {
		return n.name // the stale name, if any, rather than wait
	}
	ch, err := c.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	if err != nil {
		return n.name
	}
	name := ch.Name
	if ch.IsIM || ch.IsMpIM {
		name = ""
	}
	c.remember(id, name, now)
	return name
}

// renamed takes a channel_rename into the name cache.
func (c *Conn) renamed(id, name string) { c.remember(id, name, c.now()) }

func (c *Conn) remember(id, name string, at time.Time) {
	c.namesMu.Lock()
	defer c.namesMu.Unlock()
	if c.names == nil {
		c.names = map[string]channelName{}
	}
	c.names[id] = channelName{name: name, at: at}
}

// channelName is a conversation's name as looked up at a time.
type channelName struct {
	name string
	at   time.Time
}
