package runtime_test

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

const identitiesConfig = `
incentive "post" {
  on = "message.posted"
  grant { points = 10 }
}
`

// aliceImported is hearth import members of id=alice,telegram=333,
// matrix=@alice:example.org, then what Telegram and Matrix send about
// her: her joining and a message on each, and a reaction to her
// Telegram message by another Telegram user (444).
const aliceImported = `{"id":"member.imported/alice","type":"member.imported","member":{"id":"alice","identities":{"telegram":"333","matrix":"@alice:example.org"}},"at":"2026-03-01T00:00:00Z","source":"import","attrs":{"points":5}}
{"id":"tg.0","type":"member.joined","member":{"id":"333","name":"Alice","identities":{"telegram":"333"}},"at":"2026-03-02T09:00:00Z","source":"telegram"}
{"id":"tg.1","type":"message.posted","member":{"id":"333","identities":{"telegram":"333"}},"at":"2026-03-02T10:00:00Z","source":"telegram"}
{"id":"mx.1","type":"message.posted","member":{"id":"@alice:example.org","identities":{"matrix":"@alice:example.org"}},"at":"2026-03-02T11:00:00Z","source":"matrix"}
{"id":"tg.2","type":"reaction.added","member":{"id":"444","identities":{"telegram":"444"}},"at":"2026-03-02T12:00:00Z","source":"telegram","attrs":{"emoji":"+1","target":"tg.1","target_member":"333"}}
`

// checkAlice checks the members aliceImported leaves: alice with her
// Telegram and Matrix activity, and the reacting user; no member 333
// or @alice:example.org.
func checkAlice(t *testing.T, members map[string]*state.Member) {
	t.Helper()
	if ids := slices.Sorted(maps.Keys(members)); !slices.Equal(ids, []string{"444", "alice"}) {
		t.Fatalf("members %v; want [444 alice]: the Telegram and Matrix events are alice's", ids)
	}
	a := members["alice"]
	if n := a.Total("message.posted"); n != 2 {
		t.Errorf("alice's messages = %d; want 2 (one on Telegram, one on Matrix)", n)
	}
	if n := a.Total("reaction.received"); n != 1 {
		t.Errorf("alice's reactions received = %d; want 1 (to her Telegram message)", n)
	}
	if a.Points != 25 {
		t.Errorf("alice's points = %d; want 25 (5 imported + 2 messages)", a.Points)
	}
	if a.Name != "Alice" {
		t.Errorf("alice's name = %q; want the one Telegram told", a.Name)
	}
	want := map[string]string{"telegram": "333", "matrix": "@alice:example.org"}
	if !maps.Equal(a.Identities, want) {
		t.Errorf("alice's identities %v; want %v", a.Identities, want)
	}
}

// One person on Telegram and Matrix, imported with both ids, is one
// member: events keyed by either platform's user id apply to her.
func TestImportedIdentitiesLinkPlatformEvents(t *testing.T) {
	cfg := load(t, identitiesConfig)
	sum, _, members := run(t, cfg, aliceImported)
	checkAlice(t, members)
	if sum.Linked != 3 || sum.IdentityConflicts != 0 {
		t.Errorf("linked %d, conflicts %d; want 3 events linked (joined, two messages), no conflict", sum.Linked, sum.IdentityConflicts)
	}
}

// The same replayed one event per batch, as the daemon commits them,
// on SQLite (whose batches are written in the background, so the next
// one finds the import's claims before they are in the file) and in
// memory.
func TestImportedIdentitiesLinkReplayed(t *testing.T) {
	cfg := load(t, identitiesConfig)
	ctx := context.Background()
	stores := map[string]func(t *testing.T) state.Store{
		"memory": func(t *testing.T) state.Store { return state.NewMemory() },
		"sqlite": func(t *testing.T) state.Store {
			s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			rt := runtime.New(cfg, nil)
			applyLines(t, rt, store, aliceImported)
			members := map[string]*state.Member{}
			if err := store.Members(ctx, func(m *state.Member) error { members[m.ID] = m; return nil }); err != nil {
				t.Fatal(err)
			}
			checkAlice(t, members)
			if l, ok := store.(state.IdentityLookup); ok {
				if id, err := l.MemberByIdentity(ctx, "matrix", "@alice:example.org"); err != nil || id != "alice" {
					t.Errorf("MemberByIdentity(matrix) = %q, %v; want alice", id, err)
				}
			}
		})
	}
}

// applyLines applies each event in a batch of its own, committed in the
// background where the store can (as the daemon does), then waits.
func applyLines(t *testing.T, rt *runtime.Runtime, store state.Store, lines string) {
	t.Helper()
	ctx := context.Background()
	errs := make(chan error, 100)
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(lines), "\n") {
		e, err := events.Parse([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		b, err := store.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rt.Apply(ctx, b, &e); err != nil {
			t.Fatal(err)
		}
		if ab, ok := b.(state.AsyncBatch); ok {
			n++
			ab.CommitAsync(func(err error) { errs <- err })
		} else if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// An identity belongs to one member: bob, imported with alice's Matrix
// id, does not get it (a warning says so), and her Matrix events stay
// hers. An event whose identities name two members links to neither.
func TestIdentityClaimedTwiceRefused(t *testing.T) {
	cfg := load(t, identitiesConfig)
	var logs bytes.Buffer
	rt := runtime.New(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	store := state.NewMemory()
	applyLines(t, rt, store, aliceImported+
		`{"id":"member.imported/bob","type":"member.imported","member":{"id":"bob","identities":{"matrix":"@alice:example.org","telegram":"555"}},"at":"2026-03-03T00:00:00Z","source":"import"}
{"id":"mx.2","type":"message.posted","member":{"id":"@alice:example.org","identities":{"matrix":"@alice:example.org"}},"at":"2026-03-03T10:00:00Z","source":"matrix"}
{"id":"x.1","type":"message.posted","member":{"id":"carol","identities":{"telegram":"555","matrix":"@alice:example.org"}},"at":"2026-03-03T11:00:00Z","source":"bridge"}
`)
	members := map[string]*state.Member{}
	_ = store.Members(context.Background(), func(m *state.Member) error { members[m.ID] = m; return nil })
	bob := members["bob"]
	if bob == nil || bob.Identities["matrix"] != "" || bob.Identities["telegram"] != "555" {
		t.Fatalf("bob %+v; want his Telegram id and not alice's Matrix id", bob)
	}
	if n := members["alice"].Total("message.posted"); n != 3 {
		t.Errorf("alice's messages = %d; want 3: her Matrix id stays hers", n)
	}
	if c := members["carol"]; c == nil || c.Total("message.posted") != 1 || len(c.Identities) != 0 {
		t.Errorf("carol %+v; want a member of her own, without the ids alice and bob hold", c)
	}
	if st := rt.Stats(); st.IdentityConflicts != 4 {
		t.Errorf("identity conflicts %d; want 4 (bob's claim, carol's event naming two members, her two claims)", st.IdentityConflicts)
	}
	for _, want := range []string{"identity belongs to another member", "holder=alice", "several members"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if id, _ := store.MemberByIdentity(context.Background(), "matrix", "@alice:example.org"); id != "alice" {
		t.Errorf("matrix id held by %q; want alice", id)
	}
}
