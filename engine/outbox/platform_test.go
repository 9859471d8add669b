package outbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// Outbox actions reach the real local platform, once per key however
// often the dispatcher runs.
func TestPlatformSenderDeliversOnceThroughLocal(t *testing.T) {
	ctx := context.Background()
	dir, reg, cfg := loadClub(t, local.New())
	// What hearth apply would have made, and a member who joined.
	conn := openLocal(t, cfg, dir)
	co, _ := makeClub(t, conn, "club", "general")
	if _, err := conn.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: co, Attrs: map[string]string{"name": "core"}}); err != nil {
		t.Fatal(err)
	}
	mem, err := conn.Join(ctx, local.JoinRequest{Community: co, Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()

	store := state.NewMemory()
	b, _ := store.Begin(ctx)
	at := time.Now().Add(-time.Minute)
	_ = b.Enqueue([]state.Action{
		{Key: "k-dm", Kind: "send.dm", Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Target: mem.ID, Text: "Welcome, Ann!"},
		{Key: "k-ch", Kind: "send.channel", Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Target: "general", Text: "Say hi to Ann"},
		{Key: "k-role", Kind: "role.add", Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Target: mem.ID, Role: "core"},
		{Key: "k-mail", Kind: "send.email", Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Target: mem.ID, Text: "x"},
		{Key: "k-badge", Kind: "badge.grant", Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Target: mem.ID, Role: "First post"},
	})
	_ = b.Commit()
	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
	defer sender.Close()
	d := outbox.New(store, sender, outbox.Options{})
	rep, err := d.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 3 || rep.Dead != 2 {
		t.Fatalf("report %+v; want 3 sent, the email and the badge dead (local has neither)", rep)
	}
	// The grant reached the platform well formed, which then refused it.
	dead, _ := store.ListOutbox(ctx, state.OutboxDead, 10)
	found := false
	for _, e := range dead {
		if e.Key == "k-badge" {
			found = true
			if !strings.Contains(e.LastError, "not supported") {
				t.Errorf("badge grant died with %q; want the platform's refusal", e.LastError)
			}
		}
	}
	if !found {
		t.Error("the badge grant is not among the dead letters")
	}
	// Sending the same keys again (a crash before recording) does nothing.
	for _, key := range []string{"k-dm", "k-ch"} {
		_, _ = store.RetryAction(ctx, key, time.Now())
	}
	if _, err := d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	rd := openLocal(t, cfg, dir)
	dms, _ := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindDirectMessage, Community: co})
	msgs, _ := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindMessage, Community: co})
	if len(dms) != 1 || dms[0].Attrs["text"] != "Welcome, Ann!" || dms[0].Attrs["member"] != mem.ID {
		t.Errorf("direct messages %+v", dms)
	}
	if len(msgs) != 1 || msgs[0].Attrs["text"] != "Say hi to Ann" {
		t.Errorf("channel messages %+v", msgs)
	}
	roles, _ := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindRoleAssignment, Community: co})
	if len(roles) != 1 || roles[0].Attrs["member"] != mem.ID {
		t.Errorf("role assignments %+v", roles)
	}
}

// With Resources, objects are found by their hearth address in state,
// whatever they are named on the platform (a Discord server by its
// title): here the community and channel were renamed outside hearth.
func TestPlatformSenderFindsObjectsInState(t *testing.T) {
	ctx := context.Background()
	dir, reg, cfg := loadClub(t, local.New())
	conn := openLocal(t, cfg, dir)
	co, ch := makeClub(t, conn, "renamed-club", "renamed-general")
	conn.Close()
	resources := []state.Resource{
		{Address: "community.club", Platform: "platform.local.main", Kind: "community", ID: co},
		{Address: "community.club.channel.general", Platform: "platform.local.main", Kind: "channel", ID: ch, Community: co},
	}
	store := state.NewMemory()
	b, _ := store.Begin(ctx)
	_ = b.Enqueue([]state.Action{{Key: "k", Kind: "send.channel", Member: "ann", At: time.Now().Add(-time.Minute), Platform: "platform.local.main", Community: "club", Target: "general", Text: "Hello"}})
	_ = b.Commit()
	for _, withState := range []bool{false, true} {
		sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
		if withState {
			sender.Resources = func(context.Context) ([]state.Resource, error) { return resources, nil }
		}
		rep, err := outbox.New(store, sender, outbox.Options{}).RunOnce(ctx)
		sender.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 0, true: 1}[withState]; rep.Sent != want {
			t.Errorf("with state %v: sent %d; want %d", withState, rep.Sent, want)
		}
		_, _ = store.RetryAction(ctx, "k", time.Now())
	}
}

// Without state, a channel and a role are found on the platform by their
// titles, the names apply gave them, not by their block names.
func TestPlatformSenderFindsTitledObjectsByTitle(t *testing.T) {
	ctx := context.Background()
	dir, reg, cfg := loadSrc(t, local.New(), `
platform "local" "main" {
  path = "platform.json"
}
community "club" {
  title    = "Club"
  platform = platform.local.main
  channel "announcements" {
    title = "公告"
  }
  role "core" {
    title = "Core Team"
  }
}
`)
	conn := openLocal(t, cfg, dir)
	co, ch := makeClub(t, conn, "club", "公告")
	if _, err := conn.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: co, Attrs: map[string]string{"name": "Core Team"}}); err != nil {
		t.Fatal(err)
	}
	mem, err := conn.Join(ctx, local.JoinRequest{Community: co, Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	store := state.NewMemory()
	b, _ := store.Begin(ctx)
	at := time.Now().Add(-time.Minute)
	_ = b.Enqueue([]state.Action{
		{Key: "k-ch", Kind: "send.channel", Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Target: "announcements", Text: "欢迎 Ann"},
		{Key: "k-role", Kind: "role.add", Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Target: mem.ID, Role: "core"},
	})
	_ = b.Commit()
	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
	defer sender.Close()
	rep, err := outbox.New(store, sender, outbox.Options{}).RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 2 {
		t.Fatalf("report %+v; want the message and the role sent", rep)
	}
	rd := openLocal(t, cfg, dir)
	msgs, _ := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindMessage, Community: co})
	if len(msgs) != 1 || msgs[0].Attrs["channel"] != ch {
		t.Errorf("channel messages %+v; want one in %s", msgs, ch)
	}
	roles, _ := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindRoleAssignment, Community: co})
	if len(roles) != 1 || roles[0].Attrs["member"] != mem.ID {
		t.Errorf("role assignments %+v", roles)
	}
}

// Before hearth apply has made the community, its messages wait in the
// outbox, and go out on the first round after apply.
func TestPlatformSenderWaitsForApply(t *testing.T) {
	ctx := context.Background()
	counter := &readCounter{Adapter: local.New()}
	dir, reg, cfg := loadClub(t, counter)
	store := state.NewMemory()
	b, _ := store.Begin(ctx)
	now := time.Now()
	var waiting []state.Action
	for i := range 50 {
		waiting = append(waiting, state.Action{Key: fmt.Sprintf("k-%02d", i), Kind: "send.channel", Member: "ann", At: now, Platform: "platform.local.main", Community: "club", Target: "general", Text: "Say hi to Ann"})
	}
	_ = b.Enqueue(waiting)
	_ = b.Commit()
	clk := &clock{now: now}
	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }, Now: clk.Now}
	defer sender.Close()
	d := outbox.New(store, sender, outbox.Options{Now: clk.Now, MaxAttempts: 1})
	for round := range 3 {
		before := counter.reads.Load()
		rep, err := d.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Waiting != 50 {
			t.Fatalf("before apply: %+v; want the 50 messages waiting", rep)
		}
		// The 50 actions waiting for one community asked the platform once.
		if reads := counter.reads.Load() - before; reads != 1 {
			t.Errorf("round %d read the platform %d times; want once", round, reads)
		}
		clk.now = clk.now.Add(10 * time.Second)
	}

	// hearth apply makes the community and its channel.
	conn := openLocal(t, cfg, dir)
	co, _ := makeClub(t, conn, "club", "general")
	if rep, err := d.RunOnce(ctx); err != nil || rep.Sent != 50 {
		t.Fatalf("after apply: %+v, %v; want the 50 messages sent", rep, err)
	}
	msgs, _ := platform.ReadAll(ctx, conn, platform.ReadRequest{Kind: platform.KindMessage, Community: co})
	if len(msgs) != 50 || msgs[0].Attrs["text"] != "Say hi to Ann" {
		t.Errorf("%d channel messages; want 50", len(msgs))
	}
}

// readCounter is the local platform, counting the reads made through it.
type readCounter struct {
	platform.Adapter
	reads atomic.Int64
}

func (a *readCounter) Open(ctx context.Context, req platform.OpenRequest) (platform.Conn, error) {
	c, err := a.Adapter.Open(ctx, req)
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c.(*local.Conn), reads: &a.reads}, nil
}

type countingConn struct {
	*local.Conn
	reads *atomic.Int64
}

func (c countingConn) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	c.reads.Add(1)
	return c.Conn.Read(ctx, req)
}

// clubSrc is a local platform with one community and its channel.
const clubSrc = `
platform "local" "main" {
  path = "platform.json"
}
community "club" {
  title    = "Club"
  platform = platform.local.main
  channel "general" {}
}
`

// loadClub writes clubSrc into a new directory and loads it with a
// registry of the adapter, which is local or wraps it.
func loadClub(t *testing.T, adapter platform.Adapter) (string, *platform.Registry, *config.Config) {
	t.Helper()
	return loadSrc(t, adapter, clubSrc)
}

// loadSrc is loadClub with another configuration.
func loadSrc(t *testing.T, adapter platform.Adapter, src string) (string, *platform.Registry, *config.Config) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := platform.NewRegistry(adapter)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: reg.Specs()})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return dir, reg, cfg
}

// openLocal opens the configuration's local platform directly, as the
// test's view of it; it is closed when the test ends.
func openLocal(t *testing.T, cfg *config.Config, dir string) *local.Conn {
	t.Helper()
	reg, err := platform.NewRegistry(local.New())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := reg.Open(context.Background(), cfg.Platforms[0], dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn.(*local.Conn)
}

// sendOnce enqueues the actions in a new memory store and runs the
// outbox once through the configuration's platforms; the sender closes
// when the test ends.
func sendOnce(t *testing.T, reg *platform.Registry, cfg *config.Config, actions ...state.Action) (*state.Memory, outbox.Report) {
	t.Helper()
	ctx := context.Background()
	store := state.NewMemory()
	b, err := store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Enqueue(actions); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
	t.Cleanup(func() { sender.Close() })
	rep, err := outbox.New(store, sender, outbox.Options{}).RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return store, rep
}

// makeClub creates a community and a channel on the platform, as hearth
// apply would for the club and its general channel when named so, and
// returns their platform ids.
func makeClub(t *testing.T, conn *local.Conn, community, channel string) (string, string) {
	t.Helper()
	ctx := context.Background()
	co, err := conn.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: map[string]string{"name": community, "title": "Club"}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := conn.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: co.Object.ID, Attrs: map[string]string{"name": channel}})
	if err != nil {
		t.Fatal(err)
	}
	return co.Object.ID, ch.Object.ID
}

// A paused campaign's messages wait in the outbox, using none of their
// tries, and go out once it resumes.
func TestPausedCampaignHoldsItsMessages(t *testing.T) {
	ctx := context.Background()
	dir, reg, cfg := loadClub(t, local.New())
	conn := openLocal(t, cfg, dir)
	makeClub(t, conn, "club", "general")
	conn.Close()
	news := &config.Campaign{Name: "news", Paused: true}
	cfg.Campaigns = append(cfg.Campaigns, news)
	store := state.NewMemory()
	b, _ := store.Begin(ctx)
	now := time.Now()
	_ = b.Enqueue([]state.Action{
		{Key: "k-news", Kind: "send.channel", Member: "ann", At: now.Add(-time.Minute), Platform: "platform.local.main", Community: "club", Target: "general", Text: "News", Campaign: "news"},
		{Key: "k-other", Kind: "send.channel", Member: "ann", At: now.Add(-time.Minute), Platform: "platform.local.main", Community: "club", Target: "general", Text: "Hello"},
	})
	_ = b.Commit()
	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
	defer sender.Close()
	d := outbox.New(store, sender, outbox.Options{Now: func() time.Time { return now }})
	rep, err := d.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 1 || rep.Waiting != 1 {
		t.Fatalf("while paused: %+v; want the other message sent and the campaign's waiting", rep)
	}
	pending, _ := store.ListOutbox(ctx, state.OutboxPending, 10)
	if len(pending) != 1 || pending[0].Key != "k-news" || pending[0].Attempts != 0 || !strings.Contains(pending[0].LastError, "campaign news is paused") {
		t.Fatalf("pending %+v; want k-news, no tries used, saying why", pending)
	}
	news.Paused = false
	now = now.Add(time.Minute)
	if rep, err = d.RunOnce(ctx); err != nil || rep.Sent != 1 {
		t.Fatalf("after resuming: %+v %v; want the held message sent", rep, err)
	}
}

// With Grants, the sender records the roles it gives and takes back only
// those: a role.remove of a role a moderator gave by hand, before or
// after the member qualified, is skipped, never sent, and the role
// stays.
func TestPlatformSenderTakesOnlyRolesItGave(t *testing.T) {
	ctx := context.Background()
	dir, reg, cfg := loadClub(t, local.New())
	conn := openLocal(t, cfg, dir)
	co, _ := makeClub(t, conn, "club", "general")
	role, err := conn.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: co, Attrs: map[string]string{"name": "core"}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, name := range []string{"Ann", "Bob"} {
		m, err := conn.Join(ctx, local.JoinRequest{Community: co, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	ann, bob := ids[0], ids[1]
	if _, err := conn.SetRole(ctx, co, bob, role.Object.ID, true); err != nil {
		t.Fatal(err)
	}

	store := state.NewMemory()
	enqueue := func(kind, key, target string) {
		b, _ := store.Begin(ctx)
		_ = b.Enqueue([]state.Action{{Key: key, Kind: kind, Member: target, At: time.Now().Add(-time.Minute), Platform: "platform.local.main", Community: "club", Target: target, Role: "core"}})
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }, Grants: store}
	defer sender.Close()
	d := outbox.New(store, sender, outbox.Options{})
	grant := func(member string) state.RoleGrant {
		return state.RoleGrant{Platform: "platform.local.main", Community: co, Role: role.Object.ID, Member: member}
	}
	given := func(member string) bool {
		ok, err := store.HasRoleGrant(ctx, grant(member))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	// Both are promoted: Ann is given the role, Bob holds it by hand.
	enqueue("role.add", "add-ann", ann)
	enqueue("role.add", "add-bob", bob)
	if rep, err := d.RunOnce(ctx); err != nil || rep.Sent != 2 {
		t.Fatalf("adds: %+v %v", rep, err)
	}
	if !given(ann) || given(bob) {
		t.Fatalf("recorded as given: ann %v, bob %v; want ann only", given(ann), given(bob))
	}

	// Both are demoted: Ann's goes, Bob's stays.
	enqueue("role.remove", "remove-ann", ann)
	enqueue("role.remove", "remove-bob", bob)
	rep, err := d.RunOnce(ctx)
	if err != nil || rep.Sent != 1 || rep.LeftAlone != 1 || rep.Skipped != 0 {
		t.Fatalf("removes: %+v %v", rep, err)
	}
	skipped, _ := store.ListOutbox(ctx, state.OutboxSkipped, 10)
	if len(skipped) != 1 || skipped[0].Key != "remove-bob" || skipped[0].LastError != state.OutboxSkippedNotGiven {
		t.Fatalf("skipped %+v", skipped)
	}
	if given(ann) {
		t.Error("Ann's record outlived her role")
	}
	rd := openLocal(t, cfg, dir)
	held, _ := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindRoleAssignment, Community: co})
	if len(held) != 1 || held[0].Attrs["member"] != bob {
		t.Errorf("role assignments %+v; want Bob's only", held)
	}
}

// A member.move reaches the local platform as a move into the
// sub-community, before the join's other actions (its key sorts first),
// so the welcome and direct message there find the member in it; a move
// into a sub-community apply has not made waits for it.
func TestPlatformSenderMovesIntoSubCommunity(t *testing.T) {
	ctx := context.Background()
	dir, reg, cfg := loadClub(t, local.New())
	conn := openLocal(t, cfg, dir)
	co, _ := makeClub(t, conn, "club", "general")
	sub, _ := makeClub(t, conn, "club-2", "general")
	ann, err := conn.Join(ctx, local.JoinRequest{Community: co, Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	bo, err := conn.Join(ctx, local.JoinRequest{Community: co, Name: "Bo"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Minute)
	_, rep := sendOnce(t, reg, cfg,
		state.Action{Key: "welcome/club-2/e1", Kind: "send.channel", Member: "ann", At: at, Platform: "platform.local.main", Community: "club-2", Target: "general", Text: "Welcome!"},
		state.Action{Key: "campaign/onboarding/ann/1/1/hello", Kind: "send.dm", Member: "ann", At: at, Platform: "platform.local.main", Community: "club-2", Target: ann.ID, Text: "Hi Ann"},
		state.Action{Key: "assign/club/e1/ann", Kind: "member.move", Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Into: "club-2", Target: ann.ID},
		state.Action{Key: "assign/club/e2/bo", Kind: "member.move", Member: "bo", At: at, Platform: "platform.local.main", Community: "club", Into: "club-3", Target: bo.ID},
	)
	if rep.Sent != 3 || rep.Waiting != 1 {
		t.Fatalf("report %+v; want 3 sent and the move into club-3 waiting", rep)
	}
	rd := openLocal(t, cfg, dir)
	in := func(community string) []string {
		objs, err := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindMember, Community: community})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range objs {
			names = append(names, o.Attrs["name"])
		}
		return names
	}
	if got := fmt.Sprint(in(co), in(sub)); got != "[Bo] [Ann]" {
		t.Errorf("members of club and club-2: %s", got)
	}
	dms, _ := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindDirectMessage, Community: sub})
	if len(dms) != 1 || dms[0].Attrs["member"] != ann.ID {
		t.Errorf("direct messages in club-2: %+v", dms)
	}
}

// A message's mentions go to the adapter with its text, so it can make
// the mention there (a Matrix pill, a Telegram text_mention); other
// actions carry none.
func TestPlatformSenderPassesMentions(t *testing.T) {
	ctx := context.Background()
	rec := &performRecorder{Adapter: local.New()}
	dir, reg, cfg := loadClub(t, rec)
	conn := openLocal(t, cfg, dir)
	makeClub(t, conn, "club", "general")
	store := state.NewMemory()
	b, _ := store.Begin(ctx)
	now := time.Now()
	mention := []state.Mention{{ID: "ann", Start: 7, End: 10}}
	_ = b.Enqueue([]state.Action{{Key: "k1", Kind: "send.channel", Member: "ann", At: now, Platform: "platform.local.main", Community: "club", Target: "general", Text: "Say hi Ann", Mentions: mention}})
	_ = b.Commit()
	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
	defer sender.Close()
	if rep, err := outbox.New(store, sender, outbox.Options{MaxAttempts: 1}).RunOnce(ctx); err != nil || rep.Sent != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.reqs) != 1 || !reflect.DeepEqual(rec.reqs[0].Mentions, []platform.Mention{{ID: "ann", Start: 7, End: 10}}) {
		t.Errorf("performed %+v; want the message with its mention", rec.reqs)
	}
}

// performRecorder is the local platform, keeping the requests performed.
type performRecorder struct {
	platform.Adapter
	mu   sync.Mutex
	reqs []platform.PerformRequest
}

func (a *performRecorder) Open(ctx context.Context, req platform.OpenRequest) (platform.Conn, error) {
	c, err := a.Adapter.Open(ctx, req)
	if err != nil {
		return nil, err
	}
	return performConn{Conn: c.(*local.Conn), a: a}, nil
}

type performConn struct {
	*local.Conn
	a *performRecorder
}

func (c performConn) Perform(ctx context.Context, req platform.PerformRequest) (platform.PerformResponse, error) {
	c.a.mu.Lock()
	c.a.reqs = append(c.a.reqs, req)
	c.a.mu.Unlock()
	return c.Conn.Perform(ctx, req)
}
