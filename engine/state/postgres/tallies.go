package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"

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
