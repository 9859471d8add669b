package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/statetest"
)

func TestCommunities(t *testing.T) {
	statetest.RunCommunities(t, func(t *testing.T) state.Store {
		s := openTemp(t)
		return s
	})
}

// A community document written in the background survives a reopen.
func TestCommunitySurvivesReopen(t *testing.T) {
	ctx := context.Background()
	s, path := openAt(t)
	b, _ := s.Begin(ctx)
	c := &state.Community{Name: "c", Members: 7}
	c.CountHour("messages", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), 4)
	_ = b.(state.CommunityBatch).SaveCommunity(c)
	done := make(chan error, 1)
	b.(state.AsyncBatch).CommitAsync(func(err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, _ = s.Begin(ctx)
	defer b.Rollback()
	got, err := b.(state.CommunityBatch).Community("c")
	if err != nil || got.Members != 7 || got.Days["messages"].Sum(state.DayOf(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)), 1) != 4 {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
}

// Stores opening a new database at once migrate it once between them.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := Open(context.Background(), path)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// Processes opening and closing one new database at once all succeed.
// Across processes SQLite answers SQLITE_BUSY without waiting while one
// switches the file to WAL or cleans up after its last close, which a
// single process never sees; the test runs itself as the other
// processes.
func TestOpensFromManyProcesses(t *testing.T) {
	if path := os.Getenv("HEARTH_SQLITE_OPEN_CHILD"); path != "" {
		for range 3 {
			s, err := Open(context.Background(), path)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			// A write leaves the WAL something to check point on close.
			if _, err := s.db.Exec(`UPDATE state_meta SET serial = serial + 1`); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			if err := s.Close(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		os.Exit(0)
	}
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "state.db")
		var cmds []*exec.Cmd
		var outs []*bytes.Buffer
		for range 4 {
			cmd := exec.Command(os.Args[0], "-test.run=^TestOpensFromManyProcesses$")
			cmd.Env = append(os.Environ(), "HEARTH_SQLITE_OPEN_CHILD="+path)
			out := &bytes.Buffer{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds, outs = append(cmds, cmd), append(outs, out)
		}
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Errorf("round %d, process %d: %v\n%s", round, i, err, outs[i])
			}
		}
	}
}

func TestPrune(t *testing.T) {
	statetest.RunPrune(t, func(t *testing.T) statetest.PruneStore {
		s := openTemp(t)
		return s
	}, func(t *testing.T, old statetest.PruneStore) statetest.PruneStore {
		path := old.(*Store).path
		if err := old.Close(); err != nil {
			t.Fatal(err)
		}
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// A state path may hold the characters a file: URI gives meaning to (#
// and ? begin a fragment and a query, % an escape): the store opens that
// very file, not one named by the part before them.
func TestOpensPathWithURICharacters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state #1?v=2 100%.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SaveMember(state.NewMember("u1", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no file %q; the directory holds %q", filepath.Base(path), names)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err = s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback()
	if _, err := b.Member("u1"); err != nil {
		t.Errorf("reopened: %v", err)
	}
}
