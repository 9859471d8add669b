package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-community/hearth/engine/state"
)

// campaignPlan is PostgreSQL's plan for campaignOutcomesQuery.
func campaignPlan(t *testing.T, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) string {
	t.Helper()
	rows, err := q.Query(context.Background(), `EXPLAIN `+campaignOutcomesQuery, "campaign.c3")
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// campaign show reads a campaign's outcomes off the index made for it,
// not by scanning every outcome of the community.
func TestCampaignOutcomesUseTheIndex(t *testing.T) {
	ctx := context.Background()
	s := open(t, freshSchema(t), Options{})
	// Outcomes as a community leaves them: most about points and
	// segments, a fifth of ten campaigns.
	var outs []state.Outcome
	for i := range 20000 {
		o := state.Outcome{Kind: state.KindPoints, Member: fmt.Sprintf("u%d", i%97), Name: "post", Change: "grant", At: t0, Rule: "incentive.post", Event: fmt.Sprintf("e%d", i), Points: 1}
		switch i % 5 {
		case 0:
			o.Kind, o.Name, o.Change, o.Rule = state.KindCampaign, fmt.Sprintf("c%d", i/5%10), "enter", fmt.Sprintf("campaign.c%d", i/5%10)
		case 1:
			o.Kind, o.Name, o.Change, o.Rule = state.KindSegment, "active", "enter", "segment.active"
		}
		outs = append(outs, o)
	}
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AppendOutcomes(outs); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE outcomes`); err != nil {
		t.Fatal(err)
	}
	if plan := campaignPlan(t, s.pool); !strings.Contains(plan, "outcomes_campaign") || strings.Contains(plan, "Seq Scan") {
		t.Errorf("campaign show's outcomes query is planned as\n%s\nwant it to read outcomes_campaign", plan)
	}
	n := 0
	if err := s.CampaignOutcomes(ctx, "c3", func(o *state.Outcome) error {
		if o.Rule != "campaign.c3" {
			t.Errorf("outcome of %s read for c3", o.Rule)
		}
		n++
		return nil
	}); err != nil || n != 400 {
		t.Errorf("c3's outcomes: %d, %v; want 400", n, err)
	}
}

// versionSix makes a fresh schema as a hearth before migration 7 left
// it, with outcomes of two campaigns and a segment, and returns it with
// a connection whose search_path is it.
func versionSix(t *testing.T) (string, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	schema, c := schemaAt(t, 6)
	for i, rule := range []string{"campaign.welcome", "segment.welcome", "campaign.welcome2", "campaign.welcome"} {
		if _, err := c.Exec(ctx, `INSERT INTO outcomes (kind, member, name, change, at, rule, event) VALUES ('campaign', 'ann', 'welcome', $1, $2, $3, $4)`,
			fmt.Sprintf("c%d", i), t0.UnixNano()+int64(i), rule, fmt.Sprintf("e%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	return schema, c
}

// checkMigrated checks a schema opened after versionSix: at the current
// version, with the index, and welcome's outcomes read as before.
func checkMigrated(t *testing.T, s *Store, c *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	var v, indexes int
	if err := c.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil || v != len(migrations) {
		t.Errorf("schema version after opening: %d, %v; want %d", v, err, len(migrations))
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'outcomes_campaign'`).Scan(&indexes); err != nil || indexes != 1 {
		t.Errorf("outcomes_campaign after the migration: %d, %v", indexes, err)
	}
	var changes []string
	if err := s.CampaignOutcomes(ctx, "welcome", func(o *state.Outcome) error {
		changes = append(changes, o.Change+" "+o.Event)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(changes, ", "); got != "c0 e0, c3 e3" {
		t.Errorf("welcome's outcomes after the migration: %s; want c0 e0, c3 e3", got)
	}
	// The planner can read them off the index (with scans off: the table
	// is too small for it to choose the index by cost).
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	if plan := campaignPlan(t, tx); !strings.Contains(plan, "outcomes_campaign") {
		t.Errorf("after the migration the outcomes query is planned as\n%s\nwant it to read outcomes_campaign", plan)
	}
}

// A schema from before migration 7 gets the index, over the outcomes it
// has.
func TestCampaignOutcomesIndexMigrates(t *testing.T) {
	schema, c := versionSix(t)
	checkMigrated(t, open(t, schema, Options{}), c)
}

// An operator who built the index beforehand with CREATE INDEX
// CONCURRENTLY, as the README says for a large table, keeps it: the
// migration does not fail on it.
func TestCampaignOutcomesIndexMadeBeforehand(t *testing.T) {
	schema, c := versionSix(t)
	if _, err := c.Exec(context.Background(), `CREATE INDEX CONCURRENTLY outcomes_campaign ON outcomes (rule, seq) WHERE rule LIKE 'campaign.%'`); err != nil {
		t.Fatal(err)
	}
	checkMigrated(t, open(t, schema, Options{}), c)
}
