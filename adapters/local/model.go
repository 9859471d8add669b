package local

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// FileFormat and FileVersion identify the JSON document the local
// platform keeps. A file of a later version is refused rather than
// rewritten in the older shape, which would drop what the newer hearth
// stored. Version 2 adds members whose id hearth brought (Member.Num); a
// file without one is written as version 1, which older hearths read.
const (
	FileFormat  = "hearth-local-platform"
	FileVersion = 2
)

// ErrCorrupt is wrapped by errors about a platform file that cannot be
// read: not JSON, not a local platform file, or inconsistent inside.
var ErrCorrupt = errors.New("local platform file is damaged")

// File is the whole emulated platform, as kept on disk. Lists are sorted
// by id number, so the file changes little from one write to the next
// and reads well in a diff.
type File struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	Workspace Workspace `json:"workspace"`
	// Seq is the last number issued per id prefix ("ch" for channels
	// ...). Ids are never reused, like a real platform's.
	Seq             map[string]int64  `json:"seq"`
	Communities     []*Community      `json:"communities"`
	Channels        []*Channel        `json:"channels"`
	Roles           []*Role           `json:"roles"`
	Members         []*Member         `json:"members"`
	Memberships     []*Membership     `json:"memberships"`
	RoleAssignments []*RoleAssignment `json:"role_assignments"`
	Messages        []*Message        `json:"messages"`
	DirectMessages  []*DirectMessage  `json:"direct_messages"`
	Bans            []*Ban            `json:"bans"`
	// Actions are the idempotency keys of performed actions, kept
	// forever so a retry after any delay is still recognised.
	Actions []*ActionRecord `json:"actions"`
	// Events are what members did, in order, for Stream.
	Events []*EventRecord `json:"events"`
}

// Workspace is the emulated server or workspace.
type Workspace struct {
	// ID is random, made once when the file is created, and goes into
	// event ids and stream cursors: two local platforms never produce the
	// same event id, and a cursor from a deleted file is refused rather
	// than silently skipping events of the new one.
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Community is a group of channels, roles and members.
type Community struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Title       string    `json:"title,omitempty"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Channel is a channel of a community.
type Channel struct {
	ID        string    `json:"id"`
	Community string    `json:"community"`
	Name      string    `json:"name"`
	Topic     string    `json:"topic,omitempty"`
	Position  int       `json:"position"`
	Category  string    `json:"category,omitempty"`
	Private   bool      `json:"private,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Role is a role of a community.
type Role struct {
	ID          string    `json:"id"`
	Community   string    `json:"community"`
	Name        string    `json:"name"`
	Color       string    `json:"color,omitempty"`
	Permissions []string  `json:"permissions,omitempty"`
	Hoist       bool      `json:"hoist,omitempty"`
	Mentionable bool      `json:"mentionable,omitempty"`
	Position    int       `json:"position"`
	CreatedAt   time.Time `json:"created_at"`
}

// Member is a person with an account on the workspace; Memberships say
// which communities they are in, as a Discord user is a member of
// guilds.
type Member struct {
	ID string `json:"id"`
	// Num is set for a member whose id hearth brought (u07, from its
	// events; see Adopt) rather than one the file issued (mb-N): the
	// number it took from a sequence of its own (seq "brought", so
	// joins go on with mb-1, mb-2 ...), which orders and pages members,
	// before those with issued ids, as an issued id's number does.
	Num       int64     `json:"num,omitempty"`
	Name      string    `json:"name"`
	Locale    string    `json:"locale,omitempty"`
	Timezone  string    `json:"timezone,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Membership is a member in a community.
type Membership struct {
	Community  string    `json:"community"`
	Member     string    `json:"member"`
	JoinedAt   time.Time `json:"joined_at"`
	MutedUntil time.Time `json:"muted_until,omitzero"`
}

// RoleAssignment is a member holding a role.
type RoleAssignment struct {
	Community  string    `json:"community"`
	Member     string    `json:"member"`
	Role       string    `json:"role"`
	AssignedAt time.Time `json:"assigned_at"`
}

// ID is the assignment's platform id, "MEMBER:ROLE": assignments have no
// id of their own on real platforms (Discord addresses them as
// /members/{user}/roles/{role}), so the pair is the id.
func (a *RoleAssignment) ID() string { return a.Member + ":" + a.Role }

// Message is a message in a channel. Author is a member id, or empty for
// the platform's app (what hearth sends).
type Message struct {
	ID        string    `json:"id"`
	Community string    `json:"community"`
	Channel   string    `json:"channel"`
	Author    string    `json:"author,omitempty"`
	Text      string    `json:"text"`
	ReplyTo   string    `json:"reply_to,omitempty"`
	PostedAt  time.Time `json:"posted_at"`
	Pinned    bool      `json:"pinned,omitempty"`
	PinnedAt  time.Time `json:"pinned_at,omitzero"`
	// Reactions are "MEMBER EMOJI" pairs: a member adds an emoji to a
	// message once, as on Discord and Slack.
	Reactions []string `json:"reactions,omitempty"`
}

// DirectMessage is a private message between the app and a member.
type DirectMessage struct {
	ID        string    `json:"id"`
	Community string    `json:"community"`
	Member    string    `json:"member"`
	Author    string    `json:"author,omitempty"`
	Text      string    `json:"text"`
	SentAt    time.Time `json:"sent_at"`
}

// Ban keeps a member out of a community; a zero Until is for ever.
type Ban struct {
	Community string    `json:"community"`
	Member    string    `json:"member"`
	Reason    string    `json:"reason,omitempty"`
	At        time.Time `json:"at"`
	Until     time.Time `json:"until,omitzero"`
}

// ActionRecord remembers one performed action by its idempotency key.
type ActionRecord struct {
	Key    string `json:"key"`
	Action string `json:"action"`
	// Fingerprint is a hash of the request without its key, to refuse a
	// key reused for a different action.
	Fingerprint string `json:"fingerprint"`
	Result      string `json:"result,omitempty"`
	// Held is, for a role_add, whether the member held the role before
	// (platform.Holding), so a retry answers as the first call did.
	Held string    `json:"held,omitempty"`
	At   time.Time `json:"at"`
}

// EventRecord is one inbound event. Event holds the JSON of an
// events.Event, decoded with events.Parse on delivery so it is checked
// and its numbers typed exactly as events from any other source.
type EventRecord struct {
	Seq       int64           `json:"seq"`
	Community string          `json:"community,omitempty"`
	Event     json.RawMessage `json:"event"`
}

// Id prefixes, one per kind of record.
const (
	preCommunity = "co"
	preChannel   = "ch"
	preRole      = "ro"
	preMember    = "mb"
	preMessage   = "msg"
	preDM        = "dm"
	preEvent     = "ev"
	// seqBrought counts the members whose id hearth brought (Member.Num).
	seqBrought = "brought"
)

// db is the platform in memory, indexed for lookups. It is built from a
// File after checking it (load) and turned back into one to save.
type db struct {
	ws          Workspace
	seq         map[string]int64
	communities map[string]*Community
	channels    map[string]*Channel
	roles       map[string]*Role
	members     map[string]*Member
	memberships map[string]map[string]*Membership // community, member
	assignments map[string]*RoleAssignment        // by ID()
	messages    map[string]*Message
	dms         map[string]*DirectMessage
	bans        map[string]map[string]*Ban // community, member
	actions     map[string]*ActionRecord
	events      []*EventRecord // by Seq

	// views are sorted listings for Read, built on first use and dropped
	// by every change.
	views map[string][]viewItem
}

func newDB(ws Workspace) *db {
	return &db{
		ws:          ws,
		seq:         map[string]int64{},
		communities: map[string]*Community{},
		channels:    map[string]*Channel{},
		roles:       map[string]*Role{},
		members:     map[string]*Member{},
		memberships: map[string]map[string]*Membership{},
		assignments: map[string]*RoleAssignment{},
		messages:    map[string]*Message{},
		dms:         map[string]*DirectMessage{},
		bans:        map[string]map[string]*Ban{},
		actions:     map[string]*ActionRecord{},
	}
}

// next issues the next id with a prefix.
func (d *db) next(prefix string) string {
	d.seq[prefix]++
	return prefix + "-" + strconv.FormatInt(d.seq[prefix], 10)
}

// idNum is the number of an id issued by next, or -1.
func idNum(prefix, id string) int64 {
	rest, ok := strings.CutPrefix(id, prefix+"-")
	if !ok || rest == "" || rest[0] == '0' || len(rest) > 18 {
		return -1
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// corrupt makes a load error.
func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// load checks a decoded file from top to bottom and indexes it. Every
// reference must resolve and every id must be one the file's counters
// issued, so the code working on a db never meets a dangling id (and
// never panics on a hand-edited file); a file that fails is reported
// with what is wrong, not repaired behind the user's back.
func load(f *File) (*db, error) {
	switch {
	case f.Format != FileFormat:
		return nil, corrupt("format is %q, not %q: this is not a hearth local platform file", f.Format, FileFormat)
	case f.Version > FileVersion:
		return nil, corrupt("version %d was written by a newer hearth (this one reads version %d)", f.Version, FileVersion)
	case f.Version < 1:
		return nil, corrupt("version %d is not valid", f.Version)
	case f.Workspace.ID == "":
		return nil, corrupt("the workspace has no id")
	}
	d := newDB(f.Workspace)
	for k, v := range f.Seq {
		if v < 0 {
			return nil, corrupt("seq %q is negative", k)
		}
		d.seq[k] = v
	}
	checkID := func(prefix, what, id string) error {
		n := idNum(prefix, id)
		if n < 1 || n > d.seq[prefix] {
			// A hand-made object: say how to make the file whole again.
			return corrupt("%s id %q was not issued by this file (ids are %s-1 to %s-%d): an object added by hand needs an issued id; set \"seq\": {\"%s\": %d} or more in the file, or make the object with hearth local channel create or hearth local role create, which issue one", what, id, prefix, prefix, d.seq[prefix], prefix, max(n, 1))
		}
		return nil
	}
	for i, c := range f.Communities {
		if c == nil {
			return nil, corrupt("communities[%d] is null", i)
		}
		if err := checkID(preCommunity, "community", c.ID); err != nil {
			return nil, err
		}
		if d.communities[c.ID] != nil {
			return nil, corrupt("community %s appears twice", c.ID)
		}
		d.communities[c.ID] = c
	}
	inCommunity := func(what, id, community string) error {
		if d.communities[community] == nil {
			return corrupt("%s %s is in community %q, which does not exist", what, id, community)
		}
		return nil
	}
	for i, c := range f.Channels {
		if c == nil {
			return nil, corrupt("channels[%d] is null", i)
		}
		if err := checkID(preChannel, "channel", c.ID); err != nil {
			return nil, err
		}
		if err := inCommunity("channel", c.ID, c.Community); err != nil {
			return nil, err
		}
		if d.channels[c.ID] != nil {
			return nil, corrupt("channel %s appears twice", c.ID)
		}
		d.channels[c.ID] = c
	}
	for i, r := range f.Roles {
		if r == nil {
			return nil, corrupt("roles[%d] is null", i)
		}
		if err := checkID(preRole, "role", r.ID); err != nil {
			return nil, err
		}
		if err := inCommunity("role", r.ID, r.Community); err != nil {
			return nil, err
		}
		if d.roles[r.ID] != nil {
			return nil, corrupt("role %s appears twice", r.ID)
		}
		d.roles[r.ID] = r
	}
	nums := map[int64]string{}
	for i, m := range f.Members {
		if m == nil {
			return nil, corrupt("members[%d] is null", i)
		}
		n := idNum(preMember, m.ID)
		if n >= 1 || m.Num == 0 {
			if err := checkID(preMember, "member", m.ID); err != nil {
				return nil, err
			}
			if m.Num != 0 {
				return nil, corrupt("member %s has an issued id and a num", m.ID)
			}
		} else {
			if err := checkBroughtID(m.ID); err != nil {
				return nil, corrupt("member id %q: %v", m.ID, err)
			}
			if m.Num < 1 || m.Num > d.seq[seqBrought] {
				return nil, corrupt("member %s has num %d, which this file did not issue", m.ID, m.Num)
			}
			n = broughtBase + m.Num
		}
		if d.members[m.ID] != nil {
			return nil, corrupt("member %s appears twice", m.ID)
		}
		if other, ok := nums[n]; ok {
			return nil, corrupt("members %s and %s have the same number %d", other, m.ID, n)
		}
		nums[n] = m.ID
		d.members[m.ID] = m
	}
	for i, ms := range f.Memberships {
		if ms == nil {
			return nil, corrupt("memberships[%d] is null", i)
		}
		if err := inCommunity("membership of", ms.Member, ms.Community); err != nil {
			return nil, err
		}
		if d.members[ms.Member] == nil {
			return nil, corrupt("memberships[%d] is of member %q, who does not exist", i, ms.Member)
		}
		if d.membership(ms.Community, ms.Member) != nil {
			return nil, corrupt("member %s is in community %s twice", ms.Member, ms.Community)
		}
		d.setMembership(ms)
	}
	for i, a := range f.RoleAssignments {
		if a == nil {
			return nil, corrupt("role_assignments[%d] is null", i)
		}
		r := d.roles[a.Role]
		switch {
		case r == nil || r.Community != a.Community:
			return nil, corrupt("role_assignments[%d] is of role %q, which is not in community %q", i, a.Role, a.Community)
		case d.membership(a.Community, a.Member) == nil:
			return nil, corrupt("role_assignments[%d] is of %q, who is not in community %q", i, a.Member, a.Community)
		case d.assignments[a.ID()] != nil:
			return nil, corrupt("role assignment %s appears twice", a.ID())
		}
		d.assignments[a.ID()] = a
	}
	for i, m := range f.Messages {
		if m == nil {
			return nil, corrupt("messages[%d] is null", i)
		}
		if err := checkID(preMessage, "message", m.ID); err != nil {
			return nil, err
		}
		ch := d.channels[m.Channel]
		switch {
		case ch == nil || ch.Community != m.Community:
			return nil, corrupt("message %s is in channel %q, which is not in community %q", m.ID, m.Channel, m.Community)
		case m.Author != "" && d.members[m.Author] == nil:
			return nil, corrupt("message %s is by %q, who does not exist", m.ID, m.Author)
		case d.messages[m.ID] != nil:
			return nil, corrupt("message %s appears twice", m.ID)
		}
		d.messages[m.ID] = m
	}
	for i, m := range f.DirectMessages {
		if m == nil {
			return nil, corrupt("direct_messages[%d] is null", i)
		}
		if err := checkID(preDM, "direct message", m.ID); err != nil {
			return nil, err
		}
		switch {
		case d.communities[m.Community] == nil:
			return nil, corrupt("direct message %s is in community %q, which does not exist", m.ID, m.Community)
		case d.members[m.Member] == nil:
			return nil, corrupt("direct message %s is with %q, who does not exist", m.ID, m.Member)
		case m.Author != "" && m.Author != m.Member:
			return nil, corrupt("direct message %s is by %q, who is not in the conversation", m.ID, m.Author)
		case d.dms[m.ID] != nil:
			return nil, corrupt("direct message %s appears twice", m.ID)
		}
		d.dms[m.ID] = m
	}
	for i, b := range f.Bans {
		if b == nil {
			return nil, corrupt("bans[%d] is null", i)
		}
		if err := inCommunity("ban of", b.Member, b.Community); err != nil {
			return nil, err
		}
		if d.members[b.Member] == nil {
			return nil, corrupt("bans[%d] is of %q, who does not exist", i, b.Member)
		}
		if d.bans[b.Community][b.Member] != nil {
			return nil, corrupt("member %s is banned from %s twice", b.Member, b.Community)
		}
		if d.bans[b.Community] == nil {
			d.bans[b.Community] = map[string]*Ban{}
		}
		d.bans[b.Community][b.Member] = b
	}
	for i, a := range f.Actions {
		if a == nil || a.Key == "" {
			return nil, corrupt("actions[%d] has no key", i)
		}
		if d.actions[a.Key] != nil {
			return nil, corrupt("action key %q appears twice", a.Key)
		}
		d.actions[a.Key] = a
	}
	var last int64
	for i, e := range f.Events {
		if e == nil {
			return nil, corrupt("events[%d] is null", i)
		}
		if e.Seq <= last || e.Seq > d.seq[preEvent] {
			return nil, corrupt("events[%d] has seq %d, out of order", i, e.Seq)
		}
		last = e.Seq
		d.events = append(d.events, e)
	}
	return d, nil
}

// memberNum orders members: the number of an issued id (mb-N), or for a
// member whose id hearth brought the one they took (Member.Num) moved
// below every issued one, so the two never meet.
func (d *db) memberNum(id string) int64 {
	if n := idNum(preMember, id); n >= 1 {
		return n
	}
	if m := d.members[id]; m != nil && m.Num > 0 {
		return broughtBase + m.Num
	}
	return 0
}

// broughtBase puts the numbers of members with brought ids below zero.
const broughtBase = -1 << 62

// maxBroughtID is the longest member id hearth may bring, in bytes.
const maxBroughtID = 128

// checkBroughtID says what is wrong with id as the id of a member hearth
// brought to the platform, or nil: it is not of the form the platform
// issues (mb-N), has no spaces, control characters or ':' (a role
// assignment's id is MEMBER:ROLE), and is not too long.
func checkBroughtID(id string) error {
	switch {
	case id == "":
		return errors.New("empty")
	case len(id) > maxBroughtID:
		return fmt.Errorf("longer than %d bytes", maxBroughtID)
	case strings.HasPrefix(id, preMember+"-"):
		return fmt.Errorf("ids starting %s- are the ones the local platform gives (hearth local join prints them)", preMember)
	case !utf8.ValidString(id):
		return errors.New("not UTF-8")
	}
	for _, r := range id {
		if r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("%q may not be in a member id", r)
		}
	}
	return nil
}

// communityName is the name of the community with id, as hearth and
// its commands call it (oss-2), for errors: ids (co-1) are the platform's
// own. The id itself when there is no such community.
func (d *db) communityName(id string) string {
	if c := d.communities[id]; c != nil && c.Name != "" {
		return c.Name
	}
	return id
}

func (d *db) membership(community, member string) *Membership {
	return d.memberships[community][member]
}

func (d *db) setMembership(ms *Membership) {
	if d.memberships[ms.Community] == nil {
		d.memberships[ms.Community] = map[string]*Membership{}
	}
	d.memberships[ms.Community][ms.Member] = ms
}

// file turns the db back into its document, every list in id order.
func (d *db) file() *File {
	f := &File{Format: FileFormat, Version: FileVersion, Workspace: d.ws, Seq: maps.Clone(d.seq)}
	f.Communities = byNum(d.communities, preCommunity, func(c *Community) string { return c.ID })
	f.Channels = byNum(d.channels, preChannel, func(c *Channel) string { return c.ID })
	f.Roles = byNum(d.roles, preRole, func(r *Role) string { return r.ID })
	f.Version = 1
	for _, m := range d.members {
		if m.Num != 0 {
			f.Version = FileVersion
			break
		}
	}
	f.Members = sortedBy(d.members, func(m *Member) int64 { return d.memberNum(m.ID) })
	f.Messages = byNum(d.messages, preMessage, func(m *Message) string { return m.ID })
	f.DirectMessages = byNum(d.dms, preDM, func(m *DirectMessage) string { return m.ID })
	for _, byMember := range d.memberships {
		for _, ms := range byMember {
			f.Memberships = append(f.Memberships, ms)
		}
	}
	slices.SortFunc(f.Memberships, func(a, b *Membership) int {
		return cmp.Or(cmp.Compare(idNum(preCommunity, a.Community), idNum(preCommunity, b.Community)),
			cmp.Compare(d.memberNum(a.Member), d.memberNum(b.Member)))
	})
	for _, a := range d.assignments {
		f.RoleAssignments = append(f.RoleAssignments, a)
	}
	slices.SortFunc(f.RoleAssignments, func(a, b *RoleAssignment) int {
		return cmp.Or(cmp.Compare(d.memberNum(a.Member), d.memberNum(b.Member)),
			cmp.Compare(idNum(preRole, a.Role), idNum(preRole, b.Role)))
	})
	for _, byMember := range d.bans {
		for _, b := range byMember {
			f.Bans = append(f.Bans, b)
		}
	}
	slices.SortFunc(f.Bans, func(a, b *Ban) int {
		return cmp.Or(cmp.Compare(idNum(preCommunity, a.Community), idNum(preCommunity, b.Community)),
			cmp.Compare(d.memberNum(a.Member), d.memberNum(b.Member)))
	})
	for _, a := range d.actions {
		f.Actions = append(f.Actions, a)
	}
	slices.SortFunc(f.Actions, func(a, b *ActionRecord) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.Key, b.Key))
	})
	f.Events = d.events
	return f
}

// byNum lists m's records by id number, parsing each id once: the sort
// runs on every save.
func byNum[T any](m map[string]T, prefix string, id func(T) string) []T {
	return sortedBy(m, func(v T) int64 { return idNum(prefix, id(v)) })
}

// sortedBy lists m's records by the number num gives each.
func sortedBy[T any](m map[string]T, num func(T) int64) []T {
	type keyed struct {
		n int64
		v T
	}
	ks := make([]keyed, 0, len(m))
	for _, v := range m {
		ks = append(ks, keyed{num(v), v})
	}
	slices.SortFunc(ks, func(a, b keyed) int { return cmp.Compare(a.n, b.n) })
	out := make([]T, len(ks))
	for i, k := range ks {
		out[i] = k.v
	}
	return out
}

// changed drops what was derived from the data.
func (d *db) changed() { d.views = nil }
