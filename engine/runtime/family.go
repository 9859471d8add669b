package runtime

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/state"
)

// Capacity families: a community block with a capacity that splits, and
// the sub-communities NAME-2, NAME-3 ... plan opens for it. The runtime
// keeps which community of its family each member is in (their place,
// state.Member.Places) and how many members each one has (the Members of
// its community document), from the joins and leaves it hears and the
// moves it makes; it welcomes members, gives their roles and sends the
// family's messages in their place.

// PlatformCommunities lists the hearth names of the communities that
// exist on the platforms (those state has: "oss", "oss-2" ...), so a
// member is moved only into a sub-community apply has made.
type PlatformCommunities func(ctx context.Context) (map[string]bool, error)

// SetPlatformCommunities tells the runtime which communities exist on
// the platforms. Without it, a community of a family exists for moves
// when hearth has counted something in it (its document): enough for
// previews and simulations, where no platform is involved.
func (r *Runtime) SetPlatformCommunities(fn PlatformCommunities) { r.onPlatform = fn }

// inFamily reports whether community name, an event's, is c or one of
// its sub-communities. It is on the path of every event a scoped
// incentive or campaign hears, so it parses no more than it must.
func (r *Runtime) inFamily(name string, c *config.Community) bool {
	if name == c.Name {
		return true
	}
	rest, ok := strings.CutPrefix(name, c.Name+"-")
	if !ok || rest == "" || rest[0] == '0' {
		return false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 2 {
		return false
	}
	for _, b := range r.cfg.Communities {
		if b.Name == name {
			return false // a block of its own
		}
	}
	return true
}

// placesKept reports whether members' places and counts are kept for
// community place of c's family: c splits, or it is a sub-community
// (which stays in the family after the split is off, while it has
// members), or c has a capacity on a platform hearth only sends through,
// which cannot list members: hearth's count is what plan warns by.
func placesKept(c *config.Community, place int) bool {
	return c.Splits() || place > 1 || c.Capacity > 0 && c.Platform != nil && c.Platform.SendsOnly
}

// count adds n to the member count of community name (clamped at 0:
// members who joined before counts were kept leave uncounted).
func (r *Runtime) count(w *work, name string, n int) error {
	doc, cb, err := r.communityDoc(w, name)
	if doc == nil || err != nil {
		return err
	}
	doc.Members = max(0, doc.Members+n)
	return cb.SaveCommunity(doc)
}

// joinFamily keeps the place of a member joining a community of a
// capacity family, and moves them on when the community is full and
// another of the family has room, where the platform can move members.
// It returns the community the member ends up in: ev.Community, or the
// one they are moved to.
func (r *Runtime) joinFamily(w *work, m *state.Member, ev *events.Event) (string, error) {
	name := r.eventCommunity(ev)
	if name == "" {
		return name, nil
	}
	c, place := r.cfg.Family(name)
	if c == nil {
		return name, nil
	}
	if !placesKept(c, place) {
		r.joinCommunity(m, c)
		return name, nil
	}
	old := m.Places[c.Name]
	if old == name {
		return name, nil // told twice
	}
	if old != "" {
		if err := r.count(w, old, -1); err != nil {
			return "", err
		}
	}
	if err := r.count(w, name, 1); err != nil {
		return "", err
	}
	to := name
	if c.Splits() && c.Platform != nil && c.Platform.MovesMembers {
		room, err := r.roomIn(w, c, name)
		if err != nil {
			return "", err
		}
		if room != "" {
			if err := r.count(w, name, -1); err != nil {
				return "", err
			}
			if err := r.count(w, room, 1); err != nil {
				return "", err
			}
			r.move(w, m, c, ev, name, room)
			to = room
		}
	}
	if m.Places == nil {
		m.Places = map[string]string{}
	}
	m.Places[c.Name] = to
	return to, nil
}

// leaveFamily keeps the place of a member leaving a community of a
// capacity family: they leave their place, or a community they were
// never placed in (then nothing changes).
func (r *Runtime) leaveFamily(w *work, m *state.Member, ev *events.Event, present bool) error {
	name := r.eventCommunity(ev)
	if name == "" {
		return nil
	}
	c, place := r.cfg.Family(name)
	if c == nil {
		return nil
	}
	if !placesKept(c, place) {
		if m.Places[c.Name] == c.Name {
			forget(m, c.Name)
		}
		return nil
	}
	old := m.Places[c.Name]
	switch {
	case old == name:
		forget(m, c.Name)
		return r.count(w, name, -1)
	case old == "" && place == 1 && present:
		// Joined before places were kept: counted with the community's
		// figures then, if at all.
		return r.count(w, name, -1)
	}
	return nil
}

// joinCommunity records that the member joined community c, one that
// does not split, where the configuration has several communities: the
// segments limited to one count its members (InCommunity). With one
// community every member is in it, and nothing is kept.
func (r *Runtime) joinCommunity(m *state.Member, c *config.Community) {
	if len(r.cfg.Communities) < 2 || m.Places[c.Name] != "" {
		return
	}
	if m.Places == nil {
		m.Places = map[string]string{}
	}
	m.Places[c.Name] = c.Name
}

// forget drops the member's place in block's community or family.
func forget(m *state.Member, block string) {
	delete(m.Places, block)
	if len(m.Places) == 0 {
		m.Places = nil
	}
}

// InCommunity reports whether member m is in community block c, or in a
// sub-community of its capacity family: what a segment with community =
// community.NAME asks. With one community every member is. Otherwise a
// member is in the communities their member.joined events named (their
// places, state.Member.Places, kept until the member.left naming it); a
// member none of whose joins named a community (events with none,
// members imported or known from before places were kept) is taken to
// be in every one, as an event naming no community is for all of them.
// It is on the path of every segment evaluation: a map lookup.
func (r *Runtime) InCommunity(m *state.Member, c *config.Community) bool {
	if len(m.Places) == 0 || len(r.cfg.Communities) < 2 {
		return true
	}
	_, in := m.Places[c.Name]
	return in
}

// eventCommunity is the community an event happened in: the one it
// names, or the only one configured.
func (r *Runtime) eventCommunity(ev *events.Event) string {
	if ev.Community == "" && len(r.cfg.Communities) == 1 {
		return r.cfg.Communities[0].Name
	}
	return ev.Community
}

// roomIn is the first community of c's family, other than full one,
// that exists on the platform and has room, or "" when full has room
// itself or none has.
func (r *Runtime) roomIn(w *work, c *config.Community, full string) (string, error) {
	cb, ok := w.b.(state.CommunityBatch)
	if !ok {
		return "", nil
	}
	members := func(name string) (int, bool, error) {
		doc, err := cb.Community(name)
		if err == state.ErrNotFound {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, err
		}
		return doc.Members, true, nil
	}
	if n, _, err := members(full); err != nil || n <= c.Capacity {
		return "", err
	}
	places, err := r.places(w, c, members)
	if err != nil {
		return "", err
	}
	for _, i := range places {
		name := c.Place(i)
		if name == full {
			continue
		}
		n, _, err := members(name)
		if err != nil {
			return "", err
		}
		if n < c.Capacity {
			return name, nil
		}
	}
	return "", nil
}

// places are the places of c's family that exist on the platform, in
// order: those the platform communities name, or without them those
// hearth has a document of, up to the first it has none of.
func (r *Runtime) places(w *work, c *config.Community, members func(string) (int, bool, error)) ([]int, error) {
	if r.onPlatform != nil {
		names, err := r.onPlatform(w.ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the communities on the platforms: %w", err)
		}
		var out []int
		for name := range names {
			if b, i := r.cfg.Family(name); b == c {
				out = append(out, i)
			}
		}
		slices.Sort(out)
		return out, nil
	}
	var out []int
	for i := 1; ; i++ {
		_, ok, err := members(c.Place(i))
		if err != nil || !ok {
			return out, err
		}
		out = append(out, i)
	}
}

// move puts the member's move into the community room in the outbox.
// Its key sorts before those of the other actions the join causes
// (badge.grant, campaign, role, welcome), which the outbox sends in key
// order at one time: the member is in room before they are spoken to
// there.
func (r *Runtime) move(w *work, m *state.Member, c *config.Community, ev *events.Event, from, room string) {
	if r.history {
		return // history places the member in hearth's state only
	}
	target := m.ID
	if id := m.Identities[c.Platform.Type]; id != "" {
		target = id
	}
	key := fmt.Sprintf("assign/%s/%s/%s", c.Name, ev.ID, m.ID)
	w.actions = append(w.actions, state.Action{Key: key, Kind: "member.move", Member: m.ID, At: ev.At, Platform: c.Platform.Addr(),
		Community: from, Into: room, Target: target, Event: ev.ID})
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAction, Member: m.ID, Name: "member.move", Change: "queue", At: ev.At,
		Rule: "community." + c.Name + ".capacity", Event: ev.ID, To: room, Detail: key})
}
