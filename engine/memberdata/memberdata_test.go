package memberdata_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/memberdata"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// marker is in everything that names the erased member: their id, name,
// identity and messages. No other text in the tests holds it.
const marker = "zq7x"

const erased = "u-" + marker

// fill stores the erased member, updated many times as a busy member is
// (each update a batch, so a journal record), with outcomes and outbox
// entries; and bob, who names them as his referrer, in a campaign's
// entering event at the top level and nested, and as a run's key.
func fill(t *testing.T, s state.Store) {
	t.Helper()
	ctx := context.Background()
	for i := range 30 {
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m := state.NewMember(erased, t0)
		m.Name = "Ann " + marker + strings.Repeat("!", i) // a size that changes, as a document's does
		m.Identities = map[string]string{"discord": "disc-" + marker}
		m.Attrs = map[string]any{"bio": fmt.Sprintf("update %d of %s", i, marker)}
		if err := b.SaveMember(m); err != nil {
			t.Fatal(err)
		}
		if err := b.AppendOutcomes([]state.Outcome{{Kind: state.KindPoints, Member: erased, Name: "post", Change: "grant", At: t0, Rule: "incentive.post", Event: fmt.Sprintf("e%d", i), Points: 1}}); err != nil {
			t.Fatal(err)
		}
		if err := b.Enqueue([]state.Action{{Key: fmt.Sprintf("k%d", i), Kind: "dm", Member: erased, At: t0, Text: "Hello Ann " + marker}}); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bob := state.NewMember("bob", t0)
	bob.Referrer = erased
	bob.Campaigns = map[string]*state.CampaignRun{
		"thanks": {Status: "active", EnteredAt: t0, Event: map[string]any{
			"member": "bob", "referrer": erased, "kind": "referral",
			"guests": []any{"carol", erased},
			"host":   map[string]any{"id": erased, "seats": []any{map[string]any{"by": erased}}},
			erased:   "a key naming them",
		}},
		"meetup[" + erased + "]": {Status: "active", EnteredAt: t0, Key: erased, Event: map[string]any{"member": "bob"}},
		"meetup[go-night]":       {Status: "active", EnteredAt: t0, Key: "go-night", Event: map[string]any{"member": "bob", "meetup": "go-night"}},
	}
	if err := b.SaveMember(bob); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

// filesHolding names the files under dir whose bytes hold s.
func filesHolding(t *testing.T, dir, s string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(s)) {
			found = append(found, filepath.Base(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestForgetLeavesNothingInSQLiteFiles: after a forget, no file of the
// state directory holds the member's id, name or identity, while the
// store is still open (a daemon goes on running) and after it closes:
// not the database, not its write-ahead log, and not the batch journal,
// whose records held every version of the member's document.
func TestForgetLeavesNothingInSQLiteFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fill(t, s)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := filesHolding(t, dir, marker); len(got) == 0 {
		t.Fatal("the member's marker is in no file before forget: the test finds nothing")
	}
	res, err := memberdata.Forget(ctx, s, erased, memberdata.Options{Suppress: true, Now: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Erased.Member || res.References != 1 {
		t.Errorf("forget: %+v; want the member erased and bob's references to them", res)
	}
	if got := filesHolding(t, dir, marker); len(got) > 0 {
		t.Errorf("after forget, with the store open, the member is still in %v", got)
	}
	// The store goes on: a batch after the forget is kept, and the
	// journal still brings it back after a reopen.
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SaveMember(state.NewMember("dan", t0)); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := filesHolding(t, dir, marker); len(got) > 0 {
		t.Errorf("after forget and close, the member is still in %v", got)
	}
	s2, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	b2, err := s2.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Rollback()
	if _, err := b2.Member("dan"); err != nil {
		t.Errorf("the batch after forget is lost: %v", err)
	}
	bob, err := b2.Member("bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := bob.Campaigns["meetup[go-night]"]; !ok {
		t.Errorf("bob's run keyed by a meetup is gone: %v", bob.Campaigns)
	}
}

// TestForgetScrubsNestedReferences: forget blanks the member's id in
// another member's campaign entering event wherever it sits (top level,
// in lists, in maps, as a map key), and drops the other member's run
// whose run_key was the member's id; the member's own id as "member"
// and runs keyed by anything else stay.
func TestForgetScrubsNestedReferences(t *testing.T) {
	ctx := context.Background()
	s := state.NewMemory()
	fill(t, s)
	res, err := memberdata.Forget(ctx, s, erased, memberdata.Options{Now: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if res.References != 1 {
		t.Errorf("references: %d; want bob", res.References)
	}
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback()
	bob, err := b.Member("bob")
	if err != nil {
		t.Fatal(err)
	}
	if bob.Referrer != "" {
		t.Errorf("bob's referrer: %q", bob.Referrer)
	}
	want := map[string]any{
		"member": "bob", "referrer": "", "kind": "referral",
		"guests": []any{"carol", ""},
		"host":   map[string]any{"id": "", "seats": []any{map[string]any{"by": ""}}},
	}
	if got := bob.Campaigns["thanks"].Event; !reflect.DeepEqual(got, want) {
		t.Errorf("bob's entering event:\n got %#v\nwant %#v", got, want)
	}
	var runs []string
	for id := range bob.Campaigns {
		runs = append(runs, id)
	}
	if len(runs) != 2 || bob.Campaigns["meetup[go-night]"] == nil {
		t.Errorf("bob's runs: %v; want thanks and meetup[go-night], the run keyed by the erased id gone", runs)
	}
}

// TestForgetWhileOthersCommit: on SQLite, emptying the journal as part of
// a forget loses no batch of other members committed meanwhile, before
// or after it; all are there when the store is opened again.
func TestForgetWhileOthersCommit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s)
	const n = 300
	var wg sync.WaitGroup
	wg.Add(1)
	errs := make(chan error, 1)
	go func() {
		defer wg.Done()
		for i := range n {
			b, err := s.Begin(ctx)
			if err == nil {
				err = b.SaveMember(state.NewMember(fmt.Sprintf("m%03d", i), t0))
			}
			if err == nil {
				err = b.Commit()
			}
			if err != nil {
				errs <- err
				return
			}
		}
	}()
	if _, err := memberdata.Forget(ctx, s, erased, memberdata.Options{Now: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ids, err := s2.MemberIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, id := range ids {
		got[id] = true
	}
	for i := range n {
		if id := fmt.Sprintf("m%03d", i); !got[id] {
			t.Errorf("member %s, committed around the forget, is lost", id)
		}
	}
	if got[erased] {
		t.Error("the erased member is back")
	}
}
