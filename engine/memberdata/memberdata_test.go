package memberdata_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/memberdata"
	"github.com/hearth-community/hearth/engine/simulate"
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
		// Ended runs of a campaign with reentry = "never", kept as their
		// keys alone: one keyed by the erased id.
		"invite[" + erased + "]": {Status: "done", EnteredAt: t0, EndedAt: t0, Reason: "finished", Runs: 1, Key: erased},
		"invite[carol]":          {Status: "done", EnteredAt: t0, EndedAt: t0, Reason: "goal", Runs: 2, Key: "carol"},
	}
	bob.CompactRun("invite[" + erased + "]")
	bob.CompactRun("invite[carol]")
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
	if len(runs) != 3 || bob.Campaigns["meetup[go-night]"] == nil || bob.Campaigns["meetup[(forgotten)]"] == nil {
		t.Errorf("bob's runs: %v; want thanks, meetup[go-night] and meetup[(forgotten)], the run keyed by the erased id renamed", runs)
	}
	if _, ok := bob.KeyEnded("invite", erased); ok {
		t.Errorf("bob keeps the erased id as an ended key: %v", bob.KeysEnded)
	}
	if e, ok := bob.KeyEnded("invite", "carol"); !ok || e.Reason != "goal" {
		t.Errorf("bob's other ended key: %+v %v; want carol's, kept", e, ok)
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

// A campaign with a run per member the inviter brought in: the key of
// each run is the invitee's id.
const inviterConfig = `
platform "local" "main" {}
community "club" {
  title    = "Club"
  platform = platform.local.main
}
event "invite.accepted" {
  attributes = {
    invitee = "string"
  }
}
template "t" {
  text = { en = "Thanks, ${member.name}" }
}
campaign "thank" {
  enter_on = "invite.accepted"
  run_key  = "event.invitee"
  step "now" {
    send {
      channel  = "dm"
      template = template.t
    }
  }
  step "later" {
    wait = "10d"
    send {
      channel  = "dm"
      template = template.t
    }
  }
}
`

// Forgetting a member whose id is the key of another member's runs
// leaves the id nowhere in that member's document: each such run goes
// on under a key that names nobody, with its send and its timer, and its
// next message is queued under an outbox key without the id.
func TestForgetRunKeyNamingTheMember(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(inviterConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	path := filepath.Join(t.TempDir(), "state.db")
	open := func() state.Store {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	var outs []state.Outcome
	feed := func(store state.Store, lines string) {
		t.Helper()
		_, err := simulate.Run(ctx, cfg, strings.NewReader(lines), simulate.Options{Store: store,
			Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil }})
		if err != nil {
			t.Fatal(err)
		}
	}
	store := open()
	feed(store, `{"id":"j1","type":"member.joined","member":"bob-77","at":"2026-01-01T08:00:00Z"}
{"id":"i1","type":"invite.accepted","member":"ann","at":"2026-01-01T09:00:00Z","attrs":{"invitee":"bob-77"}}
{"id":"i2","type":"invite.accepted","member":"ann","at":"2026-01-02T09:00:00Z","attrs":{"invitee":"cyd"}}
`)
	for _, id := range []string{"bob-77", "cyd"} {
		res, err := memberdata.Forget(ctx, store, id, memberdata.Options{Now: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if res.References != 1 {
			t.Errorf("forget %s: %d references removed, want 1 (ann's run)", id, res.References)
		}
	}

	store = open() // read back from the file
	b, err := store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ann, err := b.Member("ann")
	_ = b.Rollback()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(ann)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"bob-77", "cyd"} {
		if strings.Contains(string(doc), id) {
			t.Errorf("ann's document still names %s: %s", id, doc)
		}
	}
	if ids := ann.RunIDs("thank", nil); !slices.Equal(ids, []string{"thank[(forgotten 2)]", "thank[(forgotten)]"}) {
		t.Fatalf("ann's runs %q", ids)
	}
	for _, run := range ann.Runs("thank") {
		if !run.Active() || run.StepName != "later" || run.Runs != 1 {
			t.Errorf("run %q: %+v, want under way at step later", run.Key, run)
		}
	}

	outs = nil
	feed(store, `{"id":"tick","type":"checkin","member":"zed","at":"2026-01-20T00:00:00Z"}
`)
	var keys []string
	for _, o := range outs {
		if o.Member == "ann" && o.Change == "queue" {
			keys = append(keys, o.Detail)
		}
	}
	want := []string{"campaign/thank[%28forgotten%29]/ann/1/2/later", "campaign/thank[%28forgotten%202%29]/ann/1/2/later"}
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("queued %q, want %q", keys, want)
	}
}
