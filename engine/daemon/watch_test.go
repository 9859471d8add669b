package daemon_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/state"
)

// manualClock is the watcher's clock in these tests: time moves only
// when a test advances it, so no reload happens between two writes a
// test makes, however slow the machine.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []manualTimer
}

type manualTimer struct {
	at time.Time
	c  chan time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, manualTimer{at: c.now.Add(d), c: ch})
	return ch
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.timers = slices.DeleteFunc(c.timers, func(t manualTimer) bool {
		if t.at.After(c.now) {
			return false
		}
		t.c <- c.now
		return true
	})
}

const (
	testSettle = 500 * time.Millisecond
	testGrace  = 10 * time.Second
)

// watch runs f's watcher on a manual clock until the test ends, and
// returns once it watches (its log says so).
func watch(t *testing.T, f *fixture, logs *syncBuffer, grace time.Duration) *manualClock {
	t.Helper()
	clk := &manualClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := f.d.Watch(ctx, daemon.WatchOptions{Settle: testSettle, Grace: grace, Now: clk.Now, After: clk.After}); err != nil {
			t.Errorf("watch: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, func() bool { return strings.Contains(logs.String(), "watching the configuration directory") })
	return clk
}

// seen waits until the watcher has seen a change to the file at path.
func seen(t *testing.T, logs *syncBuffer, path string) {
	t.Helper()
	waitFor(t, func() bool {
		return strings.Contains(logs.String(), `change seen; reloading once quiet" file=`+path+" ")
	})
}

// advanceUntil moves the clock on by step until cond holds.
func advanceUntil(t *testing.T, clk *manualClock, step time.Duration, cond func() bool) {
	t.Helper()
	waitFor(t, func() bool {
		if cond() {
			return true
		}
		clk.Advance(step)
		return false
	})
}

// reloadsBy are the reloads recorded for trigger; changed ones only
// (a configuration swapped in) when changed is set.
func reloadsBy(d *daemon.Daemon, trigger string, changed bool) []daemon.Reload {
	var out []daemon.Reload
	for _, r := range d.Reloads() {
		if r.Trigger == trigger && (!changed || r.OK && !r.Unchanged) {
			out = append(out, r)
		}
	}
	return out
}

// startLogged starts a daemon on dir's files, its log in the returned
// buffer.
func startLogged(t *testing.T, dir string) (*fixture, *syncBuffer) {
	t.Helper()
	var logs syncBuffer
	f := startOn(t, dir, filepath.Join(t.TempDir(), "state.db"), "", func(o *daemon.Options) {
		o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	return f, &logs
}

// startWith starts a daemon, its log captured, on a directory of base,
// rulesA and one more file, name, holding body.
func startWith(t *testing.T, name, body string) (string, *fixture, *syncBuffer) {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, "main.hcl", base)
	write(t, dir, "rules.hcl", rulesA)
	write(t, dir, name, body)
	f, logs := startLogged(t, dir)
	return dir, f, logs
}

func joinAnHourAgo(t *testing.T, f *fixture, id, member string) {
	t.Helper()
	ev := fmt.Sprintf(`{"id":%q,"type":"member.joined","member":%q,"at":%q}`, id, member, time.Now().UTC().Add(-time.Hour).Format(time.RFC3339))
	if code, body := post(t, f, "/v1/events", ev, ""); code != http.StatusAccepted {
		t.Fatalf("join: %d %v", code, body)
	}
}

func runOf(t *testing.T, f *fixture, member, campaign string) *state.CampaignRun {
	t.Helper()
	var run *state.CampaignRun
	_ = f.store.Members(context.Background(), func(m *state.Member) error {
		if m.ID == member {
			run = m.Campaigns[campaign]
		}
		return nil
	})
	if run == nil {
		t.Fatalf("%s has no run of %s", member, campaign)
	}
	return run
}

// The walkthrough's bug: a save that truncates the campaign's file and
// writes it a moment later. The emptied file is read (the directory was
// quiet for the settle window in between), but the configuration
// without the campaign is held back, so the member's event meanwhile is
// applied with the campaign in force and its run goes on; once written
// again the files mean the configuration in force.
func TestWatchHoldsTruncatedFileUntilWritten(t *testing.T) {
	dir, f, logs := startWith(t, "onboarding.hcl", welcome)
	joinAnHourAgo(t, f, "j1", "m1")
	if run := runOf(t, f, "m1", "welcome"); !run.Active() {
		t.Fatalf("m1 did not enter the campaign: %+v", run)
	}
	before := f.d.Snapshot().Config.Hash
	clk := watch(t, f, logs, time.Hour)

	if err := os.Truncate(filepath.Join(dir, "onboarding.hcl"), 0); err != nil {
		t.Fatal(err)
	}
	advanceUntil(t, clk, testSettle/2, func() bool { return f.d.Held() != nil })
	h := f.d.Held()
	if len(h.Files) != 1 || h.Files[0].File != "onboarding.hcl" || strings.Join(h.Files[0].Blocks, " ") != "campaign.welcome template.hi" {
		t.Errorf("held: %+v", h)
	}
	if !h.Until.Equal(h.Since.Add(time.Hour)) {
		t.Errorf("held from %s until %s; want the grace after", h.Since, h.Until)
	}
	if !strings.Contains(logs.String(), "level=INFO") || !strings.Contains(logs.String(), `msg="a file has no blocks left, taken as a save under way`) || !strings.Contains(logs.String(), "file=onboarding.hcl") {
		t.Errorf("the hold is not logged:\n%s", logs.String())
	}
	if _, st := get(t, f, "/v1/status"); st["reload_held"] == nil {
		t.Errorf("status does not show the held reload: %v", st["reload_held"])
	}
	if m := metricsText(t, f); !strings.Contains(m, "hearth_config_reload_held 1\n") {
		t.Error("hearth_config_reload_held is not 1 while a reload is held")
	}
	// The member's event while the file is empty.
	ev := fmt.Sprintf(`{"id":"p1","type":"message.posted","member":"m1","at":%q}`, time.Now().UTC().Format(time.RFC3339))
	if code, body := post(t, f, "/v1/events", ev, ""); code != http.StatusAccepted {
		t.Fatalf("post: %d %v", code, body)
	}

	write(t, dir, "onboarding.hcl", welcome)
	advanceUntil(t, clk, testSettle/2, func() bool { return f.d.Held() == nil })
	if run := runOf(t, f, "m1", "welcome"); !run.Active() {
		t.Errorf("the run ended: %+v", run)
	}
	if got := f.d.Snapshot().Config.Hash; got != before {
		t.Error("the configuration in force changed")
	}
	if changed := reloadsBy(f.d, "files", true); len(changed) > 0 {
		t.Errorf("reloads swapped in a configuration: %+v", changed)
	}
	if m := metricsText(t, f); !strings.Contains(m, "hearth_config_reload_held 0\n") {
		t.Error("hearth_config_reload_held is not 0 once the file is written")
	}
	if strings.Contains(logs.String(), "stayed without blocks") {
		t.Errorf("the emptied file was applied:\n%s", logs.String())
	}
}

// A burst of writes, such as a git checkout of several files, reloads
// once, with every file written.
func TestWatchReloadsABurstOnce(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", base)
	write(t, dir, "rules.hcl", rulesA)
	f, logs := startLogged(t, dir)
	clk := watch(t, f, logs, testGrace)
	// Each write is seen before the next: a watcher that reloaded on
	// a change, not once quiet, would reload between them.
	write(t, dir, "rules.hcl", rulesB)
	seen(t, logs, filepath.Join(dir, "rules.hcl"))
	for _, name := range []string{"a", "b", "c"} {
		write(t, dir, name+".hcl", fmt.Sprintf("segment %q {\n  when = \"member.points > 5\"\n}\n", name))
		seen(t, logs, filepath.Join(dir, name+".hcl"))
	}
	advanceUntil(t, clk, testSettle/2, func() bool { return len(reloadsBy(f.d, "files", true)) > 0 })
	if changed := reloadsBy(f.d, "files", true); len(changed) != 1 {
		t.Errorf("%d reloads swapped in a configuration; want 1: %+v", len(changed), changed)
	}
	cfg := f.d.Snapshot().Config
	if len(cfg.Segments) != 3 || len(cfg.Incentives) != 2 {
		t.Errorf("after the burst: %d segments, %d incentives; want 3 and 2", len(cfg.Segments), len(cfg.Incentives))
	}
}

// A file emptied for good is applied once it stayed so for the grace,
// and not before.
func TestWatchAppliesEmptiedFileAfterGrace(t *testing.T) {
	dir, f, logs := startWith(t, "extra.hcl", `segment "new" { when = "member.points > 5" }`)
	clk := watch(t, f, logs, testGrace)
	write(t, dir, "extra.hcl", "# moved out\n")
	advanceUntil(t, clk, testSettle/2, func() bool { return f.d.Held() != nil })
	until := f.d.Held().Until
	if n := len(f.d.Snapshot().Config.Segments); n != 1 {
		t.Fatalf("%d segments while the reload is held; want 1", n)
	}
	advanceUntil(t, clk, time.Second, func() bool { return len(f.d.Snapshot().Config.Segments) == 0 })
	if now := clk.Now(); now.Before(until) {
		t.Errorf("applied at %s, before the grace ended at %s", now, until)
	}
	if f.d.Held() != nil {
		t.Errorf("still held after it was applied: %+v", f.d.Held())
	}
	if !strings.Contains(logs.String(), `msg="a file stayed without blocks for the grace: the reload removes them" file=extra.hcl blocks=[segment.new] grace=10s`) {
		t.Errorf("the log does not say the emptied file was applied:\n%s", logs.String())
	}
}

// Deleting a file is how its blocks are removed: after the settle
// window, with no grace (an hour here, which the test never reaches).
func TestWatchAppliesDeletedFileAfterSettle(t *testing.T) {
	dir, f, logs := startWith(t, "extra.hcl", `segment "new" { when = "member.points > 5" }`)
	clk := watch(t, f, logs, time.Hour)
	if err := os.Remove(filepath.Join(dir, "extra.hcl")); err != nil {
		t.Fatal(err)
	}
	advanceUntil(t, clk, testSettle/2, func() bool { return len(f.d.Snapshot().Config.Segments) == 0 })
	if strings.Contains(logs.String(), "no blocks left") {
		t.Errorf("a deleted file was held:\n%s", logs.String())
	}
}

// Blocks moved out of a file into another, in one save, are no removal:
// the file left empty holds nothing back.
func TestWatchBlocksMovedToAnotherFileAreNotHeld(t *testing.T) {
	dir, f, logs := startWith(t, "extra.hcl", `segment "new" { when = "member.points > 5" }`)
	clk := watch(t, f, logs, time.Hour)
	write(t, dir, "extra.hcl", "")
	write(t, dir, "rules.hcl", rulesA+`segment "new" { when = "member.points > 6" }`)
	advanceUntil(t, clk, testSettle/2, func() bool { return len(reloadsBy(f.d, "files", true)) > 0 })
	if segs := f.d.Snapshot().Config.Segments; len(segs) != 1 || segs[0].When.Source != "member.points > 6" {
		t.Errorf("segments after the move: %+v", segs)
	}
	if strings.Contains(logs.String(), "no blocks left") {
		t.Errorf("a move was held:\n%s", logs.String())
	}
}

// A reload that removes a campaign says how many runs it had under way,
// in its answer, the status and the log. SIGHUP and POST /v1/reload
// read the files as they are: an emptied file is applied at once.
func TestReloadRemovingCampaignCountsItsActiveRuns(t *testing.T) {
	dir, f, logs := startWith(t, "onboarding.hcl", welcome)
	joinAnHourAgo(t, f, "j1", "m1")
	joinAnHourAgo(t, f, "j2", "m2")
	write(t, dir, "onboarding.hcl", "")
	code, body := post(t, f, "/v1/reload", "", "")
	if code != http.StatusOK {
		t.Fatalf("reload: %d %v", code, body)
	}
	if got := fmt.Sprint(body["removed_campaigns"]); got != "[map[active_runs:2 name:welcome]]" {
		t.Errorf("removed_campaigns: %s", got)
	}
	if _, st := get(t, f, "/v1/status"); fmt.Sprint(st["last_reload"].(map[string]any)["removed_campaigns"]) != "[map[active_runs:2 name:welcome]]" {
		t.Errorf("status last_reload: %v", st["last_reload"])
	}
	if !strings.Contains(logs.String(), `msg="the reload removed a campaign with active runs`) || !strings.Contains(logs.String(), "campaign=welcome active_runs=2") {
		t.Errorf("the log does not count the runs:\n%s", logs.String())
	}
	if f.d.Held() != nil {
		t.Errorf("an explicit reload was held: %+v", f.d.Held())
	}
}

// A reload that pauses a campaign says, in its answer, the status and
// the log, that members who trigger it meanwhile will not enter it at
// the resume; the one that sets it going says so too.
func TestCampaignPausedAtReloadSaysTriggersAreNotKept(t *testing.T) {
	dir, f, logs := startWith(t, "onboarding.hcl", welcome)
	write(t, dir, "onboarding.hcl", strings.Replace(welcome, `enter_on  = "member.joined"`, `enter_on  = "member.joined"
  paused    = true`, 1))
	code, body := post(t, f, "/v1/reload", "", "")
	if code != http.StatusOK || fmt.Sprint(body["paused_campaigns"]) != "[welcome]" || body["resumed_campaigns"] != nil {
		t.Fatalf("reload: %d %v; want paused_campaigns [welcome]", code, body)
	}
	if _, st := get(t, f, "/v1/status"); fmt.Sprint(st["last_reload"].(map[string]any)["paused_campaigns"]) != "[welcome]" {
		t.Errorf("status last_reload: %v", st["last_reload"])
	}
	if !strings.Contains(logs.String(), `msg="campaign paused: nobody enters it until paused = false, and members who trigger it meanwhile`) || !strings.Contains(logs.String(), "campaign=welcome") {
		t.Errorf("the log does not say what pausing drops:\n%s", logs.String())
	}
	// Paused, a join enters nothing, and does not wait for the resume.
	joinAnHourAgo(t, f, "j1", "m1")
	write(t, dir, "onboarding.hcl", welcome)
	if code, body = post(t, f, "/v1/reload", "", ""); code != http.StatusOK || fmt.Sprint(body["resumed_campaigns"]) != "[welcome]" {
		t.Fatalf("resume: %d %v; want resumed_campaigns [welcome]", code, body)
	}
	if !strings.Contains(logs.String(), `msg="campaign resumed: runs carry on from their step`) {
		t.Errorf("the log does not say the campaign goes on:\n%s", logs.String())
	}
	if _, m := get(t, f, "/v1/members/m1"); m["campaigns"] != nil {
		t.Errorf("m1 joined while welcome was paused and entered it: %v", m["campaigns"])
	}
}

// A file the configuration reads with file() is watched as its .hcl
// files are, in the configuration directory or outside it: a change to
// it reloads once quiet, and the reload's hash changes. A file beside
// it that nothing reads does not reload, nor does the outside file once
// the configuration stops reading it.
func TestWatchReloadsFilesReadByFile(t *testing.T) {
	dir, shared := t.TempDir(), t.TempDir()
	notes := filepath.Join(shared, "notes.md")
	write(t, dir, "rules.md", "Be kind.\n")
	write(t, shared, "notes.md", "Lurkers.\n")
	main := func(segment string) string {
		return strings.Replace(base, `title    = "C"`, `title    = "C"
  house_rules = file("rules.md")`, 1) + segment
	}
	write(t, dir, "main.hcl", main(fmt.Sprintf("segment \"quiet\" {\n  when        = \"member.points > 5\"\n  description = file(%q)\n}\n", notes)))
	f, logs := startLogged(t, dir)
	clk := watch(t, f, logs, testGrace)
	houseRules := func() string { return f.d.Snapshot().Config.Communities[0].HouseRules }
	reloaded := func(n int) func() bool {
		return func() bool { return len(reloadsBy(f.d, "files", true)) == n }
	}
	if houseRules() != "Be kind.\n" {
		t.Fatalf("house rules at start: %q", houseRules())
	}

	hash := f.d.Snapshot().Config.Hash
	write(t, dir, "rules.md", "Be kind. No spam.\n")
	seen(t, logs, filepath.Join(dir, "rules.md"))
	advanceUntil(t, clk, testSettle/2, reloaded(1))
	if houseRules() != "Be kind. No spam.\n" || f.d.Snapshot().Config.Hash == hash {
		t.Errorf("after editing rules.md: house rules %q, hash changed %v", houseRules(), f.d.Snapshot().Config.Hash != hash)
	}

	hash = f.d.Snapshot().Config.Hash
	write(t, shared, "notes.md", "Lurkers, not spammers.\n")
	seen(t, logs, notes)
	advanceUntil(t, clk, testSettle/2, reloaded(2))
	if got := f.d.Snapshot().Config.Segments[0].Description; got != "Lurkers, not spammers.\n" || f.d.Snapshot().Config.Hash == hash {
		t.Errorf("after editing the file outside: description %q, hash changed %v", got, f.d.Snapshot().Config.Hash != hash)
	}

	// Nothing reads other.md: no reload, whatever the clock does.
	write(t, shared, "other.md", "unread\n")
	waitFor(t, func() bool {
		return strings.Contains(logs.String(), "change ignored") && strings.Contains(logs.String(), filepath.Join(shared, "other.md"))
	})
	clk.Advance(testSettle * 2)

	// A configuration that no longer reads notes.md (here by SIGHUP's
	// path) stops the watch on its directory.
	write(t, dir, "main.hcl", main(""))
	if code, body := post(t, f, "/v1/reload", "", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %v", code, body)
	}
	waitFor(t, func() bool {
		return strings.Contains(logs.String(), `msg="watching the directories of files the configuration reads" dirs=[]`)
	})
	seenNotes := strings.Count(logs.String(), "change seen; reloading once quiet\" file="+notes+" ")
	write(t, shared, "notes.md", "unread now\n")
	// Events come in order: once a later one is seen, notes.md's would
	// have been.
	write(t, dir, "barrier.txt", "x")
	waitFor(t, func() bool { return strings.Contains(logs.String(), filepath.Join(dir, "barrier.txt")) })
	if n := strings.Count(logs.String(), "change seen; reloading once quiet\" file="+notes+" "); n != seenNotes {
		t.Errorf("a change to a file no longer read was seen:\n%s", logs.String())
	}
	clk.Advance(testSettle * 2)
	// main.hcl's own write reloads, unchanged: two reloads swapped a
	// configuration in, as before.
	if n := len(reloadsBy(f.d, "files", true)); n != 2 {
		t.Errorf("%d reloads by files swapped a configuration in; want 2", n)
	}
}
