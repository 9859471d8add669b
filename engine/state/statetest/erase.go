package statetest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
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
		got, err := e.EraseMember(ctx, "ann", state.EraseOptions{})
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
		if again, err := e.EraseMember(ctx, "ann", state.EraseOptions{}); err != nil || again.Any() {
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
		if got, err := e.EraseMember(ctx, "ann", state.EraseOptions{}); err != nil || !got.Member {
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

	t.Run("RunKeyOfOthers", func(t *testing.T) { runEraseRunKey(t, open(t)) })

	// The records of the roles hearth gave a member name them by their
	// hearth id or by their id on the grant's platform type; both go
	// with the member, and no one else's, nor an id of theirs on another
	// type of platform (another person's id there, perhaps).
	t.Run("EraseRoleGrants", func(t *testing.T) {
		s := open(t)
		e := eraser(t, s)
		gs, ok := s.(RoleGrantStore)
		if !ok {
			t.Fatalf("%T keeps no role grants", s)
		}
		fill(t, s)
		ids := map[string]string{"discord": "d-1"}
		grant := func(platform, community, member string) state.RoleGrant {
			return state.RoleGrant{Platform: platform, Community: community, Role: "ro-1", Member: member, At: t0}
		}
		ann := []state.RoleGrant{grant("platform.discord.main", "co-2", "d-1"), grant("platform.local.main", "co-1", "ann")}
		others := []state.RoleGrant{grant("platform.slack.main", "co-3", "d-1"), grant("platform.local.main", "co-1", "bob"), grant("platform.discord.main", "co-2", "d-2")}
		for _, g := range append(slices.Clone(ann), others...) {
			if err := gs.PutRoleGrant(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		same := func(got, want []state.RoleGrant) bool {
			return slices.EqualFunc(got, want, func(a, b state.RoleGrant) bool {
				return a.Platform == b.Platform && a.Community == b.Community && a.Role == b.Role && a.Member == b.Member && a.At.Equal(b.At)
			})
		}
		if got, err := e.MemberRoleGrants(ctx, "ann", ids); err != nil || !same(got, ann) {
			t.Fatalf("ann's grants: %v, %v; want %v", got, err, ann)
		}
		got, err := e.EraseMember(ctx, "ann", state.EraseOptions{Identities: ids})
		if err != nil {
			t.Fatal(err)
		}
		if !same(got.RoleGrants, ann) {
			t.Errorf("erased grants %v; want %v", got.RoleGrants, ann)
		}
		for _, g := range ann {
			if has, err := gs.HasRoleGrant(ctx, g); err != nil || has {
				t.Errorf("%v after erasing ann: %v, %v", g, has, err)
			}
		}
		for _, g := range others {
			if has, err := gs.HasRoleGrant(ctx, g); err != nil || !has {
				t.Errorf("%v, not ann's, after erasing ann: %v, %v", g, has, err)
			}
		}
		if left, err := e.MemberRoleGrants(ctx, "ann", ids); err != nil || len(left) != 0 {
			t.Errorf("ann's grants after erasing: %v, %v", left, err)
		}
		// With no member document left, only the hearth id names them.
		if err := gs.PutRoleGrant(ctx, grant("platform.local.main", "co-1", "ann")); err != nil {
			t.Fatal(err)
		}
		if again, err := e.EraseMember(ctx, "ann", state.EraseOptions{}); err != nil || len(again.RoleGrants) != 1 || !again.Any() {
			t.Errorf("erasing a grant left by hearth id alone: %+v, %v", again, err)
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

// runEraseRunKey: a member whose id is the key of another member's
// campaign runs (a run per referrer or invitee) is erased with a key to
// put in its place. The other member's outcomes and outbox entries of
// those runs then name that key, escaped in outbox keys as the runtime
// escapes it, and nothing else changes: runs keyed by another id (one
// the erased id is a prefix of, too) stay as they were. Entries not sent
// are skipped, never sent or retried. A second member erased with
// another key collides with nothing; one erased with a key an entry
// already has is refused, with nothing changed.
func runEraseRunKey(t *testing.T, s state.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e, ok := s.(state.Eraser)
	if !ok {
		t.Fatalf("%T does not implement state.Eraser", s)
	}
	if m, ok := s.(*state.Memory); ok {
		m.KeepOutcomes = true
	}
	ob, ok := s.(OutboxFinishStore)
	if !ok {
		t.Fatalf("%T does not implement statetest.OutboxFinishStore", s)
	}
	const (
		ann   = "ann #7" // escaped in outbox keys: ann%20%237
		other = "ann #70"
		cyd   = "cyd"
		l1    = "(forgotten 1)"
		l2    = "(forgotten 2)"
	)
	sendKey := func(runKey string, seq int, step string) string {
		return fmt.Sprintf("campaign/ref[%s]/bob/1/%d/%s", url.PathEscape(runKey), seq, step)
	}
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{ann, "bob", cyd} {
		if err := b.SaveMember(state.NewMember(id, t0)); err != nil {
			t.Fatal(err)
		}
	}
	camp := func(change, detail string) state.Outcome {
		return state.Outcome{Kind: state.KindCampaign, Member: "bob", Name: "ref", Change: change, At: t0, Rule: "campaign.ref", Event: "e1", Detail: detail}
	}
	queue := func(key string) state.Outcome {
		return state.Outcome{Kind: state.KindAction, Member: "bob", Name: "send.dm", Change: "queue", At: t0, Rule: "campaign.ref", Event: "e1", To: "bob-dm", Detail: key}
	}
	err = b.AppendOutcomes([]state.Outcome{
		camp("enter", state.RunDetail("run 1", ann)),
		queue(sendKey(ann, 1, "hi")),
		camp("exit", state.RunDetail("", ann)),
		camp("enter", state.RunDetail("run 1", other)),
		queue(sendKey(other, 1, "hi")),
		camp("enter", state.RunDetail("run 1", cyd)),
		queue(sendKey(cyd, 1, "hi")),
		{Kind: state.KindPoints, Member: "bob", Name: "post", Change: "grant", At: t0, Rule: "incentive.post", Event: "e2", Points: 1},
		{Kind: state.KindCampaign, Member: ann, Name: "ref", Change: "enter", At: t0, Rule: "campaign.ref", Event: "e3", Detail: state.RunDetail("run 1", ann)},
	})
	if err != nil {
		t.Fatal(err)
	}
	act := func(key, runKey, member string, i int) state.Action {
		return state.Action{Key: key, Kind: "send.dm", Member: member, At: t0.Add(time.Duration(i) * time.Minute), Campaign: "ref", RunKey: runKey, Step: "hi", Text: "Thanks"}
	}
	err = b.Enqueue([]state.Action{
		act(sendKey(ann, 1, "hi"), ann, "bob", 0),
		act(sendKey(ann, 2, "later"), ann, "bob", 1),
		act(sendKey(ann, 3, "left"), ann, "bob", 2),
		act(sendKey(ann, 4, "next"), ann, "bob", 3),
		act(sendKey(other, 1, "hi"), other, "bob", 4),
		act(sendKey(cyd, 1, "hi"), cyd, "bob", 5),
		act("campaign/ref/bob/1/1/hi", "", "bob", 6),
		act("campaign/ref["+url.PathEscape(ann)+"]/"+ann+"/1/1/hi", ann, ann, 7),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// A store that writes batches behind has them in its outbox once
	// asked for it, as the dispatcher asks before marking anything.
	if _, err := ob.ListOutbox(ctx, "", 100); err != nil {
		t.Fatal(err)
	}
	must(ob.MarkSent(ctx, sendKey(ann, 1, "hi"), 1, t0))
	must(ob.MarkDead(ctx, sendKey(ann, 2, "later"), 3, t0, "502 for "+sendKey(ann, 2, "later")))
	must(ob.MarkSkipped(ctx, sendKey(ann, 3, "left"), 0, t0, "member left the community before it was sent"))
	must(ob.MarkSent(ctx, sendKey(cyd, 1, "hi"), 1, t0))

	t1 := t0.Add(time.Hour)
	got, err := e.EraseMember(ctx, ann, state.EraseOptions{RunKey: l1, At: t1})
	must(err)
	if !got.Member || got.Outcomes != 1 || got.Outbox[state.OutboxPending] != 1 {
		t.Errorf("erased %+v; want ann's document, outcome and pending entry", got)
	}
	if got.RunKeyOutcomes != 3 {
		t.Errorf("erased %d outcomes naming ann as a run key; want bob's enter, queue and exit", got.RunKeyOutcomes)
	}
	wantCount := map[string]int64{state.OutboxSent: 1, state.OutboxDead: 1, state.OutboxSkipped: 1, state.OutboxPending: 1}
	if fmt.Sprint(got.RunKeyOutbox) != fmt.Sprint(wantCount) {
		t.Errorf("erased run-key outbox entries %v; want %v, by the status they had", got.RunKeyOutbox, wantCount)
	}

	type entry struct{ status, runKey, lastErr string }
	wantOutbox := map[string]entry{
		sendKey(l1, 1, "hi"):      {state.OutboxSent, l1, ""},
		sendKey(l1, 2, "later"):   {state.OutboxSkipped, l1, state.SkippedForgotten + " (it was a dead letter: 502 for " + sendKey(l1, 2, "later") + ")"},
		sendKey(l1, 3, "left"):    {state.OutboxSkipped, l1, "member left the community before it was sent"},
		sendKey(l1, 4, "next"):    {state.OutboxSkipped, l1, state.SkippedForgotten},
		sendKey(other, 1, "hi"):   {state.OutboxPending, other, ""},
		sendKey(cyd, 1, "hi"):     {state.OutboxSent, cyd, ""},
		"campaign/ref/bob/1/1/hi": {state.OutboxPending, "", ""},
	}
	checkOutbox := func(when string, want map[string]entry) {
		t.Helper()
		all, err := ob.ListOutbox(ctx, "", 100)
		must(err)
		have := map[string]entry{}
		for _, en := range all {
			have[en.Key] = entry{en.Status, en.RunKey, en.LastError}
			if en.Member != "bob" {
				t.Errorf("%s: an entry of %q is left", when, en.Member)
			}
			if en.Status == state.OutboxSkipped && en.LastError == state.SkippedForgotten && !en.FinishedAt.Equal(t1) {
				t.Errorf("%s: %s skipped at %v; want the erasure's time %v", when, en.Key, en.FinishedAt, t1)
			}
		}
		if fmt.Sprint(have) != fmt.Sprint(want) {
			t.Errorf("%s: outbox\n got %v\nwant %v", when, have, want)
		}
		bobs, err := e.MemberOutbox(ctx, "bob")
		must(err)
		if len(bobs) != len(want) {
			t.Errorf("%s: bob's outbox has %d entries; want %d", when, len(bobs), len(want))
		}
	}
	checkOutbox("after erasing ann", wantOutbox)

	// Nothing of ann's runs is sent or can be retried.
	due, err := ob.DueActions(ctx, t1.Add(24*time.Hour), 100)
	must(err)
	var dueKeys []string
	for _, en := range due {
		dueKeys = append(dueKeys, en.Key)
	}
	if fmt.Sprint(dueKeys) != fmt.Sprint([]string{sendKey(other, 1, "hi"), "campaign/ref/bob/1/1/hi"}) {
		t.Errorf("due after erasing ann: %q; want only the runs keyed by others", dueKeys)
	}
	for _, k := range []string{sendKey(l1, 2, "later"), sendKey(l1, 4, "next")} {
		if ok, err := ob.RetryAction(ctx, k, t1); err != nil || ok {
			t.Errorf("retry of %s = %v, %v; want false: a skipped entry is not sent", k, ok, err)
		}
	}

	wantOutcomes := []string{
		"enter run 1 (key \"" + l1 + "\")",
		"queue " + sendKey(l1, 1, "hi"),
		"exit key \"" + l1 + "\"",
		"enter run 1 (key \"" + other + "\")",
		"queue " + sendKey(other, 1, "hi"),
		"enter run 1 (key \"cyd\")",
		"queue " + sendKey(cyd, 1, "hi"),
		"grant ",
	}
	checkOutcomes := func(when string, want []string) {
		t.Helper()
		outs, err := e.MemberOutcomes(ctx, "bob", 100)
		must(err)
		var have []string
		for _, o := range outs {
			have = append(have, o.Change+" "+o.Detail)
		}
		if strings.Join(have, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: bob's outcomes\n got %q\nwant %q", when, have, want)
		}
	}
	checkOutcomes("after erasing ann", wantOutcomes)

	// cyd's run has the same number, sequence and step as ann's: under
	// ann's key, its entry would take the place of hers.
	if _, err := e.EraseMember(ctx, cyd, state.EraseOptions{RunKey: l1, At: t1}); !errors.Is(err, state.ErrRunKeyTaken) {
		t.Fatalf("erasing cyd with a key an entry has: %v; want state.ErrRunKeyTaken", err)
	}
	checkOutbox("after a refused erasure", wantOutbox)
	checkOutcomes("after a refused erasure", wantOutcomes)
	b, err = s.Begin(ctx)
	must(err)
	_, err = b.Member(cyd)
	_ = b.Rollback()
	if err != nil {
		t.Errorf("cyd after a refused erasure: %v; want kept", err)
	}

	got, err = e.EraseMember(ctx, cyd, state.EraseOptions{RunKey: l2, At: t1})
	must(err)
	if !got.Member || got.RunKeyOutcomes != 2 || fmt.Sprint(got.RunKeyOutbox) != fmt.Sprint(map[string]int64{state.OutboxSent: 1}) {
		t.Errorf("erasing cyd: %+v; want the document, 2 outcomes and the sent entry", got)
	}
	delete(wantOutbox, sendKey(cyd, 1, "hi"))
	wantOutbox[sendKey(l2, 1, "hi")] = entry{state.OutboxSent, l2, ""}
	checkOutbox("after erasing cyd", wantOutbox)
	wantOutcomes[5] = "enter run 1 (key \"" + l2 + "\")"
	wantOutcomes[6] = "queue " + sendKey(l2, 1, "hi")
	checkOutcomes("after erasing cyd", wantOutcomes)

	// Without a key, nothing of the other members' runs changes.
	got, err = e.EraseMember(ctx, other, state.EraseOptions{})
	must(err)
	if got.RunKeyOutcomes != 0 || len(got.RunKeyOutbox) != 0 {
		t.Errorf("erasing without a run key: %+v; want no run key changed", got)
	}
	checkOutbox("after erasing without a run key", wantOutbox)
}
