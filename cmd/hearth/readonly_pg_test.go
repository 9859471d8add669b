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

// pgSite writes planSite with its state in a PostgreSQL schema of its
// own (not created: the commands decide), and returns the directory and
// a connection to look at the database.
func pgSite(t *testing.T) (dir, schema string, c *pgx.Conn) {
	t.Helper()
	pgURL := os.Getenv("HEARTH_TEST_POSTGRES_URL")
	if pgURL == "" {
		t.Skip("skipping: set HEARTH_TEST_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to test plan on a PostgreSQL state")
	}
	ctx := context.Background()
	schema = fmt.Sprintf("hearth_ro_%d", rand.Uint64())
	c, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
		c.Close(context.Background())
	})
	sep := "?"
	if strings.Contains(pgURL, "?") {
		sep = "&"
	}
	dir = t.TempDir()
	site := planSite + fmt.Sprintf("\nhearth {\n  state {\n    backend = \"postgres\"\n    url     = %q\n  }\n}\n", pgURL+sep+"search_path="+schema)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, schema, c
}

func schemaExists(t *testing.T, c *pgx.Conn, schema string) bool {
	t.Helper()
	var ok bool
	if err := c.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// plan, drift and state list on a PostgreSQL state create nothing: with
// no schema, plan and drift read the state as empty and warn; state list
// says there is none. Apply creates it.
func TestPostgresReadCommandsCreateNothing(t *testing.T) {
	dir, schema, c := pgSite(t)
	for _, args := range [][]string{{"plan", dir}, {"drift", dir}} {
		code, stdout, stderr := hearthCmd(t, "", false, args...)
		if code != 0 || !strings.Contains(stderr, "warning: no hearth state yet in PostgreSQL") || !strings.Contains(stderr, "reading the state as empty") {
			t.Fatalf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	code, stdout, stderr := hearthCmd(t, "", false, "state", "list", dir)
	if code != 0 || !strings.Contains(stdout, "there is no state yet at PostgreSQL") {
		t.Fatalf("state list: exit %d\n%s%s", code, stdout, stderr)
	}
	if schemaExists(t, c, schema) {
		t.Fatal("a read command created the schema")
	}
	// An empty schema (made by a DBA for hearth) stays empty.
	if _, err := c.Exec(context.Background(), `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := hearthCmd(t, "", false, "plan", dir); code != 0 || !strings.Contains(stderr, "holds no hearth tables") {
		t.Fatalf("plan on an empty schema: exit %d\n%s%s", code, stdout, stderr)
	}
	var n int
	if err := c.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1`, schema).Scan(&n); err != nil || n != 0 {
		t.Fatalf("plan created %d tables in the empty schema (%v)", n, err)
	}
	if code, stdout, stderr := hearthCmd(t, "", false, "apply", "-auto-approve", dir); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = hearthCmd(t, "", false, "plan", dir)
	if code != 0 || strings.Contains(stderr, "warning") || !strings.Contains(stdout, "No changes") {
		t.Fatalf("plan after apply: exit %d\n%s%s", code, stdout, stderr)
	}
}

// A plan meeting a schema older than this hearth reads refuses with the
// version, and leaves it unmigrated; apply migrates it.
func TestPostgresPlanOldSchema(t *testing.T) {
	dir, schema, c := pgSite(t)
	ctx := context.Background()
	if _, err := c.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := hearthCmd(t, "", false, "apply", "-auto-approve", dir); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := c.Exec(ctx, `UPDATE `+pgx.Identifier{schema, "schema_version"}.Sanitize()+` SET version = 3`); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := hearthCmd(t, "", false, "plan", dir)
	if code != 1 || !strings.Contains(stderr, "has schema version 3, older than this hearth reads") || !strings.Contains(stderr, "run hearth apply or hearth run with this version to migrate") {
		t.Fatalf("plan on schema 3: exit %d\n%s%s", code, stdout, stderr)
	}
	var v int
	if err := c.QueryRow(ctx, `SELECT version FROM `+pgx.Identifier{schema, "schema_version"}.Sanitize()).Scan(&v); err != nil || v != 3 {
		t.Fatalf("plan migrated the schema to %d (%v)", v, err)
	}
}
