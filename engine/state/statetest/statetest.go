// Package statetest is the conformance suite every state.Store passes:
// batch atomicity, event deduplication, member round trips, recheck
// scheduling and iteration order, tallies, and erasing members
// (state.Eraser) with the suppression list, the identity index; RunOutboxPages,
// RunOutboxPrune and RunOutboxFinished hold the outbox to its paging, its
// retention and the time each entry finished, and RunOutboxSelect to its
// filters and retrying many entries at once.
package statetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
)

// Open returns a fresh, empty store for one subtest.
type Open func(t *testing.T) state.Store

// Run runs the suite.
func Run(t *testing.T, open Open) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	begin := func(t *testing.T, s state.Store) state.Batch {
		t.Helper()
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	commit := func(t *testing.T, b state.Batch) {
		t.Helper()
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	richMember := func(id string) *state.Member {
		m := state.NewMember(id, t0)
		m.Name = "Ann " + id
		m.Attrs = map[string]any{"about": "hi", "reputation": 12.0}
		m.Record("message.posted", t0, true)
		m.Record("message.posted", t0.Add(26*time.Hour), true)
		m.AddPoints(15, t0)
		m.Badges = map[string]*state.BadgeHold{"first": {Count: 1, First: t0, Last: t0, Event: "e1"}}
		m.Tier = state.TierState{Name: "regular", Rank: 1, Since: t0, History: []state.TierChange{{From: "", To: "regular", At: t0, Event: "e1"}}}
		m.Segments = map[string]time.Time{"active": t0}
		m.Grant("first", t0, 10, nil, true)
		m.Unsubscribe("email.news", t0.Add(time.Hour))
		return m
	}

	t.Run("UnknownMember", func(t *testing.T) {
		s := open(t)
		b := begin(t, s)
		defer b.Rollback()
		if _, err := b.Member("nobody"); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("Member(nobody) error = %v; want ErrNotFound", err)
		}
	})

	t.Run("MemberRoundTrip", func(t *testing.T) {
		s := open(t)
		b := begin(t, s)
		want := richMember("u1")
		if err := b.SaveMember(want); err != nil {
			t.Fatal(err)
		}
		commit(t, b)
		b = begin(t, s)
		defer b.Rollback()
		got, err := b.Member("u1")
		if err != nil {
			t.Fatal(err)
		}
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(got)
		if string(wj) != string(gj) {
			t.Errorf("round trip changed the member:\nsaved %s\nread  %s", wj, gj)
		}
	})

	// A run keeps its entering event as it was; a store may give the
	// values back as JSON does (times as strings, numbers as float64),
	// and events.Restore brings back the declared types either way.
	t.Run("CampaignEventRestores", func(t *testing.T) {
		s := open(t)
		b := begin(t, s)
		starts := time.Date(2026, 3, 12, 19, 0, 0, 0, time.FixedZone("", 3600))
		m := state.NewMember("u1", t0)
		m.Campaigns = map[string]*state.CampaignRun{"rsvp": {Status: "active", EnteredAt: t0, StepAt: t0, Due: starts, Runs: 1,
			Event: map[string]any{"type": "meetup.rsvp", "at": t0, "id": "e1", "member": "u1", "source": "",
				"meetup": "go-night", "starts_at": starts, "seats": 3, "tags": []any{"go"}}}}
		if err := b.SaveMember(m); err != nil {
			t.Fatal(err)
		}
		commit(t, b)
		b = begin(t, s)
		defer b.Rollback()
		got, err := b.Member("u1")
		if err != nil {
			t.Fatal(err)
		}
		types := map[string]rules.EventType{"meetup.rsvp": {Name: "meetup.rsvp", Attrs: map[string]rules.AttrType{
			"meetup": rules.TypeString, "starts_at": rules.TypeTime, "seats": rules.TypeInt, "tags": rules.TypeList}}}
		check := func(how string, kept map[string]any) {
			t.Helper()
			view, err := events.Restore(kept, types)
			if err != nil {
				t.Fatalf("%s: %v", how, err)
			}
			if st, ok := view["starts_at"].(time.Time); !ok || !st.Equal(starts) {
				t.Errorf("%s: starts_at came back as %#v; want %v", how, view["starts_at"], starts)
			}
			if at, ok := view["at"].(time.Time); !ok || !at.Equal(t0) {
				t.Errorf("%s: at came back as %#v; want %v", how, view["at"], t0)
			}
			if view["seats"] != 3 || view["meetup"] != "go-night" || fmt.Sprint(view["tags"]) != "[go]" {
				t.Errorf("%s: attributes came back as %#v", how, view)
			}
		}
		check("read from the store", got.Campaigns["rsvp"].Event)
		// What a store that writes the document (SQLite, PostgreSQL)
		// reads back after a restart, with no member in memory.
		doc, err := got.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var decoded state.Member
		if err := state.DecodeMember(doc, &decoded); err != nil {
			t.Fatal(err)
		}
		if _, isTime := decoded.Campaigns["rsvp"].Event["starts_at"].(time.Time); isTime {
			t.Fatal("the document kept a time.Time: the JSON case is not exercised")
		}
		check("decoded from the document", decoded.Campaigns["rsvp"].Event)
	})

	// A run's recorded hold (what deferred its send, until when) comes
	// back as it was saved, and goes once the run is saved without it.
	t.Run("CampaignHoldRoundTrip", func(t *testing.T) {
		s := open(t)
		until := t0.Add(9 * time.Hour)
		hold := &state.RunHold{Reason: state.HoldFrequencyCap, Until: until, Caps: []state.HoldCap{{Scope: "campaign", Rate: "2/1d"}}}
		m := state.NewMember("u1", t0)
		m.Campaigns = map[string]*state.CampaignRun{
			"q":        {Status: "active", StepName: "first", StepAt: t0, Due: until, EnteredAt: t0, Runs: 1, Hold: hold},
			"rsvp[#4]": {Status: "active", StepName: "remind", StepAt: t0, Due: until, EnteredAt: t0, Runs: 1, Key: "#4"},
		}
		b := begin(t, s)
		if err := b.SaveMember(m); err != nil {
			t.Fatal(err)
		}
		commit(t, b)
		read := func() *state.Member {
			t.Helper()
			b := begin(t, s)
			defer b.Rollback()
			got, err := b.Member("u1")
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		got := read()
		if h := got.Campaigns["q"].Hold; h == nil || h.Reason != hold.Reason || !h.Until.Equal(until) || len(h.Caps) != 1 || h.Caps[0] != hold.Caps[0] {
			t.Fatalf("hold read back as %+v; want %+v", h, hold)
		}
		if h := got.Campaigns["rsvp[#4]"].Hold; h != nil {
			t.Fatalf("a run not held read back with a hold %+v", h)
		}
		b = begin(t, s)
		again, err := b.Member("u1")
		if err != nil {
			t.Fatal(err)
		}
		again.Campaigns["q"].Hold = nil
		if err := b.SaveMember(again); err != nil {
			t.Fatal(err)
		}
		commit(t, b)
		if h := read().Campaigns["q"].Hold; h != nil {
			t.Fatalf("a hold cleared read back as %+v", h)
		}
	})

	t.Run("RollbackDiscards", func(t *testing.T) {
		s := open(t)
		b := begin(t, s)
		_ = b.SaveMember(state.NewMember("u1", t0))
		_ = b.MarkSeen("e1", t0)
		if seen, _ := b.Seen("e1"); !seen {
			t.Error("an event marked in a batch is not seen in the same batch")
		}
		if err := b.Rollback(); err != nil {
			t.Fatal(err)
		}
		b = begin(t, s)
		defer b.Rollback()
		if seen, _ := b.Seen("e1"); seen {
			t.Error("rolled-back event is seen")
		}
		if _, err := b.Member("u1"); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("rolled-back member exists (err %v)", err)
		}
	})

	t.Run("ClaimDigest", func(t *testing.T) {
		s := open(t)
		dc := func(b state.Batch) state.DigestClaimer {
			t.Helper()
			c, ok := b.(state.DigestClaimer)
			if !ok {
				t.Skip("the store keeps no digests with event ids")
			}
			return c
		}
		claim := func(b state.Batch, id string, at time.Time, digest uint64, wantFresh bool, want state.Claimed) {
			t.Helper()
			fresh, earlier, err := dc(b).ClaimDigest(id, at, digest)
			if err != nil {
				t.Fatal(err)
			}
			if fresh != wantFresh || earlier.Digest != want.Digest || (want.Digest != 0 && !earlier.At.Equal(want.At)) {
				t.Fatalf("ClaimDigest(%s, %x) = %v, %x at %v; want %v, %x at %v", id, digest, fresh, earlier.Digest, earlier.At, wantFresh, want.Digest, want.At)
			}
		}
		t1 := t0.Add(time.Hour)
		b := begin(t, s)
		claim(b, "e1", t0, 0xa1, true, state.Claimed{})
		claim(b, "e1", t1, 0xb2, false, state.Claimed{Digest: 0xa1, At: t0}) // in the same batch
		claim(b, "nodigest", t0, 0, true, state.Claimed{})
		if fresh, err := b.Claim("plain", t0); !fresh || err != nil {
			t.Fatalf("Claim(plain) = %v, %v", fresh, err)
		}
		commit(t, b)
		b = begin(t, s)
		claim(b, "rolledback", t0, 0xc3, true, state.Claimed{})
		_ = b.Rollback()

		// Committed (and for some stores still being written), then
		// written for sure, then looked up ahead (Preload): the first
		// digest under an id stays; ids claimed without one have none
		// (as ids stored before the store kept digests).
		check := func(t *testing.T, preload bool) {
			b := begin(t, s)
			defer b.Rollback()
			if pl, ok := b.(state.Preloader); ok && preload {
				if err := pl.Preload([]string{"e1", "nodigest", "plain", "rolledback"}, nil); err != nil {
					t.Fatal(err)
				}
			}
			claim(b, "e1", t1, 0xd4, false, state.Claimed{Digest: 0xa1, At: t0})
			claim(b, "e1", t1, 0xa1, false, state.Claimed{Digest: 0xa1, At: t0})
			claim(b, "nodigest", t1, 0xe5, false, state.Claimed{})
			claim(b, "plain", t1, 0xe5, false, state.Claimed{})
			claim(b, "rolledback", t1, 0xf6, true, state.Claimed{})
			if seen, err := b.Seen("e1"); !seen || err != nil {
				t.Fatalf("Seen(e1) = %v, %v", seen, err)
			}
		}
		check(t, false)
		if f, ok := s.(state.Flusher); ok {
			if err := f.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		check(t, false)
		check(t, true)
	})

	t.Run("SeenAfterCommit", func(t *testing.T) {
		s := open(t)
		b := begin(t, s)
		for i := range 50 {
			_ = b.MarkSeen(fmt.Sprintf("e%d", i), t0)
		}
		commit(t, b)
		b = begin(t, s)
		defer b.Rollback()
		for i := range 50 {
			if seen, err := b.Seen(fmt.Sprintf("e%d", i)); !seen || err != nil {
				t.Fatalf("e%d not seen after commit (err %v)", i, err)
			}
		}
		if seen, _ := b.Seen("e50"); seen {
			t.Error("never-marked event is seen")
		}
	})

	t.Run("DueInTimeOrder", func(t *testing.T) {
		s := open(t)
		b := begin(t, s)
		for i, offset := range []int{3, 1, 2, 0} { // u0 due +3h, u1 +1h, u2 +2h, u3 never
			m := state.NewMember(fmt.Sprintf("u%d", i), t0)
			if offset > 0 {
				m.RecheckAt = t0.Add(time.Duration(offset) * time.Hour)
			}
			_ = b.SaveMember(m)
		}
		commit(t, b)
		b = begin(t, s)
		defer b.Rollback()
		ids, err := b.Due(t0.Add(2*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids) != "[u1 u2]" {
			t.Errorf("Due(+2h) = %v; want [u1 u2]", ids)
		}
	})

	t.Run("DueLimit", func(t *testing.T) {
		s := open(t)
		b := begin(t, s)
		for i := range 5 {
			m := state.NewMember(fmt.Sprintf("u%d", i), t0)
			m.RecheckAt = t0.Add(time.Duration(i) * time.Minute)
			_ = b.SaveMember(m)
		}
		commit(t, b)
		b = begin(t, s)
		defer b.Rollback()
		ids, _ := b.Due(t0.Add(time.Hour), 2)
		if fmt.Sprint(ids) != "[u0 u1]" {
			t.Errorf("Due limit 2 = %v; want [u0 u1]", ids)
		}
	})

	t.Run("MembersInIDOrder", func(t *testing.T) {
		s := open(t)
		b := begin(t, s)
		for _, id := range []string{"c", "a", "b"} {
			_ = b.SaveMember(state.NewMember(id, t0))
		}
		commit(t, b)
		var ids []string
		if err := s.Members(ctx, func(m *state.Member) error { ids = append(ids, m.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids) != "[a b c]" {
			t.Errorf("Members order = %v", ids)
		}
		// A store that lists ids alone lists the same, committed ones.
		if l, ok := s.(state.MemberLister); ok {
			b := begin(t, s)
			_ = b.SaveMember(state.NewMember("d", t0))
			_ = b.Rollback()
			got, err := l.MemberIDs(ctx)
			if err != nil || fmt.Sprint(got) != "[a b c]" {
				t.Errorf("MemberIDs = %v, %v", got, err)
			}
		}
	})

	t.Run("ClaimOnce", func(t *testing.T) {
		s := open(t)
		b := begin(t, s)
		if fresh, err := b.Claim("e1", t0); !fresh || err != nil {
			t.Fatalf("first claim = %v, %v", fresh, err)
		}
		if fresh, _ := b.Claim("e1", t0); fresh {
			t.Error("second claim in the same batch is fresh")
		}
		commit(t, b)
		b = begin(t, s)
		if fresh, _ := b.Claim("e1", t0); fresh {
			t.Error("claim after commit is fresh")
		}
		if fresh, _ := b.Claim("e2", t0); !fresh {
			t.Error("new id not fresh")
		}
		_ = b.Rollback()
		b = begin(t, s)
		defer b.Rollback()
		if fresh, _ := b.Claim("e2", t0); !fresh {
			t.Error("a rolled-back claim still counts")
		}
	})

	t.Run("RollbackRestoresMember", func(t *testing.T) {
		s := open(t)
		b := begin(t, s)
		m := state.NewMember("u1", t0)
		m.AddPoints(5, t0)
		_ = b.SaveMember(m)
		commit(t, b)
		b = begin(t, s)
		got, _ := b.Member("u1")
		got.AddPoints(100, t0) // changed in a batch that is then rolled back
		_ = b.SaveMember(got)
		_ = b.Rollback()
		b = begin(t, s)
		defer b.Rollback()
		got, _ = b.Member("u1")
		if got.Points != 5 && !tolerateSharedMemory(s) {
			t.Errorf("points after rollback = %d; want 5", got.Points)
		}
	})

	t.Run("CommitTwiceFails", func(t *testing.T) {
		s := open(t)
		b := begin(t, s)
		commit(t, b)
		if err := b.Commit(); err == nil {
			t.Error("second commit of a batch succeeded")
		}
	})

	// A store that preloads answers Claim and Member for a whole group of
	// events as the one-at-a-time path does.
	t.Run("Preload", func(t *testing.T) {
		s := open(t)
		b := begin(t, s)
		if _, ok := b.(state.Preloader); !ok {
			_ = b.Rollback()
			t.Skip("the store does not preload")
		}
		m := state.NewMember("u1", t0)
		m.Points = 3
		_ = b.SaveMember(m)
		_ = b.MarkSeen("old", t0)
		commit(t, b)
		b = begin(t, s)
		defer b.Rollback()
		if err := b.(state.Preloader).Preload([]string{"old", "new", "new"}, []string{"u1", "u2", "u1", ""}); err != nil {
			t.Fatal(err)
		}
		if fresh, err := b.Claim("old", t0); fresh || err != nil {
			t.Errorf("committed event fresh after preload (%v)", err)
		}
		if fresh, err := b.Claim("new", t0); !fresh || err != nil {
			t.Errorf("new event not fresh after preload (%v)", err)
		}
		if fresh, _ := b.Claim("new", t0); fresh {
			t.Error("an event claimed twice in one batch")
		}
		if got, err := b.Member("u1"); err != nil || got.Points != 3 {
			t.Errorf("u1 %+v %v", got, err)
		}
		if _, err := b.Member("u2"); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("u2: %v", err)
		}
		_ = b.SaveMember(state.NewMember("u2", t0)) // a new member, found from then on
		if _, err := b.Member("u2"); err != nil {
			t.Errorf("u2 after saving: %v", err)
		}
	})

	// A member whose recheck time moved away and back is listed once.
	t.Run("DueListsAMemberOnce", func(t *testing.T) {
		s := open(t)
		due := t0.Add(48 * time.Hour)
		for _, at := range []time.Time{due, due.Add(-time.Hour), due} {
			b := begin(t, s)
			m, err := b.Member("u1")
			if errors.Is(err, state.ErrNotFound) {
				m, err = state.NewMember("u1", t0), nil
			}
			if err != nil {
				t.Fatal(err)
			}
			m.RecheckAt = at
			_ = b.SaveMember(m)
			commit(t, b)
		}
		b := begin(t, s)
		defer b.Rollback()
		ids, err := b.Due(due.Add(time.Hour), 10)
		if err != nil || len(ids) != 1 || ids[0] != "u1" {
			t.Fatalf("due: %v, %v; want [u1]", ids, err)
		}
	})

	// A store that can tell whether a recheck may be due says yes for a
	// time a member saved in the batch or committed before is due by, and
	// no for an empty store.
	t.Run("DueBy", func(t *testing.T) {
		s := open(t)
		b := begin(t, s)
		p, ok := b.(state.DueProber)
		if !ok {
			_ = b.Rollback()
			t.Skip("the store cannot tell")
		}
		due := t0.Add(48 * time.Hour)
		if yes, err := p.DueBy(due.Add(time.Hour)); yes || err != nil {
			t.Fatalf("empty store: due %v, %v", yes, err)
		}
		m := state.NewMember("u1", t0)
		m.RecheckAt = due
		_ = b.SaveMember(m)
		if yes, _ := p.DueBy(due.Add(-time.Second)); yes {
			t.Error("due a second early")
		}
		if yes, _ := p.DueBy(due); !yes {
			t.Error("a member saved in the batch is not due at its time")
		}
		commit(t, b)
		b = begin(t, s)
		defer b.Rollback()
		p = b.(state.DueProber)
		if yes, _ := p.DueBy(due); !yes {
			t.Error("a committed member is not due at its time")
		}
		if yes, _ := p.DueBy(due.Add(-time.Second)); yes {
			t.Error("a committed member due a second early")
		}
	})
	runTallies(t, open)
	runAnchorSizes(t, open)
	runErase(t, open)
	runIdentities(t, open)
}

// tolerateSharedMemory is true for the in-memory store, which hands out
// its members themselves for speed; it documents that rolled-back
// changes to a member object stay (simulation aborts on any failure).
func tolerateSharedMemory(s state.Store) bool {
	_, ok := s.(*state.Memory)
	return ok
}
