package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/hearth-community/hearth/adapters/internal/ledger"
	"github.com/hearth-community/hearth/engine/platform"
)

// MaxTextLen is the longest message text Slack takes (chat.postMessage
// truncates beyond 40,000 characters; hearth refuses instead).
const MaxTextLen = 40000

// metaType is the message metadata event type carrying an action's key.
const metaType = "hearth_action"

// historyWindow is how many of a conversation's latest messages are
// searched for a key before posting: a retry comes soon after the first
// try, so its message is among them.
const historyWindow = 100

// Perform does one action at most once per key: within a process by the
// Adapter's record of keys, across processes and restarts for messages
// by the key in the message's metadata. Role changes and kicks are
// idempotent on Slack themselves.
func (c *Conn) Perform(ctx context.Context, req platform.PerformRequest) (platform.PerformResponse, error) {
	var resp platform.PerformResponse
	if c.closed.Load() {
		return resp, errClosed
	}
	if err := platform.CheckPerform(req); err != nil {
		return resp, err
	}
	if err := c.check(req.Community); err != nil {
		return resp, err
	}
	if utf8.RuneCountInString(req.Text) > MaxTextLen {
		return resp, fmt.Errorf("%w: text is longer than %d characters", platform.ErrInvalid, MaxTextLen)
	}
	fp := ledger.Digest(req)
	unlock := c.a.keys.Lock(req.Key)
	defer unlock()
	if r, done, err := c.a.keys.Done(req.Key, fp); done {
		return r, err
	}
	var id string
	var dup bool
	var held platform.Holding
	var err error
	switch req.Action {
	case platform.ActionChannelMessage:
		id, dup, err = c.post(ctx, req.Channel, req, fp)
	case platform.ActionDirectMessage:
		var ch *slack.Channel
		err = c.once(ctx, "conversations.open", func() (err error) {
			ch, _, _, err = c.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{req.Member}})
			return err
		})
		if err == nil {
			id, dup, err = c.post(ctx, ch.ID, req, fp)
		}
	case platform.ActionRoleAdd, platform.ActionRoleRemove:
		var had bool
		had, err = c.setMember(ctx, req.Member, req.Role, req.Action == platform.ActionRoleAdd, c.once)
		if req.Action == platform.ActionRoleAdd {
			held = platform.HeldIf(had)
		}
	case platform.ActionKick:
		err = c.kick(ctx, req.Member)
	case platform.ActionDeleteMessage:
		err = c.deleteMessage(ctx, req)
	case platform.ActionMute, platform.ActionUnmute:
		err = fmt.Errorf("%w: Slack has no mute an app can set", platform.ErrUnsupported)
	case platform.ActionBan, platform.ActionUnban:
		err = fmt.Errorf("%w: Slack has no ban; kick removes the member (from the workspace with admin_token)", platform.ErrUnsupported)
	}
	if err != nil {
		return resp, fmt.Errorf("%s: %w", req.Action, err)
	}
	c.a.keys.PutHeld(req.Key, fp, id, held)
	return platform.PerformResponse{ID: id, Duplicate: dup, Held: held}, nil
}

// once makes a Web API call without waiting out a rate limit: Perform
// leaves that to the outbox, which retries with the same key after the
// RateLimitError's delay.
func (c *Conn) once(_ context.Context, method string, call func() error) error {
	if err := c.paced(method, method); err != nil {
		return err
	}
	return wrap(method, call())
}

// post sends text to a conversation unless a message with the key is
// among its latest; the message's id is CHANNEL/TS.
func (c *Conn) post(ctx context.Context, channel string, req platform.PerformRequest, fp string) (string, bool, error) {
	if err := c.paced("chat.postMessage", "chat.postMessage/"+channel); err != nil {
		return "", false, err
	}
	var hist *slack.GetConversationHistoryResponse
	history := func() error {
		return c.once(ctx, "conversations.history", func() (err error) {
			hist, err = c.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Limit: historyWindow, IncludeAllMetadata: true})
			return err
		})
	}
	err := history()
	if code(err) == "not_in_channel" {
		// A public channel made outside hearth: the app joins it to read
		// and post there, as a person would. Private ones need an invite.
		if jerr := c.once(ctx, "conversations.join", func() error {
			_, _, _, err := c.api.JoinConversationContext(ctx, channel)
			return err
		}); jerr != nil {
			return "", false, fmt.Errorf("%w (joining it: %v)", err, jerr)
		}
		err = history()
	}
	if err != nil {
		return "", false, err
	}
	for _, m := range hist.Messages {
		if m.Metadata.EventType != metaType || m.Metadata.EventPayload["key"] != req.Key {
			continue
		}
		if m.Metadata.EventPayload["fp"] != fp {
			return "", false, fmt.Errorf("key %q: %w", req.Key, platform.ErrKeyReused)
		}
		return channel + "/" + m.Timestamp, true, nil
	}
	text := sentText(req.Text, c.massMentions)
	_, ts, err := c.api.PostMessageContext(ctx, channel, slack.MsgOptionText(text, false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: metaType, EventPayload: map[string]any{"key": req.Key, "fp": fp}}))
	if err != nil {
		return "", false, wrap("chat.postMessage", err)
	}
	return channel + "/" + ts, false, nil
}

// kick removes a member: from the workspace with the admin token
// (admin.users.remove), else from every conversation they are in
// (conversations.kick), which is all a bot token can do.
func (c *Conn) kick(ctx context.Context, member string) error {
	if c.admin != nil {
		return c.once(ctx, "admin.users.remove", func() error {
			return c.adminCall(ctx, "admin.users.remove", url.Values{"team_id": {c.team}, "user_id": {member}})
		})
	}
	var chans []slack.Channel
	cursor := ""
	for {
		var page []slack.Channel
		var next string
		if err := c.once(ctx, "users.conversations", func() (err error) {
			page, next, err = c.api.GetConversationsForUserContext(ctx, &slack.GetConversationsForUserParameters{
				UserID: member, Cursor: cursor, Types: []string{"public_channel", "private_channel"}, Limit: 200, ExcludeArchived: true, TeamID: c.team})
			return err
		}); err != nil {
			return err
		}
		chans = append(chans, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(chans) == 0 {
		return fmt.Errorf("%s is in no conversation: %w", member, platform.ErrNotFound)
	}
	for _, ch := range chans {
		err := c.once(ctx, "conversations.kick", func() error { return c.api.KickUserFromConversationContext(ctx, ch.ID, member) })
		// Gone already (another try got there first) is what was asked.
		if err != nil && !errors.Is(err, platform.ErrNotFound) {
			return err
		}
	}
	return nil
}

// deleteMessage deletes one of the app's messages, id CHANNEL/TS (or TS
// with Channel).
func (c *Conn) deleteMessage(ctx context.Context, req platform.PerformRequest) error {
	ch, ts, ok := strings.Cut(req.Message, "/")
	if !ok {
		ch, ts = req.Channel, req.Message
	}
	if ch == "" {
		return fmt.Errorf("%w: a slack message id is CHANNEL/TS", platform.ErrInvalid)
	}
	return c.once(ctx, "chat.delete", func() error {
		_, _, err := c.api.DeleteMessageContext(ctx, ch, ts)
		return err
	})
}

// adminCall calls an admin method slack-go does not wrap
// (admin.users.remove), the way slack-go calls the others: a form POST
// with the admin token, answered {"ok":...}, 429 with Retry-After. Its
// errors are slack-go's types, so wrap classifies them alike.
func (c *Conn) adminCall(ctx context.Context, method string, form url.Values) error {
	form.Set("token", c.adminToken)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.apiURL+method, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		n, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return &slack.RateLimitedError{RetryAfter: time.Duration(n) * time.Second}
	}
	if resp.StatusCode != http.StatusOK {
		return slack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	var body slack.SlackResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return fmt.Errorf("decoding the answer: %w", err)
	}
	return body.Err()
}

// crowdMention matches Slack's special mentions that notify many people
// at once: <!channel>, <!here>, <!everyone> and <!subteam^ID>, with an
// optional |label.
var crowdMention = regexp.MustCompile(`<!(?:channel|here|everyone|subteam\^[^>|]*)(?:\|[^>]*)?>`)

// sentText is the text Slack gets for a message's: crowd mentions shown
// as text unless mass_mentions is on. post sends it and Shape shows it.
func sentText(text string, massMentions bool) string {
	if massMentions {
		return text
	}
	return quietMentions(text)
}

// Shape is the text Slack gets for a message's (platform.Shaper).
func (a *Adapter) Shape(req platform.ShapeRequest) (platform.ShapeResponse, error) {
	mass, err := platform.SettingBool(req.Settings, "mass_mentions", false)
	if err != nil {
		return platform.ShapeResponse{}, err
	}
	return platform.ShapeResponse{Text: sentText(req.Text, mass)}, nil
}

// quietMentions shows crowd mentions as text (&lt;!channel&gt;): the text
// may quote what members wrote, and user mentions (<@U...>) still work.
func quietMentions(text string) string {
	return crowdMention.ReplaceAllStringFunc(text, func(m string) string {
		return "&lt;" + m[1:len(m)-1] + "&gt;"
	})
}
