package state

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// RoleGrant records a role assignment hearth made: given by apply, or by
// the daemon's outbox when a tier or segment (or an incentive) gave the
// member the role. Hearth takes back only the assignments it has a
// grant for, so roles moderators hand out by hand stay, also of a role a
// tier gives. The key is the four platform ids; At is when it was made.
type RoleGrant struct {
	Platform  string    `json:"platform"`  // platform block address, platform.local.main
	Community string    `json:"community"` // platform id of the community
	Role      string    `json:"role"`      // platform id of the role
	Member    string    `json:"member"`    // platform id of the member
	At        time.Time `json:"at"`
}

// grantKey is a grant's key, for the Memory store.
type grantKey struct{ platform, community, role, member string }

func keyOf(g RoleGrant) grantKey { return grantKey{g.Platform, g.Community, g.Role, g.Member} }

// CompareRoleGrants orders grants by role, then member: the order the
// stores list them in.
func CompareRoleGrants(a, b RoleGrant) int {
	return cmp.Or(cmp.Compare(a.Role, b.Role), cmp.Compare(a.Member, b.Member))
}

// RoleGrants lists the grants of one community of one platform, by role
// then member.
func (s *Memory) RoleGrants(ctx context.Context, platform, community string) ([]RoleGrant, error) {
	m := &s.res
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []RoleGrant
	for k, g := range m.grants {
		if k.platform == platform && k.community == community {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, CompareRoleGrants)
	return out, nil
}

// HasRoleGrant reports whether there is a grant with g's key.
func (s *Memory) HasRoleGrant(ctx context.Context, g RoleGrant) (bool, error) {
	m := &s.res
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.grants[keyOf(g)]
	return ok, nil
}

// PutRoleGrant records a grant; one with the same key keeps its time.
func (s *Memory) PutRoleGrant(ctx context.Context, g RoleGrant) error {
	m := &s.res
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.grants == nil {
		m.grants = map[grantKey]RoleGrant{}
	}
	if _, ok := m.grants[keyOf(g)]; !ok {
		g.At = g.At.UTC()
		m.grants[keyOf(g)] = g
	}
	return nil
}

// DeleteRoleGrant forgets the grant with g's key, if there is one.
func (s *Memory) DeleteRoleGrant(ctx context.Context, g RoleGrant) error {
	m := &s.res
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.grants, keyOf(g))
	return nil
}

// GrantNames reports whether g is a grant of the member with hearth id
// id and those identities (platform type → their id there): the daemon
// records a role it gives under the member's id on the role's platform,
// apply under the hearth id, which is the platform id there.
func GrantNames(g RoleGrant, id string, identities map[string]string) bool {
	if g.Member == id {
		return true
	}
	rest, ok := strings.CutPrefix(g.Platform, "platform.")
	if !ok {
		return false
	}
	typ, _, _ := strings.Cut(rest, ".")
	pid := identities[typ]
	return pid != "" && pid == g.Member
}

// GrantMemberIDs are the platform ids a member's grants may name: the
// hearth id and each identity, sorted, without repeats. A SQL store
// selects grants of these members, and GrantNames decides.
func GrantMemberIDs(id string, identities map[string]string) []string {
	ids := []string{id}
	for _, pid := range identities {
		if pid != "" {
			ids = append(ids, pid)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// MemberRoleGrants lists the grants naming the member (GrantNames), by
// platform, community, role.
func (s *Memory) MemberRoleGrants(_ context.Context, id string, identities map[string]string) ([]RoleGrant, error) {
	m := &s.res
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []RoleGrant
	for _, g := range m.grants {
		if GrantNames(g, id, identities) {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, CompareMemberGrants)
	return out, nil
}

// CompareMemberGrants orders one member's grants by platform,
// community, role (then member, for a member named on one platform by
// both ids).
func CompareMemberGrants(a, b RoleGrant) int {
	return cmp.Or(cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.Community, b.Community), CompareRoleGrants(a, b))
}

// eraseGrants deletes the member's grants and returns them.
func (s *Memory) eraseGrants(id string, identities map[string]string) []RoleGrant {
	m := &s.res
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []RoleGrant
	for k, g := range m.grants {
		if GrantNames(g, id, identities) {
			out = append(out, g)
			delete(m.grants, k)
		}
	}
	slices.SortFunc(out, CompareMemberGrants)
	return out
}
