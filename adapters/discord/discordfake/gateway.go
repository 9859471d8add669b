package discordfake

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gorilla/websocket"
)

// The gateway: GET /gateway and /gateway/bot name a websocket URL (here
// /ws on the same server), where a client gets Hello (op 10), sends
// Identify (op 2) with the bot token, gets READY, heartbeats (op 1,
// answered with op 11), and receives dispatches (op 0) with a sequence
// number: GUILD_MEMBER_ADD, GUILD_MEMBER_REMOVE, MESSAGE_CREATE and
// MESSAGE_REACTION_ADD as the test hooks and the API cause them.

// gatewayClient is one identified websocket.
type gatewayClient struct {
	mu   sync.Mutex // serializes writes
	conn *websocket.Conn
	seq  int64
}

func (g *gatewayClient) write(v any) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.conn.WriteJSON(v)
}

func (s *Server) gatewayURL(r *http.Request) string {
	return "ws://" + r.Host + "/ws"
}

func (s *Server) getGateway(r *http.Request, _ map[string]string) (any, *apiError) {
	return map[string]any{"url": s.gatewayURL(r), "shards": 1,
		"session_start_limit": map[string]any{"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}, nil
}

// serveGateway runs one websocket session.
func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	g := &gatewayClient{conn: conn}
	if g.write(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 41250}}) != nil {
		return
	}
	var ident struct {
		Op int `json:"op"`
		D  struct {
			Token   string `json:"token"`
			Intents int    `json:"intents"`
		} `json:"d"`
	}
	if conn.ReadJSON(&ident) != nil {
		return
	}
	if ident.Op != 2 || strings.TrimPrefix(ident.D.Token, "Bot ") != s.Token {
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."))
		return
	}
	s.mu.Lock()
	var guilds []map[string]any
	for id := range s.guilds {
		guilds = append(guilds, map[string]any{"id": id, "unavailable": true})
	}
	g.seq++
	ready := map[string]any{"op": 0, "s": g.seq, "t": "READY", "d": map[string]any{
		"v": 10, "user": s.users[s.botID], "session_id": "fake-" + strconv.Itoa(len(s.gateways)+1),
		"resume_gateway_url": s.gatewayURL(r), "guilds": guilds, "application": map[string]any{"id": s.botID, "flags": 0},
	}}
	err = g.write(ready)
	if err == nil {
		s.gateways = append(s.gateways, g)
	}
	s.mu.Unlock()
	if err != nil {
		return
	}
	defer func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, x := range s.gateways {
			if x == g {
				s.gateways = append(s.gateways[:i], s.gateways[i+1:]...)
				break
			}
		}
	}()
	for {
		var msg struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if conn.ReadJSON(&msg) != nil {
			return
		}
		if msg.Op == 1 {
			if g.write(map[string]any{"op": 11}) != nil {
				return
			}
		}
	}
}

// dispatch sends an event to every identified gateway client; s.mu is
// held.
func (s *Server) dispatch(t string, d any) {
	for _, g := range s.gateways {
		g.mu.Lock()
		g.seq++
		_ = g.conn.WriteJSON(map[string]any{"op": 0, "s": g.seq, "t": t, "d": d})
		g.mu.Unlock()
	}
}

// GatewayClients is how many gateway sessions are identified.
func (s *Server) GatewayClients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.gateways)
}

// Leave has a member leave a guild.
func (s *Server) Leave(guildID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.guilds[guildID]; g != nil && g.members[userID] != nil {
		delete(g.members, userID)
		s.dispatch("GUILD_MEMBER_REMOVE", map[string]any{"guild_id": guildID, "user": s.users[userID]})
	}
}

// React has a user react to a message with a unicode emoji.
func (s *Server) React(channelID, messageID, userID, emoji string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channelID]
	if c == nil {
		return
	}
	d := map[string]any{"user_id": userID, "channel_id": channelID, "message_id": messageID, "guild_id": c.GuildID,
		"emoji": map[string]any{"id": nil, "name": emoji}}
	for _, m := range s.messages[channelID] {
		if m.ID == messageID {
			d["message_author_id"] = m.Author.ID
		}
	}
	s.dispatch("MESSAGE_REACTION_ADD", d)
}
