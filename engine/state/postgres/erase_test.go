package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/hearth-community/hearth/engine/state"
)

// TestEraseLeavesNoDeadRows: after EraseMember, no row version of the
// member is left in the tables, live or dead: PostgreSQL keeps deleted
// versions until VACUUM, and tools reading pages (pageinspect here,
// pg_dirtyread) show them.
func TestEraseLeavesNoDeadRows(t *testing.T) {
	ctx := context.Background()
	s := open(t, freshSchema(t), Options{})
	if _, err := s.pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pageinspect SCHEMA public`); err != nil {
		t.Skipf("skipping: pageinspect is not available to read the pages: %v", err)
	}
	const marker = "zq7x"
	id := "u-" + marker
	for i := range 5 {
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m, err := b.Member(id)
		if errors.Is(err, state.ErrNotFound) {
			m, err = state.NewMember(id, t0), nil
		}
		if err != nil {
			t.Fatal(err)
		}
		m.Name = "Ann " + marker
		m.Points = i // a new row version each time
		if err := b.SaveMember(m); err != nil {
			t.Fatal(err)
		}
		if err := b.AppendOutcomes([]state.Outcome{{Kind: state.KindPoints, Member: id, Name: "post", Change: "grant", At: t0, Rule: "incentive.post", Points: 1}}); err != nil {
			t.Fatal(err)
		}
		if err := b.Enqueue([]state.Action{{Key: "k" + string(rune('0'+i)), Kind: "dm", Member: id, At: t0, Text: "Hello Ann " + marker}}); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	rowsHolding := func(table string) int {
		t.Helper()
		var n int
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM generate_series(0, (pg_relation_size($1::regclass) / current_setting('block_size')::int)::int - 1) AS blk,
			public.heap_page_items(public.get_raw_page($1::text, blk))
			WHERE t_data IS NOT NULL AND position(convert_to($2, 'UTF8') IN t_data) > 0`, table, marker).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := rowsHolding("members"); n == 0 {
		t.Fatal("no row version of the member before erasing: the test finds nothing")
	}
	if _, err := s.EraseMember(ctx, id, state.EraseOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"members", "outcomes", "outbox"} {
		if n := rowsHolding(table); n > 0 {
			t.Errorf("%s keeps %d row versions of the erased member", table, n)
		}
	}
}
