package statetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// outboxMarker is the part of a store's outbox the erase tests use to
// give entries a status other than pending.
type outboxMarker interface {
	MarkSent(ctx context.Context, key string, attempts int, at time.Time) error
	MarkDead(ctx context.Context, key string, attempts int, at time.Time, reason string) error
}

// runErase checks state.Eraser: erasing a member takes its document,
// outcomes and outbox entries and nothing of anyone else's, blanks the
// member's id in other outcomes, leaves no copy a later batch reads or
// writes back, and the suppression list is kept and consulted.
func runErase(t *testing.T, open Open) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	eraser := func(t *testing.T, s state.Store) state.Eraser {
		t.Helper()
		e, ok := s.(state.Eraser)
		if !ok {
			t.Fatalf("%T does not implement state.Eraser: members could not be erased from it", s)
		}
		if m, ok := s.(*state.Memory); ok {
			m.KeepOutcomes = true
		}
		return e
	}
	// fill stores ann and bob, with outcomes and outbox entries each;
	// one of bob's outcomes names ann.
	fill := func(t *testing.T, s state.Store) {
		t.Helper()
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"ann", "bob"} {
			m := state.NewMember(id, t0)
			m.Name = "Name of " + id
			m.RecheckAt = t0.Add(time.Hour)
			if err := b.SaveMember(m); err != nil {
				t.Fatal(err)
			}
		}
		err = b.AppendOutcomes([]state.Outcome{
			{Kind: state.KindPoints, Member: "ann", Name: "post", Change: "grant", At: t0, Rule: "incentive.post", Event: "e1", Points: 5},
			{Kind: state.KindTier, Member: "ann", Name: "core", Change: "promote", At: t0, Rule: "tier.core", Event: "e1", To: "core"},
			{Kind: state.KindPoints, Member: "bob", Name: "referral", Change: "grant", At: t0, Rule: "incentive.referral", Event: "e2", Points: 50, From: "ann"},
		})
		if err != nil {
			t.Fatal(err)
		}
		var acts []state.Action
		for i, id := range []string{"ann", "ann", "ann", "bob"} {
			acts = append(acts, state.Action{Key: fmt.Sprintf("k%d", i), Kind: "dm", Member: id, At: t0.Add(time.Duration(i) * time.Minute), Text: "Hello " + id})
		}
		if err := b.Enqueue(acts); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		if mk, ok := s.(outboxMarker); ok {
			if err := mk.MarkSent(ctx, "k0", 1, t0); err != nil {
				t.Fatal(err)
			}
			if err := mk.MarkDead(ctx, "k1", 3, t0, "gone"); err != nil {
				t.Fatal(err)
			}
		}
	}
	member := func(t *testing.T, s state.Store, id string) (*state.Member, error) {
		t.Helper()
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Rollback()
		return b.Member(id)
	}

	t.Run("EraseMember", func(t *testing.T) {
		s := open(t)
		e := eraser(t, s)
		fill(t, s)
		// Read ann in a batch first, so a store that caches members has
		// her in its cache.
		if _, err := member(t, s, "ann"); err != nil {
			t.Fatal(err)
		}
		if out, err := e.MemberOutbox(ctx, "ann"); err != nil || len(out) != 3 {
			t.Fatalf("ann's outbox before: %d entries, %v; want 3", len(out), err)
		}
		got, err := e.EraseMember(ctx, "ann")
		if err != nil {
			t.Fatal(err)
		}
		if !got.Member || got.Outcomes != 2 || got.OutcomeRefs != 1 || !got.Any() {
			t.Errorf("erased %+v; want the member, 2 outcomes, 1 reference", got)
		}
		total := int64(0)
		for _, n := range got.Outbox {
			total += n
		}
		if total != 3 || got.Outbox[state.OutboxPending] == 0 {
			t.Errorf("erased outbox %v; want 3 entries of ann's, one pending at least", got.Outbox)
		}
		if _, err := member(t, s, "ann"); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("ann after erasing: %v; want ErrNotFound (a cached copy would be written back)", err)
		}
		var ids []string
		if err := s.Members(ctx, func(m *state.Member) error { ids = append(ids, m.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids) != "[bob]" {
			t.Errorf("members after erasing ann: %v; want [bob]", ids)
		}
		if outs, err := e.MemberOutcomes(ctx, "ann", 100); err != nil || len(outs) != 0 {
			t.Errorf("ann's outcomes after erasing: %v, %v", outs, err)
		}
		if out, err := e.MemberOutbox(ctx, "ann"); err != nil || len(out) != 0 {
			t.Errorf("ann's outbox after erasing: %v, %v", out, err)
		}
		// Bob keeps everything of his, with ann's name taken out.
		if m, err := member(t, s, "bob"); err != nil || m.Name != "Name of bob" {
			t.Errorf("bob after erasing ann: %+v, %v", m, err)
		}
		outs, err := e.MemberOutcomes(ctx, "bob", 100)
		if err != nil || len(outs) != 1 || outs[0].From != "" || outs[0].Points != 50 {
			t.Errorf("bob's outcomes after erasing ann: %+v, %v; want the grant with no from", outs, err)
		}
		if out, err := e.MemberOutbox(ctx, "bob"); err != nil || len(out) != 1 || out[0].Text != "Hello bob" {
			t.Errorf("bob's outbox after erasing ann: %+v, %v", out, err)
		}
		// Only bob is due for a recheck.
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		due, err := b.Due(t0.Add(2*time.Hour), 10)
		_ = b.Rollback()
		if err != nil || fmt.Sprint(due) != "[bob]" {
			t.Errorf("due after erasing ann: %v, %v; want [bob]", due, err)
		}
		// Erasing again finds nothing.
		if again, err := e.EraseMember(ctx, "ann"); err != nil || again.Any() {
			t.Errorf("erasing twice: %+v, %v; want nothing", again, err)
		}
	})

	// A member saved by a batch just committed (a store may still be
	// writing it in the background) is erased all the same, and a new
	// member of that id can be stored afterwards.
	t.Run("EraseRightAfterCommit", func(t *testing.T) {
		s := open(t)
		e := eraser(t, s)
		for i := range 3 {
			b, err := s.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			m, err := b.Member("ann")
			if errors.Is(err, state.ErrNotFound) {
				m, err = state.NewMember("ann", t0), nil
			}
			if err != nil {
				t.Fatal(err)
			}
			m.AddPoints(1, t0)
			_ = b.SaveMember(m)
			_ = b.MarkSeen(fmt.Sprintf("e%d", i), t0)
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := e.EraseMember(ctx, "ann"); err != nil || !got.Member {
			t.Fatalf("erase: %+v, %v", got, err)
		}
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Member("ann"); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("ann after erasing: %v", err)
		}
		if seen, _ := b.Seen("e1"); !seen {
			t.Error("erasing a member forgot an event id: the event would be applied again")
		}
		_ = b.SaveMember(state.NewMember("ann", t0.Add(time.Hour)))
		if err := b.Commit(); err != nil {
			t.Fatalf("storing a new member of the erased id: %v", err)
		}
		if m, err := member(t, s, "ann"); err != nil || m.Points != 0 {
			t.Errorf("the new ann: %+v, %v; want a fresh member", m, err)
		}
	})

	t.Run("Suppression", func(t *testing.T) {
		s := open(t)
		e := eraser(t, s)
		asked := func(id string) bool {
			t.Helper()
			b, err := s.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Rollback()
			sb, ok := b.(state.SuppressionBatch)
			if !ok {
				t.Fatalf("%T's batch does not implement state.SuppressionBatch", b)
			}
			on, err := sb.Suppressed(id)
			if err != nil {
				t.Fatal(err)
			}
			return on
		}
		if asked("ann") {
			t.Fatal("ann suppressed on an empty list")
		}
		if err := e.Suppress(ctx, "ann", t0); err != nil {
			t.Fatal(err)
		}
		if err := e.Suppress(ctx, "ann", t0); err != nil {
			t.Fatalf("suppressing twice: %v", err)
		}
		if on, err := e.IsSuppressed(ctx, "ann"); !on || err != nil {
			t.Errorf("IsSuppressed(ann) = %v, %v", on, err)
		}
		if !asked("ann") || asked("bob") || asked("an") {
			t.Error("a batch does not see the suppression list as it is: ann on it, bob and an off it")
		}
		if was, err := e.Unsuppress(ctx, "ann"); !was || err != nil {
			t.Errorf("Unsuppress(ann) = %v, %v; want true", was, err)
		}
		if was, _ := e.Unsuppress(ctx, "ann"); was {
			t.Error("Unsuppress twice said ann was on the list")
		}
		if asked("ann") {
			t.Error("ann still suppressed after lifting it")
		}
	})
}
