package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// lateMember is a platform that shows a member only from their
// appears-th call on: a join it has not caught up with yet.
type lateMember struct {
	appears int // 0: never
	calls   map[string]int
}

func (p *lateMember) Send(_ context.Context, a state.Action) error {
	p.calls[a.Key]++
	if p.appears == 0 || p.calls[a.Key] < p.appears {
		return fmt.Errorf("%s: member %q is not in community co-1: %w", a.Kind, a.Target, platform.ErrMemberNotFound)
	}
	return nil
}

func enqueueKinds(t *testing.T, s store, at time.Time, kinds ...string) {
	t.Helper()
	if qc, ok := s.(state.QueueClock); ok {
		qc.SetQueueClock(func() time.Time { return at })
	}
	b, err := s.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var as []state.Action
	for _, k := range kinds {
		as = append(as, state.Action{Key: "k-" + k, Kind: k, Member: "ann", Target: "u-ann", Role: "core", At: at, Text: "hi"})
	}
	if err := b.Enqueue(as); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

// A role or a direct message for a member the platform does not show
// yet is tried again, minutes apart, and goes out once the member is
// there (the third try here), not to the dead letters at its first.
func TestMemberNotFoundRetriedUntilTheMemberAppears(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open()
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			clk := &clock{now: start}
			enqueueKinds(t, s, clk.now, "role.add", "role.remove", "send.dm")
			p := &lateMember{appears: 3, calls: map[string]int{}}
			d := outbox.New(s, p, outbox.Options{Now: clk.Now})
			rep, err := d.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Retried != 3 || rep.Dead != 0 {
				t.Fatalf("first round %+v; want the 3 actions retried, none dead", rep)
			}
			pending, _ := s.ListOutbox(ctx, outbox.Pending, 10)
			for _, e := range pending {
				// Minutes, not the second of a network failure's backoff:
				// a platform catching up with joins takes that long.
				if wait := e.NextAt.Sub(clk.now); wait < 45*time.Second || wait > time.Minute {
					t.Errorf("%s: next try in %s; want 45s to 1m", e.Key, wait)
				}
				if !strings.Contains(e.LastError, "is not in community co-1") {
					t.Errorf("%s: last error %q", e.Key, e.LastError)
				}
			}
			for clk.now.Before(start.Add(30 * time.Minute)) {
				clk.now = clk.now.Add(15 * time.Second)
				if _, err := d.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
			}
			sent, _ := s.ListOutbox(ctx, outbox.Sent, 10)
			dead, _ := s.ListOutbox(ctx, outbox.Dead, 10)
			if len(sent) != 3 || len(dead) != 0 {
				t.Fatalf("sent %d, dead %d; want all 3 sent", len(sent), len(dead))
			}
			for _, e := range sent {
				if p.calls[e.Key] != 3 || e.Attempts != 3 {
					t.Errorf("%s: %d calls, %d attempts; want sent at the third", e.Key, p.calls[e.Key], e.Attempts)
				}
				// Tries 1m and 2m apart at most: sent within 3 minutes.
				if e.FinishedAt.Sub(start) > 3*time.Minute+30*time.Second {
					t.Errorf("%s: sent at %s after its first try; want within about 3m", e.Key, e.FinishedAt.Sub(start))
				}
			}
		})
	}
}

// A member who never appears: the action is dead after its 5 tries,
// about a quarter of an hour after the first, with a reason that says
// so apart from other final errors. Actions not for a member, and other
// not-founds, die at their first try as before.
func TestMemberNeverAppearsDeadAfterBoundedTries(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open()
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			clk := &clock{now: start}
			enqueueKinds(t, s, clk.now, "role.add", "moderation.kick")
			p := &lateMember{calls: map[string]int{}}
			d := outbox.New(s, p, outbox.Options{Now: clk.Now})
			var diedAt time.Time
			for clk.now.Before(start.Add(2 * time.Hour)) {
				rep, err := d.RunOnce(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if p.calls["k-role.add"] == 5 && rep.Dead == 1 && diedAt.IsZero() {
					diedAt = clk.now
				}
				clk.now = clk.now.Add(10 * time.Second)
			}
			if got := p.calls["k-role.add"]; got != 5 {
				t.Errorf("role.add tried %d times; want 5", got)
			}
			if got := p.calls["k-moderation.kick"]; got != 1 {
				t.Errorf("moderation.kick tried %d times; want 1: only roles and messages for a member wait for them", got)
			}
			if took := diedAt.Sub(start); took < 11*time.Minute || took > 16*time.Minute {
				t.Errorf("role.add dead %s after its first try; want about 15m (11m15s to 15m)", took)
			}
			dead, _ := s.ListOutbox(ctx, outbox.Dead, 10)
			if len(dead) != 2 {
				t.Fatalf("%d dead letters; want 2", len(dead))
			}
			for _, e := range dead {
				switch e.Key {
				case "k-role.add":
					if e.Attempts != 5 || !strings.HasPrefix(e.LastError, "member not found on the platform after 5 tries over ") ||
						!strings.HasSuffix(e.LastError, `member "u-ann" is not in community co-1: not found`) {
						t.Errorf("role.add dead letter: %d attempts, %q", e.Attempts, e.LastError)
					}
				case "k-moderation.kick":
					if e.Attempts != 1 || strings.HasPrefix(e.LastError, "member not found on the platform") {
						t.Errorf("moderation.kick dead letter: %d attempts, %q", e.Attempts, e.LastError)
					}
				}
			}
		})
	}
	// Any other not-found (a role the platform lacks) is final at once.
	s := state.NewMemory()
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	enqueueKinds(t, s, clk.now, "role.add")
	d := outbox.New(s, &failing{err: fmt.Errorf("role core: %w", platform.ErrNotFound)}, outbox.Options{Now: clk.Now})
	if rep, _ := d.RunOnce(ctx); rep.Dead != 1 {
		t.Errorf("a role not found: %+v; want dead at once", rep)
	}
	// MemberAttempts bounds the tries, within MaxAttempts.
	s = state.NewMemory()
	enqueueKinds(t, s, clk.now, "send.dm")
	p := &lateMember{calls: map[string]int{}}
	d = outbox.New(s, p, outbox.Options{Now: clk.Now, MemberAttempts: 2, MemberDelay: time.Second})
	for range 10 {
		if _, err := d.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		clk.now = clk.now.Add(time.Minute)
	}
	if p.calls["k-send.dm"] != 2 {
		t.Errorf("MemberAttempts 2: %d tries", p.calls["k-send.dm"])
	}
	if !errors.Is(fmt.Errorf("x: %w", platform.ErrMemberNotFound), platform.ErrNotFound) {
		t.Error("a member not found is no longer a not-found")
	}
}

// Through the local platform: a role for a member who is on the
// workspace but has not joined the community yet waits for the join,
// and is given once it is there.
func TestPlatformSenderWaitsForMemberToJoin(t *testing.T) {
	ctx := context.Background()
	dir, reg, cfg := loadClub(t, local.New())
	conn := openLocal(t, cfg, dir)
	co, _ := makeClub(t, conn, "club", "general")
	other, _ := makeClub(t, conn, "other", "lobby")
	if _, err := conn.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: co, Attrs: map[string]string{"name": "core"}}); err != nil {
		t.Fatal(err)
	}
	// Ann is on the workspace, in another community: not in the club yet.
	mem, err := conn.Join(ctx, local.JoinRequest{Community: other, Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	store := state.NewMemory()
	b, _ := store.Begin(ctx)
	start := time.Now()
	_ = b.Enqueue([]state.Action{{Key: "k-role", Kind: "role.add", Member: "ann", At: start, Platform: "platform.local.main", Community: "club", Target: mem.ID, Role: "core"}})
	_ = b.Commit()
	clk := &clock{now: start}
	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
	defer sender.Close()
	d := outbox.New(store, sender, outbox.Options{Now: clk.Now})
	if rep, err := d.RunOnce(ctx); err != nil || rep.Retried != 1 || rep.Dead != 0 {
		t.Fatalf("before the join: %+v, %v; want the role retried", rep, err)
	}
	if _, err := conn.Join(ctx, local.JoinRequest{Community: co, Member: mem.ID}); err != nil {
		t.Fatal(err)
	}
	clk.now = clk.now.Add(2 * time.Minute)
	if rep, err := d.RunOnce(ctx); err != nil || rep.Sent != 1 {
		t.Fatalf("after the join: %+v, %v; want the role given", rep, err)
	}
	roles, _ := platform.ReadAll(ctx, openLocal(t, cfg, dir), platform.ReadRequest{Kind: platform.KindRoleAssignment, Community: co})
	if len(roles) != 1 || roles[0].Attrs["member"] != mem.ID {
		t.Errorf("role assignments %+v", roles)
	}
}

// closedDMs is a platform whose member does not take direct messages
// (platform.ErrMemberUnreachable), as Discord answers code 50007.
type closedDMs struct{ calls int }

func (p *closedDMs) Send(_ context.Context, a state.Action) error {
	p.calls++
	return fmt.Errorf("discord POST /channels/{id}/messages: 403 Cannot send messages to this user (code 50007): %w", platform.ErrMemberUnreachable)
}

// A message the member will not take (DMs closed, the bot blocked) is
// skipped at its first try with the reason, not retried and not left
// in the dead letters, which would fill with what no one can fix.
func TestMemberUnreachableSkipped(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open()
			clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			enqueueKinds(t, s, clk.now, "send.dm")
			p := &closedDMs{}
			d := outbox.New(s, p, outbox.Options{Now: clk.Now})
			rep, err := d.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Skipped != 1 || rep.Dead != 0 || rep.Retried != 0 || p.calls != 1 {
				t.Fatalf("report %+v after %d calls; want 1 skipped at its only try", rep, p.calls)
			}
			skipped, _ := s.ListOutbox(ctx, outbox.Skipped, 10)
			dead, _ := s.ListOutbox(ctx, outbox.Dead, 10)
			if len(skipped) != 1 || len(dead) != 0 {
				t.Fatalf("skipped %d, dead %d; want 1 skipped", len(skipped), len(dead))
			}
			if e := skipped[0]; !strings.HasPrefix(e.LastError, state.OutboxSkippedUnreachable+": ") || !strings.Contains(e.LastError, "code 50007") {
				t.Errorf("reason %q; want %q and the platform's answer", e.LastError, state.OutboxSkippedUnreachable)
			}
		})
	}
}
