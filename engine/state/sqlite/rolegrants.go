package sqlite

import (
	"context"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// RoleGrants lists the role assignments hearth made in one community,
// by role then member (engine/plan.RoleGrants).
func (s *Store) RoleGrants(ctx context.Context, platform, community string) ([]state.RoleGrant, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT role, member, at FROM role_grants WHERE platform = ? AND community = ? ORDER BY role, member`, platform, community)
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
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM role_grants WHERE platform = ? AND community = ? AND role = ? AND member = ?`,
		g.Platform, g.Community, g.Role, g.Member).Scan(&n)
	return n > 0, err
}

// PutRoleGrant records an assignment hearth made; one recorded before
// keeps its time.
func (s *Store) PutRoleGrant(ctx context.Context, g state.RoleGrant) error {
	_, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO role_grants (platform, community, role, member, at) VALUES (?, ?, ?, ?, ?)`,
		g.Platform, g.Community, g.Role, g.Member, g.At.UnixNano())
	return err
}

// DeleteRoleGrant forgets an assignment hearth made, if it has it.
func (s *Store) DeleteRoleGrant(ctx context.Context, g state.RoleGrant) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM role_grants WHERE platform = ? AND community = ? AND role = ? AND member = ?`,
		g.Platform, g.Community, g.Role, g.Member)
	return err
}
