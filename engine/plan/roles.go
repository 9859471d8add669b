package plan

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// RoleGrants is the record of the role assignments hearth made
// (state.RoleGrant): apply adds one for each assignment it creates and
// the daemon's outbox for each role it gives, and hearth takes back only
// those. Writing one moves no state serial.
type RoleGrants interface {
	// RoleGrants lists the grants in one community of one platform.
	RoleGrants(ctx context.Context, platform, community string) ([]state.RoleGrant, error)
	// HasRoleGrant reports whether there is a grant with g's key.
	HasRoleGrant(ctx context.Context, g state.RoleGrant) (bool, error)
	// PutRoleGrant records a grant; one already there keeps its time.
	PutRoleGrant(ctx context.Context, g state.RoleGrant) error
	// DeleteRoleGrant forgets the grant with g's key, if there is one.
	DeleteRoleGrant(ctx context.Context, g state.RoleGrant) error
}

// Reasons of role assignment changes, as plan and drift print them.
const (
	reasonRoleRemoved   = "was removed outside hearth"
	reasonRoleForgotten = "already removed outside hearth; only forgotten"
	reasonRoleLeft      = "the member left the community; only forgotten"
	// reasonRoleQueued is an assignment the daemon's outbox has queued
	// already, not delivered yet.
	reasonRoleQueued = "queued in the outbox already"
)

// roleHolders says, per role address, which tiers and segments give the
// role: a member holds it while in one of them.
func roleHolders(cfg *config.Config) map[string]func(*state.Member) bool {
	out := map[string]func(*state.Member) bool{}
	add := func(role string, holds func(*state.Member) bool) {
		if prev, ok := out[role]; ok {
			out[role] = func(m *state.Member) bool { return prev(m) || holds(m) }
			return
		}
		out[role] = holds
	}
	for _, t := range cfg.Tiers {
		if t.Role != nil {
			name := t.Name
			add(t.Role.Addr(), func(m *state.Member) bool {
				// A member stored on a tier's old name, before the daemon
				// wrote the name a moved block gave it, is on it too.
				return m.Tier.Name == name || len(cfg.TierMoves) > 0 && cfg.TierNamed(m.Tier.Name) == t
			})
		}
	}
	for _, s := range cfg.Segments {
		if s.Role != nil {
			name := s.Name
			add(s.Role.Addr(), func(m *state.Member) bool { _, in := m.Segments[name]; return in })
		}
	}
	return out
}

// familyHolders is roleHolders with the roles of capacity families'
// sub-communities: community.c.role.r's holders hold community.c-2.role.r
// in c-2, for each sub-community state has.
func familyHolders(cfg *config.Config, byAddr map[string]state.Resource) map[string]func(*state.Member) bool {
	holders := roleHolders(cfg)
	for addr, r := range byAddr {
		name, ok := strings.CutPrefix(addr, "community.")
		if !ok || strings.Contains(name, ".") || r.Kind != string(platform.KindCommunity) {
			continue
		}
		parent, place := cfg.Family(name)
		if parent == nil || place < 2 {
			continue
		}
		for _, role := range parent.Roles {
			if h, ok := holders[role.Addr()]; ok {
				holders[addr+".role."+role.Name] = h
			}
		}
	}
	return holders
}

// roleRef is a synced role: its address and its state record.
type roleRef struct {
	addr string
	res  state.Resource
}

// syncedRoles are the roles tiers and segments give that state has, by
// community address.
func syncedRoles(cfg *config.Config, byAddr map[string]state.Resource) map[string][]roleRef {
	out := map[string][]roleRef{}
	for _, addr := range slices.Sorted(maps.Keys(familyHolders(cfg, byAddr))) {
		if r, ok := byAddr[addr]; ok {
			out[communityAddr(addr)] = append(out[communityAddr(addr)], roleRef{addr, r})
		}
	}
	return out
}

// roleLive is what one community of a platform has of synced roles: who
// is in it, the live assignments by role id then member, and hearth's
// grants the same way.
type roleLive struct {
	onPlatform map[string]bool
	have       map[string]map[string]platform.Object
	made       map[string]map[string]bool
}

// readRoleLive reads a community's members, role assignments and
// grants. ok is false where there is nothing to read: the community is
// gone (the plan creates it first), or the platform cannot list its
// members (Telegram's Bot API), so no one can tell who holds what there;
// hearth run gives and takes the roles as members move, through the
// outbox.
func readRoleLive(ctx context.Context, grants RoleGrants, conns Conns, caddr string, co state.Resource) (roleLive, bool, error) {
	conn, ok := conns[co.Platform]
	if !ok {
		return roleLive{}, false, fmt.Errorf("%s is not open", co.Platform)
	}
	rd, err := reader(conn, co.Platform)
	if err != nil {
		return roleLive{}, false, err
	}
	objs, err := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindMember, Community: co.ID})
	if errors.Is(err, platform.ErrNotFound) || errors.Is(err, platform.ErrUnsupported) {
		return roleLive{}, false, nil
	}
	if err != nil {
		return roleLive{}, false, fmt.Errorf("%s: reading members of %s: %w", co.Platform, caddr, err)
	}
	l := roleLive{onPlatform: map[string]bool{}, have: map[string]map[string]platform.Object{}, made: map[string]map[string]bool{}}
	for _, o := range objs {
		l.onPlatform[o.ID] = true
	}
	assigned, err := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindRoleAssignment, Community: co.ID})
	if err != nil {
		return roleLive{}, false, fmt.Errorf("%s: reading role assignments of %s: %w", co.Platform, caddr, err)
	}
	for _, a := range assigned {
		role := a.Attrs["role"]
		if l.have[role] == nil {
			l.have[role] = map[string]platform.Object{}
		}
		l.have[role][a.Attrs["member"]] = a
	}
	gs, err := grants.RoleGrants(ctx, co.Platform, co.ID)
	if err != nil {
		return roleLive{}, false, fmt.Errorf("reading the role assignments hearth made in %s: %w", caddr, err)
	}
	for _, g := range gs {
		if l.made[g.Role] == nil {
			l.made[g.Role] = map[string]bool{}
		}
		l.made[g.Role][g.Member] = true
	}
	return l, true, nil
}

// roleSync plans the role assignments of members: a member in a tier or
// segment with a role holds that role on the platform, and loses it on
// leaving. Hearth takes only the assignments it made (RoleGrants), so
// roles moderators hand out by hand stay, also of a role a tier gives,
// and a member who holds the role already, by hand, is not given it
// again. An assignment hearth made and someone removed is given again
// while the member qualifies, and otherwise forgotten. Only roles that
// tiers and segments give are touched. Roles not created yet are synced
// by the plan after the one creating them, once they have ids. Members
// are those of the state store that are in the role's community on the
// platform; in a sub-community, they hold its copy of the role. held
// counts the live assignments hearth made of those roles, for the
// removal guard.
//
// An assignment the daemon's outbox has queued already (a role.add or
// role.remove still pending, as while it catches up) is marked so
// (reasonRoleQueued): apply makes it all the same, and the outbox's
// delivery then finds it made (held already, or not held: left alone).
// queued counts them, for a warning.
func roleSync(ctx context.Context, cfg *config.Config, members Members, grants RoleGrants, byAddr map[string]state.Resource, conns Conns) (out []Change, held, queued int, err error) {
	byCommunity := syncedRoles(cfg, byAddr)
	if len(byCommunity) == 0 {
		return nil, 0, 0, nil
	}
	pending, err := queuedRoles(ctx, grants)
	if err != nil {
		return nil, 0, 0, err
	}
	holders := familyHolders(cfg, byAddr)
	var stored []*state.Member
	if err := members(ctx, func(m *state.Member) error {
		if !m.Left {
			stored = append(stored, m)
		}
		return nil
	}); err != nil {
		return nil, 0, 0, fmt.Errorf("reading members: %w", err)
	}
	for _, caddr := range slices.Sorted(maps.Keys(byCommunity)) {
		co, ok := byAddr[caddr]
		if !ok {
			continue
		}
		l, ok, err := readRoleLive(ctx, grants, conns, caddr, co)
		if err != nil {
			return nil, 0, 0, err
		}
		if !ok {
			continue
		}
		for _, role := range byCommunity[caddr] {
			have, made := l.have[role.res.ID], l.made[role.res.ID]
			want := map[string]bool{}
			for _, m := range stored {
				if l.onPlatform[m.ID] && holders[role.addr](m) {
					want[m.ID] = true
				}
			}
			change := func(id string, a Action) Change {
				return Change{Address: role.addr + ".member." + id, Kind: platform.KindRoleAssignment, Action: a, Platform: co.Platform}
			}
			var creates, deletes []Change
			ids := slices.Concat(slices.Collect(maps.Keys(want)), slices.Collect(maps.Keys(have)), slices.Collect(maps.Keys(made)))
			slices.Sort(ids)
			for _, id := range slices.Compact(ids) {
				a, live := have[id]
				if live && made[id] {
					held++
				}
				switch {
				case want[id] && live:
					// Given by hearth, or by hand: either way the member
					// holds it, and a hand-given one stays hand-given.
				case want[id]:
					c := change(id, Create)
					c.After = platform.Attrs{"member": id, "role": role.res.ID}
					switch {
					case made[id]:
						// Given once already (a role.add still queued
						// is from before that).
						c.Reason = reasonRoleRemoved
					case pending[[2]string{role.addr, id}] == "role.add":
						c.Reason = reasonRoleQueued
						queued++
					}
					creates = append(creates, c)
				case live && made[id]:
					c := change(id, Delete)
					c.ID, c.Before = a.ID, settable(a)
					if pending[[2]string{role.addr, id}] == "role.remove" {
						c.Reason = reasonRoleQueued
						queued++
					}
					deletes = append(deletes, c)
				case live:
					// Not hearth's: left alone.
				case made[id]:
					// Hearth's record of an assignment no longer there: it
					// is forgotten, so that a role given by hand later is
					// not taken for hearth's.
					c := change(id, Delete)
					c.Before, c.Reason = platform.Attrs{"member": id, "role": role.res.ID}, reasonRoleForgotten
					if !l.onPlatform[id] {
						c.Reason = reasonRoleLeft
					}
					deletes = append(deletes, c)
				}
			}
			out = append(append(out, creates...), deletes...)
		}
	}
	return out, held, queued, nil
}

// queuedRoles are the role changes the outbox has pending, the latest
// for each role address and member ("role.add" or "role.remove"), where
// the store lists its outbox; the daemon queued them as members moved.
func queuedRoles(ctx context.Context, st RoleGrants) (map[[2]string]string, error) {
	sel, ok := st.(state.OutboxSelector)
	if !ok {
		return nil, nil
	}
	entries, err := sel.SelectOutbox(ctx, state.OutboxFilter{Statuses: []string{state.OutboxPending}})
	if err != nil {
		return nil, fmt.Errorf("reading the outbox: %w", err)
	}
	slices.SortStableFunc(entries, func(a, b state.OutboxEntry) int { return a.At.Compare(b.At) })
	out := map[[2]string]string{}
	for _, e := range entries {
		if e.Kind != "role.add" && e.Kind != "role.remove" {
			continue
		}
		if addr := queuedRoleAddr(&e.Action); addr != "" {
			out[[2]string{addr, e.Member}] = e.Kind
		}
	}
	return out, nil
}

// queuedRoleAddr is the address of the role a queued role change is of:
// its key ends with the configured role's address, and its community is
// the member's place (a sub-community's copy of the role).
func queuedRoleAddr(a *state.Action) string {
	i := strings.LastIndexByte(a.Key, '/')
	if i < 0 {
		return ""
	}
	addr := a.Key[i+1:]
	_, name, ok := strings.Cut(addr, ".role.")
	if !ok || !strings.HasPrefix(addr, "community.") {
		return ""
	}
	if a.Community != "" {
		return "community." + a.Community + ".role." + name
	}
	return addr
}

// roleDrift reports, for Drift, the assignments hearth made that are no
// longer on the platforms (removed outside hearth), as deletes, and a
// warning per synced role for the holders hearth did not give it to
// (given by hand, or before hearth synced the role), which hearth leaves
// alone. A member who left the community took their roles along: that
// is not drift.
func roleDrift(ctx context.Context, cfg *config.Config, grants RoleGrants, resources []state.Resource, conns Conns) ([]Change, []string, error) {
	byAddr := map[string]state.Resource{}
	roleAddr := map[[3]string]string{} // platform, community id, role id -> address
	for _, r := range resources {
		byAddr[r.Address] = r
		if r.Kind == string(platform.KindRole) {
			roleAddr[[3]string{r.Platform, r.Community, r.ID}] = r.Address
		}
	}
	synced := syncedRoles(cfg, byAddr)
	var out []Change
	var warnings []string
	for _, co := range resources {
		if co.Kind != string(platform.KindCommunity) {
			continue
		}
		gs, err := grants.RoleGrants(ctx, co.Platform, co.ID)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the role assignments hearth made in %s: %w", co.Address, err)
		}
		if len(gs) == 0 && len(synced[co.Address]) == 0 {
			continue
		}
		l, ok, err := readRoleLive(ctx, grants, conns, co.Address, co)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		for _, g := range gs {
			addr, known := roleAddr[[3]string{co.Platform, co.ID, g.Role}]
			if _, live := l.have[g.Role][g.Member]; live || !known || !l.onPlatform[g.Member] {
				continue
			}
			out = append(out, Change{Address: addr + ".member." + g.Member, Kind: platform.KindRoleAssignment, Action: Delete, Platform: co.Platform,
				Before: platform.Attrs{"member": g.Member, "role": g.Role}, Reason: "removed outside hearth"})
		}
		for _, role := range synced[co.Address] {
			var byHand []string
			for id := range l.have[role.res.ID] {
				if !l.made[role.res.ID][id] {
					byHand = append(byHand, id)
				}
			}
			if len(byHand) > 0 {
				warnings = append(warnings, handGiven(role.addr, byHand))
			}
		}
	}
	return out, warnings, nil
}

// handGiven says which holders of a synced role hearth did not give it
// to, the first five by id.
func handGiven(role string, ids []string) string {
	slices.Sort(ids)
	names := strings.Join(ids[:min(5, len(ids))], ", ")
	if len(ids) > 5 {
		names += fmt.Sprintf(" and %d more", len(ids)-5)
	}
	who := fmt.Sprintf("%d members hold", len(ids))
	if len(ids) == 1 {
		who = "1 member holds"
	}
	return fmt.Sprintf("%s: %s it without hearth having given it (%s): given by hand, or before a tier or segment gave the role. Hearth leaves these alone, as it takes back only the role assignments it made.", role, who, names)
}
