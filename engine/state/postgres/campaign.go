package postgres

import (
	"context"

	"github.com/hearth-community/hearth/engine/state"
)

var _ state.CampaignRecords = (*Store)(nil)

// campaignOutcomesQuery reads one campaign's outcomes (its rule the
// parameter) off the partial index outcomes_campaign (migration 7). The
// LIKE is implied by the rule's equality, but the planner uses the index
// only for a query that states its predicate, word for word.
const campaignOutcomesQuery = `SELECT kind, member, name, change, at, rule, event, points, src, dst, detail
	FROM outcomes WHERE rule = $1 AND rule LIKE 'campaign.%' ORDER BY seq`

// CampaignOutcomes reads the campaign's outcomes in one query, off the
// index outcomes_campaign. A member's outcomes are in the order they
// happened: replicas never commit two batches of one member at once.
func (s *Store) CampaignOutcomes(ctx context.Context, campaign string, fn func(*state.Outcome) error) error {
	rows, err := s.pool.Query(ctx, campaignOutcomesQuery, "campaign."+campaign)
	if err != nil {
		return err
	}
	defer rows.Close()
	return state.VisitOutcomes(rows, fn)
}

// CampaignSends reads the delivery state of the campaign's sends off the
// outbox's key index (state.SendKeyRanges; the key is COLLATE "C", so
// the ranges are in byte order), leaving the messages unread.
func (s *Store) CampaignSends(ctx context.Context, campaign string, fn func(state.SendStatus) error) error {
	r := state.SendKeyRanges(campaign)
	rows, err := s.pool.Query(ctx, `SELECT key, status, last_error FROM outbox WHERE key >= $1 AND key < $2
		UNION ALL SELECT key, status, last_error FROM outbox WHERE key >= $3 AND key < $4`, r[0][0], r[0][1], r[1][0], r[1][1])
	if err != nil {
		return err
	}
	defer rows.Close()
	return state.VisitSends(rows, fn)
}
