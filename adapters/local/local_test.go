package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/platform/platformtest"
)

var ctx = context.Background()

// factory makes a platform in a fresh temporary directory for each
// subtest of the conformance suite.
func factory(a *local.Adapter) platformtest.Factory {
	return func(t *testing.T) platformtest.Platform {
		dir := t.TempDir()
		return platformtest.Platform{
			Open: func(t *testing.T) platform.Conn {
				t.Helper()
				c, err := a.Open(ctx, platform.OpenRequest{Name: "main", Dir: dir})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			PageSize:   max(a.PageSize, 0),
			Persistent: true,
			Concurrent: true,
			AddMember: func(t *testing.T, c platform.Conn, community, name string) string {
				t.Helper()
				m, err := c.(*local.Conn).Join(ctx, local.JoinRequest{Community: community, Name: name})
				if err != nil {
					t.Fatal(err)
				}
				return m.ID
			},
			Post: func(t *testing.T, c platform.Conn, channel, member, text string) string {
				t.Helper()
				m, err := c.(*local.Conn).Post(ctx, local.PostRequest{Channel: channel, Member: member, Text: text})
				if err != nil {
					t.Fatal(err)
				}
				return m.ID
			},
		}
	}
}

func TestConformance(t *testing.T) {
	platformtest.Run(t, factory(&local.Adapter{PageSize: local.DefaultPageSize, PollInterval: 10 * time.Millisecond}))
}

// TestConformanceSmallPages runs the suite again with pages of three, so
// every listing in it crosses page boundaries.
func TestConformanceSmallPages(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	platformtest.Run(t, factory(&local.Adapter{PageSize: 3, PollInterval: 10 * time.Millisecond}))
}

// clock is a settable time for tests of mutes, bans and rate limits.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

// fixture is an open platform with a community, a channel and a member.
type fixture struct {
	c         *local.Conn
	dir       string
	community string
	channel   string
	ann       string
}

func openAt(t *testing.T, a *local.Adapter, dir string, settings map[string]cty.Value) *local.Conn {
	t.Helper()
	c, err := a.Open(ctx, platform.OpenRequest{Name: "main", Dir: dir, Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*local.Conn)
}

func setup(t *testing.T, a *local.Adapter) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	f.c = openAt(t, a, f.dir, nil)
	f.community = apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "explorers"}}).ID
	f.channel = apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.community, Attrs: platform.Attrs{"name": "help"}}).ID
	m, err := f.c.Join(ctx, local.JoinRequest{Community: f.community, Name: "Ann", Locale: "en"})
	if err != nil {
		t.Fatal(err)
	}
	f.ann = m.ID
	return f
}

func apply(t *testing.T, c platform.Applier, req platform.ApplyRequest) platform.Object {
	t.Helper()
	resp, err := c.Apply(ctx, req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Op, req.Kind, err)
	}
	return resp.Object
}

func TestOpenSettings(t *testing.T) {
	dir := t.TempDir()
	c := openAt(t, local.New(), dir, nil)
	if want := filepath.Join(dir, local.DefaultPath); c.Path() != want {
		t.Errorf("default path %s; want %s", c.Path(), want)
	}
	snap, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Workspace.Name != "main" || !strings.HasPrefix(snap.Workspace.ID, "ws-") || snap.Format != local.FileFormat {
		t.Errorf("new workspace %+v", snap.Workspace)
	}

	// A path from a sensitive variable works, relative to the directory.
	settings := map[string]cty.Value{
		"path":      cty.StringVal("data/p.json").Mark(config.Sensitive),
		"workspace": cty.StringVal("Explorers HQ"),
	}
	c2 := openAt(t, local.New(), dir, settings)
	if want := filepath.Join(dir, "data", "p.json"); c2.Path() != want {
		t.Errorf("path %s; want %s", c2.Path(), want)
	}
	snap, _ = c2.Snapshot(ctx)
	if snap.Workspace.Name != "Explorers HQ" {
		t.Errorf("workspace name %q", snap.Workspace.Name)
	}
	// Renaming the workspace in the settings renames it in the file and
	// keeps its id, which event ids depend on.
	settings["workspace"] = cty.StringVal("Explorers")
	c2b := openAt(t, local.New(), dir, settings)
	again, _ := c2b.Snapshot(ctx)
	if again.Workspace.Name != "Explorers" || again.Workspace.ID != snap.Workspace.ID {
		t.Errorf("after a rename: %+v; was %+v", again.Workspace, snap.Workspace)
	}

	abs := filepath.Join(t.TempDir(), "abs.json")
	c3 := openAt(t, local.New(), dir, map[string]cty.Value{"path": cty.StringVal(abs)})
	if c3.Path() != abs {
		t.Errorf("absolute path became %s", c3.Path())
	}

	_, err = local.New().Open(ctx, platform.OpenRequest{Name: "x", Dir: dir, Settings: map[string]cty.Value{"path": cty.ListValEmpty(cty.String)}})
	if !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("a list as path: %v; want ErrInvalid", err)
	}
}

func TestRegistry(t *testing.T) {
	reg, err := platform.NewRegistry(local.New())
	if err != nil {
		t.Fatal(err)
	}
	if got := reg.Types(); len(got) != 1 || got[0] != "local" {
		t.Errorf("types %v", got)
	}
	if sp := reg.Specs()["local"]; sp.Type != "local" || len(sp.Attrs) == 0 {
		t.Errorf("spec %+v", sp)
	}
	if _, err := platform.NewRegistry(local.New(), local.New()); err == nil {
		t.Error("two adapters of one type were accepted")
	}
	dir := t.TempDir()
	c, err := reg.Open(ctx, &config.Platform{Type: "local", Name: "main", Settings: map[string]cty.Value{}}, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := platform.Capabilities(c); len(got) != 5 {
		t.Errorf("capabilities %v; the local platform has all five", got)
	}
	if _, err := reg.Open(ctx, &config.Platform{Type: "discord", Name: "main"}, dir, nil); !errors.Is(err, platform.ErrUnsupported) {
		t.Errorf("unknown type: %v", err)
	}
}

// TestCorruptFile checks that a damaged file is refused at Open with an
// error saying where and what, and that nothing panics.
func TestCorruptFile(t *testing.T) {
	valid := func(t *testing.T) []byte {
		f := setup(t, local.New())
		data, err := os.ReadFile(f.c.Path())
		if err != nil {
			t.Fatal(err)
		}
		return data
	}(t)
	for _, tc := range []struct {
		name string
		data func() []byte
		want string
	}{
		{"not JSON", func() []byte { return []byte("{\n \"format\": \"hearth-local-platform\",\n oops\n}") }, "line 3, column 2"},
		{"truncated", func() []byte { return valid[:len(valid)/2] }, "not valid JSON"},
		{"empty", func() []byte { return nil }, "empty"},
		{"other JSON", func() []byte { return []byte(`{"hello": "world"}`) }, "not a hearth local platform file"},
		{"newer version", func() []byte {
			return []byte(strings.Replace(string(valid), `"version": 1`, `"version": 9`, 1))
		}, "newer hearth"},
		{"wrong type", func() []byte {
			return []byte(strings.Replace(string(valid), `"position": 0`, `"position": "first"`, 1))
		}, "position"},
		{"dangling reference", func() []byte {
			return []byte(strings.Replace(string(valid), `"community": "co-1"`, `"community": "co-7"`, 1))
		}, `"co-7"`},
		{"unissued id", func() []byte {
			return []byte(strings.Replace(string(valid), `"id": "ch-1"`, `"id": "ch-99"`, 1))
		}, "ch-99"},
		{"member id neither issued nor brought", func() []byte {
			return []byte(strings.Replace(string(valid), `"id": "mb-1"`, `"id": "u07"`, 1))
		}, "u07"},
		{"brought member with an unissued number", func() []byte {
			return []byte(strings.Replace(string(valid), `"id": "mb-1"`, `"id": "u07", "num": 5`, 1))
		}, "num 5"},
		{"null entry", func() []byte {
			return []byte(strings.Replace(string(valid), `"channels": [`, `"channels": [null,`, 1))
		}, "null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, local.DefaultPath)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tc.data(), 0o600); err != nil {
				t.Fatal(err)
			}
			// Opened to read (a plan) or to write, the damage is reported
			// at once.
			for _, readOnly := range []bool{true, false} {
				_, err := local.New().Open(ctx, platform.OpenRequest{Name: "main", Dir: dir, ReadOnly: readOnly})
				if !errors.Is(err, local.ErrCorrupt) {
					t.Fatalf("Open (read-only %v): %v; want ErrCorrupt", readOnly, err)
				}
				if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q should name the file and say %q", err, tc.want)
				}
			}
		})
	}

	// Damage after Open shows on the next call, not as a panic.
	f := setup(t, local.New())
	if err := os.WriteFile(f.c.Path(), []byte("{]"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := f.c.Read(ctx, platform.ReadRequest{Kind: platform.KindChannel, Community: f.community})
	if !errors.Is(err, local.ErrCorrupt) {
		t.Errorf("Read of a damaged file: %v", err)
	}
}

// listDir is every file under dir with its size and modification time,
// to tell that nothing was created or written.
func listDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		out[path] = fi.ModTime().String() + " " + itoa(int(fi.Size()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A plan opens the platform read-only: where it was never applied to, it
// reads as empty and nothing is created, neither the file nor its
// directory nor the lock; changes are refused.
func TestOpenReadOnlyCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	c, err := local.New().Open(ctx, platform.OpenRequest{Name: "main", Dir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	lc := c.(*local.Conn)
	page, err := lc.Read(ctx, platform.ReadRequest{Kind: platform.KindCommunity})
	if err != nil || len(page.Objects) != 0 {
		t.Fatalf("Read of an absent platform: %v, %v; want no communities", page.Objects, err)
	}
	if snap, err := lc.Snapshot(ctx); err != nil || len(snap.Communities) != 0 {
		t.Fatalf("Snapshot of an absent platform: %v, %v", snap, err)
	}
	_, err = lc.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "explorers"}})
	if class, _ := platform.Classify(err); !errors.Is(err, local.ErrReadOnly) || class != platform.ClassPermanent {
		t.Fatalf("Apply through a read-only Conn: %v; want a permanent ErrReadOnly", err)
	}
	if _, err := lc.Join(ctx, local.JoinRequest{Community: "co-1", Name: "Ann"}); !errors.Is(err, local.ErrReadOnly) {
		t.Fatalf("Join through a read-only Conn: %v; want ErrReadOnly", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if files := listDir(t, dir); len(files) != 1 {
		t.Fatalf("a read-only Open created files: %v", files)
	}
}

// Read-only, an existing platform reads as it is, and is left as it was:
// a workspace setting that differs does not rename the workspace (as
// opening to write does), and the file, the lock and their times stay.
func TestOpenReadOnlyReadsExisting(t *testing.T) {
	f := setup(t, local.New())
	f.c.Close()
	before := listDir(t, f.dir)
	c, err := local.New().Open(ctx, platform.OpenRequest{Name: "main", Dir: f.dir, ReadOnly: true,
		Settings: map[string]cty.Value{"workspace": cty.StringVal("Renamed")}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	page, err := c.(*local.Conn).Read(ctx, platform.ReadRequest{Kind: platform.KindChannel, Community: f.community})
	if err != nil || len(page.Objects) != 1 || page.Objects[0].ID != f.channel {
		t.Fatalf("Read: %v, %v; want channel %s", page.Objects, err, f.channel)
	}
	if after := listDir(t, f.dir); len(after) != len(before) {
		t.Fatalf("files changed: %v -> %v", before, after)
	} else {
		for k, v := range before {
			if after[k] != v {
				t.Errorf("%s changed: %s -> %s", k, v, after[k])
			}
		}
	}
}

func TestDuplicateNames(t *testing.T) {
	f := setup(t, local.New())
	a := apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.community, Attrs: platform.Attrs{"name": "help"}})
	if a.ID == f.channel {
		t.Fatal("a second channel named help got the first one's id")
	}
	apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: f.community, Attrs: platform.Attrs{"name": "core"}})
	apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: f.community, Attrs: platform.Attrs{"name": "core"}})
	_, err := f.c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "explorers"}})
	if !errors.Is(err, platform.ErrConflict) {
		t.Errorf("a second community named explorers: %v; want ErrConflict", err)
	}
	other := apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "explorers-2"}})
	_, err = f.c.Apply(ctx, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindCommunity, ID: other.ID, Attrs: platform.Attrs{"name": "explorers"}})
	if !errors.Is(err, platform.ErrConflict) {
		t.Errorf("renaming a community to a taken name: %v; want ErrConflict", err)
	}
}

func TestLimits(t *testing.T) {
	f := setup(t, local.New())
	for _, tc := range []struct {
		what  string
		kind  platform.Kind
		attrs platform.Attrs
	}{
		{"long name", platform.KindChannel, platform.Attrs{"name": strings.Repeat("x", local.MaxNameLen+1)}},
		{"long topic", platform.KindChannel, platform.Attrs{"name": "x", "topic": strings.Repeat("t", local.MaxTopicLen+1)}},
		{"unknown permission", platform.KindRole, platform.Attrs{"name": "x", "permissions": "fly"}},
	} {
		_, err := f.c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: tc.kind, Community: f.community, Attrs: tc.attrs})
		if !errors.Is(err, platform.ErrInvalid) {
			t.Errorf("%s: %v; want ErrInvalid", tc.what, err)
		}
	}
	// A name of the limit in multi-byte characters is fine: the limit is
	// in characters, not bytes.
	apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.community, Attrs: platform.Attrs{"name": strings.Repeat("欢", local.MaxNameLen)}})

	for i := range local.MaxPins {
		apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindPin, Community: f.community, Attrs: platform.Attrs{"channel": f.channel, "text": "rule " + string(rune('a'+i%26))}})
	}
	_, err := f.c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindPin, Community: f.community, Attrs: platform.Attrs{"channel": f.channel, "text": "one too many"}})
	if !errors.Is(err, platform.ErrConflict) || !platform.IsPermanent(err) {
		t.Errorf("pin %d: %v; want a permanent ErrConflict", local.MaxPins+1, err)
	}
}

// TestPinByHand covers a member's message a moderator pinned outside
// hearth: plan sees it, hearth can adopt it, cannot edit it, and
// deleting the pin only unpins it.
func TestPinByHand(t *testing.T) {
	f := setup(t, local.New())
	msg, err := f.c.Post(ctx, local.PostRequest{Channel: f.channel, Member: f.ann, Text: "My guide to getting started"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.c.Import(ctx, platform.ImportRequest{Kind: platform.KindPin, ID: msg.ID})
	if !errors.Is(err, platform.ErrNotFound) {
		t.Fatalf("importing an unpinned message as a pin: %v; want ErrNotFound", err)
	}
	if err := f.c.Pin(ctx, msg.ID, true); err != nil {
		t.Fatal(err)
	}
	pins, err := platform.ReadAll(ctx, f.c, platform.ReadRequest{Kind: platform.KindPin, Community: f.community})
	if err != nil || len(pins) != 1 || pins[0].ID != msg.ID || pins[0].Attrs["author"] != f.ann {
		t.Fatalf("pins %+v, %v", pins, err)
	}
	if _, err := f.c.Import(ctx, platform.ImportRequest{Kind: platform.KindPin, ID: msg.ID, Address: "community.explorers.pin.guide"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.Apply(ctx, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindPin, Community: f.community, ID: msg.ID, Attrs: platform.Attrs{"text": "edited"}})
	if err == nil || !platform.IsPermanent(err) {
		t.Errorf("editing a member's message: %v; want a permanent error", err)
	}
	apply(t, f.c, platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.KindPin, Community: f.community, ID: msg.ID})
	im, err := f.c.Import(ctx, platform.ImportRequest{Kind: platform.KindMessage, ID: msg.ID})
	if err != nil || im.Object.Attrs["pinned"] != "false" || im.Object.Attrs["text"] != "My guide to getting started" {
		t.Errorf("after deleting the pin, the message is %+v, %v; want it kept, unpinned", im.Object, err)
	}
	if err := f.c.Pin(ctx, "msg-404", true); !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("pinning a missing message: %v", err)
	}
}

func TestCascadeDelete(t *testing.T) {
	f := setup(t, local.New())
	role := apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: f.community, Attrs: platform.Attrs{"name": "core"}})
	apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRoleAssignment, Community: f.community, Attrs: platform.Attrs{"member": f.ann, "role": role.ID}})
	if _, err := f.c.Post(ctx, local.PostRequest{Channel: f.channel, Member: f.ann, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	apply(t, f.c, platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.KindCommunity, ID: f.community})
	snap, err := f.c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Channels)+len(snap.Roles)+len(snap.RoleAssignments)+len(snap.Messages)+len(snap.Memberships) != 0 {
		t.Errorf("deleting the community left %d channels, %d roles, %d assignments, %d messages, %d memberships",
			len(snap.Channels), len(snap.Roles), len(snap.RoleAssignments), len(snap.Messages), len(snap.Memberships))
	}
	if len(snap.Members) != 1 || len(snap.Events) == 0 {
		t.Errorf("people and history should stay: %d members, %d events", len(snap.Members), len(snap.Events))
	}
}

func TestModeration(t *testing.T) {
	clk := newClock()
	f := setup(t, &local.Adapter{Now: clk.Now})
	perform := func(req platform.PerformRequest) error {
		req.Community = f.community
		_, err := f.c.Perform(ctx, req)
		return err
	}
	if err := perform(platform.PerformRequest{Action: platform.ActionMute, Key: "m1", Member: f.ann, Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	_, err := f.c.Post(ctx, local.PostRequest{Channel: f.channel, Member: f.ann, Text: "let me speak"})
	if !errors.Is(err, platform.ErrConflict) {
		t.Errorf("a muted member posted: %v", err)
	}
	clk.Add(61 * time.Minute)
	if _, err := f.c.Post(ctx, local.PostRequest{Channel: f.channel, Member: f.ann, Text: "back"}); err != nil {
		t.Errorf("after the mute ended: %v", err)
	}
	if err := perform(platform.PerformRequest{Action: platform.ActionMute, Key: "m2", Member: f.ann, Duration: 29 * 24 * time.Hour}); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("a 29-day mute: %v; want ErrInvalid", err)
	}

	if err := perform(platform.PerformRequest{Action: platform.ActionBan, Key: "b1", Member: f.ann, Duration: 24 * time.Hour, Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.Join(ctx, local.JoinRequest{Community: f.community, Member: f.ann})
	if !errors.Is(err, platform.ErrConflict) {
		t.Errorf("a banned member rejoined: %v", err)
	}
	clk.Add(25 * time.Hour)
	if _, err := f.c.Join(ctx, local.JoinRequest{Community: f.community, Member: f.ann}); err != nil {
		t.Errorf("rejoining after the ban ended: %v", err)
	}
}

// A move takes a member out of one community, with their roles there,
// into another, once per key and with no event; a second move is
// success, a ban from the other community refuses it.
func TestMoveMember(t *testing.T) {
	clk := newClock()
	f := setup(t, &local.Adapter{Now: clk.Now})
	sub := apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "explorers-2"}}).ID
	role := apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: f.community, Attrs: platform.Attrs{"name": "core"}}).ID
	move := platform.PerformRequest{Action: platform.ActionMoveMember, Key: "mv1", Community: f.community, Member: f.ann, Into: sub}
	if _, err := f.c.Perform(ctx, platform.PerformRequest{Action: platform.ActionRoleAdd, Key: "r1", Community: f.community, Member: f.ann, Role: role}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Perform(ctx, platform.PerformRequest{Action: platform.ActionMute, Key: "m1", Community: f.community, Member: f.ann, Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	before, err := f.c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Perform(ctx, move); err != nil {
		t.Fatal(err)
	}
	snap, err := f.c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Memberships) != 1 || snap.Memberships[0].Community != sub || snap.Memberships[0].MutedUntil.IsZero() {
		t.Errorf("memberships after the move: %+v", snap.Memberships)
	}
	if len(snap.RoleAssignments) != 0 {
		t.Errorf("the role in the community left stays: %+v", snap.RoleAssignments)
	}
	if len(snap.Events) != len(before.Events) {
		t.Errorf("a move emitted %d events", len(snap.Events)-len(before.Events))
	}
	if r, err := f.c.Perform(ctx, move); err != nil || !r.Duplicate {
		t.Errorf("the same key again: %+v %v", r, err)
	}
	move.Key = "mv2"
	if _, err := f.c.Perform(ctx, move); err != nil {
		t.Errorf("moving a member moved already: %v", err)
	}
	move.Key, move.Into = "mv3", f.community
	move.Community = f.community
	if _, err := f.c.Perform(ctx, move); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("a move into the same community: %v", err)
	}
	bo, err := f.c.Join(ctx, local.JoinRequest{Community: f.community, Name: "Bo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Perform(ctx, platform.PerformRequest{Action: platform.ActionBan, Key: "b1", Community: sub, Member: bo.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Perform(ctx, platform.PerformRequest{Action: platform.ActionMoveMember, Key: "mv4", Community: f.community, Member: bo.ID, Into: sub}); !errors.Is(err, platform.ErrConflict) {
		t.Errorf("a move into a community the member is banned from: %v", err)
	}
	if _, err := f.c.Perform(ctx, platform.PerformRequest{Action: platform.ActionMoveMember, Key: "mv5", Community: f.community, Member: bo.ID, Into: "co-99"}); !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("a move into no community: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	clk := newClock()
	f := setup(t, &local.Adapter{Now: clk.Now, RateLimit: durations.Rate{Count: 5, Window: time.Minute}})
	// setup made two calls (community, channel); three more are allowed.
	for i := range 3 {
		if _, err := f.c.Perform(ctx, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k" + string(rune('0'+i)), Community: f.community, Channel: f.channel, Text: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(10 * time.Second)
	req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k9", Community: f.community, Channel: f.channel, Text: "hi"}
	_, err := f.c.Perform(ctx, req)
	var rl *platform.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("sixth call in a minute: %v; want a RateLimitError", err)
	}
	if class, wait := platform.Classify(err); class != platform.ClassTemporary || wait != 50*time.Second {
		t.Errorf("classified %v, retry after %s; want temporary, 50s", class, wait)
	}
	clk.Add(50 * time.Second)
	if _, err := f.c.Perform(ctx, req); err != nil {
		t.Errorf("after waiting: %v", err)
	}
}

// TestFault shows how an apply engine test makes the platform fail part
// way: the failing call changes nothing, the others stay done.
func TestFault(t *testing.T) {
	calls := 0
	boom := platform.Temporary(errors.New("502 bad gateway"), time.Second)
	a := &local.Adapter{Fault: func(_ context.Context, call local.Call) error {
		if call.Apply != nil && call.Apply.Kind == platform.KindRole {
			calls++
			if calls == 2 {
				return boom
			}
		}
		return nil
	}}
	f := setup(t, a)
	apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: f.community, Attrs: platform.Attrs{"name": "a"}})
	_, err := f.c.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: f.community, Attrs: platform.Attrs{"name": "b"}})
	if !errors.Is(err, boom) || !platform.IsTemporary(err) {
		t.Fatalf("faulted call: %v", err)
	}
	apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: f.community, Attrs: platform.Attrs{"name": "c"}})
	roles, err := platform.ReadAll(ctx, f.c, platform.ReadRequest{Kind: platform.KindRole, Community: f.community})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range roles {
		names = append(names, r.Attrs["name"])
	}
	if strings.Join(names, ",") != "a,c" {
		t.Errorf("roles %v; want a,c", names)
	}
}

func TestEvents(t *testing.T) {
	clk := newClock()
	f := setup(t, &local.Adapter{Now: clk.Now})
	bob, err := f.c.Join(ctx, local.JoinRequest{Community: f.community, Name: "Bob", Referrer: f.ann, Timezone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := f.c.Post(ctx, local.PostRequest{Channel: f.channel, Member: bob.ID, Text: "hi @ann, see https://example.com and http://x.y"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Post(ctx, local.PostRequest{Channel: f.channel, Member: f.ann, Text: "welcome!", ReplyTo: first.ID}); err != nil {
		t.Fatal(err)
	}
	if added, err := f.c.React(ctx, local.ReactRequest{Message: first.ID, Member: f.ann, Emoji: "👍"}); err != nil || !added {
		t.Fatal(added, err)
	}
	// The same emoji again is no reaction.added: one of each per member.
	if added, err := f.c.React(ctx, local.ReactRequest{Message: first.ID, Member: f.ann, Emoji: "👍"}); err != nil || added {
		t.Fatalf("second 👍: added %v, %v", added, err)
	}
	// A member writing to the app: a survey reply, say.
	if _, err := f.c.WriteToApp(ctx, f.community, bob.ID, "pulse recommend 9"); err != nil {
		t.Fatal(err)
	}
	if err := f.c.Leave(ctx, f.community, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Post(ctx, local.PostRequest{Channel: f.channel, Member: bob.ID, Text: "still here?"}); !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("a member who left posted: %v", err)
	}

	var got []platform.Delivery
	err = f.c.Stream(ctx, platform.StreamRequest{Communities: map[string]string{f.community: "explorers-renamed"}}, func(_ context.Context, d platform.Delivery) error {
		got = append(got, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, d := range got {
		b, _ := json.Marshal(d.Event)
		lines = append(lines, string(b))
	}
	snap, _ := f.c.Snapshot(ctx)
	ws := snap.Workspace.ID
	want := []string{
		`{"id":"` + ws + `.ev-1","type":"member.joined","member":{"id":"mb-1","name":"Ann","identities":{"local":"mb-1"}},"at":"2026-03-01T12:00:00Z","source":"local","community":"explorers-renamed","attrs":{"community":"explorers","locale":"en","name":"Ann"}}`,
		`{"id":"` + ws + `.ev-2","type":"member.joined","member":{"id":"mb-2","name":"Bob","identities":{"local":"mb-2"}},"at":"2026-03-01T12:00:00Z","source":"local","community":"explorers-renamed","attrs":{"community":"explorers","name":"Bob","referrer":"mb-1","timezone":"Europe/Berlin"}}`,
		`{"id":"` + ws + `.ev-3","type":"message.posted","member":{"id":"mb-2","name":"Bob","identities":{"local":"mb-2"}},"at":"2026-03-01T12:00:00Z","source":"local","community":"explorers-renamed","attrs":{"channel":"help","channel_id":"ch-1","length":47,"links":2,"mentions":1,"post_id":"msg-1","text":"hi @ann, see https://example.com and http://x.y"}}`,
		`{"id":"` + ws + `.ev-4","type":"message.posted","member":{"id":"mb-1","name":"Ann","identities":{"local":"mb-1"}},"at":"2026-03-01T12:00:00Z","source":"local","community":"explorers-renamed","attrs":{"channel":"help","channel_id":"ch-1","length":8,"links":0,"mentions":0,"post_id":"msg-2","reply_to":"msg-1","text":"welcome!"}}`,
		`{"id":"` + ws + `.ev-5","type":"reaction.added","member":{"id":"mb-1","name":"Ann","identities":{"local":"mb-1"}},"at":"2026-03-01T12:00:00Z","source":"local","community":"explorers-renamed","attrs":{"channel":"help","channel_id":"ch-1","emoji":"👍","target":"msg-1","target_member":"mb-2"}}`,
		`{"id":"` + ws + `.ev-6","type":"message.direct","member":{"id":"mb-2","name":"Bob","identities":{"local":"mb-2"}},"at":"2026-03-01T12:00:00Z","source":"local","community":"explorers-renamed","attrs":{"text":"pulse recommend 9"}}`,
		`{"id":"` + ws + `.ev-7","type":"member.left","member":{"id":"mb-2","name":"Bob","identities":{"local":"mb-2"}},"at":"2026-03-01T12:00:00Z","source":"local","community":"explorers-renamed","attrs":{"community":"explorers","reason":"left"}}`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	// Numbers come out typed as from any event source.
	if n, ok := got[2].Event.Attrs["length"].(int); !ok || n != 47 {
		t.Errorf("length is %T %v; want int 47", got[2].Event.Attrs["length"], got[2].Event.Attrs["length"])
	}

	// A cursor from another platform file is refused, not taken as a
	// position in this one.
	err = f.c.Stream(ctx, platform.StreamRequest{After: "ws-00000000:3"}, func(context.Context, platform.Delivery) error { return nil })
	if !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("a foreign cursor: %v; want ErrInvalid", err)
	}
	err = f.c.Stream(ctx, platform.StreamRequest{After: "three"}, func(context.Context, platform.Delivery) error { return nil })
	if !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("a malformed cursor: %v; want ErrInvalid", err)
	}
}

// TestStreamAcrossConns follows a stream on one Conn while another Conn,
// as another process would, posts.
func TestStreamAcrossConns(t *testing.T) {
	a := &local.Adapter{PollInterval: 5 * time.Millisecond}
	f := setup(t, a)
	other := openAt(t, a, f.dir, nil)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	got := make(chan string, 4)
	go func() {
		_ = f.c.Stream(sctx, platform.StreamRequest{Follow: true}, func(_ context.Context, d platform.Delivery) error {
			got <- d.Event.Type
			return nil
		})
	}()
	if tp := <-got; tp != "member.joined" {
		t.Fatalf("first event %s", tp)
	}
	if _, err := other.Post(ctx, local.PostRequest{Channel: f.channel, Member: f.ann, Text: "from elsewhere"}); err != nil {
		t.Fatal(err)
	}
	select {
	case tp := <-got:
		if tp != "message.posted" {
			t.Errorf("event %s", tp)
		}
	case <-sctx.Done():
		t.Fatal("the post from another Conn never arrived")
	}
}

// TestFileShape checks the file is the documented, sorted document.
func TestFileShape(t *testing.T) {
	f := setup(t, local.New())
	for i := range 11 {
		apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.community, Attrs: platform.Attrs{"name": "c", "position": itoa(9 - i%10)}})
	}
	data, err := os.ReadFile(f.c.Path())
	if err != nil {
		t.Fatal(err)
	}
	var file local.File
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	// Version 1 while no member has an id hearth brought, so older
	// hearths read it.
	if file.Format != local.FileFormat || file.Version != 1 || file.Seq["ch"] != 12 {
		t.Errorf("format %q version %d seq %v", file.Format, file.Version, file.Seq)
	}
	for i, ch := range file.Channels {
		if want := "ch-" + itoa(i+1); ch.ID != want {
			t.Errorf("channels[%d] is %s; want %s (id order)", i, ch.ID, want)
		}
	}
	info, err := os.Stat(f.c.Path())
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		t.Errorf("the file holds private messages but has mode %v", info.Mode().Perm())
	}
	leftovers, _ := filepath.Glob(f.c.Path() + ".tmp-*")
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
