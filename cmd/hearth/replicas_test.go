package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hearth-community/hearth/engine/bench"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/postgres"
)

// replicaSettings puts the crash test's rules on the shared PostgreSQL
// state; the URL comes from a sensitive variable, as in production.
const replicaSettings = `
variable "database_url" {
  type      = string
  sensitive = true
}

hearth {
  state {
    backend = "postgres"
    url     = var.database_url
  }
}
`

// replicaConfig is crashConfig with the welcome posted in a channel,
// which the local platform accepts from anyone, so every action is
// delivered and can be counted.
var replicaConfig = strings.NewReplacer(
	"  platform = platform.local.main\n}", "  platform = platform.local.main\n\n  channel \"lobby\" {}\n}",
	`      channel  = "dm"`, "      channel  = \"channel\"\n      target   = community.c.channel.lobby",
).Replace(crashConfig)

// replicaEnv gives the services' addresses, or skips: the test needs
// PostgreSQL, NATS and the time of the crash test.
func replicaEnv(t *testing.T) (pgURL, natsURL string) {
	t.Helper()
	pgURL, natsURL = os.Getenv("HEARTH_TEST_POSTGRES_URL"), os.Getenv("HEARTH_TEST_NATS_URL")
	if pgURL == "" || natsURL == "" || os.Getenv("HEARTH_TEST_CRASH") == "" {
		t.Skip("skipping the replica test: it needs HEARTH_TEST_POSTGRES_URL, HEARTH_TEST_NATS_URL and HEARTH_TEST_CRASH=1, as .ci/run sets when the services answer")
	}
	return pgURL, natsURL
}

// withSchema points a PostgreSQL URL at a schema of the test's own,
// created here and dropped after.
func withSchema(t testing.TB, pgURL string) (string, string) {
	t.Helper()
	ctx := context.Background()
	schema := fmt.Sprintf("hearth_replicas_%d_%d", os.Getpid(), rand.Uint32())
	c, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, pgURL)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
	})
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

// replica is one `hearth run` process of the group.
type replica struct {
	addr string
	cmd  *exec.Cmd
	logs *bytes.Buffer
}

// TestReplicasSurviveSIGKILL runs three `hearth run` replicas on one
// PostgreSQL state and one NATS JetStream bus, sends them 100,000 events
// round robin while one replica is killed with SIGKILL and restarted
// several times, and checks that the final member state equals a
// single-process replay of the same events, that no reward was granted
// twice and that each action is in the outbox once and sent once.
func TestReplicasSurviveSIGKILL(t *testing.T) {
	pgURL, natsURL := replicaEnv(t)
	if !strings.Contains(replicaConfig, "target   = community.c.channel.lobby") || !strings.Contains(replicaConfig, `channel "lobby"`) {
		t.Fatal("replicaConfig no longer follows crashConfig")
	}
	stateURL, schema := withSchema(t, pgURL)
	stream := fmt.Sprintf("HEARTH_REPLICAS_%d_%d", os.Getpid(), rand.Uint32())
	t.Cleanup(func() { deleteStream(natsURL, stream) })

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "hearth")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	const n = 100000
	var stream0 bytes.Buffer
	enc := json.NewEncoder(&stream0)
	// 600 members: the local platform rewrites its file for every
	// welcome message, so fewer members keep the delivery short.
	for _, e := range bench.Workload(600, n, 7) {
		_ = enc.Encode(e)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(stream0.String(), "\n"), "\n")
	events := filepath.Join(tmp, "events.jsonl")
	if err := os.WriteFile(events, stream0.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(name, config string) string {
		dir := filepath.Join(tmp, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}

	// The reference: one uninterrupted single-process replay.
	ref := write("reference", replicaConfig)
	if out, err := exec.Command(bin, "replay", "-events", events, ref).CombinedOutput(); err != nil {
		t.Fatalf("reference replay: %v\n%s", err, out)
	}

	// The group: three replicas on one configuration directory (and so
	// one local platform file), one database schema and one stream.
	dir := write("replicas", replicaConfig+replicaSettings)
	env := append(os.Environ(), "HEARTH_VAR_database_url="+stateURL)
	apply := exec.Command(bin, "apply", "-auto-approve", dir)
	apply.Env = env
	if out, err := apply.CombinedOutput(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	began := time.Now()
	start := func(r *replica) {
		r.cmd = exec.Command(bin, "run", "-listen", r.addr, "-bus", natsURL, "-bus-stream", stream, "-bus-lease", "3s", dir)
		r.cmd.Env = env
		r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	reps := make([]*replica, 3)
	for i := range reps {
		reps[i] = &replica{addr: freeAddr(t), logs: &bytes.Buffer{}}
		start(reps[i])
	}
	defer func() {
		for _, r := range reps {
			if r.cmd.ProcessState == nil {
				_ = r.cmd.Process.Kill()
				_ = r.cmd.Wait()
			}
		}
	}()

	client := &http.Client{Timeout: 30 * time.Second}
	const chunk = 500
	victim := reps[1]
	kills := 0
	killAt := map[int]bool{40: true, 100: true, 160: true} // chunk numbers
	for c, i := 0, 0; i < len(lines); c++ {
		if killAt[c] {
			killAt[c] = false
			_ = victim.cmd.Process.Signal(syscall.SIGKILL)
			_ = victim.cmd.Wait()
			kills++
			start(victim)
		}
		r := reps[c%len(reps)]
		body := strings.Join(lines[i:min(i+chunk, len(lines))], "")
		resp, err := client.Post("http://"+r.addr+"/v1/events", "application/x-ndjson", strings.NewReader(body))
		if err != nil {
			time.Sleep(20 * time.Millisecond) // down or starting: the next replica takes it
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			continue
		}
		i += chunk
	}
	if kills != 3 {
		t.Fatalf("%d kills; want 3", kills)
	}
	ingested := time.Since(began)

	// Wait until every event is applied and every action delivered.
	ctx := context.Background()
	db, err := pgx.Connect(ctx, stateURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	// Slow is allowed (CI shares two cores with other packages' tests);
	// stuck is not: the test fails when nothing moved for two minutes, or
	// after six in all, well within go test's ten for the package.
	const stuckAfter, giveUp = 2 * time.Minute, 6 * time.Minute
	waitStart := time.Now()
	var progress []string // applied every 30s, for the failure message
	nextMark := time.Now()
	lastApplied, lastPending, lastMove := -1, -1, time.Now()
	for {
		var applied, pending int
		if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM outbox WHERE status = 'pending')`).Scan(&applied, &pending); err != nil {
			t.Fatal(err)
		}
		if applied == n && pending == 0 {
			break
		}
		if applied != lastApplied || pending != lastPending {
			lastApplied, lastPending, lastMove = applied, pending, time.Now()
		}
		if time.Now().After(nextMark) {
			progress = append(progress, fmt.Sprintf("%s %d", time.Now().UTC().Format("15:04:05"), applied))
			nextMark = nextMark.Add(30 * time.Second)
		}
		if stuck, slow := time.Since(lastMove) > stuckAfter, time.Since(waitStart) > giveUp; stuck || slow {
			// Which partition stalled, and where: how far each partition
			// is behind and what each replica was doing come first (the
			// output may be cut), then each replica's bus log.
			var why strings.Builder
			fmt.Fprintf(&why, "applied over time: %s\n", strings.Join(progress, ", "))
			why.WriteString(partitionLag(ctx, db, natsURL, stream))
			for i, r := range reps {
				fmt.Fprintf(&why, "replica %d goroutines in hearth's bus and daemon:\n%s", i, busGoroutines(r))
			}
			for i, r := range reps {
				var bus []string
				for _, line := range strings.Split(r.logs.String(), "\n") {
					if strings.Contains(line, "bus:") {
						bus = append(bus, line)
					}
				}
				shown := bus[max(0, len(bus)-30):]
				fmt.Fprintf(&why, "replica %d bus log (last %d of %d lines):\n%s\n", i, len(shown), len(bus), strings.Join(shown, "\n"))
			}
			what := fmt.Sprintf("nothing moved for %s", stuckAfter)
			if !stuck {
				what = fmt.Sprintf("still moving, but not done after %s", giveUp)
			}
			t.Fatalf("%s: %d of %d events applied, %d actions pending\n%s", what, applied, n, pending, why.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	settled := time.Since(began)
	for i, r := range reps {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		if err := r.cmd.Wait(); err != nil {
			t.Errorf("replica %d: graceful stop: %v\n%s", i, err, tail(r.logs.String()))
		}
	}
	for i, r := range reps {
		if strings.Contains(r.logs.String(), "database_url") && strings.Contains(r.logs.String(), stateURL) {
			t.Errorf("replica %d logged the database URL", i)
		}
	}

	want, wantKeys := snapshot(t, filepath.Join(ref, ".hearth", "state.db"))
	got, gotKeys := pgSnapshot(t, pgURL, schema)
	if len(got) != len(want) {
		t.Fatalf("%d members with replicas; %d in the reference", len(got), len(want))
	}
	diffs := 0
	for id, w := range want {
		if g := got[id]; g != w && diffs < 5 {
			t.Errorf("member %s:\n got  %s\n want %s", id, g, w)
			diffs++
		}
	}
	if strings.Join(gotKeys, ",") != strings.Join(wantKeys, ",") {
		t.Errorf("outbox keys differ: %d with replicas, %d in the reference", len(gotKeys), len(wantKeys))
	}

	// No reward twice: one grant per rule, member and event.
	var twice int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM outcomes WHERE kind IN ('points', 'badge')
		GROUP BY kind, member, name, rule, event HAVING count(*) > 1) d`).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if twice != 0 {
		t.Errorf("%d rewards granted twice", twice)
	}
	wantOutcomes := sqliteOutcomeCounts(t, filepath.Join(ref, ".hearth", "state.db"))
	gotOutcomes := map[string]int{}
	rows, err := db.Query(ctx, `SELECT kind, count(*) FROM outcomes GROUP BY kind`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		var c int
		_ = rows.Scan(&k, &c)
		gotOutcomes[k] = c
	}
	rows.Close()
	if fmt.Sprint(gotOutcomes) != fmt.Sprint(wantOutcomes) {
		t.Errorf("outcomes by kind: %v with replicas; %v in the reference", gotOutcomes, wantOutcomes)
	}

	// No action sent twice: every action settled, and the platform holds
	// one delivery per key.
	var sent, actions int
	if err := db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FROM outbox`).Scan(&sent, &actions); err != nil {
		t.Fatal(err)
	}
	if sent != actions || sent == 0 {
		t.Errorf("%d of %d actions sent", sent, actions)
	}
	delivered := localDeliveries(t, filepath.Join(dir, ".hearth", "local-platform.json"))
	if delivered != sent {
		t.Errorf("%d deliveries on the platform for %d actions sent", delivered, sent)
	}
	// How often partitions were read again, and how many of those the
	// quiet check started (a reader that heard nothing while events
	// waited): worth a look when they grow.
	resets, quiet := 0, 0
	for _, r := range reps {
		resets += strings.Count(r.logs.String(), "partition reading stopped")
		quiet += strings.Count(r.logs.String(), "but the server holds")
	}
	t.Logf("3 replicas, %d SIGKILLs, %d events taken in %s, applied and %d actions delivered after %s; partitions read again %d times (%d after a quiet check)",
		kills, n, ingested.Round(time.Millisecond), sent, settled.Round(time.Millisecond), resets, quiet)
}

// pgSnapshot is snapshot for the PostgreSQL state.
func pgSnapshot(t *testing.T, pgURL, schema string) (map[string]string, []string) {
	t.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgURL, postgres.Options{Schema: schema})
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
	entries, err := s.ListOutbox(ctx, "", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range entries {
		keys = append(keys, e.Key)
	}
	sort.Strings(keys)
	return out, keys
}

func sqliteOutcomeCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT kind, count(*) FROM outcomes GROUP BY kind`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var c int
		_ = rows.Scan(&k, &c)
		out[k] = c
	}
	return out
}

// localDeliveries counts the actions the local platform performed; each
// is one message.
func localDeliveries(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Actions  []json.RawMessage `json:"actions"`
		DMs      []json.RawMessage `json:"direct_messages"`
		Messages []json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Actions) != len(f.DMs)+len(f.Messages) {
		t.Errorf("the platform holds %d messages for %d idempotency keys", len(f.DMs)+len(f.Messages), len(f.Actions))
	}
	return len(f.Actions)
}

// deleteStream removes the test's stream and the bus's buckets.
// busGoroutines stops a replica with SIGQUIT, which makes Go print every
// goroutine's stack, and keeps the stacks that pass through hearth's bus
// or daemon, one line each: its state, then hearth's frames, innermost
// first, with the partition a consumer reads.
func busGoroutines(r *replica) string {
	if r.cmd.ProcessState != nil {
		return "  (not running)\n"
	}
	before := r.logs.Len()
	_ = r.cmd.Process.Signal(syscall.SIGQUIT)
	_ = r.cmd.Wait()
	var b strings.Builder
	for _, g := range strings.Split(r.logs.String()[before:], "\n\n") {
		if !strings.Contains(g, "engine/bus.") && !strings.Contains(g, "engine/daemon.") {
			continue
		}
		lines := strings.Split(g, "\n")
		state := lines[0]
		if i, j := strings.Index(state, "["), strings.Index(state, "]"); i >= 0 && j > i {
			state = state[i : j+1]
		}
		var frames []string
		for _, l := range lines[1:] {
			if !strings.Contains(l, "hearth-community/hearth/") || strings.HasPrefix(l, "\t") || strings.Contains(l, " in goroutine ") {
				continue
			}
			f := l[strings.LastIndex(l, "/")+1:]
			name, args := f, ""
			if i := strings.LastIndex(f, "("); i > 0 {
				name, args = f[:i], f[i+1:]
			}
			if strings.HasSuffix(name, "(*Bus).consume") {
				// consume(b, ctx, p, ...): ctx is two words in braces.
				if _, rest, ok := strings.Cut(args, "}, "); ok {
					p, _, _ := strings.Cut(rest, ",")
					if n, err := strconv.ParseInt(strings.TrimPrefix(p, "0x"), 16, 64); err == nil {
						name += fmt.Sprintf(" p%d", n)
					}
				}
			}
			frames = append(frames, name)
		}
		fmt.Fprintf(&b, "  %s %s\n", state, strings.Join(frames, " < "))
	}
	return b.String()
}

// partitionLag says, for each partition behind, its committed cursor
// and the last sequence published to it.
func partitionLag(ctx context.Context, db *pgx.Conn, natsURL, stream string) string {
	cursors := map[string]string{}
	if rows, err := db.Query(ctx, `SELECT stream, cursor FROM cursors`); err == nil {
		for rows.Next() {
			var name, value string
			if rows.Scan(&name, &value) == nil {
				cursors[name] = value
			}
		}
		rows.Close()
	}
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return fmt.Sprintf("partition lag: %v\n", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Sprintf("partition lag: %v\n", err)
	}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Sprintf("partition lag: %v\n", err)
	}
	var b strings.Builder
	for p := range 16 {
		last := "none"
		if m, err := st.GetLastMsgForSubject(ctx, fmt.Sprintf("%s.%d", strings.ToLower(stream), p)); err == nil {
			last = strconv.FormatUint(m.Sequence, 10)
		}
		c := cursors[fmt.Sprintf("bus:%s:p%d", stream, p)]
		_, seq, _ := strings.Cut(c, ":")
		if seq != last {
			fmt.Fprintf(&b, "partition %d behind: cursor at %s, last published %s\n", p, seq, last)
		}
	}
	return b.String()
}

func deleteStream(natsURL, stream string) {
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return
	}
	ctx := context.Background()
	_ = js.DeleteStream(ctx, stream)
	for _, b := range []string{"_leases", "_replicas", "_config"} {
		_ = js.DeleteKeyValue(ctx, stream+b)
	}
}

// BenchmarkReplicas measures events/s through 1, 2 and 3 `hearth run`
// replicas on one PostgreSQL state and one NATS stream: from the first
// POST of a round of events to the moment the last is committed. All
// replicas, PostgreSQL, NATS and the load generator share this machine's
// cores, so the figure shows where one machine saturates, not what
// separate machines would add.
//
//	go test ./cmd/hearth -run '^$' -bench Replicas -benchtime 3x
func BenchmarkReplicas(b *testing.B) {
	pgURL, natsURL := os.Getenv("HEARTH_TEST_POSTGRES_URL"), os.Getenv("HEARTH_TEST_NATS_URL")
	if pgURL == "" || natsURL == "" {
		b.Skip("skipping: set HEARTH_TEST_POSTGRES_URL and HEARTH_TEST_NATS_URL")
	}
	tmp := b.TempDir()
	bin := filepath.Join(tmp, "hearth")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	// The crash rules without the campaign: events and rewards only, so
	// the platform's file is not what is measured.
	config := crashConfig[:strings.Index(crashConfig, `campaign "welcome"`)] + replicaSettings
	const round = 30000
	work := bench.Workload(3000, round, 11)
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			stateURL, _ := withSchema(b, pgURL)
			stream := fmt.Sprintf("HEARTH_BENCH_%d_%d", os.Getpid(), rand.Uint32())
			b.Cleanup(func() { deleteStream(natsURL, stream) })
			dir := filepath.Join(b.TempDir(), "conf")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(config), 0o644); err != nil {
				b.Fatal(err)
			}
			var addrs []string
			for range n {
				addr := freeAddr(b)
				cmd := exec.Command(bin, "run", "-listen", addr, "-bus", natsURL, "-bus-stream", stream, dir)
				cmd.Env = append(os.Environ(), "HEARTH_VAR_database_url="+stateURL)
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
				addrs = append(addrs, addr)
			}
			ctx := context.Background()
			db, err := pgx.Connect(ctx, stateURL)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close(ctx)
			// Partitions settle within a few lease renewals (every 2.5s
			// with the default lease) of the last start.
			time.Sleep(8 * time.Second)
			client := &http.Client{Timeout: time.Minute}
			total, iter := 0, 0
			for b.Loop() {
				iter++
				var lines []string
				for _, e := range work {
					e.ID = fmt.Sprintf("r%d-%s", iter, e.ID)
					line, _ := json.Marshal(e)
					lines = append(lines, string(line)+"\n")
				}
				errs := make(chan error, n)
				for i, addr := range addrs {
					go func() {
						for c := i * 500; c < len(lines); c += 500 * n {
							body := strings.Join(lines[c:min(c+500, len(lines))], "")
							resp, err := client.Post("http://"+addr+"/v1/events", "application/x-ndjson", strings.NewReader(body))
							if err != nil {
								errs <- err
								return
							}
							resp.Body.Close()
							if resp.StatusCode != http.StatusAccepted {
								errs <- fmt.Errorf("status %d", resp.StatusCode)
								return
							}
						}
						errs <- nil
					}()
				}
				for range n {
					if err := <-errs; err != nil {
						b.Fatal(err)
					}
				}
				total += round
				for {
					var applied int
					if err := db.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&applied); err != nil {
						b.Fatal(err)
					}
					if applied >= total {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
