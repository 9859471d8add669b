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
			add(t.Role.Addr(), func(m *state.Member) bool { return m.Tier.Name == name })
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

// familyRoles gives the roles of a community's sub-communities the
// holders of the community's own: community.c.role.r's holders hold
// community.c-2.role.r in c-2, for each sub-community state has.
func familyRoles(cfg *config.Config, holders map[string]func(*state.Member) bool, byAddr map[string]state.Resource) {
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
}

// roleSync plans the role assignments of members: a member in a tier or
// segment with a role holds that role on the platform, and loses it on
// leaving. Only roles that tiers and segments give are touched, so roles
// moderators hand out by hand stay. Roles not created yet are synced by
// the plan after the one creating them, once they have ids. Members are
// those of the state store that are in the role's community on the
// platform; in a sub-community, they hold its copy of the role.
func roleSync(ctx context.Context, cfg *config.Config, members Members, byAddr map[string]state.Resource, conns Conns) ([]Change, int, error) {
	holders := roleHolders(cfg)
	if len(holders) == 0 {
		return nil, 0, nil
	}
	familyRoles(cfg, holders, byAddr)
	type roleRef struct {
		addr string
		res  state.Resource
	}
	byCommunity := map[string][]roleRef{} // community address -> roles
	for _, addr := range slices.Sorted(maps.Keys(holders)) {
		if r, ok := byAddr[addr]; ok {
			byCommunity[communityAddr(addr)] = append(byCommunity[communityAddr(addr)], roleRef{addr, r})
		}
	}
	if len(byCommunity) == 0 {
		return nil, 0, nil
	}
	var stored []*state.Member
	if err := members(ctx, func(m *state.Member) error {
		if !m.Left {
			stored = append(stored, m)
		}
		return nil
	}); err != nil {
		return nil, 0, fmt.Errorf("reading members: %w", err)
	}
	var out []Change
	held := 0 // live assignments of synced roles, for the removal guard
	for _, caddr := range slices.Sorted(maps.Keys(byCommunity)) {
		co, ok := byAddr[caddr]
		if !ok {
			continue
		}
		conn, ok := conns[co.Platform]
		if !ok {
			return nil, 0, fmt.Errorf("%s is not open", co.Platform)
		}
		rd, err := reader(conn, co.Platform)
		if err != nil {
			return nil, 0, err
		}
		onPlatform := map[string]bool{}
		objs, err := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindMember, Community: co.ID})
		if errors.Is(err, platform.ErrNotFound) {
			continue // the community is gone; the plan creates it first
		}
		if errors.Is(err, platform.ErrUnsupported) {
			// The platform cannot list members (Telegram's Bot API), so
			// plan cannot tell who holds what; hearth run gives and
			// takes the roles as members move, through the outbox.
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s: reading members of %s: %w", co.Platform, caddr, err)
		}
		for _, o := range objs {
			onPlatform[o.ID] = true
		}
		assigned, err := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindRoleAssignment, Community: co.ID})
		if err != nil {
			return nil, 0, fmt.Errorf("%s: reading role assignments of %s: %w", co.Platform, caddr, err)
		}
		for _, role := range byCommunity[caddr] {
			have := map[string]platform.Object{}
			for _, a := range assigned {
				if a.Attrs["role"] == role.res.ID {
					have[a.Attrs["member"]] = a
				}
			}
			held += len(have)
			want := map[string]bool{}
			for _, m := range stored {
				if onPlatform[m.ID] && holders[role.addr](m) {
					want[m.ID] = true
				}
			}
			for _, id := range slices.Sorted(maps.Keys(want)) {
				if _, ok := have[id]; !ok {
					out = append(out, Change{Address: role.addr + ".member." + id, Kind: platform.KindRoleAssignment, Action: Create,
						Platform: co.Platform, After: platform.Attrs{"member": id, "role": role.res.ID}})
				}
			}
			for _, id := range slices.Sorted(maps.Keys(have)) {
				if !want[id] {
					a := have[id]
					out = append(out, Change{Address: role.addr + ".member." + id, Kind: platform.KindRoleAssignment, Action: Delete,
						Platform: co.Platform, ID: a.ID, Before: settable(a)})
				}
			}
		}
	}
	return out, held, nil
}
