package discordfake

import (
	"cmp"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// body decodes a JSON object keeping which fields were sent, so PATCH
// can tell a missing field (unchanged) from null (cleared).
func body(r *http.Request) (map[string]json.RawMessage, *apiError) {
	var m map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		return nil, &apiError{status: http.StatusBadRequest, Code: 50109, Msg: "The request body contains invalid JSON."}
	}
	return m, nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

func str(m map[string]json.RawMessage, key string) (string, bool, *apiError) {
	raw, ok := m[key]
	if !ok || isNull(raw) {
		return "", ok, nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", true, invalidForm(key, "Must be a string.")
	}
	return v, true, nil
}

func num(m map[string]json.RawMessage, key string) (int, bool, *apiError) {
	raw, ok := m[key]
	if !ok || isNull(raw) {
		return 0, false, nil
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, true, invalidForm(key, "Must be an integer.")
	}
	return v, true, nil
}

func flag(m map[string]json.RawMessage, key string) (bool, bool, *apiError) {
	raw, ok := m[key]
	if !ok || isNull(raw) {
		return false, false, nil
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, true, invalidForm(key, "Must be a boolean.")
	}
	return v, true, nil
}

func snowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// checkPath refuses ids in the path that are not snowflakes, as Discord
// does before looking anything up.
func checkPath(p map[string]string) *apiError {
	for k, v := range p {
		if !snowflake(v) {
			return invalidForm(k+"_id", "Value \""+v+"\" is not snowflake.")
		}
	}
	return nil
}

func limitParam(r *http.Request, def, most int) (int, *apiError) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, invalidForm("limit", "int value should be between 1 and "+strconv.Itoa(most)+".")
	}
	return n, nil
}

func (s *Server) guild(p map[string]string) (*guild, *apiError) {
	if e := checkPath(p); e != nil {
		return nil, e
	}
	g := s.guilds[p["guild"]]
	if g == nil {
		return nil, notFound(10004, "Guild")
	}
	return g, nil
}

func (s *Server) channel(p map[string]string) (*Channel, *apiError) {
	if e := checkPath(p); e != nil {
		return nil, e
	}
	c := s.channels[p["channel"]]
	if c == nil {
		return nil, notFound(10003, "Channel")
	}
	return c, nil
}

func (s *Server) me(*http.Request, map[string]string) (any, *apiError) {
	return s.users[s.botID], nil
}

func (s *Server) myGuilds(r *http.Request, _ map[string]string) (any, *apiError) {
	limit, e := limitParam(r, 200, 200)
	if e != nil {
		return nil, e
	}
	after := r.URL.Query().Get("after")
	gs := sorted(s.guilds,
		func(g *guild) bool { return g.ID > after },
		func(a, b *guild) int { return strings.Compare(a.ID, b.ID) })
	out := []map[string]any{}
	for _, g := range gs[:min(limit, len(gs))] {
		out = append(out, map[string]any{"id": g.ID, "name": g.Name, "icon": nil, "owner": g.OwnerID == s.botID, "permissions": "8", "features": []string{}})
	}
	return out, nil
}

func (s *Server) guildJSON(g *guild) map[string]any {
	var desc any
	if g.Description != "" {
		desc = g.Description
	}
	return map[string]any{"id": g.ID, "name": g.Name, "description": desc, "owner_id": g.OwnerID, "roles": s.roleList(g), "features": []string{}}
}

func (s *Server) getGuild(_ *http.Request, p map[string]string) (any, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, e
	}
	return s.guildJSON(g), nil
}

func (s *Server) editGuild(r *http.Request, p map[string]string) (any, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, e
	}
	b, e := body(r)
	if e != nil {
		return nil, e
	}
	name, has, e := str(b, "name")
	if e != nil {
		return nil, e
	}
	if has && (len(name) < 2 || len(name) > 100) {
		return nil, invalidForm("name", "Must be between 2 and 100 in length.")
	}
	desc, hasDesc, e := str(b, "description")
	if e != nil {
		return nil, e
	}
	if has {
		g.Name = name
	}
	if hasDesc {
		g.Description = desc
	}
	return s.guildJSON(g), nil
}

// sorted returns the values of m that keep accepts (all of them when
// keep is nil) in the given order, as a non-nil slice so that an empty
// list encodes as [] the way Discord sends it.
func sorted[V any](m map[string]V, keep func(V) bool, order func(a, b V) int) []V {
	out := []V{}
	for _, v := range m {
		if keep == nil || keep(v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, order)
	return out
}

// guildChannels lists a guild's channels sorted by position, then id.
func (s *Server) guildChannels(guildID string) []*Channel {
	return sorted(s.channels,
		func(c *Channel) bool { return c.GuildID == guildID },
		func(a, b *Channel) int {
			return cmp.Or(cmp.Compare(a.Position, b.Position), strings.Compare(a.ID, b.ID))
		})
}

func (s *Server) listChannels(_ *http.Request, p map[string]string) (any, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, e
	}
	return s.guildChannels(g.ID), nil
}

// channelFields applies name, topic, position, parent_id and
// permission_overwrites from a create or edit body.
func (s *Server) channelFields(c *Channel, b map[string]json.RawMessage) *apiError {
	name, has, e := str(b, "name")
	if e != nil {
		return e
	}
	if has {
		if c.Type == TypeText || c.Type == typeAnnouncement {
			name = textChannelName(name)
		}
		if name == "" || utf8.RuneCountInString(name) > 100 {
			return invalidForm("name", "Must be between 1 and 100 in length.")
		}
		c.Name = name
	}
	if raw, ok := b["topic"]; ok {
		if isNull(raw) {
			c.Topic = nil
		} else {
			t, _, e := str(b, "topic")
			if e != nil {
				return e
			}
			if len(t) > 1024 {
				return invalidForm("topic", "Must be 1024 or fewer in length.")
			}
			c.Topic = &t
		}
	}
	if pos, ok, e := num(b, "position"); e != nil {
		return e
	} else if ok {
		c.Position = pos
	}
	if raw, ok := b["parent_id"]; ok {
		if isNull(raw) {
			c.ParentID = nil
		} else {
			pid, _, e := str(b, "parent_id")
			if e != nil {
				return e
			}
			pc := s.channels[pid]
			if pc == nil || pc.GuildID != c.GuildID || pc.Type != TypeCategory {
				return invalidForm("parent_id", "Category does not exist")
			}
			if c.Type == TypeCategory {
				return invalidForm("parent_id", "Categories cannot have subcategories")
			}
			c.ParentID = &pid
		}
	}
	if raw, ok := b["permission_overwrites"]; ok && !isNull(raw) {
		var ows []Overwrite
		if err := json.Unmarshal(raw, &ows); err != nil {
			return invalidForm("permission_overwrites", "Must be an array of overwrites.")
		}
		c.Overwrites = ows
	}
	return nil
}

// typeAnnouncement is Discord's announcement channel, named as a text
// channel is.
const typeAnnouncement = 5

var dashes = regexp.MustCompile(`[\s-]+`)

// textChannelName is a text channel's name as Discord keeps it: it
// lower-cases the name and turns each run of spaces and dashes into one
// dash ("Show  And-Tell" is kept as "show-and-tell"), so a name written
// otherwise comes back changed.
func textChannelName(name string) string {
	return dashes.ReplaceAllString(strings.ToLower(strings.TrimSpace(name)), "-")
}

func (s *Server) createChannel(r *http.Request, p map[string]string) (any, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, e
	}
	b, e := body(r)
	if e != nil {
		return nil, e
	}
	if _, has, _ := str(b, "name"); !has {
		return nil, invalidForm("name", "This field is required")
	}
	typ, _, e := num(b, "type")
	if e != nil {
		return nil, e
	}
	if typ != TypeText && typ != TypeCategory && typ != 2 && typ != typeAnnouncement {
		return nil, invalidForm("type", "Value must be one of {0, 2, 4, 5, 13, 15, 16}.")
	}
	c := &Channel{ID: s.id(), Type: typ, GuildID: g.ID, Overwrites: []Overwrite{}}
	if _, ok := b["position"]; !ok {
		// Discord puts a channel without a position at the end.
		for _, o := range s.guildChannels(g.ID) {
			c.Position = max(c.Position, o.Position+1)
		}
	}
	if e := s.channelFields(c, b); e != nil {
		return nil, e
	}
	s.channels[c.ID] = c
	return created{c}, nil
}

func (s *Server) channelPositions(r *http.Request, p map[string]string) (any, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, e
	}
	var items []map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&items); err != nil {
		return nil, &apiError{status: http.StatusBadRequest, Code: 50109, Msg: "The request body contains invalid JSON."}
	}
	// Check everything first: the change is all or nothing.
	for _, it := range items {
		id, _, e := str(it, "id")
		if e != nil {
			return nil, e
		}
		if c := s.channels[id]; c == nil || c.GuildID != g.ID {
			return nil, invalidForm("id", "Unknown channel "+id)
		}
	}
	for _, it := range items {
		id, _, _ := str(it, "id")
		c := s.channels[id]
		if pos, ok, e := num(it, "position"); e != nil {
			return nil, e
		} else if ok {
			c.Position = pos
		}
		if _, ok := it["parent_id"]; ok {
			if e := s.channelFields(c, map[string]json.RawMessage{"parent_id": it["parent_id"]}); e != nil {
				return nil, e
			}
		}
	}
	return nil, nil
}

func (s *Server) getChannel(_ *http.Request, p map[string]string) (any, *apiError) {
	return s.channel(p)
}

func (s *Server) editChannel(r *http.Request, p map[string]string) (any, *apiError) {
	c, e := s.channel(p)
	if e != nil {
		return nil, e
	}
	b, e := body(r)
	if e != nil {
		return nil, e
	}
	next := *c
	next.Overwrites = slices.Clone(c.Overwrites)
	if e := s.channelFields(&next, b); e != nil {
		return nil, e
	}
	*c = next
	return c, nil
}

func (s *Server) deleteChannel(_ *http.Request, p map[string]string) (any, *apiError) {
	c, e := s.channel(p)
	if e != nil {
		return nil, e
	}
	delete(s.channels, c.ID)
	delete(s.messages, c.ID)
	delete(s.pins, c.ID)
	if c.Type == TypeCategory {
		for _, o := range s.channels {
			if o.ParentID != nil && *o.ParentID == c.ID {
				o.ParentID = nil
			}
		}
	}
	return c, nil
}

func (s *Server) putOverwrite(r *http.Request, p map[string]string) (any, *apiError) {
	c, e := s.channel(p)
	if e != nil {
		return nil, e
	}
	b, e := body(r)
	if e != nil {
		return nil, e
	}
	typ, _, e := num(b, "type")
	if e != nil {
		return nil, e
	}
	allow, _, e := str(b, "allow")
	if e != nil {
		return nil, e
	}
	deny, _, e := str(b, "deny")
	if e != nil {
		return nil, e
	}
	o := Overwrite{ID: p["overwrite"], Type: typ, Allow: orZero(allow), Deny: orZero(deny)}
	for i := range c.Overwrites {
		if c.Overwrites[i].ID == o.ID {
			c.Overwrites[i] = o
			return nil, nil
		}
	}
	c.Overwrites = append(c.Overwrites, o)
	return nil, nil
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func (s *Server) deleteOverwrite(_ *http.Request, p map[string]string) (any, *apiError) {
	c, e := s.channel(p)
	if e != nil {
		return nil, e
	}
	for i := range c.Overwrites {
		if c.Overwrites[i].ID == p["overwrite"] {
			c.Overwrites = slices.Delete(c.Overwrites, i, i+1)
			return nil, nil
		}
	}
	return nil, notFound(10009, "Overwrite")
}

func (s *Server) listMessages(r *http.Request, p map[string]string) (any, *apiError) {
	c, e := s.channel(p)
	if e != nil {
		return nil, e
	}
	limit, e := limitParam(r, 50, 100)
	if e != nil {
		return nil, e
	}
	q := r.URL.Query()
	msgs := s.messages[c.ID]
	var pick []*Message
	switch {
	case q.Get("after") != "":
		// The oldest `limit` messages after the id.
		for _, m := range msgs {
			if m.ID > q.Get("after") && len(pick) < limit {
				pick = append(pick, m)
			}
		}
	case q.Get("before") != "":
		for _, m := range msgs {
			if m.ID < q.Get("before") {
				pick = append(pick, m)
			}
		}
		pick = pick[max(len(pick)-limit, 0):]
	default:
		pick = msgs[max(len(msgs)-limit, 0):]
	}
	// Discord answers newest first.
	out := make([]*Message, 0, len(pick))
	for i := len(pick) - 1; i >= 0; i-- {
		out = append(out, pick[i])
	}
	return out, nil
}

func (s *Server) post(c *Channel, author *User, text string, nonce any) *Message {
	m := &Message{ID: s.id(), ChannelID: c.ID, GuildID: c.GuildID, Author: author, Content: text, Timestamp: s.now().UTC(), Nonce: nonce}
	s.messages[c.ID] = append(s.messages[c.ID], m)
	return m
}

func (s *Server) createMessage(r *http.Request, p map[string]string) (any, *apiError) {
	c, e := s.channel(p)
	if e != nil {
		return nil, e
	}
	if c.Type == TypeCategory {
		return nil, &apiError{status: http.StatusBadRequest, Code: 50008, Msg: "Cannot send messages in a non-text channel"}
	}
	b, e := body(r)
	if e != nil {
		return nil, e
	}
	content, _, e := str(b, "content")
	if e != nil {
		return nil, e
	}
	if content == "" {
		return nil, &apiError{status: http.StatusBadRequest, Code: 50006, Msg: "Cannot send an empty message"}
	}
	if len([]rune(content)) > 2000 {
		return nil, invalidForm("content", "Must be 2000 or fewer in length.")
	}
	var nonce any
	nonceKey := ""
	if raw, ok := b["nonce"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &nonce); err != nil {
			return nil, invalidForm("nonce", "Must be a string or an integer.")
		}
		ns := strings.Trim(string(raw), `"`)
		if len(ns) > 25 {
			return nil, invalidForm("nonce", "Must be 25 or fewer in length.")
		}
		if enforce, _, _ := flag(b, "enforce_nonce"); enforce {
			nonceKey = c.ID + "/" + s.botID + "/" + ns
			if id, ok := s.nonces[nonceKey]; ok {
				for _, m := range s.messages[c.ID] {
					if m.ID == id {
						return m, nil
					}
				}
			}
		}
	}
	allowed, e := allowedMentions(b)
	if e != nil {
		return nil, e
	}
	m := s.post(c, s.users[s.botID], content, nonce)
	m.MentionEveryone, m.MentionRoles = pinged(content, allowed)
	if nonceKey != "" {
		s.nonces[nonceKey] = m.ID
	}
	return m, nil
}

func (s *Server) message(p map[string]string) (*Channel, int, *apiError) {
	c, e := s.channel(p)
	if e != nil {
		return nil, 0, e
	}
	for i, m := range s.messages[c.ID] {
		if m.ID == p["message"] {
			return c, i, nil
		}
	}
	return nil, 0, notFound(10008, "Message")
}

func (s *Server) getMessage(_ *http.Request, p map[string]string) (any, *apiError) {
	c, i, e := s.message(p)
	if e != nil {
		return nil, e
	}
	return s.messages[c.ID][i], nil
}

func (s *Server) editMessage(r *http.Request, p map[string]string) (any, *apiError) {
	c, i, e := s.message(p)
	if e != nil {
		return nil, e
	}
	m := s.messages[c.ID][i]
	if m.Author.ID != s.botID {
		return nil, &apiError{status: http.StatusForbidden, Code: 50005, Msg: "Cannot edit a message authored by another user"}
	}
	b, e := body(r)
	if e != nil {
		return nil, e
	}
	if content, ok, e := str(b, "content"); e != nil {
		return nil, e
	} else if ok {
		if len([]rune(content)) > 2000 {
			return nil, invalidForm("content", "Must be 2000 or fewer in length.")
		}
		m.Content = content
	}
	return m, nil
}

func (s *Server) deleteMessage(_ *http.Request, p map[string]string) (any, *apiError) {
	c, i, e := s.message(p)
	if e != nil {
		return nil, e
	}
	id := s.messages[c.ID][i].ID
	s.messages[c.ID] = slices.Delete(s.messages[c.ID], i, i+1)
	s.pins[c.ID] = slices.DeleteFunc(s.pins[c.ID], func(x string) bool { return x == id })
	return nil, nil
}

func (s *Server) listPins(_ *http.Request, p map[string]string) (any, *apiError) {
	c, e := s.channel(p)
	if e != nil {
		return nil, e
	}
	out := []*Message{}
	for _, id := range s.pins[c.ID] {
		for _, m := range s.messages[c.ID] {
			if m.ID == id {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

func (s *Server) pin(_ *http.Request, p map[string]string) (any, *apiError) {
	c, i, e := s.message(p)
	if e != nil {
		return nil, e
	}
	m := s.messages[c.ID][i]
	if m.Pinned {
		return nil, nil
	}
	if len(s.pins[c.ID]) >= 50 {
		return nil, &apiError{status: http.StatusBadRequest, Code: 30003, Msg: "Maximum number of pins reached (50)"}
	}
	m.Pinned = true
	s.pins[c.ID] = append([]string{m.ID}, s.pins[c.ID]...)
	return nil, nil
}

func (s *Server) unpin(_ *http.Request, p map[string]string) (any, *apiError) {
	c, i, e := s.message(p)
	if e != nil {
		return nil, e
	}
	m := s.messages[c.ID][i]
	m.Pinned = false
	s.pins[c.ID] = slices.DeleteFunc(s.pins[c.ID], func(x string) bool { return x == m.ID })
	return nil, nil
}

// roleList lists a guild's roles sorted by position, then id.
func (s *Server) roleList(g *guild) []*Role {
	return sorted(g.roles, nil,
		func(a, b *Role) int { return cmp.Or(cmp.Compare(a.Position, b.Position), strings.Compare(a.ID, b.ID)) })
}

func (s *Server) listRoles(_ *http.Request, p map[string]string) (any, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, e
	}
	return s.roleList(g), nil
}

func roleFields(ro *Role, b map[string]json.RawMessage) *apiError {
	if name, ok, e := str(b, "name"); e != nil {
		return e
	} else if ok {
		if len(name) > 100 {
			return invalidForm("name", "Must be 100 or fewer in length.")
		}
		ro.Name = name
	}
	if perms, ok, e := str(b, "permissions"); e != nil {
		return e
	} else if ok {
		if _, err := strconv.ParseUint(perms, 10, 64); err != nil {
			return invalidForm("permissions", "Must be a permission bitfield string.")
		}
		ro.Permissions = perms
	}
	if color, ok, e := num(b, "color"); e != nil {
		return e
	} else if ok {
		if color < 0 || color > 0xffffff {
			return invalidForm("color", "int value should be between 0 and 16777215.")
		}
		ro.Color = color
	}
	if v, ok, e := flag(b, "hoist"); e != nil {
		return e
	} else if ok {
		ro.Hoist = v
	}
	if v, ok, e := flag(b, "mentionable"); e != nil {
		return e
	} else if ok {
		ro.Mentionable = v
	}
	return nil
}

func (s *Server) createRole(r *http.Request, p map[string]string) (any, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, e
	}
	b, e := body(r)
	if e != nil {
		return nil, e
	}
	// New roles sit just above @everyone; positions change with the
	// role positions route.
	ro := &Role{ID: s.id(), Name: "new role", Position: 1, Permissions: "0"}
	if e := roleFields(ro, b); e != nil {
		return nil, e
	}
	g.roles[ro.ID] = ro
	return ro, nil
}

func (s *Server) rolePositions(r *http.Request, p map[string]string) (any, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, e
	}
	var items []map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&items); err != nil {
		return nil, &apiError{status: http.StatusBadRequest, Code: 50109, Msg: "The request body contains invalid JSON."}
	}
	for _, it := range items {
		id, _, e := str(it, "id")
		if e != nil {
			return nil, e
		}
		if g.roles[id] == nil {
			return nil, invalidForm("id", "Unknown role "+id)
		}
		if id == g.ID {
			return nil, invalidForm("id", "Cannot move the @everyone role")
		}
	}
	for _, it := range items {
		id, _, _ := str(it, "id")
		if pos, ok, e := num(it, "position"); e != nil {
			return nil, e
		} else if ok {
			g.roles[id].Position = pos
		}
	}
	return s.roleList(g), nil
}

func (s *Server) role(p map[string]string) (*guild, *Role, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, nil, e
	}
	ro := g.roles[p["role"]]
	if ro == nil {
		return nil, nil, notFound(10011, "Role")
	}
	return g, ro, nil
}

func (s *Server) editRole(r *http.Request, p map[string]string) (any, *apiError) {
	_, ro, e := s.role(p)
	if e != nil {
		return nil, e
	}
	b, e := body(r)
	if e != nil {
		return nil, e
	}
	next := *ro
	if e := roleFields(&next, b); e != nil {
		return nil, e
	}
	*ro = next
	return ro, nil
}

func (s *Server) deleteRole(_ *http.Request, p map[string]string) (any, *apiError) {
	g, ro, e := s.role(p)
	if e != nil {
		return nil, e
	}
	if ro.ID == g.ID {
		return nil, invalidForm("role_id", "Cannot delete the @everyone role")
	}
	delete(g.roles, ro.ID)
	for _, m := range g.members {
		m.Roles = slices.DeleteFunc(m.Roles, func(x string) bool { return x == ro.ID })
	}
	return nil, nil
}

func (s *Server) listMembers(r *http.Request, p map[string]string) (any, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, e
	}
	limit, e := limitParam(r, 1, 1000)
	if e != nil {
		return nil, e
	}
	after := r.URL.Query().Get("after")
	if after == "" {
		after = "0"
	}
	if !snowflake(after) {
		return nil, invalidForm("after", "Value \""+after+"\" is not snowflake.")
	}
	// Snowflakes compare as numbers: a shorter one is smaller.
	snowflakeOrder := func(a, b string) int { return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b)) }
	ms := sorted(g.members,
		func(m *Member) bool { return snowflakeOrder(m.User.ID, after) > 0 },
		func(a, b *Member) int { return snowflakeOrder(a.User.ID, b.User.ID) })
	return ms[:min(limit, len(ms))], nil
}

func (s *Server) member(p map[string]string) (*guild, *Member, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, nil, e
	}
	m := g.members[p["user"]]
	if m == nil {
		return nil, nil, notFound(10007, "Member")
	}
	return g, m, nil
}

func (s *Server) getMember(_ *http.Request, p map[string]string) (any, *apiError) {
	_, m, e := s.member(p)
	if e != nil {
		return nil, e
	}
	return m, nil
}

func (s *Server) editMember(r *http.Request, p map[string]string) (any, *apiError) {
	g, m, e := s.member(p)
	if e != nil {
		return nil, e
	}
	b, e := body(r)
	if e != nil {
		return nil, e
	}
	if raw, ok := b["communication_disabled_until"]; ok {
		if isNull(raw) {
			m.CommunicationDisabledUntil = nil
		} else {
			var t time.Time
			if err := json.Unmarshal(raw, &t); err != nil {
				return nil, invalidForm("communication_disabled_until", "Could not parse the timestamp.")
			}
			if t.After(s.now().Add(28 * 24 * time.Hour)) {
				return nil, invalidForm("communication_disabled_until", "Timeout must be less than 28 days in the future.")
			}
			if g.OwnerID == m.User.ID {
				return nil, &apiError{status: http.StatusForbidden, Code: 50013, Msg: "Missing Permissions"}
			}
			t = t.UTC()
			m.CommunicationDisabledUntil = &t
		}
	}
	if raw, ok := b["nick"]; ok {
		if isNull(raw) {
			m.Nick = nil
		} else {
			n, _, e := str(b, "nick")
			if e != nil {
				return nil, e
			}
			m.Nick = &n
		}
	}
	return m, nil
}

func (s *Server) kick(_ *http.Request, p map[string]string) (any, *apiError) {
	g, m, e := s.member(p)
	if e != nil {
		return nil, e
	}
	delete(g.members, m.User.ID)
	s.dispatch("GUILD_MEMBER_REMOVE", map[string]any{"guild_id": g.ID, "user": m.User})
	return nil, nil
}

func (s *Server) addRole(_ *http.Request, p map[string]string) (any, *apiError) {
	g, m, e := s.member(p)
	if e != nil {
		return nil, e
	}
	if g.roles[p["role"]] == nil {
		return nil, notFound(10011, "Role")
	}
	if !slices.Contains(m.Roles, p["role"]) {
		m.Roles = append(m.Roles, p["role"])
	}
	return nil, nil
}

func (s *Server) removeRole(_ *http.Request, p map[string]string) (any, *apiError) {
	g, m, e := s.member(p)
	if e != nil {
		return nil, e
	}
	if g.roles[p["role"]] == nil {
		return nil, notFound(10011, "Role")
	}
	m.Roles = slices.DeleteFunc(m.Roles, func(x string) bool { return x == p["role"] })
	return nil, nil
}

func (s *Server) getBan(_ *http.Request, p map[string]string) (any, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, e
	}
	reason, ok := g.bans[p["user"]]
	if !ok {
		return nil, notFound(10026, "Ban")
	}
	return map[string]any{"reason": reason, "user": s.users[p["user"]]}, nil
}

func (s *Server) ban(r *http.Request, p map[string]string) (any, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, e
	}
	if s.users[p["user"]] == nil {
		return nil, notFound(10013, "User")
	}
	if r.ContentLength > 0 {
		b, e := body(r)
		if e != nil {
			return nil, e
		}
		if secs, ok, e := num(b, "delete_message_seconds"); e != nil {
			return nil, e
		} else if ok && (secs < 0 || secs > 604800) {
			return nil, invalidForm("delete_message_seconds", "int value should be between 0 and 604800.")
		}
	}
	g.bans[p["user"]] = r.Header.Get("X-Audit-Log-Reason")
	if m := g.members[p["user"]]; m != nil {
		delete(g.members, p["user"])
		s.dispatch("GUILD_MEMBER_REMOVE", map[string]any{"guild_id": g.ID, "user": m.User})
	}
	return nil, nil
}

func (s *Server) unban(_ *http.Request, p map[string]string) (any, *apiError) {
	g, e := s.guild(p)
	if e != nil {
		return nil, e
	}
	if _, ok := g.bans[p["user"]]; !ok {
		return nil, notFound(10026, "Ban")
	}
	delete(g.bans, p["user"])
	return nil, nil
}

func (s *Server) createDM(r *http.Request, _ map[string]string) (any, *apiError) {
	b, e := body(r)
	if e != nil {
		return nil, e
	}
	uid, _, e := str(b, "recipient_id")
	if e != nil {
		return nil, e
	}
	if !snowflake(uid) {
		return nil, invalidForm("recipient_id", "Value \""+uid+"\" is not snowflake.")
	}
	u := s.users[uid]
	if u == nil {
		return nil, notFound(10013, "User")
	}
	if id, ok := s.dms[uid]; ok {
		return s.channels[id], nil
	}
	c := &Channel{ID: s.id(), Type: TypeDM, Recipients: []*User{u}, Overwrites: []Overwrite{}}
	s.channels[c.ID] = c
	s.dms[uid] = c.ID
	return c, nil
}

// mentionRules is a message's allowed_mentions; nil parse with no
// allowed_mentions at all means Discord's default, every kind.
type mentionRules struct {
	Parse []string `json:"parse"`
	Roles []string `json:"roles"`
	Users []string `json:"users"`
}

func allowedMentions(b map[string]json.RawMessage) (*mentionRules, *apiError) {
	raw, ok := b["allowed_mentions"]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var r mentionRules
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, invalidForm("allowed_mentions", "Must be an object.")
	}
	for _, p := range r.Parse {
		if p != "everyone" && p != "roles" && p != "users" {
			return nil, invalidForm("allowed_mentions", "Value must be one of {'everyone', 'roles', 'users'}.")
		}
	}
	return &r, nil
}

var roleMention = regexp.MustCompile(`<@&(\d+)>`)

// pinged is what content pings under the rules: @everyone or @here, and
// role mentions.
func pinged(content string, r *mentionRules) (everyone bool, roles []string) {
	may := func(kind string) bool { return r == nil || slices.Contains(r.Parse, kind) }
	everyone = may("everyone") && (strings.Contains(content, "@everyone") || strings.Contains(content, "@here"))
	roles = []string{}
	for _, m := range roleMention.FindAllStringSubmatch(content, -1) {
		if may("roles") || (r != nil && slices.Contains(r.Roles, m[1])) {
			roles = append(roles, m[1])
		}
	}
	return everyone, roles
}
