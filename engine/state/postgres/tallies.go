package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-community/hearth/engine/state"
)

var (
	_ state.TallySink   = (*batch)(nil)
	_ state.TallyReader = (*Store)(nil)
)

// tallyShards is how many rows a counter may be spread over. Each store
// picks one at random when it opens: replicas rarely share one, and
// sharing only means waiting, never a wrong sum.
const tallyShards = 64

// AddTallies keeps the batch's tally changes until commit.
func (b *batch) AddTallies(d state.Tallies) error {
	b.PendingTallies().Merge(d)
	return nil
}

// PendingTallies are the batch's tally changes until commit.
func (b *batch) PendingTallies() state.Tallies {
	if b.tallies == nil {
		b.tallies = state.Tallies{}
	}
	return b.tallies
}

// writeTallies adds the batch's changes to the store's shard, in key
// order so that two transactions on one shard lock rows in one order.
func (b *batch) writeTallies(ctx context.Context, tx pgx.Tx) error {
	if len(b.tallies) == 0 {
		return nil
	}
	maps.DeleteFunc(b.tallies, func(_ string, n int64) bool { return n == 0 })
	if len(b.tallies) == 0 {
		return nil
	}
	keys := slices.Sorted(maps.Keys(b.tallies))
	ns := make([]int64, len(keys))
	for i, k := range keys {
		ns[i] = b.tallies[k]
	}
	_, err := tx.Exec(ctx, `INSERT INTO tallies (key, shard, n) SELECT k, $3, n FROM unnest($1::text[], $2::bigint[]) AS u(k, n)
		ON CONFLICT (key, shard) DO UPDATE SET n = tallies.n + excluded.n`, keys, ns, b.s.shard)
	if err != nil {
		return fmt.Errorf("tallies: %w", err)
	}
	return nil
}

// Tallies sums the counters over every shard.
func (s *Store) Tallies(ctx context.Context) (state.Tallies, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, sum(n)::bigint FROM tallies GROUP BY key HAVING sum(n) != 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return state.ScanTallies(rows)
}

var _ state.SizeAnchorer = (*Store)(nil)

// AnchorSizes anchors the size history of segments and tiers
// (state.SizeAnchor) on the members and tallies in the database, and
// returns the changes it made. The migration that added it did it
// already; on consistent tallies it changes nothing.
func (s *Store) AnchorSizes(ctx context.Context) (state.Tallies, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	d, err := s.anchorSizes(ctx, tx)
	if err != nil {
		return nil, err
	}
	return d, tx.Commit(ctx)
}

// anchorSizes counts the members in the database and adds the anchor's
// changes in tx. The tables are locked against writes first (reads go
// on), so members and tallies are of one moment: a replica's batch
// waits, and lands after with both its moves and its members.
func (s *Store) anchorSizes(ctx context.Context, tx pgx.Tx) (state.Tallies, error) {
	if _, err := tx.Exec(ctx, `LOCK TABLE members, tallies IN SHARE MODE`); err != nil {
		return nil, err
	}
	var c state.SizeCounter
	var latest *time.Time
	if err := tx.QueryRow(ctx, `SELECT count(*), max(NULLIF(data->>'last_event_at', '0001-01-01T00:00:00Z')::timestamptz) FROM members`).Scan(&c.Members, &latest); err != nil {
		return nil, fmt.Errorf("counting members: %w", err)
	}
	if c.Members == 0 {
		return nil, nil
	}
	if latest != nil {
		c.Latest = state.DayOf(*latest)
	}
	// Counted in the database: the documents are JSON, and a million
	// of them need not cross the wire for a few counts.
	rows, err := tx.Query(ctx, `SELECT seg, count(*) FROM members, jsonb_object_keys(CASE WHEN jsonb_typeof(data->'segments') = 'object' THEN data->'segments' ELSE '{}'::jsonb END) AS seg GROUP BY seg`)
	if err != nil {
		return nil, fmt.Errorf("counting segment holders: %w", err)
	}
	holders, err := state.ScanTallies(rows)
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("counting segment holders: %w", err)
	}
	c.Holders = holders
	rows, err = tx.Query(ctx, `SELECT key, sum(n)::bigint FROM tallies WHERE key LIKE 's/%' OR key LIKE 't/%' GROUP BY key HAVING sum(n) != 0`)
	if err != nil {
		return nil, err
	}
	t, err := state.ScanTallies(rows)
	rows.Close()
	if err != nil {
		return nil, err
	}
	d := state.SizeAnchor(t, &c)
	if len(d) == 0 {
		return nil, nil
	}
	keys := slices.Sorted(maps.Keys(d))
	ns := make([]int64, len(keys))
	for i, k := range keys {
		ns[i] = d[k]
	}
	if _, err := tx.Exec(ctx, `INSERT INTO tallies (key, shard, n) SELECT k, $3, n FROM unnest($1::text[], $2::bigint[]) AS u(k, n)
		ON CONFLICT (key, shard) DO UPDATE SET n = tallies.n + excluded.n`, keys, ns, s.shard); err != nil {
		return nil, fmt.Errorf("tallies: %w", err)
	}
	return d, nil
}
