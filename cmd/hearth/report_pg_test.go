package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/postgres"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// The same events leave the same health report and the same community
// figures and alert states on PostgreSQL as on SQLite.
func TestPostgresMatchesSQLite(t *testing.T) {
	pgURL := os.Getenv("HEARTH_TEST_POSTGRES_URL")
	if pgURL == "" {
		t.Skip("skipping: set HEARTH_TEST_POSTGRES_URL to compare PostgreSQL with SQLite")
	}
	for _, example := range []string{"health-report", "moderated-community"} {
		t.Run(example, func(t *testing.T) { comparePostgres(t, pgURL, example) })
	}
}

func comparePostgres(t *testing.T, pgURL, example string) {
	ctx := context.Background()
	schema := fmt.Sprintf("hearth_compare_%d", rand.Uint64())
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
	const sqliteState = "backend = \"sqlite\"\n    path    = \".hearth/state.db\""
	copyExample := func(state string) string {
		dir := t.TempDir()
		src := filepath.Join("../../examples", example)
		entries, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, e.Name()), []byte(strings.Replace(string(data), sqliteState, state, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	sep := "?"
	if strings.Contains(pgURL, "?") {
		sep = "&"
	}
	schemaURL := pgURL + sep + "search_path=" + schema
	lite := copyExample(sqliteState)
	pg := copyExample(fmt.Sprintf("backend = \"postgres\"\n    url     = %q", schemaURL))
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
	if reports["sqlite"] != reports["postgres"] {
		t.Errorf("reports differ\nSQLite:\n%s\nPostgreSQL:\n%s", reports["sqlite"], reports["postgres"])
	}

	ls, err := sqlite.Open(ctx, filepath.Join(lite, ".hearth", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	ps, err := postgres.Open(ctx, schemaURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	docs := func(cr state.CommunityReader) string {
		cs, err := cr.Communities()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.MarshalIndent(cs, "", "  ")
		return string(data)
	}
	if l, p := docs(ls), docs(ps); l != p {
		t.Errorf("community documents differ\nSQLite:\n%s\nPostgreSQL:\n%s", l, p)
	} else if example == "moderated-community" && !strings.Contains(l, `"hours"`) {
		t.Errorf("no community figures were kept:\n%s", l)
	}
}
