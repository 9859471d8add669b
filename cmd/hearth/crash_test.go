package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/hearth-community/hearth/engine/bench"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// crashConfig has rules whose results depend only on the events, not on
// the wall clock, so a daemon run and an offline replay must agree.
const crashConfig = `
platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

badge "voice" {}
badge "popular" {
  repeat = true
}

tier "regular" {
  rank = 1
  when = "member.points >= 40"
}
tier "core" {
  rank = 2
  when = "member.points >= 200"
  keep = "member.points >= 150"
}

incentive "comment" {
  on         = "message.posted"
  points_cap = "15/1d"
  grant {
    points = 2
  }
}
incentive "first_voice" {
  on   = "message.posted"
  once = true
  grant {
    badge = badge.voice
  }
}
incentive "upvoted" {
  on    = "post.voted"
  when  = "event.vote == 'up'"
  limit = "50/7d"
  grant {
    points = 5
  }
}
incentive "popular" {
  on   = "post.voted"
  when = "event.score == 10"
  grant {
    badge = badge.popular
  }
}

campaign "welcome" {
  enter_on = "member.joined"
  # The workload is dated 2025: its welcomes would be past the default
  # expire_after (7d) by the time they go out.
  expire_after = "never"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hello
    }
  }
}

template "hello" {
  text = {
    en = "Welcome, ${member.name}!"
  }
}
`

// TestCrashRecovery kills a daemon with SIGKILL again and again while
// events stream in, restarts it, and checks that the final state equals
// an uninterrupted replay: no event lost, none counted twice, no reward
// granted twice, each outbox key once.
func TestCrashRecovery(t *testing.T) {
	if os.Getenv("HEARTH_TEST_CRASH") == "" {
		t.Skip("skipping the crash test (a minute of SIGKILLs); set HEARTH_TEST_CRASH=1 to run it, as .ci/run does")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "hearth")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	const n = 100000
	var stream bytes.Buffer
	enc := json.NewEncoder(&stream)
	for _, e := range bench.Workload(3000, n, 7) {
		_ = enc.Encode(e)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(stream.String(), "\n"), "\n")
	events := filepath.Join(tmp, "events.jsonl")
	if err := os.WriteFile(events, stream.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	setup := func(name string) string {
		dir := filepath.Join(tmp, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// The welcome goes to a channel of the local platform, which
		// takes it from anyone, so every action is delivered and the
		// platform's record of idempotency keys can be counted.
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(replicaConfig), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, "apply", "-auto-approve", dir).CombinedOutput(); err != nil {
			t.Fatalf("apply: %v\n%s", err, out)
		}
		return dir
	}

	// The reference: one uninterrupted offline replay.
	ref := setup("reference")
	if out, err := exec.Command(bin, "replay", "-events", events, ref).CombinedOutput(); err != nil {
		t.Fatalf("reference replay: %v\n%s", err, out)
	}

	// The crash run: a daemon killed at random moments.
	dir := setup("crashed")
	addr := freeAddr(t)
	var cmd *exec.Cmd
	var logs bytes.Buffer
	startDaemon := func() {
		cmd = exec.Command(bin, "run", "-listen", addr, dir)
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	startDaemon()
	rng := rand.New(rand.NewPCG(42, 42))
	kills := 0
	const chunk = 500
	// Kills are placed by chunk, not by wall clock, so a fast machine
	// that streams everything in a second still gets all of them; the
	// short random pause before each lands it somewhere inside the work
	// the daemon is doing for the chunks just accepted.
	const plannedKills = 12
	chunks := (len(lines) + chunk - 1) / chunk
	killAt := map[int]bool{}
	for len(killAt) < plannedKills {
		killAt[1+rng.IntN(chunks-1)] = true
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for i := 0; i < len(lines); {
		if killAt[i/chunk] {
			delete(killAt, i/chunk)
			time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			kills++
			startDaemon()
		}
		body := strings.Join(lines[i:min(i+chunk, len(lines))], "")
		resp, err := client.Post("http://"+addr+"/v1/events", "application/x-ndjson", strings.NewReader(body))
		if err != nil {
			time.Sleep(20 * time.Millisecond) // down or starting: send the chunk again
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		i += chunk
	}
	// One more kill in the middle of nothing, then resend everything: all
	// duplicates by now.
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	kills++
	startDaemon()
	for i := 0; i < len(lines); {
		body := strings.Join(lines[i:min(i+chunk*4, len(lines))], "")
		resp, err := client.Post("http://"+addr+"/v1/events", "application/x-ndjson", strings.NewReader(body))
		if err != nil || resp.StatusCode != http.StatusAccepted {
			if resp != nil {
				resp.Body.Close()
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		var r struct{ Accepted int }
		_ = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if r.Accepted != 0 {
			t.Errorf("resending acknowledged events applied %d again", r.Accepted)
		}
		i += chunk * 4
	}
	// Wait for the outbox to drain: every action delivered. A loaded
	// machine delivers slowly, so the test fails only when delivery
	// stops moving, not after a fixed time.
	last, lastMoved := -1, time.Now()
	for {
		pending := -1
		resp, err := client.Get("http://" + addr + "/v1/outbox?status=pending&limit=10000")
		if err == nil {
			var page struct{ Entries []json.RawMessage }
			if resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&page) == nil {
				pending = len(page.Entries)
			}
			resp.Body.Close()
		}
		if pending == 0 {
			break
		}
		if pending != last {
			last, lastMoved = pending, time.Now()
		}
		if time.Since(lastMoved) > 90*time.Second {
			t.Fatalf("%d actions pending and none delivered for 90 s\n%s", pending, tail(logs.String()))
		}
		time.Sleep(500 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, tail(logs.String()))
	}
	if kills < plannedKills+1 {
		t.Fatalf("only %d kills", kills)
	}
	t.Logf("%d SIGKILLs during %d events", kills, n)

	want, wantKeys := snapshot(t, filepath.Join(ref, ".hearth", "state.db"))
	got, gotKeys := snapshot(t, filepath.Join(dir, ".hearth", "state.db"))
	if len(got) != len(want) {
		t.Fatalf("%d members after the crashes; %d in the reference", len(got), len(want))
	}
	diffs := 0
	for id, w := range want {
		if g := got[id]; g != w && diffs < 5 {
			t.Errorf("member %s:\n got  %s\n want %s", id, g, w)
			diffs++
		}
	}
	if strings.Join(gotKeys, ",") != strings.Join(wantKeys, ",") {
		t.Errorf("outbox keys differ: %d after the crashes, %d in the reference", len(gotKeys), len(wantKeys))
	}
	// The platform performed each key once: one message per key, and
	// as many keys as the outbox holds.
	if delivered := localDeliveries(t, filepath.Join(dir, ".hearth", "local-platform.json")); delivered != len(gotKeys) {
		t.Errorf("the platform performed %d actions for %d outbox keys", delivered, len(gotKeys))
	}
}

// snapshot reads what must match: per member, points, badges, tier and
// totals; and the outbox keys.
func snapshot(t *testing.T, path string) (map[string]string, []string) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := map[string]string{}
	err = s.Members(ctx, func(m *state.Member) error {
		out[m.ID] = memberLine(m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT key FROM outbox ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		keys = append(keys, k)
	}
	return out, keys
}

// memberLine is what of a member must match between runs.
func memberLine(m *state.Member) string {
	var badges []string
	for name, h := range m.Badges {
		badges = append(badges, fmt.Sprintf("%s:%d", name, h.Count))
	}
	sort.Strings(badges)
	byType := map[string]int{}
	for _, c := range m.Types {
		byType[c.Type] = c.Total
	}
	totals, _ := json.Marshal(byType)
	return fmt.Sprintf("points=%d earned=%d tier=%s badges=%v totals=%s run=%v", m.Points, m.PointsEarned, m.Tier.Name, badges, totals, m.Campaigns["welcome"] != nil)
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}
