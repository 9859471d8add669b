package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The health report reads the same from PostgreSQL as from SQLite after
// the same events: the tallies behind it are kept in both.
func TestReportOnPostgresMatchesSQLite(t *testing.T) {
	pgURL := os.Getenv("HEARTH_TEST_POSTGRES_URL")
	if pgURL == "" {
		t.Skip("skipping: set HEARTH_TEST_POSTGRES_URL to compare the report on PostgreSQL")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("hearth_report_%d", rand.Uint64())
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
		conn.Close(context.Background())
	})

	copyExample := func(state string) string {
		dir := t.TempDir()
		src := "../../examples/health-report"
		entries, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Replace(string(data), "backend = \"sqlite\"\n    path    = \".hearth/state.db\"", state, 1)
			if err := os.WriteFile(filepath.Join(dir, e.Name()), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	sep := "?"
	if strings.Contains(pgURL, "?") {
		sep = "&"
	}
	lite := copyExample("backend = \"sqlite\"\n    path    = \".hearth/state.db\"")
	pg := copyExample(fmt.Sprintf("backend = \"postgres\"\n    url     = %q", pgURL+sep+"search_path="+schema))
	if data, _ := os.ReadFile(filepath.Join(pg, "main.hcl")); !strings.Contains(string(data), "postgres") {
		t.Fatal("the example's state block changed; this test no longer switches it to PostgreSQL")
	}
	reports := map[string]string{}
	for name, dir := range map[string]string{"sqlite": lite, "postgres": pg} {
		if code, stdout, stderr := hearthCmd(t, "", false, "replay", "-events", filepath.Join(dir, "events.jsonl"), dir); code != 0 {
			t.Fatalf("%s replay: exit %d\n%s%s", name, code, stdout, stderr)
		}
		code, stdout, stderr := hearthCmd(t, "", false, "report", "-json", "-at", "2026-03-31", dir)
		if code != 0 {
			t.Fatalf("%s report: exit %d\n%s%s", name, code, stdout, stderr)
		}
		reports[name] = stdout
	}
	if !strings.Contains(reports["sqlite"], `"nps"`) {
		t.Fatalf("the SQLite report has no figures:\n%s", reports["sqlite"])
	}
	if reports["sqlite"] != reports["postgres"] {
		t.Errorf("reports differ\nSQLite:\n%s\nPostgreSQL:\n%s", reports["sqlite"], reports["postgres"])
	}
}
