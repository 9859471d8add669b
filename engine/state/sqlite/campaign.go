package sqlite

import (
	"context"

	"github.com/hearth-community/hearth/engine/state"
)

var _ state.CampaignRecords = (*Store)(nil)

// campaignOutcomesQuery reads one campaign's outcomes (its rule the
// parameter) off the partial index outcomes_campaign (migration 12). The
// LIKE is implied by the rule's equality, but the planner uses the index
// only for a query that states its predicate, word for word.
const campaignOutcomesQuery = `SELECT kind, member, name, change, at, rule, event, points, src, dst, detail
	FROM outcomes WHERE rule = ? AND rule LIKE 'campaign.%' ORDER BY seq`

// CampaignOutcomes reads the campaign's outcomes off the index
// outcomes_campaign, in order, once the batches committed before are in
// it.
func (s *Store) CampaignOutcomes(ctx context.Context, campaign string, fn func(*state.Outcome) error) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, campaignOutcomesQuery, "campaign."+campaign)
	if err != nil {
		return err
	}
	defer rows.Close()
	return state.VisitOutcomes(rows, fn)
}

// CampaignSends reads the delivery state of the campaign's sends off the
// outbox's key index (state.SendKeyRanges), leaving the messages
// themselves unread.
func (s *Store) CampaignSends(ctx context.Context, campaign string, fn func(state.SendStatus) error) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	r := state.SendKeyRanges(campaign)
	rows, err := s.db.QueryContext(ctx, `SELECT key, status, last_error FROM outbox WHERE key >= ? AND key < ?
		UNION ALL SELECT key, status, last_error FROM outbox WHERE key >= ? AND key < ?`, r[0][0], r[0][1], r[1][0], r[1][1])
	if err != nil {
		return err
	}
	defer rows.Close()
	return state.VisitSends(rows, fn)
}
