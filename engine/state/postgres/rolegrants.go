package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// RoleGrants lists the role assignments hearth made in one community,
// by role then member (engine/plan.RoleGrants).
func (s *Store) RoleGrants(ctx context.Context, platform, community string) ([]state.RoleGrant, error) {
	rows, err := s.pool.Query(ctx, `SELECT role, member, at FROM role_grants WHERE platform = $1 AND community = $2 ORDER BY role, member`, platform, community)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []state.RoleGrant
	for rows.Next() {
		g := state.RoleGrant{Platform: platform, Community: community}
		var at int64
		if err := rows.Scan(&g.Role, &g.Member, &at); err != nil {
			return nil, err
		}
		g.At = time.Unix(0, at).UTC()
		out = append(out, g)
	}
	return out, rows.Err()
}

// HasRoleGrant reports whether hearth made the assignment g names.
func (s *Store) HasRoleGrant(ctx context.Context, g state.RoleGrant) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM role_grants WHERE platform = $1 AND community = $2 AND role = $3 AND member = $4)`,
		g.Platform, g.Community, g.Role, g.Member).Scan(&ok)
	return ok, err
}

// PutRoleGrant records an assignment hearth made; one recorded before
// keeps its time.
func (s *Store) PutRoleGrant(ctx context.Context, g state.RoleGrant) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO role_grants (platform, community, role, member, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		g.Platform, g.Community, g.Role, g.Member, g.At.UnixNano())
	return err
}

// DeleteRoleGrant forgets an assignment hearth made, if it has it.
func (s *Store) DeleteRoleGrant(ctx context.Context, g state.RoleGrant) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM role_grants WHERE platform = $1 AND community = $2 AND role = $3 AND member = $4`,
		g.Platform, g.Community, g.Role, g.Member)
	return err
}

// MemberRoleGrants lists the role assignments hearth made to one member
// (state.GrantNames), by platform, community and role.
func (s *Store) MemberRoleGrants(ctx context.Context, id string, identities map[string]string) ([]state.RoleGrant, error) {
	return memberGrants(ctx, s.pool, id, identities)
}

// memberGrants reads the grants naming one of the member's ids and keeps
// those state.GrantNames says are theirs. The table has no index on
// member: it holds one row per role hearth gave, and a forget reads it
// once.
func memberGrants(ctx context.Context, q querier, id string, identities map[string]string) ([]state.RoleGrant, error) {
	rows, err := q.Query(ctx, `SELECT platform, community, role, member, at FROM role_grants WHERE member = ANY($1)`, state.GrantMemberIDs(id, identities))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []state.RoleGrant
	for rows.Next() {
		var g state.RoleGrant
		var at int64
		if err := rows.Scan(&g.Platform, &g.Community, &g.Role, &g.Member, &at); err != nil {
			return nil, err
		}
		g.At = time.Unix(0, at).UTC()
		if state.GrantNames(g, id, identities) {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, state.CompareMemberGrants)
	return out, rows.Err()
}
