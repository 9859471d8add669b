package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-community/hearth/engine/state"
)

// tableCount counts the tables in schema.
func tableCount(t *testing.T, c *pgx.Conn, schema string) int {
	t.Helper()
	var n int
	if err := c.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A read-only open creates no schema and no table, and says there is no
// state, whether the schema is missing or empty.
func TestReadOnlyNoState(t *testing.T) {
	ctx := context.Background()
	schema := freshSchema(t)
	c, err := pgx.Connect(ctx, testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	_, err = Open(ctx, testURL(t), Options{Schema: schema, ReadOnly: true})
	var none *NoStateError
	if !errors.As(err, &none) || !errors.Is(err, state.ErrNoState) {
		t.Fatalf("missing schema: got %v, want a NoStateError", err)
	}
	var exists bool
	if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil || exists {
		t.Fatalf("the read-only open created the schema (%v, %v)", exists, err)
	}
	if _, err := c.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, testURL(t), Options{Schema: schema, ReadOnly: true})
	if !errors.As(err, &none) {
		t.Fatalf("empty schema: got %v, want a NoStateError", err)
	}
	if n := tableCount(t, c, schema); n != 0 {
		t.Fatalf("the read-only open created %d tables in an empty schema", n)
	}
}

// A schema older than this hearth reads is refused with the version it
// has, and left at it; a current one is read, and nothing can be
// written through the store.
func TestReadOnlyVersions(t *testing.T) {
	ctx := context.Background()
	schema, c := schemaAt(t, readableFrom-1)
	_, err := Open(ctx, testURL(t), Options{Schema: schema, ReadOnly: true})
	var old *state.OldSchemaError
	if !errors.As(err, &old) || old.Version != readableFrom-1 {
		t.Fatalf("old schema: got %v, want an OldSchemaError at %d", err, readableFrom-1)
	}
	var v int
	if err := c.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil || v != readableFrom-1 {
		t.Fatalf("the read-only open migrated the schema to %d (%v)", v, err)
	}

	w := open(t, freshSchema(t), Options{})
	schema2 := ""
	if err := w.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema2); err != nil {
		t.Fatal(err)
	}
	if _, err := w.PutResource(ctx, state.Resource{Address: "community.c", Platform: "platform.local.main", Kind: "community", ID: "co-1", Attrs: map[string]string{"name": "c"}}); err != nil {
		t.Fatal(err)
	}
	r := open(t, schema2, Options{ReadOnly: true})
	rs, serial, err := r.Resources(ctx)
	if err != nil || len(rs) != 1 || serial != 1 {
		t.Fatalf("read-only Resources: %v, serial %d, %v", rs, serial, err)
	}
	if _, err := r.PutResource(ctx, state.Resource{Address: "community.d", Platform: "platform.local.main", Kind: "community", ID: "co-2"}); err == nil {
		t.Fatal("a read-only store wrote a resource")
	}
}

// A role that may only SELECT can open the state read-only (a PR plan
// job's credentials), which a writing open fails with.
func TestReadOnlySelectOnlyRole(t *testing.T) {
	ctx := context.Background()
	w := open(t, freshSchema(t), Options{})
	var schema string
	if err := w.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	role := fmt.Sprintf("hearth_ro_%d", rand.Uint64())
	sch, rl := pgx.Identifier{schema}.Sanitize(), pgx.Identifier{role}.Sanitize()
	if _, err := w.pool.Exec(ctx, `CREATE ROLE `+rl+` LOGIN; GRANT USAGE ON SCHEMA `+sch+` TO `+rl+`; GRANT SELECT ON ALL TABLES IN SCHEMA `+sch+` TO `+rl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), testURL(t))
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), `DROP OWNED BY `+rl+`; DROP ROLE `+rl)
	})
	u, err := url.Parse(testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	r, err := Open(ctx, u.String(), Options{Schema: schema, ReadOnly: true})
	if err != nil {
		t.Fatalf("a select-only role could not open the state read-only: %v", err)
	}
	defer r.Close()
	if _, _, err := r.Resources(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(ctx, u.String(), Options{Schema: schema}); err == nil {
		s.Close()
		t.Fatal("a select-only role opened the state for writing: this test no longer shows what read-only mode is for")
	}
}

// A connection that fails says why once, though pgx tries it twice
// (with TLS, then without, under the default sslmode=prefer). Needs no
// server: nothing listens on port 1.
func TestConnectErrorOnce(t *testing.T) {
	for _, ro := range []bool{false, true} {
		_, err := Open(context.Background(), "postgres://nobody@127.0.0.1:1/test", Options{ReadOnly: ro})
		if err == nil {
			t.Skip("something answers on 127.0.0.1:1")
		}
		msg := err.Error()
		if strings.Count(msg, "127.0.0.1:1 ") != 1 || strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "PostgreSQL 127.0.0.1/test: failed to connect") {
			t.Errorf("read-only %v: %q", ro, msg)
		}
	}
}
