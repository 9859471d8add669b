package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// queryPlan is SQLite's plan for campaignOutcomesQuery, one step a line.
func queryPlan(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`EXPLAIN QUERY PLAN `+campaignOutcomesQuery, "campaign.welcome")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(steps, "\n")
}

// checkIndexed fails the test unless plan reads a campaign's outcomes off
// outcomes_campaign, in the index's order: no scan of the table, no sort.
func checkIndexed(t *testing.T, plan string) {
	t.Helper()
	if !strings.Contains(plan, "SEARCH outcomes USING INDEX outcomes_campaign (rule=?)") ||
		strings.Contains(plan, "SCAN") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("campaign show's outcomes query is planned as\n%s\nwant a search of outcomes_campaign, with no scan or sort", plan)
	}
}

// outcomeMix appends outcomes as a community leaves them: most about
// points, segments and tiers, some of ten campaigns.
func outcomeMix(t *testing.T, s *Store, at time.Time, n int) {
	t.Helper()
	ctx := context.Background()
	var outs []state.Outcome
	for i := range n {
		o := state.Outcome{Kind: state.KindPoints, Member: fmt.Sprintf("u%d", i%97), Name: "post", Change: "grant", At: at, Rule: "incentive.post", Event: fmt.Sprintf("e%d", i), Points: 1}
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
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// campaign show reads a campaign's outcomes off the index made for it,
// not by scanning every outcome of the community: on a new file, and
// with the statistics ANALYZE gathers on a full one.
func TestCampaignOutcomesUseTheIndex(t *testing.T) {
	s := openTemp(t)
	checkIndexed(t, queryPlan(t, s.db))
	outcomeMix(t, s, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), 5000)
	if _, err := s.db.Exec(`ANALYZE`); err != nil {
		t.Fatal(err)
	}
	checkIndexed(t, queryPlan(t, s.db))
}

// A file from before migration 12 gets the index, over the outcomes it
// has, which campaign show then reads from it as before.
func TestCampaignOutcomesIndexMigrates(t *testing.T) {
	ctx := context.Background()
	path, db := databaseAt(t, 11)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	for i, rule := range []string{"campaign.welcome", "segment.welcome", "campaign.welcome2", "campaign.welcome"} {
		if _, err := db.Exec(`INSERT INTO outcomes (kind, member, name, change, at, rule, event, detail) VALUES ('campaign', 'ann', 'welcome', ?, ?, ?, ?, '')`,
			fmt.Sprintf("c%d", i), at+int64(i), rule, fmt.Sprintf("e%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v, indexes int
	if err := s.db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != len(migrations) {
		t.Errorf("schema version after opening: %d, %v; want %d", v, err, len(migrations))
	}
	if err := s.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'outcomes_campaign'`).Scan(&indexes); err != nil || indexes != 1 {
		t.Errorf("outcomes_campaign after the migration: %d, %v", indexes, err)
	}
	checkIndexed(t, queryPlan(t, s.db))
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
	// The index holds the rows written before it was made: the count off
	// it is the table's.
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM outcomes INDEXED BY outcomes_campaign WHERE rule = 'campaign.welcome2' AND rule LIKE 'campaign.%'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("welcome2's outcomes off the index: %d, %v; want 1", n, err)
	}
}
