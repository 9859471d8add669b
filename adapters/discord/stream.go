package discord

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	hook "github.com/hearth-community/hearth/adapters/internal/inbound"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/platform"
)

// Stream delivers what members do: messages posted in text channels
// (message.posted) and joins (member.joined), read from Discord's REST
// API in time order; while following with the gateway setting, also
// leaves (member.left) and reactions (reaction.added) from the gateway
// as they happen; and, while following with interactions_listen set,
// slash commands, buttons and modals (command.used, component.used,
// modal.submitted) POSTed to the Interactions Endpoint URL.
//
// A cursor is "SNOWFLAKE.ID": the time of the event as a snowflake and
// the message or user id, so messages and joins of every channel are one
// ordered timeline. Without Follow and with no cursor, Stream delivers
// the history Discord keeps; following with no cursor starts now, as a
// gateway would, so a first `hearth run` does not welcome every member
// the server ever had. Bots' messages and joins are not delivered.
//
// Interactions and gateway events cannot be read back later; they
// carry the cursor of the last polled event, which they do not move, and
// interactions are acknowledged to Discord only after handle returns
// (the event is committed).
func (c *Conn) Stream(ctx context.Context, req platform.StreamRequest, handle func(context.Context, platform.Delivery) error) error {
	if c.isClosed() {
		return platform.Permanent(ErrClosed)
	}
	cur, err := parseCursor(req.After)
	if err != nil {
		return err
	}
	if req.After == "" && req.Follow {
		cur = cursor{t: snowflakeAt(time.Now())}
	}
	var guilds []string
	for id := range req.Communities {
		guilds = append(guilds, id)
	}
	slices.SortFunc(guilds, cmpID)
	if len(guilds) == 0 {
		if guilds, err = c.guildIDs(ctx); err != nil {
			return err
		}
	}
	var inbox chan inbound
	if req.Follow && (c.listen != "" || c.gateway) {
		inbox = make(chan inbound)
	}
	if req.Follow && c.listen != "" {
		stop, err := c.serveInteractions(ctx, req, inbox)
		if err != nil {
			return err
		}
		defer stop()
	}
	if req.Follow && c.gateway {
		stop, err := c.openGateway(ctx, guilds, req.Communities, inbox)
		if err != nil {
			return err
		}
		defer stop()
	}
	for {
		evs, err := c.pollOnce(ctx, guilds, req.Communities, cur)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if err := handle(ctx, platform.Delivery{Event: e.ev, Cursor: e.at.String()}); err != nil {
				return err
			}
			cur = e.at
		}
		if !req.Follow {
			return nil
		}
		timer := time.NewTimer(c.poll)
	wait:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return ctx.Err()
			case <-timer.C:
				break wait
			case in := <-inbox:
				err := handle(ctx, platform.Delivery{Event: in.ev, Cursor: cur.String()})
				in.done <- err
				if err != nil {
					timer.Stop()
					return err
				}
			}
		}
	}
}

// InteractionsAddr is the address the interactions endpoint listens on
// while a following Stream runs ("" before), for tests and logs when
// interactions_listen has port 0.
func (c *Conn) InteractionsAddr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bound
}

// cursor orders events: time as a snowflake, then id.
type cursor struct {
	t  uint64
	id string
}

func (c cursor) String() string { return strconv.FormatUint(c.t, 10) + "." + c.id }

func (c cursor) before(o cursor) bool {
	if c.t != o.t {
		return c.t < o.t
	}
	return cmpID(c.id, o.id) < 0
}

func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	t, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseUint(t, 10, 64)
	if !ok || err != nil || id != "" && !snowflake(id) {
		return cursor{}, fmt.Errorf("%w: %q is not a Discord stream cursor", platform.ErrInvalid, s)
	}
	return cursor{t: n, id: id}, nil
}

type timed struct {
	at cursor
	ev events.Event
}

// pollOnce reads every message and join after cur, oldest first.
func (c *Conn) pollOnce(ctx context.Context, guilds []string, names map[string]string, cur cursor) ([]timed, error) {
	var out []timed
	for _, g := range guilds {
		chans, err := c.channels(ctx, g)
		if err != nil {
			return nil, fmt.Errorf("reading the channels of server %s: %w", g, err)
		}
		for _, ch := range chans.all {
			if !slices.Contains(textTypes, ch.Type) {
				continue
			}
			msgs, err := c.messagesAfter(ctx, ch.ID, cur)
			if err != nil {
				return nil, err
			}
			for _, m := range msgs {
				if m.Author == nil || m.Author.Bot || m.Author.ID == c.botID {
					continue
				}
				n, _ := strconv.ParseUint(m.ID, 10, 64)
				at := cursor{t: n, id: m.ID}
				if !cur.before(at) {
					continue
				}
				out = append(out, timed{at: at, ev: messageEvent(g, names[g], ch, m)})
			}
		}
		after := ""
		for {
			page, err := c.members(ctx, g, after, memberPage)
			if err != nil {
				return nil, fmt.Errorf("reading the members of server %s: %w", g, err)
			}
			for _, m := range page {
				if m.User == nil || m.User.Bot {
					continue
				}
				at := cursor{t: snowflakeAt(m.JoinedAt), id: m.User.ID}
				if cur.before(at) {
					out = append(out, timed{at: at, ev: joinEvent(g, names[g], m)})
				}
			}
			if len(page) < memberPage || page[len(page)-1].User == nil {
				break
			}
			after = page[len(page)-1].User.ID
		}
	}
	slices.SortFunc(out, func(a, b timed) int {
		if a.at.before(b.at) {
			return -1
		}
		if b.at.before(a.at) {
			return 1
		}
		return 0
	})
	return out, nil
}

// messagesAfter pages a channel's messages from the cursor's time on,
// with Discord's after= (100 a page, answered newest first).
func (c *Conn) messagesAfter(ctx context.Context, channel string, cur cursor) ([]*discordgo.Message, error) {
	after := uint64(0)
	if cur.t > 0 {
		after = cur.t - 1
	}
	var out []*discordgo.Message
	for {
		var page []*discordgo.Message
		url := discordgo.EndpointChannelMessages(channel) + "?limit=100&after=" + strconv.FormatUint(after, 10)
		if err := c.call(ctx, "GET", url, nil, &page); err != nil {
			if isNotFound(err) {
				return out, nil // deleted while reading
			}
			return nil, err
		}
		for _, m := range page {
			n, _ := strconv.ParseUint(m.ID, 10, 64)
			after = max(after, n)
			m.ChannelID = channel
		}
		out = append(out, page...)
		if len(page) < 100 {
			return out, nil
		}
	}
}

func messageEvent(guild, community string, ch *discordgo.Channel, m *discordgo.Message) events.Event {
	name := m.Author.GlobalName
	if name == "" {
		name = m.Author.Username
	}
	attrs := map[string]any{
		"channel": ch.Name, "channel_id": ch.ID, "post_id": m.ID, "text": m.Content,
		"length": len([]rune(m.Content)), "links": strings.Count(m.Content, "http://") + strings.Count(m.Content, "https://"),
		"mentions": len(m.Mentions),
	}
	if m.MessageReference != nil && m.MessageReference.MessageID != "" {
		attrs["reply_to"] = m.MessageReference.MessageID
	}
	at := m.Timestamp
	if at.IsZero() {
		at = snowflakeTime(m.ID)
	}
	return events.Event{
		ID:        "discord.message." + m.ID,
		Type:      "message.posted",
		Member:    events.Member{ID: m.Author.ID, Name: name, Identities: map[string]string{Type: m.Author.ID}},
		At:        at.UTC(),
		Source:    Type,
		Community: community,
		Attrs:     attrs,
	}
}

func joinEvent(guild, community string, m *discordgo.Member) events.Event {
	name := memberName(m)
	attrs := map[string]any{"name": name}
	if community != "" {
		attrs["community"] = community
	}
	return events.Event{
		ID:        "discord.join." + guild + "." + m.User.ID + "." + strconv.FormatInt(m.JoinedAt.UnixMilli(), 10),
		Type:      "member.joined",
		Member:    events.Member{ID: m.User.ID, Name: name, Identities: map[string]string{Type: m.User.ID}},
		At:        m.JoinedAt.UTC(),
		Source:    Type,
		Community: community,
		Attrs:     attrs,
	}
}

// serveInteractions listens on interactions_listen and hands each
// verified interaction to the stream through inbox; stop shuts it down.
func (c *Conn) serveInteractions(ctx context.Context, req platform.StreamRequest, inbox chan inbound) (func(), error) {
	communities := req.Communities
	refused := req.Refused
	if refused == nil {
		refused = func(_ string, err error) { c.log.Warn("discord interaction refused", "err", err) }
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return nil, fmt.Errorf("discord interactions_listen %s: %w", c.listen, err)
	}
	h := &interactionHandler{pub: c.pub, communities: communities, now: time.Now, refused: refused,
		deliver: func(rctx context.Context, ev events.Event) error {
			in := inbound{ev: ev, done: make(chan error, 1)}
			select {
			case inbox <- in:
			case <-rctx.Done():
				return rctx.Err()
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case err := <-in.done:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		}}
	mux := http.NewServeMux()
	mux.Handle("/interactions", h)
	// Bounded reads: a client trickling a body would hold the connection for ever.
	srv := hook.NewServer(mux, c.readTimeout)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("discord interactions endpoint stopped", "err", err)
		}
	}()
	c.mu.Lock()
	c.bound = ln.Addr().String()
	c.mu.Unlock()
	c.log.Info("serving the Discord interactions endpoint", "addr", ln.Addr().String(), "path", "/interactions")
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}
