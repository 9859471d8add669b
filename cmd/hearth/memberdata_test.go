package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/stamp"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// TestMemberExportAndForget: export prints what the state keeps about a
// member; forget asks first, erases them and the references others hold,
// and with -suppress keeps a replayed event from making them again, until
// unsuppress. On the store directly, then through a running daemon.
func TestMemberExportAndForget(t *testing.T) {
	dir := exampleCopy(t, "quickstart", nil)
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	cli := func(in string, tty bool, args ...string) (int, string, string) {
		out.Reset()
		errb.Reset()
		s.in, s.inTTY = strings.NewReader(in), tty
		c := run(context.Background(), args, s)
		return c, out.String(), errb.String()
	}
	if c, o, e := cli("", false, "replay", "-events", "../../examples/quickstart/events.jsonl", dir); c != 0 {
		t.Fatalf("replay: %d %s %s", c, o, e)
	}
	// Roles hearth gave u02: one recorded under the hearth id (apply),
	// one under their id on the platform (the daemon); another member's
	// stays.
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, ".hearth", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []state.RoleGrant{
		{Platform: "platform.local.main", Community: "co-1", Role: "ro-1", Member: "u02", At: time.Now()},
		{Platform: "platform.local.main", Community: "co-1", Role: "ro-2", Member: "u03", At: time.Now()},
	} {
		if err := st.PutRoleGrant(context.Background(), g); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	c, o, e := cli("", false, "member", "export", "u02", dir)
	if c != 0 {
		t.Fatalf("export: %d %s", c, e)
	}
	var x struct {
		Format   string            `json:"format"`
		State    map[string]any    `json:"state"`
		Referred []string          `json:"referred"`
		Outcomes []map[string]any  `json:"outcomes"`
		Outbox   []map[string]any  `json:"outbox"`
		Grants   []state.RoleGrant `json:"role_grants"`
	}
	if err := json.Unmarshal([]byte(o), &x); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, o)
	}
	if len(x.Grants) != 1 || x.Grants[0].Role != "ro-1" {
		t.Errorf("export's role_grants: %+v; want u02's one", x.Grants)
	}
	if x.Format != "hearth.member-export/1" || x.State["id"] != "u02" || len(x.Referred) < 2 || len(x.Outcomes) == 0 {
		t.Fatalf("export: %s", o)
	}
	if c, _, e := cli("", false, "member", "export", "nobody", dir); c != 1 || !strings.Contains(e, `keeps nothing about member "nobody"`) {
		t.Errorf("export of an unknown member: %d %s", c, e)
	}

	// Scripts must say -auto-approve; a terminal is asked, and anything
	// but yes changes nothing.
	if c, _, e := cli("", false, "member", "forget", "u02", dir); c != 1 || !strings.Contains(e, "pass -auto-approve") {
		t.Errorf("forget with no terminal: %d %s", c, e)
	}
	if c, o, e := cli("no\n", true, "member", "forget", "u02", dir); c != 1 || !strings.Contains(o, "hearth will erase member u02") ||
		!strings.Contains(o, "1 record of roles hearth gave them") || !strings.Contains(e, "cancelled; nothing was changed") {
		t.Errorf("forget answered no: %d %s %s", c, o, e)
	}
	if c, _, _ := cli("", false, "member", "show", "u02", dir); c != 0 {
		t.Fatal("a cancelled forget erased u02")
	}
	c, o, e = cli("yes\n", true, "member", "forget", "-suppress", "u02", dir)
	if c != 0 || !strings.Contains(o, "Forgot member u02: state erased") || !strings.Contains(o, "Suppressed: later events for u02 are refused") ||
		!strings.Contains(o, "References removed: "+fmt.Sprint(len(x.Referred))+" members' documents") ||
		!strings.Contains(o, "Forgot 1 record of roles hearth gave them; the roles stay on the platform") ||
		!strings.Contains(o, "  platform.local.main community co-1: role ro-1 of member u02\n") {
		t.Fatalf("forget: %d %s %s", c, o, e)
	}
	st, err = sqlite.Open(context.Background(), filepath.Join(dir, ".hearth", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	left, err := st.RoleGrants(context.Background(), "platform.local.main", "co-1")
	_ = st.Close()
	if err != nil || len(left) != 1 || left[0].Member != "u03" {
		t.Errorf("role grants after forgetting u02: %+v, %v; want u03's alone", left, err)
	}
	if c, _, e := cli("", false, "member", "show", "u02", dir); c != 1 || !strings.Contains(e, "u02") {
		t.Errorf("show after forget: %d %s", c, e)
	}
	for _, id := range x.Referred {
		_, o, _ := cli("", false, "member", "show", "-json", id, dir)
		if strings.Contains(o, `"u02"`) {
			t.Errorf("%s still names u02: %s", id, o)
		}
	}
	// A replayed event for u02 is refused, not applied.
	later := filepath.Join(t.TempDir(), "later.jsonl")
	if err := os.WriteFile(later, []byte(`{"id":"later-1","type":"message.posted","member":"u02","at":"2026-10-01T10:00:00Z"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, o, e := cli("", false, "replay", "-events", later, dir); c != 0 || !strings.Contains(o, "1 rejected") || !strings.Contains(o, "1 event was refused: their member asked to be forgotten") {
		t.Fatalf("replay after forget: %d %s %s", c, o, e)
	}
	if c, _, _ := cli("", false, "member", "show", "u02", dir); c != 1 {
		t.Error("a replayed event made the suppressed u02 again")
	}
	if c, o, e := cli("", false, "member", "unsuppress", "u02", dir); c != 0 || !strings.Contains(o, "Lifted the suppression of u02") {
		t.Errorf("unsuppress: %d %s %s", c, o, e)
	}
	if c, _, e := cli("", false, "member", "unsuppress", "u02", dir); c != 1 || !strings.Contains(e, "not on the suppression list") {
		t.Errorf("unsuppress twice: %d %s", c, e)
	}

	// Through a running daemon, found by itself or named with -url.
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var dout, derr bytes.Buffer
	ds := &stdio{in: bytes.NewReader(nil), out: &dout, err: &derr, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, dir}, ds) }()
	url := "http://" + addr
	waitReady(t, url, derr.String)
	if c, o, e := cli("", false, "member", "export", "-url", url, "u03"); c != 0 || !strings.Contains(o, `"format": "hearth.member-export/1"`) {
		t.Errorf("export -url: %d %s %s", c, o, e)
	}
	if c, o, e := cli("", false, "member", "forget", "-force", "u03", dir); c != 0 || !strings.Contains(e, "serves this state: the request goes through its API at "+url) ||
		!strings.Contains(o, "Forgot member u03: state erased") || !strings.Contains(o, "Not suppressed") {
		t.Errorf("forget through the daemon: %d %s %s", c, o, e)
	}
	if c, _, e := cli("", false, "member", "forget", "-force", "-url", url, "u03"); c != 1 || !strings.Contains(e, "hearth member forget: the state keeps nothing about member u03 ("+url+"/v1/members/u03/forget answered 404 Not Found)\n") {
		t.Errorf("forget twice through the daemon: %d %s", c, e)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("run exit %d\n%s", c, derr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop")
	}
	if c, _, _ := cli("", false, "member", "show", "u03", dir); c != 1 {
		t.Error("u03 is back after the daemon stopped")
	}
}

// invites adds to the quickstart a campaign with a run per member a
// member brought in: each run's key is the invitee's id.
const invites = `
event "invite.accepted" {
  attributes = {
    invitee = "string"
  }
}
template "thank_inviter" {
  text = { en = "Thanks for bringing someone in" }
}
campaign "thank" {
  community = community.explorers
  enter_on  = "invite.accepted"
  run_key   = "event.invitee"
  step "now" {
    send {
      channel  = "dm"
      template = template.thank_inviter
    }
  }
  step "later" {
    wait = "30d"
    send {
      channel  = "dm"
      template = template.thank_inviter
    }
  }
}
`

// TestMemberForgetRunKey: forgetting a member whose id is the key of
// another member's campaign runs, on the store and through a daemon,
// leaves the id nowhere in what that member's export shows: the runs,
// their outcomes and their messages go on under the key forget prints,
// and the message not sent yet is skipped.
func TestMemberForgetRunKey(t *testing.T) {
	dir := exampleCopy(t, "quickstart", nil)
	if err := os.WriteFile(filepath.Join(dir, "invites.hcl"), []byte(invites), 0o644); err != nil {
		t.Fatal(err)
	}
	events := filepath.Join(t.TempDir(), "invites.jsonl")
	if err := os.WriteFile(events, []byte(`{"id":"j1","type":"member.joined","member":"ann","at":"2026-01-01T08:00:00Z"}
{"id":"j2","type":"member.joined","member":"bob-77","at":"2026-01-01T08:01:00Z"}
{"id":"j3","type":"member.joined","member":"cyd-88","at":"2026-01-01T08:02:00Z"}
{"id":"i1","type":"invite.accepted","member":"ann","at":"2026-01-01T09:00:00Z","attrs":{"invitee":"bob-77"}}
{"id":"i2","type":"invite.accepted","member":"ann","at":"2026-01-01T09:01:00Z","attrs":{"invitee":"cyd-88"}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	cli := func(args ...string) (int, string, string) {
		out.Reset()
		errb.Reset()
		c := run(context.Background(), args, s)
		return c, out.String(), errb.String()
	}
	if c, o, e := cli("replay", "-events", events, dir); c != 0 {
		t.Fatalf("replay: %d %s %s", c, o, e)
	}
	export := func(id string) string {
		t.Helper()
		c, o, e := cli("member", "export", id, dir)
		if c != 0 {
			t.Fatalf("export %s: %d %s", id, c, e)
		}
		return o
	}
	for _, id := range []string{"bob-77", "cyd-88"} {
		if x := export("ann"); !strings.Contains(x, `"thank[`+id+`]"`) || !strings.Contains(x, "campaign/thank["+id+"]/ann/1/1/now") {
			t.Fatalf("ann's export before lacks the run keyed by %s or its message:\n%s", id, x)
		}
	}
	// The daemon may have delivered the message before the forget, and
	// its first recheck may have moved the run to its second step (due
	// long ago) and queued that step's message.
	printed := regexp.MustCompile(`Other members' campaign runs keyed by (\S+) now have the key (\(forgotten [0-9a-f]{8}\)), as do (?:2 outcomes and 1 outbox entry|4 outcomes and 2 outbox entries) of those runs(; [12] entr(?:y|ies) not sent yet (?:is|are) skipped, never to be sent)?\.`)
	check := func(o, id string, mustSkip bool) {
		t.Helper()
		m := printed.FindStringSubmatch(o)
		if m == nil || m[1] != id || mustSkip && m[3] == "" {
			t.Fatalf("forget %s printed:\n%s\nwant a line matching %s, the message skipped: %v", id, o, printed, mustSkip)
		}
		skipped := m[3] != ""
		x := export("ann")
		if strings.Contains(x, id) {
			t.Errorf("ann's export still names %s:\n%s", id, x)
		}
		want := []string{`"thank[` + m[2] + `]"`, "campaign/thank[" + url.PathEscape(m[2]) + "]/ann/1/1/now"}
		if skipped {
			want = append(want, state.SkippedForgotten)
		}
		for _, w := range want {
			if !strings.Contains(x, w) {
				t.Errorf("ann's export lacks %s:\n%s", w, x)
			}
		}
	}
	c, o, e := cli("member", "forget", "-force", "bob-77", dir)
	if c != 0 {
		t.Fatalf("forget: %d %s %s", c, o, e)
	}
	check(o, "bob-77", true)

	// Through a running daemon.
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var dout, derr bytes.Buffer
	ds := &stdio{in: bytes.NewReader(nil), out: &dout, err: &derr, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, dir}, ds) }()
	base := "http://" + addr
	waitReady(t, base, derr.String)
	c, o, e = cli("member", "forget", "-force", "-url", base, "cyd-88")
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("run exit %d\n%s", c, derr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop")
	}
	if c != 0 {
		t.Fatalf("forget through the daemon: %d %s %s", c, o, e)
	}
	check(o, "cyd-88", false)
}

// TestExportOutcomesAreOutcomeLines: an outcome hearth member export gives
// is, compacted, the very line simulate -outcomes writes for it (a badge's
// and a tier's with title added at the end): the same fields in the same
// order, at in the same fixed width, whatever the events' zones and
// fractions.
func TestExportOutcomesAreOutcomeLines(t *testing.T) {
	dir := exampleCopy(t, "quickstart", nil)
	events := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(events, []byte(`{"id":"j1","type":"member.joined","member":"ann","at":"2026-09-01T10:00:00.5+02:00"}
{"id":"p1","type":"message.posted","member":"ann","at":"2026-09-01T08:05:00.123Z"}
{"id":"p2","type":"message.posted","member":"ann","at":"2026-09-01T11:06:07+03:00"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	cli := func(args ...string) string {
		t.Helper()
		out.Reset()
		errb.Reset()
		if c := run(context.Background(), args, s); c != 0 {
			t.Fatalf("%s: %d %s %s", args[0], c, out.String(), errb.String())
		}
		return out.String()
	}
	linesPath := filepath.Join(t.TempDir(), "outcomes.jsonl")
	cli("simulate", "-events", events, "-outcomes", linesPath, dir)
	data, err := os.ReadFile(linesPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	cli("replay", "-events", events, dir)
	var x struct {
		Outcomes []json.RawMessage `json:"outcomes"`
	}
	if err := json.Unmarshal([]byte(cli("member", "export", "ann", dir)), &x); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, raw := range x.Outcomes {
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			t.Fatal(err)
		}
		line := compact.String()
		var o struct{ Kind, At string }
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		want := func(l string) bool { return l == line }
		if o.Kind == state.KindBadge || o.Kind == state.KindTier {
			want = func(l string) bool { return strings.HasPrefix(l, strings.TrimSuffix(line, "}")+`,"title":`) }
		}
		if !slices.ContainsFunc(lines, want) {
			t.Errorf("export's outcome\n%s\nis no -outcomes line of\n%s", line, data)
		}
		if _, err := time.Parse(stamp.Layout, o.At); err != nil {
			t.Errorf("export's at %q: %v", o.At, err)
		}
		kinds[o.Kind] = true
	}
	// Points (no title) and a badge (title) at least, at 08:00:00.5 and
	// 08:05:00.123 UTC.
	if !kinds[state.KindPoints] || !kinds[state.KindBadge] || !strings.Contains(string(data), `"at":"2026-09-01T08:05:00.123000000Z"`) {
		t.Errorf("export's outcomes %s; -outcomes lines\n%s", x.Outcomes, data)
	}
}
