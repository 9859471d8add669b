package memberdata_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
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
// entering event at the top level and nested, and as a run's key, with
// that run's outcomes and its message, sent.
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
	// A role the daemon gave them, recorded under their id on the
	// platform.
	if gs, ok := s.(interface {
		PutRoleGrant(ctx context.Context, g state.RoleGrant) error
	}); ok {
		if err := gs.PutRoleGrant(ctx, state.RoleGrant{Platform: "platform.discord.main", Community: "co-1", Role: "ro-1", Member: "disc-" + marker, At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bob := state.NewMember("bob", t0)
	bob.Referrer = erased
	// bob referred them and carol, who both converted, and was granted
	// for both once per referee.
	bob.AddReferee(erased)
	bob.AddReferee("carol")
	bob.Grant("converted", t0, 10, nil, false)
	bob.Log("converted").AddKey(erased)
	bob.Log("converted").AddKey("carol")
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
	err = b.AppendOutcomes([]state.Outcome{
		{Kind: state.KindCampaign, Member: "bob", Name: "meetup", Change: "enter", At: t0, Rule: "campaign.meetup", Event: "m1", Detail: state.RunDetail("run 1", erased)},
		{Kind: state.KindAction, Member: "bob", Name: "send.dm", Change: "queue", At: t0, Rule: "campaign.meetup", Event: "m1", Detail: bobSendKey},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Enqueue([]state.Action{{Key: bobSendKey, Kind: "send.dm", Member: "bob", At: t0, Campaign: "meetup", RunKey: erased, Step: "hi", Text: "See you"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if ob, ok := s.(interface {
		ListOutbox(ctx context.Context, status string, limit int) ([]state.OutboxEntry, error)
		MarkSent(ctx context.Context, key string, attempts int, at time.Time) error
	}); ok {
		if _, err := ob.ListOutbox(ctx, "", 1); err != nil { // written, for MarkSent to find
			t.Fatal(err)
		}
		if err := ob.MarkSent(ctx, bobSendKey, 1, t0); err != nil {
			t.Fatal(err)
		}
	}
}

// bobSendKey is the outbox key of the message of bob's run keyed by the
// erased member's id.
const bobSendKey = "campaign/meetup[" + erased + "]/bob/1/1/hi"

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
	if !res.Erased.Member || res.References != 1 || res.Erased.RunKeyOutcomes != 2 || res.Erased.RunKeyOutbox[state.OutboxSent] != 1 || len(res.Erased.RoleGrants) != 1 {
		t.Errorf("forget: %+v; want the member erased, the role hearth gave them, and bob's references to them, in his document, outcomes and outbox", res)
	}
	if got := filesHolding(t, dir, marker); len(got) > 0 {
		t.Errorf("after forget, with the store open, the member is still in %v", got)
	}
	// Bob's message of the run keyed by them is still there, sent, under
	// the run's new key.
	out, err := s.MemberOutbox(ctx, "bob")
	if want := "campaign/meetup[" + url.PathEscape(res.RunKey) + "]/bob/1/1/hi"; err != nil || len(out) != 1 || out[0].Key != want || out[0].Status != state.OutboxSent || out[0].RunKey != res.RunKey {
		t.Errorf("bob's outbox after forget: %+v, %v; want his message sent, under %s", out, err, want)
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
// in lists, in maps, as a map key), and moves the other member's run
// whose run_key was the member's id, and that run's outcomes, to a key
// that names nobody; the member's own id as "member" and runs keyed by
// anything else stay.
func TestForgetScrubsNestedReferences(t *testing.T) {
	ctx := context.Background()
	s := state.NewMemory()
	s.KeepOutcomes = true
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
	if !slices.Equal(bob.Referees, []string{"carol"}) || bob.Referrals != 2 || !slices.Equal(bob.Log("converted").Keys, []string{"carol"}) {
		t.Errorf("bob's referees %v (referrals %d), once_per keys %v; want carol's alone, the count kept", bob.Referees, bob.Referrals, bob.Log("converted").Keys)
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
	if !strings.HasPrefix(res.RunKey, "(forgotten ") {
		t.Errorf("forget gave runs keyed by the member the key %q; want (forgotten ...)", res.RunKey)
	}
	if renamed := "meetup[" + res.RunKey + "]"; len(runs) != 3 || bob.Campaigns["meetup[go-night]"] == nil || bob.Campaigns[renamed] == nil {
		t.Errorf("bob's runs: %v; want thanks, meetup[go-night] and %s, the run keyed by the erased id renamed", runs, renamed)
	}
	outs, err := s.MemberOutcomes(ctx, "bob", 10)
	if want := "run 1 (key \"" + res.RunKey + "\")"; err != nil || len(outs) != 2 || outs[0].Detail != want {
		t.Errorf("bob's outcomes: %+v, %v; want the run's entry naming %s", outs, err, want)
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
// leaves the id nowhere in that member's document, outcomes or outbox:
// each such run goes on under a key that names nobody, drawn for each
// forget (two runs with the same number, message and step would
// otherwise share an outbox key), with its send and its timer; the
// messages it made before are under that key too, the one not sent
// skipped, and its next message is queued under it.
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
	stateDir := t.TempDir()
	path := filepath.Join(stateDir, "state.db")
	open := func() *sqlite.Store {
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
	// The message for cyd's run went out; the one for bob-77's did not
	// yet.
	if _, err := store.ListOutbox(ctx, "", 10); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkSent(ctx, "campaign/thank[cyd]/ann/1/1/now", 1, time.Date(2026, 1, 2, 9, 0, 1, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, id := range []string{"bob-77", "cyd"} {
		res, err := memberdata.Forget(ctx, store, id, memberdata.Options{Now: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if res.References != 1 || res.RunKey == "" || res.Erased.RunKeyOutcomes != 2 || len(res.Erased.RunKeyOutbox) != 1 {
			t.Errorf("forget %s: %+v; want ann's run, its entry and message moved to a key", id, res)
		}
		keys[id] = res.RunKey
	}
	if keys["bob-77"] == keys["cyd"] {
		t.Fatalf("both forgets gave the key %q: the runs' outbox keys would be one", keys["cyd"])
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"bob-77", "cyd"} {
		if got := filesHolding(t, stateDir, id); len(got) > 0 {
			t.Errorf("after forgetting %s, the state's files still hold the id: %v", id, got)
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
	want := []string{"thank[" + keys["bob-77"] + "]", "thank[" + keys["cyd"] + "]"}
	slices.Sort(want)
	if ids := ann.RunIDs("thank", nil); !slices.Equal(ids, want) {
		t.Fatalf("ann's runs %q; want %q", ids, want)
	}
	for _, run := range ann.Runs("thank") {
		if !run.Active() || run.StepName != "later" || run.Runs != 1 {
			t.Errorf("run %q: %+v, want under way at step later", run.Key, run)
		}
	}
	sendKey := func(id string, seq int, step string) string {
		return fmt.Sprintf("campaign/thank[%s]/ann/1/%d/%s", url.PathEscape(keys[id]), seq, step)
	}
	out, err := store.MemberOutbox(ctx, "ann")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range out {
		got[e.Key] = e.Status + " " + e.RunKey
	}
	wantOut := map[string]string{
		sendKey("bob-77", 1, "now"): state.OutboxSkipped + " " + keys["bob-77"],
		sendKey("cyd", 1, "now"):    state.OutboxSent + " " + keys["cyd"],
	}
	if !reflect.DeepEqual(got, wantOut) {
		t.Errorf("ann's outbox\n got %v\nwant %v", got, wantOut)
	}
	annOuts, err := store.Outcomes(ctx, "ann", 100)
	if err != nil {
		t.Fatal(err)
	}
	var queued []string
	for _, o := range annOuts {
		if o.Change == "queue" {
			queued = append(queued, o.Detail)
		}
	}
	slices.Sort(queued)
	wantQueued := []string{sendKey("bob-77", 1, "now"), sendKey("cyd", 1, "now")}
	slices.Sort(wantQueued)
	if !slices.Equal(queued, wantQueued) {
		t.Errorf("ann's queue outcomes %q; want %q, the keys of her entries", queued, wantQueued)
	}

	outs = nil
	feed(store, `{"id":"tick","type":"checkin","member":"zed","at":"2026-01-20T00:00:00Z"}
`)
	queued = nil
	for _, o := range outs {
		if o.Member == "ann" && o.Change == "queue" {
			queued = append(queued, o.Detail)
		}
	}
	wantQueued = []string{sendKey("bob-77", 2, "later"), sendKey("cyd", 2, "later")}
	slices.Sort(queued)
	slices.Sort(wantQueued)
	if !slices.Equal(queued, wantQueued) {
		t.Errorf("queued %q, want %q", queued, wantQueued)
	}
}
