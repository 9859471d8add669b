package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// hearthCmd runs one hearth command in-process with the given stdin.
func hearthCmd(t *testing.T, in string, tty bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	s := &stdio{in: strings.NewReader(in), inTTY: tty, out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := run(context.Background(), args, s)
	return code, out.String(), errb.String()
}

const planSite = `platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
  channel "general" {
    topic = "Hello"
  }
}
`

func TestApplyLockAndForceUnlock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(planSite), 0o644); err != nil {
		t.Fatal(err)
	}
	// Another apply, killed part way, left its lock.
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, ".hearth", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Lock(context.Background(), state.LockInfo{ID: "dead1234", Who: "ann@ci", When: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, _, stderr := hearthCmd(t, "", false, "apply", "-auto-approve", dir)
	if code != 1 || !strings.Contains(stderr, "locked by ann@ci") || !strings.Contains(stderr, "hearth force-unlock dead1234") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	// force-unlock shows the holder and asks, as Terraform does.
	if code, _, stderr := hearthCmd(t, "", false, "force-unlock", "dead1234", dir); code != 1 || !strings.Contains(stderr, "pass -auto-approve") {
		t.Fatalf("force-unlock with no terminal and no -auto-approve: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := hearthCmd(t, "", false, "force-unlock", "-auto-approve", "other99", dir); code != 1 || !strings.Contains(stderr, `not locked with id "other99"`) {
		t.Fatalf("force-unlock of another id: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := hearthCmd(t, "", false, "force-unlock", "other99", dir); code != 1 || !strings.Contains(stderr, "it is locked by ann@ci since") || !strings.Contains(stderr, "with id dead1234") {
		t.Fatalf("force-unlock of another id, asking: exit %d\n%s", code, stderr)
	}
	if code, stdout, stderr := hearthCmd(t, "no\n", true, "force-unlock", "dead1234", dir); code != 1 || !strings.Contains(stdout, "locked by ann@ci") || !strings.Contains(stderr, "cancelled; the lock stays") {
		t.Fatalf("force-unlock answered no: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := hearthCmd(t, "yes\n", true, "force-unlock", "dead1234", dir); code != 0 || !strings.Contains(stdout, "Removed lock dead1234") {
		t.Fatalf("force-unlock: exit %d\n%s%s", code, stdout, stderr)
	}
	// Confirmation on a terminal: anything but "yes" changes nothing.
	if code, _, stderr := hearthCmd(t, "no\n", true, "apply", dir); code != 1 || !strings.Contains(stderr, "cancelled") {
		t.Fatalf("declined: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := hearthCmd(t, "yes\n", true, "apply", dir)
	if code != 0 || !strings.Contains(stdout, "Do you want to perform these actions? Only 'yes' will be accepted.") ||
		!strings.Contains(stdout, "Apply complete! Resources: 2 added, 0 changed, 0 destroyed.") {
		t.Fatalf("approved: exit %d\n%s%s", code, stdout, stderr)
	}
}

// A lock whose holder ran on this host says whether that process still
// runs; the force-unlock it names works from where the command ran, a
// directory with a space in its name quoted.
func TestApplyLockHolderOnThisHost(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my site")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(planSite), 0o644); err != nil {
		t.Fatal(err)
	}
	// A pid no process has: one that ran and was waited for.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	hold := func(pid int, who string) {
		t.Helper()
		st, err := sqlite.Open(context.Background(), filepath.Join(dir, ".hearth", "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.Lock(context.Background(), state.LockInfo{ID: "dead1234", Who: who, When: time.Now(), PID: pid}); err != nil {
			t.Fatal(err)
		}
	}
	unlock := "hearth force-unlock dead1234 '" + dir + "'"
	hold(gone.Process.Pid, "ann@"+hostname())
	code, _, stderr := hearthCmd(t, "", false, "apply", "-auto-approve", dir)
	if code != 1 || !strings.Contains(stderr, fmt.Sprintf("but its process (pid %d) is no longer running on this host: the lock is stale", gone.Process.Pid)) ||
		!strings.Contains(stderr, "remove it with "+unlock+"\n") {
		t.Fatalf("stale lock: exit %d\n%s", code, stderr)
	}
	// -lock-timeout does not wait out a holder known to be gone: it
	// fails at once, with the same diagnosis.
	start := time.Now()
	code, _, stderr = hearthCmd(t, "", false, "apply", "-auto-approve", "-lock-timeout", "1m", dir)
	if code != 1 || time.Since(start) > 20*time.Second || !strings.Contains(stderr, "the lock is stale") || !strings.Contains(stderr, "remove it with "+unlock+"\n") || strings.Contains(stderr, "waited") {
		t.Fatalf("stale lock with -lock-timeout: exit %d after %s\n%s", code, time.Since(start), stderr)
	}
	// state rm takes the same lock, and says the same.
	if code, _, stderr := hearthCmd(t, "", false, "state", "rm", "community.c", dir); code != 1 || !strings.Contains(stderr, "the lock is stale") || !strings.Contains(stderr, unlock) {
		t.Fatalf("state rm on a stale lock: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := hearthCmd(t, "yes\n", true, "force-unlock", "dead1234", dir)
	if code != 0 || !strings.Contains(stdout, "is no longer running on this host: the lock is stale") {
		t.Fatalf("force-unlock of a stale lock: exit %d\n%s%s", code, stdout, stderr)
	}

	// This test's own process runs: the lock is not called stale.
	hold(os.Getpid(), "ann@"+hostname())
	code, _, stderr = hearthCmd(t, "", false, "apply", "-auto-approve", dir)
	if code != 1 || !strings.Contains(stderr, fmt.Sprintf("pid %d, still running on this host); wait for it to finish", os.Getpid())) || strings.Contains(stderr, "stale") {
		t.Fatalf("running holder: exit %d\n%s", code, stderr)
	}
	// After a wait the message still says so, and names the directory.
	code, _, stderr = hearthCmd(t, "", false, "apply", "-auto-approve", "-lock-timeout", "300ms", dir)
	if code != 1 || !strings.Contains(stderr, "waited 300ms for the lock") || !strings.Contains(stderr, "still running on this host") || !strings.Contains(stderr, unlock) {
		t.Fatalf("running holder after -lock-timeout: exit %d\n%s", code, stderr)
	}
	if code, _, _ := hearthCmd(t, "", false, "force-unlock", "-auto-approve", "dead1234", dir); code != 0 {
		t.Fatal("force-unlock")
	}

	// Another host's pid is not looked for here.
	hold(gone.Process.Pid, "ann@elsewhere.example")
	code, _, stderr = hearthCmd(t, "", false, "apply", "-auto-approve", dir)
	if code != 1 || !strings.Contains(stderr, fmt.Sprintf("pid %d on elsewhere.example, which cannot be checked from here); if that command is no longer running there, run %s", gone.Process.Pid, unlock)) ||
		strings.Contains(stderr, "stale") {
		t.Fatalf("holder on another host: exit %d\n%s", code, stderr)
	}
}

func TestHolderStatus(t *testing.T) {
	runs := func(alive bool, err error) func(int) (bool, error) {
		return func(int) (bool, error) { return alive, err }
	}
	for _, tc := range []struct {
		name string
		h    state.LockInfo
		host string
		runs func(int) (bool, error)
		want state.HolderStatus
	}{
		{"no pid (an earlier hearth)", state.LockInfo{Who: "ann@h"}, "h", runs(false, nil), state.HolderUnchecked},
		{"no host", state.LockInfo{Who: "ann", PID: 7}, "h", runs(false, nil), state.HolderUnchecked},
		{"gone", state.LockInfo{Who: "ann@h", PID: 7}, "h", runs(false, nil), state.HolderGone},
		{"running", state.LockInfo{Who: "ann@h", PID: 7}, "h", runs(true, nil), state.HolderRunning},
		{"cannot tell", state.LockInfo{Who: "ann@h", PID: 7}, "h", runs(false, errors.New("EINVAL")), state.HolderUnchecked},
		{"another host", state.LockInfo{Who: "ann@ci", PID: 7}, "h", runs(false, nil), state.HolderElsewhere},
		{"no hostname on either", state.LockInfo{Who: "ann@" + unknownHost, PID: 7}, unknownHost, runs(false, nil), state.HolderElsewhere},
	} {
		if got := holderStatus(tc.h, tc.host, tc.runs); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if ok, err := processRuns(os.Getpid()); !ok || err != nil {
		t.Errorf("this process: %v %v", ok, err)
	}
}

// Two applies started at once never both create the objects: one holds
// the lock from before it plans, the other fails on it (or, with
// -lock-timeout, waits and finds nothing left to do), and the state and
// the platform agree afterwards.
func TestConcurrentApplies(t *testing.T) {
	for _, wait := range []string{"0s", "1m"} {
		t.Run("lock-timeout="+wait, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(planSite), 0o644); err != nil {
				t.Fatal(err)
			}
			type result struct {
				code           int
				stdout, stderr string
			}
			results := make(chan result, 2)
			for range 2 {
				go func() {
					code, stdout, stderr := hearthCmd(t, "", false, "apply", "-auto-approve", "-lock-timeout", wait, dir)
					results <- result{code, stdout, stderr}
				}()
			}
			added, ok := 0, 0
			for range 2 {
				r := <-results
				switch {
				case r.code == 0 && strings.Contains(r.stdout, "Resources: 2 added"):
					added += 2
					ok++
				case r.code == 0 && strings.Contains(r.stdout, "Resources: 0 added"):
					ok++
				case r.code == 1 && wait == "0s" && strings.Contains(r.stderr, "the state is locked by"):
				default:
					t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
				}
			}
			if added != 2 || ok == 0 || (wait != "0s" && ok != 2) {
				t.Fatalf("added %d objects in %d successful applies", added, ok)
			}
			// Nothing left to do, and the platform holds one of each.
			if code, stdout, stderr := hearthCmd(t, "", false, "plan", "-detailed-exitcode", dir); code != 0 {
				t.Fatalf("plan after the applies: exit %d\n%s%s", code, stdout, stderr)
			}
			data, err := os.ReadFile(filepath.Join(dir, ".hearth", "local-platform.json"))
			if err != nil {
				t.Fatal(err)
			}
			var file struct {
				Communities []json.RawMessage `json:"communities"`
				Channels    []json.RawMessage `json:"channels"`
			}
			if err := json.Unmarshal(data, &file); err != nil {
				t.Fatal(err)
			}
			if len(file.Communities) != 1 || len(file.Channels) != 1 {
				t.Fatalf("platform has %d communities and %d channels; want 1 and 1", len(file.Communities), len(file.Channels))
			}
		})
	}
}

// A channel deleted on the platform after the plan was saved: apply
// says it changed outside hearth, and what it did and did not do.
func TestApplyObjectDeletedSincePlan(t *testing.T) {
	dir := t.TempDir()
	site := func(topic string) {
		src := strings.ReplaceAll(planSite, `"Hello"`, `"`+topic+`"`)
		src = strings.Replace(src, "  }\n}", "  }\n  channel \"random\" {\n    topic = \""+topic+"\"\n  }\n}", 1)
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	site("Hello")
	if code, out, errs := hearthCmd(t, "", false, "apply", "-auto-approve", dir); code != 0 {
		t.Fatalf("apply: %d\n%s%s", code, out, errs)
	}
	site("Welcome")
	planFile := filepath.Join(t.TempDir(), "p.plan")
	if code, out, errs := hearthCmd(t, "", false, "plan", "-out", planFile, dir); code != 0 || !strings.Contains(out, "0 to add, 2 to change") {
		t.Fatalf("plan: %d\n%s%s", code, out, errs)
	}
	// Delete channel general on the local platform, as by hand.
	path := filepath.Join(dir, ".hearth", "local-platform.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var kept []any
	for _, ch := range doc["channels"].([]any) {
		if ch.(map[string]any)["name"] != "general" {
			kept = append(kept, ch)
		}
	}
	doc["channels"] = kept
	if raw, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := hearthCmd(t, "", false, "apply", planFile, dir)
	if code != 1 {
		t.Fatalf("apply: exit %d\n%s", code, errs)
	}
	for _, want := range []string{
		"not found",
		"hearth apply: (an object this plan changes was changed or deleted outside hearth since the plan was made; run hearth plan again)",
		"Apply failed at community.c.channel.general: 0 added, 0 changed, 0 destroyed before it (recorded in state); 1 more change was not attempted.",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

// -no-color, as Terraform users pass it, turns color off on a terminal.
func TestNoColor(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(planSite), 0o644); err != nil {
		t.Fatal(err)
	}
	term := func(args ...string) (int, string) {
		var out bytes.Buffer
		s := &stdio{in: strings.NewReader(""), outTTY: true, out: &out, err: &out, lookupEnv: func(string) (string, bool) { return "", false }}
		return run(context.Background(), append(args, dir), s), out.String()
	}
	// A terminal gets color without it.
	if code, out := term("plan"); code != 0 || !strings.Contains(out, "\x1b[") {
		t.Fatalf("plan on a terminal: exit %d, no color:\n%s", code, out)
	}
	for _, args := range [][]string{{"plan", "-no-color"}, {"apply", "-auto-approve", "-no-color"}, {"drift", "-no-color"}} {
		code, out := term(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
		if strings.Contains(out, "\x1b[") {
			t.Errorf("%v colored the output:\n%s", args, out)
		}
	}
}

// On a terminal, apply shows the member impact in color with the plan,
// before it asks: whoever answers sees how the rules would move members.
func TestApplyShowsMemberImpactBeforeAsking(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("main.hcl", planSite+`
tier "regular" {
  rank = 1
  when = "member.points >= 0"
}
`)
	events := write("events.jsonl", `{"id":"1","type":"member.joined","member":{"id":"ann","name":"Ann"},"at":"2026-01-01T09:00:00Z"}`+"\n")
	if code, out, errs := hearthCmd(t, "", false, "replay", "-events", events, dir); code != 0 {
		t.Fatalf("replay: exit %d\n%s%s", code, out, errs)
	}
	if err := os.Remove(events); err != nil {
		t.Fatal(err)
	}
	write("main.hcl", planSite+`
tier "regular" {
  rank = 1
  when = "member.points >= 100"
}
`)
	var out, errb bytes.Buffer
	s := &stdio{in: strings.NewReader("no\n"), inTTY: true, outTTY: true, out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	if code := run(context.Background(), []string{"apply", dir}, s); code != 1 || !strings.Contains(errb.String(), "cancelled") {
		t.Fatalf("declined: exit %d\n%s%s", code, out.String(), errb.String())
	}
	text := out.String()
	impact := strings.Index(text, "\x1b[1mMember impact\x1b[0m (the rules evaluated against the 1 stored member)")
	demoted := strings.Index(text, "  tier regular: +0 \x1b[31m-1\x1b[0m (-Ann (ann))\n")
	// The answer is to the platform changes: the note says the members
	// move with the daemon's reload, whatever it is.
	note := strings.Index(text, "\nApply changes the platforms only. hearth run moves the members above when it loads these rules, whether or not apply runs")
	prompt := strings.Index(text, "Do you want to perform these actions?")
	if impact < 0 || demoted < impact || note < demoted || prompt < note {
		t.Fatalf("want the colored impact, the note, then the prompt:\n%q", text)
	}
	// "no" applied nothing: the plan still has both objects to add.
	if code, out, errs := hearthCmd(t, "", false, "plan", "-no-color", dir); code != 0 || !strings.Contains(out, "Plan: 2 to add, 0 to change, 0 to destroy. Members: 1 would move") {
		t.Fatalf("plan after no: exit %d\n%s%s", code, out, errs)
	}

	// With the platforms applied, what is left only moves members:
	// apply asks nothing on a terminal either, since no answer would
	// hold the moves back, and says so.
	if code, out, errs := hearthCmd(t, "yes\n", true, "apply", "-no-color", dir); code != 0 || !strings.Contains(out, "Apply complete! Resources: 2 added") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
	}
	code, text, errs := hearthCmd(t, "no\n", true, "apply", "-no-color", dir)
	if code != 0 || strings.Contains(text, "Do you want to perform these actions?") || errs != "" ||
		!strings.Contains(text, "No changes to the platforms: they match the configuration. Members: 1 would move when hearth run loads these rules.\n") ||
		!strings.Contains(text, "\nNothing to approve: apply changes the platforms only, and they match.") ||
		!strings.Contains(text, "Apply complete! Resources: 0 added, 0 changed, 0 destroyed.") {
		t.Fatalf("apply of a plan that only moves members: exit %d\n%s%s", code, text, errs)
	}
}

// The lock holder's name: $USER, else the account name, else the uid
// (it was "unknown" as root in a container, where $USER is unset).
func TestWhoName(t *testing.T) {
	root := func() (*user.User, error) { return &user.User{Username: "root"}, nil }
	none := func() (*user.User, error) { return nil, errors.New("no passwd entry") }
	for _, tc := range []struct {
		env     string
		current func() (*user.User, error)
		want    string
	}{
		{"ann", root, "ann"},
		{"", root, "root"},
		{"", none, "uid 1000"},
	} {
		if got := whoName(tc.env, tc.current, 1000); got != tc.want {
			t.Errorf("whoName(%q) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

// Ctrl-C at apply's "Enter a value:" ends the command and releases the
// lock; it used to be swallowed while apply waited for a line, so the
// process hung holding the lock and every later apply failed on it.
func TestInterruptAtPrompt(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(planSite), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"apply", dir}, {"force-unlock", "held1234", dir}} {
		t.Run(args[0], func(t *testing.T) {
			if args[0] == "force-unlock" {
				st, err := sqlite.Open(context.Background(), filepath.Join(dir, ".hearth", "state.db"))
				if err != nil {
					t.Fatal(err)
				}
				if err := st.Lock(context.Background(), state.LockInfo{ID: "held1234", Who: "ann@ci", When: time.Now()}); err != nil {
					t.Fatal(err)
				}
				st.Close()
			}
			// A terminal nobody types into.
			in, typist := io.Pipe()
			defer typist.Close()
			var out, errb syncBuffer
			s := &stdio{in: in, inTTY: true, out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
			ctx, interrupt := context.WithCancel(context.Background())
			defer interrupt()
			done := make(chan int, 1)
			go func() { done <- run(ctx, args, s) }()
			for deadline := time.Now().Add(30 * time.Second); !strings.Contains(out.String(), "Enter a value:"); {
				if time.Now().After(deadline) {
					t.Fatalf("no prompt:\n%s%s", out.String(), errb.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			interrupt()
			select {
			case code := <-done:
				if code != 1 || !strings.Contains(errb.String(), "cancelled") {
					t.Fatalf("exit %d\n%s", code, errb.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatal("still waiting for an answer 10s after Ctrl-C")
			}
		})
	}
	// The lock apply held while it asked is free again, and force-unlock
	// left the other one alone.
	code, _, stderr := hearthCmd(t, "", false, "apply", "-auto-approve", dir)
	if code != 1 || !strings.Contains(stderr, "locked by ann@ci") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if code, _, stderr := hearthCmd(t, "", false, "force-unlock", "-force", "held1234", dir); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if code, _, stderr := hearthCmd(t, "", false, "apply", "-auto-approve", dir); code != 0 {
		t.Fatalf("apply after the interrupted one: exit %d\n%s", code, stderr)
	}
}

// A role's permissions are a JSON array in plan -json and state show
// -json, a sorted list in the text (["a", "b"]); a plan saved by
// a hearth that wrote them as one string (format 1.1) still shows and
// applies.
func TestPermissionsAsJSONArray(t *testing.T) {
	dir := t.TempDir()
	site := planSite + `
community "d" {
  title    = "D"
  platform = platform.local.main
  role "mod" {
    permissions = ["manage_messages", "kick_members"]
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	planFile := filepath.Join(t.TempDir(), "p.plan")
	if code, out, errs := hearthCmd(t, "", false, "plan", "-out", planFile, dir); code != 0 || !strings.Contains(out, `+ permissions = ["kick_members", "manage_messages"]`) {
		t.Fatalf("plan: %d\n%s%s", code, out, errs)
	}
	raw, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	perms := func(doc map[string]any) any {
		for _, c := range doc["changes"].([]any) {
			if c := c.(map[string]any); c["address"] == "community.d.role.mod" {
				return c["after"].(map[string]any)["permissions"]
			}
		}
		t.Fatalf("no role in the plan:\n%s", raw)
		return nil
	}
	want := []any{"kick_members", "manage_messages"}
	if got := perms(doc); !reflect.DeepEqual(got, want) {
		t.Fatalf("the saved plan has permissions %#v; want %#v", got, want)
	}
	// The same plan as hearth wrote it before: format 1.1, one string.
	for _, c := range doc["changes"].([]any) {
		if after, _ := c.(map[string]any)["after"].(map[string]any); after != nil {
			if list, ok := after["permissions"].([]any); ok {
				var names []string
				for _, n := range list {
					names = append(names, n.(string))
				}
				after["permissions"] = strings.Join(names, ",")
			}
		}
	}
	doc["format_version"] = "1.1"
	if raw, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(planFile, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := hearthCmd(t, "", false, "show", planFile); code != 0 || !strings.Contains(out, `+ permissions = ["kick_members", "manage_messages"]`) {
		t.Fatalf("show of a 1.1 plan: %d\n%s%s", code, out, errs)
	}
	if code, out, errs := hearthCmd(t, "", false, "apply", planFile, dir); code != 0 || !strings.Contains(out, "Apply complete") {
		t.Fatalf("apply of a 1.1 plan: %d\n%s%s", code, out, errs)
	}
	code, out, errs := hearthCmd(t, "", false, "state", "show", "-json", "community.d.role.mod", dir)
	if code != 0 {
		t.Fatalf("state show -json: %d\n%s%s", code, out, errs)
	}
	var res struct{ Attrs map[string]any }
	if err := json.Unmarshal([]byte(out), &res); err != nil || !reflect.DeepEqual(res.Attrs["permissions"], want) {
		t.Fatalf("state show -json has permissions %#v (%v); want %#v:\n%s", res.Attrs["permissions"], err, want, out)
	}
	if code, out, errs := hearthCmd(t, "", false, "state", "show", "community.d.role.mod", dir); code != 0 || !strings.Contains(out, `permissions = ["kick_members", "manage_messages"]`) {
		t.Fatalf("state show: %d\n%s%s", code, out, errs)
	}
	// Nothing left to do: the state and the platform agree with the files.
	if code, out, errs := hearthCmd(t, "", false, "plan", "-detailed-exitcode", dir); code != 0 {
		t.Fatalf("plan after apply: %d\n%s%s", code, out, errs)
	}
}

// A community's purpose is the platform's description: plan and state
// show call it purpose, as the block does; state show -json keeps the
// platform's name.
func TestCommunityPurposeNamed(t *testing.T) {
	dir := t.TempDir()
	site := strings.Replace(planSite, "  title    = \"C\"\n", "  title    = \"C\"\n  purpose  = \"Makers sharing work\"\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := hearthCmd(t, "", false, "plan", dir); code != 0 || !strings.Contains(out, `+ purpose = "Makers sharing work"`) || strings.Contains(out, "description") {
		t.Fatalf("plan: %d\n%s%s", code, out, errs)
	}
	if code, out, errs := hearthCmd(t, "", false, "apply", "-auto-approve", dir); code != 0 {
		t.Fatalf("apply: %d\n%s%s", code, out, errs)
	}
	if code, out, errs := hearthCmd(t, "", false, "state", "show", "community.c", dir); code != 0 || !strings.Contains(out, `    purpose = "Makers sharing work"`) || strings.Contains(out, "description") {
		t.Fatalf("state show: %d\n%s%s", code, out, errs)
	}
	if code, out, errs := hearthCmd(t, "", false, "state", "show", "-json", "community.c", dir); code != 0 || !strings.Contains(out, `"description": "Makers sharing work"`) {
		t.Fatalf("state show -json: %d\n%s%s", code, out, errs)
	}
}
