package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// A state from before migration 14 opens with an empty role_grants
// table, its resources and serial untouched: every assignment on the
// platforms then counts as not given by hearth, which is what adopting means
// (README, Member roles).
func TestRoleGrantsMigrate(t *testing.T) {
	ctx := context.Background()
	path, db := databaseAt(t, 13)
	if _, err := db.Exec(`INSERT INTO resources (address, platform, kind, id, attrs) VALUES ('community.c', 'platform.local.main', 'community', 'co-1', '{}');
		UPDATE state_meta SET serial = 7`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if gs, err := s.RoleGrants(ctx, "platform.local.main", "co-1"); err != nil || len(gs) != 0 {
		t.Fatalf("grants after the migration: %v, %v", gs, err)
	}
	g := state.RoleGrant{Platform: "platform.local.main", Community: "co-1", Role: "ro-1", Member: "mb-1", At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := s.PutRoleGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.HasRoleGrant(ctx, g); err != nil || !ok {
		t.Fatalf("the grant put: %v, %v", ok, err)
	}
	rs, serial, err := s.Resources(ctx)
	if err != nil || serial != 7 || len(rs) != 1 || rs[0].ID != "co-1" {
		t.Fatalf("resources after the migration: %v, serial %d, %v", rs, serial, err)
	}
	var v int
	if err := s.db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != len(migrations) {
		t.Errorf("schema version %d, %v; want %d", v, err, len(migrations))
	}
}
